/*
 * guest_files.c, guest_acl.c and image_chain.c on real files: real ACLs on
 * the temp dir's filesystem, qcow2 chains made by the real qemu-img, and a
 * child that takes a guest's uid to show a grant opens exactly the granted
 * file.  Runs as root (the daemon does).  Every "restored" is compared
 * with what stat and the ACL said before, not with what the code thinks.
 * The path policy is the real one (guest_path_policy.c, default denylist).
 */
#include <acl/libacl.h>
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "domain_monitor.h"
#include "guest_files.h"
#include "guest_path_policy.h"
#include "image_chain.h"
#include "testutil.h"
#include "xml.h"

/* guest uids, of the default guest_uid_range (revoke tells a guest's entry
 * from a local user's by it): only ACL qualifiers on this test's own files */
#define UID_A 2147000001u
#define UID_B 2147000002u
#define UID_LOCAL 1000u

static char root[128];

/* display_ports.c (linked for the policy's qemud_is_daemon_socket) talks
 * to a monitor only after a start, which this test never makes. */
int qemud_monitor_command(struct qemud_dom *dom, const char *cmd, json_object *args, json_object **reply,
                          struct mv_err *err)
{
    (void)dom, (void)cmd, (void)reply;
    json_object_put(args);
    return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU, "no monitor in this test");
}

static void setup(void)
{
    mv_test_mkdtemp(root, sizeof(root), "mv-guestfiles");
    /* a guest's uid must get through to the files (the namespace binds them) */
    ck_assert_int_eq(chmod(root, 0711), 0);
}

static void teardown(void)
{
    mv_test_rmtree(root);
}

/* ROOT/NAME, in one of 64 buffers used in turn (enough for any one test) */
static char *at(const char *name)
{
    static char buf[64][512];
    static int i;
    char *p = buf[i++ % 64];

    snprintf(p, 512, "%s/%s", root, name);
    return p;
}

static void make_file(const char *path, mode_t mode)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);

    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(write(fd, "data", 4), 4);
    close(fd);
    ck_assert_int_eq(chmod(path, mode), 0);
}

/* What anyone can see of PATH's access control: mode, owner, ACL text. */
static char *snap(const char *path)
{
    struct stat st;
    acl_t a;
    char *text, *out;

    ck_assert_int_eq(stat(path, &st), 0);
    a = acl_get_file(path, ACL_TYPE_ACCESS);
    ck_assert_ptr_nonnull(a);
    text = acl_to_any_text(a, NULL, ',', 0);
    ck_assert_int_ge(asprintf(&out, "%o %u:%u ext=%d %s", (unsigned int)st.st_mode, (unsigned int)st.st_uid,
                              (unsigned int)st.st_gid, acl_extended_file(path), text), 0);
    acl_free(text);
    acl_free(a);
    return out;
}

static void set_acl(const char *path, const char *text)
{
    acl_t a = acl_from_text(text);

    ck_assert_ptr_nonnull(a);
    ck_assert_int_eq(acl_set_file(path, ACL_TYPE_ACCESS, a), 0);
    acl_free(a);
}

static bool acl_has(const char *path, const char *entry)
{
    acl_t a = acl_get_file(path, ACL_TYPE_ACCESS);
    char *text = acl_to_any_text(a, NULL, ',', TEXT_NUMERIC_IDS);
    bool r = strstr(text, entry) != NULL;

    acl_free(text);
    acl_free(a);
    return r;
}

/* A definition with these disks (and nothing else). */
struct testdef {
    struct mv_dom_def def;
    struct mv_dom_disk disks[4];
};

static void add_disk(struct testdef *t, const char *src, bool ro, enum mv_dom_disk_format format)
{
    struct mv_dom_disk *d = &t->disks[t->def.devices.ndisks++];

    d->type = MV_DOM_DISK_FILE;
    d->source = (char *)src;
    d->readonly = ro;
    d->format = format;
    d->target = (char *)"vda";
    t->def.devices.disks = t->disks;
}

static struct qemud_isolation iso_for(uid_t uid)
{
    return (struct qemud_isolation){ .id = { .set = true, .uid = uid, .gid = uid } };
}

/* Collects and grants ONE disk for UID into *ISO. */
static void grant_disk(struct qemud_isolation *iso, const char *path, bool ro)
{
    struct testdef t = { 0 };
    struct mv_err err = { 0 };

    add_disk(&t, path, ro, MV_DOM_DISK_FORMAT_RAW);
    ck_assert_msg(qemud_guest_files_collect("vm", &t.def, iso, &err) == 0, "%s", err.message);
    ck_assert_msg(qemud_guest_files_grant("vm", iso, &err) == 0, "%s", err.message);
}

START_TEST(test_grant_revoke_exact)
{
    const char *f = at("disk.img");
    struct qemud_isolation iso = iso_for(UID_A);
    char *before, *after;

    make_file(f, 0640);
    before = snap(f);
    grant_disk(&iso, f, false);
    ck_assert_uint_eq(iso.ngrants, 1);
    ck_assert_str_eq(iso.grants[0].path, f);
    ck_assert_int_eq(iso.grants[0].access, QEMUD_GRANT_WRITE);
    ck_assert(iso.grants[0].acl);
    ck_assert(!iso.grants[0].device);
    ck_assert_int_eq(iso.grants[0].mode, 0640);
    ck_assert_int_eq(iso.grants[0].mask, -1);
    ck_assert_int_ge(iso.grants[0].fd, 0);
    ck_assert_ptr_null(iso.grants[0].written);
    ck_assert_int_eq(acl_extended_file(f), 1);
    ck_assert(acl_has(f, "user:2147000001:rw-"));
    /* granting again (a retried start) changes nothing more */
    ck_assert_int_eq(qemud_guest_files_grant("vm", &iso, &(struct mv_err){ 0 }), 0);

    qemud_guest_files_revoke("vm", &iso);
    after = snap(f);
    ck_assert_str_eq(after, before);
    ck_assert_int_eq(acl_extended_file(f), 0);
    free(after);
    /* twice (a crash after the first) is fine and changes nothing */
    qemud_guest_files_revoke("vm", &iso);
    after = snap(f);
    ck_assert_str_eq(after, before);
    free(after);
    free(before);
    qemud_isolation_clear(&iso);
    ck_assert_uint_eq(iso.ngrants, 0);
}
END_TEST

/* An ACL the owner set stays exactly, even one whose mask limits a wider
 * entry (the grant widens the mask for a while). */
START_TEST(test_existing_acl_kept)
{
    const char *f = at("shared.img");
    struct qemud_isolation iso = iso_for(UID_A);
    char *before, *after;

    make_file(f, 0640);
    set_acl(f, "u::rw-,u:1000:rwx,g::r--,m::r--,o::---");
    before = snap(f);
    grant_disk(&iso, f, false);
    ck_assert_int_eq(iso.grants[0].mask, 4);
    ck_assert(acl_has(f, "user:2147000001:rw-"));
    ck_assert(acl_has(f, "mask::rw-"));
    qemud_guest_files_revoke("vm", &iso);
    after = snap(f);
    ck_assert_str_eq(after, before);
    free(after);
    free(before);
    qemud_isolation_clear(&iso);
}
END_TEST

/* 0 if UID (no groups) can open PATH with FLAGS, else the errno. */
static int open_as(uid_t uid, const char *path, int flags)
{
    pid_t pid = fork();
    int status;

    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        int fd;

        if (setgroups(0, NULL) < 0 || setresgid(uid, uid, uid) < 0 || setresuid(uid, uid, uid) < 0)
            _exit(100);
        fd = open(path, flags | O_CLOEXEC);
        _exit(fd >= 0 ? 0 : errno);
    }
    ck_assert_int_eq(waitpid(pid, &status, 0), pid);
    ck_assert(WIFEXITED(status));
    ck_assert_int_ne(WEXITSTATUS(status), 100);
    return WEXITSTATUS(status);
}

START_TEST(test_grant_effective)
{
    const char *f = at("granted.img"), *sib = at("sibling.img");
    struct qemud_isolation iso = iso_for(UID_A);

    make_file(f, 0600);
    make_file(sib, 0600);
    ck_assert_int_eq(open_as(UID_A, f, O_RDWR), EACCES);
    grant_disk(&iso, f, false);
    ck_assert_int_eq(open_as(UID_A, f, O_RDWR), 0);
    ck_assert_int_eq(open_as(UID_A, sib, O_RDONLY), EACCES);
    ck_assert_int_eq(open_as(UID_B, f, O_RDONLY), EACCES);
    qemud_guest_files_revoke("vm", &iso);
    ck_assert_int_eq(open_as(UID_A, f, O_RDONLY), EACCES);
    qemud_isolation_clear(&iso);
}
END_TEST

/* Two guests read one image; either may stop first, the other keeps its
 * access, and after both the file is as before. */
START_TEST(test_shared_read)
{
    for (int first = 0; first < 2; first++) {
        const char *f = at(first ? "base-b.img" : "base-a.img");
        struct qemud_isolation a = iso_for(UID_A), b = iso_for(UID_B);
        struct qemud_isolation *stop1 = first ? &b : &a, *stop2 = first ? &a : &b;
        uid_t keeps = first ? UID_A : UID_B, gone = first ? UID_B : UID_A;
        char *before, *after;

        make_file(f, 0600);
        before = snap(f);
        grant_disk(&a, f, true);
        grant_disk(&b, f, true);
        ck_assert_int_eq(a.grants[0].access, QEMUD_GRANT_READ);
        ck_assert_int_eq(open_as(UID_A, f, O_RDONLY), 0);
        ck_assert_int_eq(open_as(UID_B, f, O_RDONLY), 0);
        ck_assert_int_eq(open_as(UID_B, f, O_RDWR), EACCES);
        qemud_guest_files_revoke("vm", stop1);
        ck_assert_int_eq(open_as(keeps, f, O_RDONLY), 0);
        ck_assert_int_eq(open_as(gone, f, O_RDONLY), EACCES);
        qemud_guest_files_revoke("vm", stop2);
        after = snap(f);
        ck_assert_str_eq(after, before);
        free(after);
        free(before);
        qemud_isolation_clear(&a);
        qemud_isolation_clear(&b);
    }
}
END_TEST

/* A local user's entry limited by the mask (M1): a guest's grant widens
 * the mask for the run, revoke narrows it back, the local user never keeps
 * what the guest needed. */
START_TEST(test_limited_entry_stays_limited)
{
    const char *f = at("limited.img");
    struct qemud_isolation iso = iso_for(UID_A);
    struct stat st;
    char *before, *after;

    make_file(f, 0640);
    set_acl(f, "u::rw-,u:1000:rw-,g::r--,m::r--,o::---");
    before = snap(f);
    grant_disk(&iso, f, false);
    ck_assert_int_eq(open_as(UID_A, f, O_RDWR), 0);
    qemud_guest_files_revoke("vm", &iso);
    ck_assert(acl_has(f, "mask::r--"));
    ck_assert_int_eq(stat(f, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0640);
    ck_assert_int_eq(open_as(UID_LOCAL, f, O_RDWR), EACCES);
    after = snap(f);
    ck_assert_str_eq(after, before);
    free(after);
    free(before);
    qemud_isolation_clear(&iso);
}
END_TEST

/* The owner's chmod during the run (M2) is not undone by revoke. */
START_TEST(test_owner_chmod_stays)
{
    const char *f = at("chmod.img"), *g = at("chmod-acl.img");
    struct qemud_isolation iso = iso_for(UID_A);
    struct stat st;

    make_file(f, 0644);
    grant_disk(&iso, f, false);
    ck_assert_int_eq(chmod(f, 0600), 0);
    qemud_guest_files_revoke("vm", &iso);
    ck_assert_int_eq(stat(f, &st), 0);
    ck_assert_int_eq(st.st_mode & 07777, 0600);
    ck_assert_int_eq(acl_extended_file(f), 0);
    qemud_isolation_clear(&iso);

    /* with a local user's entry kept: other and group narrowed too */
    make_file(g, 0644);
    set_acl(g, "u::rw-,u:1000:r--,g::r--,m::r--,o::r--");
    grant_disk(&iso, g, false);
    ck_assert_int_eq(chmod(g, 0600), 0);
    qemud_guest_files_revoke("vm", &iso);
    ck_assert(acl_has(g, "user:1000:r--"));
    ck_assert(acl_has(g, "mask::---"));
    ck_assert(acl_has(g, "other::---"));
    ck_assert_int_eq(open_as(UID_LOCAL, g, O_RDONLY), EACCES);
    qemud_isolation_clear(&iso);
}
END_TEST

/* Two guests write one shared image (a local user's entry beside them):
 * either may stop first, the other keeps rw, and after both the file is as
 * before.  (A local entry LIMITED by the mask, rw- under r--, gets back
 * under the mask only when the guest that granted first stops last: the
 * second one's recorded mask already holds the first's widening.) */
START_TEST(test_shared_write)
{
    for (int first = 0; first < 2; first++) {
        const char *f = at(first ? "shw-b.img" : "shw-a.img");
        struct qemud_isolation a = iso_for(UID_A), b = iso_for(UID_B);
        struct qemud_isolation *stop1 = first ? &b : &a, *stop2 = first ? &a : &b;
        uid_t keeps = first ? UID_A : UID_B, gone = first ? UID_B : UID_A;
        char *before, *after;

        make_file(f, 0640);
        set_acl(f, "u::rw-,u:1000:r--,g::r--,m::r--,o::---");
        before = snap(f);
        grant_disk(&a, f, false);
        grant_disk(&b, f, false);
        qemud_guest_files_revoke("vm", stop1);
        ck_assert_int_eq(open_as(keeps, f, O_RDWR), 0);
        ck_assert_int_eq(open_as(gone, f, O_RDONLY), EACCES);
        ck_assert_int_eq(open_as(UID_LOCAL, f, O_RDWR), EACCES);
        qemud_guest_files_revoke("vm", stop2);
        after = snap(f);
        ck_assert_str_eq(after, before);
        free(after);
        free(before);
        qemud_isolation_clear(&a);
        qemud_isolation_clear(&b);
    }
}
END_TEST

START_TEST(test_world_readable_needs_no_acl)
{
    const char *f = at("iso.img");
    struct qemud_isolation iso = iso_for(UID_A);
    char *before = NULL, *after;

    make_file(f, 0644);
    before = snap(f);
    grant_disk(&iso, f, true);
    ck_assert(!iso.grants[0].acl);
    ck_assert_int_ge(iso.grants[0].fd, 0);
    after = snap(f);
    ck_assert_str_eq(after, before);
    free(after);
    free(before);
    qemud_guest_files_revoke("vm", &iso);
    qemud_isolation_clear(&iso);
}
END_TEST

START_TEST(test_revoke_deleted)
{
    const char *f = at("gone.img");
    struct qemud_isolation iso = iso_for(UID_A);

    make_file(f, 0600);
    grant_disk(&iso, f, false);
    ck_assert_int_eq(unlink(f), 0);
    qemud_guest_files_revoke("vm", &iso);
    /* a new file at the path is not touched */
    make_file(f, 0600);
    qemud_guest_files_revoke("vm", &iso);
    ck_assert_int_eq(acl_extended_file(f), 0);
    qemud_isolation_clear(&iso);
}
END_TEST

START_TEST(test_symlink_resolved)
{
    const char *target = at("real.img"), *link = at("link.img");
    struct qemud_isolation iso = iso_for(UID_A);

    make_file(target, 0600);
    ck_assert_int_eq(symlink("real.img", link), 0);
    grant_disk(&iso, link, false);
    ck_assert_str_eq(iso.grants[0].path, target);
    /* QEMU is given the path as written: the coordinator binds both */
    ck_assert_ptr_nonnull(iso.grants[0].written);
    ck_assert_str_eq(iso.grants[0].written, link);
    ck_assert(acl_has(target, "user:2147000001:rw-"));
    qemud_guest_files_revoke("vm", &iso);
    ck_assert_int_eq(acl_extended_file(target), 0);
    qemud_isolation_clear(&iso);
}
END_TEST

/* Collect's error for a disk at PATH (malloc'd), nothing collected. */
static char *collect_error(const char *path)
{
    struct testdef t = { 0 };
    struct mv_err err = { 0 };
    struct qemud_isolation iso = iso_for(UID_A);

    add_disk(&t, path, false, MV_DOM_DISK_FORMAT_RAW);
    ck_assert_int_lt(qemud_guest_files_collect("vm", &t.def, &iso, &err), 0);
    ck_assert_ptr_nonnull(err.message);
    qemud_isolation_clear(&iso);
    return err.message;
}

START_TEST(test_refused)
{
    const char *link = at("innocent.img");
    char *msg;

    ck_assert_int_eq(symlink("/etc/shadow", link), 0);
    msg = collect_error(link);
    ck_assert_msg(strstr(msg, "'/etc/shadow'") && strstr(msg, "denylist"), "%s", msg);
    free(msg);
    msg = collect_error("/dev/zero");
    ck_assert_msg(strstr(msg, "/dev/zero") && strstr(msg, "character device"), "%s", msg);
    free(msg);
    msg = collect_error(at("missing.img"));
    ck_assert_msg(strstr(msg, "cannot open disk 'vda'") && strstr(msg, "No such file"), "%s", msg);
    free(msg);
}
END_TEST

START_TEST(test_chardevs)
{
    struct mv_dom_def def = { 0 };
    struct mv_dom_chr chr[3] = {
        { .type = MV_DOM_CHR_FILE, .path = at("serial.log") },
        { .type = MV_DOM_CHR_UNIX, .path = at("sock/agent.sock"), .unix_listen = true },
        { .type = MV_DOM_CHR_PTY, .log_file = at("console.log") },
    };
    struct qemud_isolation iso = iso_for(UID_A);
    struct mv_err err = { 0 };
    struct stat st;

    ck_assert_int_eq(mkdir(at("sock"), 0700), 0);
    def.devices.serials = chr;
    def.devices.nserials = 3;
    ck_assert_msg(qemud_guest_files_collect("vm", &def, &iso, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(iso.ngrants, 3);
    ck_assert_int_eq(stat(at("serial.log"), &st), 0);
    ck_assert(S_ISREG(st.st_mode) && st.st_uid == 0 && (st.st_mode & 07777) == 0600);
    ck_assert_str_eq(iso.grants[0].path, at("serial.log"));
    ck_assert_int_eq(iso.grants[0].access, QEMUD_GRANT_WRITE);
    ck_assert_str_eq(iso.grants[1].path, at("sock"));
    ck_assert_int_eq(iso.grants[1].access, QEMUD_GRANT_DIR);
    ck_assert_str_eq(iso.grants[2].path, at("console.log"));
    ck_assert_msg(qemud_guest_files_grant("vm", &iso, &err) == 0, "%s", err.message);
    ck_assert(acl_has(at("sock"), "user:2147000001:rwx"));
    qemud_guest_files_revoke("vm", &iso);
    ck_assert_int_eq(acl_extended_file(at("sock")), 0);
    qemud_isolation_clear(&iso);

    /* the guest's own directory (its private one) needs no grant */
    ck_assert_int_eq(chown(at("sock"), UID_A, UID_A), 0);
    def.devices.nserials = 2;
    ck_assert_msg(qemud_guest_files_collect("vm", &def, &iso, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(iso.ngrants, 1);
    qemud_isolation_clear(&iso);
}
END_TEST

/* Device nodes QEMU opens itself get an ACL entry like files (M8): an RNG
 * backend other than /dev/random and /dev/urandom (a node of /dev/hwrng's
 * 10:183 here, 0600 root as udev makes it), read-only; a character device
 * that is no random source is refused; a read-only 9p share gets r-x. */
START_TEST(test_device_nodes_and_ro_share)
{
    struct mv_dom_def def = { 0 };
    struct mv_dom_rng rng[2] = { { .backend = (char *)"/dev/urandom" }, { .backend = at("hwrng") } };
    struct mv_dom_fs fs = { .driver = MV_DOM_FS_DRIVER_PATH, .source_dir = at("share"), .target = (char *)"tag",
                            .readonly = true };
    struct qemud_isolation iso = iso_for(UID_A);
    struct mv_err err = { 0 };

    ck_assert_int_eq(mknod(at("hwrng"), S_IFCHR | 0600, makedev(10, 183)), 0);
    ck_assert_int_eq(mkdir(at("share"), 0700), 0);
    def.devices.rngs = rng;
    def.devices.nrngs = 2;
    def.devices.filesystems = &fs;
    def.devices.nfilesystems = 1;
    ck_assert_msg(qemud_guest_files_collect("vm", &def, &iso, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(iso.ngrants, 2);
    ck_assert_str_eq(iso.grants[0].path, at("share"));
    ck_assert_int_eq(iso.grants[0].access, QEMUD_GRANT_DIR_READ);
    ck_assert_str_eq(iso.grants[1].path, at("hwrng"));
    ck_assert_int_eq(iso.grants[1].access, QEMUD_GRANT_READ);
    ck_assert(iso.grants[1].device && iso.grants[1].acl);
    ck_assert_msg(qemud_guest_files_grant("vm", &iso, &err) == 0, "%s", err.message);
    ck_assert(acl_has(at("share"), "user:2147000001:r-x"));
    ck_assert(acl_has(at("hwrng"), "user:2147000001:r--"));
    ck_assert_int_eq(open_as(UID_A, at("share"), O_RDONLY | O_DIRECTORY), 0);
    qemud_guest_files_revoke("vm", &iso);
    ck_assert_int_eq(acl_extended_file(at("share")), 0);
    ck_assert_int_eq(acl_extended_file(at("hwrng")), 0);
    qemud_isolation_clear(&iso);

    rng[1].backend = (char *)"/dev/zero";
    ck_assert_int_lt(qemud_guest_files_collect("vm", &def, &iso, &err), 0);
    ck_assert_msg(strstr(err.message, "/dev/zero") && strstr(err.message, "other than /dev/random"), "%s",
                  err.message);
    free(err.message);
    qemud_isolation_clear(&iso);
}
END_TEST

static void qemu_img(const char *args)
{
    char *cmd;

    ck_assert_int_ge(asprintf(&cmd, "cd '%s' && qemu-img create -q %s >/dev/null 2>&1", root, args), 0);
    ck_assert_msg(system(cmd) == 0, "%s", cmd);
    free(cmd);
}

START_TEST(test_backing_chain)
{
    _cleanup_free_ char *args = NULL;
    struct testdef t = { 0 };
    struct qemud_isolation iso = iso_for(UID_A);
    struct mv_err err = { 0 };
    char **chain = NULL, *msg = NULL;

    qemu_img("-f raw raw.img 1M");
    qemu_img("-f qcow2 -b raw.img -F raw base.qcow2 1M");
    qemu_img("-f qcow2 -b base.qcow2 -F qcow2 mid.qcow2 1M");          /* relative */
    ck_assert_int_ge(asprintf(&args, "-f qcow2 -b '%s' -F qcow2 top.qcow2 1M", at("mid.qcow2")), 0);
    qemu_img(args);                                                     /* absolute */

    ck_assert_msg(qemud_image_chain_read("vm", -1, at("top.qcow2"), &chain, &msg) == 0, "%s", msg);
    ck_assert_str_eq(chain[0], at("mid.qcow2"));
    ck_assert_str_eq(chain[1], at("base.qcow2"));
    ck_assert_str_eq(chain[2], at("raw.img"));
    ck_assert_ptr_null(chain[3]);
    mv_strv_free(chain);

    /* a raw disk's content is never read as a header */
    add_disk(&t, at("top.qcow2"), false, MV_DOM_DISK_FORMAT_RAW);
    ck_assert_msg(qemud_guest_files_collect("vm", &t.def, &iso, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(iso.ngrants, 1);
    qemud_isolation_clear(&iso);

    t.disks[0].format = MV_DOM_DISK_FORMAT_QCOW2;
    ck_assert_msg(qemud_guest_files_collect("vm", &t.def, &iso, &err) == 0, "%s", err.message);
    ck_assert_uint_eq(iso.ngrants, 4);
    ck_assert_int_eq(iso.grants[0].access, QEMUD_GRANT_WRITE);
    for (size_t i = 1; i < 4; i++)
        ck_assert_int_eq(iso.grants[i].access, QEMUD_GRANT_READ);
    ck_assert_str_eq(iso.grants[3].path, at("raw.img"));
    qemud_isolation_clear(&iso);
}
END_TEST

static char *chain_error(const char *name)
{
    char **chain = NULL, *msg = NULL;

    ck_assert_int_lt(qemud_image_chain_read("vm", -1, at(name), &chain, &msg), 0);
    ck_assert_ptr_null(chain);
    ck_assert_ptr_nonnull(msg);
    return msg;
}

START_TEST(test_backing_refused)
{
    char *msg;
    char args[128];
    int fd;
    unsigned char h[24];

    /* a loop: b.qcow2 backed by c.qcow2, then c's header rewritten to
     * name b.qcow2 (names of one length) */
    qemu_img("-f qcow2 d.qcow2 1M");
    qemu_img("-f qcow2 -b d.qcow2 -F qcow2 c.qcow2 1M");
    qemu_img("-f qcow2 -b c.qcow2 -F qcow2 b.qcow2 1M");
    fd = open(at("c.qcow2"), O_RDWR | O_CLOEXEC);
    ck_assert_int_ge(fd, 0);
    ck_assert_int_eq(pread(fd, h, sizeof(h), 0), (ssize_t)sizeof(h));
    {
        unsigned long long off = 0;

        for (int i = 8; i < 16; i++)
            off = off << 8 | h[i];
        ck_assert_int_eq(pwrite(fd, "b", 1, (off_t)off), 1);
    }
    close(fd);
    msg = chain_error("b.qcow2");
    ck_assert_msg(strstr(msg, "loops at"), "%s", msg);
    free(msg);

    /* deeper than QEMUD_IMAGE_CHAIN_MAX (unsafe: the names need not exist
     * for qemu-img, the chain is refused before the missing one) */
    for (int i = 0; i <= QEMUD_IMAGE_CHAIN_MAX + 1; i++) {
        snprintf(args, sizeof(args), "-u -f qcow2 -b l%02d.qcow2 -F qcow2 l%02d.qcow2 1M", i + 1, i);
        qemu_img(args);
    }
    msg = chain_error("l00.qcow2");
    ck_assert_msg(strstr(msg, "deeper than 16"), "%s", msg);
    free(msg);

    qemu_img("-u -f qcow2 -b nbd:localhost:10809 -F raw p.qcow2 1M");
    msg = chain_error("p.qcow2");
    ck_assert_msg(strstr(msg, "'nbd:localhost:10809' is not a local file"), "%s", msg);
    free(msg);

    qemu_img("-u -f qcow2 -b gone.qcow2 -F qcow2 m.qcow2 1M");
    msg = chain_error("m.qcow2");
    ck_assert_msg(strstr(msg, "gone.qcow2") && strstr(msg, "No such file"), "%s", msg);
    free(msg);

    qemu_img("-f qcow2 -o data_file=data.raw x.qcow2 1M");
    msg = chain_error("x.qcow2");
    ck_assert_msg(strstr(msg, "external data file"), "%s", msg);
    free(msg);
}
END_TEST

/* A backing file named in a header the user wrote is never opened for
 * reading unless it is a file or block device the policy allows: a FIFO
 * would block the start for good (alarm: a hang fails the test), a
 * character device's open alone can act (/dev/watchdog). */
START_TEST(test_backing_not_a_file)
{
    char *msg;

    alarm(10);
    ck_assert_int_eq(mkfifo(at("fifo"), 0600), 0);
    qemu_img("-u -f qcow2 -b fifo -F raw f.qcow2 1M");
    msg = chain_error("f.qcow2");
    ck_assert_msg(strstr(msg, "f.qcow2") && strstr(msg, "backing file '") && strstr(msg, "fifo'") &&
                  strstr(msg, "a FIFO"), "%s", msg);
    free(msg);

    qemu_img("-u -f qcow2 -b /dev/null -F raw n.qcow2 1M");
    msg = chain_error("n.qcow2");
    ck_assert_msg(strstr(msg, "n.qcow2") && strstr(msg, "'/dev/null' is a character device"), "%s", msg);
    free(msg);

    /* the path policy on what the backing name resolves to */
    ck_assert_int_eq(symlink("/etc/shadow", at("shadow-link")), 0);
    qemu_img("-u -f qcow2 -b shadow-link -F raw s.qcow2 1M");
    msg = chain_error("s.qcow2");
    ck_assert_msg(strstr(msg, "'/etc/shadow'") && strstr(msg, "denylist"), "%s", msg);
    free(msg);
    alarm(0);
}
END_TEST

/* Grants taken while the guest runs: copies appended (no fds), and the
 * newest of a path and access forgotten, the others kept. */
START_TEST(test_append_forget)
{
    struct qemud_grant add[] = {
        { .path = (char *)"/x/a.img", .access = QEMUD_GRANT_WRITE, .fd = 0, .mask = -1 },
        { .path = (char *)"/x/a.img", .access = QEMUD_GRANT_READ, .fd = -1, .mask = -1 },
    };
    struct qemud_isolation new = { .grants = add, .ngrants = 2 };
    struct qemud_isolation run = { 0 };

    ck_assert_int_eq(qemud_isolation_append(&run, &new), 0);
    ck_assert_int_eq(qemud_isolation_append(&run, &new), 0);
    ck_assert_uint_eq(run.ngrants, 4);
    ck_assert_int_eq(run.grants[0].fd, -1);
    ck_assert_ptr_ne(run.grants[0].path, add[0].path);
    qemud_isolation_forget(&run, "/x/a.img", QEMUD_GRANT_READ);
    ck_assert_uint_eq(run.ngrants, 3);
    ck_assert_int_eq(run.grants[2].access, QEMUD_GRANT_WRITE);
    ck_assert_int_eq(run.grants[1].access, QEMUD_GRANT_READ);
    qemud_isolation_forget(&run, "/x/b.img", QEMUD_GRANT_WRITE);
    ck_assert_uint_eq(run.ngrants, 3);
    qemud_isolation_clear(&run);
}
END_TEST

START_TEST(test_status_round_trip)
{
    struct qemud_grant g[2] = {
        { .path = (char *)"/var/lib/img/a b&'.qcow2", .access = QEMUD_GRANT_WRITE, .acl = true, .mode = 0640,
          .mask = -1, .fd = -1 },
        { .path = (char *)"/dev/sdb", .access = QEMUD_GRANT_READ, .device = true, .mode = 04755, .mask = 6,
          .fd = -1 },
    };
    struct qemud_isolation iso = { .id = { .set = true, .uid = 64123, .gid = 64124 }, .grants = g, .ngrants = 2 };
    struct qemud_isolation back;
    _cleanup_xmlwriter_ struct mv_xml_writer w = { 0 };
    _cleanup_free_ char *xml = NULL, *msg = NULL;
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctx = NULL;

    ck_assert_int_eq(mv_xml_writer_open(&w), 0);
    xmlTextWriterStartElement(w.writer, BAD_CAST "domstatus");
    ck_assert_int_eq(qemud_isolation_format(&iso, w.writer), 0);
    ck_assert_int_eq(mv_xml_writer_finish(&w, &xml), 0);
    ck_assert_msg(strstr(xml, "<isolation uid=\"64123\" gid=\"64124\">"), "%s", xml);
    ck_assert_msg(strstr(xml, "access=\"read\" acl=\"no\" device=\"yes\" mode=\"4755\" mask=\"6\""), "%s", xml);
    ck_assert_msg(strstr(xml, "mode=\"0640\" mask=\"-1\""), "%s", xml);
    ck_assert_int_eq(mv_xml_parse(xml, "status", &doc, &msg), 0);
    ck_assert_int_eq(mv_xpath_context_new(doc, &ctx), 0);
    ck_assert_int_eq(qemud_isolation_parse(ctx, &back), 0);
    ck_assert(back.id.set);
    ck_assert_uint_eq(back.id.uid, 64123);
    ck_assert_uint_eq(back.id.gid, 64124);
    ck_assert_uint_eq(back.ngrants, 2);
    for (size_t i = 0; i < 2; i++) {
        ck_assert_str_eq(back.grants[i].path, g[i].path);
        ck_assert_int_eq(back.grants[i].access, g[i].access);
        ck_assert_int_eq(back.grants[i].acl, g[i].acl);
        ck_assert_int_eq(back.grants[i].device, g[i].device);
        ck_assert_int_eq(back.grants[i].mode, g[i].mode);
        ck_assert_int_eq(back.grants[i].mask, g[i].mask);
        ck_assert_int_eq(back.grants[i].fd, -1);
    }
    qemud_isolation_clear(&back);
}
END_TEST

/* Parses DOMSTATUS (a whole document) into *ISO. */
static int parse_text(const char *text, struct qemud_isolation *iso)
{
    _cleanup_free_ char *msg = NULL;
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctx = NULL;

    ck_assert_int_eq(mv_xml_parse(text, "status", &doc, &msg), 0);
    ck_assert_int_eq(mv_xpath_context_new(doc, &ctx), 0);
    return qemud_isolation_parse(ctx, iso);
}

START_TEST(test_status_absent_invalid)
{
    struct qemud_isolation iso;
    static const char *const bad[] = {
        "<domstatus><isolation gid='1'/></domstatus>",
        "<domstatus><isolation uid='-1' gid='1'/></domstatus>",
        "<domstatus><isolation uid='1' gid='1'><grant path='/a' access='exec' acl='yes' device='no' mode='0644' "
        "mask='-1'/></isolation></domstatus>",
        "<domstatus><isolation uid='1' gid='1'><grant path='/a' access='read' acl='yes' device='no' mode='0644' "
        "mask='8'/></isolation></domstatus>",
        "<domstatus><isolation uid='1' gid='1'><grant path='a' access='read' acl='yes' device='no' mode='0644' "
        "mask='4'/></isolation></domstatus>",
        "<domstatus><isolation uid='1' gid='1'><grant path='/a' access='read' acl='yes' device='no' mode='9' "
        "mask='4'/></isolation></domstatus>",
    };

    ck_assert_int_eq(parse_text("<domstatus pid='1'/>", &iso), 0);
    ck_assert(!iso.id.set);
    ck_assert_uint_eq(iso.ngrants, 0);
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ck_assert_msg(parse_text(bad[i], &iso) == -EINVAL, "%s", bad[i]);
        ck_assert_uint_eq(iso.ngrants, 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("qemud_guest_files");
    TCase *tc = tcase_create("files");
    SRunner *sr;
    int n;

    struct mv_paths paths;
    char *msg = NULL;

    if (geteuid() != 0) {
        fprintf(stderr, "check_qemud_guest_files: needs root (setresuid, chown)\n");
        return 77;
    }
    /* the real policy with its default denylist (of a daemon whose own
     * directories are elsewhere than this test's files) */
    if (mv_paths_init(&paths, "/nonexistent/mv-guestfiles") < 0 ||
        qemud_path_policy_configure(NULL, &paths, &msg) < 0) {
        fprintf(stderr, "check_qemud_guest_files: policy: %s\n", msg ? msg : "?");
        return 99;
    }
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, test_grant_revoke_exact);
    tcase_add_test(tc, test_existing_acl_kept);
    tcase_add_test(tc, test_grant_effective);
    tcase_add_test(tc, test_shared_read);
    tcase_add_test(tc, test_limited_entry_stays_limited);
    tcase_add_test(tc, test_owner_chmod_stays);
    tcase_add_test(tc, test_shared_write);
    tcase_add_test(tc, test_world_readable_needs_no_acl);
    tcase_add_test(tc, test_revoke_deleted);
    tcase_add_test(tc, test_symlink_resolved);
    tcase_add_test(tc, test_refused);
    tcase_add_test(tc, test_chardevs);
    tcase_add_test(tc, test_device_nodes_and_ro_share);
    tcase_add_test(tc, test_backing_chain);
    tcase_add_test(tc, test_backing_refused);
    tcase_add_test(tc, test_backing_not_a_file);
    tcase_add_test(tc, test_append_forget);
    tcase_add_test(tc, test_status_round_trip);
    tcase_add_test(tc, test_status_absent_invalid);
    suite_add_tcase(s, tc);
    sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    n = srunner_ntests_failed(sr);
    srunner_free(sr);
    qemud_path_policy_clear();
    mv_paths_clear(&paths);
    return n ? 1 : 0;
}
