/* A guest's POSIX ACL entry on a host file: added, and removed again. */
#define MV_LOG_MODULE "qemud.acl"
#include <acl/libacl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <linux/openat2.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/acl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "guest_acl.h"
#include "guest_identity.h"

static inline void acl_freep(acl_t *a) { if (*a) acl_free(*a); }
#define _cleanup_acl_ _cleanup_(acl_freep)

/* /proc/self/fd/FD: the path the kernel resolves to the open file itself */
#define FD_PATH_MAX 32
static void fd_path(int fd, char buf[FD_PATH_MAX])
{
    snprintf(buf, FD_PATH_MAX, "/proc/self/fd/%d", fd);
}

static unsigned int entry_perm(acl_entry_t e)
{
    acl_permset_t ps;

    if (acl_get_permset(e, &ps) < 0)
        return 0;
    return (acl_get_perm(ps, ACL_READ) > 0 ? QEMUD_ACL_R : 0) | (acl_get_perm(ps, ACL_WRITE) > 0 ? QEMUD_ACL_W : 0) |
           (acl_get_perm(ps, ACL_EXECUTE) > 0 ? QEMUD_ACL_X : 0);
}

static int entry_set_perm(acl_entry_t e, unsigned int perm)
{
    acl_permset_t ps;

    if (acl_get_permset(e, &ps) < 0 || acl_clear_perms(ps) < 0 ||
        ((perm & QEMUD_ACL_R) && acl_add_perm(ps, ACL_READ) < 0) ||
        ((perm & QEMUD_ACL_W) && acl_add_perm(ps, ACL_WRITE) < 0) ||
        ((perm & QEMUD_ACL_X) && acl_add_perm(ps, ACL_EXECUTE) < 0) || acl_set_permset(e, ps) < 0)
        return -errno;
    return 0;
}

/* The entries of ACL a grant looks at (NULL: absent), and what the named
 * ones other than UID's allow together. */
struct acl_view {
    acl_entry_t mask, group_obj, mine;
    size_t nothers;             /* named entries other than UID's */
};

static void acl_look(acl_t acl, uid_t uid, struct acl_view *v)
{
    acl_entry_t e;
    acl_tag_t tag;

    memset(v, 0, sizeof(*v));
    for (int r = acl_get_entry(acl, ACL_FIRST_ENTRY, &e); r > 0; r = acl_get_entry(acl, ACL_NEXT_ENTRY, &e)) {
        if (acl_get_tag_type(e, &tag) < 0)
            continue;
        if (tag == ACL_MASK) {
            v->mask = e;
        } else if (tag == ACL_GROUP_OBJ) {
            v->group_obj = e;
        } else if (tag == ACL_USER || tag == ACL_GROUP) {
            uid_t *q = acl_get_qualifier(e);
            bool me = tag == ACL_USER && q && *q == uid;

            acl_free(q);
            if (me) {
                v->mine = e;
            } else {
                v->nothers++;
            }
        }
    }
}

/* What all named entries and the group entry but UID's allow together: a
 * mask bit beyond them all grants nobody anything (setfacl's own mask is
 * just this union). */
static unsigned int entries_union(acl_t acl, uid_t uid)
{
    unsigned int all = 0;
    acl_entry_t e;
    acl_tag_t tag;

    for (int r = acl_get_entry(acl, ACL_FIRST_ENTRY, &e); r > 0; r = acl_get_entry(acl, ACL_NEXT_ENTRY, &e)) {
        uid_t *q;

        if (acl_get_tag_type(e, &tag) < 0 || (tag != ACL_USER && tag != ACL_GROUP && tag != ACL_GROUP_OBJ))
            continue;
        q = tag == ACL_USER ? acl_get_qualifier(e) : NULL;
        if (!q || *q != uid)
            all |= entry_perm(e);
        acl_free(q);
    }
    return all;
}

/* What the entries of other guests' uids (qemud_guest_id_is_guest) than
 * UID need of the mask: only they may keep it wider than recorded.  A
 * local user's or group's entry is never a reason to widen it: its owner
 * may have limited it with the mask. */
static unsigned int other_guests_need(acl_t acl, uid_t uid)
{
    unsigned int need = 0;
    acl_entry_t e;
    acl_tag_t tag;

    for (int r = acl_get_entry(acl, ACL_FIRST_ENTRY, &e); r > 0; r = acl_get_entry(acl, ACL_NEXT_ENTRY, &e)) {
        uid_t *q;

        if (acl_get_tag_type(e, &tag) < 0 || tag != ACL_USER)
            continue;
        q = acl_get_qualifier(e);
        if (q && *q != uid && qemud_guest_id_is_guest(*q))
            need |= entry_perm(e);
        acl_free(q);
    }
    return need;
}

int qemud_acl_mask_get(int fd, int *mask)
{
    char p[FD_PATH_MAX];
    _cleanup_acl_ acl_t acl = NULL;
    struct acl_view v;

    fd_path(fd, p);
    /* a filesystem without ACLs reads as the plain mode (libacl) */
    if (!(acl = acl_get_file(p, ACL_TYPE_ACCESS)))
        return errno == ENOTSUP ? (*mask = -1, 0) : -errno;
    acl_look(acl, (uid_t)-1, &v);
    *mask = v.mask ? (int)entry_perm(v.mask) : -1;
    return 0;
}

static int set_error(char **errmsg, int r, const char *path, uid_t uid, const char *what)
{
    if (r == -EOPNOTSUPP)
        return mv_errmsg_set(errmsg, r,
                             "cannot give uid %u access to '%s': its filesystem has no POSIX ACLs "
                             "(make it accessible to uid %u or enable ACLs)",
                             (unsigned int)uid, path, (unsigned int)uid);
    return mv_errmsg_set(errmsg, r, "cannot %s the ACL entry of uid %u on '%s': %s", what, (unsigned int)uid, path,
                         strerror(-r));
}

static int acl_add(int fd, const char *path, uid_t uid, unsigned int perm, char **errmsg)
{
    char p[FD_PATH_MAX];
    _cleanup_acl_ acl_t acl = NULL;
    struct acl_view v;
    acl_entry_t e;
    int r;

    fd_path(fd, p);
    if (!(acl = acl_get_file(p, ACL_TYPE_ACCESS)))
        return set_error(errmsg, -errno, path, uid, "read");
    acl_look(acl, uid, &v);
    if (!v.group_obj)
        return set_error(errmsg, -EINVAL, path, uid, "read");
    if (v.mine) {
        perm |= entry_perm(v.mine);
    } else if (acl_create_entry(&acl, &v.mine) < 0 || acl_set_tag_type(v.mine, ACL_USER) < 0 ||
               acl_set_qualifier(v.mine, &uid) < 0) {
        return set_error(errmsg, -errno, path, uid, "add");
    }
    if ((r = entry_set_perm(v.mine, perm)) < 0)
        return set_error(errmsg, r, path, uid, "add");
    /* the mask grows by what the guest needs and no more: a setfacl-style
     * recomputation would also lift a restriction the owner put on others */
    if (v.mask) {
        r = entry_set_perm(v.mask, entry_perm(v.mask) | perm);
    } else {
        e = NULL;
        r = acl_create_entry(&acl, &e) < 0 || acl_set_tag_type(e, ACL_MASK) < 0 ? -errno
            : entry_set_perm(e, entry_perm(v.group_obj) | perm);
    }
    if (r < 0)
        return set_error(errmsg, r, path, uid, "add");
    if (acl_valid(acl) < 0 || acl_set_file(p, ACL_TYPE_ACCESS, acl) < 0)
        return set_error(errmsg, errno == ENOTSUP ? -EOPNOTSUPP : -errno, path, uid, "add");
    return 0;
}

/* PATH opened O_PATH with no symlink anywhere on the way: a revoke runs as
 * root from a recorded path, and a directory swapped for a symlink since
 * must not make it change another file. */
static int open_no_symlinks(const char *path)
{
    struct open_how how = { .flags = O_PATH | O_CLOEXEC | O_NOFOLLOW, .resolve = RESOLVE_NO_SYMLINKS };
    int fd = (int)syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof(how));

    /* kernels before 5.6: at least the last component */
    if (fd < 0 && errno == ENOSYS)
        fd = open(path, O_PATH | O_CLOEXEC | O_NOFOLLOW);
    return fd < 0 ? -errno : fd;
}

/* No named entry left: a minimal ACL of the CURRENT owner, group and
 * other bits (an owner's chmod during the run stays), the group's being
 * what it effectively had (group entry within the mask: a chmod g-r during
 * the run narrowed the mask, the grant widened it only beyond the group). */
static int drop_extended(const char *p, acl_t acl, const struct acl_view *v)
{
    int r = entry_set_perm(v->group_obj, entry_perm(v->group_obj) & entry_perm(v->mask));

    if (r < 0)
        return r;
    if (acl_delete_entry(acl, v->mask) < 0 || acl_valid(acl) < 0 || acl_set_file(p, ACL_TYPE_ACCESS, acl) < 0)
        return -errno;
    return 0;
}

static int acl_remove(const char *path, uid_t uid, mode_t mode, int mask, char **errmsg)
{
    _cleanup_close_ int fd = open_no_symlinks(path);
    _cleanup_acl_ acl_t acl = NULL;
    char p[FD_PATH_MAX];
    struct acl_view v;
    int r;

    if (fd < 0)
        return fd == -ENOENT ? -ENOENT : set_error(errmsg, fd, path, uid, "remove");
    fd_path(fd, p);
    if (!(acl = acl_get_file(p, ACL_TYPE_ACCESS)))
        return errno == ENOTSUP ? 0 : set_error(errmsg, -errno, path, uid, "remove");
    acl_look(acl, uid, &v);
    if (!v.mine)
        return 0;
    /* a named entry comes with a mask and a group entry (acl_valid) */
    if (!v.group_obj || !v.mask)
        return set_error(errmsg, -EINVAL, path, uid, "remove");
    if (acl_delete_entry(acl, v.mine) < 0)
        return set_error(errmsg, -errno, path, uid, "remove");
    if (v.nothers == 0)
        r = drop_extended(p, acl, &v);
    else {
        /* others stay: the recorded mask (or the group bits it stood for),
         * no wider than now (an owner's chmod g-... since stays), plus
         * what other guests' entries still need; never what a local
         * user's entry would like, which the mask limited before.  No
         * wider than the entries left: a guest that granted after another
         * recorded the mask that one had widened. */
        unsigned int base = mask >= 0 ? (unsigned int)mask : (unsigned int)(mode & 070) >> 3;

        r = entry_set_perm(v.mask, ((base & entry_perm(v.mask)) | other_guests_need(acl, uid)) &
                                       entries_union(acl, uid));
        if (r == 0 && (acl_valid(acl) < 0 || acl_set_file(p, ACL_TYPE_ACCESS, acl) < 0))
            r = -errno;
    }
    return r < 0 ? set_error(errmsg, r, path, uid, "remove") : 0;
}

/* An ACL change is read, modify, write: two starts or stops on one shared
 * file at once would lose one guest's entry.  One lock for all of them
 * (changes are rare and quick). */
static pthread_mutex_t acl_lock = PTHREAD_MUTEX_INITIALIZER;

int qemud_acl_add(int fd, const char *path, uid_t uid, unsigned int perm, char **errmsg)
{
    int r;

    pthread_mutex_lock(&acl_lock);
    r = acl_add(fd, path, uid, perm, errmsg);
    pthread_mutex_unlock(&acl_lock);
    return r;
}

int qemud_acl_remove(const char *path, uid_t uid, mode_t mode, int mask, char **errmsg)
{
    int r;

    pthread_mutex_lock(&acl_lock);
    r = acl_remove(path, uid, mode, mask, errmsg);
    pthread_mutex_unlock(&acl_lock);
    return r;
}
