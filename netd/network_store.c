/* Network definitions, autostart links and status files on disk. */
#define MV_LOG_MODULE "netd.store"
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "file.h"
#include "log.h"
#include "netd.h"
#include "network_store.h"
#include "store.h"
#include "xml.h"

/* the definition and its wrapper */
#define STATUS_FILE_MAX (NETD_DEFINITION_MAX + 4096)

int netd_store_init(const struct mv_paths *paths)
{
    _cleanup_free_ char *msg = NULL;
    int r;

    if ((r = mv_store_new(paths->confdir, paths->rundir, "network", "network", &netd.store)) < 0)
        return r;
    if ((r = mv_store_open(netd.store, &msg)) < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "%s", msg ? msg : strerror(-r));
    return 0;
}

void netd_store_cleanup(void)
{
    mv_store_free(netd.store);
    netd.store = NULL;
}

/* A store failure as the call's error (SYSTEM_ERROR with the store's message). */
static int store_error(struct mv_err *err, int r, char *msg)
{
    _cleanup_free_ char *m = msg;

    mv_err_set(err, MV_ERR_SYSTEM_ERROR, MV_FROM_NETWORK, "%s", m ? m : strerror(-r));
    return r;
}

/* A definition larger than netd reads back is refused before anything is
 * written: accepted now, it would be lost at the next start. */
static int check_size(const struct mv_net_def *def, const char *xml, struct mv_err *err)
{
    size_t len = strlen(xml);

    if (len <= NETD_DEFINITION_MAX)
        return 0;
    mv_err_set(err, MV_ERR_XML_ERROR, MV_FROM_NETWORK,
               "XML error: network '%s' is %zu bytes as XML, more than the %d bytes netd stores", def->name, len,
               NETD_DEFINITION_MAX);
    return -EFBIG;
}

int netd_store_check_size(const struct mv_net_def *def, struct mv_err *err)
{
    _cleanup_free_ char *xml = mv_net_def_format(def, 0);

    if (!xml)
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_NETWORK,
                          "internal error: cannot format the definition of network '%s'", def->name);
    return check_size(def, xml, err);
}

int netd_store_save_config(const struct mv_net_def *def, struct mv_err *err)
{
    _cleanup_free_ char *xml = mv_net_def_format(def, 0);
    char *msg = NULL;
    int r;

    if (!xml)
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_NETWORK,
                          "internal error: cannot format the definition of network '%s'", def->name);
    if ((r = check_size(def, xml, err)) < 0)
        return r;
    if ((r = mv_store_save_config(netd.store, def->name, xml, &msg)) < 0)
        return store_error(err, r, msg);
    return 0;
}

int netd_store_delete_config(const char *name, struct mv_err *err)
{
    char *msg = NULL;
    int r = mv_store_delete_config(netd.store, name, &msg);

    return r < 0 ? store_error(err, r, msg) : 0;
}

int netd_store_set_autostart(const char *name, bool on, struct mv_err *err)
{
    char *msg = NULL;
    int r = mv_store_set_autostart(netd.store, name, on, &msg);

    return r < 0 ? store_error(err, r, msg) : 0;
}

/* STATE: "" (active), " starting='yes'" or " stopping='yes'". */
static int write_status(const struct mv_net_def *live, pid_t pid, const char *state, struct mv_err *err)
{
    _cleanup_free_ char *xml = mv_net_def_format(live, 0), *doc = NULL, *dnsmasq = NULL;
    char *msg = NULL;
    int r;

    if (!xml)
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_NETWORK,
                          "internal error: cannot format the live definition of network '%s'", live->name);
    if ((r = check_size(live, xml, err)) < 0)
        return r;
    if (pid > 0 && asprintf(&dnsmasq, "  <dnsmasq pid='%d'/>\n", (int)pid) < 0)
        return -ENOMEM;
    /* the definition is formatted XML already: wrapping it needs no writer */
    if (asprintf(&doc, "<networkstatus%s>\n%s%s</networkstatus>\n", state, dnsmasq ? dnsmasq : "", xml) < 0)
        return -ENOMEM;
    if ((r = mv_store_write_status(netd.store, live->name, doc, &msg)) < 0)
        return store_error(err, r, msg);
    return 0;
}

int netd_store_write_status(const struct mv_net_def *live, pid_t pid, struct mv_err *err)
{
    return write_status(live, pid, "", err);
}

int netd_store_write_starting(const struct mv_net_def *def, struct mv_err *err)
{
    return write_status(def, 0, " starting='yes'", err);
}

int netd_store_write_stopping(const struct mv_net_def *live, pid_t pid, struct mv_err *err)
{
    return write_status(live, pid, " stopping='yes'", err);
}

int netd_store_delete_status(const char *name)
{
    return mv_store_delete_status(netd.store, name);
}

void netd_status_clear(struct netd_status *st)
{
    mv_net_def_free(st->live);
    memset(st, 0, sizeof(*st));
}

int netd_store_read_status(const char *path, struct netd_status *st, char **errmsg)
{
    _cleanup_free_ char *def_xml = NULL, *msg = NULL, *starting = NULL, *stopping = NULL;
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctx = NULL;
    unsigned long long pid = 0;
    int r;

    if ((r = mv_xml_read_file(path, STATUS_FILE_MAX, &doc, &ctx, errmsg)) < 0)
        return r;
    if (xmlStrcmp(xmlDocGetRootElement(doc)->name, BAD_CAST "networkstatus") != 0)
        return mv_errmsg_set(errmsg, -EINVAL, "'%s' is not a network status file", path);
    if (mv_xpath_ulong(ctx, "string(/networkstatus/dnsmasq/@pid)", &pid) < 0 || pid > INT32_MAX)
        return mv_errmsg_set(errmsg, -EINVAL, "'%s': invalid dnsmasq pid", path);
    if (!(def_xml = mv_xml_root_child_text(doc, "network")))
        return mv_errmsg_set(errmsg, -EINVAL, "'%s': no <network> element", path);
    if ((r = mv_net_def_parse(def_xml, &st->live, &msg)) < 0)
        return mv_errmsg_set(errmsg, r, "'%s': %s", path, msg ? msg : "cannot parse the network");
    st->dnsmasq_pid = (pid_t)pid;
    starting = mv_xpath_string(ctx, "string(/networkstatus/@starting)");
    st->starting = starting && strcmp(starting, "yes") == 0;
    stopping = mv_xpath_string(ctx, "string(/networkstatus/@stopping)");
    st->stopping = stopping && strcmp(stopping, "yes") == 0;
    return 0;
}

int netd_store_read_status_of(const char *name, struct netd_status *st, char **errmsg)
{
    _cleanup_free_ char *path = mv_store_path(netd.store->rundir, name, ".xml");

    if (!path)
        return -ENOMEM;
    if (access(path, F_OK) < 0)
        return -errno;
    return netd_store_read_status(path, st, errmsg);
}
