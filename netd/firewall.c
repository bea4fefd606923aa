/*
 * Applying, inspecting and removing a network's firewall rules through
 * libnftables.  Every change is one nft_run_cmd_from_buffer() call, which
 * libnftables sends as one netlink batch: the kernel applies all of it or
 * none.  Inspection lists tables as JSON and reads them with json-c.
 */
#include <assert.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <json-c/json.h>
#include <nftables/libnftables.h>

#include "cleanup.h"
#include "errmsg.h"
#include "firewall.h"

#define OUR_TABLE MV_FIREWALL_FAMILY " " MV_FIREWALL_TABLE

/* Comment tag of our DOCKER-USER rules: nft's limit is 128 bytes. */
#define TAG_NAME_MAX 64

/* The kernel has one ruleset per network namespace and our table is shared
 * by every network: remove decides "last network, drop the table" from a
 * listing, so an add or remove of another network must not run in between.
 * This lock makes each public call one step against the others. */
static pthread_mutex_t fw_lock = PTHREAD_MUTEX_INITIALIZER;

MV_DEFINE_CLEANUP(struct nft_ctx, nft_ctx_free)
MV_DEFINE_CLEANUP(struct json_object, json_object_put)

/* ---- running nft commands ------------------------------------------------ */

/* nft's error buffer holds the failing command and caret lines too; a
 * message keeps the "Error:" lines only, joined. */
static char *nft_errors(const char *buf)
{
    _cleanup_free_ char *copy = strdup(buf ? buf : "");
    char *out = NULL, *save = NULL;
    size_t len = 0;
    FILE *f;

    if (!copy || !(f = open_memstream(&out, &len)))
        return NULL;
    for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        char *e = strstr(line, "Error: ");

        if (e)
            fprintf(f, "%s%s", ftell(f) ? "; " : "", e + 7);
    }
    if (ftell(f) == 0)
        fputs(buf && *buf ? buf : "unknown error", f);
    fclose(f);
    return out;
}

/* Runs CMDS in one batch.  With OUT, the output is JSON and returned
 * there.  0, or -EPERM/-EIO with *NFTERR set to nft's error (malloc'd). */
static int nft_run(const char *cmds, char **out, char **nfterr)
{
    _cleanup_(nft_ctx_freep) struct nft_ctx *ctx = nft_ctx_new(NFT_CTX_DEFAULT);
    const char *err;

    if (!ctx || nft_ctx_buffer_output(ctx) < 0 || nft_ctx_buffer_error(ctx) < 0) {
        *nfterr = strdup("cannot set up libnftables");
        return -ENOMEM;
    }
    if (out)
        nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON);
    if (nft_run_cmd_from_buffer(ctx, cmds) != 0) {
        err = nft_ctx_get_error_buffer(ctx);
        *nfterr = nft_errors(err);
        return err && strstr(err, "Operation not permitted") ? -EPERM : -EIO;
    }
    if (out && !(*out = strdup(nft_ctx_get_output_buffer(ctx)))) {
        *nfterr = strdup("out of memory");
        return -ENOMEM;
    }
    return 0;
}

/* ---- reading tables as JSON ---------------------------------------------- */

/* The "nftables" array of nft's JSON output TEXT (a new reference), or
 * NULL if TEXT is not such a listing. */
static struct json_object *listing_array(const char *text)
{
    _cleanup_(json_object_putp) struct json_object *all = json_tokener_parse(text);
    struct json_object *arr;

    if (!all || !json_object_object_get_ex(all, "nftables", &arr))
        return NULL;
    return json_object_get(arr);
}

/* Runs the listing CMD; *ARR is its "nftables" array.  0 or -errno with
 * *NFTERR. */
static int nft_list(const char *cmd, struct json_object **arr, char **nfterr)
{
    _cleanup_free_ char *text = NULL;
    int r = nft_run(cmd, &text, nfterr);

    if (r < 0)
        return r;
    *arr = listing_array(text);
    if (!*arr) {
        *nfterr = strdup("cannot parse nft's JSON output");
        return -EIO;
    }
    return 0;
}

static bool has_table(struct json_object *tables, const char *family, const char *name)
{
    for (size_t i = 0; i < json_object_array_length(tables); i++) {
        struct json_object *t, *f, *n;

        if (json_object_object_get_ex(json_object_array_get_idx(tables, i), "table", &t) &&
            json_object_object_get_ex(t, "family", &f) && json_object_object_get_ex(t, "name", &n) &&
            strcmp(json_object_get_string(f), family) == 0 && strcmp(json_object_get_string(n), name) == 0)
            return true;
    }
    return false;
}

/* The "nftables" array of a JSON listing of FAMILY NAME, or NULL when the
 * table does not exist.  0 or -errno with *NFTERR. */
static int list_table(const char *family, const char *name, struct json_object **out, char **nfterr)
{
    _cleanup_(json_object_putp) struct json_object *tables = NULL;
    _cleanup_free_ char *cmd = NULL;
    int r;

    *out = NULL;
    /* listing a missing table is an error like any other: ask first */
    r = nft_list("list tables", &tables, nfterr);
    if (r < 0 || !has_table(tables, family, name))
        return r;
    if (asprintf(&cmd, "list table %s %s", family, name) < 0) {
        *nfterr = strdup("out of memory");
        return -ENOMEM;
    }
    return nft_list(cmd, out, nfterr);
}

static const char *str_field(struct json_object *o, const char *key)
{
    struct json_object *v;

    return json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* The object of KIND ("chain", "map", "rule") in listing ITEM, or NULL. */
static struct json_object *item_of(struct json_object *item, const char *kind)
{
    struct json_object *o;

    return json_object_object_get_ex(item, kind, &o) ? o : NULL;
}

/* The chain NAME of a listing, or NULL. */
static struct json_object *find_chain(struct json_object *arr, const char *name)
{
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        struct json_object *c = item_of(json_object_array_get_idx(arr, i), "chain");
        const char *n = c ? str_field(c, "name") : NULL;

        if (n && strcmp(n, name) == 0)
            return c;
    }
    return NULL;
}

/* The verdict map MAP's element for KEY: its jump target, or NULL. */
static const char *map_jump(struct json_object *arr, const char *map, const char *key)
{
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        struct json_object *m = item_of(json_object_array_get_idx(arr, i), "map"), *elems;
        const char *n = m ? str_field(m, "name") : NULL;

        if (!n || strcmp(n, map) != 0 || !json_object_object_get_ex(m, "elem", &elems))
            continue;
        for (size_t j = 0; j < json_object_array_length(elems); j++) {
            struct json_object *e = json_object_array_get_idx(elems, j), *jump;
            const char *k = json_object_get_string(json_object_array_get_idx(e, 0));

            if (k && strcmp(k, key) == 0 &&
                json_object_object_get_ex(json_object_array_get_idx(e, 1), "jump", &jump))
                return str_field(jump, "target");
        }
    }
    return NULL;
}

/* True if some map of our table has an element not keyed by BR: another
 * network is still running. */
static bool others_present(struct json_object *arr, const char *br)
{
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        struct json_object *m = item_of(json_object_array_get_idx(arr, i), "map"), *elems;

        if (!m || !json_object_object_get_ex(m, "elem", &elems))
            continue;
        for (size_t j = 0; j < json_object_array_length(elems); j++) {
            const char *k = json_object_get_string(
                json_object_array_get_idx(json_object_array_get_idx(elems, j), 0));

            if (!k || strcmp(k, br) != 0)
                return true;
        }
    }
    return false;
}

/* ---- our table ------------------------------------------------------------- */

static int fail(char **errmsg, int r, const struct mv_net_def *def, const char *what, const char *nfterr)
{
    return mv_errmsg_set(errmsg, r, "network '%s': %s: %s", def->name, what,
                         nfterr ? nfterr : "out of memory");
}

/* Deletes DEF's chains and map elements, or the table with the last. */
static int remove_ours(const struct mv_net_def *def, char **errmsg)
{
    _cleanup_(json_object_putp) struct json_object *arr = NULL;
    _cleanup_free_ char *nfterr = NULL, *text = NULL;
    int r;

    if (def->forward.mode == MV_NET_FWD_BRIDGE || def->forward.mode == MV_NET_FWD_OPEN)
        return 0;
    r = mv_firewall_rules_remove(def, &text, errmsg);
    if (r < 0)
        return r;
    r = list_table(MV_FIREWALL_FAMILY, MV_FIREWALL_TABLE, &arr, &nfterr);
    if (r < 0)
        return fail(errmsg, r, def, "cannot list the firewall table " OUR_TABLE, nfterr);
    if (!arr)
        return 0;
    if (!others_present(arr, def->bridge.name)) {
        r = nft_run("delete table " OUR_TABLE, NULL, &nfterr);
        return r < 0 ? fail(errmsg, r, def, "cannot delete the firewall table " OUR_TABLE, nfterr) : 0;
    }
    r = nft_run(text, NULL, &nfterr);
    return r < 0 ? fail(errmsg, r, def, "cannot remove its firewall rules", nfterr) : 0;
}

static int firewall_add(const struct mv_net_def *def, char **errmsg)
{
    _cleanup_free_ char *text = NULL, *nfterr = NULL, *ignored = NULL;
    int r;

    assert(def);
    r = mv_firewall_rules(def, &text, errmsg);
    if (r < 0 || !*text)
        return r;
    r = nft_run(text, NULL, &nfterr);
    if (r < 0) {
        /* the batch changed nothing, but leftovers of an earlier run it
         * would have replaced may still be there */
        remove_ours(def, &ignored);
        return fail(errmsg, r, def, "nftables refused its firewall rules", nfterr);
    }
    return 0;
}

static bool firewall_present(const struct mv_net_def *def)
{
    _cleanup_strv_free_ char **chains = NULL;
    _cleanup_(json_object_putp) struct json_object *arr = NULL;
    _cleanup_free_ char *nfterr = NULL, *ignored = NULL;

    assert(def);
    if (mv_firewall_chains(def, &chains, &ignored) < 0)
        return false;
    if (!chains[0])
        return true;
    if (list_table(MV_FIREWALL_FAMILY, MV_FIREWALL_TABLE, &arr, &nfterr) < 0 || !arr)
        return false;
    for (char **c = chains; *c; c++) {
        _cleanup_free_ char *map = NULL;
        const char *target;

        if (asprintf(&map, "%.*s_if", (int)strcspn(*c, "_"), *c) < 0)
            return false;
        target = map_jump(arr, map, def->bridge.name);
        if (!find_chain(arr, *c) || !target || strcmp(target, *c) != 0)
            return false;
    }
    return true;
}

/* ---- other firewalls: Docker's FORWARD drop -------------------------------- */

/* "modvirt network NAME", NAME cut and with nothing that could end or
 * escape nft's quoted string. */
static char *docker_tag(const struct mv_net_def *def)
{
    char name[TAG_NAME_MAX + 1];
    char *tag;
    size_t i;

    for (i = 0; def->name[i] && i < TAG_NAME_MAX; i++) {
        unsigned char c = def->name[i];

        name[i] = c > ' ' && c < 0x7f && c != '"' && c != '\\' ? c : '_';
    }
    name[i] = '\0';
    return asprintf(&tag, "modvirt network %s", name) < 0 ? NULL : tag;
}

/* "delete rule FAMILY filter DOCKER-USER handle N\n" for each rule tagged
 * TAG, appended to F. */
static void emit_untag(FILE *f, struct json_object *arr, const char *family, const char *tag)
{
    for (size_t i = 0; arr && i < json_object_array_length(arr); i++) {
        struct json_object *rule = item_of(json_object_array_get_idx(arr, i), "rule");
        const char *chain = rule ? str_field(rule, "chain") : NULL;
        const char *comment = rule ? str_field(rule, "comment") : NULL;
        const char *handle = rule ? str_field(rule, "handle") : NULL;

        if (chain && comment && handle && strcmp(chain, "DOCKER-USER") == 0 && strcmp(comment, tag) == 0)
            fprintf(f, "delete rule %s filter DOCKER-USER handle %s\n", family, handle);
    }
}

/* In one batch: deletes DEF's tagged rules from DOCKER-USER of FAMILY's
 * filter table (listed in ARR) and, with INSERT, puts fresh ones first. */
static int run_docker_cmds(const struct mv_net_def *def, struct json_object *arr, const char *family,
                           const char *tag, bool insert, char **errmsg)
{
    _cleanup_free_ char *cmds = NULL, *nfterr = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&cmds, &len);
    int r;

    if (!f)
        return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
    emit_untag(f, arr, family, tag);
    if (insert)
        for (int out = 0; out < 2; out++)
            fprintf(f, "insert rule %s filter DOCKER-USER %s \"%s\" accept comment \"%s\"\n", family,
                    out ? "oifname" : "iifname", def->bridge.name, tag);
    if (fclose(f) != 0)
        return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
    if (!len)
        return 0;
    r = nft_run(cmds, NULL, &nfterr);
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "network '%s': cannot update chain DOCKER-USER of table %s filter: %s",
                             def->name, family, nfterr ? nfterr : "out of memory");
    return 0;
}

/* True if FORWARD of the listing drops by policy. */
static bool forward_drops(struct json_object *arr)
{
    struct json_object *fwd = find_chain(arr, "FORWARD");
    const char *policy = fwd ? str_field(fwd, "policy") : NULL;

    return policy && strcmp(policy, "drop") == 0;
}

static int append_warning(char **warning, const struct mv_net_def *def, const char *family)
{
    _cleanup_free_ char *old = *warning;

    *warning = NULL;
    if (asprintf(warning,
                 "%s%stable %s filter has chain FORWARD with policy drop (as Docker leaves it) and no "
                 "DOCKER-USER chain, so forwarding for network '%s' is dropped there; fix: "
                 "'nft insert rule %s filter FORWARD iifname %s accept' and the same with oifname, "
                 "or start Docker so that it creates DOCKER-USER",
                 old ? old : "", old ? "; " : "", family, def->name, family, def->bridge.name) < 0) {
        *warning = NULL;
        return -ENOMEM;
    }
    return 0;
}

/* Adds (INSERT) or removes DEF's DOCKER-USER rules in FAMILY's filter
 * table, or warns when the FORWARD drop cannot be passed. */
static int docker_family(const struct mv_net_def *def, const char *family, bool insert, char **warning,
                         char **errmsg)
{
    _cleanup_(json_object_putp) struct json_object *arr = NULL;
    _cleanup_free_ char *nfterr = NULL, *tag = NULL;
    int r = list_table(family, "filter", &arr, &nfterr);

    if (r < 0)
        return mv_errmsg_set(errmsg, r, "network '%s': cannot list table %s filter: %s", def->name, family,
                             nfterr ? nfterr : "out of memory");
    if (!arr)
        return 0;
    if (!(tag = docker_tag(def)))
        return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
    insert = insert && forward_drops(arr);
    if (!find_chain(arr, "DOCKER-USER")) {
        if (insert && append_warning(warning, def, family) < 0)
            return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
        return 0;
    }
    return run_docker_cmds(def, arr, family, tag, insert, errmsg);
}

/* Whether DEF forwards FAMILY at all, so a FORWARD drop concerns it. */
static bool forwards(const struct mv_net_def *def, const char *family)
{
    if (def->forward.mode == MV_NET_FWD_NONE || def->forward.mode == MV_NET_FWD_BRIDGE)
        return false;
    return mv_net_def_ip(def, strcmp(family, "ip6") == 0 ? AF_INET6 : AF_INET) != NULL;
}

static const char *const filter_families[] = { "ip", "ip6" };

/* Legacy iptables is out of nft's reach: it can only be pointed out. */
static int legacy_warning(const struct mv_net_def *def, char **warning)
{
    _cleanup_free_ char *old = *warning;
    bool drops = false;
    int r = mv_firewall_legacy_forward_drops(&drops);

    *warning = NULL;
    if (r < 0)
        r = asprintf(warning, "%s%scannot read the legacy iptables filter table to see whether it drops "
                     "forwarding for network '%s': %s", old ? old : "", old ? "; " : "", def->name, strerror(-r));
    else if (drops)
        r = asprintf(warning, "%s%sthe legacy iptables filter table (iptables-legacy) has chain FORWARD with "
                     "policy drop, so forwarding for network '%s' is dropped there; fix: "
                     "'iptables-legacy -I DOCKER-USER -i %s -j ACCEPT' and the same with -o (or -I FORWARD "
                     "where there is no DOCKER-USER chain)",
                     old ? old : "", old ? "; " : "", def->name, def->bridge.name);
    else {
        *warning = TAKE_PTR(old);
        return 0;
    }
    if (r < 0) {
        *warning = NULL;
        return -ENOMEM;
    }
    return 0;
}

static int firewall_coexist(const struct mv_net_def *def, char **warning, char **errmsg)
{
    _cleanup_free_ char *w = NULL;
    int r;

    assert(def && warning);
    for (size_t i = 0; i < MV_ARRAY_SIZE(filter_families); i++) {
        if (!forwards(def, filter_families[i]))
            continue;
        r = docker_family(def, filter_families[i], true, &w, errmsg);
        if (r < 0)
            return r;
    }
    if (forwards(def, "ip") && legacy_warning(def, &w) < 0)
        return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
    *warning = TAKE_PTR(w);
    return 0;
}

static int firewall_remove(const struct mv_net_def *def, char **errmsg)
{
    int r;

    assert(def);
    r = remove_ours(def, errmsg);
    for (size_t i = 0; r >= 0 && i < MV_ARRAY_SIZE(filter_families); i++)
        if (def->forward.mode != MV_NET_FWD_BRIDGE)
            r = docker_family(def, filter_families[i], false, NULL, errmsg);
    return r;
}

/* ---- the public calls, one at a time (fw_lock) ---------------------------- */

int mv_firewall_add(const struct mv_net_def *def, char **errmsg)
{
    pthread_mutex_lock(&fw_lock);
    int r = firewall_add(def, errmsg);
    pthread_mutex_unlock(&fw_lock);
    return r;
}

bool mv_firewall_present(const struct mv_net_def *def)
{
    pthread_mutex_lock(&fw_lock);
    bool r = firewall_present(def);
    pthread_mutex_unlock(&fw_lock);
    return r;
}

int mv_firewall_coexist(const struct mv_net_def *def, char **warning, char **errmsg)
{
    pthread_mutex_lock(&fw_lock);
    int r = firewall_coexist(def, warning, errmsg);
    pthread_mutex_unlock(&fw_lock);
    return r;
}

int mv_firewall_remove(const struct mv_net_def *def, char **errmsg)
{
    pthread_mutex_lock(&fw_lock);
    int r = firewall_remove(def, errmsg);
    pthread_mutex_unlock(&fw_lock);
    return r;
}
