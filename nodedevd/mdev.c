/*
 * Mediated devices: the defined ones (kept like every daemon's definitions,
 * in the store of common/store.h: CONFDIR/nodedev/NAME.xml and an autostart
 * link, started once per boot), and starting and removing mdevs in sysfs.
 *
 * A defined mdev is a device of the tree like any other: inactive (no
 * sysfs path) while the kernel does not have it, read from sysfs once it
 * does; the reader (cap_mdev.c) asks lookup_defined() whether an mdev it
 * reads is defined, so one read from a uevent is persistent too.
 *
 * Two locks: op_lock makes the operations (mdev_procs.c, the autostart at
 * load) run one at a time, across their waits for sysfs; reg_lock, a leaf,
 * guards the registry of definitions, which the reader uses from any thread.
 */
#define MV_LOG_MODULE "nodedevd.mdev"
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

#include "caps.h"
#include "events.h"
#include "file.h"
#include "log.h"
#include "mdev.h"
#include "mdev_def.h"
#include "monotime.h"
#include "nodedevd.h"
#include "scan.h"
#include "store.h"
#include "sysfs.h"

/* how often a start or a removal looks at sysfs while it waits */
#define POLL_NS (5 * 1000 * 1000L)
/* largest stored definition */
#define DEF_FILE_MAX (1024 * 1024)
/* the store's directory under the daemon's configuration and run roots */
#define STORE_SUBSYSTEM "nodedev"

struct mdev_entry {
    char *name;
    struct nodedev_mdev_def *def;
    bool autostart;
};

static pthread_mutex_t op_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mdev_entry *entries;
static size_t nentries;
static struct mv_store *store;  /* the definitions (CONFDIR/nodedev) */

/* ---- the registry (reg_lock) ---- */

static struct mdev_entry *find_locked(const char *name)
{
    for (size_t i = 0; i < nentries; i++)
        if (strcmp(entries[i].name, name) == 0)
            return &entries[i];
    return NULL;
}

static void entry_clear(struct mdev_entry *e)
{
    free(e->name);
    nodedev_mdev_def_free(e->def);
}

/* Sets NAME's definition to DEF (taken, also on failure). */
static int registry_set(const char *name, struct nodedev_mdev_def *def, bool autostart)
{
    struct mdev_entry *e, *grown;
    char *copy;

    pthread_mutex_lock(&reg_lock);
    if ((e = find_locked(name))) {
        nodedev_mdev_def_free(e->def);
        e->def = def;
        e->autostart = autostart;
        pthread_mutex_unlock(&reg_lock);
        return 0;
    }
    if (!(copy = strdup(name)) || !(grown = reallocarray(entries, nentries + 1, sizeof(*entries)))) {
        pthread_mutex_unlock(&reg_lock);
        free(copy);
        nodedev_mdev_def_free(def);
        return -ENOMEM;
    }
    entries = grown;
    entries[nentries++] = (struct mdev_entry){ .name = copy, .def = def, .autostart = autostart };
    pthread_mutex_unlock(&reg_lock);
    return 0;
}

static void registry_drop(const char *name)
{
    struct mdev_entry *e;

    pthread_mutex_lock(&reg_lock);
    if ((e = find_locked(name))) {
        entry_clear(e);
        *e = entries[--nentries];
    }
    pthread_mutex_unlock(&reg_lock);
}

static void registry_set_autostart(const char *name, bool on)
{
    struct mdev_entry *e;

    pthread_mutex_lock(&reg_lock);
    if ((e = find_locked(name)))
        e->autostart = on;
    pthread_mutex_unlock(&reg_lock);
}

/* cap_mdev.c's question for every mdev it reads from sysfs */
static int lookup_defined(const char *name, bool *autostart, struct nodedev_mdev_attr **attrs, size_t *nattrs)
{
    struct mdev_entry *e;
    int r = 0;

    pthread_mutex_lock(&reg_lock);
    if ((e = find_locked(name))) {
        *autostart = e->autostart;
        if ((r = nodedev_mdev_attrs_copy(e->def->attrs, e->def->nattrs, attrs)) == 0) {
            *nattrs = e->def->nattrs;
            r = 1;
        }
    }
    pthread_mutex_unlock(&reg_lock);
    return r;
}

/* ---- devices in the tree ---- */

static void quiet(struct nodedev_device *dev, int result, void *opaque)
{
    (void)dev, (void)result, (void)opaque;
}

/* Sets the bool OPAQUE when the scan removed a device. */
static void note_removed(struct nodedev_device *dev, int result, void *opaque)
{
    (void)dev;
    if (result < 0)
        *(bool *)opaque = true;
}

/* The inactive device of NAME's definition, in the tree in place of any
 * other of that name.  -ENOENT if NAME is not defined. */
static int put_inactive(const char *name)
{
    _cleanup_nodedev_ struct nodedev_device *dev = nodedev_device_new(name);
    char uuid[MV_UUID_STRING_LEN];
    struct mdev_entry *e;
    int r = -ENOENT;

    if (!dev)
        return -ENOMEM;
    dev->active = false;
    dev->persistent = true;
    pthread_mutex_lock(&reg_lock);
    if ((e = find_locked(name))) {
        dev->autostart = e->autostart;
        mv_uuid_format(e->def->uuid, uuid);
        if ((r = nodedev_set_str(&dev->parent, e->def->parent)) == 0 &&
            (r = nodedev_set_str(&dev->subsystem, "mdev")) == 0)
            r = nodedev_mdev_add_cap(dev, e->def->type, uuid, e->def->parent_addr, e->def->attrs, e->def->nattrs);
    }
    pthread_mutex_unlock(&reg_lock);
    if (r < 0)
        return r;
    r = nodedev_tree_put(nodedevd.tree, TAKE_PTR(dev));
    return r < 0 ? r : 0;
}

/* NAME's device again, with what its definition now says (persistent,
 * autostart, attributes): read from sysfs when running, else inactive. */
static int refresh(const char *name)
{
    _cleanup_nodedev_ struct nodedev_device *dev = nodedev_tree_find(nodedevd.tree, name);
    bool defined;

    if (dev && dev->active && dev->syspath)
        return nodedev_scan_one(nodedevd.tree, &nodedevd.read_ctx, dev->syspath, quiet, NULL);
    pthread_mutex_lock(&reg_lock);
    defined = find_locked(name) != NULL;
    pthread_mutex_unlock(&reg_lock);
    if (defined)
        return put_inactive(name);
    nodedev_device_unref(nodedev_tree_remove(nodedevd.tree, name));
    return 0;
}

/* The parent's mdev_types show the instances left: read it again. */
static void refresh_parent(const char *parent_syspath)
{
    int r = nodedev_scan_one(nodedevd.tree, &nodedevd.read_ctx, parent_syspath, nodedevd_device_changed, NULL);

    if (r < 0)
        mv_debug("cannot read '%s' again: %s", parent_syspath, strerror(-r));
}

static void emit(const char *name, enum nodedev_event ev)
{
    _cleanup_nodedev_ struct nodedev_device *dev = nodedev_tree_find(nodedevd.tree, name);

    if (dev)
        nodedevd_emit_lifecycle(dev, ev);
}

void nodedevd_mdev_removed(struct nodedev_device *dev)
{
    int r;

    if (!(dev->cap_mask & (1u << NODEDEV_CAP_MDEV)) || !dev->persistent)
        return;
    if ((r = put_inactive(dev->name)) < 0 && r != -ENOENT)
        mv_warn("mediated device '%s' left sysfs and cannot be listed as defined: %s", dev->name, strerror(-r));
}

/* ---- the store ---- */

/* The store's *MSG as ERR (code OPERATION_FAILED); returns R. */
static int store_error(int r, char *msg, struct mv_err *err)
{
    mv_err_set_errno(err, r, MV_ERR_OPERATION_FAILED, MV_FROM_NODEDEV, "operation failed: %s",
                     msg ? msg : strerror(-r));
    free(msg);
    return r;
}

static int store_save(const char *name, const struct nodedev_mdev_def *def, struct mv_err *err)
{
    _cleanup_free_ char *xml = nodedev_mdev_def_format(def);
    char *msg = NULL;
    int r;

    if (!xml)
        return -ENOMEM;
    return (r = mv_store_save_config(store, name, xml, &msg)) < 0 ? store_error(r, msg, err) : 0;
}

static int store_set_autostart(const char *name, bool on, struct mv_err *err)
{
    char *msg = NULL;
    int r = mv_store_set_autostart(store, name, on, &msg);

    return r < 0 ? store_error(r, msg, err) : 0;
}

/* The definition and its autostart link */
static int store_delete(const char *name, struct mv_err *err)
{
    char *msg = NULL;
    int r = mv_store_delete_config(store, name, &msg);

    return r < 0 ? store_error(r, msg, err) : 0;
}

/* ---- sysfs ---- */

static void nap(void)
{
    struct timespec ts = { 0, POLL_NS };

    nanosleep(&ts, NULL);
}

static long long deadline(void)
{
    return mv_now_ms() + nodedevd.probe_timeout_ms;
}

/* Waits until PATH exists (WANT) or is gone (!WANT); -ETIMEDOUT. */
static int wait_path(const char *path, bool want, long long until)
{
    for (;;) {
        bool exists = access(path, F_OK) == 0;

        if (exists == want)
            return 0;
        if (mv_now_ms() >= until)
            return -ETIMEDOUT;
        nap();
    }
}

static void record(struct nodedev_device *dev, int result, void *opaque)
{
    (void)dev;
    *(int *)opaque = result;
}

/* Reads the new mdev at SYSPATH into the tree as NAME, again until the
 * kernel has made its links (the reader needs mdev_type and iommu_group).
 * 1 when this read made it active; 0 when the uevent of its "add" was
 * read first (that path sent the event: one CREATED per start). */
static int read_new(const char *name, const char *syspath, long long until)
{
    for (;;) {
        _cleanup_nodedev_ struct nodedev_device *before = nodedev_tree_find(nodedevd.tree, name), *dev = NULL;
        int r, result = NODEDEV_PUT_UNCHANGED;

        if (before && before->active)
            return 0;
        r = nodedev_scan_one(nodedevd.tree, &nodedevd.read_ctx, syspath, record, &result);
        if (r == -ENOMEM)
            return r;
        dev = nodedev_tree_find(nodedevd.tree, name);
        if (dev && dev->active)
            return result == NODEDEV_PUT_UNCHANGED ? 0 : 1;
        if (mv_now_ms() >= until)
            return r < 0 ? r : -ETIMEDOUT;
        nap();
    }
}

static int remove_mdev(const char *syspath, long long until)
{
    _cleanup_free_ char *remove = NULL;
    int r;

    if (asprintf(&remove, "%s/remove", syspath) < 0)
        return -ENOMEM;
    if ((r = mv_sysfs_write(remove, "1")) < 0)
        return r == -ENOENT ? 0 : r;
    return wait_path(syspath, false, until);
}

static int write_attrs(const char *name, const char *syspath, const struct nodedev_mdev_def *def, struct mv_err *err)
{
    for (size_t i = 0; i < def->nattrs; i++) {
        _cleanup_free_ char *path = NULL;
        int r;

        if (asprintf(&path, "%s/%s", syspath, def->attrs[i].name) < 0)
            return -ENOMEM;
        if ((r = mv_sysfs_write(path, def->attrs[i].value)) < 0)
            return mv_err_set_errno(err, r, MV_ERR_OPERATION_FAILED, MV_FROM_NODEDEV,
                                    "operation failed: cannot set attribute '%s' of mediated device '%s'",
                                    def->attrs[i].name, name);
    }
    return 0;
}

/* The parent's sysfs path: it must be in the tree and in sysfs. */
static int parent_syspath(const char *name, const struct nodedev_mdev_def *def, char **out, struct mv_err *err)
{
    _cleanup_nodedev_ struct nodedev_device *parent = def->parent ? nodedev_tree_find(nodedevd.tree, def->parent)
                                                                  : NULL;

    if (!parent)
        return mv_err_set(err, MV_ERR_NO_NODE_DEVICE, MV_FROM_NODEDEV,
                          "Node device not found: parent device '%s' of mediated device '%s' is not present",
                          def->parent ? def->parent : "", name);
    if (!parent->active || !parent->syspath)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NODEDEV,
                          "Requested operation is not valid: parent device '%s' of mediated device '%s' is not "
                          "active", parent->name, name);
    return (*out = strdup(parent->syspath)) ? 0 : -ENOMEM;
}

/* Writes the UUID to PARENT/mdev_supported_types/TYPE/create, waits for
 * the mdev, sets its attributes and reads it into the tree: 1, or 0 when a
 * uevent's read of it came first (read_new). */
static int sysfs_start(const char *name, const struct nodedev_mdev_def *def, struct mv_err *err)
{
    _cleanup_free_ char *psys = NULL, *create = NULL, *syspath = NULL;
    char uuid[MV_UUID_STRING_LEN];
    long long until;
    int r;

    if ((r = parent_syspath(name, def, &psys, err)) < 0)
        return r;
    mv_uuid_format(def->uuid, uuid);
    if (asprintf(&create, "%s/mdev_supported_types/%s/create", psys, def->type) < 0 ||
        asprintf(&syspath, "%s/%s", psys, uuid) < 0)
        return -ENOMEM;
    until = deadline();
    if ((r = mv_sysfs_write(create, uuid)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_OPERATION_FAILED, MV_FROM_NODEDEV,
                                "operation failed: Unable to create mediated device '%s': writing '%s' to '%s'",
                                name, uuid, create);
    if ((r = wait_path(syspath, true, until)) == 0 && (r = write_attrs(name, syspath, def, err)) == 0)
        r = read_new(name, syspath, until);
    if (r < 0) {
        int rr = remove_mdev(syspath, deadline());

        if (rr < 0)
            mv_warn("mediated device '%s' failed to start and cannot be removed from '%s': %s", name, syspath,
                    strerror(-rr));
        refresh_parent(psys);
        if (mv_err_is_set(err))
            return r;
        return mv_err_set_errno(err, r, MV_ERR_OPERATION_FAILED, MV_FROM_NODEDEV,
                                "operation failed: mediated device '%s' did not appear in '%s' within %u ms", name,
                                syspath, nodedevd.probe_timeout_ms);
    }
    refresh_parent(psys);
    mv_info("mediated device '%s' started (type '%s' on '%s')", name, def->type, def->parent);
    return r;
}

/* ---- the operations ---- */

int nodedevd_mdev_resolve(struct nodedev_mdev_def *def, const char *op, char **name, struct mv_err *err)
{
    _cleanup_nodedev_ struct nodedev_device *parent = NULL;
    _cleanup_free_ char *create = NULL;
    char uuid[MV_UUID_STRING_LEN];
    const char *addr;
    int r;

    if (!def->parent)
        return mv_err_set(err, MV_ERR_XML_ERROR, MV_FROM_NODEDEV,
                          "XML error: cannot %s a mediated device without a parent", op);
    if (!(parent = nodedev_tree_find(nodedevd.tree, def->parent)))
        return mv_err_set(err, MV_ERR_NO_NODE_DEVICE, MV_FROM_NODEDEV,
                          "Node device not found: unable to find parent device '%s'", def->parent);
    if (!parent->syspath)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NODEDEV,
                          "Requested operation is not valid: parent device '%s' is not active", def->parent);
    if (asprintf(&create, "%s/mdev_supported_types/%s/create", parent->syspath, def->type) < 0)
        return -ENOMEM;
    if (access(create, F_OK) < 0)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_NODEDEV,
                          "unsupported configuration: parent device '%s' has no mediated device type '%s'",
                          def->parent, def->type);
    addr = strrchr(parent->syspath, '/');
    if ((r = nodedev_set_str(&def->parent_addr, addr ? addr + 1 : parent->syspath)) < 0)
        return r;
    if (!def->has_uuid) {
        if ((r = mv_uuid_generate(def->uuid)) < 0)
            return mv_err_set_errno(err, r, MV_ERR_INTERNAL_ERROR, MV_FROM_NODEDEV,
                                    "internal error: cannot make a UUID for the mediated device");
        def->has_uuid = true;
    }
    mv_uuid_format(def->uuid, uuid);
    return (*name = nodedev_mdev_name(uuid, def->parent_addr)) ? 0 : -ENOMEM;
}

int nodedevd_mdev_define(const char *name, struct nodedev_mdev_def *def, struct mv_err *err)
{
    bool autostart = false;
    struct mdev_entry *e;
    int r;

    pthread_mutex_lock(&op_lock);
    if ((r = store_save(name, def, err)) < 0) {
        pthread_mutex_unlock(&op_lock);
        nodedev_mdev_def_free(def);
        return r;
    }
    pthread_mutex_lock(&reg_lock);
    if ((e = find_locked(name)))
        autostart = e->autostart;
    pthread_mutex_unlock(&reg_lock);
    if ((r = registry_set(name, def, autostart)) == 0 && (r = refresh(name)) == 0)
        mv_info("mediated device '%s' defined", name);
    if (r == 0)
        emit(name, NODEDEV_EVENT_DEFINED);
    pthread_mutex_unlock(&op_lock);
    return r;
}

int nodedevd_mdev_create(const char *name, const struct nodedev_mdev_def *def, struct mv_err *err)
{
    _cleanup_nodedev_ struct nodedev_device *old = NULL;
    int r;

    pthread_mutex_lock(&op_lock);
    if ((old = nodedev_tree_find(nodedevd.tree, name))) {
        r = mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NODEDEV,
                       "Requested operation is not valid: mediated device '%s' already exists%s", name,
                       old->active ? "" : " (defined: start it with nodedev-start)");
    } else if ((r = sysfs_start(name, def, err)) >= 0) {
        if (r)
            emit(name, NODEDEV_EVENT_CREATED);
        r = 0;
    }
    pthread_mutex_unlock(&op_lock);
    return r;
}

static int start_locked(const char *name, struct mv_err *err)
{
    _cleanup_mdev_def_ struct nodedev_mdev_def *def = NULL;
    struct mdev_entry *e;
    int r = 0;

    pthread_mutex_lock(&reg_lock);
    if (!(e = find_locked(name)))
        r = -ENOENT;
    else if (!(def = calloc(1, sizeof(*def))) || !(def->parent = strdup(e->def->parent)) ||
             !(def->type = strdup(e->def->type)) ||
             nodedev_mdev_attrs_copy(e->def->attrs, e->def->nattrs, &def->attrs) < 0)
        r = -ENOMEM;
    else {
        memcpy(def->uuid, e->def->uuid, sizeof(def->uuid));
        def->nattrs = e->def->nattrs;
    }
    pthread_mutex_unlock(&reg_lock);
    if (r == -ENOENT)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NODEDEV,
                          "Requested operation is not valid: mediated device '%s' is not defined", name);
    if (r < 0)
        return r;
    if ((r = sysfs_start(name, def, err)) < 0)
        return r;
    if (r)
        emit(name, NODEDEV_EVENT_CREATED);
    return 0;
}

int nodedevd_mdev_start(const char *name, struct mv_err *err)
{
    _cleanup_nodedev_ struct nodedev_device *dev = NULL;
    int r;

    pthread_mutex_lock(&op_lock);
    dev = nodedev_tree_find(nodedevd.tree, name);
    if (dev && dev->active)
        r = mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NODEDEV,
                       "Requested operation is not valid: Device '%s' is already active", name);
    else
        r = start_locked(name, err);
    pthread_mutex_unlock(&op_lock);
    return r;
}

int nodedevd_mdev_destroy(struct nodedev_device *dev, struct mv_err *err)
{
    _cleanup_nodedev_ struct nodedev_device *cur = NULL;
    _cleanup_free_ char *psys = NULL;
    bool removed = false;
    char *slash;
    int r;

    pthread_mutex_lock(&op_lock);
    cur = nodedev_tree_find(nodedevd.tree, dev->name);
    if (!cur || !cur->active || !cur->syspath) {
        pthread_mutex_unlock(&op_lock);
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NODEDEV,
                          "Requested operation is not valid: Device '%s' is not active", dev->name);
    }
    if ((r = remove_mdev(cur->syspath, deadline())) < 0) {
        pthread_mutex_unlock(&op_lock);
        return mv_err_set_errno(err, r, MV_ERR_OPERATION_FAILED, MV_FROM_NODEDEV,
                                "operation failed: Unable to destroy '%s': removing '%s'", dev->name, cur->syspath);
    }
    /* gone from sysfs: the tree follows.  DELETED once per destroy, from
     * whichever path took the device out: here, or the uevent of the
     * removal when the loop read it first */
    nodedev_scan_one(nodedevd.tree, &nodedevd.read_ctx, cur->syspath, note_removed, &removed);
    if (!removed)
        nodedev_scan_remove(nodedevd.tree, cur->syspath, note_removed, &removed);
    if (removed)
        nodedevd_emit_lifecycle(cur, NODEDEV_EVENT_DELETED);
    if ((r = refresh(dev->name)) < 0)
        mv_warn("mediated device '%s' stopped and cannot be listed as defined: %s", dev->name, strerror(-r));
    if ((psys = strdup(cur->syspath)) && (slash = strrchr(psys, '/'))) {
        *slash = '\0';
        refresh_parent(psys);
    }
    mv_info("mediated device '%s' destroyed", dev->name);
    pthread_mutex_unlock(&op_lock);
    return 0;
}

int nodedevd_mdev_undefine(struct nodedev_device *dev, struct mv_err *err)
{
    bool defined;
    int r;

    pthread_mutex_lock(&op_lock);
    pthread_mutex_lock(&reg_lock);
    defined = find_locked(dev->name) != NULL;
    pthread_mutex_unlock(&reg_lock);
    if (!defined) {
        pthread_mutex_unlock(&op_lock);
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NODEDEV,
                          "Requested operation is not valid: Node device '%s' is not defined", dev->name);
    }
    if ((r = store_delete(dev->name, err)) < 0) {
        pthread_mutex_unlock(&op_lock);
        return r;
    }
    emit(dev->name, NODEDEV_EVENT_UNDEFINED);
    registry_drop(dev->name);
    if ((r = refresh(dev->name)) < 0)
        mv_warn("mediated device '%s' undefined, its device cannot be read again: %s", dev->name, strerror(-r));
    mv_info("mediated device '%s' undefined", dev->name);
    pthread_mutex_unlock(&op_lock);
    return 0;
}

int nodedevd_mdev_set_autostart(struct nodedev_device *dev, bool on, struct mv_err *err)
{
    bool defined, was = false;
    struct mdev_entry *e;
    int r;

    pthread_mutex_lock(&op_lock);
    pthread_mutex_lock(&reg_lock);
    if ((defined = (e = find_locked(dev->name)) != NULL))
        was = e->autostart;
    pthread_mutex_unlock(&reg_lock);
    if (!defined)
        r = mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NODEDEV,
                       "Requested operation is not valid: cannot set autostart for transient device '%s'", dev->name);
    else if (was == on)
        r = 0;
    else if ((r = store_set_autostart(dev->name, on, err)) == 0) {
        registry_set_autostart(dev->name, on);
        r = refresh(dev->name);
    }
    pthread_mutex_unlock(&op_lock);
    return r;
}

/* ---- load ---- */

/* Reads the definition of NAME at PATH into the registry. */
static int load_one(const char *name, const char *path)
{
    _cleanup_free_ char *xml = NULL, *msg = NULL, *defined = NULL;
    _cleanup_mdev_def_ struct nodedev_mdev_def *def = NULL;
    char uuid[MV_UUID_STRING_LEN];
    int r, code;

    if ((r = mv_file_read_all(path, DEF_FILE_MAX, &xml, NULL)) < 0) {
        mv_error("cannot read the mediated device definition '%s': %s", path, strerror(-r));
        return r == -ENOMEM ? r : 0;
    }
    if ((r = nodedev_mdev_def_parse(xml, &def, &code, &msg)) < 0 || !def->parent || !def->has_uuid ||
        !def->parent_addr) {
        mv_error("ignoring the mediated device definition '%s': %s", path,
                 r < 0 ? (msg ? msg : strerror(-r)) : "it lacks the parent, its address or the uuid");
        return r == -ENOMEM ? r : 0;
    }
    mv_uuid_format(def->uuid, uuid);
    if (!(defined = nodedev_mdev_name(uuid, def->parent_addr)))
        return -ENOMEM;
    if (strcmp(defined, name) != 0) {
        mv_error("ignoring the mediated device definition '%s': it defines '%s'", path, defined);
        return 0;
    }
    return registry_set(name, TAKE_PTR(def), mv_store_get_autostart(store, name));
}

static void load_each(const char *name, const char *path, void *opaque)
{
    int *r = opaque;

    if (*r == 0)
        *r = load_one(name, path);
}

static int load_store(void)
{
    int r = 0, e = mv_store_each_config(store, load_each, &r);

    return e < 0 ? e : r;
}

/* The names of the definitions, for work outside reg_lock. */
static int registry_names(char ***names, bool only_autostart)
{
    char **v;
    size_t n = 0;

    pthread_mutex_lock(&reg_lock);
    v = calloc(nentries + 1, sizeof(*v));
    for (size_t i = 0; v && i < nentries; i++)
        if (!only_autostart || entries[i].autostart)
            if (!(v[n++] = strdup(entries[i].name))) {
                mv_strv_free(v);
                v = NULL;
            }
    pthread_mutex_unlock(&reg_lock);
    *names = v;
    return v ? 0 : -ENOMEM;
}

/* The autostart mdevs not in sysfs, once per boot (as libvirt starts
 * them): a daemon started again by its socket does not start what a user
 * destroyed since. */
static void autostart_all(void)
{
    _cleanup_strv_free_ char **names = NULL;

    if (!mv_store_autostart_due(store) || registry_names(&names, true) < 0)
        return;
    for (char **n = names; *n; n++) {
        _cleanup_nodedev_ struct nodedev_device *dev = nodedev_tree_find(nodedevd.tree, *n);
        struct mv_err err = { 0 };

        if (dev && dev->active)
            continue;
        if (nodedevd_mdev_start(*n, &err) < 0)
            mv_error("cannot autostart mediated device '%s': %s", *n, err.message ? err.message : "out of memory");
        mv_err_clear(&err);
    }
}

int nodedevd_mdev_load(struct mv_daemon_ctx *ctx)
{
    _cleanup_strv_free_ char **names = NULL;
    int r;

    _cleanup_free_ char *msg = NULL;

    (void)ctx;
    if ((r = mv_store_new(nodedevd.paths->confdir, nodedevd.paths->rundir, STORE_SUBSYSTEM, "mediated device",
                          &store)) < 0)
        return r;
    if ((r = mv_store_open(store, &msg)) < 0) {
        mv_error("cannot open the mediated device definitions: %s", msg ? msg : strerror(-r));
        return r;
    }
    nodedev_mdev_set_lookup(lookup_defined);
    if ((r = load_store()) < 0 || (r = registry_names(&names, false)) < 0)
        return r;
    /* running ones read again (now persistent), the others listed inactive */
    for (char **n = names; *n; n++)
        if ((r = refresh(*n)) < 0)
            mv_error("cannot list the defined mediated device '%s': %s", *n, strerror(-r));
    mv_info("%zu defined mediated devices", nentries);
    autostart_all();
    return 0;
}

void nodedevd_mdev_cleanup(void)
{
    nodedev_mdev_set_lookup(NULL);
    for (size_t i = 0; i < nentries; i++)
        entry_clear(&entries[i]);
    free(entries);
    entries = NULL;
    nentries = 0;
    mv_store_free(store);
    store = NULL;
}
