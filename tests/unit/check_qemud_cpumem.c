/*
 * The CPU and memory parts of modvirt-qemud that golden files do not reach:
 * the table of QEMU's x86 CPUID flags against the installed QEMU, id sets,
 * the host memory facts read from fixture trees (tests/data/hostmem), and
 * the huge page backends built from those facts (the test host has none).
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cpu_x86_features.h"
#include "domain_address.h"
#include "domain_def.h"
#include "domain_idset.h"
#include "error_codes.h"
#include "host_memory.h"
#include "qemu_command.h"
#include "testutil.h"

#define REAL_QEMU "/usr/bin/qemu-system-x86_64"

/* ---- CPUID flags ---- */

/* The names after "Recognized CPUID flags:" in `QEMU -cpu help`, one per
 * line, sorted as the table is (strcmp). */
static char *qemu_flags(void)
{
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    FILE *f = popen(REAL_QEMU " -cpu help | sed -n '/^Recognized CPUID flags:/,$p' | tail -n +2 | "
                    "tr -s ' ' '\\n' | sed '/^$/d' | LC_ALL=C sort -u", "r");
    char *out;

    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(getdelim(&text, &len, '\0', f), 0);
    ck_assert_int_eq(pclose(f), 0);
    out = TAKE_PTR(text);
    return out;
}

START_TEST(test_flags_match_qemu)
{
    _cleanup_free_ char *expect = NULL;
    _cleanup_free_ char *have = NULL;
    size_t len = 0;

    if (access(REAL_QEMU, X_OK) != 0) {
        fprintf(stderr, "# %s is not installed: the table is not compared\n", REAL_QEMU);
        return;
    }
    expect = qemu_flags();
    for (size_t i = 0; i < mv_cpu_x86_nfeatures; i++) {
        if (i)
            ck_assert_msg(strcmp(mv_cpu_x86_features[i - 1], mv_cpu_x86_features[i]) < 0, "table not sorted at %s",
                          mv_cpu_x86_features[i]);
        len += strlen(mv_cpu_x86_features[i]) + 1;
    }
    have = calloc(len + 1, 1);
    ck_assert_ptr_nonnull(have);
    for (size_t i = 0; i < mv_cpu_x86_nfeatures; i++)
        strcat(strcat(have, mv_cpu_x86_features[i]), "\n");
    ck_assert_str_eq(have, expect);
}
END_TEST

START_TEST(test_flag_names)
{
    ck_assert_str_eq(mv_cpu_x86_feature("avx2"), "avx2");
    ck_assert_str_eq(mv_cpu_x86_feature("lahf_lm"), "lahf-lm");
    ck_assert_str_eq(mv_cpu_x86_feature("pclmuldq"), "pclmulqdq");
    ck_assert_str_eq(mv_cpu_x86_feature("sse3"), "pni");
    ck_assert_str_eq(mv_cpu_x86_feature("sse4_2"), "sse4.2");
    ck_assert_str_eq(mv_cpu_x86_feature("sse4.1"), "sse4.1");
    ck_assert_ptr_null(mv_cpu_x86_feature("avx9000"));
    ck_assert_ptr_null(mv_cpu_x86_feature("lahf__lm"));
    ck_assert_ptr_null(mv_cpu_x86_feature(""));
}
END_TEST

/* ---- id sets ---- */

static char *idset_round(const char *s, unsigned int max)
{
    struct mv_dom_idset set = { 0 };
    char *out;

    ck_assert_int_eq(mv_dom_idset_parse(s, max, &set), 0);
    out = mv_dom_idset_format(&set, ",");
    free(set.ids);
    return out;
}

START_TEST(test_idset)
{
    struct mv_dom_idset set = { 0 };
    _cleanup_free_ char *a = idset_round("0-3,^2,8", 16);
    _cleanup_free_ char *b = idset_round("5,4,3,1", 16);
    _cleanup_free_ char *c = idset_round("15", 16);

    ck_assert_str_eq(a, "0-1,3,8");
    ck_assert_str_eq(b, "1,3-5");
    ck_assert_str_eq(c, "15");
    ck_assert_int_eq(mv_dom_idset_parse("16", 16, &set), -ERANGE);
    ck_assert_int_eq(mv_dom_idset_parse("3-1", 16, &set), -EINVAL);
    ck_assert_int_eq(mv_dom_idset_parse("", 16, &set), -EINVAL);
    ck_assert_int_eq(mv_dom_idset_parse("1,", 16, &set), -EINVAL);
    ck_assert_int_eq(mv_dom_idset_parse("1-2,^1,^2", 16, &set), -EINVAL);  /* empty */
    ck_assert_int_eq(mv_dom_idset_parse(" 1", 16, &set), -EINVAL);
    ck_assert_int_eq(mv_dom_idset_parse("99999999999", 16, &set), -ERANGE);
    ck_assert_ptr_null(set.ids);
}
END_TEST

/* ---- host facts ---- */

START_TEST(test_host_memory)
{
    _cleanup_free_ char *root = mv_test_data_path("hostmem", "huge");
    _cleanup_(mv_host_memory_clear) struct mv_host_memory m = { 0 };

    ck_assert_int_eq(mv_host_memory_read(root, &m), 0);
    ck_assert_uint_eq(m.nnodes, 2);
    ck_assert_uint_eq(m.nodes[0], 0);
    ck_assert_uint_eq(m.nodes[1], 2);
    ck_assert_uint_eq(m.npages, 2);
    /* the default size first */
    ck_assert_uint_eq(m.pages[0].page_kib, 2048);
    ck_assert_uint_eq(m.pages[0].free_pages, 100);
    ck_assert_str_eq(m.pages[0].mount, "/dev/hugepages");
    ck_assert_uint_eq(m.pages[1].page_kib, 1048576);
    ck_assert_uint_eq(m.pages[1].free_pages, 1);
    ck_assert_str_eq(m.pages[1].mount, "/mnt/huge1g");
}
END_TEST

START_TEST(test_host_memory_none)
{
    _cleanup_free_ char *root = mv_test_data_path("hostmem", "nonuma");
    _cleanup_(mv_host_memory_clear) struct mv_host_memory m = { 0 };

    ck_assert_int_eq(mv_host_memory_read(root, &m), 0);
    ck_assert_uint_eq(m.nnodes, 0);
    ck_assert_uint_eq(m.npages, 0);
}
END_TEST

/* ---- huge page backends ---- */

static const char *const base_xml =
    "<domain type='qemu'><name>huge</name><memory unit='MiB'>%s</memory><vcpu>2</vcpu>"
    "<memoryBacking>%s</memoryBacking><os><type>hvm</type></os>%s</domain>";

/* Builds the command line of the domain made of MEMORY (MiB), BACKING and
 * CPU on the fixture host "huge"; the -object arguments joined by spaces
 * into *OBJECTS, or the error into *ERR.  Returns the builder's result. */
static int build_huge(const char *memory, const char *backing, const char *cpu, char **objects, char **err)
{
    _cleanup_free_ char *root = mv_test_data_path("hostmem", "huge");
    _cleanup_(mv_host_memory_clear) struct mv_host_memory m = { 0 };
    _cleanup_free_ char *xml = NULL;
    _cleanup_free_ char *perr = NULL;
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    char **argv = NULL;
    size_t len = 1;
    int code, r;

    ck_assert_int_eq(mv_host_memory_read(root, &m), 0);
    ck_assert(asprintf(&xml, base_xml, memory, backing, cpu) > 0);
    ck_assert_msg(mv_dom_def_parse(xml, 0, &def, &code, &perr) == 0, "%s", perr);
    ck_assert_int_eq(mv_dom_assign(def, &code, &perr), 0);
    struct mv_qemu_cmd_ctx ctx = { .emulator = REAL_QEMU, .monitor_path = "/run/x.monitor",
                                   .host_nodes = m.nodes, .nhost_nodes = m.nnodes,
                                   .hugepages = m.pages, .nhugepages = m.npages };
    r = mv_qemu_build_argv(def, &ctx, &argv, &code, err);
    if (r < 0)
        return r;
    for (char **a = argv; *a; a++)
        len += strlen(*a) + 1;
    *objects = calloc(len, 1);
    ck_assert_ptr_nonnull(*objects);
    for (char **a = argv; a[0] && a[1]; a++)
        if (strcmp(a[0], "-object") == 0)
            strcat(strcat(*objects, a[1]), " ");
    for (char **a = argv; *a; a++)
        free(*a);
    free(argv);
    return 0;
}

START_TEST(test_hugepages_default)
{
    _cleanup_free_ char *obj = NULL;
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(build_huge("128", "<hugepages/>", "", &obj, &err), 0);
    ck_assert_str_eq(obj, "memory-backend-file,id=pc.ram,mem-path=/dev/hugepages,share=off,prealloc=on,"
                          "size=134217728 ");
}
END_TEST

START_TEST(test_hugepages_memfd_ondemand)
{
    _cleanup_free_ char *obj = NULL;
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(build_huge("1024", "<hugepages><page size='1' unit='GiB'/></hugepages>"
                                "<source type='memfd'/><access mode='shared'/><allocation mode='ondemand'/>",
                                "", &obj, &err), 0);
    ck_assert_str_eq(obj, "memory-backend-memfd,id=pc.ram,hugetlb=on,hugetlbsize=1073741824,share=on,"
                          "size=1073741824 ");
}
END_TEST

/* Cell 0 on 2 MiB pages bound to host node 2, cell 1 on ordinary memory. */
START_TEST(test_hugepages_cells)
{
    _cleanup_free_ char *obj = NULL;
    _cleanup_free_ char *err = NULL;

    ck_assert_int_eq(build_huge("256", "<hugepages><page size='2048' nodeset='0'/></hugepages>",
                                "<numatune><memnode cellid='0' mode='strict' nodeset='2'/></numatune>"
                                "<cpu><numa><cell id='0' cpus='0' memory='128' unit='MiB'/>"
                                "<cell id='1' cpus='1' memory='128' unit='MiB'/></numa></cpu>", &obj, &err), 0);
    ck_assert_str_eq(obj, "memory-backend-file,id=ram-node0,mem-path=/dev/hugepages,share=off,prealloc=on,"
                          "size=134217728,host-nodes=2,policy=bind "
                          "memory-backend-ram,id=ram-node1,share=off,size=134217728 ");
}
END_TEST

START_TEST(test_hugepages_refused)
{
    _cleanup_free_ char *obj = NULL;
    _cleanup_free_ char *err = NULL;

    /* 101 pages of 2 MiB, 100 free */
    ck_assert_int_lt(build_huge("202", "<hugepages/>", "", &obj, &err), 0);
    ck_assert_str_eq(err, "unsupported configuration: the guest's memory needs 101 huge pages of 2048 KiB; "
                          "this host has 100 free");
    free(TAKE_PTR(err));
    /* two cells that each fit, but not together */
    ck_assert_int_lt(build_huge("2048", "<hugepages><page size='1048576'/></hugepages>", "<cpu><numa>"
                                "<cell id='0' cpus='0' memory='1' unit='GiB'/><cell id='1' cpus='1' memory='1' "
                                "unit='GiB'/></numa></cpu>", &obj, &err), 0);
    ck_assert_str_eq(err, "unsupported configuration: guest NUMA cell 1 needs 2 huge pages of 1048576 KiB; "
                          "this host has 1 free");
    free(TAKE_PTR(err));
    ck_assert_int_lt(build_huge("3", "<hugepages/>", "", &obj, &err), 0);
    ck_assert_str_eq(err, "unsupported configuration: the guest's memory: 3072 KiB of memory is not a whole "
                          "number of 2048 KiB huge pages");
    free(TAKE_PTR(err));
    ck_assert_int_lt(build_huge("128", "<hugepages/>", "<numatune><memory nodeset='1'/></numatune>", &obj, &err),
                     0);
    ck_assert_str_eq(err, "unsupported configuration: <numatune><memory> names host NUMA node 1, which does not "
                          "exist on this host (nodes with memory: 0,2)");
}
END_TEST

static Suite *cpumem_suite(void)
{
    Suite *s = suite_create("cpumem");
    TCase *tc = tcase_create("cpumem");

    tcase_add_test(tc, test_flags_match_qemu);
    tcase_add_test(tc, test_flag_names);
    tcase_add_test(tc, test_idset);
    tcase_add_test(tc, test_host_memory);
    tcase_add_test(tc, test_host_memory_none);
    tcase_add_test(tc, test_hugepages_default);
    tcase_add_test(tc, test_hugepages_memfd_ondemand);
    tcase_add_test(tc, test_hugepages_cells);
    tcase_add_test(tc, test_hugepages_refused);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cpumem_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
