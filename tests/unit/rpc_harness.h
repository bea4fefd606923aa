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

/* ---- a server's loop in a thread of its own ---- */

#include <pthread.h>
#include <stdbool.h>
#include <systemd/sd-event.h>

struct mv_test_loop {
    pthread_t thread;
    int stop_efd, ready_efd;
    bool joined;
};

/* Runs FN(ARG) in a new thread and returns once FN called mv_test_loop_ready(). */
void mv_test_loop_start(struct mv_test_loop *l, void *(*fn)(void *), void *arg);
/* In FN, its server set up on EV: mv_test_loop_signal_stop() now exits
 * EV's loop; the starter goes on. */
void mv_test_loop_ready(struct mv_test_loop *l, sd_event *ev);
/* Asks the loop to exit (it does once back in sd_event). */
void mv_test_loop_signal_stop(struct mv_test_loop *l);
/* Waits for the thread (once). */
void mv_test_loop_join(struct mv_test_loop *l);
/* Stops and joins the thread unless it was already, and frees L's fds. */
void mv_test_loop_end(struct mv_test_loop *l);

/* ---- a loop the test itself steps (one thread: client, server, daemons) ---- */

/* The next packet on FD, running EV until it is in; NULL at EOF.  Fails
 * the test if none came within 10 s of loop time. */
struct mv_msg *mv_test_recv_stepping(int fd, sd_event *ev);
/* Runs EV until COND holds (bounded: 10 s of loop time). */
#define MV_TEST_PUMP_UNTIL(ev, cond) \
    do { \
        for (int i_ = 0; i_ < 1000 && !(cond); i_++) \
            ck_assert_int_ge(sd_event_run((ev), 10000), 0); \
        ck_assert_msg((cond), "still not: " #cond); \
    } while (0)
