#define MV_LOG_MODULE "qemud.nvram"
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "error_codes.h"
#include "file.h"
#include "log.h"
#include "nvram.h"
#include "paths.h"     /* mv_mkdir_p */

char *mv_nvram_dir(const char *statedir)
{
    char *p;

    return asprintf(&p, "%s/qemu/nvram", statedir) < 0 ? NULL : p;
}

char *mv_nvram_default_path(const char *nvram_dir, const char *name)
{
    char *p;

    return asprintf(&p, "%s/%s_VARS.fd", nvram_dir, name) < 0 ? NULL : p;
}

int mv_nvram_fill_path(struct mv_dom_def *def, const char *statedir)
{
    struct mv_dom_os *os = &def->os;
    _cleanup_free_ char *dir = NULL;

    if (os->nvram || !os->loader || os->loader_type != MV_DOM_LOADER_PFLASH ||
        os->loader_readonly != MV_TRISTATE_YES)
        return 0;
    if (!(dir = mv_nvram_dir(statedir)))
        return -ENOMEM;
    os->nvram = mv_nvram_default_path(dir, def->name);
    return os->nvram ? 0 : -ENOMEM;
}

/* The loader QEMU will map: a file we can read (QEMU runs as we do). */
static int check_loader(const struct mv_dom_def *live, int *errcode, char **errmsg)
{
    const char *loader = live->os.loader;

    if (!loader || access(loader, R_OK) == 0)
        return 0;
    *errcode = MV_ERR_OPERATION_FAILED;
    return mv_errmsg_set(errmsg, -errno, "operation failed: loader '%s' of domain '%s' cannot be read: %s",
                         loader, live->name, strerror(errno));
}

/* Copies TEMPLATE to PATH whole or not at all. */
static int copy_template(const char *tmpl, const char *path)
{
    _cleanup_free_ char *data = NULL;
    _cleanup_free_ char *dir = strdup(path);
    size_t len = 0;
    int r;

    if (!dir)
        return -ENOMEM;
    if ((r = mv_mkdir_p(dirname(dir), 0755)) < 0 ||
        (r = mv_file_read_all(tmpl, MV_NVRAM_TEMPLATE_MAX, &data, &len)) < 0)
        return r;
    return mv_file_write_atomic(path, data, len, 0600);
}

int mv_nvram_prepare(const struct mv_dom_def *live, int *errcode, char **errmsg)
{
    const struct mv_dom_os *os = &live->os;
    struct stat st;
    int r;

    if ((r = check_loader(live, errcode, errmsg)) < 0 || !os->nvram)
        return r;
    if (stat(os->nvram, &st) == 0)
        return 0;
    *errcode = MV_ERR_OPERATION_FAILED;
    if (errno != ENOENT)
        return mv_errmsg_set(errmsg, -errno, "operation failed: nvram '%s' of domain '%s': %s", os->nvram,
                             live->name, strerror(errno));
    if (!os->nvram_template)
        return mv_errmsg_set(errmsg, -ENOENT,
                             "operation failed: nvram '%s' of domain '%s' does not exist and no template makes "
                             "it (no <nvram template> and no firmware descriptor names loader '%s')",
                             os->nvram, live->name, os->loader);
    r = copy_template(os->nvram_template, os->nvram);
    if (r == -ENOMEM)
        *errcode = MV_ERR_NO_MEMORY;
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "operation failed: cannot create nvram '%s' of domain '%s' from template "
                             "'%s': %s", os->nvram, live->name, os->nvram_template, strerror(-r));
    mv_info("domain '%s': nvram '%s' created from '%s'", live->name, os->nvram, os->nvram_template);
    return 0;
}

int mv_nvram_existing(const struct mv_dom_def *def, const char *statedir, char **path)
{
    _cleanup_free_ char *dir = NULL;
    _cleanup_free_ char *p = NULL;
    struct stat st;

    *path = NULL;
    if (def->os.nvram)
        p = strdup(def->os.nvram);
    else if (def->os.firmware == MV_DOM_OS_FIRMWARE_EFI)
        p = (dir = mv_nvram_dir(statedir)) ? mv_nvram_default_path(dir, def->name) : NULL;
    else
        return 0;
    if (!p)
        return -ENOMEM;
    if (lstat(p, &st) == 0)
        *path = TAKE_PTR(p);
    return 0;
}
