/*
 * The guest path policy (qemud/guest_path_policy.c) on real paths: the
 * defaults derived from a daemon under a private --root, a configured
 * denylist, symlinks (to a denied file, dangling, relative, looping, into
 * /proc), real character devices (/dev/zero, /dev/kmsg, /dev/ttyS0, and a
 * node made with /dev/mem's numbers), directories that hold a denied path,
 * and the messages word for word.
 */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "conf.h"
#include "domain_def.h"
#include "domain_monitor.h"
#include "error_codes.h"
#include "file.h"
#include "guest_path_policy.h"
#include "nvram.h"
#include "paths.h"
#include "testutil.h"

#define UUID "11111111-2222-4333-8444-5555555556a1"
#define DENY_NOTE "(path_denylist in modvirt-qemud.conf)"
#define PREFIX "unsupported configuration: "

/* display_ports.c (linked for qemud_is_daemon_socket) talks to a monitor
 * only after a start, which this test never makes. */
int qemud_monitor_command(struct qemud_dom *dom, const char *cmd, json_object *args, json_object **reply,
                          struct mv_err *err)
{
    (void)dom, (void)cmd, (void)reply;
    json_object_put(args);
    return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "no monitor in this test");
}

static char dir[PATH_MAX];          /* the test's own files */
static char root[PATH_MAX + 8];     /* the daemon's --root, inside DIR */
static struct mv_paths paths;

static void setup(void)
{
    char *msg = NULL;

    mv_test_mkdtemp(dir, sizeof(dir), "pathpolicy");
    snprintf(root, sizeof(root), "%s/root", dir);
    ck_assert_int_eq(mv_paths_init(&paths, root), 0);
    ck_assert_int_eq(qemud_path_policy_configure(NULL, &paths, &msg), 0);
    ck_assert_ptr_null(msg);
}

static void teardown(void)
{
    qemud_path_policy_clear();
    mv_paths_clear(&paths);
    mv_test_rmtree(dir);
}

/* "DIR/NAME" in a static buffer (one of four, so a call may use a few). */
static const char *in_dir(const char *base, const char *name)
{
    static char bufs[4][PATH_MAX * 2];
    static int next;
    char *b = bufs[next++ % 4];

    snprintf(b, sizeof(bufs[0]), "%s/%s", base, name);
    return b;
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");

    ck_assert_msg(f, "%s: %s", path, strerror(errno));
    fclose(f);
}

/* A domain "pp" whose <os> holds OS and <devices> DEVICES, parsed and
 * checked: 0, or <0 with ERR (its code is checked here). */
static int check_xml(const char *os, const char *devices, struct mv_err *err)
{
    _cleanup_free_ char *xml = NULL;
    _cleanup_free_ char *msg = NULL;
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    int code = 0, r;

    ck_assert_int_ge(asprintf(&xml,
                              "<domain type='qemu'><name>pp</name><uuid>" UUID "</uuid>"
                              "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                              "<os><type arch='x86_64'>hvm</type>%s</os>"
                              "<devices><memballoon model='none'/>%s</devices></domain>",
                              os, devices),
                     0);
    r = mv_dom_def_parse(xml, 0, &def, &code, &msg);
    ck_assert_msg(r == 0, "parse: %s", msg);
    r = qemud_path_policy_check_def(def, err);
    if (r < 0)
        ck_assert_int_eq(err->code, MV_ERR_CONFIG_UNSUPPORTED);
    else
        ck_assert_int_eq(err->code, 0);
    return r;
}

static int check_disk(const char *path, struct mv_err *err)
{
    _cleanup_free_ char *dev = NULL;

    ck_assert_int_ge(asprintf(&dev, "<disk type='file'><source file='%s'/><target dev='vda' bus='virtio'/></disk>",
                              path),
                     0);
    return check_xml("", dev, err);
}

static int check_kernel(const char *path, struct mv_err *err)
{
    _cleanup_free_ char *os = NULL;

    ck_assert_int_ge(asprintf(&os, "<kernel>%s</kernel>", path), 0);
    return check_xml(os, "", err);
}

/* PATH as disk vda is refused with exactly the message EXPECTED (a format). */
__attribute__((format(printf, 2, 3))) static void disk_refused(const char *path, const char *expected, ...)
{
    struct mv_err err = { 0 };
    _cleanup_free_ char *want = NULL;
    va_list ap;
    int n;

    va_start(ap, expected);
    n = vasprintf(&want, expected, ap);
    va_end(ap);
    ck_assert_int_ge(n, 0);
    ck_assert_msg(check_disk(path, &err) < 0, "disk '%s' was accepted", path);
    ck_assert_str_eq(err.message, want);
    mv_err_clear(&err);
}

/* ERR's message is exactly EXPECTED (a format); ERR is cleared. */
__attribute__((format(printf, 2, 3))) static void msg_eq(struct mv_err *err, const char *expected, ...)
{
    _cleanup_free_ char *want = NULL;
    va_list ap;
    int n;

    va_start(ap, expected);
    n = vasprintf(&want, expected, ap);
    va_end(ap);
    ck_assert_int_ge(n, 0);
    ck_assert_ptr_nonnull(err->message);
    ck_assert_str_eq(err->message, want);
    mv_err_clear(err);
}

static void disk_accepted(const char *path)
{
    struct mv_err err = { 0 };

    ck_assert_msg(check_disk(path, &err) == 0, "disk '%s': %s", path, err.message);
}

/* ---- the defaults ---- */

START_TEST(test_default_host_files)
{
    disk_refused("/etc/shadow", PREFIX "disk 'vda' of domain 'pp': '/etc/shadow' is on the path denylist " DENY_NOTE);
    disk_refused("/etc/gshadow", PREFIX "disk 'vda' of domain 'pp': '/etc/gshadow' is on the path denylist " DENY_NOTE);
    disk_refused("/root/.ssh/id_rsa",
                 PREFIX "disk 'vda' of domain 'pp': '/root/.ssh/id_rsa' is under '/root/' on the path denylist " DENY_NOTE);
    /* the tree itself, not its namesakes */
    disk_refused("/root", PREFIX "disk 'vda' of domain 'pp': '/root' is under '/root/' on the path denylist " DENY_NOTE);
    disk_accepted("/rootkit");
    disk_accepted("/rootkit/x.img");
    disk_accepted("/etcetera/x.img");
    disk_accepted("/bootstrap.img");
    /* the tree /etc/ names what the file entries do not */
    disk_refused("/etc/shadow-", PREFIX "disk 'vda' of domain 'pp': '/etc/shadow-' is under '/etc/' on the path "
                                 "denylist " DENY_NOTE);
}
END_TEST

/* The daemons' own directories of the instance under --root, derived from
 * its mv_paths; not the host's (the host's instance is another one). */
START_TEST(test_default_daemon_dirs)
{
    static const char *const denied[][2] = {
        { "etc/modvirt/modvirt-qemud.conf", "etc/modvirt/" },
        { "etc/modvirt/qemu/other.xml", "etc/modvirt/" },
        { "run/modvirt/qemu/other.xml", "run/modvirt/" },
        { "run/libvirt/libvirt-sock", "run/libvirt/" },
        { "var/log/modvirt/qemu/other.log", "var/log/modvirt/" },
        { "var/lib/modvirt/qemu/nvram/other_VARS.fd", "var/lib/modvirt/qemu/" },
        { "var/lib/modvirt/swtpm/localca/signkey.pem", "var/lib/modvirt/swtpm/" },
        { "var/lib/modvirt/network/default-defined", "var/lib/modvirt/network/" },
        { "var/lib/modvirt/secrets/x.value", "var/lib/modvirt/secrets/" },
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(denied); i++) {
        const char *path = in_dir(root, denied[i][0]);

        disk_refused(path, PREFIX "disk 'vda' of domain 'pp': '%s' is under '%s' on the path denylist " DENY_NOTE,
                     path, in_dir(root, denied[i][1]));
    }
    disk_refused(in_dir(root, "var/lib/modvirt/kvm-probe.cache"),
                 PREFIX "disk 'vda' of domain 'pp': '%s' is on the path denylist " DENY_NOTE,
                 in_dir(root, "var/lib/modvirt/kvm-probe.cache"));
    /* the state directory is not denied whole: users may keep images there */
    disk_accepted(in_dir(root, "var/lib/modvirt/images/a.qcow2"));
    /* nor the host's own instance from a test instance */
    disk_accepted("/var/lib/modvirt-test-nothing/x.img");
}
END_TEST

/* A denylist entry that is a symlink also denies where it leads. */
START_TEST(test_default_entry_behind_link)
{
    char *msg = NULL;
    struct mv_err err = { 0 };

    /* a root whose etc/modvirt is a link to elsewhere */
    ck_assert_int_eq(mkdir(in_dir(dir, "real-etc"), 0755), 0);
    ck_assert_int_eq(mkdir(in_dir(root, ""), 0755), 0);
    ck_assert_int_eq(mkdir(in_dir(root, "etc"), 0755), 0);
    ck_assert_int_eq(symlink(in_dir(dir, "real-etc"), in_dir(root, "etc/modvirt")), 0);
    ck_assert_int_eq(qemud_path_policy_configure(NULL, &paths, &msg), 0);
    touch(in_dir(dir, "real-etc/qemud.key"));
    ck_assert_int_lt(check_disk(in_dir(dir, "real-etc/qemud.key"), &err), 0);
    ck_assert_msg(strstr(err.message, "is under '") && strstr(err.message, "/root/etc/modvirt/' on the path denylist"),
                  "%s", err.message);
    mv_err_clear(&err);
}
END_TEST

/* ---- the form of a path ---- */

START_TEST(test_dotdot_and_slashes)
{
    disk_refused("/tmp/../etc/shadow",
                 PREFIX "disk 'vda' of domain 'pp': '/tmp/../etc/shadow' has a '..' component (write the path "
                        "without one)");
    disk_refused(in_dir(dir, "../x.img"),
                 PREFIX "disk 'vda' of domain 'pp': '%s' has a '..' component (write the path without one)",
                 in_dir(dir, "../x.img"));
    disk_refused("//etc//shadow", PREFIX "disk 'vda' of domain 'pp': '//etc//shadow' leads to '/etc/shadow', which is "
                                  "on the path denylist " DENY_NOTE);
    disk_refused("/etc/./shadow", PREFIX "disk 'vda' of domain 'pp': '/etc/./shadow' leads to '/etc/shadow', which is "
                                  "on the path denylist " DENY_NOTE);
    disk_accepted(in_dir(dir, "a..b.img"));     /* ".." inside a name is no component */
}
END_TEST

/* check() at start takes a path as given: a relative one is refused too. */
START_TEST(test_check_relative)
{
    struct mv_err err = { 0 };

    ck_assert_int_lt(qemud_path_policy_check("pp", "kernel", "vmlinuz", NULL, &err), 0);
    ck_assert_str_eq(err.message, PREFIX "kernel of domain 'pp': 'vmlinuz' is not an absolute path");
    mv_err_clear(&err);
}
END_TEST

/* ---- /proc and /sys ---- */

START_TEST(test_proc_sys)
{
    struct mv_err err = { 0 };

    disk_refused("/proc/self/environ", PREFIX "disk 'vda' of domain 'pp': '/proc/self/environ' is under /proc: files "
                                       "under /proc and /sys are never given to a guest");
    disk_refused("/proc", PREFIX "disk 'vda' of domain 'pp': '/proc' is under /proc: files under /proc and /sys are "
                          "never given to a guest");
    ck_assert_int_lt(check_kernel("/sys/kernel/notes", &err), 0);
    ck_assert_str_eq(err.message, PREFIX "kernel of domain 'pp': '/sys/kernel/notes' is under /sys: files under /proc "
                                  "and /sys are never given to a guest");
    mv_err_clear(&err);
    /* /dev/fd is a link into /proc: the daemon's own fds */
    disk_refused("/dev/fd/0", PREFIX "disk 'vda' of domain 'pp': '/dev/fd/0' leads to '/proc/self/fd/0', which is "
                              "under /proc: files under /proc and /sys are never given to a guest");
    disk_accepted("/processes/x.img");
    disk_accepted("/system.img");
}
END_TEST

/* ---- symlinks ---- */

START_TEST(test_symlinks)
{
    const char *link = in_dir(dir, "disk.img");

    ck_assert_int_eq(symlink("/etc/shadow", link), 0);
    disk_refused(link, PREFIX "disk 'vda' of domain 'pp': '%s' leads to '/etc/shadow', which is on the path "
                       "denylist " DENY_NOTE, link);
    /* relative, through a second link */
    ck_assert_int_eq(symlink("disk.img", in_dir(dir, "again.img")), 0);
    disk_refused(in_dir(dir, "again.img"), PREFIX "disk 'vda' of domain 'pp': '%s' leads to '/etc/shadow', which is "
                                           "on the path denylist " DENY_NOTE, in_dir(dir, "again.img"));
    /* a link to a directory, then a path below it */
    ck_assert_int_eq(symlink("/proc/self", in_dir(dir, "me")), 0);
    disk_refused(in_dir(dir, "me/environ"), PREFIX "disk 'vda' of domain 'pp': '%s' leads to '/proc/self/environ', "
                                            "which is under /proc: files under /proc and /sys are never given to a "
                                            "guest", in_dir(dir, "me/environ"));
    /* a good file behind a link is fine */
    touch(in_dir(dir, "good.img"));
    ck_assert_int_eq(symlink("good.img", in_dir(dir, "good-link.img")), 0);
    disk_accepted(in_dir(dir, "good-link.img"));
}
END_TEST

/* An output file QEMU would create through a dangling link lands where the
 * link points: that is what is checked. */
START_TEST(test_dangling_link)
{
    const char *link = in_dir(dir, "serial.log");
    _cleanup_free_ char *dev = NULL;
    struct mv_err err = { 0 };

    ck_assert_int_eq(symlink("/root/.ssh/authorized_keys2-not-there", link), 0);
    ck_assert_int_ge(asprintf(&dev, "<serial type='file'><source path='%s'/></serial>", link), 0);
    ck_assert_int_lt(check_xml("", dev, &err), 0);
    msg_eq(&err, PREFIX "serial0 of domain 'pp': '%s' leads to '/root/.ssh/authorized_keys2-not-there', which is "
                        "under '/root/' on the path denylist " DENY_NOTE, link);
}
END_TEST

START_TEST(test_link_loop)
{
    ck_assert_int_eq(symlink("loop-b", in_dir(dir, "loop-a")), 0);
    ck_assert_int_eq(symlink("loop-a", in_dir(dir, "loop-b")), 0);
    disk_refused(in_dir(dir, "loop-a"), PREFIX "disk 'vda' of domain 'pp': '%s' cannot be resolved to check it: Too "
                                        "many levels of symbolic links", in_dir(dir, "loop-a"));
}
END_TEST

/* ---- character devices ---- */

START_TEST(test_chardevs)
{
    const char *mem = in_dir(dir, "mem");
    struct mv_err err = { 0 };
    struct stat st;

    disk_refused("/dev/zero", PREFIX "disk 'vda' of domain 'pp': '/dev/zero' is a character device, which a guest "
                              "never gets as a disk, kernel or file");
    disk_refused("/dev/kmsg", PREFIX "disk 'vda' of domain 'pp': '/dev/kmsg' is a character device, which a guest "
                              "never gets as a disk, kernel or file");
    /* /dev/mem's numbers (containers often lack the node itself) */
    if (mknod(mem, S_IFCHR | 0600, makedev(1, 1)) < 0 && errno == EPERM) {
        fprintf(stderr, "# not run: mknod needs CAP_MKNOD\n");
        return;
    }
    ck_assert_int_eq(access(mem, F_OK), 0);
    ck_assert_int_lt(check_kernel(mem, &err), 0);
    msg_eq(&err, PREFIX "kernel of domain 'pp': '%s' is a character device, which a guest never gets as a disk, "
                        "kernel or file", mem);
    if (access("/dev/mem", F_OK) == 0) {
        ck_assert_int_lt(check_kernel("/dev/mem", &err), 0);
        ck_assert_str_eq(err.message, PREFIX "kernel of domain 'pp': '/dev/mem' is a character device, which a guest "
                                      "never gets as a disk, kernel or file");
        mv_err_clear(&err);
    }
    /* a terminal is one only for a chardev of type dev */
    if (stat("/dev/ttyS0", &st) == 0) {
        disk_refused("/dev/ttyS0", PREFIX "disk 'vda' of domain 'pp': '/dev/ttyS0' is a character device, which a "
                                   "guest never gets as a disk, kernel or file");
        ck_assert_int_eq(qemud_path_policy_check_use("pp", "serial0", "/dev/ttyS0", QEMUD_PATH_TTY, &st, &err), 0);
    }
    ck_assert_int_eq(stat("/dev/zero", &st), 0);
    ck_assert_int_lt(qemud_path_policy_check_use("pp", "serial0", "/dev/zero", QEMUD_PATH_TTY, &st, &err), 0);
    ck_assert_str_eq(err.message, PREFIX "serial0 of domain 'pp': '/dev/zero' is a character device other than a "
                                  "terminal (a chardev of type dev can only be a tty)");
    mv_err_clear(&err);
    ck_assert_int_eq(stat(mem, &st), 0);
    ck_assert_int_lt(qemud_path_policy_check_use("pp", "serial0", mem, QEMUD_PATH_TTY, &st, &err), 0);
    mv_err_clear(&err);
    /* a pts made by hand is a terminal */
    ck_assert_int_eq(mknod(in_dir(dir, "pts7"), S_IFCHR | 0600, makedev(136, 7)), 0);
    ck_assert_int_eq(stat(in_dir(dir, "pts7"), &st), 0);
    ck_assert_int_eq(qemud_path_policy_check_use("pp", "serial0", in_dir(dir, "pts7"), QEMUD_PATH_TTY, &st, &err), 0);
}
END_TEST

START_TEST(test_rng_and_tpm)
{
    struct mv_err err = { 0 };

    ck_assert_int_eq(check_xml("", "<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>", &err), 0);
    ck_assert_int_eq(check_xml("", "<rng model='virtio'><backend model='random'>/dev/random</backend></rng>", &err), 0);
    ck_assert_int_lt(check_xml("", "<rng model='virtio'><backend model='random'>/dev/zero</backend></rng>", &err), 0);
    ck_assert_str_eq(err.message, PREFIX "rng0 of domain 'pp': '/dev/zero' is a character device other than "
                                  "/dev/random, /dev/urandom or /dev/hwrng (an <rng> backend must be one)");
    mv_err_clear(&err);
    ck_assert_int_lt(check_xml("", "<rng model='virtio'><backend model='random'>/proc/kcore</backend></rng>", &err), 0);
    mv_err_clear(&err);
    ck_assert_int_lt(check_xml("", "<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/zero'/>"
                                   "</backend></tpm>", &err), 0);
    ck_assert_str_eq(err.message, PREFIX "TPM of domain 'pp': '/dev/zero' is a character device other than a TPM (a "
                                  "passthrough <tpm> takes a tpm or tpmrm device)");
    mv_err_clear(&err);
    /* a device that is not there yet is the start's to find */
    ck_assert_int_eq(check_xml("", "<tpm model='tpm-tis'><backend type='passthrough'><device path='/dev/tpm9'/>"
                                   "</backend></tpm>", &err), 0);
}
END_TEST

/* ---- directories and sockets ---- */

START_TEST(test_directories)
{
    _cleanup_free_ char *fs = NULL;
    struct mv_err err = { 0 };
    struct stat st;

    ck_assert_int_lt(check_xml("", "<filesystem type='mount'><source dir='/etc'/><target dir='etc'/></filesystem>",
                               &err), 0);
    ck_assert_str_eq(err.message, PREFIX "filesystem 'etc' of domain 'pp': '/etc' is under '/etc/' on the path "
                                  "denylist " DENY_NOTE);
    mv_err_clear(&err);
    ck_assert_int_lt(check_xml("", "<filesystem type='mount'><source dir='/var'/><target dir='var'/></filesystem>",
                               &err), 0);
    ck_assert_str_eq(err.message, PREFIX "filesystem 'var' of domain 'pp': '/var' holds '/var/spool/' of the path "
                                  "denylist " DENY_NOTE);
    mv_err_clear(&err);
    ck_assert_int_lt(check_xml("", "<filesystem type='mount'><source dir='//'/><target dir='all'/></filesystem>",
                               &err), 0);
    ck_assert_str_eq(err.message, PREFIX "filesystem 'all' of domain 'pp': '//' leads to '/', which holds /proc and "
                                  "/sys: files under /proc and /sys are never given to a guest");
    mv_err_clear(&err);
    ck_assert_int_ge(asprintf(&fs, "<filesystem type='mount'><source dir='%s'/><target dir='st'/></filesystem>",
                              in_dir(root, "var/lib")), 0);
    ck_assert_int_lt(check_xml("", fs, &err), 0);
    ck_assert_msg(strstr(err.message, "/var/lib' holds '") && strstr(err.message, "/var/lib/modvirt/qemu/' of the path"),
                  "%s", err.message);
    mv_err_clear(&err);
    free(fs);
    /* the test's directory holds the daemon's --root */
    ck_assert_int_ge(asprintf(&fs, "<filesystem type='mount'><source dir='%s'/><target dir='t'/></filesystem>", dir),
                     0);
    ck_assert_int_lt(check_xml("", fs, &err), 0);
    msg_eq(&err, PREFIX "filesystem 't' of domain 'pp': '%s' holds '%s' of the path denylist " DENY_NOTE, dir,
           in_dir(root, "etc/modvirt/"));
    free(fs);
    ck_assert_int_ge(asprintf(&fs, "<filesystem type='mount'><source dir='%s'/><target dir='ok'/></filesystem>",
                              in_dir(dir, "share")), 0);
    ck_assert_int_eq(check_xml("", fs, &err), 0);
    /* at start, a directory is known by its stat */
    ck_assert_int_eq(stat("/etc", &st), 0);
    ck_assert_int_lt(qemud_path_policy_check("pp", "channel0", "/etc", &st, &err), 0);
    ck_assert_str_eq(err.message, PREFIX "channel0 of domain 'pp': '/etc' is under '/etc/' on the path denylist "
                                  DENY_NOTE);
    mv_err_clear(&err);
}
END_TEST

START_TEST(test_sockets)
{
    _cleanup_free_ char *ch = NULL;
    struct mv_err err = { 0 };

    /* QEMU makes a bound socket in its directory, which the guest then writes */
    ck_assert_int_lt(check_xml("", "<channel type='unix'><source mode='bind' path='/etc/qga.sock'/>"
                                   "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>", &err), 0);
    ck_assert_str_eq(err.message, PREFIX "channel0 of domain 'pp': '/etc/qga.sock' is under '/etc/' on the path "
                                  "denylist " DENY_NOTE);
    mv_err_clear(&err);
    ck_assert_int_lt(check_xml("", "<channel type='unix'><source mode='bind' path='/var/qga.sock'/>"
                                   "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>", &err), 0);
    ck_assert_str_eq(err.message, PREFIX "channel0 of domain 'pp': '/var/qga.sock' is a socket made in '/var', a "
                                  "directory that holds '/var/spool/' of the path denylist " DENY_NOTE);
    mv_err_clear(&err);
    ck_assert_int_ge(asprintf(&ch, "<channel type='unix'><source mode='bind' path='%s'/>"
                                   "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>",
                              in_dir(dir, "qga.sock")), 0);
    ck_assert_int_lt(check_xml("", ch, &err), 0);     /* DIR holds the daemon's --root */
    msg_eq(&err, PREFIX "channel0 of domain 'pp': '%s' is a socket made in '%s', a directory that holds '%s' of the "
                        "path denylist " DENY_NOTE, in_dir(dir, "qga.sock"), dir, in_dir(root, "etc/modvirt/"));
    free(ch);
    ck_assert_int_eq(mkdir(in_dir(dir, "socks"), 0755), 0);
    ck_assert_int_ge(asprintf(&ch, "<channel type='unix'><source mode='bind' path='%s'/>"
                                   "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>",
                              in_dir(dir, "socks/qga.sock")), 0);
    ck_assert_int_eq(check_xml("", ch, &err), 0);
    free(ch);
    /* one qemud picked (the live XML shows it) is picked afresh at start */
    ck_assert_int_ge(asprintf(&ch, "<channel type='unix'><source mode='bind' path='%s/run/modvirt/qemu/" UUID
                                   ".channel0.sock'/><target type='virtio' name='org.qemu.guest_agent.0'/></channel>",
                              root), 0);
    ck_assert_int_eq(check_xml("", ch, &err), 0);
    free(ch);
    /* anything else in the run directory is the daemon's */
    ck_assert_int_ge(asprintf(&ch, "<serial type='unix'><source mode='connect' path='%s/run/modvirt/qemu/"
                                   "other.monitor'/></serial>", root), 0);
    ck_assert_int_lt(check_xml("", ch, &err), 0);
    ck_assert_msg(strstr(err.message, PREFIX "serial0 of domain 'pp': '") &&
                  strstr(err.message, "/run/modvirt/' on the path denylist"), "%s", err.message);
    mv_err_clear(&err);
    /* a serial's log file */
    ck_assert_int_lt(check_xml("", "<serial type='pty'><log file='/root/serial.log'/></serial>", &err), 0);
    ck_assert_str_eq(err.message, PREFIX "serial0 log of domain 'pp': '/root/serial.log' is under '/root/' on the "
                                  "path denylist " DENY_NOTE);
    mv_err_clear(&err);
}
END_TEST

/* The variable store qemud names itself is not the user's path; another
 * domain's is. */
START_TEST(test_nvram)
{
    _cleanup_free_ char *os = NULL;
    struct mv_err err = { 0 };

    ck_assert_int_ge(asprintf(&os, "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
                                   "<nvram>%s/var/lib/modvirt/qemu/nvram/pp_VARS.fd</nvram>", root), 0);
    ck_assert_int_eq(check_xml(os, "", &err), 0);
    free(os);
    ck_assert_int_ge(asprintf(&os, "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
                                   "<nvram>%s/var/lib/modvirt/qemu/nvram/other_VARS.fd</nvram>", root), 0);
    ck_assert_int_lt(check_xml(os, "", &err), 0);
    ck_assert_msg(strstr(err.message, PREFIX "nvram of domain 'pp': '"), "%s", err.message);
    mv_err_clear(&err);
    ck_assert_int_lt(check_xml("<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>"
                               "<nvram template='/etc/shadow'/>", "", &err), 0);
    ck_assert_str_eq(err.message, PREFIX "nvram template of domain 'pp': '/etc/shadow' is on the path denylist "
                                  DENY_NOTE);
    mv_err_clear(&err);
}
END_TEST

static int configure_text(const char *text, char **msg);

/* System trees no guest image or output belongs in. */
START_TEST(test_default_system_trees)
{
    struct mv_err err = { 0 };

    disk_refused("/etc/passwd", PREFIX "disk 'vda' of domain 'pp': '/etc/passwd' is under '/etc/' on the path "
                                "denylist " DENY_NOTE);
    disk_refused("/etc/sudoers", PREFIX "disk 'vda' of domain 'pp': '/etc/sudoers' is under '/etc/' on the path "
                                 "denylist " DENY_NOTE);
    disk_refused("/var/spool/cron/crontabs/root", PREFIX "disk 'vda' of domain 'pp': '/var/spool/cron/crontabs/root' "
                                                  "is under '/var/spool/' on the path denylist " DENY_NOTE);
    disk_refused("/var/mail/root", PREFIX "disk 'vda' of domain 'pp': '/var/mail/root' is under '/var/mail/' on the "
                                   "path denylist " DENY_NOTE);
    ck_assert_int_lt(check_kernel("/boot/vmlinuz", &err), 0);
    msg_eq(&err, PREFIX "kernel of domain 'pp': '/boot/vmlinuz' is under '/boot/' on the path denylist " DENY_NOTE);
    /* a serial's output file would be a cron job */
    ck_assert_int_lt(check_xml("", "<serial type='file'><source path='/etc/cron.d/x'/></serial>", &err), 0);
    msg_eq(&err, PREFIX "serial0 of domain 'pp': '/etc/cron.d/x' is under '/etc/' on the path denylist " DENY_NOTE);
    disk_accepted(in_dir(dir, "guest.img"));
}
END_TEST

/* A hard link to a denied file is that file: refused at define and at start. */
START_TEST(test_hardlink)
{
    _cleanup_free_ char *text = NULL;
    struct mv_err err = { 0 };
    struct stat st, shadow;
    char *msg = NULL;

    touch(in_dir(dir, "key"));
    ck_assert_int_ge(asprintf(&text, "path_denylist = [ \"%s/key\" ]\n", dir), 0);
    ck_assert_int_eq(configure_text(text, &msg), 0);
    ck_assert_int_eq(link(in_dir(dir, "key"), in_dir(dir, "innocent.img")), 0);
    disk_refused(in_dir(dir, "innocent.img"), PREFIX "disk 'vda' of domain 'pp': '%s' is the same file as '%s' on the "
                                              "path denylist (a hard link to it; " "path_denylist in modvirt-qemud.conf)",
                 in_dir(dir, "innocent.img"), in_dir(dir, "key"));
    ck_assert_int_eq(stat(in_dir(dir, "innocent.img"), &st), 0);
    ck_assert_int_lt(qemud_path_policy_check("pp", "disk 'vda'", in_dir(dir, "innocent.img"), &st, &err), 0);
    msg_eq(&err, PREFIX "disk 'vda' of domain 'pp': '%s' is the same file as '%s' on the path denylist (a hard link "
                        "to it; path_denylist in modvirt-qemud.conf)", in_dir(dir, "innocent.img"), in_dir(dir, "key"));
    /* a copy is another file */
    touch(in_dir(dir, "copy.img"));
    disk_accepted(in_dir(dir, "copy.img"));
    /* /etc/shadow itself, when the test's directory is on its filesystem */
    ck_assert_int_eq(stat("/etc/shadow", &shadow), 0);
    ck_assert_int_eq(stat(dir, &st), 0);
    if (st.st_dev == shadow.st_dev && link("/etc/shadow", in_dir(dir, "sh.img")) == 0)
        disk_refused(in_dir(dir, "sh.img"), PREFIX "disk 'vda' of domain 'pp': '%s' is the same file as '/etc/shadow' "
                                            "on the path denylist (a hard link to it; path_denylist in "
                                            "modvirt-qemud.conf)", in_dir(dir, "sh.img"));
}
END_TEST

/* ---- at start: the nvram store made from its template (nvram.c) ---- */

static struct mv_dom_def *parse_os(const char *os)
{
    _cleanup_free_ char *xml = NULL;
    _cleanup_free_ char *msg = NULL;
    struct mv_dom_def *def = NULL;
    int code = 0;

    ck_assert_int_ge(asprintf(&xml, "<domain type='qemu'><name>pp</name><uuid>" UUID "</uuid>"
                                    "<memory unit='MiB'>64</memory><vcpu>1</vcpu>"
                                    "<os><type arch='x86_64'>hvm</type>%s</os><devices/></domain>", os), 0);
    ck_assert_msg(mv_dom_def_parse(xml, 0, &def, &code, &msg) == 0, "parse: %s", msg);
    return def;
}

/* mv_nvram_prepare() for a store NVRAM from TEMPLATE: 0, or <0 with *MSG. */
static int prepare_nvram(const char *nvram, const char *template, char **msg)
{
    _cleanup_free_ char *os = NULL;
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    int code = 0, r;

    ck_assert_int_ge(asprintf(&os, "<loader readonly='yes' type='pflash'>%s</loader><nvram template='%s'>%s</nvram>",
                              in_dir(dir, "CODE.fd"), template, nvram), 0);
    def = parse_os(os);
    *msg = NULL;
    r = mv_nvram_prepare(def, &code, msg);
    if (r < 0)
        ck_assert_int_ne(code, 0);
    return r;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");

    ck_assert_msg(f, "%s: %s", path, strerror(errno));
    fputs(text, f);
    fclose(f);
}

START_TEST(test_nvram_at_start)
{
    _cleanup_free_ char *text = NULL;
    char *msg = NULL, *data = NULL;
    size_t len = 0;
    struct stat st;

    write_file(in_dir(dir, "CODE.fd"), "code");
    write_file(in_dir(dir, "VARS.fd"), "template");
    ck_assert_int_eq(mkdir(in_dir(dir, "denied"), 0755), 0);
    ck_assert_int_ge(asprintf(&text, "path_denylist = [ \"%s/denied/\" ]\n", dir), 0);
    ck_assert_int_eq(configure_text(text, &msg), 0);
    /* the plain case: copied, 0600, directories made */
    ck_assert_int_eq(prepare_nvram(in_dir(dir, "s/pp_VARS.fd"), in_dir(dir, "VARS.fd"), &msg), 0);
    ck_assert_int_eq(mv_file_read_all(in_dir(dir, "s/pp_VARS.fd"), 1024, &data, &len), 0);
    ck_assert_str_eq(data, "template");
    free(data);
    ck_assert_int_eq(stat(in_dir(dir, "s/pp_VARS.fd"), &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    /* a template swapped for a link to /etc/shadow after define: never read */
    ck_assert_int_eq(symlink("/etc/shadow", in_dir(dir, "T.fd")), 0);
    ck_assert_int_lt(prepare_nvram(in_dir(dir, "a_VARS.fd"), in_dir(dir, "T.fd"), &msg), 0);
    ck_assert_str_eq(msg, PREFIX "nvram template of domain 'pp': '/etc/shadow' is on the path denylist " DENY_NOTE);
    free(msg);
    ck_assert_int_eq(access(in_dir(dir, "a_VARS.fd"), F_OK), -1);
    /* a FIFO is not read (it would block the start) */
    ck_assert_int_eq(mkfifo(in_dir(dir, "fifo"), 0600), 0);
    ck_assert_int_lt(prepare_nvram(in_dir(dir, "b_VARS.fd"), in_dir(dir, "fifo"), &msg), 0);
    ck_assert_msg(strstr(msg, "is not a regular file"), "%s", msg);
    free(msg);
    /* the store's directory is a link into a denied tree */
    ck_assert_int_eq(symlink(in_dir(dir, "denied"), in_dir(dir, "via")), 0);
    ck_assert_int_lt(prepare_nvram(in_dir(dir, "via/c_VARS.fd"), in_dir(dir, "VARS.fd"), &msg), 0);
    ck_assert_msg(strstr(msg, PREFIX "nvram of domain 'pp': '") && strstr(msg, "/denied/c_VARS.fd' is under '"),
                  "%s", msg);
    free(msg);
    ck_assert_int_eq(access(in_dir(dir, "denied/c_VARS.fd"), F_OK), -1);
    /* the store's name is a dangling link: not followed, not replaced */
    ck_assert_int_eq(symlink(in_dir(dir, "elsewhere"), in_dir(dir, "d_VARS.fd")), 0);
    ck_assert_int_lt(prepare_nvram(in_dir(dir, "d_VARS.fd"), in_dir(dir, "VARS.fd"), &msg), 0);
    ck_assert_msg(strstr(msg, "cannot create nvram") && strstr(msg, "File exists"), "%s", msg);
    free(msg);
    ck_assert_int_eq(access(in_dir(dir, "elsewhere"), F_OK), -1);
    ck_assert_int_eq(lstat(in_dir(dir, "d_VARS.fd"), &st), 0);
    ck_assert(S_ISLNK(st.st_mode));
}
END_TEST

/* ---- programs the daemon runs as root ---- */

static int check_emulator(const char *path, struct mv_err *err)
{
    _cleanup_free_ char *devs = NULL;

    ck_assert_int_ge(asprintf(&devs, "<emulator>%s</emulator>", path), 0);
    return check_xml("", devs, err);
}

static void script(const char *path, mode_t mode)
{
    write_file(path, "#!/bin/sh\n");
    ck_assert_int_eq(chmod(path, mode), 0);
}

START_TEST(test_exec)
{
    _cleanup_free_ char *fs = NULL;
    struct mv_err err = { 0 };

    if (geteuid() != 0)
        return;     /* the files made here must be root's */
    ck_assert_int_eq(check_emulator("/usr/bin/qemu-system-x86_64", &err), 0);
    /* the test's own 0700 directory in sticky /tmp: as qemud-domain-start-killed.sh's wrapper */
    script(in_dir(dir, "emu"), 0755);
    ck_assert_int_eq(check_emulator(in_dir(dir, "emu"), &err), 0);
    ck_assert_int_eq(check_emulator(in_dir(dir, "not-yet"), &err), 0);     /* only root can make it */
    script(in_dir(dir, "open"), 0777);
    ck_assert_int_lt(check_emulator(in_dir(dir, "open"), &err), 0);
    msg_eq(&err, PREFIX "emulator of domain 'pp': '%s' is writable by group or others (a program the daemon runs as "
                        "root must be changeable by root alone)", in_dir(dir, "open"));
    /* a 0777 directory, not sticky: anyone can replace what it holds */
    ck_assert_int_eq(mkdir(in_dir(dir, "pub"), 0755), 0);
    ck_assert_int_eq(chmod(in_dir(dir, "pub"), 0777), 0);
    script(in_dir(dir, "pub/emu"), 0755);
    ck_assert_int_lt(check_emulator(in_dir(dir, "pub/emu"), &err), 0);
    msg_eq(&err, PREFIX "emulator of domain 'pp': '%s' is in '%s', a directory writable by group or others (a "
                        "program the daemon runs as root must be changeable by root alone)", in_dir(dir, "pub/emu"),
           in_dir(dir, "pub"));
    /* a link there to a trusted program can be repointed */
    ck_assert_int_eq(symlink("/usr/bin/qemu-system-x86_64", in_dir(dir, "pub/qemu")), 0);
    ck_assert_int_lt(check_emulator(in_dir(dir, "pub/qemu"), &err), 0);
    ck_assert_msg(strstr(err.message, "a directory writable by group or others"), "%s", err.message);
    mv_err_clear(&err);
    /* sticky: what it holds must be root's */
    ck_assert_int_eq(mkdir(in_dir(dir, "sticky"), 0755), 0);
    ck_assert_int_eq(chmod(in_dir(dir, "sticky"), 01777), 0);
    script(in_dir(dir, "sticky/emu"), 0755);
    ck_assert_int_eq(check_emulator(in_dir(dir, "sticky/emu"), &err), 0);
    ck_assert_int_lt(check_emulator(in_dir(dir, "sticky/none"), &err), 0);
    msg_eq(&err, PREFIX "emulator of domain 'pp': '%s' does not exist, and '%s' lets others than root create it (a "
                        "program the daemon runs as root must be changeable by root alone)",
           in_dir(dir, "sticky/none"), in_dir(dir, "sticky"));
    ck_assert_int_eq(chown(in_dir(dir, "sticky/emu"), 1000, 1000), 0);
    ck_assert_int_lt(check_emulator(in_dir(dir, "sticky/emu"), &err), 0);
    msg_eq(&err, PREFIX "emulator of domain 'pp': '%s' is owned by uid 1000, not root (a program the daemon runs as "
                        "root must be changeable by root alone)", in_dir(dir, "sticky/emu"));
    /* virtiofsd runs as root, unconfined */
    ck_assert_int_ge(asprintf(&fs, "<filesystem type='mount'><driver type='virtiofs'/><binary path='%s'/>"
                                   "<source dir='%s'/><target dir='t'/></filesystem>",
                              in_dir(dir, "pub/emu"), in_dir(dir, "share")), 0);
    ck_assert_int_lt(check_xml("", fs, &err), 0);
    msg_eq(&err, PREFIX "filesystem 't' binary of domain 'pp': '%s' is in '%s', a directory writable by group or "
                        "others (a program the daemon runs as root must be changeable by root alone)",
           in_dir(dir, "pub/emu"), in_dir(dir, "pub"));
}
END_TEST

/* ---- path_denylist ---- */

static int configure_text(const char *text, char **msg)
{
    _cleanup_(mv_conf_freep) mv_conf *conf = NULL;

    ck_assert_int_eq(mv_conf_parse(text, strlen(text), "test.conf", &conf, msg), 0);
    return qemud_path_policy_configure(conf, &paths, msg);
}

START_TEST(test_custom_denylist)
{
    _cleanup_free_ char *text = NULL;
    char *msg = NULL;

    ck_assert_int_ge(asprintf(&text, "path_denylist = [ \"%s/secret.img\", \"%s/tree/\", \"/etc/shadow\" ]\n", dir,
                              dir), 0);
    ck_assert_int_eq(configure_text(text, &msg), 0);
    disk_refused(in_dir(dir, "secret.img"), PREFIX "disk 'vda' of domain 'pp': '%s' is on the path denylist " DENY_NOTE,
                 in_dir(dir, "secret.img"));
    disk_accepted(in_dir(dir, "secret.img2"));
    disk_refused(in_dir(dir, "tree/a/b.img"), PREFIX "disk 'vda' of domain 'pp': '%s' is under '%s' on the path "
                                              "denylist " DENY_NOTE, in_dir(dir, "tree/a/b.img"), in_dir(dir, "tree/"));
    disk_accepted(in_dir(dir, "treehouse.img"));
    disk_refused("/etc/shadow", PREFIX "disk 'vda' of domain 'pp': '/etc/shadow' is on the path denylist " DENY_NOTE);
    /* the list adds to the defaults: leaving one out does not drop it */
    disk_refused("/root/x.img", PREFIX "disk 'vda' of domain 'pp': '/root/x.img' is under '/root/' on the path "
                                "denylist " DENY_NOTE);
    disk_refused("/etc/passwd", PREFIX "disk 'vda' of domain 'pp': '/etc/passwd' is under '/etc/' on the path "
                                "denylist " DENY_NOTE);
    /* /proc, /sys, character devices and the defaults stay refused whatever the list */
    ck_assert_int_eq(configure_text("path_denylist = [ ]\n", &msg), 0);
    disk_refused("/proc/1/mem", PREFIX "disk 'vda' of domain 'pp': '/proc/1/mem' is under /proc: files under /proc "
                                "and /sys are never given to a guest");
    disk_refused("/dev/zero", PREFIX "disk 'vda' of domain 'pp': '/dev/zero' is a character device, which a guest "
                              "never gets as a disk, kernel or file");
    disk_refused("/etc/shadow", PREFIX "disk 'vda' of domain 'pp': '/etc/shadow' is on the path denylist " DENY_NOTE);
    disk_accepted(in_dir(dir, "secret.img"));
}
END_TEST

START_TEST(test_bad_denylist)
{
    char *msg = NULL;

    ck_assert_int_eq(configure_text("path_denylist = [ \"/ok\", \"relative/x\" ]\n", &msg), -EINVAL);
    ck_assert_str_eq(msg, "path_denylist: 'relative/x' is not an absolute path");
    free(msg);
    msg = NULL;
    ck_assert_int_eq(configure_text("path_denylist = [ \"/a/../etc\" ]\n", &msg), -EINVAL);
    ck_assert_str_eq(msg, "path_denylist: '/a/../etc' has a '..' component");
    free(msg);
    msg = NULL;
    ck_assert_int_eq(configure_text("path_denylist = \"/etc/shadow\"\n", &msg), -EINVAL);
    ck_assert_str_eq(msg, "test.conf:1: path_denylist: expected a list, not a string");
    free(msg);
    msg = NULL;
    /* a failed configuration keeps the one before (the defaults) */
    disk_refused("/etc/gshadow", PREFIX "disk 'vda' of domain 'pp': '/etc/gshadow' is on the path denylist " DENY_NOTE);
}
END_TEST

/* A symlink swapped in after define is what start sees through check(). */
START_TEST(test_check_at_start)
{
    struct mv_err err = { 0 };
    struct stat st;

    touch(in_dir(dir, "ok.img"));
    ck_assert_int_eq(stat(in_dir(dir, "ok.img"), &st), 0);
    ck_assert_int_eq(qemud_path_policy_check("pp", "disk 'vda'", in_dir(dir, "ok.img"), &st, &err), 0);
    ck_assert_int_eq(stat("/etc/shadow", &st), 0);
    ck_assert_int_lt(qemud_path_policy_check("pp", "disk 'vda'", "/etc/shadow", &st, &err), 0);
    ck_assert_int_eq(err.code, MV_ERR_CONFIG_UNSUPPORTED);
    ck_assert_str_eq(err.message, PREFIX "disk 'vda' of domain 'pp': '/etc/shadow' is on the path denylist " DENY_NOTE);
    mv_err_clear(&err);
    ck_assert_int_eq(stat("/dev/zero", &st), 0);
    ck_assert_int_lt(qemud_path_policy_check("pp", "kernel", "/dev/zero", &st, &err), 0);
    ck_assert_str_eq(err.message, PREFIX "kernel of domain 'pp': '/dev/zero' is a character device, which a guest "
                                  "never gets as a disk, kernel or file");
    mv_err_clear(&err);
}
END_TEST

static Suite *policy_suite(void)
{
    Suite *s = suite_create("qemud_path_policy");
    TCase *tc = tcase_create("policy");

    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_default_host_files);
    tcase_add_test(tc, test_default_daemon_dirs);
    tcase_add_test(tc, test_default_entry_behind_link);
    tcase_add_test(tc, test_dotdot_and_slashes);
    tcase_add_test(tc, test_check_relative);
    tcase_add_test(tc, test_proc_sys);
    tcase_add_test(tc, test_symlinks);
    tcase_add_test(tc, test_dangling_link);
    tcase_add_test(tc, test_link_loop);
    tcase_add_test(tc, test_chardevs);
    tcase_add_test(tc, test_rng_and_tpm);
    tcase_add_test(tc, test_directories);
    tcase_add_test(tc, test_sockets);
    tcase_add_test(tc, test_nvram);
    tcase_add_test(tc, test_default_system_trees);
    tcase_add_test(tc, test_hardlink);
    tcase_add_test(tc, test_nvram_at_start);
    tcase_add_test(tc, test_exec);
    tcase_add_test(tc, test_custom_denylist);
    tcase_add_test(tc, test_bad_denylist);
    tcase_add_test(tc, test_check_at_start);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(policy_suite());
    int n;

    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    return n ? 1 : 0;
}
