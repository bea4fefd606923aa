/* The shared directories of a starting domain (domain_fs.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_fs.h"
#include "error_codes.h"
#include "virtiofs.h"

int qemud_fs_check_sources(const char *name, const struct mv_dom_def *live, struct mv_err *err)
{
    for (size_t i = 0; i < live->devices.nfilesystems; i++) {
        const struct mv_dom_fs *fs = &live->devices.filesystems[i];
        struct stat st;

        if (!fs->source_dir)
            continue;
        /* follows symlinks, as QEMU and virtiofsd do when they open it */
        if (stat(fs->source_dir, &st) < 0)
            return mv_err_set_errno(err, -errno, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                                    "operation failed: cannot start domain '%s': source directory '%s' "
                                    "of filesystem '%s'", name, fs->source_dir, fs->target);
        if (!S_ISDIR(st.st_mode))
            return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                              "operation failed: cannot start domain '%s': source '%s' of filesystem '%s' "
                              "is not a directory", name, fs->source_dir, fs->target);
    }
    return 0;
}

void qemud_fs_sockets_clear(struct qemud_fs_sockets *s)
{
    for (size_t i = 0; s->paths && i < s->n; i++)
        free(s->paths[i]);
    free(s->paths);
    *s = (struct qemud_fs_sockets){ 0 };
}

int qemud_fs_sockets_init(struct qemud_fs_sockets *s, const char *rundir, const char *uuid_str,
                          const struct mv_dom_def *live)
{
    size_t n = live->devices.nfilesystems;

    *s = (struct qemud_fs_sockets){ .paths = calloc(n ? n : 1, sizeof(char *)), .n = n };
    if (!s->paths)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        if (!mv_virtiofs_needs_daemon(&live->devices.filesystems[i]))
            continue;
        if (!(s->paths[i] = mv_virtiofs_socket_path(rundir, uuid_str, i))) {
            qemud_fs_sockets_clear(s);
            return -ENOMEM;
        }
    }
    return 0;
}

static int start_one(struct qemud_sidecars *set, const char *name, const struct mv_dom_fs *fs, const char *socket,
                     int log_fd, struct mv_err *err)
{
    _cleanup_strv_free_ char **argv = NULL;
    struct qemud_sidecar_spec spec = { .id = fs->alias, .socket_path = socket, .log_fd = log_fd };
    const char *binary = fs->binary.path ? fs->binary.path : MV_VIRTIOFSD_PATH;

    /* named here: a failed exec would only show as an exit status */
    if (access(binary, X_OK) < 0)
        return mv_err_set_errno(err, -errno, MV_ERR_CONFIG_UNSUPPORTED, MV_FROM_QEMU,
                                "unsupported configuration: cannot start domain '%s': virtiofsd '%s' of "
                                "filesystem '%s' cannot be run", name, binary, fs->target);
    if (!fs->alias || mv_virtiofs_build_argv(fs, binary, socket, &argv) < 0)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                                "cannot build the virtiofsd command line of filesystem '%s'", fs->target);
    spec.argv = (const char *const *)argv;
    return qemud_sidecar_start(set, name, &spec, err);
}

int qemud_fs_start_virtiofsd(struct qemud_sidecars *set, const char *name, const struct mv_dom_def *live,
                             const struct qemud_fs_sockets *s, int log_fd, struct mv_err *err)
{
    int r;

    for (size_t i = 0; i < live->devices.nfilesystems && i < s->n; i++)
        if (s->paths[i] &&
            (r = start_one(set, name, &live->devices.filesystems[i], s->paths[i], log_fd, err)) < 0)
            return r;
    return 0;
}
