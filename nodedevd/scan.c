/*
 * Filling the tree from sysfs (scan.h).  All devices are read first and
 * put in sysfs path order: a path sorts before every path below it, so
 * each device's parent is in the tree when the device arrives, whatever
 * order sd-device's enumerator returns them in.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-device.h>

#include "cleanup.h"
#define MV_LOG_MODULE "nodedev.scan"
#include "log.h"
#include "scan.h"

struct dev_vec {
    struct nodedev_device **v;
    size_t n;
};

static void dev_vec_clear(struct dev_vec *vec)
{
    for (size_t i = 0; i < vec->n; i++)
        nodedev_device_unref(vec->v[i]);
    free(vec->v);
}

static int dev_vec_push(struct dev_vec *vec, struct nodedev_device *dev)
{
    struct nodedev_device **v = realloc(vec->v, (vec->n + 1) * sizeof(*v));

    if (!v) {
        nodedev_device_unref(dev);
        return -ENOMEM;
    }
    vec->v = v;
    vec->v[vec->n++] = dev;
    return 0;
}

static int syspath_cmp(const void *a, const void *b)
{
    const struct nodedev_device *x = *(struct nodedev_device *const *)a;
    const struct nodedev_device *y = *(struct nodedev_device *const *)b;

    return strcmp(x->syspath, y->syspath);
}

static void notify(nodedev_changed_fn changed, void *opaque, struct nodedev_device *dev, int result)
{
    if (changed && dev && result != NODEDEV_PUT_UNCHANGED)
        changed(dev, result, opaque);
}

/* Puts DEV (taking its reference) and tells CHANGED about it. */
static int put_notify(struct nodedev_tree *tree, struct nodedev_device *dev,
                      nodedev_changed_fn changed, void *opaque)
{
    _cleanup_nodedev_ struct nodedev_device *keep = nodedev_device_ref(dev);
    int r = nodedev_tree_put(tree, dev);

    if (r < 0)
        return r;
    notify(changed, opaque, keep, r);
    return 0;
}

/* Every listed device of sysfs, read through the enumerator.  Devices
 * that cannot be read are logged and left out. */
static int read_all(const struct nodedev_read_ctx *ctx, struct dev_vec *vec)
{
    sd_device_enumerator *e = NULL;
    int r = sd_device_enumerator_new(&e);

    if (r < 0)
        return r;
    /* without udevd (as on these machines) no device is "initialized":
     * block and net devices would be left out otherwise */
    r = sd_device_enumerator_allow_uninitialized(e);
    for (sd_device *d = r < 0 ? NULL : sd_device_enumerator_get_device_first(e); d;
         d = sd_device_enumerator_get_device_next(e)) {
        struct nodedev_device *dev = NULL;
        const char *path = "?";
        int k = nodedev_read(d, ctx, &dev);

        if (k < 0) {
            (void)sd_device_get_syspath(d, &path);
            mv_debug("cannot read device '%s': %s", path, strerror(-k));
            continue;
        }
        if (dev && (r = dev_vec_push(vec, dev)) < 0)
            break;
    }
    sd_device_enumerator_unref(e);
    if (r < 0)
        return r;
    if (vec->n)
        qsort(vec->v, vec->n, sizeof(*vec->v), syspath_cmp);
    return 0;
}

static int str_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Drops the devices read from sysfs before that this scan did not find
 * (devices without a sysfs path, the computer and inactive mdevs, stay).
 * The names found are sorted once: a rescan of a big host stays linear-ish. */
static int remove_stale(struct nodedev_tree *tree, const struct dev_vec *vec,
                        nodedev_changed_fn changed, void *opaque)
{
    _cleanup_free_ const char **found = calloc(vec->n + 1, sizeof(*found));
    struct nodedev_device **devs = NULL;
    size_t n = 0;
    int r;

    if (!found)
        return -ENOMEM;
    for (size_t i = 0; i < vec->n; i++)
        found[i] = vec->v[i]->name;
    qsort(found, vec->n, sizeof(*found), str_cmp);
    r = nodedev_tree_list(tree, 0, 0, &devs, &n);
    if (r < 0)
        return r;
    for (size_t i = 0; i < n; i++) {
        struct nodedev_device *old;

        if (!devs[i]->syspath || bsearch(&devs[i]->name, found, vec->n, sizeof(*found), str_cmp))
            continue;
        old = nodedev_tree_remove(tree, devs[i]->name);
        if (old && changed)
            changed(old, -1, opaque);
        nodedev_device_unref(old);
    }
    nodedev_list_free(devs, n);
    return 0;
}

static int scan_locked(struct nodedev_tree *tree, const struct nodedev_read_ctx *ctx,
                       nodedev_changed_fn changed, void *opaque)
{
    struct dev_vec vec = { 0 };
    struct nodedev_device *computer = NULL;
    int r = nodedev_read_computer(&computer);

    if (r < 0)
        return r;
    r = put_notify(tree, computer, changed, opaque);
    if (r >= 0)
        r = read_all(ctx, &vec);
    if (r >= 0)
        r = remove_stale(tree, &vec, changed, opaque);
    for (size_t i = 0; r >= 0 && i < vec.n; i++) {
        r = put_notify(tree, vec.v[i], changed, opaque);
        vec.v[i] = NULL;
    }
    dev_vec_clear(&vec);
    return r;
}

/* Removes the device at SYSPATH, if the tree has one, and tells CHANGED. */
static void remove_notify(struct nodedev_tree *tree, const char *syspath,
                          nodedev_changed_fn changed, void *opaque)
{
    _cleanup_nodedev_ struct nodedev_device *old = nodedev_tree_remove_syspath(tree, syspath);

    if (old && changed)
        changed(old, -1, opaque);
}

static int scan_one_locked(struct nodedev_tree *tree, const struct nodedev_read_ctx *ctx, const char *syspath,
                           nodedev_changed_fn changed, void *opaque)
{
    _cleanup_nodedev_ struct nodedev_device *old = NULL;
    struct nodedev_device *dev = NULL;
    sd_device *d = NULL;
    int r = sd_device_new_from_syspath(&d, syspath);

    if (r == -ENODEV || r == -ENOENT) {
        remove_notify(tree, syspath, changed, opaque);
        return 0;
    }
    if (r < 0)
        return r;
    r = nodedev_read(d, ctx, &dev);
    sd_device_unref(d);
    if (r == -ENODEV || r == -ENOENT || (r >= 0 && !dev)) {
        /* gone while read, or no longer a device libvirt lists */
        remove_notify(tree, syspath, changed, opaque);
        return 0;
    }
    if (r < 0)
        return r;
    /* the same sysfs device under a new name (its MAC changed): the old
     * name goes away first, with its event */
    old = nodedev_tree_find_syspath(tree, dev->syspath);
    if (old && strcmp(old->name, dev->name) != 0)
        remove_notify(tree, dev->syspath, changed, opaque);
    return put_notify(tree, dev, changed, opaque);
}

/* Every scan and re-read of a device holds this: the loop reads a device
 * again for its uevent while a worker re-reads the one it detached or the
 * mdev it started, and a read put after a newer one would put the older
 * facts back.  One lock for all trees: a daemon has one. */
static pthread_mutex_t scan_lock = PTHREAD_MUTEX_INITIALIZER;

int nodedev_scan(struct nodedev_tree *tree, const struct nodedev_read_ctx *ctx,
                 nodedev_changed_fn changed, void *opaque)
{
    pthread_mutex_lock(&scan_lock);
    int r = scan_locked(tree, ctx, changed, opaque);
    pthread_mutex_unlock(&scan_lock);
    return r;
}

int nodedev_scan_one(struct nodedev_tree *tree, const struct nodedev_read_ctx *ctx, const char *syspath,
                     nodedev_changed_fn changed, void *opaque)
{
    pthread_mutex_lock(&scan_lock);
    int r = scan_one_locked(tree, ctx, syspath, changed, opaque);
    pthread_mutex_unlock(&scan_lock);
    return r;
}

void nodedev_scan_remove(struct nodedev_tree *tree, const char *syspath, nodedev_changed_fn changed, void *opaque)
{
    pthread_mutex_lock(&scan_lock);
    remove_notify(tree, syspath, changed, opaque);
    pthread_mutex_unlock(&scan_lock);
}
