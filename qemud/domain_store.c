/* Definitions, autostart links and status files on disk. */
#define MV_LOG_MODULE "qemud.store"
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "file.h"
#include "log.h"
#include "domain_store.h"
#include "qemud.h"
#include "xml.h"

#define STATUS_FILE_MAX (16 * 1024 * 1024)

char *qemud_store_path(const char *dir, const char *name, const char *suffix)
{
    char *s;

    return asprintf(&s, "%s/%s%s", dir, name, suffix) < 0 ? NULL : s;
}

int qemud_store_init(void)
{
    const char *dirs[] = { qemud.confdir, qemud.autostartdir, qemud.rundir, qemud.logdir };
    int r;

    /* the parents hold the sockets others must reach: only our own
     * directories are private */
    const char *parents[] = { qemud.paths->confdir, qemud.paths->rundir, qemud.paths->logdir };

    for (size_t i = 0; i < MV_ARRAY_SIZE(parents); i++)
        if ((r = mv_mkdir_p(parents[i], 0755)) < 0)
            return mv_log_errno(MV_LOG_ERROR, r, "cannot create '%s': %s", parents[i], strerror(-r));
    for (size_t i = 0; i < MV_ARRAY_SIZE(dirs); i++)
        if ((r = mv_mkdir_p(dirs[i], 0700)) < 0)
            return mv_log_errno(MV_LOG_ERROR, r, "cannot create '%s': %s", dirs[i], strerror(-r));
    return 0;
}

int qemud_store_save_config(const struct mv_dom_def *def, struct mv_err *err)
{
    _cleanup_free_ char *xml = NULL;
    _cleanup_free_ char *path = qemud_store_path(qemud.confdir, def->name, ".xml");
    int r;

    if (!path)
        return -ENOMEM;
    if ((r = mv_dom_def_format(def, NULL, MV_DOM_FORMAT_SECURE, &xml)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                                "internal error: cannot format the definition of domain '%s'", def->name);
    if ((r = mv_file_write_atomic(path, xml, strlen(xml), 0600)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot save the definition of domain '%s' to '%s'", def->name, path);
    return 0;
}

static int unlink_quiet(const char *path)
{
    return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int qemud_store_delete_config(const char *name, struct mv_err *err)
{
    _cleanup_free_ char *path = qemud_store_path(qemud.confdir, name, ".xml");
    _cleanup_free_ char *link = qemud_store_path(qemud.autostartdir, name, ".xml");
    int r;

    if (!path || !link)
        return -ENOMEM;
    if ((r = unlink_quiet(link)) < 0 || (r = unlink_quiet(path)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot remove the definition of domain '%s'", name);
    return 0;
}

int qemud_store_set_autostart(const char *name, bool on, struct mv_err *err)
{
    _cleanup_free_ char *target = qemud_store_path(qemud.confdir, name, ".xml");
    _cleanup_free_ char *link = qemud_store_path(qemud.autostartdir, name, ".xml");
    int r = 0;

    if (!target || !link)
        return -ENOMEM;
    if (!on)
        r = unlink_quiet(link);
    else if (symlink(target, link) < 0 && errno != EEXIST)
        r = -errno;
    if (r < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot %s autostart of domain '%s' ('%s')", on ? "enable" : "disable",
                                name, link);
    return 0;
}

char *qemud_store_status_xml(const struct qemud_dom *dom)
{
    _cleanup_xmlwriter_ struct mv_xml_writer w = { 0 };
    _cleanup_free_ char *def_xml = NULL;
    struct mv_dom_live_info live = { .id = dom->id };
    char *out = NULL;

    if (!dom->live || mv_dom_def_format(dom->live, &live, MV_DOM_FORMAT_SECURE, &def_xml) < 0 ||
        mv_xml_writer_open(&w) < 0)
        return NULL;
    xmlTextWriterStartElement(w.writer, BAD_CAST "domstatus");
    xmlTextWriterWriteFormatAttribute(w.writer, BAD_CAST "state", "%d", dom->state);
    xmlTextWriterWriteFormatAttribute(w.writer, BAD_CAST "reason", "%d", dom->reason);
    xmlTextWriterWriteFormatAttribute(w.writer, BAD_CAST "pid", "%d", (int)dom->pid);
    xmlTextWriterWriteFormatAttribute(w.writer, BAD_CAST "starttime", "%llu", dom->starttime);
    xmlTextWriterWriteFormatAttribute(w.writer, BAD_CAST "id", "%d", dom->id);
    xmlTextWriterWriteAttribute(w.writer, BAD_CAST "monitor", BAD_CAST dom->monitor_path);
    xmlTextWriterWriteString(w.writer, BAD_CAST "\n");
    /* the taps' ifindexes: a stop removes a tap by ifindex, never by a name
     * that another guest's new tap may carry by then */
    for (size_t i = 0; i < dom->live->devices.nnets; i++) {
        const struct mv_dom_net *net = &dom->live->devices.nets[i];

        if (!net->ifname || net->ifindex <= 0)
            continue;
        xmlTextWriterStartElement(w.writer, BAD_CAST "tap");
        xmlTextWriterWriteAttribute(w.writer, BAD_CAST "dev", BAD_CAST net->ifname);
        xmlTextWriterWriteFormatAttribute(w.writer, BAD_CAST "ifindex", "%d", net->ifindex);
        xmlTextWriterEndElement(w.writer);
        xmlTextWriterWriteString(w.writer, BAD_CAST "\n");
    }
    xmlTextWriterWriteRaw(w.writer, BAD_CAST def_xml);
    xmlTextWriterEndElement(w.writer);
    return mv_xml_writer_finish(&w, &out) < 0 ? NULL : out;
}

int qemud_store_write_status(const char *name, const char *xml)
{
    _cleanup_free_ char *path = qemud_store_path(qemud.rundir, name, ".xml");
    int r;

    if (!path)
        return -ENOMEM;
    if ((r = mv_file_write_atomic(path, xml, strlen(xml), 0600)) < 0)
        mv_error("cannot write the status of domain '%s' to '%s': %s", name, path, strerror(-r));
    return r;
}

int qemud_store_delete_status(const char *name)
{
    _cleanup_free_ char *path = qemud_store_path(qemud.rundir, name, ".xml");

    return path ? unlink_quiet(path) : -ENOMEM;
}

void qemud_status_clear(struct qemud_status *st)
{
    mv_dom_def_free(st->live);
    free(st->monitor_path);
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

/* The <domain> element of the status document, as text for the parser. */
static char *status_domain_xml(xmlDocPtr doc)
{
    xmlNodePtr root = xmlDocGetRootElement(doc), n;
    xmlBufferPtr buf;
    char *out = NULL;

    for (n = root ? root->children : NULL; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && xmlStrcmp(n->name, BAD_CAST "domain") == 0)
            break;
    if (!n || !(buf = xmlBufferCreate()))
        return NULL;
    if (xmlNodeDump(buf, doc, n, 0, 0) >= 0)
        out = strdup((const char *)xmlBufferContent(buf));
    xmlBufferFree(buf);
    return out;
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

int qemud_store_read_status(const char *file, struct qemud_status *st, char **errmsg)
{
    _cleanup_free_ char *path = qemud_store_path(qemud.rundir, file, "");
    _cleanup_free_ char *text = NULL, *def_xml = NULL;
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctx = NULL;
    long long pid, starttime, id, state, reason;
    int r, code;

    if (!path)
        return -ENOMEM;
    if ((r = mv_file_read_all(path, STATUS_FILE_MAX, &text, NULL)) < 0)
        return mv_errmsg_set(errmsg, r, "cannot read '%s': %s", path, strerror(-r));
    if ((r = mv_xml_parse(text, path, &doc, errmsg)) < 0 || (r = mv_xpath_context_new(doc, &ctx)) < 0)
        return r;
    if (status_int(ctx, "string(/domstatus/@pid)", &pid) < 0 ||
        status_int(ctx, "string(/domstatus/@starttime)", &starttime) < 0 ||
        status_int(ctx, "string(/domstatus/@id)", &id) < 0 ||
        status_int(ctx, "string(/domstatus/@state)", &state) < 0 ||
        status_int(ctx, "string(/domstatus/@reason)", &reason) < 0 || pid <= 0 || id < 0)
        return mv_errmsg_set(errmsg, -EINVAL, "'%s': missing or invalid pid/id/state", path);
    if (!(st->monitor_path = mv_xpath_string(ctx, "string(/domstatus/@monitor)")))
        return mv_errmsg_set(errmsg, -EINVAL, "'%s': no monitor path", path);
    if (!(def_xml = status_domain_xml(doc)))
        return mv_errmsg_set(errmsg, -EINVAL, "'%s': no <domain> element", path);
    if ((r = mv_dom_def_parse(def_xml, MV_DOM_PARSE_STATUS, &st->live, &code, errmsg)) < 0)
        return r;
    read_tap_indexes(ctx, st->live);
    st->pid = (pid_t)pid;
    st->starttime = (unsigned long long)starttime;
    st->id = (int)id;
    st->state = (int)state;
    st->reason = (int)reason;
    return 0;
}

char *qemud_store_log_path(const char *name)
{
    return qemud_store_path(qemud.logdir, name, ".log");
}

char *qemud_store_monitor_path(const char *uuid_str)
{
    return qemud_store_path(qemud.rundir, uuid_str, ".monitor");
}

int qemud_store_each_xml(const char *dir, void (*fn)(const char *dir, const char *file, void *opaque),
                         void *opaque)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return errno == ENOENT ? 0 : -errno;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);

        if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".xml") != 0)
            continue;
        fn(dir, e->d_name, opaque);
    }
    closedir(d);
    return 0;
}
