/*
 * NETWORK_PORT_* and NETWORK_LIST_ALL_PORTS: placeholders so the daemon
 * starts (the server refuses while a network procedure has no entry); the
 * ports part replaces this file with the real handlers.
 */
#include "netd.h"

static const struct mv_dispatch_entry port_procs[] = {
    MV_NOT_IMPLEMENTED(NETWORK_LIST_ALL_PORTS),
    MV_NOT_IMPLEMENTED(NETWORK_PORT_LOOKUP_BY_UUID),
    MV_NOT_IMPLEMENTED(NETWORK_PORT_CREATE_XML),
    MV_NOT_IMPLEMENTED(NETWORK_PORT_GET_PARAMETERS),
    MV_NOT_IMPLEMENTED(NETWORK_PORT_SET_PARAMETERS),
    MV_NOT_IMPLEMENTED(NETWORK_PORT_GET_XML_DESC),
    MV_NOT_IMPLEMENTED(NETWORK_PORT_DELETE),
};
const struct mv_dispatch_table netd_port_table = { port_procs, MV_ARRAY_SIZE(port_procs) };
