/* nodedevd/pci_ids.c: vendor and product names from pci.ids. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "pci_ids.h"
#include "testutil.h"

static struct nodedev_pci_ids *load_data(void)
{
    _cleanup_free_ char *path = mv_test_data_path("pci_ids", "pci.ids");
    struct nodedev_pci_ids *ids = NULL;

    ck_assert_int_eq(nodedev_pci_ids_load(path, &ids), 0);
    ck_assert_ptr_nonnull(ids);
    return ids;
}

/* Writes LEN bytes of DATA to DIR/NAME and returns the path (malloc'd). */
static char *write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char *path;
    int fd;

    ck_assert(asprintf(&path, "%s/%s", dir, name) > 0);
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
    close(fd);
    return path;
}

START_TEST(test_names)
{
    struct nodedev_pci_ids *ids = load_data();

    ck_assert_str_eq(nodedev_pci_vendor_name(ids, 0x1af4), "Red Hat, Inc.");
    ck_assert_str_eq(nodedev_pci_product_name(ids, 0x1af4, 0x1045), "Virtio 1.0 memory balloon");
    ck_assert_str_eq(nodedev_pci_vendor_name(ids, 0x1565), "Biostar Microtech Int'l Corp");
    /* upper-case hex in the file */
    ck_assert_str_eq(nodedev_pci_product_name(ids, 0x8086, 0x10d3), "82574L Gigabit Network Connection");
    /* unknown ids: a known vendor's unknown device, an unknown vendor */
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x8086, 0x0d57));
    ck_assert_ptr_null(nodedev_pci_vendor_name(ids, 0x1234));
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x1234, 0x1041));
    /* the ids are 16 bits */
    ck_assert_ptr_null(nodedev_pci_vendor_name(ids, 0x11af4));
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x1af4, 0x11045));
    nodedev_pci_ids_free(ids);
}
END_TEST

START_TEST(test_first_wins)
{
    struct nodedev_pci_ids *ids = load_data();

    ck_assert_str_eq(nodedev_pci_product_name(ids, 0x1af4, 0x1041), "Virtio 1.0 network device");
    ck_assert_str_eq(nodedev_pci_vendor_name(ids, 0x8086), "Intel Corporation");
    nodedev_pci_ids_free(ids);
}
END_TEST

START_TEST(test_skipped_lines)
{
    struct nodedev_pci_ids *ids = load_data();

    /* a subsystem line is no device of its vendor */
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x1af4, 0x1100));
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x8086, 0xa01f));
    /* five digits, not hex, no name */
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x8086, 0x1234));
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x8086, 0x2345));
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x8086, 0x1500));
    /* devices with no vendor above them: before the first vendor, after a
     * broken top-level line, in the class section */
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x0000, 0x0001));
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x8086, 0x0042));
    ck_assert_ptr_null(nodedev_pci_vendor_name(ids, 0xabcd));
    ck_assert_str_eq(nodedev_pci_vendor_name(ids, 0xffff), "Illegal Vendor ID");
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0xffff, 0x0000));
    nodedev_pci_ids_free(ids);
}
END_TEST

/* Hostile content: CRLF, invalid UTF-8, control characters, NUL bytes, an
 * enormous line, no final newline.  Bad lines are skipped, good ones kept. */
START_TEST(test_malformed)
{
    static const char head[] =
        "1af4  Red Hat, Inc.\r\n"
        "\t1041  crlf line  \r\n"
        "\t1042  bad utf-8 \xc3\x28\n"
        "\t1043  a bell \x07 inside\n"
        "\t1044  a NUL \0 inside\n"
        "\t1045  caf\xc3\xa9\n"
        "\t1046  ";
    static const char tail[] = "\n\t1047  after the long line\n\t1048  no final newline";
    char dir[64];
    _cleanup_free_ char *buf = NULL, *path = NULL;
    struct nodedev_pci_ids *ids = NULL;
    size_t len = 0, longlen = 200000;

    mv_test_mkdtemp(dir, sizeof(dir), "check_pci_ids");
    buf = malloc(sizeof(head) + longlen + sizeof(tail));
    ck_assert_ptr_nonnull(buf);
    memcpy(buf, head, sizeof(head) - 1);
    len = sizeof(head) - 1;
    memset(buf + len, 'x', longlen);
    len += longlen;
    memcpy(buf + len, tail, sizeof(tail) - 1);
    len += sizeof(tail) - 1;
    path = write_file(dir, "pci.ids", buf, len);

    ck_assert_int_eq(nodedev_pci_ids_load(path, &ids), 0);
    ck_assert_str_eq(nodedev_pci_vendor_name(ids, 0x1af4), "Red Hat, Inc.");
    ck_assert_str_eq(nodedev_pci_product_name(ids, 0x1af4, 0x1041), "crlf line");
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x1af4, 0x1042));
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x1af4, 0x1043));
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x1af4, 0x1044));
    ck_assert_str_eq(nodedev_pci_product_name(ids, 0x1af4, 0x1045), "caf\xc3\xa9");
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x1af4, 0x1046));
    ck_assert_str_eq(nodedev_pci_product_name(ids, 0x1af4, 0x1047), "after the long line");
    ck_assert_str_eq(nodedev_pci_product_name(ids, 0x1af4, 0x1048), "no final newline");
    nodedev_pci_ids_free(ids);
    mv_test_rmtree(dir);
}
END_TEST

START_TEST(test_missing_empty_huge)
{
    char dir[64];
    _cleanup_free_ char *missing = NULL, *empty = NULL, *huge = NULL;
    struct nodedev_pci_ids *ids = (struct nodedev_pci_ids *)0x1;
    int fd;

    mv_test_mkdtemp(dir, sizeof(dir), "check_pci_ids");
    ck_assert(asprintf(&missing, "%s/none", dir) > 0);
    ck_assert_int_eq(nodedev_pci_ids_load(missing, &ids), -ENOENT);
    ck_assert_ptr_eq(ids, (struct nodedev_pci_ids *)0x1);

    /* a file far larger than any pci.ids (sparse: costs no disk) */
    ck_assert(asprintf(&huge, "%s/huge", dir) > 0);
    fd = open(huge, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(ftruncate(fd, 65 << 20), 0);
    close(fd);
    ck_assert_int_eq(nodedev_pci_ids_load(huge, &ids), -EFBIG);
    ck_assert_ptr_eq(ids, (struct nodedev_pci_ids *)0x1);

    empty = write_file(dir, "empty", "", 0);
    ck_assert_int_eq(nodedev_pci_ids_load(empty, &ids), 0);
    ck_assert_ptr_null(nodedev_pci_vendor_name(ids, 0x8086));
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x8086, 0x10d3));
    nodedev_pci_ids_free(ids);

    /* no table at all: the daemon without pci.ids */
    ck_assert_ptr_null(nodedev_pci_vendor_name(NULL, 0x8086));
    ck_assert_ptr_null(nodedev_pci_product_name(NULL, 0x8086, 0x10d3));
    nodedev_pci_ids_free(NULL);
    mv_test_rmtree(dir);
}
END_TEST

/* The system's pci.ids gives the names Debian's libvirtd wrote on this
 * machine (/work/peer-nodedev): a check of the parser on the real file. */
START_TEST(test_system_file)
{
    static const char path[] = "/usr/share/misc/pci.ids";
    struct nodedev_pci_ids *ids = NULL;

    if (access(path, R_OK) != 0)
        return;
    ck_assert_int_eq(nodedev_pci_ids_load(path, &ids), 0);
    ck_assert_str_eq(nodedev_pci_vendor_name(ids, 0x8086), "Intel Corporation");
    ck_assert_str_eq(nodedev_pci_vendor_name(ids, 0x1af4), "Red Hat, Inc.");
    ck_assert_str_eq(nodedev_pci_product_name(ids, 0x1af4, 0x1041), "Virtio 1.0 network device");
    ck_assert_str_eq(nodedev_pci_product_name(ids, 0x1af4, 0x1042), "Virtio 1.0 block device");
    ck_assert_str_eq(nodedev_pci_product_name(ids, 0x1af4, 0x1053), "Virtio 1.0 socket");
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0x8086, 0x0d57));
    /* the class section lends no names to the last vendor (ffff) */
    ck_assert_ptr_null(nodedev_pci_product_name(ids, 0xffff, 0x0000));
    nodedev_pci_ids_free(ids);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("nodedevd_pci_ids");
    TCase *tc = tcase_create("core");
    SRunner *sr;
    int failed;

    tcase_add_test(tc, test_names);
    tcase_add_test(tc, test_first_wins);
    tcase_add_test(tc, test_skipped_lines);
    tcase_add_test(tc, test_malformed);
    tcase_add_test(tc, test_missing_empty_huge);
    tcase_add_test(tc, test_system_file);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
