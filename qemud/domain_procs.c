/*
 * Domain procedures that do not run QEMU: listing, lookup, define and
 * undefine, and the queries virsh list / dominfo / dumpxml send.  They read
 * state under the domain lock only, so they run inline on the RPC loop and
 * answer at once even while a job on the same domain waits for QEMU.
 */
#define MV_LOG_MODULE "qemud.domain"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_address.h"
#include "domain_events.h"
#include "domain_job.h"
#include "domain_store.h"
#include "domain_wire.h"
#include "guest_path_policy.h"
#include "log.h"
#include "nvram.h"
#include "proc_stat.h"
#include "qemud.h"
#include "snapshot_store.h"
#include "save_procs.h"
#include "tpm.h"

/* VIR_CONNECT_LIST_DOMAINS_* (wire-protocol.md 8.13) */
enum {
    LIST_ACTIVE = 1, LIST_INACTIVE = 2, LIST_PERSISTENT = 4, LIST_TRANSIENT = 8,
    LIST_RUNNING = 16, LIST_PAUSED = 32, LIST_SHUTOFF = 64, LIST_OTHER = 128,
    LIST_MANAGEDSAVE = 256, LIST_NO_MANAGEDSAVE = 512, LIST_AUTOSTART = 1024, LIST_NO_AUTOSTART = 2048,
    LIST_HAS_SNAPSHOT = 4096, LIST_NO_SNAPSHOT = 8192, LIST_HAS_CHECKPOINT = 16384,
    LIST_NO_CHECKPOINT = 32768,
};
#define LIST_ALL_DOMAINS_FLAGS 0xffffu

/* DOMAIN_DEFINE_XML_FLAGS: VALIDATE (our parser always refuses what it cannot honour) */
#define DEFINE_VALIDATE 1u
/* DOMAIN_UNDEFINE_FLAGS: managed save, snapshots, nvram, keep nvram, checkpoints, tpm, keep tpm:
 * managed save, nvram and the TPM ones decide about those files (qemud/tpm.h for the TPM state),
 * SNAPSHOTS_METADATA lets a domain with snapshots go (their metadata with it); modvirt keeps no
 * checkpoints, so that one is trivially satisfied */
#define UNDEFINE_FLAGS 0x7fu
enum { UNDEFINE_MANAGED_SAVE = 1, UNDEFINE_SNAPSHOTS_METADATA = 2, UNDEFINE_NVRAM = 4, UNDEFINE_KEEP_NVRAM = 8 };
/* DOMAIN_GET_XML_DESC */
enum { XML_SECURE = 1, XML_INACTIVE = 2, XML_UPDATE_CPU = 4, XML_MIGRATABLE = 8 };
/* virDomainModificationImpact and the vcpu / memory bits */
enum { AFFECT_LIVE = 1, AFFECT_CONFIG = 2, VCPU_MAXIMUM = 4, VCPU_GUEST = 8, MEM_MAXIMUM = 4 };

/* ---- listing ---- */

static bool group_ok(unsigned int flags, unsigned int yes, unsigned int no, bool value)
{
    unsigned int g = flags & (yes | no);

    return g == 0 || g == (yes | no) || (value ? (g & yes) : (g & no));
}

static bool list_wants(struct qemud_dom *dom, unsigned int flags)
{
    int state = dom->state;
    bool other = state != QEMUD_STATE_RUNNING && state != QEMUD_STATE_PAUSED && state != QEMUD_STATE_SHUTOFF;
    unsigned int states = flags & (LIST_RUNNING | LIST_PAUSED | LIST_SHUTOFF | LIST_OTHER);

    if (!group_ok(flags, LIST_ACTIVE, LIST_INACTIVE, qemud_dom_is_active(dom)) ||
        !group_ok(flags, LIST_PERSISTENT, LIST_TRANSIENT, dom->def != NULL) ||
        !group_ok(flags, LIST_MANAGEDSAVE, LIST_NO_MANAGEDSAVE,
                  (flags & (LIST_MANAGEDSAVE | LIST_NO_MANAGEDSAVE)) && dom->def && qemud_managed_save_exists(dom->name)) ||
        !group_ok(flags, LIST_AUTOSTART, LIST_NO_AUTOSTART, dom->autostart) ||
        !group_ok(flags, LIST_HAS_SNAPSHOT, LIST_NO_SNAPSHOT, qemud_snap_store_count(dom->name) > 0) ||
        !group_ok(flags, LIST_HAS_CHECKPOINT, LIST_NO_CHECKPOINT, false))
        return false;
    return !states || ((states & LIST_RUNNING) && state == QEMUD_STATE_RUNNING) ||
           ((states & LIST_PAUSED) && state == QEMUD_STATE_PAUSED) ||
           ((states & LIST_SHUTOFF) && state == QEMUD_STATE_SHUTOFF) || ((states & LIST_OTHER) && other);
}

static int list_all_domains(struct mv_call *call, mv_connect_list_all_domains_args *args,
                            mv_connect_list_all_domains_ret *ret)
{
    struct qemud_dom **doms = NULL;
    size_t n = 0, count = 0;
    int r;

    if (args->flags & ~LIST_ALL_DOMAINS_FLAGS)
        return qemud_bad_flags(call, args->flags & ~LIST_ALL_DOMAINS_FLAGS, "virConnectListAllDomains");
    if ((r = qemud_registry_list(&doms, &n)) < 0)
        return r;
    if (n > MV_DOMAIN_LIST_MAX) {
        qemud_dom_list_free(doms, n);
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "too many domains: %zu > %d", n, MV_DOMAIN_LIST_MAX);
    }
    if (args->need_results && !(ret->domains.domains_val = calloc(n ? n : 1, sizeof(mv_nonnull_domain)))) {
        qemud_dom_list_free(doms, n);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n; i++) {
        bool want;

        pthread_mutex_lock(&doms[i]->lock);
        want = list_wants(doms[i], args->flags);
        pthread_mutex_unlock(&doms[i]->lock);
        if (!want)
            continue;
        if (args->need_results && qemud_dom_to_wire(doms[i], &ret->domains.domains_val[count]) < 0) {
            ret->domains.domains_len = (unsigned int)count;
            qemud_dom_list_free(doms, n);
            return -ENOMEM;
        }
        count++;
    }
    ret->domains.domains_len = args->need_results ? (unsigned int)count : 0;
    ret->ret = (unsigned int)count;
    qemud_dom_list_free(doms, n);
    return 0;
}

/* Counts (and collects, up to MAX) the active or the inactive persistent domains. */
static int collect(bool active, int max, int *ids, char **names, int *count)
{
    struct qemud_dom **doms = NULL;
    size_t n = 0;
    int r;

    if ((r = qemud_registry_list(&doms, &n)) < 0)
        return r;
    *count = 0;
    for (size_t i = 0; i < n && (max < 0 || *count < max); i++) {
        struct qemud_dom *d = doms[i];
        bool match;
        int id;

        pthread_mutex_lock(&d->lock);
        id = d->id;
        match = active ? qemud_dom_is_active(d) : (!qemud_dom_is_active(d) && d->def);
        pthread_mutex_unlock(&d->lock);
        if (!match)
            continue;
        if (ids)
            ids[*count] = id;
        if (names && !(names[*count] = strdup(d->name))) {
            qemud_dom_list_free(doms, n);
            return -ENOMEM;
        }
        (*count)++;
    }
    qemud_dom_list_free(doms, n);
    return 0;
}

static int num_of_domains(struct mv_call *call, void *args, mv_connect_num_of_domains_ret *ret)
{
    return collect(true, -1, NULL, NULL, &ret->num);
}

static int list_domains(struct mv_call *call, mv_connect_list_domains_args *args,
                        mv_connect_list_domains_ret *ret)
{
    int n = 0, r;

    if (args->maxids < 0 || args->maxids > MV_DOMAIN_LIST_MAX)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC,
                             "too many domain ids requested: %d > %d", args->maxids, MV_DOMAIN_LIST_MAX);
    if (!(ret->ids.ids_val = calloc((size_t)args->maxids + 1, sizeof(int))))
        return -ENOMEM;
    r = collect(true, args->maxids, ret->ids.ids_val, NULL, &n);
    ret->ids.ids_len = (unsigned int)n;
    return r;
}

static int num_of_defined_domains(struct mv_call *call, void *args,
                                  mv_connect_num_of_defined_domains_ret *ret)
{
    return collect(false, -1, NULL, NULL, &ret->num);
}

static int list_defined_domains(struct mv_call *call, mv_connect_list_defined_domains_args *args,
                                mv_connect_list_defined_domains_ret *ret)
{
    int n = 0, r;

    if (args->maxnames < 0 || args->maxnames > MV_DOMAIN_LIST_MAX)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC,
                             "too many domain names requested: %d > %d", args->maxnames,
                             MV_DOMAIN_LIST_MAX);
    if (!(ret->names.names_val = calloc((size_t)args->maxnames + 1, sizeof(char *))))
        return -ENOMEM;
    r = collect(false, args->maxnames, NULL, ret->names.names_val, &n);
    ret->names.names_len = (unsigned int)n;
    return r;
}

/* ---- lookup ---- */

static int found(struct mv_call *call, struct qemud_dom *dom, mv_nonnull_domain *wire, const char *how,
                 const char *what)
{
    int r;

    if (!dom)
        return mv_call_error(call, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
                             "Domain not found: no domain with matching %s '%s'", how, what);
    r = qemud_dom_to_wire(dom, wire);
    qemud_dom_unref(dom);
    return r;
}

static int lookup_by_name(struct mv_call *call, mv_domain_lookup_by_name_args *args,
                          mv_domain_lookup_by_name_ret *ret)
{
    return found(call, qemud_registry_find_name(args->name), &ret->dom, "name", args->name);
}

static int lookup_by_uuid(struct mv_call *call, mv_domain_lookup_by_uuid_args *args,
                          mv_domain_lookup_by_uuid_ret *ret)
{
    char uuid[MV_UUID_STRING_LEN];

    mv_uuid_format((const unsigned char *)args->uuid, uuid);
    return found(call, qemud_registry_find_uuid((const unsigned char *)args->uuid), &ret->dom, "uuid", uuid);
}

static int lookup_by_id(struct mv_call *call, mv_domain_lookup_by_id_args *args,
                        mv_domain_lookup_by_id_ret *ret)
{
    char id[16];

    snprintf(id, sizeof(id), "%d", args->id);
    return found(call, qemud_registry_find_id(args->id), &ret->dom, "id", id);
}

/* ---- define / undefine ---- */

static int define_conflict(struct mv_call *call, struct qemud_dom *holder, const struct mv_dom_def *def)
{
    char uuid[MV_UUID_STRING_LEN];

    mv_uuid_format(def->uuid, uuid);
    if (strcmp(holder->name, def->name) == 0)
        return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                             "operation failed: domain '%s' already exists with uuid %s", holder->name,
                             holder->uuid_str);
    return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                         "operation failed: domain '%s' is already defined with uuid %s", holder->name, uuid);
}

/* Replaces the persistent definition of DOM (its job held). */
static int define_update(struct mv_call *call, struct qemud_dom *dom, struct mv_dom_def **def, bool *added)
{
    struct mv_err err = { 0 };

    if (qemud_store_save_config(*def, &err) < 0)
        return qemud_call_fail(call, &err);
    pthread_mutex_lock(&dom->lock);
    *added = dom->def == NULL;      /* a transient domain becomes persistent */
    mv_dom_def_free(dom->def);
    dom->def = TAKE_PTR(*def);
    if (qemud_dom_is_active(dom))
        dom->updated = true;
    pthread_mutex_unlock(&dom->lock);
    return 0;
}

/* A new domain, added with its job taken: defined and saved before anyone
 * else can act on it; gone again if it cannot be saved. */
static int define_new(struct mv_call *call, struct qemud_dom *dom, struct mv_dom_def **def)
{
    struct mv_err err = { 0 };

    dom->def = TAKE_PTR(*def);
    pthread_mutex_unlock(&dom->lock);
    if (qemud_store_save_config(dom->def, &err) < 0) {
        qemud_registry_remove(dom);
        qemud_job_end(dom);
        return qemud_call_fail(call, &err);
    }
    return 0;
}

/* How often define retries when the holder of its name goes away while it
 * waits (each retry means another client removed it: it cannot loop long) */
#define DEFINE_RETRIES 8

static int define(struct mv_call *call, const char *xml, mv_nonnull_domain *ret)
{
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    _cleanup_free_ char *msg = NULL;
    struct mv_err err = { 0 };
    bool added = true;
    int r, code = MV_ERR_XML_ERROR;

    if ((r = mv_dom_def_parse(xml, 0, &def, &code, &msg)) < 0)
        return mv_call_error(call, code, MV_FROM_DOMAIN, "%s", msg ? msg : "XML error: cannot parse");
    /* a host path no guest may have is refused before anything is kept */
    if ((r = qemud_path_policy_check_def(def, &err)) < 0)
        return qemud_call_fail(call, &err);
    /* libvirt 9.0 names the store at define, the firmware at start */
    if ((r = mv_nvram_fill_path(def, qemud.paths->statedir)) < 0)
        return r;
    /* addresses are part of the definition from now on: stable across edits */
    if ((r = mv_dom_assign_addresses(def, &code, &msg)) < 0)
        return mv_call_error(call, code, MV_FROM_DOMAIN, "%s", msg ? msg : "cannot assign device addresses");
    for (int tries = 0;; tries++) {
        _cleanup_dom_unref_ struct qemud_dom *holder = NULL;

        r = qemud_registry_add(def->name, def->uuid, "define", &dom, &holder);
        if (r == 0) {
            if ((r = define_new(call, dom, &def)) < 0)
                return r;
            break;
        }
        if (r != -EEXIST)
            return r;
        if (strcmp(holder->name, def->name) != 0 || memcmp(holder->uuid, def->uuid, MV_UUID_LEN) != 0)
            return define_conflict(call, holder, def);
        r = qemud_job_begin(holder, "define", (int)qemud.job_wait_ms, &err);
        if (r == -ENOENT && tries < DEFINE_RETRIES) {
            mv_err_clear(&err);     /* undefined while we waited: add it afresh */
            continue;
        }
        if (r < 0)
            return qemud_call_fail(call, &err);
        dom = TAKE_PTR(holder);
        if ((r = define_update(call, dom, &def, &added)) < 0) {
            qemud_job_end(dom);
            return r;
        }
        break;
    }
    /* the event before the job ends: a later undefine's event comes after it */
    mv_info("domain '%s' %s", dom->name, added ? "defined" : "updated");
    qemud_event_lifecycle(dom, dom->id, QEMUD_EVENT_DEFINED,
                          added ? QEMUD_DETAIL_DEFINED_ADDED : QEMUD_DETAIL_DEFINED_UPDATED);
    r = qemud_dom_to_wire(dom, ret);
    qemud_job_end(dom);
    return r;
}

static int define_xml(struct mv_call *call, mv_domain_define_xml_args *args, mv_domain_define_xml_ret *ret)
{
    return define(call, args->xml, &ret->dom);
}

static int define_xml_flags(struct mv_call *call, mv_domain_define_xml_flags_args *args,
                            mv_domain_define_xml_flags_ret *ret)
{
    if (args->flags & ~DEFINE_VALIDATE)
        return qemud_bad_flags(call, args->flags & ~DEFINE_VALIDATE, "virDomainDefineXMLFlags");
    return define(call, args->xml, &ret->dom);
}

/*
 * The domain's UEFI variable store, as libvirt treats it: undefine refuses
 * while it exists unless told to remove it (NVRAM) or keep it (KEEP_NVRAM).
 * *DOOMED is the store to remove, and it goes only once the definition is
 * gone from disk: stopped at any point, or failing, an undefine loses no
 * store a definition still names (at worst an orphaned file stays).
 */
static int check_nvram(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, char **doomed)
{
    _cleanup_free_ char *path = NULL;

    *doomed = NULL;
    if (mv_nvram_existing(dom->def, qemud.paths->statedir, &path) < 0)
        return -ENOMEM;
    if (!path || (flags & UNDEFINE_KEEP_NVRAM))
        return 0;
    if (!(flags & UNDEFINE_NVRAM))
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: cannot undefine domain with nvram "
                             "('%s' of domain '%s'; use --nvram to remove it or --keep-nvram)", path, dom->name);
    *doomed = TAKE_PTR(path);
    return 0;
}

/* The definition is gone already: a store that cannot be removed now is
 * only an orphaned file (QEMU of a running domain may still write it). */
static void remove_nvram(const struct qemud_dom *dom, const char *path)
{
    if (path && unlink(path) < 0 && errno != ENOENT)
        mv_error("domain '%s' is undefined, but its nvram '%s' could not be removed: %s", dom->name, path,
                 strerror(errno));
}

/* FLAGS of an undefine decide what the stop of running DOM removes (its
 * TPM state): written to its status file before the definition goes, so a
 * daemon restarted at any later point knows them (with a definition still
 * on disk they mean nothing).  Job held. */
static int record_undefine_flags(struct qemud_dom *dom, unsigned int flags, struct mv_err *err)
{
    _cleanup_free_ char *xml = NULL;

    pthread_mutex_lock(&dom->lock);
    dom->undefine_flags = flags;
    pthread_mutex_unlock(&dom->lock);
    if (!(xml = qemud_store_status_xml(dom, NULL)) || qemud_store_write_status(dom->name, xml) < 0)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: cannot undefine domain '%s': its status file cannot be written",
                          dom->name);
    return 0;
}

/* The definition of DOM (job held) off the disk, for an undefine with
 * FLAGS; a running domain records FLAGS first.  On failure DOM is as it was. */
static int delete_definition(struct qemud_dom *dom, bool active, unsigned int flags, struct mv_err *err)
{
    unsigned int before = dom->undefine_flags;      /* changed only with the job held */
    struct mv_err undo = { 0 };

    if (active && record_undefine_flags(dom, flags, err) < 0)
        return -EIO;
    if (qemud_store_delete_config(dom->name, err) < 0) {
        /* harmless if it fails: flags mean nothing while a definition exists */
        if (active && record_undefine_flags(dom, before, &undo) < 0)
            mv_err_clear(&undo);
        return -EIO;
    }
    return 0;
}

static int undefine_dom(struct mv_call *call, const mv_nonnull_domain *wire, unsigned int flags)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, wire);
    _cleanup_free_ char *nvram = NULL;
    _cleanup_dom_def_ struct mv_dom_def *old = NULL;
    struct mv_err err = { 0 };
    size_t nsnaps;
    bool active;
    int id, r;

    if (!dom)
        return -EIO;
    if ((flags & UNDEFINE_NVRAM) && (flags & UNDEFINE_KEEP_NVRAM))
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: cannot both keep and delete nvram");
    if ((flags & QEMUD_UNDEFINE_TPM) && (flags & QEMUD_UNDEFINE_KEEP_TPM))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: flags 'VIR_DOMAIN_UNDEFINE_TPM' and "
                             "'VIR_DOMAIN_UNDEFINE_KEEP_TPM' are mutually exclusive");
    if (qemud_job_begin(dom, "undefine", (int)qemud.job_wait_ms, &err) < 0)
        return qemud_call_fail(call, &err);
    if (!dom->def) {
        qemud_job_end(dom);
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: cannot undefine transient domain '%s'",
                             dom->name);
    }
    pthread_mutex_lock(&dom->lock);
    active = qemud_dom_is_active(dom);      /* stays so: stops take the job */
    pthread_mutex_unlock(&dom->lock);
    nsnaps = qemud_snap_store_count(dom->name);     /* changed only with the job held */
    if (nsnaps && !(flags & UNDEFINE_SNAPSHOTS_METADATA)) {
        qemud_job_end(dom);
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: cannot undefine domain '%s' with %zu snapshots "
                             "(VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA removes their metadata)", dom->name, nsnaps);
    }
    if ((r = check_nvram(call, dom, flags, &nvram)) < 0) {
        qemud_job_end(dom);
        return r;
    }
    /* as libvirt: the image would restore a domain nobody can name any more */
    if (!(flags & UNDEFINE_MANAGED_SAVE) && qemud_managed_save_exists(dom->name)) {
        qemud_job_end(dom);
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: Refusing to undefine while domain managed save "
                             "image exists (domain '%s'; use --managed-save to remove it)", dom->name);
    }
    if ((flags & UNDEFINE_MANAGED_SAVE) && (r = qemud_managed_save_remove(dom->name)) < 0) {
        qemud_job_end(dom);
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                             "cannot remove the managed save image of domain '%s': %s", dom->name, strerror(-r));
    }
    if (delete_definition(dom, active, flags, &err) < 0) {
        qemud_job_end(dom);
        return qemud_call_fail(call, &err);
    }
    remove_nvram(dom, nvram);
    if (nsnaps && qemud_snap_store_remove_all(dom->name, &err) < 0) {
        mv_warn("domain '%s' undefined, but its snapshot metadata stays: %s", dom->name, err.message);
        mv_err_clear(&err);
    }
    pthread_mutex_lock(&dom->lock);
    old = TAKE_PTR(dom->def);
    dom->autostart = false;
    dom->updated = false;
    dom->undefine_flags = flags;
    id = dom->id;
    pthread_mutex_unlock(&dom->lock);
    /* a running domain's TPM state is decided when it stops (it is transient then) */
    if (!active && qemud_tpm_state_goes(old, flags))
        qemud_tpm_remove_state(qemud.paths->statedir, dom->uuid_str, dom->name);
    if (!active)
        qemud_registry_remove(dom);     /* jobs waiting for it fail with "no domain" */
    mv_info("domain '%s' undefined", dom->name);
    qemud_event_lifecycle(dom, id, QEMUD_EVENT_UNDEFINED, QEMUD_DETAIL_UNDEFINED_REMOVED);
    qemud_job_end(dom);
    return 0;
}

static int undefine(struct mv_call *call, mv_domain_args *args, void *ret)
{
    return undefine_dom(call, &args->dom, 0);
}

static int undefine_flags(struct mv_call *call, mv_domain_flags_args *args, void *ret)
{
    if (args->flags & ~UNDEFINE_FLAGS)
        return qemud_bad_flags(call, args->flags & ~UNDEFINE_FLAGS, "virDomainUndefineFlags");
    return undefine_dom(call, &args->dom, args->flags);
}

/* ---- queries ---- */

/* Looks up the call's domain and locks it; NULL (error set) if unknown.
 * A transient domain that stopped has no definition left for the moment
 * before it leaves the registry: it is gone already. */
static struct qemud_dom *get_locked(struct mv_call *call, const mv_nonnull_domain *wire)
{
    struct qemud_dom *dom = qemud_dom_from_wire(call, wire);

    if (!dom)
        return NULL;
    pthread_mutex_lock(&dom->lock);
    if (!qemud_dom_current_def(dom)) {
        pthread_mutex_unlock(&dom->lock);
        mv_call_error(call, MV_ERR_NO_DOMAIN, MV_FROM_QEMU, "Domain not found: no domain with matching uuid '%s' (%s)",
                      dom->uuid_str, dom->name);
        qemud_dom_unref(dom);
        return NULL;
    }
    return dom;
}

static void put_locked(struct qemud_dom *dom)
{
    pthread_mutex_unlock(&dom->lock);
    qemud_dom_unref(dom);
}

static int get_state(struct mv_call *call, mv_domain_flags_args *args, mv_domain_get_state_ret *ret)
{
    struct qemud_dom *dom;

    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainGetState");
    if (!(dom = get_locked(call, &args->dom)))
        return -EIO;
    ret->state = dom->state;
    ret->reason = dom->reason;
    put_locked(dom);
    return 0;
}

/* CPU time of PID in nanoseconds (user + kernel). */
static unsigned long long cpu_time_ns(pid_t pid)
{
    struct qemud_proc_stat st;
    long hz = sysconf(_SC_CLK_TCK);

    if (hz <= 0 || qemud_proc_stat_read(pid, &st) < 0)
        return 0;
    return (st.utime + st.stime) * (1000000000ull / (unsigned long long)hz);
}

static int get_info(struct mv_call *call, mv_domain_args *args, mv_domain_get_info_ret *ret)
{
    struct qemud_dom *dom = get_locked(call, &args->dom);
    const struct mv_dom_def *def;

    if (!dom)
        return -EIO;
    def = qemud_dom_current_def(dom);
    ret->state = (unsigned char)dom->state;
    ret->maxMem = def->memory_kib;
    ret->memory = def->current_memory_kib;
    ret->nrVirtCpu = (unsigned short)def->vcpus_current;
    ret->cpuTime = qemud_dom_is_active(dom) ? cpu_time_ns(dom->pid) : 0;
    put_locked(dom);
    return 0;
}

static int get_control_info(struct mv_call *call, mv_domain_flags_args *args,
                            mv_domain_get_control_info_ret *ret)
{
    struct qemud_dom *dom;

    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainGetControlInfo");
    if (!(dom = get_locked(call, &args->dom)))
        return -EIO;
    if (!qemud_dom_is_active(dom)) {
        put_locked(dom);
        return qemud_error_not_running(call, dom);
    }
    /* state 0 = OK, 1 = JOB: a job is talking to QEMU */
    ret->state = dom->job ? 1 : 0;
    ret->details = 0;
    ret->stateTime = 0;
    put_locked(dom);
    return 0;
}

static int get_xml_desc(struct mv_call *call, mv_domain_flags_args *args, mv_domain_get_xml_desc_ret *ret)
{
    const unsigned int known = XML_SECURE | XML_INACTIVE | XML_UPDATE_CPU | XML_MIGRATABLE;
    struct mv_dom_live_info live;
    struct mv_dom_def *def;
    struct qemud_dom *dom;
    unsigned int fmt = 0;
    bool inactive, is_live;
    int r;

    if (args->flags & ~known)
        return qemud_bad_flags(call, args->flags & ~known, "virDomainGetXMLDesc");
    if ((args->flags & XML_SECURE) && mv_call_identity(call)->readonly)
        return mv_call_error(call, MV_ERR_OPERATION_DENIED, MV_FROM_QEMU,
                             "operation forbidden: virDomainGetXMLDesc with secure flag");
    if (args->flags & XML_SECURE)
        fmt |= MV_DOM_FORMAT_SECURE;
    if (!(dom = get_locked(call, &args->dom)))
        return -EIO;
    inactive = (args->flags & XML_INACTIVE) && dom->def;
    def = inactive ? dom->def : qemud_dom_current_def(dom);
    mv_dom_def_ref(def);
    /* not by pointer alone: a starting domain shows dom->def as its live one */
    is_live = !inactive && def == dom->live;
    live.id = dom->id;
    put_locked(dom);
    /* formatting, the slow part, on the snapshot and outside the lock */
    r = mv_dom_def_format(def, is_live ? &live : NULL, fmt, &ret->xml);
    mv_dom_def_free(def);
    return r;
}

static int get_os_type(struct mv_call *call, mv_domain_args *args, mv_domain_get_os_type_ret *ret)
{
    struct qemud_dom *dom = get_locked(call, &args->dom);

    if (!dom)
        return -EIO;
    ret->type = strdup(qemud_dom_current_def(dom)->os.type ? qemud_dom_current_def(dom)->os.type : "hvm");
    put_locked(dom);
    return ret->type ? 0 : -ENOMEM;
}

static int get_max_memory(struct mv_call *call, mv_domain_args *args, mv_domain_get_max_memory_ret *ret)
{
    struct qemud_dom *dom = get_locked(call, &args->dom);

    if (!dom)
        return -EIO;
    ret->memory = qemud_dom_current_def(dom)->memory_kib;
    put_locked(dom);
    return 0;
}

static int get_max_vcpus(struct mv_call *call, mv_domain_args *args, mv_domain_get_max_vcpus_ret *ret)
{
    struct qemud_dom *dom = get_locked(call, &args->dom);

    if (!dom)
        return -EIO;
    if (!qemud_dom_is_active(dom)) {
        put_locked(dom);
        return qemud_error_not_running(call, dom);
    }
    ret->num = (int)dom->live->vcpus;
    put_locked(dom);
    return 0;
}

static int get_vcpus_flags(struct mv_call *call, mv_domain_flags_args *args, mv_domain_get_vcpus_flags_ret *ret)
{
    const unsigned int known = AFFECT_LIVE | AFFECT_CONFIG | VCPU_MAXIMUM | VCPU_GUEST;
    const struct mv_dom_def *def;
    struct qemud_dom *dom;

    if (args->flags & ~known)
        return qemud_bad_flags(call, args->flags & ~known, "virDomainGetVcpusFlags");
    if ((args->flags & AFFECT_LIVE) && (args->flags & AFFECT_CONFIG))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: flags 'live' and 'config' are mutually exclusive");
    if (args->flags & VCPU_GUEST)
        return mv_call_error(call, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_QEMU,
                             "argument unsupported: guest vCPU counts need the guest agent, which modvirt does not use yet");
    if (!(dom = get_locked(call, &args->dom)))
        return -EIO;
    if ((args->flags & AFFECT_LIVE) && !qemud_dom_is_active(dom)) {
        put_locked(dom);
        return qemud_error_not_running(call, dom);
    }
    if ((args->flags & AFFECT_CONFIG) && !dom->def) {
        put_locked(dom);
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: transient domain '%s' has no persistent config",
                             dom->name);
    }
    def = (args->flags & AFFECT_CONFIG) ? dom->def : qemud_dom_current_def(dom);
    ret->num = (int)((args->flags & VCPU_MAXIMUM) ? def->vcpus : def->vcpus_current);
    put_locked(dom);
    return 0;
}

static int is_active(struct mv_call *call, mv_domain_args *args, mv_domain_is_active_ret *ret)
{
    struct qemud_dom *dom = get_locked(call, &args->dom);

    if (!dom)
        return -EIO;
    ret->active = qemud_dom_is_active(dom);
    put_locked(dom);
    return 0;
}

static int is_persistent(struct mv_call *call, mv_domain_args *args, mv_domain_is_persistent_ret *ret)
{
    struct qemud_dom *dom = get_locked(call, &args->dom);

    if (!dom)
        return -EIO;
    ret->persistent = dom->def != NULL;
    put_locked(dom);
    return 0;
}

static int is_updated(struct mv_call *call, mv_domain_args *args, mv_domain_is_updated_ret *ret)
{
    struct qemud_dom *dom = get_locked(call, &args->dom);

    if (!dom)
        return -EIO;
    ret->updated = dom->updated;
    put_locked(dom);
    return 0;
}

static int get_autostart(struct mv_call *call, mv_domain_args *args, mv_domain_get_autostart_ret *ret)
{
    struct qemud_dom *dom = get_locked(call, &args->dom);

    if (!dom)
        return -EIO;
    ret->autostart = dom->autostart;
    put_locked(dom);
    return 0;
}

static int set_autostart(struct mv_call *call, mv_domain_set_autostart_args *args, void *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);
    struct mv_err err = { 0 };

    if (!dom)
        return -EIO;
    if (qemud_job_begin(dom, "autostart", (int)qemud.job_wait_ms, &err) < 0)
        return qemud_call_fail(call, &err);
    if (!dom->def) {
        qemud_job_end(dom);
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: cannot set autostart for transient domain '%s'",
                             dom->name);
    }
    if (qemud_store_set_autostart(dom->name, args->autostart != 0, &err) < 0) {
        qemud_job_end(dom);
        return qemud_call_fail(call, &err);
    }
    pthread_mutex_lock(&dom->lock);
    dom->autostart = args->autostart != 0;
    pthread_mutex_unlock(&dom->lock);
    qemud_job_end(dom);
    return 0;
}

/* A stat of the image's path: quick enough for the loop.  No labels or messages are kept
 * (below); snapshots: snapshot_procs.c. */
static int has_managed_save_image(struct mv_call *call, mv_domain_flags_args *args,
                                  mv_domain_has_managed_save_image_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);

    if (!dom)
        return -EIO;
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainHasManagedSaveImage");
    ret->result = qemud_managed_save_exists(dom->name);
    return 0;
}

static int get_security_label(struct mv_call *call, mv_domain_args *args,
                              mv_domain_get_security_label_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);

    if (!dom)
        return -EIO;
    ret->label.label_len = 0;       /* no security driver: no label */
    ret->enforcing = 0;
    return 0;
}

static int get_messages(struct mv_call *call, mv_domain_flags_args *args, mv_domain_get_messages_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);

    if (!dom)
        return -EIO;
    ret->msgs.msgs_len = 0;
    return 0;
}

static const struct mv_dispatch_entry domain_procs[] = {
    MV_HANDLER(CONNECT_LIST_ALL_DOMAINS, list_all_domains),
    MV_HANDLER(CONNECT_NUM_OF_DOMAINS, num_of_domains),
    MV_HANDLER(CONNECT_LIST_DOMAINS, list_domains),
    MV_HANDLER(CONNECT_NUM_OF_DEFINED_DOMAINS, num_of_defined_domains),
    MV_HANDLER(CONNECT_LIST_DEFINED_DOMAINS, list_defined_domains),
    MV_HANDLER(DOMAIN_LOOKUP_BY_NAME, lookup_by_name),
    MV_HANDLER(DOMAIN_LOOKUP_BY_UUID, lookup_by_uuid),
    MV_HANDLER(DOMAIN_LOOKUP_BY_ID, lookup_by_id),
    /* define/undefine write files (fsync) and may wait for a job: workers */
    MV_HANDLER(DOMAIN_DEFINE_XML, define_xml),
    MV_HANDLER(DOMAIN_DEFINE_XML_FLAGS, define_xml_flags),
    MV_HANDLER(DOMAIN_UNDEFINE, undefine),
    MV_HANDLER(DOMAIN_UNDEFINE_FLAGS, undefine_flags),
    MV_HANDLER(DOMAIN_SET_AUTOSTART, set_autostart),
    MV_HANDLER(DOMAIN_GET_STATE, get_state),
    MV_HANDLER(DOMAIN_GET_INFO, get_info),
    MV_HANDLER(DOMAIN_GET_CONTROL_INFO, get_control_info),
    MV_HANDLER(DOMAIN_GET_XML_DESC, get_xml_desc),
    MV_HANDLER(DOMAIN_GET_OS_TYPE, get_os_type),
    MV_HANDLER(DOMAIN_GET_MAX_MEMORY, get_max_memory),
    MV_HANDLER(DOMAIN_GET_MAX_VCPUS, get_max_vcpus),
    MV_HANDLER(DOMAIN_GET_VCPUS_FLAGS, get_vcpus_flags),
    MV_HANDLER(DOMAIN_IS_ACTIVE, is_active),
    MV_HANDLER(DOMAIN_IS_PERSISTENT, is_persistent),
    MV_HANDLER(DOMAIN_IS_UPDATED, is_updated),
    MV_HANDLER(DOMAIN_GET_AUTOSTART, get_autostart),
    MV_HANDLER(DOMAIN_HAS_MANAGED_SAVE_IMAGE, has_managed_save_image),
    MV_HANDLER(DOMAIN_GET_SECURITY_LABEL, get_security_label),
    MV_HANDLER(DOMAIN_GET_MESSAGES, get_messages),
};
const struct mv_dispatch_table qemud_domain_table = { domain_procs, MV_ARRAY_SIZE(domain_procs) };
