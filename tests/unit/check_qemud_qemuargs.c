/*
 * The QEMU command line of a domain definition.  Golden files:
 * tests/qemuargs/NAME.xml -> NAME.args (one argument per line) and
 * NAME-invalid.xml -> NAME-invalid.err (the exact message); MV_REGENERATE=1
 * rewrites them.  The context is fixed: the emulator below, the monitor at
 * /run/modvirt/qemu/NAME.monitor, no KVM, tap fds 100+i, host CPUs 0-3
 * online, no LSM.
 *
 * Golden files cannot tell whether QEMU accepts what they hold, so every
 * valid case is also started with -S under the real qemu-system-x86_64,
 * with its files moved to a temp dir (with a comma in its name) and user
 * networking for taps: QEMU must reach its QMP greeting, which it sends
 * only after creating every device, stay up, and print nothing on stderr.
 * Each QEMU runs in a network namespace of its own (root only), so the
 * golden VNC and SPICE ports are free whatever the host or a parallel test
 * listens on; without one, the cases that listen on TCP are skipped.
 * An emulated TPM is the real swtpm, set up and started as the daemon does
 * it (qemud/tpm.c), listening where the command line says; without swtpm,
 * or for a passthrough TPM without a host TPM device, the case is skipped.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "error_codes.h"
#include "file.h"
#include "golden.h"
#include "testutil.h"
#include "domain_address.h"
#include "domain_def.h"
#include "firmware.h"
#include "host_sysinfo.h"
#include "qemu_command.h"
#include "qemu_probe.h"
#include "virtiofs.h"
#include "sidecar.h"
#include "tpm.h"

#define REAL_QEMU "/usr/bin/qemu-system-x86_64"
#define GOLDEN_MAX (1024 * 1024)
#define NET_FD_BASE 100
#define NETS_MAX 16
#define TPM_SOCKET "/run/modvirt/qemu/tpm.swtpm.sock"
/* the passphrase files an encrypted disk's secret object reads, by disk index */
static const char *const disk_secret_files[] = {
    "/run/modvirt/qemu/disk0.secret", "/run/modvirt/qemu/disk1.secret", "/run/modvirt/qemu/disk2.secret",
    "/run/modvirt/qemu/disk3.secret",
};
/* the sockets of the virtiofsd qemud would run, by filesystem index */
static const char *const fs_sockets[] = {
    "/run/modvirt/qemu/fs0.sock", "/run/modvirt/qemu/fs1.sock", "/run/modvirt/qemu/fs2.sock",
    "/run/modvirt/qemu/fs3.sock",
};
/* how long QEMU may take to start, and must then stay up, with -S */
#define QMP_WAIT_MS 10000
#define ALIVE_MS 300

#define FIXTURES "qemuargs"

/* The fixed host: one NUMA node with memory, no huge pages (the real
 * QEMU runs these on this host too: Linux always has node 0). */
static const unsigned int host_nodes[] = { 0 };

/* What QEMU 7.2.22's TCG can emulate: the properties its "max" model
 * turns on (query-cpu-model-expansion, type full, under -accel tcg), which
 * the daemon probes at start (qemu_probe.c); <feature policy='optional'>
 * is resolved against it.  The real QEMU agrees: enforce=on is checked. */
static const char *const tcg_cpu_features[] = {
    "3dnow", "3dnowext", "abm", "acpi", "adx", "aes", "apic", "arat", "avx", "avx2", "bmi1", "bmi2", "check",
    "clflush", "clflushopt", "clwb", "cmov", "cpuid-0xb", "cr8legacy", "cx16", "cx8", "de", "erms", "f16c",
    "fill-mtrr-mask", "fma", "fpu", "fsgsbase", "full-cpuid-auto-level", "fxsr", "hypervisor", "i64", "kvm",
    "l3-cache", "la57", "lahf-lm", "lahf_lm", "legacy-cache", "lm", "mca", "mce", "migratable", "mmx",
    "mmxext", "monitor", "movbe", "mpx", "msr", "mtrr", "npt", "nx", "pae", "pat", "pclmuldq", "pclmulqdq",
    "pcommit", "pdpe1gb", "pge", "pks", "pku", "pmu", "pni", "popcnt", "pse", "pse36", "rdrand", "rdtscp",
    "sep", "smap", "smep", "ss", "sse", "sse2", "sse3", "sse4-1", "sse4-2", "sse4.1", "sse4.2", "sse4_1",
    "sse4_2", "sse4a", "ssse3", "svm", "svme-addr-chk", "syscall", "tcg-cpuid", "tsc", "umip", "vaes",
    "vgif", "vmware-cpuid-freq", "x-intel-pt-auto-level", "x-migrate-smi-count", "x-vendor-cpuid-only", "xd",
    "xgetbv1", "xsave", "xsaveopt", NULL,
};

static char **cases;          /* NAME of each tests/qemuargs/NAME.xml, sorted */
static size_t ncases;

static struct mv_dom_def *parse_file(const char *name)
{
    _cleanup_free_ char *xml = mv_test_golden_read(FIXTURES, name, ".xml");
    _cleanup_free_ char *err = NULL;
    struct mv_dom_def *def = NULL;
    int code = 0;

    ck_assert_msg(mv_dom_def_parse(xml, 0, &def, &code, &err) == 0, "%s does not parse: %s", name,
                  err ? err : "?");
    return def;
}

/* Whether a display of DEF other than autoport ones listens on PORT. */
static bool port_written(const struct mv_dom_def *def, int port)
{
    for (size_t i = 0; i < def->devices.ngraphics; i++)
        if (!def->devices.graphics[i].autoport && def->devices.graphics[i].port == port)
            return true;
    return false;
}

/* What the daemon fills in before the command line (display_ports.c): a
 * port for each VNC or SPICE autoport display, the lowest from 5900 that
 * no other display of the guest has (the goldens are fixed, QEMU runs in a
 * network namespace of its own) and, under DIR, a path for a SPICE socket
 * listen given none. */
static void choose_displays(struct mv_dom_def *def, const char *dir)
{
    int next = 5900;

    for (size_t i = 0; i < def->devices.ngraphics; i++) {
        struct mv_dom_graphics *g = &def->devices.graphics[i];

        if (g->type == MV_DOM_GRAPHICS_SPICE && g->listen_type == MV_DOM_LISTEN_SOCKET && !g->socket)
            ck_assert(asprintf(&g->socket, "%s/spice%zu.sock", dir, i) > 0);
        if (!g->autoport || (g->listen_type != MV_DOM_LISTEN_ABSENT && g->listen_type != MV_DOM_LISTEN_ADDRESS))
            continue;
        while (port_written(def, next))
            next++;
        g->port = next++;
    }
}

static void assign_ok(struct mv_dom_def *def)
{
    _cleanup_free_ char *err = NULL;
    int code = 0;

    ck_assert_msg(mv_dom_assign(def, &code, &err) == 0, "assign refused: %s", err ? err : "?");
}

/* The canonical name of DEF's machine, as the daemon takes it from the
 * QEMU probe: the one of QEMU 7.2 for the aliases the fixtures use. */
static const char *canonical_machine(const struct mv_dom_def *def)
{
    const char *m = def->os.machine;

    if (!m || strcmp(m, "pc") == 0)
        return "pc-i440fx-7.2";
    return strcmp(m, "q35") == 0 ? "pc-q35-7.2" : m;
}

/* As a start does before the command line: firmware='efi' chosen from
 * Debian ovmf's descriptors (recorded in tests/data/firmware), the store
 * in the system instance's place. */
static int fill_firmware(struct mv_dom_def *def, int *code, char **err)
{
    _cleanup_(mv_firmware_list_clear) struct mv_firmware_list fw = { 0 };
    _cleanup_free_ char *dir = mv_test_data_path("firmware", "");
    _cleanup_free_ char *nvram = NULL;
    struct mv_firmware_fill_ctx ctx = { .list = &fw, .dir = MV_FIRMWARE_DESCRIPTOR_DIR,
                                        .machine = canonical_machine(def) };

    ck_assert(asprintf(&nvram, "/var/lib/modvirt/qemu/nvram/%s_VARS.fd", def->name) > 0);
    ctx.nvram_path = nvram;
    ck_assert_int_eq(mv_firmware_scan(dir, "x86_64", &fw), 0);
    return mv_firmware_fill(def, &ctx, code, err);
}

/* NAME as a start builds it: the live copy after the firmware choice and
 * the assign pass. */
static struct mv_dom_def *parse_live(const char *name)
{
    struct mv_dom_def *def = parse_file(name);
    _cleanup_free_ char *err = NULL;
    int code = 0;

    choose_displays(def, "/run/modvirt/qemu");
    ck_assert_msg(fill_firmware(def, &code, &err) == 0, "firmware refused: %s", err ? err : "?");
    assign_ok(def);
    return def;
}

/* The test's fixed context for NAME (FDS needs NETS_MAX entries). */
static struct mv_qemu_cmd_ctx fixed_ctx(const char *name, char **monitor, int *fds)
{
    ck_assert(asprintf(monitor, "/run/modvirt/qemu/%s.monitor", name) > 0);
    for (int i = 0; i < NETS_MAX; i++)
        fds[i] = NET_FD_BASE + i;
    return (struct mv_qemu_cmd_ctx){
        .emulator = REAL_QEMU, .monitor_path = *monitor, .kvm_usable = false,
        .net_fds = fds, .nnet_fds = NETS_MAX,
        .disk_secret_files = disk_secret_files, .ndisk_secret_files = MV_ARRAY_SIZE(disk_secret_files),
        .fs_sockets = fs_sockets, .nfs_sockets = MV_ARRAY_SIZE(fs_sockets),
        .host_nodes = host_nodes, .nhost_nodes = MV_ARRAY_SIZE(host_nodes), .memory_dir = "/var/lib/modvirt/qemu/ram",
        .host_cpus_online = "0-3",
        .tpm_socket = TPM_SOCKET,
        .accel_cpu_features = tcg_cpu_features,
    };
}

static char *join_lines(char **argv)
{
    size_t len = 1;
    char *out, *p;

    for (char **a = argv; *a; a++)
        len += strlen(*a) + 1;
    out = p = malloc(len);
    ck_assert_ptr_nonnull(out);
    for (char **a = argv; *a; a++)
        p = stpcpy(stpcpy(p, *a), "\n");
    *p = '\0';
    return out;
}

static bool is_invalid_case(const char *name)
{
    size_t n = strlen(name);

    return n > 8 && strcmp(name + n - 8, "-invalid") == 0;
}

START_TEST(test_golden)
{
    const char *name = cases[_i];
    _cleanup_dom_def_ struct mv_dom_def *def = parse_file(name);
    _cleanup_free_ char *monitor = NULL;
    _cleanup_strv_free_ char **argv = NULL;
    _cleanup_free_ char *err = NULL;
    _cleanup_free_ char *text = NULL;
    int fds[NETS_MAX];
    struct mv_qemu_cmd_ctx ctx = fixed_ctx(name, &monitor, fds);
    int code = 0;
    int r;

    choose_displays(def, "/run/modvirt/qemu");
    /* as a start builds it: on the live copy the firmware choice and the
     * assign pass filled */
    r = fill_firmware(def, &code, &err);

    if (r == 0)
        r = mv_dom_assign(def, &code, &err);
    if (r == 0)
        r = mv_qemu_build_argv(def, &ctx, &argv, &code, &err);
    if (is_invalid_case(name)) {
        ck_assert_msg(r < 0, "%s was accepted", name);
        ck_assert_ptr_null(argv);
        ck_assert_ptr_nonnull(err);
        /* XML errors: what the assign pass refuses at define already */
        ck_assert_msg(code == MV_ERR_CONFIG_UNSUPPORTED || code == MV_ERR_INTERNAL_ERROR ||
                      code == MV_ERR_OPERATION_FAILED ||
                      (code == MV_ERR_XML_ERROR && strncmp(err, "XML error: ", 11) == 0), "%s: code %d", name, code);
        ck_assert(asprintf(&text, "%s\n", err) > 0);
        mv_test_golden(FIXTURES, name, ".err", text);
        return;
    } else {
        ck_assert_msg(r == 0, "%s refused: %s", name, err ? err : "?");
        ck_assert_str_eq(argv[0], REAL_QEMU);
        text = join_lines(argv);
        mv_test_golden(FIXTURES, name, ".args", text);
    }
}
END_TEST

/* dumpxml of the started guest, defined again (aliases go, addresses and
 * implicit controllers stay) and started: the same command line. */
START_TEST(test_define_again)
{
    const char *name = cases[_i];
    _cleanup_dom_def_ struct mv_dom_def *live = NULL;
    _cleanup_dom_def_ struct mv_dom_def *again = NULL;
    _cleanup_free_ char *monitor = NULL;
    _cleanup_strv_free_ char **argv = NULL;
    _cleanup_strv_free_ char **argv_again = NULL;
    _cleanup_free_ char *xml = NULL;
    _cleanup_free_ char *err = NULL;
    _cleanup_free_ char *a = NULL;
    _cleanup_free_ char *b = NULL;
    int fds[NETS_MAX];
    struct mv_qemu_cmd_ctx ctx = fixed_ctx(name, &monitor, fds);
    int code = 0;

    if (is_invalid_case(name))
        return;
    live = parse_live(name);
    ck_assert_int_eq(mv_dom_def_format(live, NULL, MV_DOM_FORMAT_SECURE, &xml), 0);
    ck_assert_msg(mv_dom_def_parse(xml, 0, &again, &code, &err) == 0, "%s: live XML does not define: %s", name,
                  err ? err : "?");
    choose_displays(again, "/run/modvirt/qemu");
    assign_ok(again);
    ck_assert_int_eq(mv_qemu_build_argv(live, &ctx, &argv, &code, &err), 0);
    ck_assert_msg(mv_qemu_build_argv(again, &ctx, &argv_again, &code, &err) == 0, "%s: defined again, refused: %s",
                  name, err ? err : "?");
    a = join_lines(argv);
    b = join_lines(argv_again);
    ck_assert_msg(strcmp(a, b) == 0, "%s: defined again, another command line (written to %s)", name,
                  mv_test_write_actual(name, ".again.args", b));
}
END_TEST

/* ---- specific behaviour ---- */

static char **build_ok(const struct mv_dom_def *def, const struct mv_qemu_cmd_ctx *ctx)
{
    _cleanup_free_ char *err = NULL;
    char **argv = NULL;
    int code = 0;

    ck_assert_msg(mv_qemu_build_argv(def, ctx, &argv, &code, &err) == 0, "refused: %s", err ? err : "?");
    return argv;
}

/* DEF's command line under KVM, in the fixed context for NAME. */
static char **build_kvm_ok(const struct mv_dom_def *def, const char *name)
{
    _cleanup_free_ char *monitor = NULL;
    int fds[NETS_MAX];
    struct mv_qemu_cmd_ctx ctx = fixed_ctx(name, &monitor, fds);

    ctx.kvm_usable = true;
    return build_ok(def, &ctx);
}

/* DEF refused in CTX, no command line left: the message, its code in *CODE. */
static char *build_refused(const struct mv_dom_def *def, const struct mv_qemu_cmd_ctx *ctx, int *code)
{
    char **argv = NULL;
    char *err = NULL;

    ck_assert_int_lt(mv_qemu_build_argv(def, ctx, &argv, code, &err), 0);
    ck_assert_ptr_null(argv);
    ck_assert_ptr_nonnull(err);
    return err;
}

/* DEF refused under KVM (the fixed context for NAME), the error naming MSG. */
static void refused_kvm(const struct mv_dom_def *def, const char *name, const char *msg)
{
    _cleanup_free_ char *monitor = NULL;
    _cleanup_free_ char *err = NULL;
    int fds[NETS_MAX], code = 0;
    struct mv_qemu_cmd_ctx ctx = fixed_ctx(name, &monitor, fds);

    ctx.kvm_usable = true;
    err = build_refused(def, &ctx, &code);
    ck_assert_msg(strstr(err, msg), "%s: refused with \"%s\", not naming \"%s\"", name, err, msg);
}

/* The argument after FLAG whose text starts with PREFIX, or NULL. */
static const char *find_opt(char **argv, const char *flag, const char *prefix)
{
    for (char **a = argv; a[0] && a[1]; a++)
        if (strcmp(a[0], flag) == 0 && strncmp(a[1], prefix, strlen(prefix)) == 0)
            return a[1];
    return NULL;
}

START_TEST(test_kvm_usable)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse_live("kvm-invalid");
    _cleanup_strv_free_ char **argv = build_kvm_ok(def, "kvm");

    ck_assert_ptr_nonnull(find_opt(argv, "-accel", "kvm"));
    ck_assert_ptr_null(find_opt(argv, "-accel", "tcg"));
    /* host-passthrough and the PIT policy exist only under KVM */
    ck_assert_ptr_nonnull(find_opt(argv, "-cpu", "host"));
    ck_assert_ptr_nonnull(find_opt(argv, "-global", "kvm-pit.lost_tick_policy=delay"));
}
END_TEST

/* Under KVM every enlightenment and KVM switch goes on -cpu in the order
 * the XML lists them (QEMU checks their dependencies when KVM starts). */
START_TEST(test_features_kvm)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse_file("features-kvm-invalid");
    _cleanup_strv_free_ char **argv = build_kvm_ok(def, "features-kvm");

    ck_assert_str_eq(find_opt(argv, "-machine", ""), "q35,kernel_irqchip=on");
    ck_assert_str_eq(find_opt(argv, "-cpu", ""),
                     "host,kvmclock=on,hv-time=on,kvm-pv-eoi=on,kvm-pv-unhalt=on,hv-relaxed=on,hv-vapic=on,"
                     "hv-spinlocks=0x1fff,hv-vpindex=on,hv-runtime=on,hv-synic=on,hv-stimer=on,"
                     "hv-stimer-direct=on,hv-reset=on,hv-vendor-id=KVMKVMKVM,hv-frequencies=on,"
                     "hv-reenlightenment=on,hv-tlbflush=on,hv-ipi=on,hv-evmcs=on,hv-avic=off,kvm=off,"
                     "kvm-hint-dedicated=on,kvm-poll-control=on,kvm-pv-ipi=off,pmu=on");
}
END_TEST

/* <tcg> is TCG's own: refused by name under KVM. */
START_TEST(test_features_tcg_kvm)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse_file("features-kvm-invalid");

    def->features.tcg_given = true;
    refused_kvm(def, "features-kvm", "<features><tcg> is for domain type 'qemu'");
}
END_TEST

/* QEMU's own dependency checks under KVM, named by their XML elements. */
START_TEST(test_features_kvm_deps)
{
    static const struct {
        enum mv_dom_hyperv_feature off;
        const char *msg;
    } deps[] = {
        { MV_DOM_HV_VPINDEX, "<features><hyperv><synic state='on'> needs <vpindex state='on'>" },
        { MV_DOM_HV_SYNIC, "<features><hyperv><stimer state='on'> needs <synic state='on'>" },
        { MV_DOM_HV_VAPIC, "<features><hyperv><evmcs state='on'> needs <vapic state='on'>" },
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(deps); i++) {
        _cleanup_dom_def_ struct mv_dom_def *def = parse_file("features-kvm-invalid");

        def->features.hyperv.state[deps[i].off] = MV_TRISTATE_NO;
        refused_kvm(def, "features-kvm", deps[i].msg);
    }
}
END_TEST

START_TEST(test_host_model_tcg)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse_live("kvm-invalid");
    _cleanup_free_ char *monitor = NULL;
    _cleanup_strv_free_ char **argv = NULL;
    int fds[NETS_MAX];
    struct mv_qemu_cmd_ctx ctx = fixed_ctx("kvm", &monitor, fds);

    def->virt = MV_DOM_VIRT_QEMU;
    def->cpu.mode = MV_DOM_CPU_MODE_HOST_MODEL;
    argv = build_ok(def, &ctx);
    ck_assert_ptr_nonnull(find_opt(argv, "-accel", "tcg"));
    ck_assert_str_eq(find_opt(argv, "-cpu", ""), "max");
    ck_assert_ptr_null(find_opt(argv, "-global", "kvm-pit"));
}
END_TEST

START_TEST(test_tap_fd_missing)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse_live("net-bridge-user");
    _cleanup_free_ char *monitor = NULL;
    _cleanup_free_ char *err = NULL;
    int fds[NETS_MAX], code = 0;
    struct mv_qemu_cmd_ctx ctx = fixed_ctx("x", &monitor, fds);

    fds[0] = -1;    /* interface 0 is a bridge */
    err = build_refused(def, &ctx, &code);
    ck_assert_int_eq(code, MV_ERR_INTERNAL_ERROR);
    ck_assert_str_eq(err, "internal error: no tap device was opened for interface 0 of domain 'net-bridge-user'");

    free(TAKE_PTR(err));
    ctx.nnet_fds = 0;
    err = build_refused(def, &ctx, &code);
    ck_assert_int_eq(code, MV_ERR_INTERNAL_ERROR);
}
END_TEST

START_TEST(test_tpm_socket_missing)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse_file("tpm-emulator-crb");
    _cleanup_free_ char *monitor = NULL;
    _cleanup_free_ char *err = NULL;
    int fds[NETS_MAX], code = 0;
    struct mv_qemu_cmd_ctx ctx = fixed_ctx("x", &monitor, fds);

    ctx.tpm_socket = NULL;      /* swtpm was not started */
    err = build_refused(def, &ctx, &code);
    ck_assert_int_eq(code, MV_ERR_INTERNAL_ERROR);
    ck_assert_str_eq(err, "internal error: no swtpm socket for the TPM of domain 'tpm-emulator-crb'");
}
END_TEST

/* <smbios mode='host'>: the host's DMI facts (a recorded sysroot) as the
 * guest's tables, but not the host's uuid: the guest keeps its own. */
START_TEST(test_smbios_host)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse_live("smbios-host-invalid");
    _cleanup_(mv_dom_sysinfo_clear) struct mv_dom_sysinfo host = { 0 };
    _cleanup_free_ char *root = mv_test_data_path("host", "numa2");
    _cleanup_free_ char *monitor = NULL;
    _cleanup_strv_free_ char **argv = NULL;
    int fds[NETS_MAX];
    struct mv_qemu_cmd_ctx ctx = fixed_ctx("smbios-host", &monitor, fds);
    const char *t1;

    ck_assert_int_eq(mv_host_sysinfo_read(root, &host), 0);
    ck_assert_str_eq(host.system[MV_SYSINFO_SYSTEM_UUID], "00000000-0000-0000-0000-ac1f6b0a1b2c");
    ctx.host_sysinfo = &host;
    argv = build_ok(def, &ctx);
    ck_assert_ptr_nonnull(find_opt(argv, "-smbios", "type=0,vendor=American Megatrends Inc.,"));
    ck_assert_ptr_nonnull(find_opt(argv, "-smbios", "type=2,"));
    ck_assert_ptr_nonnull(find_opt(argv, "-smbios", "type=3,manufacturer=Supermicro"));
    t1 = find_opt(argv, "-smbios", "type=1,manufacturer=Supermicro,product=SYS-1029P-WTR & <Test> \"rev\"");
    ck_assert_ptr_nonnull(t1);
    ck_assert_ptr_null(strstr(t1, "uuid="));
    mv_dom_sysinfo_clear(&host);
    ck_assert_int_eq(mv_host_sysinfo_read("/nonexistent-root", &host), -ENOENT);
}
END_TEST

START_TEST(test_comma_escaped)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse_live("comma");
    _cleanup_free_ char *monitor = NULL;
    _cleanup_strv_free_ char **argv = NULL;
    int fds[NETS_MAX];
    struct mv_qemu_cmd_ctx ctx = fixed_ctx("comma", &monitor, fds);

    ctx.monitor_path = "/run/a,b.monitor";
    argv = build_ok(def, &ctx);
    ck_assert_ptr_nonnull(find_opt(argv, "-chardev", "socket,id=charmonitor,path=/run/a,,b.monitor,"));
    ck_assert_ptr_nonnull(find_opt(argv, "-blockdev", "driver=file,filename=/var/lib/images/a,,b,,c.img,"));
    /* a plain argument is never escaped */
    ck_assert_ptr_nonnull(find_opt(argv, "-kernel", "/boot/vmlinuz,x"));
}
END_TEST

/* virtiofsd's command line: every <binary> setting, and a source path
 * whose comma and backslash its option parser would otherwise take */
START_TEST(test_virtiofsd_argv)
{
    _cleanup_dom_def_ struct mv_dom_def *def = parse_file("fs-virtiofs");
    struct mv_dom_fs *fs = &def->devices.filesystems[0];
    _cleanup_strv_free_ char **argv = NULL;
    _cleanup_free_ char *text = NULL;

    ck_assert(mv_virtiofs_needs_daemon(fs));
    ck_assert(!mv_virtiofs_needs_daemon(&def->devices.filesystems[1]));     /* <source socket> */
    free(fs->source_dir);
    ck_assert_ptr_nonnull(fs->source_dir = strdup("/srv/a,b\\c"));
    ck_assert_int_eq(mv_virtiofs_build_argv(fs, "/unused", "/run/x,y.sock", &argv), 0);
    text = join_lines(argv);
    ck_assert_str_eq(text, "/usr/lib/qemu/virtiofsd\n--socket-path=/run/x,y.sock\n-o\n"
                           "source=/srv/a\\,b\\\\c,cache=always,sandbox=namespace,xattr,posix_lock,no_flock\n"
                           "--thread-pool-size=4\n");
    mv_strv_free(TAKE_PTR(argv));
    free(TAKE_PTR(text));
    /* no <binary path>: the one qemud found; nothing but the source */
    free(fs->binary.path);
    fs->binary = (struct mv_dom_fs_binary){ 0 };
    ck_assert_int_eq(mv_virtiofs_build_argv(fs, MV_VIRTIOFSD_PATH, "/run/s", &argv), 0);
    text = join_lines(argv);
    ck_assert_str_eq(text, MV_VIRTIOFSD_PATH "\n--socket-path=/run/s\n-o\nsource=/srv/a\\,b\\\\c\n");
}
END_TEST

/* ---- the real QEMU ---- */

static char tmpdir[256];

static void tmpdir_setup(void)
{
    mv_test_mkdtemp(tmpdir, sizeof(tmpdir), "check_qemud_qemuargs");
}

static void tmpdir_teardown(void)
{
    mv_test_rmtree(tmpdir);
}

static char *path_in(const char *dir, const char *name)
{
    char *p;

    ck_assert(asprintf(&p, "%s/%s", dir, name) > 0);
    return p;
}

static void write_file(const char *path, const void *data, size_t len)
{
    ck_assert_int_eq(mv_file_write_atomic(path, data, len, 0600), 0);
}

/* Sets *FIELD to DIR/NAME and returns it. */
static const char *move_to(char **field, const char *dir, const char *name)
{
    free(*field);
    *field = path_in(dir, name);
    return *field;
}

/* A file x86_load_linux takes for a bzImage: the boot-protocol header and
 * padding; with -S the guest never runs it. */
static void write_fake_kernel(const char *path)
{
    static unsigned char k[16384];

    memset(k, 0, sizeof(k));
    k[0x1f1] = 4;                                   /* setup_sects */
    k[0x1fe] = 0x55, k[0x1ff] = 0xaa;
    memcpy(k + 0x202, "HdrS", 4);
    k[0x206] = 0x0f, k[0x207] = 0x02;               /* protocol 2.15: takes a dtb too */
    k[0x211] = 0x01;                                /* LOADED_HIGH */
    k[0x22c] = 0xff, k[0x22d] = 0xff, k[0x22e] = 0xff, k[0x22f] = 0x37;   /* initrd_addr_max */
    k[0x238] = 0xff, k[0x239] = 0x07;               /* cmdline_size */
    write_file(path, k, sizeof(k));
}

/* Zeros in a size QEMU takes for a BIOS ROM or a pflash image. */
static void write_fake_firmware(const char *path)
{
    _cleanup_free_ void *zero = calloc(1, 256 * 1024);

    ck_assert_ptr_nonnull(zero);
    write_file(path, zero, 256 * 1024);
}

/* PATH with every comma doubled, as QEMU's option syntax wants it. */
static char *opt_escape(const char *path)
{
    char *out = malloc(2 * strlen(path) + 1), *p = out;

    ck_assert_ptr_nonnull(out);
    for (; *path; path++)
        if ((*p++ = *path) == ',')
            *p++ = ',';
    *p = '\0';
    return out;
}

/* A 16 MiB image; with SECRET (a passphrase file) a LUKS one, raw LUKS or
 * LUKS inside qcow2, as the disk's <encryption> says. */
/* (iter-time: a key that takes 100 ms, not 2 s, to derive, here and in QEMU) */
static void make_image(const char *path, enum mv_dom_disk_format format, const char *secret)
{
    bool qcow2 = format == MV_DOM_DISK_FORMAT_QCOW2;
    _cleanup_free_ char *esc = secret ? opt_escape(secret) : NULL;
    _cleanup_free_ char *object = NULL;
    char *argv[12] = { "qemu-img", "create", "-q", "-f", qcow2 ? "qcow2" : "raw" };
    size_t n = 5;
    int status = 0;
    pid_t pid;

    if (secret) {
        ck_assert(asprintf(&object, "secret,id=sec0,file=%s", esc) > 0);
        argv[n++] = "--object";
        argv[n++] = object;
        argv[4] = qcow2 ? "qcow2" : "luks";
        argv[n++] = "-o";
        argv[n++] = qcow2 ? "encrypt.format=luks,encrypt.key-secret=sec0,encrypt.iter-time=100,encrypt.hash-alg=sha512"
                            : "key-secret=sec0,iter-time=100,hash-alg=sha512";
    }
    argv[n++] = (char *)path;
    argv[n++] = "16M";
    argv[n] = NULL;
    /* qemu-img times the key derivation by the thread's CPU clock and gives
     * up ("Unable to get accurate CPU usage") when a SHA-256 round ends inside
     * one tick: SHA-512 above (storaged/vol_file_create.c says why), and a few
     * tries for slower clocks */
    for (int tries = secret ? 5 : 1; tries > 0; tries--) {
        pid = fork();
        ck_assert_int_ge(pid, 0);
        if (pid == 0) {
            execvp(argv[0], argv);
            _exit(127);
        }
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
            return;
    }
    ck_abort_msg("qemu-img create %s failed", path);
}

static void localize_os(struct mv_dom_def *def, const char *dir)
{
    if (def->os.kernel)
        write_fake_kernel(move_to(&def->os.kernel, dir, "vmlinuz"));
    if (def->os.initrd)
        write_file(move_to(&def->os.initrd, dir, "initrd,img"), "initrd", 6);
    if (def->os.dtb)
        write_file(move_to(&def->os.dtb, dir, "board.dtb"), "dtb", 3);
    if (def->os.loader)
        write_fake_firmware(move_to(&def->os.loader, dir, "firmware,bin"));
    if (def->os.nvram)
        write_fake_firmware(move_to(&def->os.nvram, dir, "vars,fd"));
}

/* Images for the disks (files: no block devices to spare here); an
 * encrypted one gets a passphrase file, named in SECRETS[i] (freed by the
 * caller), for qemu-img and for QEMU. */
static void localize_disks(struct mv_dom_devices *d, const char *dir, char **secrets)
{
    char name[64];

    for (size_t i = 0; i < d->ndisks; i++) {
        if (!d->disks[i].source)
            continue;
        if (d->disks[i].encryption != MV_DOM_DISK_ENCRYPTION_NONE) {
            snprintf(name, sizeof(name), "disk,%zu.secret", i);
            secrets[i] = path_in(dir, name);
            write_file(secrets[i], "pass,phrase", 11);
        }
        snprintf(name, sizeof(name), "disk,%zu.img", i);
        d->disks[i].type = MV_DOM_DISK_FILE;
        make_image(move_to(&d->disks[i].source, dir, name), d->disks[i].format, secrets[i]);
    }
}

/* Files and sockets for the character devices; a unix socket listens,
 * since there is nothing to connect to. */
static void localize_chrs(struct mv_dom_chr *chrs, size_t n, const char *kind, const char *dir)
{
    char name[64];

    for (size_t i = 0; i < n; i++) {
        snprintf(name, sizeof(name), "%s,%zu", kind, i);
        if (chrs[i].path || chrs[i].type == MV_DOM_CHR_UNIX)
            move_to(&chrs[i].path, dir, name);
        if (chrs[i].type == MV_DOM_CHR_UNIX)
            chrs[i].unix_listen = true;
        snprintf(name, sizeof(name), "%s,%zu.log", kind, i);
        if (chrs[i].log_file)
            move_to(&chrs[i].log_file, dir, name);
    }
}

/* Directories for the 9p shares (QEMU opens them at start). */
static void localize_filesystems(struct mv_dom_devices *d, const char *dir)
{
    char name[32];

    for (size_t i = 0; i < d->nfilesystems; i++) {
        if (!d->filesystems[i].source_dir)
            continue;
        snprintf(name, sizeof(name), "fs,%zu", i);
        ck_assert_int_eq(mkdir(move_to(&d->filesystems[i].source_dir, dir, name), 0700), 0);
    }
}

/* Points DEF at files in DIR and at user networking, so that this QEMU
 * can open everything; the option syntax stays what the golden file has,
 * and so do the ports (QEMU listens in a network namespace of its own). */
static void localize(struct mv_dom_def *def, const char *dir, char **secrets)
{
    struct mv_dom_devices *d = &def->devices;
    char name[32];

    localize_os(def, dir);
    localize_disks(d, dir, secrets);
    for (size_t i = 0; i < d->nnets; i++)
        d->nets[i].type = MV_DOM_NET_USER;
    localize_chrs(d->serials, d->nserials, "serial", dir);
    localize_chrs(d->consoles, d->nconsoles, "console", dir);
    localize_chrs(d->channels, d->nchannels, "channel", dir);
    localize_filesystems(d, dir);
    for (size_t i = 0; i < d->naudios; i++) {
        snprintf(name, sizeof(name), "audio,%zu.wav", i);
        if (d->audios[i].path)
            move_to(&d->audios[i].path, dir, name);
    }
    for (size_t i = 0; i < d->nrngs; i++) {
        snprintf(name, sizeof(name), "rng,%zu", i);
        write_file(move_to(&d->rngs[i].backend, dir, name), "0123456789", 10);
    }
}

static long ms_since(const struct timespec *t0)
{
    struct timespec now;

    clock_gettime(CLOCK_MONOTONIC, &now);
    return (now.tv_sec - t0->tv_sec) * 1000 + (now.tv_nsec - t0->tv_nsec) / 1000000;
}

/* Whether PID has exited, leaving it to be reaped. */
static bool exited(pid_t pid)
{
    siginfo_t info = { 0 };

    ck_assert_int_eq(waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT), 0);
    return info.si_pid == pid;
}

/* True once QEMU's QMP greeting arrives at MONITOR: QEMU serves the
 * monitor only from its main loop, that is after every device was
 * created.  False if QEMU (PID) exits or QMP_WAIT_MS pass first. */
static bool wait_qmp_greeting(const char *monitor, pid_t pid)
{
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    struct timespec t0;
    char buf[512];

    ck_assert_uint_lt(strlen(monitor), sizeof(sa.sun_path));
    strcpy(sa.sun_path, monitor);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (ms_since(&t0) < QMP_WAIT_MS) {
        _cleanup_close_ int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct pollfd pfd = { .fd = fd, .events = POLLIN };
        struct timespec pause = { 0, 20 * 1000000L };
        ssize_t n;

        ck_assert_int_ge(fd, 0);
        if (exited(pid))
            return false;
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
            nanosleep(&pause, NULL);
            continue;
        }
        if (poll(&pfd, 1, QMP_WAIT_MS) <= 0)
            return false;
        n = read(fd, buf, sizeof(buf) - 1);
        if (n <= 0)
            return false;
        buf[n] = '\0';
        return strstr(buf, "\"QMP\"") != NULL;
    }
    return false;
}

/* In a child: a network namespace of its own with the loopback device up
 * (127.0.0.1 and ::1 exist only once it is), so that QEMU's VNC and SPICE
 * ports cannot collide with anything of the host's. */
static int private_net(void)
{
    struct ifreq ifr = { .ifr_name = "lo" };
    _cleanup_close_ int fd = -1;

    if (unshare(CLONE_NEWNET) < 0 || (fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0 ||
        ioctl(fd, SIOCGIFFLAGS, &ifr) < 0)
        return -1;
    ifr.ifr_flags |= IFF_UP;
    return ioctl(fd, SIOCSIFFLAGS, &ifr);
}

/* Whether this process may give a child a network namespace (root). */
static bool have_private_net(void)
{
    static int known = -1;
    int status = 0;
    pid_t pid;

    if (known >= 0)
        return known;
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0)
        _exit(private_net() < 0 ? 1 : 0);
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    known = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return known;
}

/* Runs ARGV in DIR and fails unless QEMU gets through its whole start-up
 * (devices included) to the QMP greeting at MONITOR, is still running
 * ALIVE_MS later and wrote nothing to stderr.  Kills it afterwards. */
static void run_qemu(char **argv, const char *dir, const char *monitor, const char *name)
{
    _cleanup_free_ char *errpath = path_in(dir, "stderr");
    _cleanup_free_ char *errtext = NULL;
    struct timespec alive = { 0, ALIVE_MS * 1000000L };
    bool greeted, netns;
    int status = 0;
    pid_t pid, done;

    ck_assert_str_eq(argv[0], REAL_QEMU);
    netns = have_private_net();
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int err = open(errpath, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int out = open("/dev/null", O_WRONLY | O_CLOEXEC);

        if (err < 0 || out < 0 || dup2(err, 2) < 0 || dup2(out, 1) < 0 || chdir(dir) < 0 ||
            (netns && private_net() < 0))
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    greeted = wait_qmp_greeting(monitor, pid);
    if (greeted)
        nanosleep(&alive, NULL);
    done = waitpid(pid, &status, WNOHANG);
    if (done == 0) {
        kill(pid, SIGKILL);     /* SIGTERM would make QEMU say so on stderr */
        ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    }
    ck_assert_int_eq(mv_file_read_all(errpath, GOLDEN_MAX, &errtext, NULL), 0);
    ck_assert_msg(done == 0, "%s: QEMU exited (status 0x%x): %s", name, status, errtext);
    ck_assert_msg(greeted, "%s: no QMP greeting within %d ms: %s", name, QMP_WAIT_MS, errtext);
    ck_assert_msg(errtext[0] == '\0', "%s: QEMU wrote to stderr: %s", name, errtext);
}

static bool have_qemu(void)
{
    if (access(REAL_QEMU, X_OK) == 0)
        return true;
    fprintf(stderr, "# %s is not installed: not running it\n", REAL_QEMU);
    return false;
}

/* ---- virtiofsd ---- */

/* The virtiofsd of a case's virtiofs shares, by filesystem index: the real
 * one, as qemud runs it (virtiofs.h), for QEMU's vhost-user-fs-pci to
 * connect to at start; for a <source socket> share, one listening there. */
struct virtiofsds {
    char **sockets;
    pid_t *pids;
    size_t n;
};

static void virtiofsds_stop(struct virtiofsds *v)
{
    for (size_t i = 0; v->pids && i < v->n; i++) {
        if (v->pids[i] <= 0)
            continue;
        kill(v->pids[i], SIGKILL);
        waitpid(v->pids[i], NULL, 0);
    }
    for (size_t i = 0; v->sockets && i < v->n; i++)
        free(v->sockets[i]);
    free(v->sockets);
    free(v->pids);
}

/* Whether PATH is a listening Unix socket (/proc/net/unix: connecting
 * would take virtiofsd's one connection). */
static bool unix_listens(const char *path)
{
    _cleanup_free_ char *text = NULL;
    char *save = NULL;

    if (mv_file_read_all("/proc/net/unix", 16 * 1024 * 1024, &text, NULL) < 0)
        return false;
    /* "Num RefCount Protocol Flags Type St Inode Path"; flag 0x10000: listening */
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        unsigned long flags;
        int off = 0;

        if (sscanf(line, "%*s %*s %*s %lx %*s %*s %*s %n", &flags, &off) == 1 && off > 0 &&
            (flags & 0x10000) && strcmp(line + off, path) == 0)
            return true;
    }
    return false;
}

/* Runs virtiofsd for FS on SOCKET and waits for it to listen. */
static pid_t virtiofsd_start(const struct mv_dom_fs *fs, const char *dir, const char *socket)
{
    _cleanup_strv_free_ char **argv = NULL;
    _cleanup_free_ char *log = path_in(dir, "virtiofsd.log");
    struct timespec t0;
    pid_t pid;

    ck_assert_int_eq(mv_virtiofs_build_argv(fs, MV_VIRTIOFSD_PATH, socket, &argv), 0);
    free(argv[0]);
    ck_assert_ptr_nonnull(argv[0] = strdup(MV_VIRTIOFSD_PATH));    /* not the XML's <binary path> */
    pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);

        if (out < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0)
            _exit(127);
        execv(argv[0], argv);
        _exit(127);
    }
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!unix_listens(socket)) {
        struct timespec pause = { 0, 20 * 1000000L };

        ck_assert_msg(!exited(pid), "virtiofsd for '%s' exited (see %s)", fs->target, log);
        ck_assert_msg(ms_since(&t0) < QMP_WAIT_MS, "virtiofsd for '%s' does not listen on %s", fs->target, socket);
        nanosleep(&pause, NULL);
    }
    return pid;
}

/* A virtiofsd for every virtiofs share of DEF (its socket in DIR, or the
 * share's <source socket> moved there); false when none can run here. */
static bool virtiofsds_start(struct mv_dom_def *def, const char *dir, struct virtiofsds *v)
{
    struct mv_dom_devices *d = &def->devices;
    char name[32];

    v->n = d->nfilesystems;
    ck_assert_ptr_nonnull(v->sockets = calloc(v->n + 1, sizeof(char *)));
    ck_assert_ptr_nonnull(v->pids = calloc(v->n + 1, sizeof(pid_t)));
    for (size_t i = 0; i < d->nfilesystems; i++) {
        struct mv_dom_fs *fs = &d->filesystems[i];

        if (fs->driver != MV_DOM_FS_DRIVER_VIRTIOFS)
            continue;
        if (access(MV_VIRTIOFSD_PATH, X_OK) < 0 || geteuid() != 0)
            return false;
        snprintf(name, sizeof(name), "fs,%zu.sock", i);
        v->sockets[i] = path_in(dir, name);
        if (fs->source_socket) {
            /* the user's virtiofsd: serves a directory of its own */
            free(fs->source_socket);
            fs->source_socket = strdup(v->sockets[i]);
            snprintf(name, sizeof(name), "fs,%zu.user", i);
            ck_assert_int_eq(mkdir(move_to(&fs->source_dir, dir, name), 0700), 0);
            v->pids[i] = virtiofsd_start(fs, dir, v->sockets[i]);
            free(TAKE_PTR(fs->source_dir));
        } else {
            v->pids[i] = virtiofsd_start(fs, dir, v->sockets[i]);
        }
    }
    return true;
}

/* The passphrase files of a case's disks, by disk index (NULL: none). */
struct secrets {
    char **paths;
    size_t n;
};

static void secrets_freep(struct secrets *s)
{
    for (size_t i = 0; s->paths && i < s->n; i++)
        free(s->paths[i]);
    free(s->paths);
}

/* The host side of DEF's TPM, as a start makes it: swtpm set up and
 * listening (state and socket in a directory of their own, as swtpm takes
 * no comma in a path).  False (with the reason printed) when this host
 * cannot give the case what it needs. */
static bool tpm_ready(const struct mv_dom_def *def, const char *name, struct qemud_sidecars *set,
                      char **socket)
{
    _cleanup_free_ char *state = path_in(tmpdir, "swtpm");
    _cleanup_free_ char *logpath = path_in(tmpdir, "swtpm.log");
    const struct qemud_tpm_dirs dirs = { .statedir = state };
    const char *uuid = "11111111-2222-4333-8444-555555555600";
    _cleanup_close_ int logfd = -1;
    struct mv_domain_caps_tpm caps;
    struct mv_err err = { 0 };
    int r;

    *socket = NULL;
    if (def->devices.ntpms == 0)
        return true;
    qemud_tpm_probe(&caps);
    if (def->devices.tpms[0].backend == MV_DOM_TPM_BACKEND_PASSTHROUGH && !caps.passthrough) {
        fprintf(stderr, "# %s: not run: no host TPM device '%s' to pass through\n", name,
                def->devices.tpms[0].device_path);
        return false;
    }
    if (def->devices.tpms[0].backend == MV_DOM_TPM_BACKEND_EMULATOR && !caps.emulator) {
        fprintf(stderr, "# %s: not run: swtpm is not installed\n", name);
        return false;
    }
    ck_assert_int_ge(logfd = qemud_sidecar_open_log(logpath), 0);
    if (def->devices.tpms[0].backend == MV_DOM_TPM_BACKEND_EMULATOR) {
        _cleanup_free_ char *domdir = NULL;

        /* the socket is in the domain's directory, which a start makes first */
        ck_assert_int_gt(asprintf(&domdir, "%s/%s.d", tmpdir, uuid), 0);
        ck_assert_msg(mkdir(domdir, 0700) == 0 || errno == EEXIST, "%s: %s", domdir, strerror(errno));
        ck_assert_ptr_nonnull(*socket = qemud_tpm_socket_path(tmpdir, uuid));
    }
    r = qemud_tpm_start(set, name, uuid, def, &dirs, logfd, *socket, &err);
    ck_assert_msg(r == 0, "%s: %s", name, err.message);
    return true;
}

/* What the real QEMU's TCG can emulate, probed once as the daemon does
 * (unchecked fixture: in the runner, before the tests fork). */
static char **real_tcg_features;

static void real_features_setup(void)
{
    _cleanup_free_ char *err = NULL;

    if (access(REAL_QEMU, X_OK) == 0)
        ck_assert_msg(mv_qemu_probe_max_cpu_features(REAL_QEMU, "tcg", &real_tcg_features, &err) == 0, "%s",
                      err ? err : "?");
}

static void real_features_teardown(void)
{
    mv_strv_free(real_tcg_features);
    real_tcg_features = NULL;
}

static bool in_list(const char *const *list, const char *name)
{
    for (; list && *list; list++)
        if (strcmp(*list, name) == 0)
            return true;
    return false;
}

/* The recorded TCG features say what the real QEMU says about every
 * optional feature a golden case names, so the goldens' resolution is the
 * one a start makes. */
START_TEST(test_tcg_features_recorded)
{
    if (!have_qemu())
        return;
    ck_assert(in_list((const char *const *)real_tcg_features, "lahf-lm"));
    for (size_t i = 0; i < ncases; i++) {
        _cleanup_dom_def_ struct mv_dom_def *def = NULL;

        if (is_invalid_case(cases[i]))
            continue;
        def = parse_file(cases[i]);
        for (size_t j = 0; j < def->cpu.nfeatures; j++) {
            const char *name = def->cpu.features[j].name;

            if (def->cpu.features[j].policy != MV_DOM_CPU_FEATURE_OPTIONAL)
                continue;
            ck_assert_msg(in_list(tcg_cpu_features, name) == in_list((const char *const *)real_tcg_features, name),
                          "%s: optional feature '%s': the recorded TCG list and the real QEMU disagree",
                          cases[i], name);
        }
    }
}
END_TEST

START_TEST(test_cpu_expansion_parse)
{
    static const char reply[] =
        "{\"QMP\": {}}\n{\"return\": {}}\n"
        "{\"return\": {\"model\": {\"name\": \"max\", \"props\": {\"sse4.2\": true, \"avx512f\": false, "
        "\"family\": 6, \"lahf-lm\": true, \"vendor\": \"GenuineIntel\"}}}}\n";
    _cleanup_strv_free_ char **features = NULL;

    ck_assert_int_eq(mv_qemu_parse_qmp_cpu_expansion(reply, &features), 0);
    ck_assert_ptr_nonnull(features);
    ck_assert_str_eq(features[0], "lahf-lm");
    ck_assert_str_eq(features[1], "sse4.2");
    ck_assert_ptr_null(features[2]);
    ck_assert_int_eq(mv_qemu_parse_qmp_cpu_expansion("{\"return\": {}}\n", &features), -EINVAL);
}
END_TEST

/* Every valid golden case, test-guest and full among them, under the real
 * QEMU with user networking (a tap fd needs a real tap). */
START_TEST(test_qemu_accepts)
{
    const char *name = cases[_i];
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_free_ char *dir = path_in(tmpdir, "a,b");     /* a comma in every path */
    _cleanup_free_ char *monitor = NULL;
    _cleanup_strv_free_ char **argv = NULL;
    struct mv_qemu_cmd_ctx ctx = { .emulator = REAL_QEMU, .host_nodes = host_nodes,
                                   .nhost_nodes = MV_ARRAY_SIZE(host_nodes),
                                   .accel_cpu_features = (const char *const *)real_tcg_features };
    _cleanup_(secrets_freep) struct secrets secrets = { 0 };
    _cleanup_(virtiofsds_stop) struct virtiofsds virtiofsds = { 0 };
    _cleanup_free_ char *tpm_socket = NULL;
    struct qemud_sidecars sidecars = { 0 };

    if (is_invalid_case(name) || !have_qemu())
        return;
    def = parse_file(name);
    secrets.n = def->devices.ndisks;
    secrets.paths = calloc(secrets.n + 1, sizeof(char *));
    ck_assert_ptr_nonnull(secrets.paths);
    /* vfio-pci needs a host device bound to vfio-pci, which a test cannot
     * make (qemud-hostdev.sh checks the start's refusal instead) */
    if (def->devices.nhostdevs) {
        fprintf(stderr, "# %s: not run: vfio-pci needs a host PCI device bound to vfio-pci\n", name);
        return;
    }
    if (def->devices.ngraphics && !have_private_net()) {
        fprintf(stderr, "# %s: not run: no network namespace for QEMU (needs root), and it "
                "would listen on the host's TCP ports\n", name);
        return;
    }
    ck_assert_int_eq(mkdir(dir, 0700), 0);
    monitor = path_in(dir, "mon,sock");
    ck_assert_int_eq(fill_firmware(def, &(int){ 0 }, &(char *){ NULL }), 0);
    localize(def, dir, secrets.paths);
    choose_displays(def, dir);
    if (!virtiofsds_start(def, dir, &virtiofsds)) {
        fprintf(stderr, "# %s: not run: virtiofsd (%s) is not installed, or not root\n", name, MV_VIRTIOFSD_PATH);
        return;
    }
    assign_ok(def);
    ctx.monitor_path = monitor;
    ctx.memory_dir = dir;
    ctx.disk_secret_files = (const char *const *)secrets.paths;
    ctx.ndisk_secret_files = def->devices.ndisks;
    ctx.fs_sockets = (const char *const *)virtiofsds.sockets;
    ctx.nfs_sockets = virtiofsds.n;
    if (!tpm_ready(def, name, &sidecars, &tpm_socket))
        return;
    ctx.tpm_socket = tpm_socket;
    argv = build_ok(def, &ctx);
    run_qemu(argv, dir, monitor, name);
    qemud_sidecars_stop(&sidecars, name);      /* swtpm ended with QEMU (--terminate) or now */
    /* the escaped paths reached QEMU whole */
    for (size_t i = 0; i < def->devices.nserials; i++)
        if (def->devices.serials[i].log_file)
            ck_assert_int_eq(access(def->devices.serials[i].log_file, F_OK), 0);
}
END_TEST

/* ---- runner ---- */

static Suite *qemuargs_suite(void)
{
    Suite *s = suite_create("qemuargs");
    TCase *tc = tcase_create("golden");

    tcase_add_loop_test(tc, test_golden, 0, (int)ncases);
    tcase_add_loop_test(tc, test_define_again, 0, (int)ncases);
    tcase_add_test(tc, test_kvm_usable);
    tcase_add_test(tc, test_host_model_tcg);
    tcase_add_test(tc, test_features_kvm);
    tcase_add_test(tc, test_features_kvm_deps);
    tcase_add_test(tc, test_features_tcg_kvm);
    tcase_add_test(tc, test_tap_fd_missing);
    tcase_add_test(tc, test_tpm_socket_missing);
    tcase_add_test(tc, test_comma_escaped);
    tcase_add_test(tc, test_virtiofsd_argv);
    tcase_add_test(tc, test_smbios_host);
    tcase_add_test(tc, test_cpu_expansion_parse);
    suite_add_tcase(s, tc);

    tc = tcase_create("qemu");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, tmpdir_setup, tmpdir_teardown);
    tcase_add_unchecked_fixture(tc, real_features_setup, real_features_teardown);
    tcase_add_test(tc, test_tcg_features_recorded);
    tcase_add_loop_test(tc, test_qemu_accepts, 0, (int)ncases);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr;
    int n;

    ncases = mv_test_golden_inputs(FIXTURES, MV_TEST_INPUTS_ALL, 0, &cases);
    sr = srunner_create(qemuargs_suite());
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    mv_test_golden_inputs_free(cases);
    return n ? 1 : 0;
}
