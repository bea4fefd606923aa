/* Definitions, autostart links and status files on disk. */
#define MV_LOG_MODULE "qemud.store"
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "file.h"
#include "guest_files.h"
#include "hostdev_managed.h"
#include "log.h"
#include "domain_store.h"
#include "paths.h"
#include "qemud.h"
#include "store.h"
#include "xml.h"

#define STATUS_FILE_MAX (16 * 1024 * 1024)

int qemud_store_init(const struct mv_paths *paths)
{
    _cleanup_free_ char *msg = NULL;
    int r;

    if ((r = mv_store_new(paths->confdir, paths->rundir, "qemu", "domain", &qemud.store)) < 0)
        return r;
    qemud.rundir = qemud.store->rundir;
    if ((r = mv_store_open(qemud.store, &msg)) < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "%s", msg ? msg : strerror(-r));
    if (!(qemud.logdir = mv_store_path(paths->logdir, "qemu", "")))
        return -ENOMEM;
    if ((r = mv_mkdir_p(paths->logdir, 0755)) < 0 || (r = mv_mkdir_p(qemud.logdir, 0700)) < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot create '%s': %s", qemud.logdir, strerror(-r));
    return 0;
}

void qemud_store_cleanup(void)
{
    mv_store_free(qemud.store);
    qemud.store = NULL;
    qemud.rundir = NULL;
    free(qemud.logdir);
    qemud.logdir = NULL;
}

/* A store failure as the call's error (SYSTEM_ERROR, the store's message). */
static int store_error(struct mv_err *err, int r, char *msg)
{
    _cleanup_free_ char *m = msg;

    if (r == -ENOMEM && !m)
        return r;
    mv_err_set(err, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "%s", m ? m : strerror(-r));
    return r;
}

int qemud_store_save_config(const struct mv_dom_def *def, struct mv_err *err)
{
    _cleanup_free_ char *xml = NULL;
    char *msg = NULL;
    int r;

    if ((r = mv_dom_def_format(def, NULL, MV_DOM_FORMAT_SECURE, &xml)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                                "internal error: cannot format the definition of domain '%s'", def->name);
    if ((r = mv_store_save_config(qemud.store, def->name, xml, &msg)) < 0)
        return store_error(err, r, msg);
    return 0;
}

int qemud_store_delete_config(const char *name, struct mv_err *err)
{
    char *msg = NULL;
    int r = mv_store_delete_config(qemud.store, name, &msg);

    return r < 0 ? store_error(err, r, msg) : 0;
}

int qemud_store_set_autostart(const char *name, bool on, struct mv_err *err)
{
    char *msg = NULL;
    int r = mv_store_set_autostart(qemud.store, name, on, &msg);

    return r < 0 ? store_error(err, r, msg) : 0;
}

char *qemud_store_status_xml(struct qemud_dom *dom, struct mv_dom_def *starting)
{
    _cleanup_xmlwriter_ struct mv_xml_writer w = { 0 };
    _cleanup_dom_def_ struct mv_dom_def *live = NULL;
    _cleanup_free_ char *def_xml = NULL, *monitor = NULL;
    struct mv_dom_live_info info;
    int state, reason, pid;
    unsigned long long starttime;
    unsigned int undefine_flags;
    char *out = NULL;

    /* a snapshot under the lock; the slow part (formatting) after it */
    pthread_mutex_lock(&dom->lock);
    live = starting ? mv_dom_def_ref(starting) : dom->live ? mv_dom_def_ref(dom->live) : NULL;
    monitor = dom->monitor_path ? strdup(dom->monitor_path) : NULL;
    info.id = dom->id;
    state = dom->state;
    reason = dom->reason;
    pid = (int)dom->pid;
    starttime = dom->starttime;
    undefine_flags = dom->undefine_flags;
    pthread_mutex_unlock(&dom->lock);

    if (!live || !monitor || mv_dom_def_format(live, &info, MV_DOM_FORMAT_SECURE | MV_DOM_FORMAT_STATUS, &def_xml) < 0 ||
        mv_xml_writer_open(&w) < 0)
        return NULL;
    xmlTextWriterStartElement(w.writer, BAD_CAST "domstatus");
    xmlTextWriterWriteFormatAttribute(w.writer, BAD_CAST "state", "%d", state);
    xmlTextWriterWriteFormatAttribute(w.writer, BAD_CAST "reason", "%d", reason);
    xmlTextWriterWriteFormatAttribute(w.writer, BAD_CAST "pid", "%d", pid);
    xmlTextWriterWriteFormatAttribute(w.writer, BAD_CAST "starttime", "%llu", starttime);
    xmlTextWriterWriteFormatAttribute(w.writer, BAD_CAST "id", "%d", info.id);
    xmlTextWriterWriteAttribute(w.writer, BAD_CAST "monitor", BAD_CAST monitor);
    if (starting)
        xmlTextWriterWriteAttribute(w.writer, BAD_CAST "starting", BAD_CAST "yes");
    /* an undefine while it runs decides what its stop removes (TPM state):
     * that decision must outlive a daemon restart */
    if (undefine_flags)
        xmlTextWriterWriteFormatAttribute(w.writer, BAD_CAST "undefine-flags", "%u", undefine_flags);
    xmlTextWriterWriteString(w.writer, BAD_CAST "\n");
    /* the taps' ifindexes: a stop removes a tap by ifindex, never by a name
     * that another guest's new tap may carry by then */
    for (size_t i = 0; i < live->devices.nnets; i++) {
        const struct mv_dom_net *net = &live->devices.nets[i];

        if (!net->ifname || net->ifindex <= 0)
            continue;
        xmlTextWriterStartElement(w.writer, BAD_CAST "tap");
        xmlTextWriterWriteAttribute(w.writer, BAD_CAST "dev", BAD_CAST net->ifname);
        xmlTextWriterWriteFormatAttribute(w.writer, BAD_CAST "ifindex", "%d", net->ifindex);
        xmlTextWriterEndElement(w.writer);
        xmlTextWriterWriteString(w.writer, BAD_CAST "\n");
    }
    /* the hostdevs nodedevd detached for the run: a restarted daemon gives
     * them back when it finds the run over */
    for (size_t i = 0; i < live->devices.nhostdevs; i++) {
        char name[64];

        if (!live->devices.hostdevs[i].detached)
            continue;
        qemud_hostdev_nodedev_name(&live->devices.hostdevs[i], name, sizeof(name));
        xmlTextWriterStartElement(w.writer, BAD_CAST "hostdev-detached");
        xmlTextWriterWriteAttribute(w.writer, BAD_CAST "dev", BAD_CAST name);
        xmlTextWriterEndElement(w.writer);
        xmlTextWriterWriteString(w.writer, BAD_CAST "\n");
    }
    if (qemud_sidecars_format(&dom->sidecars, w.writer) < 0 || qemud_isolation_format(&dom->iso, w.writer) < 0)
        return NULL;
    xmlTextWriterWriteRaw(w.writer, BAD_CAST def_xml);
    xmlTextWriterEndElement(w.writer);
    return mv_xml_writer_finish(&w, &out) < 0 ? NULL : out;
}

int qemud_store_write_status(const char *name, const char *xml)
{
    _cleanup_free_ char *msg = NULL;
    int r = mv_store_write_status(qemud.store, name, xml, &msg);

    if (r < 0)
        mv_error("%s", msg ? msg : strerror(-r));
    return r;
}

int qemud_store_delete_status(const char *name)
{
    return mv_store_delete_status(qemud.store, name);
}

void qemud_status_clear(struct qemud_status *st)
{
    mv_dom_def_free(st->live);
    free(st->monitor_path);
    qemud_sidecars_clear(&st->sidecars);
    qemud_isolation_clear(&st->iso);
    memset(st, 0, sizeof(*st));
}

static int status_int(xmlXPathContextPtr ctx, const char *expr, long long *out)
{
    _cleanup_free_ char *s = mv_xpath_string(ctx, expr);
    char *end;

    if (!s)
        return -EINVAL;
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno || *end ? -EINVAL : 0;
}

/* <tap dev= ifindex=/> back onto LIVE's interfaces (older files have none). */
static void read_tap_indexes(xmlXPathContextPtr ctx, struct mv_dom_def *live)
{
    for (size_t i = 0; i < live->devices.nnets; i++) {
        struct mv_dom_net *net = &live->devices.nets[i];
        _cleanup_free_ char *expr = NULL;
        long long index;

        if (!net->ifname || strchr(net->ifname, '\'') ||
            asprintf(&expr, "string(/domstatus/tap[@dev='%s']/@ifindex)", net->ifname) < 0)
            continue;
        if (status_int(ctx, expr, &index) == 0 && index > 0 && index <= INT_MAX)
            net->ifindex = (int)index;
    }
}

/* <hostdev-detached dev=/> back onto LIVE's hostdevs (older files have none). */
static void read_detached_hostdevs(xmlXPathContextPtr ctx, struct mv_dom_def *live)
{
    for (size_t i = 0; i < live->devices.nhostdevs; i++) {
        struct mv_dom_hostdev *h = &live->devices.hostdevs[i];
        _cleanup_free_ char *expr = NULL, *found = NULL;
        char name[64];

        qemud_hostdev_nodedev_name(h, name, sizeof(name));
        if (asprintf(&expr, "string(/domstatus/hostdev-detached[@dev='%s']/@dev)", name) < 0)
            continue;
        found = mv_xpath_string(ctx, expr);
        h->detached = found && strcmp(found, name) == 0;
    }
}

/* undefine-flags="N", 0 when absent (no undefine while it ran). */
static int read_undefine_flags(xmlXPathContextPtr ctx, unsigned int *flags)
{
    _cleanup_free_ char *s = mv_xpath_string(ctx, "string(/domstatus/@undefine-flags)");
    long long v;

    *flags = 0;
    if (!s || !*s)
        return 0;
    if (status_int(ctx, "string(/domstatus/@undefine-flags)", &v) < 0 || v < 0 || v > UINT_MAX)
        return -EINVAL;
    *flags = (unsigned int)v;
    return 0;
}

int qemud_store_read_status(const char *path, struct qemud_status *st, char **errmsg)
{
    _cleanup_free_ char *def_xml = NULL;
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctx = NULL;
    _cleanup_free_ char *starting = NULL;
    long long pid, starttime, id, state, reason;
    int r, code;

    if ((r = mv_xml_read_file(path, STATUS_FILE_MAX, &doc, &ctx, errmsg)) < 0)
        return r;
    starting = mv_xpath_string(ctx, "string(/domstatus/@starting)");
    st->starting = starting && strcmp(starting, "yes") == 0;
    /* a start records its sidecars before QEMU has a pid or the guest an id */
    if (status_int(ctx, "string(/domstatus/@pid)", &pid) < 0 ||
        status_int(ctx, "string(/domstatus/@starttime)", &starttime) < 0 ||
        status_int(ctx, "string(/domstatus/@id)", &id) < 0 ||
        status_int(ctx, "string(/domstatus/@state)", &state) < 0 ||
        status_int(ctx, "string(/domstatus/@reason)", &reason) < 0 || pid < (st->starting ? 0 : 1) ||
        id < (st->starting ? -1 : 0) || pid > INT_MAX || id > INT_MAX)
        return mv_errmsg_set(errmsg, -EINVAL, "'%s': missing or invalid pid/id/state", path);
    if ((r = read_undefine_flags(ctx, &st->undefine_flags)) < 0)
        return mv_errmsg_set(errmsg, r, "'%s': invalid undefine-flags", path);
    if (!(st->monitor_path = mv_xpath_string(ctx, "string(/domstatus/@monitor)")))
        return mv_errmsg_set(errmsg, -EINVAL, "'%s': no monitor path", path);
    if (!(def_xml = mv_xml_root_child_text(doc, "domain")))
        return mv_errmsg_set(errmsg, -EINVAL, "'%s': no <domain> element", path);
    if ((r = mv_dom_def_parse(def_xml, MV_DOM_PARSE_STATUS, &st->live, &code, errmsg)) < 0)
        return r;
    read_tap_indexes(ctx, st->live);
    read_detached_hostdevs(ctx, st->live);
    if ((r = qemud_sidecars_parse(ctx, &st->sidecars, errmsg)) < 0)
        return r;
    if ((r = qemud_isolation_parse(ctx, &st->iso)) < 0)
        return mv_errmsg_set(errmsg, r, "'%s': a damaged <isolation> element", path);
    st->pid = (pid_t)pid;
    st->starttime = (unsigned long long)starttime;
    st->id = (int)id;
    st->state = (int)state;
    st->reason = (int)reason;
    return 0;
}

char *qemud_store_log_path(const char *name)
{
    return mv_store_path(qemud.logdir, name, ".log");
}

char *qemud_store_monitor_path(const char *uuid_str)
{
    return mv_store_path(qemud.rundir, uuid_str, ".d/monitor.sock");
}
