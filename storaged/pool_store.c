/* Pool definitions, autostart links and status files on disk. */
#define MV_LOG_MODULE "storaged.store"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "errmsg.h"
#include "file.h"
#include "log.h"
#include "pool_store.h"
#include "storaged.h"
#include "store.h"

int stor_store_init(const struct mv_paths *paths)
{
    _cleanup_free_ char *msg = NULL;
    int r;

    if ((r = mv_store_new(paths->confdir, paths->rundir, "storage", "storage pool", &storaged.store)) < 0)
        return r;
    if ((r = mv_store_open(storaged.store, &msg)) < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "%s", msg ? msg : strerror(-r));
    return 0;
}

void stor_store_cleanup(void)
{
    mv_store_free(storaged.store);
    storaged.store = NULL;
}

/* A store failure as the call's error (SYSTEM_ERROR with the store's message). */
static int store_error(struct mv_err *err, int r, char *msg)
{
    _cleanup_free_ char *m = msg;

    mv_err_set(err, MV_ERR_SYSTEM_ERROR, MV_FROM_STORAGE, "%s", m ? m : strerror(-r));
    return r;
}

/* DEF as XML no larger than storaged reads back; NULL with ERR. */
static char *format_checked(const struct mv_pool_def *def, struct mv_err *err)
{
    char *xml = mv_pool_def_format(def, NULL);

    if (!xml) {
        mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_STORAGE,
                   "internal error: cannot format the definition of storage pool '%s'", def->name);
        return NULL;
    }
    if (strlen(xml) > STOR_DEFINITION_MAX) {
        mv_err_set(err, MV_ERR_XML_ERROR, MV_FROM_STORAGE,
                   "XML error: storage pool '%s' is %zu bytes as XML, more than the %d bytes storaged stores",
                   def->name, strlen(xml), STOR_DEFINITION_MAX);
        free(xml);
        return NULL;
    }
    return xml;
}

int stor_store_save_config(const struct mv_pool_def *def, struct mv_err *err)
{
    _cleanup_free_ char *xml = format_checked(def, err);
    char *msg = NULL;
    int r;

    if (!xml)
        return -EINVAL;
    if ((r = mv_store_save_config(storaged.store, def->name, xml, &msg)) < 0)
        return store_error(err, r, msg);
    return 0;
}

int stor_store_delete_config(const char *name, struct mv_err *err)
{
    char *msg = NULL;
    int r = mv_store_delete_config(storaged.store, name, &msg);

    return r < 0 ? store_error(err, r, msg) : 0;
}

int stor_store_set_autostart(const char *name, bool on, struct mv_err *err)
{
    char *msg = NULL;
    int r = mv_store_set_autostart(storaged.store, name, on, &msg);

    return r < 0 ? store_error(err, r, msg) : 0;
}

int stor_store_write_status(const struct mv_pool_def *live, struct mv_err *err)
{
    _cleanup_free_ char *xml = format_checked(live, err);
    char *msg = NULL;
    int r;

    if (!xml)
        return -EINVAL;
    if ((r = mv_store_write_status(storaged.store, live->name, xml, &msg)) < 0)
        return store_error(err, r, msg);
    return 0;
}

int stor_store_delete_status(const char *name)
{
    return mv_store_delete_status(storaged.store, name);
}

int stor_store_read(const char *path, struct mv_pool_def **def, char **errmsg)
{
    _cleanup_free_ char *xml = NULL, *msg = NULL;
    int r;

    if ((r = mv_file_read_all(path, STOR_DEFINITION_MAX, &xml, NULL)) < 0) {
        if (r == -EFBIG)
            return mv_errmsg_set(errmsg, r, "'%s' is larger than the %d bytes storaged reads", path,
                                 STOR_DEFINITION_MAX);
        return mv_errmsg_set(errmsg, r, "cannot read '%s': %s", path, strerror(-r));
    }
    if ((r = mv_pool_def_parse(xml, def, &msg)) < 0)
        return mv_errmsg_set(errmsg, r, "'%s': %s", path, msg ? msg : "cannot parse the storage pool");
    return 0;
}
