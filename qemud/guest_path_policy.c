/*
 * The host paths no guest may be given (guest_path_policy.h).  Define
 * checks every path a definition names as written, where it leads (each
 * symlink followed, also when its end does not exist yet: an output file
 * QEMU would create through a dangling link lands where the link points)
 * and, when it exists, what it is.  Start checks each path again as the
 * daemon opened it (guest_files.c), so a link swapped in between is caught.
 */
#define MV_LOG_MODULE "qemud.policy"
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "cleanup.h"
#include "display_ports.h"
#include "errmsg.h"
#include "error_codes.h"
#include "guest_path_policy.h"
#include "log.h"
#include "nvram.h"
#include "store.h"

#define DENYLIST_KEY "path_denylist"
#define DENYLIST_NOTE "path_denylist in modvirt-qemud.conf"
#define PROC_SYS_NOTE "files under /proc and /sys are never given to a guest"
/* Symlinks followed for one path: the kernel's own limit */
#define MAX_HOPS 40

struct deny_entry {
    char *path;             /* normalised (normalise()) */
    bool tree;              /* written with a trailing '/': PATH and all under it */
    char *shown;            /* the entry as written, for messages */
    bool has_inode;         /* a file at configure: a hardlink to it is the same file */
    dev_t dev;
    ino_t ino;
};

/* Set at daemon init before any call runs, read-only afterwards. */
static struct {
    struct deny_entry *deny;
    size_t ndeny;
    char *nvram_dir;        /* qemud's own variable stores (nvram.h) */
    char *qemu_rundir;      /* where qemud picks guests' sockets (display_ports.h) */
} policy;

/* ---- paths as strings ---- */

/* PATH (absolute) with "//" and "." collapsed, ".." taken lexically and no
 * trailing '/' (but "/"); NULL without memory. */
static char *normalise(const char *path)
{
    char *out = malloc(strlen(path) + 2);
    size_t n = 0;

    if (!out)
        return NULL;
    for (const char *p = path; *p;) {
        size_t len;

        p += strspn(p, "/");
        len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.') {
            while (n > 0 && out[--n] != '/')
                ;
        } else if (len > 0 && !(len == 1 && p[0] == '.')) {
            out[n++] = '/';
            memcpy(out + n, p, len);
            n += len;
        }
        p += len;
    }
    if (n == 0)
        out[n++] = '/';
    out[n] = '\0';
    return out;
}

static bool has_dotdot(const char *path)
{
    for (const char *p = path; *p;) {
        size_t len;

        p += strspn(p, "/");
        len = strcspn(p, "/");
        if (len == 2 && p[0] == '.' && p[1] == '.')
            return true;
        p += len;
    }
    return false;
}

/* P (normalised) is DIR (normalised) or lies under it. */
static bool path_under(const char *p, const char *dir)
{
    size_t n = strlen(dir);

    if (strcmp(dir, "/") == 0)
        return true;
    return strncmp(p, dir, n) == 0 && (p[n] == '\0' || p[n] == '/');
}

/* "/proc" or "/sys" when P lies there, else NULL. */
static const char *proc_sys(const char *p)
{
    return path_under(p, "/proc") ? "/proc" : path_under(p, "/sys") ? "/sys" : NULL;
}

/* ---- resolving ---- */

static int read_link(const char *path, char **out)
{
    char buf[PATH_MAX];
    ssize_t n = readlink(path, buf, sizeof(buf));

    if (n < 0)
        return -errno;
    if ((size_t)n >= sizeof(buf))
        return -ENAMETOOLONG;
    buf[n] = '\0';
    return (*out = strdup(buf)) ? 0 : -ENOMEM;
}

/* BASE + "/" + REST, normalised, into *OUT: a path that does not exist
 * (yet), kept as written from where it stops existing. */
static int join_rest(const char *base, const char *rest, char **out)
{
    _cleanup_free_ char *joined = NULL;

    if (asprintf(&joined, "%s/%s", base, rest) < 0)
        return -ENOMEM;
    return (*out = normalise(joined)) ? 0 : -ENOMEM;
}

/*
 * PATH (absolute, normalised) as opening it would reach it, every symlink
 * followed, into *OUT: 1 if that exists (*ST says what it is), 0 if not
 * (the missing part kept as written), or -errno (ELOOP, EACCES...).  It
 * stops at the first step into /proc or /sys, whose links lead anywhere
 * (/dev/fd/N is the daemon's own fd N), keeping the rest as written for
 * the rules to refuse.
 */
static int resolve(const char *path, char **out, struct stat *st)
{
    _cleanup_free_ char *todo = strdup(path);
    _cleanup_free_ char *done = strdup("");     /* resolved so far; "" is "/" */
    const char *rest = todo;
    int hops = 0, r;

    if (!todo || !done)
        return -ENOMEM;
    for (;;) {
        _cleanup_free_ char *next = NULL;
        _cleanup_free_ char *target = NULL;
        char *more, *slash;
        struct stat sb;
        size_t len;

        rest += strspn(rest, "/");
        if (!*rest)
            break;
        len = strcspn(rest, "/");
        if (len == 1 && rest[0] == '.') {
            rest += len;
            continue;
        }
        if (len == 2 && rest[0] == '.' && rest[1] == '.') {     /* from a link's target */
            if ((slash = strrchr(done, '/')))
                *slash = '\0';
            rest += len;
            continue;
        }
        if (asprintf(&next, "%s/%.*s", done, (int)len, rest) < 0)
            return -ENOMEM;
        rest += len;
        if (proc_sys(next))
            return join_rest(next, rest, out);
        if (lstat(next, &sb) < 0) {
            if (errno != ENOENT && errno != ENOTDIR)
                return -errno;
            return join_rest(next, rest, out);
        }
        if (!S_ISLNK(sb.st_mode)) {
            free(done);
            done = TAKE_PTR(next);
            continue;
        }
        if (++hops > MAX_HOPS)
            return -ELOOP;
        if ((r = read_link(next, &target)) < 0)
            return r;
        if (asprintf(&more, "%s/%s", target, rest) < 0)
            return -ENOMEM;
        if (target[0] == '/')
            done[0] = '\0';
        free(todo);
        rest = todo = more;
    }
    if (!*done) {
        free(done);
        if (!(done = strdup("/")))
            return -ENOMEM;
    }
    if (lstat(done, st) < 0)
        return -errno;
    *out = TAKE_PTR(done);
    return 1;
}

/* ---- the rules ---- */

/* Who asks for which path, for messages. */
struct subject {
    const char *domname;
    const char *what;           /* "disk 'vda'", "kernel", "serial0" */
    const char *written;        /* the path as the definition has it */
    const char *resolved;       /* where it leads, when that differs; else NULL */
};

static char *quote(const char *s)
{
    return mv_errmsg_quote(s, strlen(s), PATH_MAX);
}

/* ERR: "unsupported configuration: WHAT of domain 'D': 'PATH' [leads to
 * 'R', which] RULE". */
static int refuse(struct mv_err *err, const struct subject *s, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int refuse(struct mv_err *err, const struct subject *s, const char *fmt, ...)
{
    _cleanup_free_ char *written = quote(s->written);
    _cleanup_free_ char *resolved = s->resolved ? quote(s->resolved) : NULL;
    _cleanup_free_ char *rule = NULL;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&rule, fmt, ap);
    va_end(ap);
    if (n < 0) {
        rule = NULL;
        return -ENOMEM;
    }
    if (!written || (s->resolved && !resolved))
        return -ENOMEM;
    if (resolved)
        return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                          "unsupported configuration: %s of domain '%s': '%s' leads to '%s', which %s", s->what,
                          s->domname, written, resolved, rule);
    return mv_err_set(err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU, "unsupported configuration: %s of domain '%s': '%s' %s",
                      s->what, s->domname, written, rule);
}

static int rule_form(const struct subject *s, struct mv_err *err)
{
    if (s->written[0] != '/')
        return refuse(err, s, "is not an absolute path");
    if (has_dotdot(s->written))
        return refuse(err, s, "has a '..' component (write the path without one)");
    return 0;
}

/* Where P (normalised) is: not under /proc or /sys, not on the denylist. */
static int rule_place(const struct subject *s, const char *p, struct mv_err *err)
{
    const char *top = proc_sys(p);

    if (top)
        return refuse(err, s, "is under %s: " PROC_SYS_NOTE, top);
    for (size_t i = 0; i < policy.ndeny; i++) {
        const struct deny_entry *e = &policy.deny[i];

        if (e->tree && path_under(p, e->path))
            return refuse(err, s, "is under '%s' on the path denylist (" DENYLIST_NOTE ")", e->shown);
        if (!e->tree && strcmp(p, e->path) == 0)
            return strcmp(p, e->shown) == 0 ? refuse(err, s, "is on the path denylist (" DENYLIST_NOTE ")")
                                            : refuse(err, s, "is on the path denylist as '%s' (" DENYLIST_NOTE ")",
                                                     e->shown);
    }
    return 0;
}

/* A file that is a denied file under another name (a hardlink, or a bind
 * mount): the ACL would land on the inode the denylist names. */
static int rule_inode(const struct subject *s, const struct stat *st, struct mv_err *err)
{
    if (!st || S_ISDIR(st->st_mode))
        return 0;
    for (size_t i = 0; i < policy.ndeny; i++) {
        const struct deny_entry *e = &policy.deny[i];

        if (e->has_inode && e->dev == st->st_dev && e->ino == st->st_ino)
            return refuse(err, s, "is the same file as '%s' on the path denylist (a hard link to it; " DENYLIST_NOTE
                          ")", e->shown);
    }
    return 0;
}

/* The denylist entry that lies inside directory DIR (normalised), or NULL. */
static const struct deny_entry *held_entry(const char *dir)
{
    for (size_t i = 0; i < policy.ndeny; i++)
        if (strcmp(policy.deny[i].path, dir) != 0 && path_under(policy.deny[i].path, dir))
            return &policy.deny[i];
    return NULL;
}

/* A directory given whole (a shared filesystem) must hold nothing denied:
 * "/" holds /proc and /sys, /etc holds /etc/shadow.  PREFIX ("" or "is
 * made in 'D', which ") says how the subject relates to DIR. */
static int rule_holds(const struct subject *s, const char *dir, const char *prefix, struct mv_err *err)
{
    const struct deny_entry *e;

    if (strcmp(dir, "/") == 0)
        return refuse(err, s, "%sholds /proc and /sys: " PROC_SYS_NOTE, prefix);
    if ((e = held_entry(dir)))
        return refuse(err, s, "%sholds '%s' of the path denylist (" DENYLIST_NOTE ")", prefix, e->shown);
    return 0;
}

static bool is_tty(dev_t rdev)
{
    unsigned int maj = major(rdev);

    /* ttyN and ttyS (4), tty/console/ptmx (5), pts (136-143), ttyUSB (188) */
    return maj == 4 || maj == 5 || (maj >= 136 && maj <= 143) || maj == 188;
}

static bool is_random(dev_t rdev)
{
    unsigned int maj = major(rdev), min = minor(rdev);

    /* /dev/random (1:8), /dev/urandom (1:9), /dev/hwrng (10:183) */
    return (maj == 1 && (min == 8 || min == 9)) || (maj == 10 && min == 183);
}

/* Its sysfs class says: the TPM's major is dynamic (tpmrm) or shared (misc). */
static bool is_tpm(dev_t rdev)
{
    _cleanup_free_ char *link = NULL;
    _cleanup_free_ char *target = NULL;
    const char *class;

    if (asprintf(&link, "/sys/dev/char/%u:%u/subsystem", major(rdev), minor(rdev)) < 0) {
        link = NULL;
        return false;
    }
    if (read_link(link, &target) < 0)
        return false;
    class = strrchr(target, '/');
    class = class ? class + 1 : target;
    return strcmp(class, "tpm") == 0 || strcmp(class, "tpmrm") == 0;
}

static int rule_chardev(const struct subject *s, const struct stat *st, enum qemud_path_use use,
                        struct mv_err *err)
{
    if (!st || !S_ISCHR(st->st_mode))
        return 0;
    switch (use) {
    case QEMUD_PATH_TTY:
        return is_tty(st->st_rdev) ? 0 : refuse(err, s, "is a character device other than a terminal (a chardev of "
                                                        "type dev can only be a tty)");
    case QEMUD_PATH_RNG:
        return is_random(st->st_rdev) ? 0 : refuse(err, s, "is a character device other than /dev/random, "
                                                           "/dev/urandom or /dev/hwrng (an <rng> backend must be one)");
    case QEMUD_PATH_TPM:
        return is_tpm(st->st_rdev) ? 0 : refuse(err, s, "is a character device other than a TPM (a passthrough <tpm> "
                                                        "takes a tpm or tpmrm device)");
    case QEMUD_PATH_FILE:
        break;
    }
    return refuse(err, s, "is a character device, which a guest never gets as a disk, kernel or file");
}

/* ---- at define: a path as written ---- */

/* How a path at define is given, beyond its use. */
enum {
    GIVEN_DIR = 1 << 0,         /* a directory given whole (filesystem source) */
    GIVEN_SOCKET = 1 << 1,      /* a socket QEMU creates: in its directory */
};

/* A bound socket's directory, which the guest must be able to write. */
static int check_socket_dir(const struct subject *s, const char *path, struct mv_err *err)
{
    _cleanup_free_ char *dir = strdup(path);
    _cleanup_free_ char *qdir = NULL;
    _cleanup_free_ char *prefix = NULL;
    char *slash;

    if (!dir)
        return -ENOMEM;
    slash = strrchr(dir, '/');
    *(slash == dir ? slash + 1 : slash) = '\0';
    if (!held_entry(dir) && strcmp(dir, "/") != 0)
        return 0;
    if (!(qdir = quote(dir)) || asprintf(&prefix, "is a socket made in '%s', a directory that ", qdir) < 0) {
        prefix = NULL;
        return -ENOMEM;
    }
    return rule_holds(s, dir, prefix, err);
}

static int check_given(const char *domname, const char *what, const char *path, enum qemud_path_use use,
                       unsigned int given, struct mv_err *err)
{
    struct subject s = { .domname = domname, .what = what, .written = path };
    _cleanup_free_ char *norm = NULL;
    _cleanup_free_ char *real = NULL;
    struct stat st;
    int r, exists;

    if ((r = rule_form(&s, err)) < 0)
        return r;
    if (!(norm = normalise(path)))
        return -ENOMEM;
    s.resolved = strcmp(norm, path) != 0 ? norm : NULL;
    if ((r = rule_place(&s, norm, err)) < 0)
        return r;
    if ((exists = resolve(norm, &real, &st)) < 0) {
        if (exists == -ENOMEM)
            return exists;
        return refuse(err, &s, "cannot be resolved to check it: %s", strerror(-exists));
    }
    if (strcmp(real, path) != 0)
        s.resolved = real;
    if ((r = rule_place(&s, real, err)) < 0)
        return r;
    if (((given & GIVEN_DIR) || (exists && S_ISDIR(st.st_mode))) && (r = rule_holds(&s, real, "", err)) < 0)
        return r;
    if ((given & GIVEN_SOCKET) && (r = check_socket_dir(&s, real, err)) < 0)
        return r;
    if ((r = rule_inode(&s, exists ? &st : NULL, err)) < 0)
        return r;
    return rule_chardev(&s, exists ? &st : NULL, use, err);
}

static int check_file(const char *domname, const char *what, const char *path, struct mv_err *err)
{
    return path ? check_given(domname, what, path, QEMUD_PATH_FILE, 0, err) : 0;
}

/* A socket path qemud replaces at start with one of its own (a guest's
 * live XML shows those, and a definition may be made from it). */
static bool daemon_socket(const char *path, const char *kind)
{
    return policy.qemu_rundir && qemud_is_daemon_socket(policy.qemu_rundir, path, kind);
}

bool qemud_path_policy_own_nvram(const struct mv_dom_def *def)
{
    _cleanup_free_ char *own = policy.nvram_dir ? mv_nvram_default_path(policy.nvram_dir, def->name) : NULL;

    return own && streq(own, def->os.nvram);
}

static int check_os(const struct mv_dom_def *def, struct mv_err *err)
{
    const struct mv_dom_os *os = &def->os;
    int r;

    if ((r = check_file(def->name, "kernel", os->kernel, err)) < 0 ||
        (r = check_file(def->name, "initrd", os->initrd, err)) < 0 ||
        (r = check_file(def->name, "dtb", os->dtb, err)) < 0 ||
        (r = check_file(def->name, "loader", os->loader, err)) < 0 ||
        (r = check_file(def->name, "nvram template", os->nvram_template, err)) < 0)
        return r;
    return qemud_path_policy_own_nvram(def) ? 0 : check_file(def->name, "nvram", os->nvram, err);
}

static int check_disks(const struct mv_dom_def *def, struct mv_err *err)
{
    for (size_t i = 0; i < def->devices.ndisks; i++) {
        const struct mv_dom_disk *d = &def->devices.disks[i];
        _cleanup_free_ char *what = NULL;
        int r;

        /* a volume's file is storaged's to name (resolved at start) */
        if (d->type == MV_DOM_DISK_VOLUME || !d->source)
            continue;
        if (asprintf(&what, "disk '%s'", d->target ? d->target : "?") < 0) {
            what = NULL;
            return -ENOMEM;
        }
        if ((r = check_file(def->name, what, d->source, err)) < 0)
            return r;
    }
    return 0;
}

/* KIND ("serial", "console", "channel") number I: its output file, its
 * socket, its log; a pty is QEMU's choice, null and spicevmc are no path. */
static int check_chr(const char *domname, const char *kind, size_t i, const struct mv_dom_chr *chr,
                     struct mv_err *err)
{
    _cleanup_free_ char *what = NULL;
    _cleanup_free_ char *log_what = NULL;
    int r = 0;

    if (asprintf(&what, "%s%zu", kind, i) < 0 || asprintf(&log_what, "%s%zu log", kind, i) < 0) {
        what = log_what = NULL;
        return -ENOMEM;
    }
    if (chr->type == MV_DOM_CHR_FILE)
        r = check_file(domname, what, chr->path, err);
    else if (chr->type == MV_DOM_CHR_UNIX && chr->path && !daemon_socket(chr->path, "channel"))
        r = check_given(domname, what, chr->path, QEMUD_PATH_FILE, chr->unix_listen ? GIVEN_SOCKET : 0, err);
    if (r < 0)
        return r;
    return check_file(domname, log_what, chr->log_file, err);
}

static int check_chrs(const char *domname, const char *kind, const struct mv_dom_chr *chrs, size_t n,
                      struct mv_err *err)
{
    int r;

    for (size_t i = 0; i < n; i++)
        if ((r = check_chr(domname, kind, i, &chrs[i], err)) < 0)
            return r;
    return 0;
}

static int check_graphics(const struct mv_dom_def *def, struct mv_err *err)
{
    for (size_t i = 0; i < def->devices.ngraphics; i++) {
        const struct mv_dom_graphics *g = &def->devices.graphics[i];
        _cleanup_free_ char *what = NULL;
        int r;

        if (g->listen_type != MV_DOM_LISTEN_SOCKET || !g->socket || daemon_socket(g->socket, "spice"))
            continue;
        if (asprintf(&what, "graphics%zu socket", i) < 0) {
            what = NULL;
            return -ENOMEM;
        }
        if ((r = check_given(def->name, what, g->socket, QEMUD_PATH_FILE, GIVEN_SOCKET, err)) < 0)
            return r;
    }
    return 0;
}

static int check_filesystems(const struct mv_dom_def *def, struct mv_err *err)
{
    for (size_t i = 0; i < def->devices.nfilesystems; i++) {
        const struct mv_dom_fs *fs = &def->devices.filesystems[i];
        _cleanup_free_ char *what = NULL;
        _cleanup_free_ char *sock_what = NULL;
        int r;

        if (asprintf(&what, "filesystem '%s'", fs->target ? fs->target : "?") < 0 ||
            asprintf(&sock_what, "filesystem '%s' socket", fs->target ? fs->target : "?") < 0) {
            what = sock_what = NULL;
            return -ENOMEM;
        }
        if ((fs->source_dir && (r = check_given(def->name, what, fs->source_dir, QEMUD_PATH_FILE, GIVEN_DIR, err)) < 0) ||
            (r = check_file(def->name, sock_what, fs->source_socket, err)) < 0)
            return r;
    }
    return 0;
}

/* Random sources, audio files and a passthrough TPM. */
static int check_other(const struct mv_dom_def *def, struct mv_err *err)
{
    const struct mv_dom_devices *devs = &def->devices;
    int r;

    for (size_t i = 0; i < devs->nrngs; i++) {
        char what[32];

        snprintf(what, sizeof(what), "rng%zu", i);
        if (devs->rngs[i].backend &&
            (r = check_given(def->name, what, devs->rngs[i].backend, QEMUD_PATH_RNG, 0, err)) < 0)
            return r;
    }
    for (size_t i = 0; i < devs->naudios; i++) {
        char what[32];

        snprintf(what, sizeof(what), "audio %u", devs->audios[i].id);
        if (devs->audios[i].type == MV_DOM_AUDIO_FILE && (r = check_file(def->name, what, devs->audios[i].path, err)) < 0)
            return r;
    }
    for (size_t i = 0; i < devs->ntpms; i++)
        if (devs->tpms[i].backend == MV_DOM_TPM_BACKEND_PASSTHROUGH && devs->tpms[i].device_path &&
            (r = check_given(def->name, "TPM", devs->tpms[i].device_path, QEMUD_PATH_TPM, 0, err)) < 0)
            return r;
    return 0;
}

/* ---- programs the daemon runs as root ---- */

#define EXEC_NOTE "a program the daemon runs as root must be changeable by root alone"

/* Directory D (its stat ST) may hold a program root runs: root's, and not
 * writable by group or others, unless sticky (then what it holds must be
 * root's, which every later component is made to be). */
static int exec_dir_ok(const struct subject *s, const char *d, const struct stat *st, struct mv_err *err)
{
    _cleanup_free_ char *q = quote(d);

    if (!q)
        return -ENOMEM;
    if (!S_ISDIR(st->st_mode))
        return refuse(err, s, "is under '%s', which is not a directory", q);
    if (st->st_uid != 0)
        return refuse(err, s, "is in '%s', a directory owned by uid %u, not root (" EXEC_NOTE ")", q,
                      (unsigned)st->st_uid);
    if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !(st->st_mode & S_ISVTX))
        return refuse(err, s, "is in '%s', a directory writable by group or others (" EXEC_NOTE ")", q);
    return 0;
}

/*
 * Every directory from / down to P's last component (OpenSSH's StrictModes
 * rule), P itself when FINAL (a root-owned regular file that group and
 * others cannot write).  A component that does not exist (yet) is
 * accepted only where nobody but root can create it: in a directory not
 * writable by group or others, sticky or not (start then finds nothing).
 * FOLLOW: stat (the path as written, whose links are followed at exec) or
 * lstat (a resolved path).
 */
static int exec_walk(const struct subject *s, const char *p, bool follow, struct mv_err *err)
{
    _cleanup_free_ char *prefix = strdup("/");
    struct stat st, parent;
    const char *rest = p;
    int r;

    if (!prefix || stat("/", &parent) < 0)
        return prefix ? refuse(err, s, "cannot be checked: '/': %s", strerror(errno)) : -ENOMEM;
    if ((r = exec_dir_ok(s, "/", &parent, err)) < 0)
        return r;
    for (;;) {
        _cleanup_free_ char *next = NULL;
        size_t len;
        bool last;

        rest += strspn(rest, "/");
        len = strcspn(rest, "/");
        last = rest[len + strspn(rest + len, "/")] == '\0';
        if (asprintf(&next, "%s%s%.*s", prefix, streq(prefix, "/") ? "" : "/", (int)len, rest) < 0) {
            next = NULL;
            return -ENOMEM;
        }
        if ((follow ? stat(next, &st) : lstat(next, &st)) < 0) {
            _cleanup_free_ char *qp = quote(prefix);

            if (errno != ENOENT)
                return refuse(err, s, "cannot be checked: '%s': %s", next, strerror(errno));
            if (!qp)
                return -ENOMEM;
            if (parent.st_mode & (S_IWGRP | S_IWOTH))
                return refuse(err, s, "does not exist, and '%s' lets others than root create it (" EXEC_NOTE ")", qp);
            return 0;
        }
        if (last)
            break;
        if ((r = exec_dir_ok(s, next, &st, err)) < 0)
            return r;
        free(prefix);
        prefix = TAKE_PTR(next);
        parent = st;
        rest += len;
    }
    if (!S_ISREG(st.st_mode))
        return refuse(err, s, "is not a regular file (" EXEC_NOTE ")");
    if (st.st_uid != 0)
        return refuse(err, s, "is owned by uid %u, not root (" EXEC_NOTE ")", (unsigned)st.st_uid);
    if (st.st_mode & (S_IWGRP | S_IWOTH))
        return refuse(err, s, "is writable by group or others (" EXEC_NOTE ")");
    return 0;
}

int qemud_path_policy_check_exec(const char *domname, const char *what, const char *path, struct mv_err *err)
{
    struct subject s = { .domname = domname, .what = what, .written = path };
    _cleanup_free_ char *norm = NULL;
    _cleanup_free_ char *real = NULL;
    int r;

    if ((r = rule_form(&s, err)) < 0)
        return r;
    if (!(norm = normalise(path)))
        return -ENOMEM;
    if (streq(norm, "/"))
        return refuse(err, &s, "is not a regular file (" EXEC_NOTE ")");
    /* the directories holding the path as written (a link there could be
     * repointed), then where it leads */
    if ((r = exec_walk(&s, norm, true, err)) < 0)
        return r;
    if (!(real = realpath(norm, NULL)))
        return errno == ENOENT ? 0 : errno == ENOMEM ? -ENOMEM
                                                      : refuse(err, &s, "cannot be resolved: %s", strerror(errno));
    if (!streq(real, path))
        s.resolved = real;
    return exec_walk(&s, real, false, err);
}

static int check_programs(const struct mv_dom_def *def, struct mv_err *err)
{
    int r;

    if (def->devices.emulator && (r = qemud_path_policy_check_exec(def->name, "emulator", def->devices.emulator, err)) < 0)
        return r;
    for (size_t i = 0; i < def->devices.nfilesystems; i++) {
        const struct mv_dom_fs *fs = &def->devices.filesystems[i];
        _cleanup_free_ char *what = NULL;

        if (!fs->binary.path)
            continue;
        if (asprintf(&what, "filesystem '%s' binary", fs->target ? fs->target : "?") < 0) {
            what = NULL;
            return -ENOMEM;
        }
        if ((r = qemud_path_policy_check_exec(def->name, what, fs->binary.path, err)) < 0)
            return r;
    }
    return 0;
}

int qemud_path_policy_check_def(const struct mv_dom_def *def, struct mv_err *err)
{
    const struct mv_dom_devices *devs = &def->devices;
    int r;

    if ((r = check_os(def, err)) < 0 || (r = check_disks(def, err)) < 0 ||
        (r = check_chrs(def->name, "serial", devs->serials, devs->nserials, err)) < 0 ||
        (r = check_chrs(def->name, "console", devs->consoles, devs->nconsoles, err)) < 0 ||
        (r = check_chrs(def->name, "channel", devs->channels, devs->nchannels, err)) < 0 ||
        (r = check_graphics(def, err)) < 0 || (r = check_filesystems(def, err)) < 0 ||
        (r = check_other(def, err)) < 0 || (r = check_programs(def, err)) < 0)
        return r;
    return 0;
}

/* ---- at start: a path as the daemon opened it ---- */

int qemud_path_policy_check_use(const char *domname, const char *what, const char *path, enum qemud_path_use use,
                                const struct stat *st, struct mv_err *err)
{
    struct subject s = { .domname = domname, .what = what, .written = path };
    _cleanup_free_ char *norm = NULL;
    int r;

    if ((r = rule_form(&s, err)) < 0)
        return r;
    if (!(norm = normalise(path)))
        return -ENOMEM;
    s.resolved = strcmp(norm, path) != 0 ? norm : NULL;
    if ((r = rule_place(&s, norm, err)) < 0)
        return r;
    if (st && S_ISDIR(st->st_mode) && (r = rule_holds(&s, norm, "", err)) < 0)
        return r;
    if ((r = rule_inode(&s, st, err)) < 0)
        return r;
    return rule_chardev(&s, st, use, err);
}

int qemud_path_policy_check(const char *domname, const char *what, const char *path, const struct stat *st,
                            struct mv_err *err)
{
    return qemud_path_policy_check_use(domname, what, path, QEMUD_PATH_FILE, st, err);
}

/* mv_nvram_prepare()'s check (nvram.h): the variable store qemud names
 * itself lies in its own state directory, which the policy denies to
 * users' paths. */
static int nvram_check(const struct mv_dom_def *live, const char *what, const char *resolved, const struct stat *st,
                       int *errcode, char **errmsg)
{
    struct mv_err err = { 0 };
    int r;

    if (streq(what, "nvram") && qemud_path_policy_own_nvram(live))
        return 0;
    if ((r = qemud_path_policy_check(live->name, what, resolved, st, &err)) == 0)
        return 0;
    *errcode = err.code ? err.code : MV_ERR_NO_MEMORY;
    *errmsg = TAKE_PTR(err.message);
    return r;
}

/* ---- configuration ---- */

/*
 * Always denied, path_denylist adds to it (so a list cannot drop
 * /etc/shadow by leaving it out): the host's password hashes, root's home,
 * the system trees no guest image or output belongs in (/etc: an output
 * file there is a cron job or a profile script; /boot: the host's kernels
 * and boot loader; mail and spool queues that root processes run), and
 * what the daemons keep for themselves: their configuration, runtime
 * directory (sockets, status files, guests' private dirs), the proxy's
 * sockets beside it, their logs, and of the state directory the parts
 * each daemon owns (qemud: qemu/ holds variable stores and RAM files,
 * swtpm/ the TPM states and the daemon's CA, kvm-probe.cache; netd:
 * network/; storaged: secrets/), not all of it: it may hold users' images.
 */
static int default_denylist(const struct mv_paths *paths, char ***out)
{
        /* the files first: a path that is one is named by it, not by its tree */
    static const char *const host[] = { "/etc/shadow", "/etc/gshadow", "/root/",     "/etc/",
                                        "/boot/",      "/var/spool/",  "/var/mail/" };
    static const char *const state[] = { "qemu/", "swtpm/", "kvm-probe.cache", "network/", "secrets/" };
    _cleanup_strv_free_ char **v = calloc(MV_ARRAY_SIZE(host) + MV_ARRAY_SIZE(state) + 5, sizeof(*v));
    _cleanup_free_ char *runparent = NULL;
    size_t n = 0;
    char *slash;

    if (!v || !(runparent = strdup(paths->rundir)))
        return -ENOMEM;
    /* the proxy listens where libvirt does: its SOCKET_DIR replaces rundir's last component (daemon.h) */
    if ((slash = strrchr(runparent, '/')))
        *slash = '\0';
    for (size_t i = 0; i < MV_ARRAY_SIZE(host); i++)
        if (!(v[n++] = strdup(host[i])))
            return -ENOMEM;
    if (asprintf(&v[n++], "%s/", paths->confdir) < 0 || asprintf(&v[n++], "%s/", paths->rundir) < 0 ||
        asprintf(&v[n++], "%s/libvirt/", runparent) < 0 || asprintf(&v[n++], "%s/", paths->logdir) < 0) {
        v[n - 1] = NULL;
        return -ENOMEM;
    }
    for (size_t i = 0; i < MV_ARRAY_SIZE(state); i++)
        if (asprintf(&v[n++], "%s/%s", paths->statedir, state[i]) < 0) {
            v[n - 1] = NULL;
            return -ENOMEM;
        }
    *out = TAKE_PTR(v);
    return 0;
}

static void deny_free(struct deny_entry *deny, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(deny[i].path);
        free(deny[i].shown);
    }
    free(deny);
}

static int deny_add(struct deny_entry **deny, size_t *n, const char *path, bool tree, const char *shown)
{
    struct deny_entry *grown = realloc(*deny, (*n + 1) * sizeof(**deny));
    struct deny_entry e = { .tree = tree };

    if (!grown)
        return -ENOMEM;
    *deny = grown;
    if (!(e.path = normalise(path)) || !(e.shown = strdup(shown))) {
        free(e.path);
        return -ENOMEM;
    }
    (*deny)[(*n)++] = e;
    return 0;
}

/* One entry of LIST, and where it really is when a symlink leads there
 * (a path that resolves into it is denied too). */
static int deny_add_written(struct deny_entry **deny, size_t *n, const char *s, char **errmsg)
{
    _cleanup_free_ char *q = quote(s);
    _cleanup_free_ char *real = NULL;
    size_t len = strlen(s);
    bool tree = len > 0 && s[len - 1] == '/';
    int r;

    if (!q)
        return -ENOMEM;
    if (s[0] != '/')
        return mv_errmsg_set(errmsg, -EINVAL, DENYLIST_KEY ": '%s' is not an absolute path", q);
    if (has_dotdot(s))
        return mv_errmsg_set(errmsg, -EINVAL, DENYLIST_KEY ": '%s' has a '..' component", q);
    if ((r = deny_add(deny, n, s, tree, s)) < 0)
        return r;
    if ((real = realpath((*deny)[*n - 1].path, NULL)) && strcmp(real, (*deny)[*n - 1].path) != 0)
        return deny_add(deny, n, real, tree, s);
    return 0;
}

int qemud_path_policy_configure(const mv_conf *conf, const struct mv_paths *paths, char **errmsg)
{
    _cleanup_strv_free_ char **list = NULL;
    _cleanup_free_ char *nvram_dir = mv_nvram_dir(paths->statedir);
    /* the domain store's run directory (domain_store.c) */
    _cleanup_free_ char *qemu_rundir = mv_store_path(paths->rundir, "qemu", "");
    struct deny_entry *deny = NULL;
    size_t ndeny = 0;
    _cleanup_strv_free_ char **defaults = NULL;
    struct stat st;
    int r = mv_conf_get_strv(conf, DENYLIST_KEY, &list, errmsg);

    if (r < 0)
        return r;
    if (!nvram_dir || !qemu_rundir || default_denylist(paths, &defaults) < 0)
        return -ENOMEM;
    for (char **v = defaults; *v; v++)
        if ((r = deny_add_written(&deny, &ndeny, *v, errmsg)) < 0)
            goto fail;
    for (size_t i = 0; list && list[i]; i++)
        if ((r = deny_add_written(&deny, &ndeny, list[i], errmsg)) < 0)
            goto fail;
    /* a file's inode, for hardlinks to it (a tree's members are not taken one by one) */
    for (size_t i = 0; i < ndeny; i++)
        if (!deny[i].tree && stat(deny[i].path, &st) == 0 && !S_ISDIR(st.st_mode)) {
            deny[i].has_inode = true;
            deny[i].dev = st.st_dev;
            deny[i].ino = st.st_ino;
        }
    qemud_path_policy_clear();
    policy.deny = deny;
    policy.ndeny = ndeny;
    policy.nvram_dir = TAKE_PTR(nvram_dir);
    policy.qemu_rundir = TAKE_PTR(qemu_rundir);
    mv_nvram_set_check(nvram_check);
    for (size_t i = 0; i < ndeny; i++)
        mv_debug("path denylist: %s%s", deny[i].path, deny[i].tree ? " and all under it" : "");
    return 0;
fail:
    deny_free(deny, ndeny);
    return r;
}

void qemud_path_policy_clear(void)
{
    mv_nvram_set_check(NULL);
    deny_free(policy.deny, policy.ndeny);
    free(policy.nvram_dir);
    free(policy.qemu_rundir);
    memset(&policy, 0, sizeof(policy));
}
