#define MV_LOG_MODULE "rpc.workers"
#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

#include "log.h"
#include "worker_pool.h"

struct job {
    void *data;
    struct job *next;
};

struct mv_worker_pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    struct job *head, *tail;
    unsigned int pending;       /* queued + running */
    bool stopping;
    mv_worker_fn fn;
    unsigned int nthreads;
    pthread_t *threads;
};

static void *worker_main(void *opaque)
{
    struct mv_worker_pool *p = opaque;

    pthread_mutex_lock(&p->lock);
    for (;;) {
        struct job *j;

        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cond, &p->lock);
        if (p->stopping)
            break;
        j = p->head;
        p->head = j->next;
        if (!p->head)
            p->tail = NULL;
        pthread_mutex_unlock(&p->lock);

        p->fn(j->data);
        free(j);

        pthread_mutex_lock(&p->lock);
        p->pending--;
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int mv_worker_pool_new(unsigned int nthreads, mv_worker_fn fn, struct mv_worker_pool **ret)
{
    struct mv_worker_pool *p = calloc(1, sizeof(*p));

    if (!p)
        return -ENOMEM;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    p->fn = fn;
    p->threads = calloc(nthreads, sizeof(*p->threads));
    if (!p->threads) {
        mv_worker_pool_free(p, NULL);
        return -ENOMEM;
    }
    for (unsigned int i = 0; i < nthreads; i++) {
        int r = pthread_create(&p->threads[i], NULL, worker_main, p);
        if (r != 0) {
            mv_worker_pool_free(p, NULL);
            return -r;
        }
        p->nthreads++;
    }
    *ret = p;
    return 0;
}

int mv_worker_pool_push(struct mv_worker_pool *p, void *data)
{
    struct job *j = malloc(sizeof(*j));

    if (!j)
        return -ENOMEM;
    j->data = data;
    j->next = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->stopping) {
        pthread_mutex_unlock(&p->lock);
        free(j);
        return -ECANCELED;
    }
    if (p->tail)
        p->tail->next = j;
    else
        p->head = j;
    p->tail = j;
    p->pending++;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return 0;
}

unsigned int mv_worker_pool_pending(struct mv_worker_pool *p)
{
    unsigned int n;

    pthread_mutex_lock(&p->lock);
    n = p->pending;
    pthread_mutex_unlock(&p->lock);
    return n;
}

void mv_worker_pool_free(struct mv_worker_pool *p, mv_worker_fn drop)
{
    struct job *j;

    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&p->lock);
    for (unsigned int i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    while ((j = p->head)) {
        p->head = j->next;
        if (drop)
            drop(j->data);
        free(j);
    }
    free(p->threads);
    pthread_cond_destroy(&p->cond);
    pthread_mutex_destroy(&p->lock);
    free(p);
}
