/* Network ports on disk (port_store.h). */
#define MV_LOG_MODULE "netd.ports"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "file.h"
#include "log.h"
#include "netd.h"
#include "paths.h"
#include "port_store.h"
#include "store.h"
#include "xml.h"
#include "xml_format.h"

/* A port file is a few hundred bytes; anything this big is not ours. */
#define PORT_FILE_MAX (64 * 1024)

struct netd_port *netd_port_new(struct mv_port_def *def)
{
    struct netd_port *port = calloc(1, sizeof(*port));

    if (!port) {
        mv_port_def_free(def);
        return NULL;
    }
    port->def = def;
    mv_uuid_format(def->uuid, port->uuid_str);
    return port;
}

void netd_port_free(struct netd_port *port)
{
    if (!port)
        return;
    mv_port_def_free(port->def);
    free(port);
}

static char *port_path(const char *uuid_str)
{
    return mv_store_path(netd.portdir, uuid_str, ".xml");
}

static char *port_file_text(const char *network, const struct netd_port *port)
{
    _cleanup_free_ char *xml = mv_port_def_format(port->def);
    struct mv_xml_out o = { 0 };
    char *out = NULL;

    if (!xml || mv_xml_out_open(&o) < 0)
        return NULL;
    mv_xml_out_start(&o, "networkportstatus");
    mv_xml_out_attr(&o, "network", network);
    mv_xml_out_raw(&o, xml);
    mv_xml_out_end(&o);
    return mv_xml_out_finish(&o, &out) < 0 ? NULL : out;
}

int netd_port_store_save(const char *network, const struct netd_port *port, struct mv_err *err)
{
    _cleanup_free_ char *path = port_path(port->uuid_str);
    _cleanup_free_ char *text = port_file_text(network, port);
    int r;

    if (!path || !text)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_NETWORK, "out of memory");
    if ((r = mv_file_write_atomic(path, text, strlen(text), 0600)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_NETWORK,
                                "cannot save port %s of network '%s' to '%s'", port->uuid_str, network, path);
    return 0;
}

int netd_port_store_remove(const char *network, const struct netd_port *port, struct mv_err *err)
{
    _cleanup_free_ char *path = port_path(port->uuid_str);

    if (!path)
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_NETWORK, "out of memory");
    if (unlink(path) < 0 && errno != ENOENT)
        return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_NETWORK,
                                "cannot remove the file '%s' of port %s of network '%s'", path, port->uuid_str,
                                network);
    return 0;
}

void netd_port_store_delete(const struct netd_port *port)
{
    _cleanup_free_ char *path = port_path(port->uuid_str);

    if (path && unlink(path) < 0 && errno != ENOENT)
        mv_warn("cannot remove '%s': %s", path, strerror(errno));
}

/* ---- loading ---- */

/* Reads PATH: the network's name and the port.  -errno with *ERRMSG. */
static int read_port_file(const char *path, char **network, struct mv_port_def **def, char **errmsg)
{
    _cleanup_free_ char *port_xml = NULL, *name = NULL;
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_xpathctx_ xmlXPathContextPtr ctx = NULL;
    int r;

    if ((r = mv_xml_read_file(path, PORT_FILE_MAX, &doc, &ctx, errmsg)) < 0)
        return r;
    if (!(name = mv_xpath_string(ctx, "string(/networkportstatus/@network)")) ||
        !(port_xml = mv_xml_root_child_text(doc, "networkport")))
        return mv_errmsg_set(errmsg, -EINVAL, "'%s': no network name or no <networkport>", path);
    if ((r = mv_port_def_parse(port_xml, def, errmsg)) < 0)
        return r;
    *network = TAKE_PTR(name);
    return 0;
}

static bool has_port(const struct netd_net *net, const unsigned char uuid[MV_UUID_LEN])
{
    for (size_t i = 0; i < net->nports; i++)
        if (memcmp(net->ports[i]->def->uuid, uuid, MV_UUID_LEN) == 0)
            return true;
    return false;
}

/* Appends PORT (taken) to the active network NAME: 0, or -ESRCH (no such
 * network), -ENOENT (it is not active), -EEXIST, -ENOMEM. */
static int adopt(const char *name, struct netd_port *port)
{
    _cleanup_net_unref_ struct netd_net *net = netd_registry_find_name(name);
    struct netd_port **v;
    int r = 0;

    if (!net) {
        netd_port_free(port);
        return -ESRCH;
    }
    pthread_mutex_lock(&net->lock);
    if (!net->active)
        r = -ENOENT;
    else if (has_port(net, port->def->uuid))
        r = -EEXIST;
    else if (!(v = reallocarray(net->ports, net->nports + 1, sizeof(*v))))
        r = -ENOMEM;
    else {
        net->ports = v;
        net->ports[net->nports++] = port;
    }
    pthread_mutex_unlock(&net->lock);
    if (r < 0)
        netd_port_free(port);
    return r;
}

static void load_one(const char *file, const char *path)
{
    _cleanup_free_ char *network = NULL, *msg = NULL;
    struct mv_port_def *def = NULL;
    struct netd_port *port;
    char uuid_str[MV_UUID_STRING_LEN];
    int r;

    if (read_port_file(path, &network, &def, &msg) < 0) {
        mv_error("removing unreadable port file: %s", msg ? msg : path);
        unlink(path);
        return;
    }
    mv_uuid_format(def->uuid, uuid_str);
    /* only the file a delete would remove: a copy would come back forever */
    if (strncmp(file, uuid_str, MV_UUID_STRING_LEN - 1) != 0 || strcmp(file + MV_UUID_STRING_LEN - 1, ".xml") != 0) {
        mv_warn("network '%s': removing '%s': it holds port %s, not the port it is named after", network, path,
                uuid_str);
        mv_port_def_free(def);
        unlink(path);
        return;
    }
    if (!(port = netd_port_new(def)))
        return;
    r = adopt(network, port);
    if (r == 0) {
        mv_info("network '%s': port %s re-adopted", network, uuid_str);
        return;
    }
    mv_warn("network '%s': dropping port %s from '%s': %s", network, uuid_str, file,
            r == -ESRCH ? "there is no such network" : r == -ENOENT ? "the network is not active"
                        : r == -EEXIST ? "another file has it" : strerror(-r));
    if (r != -ENOMEM)
        unlink(path);
}

static void closedirp(DIR **d)
{
    if (*d)
        closedir(*d);
}

/* '.UUID.xml.XXXXXX': what mv_file_write_atomic leaves when it is killed. */
static bool is_temp(const char *file)
{
    return file[0] == '.' && strstr(file, ".xml.") != NULL;
}

void netd_port_store_load(void)
{
    _cleanup_(closedirp) DIR *d = NULL;
    struct dirent *e;
    int r;

    if ((r = mv_mkdir_p(netd.portdir, 0700)) < 0) {
        mv_error("cannot create '%s': %s", netd.portdir, strerror(-r));
        return;
    }
    if (!(d = opendir(netd.portdir))) {
        mv_error("cannot read '%s': %s", netd.portdir, strerror(errno));
        return;
    }
    while ((e = readdir(d))) {
        _cleanup_free_ char *path = mv_store_path(netd.portdir, e->d_name, "");
        size_t len = strlen(e->d_name);

        if (!path)
            return;
        if (is_temp(e->d_name))
            unlinkat(dirfd(d), e->d_name, 0);
        else if (e->d_name[0] != '.' && len > 4 && strcmp(e->d_name + len - 4, ".xml") == 0)
            load_one(e->d_name, path);
    }
}
