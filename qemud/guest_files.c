/* The host files a guest needs: found, checked, granted to its uid, taken back. */
#define MV_LOG_MODULE "qemud.files"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "guest_acl.h"
#include "guest_files.h"
#include "guest_path_policy.h"
#include "hostdev_pci.h"
#include "image_chain.h"
#include "log.h"
#include "xml.h"

/* Most grants one guest may hold (disks with chains, chardevs): a bound
 * on the status file's <grant> list too */
#define GRANTS_MAX 1024

static const char *const access_names[] = {
    [QEMUD_GRANT_READ] = "read", [QEMUD_GRANT_WRITE] = "write", [QEMUD_GRANT_DIR] = "dir",
    [QEMUD_GRANT_DIR_READ] = "dir-read",
};

static unsigned int access_perm(enum qemud_grant_access a)
{
    switch (a) {
    case QEMUD_GRANT_READ: return QEMUD_ACL_R;
    case QEMUD_GRANT_WRITE: return QEMUD_ACL_R | QEMUD_ACL_W;
    case QEMUD_GRANT_DIR_READ: return QEMUD_ACL_R | QEMUD_ACL_X;
    default: return QEMUD_ACL_R | QEMUD_ACL_W | QEMUD_ACL_X;
    }
}

/* Whether 'other' already has what A needs: then no ACL entry is added. */
static bool other_suffices(mode_t mode, enum qemud_grant_access a)
{
    unsigned int need = access_perm(a);

    return ((unsigned int)mode & need) == need;
}

void qemud_isolation_clear(struct qemud_isolation *iso)
{
    for (size_t i = 0; i < iso->ngrants; i++) {
        if (iso->grants[i].fd >= 0)
            close(iso->grants[i].fd);
        free(iso->grants[i].path);
        free(iso->grants[i].written);
    }
    free(iso->grants);
    iso->grants = NULL;
    iso->ngrants = 0;
}

struct collect {
    const char *domname;
    struct qemud_isolation *iso;
    struct mv_err *err;
};

/* ERR = "domain 'NAME': " + the formatted cause, with strerror(-R) after it. */
static int fail(struct collect *c, int r, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(struct collect *c, int r, const char *fmt, ...)
{
    _cleanup_free_ char *msg = NULL;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&msg, fmt, ap);
    va_end(ap);
    if (n < 0)
        return mv_err_set_errno(c->err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    return mv_err_set_errno(c->err, r, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU, "domain '%s': %s", c->domname, msg);
}

/* The grant for PATH already collected (the same file used twice), or NULL. */
static struct qemud_grant *find_grant(const struct qemud_isolation *iso, const char *path)
{
    for (size_t i = 0; i < iso->ngrants; i++)
        if (strcmp(iso->grants[i].path, path) == 0)
            return &iso->grants[i];
    return NULL;
}

static bool is_dir_access(enum qemud_grant_access a)
{
    return a == QEMUD_GRANT_DIR || a == QEMUD_GRANT_DIR_READ;
}

/* A file type fit for A: regular files and block devices as disks and
 * outputs, sockets to connect to, directories for sockets QEMU makes or a
 * share it reads; a character device only where one is wanted (DEV). */
static bool type_fits(mode_t mode, enum qemud_grant_access a, bool dev)
{
    if (dev)
        return S_ISCHR(mode);
    if (is_dir_access(a))
        return S_ISDIR(mode);
    return S_ISREG(mode) || S_ISBLK(mode) || S_ISSOCK(mode);
}

/* Which of A and B (for one file) asks more: WRITE over READ, DIR over
 * DIR_READ (a directory is never a file). */
static bool wider(enum qemud_grant_access a, enum qemud_grant_access b)
{
    return (a == QEMUD_GRANT_WRITE && b == QEMUD_GRANT_READ) || (a == QEMUD_GRANT_DIR && b == QEMUD_GRANT_DIR_READ);
}

static int append(struct collect *c, struct qemud_grant *g)
{
    struct qemud_isolation *iso = c->iso;
    struct qemud_grant *v;

    if (iso->ngrants >= GRANTS_MAX)
        return mv_err_set(c->err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU, "domain '%s' uses more than %d host files",
                          c->domname, GRANTS_MAX);
    if (!(v = realloc(iso->grants, (iso->ngrants + 1) * sizeof(*v))))
        return mv_err_set_errno(c->err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    iso->grants = v;
    iso->grants[iso->ngrants++] = *g;
    return 0;
}

/* How a path is taken: its use for the policy (which character devices it
 * may be), whether qemud named it itself (OWN: no policy check), whether a
 * character device is what is wanted (DEV). */
struct path_kind {
    enum qemud_path_use use;
    bool own, dev;
};

/* Opens PATH (following symlinks: the file it names now is the one bound
 * and granted), checks what it resolves to (unless qemud named it itself)
 * and records the grant. */
static int add_path_kind(struct collect *c, const char *what, const char *path, enum qemud_grant_access a,
                         struct path_kind k)
{
    _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
    char proc[32], resolved[PATH_MAX];
    struct qemud_grant g = { .access = a, .fd = -1 };
    struct qemud_grant *old;
    struct stat st;
    ssize_t n;
    int r;

    if (fd < 0)
        return fail(c, -errno, "cannot open %s '%s'", what, path);
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    if (fstat(fd, &st) < 0 || (n = readlink(proc, resolved, sizeof(resolved))) < 0)
        return fail(c, -errno, "cannot resolve %s '%s'", what, path);
    if ((size_t)n >= sizeof(resolved))
        return fail(c, -ENAMETOOLONG, "cannot resolve %s '%s'", what, path);
    resolved[n] = '\0';
    if (!k.own && (r = qemud_path_policy_check_use(c->domname, what, resolved, k.use, &st, c->err)) < 0)
        return r;
    if (S_ISCHR(st.st_mode) && !k.dev)
        return fail(c, -EPERM, "%s '%s' is a character device", what, resolved);
    if (!type_fits(st.st_mode, a, k.dev))
        return fail(c, -EINVAL, k.dev ? "%s '%s' is not a character device"
                                : is_dir_access(a) ? "%s '%s' is not a directory"
                                                   : "%s '%s' is not a file or block device",
                    what, resolved);
    if ((old = find_grant(c->iso, resolved))) {
        /* the same file twice: the wider use wins (a DIR is never a file) */
        if (wider(a, old->access)) {
            old->access = a;
            old->acl = !other_suffices(old->mode, a);
        }
        return 0;
    }
    g.mode = st.st_mode & 07777;
    g.device = S_ISBLK(st.st_mode) || S_ISCHR(st.st_mode);
    g.acl = !other_suffices(g.mode, a);
    if ((r = qemud_acl_mask_get(fd, &g.mask)) < 0)
        return fail(c, r, "cannot read the ACL of %s '%s'", what, resolved);
    /* QEMU opens the path as written: bound there too when it differs */
    if (!(g.path = strdup(resolved)) || (strcmp(path, resolved) != 0 && !(g.written = strdup(path)))) {
        free(g.path);
        return mv_err_set_errno(c->err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    }
    g.fd = fd;
    if ((r = append(c, &g)) < 0) {
        free(g.path);
        free(g.written);
        return r;
    }
    fd = -1;                                    /* the grant holds it now */
    return 0;
}

static int add_path_as(struct collect *c, const char *what, const char *path, enum qemud_grant_access a, bool own)
{
    return add_path_kind(c, what, path, a, (struct path_kind){ .use = QEMUD_PATH_FILE, .own = own });
}

static int add_path(struct collect *c, const char *what, const char *path, enum qemud_grant_access a)
{
    return add_path_as(c, what, path, a, false);
}

/* A disk's image and, for qcow2, every backing file below it (read-only:
 * QEMU opens them so; a shared disk's image stays writable). */
static int add_disk(struct collect *c, const struct mv_dom_disk *d)
{
    bool ro = d->readonly || d->device == MV_DOM_DISK_DEVICE_CDROM;
    _cleanup_strv_free_ char **chain = NULL;
    _cleanup_free_ char *msg = NULL;
    char what[64];
    size_t first = c->iso->ngrants;
    int r;

    if (!d->source)
        return 0;
    snprintf(what, sizeof(what), "disk '%s'", d->target ? d->target : "?");
    if ((r = add_path(c, what, d->source, ro ? QEMUD_GRANT_READ : QEMUD_GRANT_WRITE)) < 0)
        return r;
    /* only a declared qcow2 has a chain: a raw disk's guest could write a
     * fake header naming any file for its next start */
    if (d->format != MV_DOM_DISK_FORMAT_QCOW2 || c->iso->ngrants == first)
        return 0;
    if ((r = qemud_image_chain_read(c->domname, c->iso->grants[first].fd, c->iso->grants[first].path, &chain,
                                      &msg)) < 0) {
        mv_err_set(c->err, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU, "domain '%s': %s: %s", c->domname, what,
                   msg ? msg : "cannot read its backing chain");
        return r;
    }
    snprintf(what, sizeof(what), "backing file of disk '%s'", d->target ? d->target : "?");
    for (size_t i = 0; chain[i]; i++)
        if ((r = add_path(c, what, chain[i], QEMUD_GRANT_READ)) < 0)
            return r;
    return 0;
}

/* An output file QEMU appends to: created (root's, 0600) when missing,
 * so that the grant, not QEMU, decides who may write it. */
static int add_output(struct collect *c, const char *what, const char *path)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOCTTY | O_NOFOLLOW | O_CLOEXEC, 0600);

    if (fd >= 0)
        close(fd);
    else if (errno != EEXIST)
        return fail(c, -errno, "cannot create the %s '%s'", what, path);
    return add_path(c, what, path, QEMUD_GRANT_WRITE);
}

/* A unix socket chardev at a path the user chose: QEMU creates a listening
 * one in its directory (bind), or connects to one (write on the socket).
 * A directory the guest owns (its private one) needs nothing. */
static int add_socket(struct collect *c, const char *what, const struct mv_dom_chr *chr)
{
    _cleanup_free_ char *dir = NULL;
    const char *slash = strrchr(chr->path, '/');
    struct stat st;

    if (!chr->unix_listen)
        return add_path(c, what, chr->path, QEMUD_GRANT_WRITE);
    if (!slash || !(dir = slash == chr->path ? strdup("/") : strndup(chr->path, (size_t)(slash - chr->path))))
        return fail(c, -EINVAL, "%s socket '%s' is not an absolute path", what, chr->path);
    if (stat(dir, &st) == 0 && c->iso->id.set && st.st_uid == c->iso->id.uid)
        return 0;
    return add_path(c, what, dir, QEMUD_GRANT_DIR);
}

static int add_chr(struct collect *c, const char *kind, size_t i, const struct mv_dom_chr *chr)
{
    char what[64];
    int r = 0;

    snprintf(what, sizeof(what), "%s %zu", kind, i);
    if (chr->path && chr->type == MV_DOM_CHR_FILE)
        r = add_output(c, what, chr->path);
    else if (chr->path && chr->type == MV_DOM_CHR_UNIX)
        r = add_socket(c, what, chr);
    if (r == 0 && chr->log_file) {
        snprintf(what, sizeof(what), "%s %zu log", kind, i);
        r = add_output(c, what, chr->log_file);
    }
    return r;
}

static int add_chrs(struct collect *c, const char *kind, const struct mv_dom_chr *v, size_t n)
{
    int r;

    for (size_t i = 0; i < n; i++)
        if ((r = add_chr(c, kind, i, &v[i])) < 0)
            return r;
    return 0;
}

/* Kernel, initrd, dtb, a loader outside /usr (which the guest's root has
 * read-only anyway) and its writable variable store (in qemud's own state
 * directory when qemud named it: not the user's path, so not the policy's). */
static int add_os(struct collect *c, const struct mv_dom_def *def)
{
    const struct mv_dom_os *os = &def->os;
    const struct { const char *what, *path; enum qemud_grant_access a; } v[] = {
        { "kernel", os->kernel, QEMUD_GRANT_READ },
        { "initrd", os->initrd, QEMUD_GRANT_READ },
        { "dtb", os->dtb, QEMUD_GRANT_READ },
        { "loader", os->loader && strncmp(os->loader, "/usr/", 5) != 0 ? os->loader : NULL, QEMUD_GRANT_READ },
    };
    int r;

    for (size_t i = 0; i < MV_ARRAY_SIZE(v); i++)
        if (v[i].path && (r = add_path(c, v[i].what, v[i].path, v[i].a)) < 0)
            return r;
    return os->nvram ? add_path_as(c, "nvram", os->nvram, QEMUD_GRANT_WRITE, qemud_path_policy_own_nvram(def)) : 0;
}

/* A 9p share's directory, which QEMU itself opens (rwx on the directory
 * only: what is below keeps its own modes; r-x for a read-only one), and the socket of a virtiofsd the user runs (the
 * daemon's own virtiofsd is a sidecar whose socket is handed over). */
static int add_filesystems(struct collect *c, const struct mv_dom_devices *dv)
{
    int r = 0;

    for (size_t i = 0; r == 0 && i < dv->nfilesystems; i++) {
        const struct mv_dom_fs *fs = &dv->filesystems[i];
        char what[64];

        snprintf(what, sizeof(what), "filesystem '%s'", fs->target ? fs->target : "?");
        if (fs->driver != MV_DOM_FS_DRIVER_VIRTIOFS && fs->source_dir)
            r = add_path(c, what, fs->source_dir, fs->readonly ? QEMUD_GRANT_DIR_READ : QEMUD_GRANT_DIR);
        else if (fs->driver == MV_DOM_FS_DRIVER_VIRTIOFS && fs->source_socket)
            r = add_path(c, what, fs->source_socket, QEMUD_GRANT_WRITE);
    }
    return r;
}

/* The device nodes QEMU opens itself: an <rng> backend other than
 * /dev/random and /dev/urandom (everyone's already: /dev/hwrng, 0600 root,
 * is read), and for host devices the VFIO container and each device's
 * group node (0600 root, opened rw).  The VFIO nodes are found by qemud,
 * not named by the user: no policy check, a character device expected. */
static int add_device_nodes(struct collect *c, const struct mv_dom_devices *dv)
{
    const struct path_kind rng = { .use = QEMUD_PATH_RNG, .dev = true };
    const struct path_kind vfio = { .use = QEMUD_PATH_FILE, .own = true, .dev = true };
    char group[NAME_MAX + 1], node[PATH_MAX];
    int r = 0;

    for (size_t i = 0; r == 0 && i < dv->nrngs; i++) {
        const char *b = dv->rngs[i].backend;

        if (b && strcmp(b, "/dev/random") != 0 && strcmp(b, "/dev/urandom") != 0)
            r = add_path_kind(c, "rng backend", b, QEMUD_GRANT_READ, rng);
    }
    if (r == 0 && dv->nhostdevs)
        r = add_path_kind(c, "VFIO container", "/dev/vfio/vfio", QEMUD_GRANT_WRITE, vfio);
    for (size_t i = 0; r == 0 && i < dv->nhostdevs; i++) {
        if ((r = qemud_hostdev_vfio_group(&dv->hostdevs[i], group, sizeof(group))) < 0)
            return fail(c, r, "cannot find the VFIO group of host device %zu", i);
        snprintf(node, sizeof(node), "/dev/vfio/%s", group);
        r = add_path_kind(c, "VFIO group", node, QEMUD_GRANT_WRITE, vfio);
    }
    return r;
}

int qemud_guest_files_collect(const char *domname, const struct mv_dom_def *live, struct qemud_isolation *iso,
                              struct mv_err *err)
{
    struct collect c = { .domname = domname, .iso = iso, .err = err };
    const struct mv_dom_devices *dv = &live->devices;
    int r = add_os(&c, live);

    for (size_t i = 0; r == 0 && i < dv->ndisks; i++)
        r = add_disk(&c, &dv->disks[i]);
    if (r == 0)
        r = add_filesystems(&c, dv);
    if (r == 0)
        r = add_device_nodes(&c, dv);
    if (r == 0)
        r = add_chrs(&c, "serial", dv->serials, dv->nserials);
    if (r == 0)
        r = add_chrs(&c, "console", dv->consoles, dv->nconsoles);
    if (r == 0)
        r = add_chrs(&c, "channel", dv->channels, dv->nchannels);
    return r;
}

int qemud_guest_files_grant(const char *domname, struct qemud_isolation *iso, struct mv_err *err)
{
    for (size_t i = 0; i < iso->ngrants; i++) {
        struct qemud_grant *g = &iso->grants[i];
        _cleanup_free_ char *msg = NULL;
        int r;

        if (!g->acl || !iso->id.set)
            continue;
        if (g->fd < 0) {
            r = -EBADF;
            msg = strdup("not opened");
        } else {
            r = qemud_acl_add(g->fd, g->path, iso->id.uid, access_perm(g->access), &msg);
        }
        if (r < 0) {
            /* take back exactly the ones before this: the status file
             * still lists them all, so a crash here is covered too */
            struct qemud_isolation done = { .id = iso->id, .grants = iso->grants, .ngrants = i };

            qemud_guest_files_revoke(domname, &done);
            mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU, "domain '%s': %s", domname,
                       msg ? msg : g->path);
            return r;
        }
    }
    return 0;
}

void qemud_guest_files_revoke(const char *domname, const struct qemud_isolation *iso)
{
    for (size_t i = 0; i < iso->ngrants; i++) {
        const struct qemud_grant *g = &iso->grants[i];
        _cleanup_free_ char *msg = NULL;
        int r;

        if (!g->acl || !iso->id.set)
            continue;
        r = qemud_acl_remove(g->path, iso->id.uid, g->mode, g->mask, &msg);
        if (r == -ENOENT)
            mv_debug("domain '%s': '%s' is gone, nothing to take back", domname, g->path);
        else if (r < 0)
            mv_error("domain '%s': %s", domname, msg ? msg : strerror(-r));
    }
}

/* ---- the status file's <isolation> ---- */

int qemud_isolation_format(const struct qemud_isolation *iso, xmlTextWriterPtr w)
{
    if (!iso->id.set)
        return 0;
    if (xmlTextWriterStartElement(w, BAD_CAST "isolation") < 0 ||
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "uid", "%u", (unsigned int)iso->id.uid) < 0 ||
        xmlTextWriterWriteFormatAttribute(w, BAD_CAST "gid", "%u", (unsigned int)iso->id.gid) < 0)
        return -ENOMEM;
    for (size_t i = 0; i < iso->ngrants; i++) {
        const struct qemud_grant *g = &iso->grants[i];

        if (xmlTextWriterStartElement(w, BAD_CAST "grant") < 0 ||
            xmlTextWriterWriteAttribute(w, BAD_CAST "path", BAD_CAST g->path) < 0 ||
            xmlTextWriterWriteAttribute(w, BAD_CAST "access", BAD_CAST access_names[g->access]) < 0 ||
            xmlTextWriterWriteAttribute(w, BAD_CAST "acl", BAD_CAST(g->acl ? "yes" : "no")) < 0 ||
            xmlTextWriterWriteAttribute(w, BAD_CAST "device", BAD_CAST(g->device ? "yes" : "no")) < 0 ||
            xmlTextWriterWriteFormatAttribute(w, BAD_CAST "mode", "%04o", (unsigned int)g->mode) < 0 ||
            xmlTextWriterWriteFormatAttribute(w, BAD_CAST "mask", "%d", g->mask) < 0 ||
            xmlTextWriterEndElement(w) < 0)
            return -ENOMEM;
    }
    if (xmlTextWriterEndElement(w) < 0 || xmlTextWriterWriteString(w, BAD_CAST "\n") < 0)
        return -ENOMEM;
    return 0;
}

static int prop_ulong(xmlNodePtr node, const char *name, int base, unsigned long max, unsigned long *out)
{
    _cleanup_free_ char *s = (char *)xmlGetProp(node, BAD_CAST name);
    char *end;

    if (!s || !*s || *s == '-' || *s == '+')
        return -EINVAL;
    errno = 0;
    *out = strtoul(s, &end, base);
    return errno || *end || *out > max ? -EINVAL : 0;
}

static int prop_bool(xmlNodePtr node, const char *name, bool *out)
{
    _cleanup_free_ char *s = (char *)xmlGetProp(node, BAD_CAST name);

    if (!s || (strcmp(s, "yes") != 0 && strcmp(s, "no") != 0))
        return -EINVAL;
    *out = strcmp(s, "yes") == 0;
    return 0;
}

static int parse_grant(xmlNodePtr node, struct qemud_grant *g)
{
    _cleanup_free_ char *access = (char *)xmlGetProp(node, BAD_CAST "access");
    _cleanup_free_ char *mask = (char *)xmlGetProp(node, BAD_CAST "mask");
    unsigned long mode;
    size_t a;

    for (a = 0; a < MV_ARRAY_SIZE(access_names); a++)
        if (access && strcmp(access, access_names[a]) == 0)
            break;
    if (a == MV_ARRAY_SIZE(access_names) || prop_bool(node, "acl", &g->acl) < 0 ||
        prop_bool(node, "device", &g->device) < 0 || prop_ulong(node, "mode", 8, 07777, &mode) < 0)
        return -EINVAL;
    if (!mask || (strcmp(mask, "-1") != 0 && (strlen(mask) != 1 || mask[0] < '0' || mask[0] > '7')))
        return -EINVAL;
    g->access = (enum qemud_grant_access)a;
    g->mode = (mode_t)mode;
    g->mask = atoi(mask);
    g->path = (char *)xmlGetProp(node, BAD_CAST "path");
    return g->path && g->path[0] == '/' ? 0 : -EINVAL;
}

int qemud_isolation_parse(xmlXPathContextPtr ctx, struct qemud_isolation *iso)
{
    _cleanup_free_ xmlNodePtr *top = NULL;
    _cleanup_free_ xmlNodePtr *nodes = NULL;
    unsigned long uid, gid;
    int n;

    memset(iso, 0, sizeof(*iso));
    if ((n = mv_xpath_nodes(ctx, "/domstatus/isolation", &top)) <= 0)
        return n;
    if (n > 1 || prop_ulong(top[0], "uid", 10, UINT_MAX - 1, &uid) < 0 ||
        prop_ulong(top[0], "gid", 10, UINT_MAX - 1, &gid) < 0)
        return -EINVAL;
    if ((n = mv_xpath_nodes(ctx, "/domstatus/isolation/grant", &nodes)) < 0 || n > GRANTS_MAX)
        return -EINVAL;
    iso->id = (struct qemud_guest_id){ .set = true, .uid = (uid_t)uid, .gid = (gid_t)gid };
    if (n && !(iso->grants = calloc((size_t)n, sizeof(*iso->grants))))
        return -ENOMEM;
    for (int i = 0; i < n; i++) {
        iso->grants[i].fd = -1;
        iso->ngrants++;
        if (parse_grant(nodes[i], &iso->grants[i]) < 0) {
            qemud_isolation_clear(iso);
            memset(iso, 0, sizeof(*iso));
            return -EINVAL;
        }
    }
    return 0;
}

int qemud_isolation_append(struct qemud_isolation *run, const struct qemud_isolation *new)
{
    struct qemud_grant *grown = realloc(run->grants, (run->ngrants + new->ngrants + 1) * sizeof(*grown));

    if (!grown)
        return -ENOMEM;
    run->grants = grown;
    for (size_t i = 0; i < new->ngrants; i++) {
        struct qemud_grant *g = &grown[run->ngrants];

        *g = new->grants[i];
        g->fd = -1;
        g->written = NULL;
        if (!(g->path = strdup(new->grants[i].path)))
            return -ENOMEM;
        run->ngrants++;
    }
    return 0;
}

void qemud_isolation_forget(struct qemud_isolation *run, const char *path, enum qemud_grant_access access)
{
    for (size_t i = run->ngrants; i-- > 0;) {
        struct qemud_grant *g = &run->grants[i];

        if (strcmp(g->path, path) != 0 || g->access != access)
            continue;
        if (g->fd >= 0)
            close(g->fd);
        free(g->path);
        free(g->written);
        memmove(g, g + 1, (run->ngrants - i - 1) * sizeof(*g));
        run->ngrants--;
        return;
    }
}
