/*
 * Domain work that nobody waits for — handling a QEMU that exited, finishing
 * a reboot, autostart — runs on the driver's task threads, never on the
 * monitor thread (which must not block) or the RPC loop.
 */
#pragma once

#include <stdint.h>

#include "domain_obj.h"

typedef void (*qemud_task_fn)(struct qemud_dom *dom, uint64_t gen);

/* Runs FN(DOM, GEN) on a task thread; DOM is referenced until it returns. */
int qemud_task_push(qemud_task_fn fn, struct qemud_dom *dom, uint64_t gen);

int qemud_tasks_start(unsigned int nthreads);
/* Waits for running tasks; queued ones are dropped. */
void qemud_tasks_stop(void);
