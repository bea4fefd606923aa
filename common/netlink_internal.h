/*
 * What the files of libmvnetlink share (links in netlink.c, addresses and
 * routes in netlink_route.c); not for users of the library.
 */
#pragma once

#include <netlink/handlers.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include "cleanup.h"

MV_DEFINE_CLEANUP(struct nl_msg, nlmsg_free)
MV_DEFINE_CLEANUP(struct nl_cb, nl_cb_put)

struct mv_netlink {
    struct nl_sock *sk;
};

/* The closest -errno for one of libnl's NLE_* codes (either sign). */
int mv_netlink_errno(int nlerr);

/* Sends MSG and waits for the kernel's answer: 0 or the kernel's own
 * -errno, not libnl's lossy NLE_* code ("Network is unreachable" for a
 * gateway off every subnet reads better than libnl's "Unspecific failure"). */
int mv_netlink_request(struct mv_netlink *nl, struct nl_msg *msg);
