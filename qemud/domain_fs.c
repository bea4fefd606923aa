/* The shared directories of a starting domain (domain_fs.h). */
#include "config.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "domain_fs.h"
#include "error_codes.h"

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
