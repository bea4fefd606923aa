/*
 * The 'default' network a packaged libvirt ships: defined on netd's first
 * start when there are no definitions, never again afterwards (a marker in
 * the state directory remembers), so an admin who undefines it keeps it
 * undefined.
 */
#define MV_LOG_MODULE "netd"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bridge.h"
#include "cleanup.h"
#include "errmsg.h"
#include "file.h"
#include "log.h"
#include "netd.h"
#include "netlink.h"
#include "network_obj.h"
#include "network_start.h"
#include "network_store.h"
#include "registry.h"
#include "store.h"

#define DEFAULT_BRIDGE "virbr0"

static char *default_xml(unsigned int octet)
{
    char *xml = NULL;

    if (asprintf(&xml,
                 "<network>\n"
                 "  <name>default</name>\n"
                 "  <forward mode='nat'/>\n"
                 "  <bridge name='" DEFAULT_BRIDGE "' stp='on' delay='0'/>\n"
                 "  <ip address='192.168.%u.1' netmask='255.255.255.0'>\n"
                 "    <dhcp>\n"
                 "      <range start='192.168.%u.2' end='192.168.%u.254'/>\n"
                 "    </dhcp>\n"
                 "  </ip>\n"
                 "</network>\n", octet, octet, octet) < 0)
        return NULL;
    return xml;
}

/* The definition: the first free 192.168.N.0/24, virbr0 unless a link of
 * that name exists already (then the next free virbrN). */
static int build(struct mv_net_def **def, char **errmsg)
{
    _cleanup_(mv_netlink_closep) struct mv_netlink *nl = NULL;
    _cleanup_free_ char *xml = NULL;
    struct mv_link_info link;
    struct mv_err err = { 0 };
    unsigned int octet = 122;
    int r;

    if ((r = mv_netlink_open(&nl)) < 0)
        return mv_errmsg_set(errmsg, r, "cannot open rtnetlink: %s", strerror(-r));
    if ((r = mv_bridge_pick_subnet(nl, &octet)) < 0)
        return mv_errmsg_set(errmsg, r, "no 192.168.N.0/24 subnet is free on this host");
    if (!(xml = default_xml(octet)))
        return -ENOMEM;
    if ((r = mv_net_def_parse(xml, def, errmsg)) < 0)
        return r;
    if (mv_netlink_link_get(nl, DEFAULT_BRIDGE, 0, &link) == 0) {
        free(TAKE_PTR((*def)->bridge.name));
        if ((r = netd_net_assign_bridge(*def, NULL, &err)) < 0) {
            r = mv_errmsg_set(errmsg, r, "%s", err.message ? err.message : "no bridge name");
            mv_err_clear(&err);
            return r;
        }
    }
    return 0;
}

/* Adds DEF as a persistent, autostarted network. */
static int define_default(struct mv_net_def *def, char **errmsg)
{
    _cleanup_net_unref_ struct netd_net *net = NULL, *holder = NULL;
    struct mv_err err = { 0 };
    int r;

    if ((r = netd_registry_add(def->name, def->uuid, "define", &net, &holder)) < 0) {
        mv_net_def_free(def);
        return mv_errmsg_set(errmsg, r, "its name is taken");
    }
    net->def = def;
    net->autostart = true;
    pthread_mutex_unlock(&net->lock);
    if ((r = netd_store_save_config(def, &err)) < 0 || (r = netd_store_set_autostart(def->name, true, &err)) < 0) {
        struct mv_err ignored = { 0 };

        r = mv_errmsg_set(errmsg, r, "%s", err.message ? err.message : "cannot save it");
        mv_err_clear(&err);
        netd_store_delete_config(def->name, &ignored);     /* no half-defined default */
        mv_err_clear(&ignored);
        netd_registry_remove(net);
        netd_job_end(net);
        return r;
    }
    netd_job_end(net);
    return 0;
}

void netd_default_network(void)
{
    _cleanup_free_ char *marker = mv_store_path(netd.statedir, "default-defined", "");
    _cleanup_free_ char *msg = NULL;
    struct mv_net_def *def = NULL;
    struct stat st;

    if (!marker || stat(marker, &st) == 0)
        return;
    /* definitions there already: not a first start (an upgrade, say) */
    if (mv_registry_count(netd.networks) == 0) {
        if (build(&def, &msg) < 0 || define_default(def, &msg) < 0) {
            mv_error("cannot define the default network: %s", msg ? msg : "out of memory");
            return;         /* no marker: the next start tries again */
        }
        mv_info("defined the default network (first start)");
    }
    if (mv_file_write_atomic(marker, "", 0, 0644) < 0)
        mv_error("cannot write '%s': the default network may be defined again at the next start", marker);
}
