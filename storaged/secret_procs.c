/*
 * The secret procedures (wire-protocol.md 8.11) and their events, all in
 * storaged_secret_table.  Readers run inline and take only a secret's
 * lock; changes run on workers under storaged_secrets.change_lock
 * (secret_obj.h).  Values never reach a log line.
 *
 * Who may read a private secret's value: libvirt releases it only to
 * another libvirt daemon.  Here that is a caller on the read-write socket
 * (the server refuses SECRET_GET_VALUE on the read-only one: the procedure
 * is annotated rw), running as root, whose executable is modvirt-qemud --
 * the one daemon that needs values, for encrypted guest disks.  virsh as
 * root is refused, as with libvirt, and so is every call that comes
 * through modvirt-proxyd: there the connection carries the end user's
 * forwarded identity (CONNECT_SET_IDENTITY), whose pid is not the peer's,
 * so its executable proves nothing (qemud asks storaged directly).  This is policy, not a barrier against
 * root, who can read the 0600 value files anyway.
 */
#define MV_LOG_MODULE "storaged.secret"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "log.h"
#include "registry.h"
#include "secret_events.h"
#include "secret_obj.h"
#include "secret_store.h"

/* VIR_CONNECT_LIST_SECRETS_* */
enum { LIST_EPHEMERAL = 1, LIST_NO_EPHEMERAL = 2, LIST_PRIVATE = 4, LIST_NO_PRIVATE = 8 };
#define LIST_ALL_FLAGS 0xfu

/* the executables trusted with private values (see above) */
static const char *const trusted_exes[] = { "modvirt-qemud", "modvirt-qemud (deleted)" };

static int bad_flags(struct mv_call *call, unsigned int flags, const char *api)
{
    return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_SECRET,
                         "invalid argument: unsupported flags (0x%x) in function %s", flags, api);
}

static int not_found(struct mv_call *call, const unsigned char uuid[MV_UUID_LEN])
{
    char s[MV_UUID_STRING_LEN];

    mv_uuid_format(uuid, s);
    return mv_call_error(call, MV_ERR_NO_SECRET, MV_FROM_SECRET,
                         "Secret not found: no secret with matching uuid '%s'", s);
}

/* The secret a handle names (referenced), or NULL with the call's error. */
static struct storaged_secret *get_secret(struct mv_call *call, const void *uuid)
{
    struct storaged_secret *sec = storaged_secret_find_uuid(uuid);

    if (!sec)
        not_found(call, uuid);
    return sec;
}

/* OUT with its own copies; call with SEC's lock held. */
static int to_wire(const struct storaged_secret *sec, mv_nonnull_secret *out)
{
    mv_nonnull_secret b;

    storaged_secret_to_wire_borrowed(sec, &b);
    if (!(out->usageID = strdup(b.usageID)))
        return -ENOMEM;
    memcpy(out->uuid, b.uuid, MV_UUID_LEN);
    out->usageType = b.usageType;
    return 0;
}

static int answer(struct storaged_secret *sec, mv_nonnull_secret *out)
{
    int r;

    mv_obj_lock(&sec->obj);
    r = to_wire(sec, out);
    mv_obj_unlock(&sec->obj);
    return r;
}

/* ---- listing and lookups ---- */

static bool group_ok(unsigned int flags, unsigned int yes, unsigned int no, bool value)
{
    unsigned int g = flags & (yes | no);

    return g == 0 || g == (yes | no) || (value ? (g & yes) : (g & no));
}

static int list_all(struct mv_call *call, mv_connect_list_all_secrets_args *args,
                    mv_connect_list_all_secrets_ret *ret)
{
    struct storaged_secret **secs = NULL;
    size_t n = 0, count = 0;
    int r;

    if (args->flags & ~LIST_ALL_FLAGS)
        return bad_flags(call, args->flags & ~LIST_ALL_FLAGS, "virConnectListAllSecrets");
    if ((r = storaged_secret_list(&secs, &n)) < 0)
        return r;
    if (n > MV_SECRET_LIST_MAX) {
        storaged_secret_list_free(secs, n);
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "too many secrets: %zu > %d", n, MV_SECRET_LIST_MAX);
    }
    if (args->need_results && !(ret->secrets.secrets_val = calloc(n ? n : 1, sizeof(mv_nonnull_secret)))) {
        storaged_secret_list_free(secs, n);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n && r == 0; i++) {
        struct storaged_secret *sec = secs[i];

        mv_obj_lock(&sec->obj);
        if (group_ok(args->flags, LIST_EPHEMERAL, LIST_NO_EPHEMERAL, sec->def->ephemeral) &&
            group_ok(args->flags, LIST_PRIVATE, LIST_NO_PRIVATE, sec->def->private_)) {
            if (args->need_results)
                r = to_wire(sec, &ret->secrets.secrets_val[count]);
            if (r == 0)
                count++;
        }
        mv_obj_unlock(&sec->obj);
    }
    ret->secrets.secrets_len = args->need_results ? (unsigned int)count : 0;
    ret->ret = (unsigned int)count;
    storaged_secret_list_free(secs, n);
    return r;
}

static int num_of_secrets(struct mv_call *call, void *args, mv_num_ret *ret)
{
    ret->num = (int)mv_registry_count(storaged_secrets.registry);
    return 0;
}

static int list_uuids(struct mv_call *call, mv_connect_list_secrets_args *args, mv_connect_list_secrets_ret *ret)
{
    struct storaged_secret **secs = NULL;
    size_t n = 0, count;
    int r;

    if (args->maxuuids < 0)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_SECRET,
                             "invalid argument: maxuuids in virConnectListSecrets must not be negative, not %d",
                             args->maxuuids);
    if (args->maxuuids > MV_SECRET_LIST_MAX)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "too many secret UUIDs requested: %d > %d",
                             args->maxuuids, MV_SECRET_LIST_MAX);
    if ((r = storaged_secret_list(&secs, &n)) < 0)
        return r;
    count = n < (size_t)args->maxuuids ? n : (size_t)args->maxuuids;
    if (!(ret->uuids.uuids_val = calloc(count + 1, sizeof(char *)))) {
        storaged_secret_list_free(secs, n);
        return -ENOMEM;
    }
    for (size_t i = 0; i < count && r == 0; i++)
        if (!(ret->uuids.uuids_val[i] = strdup(secs[i]->uuid_str)))
            r = -ENOMEM;
        else
            ret->uuids.uuids_len = (unsigned int)i + 1;
    storaged_secret_list_free(secs, n);
    return r;
}

static int lookup_by_uuid(struct mv_call *call, mv_secret_lookup_by_uuid_args *args, mv_secret_ret *ret)
{
    _cleanup_secret_unref_ struct storaged_secret *sec = get_secret(call, args->uuid);

    return sec ? answer(sec, &ret->secret) : -EIO;
}

static int lookup_by_usage(struct mv_call *call, mv_secret_lookup_by_usage_args *args, mv_secret_ret *ret)
{
    _cleanup_secret_unref_ struct storaged_secret *sec = storaged_secret_find_usage(args->usageType, args->usageID);

    if (!sec) {
        _cleanup_free_ char *q = mv_errmsg_quote(args->usageID, strlen(args->usageID), MV_ERRMSG_QUOTE_MAX);

        return mv_call_error(call, MV_ERR_NO_SECRET, MV_FROM_SECRET,
                             "Secret not found: no secret with matching usage '%s'", q ? q : "");
    }
    return answer(sec, &ret->secret);
}

static int get_xml_desc(struct mv_call *call, mv_secret_flags_args *args, mv_xml_ret *ret)
{
    _cleanup_secret_unref_ struct storaged_secret *sec = NULL;

    if (args->flags)
        return bad_flags(call, args->flags, "virSecretGetXMLDesc");
    if (!(sec = get_secret(call, args->secret.uuid)))
        return -EIO;
    mv_obj_lock(&sec->obj);
    ret->xml = mv_secret_def_format(sec->def);
    mv_obj_unlock(&sec->obj);
    return ret->xml ? 0 : -ENOMEM;
}

/* ---- values ---- */

/* True if the caller may read private values (see the top of the file). */
static bool trusted_caller(struct mv_call *call)
{
    const struct mv_identity *id = mv_call_identity(call);
    char link[64], exe[PATH_MAX];
    const char *base;
    ssize_t len;

    /* a forwarded pid is the end user's (through modvirt-proxyd), not the
     * peer's: what that process runs says nothing about who is calling */
    if (id->readonly || id->forwarded || id->uid != 0 || id->pid <= 0)
        return false;
    snprintf(link, sizeof(link), "/proc/%d/exe", (int)id->pid);
    if ((len = readlink(link, exe, sizeof(exe) - 1)) < 0)
        return false;
    exe[len] = '\0';
    base = strrchr(exe, '/');
    base = base ? base + 1 : exe;
    for (size_t i = 0; i < MV_ARRAY_SIZE(trusted_exes); i++)
        if (strcmp(base, trusted_exes[i]) == 0)
            return true;
    return false;
}

static int get_value(struct mv_call *call, mv_secret_flags_args *args, mv_secret_get_value_ret *ret)
{
    _cleanup_secret_unref_ struct storaged_secret *sec = NULL;
    bool private_;
    int r = 0;

    if (args->flags)
        return bad_flags(call, args->flags, "virSecretGetValue");
    if (!(sec = get_secret(call, args->secret.uuid)))
        return -EIO;
    mv_obj_lock(&sec->obj);
    private_ = sec->def->private_;
    mv_obj_unlock(&sec->obj);
    /* outside the lock: trusted_caller reads /proc */
    if (private_ && !trusted_caller(call))
        return mv_call_error(call, MV_ERR_INVALID_SECRET, MV_FROM_SECRET,
                             "Invalid secret: secret '%s' is private", sec->uuid_str);
    mv_obj_lock(&sec->obj);
    if (!sec->value)
        r = mv_call_error(call, MV_ERR_NO_SECRET, MV_FROM_SECRET,
                          "Secret not found: secret '%s' does not have a value", sec->uuid_str);
    else if (!(ret->value.value_val = malloc(sec->value_len ? sec->value_len : 1)))
        r = -ENOMEM;
    else {
        memcpy(ret->value.value_val, sec->value, sec->value_len);
        ret->value.value_len = (unsigned int)sec->value_len;
    }
    mv_obj_unlock(&sec->obj);
    return r;
}

/* A change on a secret an undefine removed meanwhile fails as not found. */
static bool gone(struct storaged_secret *sec)
{
    bool removed;

    mv_obj_lock(&sec->obj);
    removed = sec->removed;
    mv_obj_unlock(&sec->obj);
    return removed;
}

static int store_error(struct mv_call *call, int r, char *msg)
{
    _cleanup_free_ char *m = msg;

    return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_SECRET, "%s", m ? m : strerror(-r));
}

static int set_value_locked(struct mv_call *call, struct storaged_secret *sec, const mv_secret_set_value_args *args)
{
    unsigned char *copy, *old;
    size_t len = args->value.value_len, old_len;
    char *msg = NULL;
    int r;

    if (gone(sec))
        return not_found(call, sec->uuid);
    if (!(copy = malloc(len ? len : 1)))
        return -ENOMEM;
    memcpy(copy, args->value.value_val, len);
    /* sec->def only changes under change_lock, which we hold */
    if (!sec->def->ephemeral && (r = storaged_secret_store_save_value(sec->uuid, copy, len, &msg)) < 0) {
        storaged_secret_value_free(copy, len);
        return store_error(call, r, msg);
    }
    mv_obj_lock(&sec->obj);
    old = sec->value;
    old_len = sec->value_len;
    sec->value = copy;
    sec->value_len = len;
    storaged_secret_event_value_changed(sec);
    mv_obj_unlock(&sec->obj);
    storaged_secret_value_free(old, old_len);
    return 0;
}

static int set_value(struct mv_call *call, mv_secret_set_value_args *args, void *ret)
{
    _cleanup_secret_unref_ struct storaged_secret *sec = NULL;
    int r;

    if (args->flags)
        return bad_flags(call, args->flags, "virSecretSetValue");
    if (args->value.value_len > MV_SECRET_VALUE_MAX)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_SECRET,
                             "invalid argument: a secret value is at most %d bytes, not %u", MV_SECRET_VALUE_MAX,
                             args->value.value_len);
    if (!(sec = get_secret(call, args->secret.uuid)))
        return -EIO;
    pthread_mutex_lock(&storaged_secrets.change_lock);
    r = set_value_locked(call, sec, args);
    pthread_mutex_unlock(&storaged_secrets.change_lock);
    return r;
}

/* ---- define and undefine ---- */

static int undefine_locked(struct mv_call *call, struct storaged_secret *sec)
{
    char *msg = NULL;
    int r;

    if (gone(sec))
        return not_found(call, sec->uuid);
    if (!sec->def->ephemeral && (r = storaged_secret_store_delete(sec->uuid, &msg)) < 0)
        return store_error(call, r, msg);
    storaged_secret_remove(sec);
    mv_obj_lock(&sec->obj);
    storaged_secret_event_lifecycle(sec, STORAGED_SECRET_UNDEFINED);
    mv_obj_unlock(&sec->obj);
    mv_info("secret '%s' undefined", sec->uuid_str);
    return 0;
}

static int undefine(struct mv_call *call, mv_secret_args *args, void *ret)
{
    _cleanup_secret_unref_ struct storaged_secret *sec = get_secret(call, args->secret.uuid);
    int r;

    if (!sec)
        return -EIO;
    pthread_mutex_lock(&storaged_secrets.change_lock);
    r = undefine_locked(call, sec);
    pthread_mutex_unlock(&storaged_secrets.change_lock);
    return r;
}

static const char *usage_text(const struct mv_secret_def *def)
{
    return def->usage_id ? def->usage_id : "no usage";
}

/* libvirt's rules: one secret per usage, and a UUID keeps its usage. */
static int check_usage(struct mv_call *call, const struct mv_secret_def *def, struct storaged_secret *existing)
{
    _cleanup_secret_unref_ struct storaged_secret *other = storaged_secret_find_usage(def->usage, def->usage_id);
    char s[MV_UUID_STRING_LEN];

    if (other && memcmp(other->uuid, def->uuid, MV_UUID_LEN) != 0)
        return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_SECRET,
                             "internal error: a secret with UUID %s already defined for use with %s",
                             other->uuid_str, usage_text(def));
    /* the existing definition only changes under change_lock, held */
    if (existing && (existing->def->usage != def->usage ||
                     strcmp(usage_text(existing->def), usage_text(def)) != 0)) {
        mv_uuid_format(def->uuid, s);
        return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_SECRET,
                             "internal error: a secret with UUID %s is already defined for use with %s", s,
                             usage_text(existing->def));
    }
    return 0;
}

/* Brings the disk to DEF for a redefinition of EXISTING: a secret that
 * becomes persistent gets its in-memory value written, one that becomes
 * ephemeral loses its files. */
static int persist_redefinition(const struct mv_secret_def *def, struct storaged_secret *existing, char **msg)
{
    bool wrote_value = false;
    int r;

    if (def->ephemeral)
        return existing->def->ephemeral ? 0 : storaged_secret_store_delete(def->uuid, msg);
    if (existing->def->ephemeral && existing->value) {
        mv_obj_lock(&existing->obj);
        r = storaged_secret_store_save_value(def->uuid, existing->value, existing->value_len, msg);
        mv_obj_unlock(&existing->obj);
        if (r < 0)
            return r;
        wrote_value = true;
    }
    if ((r = storaged_secret_store_save_def(def, msg)) < 0 && wrote_value)
        storaged_secret_store_delete_value(def->uuid, NULL);
    return r;
}

static int redefine(struct mv_call *call, struct mv_secret_def *def, struct storaged_secret *existing)
{
    struct mv_secret_def *old;
    char *msg = NULL;
    int r;

    if ((r = persist_redefinition(def, existing, &msg)) < 0) {
        mv_secret_def_free(def);
        return store_error(call, r, msg);
    }
    mv_obj_lock(&existing->obj);
    old = existing->def;
    existing->def = def;
    storaged_secret_event_lifecycle(existing, STORAGED_SECRET_DEFINED);
    mv_obj_unlock(&existing->obj);
    mv_secret_def_free(old);
    return 0;
}

static int define_new(struct mv_call *call, struct mv_secret_def *def)
{
    unsigned char uuid[MV_UUID_LEN];
    char *msg = NULL;
    bool persistent = !def->ephemeral;
    int r;

    memcpy(uuid, def->uuid, MV_UUID_LEN);
    if (persistent && (r = storaged_secret_store_save_def(def, &msg)) < 0) {
        mv_secret_def_free(def);
        return store_error(call, r, msg);
    }
    if ((r = storaged_secret_add(def, NULL, 0)) < 0) {
        if (persistent)
            storaged_secret_store_delete(uuid, NULL);
        return r;
    }
    return 0;
}

static int define_locked(struct mv_call *call, struct mv_secret_def *def, mv_secret_ret *ret)
{
    _cleanup_secret_unref_ struct storaged_secret *existing = storaged_secret_find_uuid(def->uuid);
    _cleanup_secret_unref_ struct storaged_secret *sec = NULL;
    unsigned char uuid[MV_UUID_LEN];
    int r;

    if ((r = check_usage(call, def, existing)) < 0) {
        mv_secret_def_free(def);
        return r;
    }
    memcpy(uuid, def->uuid, MV_UUID_LEN);
    if ((r = existing ? redefine(call, def, existing) : define_new(call, def)) < 0)
        return r;
    if (!(sec = storaged_secret_find_uuid(uuid)))
        return not_found(call, uuid);
    if (!existing) {
        mv_obj_lock(&sec->obj);
        storaged_secret_event_lifecycle(sec, STORAGED_SECRET_DEFINED);
        mv_obj_unlock(&sec->obj);
    }
    mv_info("secret '%s' defined", sec->uuid_str);
    return answer(sec, &ret->secret);
}

/* The parser's messages say their kind first. */
static int parse_error_code(const char *msg)
{
    static const char unsupported[] = "unsupported configuration:";

    return msg && strncmp(msg, unsupported, strlen(unsupported)) == 0 ? MV_ERR_CONFIG_UNSUPPORTED : MV_ERR_XML_ERROR;
}

static int define_xml(struct mv_call *call, mv_xml_flags_args *args, mv_secret_ret *ret)
{
    struct mv_secret_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    int r;

    if (args->flags)
        return bad_flags(call, args->flags, "virSecretDefineXML");
    if (mv_secret_def_parse(args->xml, &def, &msg) < 0)
        return mv_call_error(call, parse_error_code(msg), MV_FROM_SECRET, "%s",
                             msg ? msg : "XML error: cannot parse the secret");
    if (mv_uuid_is_null(def->uuid) && (r = mv_uuid_generate(def->uuid)) < 0) {
        mv_secret_def_free(def);
        return r;
    }
    pthread_mutex_lock(&storaged_secrets.change_lock);
    r = define_locked(call, def, ret);
    pthread_mutex_unlock(&storaged_secrets.change_lock);
    return r;
}

/* ---- the table (the event procedures are in secret_events.c) ---- */

static const struct mv_dispatch_entry secret_procs[] = {
    MV_HANDLER(CONNECT_LIST_ALL_SECRETS, list_all),
    MV_HANDLER(CONNECT_NUM_OF_SECRETS, num_of_secrets),
    MV_HANDLER(CONNECT_LIST_SECRETS, list_uuids),
    MV_HANDLER(SECRET_LOOKUP_BY_UUID, lookup_by_uuid),
    MV_HANDLER(SECRET_LOOKUP_BY_USAGE, lookup_by_usage),
    MV_HANDLER(SECRET_DEFINE_XML, define_xml),
    MV_HANDLER(SECRET_GET_XML_DESC, get_xml_desc),
    MV_HANDLER(SECRET_SET_VALUE, set_value),
    MV_HANDLER(SECRET_GET_VALUE, get_value),
    MV_HANDLER(SECRET_UNDEFINE, undefine),
    MV_HANDLER(CONNECT_SECRET_EVENT_REGISTER_ANY, storaged_secret_event_register),
    MV_HANDLER(CONNECT_SECRET_EVENT_DEREGISTER_ANY, storaged_secret_event_deregister),
};
const struct mv_dispatch_table storaged_secret_table = { secret_procs, MV_ARRAY_SIZE(secret_procs) };
