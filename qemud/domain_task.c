/* The driver's task threads (a worker pool of their own). */
#define MV_LOG_MODULE "qemud.task"
#include <errno.h>
#include <stdlib.h>

#include "domain_task.h"
#include "log.h"
#include "qemud.h"
#include "worker_pool.h"

struct task {
    qemud_task_fn fn;
    struct qemud_dom *dom;          /* referenced */
    uint64_t gen;
};

static void task_run(void *job)
{
    struct task *t = job;

    t->fn(t->dom, t->gen);
    qemud_dom_unref(t->dom);
    free(t);
}

static void task_drop(void *job)
{
    struct task *t = job;

    qemud_dom_unref(t->dom);
    free(t);
}

int qemud_task_push(qemud_task_fn fn, struct qemud_dom *dom, uint64_t gen)
{
    struct task *t = malloc(sizeof(*t));
    int r;

    if (!t)
        return -ENOMEM;
    *t = (struct task){ .fn = fn, .dom = qemud_dom_ref(dom), .gen = gen };
    if ((r = mv_worker_pool_push(qemud.tasks, t)) < 0) {
        mv_error("cannot queue work for domain '%s': %s", dom->name, r == -ECANCELED ? "shutting down" : "error");
        task_drop(t);
    }
    return r;
}

int qemud_tasks_start(unsigned int nthreads)
{
    return mv_worker_pool_new(nthreads, task_run, &qemud.tasks);
}

void qemud_tasks_stop(void)
{
    mv_worker_pool_free(qemud.tasks, task_drop);
    qemud.tasks = NULL;
}
