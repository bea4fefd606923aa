/*
 * mv_volfile_inspect(): the cache in front of the header probe.  An entry is
 * keyed by (dev, ino) and valid while the file's mtime, ctime (both in ns),
 * size and block count are what they were when it was read, so a refresh of
 * 1000 unchanged volumes costs 1000 stat()s and nothing else.  Our own
 * changes (wipe, resize) forget the entry explicitly, since a coarse
 * filesystem clock can leave mtime unchanged across a quick change.
 *
 * The probe runs outside the lock: one file on a stuck NFS server must not
 * hold up inspections in other pools.  Block devices are not cached (their
 * node's times say nothing about the contents).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "vol_file_internal.h"

#define BUCKETS 4096
/* past this many entries the cache starts over (a rare full refresh pays) */
#define ENTRIES_MAX 65536

struct entry {
    struct entry *next;
    dev_t dev;
    ino_t ino;
    struct timespec mtime, ctime;
    off_t size;
    blkcnt_t blocks;
    struct mv_volfile_info info;    /* allocation and physical: from each stat */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *buckets[BUCKETS];
static size_t entries;

static size_t bucket_of(dev_t dev, ino_t ino)
{
    return (size_t)((ino * 0x9e3779b97f4a7c15ULL) ^ dev) % BUCKETS;
}

static bool same_time(const struct timespec *a, const struct timespec *b)
{
    return a->tv_sec == b->tv_sec && a->tv_nsec == b->tv_nsec;
}

static bool entry_valid(const struct entry *e, const struct stat *st)
{
    return same_time(&e->mtime, &st->st_mtim) && same_time(&e->ctime, &st->st_ctim) &&
           e->size == st->st_size && e->blocks == st->st_blocks;
}

static int info_copy(struct mv_volfile_info *dst, const struct mv_volfile_info *src)
{
    *dst = *src;
    dst->backing = src->backing ? strdup(src->backing) : NULL;
    dst->compat = src->compat ? strdup(src->compat) : NULL;
    if ((src->backing && !dst->backing) || (src->compat && !dst->compat)) {
        mv_volfile_info_clear(dst);
        return -ENOMEM;
    }
    return 0;
}

static void entry_free(struct entry *e)
{
    mv_volfile_info_clear(&e->info);
    free(e);
}

/* Unlinks and frees (DEV, INO)'s entry; under the lock. */
static void remove_locked(dev_t dev, ino_t ino)
{
    struct entry **pp = &buckets[bucket_of(dev, ino)];

    for (; *pp; pp = &(*pp)->next) {
        struct entry *e = *pp;

        if (e->dev == dev && e->ino == ino) {
            *pp = e->next;
            entry_free(e);
            entries--;
            return;
        }
    }
}

static void clear_locked(void)
{
    for (size_t i = 0; i < BUCKETS; i++)
        while (buckets[i]) {
            struct entry *e = buckets[i];

            buckets[i] = e->next;
            entry_free(e);
        }
    entries = 0;
}

/* 1 and a copy in INFO if ST's file is cached and unchanged. */
static int lookup(const struct stat *st, struct mv_volfile_info *info)
{
    int r = 0;

    pthread_mutex_lock(&lock);
    for (struct entry *e = buckets[bucket_of(st->st_dev, st->st_ino)]; e; e = e->next)
        if (e->dev == st->st_dev && e->ino == st->st_ino) {
            r = entry_valid(e, st) ? (info_copy(info, &e->info) < 0 ? -ENOMEM : 1) : 0;
            break;
        }
    pthread_mutex_unlock(&lock);
    return r;
}

static void insert(const struct stat *st, const struct mv_volfile_info *info)
{
    struct entry *e = calloc(1, sizeof(*e));
    size_t b = bucket_of(st->st_dev, st->st_ino);

    if (!e || info_copy(&e->info, info) < 0) {
        free(e);
        return;         /* no memory: just not cached */
    }
    e->dev = st->st_dev, e->ino = st->st_ino;
    e->mtime = st->st_mtim, e->ctime = st->st_ctim;
    e->size = st->st_size, e->blocks = st->st_blocks;
    pthread_mutex_lock(&lock);
    remove_locked(st->st_dev, st->st_ino);
    if (entries >= ENTRIES_MAX)
        clear_locked();
    e->next = buckets[b];
    buckets[b] = e;
    entries++;
    pthread_mutex_unlock(&lock);
}

void mv_volfile_cache_forget(dev_t dev, ino_t ino)
{
    pthread_mutex_lock(&lock);
    remove_locked(dev, ino);
    pthread_mutex_unlock(&lock);
}

static void set_sizes(struct mv_volfile_info *info, const struct stat *st)
{
    if (S_ISBLK(st->st_mode)) {
        info->allocation = info->physical = info->capacity;
        return;
    }
    info->allocation = (uint64_t)st->st_blocks * 512;
    info->physical = (uint64_t)st->st_size;
}

/* The uncached path: open, fstat (the key must be the file we read), probe. */
static int inspect_file(const char *path, struct mv_volfile_info *info, char **errmsg)
{
    _cleanup_close_ int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    struct stat st;
    int r;

    if (fd < 0 || fstat(fd, &st) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot open volume file '%s': %s", path, strerror(errno));
    if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode))
        return mv_errmsg_set(errmsg, -EINVAL, "volume file '%s' is neither a regular file nor a block device",
                             path);
    if ((r = mv_volfile_probe(path, fd, &st, info, errmsg)) < 0) {
        mv_volfile_info_clear(info);
        return r;
    }
    if (S_ISREG(st.st_mode))
        insert(&st, info);
    set_sizes(info, &st);
    return 0;
}

int mv_volfile_inspect(const char *path, struct mv_volfile_info *info, char **errmsg)
{
    struct mv_volfile_info got = { 0 };
    struct stat st;
    int r;

    if ((r = mv_volfile_check_path(path, errmsg)) < 0)
        return r;
    if (stat(path, &st) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot inspect volume file '%s': %s", path, strerror(errno));
    if (S_ISREG(st.st_mode) && (r = lookup(&st, &got)) != 0) {
        if (r < 0)
            return r;
        atomic_fetch_add(&mv_volfile_n_cache_hits, 1);
        set_sizes(&got, &st);
        *info = got;
        return 0;
    }
    if ((r = inspect_file(path, &got, errmsg)) < 0)
        return r;
    *info = got;
    return 0;
}
