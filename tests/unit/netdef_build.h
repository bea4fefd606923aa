/*
 * Network definitions built in C for the firewall tests, until their
 * inputs move to network XML files read with mv_net_def_parse().  Every
 * helper fails the running Check test on a bad argument.
 */
#pragma once

#include "network_def.h"

/* A definition NAME on bridge BRIDGE (NULL: none) in forward MODE. */
struct mv_net_def *netdef_new(const char *name, const char *bridge, enum mv_net_forward mode);
/* <forward dev=DEV>. */
void netdef_dev(struct mv_net_def *def, const char *dev);
/* <ip address=ADDRESS prefix=PREFIX/>. */
void netdef_ip(struct mv_net_def *def, const char *address, unsigned int prefix);
/* <nat><address start end/><port start end/></nat>; NULL / 0 = not given. */
void netdef_nat(struct mv_net_def *def, const char *start, const char *end, unsigned int port_start,
                unsigned int port_end);
