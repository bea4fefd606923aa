/*
 * Mounting a pool's source at its target (fs and netfs pools).
 *
 * We run the real `mount` and `umount` through the core's runner rather
 * than calling mount(2) ourselves: the runner bounds each with a timeout
 * and kills it (a dead NFS server must fail pool-start, not hang a worker
 * forever), `mount -o loop` sets up and, with autoclear, releases the loop
 * device of an image file, a format of 'auto' is probed by mount's libblkid,
 * and NFS needs mount.nfs anyway.  The options are libvirt's defaults for
 * pools (nodev,nosuid,noexec): a pool holds disk images, not programs.
 */
#define MV_LOG_MODULE "storaged.backend"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend_priv.h"
#include "cleanup.h"
#include "errmsg.h"

#define POOL_MOUNT_OPTS "nodev,nosuid,noexec"

/* fs 'auto' leaves the type to mount's probe; netfs 'auto' is NFS, the
 * one network filesystem storaged mounts (mount would take HOST:DIR as NFS
 * anyway, the command just says so). */
static const char *mount_type(const struct mv_pool_def *def)
{
    bool any = !def->format || !*def->format || !strcmp(def->format, "auto");
    if (def->type == MV_POOL_NETFS)
        return any ? "nfs" : def->format;
    return any ? NULL : def->format;
}

static char *mount_source(const struct mv_pool_def *def)
{
    char *src = NULL;
    if (def->type == MV_POOL_NETFS) {
        if (asprintf(&src, "%s:%s", def->src_host, def->src_dir) < 0)
            return NULL;
        return src;
    }
    return strdup(def->devices[0]);
}

static char *mount_opts(const struct mv_pool_def *def, bool loop)
{
    char *opts = NULL;
    char port[32] = "";
    if (def->type == MV_POOL_NETFS && def->src_port)
        snprintf(port, sizeof(port), ",port=%u", def->src_port);
    if (asprintf(&opts, "%s%s%s", POOL_MOUNT_OPTS, loop ? ",loop" : "", port) < 0)
        return NULL;
    return opts;
}

char **mv_pool_mount_argv(const struct mv_pool_def *def, bool loop)
{
    const char *type = mount_type(def);
    char **argv = calloc(9, sizeof(*argv));
    if (!argv)
        return NULL;
    size_t i = 0;
    argv[i++] = strdup("mount");
    if (type) {
        argv[i++] = strdup("-t");
        argv[i++] = strdup(type);
    }
    argv[i++] = strdup("-o");
    argv[i++] = mount_opts(def, loop);
    argv[i++] = mount_source(def);
    argv[i++] = strdup(def->target_path);
    for (size_t k = 0; k < i; k++) {
        if (!argv[k]) {
            for (size_t j = 0; j < i; j++)
                free(argv[j]);
            free(argv);
            return NULL;
        }
    }
    return argv;
}

int mv_pool_mount(const struct mv_pool_def *def, bool loop, char **errmsg)
{
    if (mv_pool_is_mounted(def))
        return mv_errmsg_set(errmsg, -EBUSY, "cannot start pool '%s': target '%s' is already mounted", def->name,
                             def->target_path);
    _cleanup_strv_free_ char **argv = mv_pool_mount_argv(def, loop);
    if (!argv)
        return mv_errmsg_set(errmsg, -ENOMEM, "cannot start pool '%s': out of memory", def->name);
    return mv_pool_run(def, "start", (const char *const *)argv, MV_POOL_CMD_TIMEOUT_MS, NULL, errmsg);
}

/* umount says "target is busy" when a file on the pool is open (a running
 * guest's disk): that is -EBUSY, which the driver reports as such. */
int mv_pool_umount(const struct mv_pool_def *def, char **errmsg)
{
    if (!mv_pool_is_mounted(def))
        return 0;
    const char *argv[] = { "umount", def->target_path, NULL };
    struct mv_process_result res = { 0 };
    int rc = mv_pool_run(def, "stop", argv, MV_POOL_CMD_TIMEOUT_MS, &res, errmsg);
    if (rc == -EIO && strstr(res.err, "busy"))
        rc = -EBUSY;
    mv_process_result_clear(&res);
    return rc;
}

static bool is_octal(const char *s)
{
    return s[0] >= '0' && s[0] <= '3' && s[1] >= '0' && s[1] <= '7' && s[2] >= '0' && s[2] <= '7';
}

/* mountinfo escapes ' ', '\t', '\n' and '\\' as \ooo. */
static bool unescape(const char *s, size_t len, char *out, size_t size)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (c == '\\' && i + 3 < len && is_octal(s + i + 1)) {
            c = (char)(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
            i += 3;
        }
        if (o + 1 >= size)
            return false;
        out[o++] = c;
    }
    out[o] = '\0';
    return true;
}

bool mv_pool_mountinfo_target(const char *line, char *out, size_t size)
{
    const char *p = line;
    for (int field = 0; field < 4; field++) {
        p = strchr(p, ' ');
        if (!p)
            return false;
        p++;
    }
    size_t len = strcspn(p, " \n");
    return unescape(p, len, out, size);
}

/* Compares the target as defined (absolute and clean, pool_def.h) and
 * never touches it: a stat() of a hung NFS mount point would hang the
 * caller, and restart re-adoption asks this of every pool. */
bool mv_pool_is_mounted(const struct mv_pool_def *def)
{
    const char *want = def->target_path;
    _cleanup_fclose_ FILE *f = fopen("/proc/self/mountinfo", "re");
    if (!f)
        return false;
    _cleanup_free_ char *line = NULL;
    size_t cap = 0;
    char mnt[PATH_MAX];
    while (getline(&line, &cap, f) > 0)
        if (mv_pool_mountinfo_target(line, mnt, sizeof(mnt)) && !strcmp(mnt, want))
            return true;
    return false;
}

/* A file pool on a mounted source lists its target only while mounted:
 * otherwise refresh would report the empty directory underneath. */
int mv_pool_mounted_refresh(const struct mv_pool_def *def, struct mv_pool_vol **vols, size_t *n,
                            struct mv_pool_usage *usage, char **errmsg)
{
    if (!mv_pool_is_mounted(def))
        return mv_errmsg_set(errmsg, -ENOTCONN, "cannot refresh pool '%s': target '%s' is not mounted",
                             def->name, def->target_path);
    return mv_pool_dir_refresh(def, vols, n, usage, errmsg);
}
