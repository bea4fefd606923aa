/*
 * Snapshot metadata in memory and on disk (snapshot_store.h).
 */
#define MV_LOG_MODULE "qemud.snapshot"
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error_codes.h"
#include "file.h"
#include "log.h"
#include "paths.h"
#include "snapshot_store.h"

/* the snapshots of one domain, in the order they were made or loaded */
struct snap_set {
    char *domain;
    struct qemud_snap_def **snaps;
    size_t n;
};

static struct {
    pthread_mutex_t lock;
    char *dir;                      /* <confdir>/qemu/snapshot */
    struct snap_set *sets;
    size_t nsets;
} store = { .lock = PTHREAD_MUTEX_INITIALIZER };

#define SNAP_FILE_MAX (8u << 20)

static struct snap_set *find_set(const char *domain)
{
    for (size_t i = 0; i < store.nsets; i++)
        if (strcmp(store.sets[i].domain, domain) == 0)
            return &store.sets[i];
    return NULL;
}

static struct snap_set *get_set(const char *domain)
{
    struct snap_set *s = find_set(domain), *g;

    if (s)
        return s;
    if (!(g = reallocarray(store.sets, store.nsets + 1, sizeof(*g))))
        return NULL;
    store.sets = g;
    s = &g[store.nsets];
    memset(s, 0, sizeof(*s));
    if (!(s->domain = strdup(domain)))
        return NULL;
    store.nsets++;
    return s;
}

static ssize_t find_snap(const struct snap_set *s, const char *name)
{
    if (!s || !name)
        return -1;
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->snaps[i]->name, name) == 0)
            return (ssize_t)i;
    return -1;
}

static void set_clear(struct snap_set *s)
{
    for (size_t i = 0; i < s->n; i++)
        qemud_snap_def_free(s->snaps[i]);
    free(s->snaps);
    free(s->domain);
    memset(s, 0, sizeof(*s));
}

/* ---- files ---- */

static char *dom_dir(const char *domain)
{
    char *p;

    return asprintf(&p, "%s/%s", store.dir, domain) < 0 ? NULL : p;
}

static char *snap_path(const char *domain, const char *name)
{
    char *p;

    return asprintf(&p, "%s/%s/%s.xml", store.dir, domain, name) < 0 ? NULL : p;
}

static int write_snap(const char *domain, const struct qemud_snap_def *def, struct mv_err *err)
{
    _cleanup_free_ char *dir = dom_dir(domain);
    _cleanup_free_ char *path = snap_path(domain, def->name);
    _cleanup_free_ char *xml = NULL;
    int r;

    if (!dir || !path || qemud_snap_def_format(def, QEMUD_SNAP_FORMAT_STORED, &xml) < 0)
        return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if ((r = mv_mkdir_p(dir, 0700)) < 0 || (r = mv_file_write_atomic(path, xml, strlen(xml), 0600)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                                "cannot save the metadata of snapshot '%s' of domain '%s' in '%s'", def->name,
                                domain, path);
    return 0;
}

static int unlink_snap(const char *domain, const char *name, struct mv_err *err)
{
    _cleanup_free_ char *path = snap_path(domain, name);
    int r;

    if (!path)
        return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if ((r = mv_file_unlink_durable(path)) < 0 && r != -ENOENT)
        return mv_err_set_errno(err, r, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                                "cannot remove the metadata of snapshot '%s' of domain '%s' ('%s')", name, domain,
                                path);
    return 0;
}

/* ---- loading ---- */

static void load_file(const char *domain, const char *dir, const char *file)
{
    _cleanup_free_ char *path = NULL, *xml = NULL, *msg = NULL;
    struct qemud_snap_def *def = NULL;
    struct snap_set *s;
    size_t len = strlen(file), xlen;
    int code;

    if (asprintf(&path, "%s/%s", dir, file) < 0)
        return;
    if (file[0] == '.') {           /* a temp file of a write that was killed */
        unlink(path);
        return;
    }
    if (len < 5 || strcmp(file + len - 4, ".xml") != 0)
        return;
    if (mv_file_read_all(path, SNAP_FILE_MAX, &xml, &xlen) < 0) {
        mv_warn("cannot read snapshot metadata '%s': skipped", path);
        return;
    }
    if (qemud_snap_def_parse(xml, QEMUD_SNAP_PARSE_STORED, &def, &code, &msg) < 0) {
        mv_warn("snapshot metadata '%s' is damaged (%s): skipped", path, msg ? msg : "out of memory");
        return;
    }
    if (strncmp(def->name, file, len - 4) != 0 || strlen(def->name) != len - 4) {
        mv_warn("snapshot metadata '%s' names snapshot '%s': skipped", path, def->name);
        qemud_snap_def_free(def);
        return;
    }
    if (!(s = get_set(domain)) || !(s->snaps = reallocarray(s->snaps, s->n + 1, sizeof(*s->snaps)))) {
        qemud_snap_def_free(def);
        return;
    }
    s->snaps[s->n++] = def;
}

/* Oldest first, so that lists come out in the order the snapshots were made. */
static int by_time(const void *a, const void *b)
{
    const struct qemud_snap_def *x = *(struct qemud_snap_def *const *)a, *y = *(struct qemud_snap_def *const *)b;

    return x->creation_time < y->creation_time ? -1 : x->creation_time > y->creation_time;
}

static void load_domain(const char *domain)
{
    _cleanup_free_ char *dir = dom_dir(domain);
    struct snap_set *s;
    struct dirent *e;
    DIR *d;

    if (!dir || !(d = opendir(dir)))
        return;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
            load_file(domain, dir, e->d_name);
    closedir(d);
    if ((s = find_set(domain)) && s->n)
        qsort(s->snaps, s->n, sizeof(*s->snaps), by_time);
}

int qemud_snap_store_init(const char *confdir)
{
    struct dirent *e;
    DIR *d;

    if (asprintf(&store.dir, "%s/qemu/snapshot", confdir) < 0) {
        store.dir = NULL;
        return -ENOMEM;
    }
    if (!(d = opendir(store.dir)))
        return 0;
    while ((e = readdir(d)))
        if (e->d_name[0] != '.' && e->d_type == DT_DIR)
            load_domain(e->d_name);
    closedir(d);
    return 0;
}

void qemud_snap_store_cleanup(void)
{
    for (size_t i = 0; i < store.nsets; i++)
        set_clear(&store.sets[i]);
    free(store.sets);
    free(store.dir);
    store.sets = NULL;
    store.nsets = 0;
    store.dir = NULL;
}

/* ---- queries ---- */

struct qemud_snap_def *qemud_snap_store_get(const char *domain, const char *name, bool *enomem)
{
    struct qemud_snap_def *c = NULL;
    struct snap_set *s;
    ssize_t i;

    *enomem = false;
    pthread_mutex_lock(&store.lock);
    s = find_set(domain);
    if ((i = find_snap(s, name)) >= 0 && !(c = qemud_snap_def_copy(s->snaps[i])))
        *enomem = true;
    pthread_mutex_unlock(&store.lock);
    return c;
}

bool qemud_snap_store_has(const char *domain, const char *name)
{
    bool has;

    pthread_mutex_lock(&store.lock);
    has = find_snap(find_set(domain), name) >= 0;
    pthread_mutex_unlock(&store.lock);
    return has;
}

size_t qemud_snap_store_count(const char *domain)
{
    struct snap_set *s;
    size_t n;

    pthread_mutex_lock(&store.lock);
    s = find_set(domain);
    n = s ? s->n : 0;
    pthread_mutex_unlock(&store.lock);
    return n;
}

static struct qemud_snap_def *current_of(const struct snap_set *s)
{
    for (size_t i = 0; s && i < s->n; i++)
        if (s->snaps[i]->current)
            return s->snaps[i];
    return NULL;
}

char *qemud_snap_store_current(const char *domain)
{
    struct qemud_snap_def *cur;
    char *name = NULL;

    pthread_mutex_lock(&store.lock);
    if ((cur = current_of(find_set(domain))))
        name = strdup(cur->name);
    pthread_mutex_unlock(&store.lock);
    return name;
}

static bool parent_is(const struct qemud_snap_def *d, const char *of)
{
    return of ? d->parent && strcmp(d->parent, of) == 0 : !d->parent;
}

static bool has_children(const struct snap_set *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (parent_is(s->snaps[i], name))
            return true;
    return false;
}

/* Whether D passes the filter groups of FLAGS (each group: none set = any). */
static bool wanted(const struct snap_set *s, const struct qemud_snap_def *d, unsigned int flags)
{
    unsigned int g;
    bool leaf = !has_children(s, d->name), ext = qemud_snap_def_is_external(d);

    g = flags & (QEMUD_SNAP_LIST_LEAVES | QEMUD_SNAP_LIST_NO_LEAVES);
    if (g && g != (QEMUD_SNAP_LIST_LEAVES | QEMUD_SNAP_LIST_NO_LEAVES) &&
        !(leaf ? g & QEMUD_SNAP_LIST_LEAVES : g & QEMUD_SNAP_LIST_NO_LEAVES))
        return false;
    g = flags & (QEMUD_SNAP_LIST_METADATA | QEMUD_SNAP_LIST_NO_METADATA);
    if (g == QEMUD_SNAP_LIST_NO_METADATA)   /* every snapshot here has metadata */
        return false;
    g = flags & (QEMUD_SNAP_LIST_INACTIVE | QEMUD_SNAP_LIST_ACTIVE | QEMUD_SNAP_LIST_DISK_ONLY);
    if (g) {
        bool ok = d->state == QEMUD_SNAP_SHUTOFF ? g & QEMUD_SNAP_LIST_INACTIVE
                  : d->state == QEMUD_SNAP_DISK_SNAPSHOT ? g & QEMUD_SNAP_LIST_DISK_ONLY
                  : g & QEMUD_SNAP_LIST_ACTIVE;
        if (!ok)
            return false;
    }
    g = flags & (QEMUD_SNAP_LIST_INTERNAL | QEMUD_SNAP_LIST_EXTERNAL);
    if (g && !(ext ? g & QEMUD_SNAP_LIST_EXTERNAL : g & QEMUD_SNAP_LIST_INTERNAL))
        return false;
    return true;
}

struct walk {
    const struct snap_set *s;
    unsigned int flags;
    char **names;
    size_t n;
    bool failed;
};

static void take(struct walk *w, const struct qemud_snap_def *d)
{
    if (!wanted(w->s, d, w->flags))
        return;
    if (w->names && !w->failed && !(w->names[w->n] = strdup(d->name)))
        w->failed = true;
    w->n++;
}

/* The subtree below OF (NULL: the roots) in preorder, so parents come first;
 * DEEP: not only the first level.  A parent that is not stored makes its
 * children roots. */
static void walk_below(struct walk *w, const char *of, bool deep, unsigned int depth)
{
    for (size_t i = 0; i < w->s->n && depth < 4096; i++) {
        const struct qemud_snap_def *d = w->s->snaps[i];
        bool child = of ? parent_is(d, of) : (!d->parent || find_snap(w->s, d->parent) < 0);

        if (!child)
            continue;
        take(w, d);
        if (deep)
            walk_below(w, d->name, true, depth + 1);
    }
}

int qemud_snap_store_list(const char *domain, const char *of, unsigned int flags, char ***names)
{
    struct walk w = { .flags = flags };
    bool deep;
    int r;

    pthread_mutex_lock(&store.lock);
    w.s = find_set(domain);
    if (!w.s || (of && find_snap(w.s, of) < 0)) {
        pthread_mutex_unlock(&store.lock);
        if (names)
            *names = NULL;
        return 0;
    }
    if (names && !(w.names = calloc(w.s->n + 1, sizeof(char *)))) {
        pthread_mutex_unlock(&store.lock);
        return -ENOMEM;
    }
    /* the roots alone, or a snapshot's children, or everything */
    deep = of ? (flags & QEMUD_SNAP_LIST_DESCENDANTS) : !(flags & QEMUD_SNAP_LIST_ROOTS);
    walk_below(&w, of, deep, 0);
    pthread_mutex_unlock(&store.lock);
    if (w.failed) {
        qemud_snap_names_free(w.names, w.n);
        return -ENOMEM;
    }
    if (names)
        *names = w.names;
    r = (int)w.n;
    return r;
}

void qemud_snap_names_free(char **names, size_t n)
{
    if (!names)
        return;
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- changes ---- */

/* Clears the current mark of every snapshot of S but KEEP, rewriting their files. */
static int clear_current(struct snap_set *s, const struct qemud_snap_def *keep, struct mv_err *err)
{
    for (size_t i = 0; i < s->n; i++) {
        if (s->snaps[i] == keep || !s->snaps[i]->current)
            continue;
        s->snaps[i]->current = false;
        if (write_snap(s->domain, s->snaps[i], err) < 0)
            return -EIO;
    }
    return 0;
}

int qemud_snap_store_put(const char *domain, struct qemud_snap_def *def, bool current, struct mv_err *err)
{
    struct snap_set *s;
    struct qemud_snap_def **g;
    ssize_t i;
    int r;

    pthread_mutex_lock(&store.lock);
    if (!(s = get_set(domain))) {
        pthread_mutex_unlock(&store.lock);
        qemud_snap_def_free(def);
        return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    }
    i = find_snap(s, def->name);
    def->current = current || (i >= 0 && s->snaps[i]->current);
    if ((r = write_snap(domain, def, err)) < 0) {
        pthread_mutex_unlock(&store.lock);
        qemud_snap_def_free(def);
        return r;
    }
    if (i >= 0) {
        qemud_snap_def_free(s->snaps[i]);
        s->snaps[i] = def;
    } else if ((g = reallocarray(s->snaps, s->n + 1, sizeof(*g)))) {
        s->snaps = g;
        s->snaps[s->n++] = def;
    } else {
        pthread_mutex_unlock(&store.lock);
        qemud_snap_def_free(def);
        return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    }
    r = def->current ? clear_current(s, def, err) : 0;
    pthread_mutex_unlock(&store.lock);
    return r;
}

int qemud_snap_store_set_current(const char *domain, const char *name, struct mv_err *err)
{
    struct snap_set *s;
    ssize_t i;
    int r = 0;

    pthread_mutex_lock(&store.lock);
    s = find_set(domain);
    i = find_snap(s, name);
    if (s && i >= 0 && !s->snaps[i]->current) {
        s->snaps[i]->current = true;
        r = write_snap(domain, s->snaps[i], err);
    }
    if (s && r == 0)
        r = clear_current(s, i >= 0 ? s->snaps[i] : NULL, err);
    pthread_mutex_unlock(&store.lock);
    return r;
}

/* Gives NAME's children NAME's parent, rewriting their files. */
static int reparent(struct snap_set *s, const struct qemud_snap_def *gone, struct mv_err *err)
{
    for (size_t i = 0; i < s->n; i++) {
        struct qemud_snap_def *d = s->snaps[i];
        char *p = NULL;

        if (d == gone || !parent_is(d, gone->name))
            continue;
        if (gone->parent && !(p = strdup(gone->parent)))
            return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
        free(d->parent);
        d->parent = p;
        if (write_snap(s->domain, d, err) < 0)
            return -EIO;
    }
    return 0;
}

int qemud_snap_store_remove(const char *domain, const char *name, struct mv_err *err)
{
    struct snap_set *s;
    struct qemud_snap_def *gone;
    ssize_t i, p;
    int r;

    pthread_mutex_lock(&store.lock);
    s = find_set(domain);
    if ((i = find_snap(s, name)) < 0) {
        pthread_mutex_unlock(&store.lock);
        return 0;
    }
    gone = s->snaps[i];
    if ((r = unlink_snap(domain, name, err)) < 0 || (r = reparent(s, gone, err)) < 0) {
        pthread_mutex_unlock(&store.lock);
        return r;
    }
    memmove(&s->snaps[i], &s->snaps[i + 1], (s->n - (size_t)i - 1) * sizeof(*s->snaps));
    s->n--;
    /* as libvirt: deleting the current snapshot makes its parent current */
    if (gone->current && (p = find_snap(s, gone->parent)) >= 0) {
        s->snaps[p]->current = true;
        r = write_snap(domain, s->snaps[p], err);
    }
    pthread_mutex_unlock(&store.lock);
    qemud_snap_def_free(gone);
    return r;
}

int qemud_snap_store_remove_all(const char *domain, struct mv_err *err)
{
    _cleanup_free_ char *dir = NULL;
    struct snap_set *s;
    int r = 0;

    pthread_mutex_lock(&store.lock);
    if (!(dir = dom_dir(domain))) {
        pthread_mutex_unlock(&store.lock);
        return mv_err_set(err, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    }
    if ((s = find_set(domain))) {
        while (s->n && r == 0) {
            r = unlink_snap(domain, s->snaps[s->n - 1]->name, err);
            if (r == 0)
                qemud_snap_def_free(s->snaps[--s->n]);
        }
        if (r == 0) {
            set_clear(s);
            *s = store.sets[--store.nsets];
        }
    }
    pthread_mutex_unlock(&store.lock);
    if (r == 0 && rmdir(dir) < 0 && errno != ENOENT)
        mv_warn("cannot remove '%s': %s", dir, strerror(errno));
    return r;
}
