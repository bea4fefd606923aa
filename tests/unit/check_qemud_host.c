/*
 * Host facts of modvirt-qemud: /proc and /sys readers against fixture trees
 * in tests/data/host, the QEMU output parsers against text captured from
 * QEMU 7.2, the real QEMU and KVM probes on this machine, and the
 * capabilities and sysinfo XML as golden files (MV_REGENERATE=1 rewrites
 * them).  Schema validation of the XML is in check_qemud_caps_schema.c.
 */
#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "file.h"
#include "testutil.h"
#include "host_capabilities.h"
#include "host_node.h"
#include "host_cpuinfo.h"
#include "sysfs.h"
#include "host_sysinfo.h"
#include "host_xml.h"
#include "kvm_probe.h"
#include "qemu_probe.h"

#define REAL_QEMU "/usr/bin/qemu-system-x86_64"

static char *data_path(const char *name)
{
    return mv_test_data_path("host", name);
}

static char *data_text(const char *name)
{
    _cleanup_free_ char *path = data_path(name);
    char *text = NULL;

    ck_assert_int_eq(mv_sysfs_read(NULL, path, &text), 0);
    return text;
}

/* Caps as the probe would fill them from QEMU 7.2's captured output. */
static void fixed_qemu_caps(struct mv_qemu_caps *caps)
{
    _cleanup_free_ char *version = data_text("qemu-7.2-version.txt");
    _cleanup_free_ char *machines = data_text("qemu-7.2-machine-help.txt");
    _cleanup_free_ char *qmp = data_text("qemu-7.2-qmp-query-machines.txt");

    *caps = (struct mv_qemu_caps){ 0 };
    ck_assert_int_eq(mv_qemu_parse_version(version, &caps->version), 0);
    ck_assert_int_eq(mv_qemu_parse_machines(machines, caps), 0);
    ck_assert_int_eq(mv_qemu_parse_qmp_machines(qmp, caps), 0);
    caps->binary = strdup(REAL_QEMU);
    ck_assert_ptr_nonnull(caps->binary);
    caps->max_cpus_default = MV_QEMU_MAX_CPUS_DEFAULT;
}

/* Compares TEXT with tests/data/host/NAME, or rewrites it when MV_REGENERATE=1. */
static void golden(const char *name, const char *text)
{
    _cleanup_free_ char *path = data_path(name);
    _cleanup_free_ char *expected = NULL;
    const char *regen = getenv("MV_REGENERATE");
    int r;

    if (regen && strcmp(regen, "1") == 0) {
        FILE *f = fopen(path, "we");

        ck_assert_msg(f != NULL, "cannot write %s", path);
        ck_assert_int_eq(fputs(text, f) >= 0, 1);
        ck_assert_int_eq(fclose(f), 0);
        return;
    }
    r = mv_sysfs_read(NULL, path, &expected);
    ck_assert_msg(r == 0, "cannot read %s (%s): run with MV_REGENERATE=1 to create it",
                  path, strerror(-r));
    if (strcmp(expected, text) != 0) {
        _cleanup_free_ char *actual = NULL;
        FILE *f;

        ck_assert(asprintf(&actual, "%s.actual", name) > 0);
        f = fopen(actual, "we");
        if (f) {
            fputs(text, f);
            fclose(f);
        }
        ck_abort_msg("%s differs from the output (written to %s); diff them, or rerun with "
                     "MV_REGENERATE=1 if the change is intended", path, actual);
    }
}

/* ---- /proc/cpuinfo ---- */

START_TEST(test_cpuinfo_value)
{
    _cleanup_free_ char *s = NULL;

    ck_assert_int_eq(mv_host_cpuinfo_value("model name\t: AMD EPYC \nmodel\t\t: 2\n", "model", &s), 0);
    ck_assert_str_eq(s, "2");
    free(TAKE_PTR(s));
    ck_assert_int_eq(mv_host_cpuinfo_value("cpu MHz\t\t: 2596.122\n", "cpu MHz", &s), 0);
    ck_assert_str_eq(s, "2596.122");
    ck_assert_int_eq(mv_host_cpuinfo_value("flags: a\n", "vendor_id", &s), -ENOENT);
}
END_TEST

START_TEST(test_xml_clean_text)
{
    _cleanup_free_ char *a = mv_host_xml_clean_text("  Ver\x01sion \xff" "1.0\n");
    _cleanup_free_ char *b = mv_host_xml_clean_text("caf\xc3\xa9 \xe2\x82\xac");
    _cleanup_free_ char *c = mv_host_xml_clean_text("\xc0\xaf \xed\xa0\x80 \xe2\x82");
    _cleanup_free_ char *d = mv_host_xml_clean_text(" \n\t ");

    ck_assert_str_eq(a, "Ver?sion ?1.0");
    ck_assert_str_eq(b, "caf\xc3\xa9 \xe2\x82\xac");   /* valid UTF-8 kept */
    ck_assert_str_eq(c, "?? ??? ??");                   /* overlong, surrogate, truncated */
    ck_assert_str_eq(d, "");
}
END_TEST

/* ---- node info and stats ---- */

START_TEST(test_node_info_numa)
{
    _cleanup_free_ char *root = data_path("numa2");
    struct mv_node_info info;

    ck_assert_int_eq(mv_node_get_info(root, &info), 0);
    ck_assert_str_eq(info.model, "x86_64");
    ck_assert_uint_eq(info.memory_kib, 16326524);
    ck_assert_int_eq(info.cpus, 8);
    ck_assert_int_eq(info.mhz, 2100);          /* /proc/cpuinfo, as libvirt: not cpufreq's max 3900 */
    ck_assert_int_eq(info.nodes, 2);           /* node2 has memory but no CPUs */
    ck_assert_int_eq(info.sockets, 1);
    ck_assert_int_eq(info.cores, 2);
    ck_assert_int_eq(info.threads, 2);
}
END_TEST

START_TEST(test_node_info_flat)
{
    _cleanup_free_ char *root = data_path("simple");
    struct mv_node_info info;

    ck_assert_int_eq(mv_node_get_info(root, &info), 0);
    ck_assert_uint_eq(info.memory_kib, 4030464);
    ck_assert_int_eq(info.cpus, 3);
    ck_assert_int_eq(info.mhz, 2694);          /* the last CPU's 2694.860, truncated as libvirt does */
    /* 2 threads on core 0, 1 on core 1: asymmetric, so reported flat as libvirt does */
    ck_assert_int_eq(info.nodes, 1);
    ck_assert_int_eq(info.sockets, 1);
    ck_assert_int_eq(info.cores, 3);
    ck_assert_int_eq(info.threads, 1);
    ck_assert_int_eq(info.nodes * info.sockets * info.cores * info.threads, info.cpus);
    ck_assert_str_eq(info.model, "x86_64");
}
END_TEST

/* Rewrites FILE under ROOT with TEXT. */
static void put_fixture(const char *root, const char *file, const char *text)
{
    char path[512];
    FILE *f;

    snprintf(path, sizeof(path), "%s%s", root, file);
    f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

/* What NODE_GET_INFO keeps between calls, and what it reads every time. */
START_TEST(test_node_info_cache)
{
    _cleanup_free_ char *src = data_path("simple");
    char dir[256], root[300], cmd[700];
    struct mv_node_info info;

    mv_test_mkdtemp(dir, sizeof(dir), "check_qemud_host_cache");
    snprintf(root, sizeof(root), "%s/simple", dir);
    snprintf(cmd, sizeof(cmd), "cp -r '%s' '%s'", src, root);
    ck_assert_int_eq(system(cmd), 0);

    ck_assert_int_eq(mv_node_get_info(root, &info), 0);
    ck_assert_int_eq(info.cpus, 3);
    ck_assert_int_eq(info.mhz, 2694);

    /* no cpufreq, no aperfmperf: the clock is constant, read once */
    put_fixture(root, "/proc/cpuinfo", "processor\t: 0\ncpu MHz\t\t: 1000.000\n");
    /* the memory is read every call (hotplug, balloon) */
    put_fixture(root, "/proc/meminfo", "MemTotal:        2000000 kB\n");
    ck_assert_int_eq(mv_node_get_info(root, &info), 0);
    ck_assert_int_eq(info.mhz, 2694);
    ck_assert_uint_eq(info.memory_kib, 2000000);
    ck_assert_int_eq(info.cores, 3);

    /* a CPU goes offline: everything is read again */
    put_fixture(root, "/sys/devices/system/cpu/online", "0-1\n");
    ck_assert_int_eq(mv_node_get_info(root, &info), 0);
    ck_assert_int_eq(info.cpus, 2);
    ck_assert_int_eq(info.mhz, 1000);
    ck_assert_int_eq(info.threads, 2);         /* cpu0 and cpu1 share core 0 */
    ck_assert_int_eq(info.cores, 1);

    /* with cpufreq the clock moves: read every call */
    snprintf(cmd, sizeof(cmd), "mkdir '%s/sys/devices/system/cpu/cpu0/cpufreq'", root);
    ck_assert_int_eq(system(cmd), 0);
    put_fixture(root, "/sys/devices/system/cpu/online", "0-2\n");
    ck_assert_int_eq(mv_node_get_info(root, &info), 0);
    ck_assert_int_eq(info.mhz, 1000);
    put_fixture(root, "/proc/cpuinfo", "processor\t: 0\ncpu MHz\t\t: 3456.789\n");
    ck_assert_int_eq(mv_node_get_info(root, &info), 0);
    ck_assert_int_eq(info.mhz, 3456);

    /* and so with APERF/MPERF (x86 samples the running clock) */
    snprintf(cmd, sizeof(cmd), "rmdir '%s/sys/devices/system/cpu/cpu0/cpufreq'", root);
    ck_assert_int_eq(system(cmd), 0);
    put_fixture(root, "/proc/cpuinfo", "processor\t: 0\ncpu MHz\t\t: 1200.5\nflags\t\t: fpu tsc aperfmperf\n");
    put_fixture(root, "/sys/devices/system/cpu/online", "0-1\n");
    ck_assert_int_eq(mv_node_get_info(root, &info), 0);
    ck_assert_int_eq(info.mhz, 1200);
    put_fixture(root, "/proc/cpuinfo", "processor\t: 0\ncpu MHz\t\t: 2400.5\nflags\t\t: fpu tsc aperfmperf\n");
    ck_assert_int_eq(mv_node_get_info(root, &info), 0);
    ck_assert_int_eq(info.mhz, 2400);

    /* another sysroot in between is no stale answer for either */
    _cleanup_free_ char *numa = data_path("numa2");
    ck_assert_int_eq(mv_node_get_info(numa, &info), 0);
    ck_assert_int_eq(info.cpus, 8);
    ck_assert_int_eq(mv_node_get_info(root, &info), 0);
    ck_assert_int_eq(info.cpus, 2);
    mv_test_rmtree(dir);
}
END_TEST

START_TEST(test_node_info_invalid)
{
    static const char *const trees[] = { "invalid-online", "invalid-meminfo", "invalid-siblings", "absent" };
    struct mv_node_info info;

    memset(&info, 0x5a, sizeof(info));
    for (size_t i = 0; i < MV_ARRAY_SIZE(trees); i++) {
        _cleanup_free_ char *root = data_path(trees[i]);
        int r = mv_node_get_info(root, &info);

        ck_assert_msg(r < 0, "%s accepted", trees[i]);
    }
    ck_assert_int_eq(info.cpus, 0x5a5a5a5a);   /* untouched */
}
END_TEST

/* libvirt's virHostCPUParseFrequencyString, case by case */
START_TEST(test_cpuinfo_mhz)
{
    ck_assert_int_eq(mv_host_cpuinfo_mhz("cpu MHz\t\t: 2694.860\n", "x86_64"), 2694);
    ck_assert_int_eq(mv_host_cpuinfo_mhz("cpu MHz\t\t: 2694.999\n", "i686"), 2694);
    ck_assert_int_eq(mv_host_cpuinfo_mhz("cpu MHz : 2100\n", "x86_64"), 2100);
    ck_assert_int_eq(mv_host_cpuinfo_mhz("cpu MHz : 2100", "x86_64"), 2100);    /* no newline */
    /* every line overwrites: the last CPU wins */
    ck_assert_int_eq(mv_host_cpuinfo_mhz("cpu MHz\t: 3000.1\nx\ncpu MHz\t: 1200.9\n", "x86_64"), 1200);
    /* a bad value ends the scan with what was found before it */
    ck_assert_int_eq(mv_host_cpuinfo_mhz("cpu MHz : 1500\ncpu MHz : x\ncpu MHz : 900\n", "x86_64"), 1500);
    ck_assert_int_eq(mv_host_cpuinfo_mhz("cpu MHz : 15x0\n", "x86_64"), 0);
    ck_assert_int_eq(mv_host_cpuinfo_mhz("cpu MHz :\n", "x86_64"), 0);
    ck_assert_int_eq(mv_host_cpuinfo_mhz("cpu MHz : 99999999999\n", "x86_64"), 0);
    ck_assert_int_eq(mv_host_cpuinfo_mhz("model name : x\n", "x86_64"), 0);
    /* per architecture */
    ck_assert_int_eq(mv_host_cpuinfo_mhz("cpu MHz dynamic : 5200\ncpu MHz static : 5000\n", "x86_64"), 0);
    ck_assert_int_eq(mv_host_cpuinfo_mhz("cpu MHz dynamic : 5200\ncpu MHz static : 5000\n", "s390x"), 5200);
    ck_assert_int_eq(mv_host_cpuinfo_mhz("clock\t\t: 3425.000000MHz\n", "ppc64le"), 3425);
    ck_assert_int_eq(mv_host_cpuinfo_mhz("clock\t\t: 3425MHz\n", "ppc64le"), 0);   /* no fraction: "MHz" glued on */
    ck_assert_int_eq(mv_host_cpuinfo_mhz("clock\t\t: 3425.000000 MHz\n", "ppc64le"), 3425);
    ck_assert_int_eq(mv_host_cpuinfo_mhz("cpu MHz : 2000.0\n", "aarch64"), 0);
    ck_assert_int_eq(mv_host_cpuinfo_mhz("cpu MHz : 2000.0\n", "riscv64"), 0);
}
END_TEST

/* mv_node_get_info on the real host, with the clock /proc/cpuinfo shows just before and after. */
static void node_info_between(struct mv_node_info *info, const char *arch, int *before, int *after)
{
    _cleanup_free_ char *a = NULL;
    _cleanup_free_ char *b = NULL;

    ck_assert_int_eq(mv_file_read_all("/proc/cpuinfo", MV_SYSFS_FILE_MAX, &a, NULL), 0);
    ck_assert_int_eq(mv_node_get_info(NULL, info), 0);
    ck_assert_int_eq(mv_file_read_all("/proc/cpuinfo", MV_SYSFS_FILE_MAX, &b, NULL), 0);
    *before = mv_host_cpuinfo_mhz(a, arch);
    *after = mv_host_cpuinfo_mhz(b, arch);
}

/* The running host, checked against what the host says, the way libvirt reads it. */
START_TEST(test_node_info_real)
{
    struct mv_node_info info;
    struct utsname u;
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    int before = 0, after = 1;

    ck_assert_int_eq(uname(&u), 0);
    /* with cpufreq the clock moves: only a call between two equal readings says what it must be */
    for (int i = 0; i < 20 && before != after; i++)
        node_info_between(&info, u.machine, &before, &after);
    ck_assert_int_eq(info.cpus, (int)online);
    ck_assert_int_eq(info.nodes * info.sockets * info.cores * info.threads, info.cpus);
    ck_assert(info.memory_kib > 0);
    ck_assert_str_eq(info.model, u.machine);
    if (before == after)
        ck_assert_int_eq(info.mhz, before);
    else
        ck_assert_int_ge(info.mhz, 0);     /* never steady: nothing exact to compare with */
}
END_TEST

static unsigned long long field(const struct mv_node_stat_field *f, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return f[i].value;
    ck_abort_msg("no field %s", name);
    return 0;
}

START_TEST(test_memory_stats)
{
    _cleanup_free_ char *root = data_path("numa2");
    struct mv_node_stat_field f[16];
    int n = 0;

    ck_assert_int_eq(mv_node_get_memory_stats(root, -1, f, 16, &n), 0);
    ck_assert_int_eq(n, 4);
    ck_assert_str_eq(f[0].name, "total");
    ck_assert_str_eq(f[1].name, "free");
    ck_assert_str_eq(f[2].name, "buffers");
    ck_assert_str_eq(f[3].name, "cached");
    ck_assert_uint_eq(f[0].value, 16326524);
    ck_assert_uint_eq(f[1].value, 12004568);
    ck_assert_uint_eq(f[2].value, 20480);
    ck_assert_uint_eq(f[3].value, 1048576);

    ck_assert_int_eq(mv_node_get_memory_stats(root, 1, f, 16, &n), 0);
    ck_assert_int_eq(n, 2);
    ck_assert_uint_eq(field(f, n, "total"), 7114110);
    ck_assert_uint_eq(field(f, n, "free"), 5004568);
    ck_assert_int_eq(mv_node_get_memory_stats(root, 2, f, 16, &n), 0);
    ck_assert_uint_eq(field(f, n, "total"), 1048576);

    n = 99;
    ck_assert_int_eq(mv_node_get_memory_stats(root, 3, f, 16, &n), -EINVAL);
    ck_assert_int_eq(mv_node_get_memory_stats(root, -2, f, 16, &n), -EINVAL);
    ck_assert_int_eq(mv_node_get_memory_stats(root, -1, f, 3, &n), -ENOBUFS);
    ck_assert_int_eq(n, 99);
}
END_TEST

START_TEST(test_memory_stats_no_numa)
{
    _cleanup_free_ char *root = data_path("simple");
    struct mv_node_stat_field f[4];
    int n = 0;

    ck_assert_int_eq(mv_node_get_memory_stats(root, -1, f, 4, &n), 0);
    ck_assert_uint_eq(field(f, n, "cached"), 262144);
    /* no NUMA in sysfs: there is no cell to ask about, as in libvirt */
    ck_assert_int_eq(mv_node_get_memory_stats(root, 0, f, 4, &n), -EINVAL);
}
END_TEST

START_TEST(test_cpu_stats)
{
    _cleanup_free_ char *root = data_path("numa2");
    struct mv_node_stat_field f[16];
    unsigned long long ns = 1000000000ULL / (unsigned long long)sysconf(_SC_CLK_TCK);
    int n = 0;

    ck_assert_int_eq(mv_node_get_cpu_stats(root, -1, f, 16, &n), 0);
    ck_assert_int_eq(n, 4);
    ck_assert_str_eq(f[0].name, "kernel");
    ck_assert_str_eq(f[1].name, "user");
    ck_assert_str_eq(f[2].name, "idle");
    ck_assert_str_eq(f[3].name, "iowait");
    ck_assert_uint_eq(f[0].value, (2400 + 80 + 160) * ns);     /* system + irq + softirq */
    ck_assert_uint_eq(f[1].value, (8000 + 800) * ns);          /* user + nice */
    ck_assert_uint_eq(f[2].value, 720000 * ns);
    ck_assert_uint_eq(f[3].value, 1600 * ns);

    ck_assert_int_eq(mv_node_get_cpu_stats(root, 7, f, 16, &n), 0);
    ck_assert_uint_eq(field(f, n, "kernel"), 330 * ns);
    ck_assert_uint_eq(field(f, n, "idle"), 90000 * ns);

    n = 99;
    ck_assert_int_eq(mv_node_get_cpu_stats(root, 8, f, 16, &n), -EINVAL);     /* offline */
    ck_assert_int_eq(mv_node_get_cpu_stats(root, 100, f, 16, &n), -EINVAL);
    ck_assert_int_eq(mv_node_get_cpu_stats(root, -5, f, 16, &n), -EINVAL);
    ck_assert_int_eq(mv_node_get_cpu_stats(root, 0, f, 2, &n), -ENOBUFS);
    ck_assert_int_eq(n, 99);
}
END_TEST

START_TEST(test_cpu_stats_real)
{
    struct mv_node_stat_field f[4];
    int n = 0;

    ck_assert_int_eq(mv_node_get_cpu_stats(NULL, -1, f, 4, &n), 0);
    ck_assert(field(f, n, "idle") > 0);
    ck_assert_int_eq(mv_node_get_cpu_stats(NULL, 0, f, 4, &n), 0);
    ck_assert_int_eq(mv_node_get_memory_stats(NULL, -1, f, 4, &n), 0);
    ck_assert(field(f, n, "total") >= field(f, n, "free"));
}
END_TEST

START_TEST(test_free_memory)
{
    _cleanup_free_ char *root = data_path("numa2");
    _cleanup_free_ char *flat = data_path("simple");
    uint64_t c[4] = { 7, 7, 7, 7 };
    uint64_t b = 7;
    int hi = -1;

    ck_assert_int_eq(mv_node_get_free_memory(root, &b), 0);
    ck_assert_uint_eq(b, 12004568ULL * 1024);
    ck_assert_int_eq(mv_node_get_free_memory(NULL, &b), 0);
    ck_assert(b > 0);

    /* numa2 has cells 0-2: a range is cut at the highest one */
    ck_assert_int_eq(mv_node_get_cells_free_memory(root, 1, 1, c, &hi), 1);
    ck_assert_uint_eq(c[0], 5004568ULL * 1024);
    ck_assert_int_eq(mv_node_get_cells_free_memory(root, 0, 4, c, &hi), 3);
    ck_assert_uint_eq(c[0], 6000000ULL * 1024);
    ck_assert_uint_eq(c[2], 1000000ULL * 1024);
    ck_assert_uint_eq(c[3], 7);
    ck_assert_int_eq(mv_node_get_cells_free_memory(root, 2, INT_MAX, c, &hi), 1);
    /* past the end, wherever the range would end (INT_MAX + 1 must not be computed) */
    ck_assert_int_eq(mv_node_get_cells_free_memory(root, 3, 1, c, &hi), -ERANGE);
    ck_assert_int_eq(hi, 2);
    ck_assert_int_eq(mv_node_get_cells_free_memory(root, INT_MAX, 2, c, &hi), -ERANGE);
    ck_assert_int_eq(mv_node_get_cells_free_memory(root, INT_MAX, INT_MAX, c, &hi), -ERANGE);
    ck_assert_int_eq(mv_node_get_cells_free_memory(root, -1, 1, c, &hi), -EINVAL);
    ck_assert_int_eq(mv_node_get_cells_free_memory(root, INT_MIN, INT_MIN, c, &hi), -EINVAL);
    ck_assert_int_eq(mv_node_get_cells_free_memory(root, 0, 0, c, &hi), -EINVAL);

    /* no NUMA in sysfs: one cell 0 with all the memory, as libvirt fakes it */
    hi = -1;
    ck_assert_int_eq(mv_node_get_cells_free_memory(flat, 0, 3, c, &hi), 1);
    ck_assert_uint_eq(c[0], 3021312ULL * 1024);
    ck_assert_int_eq(mv_node_get_cells_free_memory(flat, 1, 1, c, &hi), -ERANGE);
    ck_assert_int_eq(hi, 0);
}
END_TEST

START_TEST(test_topology)
{
    _cleanup_free_ char *root = data_path("numa2");
    _cleanup_(mv_host_topology_clear) struct mv_host_topology t = { 0 };
    const struct mv_host_cell *c;

    ck_assert_int_eq(mv_host_topology_read(root, &t), 0);
    ck_assert_int_eq(t.ncells, 3);
    c = &t.cells[1];
    ck_assert_int_eq(c->id, 1);
    ck_assert_uint_eq(c->memory_kib, 7114110);
    ck_assert_int_eq(c->ncpus, 5);
    ck_assert_int_eq(c->cpus[0].id, 4);
    ck_assert(c->cpus[0].online);
    ck_assert_int_eq(c->cpus[0].socket_id, 1);
    ck_assert_int_eq(c->cpus[1].core_id, 1);
    ck_assert_str_eq(c->cpus[2].siblings, "4,6");
    ck_assert_int_eq(c->cpus[4].id, 8);
    ck_assert(!c->cpus[4].online);
    ck_assert_ptr_null(c->cpus[4].siblings);
    ck_assert_int_eq(c->ndistances, 3);
    ck_assert_int_eq(c->distances[0].node, 0);
    ck_assert_int_eq(c->distances[0].value, 21);
    ck_assert_int_eq(c->distances[1].value, 10);
    ck_assert_int_eq(t.cells[2].ncpus, 0);
    mv_host_topology_clear(&t);
    ck_assert_int_eq(t.ncells, 0);
}
END_TEST

/* ---- QEMU ---- */

START_TEST(test_qemu_version)
{
    _cleanup_free_ char *text = data_text("qemu-7.2-version.txt");
    unsigned long v = 1;

    ck_assert_int_eq(mv_qemu_parse_version(text, &v), 0);
    ck_assert_uint_eq(v, 7002022);
    ck_assert_int_eq(mv_qemu_parse_version("QEMU emulator version 8.0.0\n", &v), 0);
    ck_assert_uint_eq(v, 8000000);
    ck_assert_int_eq(mv_qemu_parse_version("QEMU emulator version 2.12\n", &v), 0);
    ck_assert_uint_eq(v, 2012000);
    ck_assert_int_eq(mv_qemu_parse_version("QEMU PC emulator version 0.12.1 (qemu-kvm)", &v), 0);
    ck_assert_uint_eq(v, 12001);
}
END_TEST

START_TEST(test_qemu_version_invalid)
{
    static const char *const bad[] = {
        "", "echo (GNU coreutils) 9.1\n", "QEMU emulator version\n", "QEMU emulator version x.y\n",
        "QEMU emulator version 7\n", "QEMU emulator version 7.1000.0\n",
        "QEMU emulator\nversion 7.2.0\n", "qemu emulator version 7.2.0",
    };
    unsigned long v = 42;

    for (size_t i = 0; i < MV_ARRAY_SIZE(bad); i++)
        ck_assert_msg(mv_qemu_parse_version(bad[i], &v) == -EINVAL, "'%s' accepted", bad[i]);
    ck_assert_uint_eq(v, 42);
}
END_TEST

START_TEST(test_qemu_machines)
{
    _cleanup_(mv_qemu_caps_clear) struct mv_qemu_caps caps = { 0 };
    int i;

    fixed_qemu_caps(&caps);
    /* 61 lines: the 2 aliases and "none" are not entries of their own */
    ck_assert_uint_eq(caps.nmachines, 58);
    ck_assert_ptr_null(caps.machines[caps.nmachines]);
    ck_assert_str_eq(caps.default_machine, "pc-i440fx-7.2");
    ck_assert_str_eq(caps.machines[0], "pc-i440fx-7.2");       /* default first */
    ck_assert_str_eq(caps.machine_aliases[0], "pc");
    ck_assert_str_eq(caps.machines[1], "microvm");             /* then QEMU's order */
    ck_assert_int_eq(mv_qemu_caps_find_machine(&caps, "none"), -1);
    ck_assert_int_eq(mv_qemu_caps_find_machine(&caps, "pc"), 0);

    i = mv_qemu_caps_find_machine(&caps, "q35");
    ck_assert_int_ge(i, 0);
    ck_assert_str_eq(caps.machines[i], "pc-q35-7.2");
    ck_assert_str_eq(caps.machine_aliases[i], "q35");
    ck_assert_int_eq(mv_qemu_caps_machine_max_cpus(&caps, (size_t)i), 288);
    ck_assert(!caps.machine_deprecated[i]);

    i = mv_qemu_caps_find_machine(&caps, "pc-q35-2.4");
    ck_assert_int_eq(mv_qemu_caps_machine_max_cpus(&caps, (size_t)i), 255);
    i = mv_qemu_caps_find_machine(&caps, "isapc");
    ck_assert_int_eq(mv_qemu_caps_machine_max_cpus(&caps, (size_t)i), 1);
    ck_assert_ptr_null(caps.machine_aliases[i]);
    i = mv_qemu_caps_find_machine(&caps, "pc-i440fx-1.4");
    ck_assert(caps.machine_deprecated[i]);
    ck_assert_int_ge(mv_qemu_caps_find_machine(&caps, "x-remote"), 0);
}
END_TEST

START_TEST(test_qemu_machines_without_qmp)
{
    _cleanup_(mv_qemu_caps_clear) struct mv_qemu_caps caps = { 0 };
    _cleanup_free_ char *text = data_text("qemu-7.2-machine-help.txt");
    int i;

    ck_assert_int_eq(mv_qemu_parse_machines(text, &caps), 0);
    caps.max_cpus_default = MV_QEMU_MAX_CPUS_DEFAULT;
    i = mv_qemu_caps_find_machine(&caps, "q35");
    ck_assert_int_eq(caps.machine_max_cpus[i], 0);
    ck_assert_int_eq(mv_qemu_caps_machine_max_cpus(&caps, (size_t)i), 255);
    /* parsing again replaces, not leaks */
    ck_assert_int_eq(mv_qemu_parse_machines("Supported machines are:\n"
                                            "foo                  Foo (default)\n", &caps), 0);
    ck_assert_uint_eq(caps.nmachines, 1);
    ck_assert_str_eq(caps.default_machine, "foo");
}
END_TEST

START_TEST(test_qemu_machines_invalid)
{
    static const char *const bad[] = {
        "",
        "machines:\npc   Standard PC\n",
        "Supported machines are:\n",
        "Supported machines are:\nnone                 empty machine\n",
        "Supported machines are:\npc<x>  Standard PC\n",
        "Supported machines are:\na   A (default)\nb   B (default)\n",
        "Supported machines are:\na   A\na   A again\n",
        "Supported machines are:\npc  Standard PC (alias of bad name)\n",
    };
    struct mv_qemu_caps caps = { 0 };
    _cleanup_free_ char *many = NULL;
    size_t len = 0;
    FILE *f;

    for (size_t i = 0; i < MV_ARRAY_SIZE(bad); i++) {
        ck_assert_msg(mv_qemu_parse_machines(bad[i], &caps) < 0, "'%s' accepted", bad[i]);
        ck_assert_ptr_null(caps.machines);
    }
    f = open_memstream(&many, &len);
    ck_assert_ptr_nonnull(f);
    fputs("Supported machines are:\n", f);
    for (int i = 0; i <= MV_QEMU_MACHINES_MAX; i++)
        fprintf(f, "m%d    Machine %d\n", i, i);
    fclose(f);
    ck_assert_int_eq(mv_qemu_parse_machines(many, &caps), -E2BIG);
    ck_assert_ptr_null(caps.machines);
}
END_TEST

START_TEST(test_qemu_qmp_invalid)
{
    _cleanup_(mv_qemu_caps_clear) struct mv_qemu_caps caps = { 0 };
    _cleanup_free_ char *text = data_text("qemu-7.2-machine-help.txt");
    int i;

    ck_assert_int_eq(mv_qemu_parse_machines(text, &caps), 0);
    ck_assert_int_eq(mv_qemu_parse_qmp_machines("", &caps), -EINVAL);
    ck_assert_int_eq(mv_qemu_parse_qmp_machines("{\"return\": {}}\n", &caps), -EINVAL);
    ck_assert_int_eq(mv_qemu_parse_qmp_machines("not json\n", &caps), -EINVAL);
    ck_assert_int_eq(mv_qemu_parse_qmp_machines(
                         "{\"return\": [{\"name\": \"pc-q35-7.2\", \"cpu-max\": -4}]}\n", &caps),
                     -EINVAL);
    ck_assert_int_eq(mv_qemu_parse_qmp_machines(
                         "{\"return\": [{\"name\": \"pc-q35-7.2\", \"cpu-max\": 99},"
                         " {\"name\": 3}]}\n", &caps), -EINVAL);
    i = mv_qemu_caps_find_machine(&caps, "q35");
    ck_assert_int_eq(caps.machine_max_cpus[i], 0);     /* untouched by the failures */
    ck_assert_int_eq(mv_qemu_parse_qmp_machines(
                         "{\"QMP\": {}}\r\n{\"return\": [{\"name\": \"pc-q35-7.2\", \"cpu-max\": 99},"
                         " {\"name\": \"unknown\", \"cpu-max\": 5}]}\r\n", &caps), 0);
    ck_assert_int_eq(caps.machine_max_cpus[i], 99);
}
END_TEST

/* finalread11 #7: the TCG CPU features come from the probe's one QMP
 * session, and are the ones a QEMU started for them alone reports. */
static void assert_tcg_features_as_alone(const struct mv_qemu_caps *caps)
{
    _cleanup_free_ char *err = NULL;
    char **alone = NULL;
    size_t n = 0;

    ck_assert_ptr_nonnull(caps->tcg_cpu_features);
    ck_assert_msg(mv_qemu_probe_max_cpu_features(REAL_QEMU, "tcg", &alone, &err) == 0, "%s", err);
    for (; alone[n]; n++) {
        ck_assert_ptr_nonnull(caps->tcg_cpu_features[n]);
        ck_assert_str_eq(caps->tcg_cpu_features[n], alone[n]);
    }
    ck_assert_ptr_null(caps->tcg_cpu_features[n]);
    ck_assert_uint_gt(n, 0);
    mv_strv_free(alone);
}

START_TEST(test_qemu_probe_real)
{
    _cleanup_(mv_qemu_caps_clear) struct mv_qemu_caps caps = { 0 };
    _cleanup_free_ char *err = NULL;
    struct timespec t0, t1;
    int i;

    if (access(REAL_QEMU, X_OK) < 0) {
        fprintf(stderr, "# %s not installed: real probe not run\n", REAL_QEMU);
        return;
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_msg(mv_qemu_probe(REAL_QEMU, &caps, &err) == 0, "probe failed: %s", err);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_ptr_null(err);
    ck_assert_str_eq(caps.binary, REAL_QEMU);
    ck_assert_uint_ge(caps.version, 7000000);
    ck_assert_uint_gt(caps.nmachines, 0);
    ck_assert_ptr_nonnull(caps.default_machine);
    ck_assert_str_eq(caps.machines[0], caps.default_machine);
    i = mv_qemu_caps_find_machine(&caps, "q35");
    ck_assert_int_ge(i, 0);
    ck_assert_int_gt(caps.machine_max_cpus[i], 0);     /* the QMP step worked */
    assert_tcg_features_as_alone(&caps);
    fprintf(stderr, "# real QEMU: version %lu, %zu machines, default %s, q35 maxCpus %d, %ld ms\n",
            caps.version, caps.nmachines, caps.default_machine, caps.machine_max_cpus[i],
            (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
}
END_TEST

START_TEST(test_qemu_probe_errors)
{
    struct mv_qemu_caps caps = { 0 };
    char *err = NULL;

    ck_assert_int_eq(mv_qemu_probe("/nonexistent/qemu-system-x86_64", &caps, &err), -ENOENT);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err, "'/nonexistent/qemu-system-x86_64'"));
    free(TAKE_PTR(err));

    ck_assert_int_eq(mv_qemu_probe("qemu-system-x86_64", &caps, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "absolute"));
    free(TAKE_PTR(err));

    /* runs, exits 1 */
    ck_assert_int_eq(mv_qemu_probe("/bin/false", &caps, &err), -EIO);
    ck_assert_ptr_nonnull(strstr(err, "'/bin/false'"));
    ck_assert_ptr_nonnull(strstr(err, "exit status 1"));
    free(TAKE_PTR(err));

    /* runs, exits 0, prints something that is not QEMU's version */
    ck_assert_int_eq(mv_qemu_probe("/bin/echo", &caps, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err, "'/bin/echo'"));
    free(TAKE_PTR(err));

    ck_assert_ptr_null(caps.binary);
    ck_assert_ptr_null(caps.machines);
}
END_TEST

/* a binary that never finishes is killed after MV_QEMU_PROBE_TIMEOUT_MS, not waited for */
START_TEST(test_qemu_probe_timeout)
{
    static const char script[] = "#!/bin/sh\nexec sleep 60\n";
    char path[] = "/tmp/mv-fake-qemu-XXXXXX";
    struct mv_qemu_caps caps = { 0 };
    _cleanup_free_ char *err = NULL;
    struct timespec t0, t1;
    long ms;
    int fd = mkstemp(path);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, script, sizeof(script) - 1), (ssize_t)sizeof(script) - 1);
    ck_assert_int_eq(fchmod(fd, 0700), 0);
    close(fd);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(mv_qemu_probe(path, &caps, &err), -ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    unlink(path);
    ms = (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
    ck_assert_msg(ms >= MV_QEMU_PROBE_TIMEOUT_MS - 100 && ms < MV_QEMU_PROBE_TIMEOUT_MS + 2000,
                  "took %ld ms", ms);
    ck_assert_ptr_nonnull(strstr(err, path));
    ck_assert_ptr_nonnull(strstr(err, "killed"));
}
END_TEST

/* ---- KVM ---- */

START_TEST(test_kvm_missing)
{
    char *reason = NULL;

    ck_assert_int_eq(mv_kvm_probe("/nonexistent/kvm", &reason), 0);
    ck_assert_str_eq(reason, "no /nonexistent/kvm");
    free(TAKE_PTR(reason));
    ck_assert_int_eq(mv_kvm_max_vcpus("/nonexistent/kvm"), -ENOENT);

    /* a character device that is not KVM */
    ck_assert_int_eq(mv_kvm_probe("/dev/null", &reason), 0);
    ck_assert_ptr_nonnull(strstr(reason, "KVM_GET_API_VERSION failed"));
    free(TAKE_PTR(reason));
    ck_assert_int_eq(mv_kvm_probe("/etc/hostname", &reason), 0);
    ck_assert_ptr_nonnull(strstr(reason, "not a character device"));
    free(TAKE_PTR(reason));
}
END_TEST

/* Writes TEXT to PATH (test helper). */
static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    ck_assert_int_eq(fclose(f), 0);
}

static char *get_file(const char *path)
{
    char *text = NULL;

    ck_assert_int_eq(mv_file_read_all(path, 1 << 16, &text, NULL), 0);
    return text;
}

/* A regular file as the device is a quick, certain "not usable": what matters is who answers, the probe or the file. */
START_TEST(test_kvm_cache)
{
    char dir[256], qemu[300], cache[300], nodir[300], dev[300], msg[400];
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *forged = NULL;
    char *reason = NULL;
    bool cached = true;
    char *nl;

    mv_test_mkdtemp(dir, sizeof(dir), "check_qemud_host_kvm");
    snprintf(qemu, sizeof(qemu), "%s/qemu-system-x86_64", dir);
    snprintf(cache, sizeof(cache), "%s/kvm-probe.cache", dir);
    snprintf(nodir, sizeof(nodir), "%s/no/such/dir/kvm-probe.cache", dir);
    snprintf(dev, sizeof(dev), "%s/kvm", dir);
    snprintf(msg, sizeof(msg), "%s is not a character device", dev);
    put_file(qemu, "not really QEMU");
    put_file(dev, "");

    /* first start: probed, and the verdict written with its key */
    ck_assert_int_eq(mv_kvm_probe_cached(dev, qemu, cache, &reason, &cached), 0);
    ck_assert(!cached);
    ck_assert_str_eq(reason, msg);
    free(TAKE_PTR(reason));
    text = get_file(cache);
    ck_assert_ptr_nonnull(strstr(text, "kernel="));
    ck_assert_ptr_nonnull(strstr(text, "\nunusable: "));
    ck_assert_ptr_nonnull(strstr(text, msg));

    /* next start: the file answers, with the reason */
    ck_assert_int_eq(mv_kvm_probe_cached(dev, qemu, cache, &reason, &cached), 0);
    ck_assert(cached);
    ck_assert_str_eq(reason, msg);
    free(TAKE_PTR(reason));

    /* proof that it is the file: a forged "usable" for the same facts is believed */
    nl = strchr(text, '\n');
    ck_assert_ptr_nonnull(nl);
    ck_assert_int_ge(asprintf(&forged, "%.*s\nusable\n", (int)(nl - text), text), 0);
    put_file(cache, forged);
    ck_assert_int_eq(mv_kvm_probe_cached(dev, qemu, cache, &reason, &cached), 1);
    ck_assert(cached);
    ck_assert_ptr_null(reason);

    /* a new QEMU (size and mtime change): probed again, the file replaced */
    put_file(qemu, "QEMU, upgraded");
    ck_assert_int_eq(mv_kvm_probe_cached(dev, qemu, cache, &reason, &cached), 0);
    ck_assert(!cached);
    free(TAKE_PTR(reason));
    free(text);
    text = get_file(cache);
    ck_assert_ptr_nonnull(strstr(text, "\nunusable: "));

    /* corrupt or truncated files are ignored, never believed */
    {
        static const char *const bad[] = { "", "garbage", "\n", "usable\n" };

        for (size_t i = 0; i < MV_ARRAY_SIZE(bad); i++) {
            put_file(cache, bad[i]);
            ck_assert_int_eq(mv_kvm_probe_cached(dev, qemu, cache, &reason, &cached), 0);
            ck_assert_msg(!cached, "cache '%s' believed", bad[i]);
            free(TAKE_PTR(reason));
        }
    }
    nl = strchr(text, '\n');
    put_file(cache, "x");
    {
        /* the right key with a damaged verdict line */
        _cleanup_free_ char *half = NULL;
        _cleanup_free_ char *empty_reason = NULL;

        ck_assert_int_ge(asprintf(&half, "%.*s\nusab", (int)(nl - text), text), 0);
        put_file(cache, half);
        ck_assert_int_eq(mv_kvm_probe_cached(dev, qemu, cache, &reason, &cached), 0);
        ck_assert(!cached);
        free(TAKE_PTR(reason));
        ck_assert_int_ge(asprintf(&empty_reason, "%.*s\nunusable: \n", (int)(nl - text), text), 0);
        put_file(cache, empty_reason);
        ck_assert_int_eq(mv_kvm_probe_cached(dev, qemu, cache, &reason, &cached), 0);
        ck_assert(!cached);
        free(TAKE_PTR(reason));
    }

    /* another device is another verdict */
    ck_assert_int_eq(mv_kvm_probe_cached("/nonexistent/kvm", qemu, cache, &reason, &cached), 0);
    ck_assert(!cached);
    ck_assert_str_eq(reason, "no /nonexistent/kvm");
    free(TAKE_PTR(reason));

    /* no cache (path NULL, or not writable): the plain probe */
    ck_assert_int_eq(mv_kvm_probe_cached(dev, qemu, NULL, &reason, &cached), 0);
    ck_assert(!cached);
    free(TAKE_PTR(reason));
    ck_assert_int_eq(mv_kvm_probe_cached(dev, qemu, nodir, &reason, &cached), 0);
    ck_assert(!cached);
    free(TAKE_PTR(reason));
    ck_assert_int_eq(mv_kvm_probe_cached(dev, qemu, nodir, &reason, &cached), 0);
    ck_assert(!cached);
    free(TAKE_PTR(reason));
    mv_test_rmtree(dir);
}
END_TEST

START_TEST(test_kvm_real)
{
    _cleanup_free_ char *reason = NULL;
    struct timespec t0, t1;
    long ms;
    int r;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    r = mv_kvm_probe(NULL, &reason);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ms = (long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000);
    ck_assert_msg(r == 0 || r == 1, "probe error %d", r);
    /* bounded, not fast: the probe's own deadline plus its reap grace, with room for a loaded host */
    ck_assert_msg(ms < MV_KVM_PROBE_TIMEOUT_MS + 10000, "probe took %ld ms", ms);
    ck_assert(r == 1 ? reason == NULL : reason != NULL);
    fprintf(stderr, "# KVM probe on this host: %s%s%s (%ld ms); max vCPUs %d\n",
            r ? "usable" : "not usable", reason ? ": " : "", reason ? reason : "", ms,
            mv_kvm_max_vcpus(NULL));
}
END_TEST

/* ---- capabilities and sysinfo XML ---- */

static char *format_caps(const char *tree, bool kvm, const char *uuid, bool with_qemu)
{
    _cleanup_free_ char *root = data_path(tree);
    _cleanup_(mv_qemu_caps_clear) struct mv_qemu_caps qemu = { 0 };
    struct mv_node_info node;
    struct mv_host_caps_input in = { .node = &node, .kvm_usable = kvm, .host_uuid = uuid,
                                     .sysroot = root };
    char *xml = NULL;

    fixed_qemu_caps(&qemu);
    in.qemu = with_qemu ? &qemu : NULL;
    ck_assert_int_eq(mv_node_get_info(root, &node), 0);
    ck_assert_int_eq(mv_host_capabilities_format(&in, &xml), 0);
    return xml;
}

START_TEST(test_caps_golden_numa)
{
    _cleanup_free_ char *xml = format_caps("numa2", true, "4c4c4544-0051-3010-8057-b7c04f4e3732", true);

    golden("numa2-capabilities.xml", xml);
}
END_TEST

START_TEST(test_caps_golden_flat)
{
    _cleanup_free_ char *xml = format_caps("simple", false, NULL, true);

    golden("simple-capabilities.xml", xml);
    ck_assert_ptr_null(strstr(xml, "type=\"kvm\""));
    ck_assert_ptr_null(strstr(xml, "<uuid>"));
}
END_TEST

START_TEST(test_caps_no_qemu)
{
    _cleanup_free_ char *xml = format_caps("simple", true, NULL, false);

    ck_assert_ptr_null(strstr(xml, "<guest>"));
    ck_assert_ptr_nonnull(strstr(xml, "</host>"));
}
END_TEST

START_TEST(test_caps_invalid)
{
    _cleanup_free_ char *root = data_path("numa2");
    _cleanup_free_ char *bad_root = data_path("invalid-siblings");
    _cleanup_(mv_qemu_caps_clear) struct mv_qemu_caps qemu = { 0 };
    struct mv_node_info node;
    struct mv_host_caps_input in = { .node = &node, .sysroot = root };
    char *xml = NULL;

    fixed_qemu_caps(&qemu);
    ck_assert_int_eq(mv_node_get_info(root, &node), 0);
    in.qemu = &qemu;
    in.host_uuid = "not-a-uuid";
    ck_assert_int_eq(mv_host_capabilities_format(&in, &xml), -EINVAL);
    in.host_uuid = "4c4c4544-0051-3010-8057-b7c04f4e373";
    ck_assert_int_eq(mv_host_capabilities_format(&in, &xml), -EINVAL);
    in.host_uuid = "4c4c454400513010-8057-b7c04f4e37322";
    ck_assert_int_eq(mv_host_capabilities_format(&in, &xml), -EINVAL);
    in.host_uuid = NULL;
    free(qemu.binary);
    qemu.binary = strdup("qemu-system-x86_64");
    ck_assert_int_eq(mv_host_capabilities_format(&in, &xml), -EINVAL);
    in.qemu = NULL;
    in.sysroot = bad_root;
    ck_assert_int_lt(mv_host_capabilities_format(&in, &xml), 0);
    in.node = NULL;
    ck_assert_int_eq(mv_host_capabilities_format(&in, &xml), -EINVAL);
    ck_assert_ptr_null(xml);
}
END_TEST

START_TEST(test_sysinfo_golden)
{
    _cleanup_free_ char *root = data_path("numa2");
    _cleanup_free_ char *xml = NULL;
    char *err = NULL;

    ck_assert_int_eq(mv_host_sysinfo_format(root, &xml, &err), 0);
    ck_assert_ptr_null(err);
    golden("numa2-sysinfo.xml", xml);
}
END_TEST

START_TEST(test_sysinfo_absent)
{
    _cleanup_free_ char *root = data_path("simple");
    _cleanup_free_ char *err = NULL;
    char *xml = NULL;

    ck_assert_int_eq(mv_host_sysinfo_format(root, &xml, &err), -ENOENT);
    ck_assert_str_eq(err, "Host SMBIOS information is not available");
    ck_assert_ptr_null(xml);
}
END_TEST

START_TEST(test_sysinfo_real)
{
    _cleanup_free_ char *xml = NULL;
    _cleanup_free_ char *err = NULL;
    int r = mv_host_sysinfo_format(NULL, &xml, &err);

    if (access("/sys/class/dmi/id", F_OK) == 0) {
        ck_assert_int_eq(r, 0);
        ck_assert_ptr_nonnull(strstr(xml, "<sysinfo type=\"smbios\""));
    } else {
        ck_assert_int_eq(r, -ENOENT);
        ck_assert_str_eq(err, "Host SMBIOS information is not available");
    }
}
END_TEST

static Suite *host_suite(void)
{
    Suite *s = suite_create("qemud_host");
    TCase *tc;

    tc = tcase_create("sysfs");
    tcase_add_test(tc, test_cpuinfo_value);
    tcase_add_test(tc, test_xml_clean_text);
    suite_add_tcase(s, tc);

    tc = tcase_create("node");
    tcase_add_test(tc, test_node_info_numa);
    tcase_add_test(tc, test_node_info_flat);
    tcase_add_test(tc, test_node_info_invalid);
    tcase_add_test(tc, test_cpuinfo_mhz);
    tcase_add_test(tc, test_node_info_cache);
    tcase_add_test(tc, test_node_info_real);
    tcase_add_test(tc, test_memory_stats);
    tcase_add_test(tc, test_memory_stats_no_numa);
    tcase_add_test(tc, test_cpu_stats);
    tcase_add_test(tc, test_cpu_stats_real);
    tcase_add_test(tc, test_free_memory);
    tcase_add_test(tc, test_topology);
    suite_add_tcase(s, tc);

    tc = tcase_create("qemu");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_qemu_version);
    tcase_add_test(tc, test_qemu_version_invalid);
    tcase_add_test(tc, test_qemu_machines);
    tcase_add_test(tc, test_qemu_machines_without_qmp);
    tcase_add_test(tc, test_qemu_machines_invalid);
    tcase_add_test(tc, test_qemu_qmp_invalid);
    tcase_add_test(tc, test_qemu_probe_real);
    tcase_add_test(tc, test_qemu_probe_errors);
    tcase_add_test(tc, test_qemu_probe_timeout);
    suite_add_tcase(s, tc);

    tc = tcase_create("kvm");
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, test_kvm_missing);
    tcase_add_test(tc, test_kvm_cache);
    tcase_add_test(tc, test_kvm_real);
    suite_add_tcase(s, tc);

    tc = tcase_create("xml");
    tcase_add_test(tc, test_caps_golden_numa);
    tcase_add_test(tc, test_caps_golden_flat);
    tcase_add_test(tc, test_caps_no_qemu);
    tcase_add_test(tc, test_caps_invalid);
    tcase_add_test(tc, test_sysinfo_golden);
    tcase_add_test(tc, test_sysinfo_absent);
    tcase_add_test(tc, test_sysinfo_real);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(host_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
