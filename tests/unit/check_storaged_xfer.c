/*
 * A volume transfer's file side (storaged/volume_xfer.h) on real files in a
 * temp dir, with the test thread playing the RPC loop: the download reader
 * sends one hole per hole and data never crossing into one; the upload
 * writer keeps holes and zero blocks as holes, keeps what the stream does
 * not cover, refuses data past a raw volume's capacity and leaves the
 * volume unchanged when it fails or is cancelled, with no temp file left.
 */
#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "volume_xfer.h"

#define KiB 1024ull
#define MiB (1024ull * 1024)

static char dir[] = "/tmp/mv-xfer-XXXXXX";
static char path[256];

static void setup(void)
{
    ck_assert_ptr_nonnull(mkdtemp(strcpy(dir, "/tmp/mv-xfer-XXXXXX")));
    snprintf(path, sizeof(path), "%s/vol.raw", dir);
}

static void teardown(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    while (d && (e = readdir(d)))
        if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
            unlinkat(dirfd(d), e->d_name, 0);
    if (d)
        closedir(d);
    rmdir(dir);
}

/* SIZE bytes, data (byte FILL) at the [start, end) ranges of EXTENTS. */
static void make_file(const char *p, uint64_t size, const uint64_t *extents, size_t n, int fill)
{
    int fd = open(p, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    char buf[64 * 1024];

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, (off_t)size), 0);
    memset(buf, fill, sizeof(buf));
    for (size_t i = 0; i < n; i += 2)
        for (uint64_t off = extents[i]; off < extents[i + 1]; off += sizeof(buf)) {
            size_t len = extents[i + 1] - off < sizeof(buf) ? extents[i + 1] - off : sizeof(buf);
            ck_assert_int_eq(pwrite(fd, buf, len, (off_t)off), (ssize_t)len);
        }
    close(fd);
}

static char *read_all(const char *p, size_t *len)
{
    FILE *f = fopen(p, "rb");
    char *buf;
    long n;

    ck_assert_ptr_nonnull(f);
    fseek(f, 0, SEEK_END);
    n = ftell(f);
    rewind(f);
    buf = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return buf;
}

static uint64_t allocated(const char *p)
{
    struct stat sb;

    ck_assert_int_eq(stat(p, &sb), 0);
    return (uint64_t)sb.st_blocks * 512;
}

/* Waits (bounded) for the transfer's eventfd, as the loop's watch would. */
static void wait_event(struct vol_xfer *x)
{
    struct pollfd p = { .fd = x->efd, .events = POLLIN };

    ck_assert_int_eq(poll(&p, 1, 10000), 1);
    vol_xfer_ack(x);
}

static bool thread_done(struct vol_xfer *x, int *result)
{
    bool done;

    pthread_mutex_lock(&x->lock);
    done = x->thread_done;
    *result = x->result;
    pthread_mutex_unlock(&x->lock);
    return done;
}

static int wait_done(struct vol_xfer *x)
{
    int r;

    while (!thread_done(x, &r))
        wait_event(x);
    return r;
}

static int files_in_dir(void)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    while ((e = readdir(d)))
        n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
    closedir(d);
    return n;
}

/* ---- download ---- */

/* Pops every item into a description: "D4096 H1044480 ..." */
static void download_log(bool sparse, char *log, size_t size, uint64_t *total)
{
    char *err = NULL;
    struct vol_xfer *x = vol_xfer_start(false, sparse, true, "p", "v", path, 0, 0, 2 * MiB, NULL, &err);
    int r;

    ck_assert_ptr_nonnull(x);
    log[0] = '\0';
    *total = 0;
    for (;;) {
        struct vol_xfer_item *it;
        bool done = thread_done(x, &r);

        while ((it = vol_xfer_pop(x))) {
            size_t used = strlen(log);
            /* runs of data chunks are merged: only where holes are matters */
            bool merge = it->kind == VOL_XFER_DATA && used && log[used - 1] == '+';

            if (!merge)
                snprintf(log + used, size - used, "%c%llu%s", it->kind == VOL_XFER_DATA ? 'D' : 'H',
                         (unsigned long long)it->len, it->kind == VOL_XFER_DATA ? "+" : " ");
            *total += it->len;
            free(it);
        }
        if (done)
            break;
        wait_event(x);
    }
    ck_assert_int_eq(r, 0);
    vol_xfer_unref(x);
}

START_TEST(test_download_sparse)
{
    const uint64_t ext[] = { 0, 4 * KiB, 1 * MiB, 1 * MiB + 8 * KiB };
    char log[256];
    uint64_t total;

    make_file(path, 2 * MiB, ext, 4, 0x5a);
    download_log(true, log, sizeof(log), &total);
    ck_assert_str_eq(log, "D4096+H1044480 D8192+H1040384 ");
    ck_assert_uint_eq(total, 2 * MiB);
    /* not sparse: all of it as data, in chunks */
    download_log(false, log, sizeof(log), &total);
    ck_assert_str_eq(log, "D1048576+");
    ck_assert_uint_eq(total, 2 * MiB);
}
END_TEST

/* ---- upload ---- */

static struct vol_xfer *upload(uint64_t offset, uint64_t length, uint64_t capacity)
{
    char *err = NULL;
    struct vol_xfer *x = vol_xfer_start(true, true, true, "p", "v", path, offset, length, capacity, NULL, &err);

    ck_assert_msg(x != NULL, "%s", err ? err : "?");
    return x;
}

static void push(struct vol_xfer *x, const void *data, uint64_t len)
{
    int r;

    /* the loop's -EAGAIN: wait for the thread's "room again" */
    while ((r = vol_xfer_push(x, data, len)) == -EAGAIN)
        wait_event(x);
    ck_assert_int_eq(r, 0);
}

START_TEST(test_upload_sparse_whole)
{
    const uint64_t old[] = { 0, 2 * MiB };
    _cleanup_free_ char *zeros = calloc(1, 256 * KiB), *data = malloc(64 * KiB), *got = NULL;
    struct vol_xfer *x;
    size_t len;

    make_file(path, 2 * MiB, old, 2, 0x11);
    memset(data, 0x77, 64 * KiB);
    x = upload(0, 0, 2 * MiB);
    push(x, data, 64 * KiB);
    push(x, NULL, 512 * KiB);               /* a hole */
    push(x, zeros, 256 * KiB);              /* zeros sent as data */
    push(x, data, 64 * KiB);
    vol_xfer_finish(x);
    ck_assert_int_eq(wait_done(x), 0);
    vol_xfer_unref(x);
    got = read_all(path, &len);
    ck_assert_uint_eq(len, 2 * MiB);
    ck_assert_int_eq(memcmp(got, data, 64 * KiB), 0);
    for (size_t i = 64 * KiB; i < 832 * KiB; i++)
        ck_assert_int_eq(got[i], 0);
    ck_assert_int_eq(memcmp(got + 832 * KiB, data, 64 * KiB), 0);
    /* past the stream's end the old content stays, as libvirt leaves it */
    for (size_t i = 896 * KiB; i < len; i++)
        ck_assert_int_eq(got[i], 0x11);
    /* the hole and the zeros stayed holes: 128 KiB of data + the old tail */
    ck_assert_uint_le(allocated(path), 128 * KiB + (2 * MiB - 896 * KiB) + 64 * KiB);
    ck_assert_int_eq(files_in_dir(), 1);
}
END_TEST

START_TEST(test_upload_partial_keeps_rest)
{
    const uint64_t old[] = { 0, 1 * MiB };
    _cleanup_free_ char *data = malloc(4 * KiB), *got = NULL;
    struct vol_xfer *x;
    size_t len;

    make_file(path, 1 * MiB, old, 2, 0x22);
    memset(data, 0x33, 4 * KiB);
    x = upload(8 * KiB, 4 * KiB, 1 * MiB);
    push(x, data, 4 * KiB);
    vol_xfer_finish(x);
    ck_assert_int_eq(wait_done(x), 0);
    vol_xfer_unref(x);
    got = read_all(path, &len);
    ck_assert_uint_eq(len, 1 * MiB);
    for (size_t i = 0; i < len; i++)
        ck_assert_int_eq(got[i], i >= 8 * KiB && i < 12 * KiB ? 0x33 : 0x22);
}
END_TEST

/* Data past a raw volume's capacity (or a hole past it) fails the upload:
 * the volume is as it was, no temp file stays. */
START_TEST(test_upload_past_capacity)
{
    const uint64_t old[] = { 0, 64 * KiB };
    _cleanup_free_ char *data = malloc(48 * KiB), *before = NULL, *after = NULL;
    size_t blen, alen;

    make_file(path, 64 * KiB, old, 2, 0x44);
    before = read_all(path, &blen);
    memset(data, 0x55, 48 * KiB);
    for (int hole = 0; hole < 2; hole++) {
        struct vol_xfer *x = upload(0, 0, 64 * KiB);

        push(x, data, 48 * KiB);
        push(x, hole ? NULL : data, 48 * KiB);
        ck_assert_int_eq(wait_done(x), -EFBIG);
        ck_assert_ptr_nonnull(strstr(x->errmsg, "goes past the volume's capacity of 65536 bytes"));
        vol_xfer_unref(x);
        after = read_all(path, &alen);
        ck_assert_uint_eq(alen, blen);
        ck_assert_int_eq(memcmp(before, after, blen), 0);
        free(after);
        after = NULL;
        ck_assert_int_eq(files_in_dir(), 1);
    }
}
END_TEST

/* The stream ends without a finish (abort, client gone): nothing changes. */
START_TEST(test_upload_cancelled)
{
    const uint64_t old[] = { 0, 64 * KiB };
    _cleanup_free_ char *data = malloc(16 * KiB), *got = NULL;
    struct vol_xfer *x;
    size_t len;

    make_file(path, 64 * KiB, old, 2, 0x66);
    memset(data, 0x99, 16 * KiB);
    x = upload(0, 0, 64 * KiB);
    push(x, data, 16 * KiB);
    vol_xfer_cancel(x);
    ck_assert_int_eq(wait_done(x), -ECANCELED);
    vol_xfer_unref(x);
    got = read_all(path, &len);
    for (size_t i = 0; i < len; i++)
        ck_assert_int_eq(got[i], 0x66);
    ck_assert_int_eq(files_in_dir(), 1);
}
END_TEST

/* More than the queue holds: the loop side waits for room (back-pressure)
 * and every byte lands in order. */
START_TEST(test_upload_back_pressure)
{
    const uint64_t total = 3 * VOL_XFER_QUEUE_MAX;
    _cleanup_free_ char *chunk = malloc(256 * KiB), *got = NULL;
    struct vol_xfer *x;
    size_t len;

    make_file(path, total, NULL, 0, 0);
    x = upload(0, 0, total);
    for (uint64_t off = 0; off < total; off += 256 * KiB) {
        memset(chunk, (int)(off / (256 * KiB)) + 1, 256 * KiB);
        push(x, chunk, 256 * KiB);
    }
    vol_xfer_finish(x);
    ck_assert_int_eq(wait_done(x), 0);
    vol_xfer_unref(x);
    got = read_all(path, &len);
    ck_assert_uint_eq(len, total);
    for (uint64_t off = 0; off < total; off += 256 * KiB)
        ck_assert_int_eq(got[off + 256 * KiB - 1], (char)(off / (256 * KiB) + 1));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("storaged_xfer");
    TCase *tc = tcase_create("xfer");
    SRunner *sr;
    int failed;

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_download_sparse);
    tcase_add_test(tc, test_upload_sparse_whole);
    tcase_add_test(tc, test_upload_partial_keeps_rest);
    tcase_add_test(tc, test_upload_past_capacity);
    tcase_add_test(tc, test_upload_cancelled);
    tcase_add_test(tc, test_upload_back_pressure);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
