/*
 * Noticing that a network's dnsmasq exited behind our back: one thread
 * waits on a pidfd per dnsmasq.  It is epoll, not the RPC loop's sd-event,
 * because watches are added and removed by worker and task threads, and
 * epoll_ctl may be called from any thread while another waits.
 */
#pragma once

#include <stdint.h>
#include <sys/types.h>

struct netd_net;
struct netd_watcher;

/* Called on the watcher thread (so it must not block: it queues a task)
 * with NET referenced for the call: its dnsmasq PID exited. */
typedef void (*netd_watch_fn)(struct netd_net *net, pid_t pid);

int netd_watcher_start(netd_watch_fn fn, struct netd_watcher **ret);
/* Stops the thread: nothing fires afterwards.  Watches may still be added
 * and removed (task threads finishing a restart do) until it is freed. */
void netd_watcher_stop(struct netd_watcher *w);
/* Drops every watch and frees W (stopping it first if need be); NULL is fine. */
void netd_watcher_free(struct netd_watcher *w);

/* Watches PID of NET; *ID (never 0) names the watch.  0, or -errno (no
 * pidfd: the death would go unnoticed; the caller logs it). */
int netd_watch_add(struct netd_watcher *w, struct netd_net *net, pid_t pid, uint64_t *id);
/* Removes watch ID (0 and unknown ids are fine).  A death the thread has
 * already taken may still be reported: the handler checks the pid. */
void netd_watch_remove(struct netd_watcher *w, uint64_t id);
