/*
 * A raw RPC client for unit tests that run a server (or the proxy) on a
 * unix socket: connect, send packets, receive them with a bound on the
 * wait so a bug cannot hang the suite.  Failures fail the test (Check).
 */
#pragma once

#include "message.h"

/* A blocking connection to the unix socket PATH. */
int mv_test_dial(const char *path);
/* Sends a packet of the remote program with ARGS encoded through FILTER
 * (NULL: no payload). */
void mv_test_send_packet(int fd, int type, int status, int proc, unsigned serial, xdrproc_t filter,
                         const void *args);
/* mv_test_send_packet of a CALL with status OK. */
void mv_test_send_call(int fd, int proc, unsigned serial, xdrproc_t filter, const void *args);
/* The next packet within MS milliseconds; NULL at EOF or when none came. */
struct mv_msg *mv_test_recv_within(int fd, int ms);
/* The next packet, NULL at EOF; failing the test if none comes in 10 s. */
struct mv_msg *mv_test_recv(int fd);
