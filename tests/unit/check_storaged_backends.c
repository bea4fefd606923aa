/*
 * The dir, fs and netfs pool backends on real files: dir in a temp
 * directory; fs in a mount namespace of the test's own, on a real loop
 * device over an image file that the backend's build makes ext4; netfs's
 * mount command line, and its start failing with mount's own message (no
 * NFS here).
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/loop.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "backend.h"
#include "backend_priv.h"
#include "cleanup.h"
#include "golden.h"
#include "storaged_pooldef.h"
#include "testns.h"
#include "testutil.h"

/* Every test's files live under one directory main() makes and removes
 * after the run, with any loop device over them: a failed assertion ends a
 * test before its teardown runs. */
static char rundir[PATH_MAX];
static char tmp[PATH_MAX + 32];
static char target[PATH_MAX + 48];

static void setup(void)
{
    snprintf(tmp, sizeof(tmp), "%s/test.XXXXXX", rundir);
    ck_assert_ptr_nonnull(mkdtemp(tmp));
    snprintf(target, sizeof(target), "%s/pool", tmp);
}

static void teardown(void)
{
    mv_test_rmtree(tmp);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static char *path_in(const char *dir, const char *name)
{
    char *p = NULL;
    ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
    return p;
}

/* Creates NAME (raw, BYTES) through the backend, as the driver does. */
static void create_raw(const struct mv_pool_backend *be, const struct mv_pool_def *def, const char *name,
                       uint64_t bytes)
{
    struct mv_vol_def vol = { .name = (char *)name, .capacity = bytes };
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_RAW, .capacity = bytes, .mode = 0600,
                                    .uid = (uid_t)-1, .gid = (gid_t)-1 };
    _cleanup_free_ char *path = be->vol_path(def, name);
    _cleanup_free_ char *err = NULL;
    ck_assert_ptr_nonnull(path);
    ck_assert_msg(be->vol_create(def, &vol, path, &spec, &err) == 0, "create %s: %s", name, err);
}

static const struct mv_pool_vol *find_vol(const struct mv_pool_vol *vols, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (!strcmp(vols[i].name, name))
            return &vols[i];
    return NULL;
}

START_TEST(test_backend_for)
{
    ck_assert_int_eq(mv_pool_backend_for(MV_POOL_DIR)->type, MV_POOL_DIR);
    ck_assert_int_eq(mv_pool_backend_for(MV_POOL_FS)->type, MV_POOL_FS);
    ck_assert_int_eq(mv_pool_backend_for(MV_POOL_LOGICAL)->type, MV_POOL_LOGICAL);
    ck_assert_int_eq(mv_pool_backend_for(MV_POOL_NETFS)->type, MV_POOL_NETFS);
    ck_assert_ptr_null(mv_pool_backend_for(MV_POOL_TYPE_LAST));
    ck_assert_ptr_null(mv_pool_backend_for(-1));
}
END_TEST

START_TEST(test_dir_build)
{
    const struct mv_pool_backend *be = mv_pool_backend_for(MV_POOL_DIR);
    _cleanup_free_ char *deep = path_in(tmp, "a/b/pool");
    struct mv_pool_def *def = test_pool_def(MV_POOL_DIR, "p1", deep);
    _cleanup_free_ char *err = NULL;
    struct stat st;

    def->perms.mode = 0750;
    def->perms.owner = 1234;
    def->perms.group = 4321;
    ck_assert_msg(be->build(def, 0, &err) == 0, "%s", err);
    ck_assert_int_eq(stat(deep, &st), 0);
    ck_assert(S_ISDIR(st.st_mode));
    ck_assert_int_eq(st.st_mode & 07777, 0750);
    ck_assert_int_eq(st.st_uid, 1234);
    ck_assert_int_eq(st.st_gid, 4321);

    /* building again: fine, perms applied again */
    def->perms.mode = 0700;
    ck_assert_int_eq(be->build(def, MV_POOL_BUILD_NO_OVERWRITE, NULL), 0);
    ck_assert_int_eq(stat(deep, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0700);

    ck_assert_int_eq(be->build(def, MV_POOL_BUILD_OVERWRITE | MV_POOL_BUILD_NO_OVERWRITE, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "'p1'"));
    ck_assert_ptr_nonnull(strstr(err, "mutually exclusive"));
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_dir_build_default_mode)
{
    const struct mv_pool_backend *be = mv_pool_backend_for(MV_POOL_DIR);
    struct mv_pool_def *def = test_pool_def(MV_POOL_DIR, "p1", target);
    struct stat st;

    umask(077);
    ck_assert_int_eq(be->build(def, 0, NULL), 0);
    ck_assert_int_eq(stat(target, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0711);
    mv_pool_def_free(def);
}
END_TEST

/* A failed build leaves nothing: the directories it made are removed. */
START_TEST(test_dir_build_fails_clean)
{
    const struct mv_pool_backend *be = mv_pool_backend_for(MV_POOL_DIR);
    _cleanup_free_ char *file = path_in(tmp, "file");
    _cleanup_free_ char *under = path_in(tmp, "file/pool");
    _cleanup_free_ char *err = NULL;
    struct mv_pool_def *def = test_pool_def(MV_POOL_DIR, "p1", file);

    write_file(file, "x");
    ck_assert_int_eq(be->build(def, 0, &err), -ENOTDIR);
    ck_assert_ptr_nonnull(strstr(err, "is not a directory"));
    free(def->target_path);
    def->target_path = strdup(under);
    free(err);
    err = NULL;
    ck_assert_int_eq(be->build(def, 0, &err), -ENOTDIR);
    ck_assert_ptr_nonnull(strstr(err, under));
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_dir_start)
{
    const struct mv_pool_backend *be = mv_pool_backend_for(MV_POOL_DIR);
    struct mv_pool_def *def = test_pool_def(MV_POOL_DIR, "p1", target);
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(be->start(def, &err), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "pool 'p1'"));
    ck_assert_ptr_nonnull(strstr(err, target));
    ck_assert(!be->is_started(def));
    write_file(target, "not a dir");
    ck_assert_int_eq(be->start(def, NULL), -ENOTDIR);
    ck_assert_int_eq(unlink(target), 0);
    ck_assert_int_eq(be->build(def, 0, NULL), 0);
    ck_assert_int_eq(be->start(def, NULL), 0);
    ck_assert(be->is_started(def));
    ck_assert_int_eq(be->stop(def, NULL), 0);
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_dir_refresh)
{
    const struct mv_pool_backend *be = mv_pool_backend_for(MV_POOL_DIR);
    struct mv_pool_def *def = test_pool_def(MV_POOL_DIR, "p1", target);
    struct mv_pool_vol *vols = NULL;
    struct mv_pool_usage usage = { 0 };
    size_t n = 0;
    _cleanup_free_ char *err = NULL, *plain = path_in(target, "plain.img"), *sub = path_in(target, "subdir");
    _cleanup_free_ char *stale = path_in(target, ".v9.mvtmp.Ab12Cd"), *busy = path_in(target, ".v8.mvtmp.Zz99Yy");
    _cleanup_free_ char *dangling = path_in(target, "dangling");

    ck_assert_int_eq(be->build(def, 0, NULL), 0);
    create_raw(be, def, "v1.raw", 1 << 20);
    write_file(plain, "hello");
    ck_assert_int_eq(mkdir(sub, 0700), 0);
    ck_assert_int_eq(symlink("/nonexistent/x", dangling), 0);
    write_file(stale, "left by a killed create");
    write_file(busy, "being written");
    _cleanup_close_ int busy_fd = open(busy, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(busy_fd, 0);
    ck_assert_int_eq(flock(busy_fd, LOCK_EX), 0);

    ck_assert_msg(be->refresh(def, &vols, &n, &usage, &err) == 0, "%s", err);
    ck_assert_uint_eq(n, 2);
    const struct mv_pool_vol *v1 = find_vol(vols, n, "v1.raw"), *v2 = find_vol(vols, n, "plain.img");
    ck_assert_ptr_nonnull(v1);
    ck_assert_ptr_nonnull(v2);
    _cleanup_free_ char *v1path = path_in(target, "v1.raw");
    ck_assert_str_eq(v1->path, v1path);
    ck_assert_int_eq(v1->info.format, MV_VOLFILE_RAW);
    ck_assert_uint_eq(v1->info.capacity, 1 << 20);
    ck_assert_uint_eq(v2->info.capacity, 5);
    ck_assert_uint_gt(usage.capacity, 0);
    ck_assert_uint_le(usage.available, usage.capacity);
    ck_assert_uint_le(usage.allocation, usage.capacity);
    ck_assert_uint_gt(usage.allocation, 0);
    /* the stale temp file is gone, the locked one is being written */
    ck_assert_int_eq(access(stale, F_OK), -1);
    ck_assert_int_eq(access(busy, F_OK), 0);
    mv_pool_vols_free(vols, n);
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_dir_refresh_missing)
{
    const struct mv_pool_backend *be = mv_pool_backend_for(MV_POOL_DIR);
    struct mv_pool_def *def = test_pool_def(MV_POOL_DIR, "p1", target);
    struct mv_pool_vol *vols = NULL;
    struct mv_pool_usage usage;
    size_t n = 0;
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(be->refresh(def, &vols, &n, &usage, &err), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, "pool 'p1'"));
    ck_assert_ptr_nonnull(strstr(err, target));
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_dir_volumes)
{
    const struct mv_pool_backend *be = mv_pool_backend_for(MV_POOL_DIR);
    struct mv_pool_def *def = test_pool_def(MV_POOL_DIR, "p1", target);
    _cleanup_free_ char *path = NULL, *err = NULL;
    struct stat st;

    ck_assert_int_eq(be->build(def, 0, NULL), 0);
    path = be->vol_path(def, "disk.img");
    _cleanup_free_ char *want = path_in(target, "disk.img");
    ck_assert_str_eq(path, want);
    create_raw(be, def, "disk.img", 4 << 20);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 4 << 20);
    ck_assert_int_lt(st.st_blocks * 512, 4 << 20);      /* sparse */

    ck_assert_msg(be->vol_resize(def, path, 8 << 20, false, false, &err) == 0, "%s", err);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 8 << 20);
    ck_assert_int_lt(be->vol_resize(def, path, 1 << 20, false, false, &err), 0);
    ck_assert_ptr_nonnull(strstr(err, "pool 'p1'"));
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_size, 8 << 20);

    ck_assert_msg(be->vol_delete(def, path, &err) == 0, "%s", err);
    ck_assert_int_eq(access(path, F_OK), -1);
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_dir_delete)
{
    const struct mv_pool_backend *be = mv_pool_backend_for(MV_POOL_DIR);
    struct mv_pool_def *def = test_pool_def(MV_POOL_DIR, "p1", target);
    _cleanup_free_ char *err = NULL, *file = path_in(target, "v1");

    ck_assert_int_eq(be->build(def, 0, NULL), 0);
    write_file(file, "data");
    ck_assert_int_eq(be->delete_pool(def, 0, &err), -ENOTEMPTY);
    ck_assert_ptr_nonnull(strstr(err, "pool 'p1'"));
    ck_assert_ptr_nonnull(strstr(err, "is not empty"));
    ck_assert_int_eq(access(file, F_OK), 0);
    ck_assert_int_eq(unlink(file), 0);
    ck_assert_int_eq(be->delete_pool(def, 0, NULL), 0);
    ck_assert_int_eq(access(target, F_OK), -1);
    ck_assert_int_eq(be->delete_pool(def, 0, NULL), 0);
    ck_assert_int_eq(be->delete_pool(def, MV_POOL_DELETE_ZEROED, NULL), -ENOTSUP);
    mv_pool_def_free(def);
}
END_TEST

/* ---- fs: a loop device in a mount namespace of the test's own ---- */

static char image[PATH_MAX + 48];

/* The loop devices whose backing file is UNDER (a file or a directory);
 * with DETACH each is detached too. */
static int find_loops(const char *under, bool detach)
{
    char want[PATH_MAX], buf[PATH_MAX + 2];
    int found = 0;
    if (!realpath(under, want))
        return 0;
    size_t wlen = strlen(want);
    DIR *d = opendir("/sys/block");
    struct dirent *de;
    while (d && (de = readdir(d))) {
        if (strncmp(de->d_name, "loop", 4))
            continue;
        snprintf(buf, sizeof(buf), "/sys/block/%.200s/loop/backing_file", de->d_name);
        FILE *f = fopen(buf, "re");
        if (!f)
            continue;
        bool ours = fgets(buf, sizeof(buf), f) && !strncmp(buf, want, wlen) &&
                    (buf[wlen] == '\n' || buf[wlen] == '/' || buf[wlen] == ' ');
        fclose(f);
        if (!ours)
            continue;
        found++;
        if (!detach)
            continue;
        snprintf(buf, sizeof(buf), "/dev/%.200s", de->d_name);
        int fd = open(buf, O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
            (void)ioctl(fd, LOOP_CLR_FD, 0);
            close(fd);
        }
    }
    if (d)
        closedir(d);
    return found;
}

static int enter_mountns(void)
{
    if (unshare(CLONE_NEWNS) < 0)
        return -errno;
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        return -errno;
    return 0;
}

static int probe_fs(void)
{
    if (enter_mountns() < 0 || access("/dev/loop-control", R_OK | W_OK) < 0)
        return -1;
    return access("/sbin/mkfs.ext4", X_OK) == 0 || access("/usr/sbin/mkfs.ext4", X_OK) == 0 ? 0 : -1;
}

static void fs_setup(void)
{
    setup();
    ck_assert_int_eq(enter_mountns(), 0);
    snprintf(image, sizeof(image), "%s/ext4.img", tmp);
    int fd = open(image, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 64 << 20), 0);
    close(fd);
}

static void fs_teardown(void)
{
    (void)umount2(target, MNT_DETACH);
    find_loops(image, true);
    teardown();
}

static struct mv_pool_def *fs_def(const char *source)
{
    struct mv_pool_def *def = test_pool_def(MV_POOL_FS, "fs1", target);
    test_pool_def_add_device(def, source);
    def->format = strdup("ext4");
    return def;
}

START_TEST(test_fs_lifecycle)
{
    const struct mv_pool_backend *be = mv_pool_backend_for(MV_POOL_FS);
    struct mv_pool_def *def = fs_def(image);
    struct mv_pool_vol *vols = NULL;
    struct mv_pool_usage usage = { 0 };
    size_t n = 0;
    _cleanup_free_ char *err = NULL;

    /* a plain build makes the target only; starting finds no filesystem */
    ck_assert_msg(be->build(def, 0, &err) == 0, "%s", err);
    ck_assert_int_eq(access(target, F_OK), 0);
    ck_assert_int_eq(be->start(def, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "is not a block device or image file"));

    /* --no-overwrite makes one on an empty image, then refuses to again */
    free(err);
    err = NULL;
    ck_assert_msg(be->build(def, MV_POOL_BUILD_NO_OVERWRITE, &err) == 0, "%s", err);
    ck_assert_int_eq(be->build(def, MV_POOL_BUILD_NO_OVERWRITE, &err), -EEXIST);
    ck_assert_ptr_nonnull(strstr(err, "ext4"));
    ck_assert_ptr_nonnull(strstr(err, image));
    free(err);
    err = NULL;
    ck_assert_msg(be->build(def, MV_POOL_BUILD_OVERWRITE, &err) == 0, "%s", err);

    ck_assert(!be->is_started(def));
    ck_assert_msg(be->start(def, &err) == 0, "%s", err);
    ck_assert(be->is_started(def));
    ck_assert_int_eq(find_loops(image, false), 1);
    ck_assert_int_eq(be->start(def, &err), -EBUSY);
    ck_assert_ptr_nonnull(strstr(err, "already mounted"));
    free(err);
    err = NULL;

    create_raw(be, def, "v1.raw", 1 << 20);
    ck_assert_msg(be->refresh(def, &vols, &n, &usage, &err) == 0, "%s", err);
    ck_assert_uint_eq(n, 1);        /* lost+found is a directory */
    ck_assert_str_eq(vols[0].name, "v1.raw");
    ck_assert_uint_eq(vols[0].info.capacity, 1 << 20);
    ck_assert_uint_gt(usage.capacity, 32 << 20);
    ck_assert_uint_le(usage.capacity, 64 << 20);
    ck_assert_uint_le(usage.allocation + usage.available, usage.capacity);
    mv_pool_vols_free(vols, n);

    /* a file open on the pool keeps it mounted */
    _cleanup_free_ char *vpath = path_in(target, "v1.raw");
    int fd = open(vpath, O_RDONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(be->stop(def, &err), -EBUSY);
    ck_assert_ptr_nonnull(strstr(err, "pool 'fs1'"));
    free(err);
    err = NULL;
    ck_assert(be->is_started(def));
    close(fd);

    ck_assert_msg(be->stop(def, &err) == 0, "%s", err);
    ck_assert(!be->is_started(def));
    ck_assert_int_eq(access(vpath, F_OK), -1);
    ck_assert_int_eq(find_loops(image, false), 0);
    ck_assert_int_eq(be->refresh(def, &vols, &n, &usage, &err), -ENOTCONN);
    ck_assert_ptr_nonnull(strstr(err, "not mounted"));
    ck_assert_int_eq(be->stop(def, NULL), 0);

    /* started again, the volume is still there */
    ck_assert_msg(be->start(def, &err) == 0, "%s", err);
    ck_assert_int_eq(access(vpath, F_OK), 0);
    ck_assert_int_eq(be->stop(def, NULL), 0);
    ck_assert_int_eq(be->delete_pool(def, 0, NULL), 0);
    ck_assert_int_eq(access(target, F_OK), -1);
    mv_pool_def_free(def);
}
END_TEST

static void expect_bad_source(const char *source, int want, const char *msg)
{
    const struct mv_pool_backend *be = mv_pool_backend_for(MV_POOL_FS);
    struct mv_pool_def *def = fs_def(source);
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(mkdir(target, 0700), 0);
    ck_assert_int_eq(be->start(def, &err), want);
    ck_assert_ptr_nonnull(strstr(err, "pool 'fs1'"));
    ck_assert_ptr_nonnull(strstr(err, source));
    ck_assert_msg(strstr(err, msg), "%s", err);
    ck_assert(!be->is_started(def));
    ck_assert_int_eq(rmdir(target), 0);
    mv_pool_def_free(def);
}

START_TEST(test_fs_bad_sources)
{
    _cleanup_free_ char *missing = path_in(tmp, "missing.img");

    expect_bad_source("/etc/shadow", -EINVAL, "is not a block device or image file");
    expect_bad_source(tmp, -EINVAL, "is not a block device or image file");
    expect_bad_source("/dev/null", -EINVAL, "is not a block device or image file");
    expect_bad_source(missing, -ENOENT, "No such file");
}
END_TEST

START_TEST(test_fs_build_needs_type)
{
    const struct mv_pool_backend *be = mv_pool_backend_for(MV_POOL_FS);
    struct mv_pool_def *def = fs_def(image);
    _cleanup_free_ char *err = NULL;

    free(def->format);
    def->format = strdup("auto");
    ck_assert_int_eq(be->build(def, MV_POOL_BUILD_OVERWRITE, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "format"));
    ck_assert_int_eq(access(target, F_OK), -1);         /* nothing left behind */
    mv_pool_def_free(def);
}
END_TEST

/* ---- netfs: command lines; starting needs NFS, absent here ---- */

static char *joined(char **argv)
{
    size_t len = 1;
    for (char **a = argv; *a; a++)
        len += strlen(*a) + 1;
    char *s = calloc(1, len);
    for (char **a = argv; *a; a++) {
        if (a != argv)
            strcat(s, " ");
        strcat(s, *a);
    }
    return s;
}

static struct mv_pool_def *netfs_def(void)
{
    struct mv_pool_def *def = test_pool_def(MV_POOL_NETFS, "nfs1", "/var/lib/modvirt/nfs1");
    def->src_host = strdup("nfs.example.org");
    def->src_dir = strdup("/export/images");
    return def;
}

START_TEST(test_netfs_command)
{
    struct mv_pool_def *def = netfs_def();
    char **argv = mv_pool_mount_argv(def, false);
    _cleanup_free_ char *line = joined(argv);

    ck_assert_str_eq(line, "mount -t nfs -o nodev,nosuid,noexec nfs.example.org:/export/images "
                           "/var/lib/modvirt/nfs1");
    mv_strv_free(argv);
    def->src_port = 2049;
    def->format = strdup("nfs");
    argv = mv_pool_mount_argv(def, false);
    free(line);
    line = joined(argv);
    ck_assert_str_eq(line, "mount -t nfs -o nodev,nosuid,noexec,port=2049 nfs.example.org:/export/images "
                           "/var/lib/modvirt/nfs1");
    mv_strv_free(argv);
    free(def->format);
    def->format = strdup("auto");
    argv = mv_pool_mount_argv(def, false);
    free(line);
    line = joined(argv);
    ck_assert_str_eq(line, "mount -t nfs -o nodev,nosuid,noexec,port=2049 nfs.example.org:/export/images "
                           "/var/lib/modvirt/nfs1");
    mv_strv_free(argv);
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_fs_command)
{
    struct mv_pool_def *def = fs_def("/dev/sdb1");
    char **argv = mv_pool_mount_argv(def, false);
    _cleanup_free_ char *line = joined(argv), *want = NULL;

    ck_assert_int_ge(asprintf(&want, "mount -t ext4 -o nodev,nosuid,noexec /dev/sdb1 %s", target), 0);
    ck_assert_str_eq(line, want);
    mv_strv_free(argv);
    free(def->format);
    def->format = NULL;         /* probed by mount */
    argv = mv_pool_mount_argv(def, true);
    free(line);
    free(want);
    line = joined(argv);
    ck_assert_int_ge(asprintf(&want, "mount -o nodev,nosuid,noexec,loop /dev/sdb1 %s", target), 0);
    ck_assert_str_eq(line, want);
    mv_strv_free(argv);
    mv_pool_def_free(def);
}
END_TEST

/* The mount command of the definitions in tests/storagexml, parsed as the
 * daemon parses them. */
static char *xml_mount_line(const char *name, bool loop)
{
    _cleanup_free_ char *path = mv_test_golden_path("storagexml", name, ".xml"), *xml = NULL, *err = NULL;
    struct mv_pool_def *def = NULL;
    size_t len = 0;
    FILE *f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_gt(getdelim(&xml, &len, '\0', f), 0);
    fclose(f);
    ck_assert_msg(mv_pool_def_parse(xml, &def, &err) == 0, "%s: %s", name, err);
    char **argv = mv_pool_mount_argv(def, loop);
    char *line = joined(argv);
    mv_strv_free(argv);
    mv_pool_def_free(def);
    return line;
}

START_TEST(test_mount_command_from_xml)
{
    _cleanup_free_ char *nfs = xml_mount_line("pool-netfs", false);
    _cleanup_free_ char *port = xml_mount_line("pool-netfs-port", false);
    _cleanup_free_ char *ext4 = xml_mount_line("pool-fs-ext4", false);
    _cleanup_free_ char *img = xml_mount_line("pool-fs-image-auto", true);

    ck_assert_str_eq(nfs, "mount -t nfs -o nodev,nosuid,noexec nfs.example.com:/export/images /var/lib/modvirt/nfs");
    ck_assert_str_eq(port, "mount -t nfs -o nodev,nosuid,noexec,port=2049 192.0.2.10:/export /mnt/nfs");
    ck_assert_str_eq(ext4, "mount -t ext4 -o nodev,nosuid,noexec /dev/loop0 /mnt/loopfs");
    ck_assert_str_eq(img, "mount -o nodev,nosuid,noexec,loop /var/tmp/fs.img /mnt/imagefs");
}
END_TEST

/* No NFS here: start must fail with mount's own words, the pool named, and
 * leave nothing mounted. */
START_TEST(test_netfs_start_fails)
{
    const struct mv_pool_backend *be = mv_pool_backend_for(MV_POOL_NETFS);
    struct mv_pool_def *def = netfs_def();
    _cleanup_free_ char *err = NULL;

    if (access("/sbin/mount.nfs", X_OK) == 0 || access("/usr/sbin/mount.nfs", X_OK) == 0) {
        mv_pool_def_free(def);
        return;                 /* with NFS installed this would wait for a server */
    }
    free(def->src_host);
    def->src_host = strdup("127.0.0.1");
    free(def->target_path);
    def->target_path = strdup(target);
    ck_assert_int_eq(be->build(def, 0, NULL), 0);
    ck_assert_int_eq(be->start(def, &err), -EIO);
    ck_assert_ptr_nonnull(strstr(err, "cannot start pool 'nfs1': mount exited with status 32: mount: "));
    ck_assert_msg(strstr(err, "nfs"), "%s", err);
    ck_assert_msg(!strstr(err, "dmesg"), "%s", err);   /* mount's hint, not its reason */
    ck_assert(!be->is_started(def));
    mv_pool_def_free(def);
}
END_TEST

START_TEST(test_mountinfo_target)
{
    char out[64];
    ck_assert(mv_pool_mountinfo_target("36 35 98:0 /mnt1 /mnt/my\\040pool rw,noatime master:1 - ext3 "
                                       "/dev/root rw\n", out, sizeof(out)));
    ck_assert_str_eq(out, "/mnt/my pool");
    ck_assert(!mv_pool_mountinfo_target("36 35 98:0", out, sizeof(out)));
    ck_assert(!mv_pool_mountinfo_target("1 2 3:4 / /a/very/long/path/that/does/not/fit/in/the/output/buffer/x "
                                        "rw - ext4 /dev/x rw", out, 16));
}
END_TEST

static Suite *backends_suite(bool fs_ok)
{
    Suite *s = suite_create("storaged_backends");
    TCase *tc = tcase_create("dir");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_backend_for);
    tcase_add_test(tc, test_dir_build);
    tcase_add_test(tc, test_dir_build_default_mode);
    tcase_add_test(tc, test_dir_build_fails_clean);
    tcase_add_test(tc, test_dir_start);
    tcase_add_test(tc, test_dir_refresh);
    tcase_add_test(tc, test_dir_refresh_missing);
    tcase_add_test(tc, test_dir_volumes);
    tcase_add_test(tc, test_dir_delete);
    suite_add_tcase(s, tc);

    tc = tcase_create("mount commands");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_netfs_command);
    tcase_add_test(tc, test_fs_command);
    tcase_add_test(tc, test_mountinfo_target);
    tcase_add_test(tc, test_mount_command_from_xml);
    suite_add_tcase(s, tc);

    if (fs_ok) {
        tc = tcase_create("fs on a loop device");
        tcase_add_checked_fixture(tc, fs_setup, fs_teardown);
        tcase_set_timeout(tc, 60);
        tcase_add_test(tc, test_fs_lifecycle);
        tcase_add_test(tc, test_fs_bad_sources);
        tcase_add_test(tc, test_fs_build_needs_type);
        tcase_add_test(tc, test_netfs_start_fails);
        suite_add_tcase(s, tc);
    }
    return s;
}

int main(void)
{
    /* the fs tests need root, mount namespaces, loop devices and mkfs.ext4 */
    bool fs_ok = mv_test_probe(probe_fs);
    snprintf(rundir, sizeof(rundir), "/tmp/stpools.XXXXXX");
    if (!mkdtemp(rundir)) {
        printf("Bail out! cannot make a directory under /tmp: %s\n", strerror(errno));
        return 1;
    }
    if (!fs_ok)
        printf("# fs and netfs start tests skipped: no mount namespace, loop device or mkfs.ext4 here\n");
    if (getenv("CK_FORK") && strcmp(getenv("CK_FORK"), "no") == 0 && fs_ok) {
        printf("Bail out! these tests need CK_FORK=yes: the fs ones each run in a mount namespace\n");
        return 1;
    }
    SRunner *sr = srunner_create(backends_suite(fs_ok));
    srunner_run_all(sr, CK_ENV);
    int n = srunner_ntests_failed(sr);
    srunner_free(sr);
    /* what failed tests left: their mounts went with their namespaces */
    if (find_loops(rundir, true))
        n += find_loops(rundir, false) ? 1 : 0;
    mv_test_rmtree(rundir);
    return n ? 1 : 0;
}
