/*
 * save_image.c: the header refuses what is not a whole modvirt image
 * (short, wrong magic, unknown version or flags, an XML length over its
 * maximum or beyond its space); an image written and committed reads back
 * with its XML and flags; one cut short anywhere is refused as truncated;
 * a writer never committed leaves no file; XML rewritten in place.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "save_image.h"

static const char *xml = "<domain type='qemu'><name>vm1</name></domain>";

static void good_header(unsigned char buf[QEMUD_SAVE_HEADER_SIZE])
{
    struct qemud_save_header h = { .version = QEMUD_SAVE_VERSION, .flags = QEMUD_SAVE_RUNNING, .xml_len = 100,
                                   .xml_space = qemud_save_xml_space(100), .data_len = 5 };

    qemud_save_header_encode(&h, buf);
}

START_TEST(header_round_trip)
{
    unsigned char buf[QEMUD_SAVE_HEADER_SIZE];
    struct qemud_save_header h;
    const char *why = NULL;

    good_header(buf);
    ck_assert_int_eq(qemud_save_header_decode(buf, sizeof(buf), &h, &why), 0);
    ck_assert_uint_eq(h.xml_len, 100);
    ck_assert_uint_eq(h.flags, QEMUD_SAVE_RUNNING);
    ck_assert_uint_eq(h.data_len, 5);
    ck_assert_uint_eq((QEMUD_SAVE_HEADER_SIZE + h.xml_space) % 4096, 0);
}
END_TEST

START_TEST(header_refused)
{
    unsigned char buf[QEMUD_SAVE_HEADER_SIZE];
    struct qemud_save_header h = { 0 };
    const char *why = NULL;

    good_header(buf);
    ck_assert_int_eq(qemud_save_header_decode(buf, 3, &h, &why), -EINVAL);
    ck_assert_str_eq(why, "not a modvirt save image (bad magic)");
    ck_assert_int_eq(qemud_save_header_decode(buf, 20, &h, &why), -EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "truncated"));
    buf[0] = 'L';       /* libvirt's "LibvirtQemudSave" or anything else */
    ck_assert_int_eq(qemud_save_header_decode(buf, sizeof(buf), &h, &why), -EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "bad magic"));
    good_header(buf);
    buf[8] = 9;         /* version */
    ck_assert_int_eq(qemud_save_header_decode(buf, sizeof(buf), &h, &why), -EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "version"));
    good_header(buf);
    buf[12] = 3;        /* running and paused */
    ck_assert_int_eq(qemud_save_header_decode(buf, sizeof(buf), &h, &why), -EINVAL);
    good_header(buf);
    memset(buf + 16, 0xff, 4);   /* a huge XML length */
    ck_assert_int_eq(qemud_save_header_decode(buf, sizeof(buf), &h, &why), -EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "XML length"));
    good_header(buf);
    memset(buf + 20, 0, 4);      /* XML longer than its space */
    ck_assert_int_eq(qemud_save_header_decode(buf, sizeof(buf), &h, &why), -EINVAL);
    ck_assert_uint_eq(h.xml_len, 0);     /* untouched on failure */
}
END_TEST

static char *tmpdir(void)
{
    char *d = strdup("/tmp/check_save_image.XXXXXX");

    ck_assert_ptr_nonnull(mkdtemp(d));
    return d;
}

/* Writes an image of XML with a DATA_LEN-byte stream; its path in *PATH. */
static void write_image(const char *dir, uint32_t flags, size_t data_len, char **path)
{
    struct qemud_save_writer w;
    char data[4096];

    ck_assert_int_ge(asprintf(path, "%s/vm1.save", dir), 0);
    ck_assert_int_eq(qemud_save_writer_create(*path, xml, flags, &w), 0);
    memset(data, 'q', sizeof(data));
    for (size_t done = 0; done < data_len;) {
        size_t n = data_len - done < sizeof(data) ? data_len - done : sizeof(data);

        ck_assert_int_eq(write(w.fd, data, n), (ssize_t)n);
        done += n;
    }
    ck_assert_int_eq(qemud_save_writer_commit(&w, data_len), 0);
    qemud_save_writer_clear(&w);
}

START_TEST(image_round_trip)
{
    char *dir = tmpdir(), *path = NULL;
    struct qemud_save_image img = { .fd = -1 };
    const char *why = NULL;
    char c;

    write_image(dir, QEMUD_SAVE_PAUSED, 10000, &path);
    ck_assert_int_eq(qemud_save_image_open(path, &img, &why), 0);
    ck_assert_str_eq(img.xml, xml);
    ck_assert_uint_eq(img.hdr.flags, QEMUD_SAVE_PAUSED);
    ck_assert_int_eq(read(img.fd, &c, 1), 1);     /* positioned at the stream */
    ck_assert_int_eq(c, 'q');
    qemud_save_image_close(&img);
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(image_truncated)
{
    char *dir = tmpdir(), *path = NULL;
    struct qemud_save_image img = { .fd = -1 };
    const char *why = NULL;
    struct stat st;

    write_image(dir, QEMUD_SAVE_RUNNING, 10000, &path);
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(truncate(path, st.st_size - 1), 0);
    ck_assert_int_eq(qemud_save_image_open(path, &img, &why), -EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "truncated"));
    ck_assert_int_eq(truncate(path, 100), 0);     /* inside the XML */
    ck_assert_int_eq(qemud_save_image_open(path, &img, &why), -EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "truncated"));
    ck_assert_int_eq(truncate(path, 10), 0);      /* inside the header */
    ck_assert_int_eq(qemud_save_image_open(path, &img, &why), -EINVAL);
    ck_assert_ptr_nonnull(strstr(why, "truncated"));
    ck_assert_int_eq(img.fd, -1);
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
}
END_TEST

START_TEST(writer_discarded)
{
    char *dir = tmpdir(), *path = NULL;
    struct qemud_save_writer w;

    ck_assert_int_ge(asprintf(&path, "%s/vm1.save", dir), 0);
    ck_assert_int_eq(qemud_save_writer_create(path, xml, QEMUD_SAVE_RUNNING, &w), 0);
    qemud_save_writer_clear(&w);
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(rmdir(dir), 0);      /* no temp file left either */
    free(path);
    free(dir);
}
END_TEST

START_TEST(set_xml_in_place)
{
    char *dir = tmpdir(), *path = NULL;
    struct qemud_save_image img = { .fd = -1 };
    const char *why = NULL;
    const char *longer = "<domain type='qemu'><name>vm1</name><description>changed</description></domain>";
    char *huge = malloc(QEMUD_SAVE_XML_PAD * 2);

    write_image(dir, QEMUD_SAVE_RUNNING, 5000, &path);
    ck_assert_int_eq(qemud_save_image_set_xml(path, longer, QEMUD_SAVE_PAUSED, &why), 0);
    ck_assert_int_eq(qemud_save_image_open(path, &img, &why), 0);
    ck_assert_str_eq(img.xml, longer);
    ck_assert_uint_eq(img.hdr.flags, QEMUD_SAVE_PAUSED);
    qemud_save_image_close(&img);
    memset(huge, 'x', QEMUD_SAVE_XML_PAD * 2 - 1);
    huge[QEMUD_SAVE_XML_PAD * 2 - 1] = '\0';
    ck_assert_int_eq(qemud_save_image_set_xml(path, huge, 0, &why), -ENOSPC);
    ck_assert_int_eq(qemud_save_image_open(path, &img, &why), 0);   /* untouched */
    ck_assert_str_eq(img.xml, longer);
    qemud_save_image_close(&img);
    free(huge);
    unlink(path);
    rmdir(dir);
    free(path);
    free(dir);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qemud_save_image");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, header_round_trip);
    tcase_add_test(tc, header_refused);
    tcase_add_test(tc, image_round_trip);
    tcase_add_test(tc, image_truncated);
    tcase_add_test(tc, writer_discarded);
    tcase_add_test(tc, set_xml_in_place);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
