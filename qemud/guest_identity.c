/*
 * Which uid/gid each running guest's QEMU gets (guest_identity.h).
 *
 * Range mode (the default) hands every running domain the lowest uid of
 * guest_uid_range that no other running domain holds and that no user or
 * group of the host owns; its gid is the same number.  The ids held live
 * only here, in memory: a restarted daemon learns them back from the status
 * files of the guests it re-attaches (qemud_guest_id_reserve).
 */
#define MV_LOG_MODULE "qemud"
#include <errno.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "error.h"
#include "guest_identity.h"
#include "log.h"

/*
 * The default range, 2147000000-2147065535 (0x7FF89EC0-0x7FF99EBF, 65536
 * ids), lies where no account is expected (systemd's UIDS-GIDS.md): above
 * regular users (1000-60000), systemd's dynamic users (61184-65519), nobody
 * (65534) and the 16-bit -1 (65535), above the container ranges
 * systemd-nspawn and most distributions' subuid files hand out
 * (524288-1879048191), below systemd's foreign range (0x7FFE0000-0x7FFEFFFF)
 * and below 2^31, which tools that keep uids in a signed int get wrong.
 */
#define DEFAULT_FIRST 2147000000u
#define DEFAULT_LAST 2147065535u
/* 0-999 are system accounts (login.defs SYS_UID_MAX) even when unnamed. */
#define SYSTEM_UID_MAX 999u
/* The highest uid a range may hold: 2^31-2, as systemd's own allocator
 * (2^31-1 is left out too: some tools treat it as a marker). */
#define RANGE_UID_MAX 2147483646u
#define NSS_BUF_MAX (1024 * 1024)

enum id_mode {
    MODE_ROOT,                  /* user = "root": QEMU keeps uid 0 */
    MODE_FIXED,                 /* user/group: one identity for every guest */
    MODE_RANGE,                 /* one identity per running guest */
};

struct held {
    uid_t uid;
    char *domname;              /* for the log only */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static enum id_mode mode = MODE_RANGE;
static struct qemud_guest_id fixed;
static uid_t first = DEFAULT_FIRST, last = DEFAULT_LAST;
static struct held *held;       /* sorted by uid */
static size_t nheld, aheld;

/* ---- the account databases ---- */

/* NSS lookups into a buffer that grows on ERANGE.  1: found (FOUND true),
 * 0: no entry, -errno: the database could not be read. */
#define NSS_LOOKUP(call, found)                                                 \
    do {                                                                        \
        size_t size = 1024;                                                     \
        for (;;) {                                                              \
            _cleanup_free_ char *buf = malloc(size);                            \
            int e;                                                              \
            if (!buf)                                                           \
                return -ENOMEM;                                                 \
            e = (call);                                                         \
            if (e == ERANGE && size < NSS_BUF_MAX) {                            \
                size *= 2;                                                      \
                continue;                                                       \
            }                                                                   \
            /* glibc gives 0 and no entry for "not found"; others ENOENT... */ \
            if (e == 0 || e == ENOENT || e == ESRCH || e == EBADF || e == EPERM) \
                return (found) ? 1 : 0;                                         \
            return -e;                                                          \
        }                                                                       \
    } while (0)

/* Only the numbers are handed out: the strings die with the buffer. */
static int user_by_name(const char *name, uid_t *uid, gid_t *gid)
{
    struct passwd pw, *res = NULL;

    NSS_LOOKUP(getpwnam_r(name, &pw, buf, size, &res),
               res && ((*uid = pw.pw_uid), (*gid = pw.pw_gid), true));
}

static int user_by_uid(uid_t uid, gid_t *gid)
{
    struct passwd pw, *res = NULL;

    NSS_LOOKUP(getpwuid_r(uid, &pw, buf, size, &res), res && ((*gid = pw.pw_gid), true));
}

static int group_by_name(const char *name, gid_t *gid)
{
    struct group gr, *res = NULL;

    NSS_LOOKUP(getgrnam_r(name, &gr, buf, size, &res), res && ((*gid = gr.gr_gid), true));
}

static int gid_exists(gid_t gid)
{
    struct group gr, *res = NULL;

    NSS_LOOKUP(getgrgid_r(gid, &gr, buf, size, &res), res);
}

/* ---- configuration ---- */

/* A decimal id ("+N" as libvirt writes a number that must not be taken for
 * a name); false if S is not one. */
static bool parse_number(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;

    if (*s == '+')
        s++;
    if (*s < '0' || *s > '9')
        return false;
    errno = 0;
    *out = strtoull(s, &end, 10);
    return errno == 0 && *end == '\0' && *out <= max;
}

static int quoted_error(char **errmsg, int err, const char *key, const char *value, const char *why)
{
    _cleanup_free_ char *q = mv_errmsg_quote(value, strlen(value), MV_ERRMSG_QUOTE_MAX);

    return mv_errmsg_set(errmsg, err, "%s '%s': %s", key, q ? q : "?", why);
}

/* USER as a name, else as a number; its primary group in *GID (the uid
 * itself for a number no account has, as in range mode). */
static int resolve_user(const char *user, uid_t *uid, gid_t *gid, char **errmsg)
{
    unsigned long long n;
    int r = user[0] == '+' ? 0 : user_by_name(user, uid, gid);

    if (r == 0) {
        if (!parse_number(user, RANGE_UID_MAX, &n))
            return quoted_error(errmsg, -EINVAL, "user", user, "no such user");
        *uid = (uid_t)n;
        *gid = (gid_t)n;
        r = user_by_uid(*uid, gid);
    }
    return r < 0 ? quoted_error(errmsg, -EINVAL, "user", user, strerror(-r)) : 0;
}

static int resolve_group(const char *group, gid_t *gid, char **errmsg)
{
    unsigned long long n;
    int r = group[0] == '+' ? 0 : group_by_name(group, gid);

    if (r < 0)
        return quoted_error(errmsg, -EINVAL, "group", group, strerror(-r));
    if (r > 0)
        return 0;
    if (!parse_number(group, RANGE_UID_MAX, &n))
        return quoted_error(errmsg, -EINVAL, "group", group, "no such group");
    *gid = (gid_t)n;
    return 0;
}

static int parse_range(const char *s, uid_t *lo, uid_t *hi, char **errmsg)
{
    unsigned long long a, b;
    char *end;

    errno = 0;
    a = *s >= '0' && *s <= '9' ? strtoull(s, &end, 10) : 0;
    if (*s < '0' || *s > '9' || errno || *end != '-' || end[1] < '0' || end[1] > '9')
        return quoted_error(errmsg, -EINVAL, "guest_uid_range", s, "expected FIRST-LAST");
    b = strtoull(end + 1, &end, 10);
    if (errno || *end != '\0')
        return quoted_error(errmsg, -EINVAL, "guest_uid_range", s, "expected FIRST-LAST");
    if (a > b)
        return quoted_error(errmsg, -EINVAL, "guest_uid_range", s, "FIRST is above LAST");
    if (a <= SYSTEM_UID_MAX)
        return quoted_error(errmsg, -EINVAL, "guest_uid_range", s,
                            "overlaps the system uids 0-999");
    if (b > RANGE_UID_MAX)
        return quoted_error(errmsg, -EINVAL, "guest_uid_range", s,
                            "goes above 2147483646 (2^31-2)");
    *lo = (uid_t)a;
    *hi = (uid_t)b;
    return 0;
}

/* user (and group) set: one identity, or none for root. */
static int configure_fixed(const char *user, const char *group, const char *range,
                           struct qemud_guest_id *id, char **errmsg)
{
    int r;

    if ((r = resolve_user(user, &id->uid, &id->gid, errmsg)) < 0)
        return r;
    if (id->uid == 0) {
        id->set = false;        /* isolation off: group and range mean nothing */
        return 0;
    }
    if (range)
        return quoted_error(errmsg, -EINVAL, "guest_uid_range", range,
                            "cannot be combined with user (one fixed identity for every guest)");
    if (group && (r = resolve_group(group, &id->gid, errmsg)) < 0)
        return r;
    if (id->gid == 0)
        return quoted_error(errmsg, -EINVAL, group ? "group" : "user", group ? group : user,
                            "gid 0 would give QEMU the root group's files");
    id->set = true;
    return 0;
}

static void held_clear(void)
{
    for (size_t i = 0; i < nheld; i++)
        free(held[i].domname);
    nheld = 0;
}

int qemud_guest_ids_configure(const mv_conf *conf, char **errmsg)
{
    _cleanup_free_ char *user = NULL, *group = NULL, *range = NULL;
    struct qemud_guest_id id = { 0 };
    uid_t lo = DEFAULT_FIRST, hi = DEFAULT_LAST;
    int r;

    if ((r = mv_conf_get_string(conf, "user", &user, errmsg)) < 0 ||
        (r = mv_conf_get_string(conf, "group", &group, errmsg)) < 0 ||
        (r = mv_conf_get_string(conf, "guest_uid_range", &range, errmsg)) < 0)
        return r;
    if (user)
        r = configure_fixed(user, group, range, &id, errmsg);
    else if (group)
        r = quoted_error(errmsg, -EINVAL, "group", group,
                         "needs user (with guest_uid_range each guest's gid is its uid)");
    else if (range)
        r = parse_range(range, &lo, &hi, errmsg);
    if (r < 0)
        return r;

    pthread_mutex_lock(&lock);
    mode = !user ? MODE_RANGE : id.set ? MODE_FIXED : MODE_ROOT;
    fixed = id;
    first = lo;
    last = hi;
    held_clear();
    pthread_mutex_unlock(&lock);
    if (mode == MODE_RANGE)
        mv_debug("guests run as uids %u-%u", (unsigned)lo, (unsigned)hi);
    return 0;
}

bool qemud_guest_ids_isolated(void)
{
    bool on;

    pthread_mutex_lock(&lock);
    on = mode != MODE_ROOT;
    pthread_mutex_unlock(&lock);
    return on;
}

/* ---- the held set (lock held) ---- */

/* The index of UID in held, or where it would go. */
static size_t held_find(uid_t uid)
{
    size_t lo = 0, hi = nheld;

    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;

        if (held[mid].uid < uid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int held_insert(size_t at, uid_t uid, const char *domname)
{
    char *name = strdup(domname ? domname : "");

    if (!name)
        return -ENOMEM;
    if (nheld == aheld) {
        size_t n = aheld ? aheld * 2 : 16;
        struct held *h = realloc(held, n * sizeof(*h));

        if (!h) {
            free(name);
            return -ENOMEM;
        }
        held = h;
        aheld = n;
    }
    memmove(held + at + 1, held + at, (nheld - at) * sizeof(*held));
    held[at] = (struct held){ .uid = uid, .domname = name };
    nheld++;
    return 0;
}

/* Whether some account owns UID as a user or a group: a guest given it
 * would reach that account's files. */
static int owned_by_account(uid_t uid)
{
    gid_t primary;
    int r = user_by_uid(uid, &primary);

    return r != 0 ? r : gid_exists((gid_t)uid);
}

/* The lowest uid from FROM up that is neither held nor an account's, and
 * its index in held; -EBUSY past the range. */
static int lowest_free(uid_t from, uid_t *out, size_t *at, struct mv_err *err)
{
    size_t i = held_find(from);

    for (uint64_t uid = from; uid <= last; uid++) {
        int r;

        if (i < nheld && held[i].uid == uid) {
            i++;
            continue;
        }
        if ((r = owned_by_account((uid_t)uid)) < 0)
            return mv_err_set_errno(err, r, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                                    "cannot tell whether uid %u belongs to an account",
                                    (unsigned)uid);
        if (r == 0) {
            *out = (uid_t)uid;
            *at = i;
            return 0;
        }
        mv_debug("uid %u of guest_uid_range belongs to an account: skipped", (unsigned)uid);
    }
    mv_err_set(err, MV_ERR_RESOURCE_BUSY, MV_FROM_QEMU,
               "no free guest uid in guest_uid_range %u-%u (%zu domains running)",
               (unsigned)first, (unsigned)last, nheld);
    return -EBUSY;
}

/* ---- acquire, reserve, release ---- */

static int acquire_locked(const char *domname, struct qemud_guest_id *id, struct mv_err *err)
{
    size_t at = 0;
    uid_t uid = 0;
    int r;

    if (mode != MODE_RANGE) {
        *id = fixed;
        return 0;
    }
    if ((r = lowest_free(first, &uid, &at, err)) < 0)
        return r;
    if ((r = held_insert(at, uid, domname)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                                "cannot hold a guest uid for '%s'", domname);
    *id = (struct qemud_guest_id){ .set = true, .uid = uid, .gid = (gid_t)uid };
    mv_debug("'%s' runs as uid %u", domname, (unsigned)uid);
    return 0;
}

int qemud_guest_id_acquire(const char *domname, struct qemud_guest_id *id, struct mv_err *err)
{
    int r;

    pthread_mutex_lock(&lock);
    r = acquire_locked(domname, id, err);
    pthread_mutex_unlock(&lock);
    return r;
}

/* Any uid a re-attached guest ran as is held, also one outside the range
 * (the range was changed since): none may be handed to a second guest. */
static int reserve_locked(const char *domname, const struct qemud_guest_id *id)
{
    size_t at;

    if (mode != MODE_RANGE || !id->set)
        return 0;
    at = held_find(id->uid);
    if (at < nheld && held[at].uid == id->uid) {
        if (strcmp(held[at].domname, domname ? domname : "") == 0)
            return 0;
        mv_debug("uid %u of '%s' is held by '%s'", (unsigned)id->uid, domname, held[at].domname);
        return -EEXIST;
    }
    return held_insert(at, id->uid, domname);
}

int qemud_guest_id_reserve(const char *domname, const struct qemud_guest_id *id)
{
    int r;

    pthread_mutex_lock(&lock);
    r = reserve_locked(domname, id);
    pthread_mutex_unlock(&lock);
    return r;
}

bool qemud_guest_id_is_guest(uid_t uid)
{
    bool yes;

    pthread_mutex_lock(&lock);
    yes = mode == MODE_RANGE ? uid >= first && uid <= last : mode == MODE_FIXED && uid == fixed.uid;
    pthread_mutex_unlock(&lock);
    return yes;
}

void qemud_guest_id_release(const struct qemud_guest_id *id)
{
    size_t at;

    if (!id || !id->set)
        return;
    pthread_mutex_lock(&lock);
    at = held_find(id->uid);
    if (mode == MODE_RANGE && at < nheld && held[at].uid == id->uid) {
        free(held[at].domname);
        memmove(held + at, held + at + 1, (nheld - at - 1) * sizeof(*held));
        nheld--;
    }
    pthread_mutex_unlock(&lock);
}

size_t qemud_guest_id_groups(bool uses_kvm, gid_t *groups, size_t max)
{
    gid_t kvm;

    /* root reaches /dev/kvm anyway; an unprivileged QEMU through the group
     * udev gives the node (0660 root:kvm) */
    if (!uses_kvm || max == 0 || !qemud_guest_ids_isolated() || group_by_name("kvm", &kvm) <= 0)
        return 0;
    groups[0] = kvm;
    return 1;
}
