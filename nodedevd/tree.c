/*
 * The device set (tree.h): two sorted arrays of references, one by name
 * (lookups and the sorted listing) and one by sysfs path (uevents name a
 * path, and a new device's parent is its nearest ancestor directory that
 * the tree holds).  A few hundred devices: binary search is plenty, and a
 * listing is a copy of the name array.  One mutex, held only around array
 * work; the XML is formatted before it is taken.
 */
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "format.h"
#include "tree.h"

struct dev_array {
    struct nodedev_device **v;
    size_t n, cap;
};

struct nodedev_tree {
    pthread_mutex_t lock;
    struct dev_array by_name;
    struct dev_array by_path;   /* devices with a syspath */
};

typedef const char *(*key_fn)(const struct nodedev_device *dev);

static const char *name_key(const struct nodedev_device *dev) { return dev->name; }
static const char *path_key(const struct nodedev_device *dev) { return dev->syspath; }

/* The index of KEY in A, or where it would go (*FOUND false). */
static size_t array_search(const struct dev_array *a, key_fn key, const char *k, bool *found)
{
    size_t lo = 0, hi = a->n;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(key(a->v[mid]), k);

        if (c == 0) {
            *found = true;
            return mid;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = false;
    return lo;
}

static int array_reserve(struct dev_array *a)
{
    struct nodedev_device **v;
    size_t cap;

    if (a->n < a->cap)
        return 0;
    cap = a->cap ? a->cap * 2 : 64;
    v = realloc(a->v, cap * sizeof(*v));
    if (!v)
        return -ENOMEM;
    a->v = v;
    a->cap = cap;
    return 0;
}

static void array_insert(struct dev_array *a, size_t i, struct nodedev_device *dev)
{
    memmove(a->v + i + 1, a->v + i, (a->n - i) * sizeof(*a->v));
    a->v[i] = dev;
    a->n++;
}

static struct nodedev_device *array_take(struct dev_array *a, size_t i)
{
    struct nodedev_device *dev = a->v[i];

    memmove(a->v + i, a->v + i + 1, (a->n - i - 1) * sizeof(*a->v));
    a->n--;
    return dev;
}

int nodedev_tree_new(struct nodedev_tree **out)
{
    struct nodedev_tree *t = calloc(1, sizeof(*t));

    if (!t)
        return -ENOMEM;
    pthread_mutex_init(&t->lock, NULL);
    *out = t;
    return 0;
}

void nodedev_tree_free(struct nodedev_tree *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->by_name.n; i++)
        nodedev_device_unref(t->by_name.v[i]);
    for (size_t i = 0; i < t->by_path.n; i++)
        nodedev_device_unref(t->by_path.v[i]);
    free(t->by_name.v);
    free(t->by_path.v);
    pthread_mutex_destroy(&t->lock);
    free(t);
}

/* The name of the nearest ancestor directory of SYSPATH that the tree
 * holds, else "computer" (what libvirt's udevSetParent finds walking
 * udev_device_get_parent).  Lock held. */
static char *resolve_parent(struct nodedev_tree *t, const char *syspath)
{
    _cleanup_free_ char *p = syspath ? strdup(syspath) : NULL;
    char *slash;
    bool found;

    if (syspath && !p)
        return NULL;
    while (p && (slash = strrchr(p, '/')) && slash != p) {
        size_t i;

        *slash = '\0';
        i = array_search(&t->by_path, path_key, p, &found);
        if (found)
            return strdup(t->by_path.v[i]->name);
    }
    return strdup("computer");
}

/* Drops the entry of DEV's name, or of the device at its syspath under
 * another name, from both arrays.  Lock held; returns the reference the
 * name array held (NULL if none). */
static struct nodedev_device *unlink_locked(struct nodedev_tree *t, struct nodedev_device *dev)
{
    struct nodedev_device *old;
    bool found;
    size_t i = array_search(&t->by_name, name_key, dev->name, &found);

    if (!found)
        return NULL;
    old = array_take(&t->by_name, i);
    if (old->syspath) {
        i = array_search(&t->by_path, path_key, old->syspath, &found);
        if (found && t->by_path.v[i] == old)
            nodedev_device_unref(array_take(&t->by_path, i));
    }
    return old;
}

static int put_locked(struct nodedev_tree *t, struct nodedev_device *dev, struct nodedev_device **old)
{
    size_t in, ip = 0;
    bool found;

    /* room first, so that nothing fails once the old entries are gone */
    if (array_reserve(&t->by_name) < 0 || array_reserve(&t->by_path) < 0)
        return -ENOMEM;
    *old = unlink_locked(t, dev);
    if (dev->syspath) {
        ip = array_search(&t->by_path, path_key, dev->syspath, &found);
        if (found) {
            /* the same sysfs device under another name (a MAC changed):
             * it is replaced too */
            struct nodedev_device *other = t->by_path.v[ip];

            nodedev_device_unref(unlink_locked(t, other));
            ip = array_search(&t->by_path, path_key, dev->syspath, &found);
        }
        array_insert(&t->by_path, ip, nodedev_device_ref(dev));
    }
    in = array_search(&t->by_name, name_key, dev->name, &found);
    array_insert(&t->by_name, in, dev);
    return 0;
}

int nodedev_tree_put(struct nodedev_tree *t, struct nodedev_device *dev)
{
    _cleanup_nodedev_ struct nodedev_device *take = dev;
    _cleanup_nodedev_ struct nodedev_device *old = NULL;
    int r;

    if (!dev->parent && strcmp(dev->name, "computer") != 0) {
        pthread_mutex_lock(&t->lock);
        dev->parent = resolve_parent(t, dev->syspath);
        pthread_mutex_unlock(&t->lock);
        if (!dev->parent)
            return -ENOMEM;
    }
    free(dev->xml);
    dev->xml = NULL;
    r = nodedev_format(dev, &dev->xml);
    if (r < 0)
        return r;

    pthread_mutex_lock(&t->lock);
    r = put_locked(t, dev, &old);
    pthread_mutex_unlock(&t->lock);
    if (r < 0)
        return r;
    take = NULL;
    if (!old)
        return NODEDEV_PUT_CREATED;
    return strcmp(old->xml, dev->xml) == 0 ? NODEDEV_PUT_UNCHANGED : NODEDEV_PUT_UPDATED;
}

struct nodedev_device *nodedev_tree_remove(struct nodedev_tree *t, const char *name)
{
    struct nodedev_device key = { .name = (char *)name };
    struct nodedev_device *old;

    pthread_mutex_lock(&t->lock);
    old = unlink_locked(t, &key);
    pthread_mutex_unlock(&t->lock);
    return old;
}

struct nodedev_device *nodedev_tree_remove_syspath(struct nodedev_tree *t, const char *syspath)
{
    struct nodedev_device *old = NULL;
    bool found;
    size_t i;

    pthread_mutex_lock(&t->lock);
    i = array_search(&t->by_path, path_key, syspath, &found);
    if (found)
        old = unlink_locked(t, t->by_path.v[i]);
    pthread_mutex_unlock(&t->lock);
    return old;
}

static struct nodedev_device *find(struct nodedev_tree *t, struct dev_array *a, key_fn key, const char *k)
{
    struct nodedev_device *dev = NULL;
    bool found;
    size_t i;

    if (!k)
        return NULL;
    pthread_mutex_lock(&t->lock);
    i = array_search(a, key, k, &found);
    if (found)
        dev = nodedev_device_ref(a->v[i]);
    pthread_mutex_unlock(&t->lock);
    return dev;
}

struct nodedev_device *nodedev_tree_find(struct nodedev_tree *t, const char *name)
{
    return find(t, &t->by_name, name_key, name);
}

struct nodedev_device *nodedev_tree_find_syspath(struct nodedev_tree *t, const char *syspath)
{
    return find(t, &t->by_path, path_key, syspath);
}

struct nodedev_device *nodedev_tree_find_wwn(struct nodedev_tree *t, const char *wwnn, const char *wwpn)
{
    struct nodedev_device *dev = NULL;

    if (!wwnn || !wwpn)
        return NULL;
    pthread_mutex_lock(&t->lock);
    for (size_t i = 0; i < t->by_name.n && !dev; i++) {
        struct nodedev_device *d = t->by_name.v[i];

        if ((d->cap_mask & (1u << NODEDEV_CAP_SCSI_HOST)) && d->wwnn && d->wwpn &&
            strcmp(d->wwnn, wwnn) == 0 && strcmp(d->wwpn, wwpn) == 0)
            dev = nodedev_device_ref(d);
    }
    pthread_mutex_unlock(&t->lock);
    return dev;
}

/* Whether DEV passes LIST_ALL's filters: any of the capabilities, and the
 * state when exactly one of ACTIVE / INACTIVE is asked for. */
static bool list_match(const struct nodedev_device *dev, unsigned int cap_mask, unsigned int flags)
{
    bool want_active = flags & NODEDEV_LIST_ACTIVE, want_inactive = flags & NODEDEV_LIST_INACTIVE;

    if (cap_mask && !(dev->cap_mask & cap_mask))
        return false;
    if (want_active != want_inactive && dev->active != want_active)
        return false;
    return true;
}

int nodedev_tree_list(struct nodedev_tree *t, unsigned int cap_mask, unsigned int flags,
                      struct nodedev_device ***devs, size_t *n)
{
    struct nodedev_device **v;
    size_t k = 0;

    cap_mask &= ~(NODEDEV_LIST_ACTIVE | NODEDEV_LIST_INACTIVE);
    pthread_mutex_lock(&t->lock);
    v = calloc(t->by_name.n + 1, sizeof(*v));
    if (!v) {
        pthread_mutex_unlock(&t->lock);
        return -ENOMEM;
    }
    for (size_t i = 0; i < t->by_name.n; i++)
        if (list_match(t->by_name.v[i], cap_mask, flags))
            v[k++] = nodedev_device_ref(t->by_name.v[i]);
    pthread_mutex_unlock(&t->lock);
    *devs = v;
    *n = k;
    return 0;
}

void nodedev_list_free(struct nodedev_device **devs, size_t n)
{
    if (!devs)
        return;
    for (size_t i = 0; i < n; i++)
        nodedev_device_unref(devs[i]);
    free(devs);
}

size_t nodedev_tree_count(struct nodedev_tree *t)
{
    size_t n;

    pthread_mutex_lock(&t->lock);
    n = t->by_name.n;
    pthread_mutex_unlock(&t->lock);
    return n;
}
