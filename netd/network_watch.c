/* The dnsmasq death watch: pidfds in an epoll set, one thread waiting. */
#define MV_LOG_MODULE "netd.watch"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "log.h"
#include "process.h"
#include "network_obj.h"
#include "network_watch.h"

struct watch {
    uint64_t id;
    int pidfd;
    pid_t pid;
    struct netd_net *net;       /* referenced */
    struct watch *next;
};

struct netd_watcher {
    int epfd;
    int stopfd;                 /* eventfd: the thread's signal to leave */
    pthread_t thread;
    bool running;
    netd_watch_fn fn;
    pthread_mutex_t lock;       /* guards the list and next_id */
    struct watch *watches;
    uint64_t next_id;
};

#define STOP_ID 0               /* epoll data of the stop eventfd; watch ids start at 1 */

static void watch_free(struct watch *w)
{
    close(w->pidfd);
    netd_net_unref(w->net);
    free(w);
}

/* Unlinks watch ID and takes it out of the epoll set; call with w->lock. */
static struct watch *unlink_locked(struct netd_watcher *wr, uint64_t id)
{
    for (struct watch **p = &wr->watches; *p; p = &(*p)->next) {
        struct watch *w = *p;

        if (w->id != id)
            continue;
        *p = w->next;
        epoll_ctl(wr->epfd, EPOLL_CTL_DEL, w->pidfd, NULL);
        return w;
    }
    return NULL;
}

static void *watcher_main(void *opaque)
{
    struct netd_watcher *wr = opaque;
    struct epoll_event evs[16];

    for (;;) {
        int n = epoll_wait(wr->epfd, evs, 16, -1);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            mv_error("dnsmasq watch: epoll_wait failed: %s; dnsmasq deaths go unnoticed", strerror(errno));
            return NULL;
        }
        for (int i = 0; i < n; i++) {
            struct watch *w;

            if (evs[i].data.u64 == STOP_ID)
                return NULL;
            pthread_mutex_lock(&wr->lock);
            w = unlink_locked(wr, evs[i].data.u64);
            pthread_mutex_unlock(&wr->lock);
            if (!w)
                continue;       /* removed meanwhile */
            wr->fn(w->net, w->pid);
            watch_free(w);
        }
    }
}

int netd_watcher_start(netd_watch_fn fn, struct netd_watcher **ret)
{
    struct netd_watcher *wr = calloc(1, sizeof(*wr));
    struct epoll_event ev = { .events = EPOLLIN, .data.u64 = STOP_ID };
    int r;

    if (!wr)
        return -ENOMEM;
    wr->fn = fn;
    wr->next_id = 1;
    pthread_mutex_init(&wr->lock, NULL);
    wr->epfd = epoll_create1(EPOLL_CLOEXEC);
    wr->stopfd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (wr->epfd < 0 || wr->stopfd < 0 || epoll_ctl(wr->epfd, EPOLL_CTL_ADD, wr->stopfd, &ev) < 0) {
        r = -errno;
        netd_watcher_free(wr);
        return r;
    }
    if ((r = -pthread_create(&wr->thread, NULL, watcher_main, wr)) < 0) {
        netd_watcher_free(wr);
        return r;
    }
    wr->running = true;
    *ret = wr;
    return 0;
}

void netd_watcher_stop(struct netd_watcher *wr)
{
    uint64_t one = 1;

    if (!wr || !wr->running)
        return;
    if (write(wr->stopfd, &one, sizeof(one)) != sizeof(one))
        mv_error("dnsmasq watch: cannot signal the thread to stop: %s", strerror(errno));
    pthread_join(wr->thread, NULL);
    wr->running = false;
}

void netd_watcher_free(struct netd_watcher *wr)
{
    if (!wr)
        return;
    netd_watcher_stop(wr);
    while (wr->watches) {
        struct watch *w = wr->watches;

        wr->watches = w->next;
        watch_free(w);
    }
    if (wr->epfd >= 0)
        close(wr->epfd);
    if (wr->stopfd >= 0)
        close(wr->stopfd);
    pthread_mutex_destroy(&wr->lock);
    free(wr);
}

int netd_watch_add(struct netd_watcher *wr, struct netd_net *net, pid_t pid, uint64_t *id)
{
    struct watch *w = calloc(1, sizeof(*w));
    struct epoll_event ev = { .events = EPOLLIN };

    if (!w)
        return -ENOMEM;
    w->pidfd = mv_pidfd_open(pid);
    if (w->pidfd < 0) {
        int r = -errno;

        free(w);
        return r;
    }
    w->pid = pid;
    w->net = netd_net_ref(net);
    pthread_mutex_lock(&wr->lock);
    w->id = wr->next_id++;
    ev.data.u64 = w->id;
    if (epoll_ctl(wr->epfd, EPOLL_CTL_ADD, w->pidfd, &ev) < 0) {
        int r = -errno;

        pthread_mutex_unlock(&wr->lock);
        watch_free(w);
        return r;
    }
    w->next = wr->watches;
    wr->watches = w;
    *id = w->id;
    pthread_mutex_unlock(&wr->lock);
    return 0;
}

void netd_watch_remove(struct netd_watcher *wr, uint64_t id)
{
    struct watch *w;

    if (!wr || id == 0)
        return;
    pthread_mutex_lock(&wr->lock);
    w = unlink_locked(wr, id);
    pthread_mutex_unlock(&wr->lock);
    if (w)
        watch_free(w);
}
