/*
 * Volume files for real: raw and qcow2 images made, cloned, resized and
 * wiped in a temp dir with the real qemu-img, each checked both by our own
 * inspection and by `qemu-img info --output=json`.  qemu-img runs through a
 * wrapper script that records every command line (so a test can show the
 * LUKS key never appears on one) and, for the kill -9 test, one that blocks
 * until told to go on.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <dirent.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "process.h"
#include "testutil.h"
#include "vol_file.h"

#define QEMU_IMG "/usr/bin/qemu-img"
#define MiB (1024ULL * 1024)
#define TIMEOUT_MS 60000

static char dir[256];
static char wrapper[PATH_MAX], argv_log[PATH_MAX];

static char *path_in(const char *name)
{
    char *p;

    ck_assert_int_ge(asprintf(&p, "%s/%s", dir, name), 0);
    return p;
}

/* A qemu-img that appends its arguments, one per line, to argv_log. */
static void setup(void)
{
    _cleanup_free_ char *script = NULL;

    mv_test_mkdtemp(dir, sizeof(dir), "check_storaged_volfile");
    snprintf(wrapper, sizeof(wrapper), "%s/qemu-img-wrapper", dir);
    snprintf(argv_log, sizeof(argv_log), "%s/argv.log", dir);
    ck_assert_int_ge(asprintf(&script, "#!/bin/sh\nprintf '%%s\\n' \"$@\" >> '%s'\n"
                              "cat /proc/$$/cmdline >> '%s'\nexec " QEMU_IMG " \"$@\"\n",
                              argv_log, argv_log), 0);
    ck_assert_int_eq(mv_file_write_atomic(wrapper, script, strlen(script), 0700), 0);
    mv_volfile_set_qemu_img(wrapper);
}

static void teardown(void)
{
    mv_test_rmtree(dir);
}

/* ---- helpers ---- */

static struct json_object *qemu_img_info(const char *path)
{
    const char *argv[] = { QEMU_IMG, "info", "--output=json", "-U", path, NULL };
    struct mv_process_run_opts opts = { .timeout_ms = TIMEOUT_MS };
    struct mv_process_result res;
    struct json_object *j;

    ck_assert_int_eq(mv_process_run(argv, &opts, &res, NULL), 0);
    j = json_tokener_parse(res.out);
    ck_assert_ptr_nonnull(j);
    mv_process_result_clear(&res);
    return j;
}

static const char *jstr(struct json_object *o, const char *k)
{
    struct json_object *v;

    return json_object_object_get_ex(o, k, &v) ? json_object_get_string(v) : NULL;
}

static int64_t jint(struct json_object *o, const char *k)
{
    struct json_object *v;

    return json_object_object_get_ex(o, k, &v) ? json_object_get_int64(v) : -1;
}

static struct json_object *jobj(struct json_object *o, const char *k)
{
    struct json_object *v = NULL;

    ck_assert(json_object_object_get_ex(o, k, &v));
    return v;
}

static void create_ok(const char *path, const struct mv_volfile_spec *spec)
{
    _cleanup_free_ char *err = NULL;
    int r = mv_volfile_create(path, spec, TIMEOUT_MS, &err);

    ck_assert_msg(r == 0, "create %s: %d %s", path, r, err ? err : "");
}

static void inspect_ok(const char *path, struct mv_volfile_info *info)
{
    _cleanup_free_ char *err = NULL;
    int r = mv_volfile_inspect(path, info, &err);

    ck_assert_msg(r == 0, "inspect %s: %d %s", path, r, err ? err : "");
}

/* Names in DIR other than the wrapper's files. */
static int count_entries(char *names, size_t size)
{
    struct dirent **list;
    int n = scandir(dir, &list, NULL, alphasort), count = 0;

    ck_assert_int_ge(n, 0);
    names[0] = '\0';
    for (int i = 0; i < n; i++) {
        const char *d = list[i]->d_name;

        if (strcmp(d, ".") && strcmp(d, "..") && strcmp(d, "qemu-img-wrapper") && strcmp(d, "argv.log") &&
            strncmp(d, "fifo", 4)) {
            count++;
            strncat(names, d, size - strlen(names) - 2);
            strncat(names, " ", size - strlen(names) - 1);
        }
        free(list[i]);
    }
    free(list);
    return count;
}

static uint64_t allocated(const char *path)
{
    struct stat st;

    ck_assert_int_eq(stat(path, &st), 0);
    return (uint64_t)st.st_blocks * 512;
}

/* ---- create ---- */

START_TEST(raw_sparse)
{
    _cleanup_free_ char *p = path_in("a.raw");
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_RAW, .capacity = 1024 * MiB, .mode = 0640,
                                    .uid = (uid_t)-1, .gid = (gid_t)-1 };
    struct mv_volfile_info info;
    struct stat st;
    char names[512];

    create_ok(p, &spec);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0640);
    inspect_ok(p, &info);
    ck_assert_int_eq(info.format, MV_VOLFILE_RAW);
    ck_assert_uint_eq(info.capacity, 1024 * MiB);
    ck_assert_uint_lt(info.allocation, 64 * 1024);
    ck_assert_ptr_null(info.backing);
    mv_volfile_info_clear(&info);
    /* nothing but the volume: no temp file left */
    ck_assert_int_eq(count_entries(names, sizeof(names)), 1);
    /* raw is made without qemu-img */
    ck_assert_int_eq(access(argv_log, F_OK), -1);
}
END_TEST

START_TEST(raw_full_prealloc)
{
    _cleanup_free_ char *p = path_in("full.raw"), *err = NULL;
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_RAW, .capacity = 64 * MiB,
                                    .prealloc = MV_VOLFILE_PREALLOC_FULL, .uid = (uid_t)-1, .gid = (gid_t)-1 };
    struct mv_volfile_info info;
    struct stat st;

    create_ok(p, &spec);
    inspect_ok(p, &info);
    ck_assert_uint_eq(info.capacity, 64 * MiB);
    ck_assert_uint_ge(info.allocation, 64 * MiB);
    ck_assert_int_eq(stat(p, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0600);
    mv_volfile_info_clear(&info);
    /* a second create of the same name is refused, the first left alone */
    ck_assert_int_eq(mv_volfile_create(p, &spec, TIMEOUT_MS, &err), -EEXIST);
    ck_assert_ptr_nonnull(strstr(err, p));
}
END_TEST

START_TEST(qcow2_options)
{
    _cleanup_free_ char *p = path_in("opts.qcow2");
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_QCOW2, .capacity = 10 * 1024 * MiB,
                                    .compat = "1.1", .cluster_size = 128 * 1024, .lazy_refcounts = true,
                                    .prealloc = MV_VOLFILE_PREALLOC_METADATA, .uid = (uid_t)-1,
                                    .gid = (gid_t)-1 };
    struct mv_volfile_info info;
    struct json_object *j, *data;

    create_ok(p, &spec);
    inspect_ok(p, &info);
    ck_assert_int_eq(info.format, MV_VOLFILE_QCOW2);
    ck_assert_uint_eq(info.capacity, 10 * 1024 * MiB);
    ck_assert_str_eq(info.compat, "1.1");
    ck_assert_uint_eq(info.cluster_size, 128 * 1024);
    ck_assert(info.lazy_refcounts);
    ck_assert(!info.encrypted);
    j = qemu_img_info(p);
    ck_assert_str_eq(jstr(j, "format"), "qcow2");
    ck_assert_int_eq(jint(j, "virtual-size"), (int64_t)info.capacity);
    ck_assert_int_eq(jint(j, "cluster-size"), 128 * 1024);
    data = jobj(jobj(j, "format-specific"), "data");
    ck_assert_str_eq(jstr(data, "compat"), "1.1");
    ck_assert(json_object_get_boolean(jobj(data, "lazy-refcounts")));
    json_object_put(j);
    mv_volfile_info_clear(&info);

    /* and the old format */
    _cleanup_free_ char *p2 = path_in("old.qcow2");
    spec.compat = "0.10", spec.lazy_refcounts = false, spec.cluster_size = 0;
    create_ok(p2, &spec);
    inspect_ok(p2, &info);
    ck_assert_str_eq(info.compat, "0.10");
    ck_assert_uint_eq(info.cluster_size, 65536);
    ck_assert(!info.lazy_refcounts);
    j = qemu_img_info(p2);
    ck_assert_str_eq(jstr(jobj(jobj(j, "format-specific"), "data"), "compat"), "0.10");
    json_object_put(j);
    mv_volfile_info_clear(&info);
}
END_TEST

START_TEST(backing_chain)
{
    _cleanup_free_ char *base = path_in("base,1.raw"), *mid = path_in("mid.qcow2"), *top = path_in("top.qcow2");
    struct mv_volfile_spec raw = { .format = MV_VOLFILE_RAW, .capacity = 32 * MiB, .uid = (uid_t)-1,
                                   .gid = (gid_t)-1 };
    struct mv_volfile_spec q = { .format = MV_VOLFILE_QCOW2, .capacity = 32 * MiB, .backing = base,
                                 .backing_format = MV_VOLFILE_RAW, .uid = (uid_t)-1, .gid = (gid_t)-1 };
    struct mv_volfile_info info;
    struct json_object *j;

    create_ok(base, &raw);
    create_ok(mid, &q);                 /* qcow2 over raw (a comma in the name) */
    q.backing = mid;
    q.backing_format = MV_VOLFILE_UNKNOWN;      /* probed: qcow2 */
    create_ok(top, &q);                 /* qcow2 over qcow2 */
    inspect_ok(mid, &info);
    ck_assert_str_eq(info.backing, base);
    ck_assert_int_eq(info.backing_format, MV_VOLFILE_RAW);
    mv_volfile_info_clear(&info);
    inspect_ok(top, &info);
    ck_assert_str_eq(info.backing, mid);
    ck_assert_int_eq(info.backing_format, MV_VOLFILE_QCOW2);
    mv_volfile_info_clear(&info);
    j = qemu_img_info(top);
    ck_assert_str_eq(jstr(j, "backing-filename"), mid);
    ck_assert_str_eq(jstr(j, "backing-filename-format"), "qcow2");
    json_object_put(j);
    j = qemu_img_info(mid);
    ck_assert_str_eq(jstr(j, "backing-filename"), base);
    ck_assert_str_eq(jstr(j, "backing-filename-format"), "raw");
    json_object_put(j);
}
END_TEST

static bool file_contains(const char *path, const char *needle, size_t nlen)
{
    _cleanup_free_ char *data = NULL;
    size_t len = 0;

    ck_assert_int_eq(mv_file_read_all(path, 1 << 20, &data, &len), 0);
    return memmem(data, len, needle, nlen) != NULL;
}

START_TEST(luks)
{
    static const char key[] = "correct horse battery staple";
    _cleanup_free_ char *q = path_in("enc.qcow2"), *r = path_in("enc.raw");
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_QCOW2, .capacity = 16 * MiB,
                                    .luks_key = (const unsigned char *)key, .luks_key_len = strlen(key),
                                    .uid = (uid_t)-1, .gid = (gid_t)-1 };
    struct mv_volfile_stats before, after;
    struct mv_volfile_info info;
    struct json_object *j;

    create_ok(q, &spec);
    spec.format = MV_VOLFILE_RAW;
    create_ok(r, &spec);
    /* the wrapper logged every argument and its own /proc/PID/cmdline */
    ck_assert(file_contains(argv_log, "encrypt.format=luks", 19));
    ck_assert(!file_contains(argv_log, "horse", 5));

    inspect_ok(q, &info);
    ck_assert_int_eq(info.format, MV_VOLFILE_QCOW2);
    ck_assert(info.encrypted);
    ck_assert_uint_eq(info.capacity, 16 * MiB);
    mv_volfile_info_clear(&info);

    mv_volfile_get_stats(&before);
    inspect_ok(r, &info);               /* raw LUKS: qemu-img info says */
    mv_volfile_get_stats(&after);
    ck_assert_uint_eq(after.qemu_img_runs, before.qemu_img_runs + 1);
    ck_assert_int_eq(info.format, MV_VOLFILE_RAW);
    ck_assert(info.encrypted);
    ck_assert_uint_eq(info.capacity, 16 * MiB);
    mv_volfile_info_clear(&info);
    j = qemu_img_info(q);
    ck_assert(json_object_get_boolean(jobj(j, "encrypted")));
    json_object_put(j);
    /* the header's key derivation uses SHA-512 (vol_file_create.c: why) */
    j = qemu_img_info(r);
    ck_assert_str_eq(json_object_get_string(jobj(jobj(jobj(j, "format-specific"), "data"), "hash-alg")), "sha512");
    json_object_put(j);
}
END_TEST

/* ---- inspect's cache ---- */

/* N volumes, odd ones qcow2 (copies of one qemu-img create: 500 runs would
 * take a while), even ones raw; plain writes, no fsync: fixtures only. */
enum { N = 1000 };

static void vol_name(char *buf, size_t size, int i)
{
    snprintf(buf, size, "%s/v%04d.%s", dir, i, i % 2 ? "qcow2" : "raw");
}

static void make_volumes(void)
{
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_QCOW2, .capacity = MiB, .uid = (uid_t)-1,
                                    .gid = (gid_t)-1 };
    _cleanup_free_ char *template = path_in("t.qcow2"), *data = NULL;
    size_t len;

    create_ok(template, &spec);
    ck_assert_int_eq(mv_file_read_all(template, 1 << 20, &data, &len), 0);
    for (int i = 0; i < N; i++) {
        char p[PATH_MAX];
        _cleanup_close_ int fd = -1;

        vol_name(p, sizeof(p), i);
        fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
        ck_assert_int_ge(fd, 0);
        if (i % 2)
            ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
        else
            ck_assert_int_eq(ftruncate(fd, MiB), 0);
    }
}

static void inspect_all(void)
{
    for (int i = 0; i < N; i++) {
        struct mv_volfile_info info;
        char p[PATH_MAX];

        vol_name(p, sizeof(p), i);
        inspect_ok(p, &info);
        ck_assert_int_eq(info.format, i % 2 ? MV_VOLFILE_QCOW2 : MV_VOLFILE_RAW);
        ck_assert_uint_eq(info.capacity, MiB);
        mv_volfile_info_clear(&info);
    }
}

START_TEST(cache_1000)
{
    struct mv_volfile_stats s1, s2, s3;

    make_volumes();
    mv_volfile_get_stats(&s1);
    inspect_all();
    mv_volfile_get_stats(&s2);
    inspect_all();
    mv_volfile_get_stats(&s3);
    ck_assert_uint_eq(s2.header_reads - s1.header_reads, N);
    /* the second pass: no header read, no qemu-img, a hit each */
    ck_assert_uint_eq(s3.header_reads, s2.header_reads);
    ck_assert_uint_eq(s3.qemu_img_runs, s1.qemu_img_runs);
    ck_assert_uint_eq(s3.cache_hits - s2.cache_hits, N);
}
END_TEST

static void *inspect_thread(void *arg)
{
    (void)arg;
    for (int pass = 0; pass < 3; pass++)
        inspect_all();
    return NULL;
}

/* worker threads inspecting the same files at once, cold and warm */
START_TEST(cache_threads)
{
    pthread_t t[4];
    struct mv_volfile_stats s;

    make_volumes();
    for (size_t i = 0; i < MV_ARRAY_SIZE(t); i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, inspect_thread, NULL), 0);
    for (size_t i = 0; i < MV_ARRAY_SIZE(t); i++)
        ck_assert_int_eq(pthread_join(t[i], NULL), 0);
    mv_volfile_get_stats(&s);
    /* every inspect either read a header or hit; at most each thread read each file once */
    ck_assert_uint_eq(s.header_reads + s.cache_hits, 4 * 3 * N);
    ck_assert_uint_le(s.header_reads, 4 * N);
}
END_TEST

START_TEST(cache_sees_change)
{
    _cleanup_free_ char *p = path_in("c.raw");
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_RAW, .capacity = MiB, .uid = (uid_t)-1,
                                    .gid = (gid_t)-1 };
    struct mv_volfile_info info;

    create_ok(p, &spec);
    inspect_ok(p, &info);
    ck_assert_uint_eq(info.capacity, MiB);
    mv_volfile_info_clear(&info);
    ck_assert_int_eq(truncate(p, 2 * MiB), 0);
    inspect_ok(p, &info);
    ck_assert_uint_eq(info.capacity, 2 * MiB);
    mv_volfile_info_clear(&info);
}
END_TEST

/* ---- bad input ---- */

START_TEST(bad_input)
{
    _cleanup_free_ char *dotdot = NULL, *p = path_in("x.qcow2"), *missing = path_in("nope.raw");
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_RAW, .capacity = MiB, .uid = (uid_t)-1,
                                    .gid = (gid_t)-1 };
    struct mv_volfile_info info;
    char *err = NULL, names[512];

    ck_assert_int_ge(asprintf(&dotdot, "%s/../x.raw", dir), 0);
    ck_assert_int_eq(mv_volfile_create(dotdot, &spec, TIMEOUT_MS, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "'..'"));
    free(err), err = NULL;
    ck_assert_int_eq(mv_volfile_create("rel/x.raw", &spec, TIMEOUT_MS, &err), -EINVAL);
    free(err), err = NULL;
    ck_assert_int_eq(mv_volfile_inspect(dotdot, &info, &err), -EINVAL);
    free(err), err = NULL;

    spec.capacity = (1ULL << 63) + 1;
    ck_assert_int_eq(mv_volfile_create(p, &spec, TIMEOUT_MS, &err), -EOVERFLOW);
    ck_assert_ptr_nonnull(strstr(err, "9223372036854775809"));
    free(err), err = NULL;
    spec.capacity = UINT64_MAX;
    ck_assert_int_eq(mv_volfile_create(p, &spec, TIMEOUT_MS, &err), -EOVERFLOW);
    free(err), err = NULL;

    spec.format = MV_VOLFILE_QCOW2, spec.capacity = MiB, spec.backing = missing;
    ck_assert_int_eq(mv_volfile_create(p, &spec, TIMEOUT_MS, &err), -ENOENT);
    ck_assert_ptr_nonnull(strstr(err, missing));
    ck_assert_ptr_nonnull(strstr(err, p));
    free(err), err = NULL;

    ck_assert_int_eq(mv_volfile_inspect(missing, &info, &err), -ENOENT);
    free(err), err = NULL;
    /* the longest name a volume can have gets a temp file too */
    char longname[256];
    _cleanup_free_ char *lp = NULL;
    memset(longname, 'n', 255);
    longname[255] = '\0';
    lp = path_in(longname);
    spec.backing = NULL, spec.format = MV_VOLFILE_RAW;
    create_ok(lp, &spec);
    ck_assert_int_eq(mv_volfile_delete(lp, NULL), 0);
    /* nothing created, no temp file left */
    ck_assert_int_eq(count_entries(names, sizeof(names)), 0);
}
END_TEST


/* headers that lie: never trusted past what the file holds */
START_TEST(bad_headers)
{
    _cleanup_free_ char *p = path_in("lie.qcow2"), *tiny = path_in("tiny"), *err = NULL;
    unsigned char h[512] = "QFI\xfb";
    struct mv_volfile_info info;
    int r;

    h[7] = 3;                                   /* version 3 */
    h[8] = 0x7f;                                /* backing file at 2^62-ish: past the end */
    h[19] = 16;                                 /* ... 16 bytes long */
    h[23] = 16;                                 /* 64 KiB clusters */
    h[30] = 0x10;                               /* 1 MiB */
    h[103] = 104;                               /* header length */
    ck_assert_int_eq(mv_file_write_atomic(p, h, sizeof(h), 0600), 0);
    /* not parsed by us: qemu-img says what is wrong, named with the file */
    r = mv_volfile_inspect(p, &info, &err);
    ck_assert_int_lt(r, 0);
    ck_assert_ptr_nonnull(strstr(err, p));
    ck_assert_int_eq(mv_file_write_atomic(tiny, "ab", 2, 0600), 0);
    inspect_ok(tiny, &info);
    ck_assert_int_eq(info.format, MV_VOLFILE_RAW);
    ck_assert_uint_eq(info.capacity, 2);
    mv_volfile_info_clear(&info);
}
END_TEST

/* a failing qemu-img: its reason reaches the message, no file remains */
START_TEST(qemu_img_fails)
{
    _cleanup_free_ char *p = path_in("bad.qcow2"), *err = NULL;
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_QCOW2, .capacity = MiB, .cluster_size = 3000,
                                    .uid = (uid_t)-1, .gid = (gid_t)-1 };
    char names[512];

    ck_assert_int_eq(mv_volfile_create(p, &spec, TIMEOUT_MS, &err), -EIO);
    ck_assert_ptr_nonnull(strstr(err, p));
    ck_assert_ptr_nonnull(strstr(err, "luster"));
    ck_assert_int_eq(count_entries(names, sizeof(names)), 0);
}
END_TEST

START_TEST(delete_missing_ok)
{
    _cleanup_free_ char *p = path_in("d.raw");
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_RAW, .capacity = MiB, .uid = (uid_t)-1,
                                    .gid = (gid_t)-1 };

    create_ok(p, &spec);
    ck_assert_int_eq(mv_volfile_delete(p, NULL), 0);
    ck_assert_int_eq(access(p, F_OK), -1);
    ck_assert_int_eq(mv_volfile_delete(p, NULL), 0);
}
END_TEST


/* ---- clone ---- */

/* A sparse raw file with 1 MiB of pattern at 0 and at 40 MiB. */
static void make_data_raw(const char *p, uint64_t size)
{
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_RAW, .capacity = size, .uid = (uid_t)-1,
                                    .gid = (gid_t)-1 };
    _cleanup_free_ char *buf = malloc(MiB);
    _cleanup_close_ int fd = -1;

    create_ok(p, &spec);
    for (size_t i = 0; i < MiB; i++)
        buf[i] = (char)(i * 7 + i / 4096);
    fd = open(p, O_WRONLY | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pwrite(fd, buf, MiB, 0), (ssize_t)MiB);
    ck_assert_int_eq(pwrite(fd, buf, MiB, 40 * MiB), (ssize_t)MiB);
}

static bool same_bytes(const char *a, const char *b)
{
    const char *argv[] = { "/usr/bin/cmp", "-s", a, b, NULL };
    struct mv_process_run_opts opts = { .timeout_ms = TIMEOUT_MS };
    struct mv_process_result res;
    int r = mv_process_run(argv, &opts, &res, NULL);

    mv_process_result_clear(&res);
    return r == 0;
}

struct seen { int calls; uint64_t last, total; bool backwards; };

static void on_progress(uint64_t done, uint64_t total, void *opaque)
{
    struct seen *s = opaque;

    s->backwards |= done < s->last;
    s->calls++, s->last = done, s->total = total;
}

START_TEST(clone_roundtrip)
{
    _cleanup_free_ char *a = path_in("a.raw"), *q = path_in("a.qcow2"), *b = path_in("b.raw"), *err = NULL;
    struct mv_volfile_spec qs = { .format = MV_VOLFILE_QCOW2, .uid = (uid_t)-1, .gid = (gid_t)-1 };
    struct mv_volfile_spec rs = { .format = MV_VOLFILE_RAW, .mode = 0644, .uid = (uid_t)-1, .gid = (gid_t)-1 };
    struct mv_volfile_info info;
    struct seen seen = { 0 };
    char names[512];

    make_data_raw(a, 64 * MiB);
    ck_assert_int_eq(mv_volfile_clone(a, q, &qs, TIMEOUT_MS, on_progress, &seen, &err), 0);
    ck_assert_int_ge(seen.calls, 1);
    ck_assert(!seen.backwards);
    ck_assert_uint_eq(seen.last, 64 * MiB);
    ck_assert_uint_eq(seen.total, 64 * MiB);
    inspect_ok(q, &info);
    ck_assert_int_eq(info.format, MV_VOLFILE_QCOW2);
    ck_assert_uint_eq(info.capacity, 64 * MiB);
    ck_assert_uint_lt(info.allocation, 8 * MiB);
    mv_volfile_info_clear(&info);
    ck_assert_int_eq(mv_volfile_clone(q, b, &rs, TIMEOUT_MS, NULL, NULL, &err), 0);
    ck_assert(same_bytes(a, b));
    /* the holes are still holes: 2 MiB of data in 64 MiB */
    ck_assert_uint_le(allocated(b), 4 * MiB);
    /* raw to raw directly: byte for byte, holes kept */
    _cleanup_free_ char *c = path_in("c.raw");
    ck_assert_int_eq(mv_volfile_clone(a, c, &rs, TIMEOUT_MS, NULL, NULL, &err), 0);
    ck_assert(same_bytes(a, c));
    ck_assert_uint_le(allocated(c), 4 * MiB);
    ck_assert_int_eq(mv_volfile_delete(c, NULL), 0);
    /* a clone onto an existing volume is refused */
    ck_assert_int_eq(mv_volfile_clone(a, b, &rs, TIMEOUT_MS, NULL, NULL, &err), -EEXIST);
    ck_assert_int_eq(count_entries(names, sizeof(names)), 3);
}
END_TEST

START_TEST(clone_grows)
{
    _cleanup_free_ char *a = path_in("a.raw"), *q = path_in("big.qcow2"), *err = NULL;
    struct mv_volfile_spec qs = { .format = MV_VOLFILE_QCOW2, .capacity = 128 * MiB, .uid = (uid_t)-1,
                                  .gid = (gid_t)-1 };
    struct mv_volfile_info info;

    make_data_raw(a, 64 * MiB);
    ck_assert_int_eq(mv_volfile_clone(a, q, &qs, TIMEOUT_MS, NULL, NULL, &err), 0);
    inspect_ok(q, &info);
    ck_assert_uint_eq(info.capacity, 128 * MiB);
    mv_volfile_info_clear(&info);
    qs.capacity = MiB;
    free(err), err = NULL;
    ck_assert_int_eq(mv_volfile_clone(a, q, &qs, TIMEOUT_MS, NULL, NULL, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "smaller"));
}
END_TEST

/* ---- resize ---- */

START_TEST(resize)
{
    _cleanup_free_ char *r = path_in("r.raw"), *q = path_in("r.qcow2"), *err = NULL;
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_RAW, .capacity = 8 * MiB, .uid = (uid_t)-1,
                                    .gid = (gid_t)-1 };
    struct mv_volfile_info info;

    create_ok(r, &spec);
    spec.format = MV_VOLFILE_QCOW2;
    create_ok(q, &spec);
    for (int i = 0; i < 2; i++) {
        const char *p = i ? q : r;

        ck_assert_int_eq(mv_volfile_resize(p, 16 * MiB, false, false, TIMEOUT_MS, &err), 0);
        inspect_ok(p, &info);
        ck_assert_uint_eq(info.capacity, 16 * MiB);
        mv_volfile_info_clear(&info);
        ck_assert_int_eq(mv_volfile_resize(p, 4 * MiB, false, false, TIMEOUT_MS, &err), -EINVAL);
        ck_assert_ptr_nonnull(strstr(err, "16777216"));
        ck_assert_ptr_nonnull(strstr(err, "4194304"));
        ck_assert_ptr_nonnull(strstr(err, p));
        free(err), err = NULL;
        inspect_ok(p, &info);
        ck_assert_uint_eq(info.capacity, 16 * MiB);
        mv_volfile_info_clear(&info);
        ck_assert_int_eq(mv_volfile_resize(p, 4 * MiB, true, false, TIMEOUT_MS, &err), 0);
        inspect_ok(p, &info);
        ck_assert_uint_eq(info.capacity, 4 * MiB);
        mv_volfile_info_clear(&info);
        ck_assert_int_eq(mv_volfile_resize(p, (1ULL << 63) + 4096, false, false, TIMEOUT_MS, &err),
                         -EOVERFLOW);
        free(err), err = NULL;
    }
    /* ALLOCATE fills the new part of a raw file */
    ck_assert_int_eq(mv_volfile_resize(r, 36 * MiB, false, true, TIMEOUT_MS, &err), 0);
    ck_assert_uint_ge(allocated(r), 32 * MiB);
}
END_TEST

/* ---- wipe ---- */

static bool all_zero(const char *p)
{
    _cleanup_free_ char *buf = malloc(MiB);
    _cleanup_close_ int fd = open(p, O_RDONLY | O_CLOEXEC);
    ssize_t n;

    ck_assert_int_ge(fd, 0);
    while ((n = read(fd, buf, MiB)) > 0)
        for (ssize_t i = 0; i < n; i++)
            if (buf[i])
                return false;
    return n == 0;
}

START_TEST(wipe_raw_sparse)
{
    _cleanup_free_ char *p = path_in("w.raw"), *f = path_in("full.raw"), *err = NULL;
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_RAW, .capacity = 16 * MiB,
                                    .prealloc = MV_VOLFILE_PREALLOC_FULL, .uid = (uid_t)-1, .gid = (gid_t)-1 };
    uint64_t before;

    make_data_raw(p, 64 * MiB);
    before = allocated(p);
    ck_assert(!all_zero(p));
    ck_assert_int_eq(mv_volfile_wipe(p, TIMEOUT_MS, &err), 0);
    ck_assert(all_zero(p));
    ck_assert_uint_le(allocated(p), before);        /* no hole got filled */

    create_ok(f, &spec);
    ck_assert_int_eq(mv_volfile_wipe(f, TIMEOUT_MS, &err), 0);
    ck_assert(all_zero(f));
    ck_assert_uint_ge(allocated(f), 16 * MiB);       /* preallocated stays so */
}
END_TEST

START_TEST(wipe_qcow2)
{
    _cleanup_free_ char *a = path_in("a.raw"), *q = path_in("w.qcow2"), *back = path_in("back.raw"),
                        *err = NULL;
    struct mv_volfile_spec qs = { .format = MV_VOLFILE_QCOW2, .compat = "1.1", .cluster_size = 131072,
                                  .lazy_refcounts = true, .mode = 0604, .uid = (uid_t)-1, .gid = (gid_t)-1 };
    struct mv_volfile_info info;
    struct stat st;

    make_data_raw(a, 64 * MiB);
    ck_assert_int_eq(mv_volfile_clone(a, q, &qs, TIMEOUT_MS, NULL, NULL, &err), 0);
    ck_assert_int_eq(mv_volfile_wipe(q, TIMEOUT_MS, &err), 0);
    inspect_ok(q, &info);
    ck_assert_int_eq(info.format, MV_VOLFILE_QCOW2);
    ck_assert_uint_eq(info.capacity, 64 * MiB);
    ck_assert_uint_eq(info.cluster_size, 131072);
    ck_assert(info.lazy_refcounts);
    ck_assert_uint_lt(info.allocation, MiB);
    mv_volfile_info_clear(&info);
    ck_assert_int_eq(stat(q, &st), 0);
    ck_assert_uint_eq(st.st_mode & 07777, 0604);
    /* what a guest reads: zeros */
    ck_assert_int_eq(mv_volfile_clone(q, back, &(struct mv_volfile_spec){ .format = MV_VOLFILE_RAW,
                                      .uid = (uid_t)-1, .gid = (gid_t)-1 }, TIMEOUT_MS, NULL, NULL, &err), 0);
    ck_assert(all_zero(back));
}
END_TEST

/* ---- kill -9 during a create ---- */

/* A qemu-img that tells the test its pid on fifo.ready, then blocks
 * reading fifo.go (which nobody writes). */
static void blocking_wrapper(char *path, size_t size, char *ready, size_t rsize)
{
    _cleanup_free_ char *script = NULL;
    char go[PATH_MAX];

    snprintf(path, size, "%s/qemu-img-wrapper", dir);
    snprintf(ready, rsize, "%s/fifo.ready", dir);
    snprintf(go, sizeof(go), "%s/fifo.go", dir);
    ck_assert_int_eq(mkfifo(ready, 0600), 0);
    ck_assert_int_eq(mkfifo(go, 0600), 0);
    ck_assert_int_ge(asprintf(&script, "#!/bin/sh\necho $$ > '%s'\nread x < '%s'\nexec " QEMU_IMG " \"$@\"\n",
                              ready, go), 0);
    ck_assert_int_eq(mv_file_write_atomic(path, script, strlen(script), 0700), 0);
}

START_TEST(kill_during_create)
{
    _cleanup_free_ char *p = path_in("k.qcow2");
    char wpath[PATH_MAX], ready[PATH_MAX], names[512], line[32] = "";
    struct mv_volfile_spec spec = { .format = MV_VOLFILE_QCOW2, .capacity = MiB, .uid = (uid_t)-1,
                                    .gid = (gid_t)-1 };
    _cleanup_fclose_ FILE *f = NULL;
    pid_t child, helper;
    int status;

    blocking_wrapper(wpath, sizeof(wpath), ready, sizeof(ready));
    /* the orphaned helper becomes ours to reap, not PID 1's */
    ck_assert_int_eq(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
    child = fork();
    ck_assert_int_ge(child, 0);
    if (child == 0) {
        mv_volfile_set_qemu_img(wpath);
        _exit(mv_volfile_create(p, &spec, TIMEOUT_MS, NULL) == 0 ? 0 : 1);
    }
    /* the helper runs: the temp file exists, the create is in progress */
    f = fopen(ready, "re");
    ck_assert_ptr_nonnull(f);
    ck_assert_ptr_nonnull(fgets(line, sizeof(line), f));
    helper = atoi(line);
    ck_assert_int_gt(helper, 1);
    ck_assert_int_eq(kill(child, SIGKILL), 0);
    ck_assert_int_eq(waitpid(child, &status, 0), child);
    ck_assert(WIFSIGNALED(status));
    /* qemu-img outlives the daemon that started it */
    ck_assert_int_eq(kill(helper, SIGKILL), 0);
    ck_assert_int_eq(waitpid(helper, &status, 0), helper);
    /* only a temp file, no volume that looks finished */
    ck_assert_int_eq(access(p, F_OK), -1);
    ck_assert_int_eq(count_entries(names, sizeof(names)), 1);
    ck_assert_msg(strncmp(names, ".k.qcow2.mvtmp.", 15) == 0, "left: %s", names);
    ck_assert_int_eq(mv_volfile_clean_temps(dir), 1);
    ck_assert_int_eq(count_entries(names, sizeof(names)), 0);
}
END_TEST

/* a temp file still being written is not cleaned; a user's dotfile never is */
START_TEST(clean_temps_skips_busy)
{
    _cleanup_free_ char *p = path_in("busy.raw"), *tmp = NULL, *dot = path_in(".disk.backup1");
    char names[512];
    int fd = -1;

    ck_assert_int_eq(mv_file_write_atomic(dot, "x", 1, 0600), 0);
    ck_assert_int_eq(mv_volfile_temp_open(p, &fd, &tmp, NULL), 0);
    ck_assert_int_eq(mv_volfile_clean_temps(dir), 0);
    ck_assert_int_eq(count_entries(names, sizeof(names)), 2);
    close(fd);          /* its writer gone */
    ck_assert_int_eq(mv_volfile_clean_temps(dir), 1);
    ck_assert_int_eq(count_entries(names, sizeof(names)), 1);
    ck_assert_int_eq(access(dot, F_OK), 0);
}
END_TEST

static Suite *volfile_suite(void)
{
    Suite *s = suite_create("storaged_volfile");
    TCase *tc = tcase_create("volfile");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, raw_sparse);
    tcase_add_test(tc, raw_full_prealloc);
    tcase_add_test(tc, qcow2_options);
    tcase_add_test(tc, backing_chain);
    tcase_add_test(tc, luks);
    tcase_add_test(tc, cache_1000);
    tcase_add_test(tc, cache_threads);
    tcase_add_test(tc, cache_sees_change);
    tcase_add_test(tc, bad_input);
    tcase_add_test(tc, bad_headers);
    tcase_add_test(tc, qemu_img_fails);
    tcase_add_test(tc, delete_missing_ok);
    tcase_add_test(tc, clone_roundtrip);
    tcase_add_test(tc, clone_grows);
    tcase_add_test(tc, resize);
    tcase_add_test(tc, wipe_raw_sparse);
    tcase_add_test(tc, wipe_qcow2);
    tcase_add_test(tc, kill_during_create);
    tcase_add_test(tc, clean_temps_skips_busy);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(volfile_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? EXIT_FAILURE : EXIT_SUCCESS;
}
