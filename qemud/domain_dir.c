/* A running domain's private directory, <rundir>/qemu/UUID.d (domain_dir.h). */
#define MV_LOG_MODULE "qemud.domdir"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_dir.h"
#include "domain_obj.h"
#include "log.h"
#include "qemud.h"
#include "store.h"
#include "uuid.h"

#define DIR_SUFFIX ".d"

char *qemud_domain_dir(const char *uuid_str)
{
    return mv_store_path(qemud.rundir, uuid_str, DIR_SUFFIX);
}

static int remove_below(int dfd);

/* Entry NAME of DFD, a directory's whole tree included.  Nothing is
 * followed: a symlink QEMU (or the guest's uid) left is removed, never
 * its target. */
static int remove_entry(int dfd, const char *name)
{
    int fd, r;

    if (unlinkat(dfd, name, 0) == 0 || errno == ENOENT)
        return 0;
    if (errno != EISDIR && errno != EPERM)
        return -errno;
    if ((fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
        return -errno;
    r = remove_below(fd);      /* closes FD */
    if (r == 0 && unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
        r = -errno;
    return r;
}

/* Everything in directory DFD (closed here); the first error, after
 * trying every entry. */
static int remove_below(int dfd)
{
    DIR *d = fdopendir(dfd);
    struct dirent *e;
    int r = 0, one;

    if (!d) {
        r = -errno;
        close(dfd);
        return r;
    }
    while ((errno = 0, e = readdir(d))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
            continue;
        if ((one = remove_entry(dirfd(d), e->d_name)) < 0 && r == 0)
            r = one;
    }
    closedir(d);
    return r;
}

/* Empties PATH, a leftover of a run that did not clean up, and makes it
 * ours again at 0700 (a guest's uid may own it). */
static int reuse(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int keep, r;

    if (fd < 0)
        return errno == ELOOP ? -ENOTDIR : -errno;
    if ((keep = fcntl(fd, F_DUPFD_CLOEXEC, 3)) < 0) {
        r = -errno;
        close(fd);
        return r;
    }
    r = remove_below(fd);
    if (r == 0 && (fchown(keep, geteuid(), getegid()) < 0 || fchmod(keep, 0700) < 0))
        r = -errno;
    close(keep);
    return r;
}

int qemud_domain_dir_create(const char *uuid_str)
{
    _cleanup_free_ char *path = qemud_domain_dir(uuid_str);
    int r;

    if (!path)
        return -ENOMEM;
    if (mkdir(path, 0700) == 0)
        r = chmod(path, 0700) < 0 ? -errno : 0;     /* whatever the umask */
    else
        r = errno == EEXIST ? reuse(path) : -errno;
    return r;
}

/* What the start placed in the directory before the guest's identity was
 * known (the passphrase files, ram/) becomes the guest's too; links are
 * not followed (the directory holds none of ours). */
static int chown_entries(const char *path, uid_t uid, gid_t gid)
{
    DIR *d = opendir(path);
    struct dirent *e;
    int r = 0;

    if (!d)
        return -errno;
    while (r == 0 && (e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..") &&
            fchownat(dirfd(d), e->d_name, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
            r = -errno;
    closedir(d);
    return r;
}

int qemud_domain_dir_chown(const char *uuid_str, uid_t uid, gid_t gid)
{
    _cleanup_free_ char *path = qemud_domain_dir(uuid_str);

    if (!path)
        return -ENOMEM;
    /* the mode stays 0700: only the guest's uid gets in */
    return lchown(path, uid, gid) < 0 ? -errno : chown_entries(path, uid, gid);
}

/* PATH's tree; 0 when there is none. */
static int remove_path(const char *path)
{
    int r = 0, fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0)
        return unlink(path) < 0 && errno != ENOENT ? -errno : 0;   /* not a directory: not ours */
    if ((r = remove_below(fd)) == 0 && rmdir(path) < 0 && errno != ENOENT)
        r = -errno;
    return r;
}

void qemud_domain_dir_remove(const char *uuid_str)
{
    _cleanup_free_ char *path = qemud_domain_dir(uuid_str);
    int r;

    if (!path) {
        mv_warn("cannot remove the directory of domain %s: out of memory", uuid_str);
        return;
    }
    if ((r = remove_path(path)) < 0)
        mv_warn("cannot remove the directory '%s': %s", path, strerror(-r));
}

/* NAME is "UUID.d": *UUID_STR gets the UUID. */
static bool dir_name(const char *name, char uuid_str[MV_UUID_STRING_LEN])
{
    unsigned char uuid[MV_UUID_LEN];
    size_t len = strlen(name);

    if (len != MV_UUID_STRING_LEN - 1 + strlen(DIR_SUFFIX) || strcmp(name + len - strlen(DIR_SUFFIX), DIR_SUFFIX))
        return false;
    memcpy(uuid_str, name, MV_UUID_STRING_LEN - 1);
    uuid_str[MV_UUID_STRING_LEN - 1] = '\0';
    return mv_uuid_parse(uuid_str, uuid) == 0;
}

/* The domain UUID_STR still has a status file (its QEMU runs, or a later
 * daemon start may adopt it): its directory stays. */
static bool has_status(const char *uuid_str)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    _cleanup_free_ char *path = NULL;
    unsigned char uuid[MV_UUID_LEN];

    if (mv_uuid_parse(uuid_str, uuid) < 0 || !(dom = qemud_registry_find_uuid(uuid)))
        return false;
    if (!(path = mv_store_path(qemud.rundir, dom->name, ".xml")))
        return true;    /* cannot tell: kept */
    return access(path, F_OK) == 0 || errno != ENOENT;
}

bool qemud_domain_has_status(const char *uuid_str)
{
    return has_status(uuid_str);
}

void qemud_domain_dir_sweep(void)
{
    DIR *d = opendir(qemud.rundir);
    char uuid_str[MV_UUID_STRING_LEN];
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        if (!dir_name(e->d_name, uuid_str) || has_status(uuid_str))
            continue;
        mv_info("removing '%s/%s', left by a domain that no longer runs", qemud.rundir, e->d_name);
        qemud_domain_dir_remove(uuid_str);
    }
    closedir(d);
}
