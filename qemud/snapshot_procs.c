/*
 * Domain snapshot procedures (DOMAIN_SNAPSHOT_*): queries answer inline
 * from the metadata store (snapshot_store.h); create, revert and delete
 * take the domain's job and run on workers, since they wait for QEMU or
 * qemu-img.  Internal snapshots (running or shut off) and external
 * disk-only snapshots (running or shut off); what is not supported is
 * refused by name.
 */
#define MV_LOG_MODULE "qemud.snapshot"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "domain_job.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "domain_replace.h"
#include "domain_store.h"
#include "domain_wire.h"
#include "guest_path_policy.h"
#include "image_chain.h"
#include "log.h"
#include "qemud.h"
#include "snapshot_priv.h"
#include "snapshot_store.h"

/* virDomainSnapshotCreateFlags */
enum {
    CREATE_REDEFINE = 1, CREATE_CURRENT = 2, CREATE_NO_METADATA = 4, CREATE_HALT = 8, CREATE_DISK_ONLY = 16,
    CREATE_REUSE_EXT = 32, CREATE_QUIESCE = 64, CREATE_ATOMIC = 128, CREATE_LIVE = 256, CREATE_VALIDATE = 512,
};
/* virDomainSnapshotRevertFlags */
enum { REVERT_RUNNING = 1, REVERT_PAUSED = 2, REVERT_FORCE = 4, REVERT_RESET_NVRAM = 8 };
/* virDomainSnapshotDeleteFlags */
enum { DELETE_CHILDREN = 1, DELETE_METADATA_ONLY = 2, DELETE_CHILDREN_ONLY = 4 };
/* virDomainSnapshotXMLFlags */
enum { XML_SECURE = 1 };

/* ---- naming snapshots on the wire ---- */

static int error_no_snapshot(struct mv_call *call, const char *name)
{
    return mv_call_error(call, MV_ERR_NO_DOMAIN_SNAPSHOT, MV_FROM_DOMAIN_SNAPSHOT,
                         "Domain snapshot not found: no domain snapshot with matching name '%s'", name);
}

/* The domain of snapshot WIRE, referenced, if it has that snapshot; NULL
 * with the call's error otherwise. */
static struct qemud_dom *snap_dom(struct mv_call *call, const mv_nonnull_domain_snapshot *wire)
{
    struct qemud_dom *dom = qemud_dom_from_wire(call, &wire->dom);

    if (dom && !qemud_snap_store_has(dom->name, wire->name)) {
        error_no_snapshot(call, wire->name);
        qemud_dom_unref(dom);
        return NULL;
    }
    return dom;
}

static int snap_to_wire(struct qemud_dom *dom, const char *name, mv_nonnull_domain_snapshot *wire)
{
    if (!(wire->name = strdup(name)))
        return -ENOMEM;
    return qemud_dom_to_wire(dom, &wire->dom);
}

/* ---- queries ---- */

static int check_list_flags(struct mv_call *call, unsigned int flags, const char *api)
{
    if (flags & ~QEMUD_SNAP_LIST_FLAGS)
        return qemud_bad_flags(call, flags & ~QEMUD_SNAP_LIST_FLAGS, api);
    return 0;
}

static int snapshot_num(struct mv_call *call, mv_domain_flags_args *args, mv_domain_snapshot_num_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);
    int r;

    if (!dom)
        return -EIO;
    if ((r = check_list_flags(call, args->flags, "virDomainSnapshotNum")) < 0)
        return r;
    if ((r = qemud_snap_store_list(dom->name, NULL, args->flags, NULL)) < 0)
        return r;
    ret->num = r;
    return 0;
}

/* NAMES (N of them, taken over) into a names reply of at most MAX. */
static int names_reply(struct mv_call *call, char **names, int n, int max, mv_domain_snapshot_names_ret *ret)
{
    if (max < 0 || max > MV_DOMAIN_SNAPSHOT_LIST_MAX) {
        qemud_snap_names_free(names, (size_t)n);
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC, "maxnames %d out of range (0..%d)", max,
                             MV_DOMAIN_SNAPSHOT_LIST_MAX);
    }
    for (int i = max; i < n; i++)
        free(names[i]);
    ret->names.names_len = (unsigned int)(n < max ? n : max);
    ret->names.names_val = names;
    return 0;
}

static int list_names(struct mv_call *call, mv_domain_snapshot_list_names_args *args,
                      mv_domain_snapshot_names_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);
    char **names = NULL;
    int r;

    if (!dom)
        return -EIO;
    if ((r = check_list_flags(call, args->flags, "virDomainSnapshotListNames")) < 0)
        return r;
    if ((r = qemud_snap_store_list(dom->name, NULL, args->flags, &names)) < 0)
        return r;
    return names_reply(call, names, r, args->maxnames, ret);
}

/* NAMES (N, taken over) as snapshots of DOM in a list reply. */
static int list_reply(struct qemud_dom *dom, char **names, int n, bool need_results, mv_domain_snapshot_list_ret *ret)
{
    int r = 0;

    ret->ret = n;
    if (need_results) {
        if (!(ret->snapshots.snapshots_val = calloc(n ? (size_t)n : 1, sizeof(mv_nonnull_domain_snapshot))))
            r = -ENOMEM;
        for (int i = 0; r == 0 && i < n; i++) {
            ret->snapshots.snapshots_len = (unsigned int)i + 1;
            r = snap_to_wire(dom, names[i], &ret->snapshots.snapshots_val[i]);
        }
    }
    qemud_snap_names_free(names, (size_t)n);
    return r;
}

static int list_all(struct mv_call *call, mv_domain_list_all_snapshots_args *args, mv_domain_snapshot_list_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);
    char **names = NULL;
    int r;

    if (!dom)
        return -EIO;
    if ((r = check_list_flags(call, args->flags, "virDomainListAllSnapshots")) < 0)
        return r;
    if ((r = qemud_snap_store_list(dom->name, NULL, args->flags, &names)) < 0)
        return r;
    return list_reply(dom, names, r, args->need_results, ret);
}

static int num_children(struct mv_call *call, mv_domain_snapshot_flags_args *args,
                        mv_domain_snapshot_num_children_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = snap_dom(call, &args->snap);
    int r;

    if (!dom)
        return -EIO;
    if ((r = check_list_flags(call, args->flags, "virDomainSnapshotNumChildren")) < 0)
        return r;
    if ((r = qemud_snap_store_list(dom->name, args->snap.name, args->flags, NULL)) < 0)
        return r;
    ret->num = r;
    return 0;
}

static int list_children_names(struct mv_call *call, mv_domain_snapshot_list_children_names_args *args,
                               mv_domain_snapshot_names_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = snap_dom(call, &args->snap);
    char **names = NULL;
    int r;

    if (!dom)
        return -EIO;
    if ((r = check_list_flags(call, args->flags, "virDomainSnapshotListChildrenNames")) < 0)
        return r;
    if ((r = qemud_snap_store_list(dom->name, args->snap.name, args->flags, &names)) < 0)
        return r;
    return names_reply(call, names, r, args->maxnames, ret);
}

static int list_all_children(struct mv_call *call, mv_domain_snapshot_list_all_children_args *args,
                             mv_domain_snapshot_list_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = snap_dom(call, &args->snapshot);
    char **names = NULL;
    int r;

    if (!dom)
        return -EIO;
    if ((r = check_list_flags(call, args->flags, "virDomainSnapshotListAllChildren")) < 0)
        return r;
    if ((r = qemud_snap_store_list(dom->name, args->snapshot.name, args->flags, &names)) < 0)
        return r;
    return list_reply(dom, names, r, args->need_results, ret);
}

static int lookup_by_name(struct mv_call *call, mv_domain_snapshot_lookup_by_name_args *args,
                          mv_domain_snapshot_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);

    if (!dom)
        return -EIO;
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainSnapshotLookupByName");
    if (!qemud_snap_store_has(dom->name, args->name))
        return error_no_snapshot(call, args->name);
    return snap_to_wire(dom, args->name, &ret->snap);
}

static int get_xml_desc(struct mv_call *call, mv_domain_snapshot_flags_args *args,
                        mv_domain_snapshot_get_xml_desc_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->snap.dom);
    _cleanup_snap_def_ struct qemud_snap_def *def = NULL;
    bool enomem;

    if (!dom)
        return -EIO;
    /* SECURE: the domain copy holds no secrets modvirt would hide */
    if (args->flags & ~(unsigned int)XML_SECURE)
        return qemud_bad_flags(call, args->flags & ~(unsigned int)XML_SECURE, "virDomainSnapshotGetXMLDesc");
    if (!(def = qemud_snap_store_get(dom->name, args->snap.name, &enomem)))
        return enomem ? -ENOMEM : error_no_snapshot(call, args->snap.name);
    return qemud_snap_def_format(def, 0, &ret->xml);
}

static int has_current(struct mv_call *call, mv_domain_flags_args *args, mv_domain_has_current_snapshot_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);
    _cleanup_free_ char *cur = NULL;

    if (!dom)
        return -EIO;
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainHasCurrentSnapshot");
    cur = qemud_snap_store_current(dom->name);
    ret->result = cur != NULL;
    return 0;
}

static int current(struct mv_call *call, mv_domain_flags_args *args, mv_domain_snapshot_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);
    _cleanup_free_ char *cur = NULL;

    if (!dom)
        return -EIO;
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainSnapshotCurrent");
    if (!(cur = qemud_snap_store_current(dom->name)))
        return mv_call_error(call, MV_ERR_NO_DOMAIN_SNAPSHOT, MV_FROM_DOMAIN_SNAPSHOT,
                             "Domain snapshot not found: domain '%s' has no current snapshot", dom->name);
    return snap_to_wire(dom, cur, &ret->snap);
}

static int get_parent(struct mv_call *call, mv_domain_snapshot_flags_args *args, mv_domain_snapshot_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->snap.dom);
    _cleanup_snap_def_ struct qemud_snap_def *def = NULL;
    bool enomem;

    if (!dom)
        return -EIO;
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainSnapshotGetParent");
    if (!(def = qemud_snap_store_get(dom->name, args->snap.name, &enomem)))
        return enomem ? -ENOMEM : error_no_snapshot(call, args->snap.name);
    if (!def->parent)
        return mv_call_error(call, MV_ERR_NO_DOMAIN_SNAPSHOT, MV_FROM_DOMAIN_SNAPSHOT,
                             "Domain snapshot not found: snapshot '%s' does not have a parent", def->name);
    return snap_to_wire(dom, def->parent, &ret->snap);
}

static int is_current(struct mv_call *call, mv_domain_snapshot_flags_args *args,
                      mv_domain_snapshot_is_current_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = snap_dom(call, &args->snap);
    _cleanup_free_ char *cur = NULL;

    if (!dom)
        return -EIO;
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainSnapshotIsCurrent");
    cur = qemud_snap_store_current(dom->name);
    ret->current = cur && strcmp(cur, args->snap.name) == 0;
    return 0;
}

static int has_metadata(struct mv_call *call, mv_domain_snapshot_flags_args *args,
                        mv_domain_snapshot_has_metadata_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = snap_dom(call, &args->snap);

    if (!dom)
        return -EIO;
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainSnapshotHasMetadata");
    ret->metadata = 1;      /* every snapshot modvirt knows of is its metadata */
    return 0;
}

/* ---- create ---- */

/* What a create sees of its domain, taken under the lock once (job held). */
struct dom_view {
    bool active;
    int state;
    struct mv_dom_def *def;         /* referenced: live while running, else persistent */
};

static void view_take(struct qemud_dom *dom, struct dom_view *v)
{
    pthread_mutex_lock(&dom->lock);
    v->active = qemud_dom_is_active(dom);
    v->state = dom->state;
    v->def = qemud_dom_current_def(dom) ? mv_dom_def_ref(qemud_dom_current_def(dom)) : NULL;
    pthread_mutex_unlock(&dom->lock);
}

/* The internal snapshot's <disks>: every covered disk internal, the others
 * not in it.  A <disks> the caller gave must agree. */
static int internal_disks(struct qemud_dom *dom, struct qemud_snap_def *snap, const struct mv_dom_def *def,
                          struct mv_err *err)
{
    struct qemud_snap_disk *disks;
    size_t n = 0;

    for (size_t i = 0; i < snap->ndisks; i++)
        if (snap->disks[i].kind != QEMUD_SNAP_KIND_DEFAULT && snap->disks[i].kind != QEMUD_SNAP_KIND_INTERNAL)
            return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                              "Operation not supported: disk '%s' of an internal snapshot of domain '%s': "
                              "snapshot='%s' (QEMU's internal snapshots cover every writable disk; external "
                              "ones need VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY)", snap->disks[i].name, dom->name,
                              qemud_snap_kind_name(snap->disks[i].kind));
    if (!(disks = calloc(def->devices.ndisks + 1, sizeof(*disks))))
        return -ENOMEM;
    for (size_t i = 0; i < def->devices.ndisks; i++) {
        if (!qemud_snap_disk_covered(&def->devices.disks[i]))
            continue;
        disks[n].kind = QEMUD_SNAP_KIND_INTERNAL;
        if (!(disks[n++].name = strdup(def->devices.disks[i].target))) {
            for (size_t j = 0; j < n; j++)
                free(disks[j].name);
            free(disks);
            return -ENOMEM;
        }
    }
    for (size_t i = 0; i < snap->ndisks; i++)
        free(snap->disks[i].name);
    free(snap->disks);
    snap->disks = disks;
    snap->ndisks = n;
    return 0;
}

static int create_internal(struct qemud_dom *dom, struct qemud_snap_def *snap, const struct dom_view *v,
                           struct mv_err *err)
{
    int r;

    if (snap->memory == QEMUD_SNAP_KIND_NO && v->active)
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                          "Operation not supported: internal snapshot of running domain '%s' without its memory "
                          "(use VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY while it is shut off)", dom->name);
    if ((r = qemud_snap_internal_check(dom, v->def, v->active, err)) < 0 ||
        (r = internal_disks(dom, snap, v->def, err)) < 0)
        return r;
    if (!v->active) {
        snap->state = QEMUD_SNAP_SHUTOFF;
        snap->memory = QEMUD_SNAP_KIND_NO;
        return qemud_snap_internal_offline(dom, v->def, "-c", snap->name, err);
    }
    snap->state = v->state == QEMUD_STATE_PAUSED ? QEMUD_SNAP_PAUSED : QEMUD_SNAP_RUNNING;
    snap->memory = QEMUD_SNAP_KIND_INTERNAL;
    return qemud_snap_internal_live(dom, v->def, "snapshot-save", snap->name, err);
}

static int create_external(struct qemud_dom *dom, struct qemud_snap_def *snap, const struct dom_view *v,
                           struct mv_err *err)
{
    if (snap->memory != QEMUD_SNAP_KIND_DEFAULT && snap->memory != QEMUD_SNAP_KIND_NO)
        return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                          "invalid argument: a disk-only snapshot of domain '%s' has no memory (<memory "
                          "snapshot='%s'>)", dom->name, qemud_snap_kind_name(snap->memory));
    snap->state = v->active ? QEMUD_SNAP_DISK_SNAPSHOT : QEMUD_SNAP_SHUTOFF;
    snap->memory = QEMUD_SNAP_KIND_NO;
    return v->active ? qemud_snap_external_live(dom, snap, err) : qemud_snap_external_offline(dom, snap, err);
}

/* The domain as it is now, for the snapshot's copy. */
static int domain_copy(struct qemud_dom *dom, const struct dom_view *v, struct qemud_snap_def *snap)
{
    struct mv_dom_live_info live = { .id = dom->id };
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;

    /* a disk-only snapshot changed the definition: the copy is of the one before */
    def = mv_dom_def_ref(v->def);
    return mv_dom_def_format(def, v->active ? &live : NULL, 0, &snap->domain_xml);
}

static int check_new_snapshot(struct qemud_dom *dom, struct qemud_snap_def *snap, unsigned int flags,
                              struct mv_err *err)
{
    if (!snap->name && asprintf(&snap->name, "%lld", (long long)time(NULL)) < 0) {
        snap->name = NULL;
        return -ENOMEM;
    }
    if (qemud_snap_store_has(dom->name, snap->name))
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                          "Requested operation is not valid: domain '%s' has a snapshot '%s' already", dom->name,
                          snap->name);
    if (snap->memory == QEMUD_SNAP_KIND_EXTERNAL)
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                          "Operation not supported: external memory snapshots (<memory snapshot='external'>) of "
                          "domain '%s'", dom->name);
    if (!(flags & CREATE_DISK_ONLY) && qemud_snap_def_is_external(snap))
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                          "Operation not supported: external disk snapshots of domain '%s' need "
                          "VIR_DOMAIN_SNAPSHOT_CREATE_DISK_ONLY", dom->name);
    return 0;
}

/* The metadata could not be written: the internal snapshot leaves the
 * images again, else it would hold a name no call can list or delete.
 * (An external one stays: its overlays are the domain's disks already.) */
static void undo_internal(struct qemud_dom *dom, const struct qemud_snap_def *snap, const struct dom_view *v)
{
    struct mv_err e = { 0 };

    if (v->active ? qemud_snap_internal_live(dom, v->def, "snapshot-delete", snap->name, &e) < 0
                  : qemud_snap_internal_offline(dom, v->def, "-d", snap->name, &e) < 0)
        mv_warn("domain '%s': snapshot '%s' stays in the images without metadata: %s", dom->name, snap->name,
                e.message);
    else
        mv_info("domain '%s': snapshot '%s' removed from the images again: no metadata", dom->name, snap->name);
    mv_err_clear(&e);
}

static int do_create(struct qemud_dom *dom, struct qemud_snap_def *snap, unsigned int flags, struct mv_err *err)
{
    struct dom_view v = { 0 };
    bool halt;
    int r;

    if ((r = check_new_snapshot(dom, snap, flags, err)) < 0)
        return r;
    view_take(dom, &v);
    if (!v.def) {
        r = -ENOMEM;
        goto out;
    }
    snap->creation_time = time(NULL);
    snap->parent = qemud_snap_store_current(dom->name);
    if ((r = domain_copy(dom, &v, snap)) < 0)
        goto out;
    r = flags & CREATE_DISK_ONLY ? create_external(dom, snap, &v, err) : create_internal(dom, snap, &v, err);
    if (r < 0)
        goto out;
    mv_info("domain '%s': snapshot '%s' created", dom->name, snap->name);
    halt = (flags & CREATE_HALT) && v.active;
    if (!(flags & CREATE_NO_METADATA)) {
        struct qemud_snap_def *stored = qemud_snap_def_copy(snap);

        r = stored ? qemud_snap_store_put(dom->name, stored, true, err) : -ENOMEM;
        if (r < 0 && !(flags & CREATE_DISK_ONLY))
            undo_internal(dom, snap, &v);
    }
    if (r == 0 && halt)
        r = qemud_process_destroy(dom, false, err);
out:
    mv_dom_def_free(v.def);
    return r;
}

/* Whether PATH is one of DEF's disks or a backing file below a qcow2 one:
 * an image the domain's owner was allowed to hand it. */
static bool names_image(const char *domname, const struct mv_dom_def *def, const char *path, const char *real)
{
    for (size_t i = 0; def && i < def->devices.ndisks; i++) {
        const struct mv_dom_disk *d = &def->devices.disks[i];
        _cleanup_strv_free_ char **chain = NULL;
        _cleanup_free_ char *msg = NULL;
        _cleanup_free_ char *dreal = NULL;

        if (!d->source)
            continue;
        if (strcmp(d->source, path) == 0 || (real && (dreal = realpath(d->source, NULL)) && strcmp(dreal, real) == 0))
            return true;
        if (d->format != MV_DOM_DISK_FORMAT_QCOW2 || qemud_image_chain_read(domname, -1, d->source, &chain, &msg) < 0)
            continue;
        for (size_t j = 0; chain[j]; j++) {
            _cleanup_free_ char *creal = NULL;

            if (strcmp(chain[j], path) == 0 || (real && (creal = realpath(chain[j], NULL)) && strcmp(creal, real) == 0))
                return true;
        }
    }
    return false;
}

/* A redefined snapshot's <domain> is the client's: qemu-img (revert,
 * delete) and the definition (revert) may get only images the domain's own
 * definitions name, or that lie below them (the bases of overlays). */
static int check_own_images(struct qemud_dom *dom, const struct qemud_snap_def *snap, const struct mv_dom_def *then,
                            struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *persistent = qemud_dom_snapshot(dom, true);
    _cleanup_dom_def_ struct mv_dom_def *live = qemud_dom_snapshot(dom, false);

    for (size_t i = 0; i < then->devices.ndisks; i++) {
        const struct mv_dom_disk *d = &then->devices.disks[i];
        _cleanup_free_ char *real = NULL;

        if (!d->source || !qemud_snap_disk_covered(d))
            continue;
        real = realpath(d->source, NULL);
        if (!names_image(dom->name, persistent, d->source, real) && !names_image(dom->name, live, d->source, real))
            return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_DOMAIN_SNAPSHOT,
                              "unsupported configuration: snapshot '%s' of domain '%s': disk '%s' image '%s' is "
                              "not an image of the domain (neither its definition nor a backing file below it "
                              "names it)", snap->name, dom->name, d->target ? d->target : "?", d->source);
    }
    return 0;
}

/* A redefined <domain> is the client's: its paths pass the policy a
 * define applies (revert and delete check them again against the
 * domain's own images before qemu-img sees them). */
static int check_redefined_domain(struct qemud_dom *dom, const struct qemud_snap_def *snap, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    int code = 0, r;

    if (!snap->domain_xml)
        return 0;
    if (mv_dom_def_parse(snap->domain_xml, MV_DOM_PARSE_STATUS, &def, &code, &msg) < 0)
        return msg ? mv_err_set(err, code ? code : MV_ERR_XML_DETAIL, MV_FROM_DOMAIN_SNAPSHOT,
                                "snapshot '%s' of domain '%s': %s", snap->name, dom->name, msg)
                   : -ENOMEM;
    if ((r = qemud_path_policy_check_def(def, err)) < 0)
        return r;
    return check_own_images(dom, snap, def, err);
}

/* REDEFINE: metadata only, for a snapshot that exists in the images. */
static int do_redefine(struct qemud_dom *dom, struct qemud_snap_def *snap, unsigned int flags, struct mv_err *err)
{
    struct qemud_snap_def *stored;
    int r;

    if (snap->parent && !qemud_snap_store_has(dom->name, snap->parent))
        return mv_err_set(err, MV_ERR_NO_DOMAIN_SNAPSHOT, MV_FROM_DOMAIN_SNAPSHOT,
                          "Domain snapshot not found: parent '%s' of snapshot '%s' of domain '%s'", snap->parent,
                          snap->name, dom->name);
    if ((r = check_redefined_domain(dom, snap, err)) < 0)
        return r;
    if (!snap->creation_time)
        snap->creation_time = time(NULL);
    if (snap->state == QEMUD_SNAP_NOSTATE)
        snap->state = QEMUD_SNAP_SHUTOFF;
    if (!(stored = qemud_snap_def_copy(snap)))
        return -ENOMEM;
    return qemud_snap_store_put(dom->name, stored, flags & CREATE_CURRENT, err);
}

#define CREATE_FLAGS 0x3ffu

static int check_create_flags(struct mv_call *call, unsigned int flags)
{
    if (flags & ~CREATE_FLAGS)
        return qemud_bad_flags(call, flags & ~CREATE_FLAGS, "virDomainSnapshotCreateXML");
    if (flags & CREATE_REUSE_EXT)
        return mv_call_error(call, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                             "Operation not supported: VIR_DOMAIN_SNAPSHOT_CREATE_REUSE_EXT: modvirt makes the "
                             "overlays itself");
    if (flags & CREATE_QUIESCE)
        return mv_call_error(call, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                             "Operation not supported: VIR_DOMAIN_SNAPSHOT_CREATE_QUIESCE needs the guest agent");
    if (flags & CREATE_LIVE)
        return mv_call_error(call, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                             "Operation not supported: VIR_DOMAIN_SNAPSHOT_CREATE_LIVE (external memory snapshots)");
    if ((flags & CREATE_CURRENT) && !(flags & CREATE_REDEFINE))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: VIR_DOMAIN_SNAPSHOT_CREATE_CURRENT needs "
                             "VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE");
    if ((flags & CREATE_REDEFINE) && (flags & (CREATE_NO_METADATA | CREATE_HALT | CREATE_DISK_ONLY)))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: VIR_DOMAIN_SNAPSHOT_CREATE_REDEFINE changes metadata only: it "
                             "does not go with NO_METADATA, HALT or DISK_ONLY");
    return 0;
}

static int create_xml(struct mv_call *call, mv_domain_snapshot_create_xml_args *args,
                      mv_domain_snapshot_create_xml_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);
    _cleanup_snap_def_ struct qemud_snap_def *snap = NULL;
    _cleanup_free_ char *msg = NULL;
    struct mv_err err = { 0 };
    bool redefine = args->flags & CREATE_REDEFINE;
    int r, code;

    if (!dom)
        return -EIO;
    if ((r = check_create_flags(call, args->flags)) < 0)
        return r;
    if (qemud_snap_def_parse(args->xml_desc, redefine ? QEMUD_SNAP_PARSE_REDEFINE : 0, &snap, &code, &msg) < 0)
        return msg ? mv_call_error(call, code, MV_FROM_DOMAIN_SNAPSHOT, "%s", msg) : -ENOMEM;
    if (qemud_job_begin(dom, "snapshot", (int)qemud.job_wait_ms, &err) < 0)
        return qemud_call_fail(call, &err);
    r = redefine ? do_redefine(dom, snap, args->flags, &err) : do_create(dom, snap, args->flags, &err);
    qemud_job_end(dom);
    if (r < 0)
        return mv_err_is_set(&err) ? qemud_call_fail(call, &err) : r;
    return snap_to_wire(dom, snap->name, &ret->snap);
}

/* ---- revert ---- */

static bool dom_active(struct qemud_dom *dom)
{
    bool a;

    pthread_mutex_lock(&dom->lock);
    a = qemud_dom_is_active(dom);
    pthread_mutex_unlock(&dom->lock);
    return a;
}

/* Starts shut off DOM paused from its persistent definition. */
static int start_paused(struct qemud_dom *dom, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *def = qemud_dom_snapshot(dom, true);
    struct mv_dom_def *live;

    if (!def)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                          "Requested operation is not valid: domain '%s' has no definition to start", dom->name);
    if (!(live = mv_dom_def_copy(def)))
        return -ENOMEM;
    return qemud_process_start(dom, live, TAKE_PTR(def), true, err);
}

/* Brings running DOM to RUNNING (or paused). */
static int settle(struct qemud_dom *dom, bool running, struct mv_err *err)
{
    bool paused;

    pthread_mutex_lock(&dom->lock);
    paused = dom->state == QEMUD_STATE_PAUSED;
    if (!running && !paused)
        dom->pause_requested = true;
    pthread_mutex_unlock(&dom->lock);
    if (running == !paused)
        return 0;
    return qemud_monitor_command(dom, running ? "cont" : "stop", NULL, NULL, err);
}

/* The images of the definition the snapshot was taken with (a later
 * disk-only snapshot may point the domain elsewhere), else DOM's, into
 * *OUT.  Ours or checked at redefine to be the domain's own images; the
 * path policy is applied again before qemu-img opens them. */
static int snapshot_domain(struct qemud_dom *dom, const struct qemud_snap_def *snap, struct mv_dom_def **out,
                           struct mv_err *err)
{
    struct mv_dom_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    int code, r;

    if (snap->domain_xml && mv_dom_def_parse(snap->domain_xml, MV_DOM_PARSE_STATUS, &def, &code, &msg) == 0) {
        /* a path swapped for a symlink since is caught as at start */
        if ((r = qemud_path_policy_check_def(def, err)) < 0) {
            mv_dom_def_free(def);
            return r;
        }
        *out = def;
        return 0;
    }
    if (!(*out = qemud_dom_snapshot(dom, true)))
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                          "Requested operation is not valid: domain '%s' has no definition", dom->name);
    return 0;
}

/* The disks of the snapshot's definition that differ from DEF's (a
 * disk-only snapshot taken later moved them to overlays): put back into a
 * copy of DEF, which is saved and published.  0 if nothing differs, 1 if
 * the definition changed. */
static int restore_disks(struct qemud_dom *dom, const struct qemud_snap_def *snap, bool apply, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *cur = qemud_dom_snapshot(dom, true);
    _cleanup_dom_def_ struct mv_dom_def *then = NULL;
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    bool differ = false;
    int r;

    if (!cur || !snap->domain_xml)
        return 0;
    if ((r = snapshot_domain(dom, snap, &then, err)) < 0)
        return r;
    for (size_t i = 0; i < then->devices.ndisks; i++)
        for (size_t j = 0; j < cur->devices.ndisks; j++)
            if (strcmp(then->devices.disks[i].target, cur->devices.disks[j].target) == 0 &&
                qemud_snap_disk_covered(&cur->devices.disks[j]) && then->devices.disks[i].source &&
                cur->devices.disks[j].source &&
                strcmp(then->devices.disks[i].source, cur->devices.disks[j].source) != 0)
                differ = true;
    if (!differ || !apply)
        return differ;
    if (!(def = mv_dom_def_copy(cur)))
        return -ENOMEM;
    for (size_t i = 0; i < then->devices.ndisks; i++)
        for (size_t j = 0; j < def->devices.ndisks; j++) {
            struct mv_dom_disk *d = &def->devices.disks[j];
            char *src;

            if (strcmp(then->devices.disks[i].target, d->target) != 0 || !qemud_snap_disk_covered(d) ||
                !then->devices.disks[i].source)
                continue;
            if (!(src = strdup(then->devices.disks[i].source)))
                return -ENOMEM;
            free(d->source);
            d->source = src;
            d->format = then->devices.disks[i].format;
        }
    if (qemud_dom_replace_def(dom, true, cur, TAKE_PTR(def), err) < 0)
        return -EIO;
    mv_info("domain '%s': disks back to those of snapshot '%s'", dom->name, snap->name);
    return 1;
}

/* A snapshot with the guest's memory: loaded into QEMU, started for it if need be. */
static int revert_memory(struct qemud_dom *dom, const struct qemud_snap_def *snap, unsigned int flags,
                         struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *live = NULL;
    bool running = flags & REVERT_RUNNING ? true : flags & REVERT_PAUSED ? false : snap->state == QEMUD_SNAP_RUNNING;
    int r;

    /* QEMU runs on other images than the snapshot's: only a new QEMU can load it */
    if (dom_active(dom) && (r = restore_disks(dom, snap, false, err)) != 0) {
        if (r < 0)
            return r;
        if (!(flags & REVERT_FORCE))
            return mv_err_set(err, MV_ERR_SNAPSHOT_REVERT_RISKY, MV_FROM_DOMAIN_SNAPSHOT,
                              "revert requires force: domain '%s' runs on other disks than snapshot '%s' was "
                              "taken with, so reverting restarts it (VIR_DOMAIN_SNAPSHOT_REVERT_FORCE)",
                              dom->name, snap->name);
        if ((r = qemud_process_destroy(dom, false, err)) < 0)
            return r;
    }
    if (!dom_active(dom) && ((r = restore_disks(dom, snap, true, err)) < 0 || (r = start_paused(dom, err)) < 0))
        return r;
    if (!(live = qemud_dom_snapshot(dom, false)))
        return -ENOMEM;
    if ((r = qemud_snap_internal_check(dom, live, true, err)) < 0 ||
        (r = qemud_snap_internal_live(dom, live, "snapshot-load", snap->name, err)) < 0)
        return r;
    return settle(dom, running, err);
}

/* A snapshot of the disks only: the guest is stopped, the images reverted. */
static int revert_disks(struct qemud_dom *dom, const struct qemud_snap_def *snap, unsigned int flags,
                        struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    int r;

    if (dom_active(dom) && (r = qemud_process_destroy(dom, false, err)) < 0)
        return r;
    if ((r = restore_disks(dom, snap, true, err)) < 0)
        return r;
    if ((r = snapshot_domain(dom, snap, &def, err)) < 0)
        return r;
    if ((r = qemud_snap_internal_check(dom, def, false, err)) < 0 ||
        (r = qemud_snap_internal_offline(dom, def, "-a", snap->name, err)) < 0)
        return r;
    if (!(flags & (REVERT_RUNNING | REVERT_PAUSED)))
        return 0;
    if ((r = start_paused(dom, err)) < 0)
        return r;
    return settle(dom, flags & REVERT_RUNNING, err);
}

static int do_revert(struct qemud_dom *dom, const char *name, unsigned int flags, struct mv_err *err)
{
    _cleanup_snap_def_ struct qemud_snap_def *snap = NULL;
    bool enomem;
    int r;

    if (!(snap = qemud_snap_store_get(dom->name, name, &enomem)))
        return enomem ? -ENOMEM
                      : mv_err_set(err, MV_ERR_NO_DOMAIN_SNAPSHOT, MV_FROM_DOMAIN_SNAPSHOT,
                                   "Domain snapshot not found: no domain snapshot with matching name '%s'", name);
    if (qemud_snap_def_is_external(snap))
        return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                          "Operation not supported: revert to external snapshot '%s' of domain '%s' (its overlays "
                          "are the domain's disks now)", name, dom->name);
    if (snap->memory == QEMUD_SNAP_KIND_INTERNAL)
        r = revert_memory(dom, snap, flags, err);
    else
        r = revert_disks(dom, snap, flags, err);
    if (r < 0)
        return r;
    mv_info("domain '%s' reverted to snapshot '%s'", dom->name, name);
    return qemud_snap_store_set_current(dom->name, name, err);
}

#define REVERT_FLAGS (REVERT_RUNNING | REVERT_PAUSED | REVERT_FORCE | REVERT_RESET_NVRAM)

static int revert(struct mv_call *call, mv_domain_snapshot_flags_args *args, void *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = snap_dom(call, &args->snap);
    struct mv_err err = { 0 };
    int r;

    if (!dom)
        return -EIO;
    if (args->flags & ~REVERT_FLAGS)
        return qemud_bad_flags(call, args->flags & ~REVERT_FLAGS, "virDomainRevertToSnapshot");
    if ((args->flags & REVERT_RUNNING) && (args->flags & REVERT_PAUSED))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: flags 'VIR_DOMAIN_SNAPSHOT_REVERT_RUNNING' and "
                             "'VIR_DOMAIN_SNAPSHOT_REVERT_PAUSED' are mutually exclusive");
    if (args->flags & REVERT_RESET_NVRAM)
        return mv_call_error(call, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                             "Operation not supported: VIR_DOMAIN_SNAPSHOT_REVERT_RESET_NVRAM");
    if (qemud_job_begin(dom, "snapshot revert", (int)qemud.job_wait_ms, &err) < 0)
        return qemud_call_fail(call, &err);
    r = do_revert(dom, args->snap.name, args->flags, &err);
    qemud_job_end(dom);
    if (r < 0)
        return mv_err_is_set(&err) ? qemud_call_fail(call, &err) : r;
    return 0;
}

/* ---- delete ---- */

/* Removes snapshot NAME from the images (unless METADATA_ONLY), then its metadata. */
static int delete_one(struct qemud_dom *dom, const char *name, unsigned int flags, struct mv_err *err)
{
    _cleanup_snap_def_ struct qemud_snap_def *snap = NULL;
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    bool enomem;
    int r;

    if (!(flags & DELETE_METADATA_ONLY)) {
        if (!(snap = qemud_snap_store_get(dom->name, name, &enomem)))
            return enomem ? -ENOMEM : 0;
        if (dom_active(dom)) {
            if (!(def = qemud_dom_snapshot(dom, false)))
                return -ENOMEM;
            r = qemud_snap_internal_live(dom, def, "snapshot-delete", name, err);
        } else {
            if ((r = snapshot_domain(dom, snap, &def, err)) < 0)
                return r;
            r = qemud_snap_internal_offline(dom, def, "-d", name, err);
        }
        if (r < 0)
            return r;
    }
    return qemud_snap_store_remove(dom->name, name, err);
}

/* External snapshots cannot leave the images (their overlays are the
 * disks): refused before anything is deleted. */
static int check_deletable(struct qemud_dom *dom, char **names, int n, struct mv_err *err)
{
    for (int i = 0; i < n; i++) {
        _cleanup_snap_def_ struct qemud_snap_def *s = NULL;
        bool enomem;

        if (!(s = qemud_snap_store_get(dom->name, names[i], &enomem)))
            return enomem ? -ENOMEM : 0;
        if (qemud_snap_def_is_external(s))
            return mv_err_set(err, MV_ERR_OPERATION_UNSUPPORTED, MV_FROM_QEMU,
                              "Operation not supported: deleting external snapshot '%s' of domain '%s' (use "
                              "VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY: its overlays stay the domain's disks)",
                              names[i], dom->name);
    }
    return 0;
}

static int do_delete(struct qemud_dom *dom, const char *name, unsigned int flags, struct mv_err *err)
{
    char **names = NULL;
    int n = 0, r = 0;

    /* the descendants, parents first: deleted in reverse, leaves first */
    if (flags & (DELETE_CHILDREN | DELETE_CHILDREN_ONLY)) {
        n = qemud_snap_store_list(dom->name, name, QEMUD_SNAP_LIST_DESCENDANTS, &names);
        if (n < 0)
            return n;
    }
    if (!(flags & DELETE_METADATA_ONLY) && (r = check_deletable(dom, names, n, err)) == 0 &&
        !(flags & DELETE_CHILDREN_ONLY))
        r = check_deletable(dom, (char *[]){ (char *)name }, 1, err);
    for (int i = n - 1; r == 0 && i >= 0; i--)
        r = delete_one(dom, names[i], flags, err);
    if (r == 0 && !(flags & DELETE_CHILDREN_ONLY))
        r = delete_one(dom, name, flags, err);
    qemud_snap_names_free(names, (size_t)(n > 0 ? n : 0));
    if (r == 0)
        mv_info("domain '%s': snapshot '%s' deleted%s", dom->name, name,
                flags & DELETE_CHILDREN ? " with its children" : flags & DELETE_CHILDREN_ONLY ? " (children)" : "");
    return r;
}

#define DELETE_FLAGS (DELETE_CHILDREN | DELETE_METADATA_ONLY | DELETE_CHILDREN_ONLY)

static int delete_snapshot(struct mv_call *call, mv_domain_snapshot_flags_args *args, void *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = snap_dom(call, &args->snap);
    struct mv_err err = { 0 };
    int r;

    if (!dom)
        return -EIO;
    if (args->flags & ~DELETE_FLAGS)
        return qemud_bad_flags(call, args->flags & ~DELETE_FLAGS, "virDomainSnapshotDelete");
    if ((args->flags & DELETE_CHILDREN) && (args->flags & DELETE_CHILDREN_ONLY))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: flags 'VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN' and "
                             "'VIR_DOMAIN_SNAPSHOT_DELETE_CHILDREN_ONLY' are mutually exclusive");
    if (qemud_job_begin(dom, "snapshot delete", (int)qemud.job_wait_ms, &err) < 0)
        return qemud_call_fail(call, &err);
    /* looked up again with the job held: another delete may have been first */
    if (!qemud_snap_store_has(dom->name, args->snap.name)) {
        qemud_job_end(dom);
        return error_no_snapshot(call, args->snap.name);
    }
    r = do_delete(dom, args->snap.name, args->flags, &err);
    qemud_job_end(dom);
    if (r < 0)
        return mv_err_is_set(&err) ? qemud_call_fail(call, &err) : r;
    return 0;
}

static const struct mv_dispatch_entry snapshot_procs[] = {
    MV_HANDLER(DOMAIN_SNAPSHOT_CREATE_XML, create_xml),
    MV_HANDLER(DOMAIN_SNAPSHOT_GET_XML_DESC, get_xml_desc),
    MV_HANDLER(DOMAIN_SNAPSHOT_NUM, snapshot_num),
    MV_HANDLER(DOMAIN_SNAPSHOT_LIST_NAMES, list_names),
    MV_HANDLER(DOMAIN_SNAPSHOT_LOOKUP_BY_NAME, lookup_by_name),
    MV_HANDLER(DOMAIN_HAS_CURRENT_SNAPSHOT, has_current),
    MV_HANDLER(DOMAIN_SNAPSHOT_CURRENT, current),
    MV_HANDLER(DOMAIN_REVERT_TO_SNAPSHOT, revert),
    MV_HANDLER(DOMAIN_SNAPSHOT_DELETE, delete_snapshot),
    MV_HANDLER(DOMAIN_SNAPSHOT_NUM_CHILDREN, num_children),
    MV_HANDLER(DOMAIN_SNAPSHOT_LIST_CHILDREN_NAMES, list_children_names),
    MV_HANDLER(DOMAIN_SNAPSHOT_GET_PARENT, get_parent),
    MV_HANDLER(DOMAIN_SNAPSHOT_IS_CURRENT, is_current),
    MV_HANDLER(DOMAIN_SNAPSHOT_HAS_METADATA, has_metadata),
    MV_HANDLER(DOMAIN_LIST_ALL_SNAPSHOTS, list_all),
    MV_HANDLER(DOMAIN_SNAPSHOT_LIST_ALL_CHILDREN, list_all_children),
};
const struct mv_dispatch_table qemud_snapshot_table = { snapshot_procs, MV_ARRAY_SIZE(snapshot_procs) };
