/*
 * Network ports on disk, so that a netd killed with -9 re-adopts the ports
 * of the guests that kept running: one file per port, written atomically
 * (mv_file_write_atomic) while the port exists, removed with it:
 *
 *   <portdir>/UUID.xml
 *     <networkportstatus network='NAME'>
 *       <networkport>...the port as mv_port_def_format writes it...</networkport>
 *     </networkportstatus>
 *
 * portdir is netd.portdir (<rundir>/network/ports), a tmpfs: ports, like the
 * guests they belong to, do not outlive a host reboot.
 */
#pragma once

#include "error.h"
#include "network_obj.h"
#include "port_def.h"

/* A port owning DEF (taken, also on failure); NULL if out of memory. */
struct netd_port *netd_port_new(struct mv_port_def *def);
void netd_port_free(struct netd_port *port);   /* NULL is fine */

/* Writes PORT of network NETWORK.  0, or -errno with ERR naming the file. */
int netd_port_store_save(const char *network, const struct netd_port *port, struct mv_err *err);
/* Removes PORT's file; a file already gone is fine, other failures are logged. */
void netd_port_store_delete(const struct netd_port *port);
/* The same for a caller that must fail when the file stays (a port delete):
 * 0, or -errno with ERR naming the port of NETWORK, the file and the cause. */
int netd_port_store_remove(const char *network, const struct netd_port *port, struct mv_err *err);

/* At daemon start, once the active networks are re-adopted and before
 * clients are served: gives every active network the ports of its files.
 * A file of a network that is gone or inactive (it was destroyed while netd
 * was away) or that cannot be read is logged and removed, as are the temp
 * files of a killed write. */
void netd_port_store_load(void);
