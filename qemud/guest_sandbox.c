/* The confinement of a guest's QEMU (guest_sandbox.h). */
#define MV_LOG_MODULE "qemud.isolation"
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "paths.h"
#include "guest_identity.h"
#include "guest_sandbox.h"
#include "hostdev_pci.h"
#include "log.h"
#include "qemud.h"

/* QEMU opens an fd per disk, tap, socket and vCPU thread's eventfds: this
 * is libvirt's usual ceiling for a guest with many devices */
#define GUEST_NOFILE 32768
/* locked guest RAM is counted with this much for QEMU's own pages, as
 * libvirt does for VFIO and <locked/> */
#define MEMLOCK_SLACK (1ULL << 30)

/* Where every confined QEMU's new root is staged (an empty directory that
 * each child mounts its own tmpfs on, in its own namespace). */
static int stage_dir(char **path)
{
    int r;

    if (asprintf(path, "%s/.root", qemud.rundir) < 0) {
        *path = NULL;
        return -ENOMEM;
    }
    r = mv_mkdir_p(*path, 0700);
    return r == -EEXIST ? 0 : r;
}

/* The guest's RAM must stay resident (<locked/>) or VFIO pins all of it:
 * RLIMIT_MEMLOCK then covers it, otherwise the default stays. */
static long long memlock_for(const struct mv_dom_def *live)
{
    unsigned long long kib = live->max_memory_kib > live->memory_kib ? live->max_memory_kib : live->memory_kib;

    if (!live->memory_backing.locked && !live->devices.nhostdevs)
        return -1;
    return (long long)(kib * 1024 + MEMLOCK_SLACK);
}

/* WANT, or the daemon's own hard limit RES when WANT is above it: raising
 * a hard limit takes CAP_SYS_RESOURCE, which a daemon in a container may
 * not have (QEMU's own error then names what it could not get). */
static long long within_hard_limit(int res, long long want)
{
    struct rlimit rl;

    if (want < 0 || getrlimit(res, &rl) < 0 || rl.rlim_max == RLIM_INFINITY || (unsigned long long)want <= rl.rlim_max)
        return want;
    mv_debug("limit %d: %lld wanted, the daemon's hard limit %llu given", res, want,
             (unsigned long long)rl.rlim_max);
    return (long long)rl.rlim_max;
}

static int add_dev_node(struct mv_confine *c, const char *node)
{
    return access(node, F_OK) == 0 ? mv_confine_add(c, node, node, -1, 0) : 0;
}

/* Whether PATH is in the base layout already (mv_confine_add_base). */
static bool in_base(const char *path)
{
    static const char *const base[] = { "/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", NULL };

    if (strncmp(path, "/usr/", 5) == 0)
        return true;
    for (size_t i = 0; base[i]; i++)
        if (strcmp(path, base[i]) == 0)
            return true;
    return false;
}

/* /dev/kvm for a KVM guest (its group gives access).  An RNG's host
 * device and the VFIO nodes are grants (guest_files.c): bound with them. */
static int add_devices(struct mv_confine *c, bool kvm)
{
    return kvm ? add_dev_node(c, "/dev/kvm") : 0;
}

/* One grant bound at PATH from the fd the daemon resolved and checked: a
 * path swapped for a symlink since then changes nothing. */
static int add_grant(struct mv_confine *c, const struct qemud_grant *g, const char *path)
{
    unsigned flags = g->access == QEMUD_GRANT_READ       ? MV_CONFINE_RO
                     : g->access == QEMUD_GRANT_DIR      ? MV_CONFINE_DIR
                     : g->access == QEMUD_GRANT_DIR_READ ? MV_CONFINE_DIR | MV_CONFINE_RO
                                                         : 0;

    if (in_base(path))          /* there already (a kernel under /usr/lib) */
        return 0;
    return mv_confine_add(c, path, g->fd >= 0 ? NULL : g->path, g->fd, flags);
}

/* Files first, directories last: the child creates each mountpoint under
 * the new root, and one below a directory already bound there would be
 * created through the host's directory, which the user may change
 * meanwhile (a symlink swapped in would lead root elsewhere).  A file
 * inside a granted directory is then seen through the directory's bind,
 * with its own ACL. */
static int add_grants(struct mv_confine *c, const struct qemud_isolation *iso)
{
    int r;

    for (int dirs = 0; dirs <= 1; dirs++)
        for (size_t i = 0; i < iso->ngrants; i++) {
            const struct qemud_grant *g = &iso->grants[i];

            if ((g->access == QEMUD_GRANT_DIR || g->access == QEMUD_GRANT_DIR_READ) != dirs)
                continue;
            /* QEMU opens the path as written: where a symlink made it
             * differ, the same fd is bound there too */
            if ((r = add_grant(c, g, g->path)) < 0 || (g->written && (r = add_grant(c, g, g->written)) < 0))
                return r;
        }
    return 0;
}

int qemud_guest_sandbox_build(const char *domname, const char *emulator, const struct mv_dom_def *live, bool kvm,
                              const struct qemud_isolation *iso, const char *domdir, struct mv_confine *c,
                              struct mv_err *err)
{
    _cleanup_free_ char *stage = NULL;
    int r;

    if ((r = stage_dir(&stage)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot create the staging directory for the private root of domain '%s'", domname);
    if ((r = mv_confine_init(c, stage)) < 0 || (r = mv_confine_add_base(c)) < 0 ||
        (r = mv_confine_add(c, domdir, domdir, -1, MV_CONFINE_DIR)) < 0 || (r = add_devices(c, kvm)) < 0 ||
        (r = add_grants(c, iso)) < 0 ||
        /* an emulator outside /usr (a wrapper script) must exist in the new root */
        (!in_base(emulator) && (r = mv_confine_add(c, emulator, emulator, -1, MV_CONFINE_RO)) < 0))
        return err->code ? r : mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                                "cannot plan the private root of domain '%s'", domname);
    c->uid = iso->id.uid;
    c->gid = iso->id.gid;
    c->ngroups = qemud_guest_id_groups(kvm, c->groups, sizeof(c->groups) / sizeof(c->groups[0]));
    c->no_new_privs = true;
    c->nofile = within_hard_limit(RLIMIT_NOFILE, GUEST_NOFILE);
    c->memlock = within_hard_limit(RLIMIT_MEMLOCK, memlock_for(live));
    return 0;
}
