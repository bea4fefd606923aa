/*
 * A pool's slow work: build, start, refresh, stop, delete and re-adoption,
 * each run on the pool's own thread (pool_queue.h) by a caller holding the
 * pool's job.  Each piece of work applies its result to the pool itself
 * and sends its event, so a result that comes after its caller gave up
 * still lands.
 */
#pragma once

#include "error.h"
#include "pool_obj.h"

/* The backend of DEF's type; NULL with ERR if storaged has none. */
const struct mv_pool_backend *stor_backend(const struct mv_pool_def *def, struct mv_err *err);
/* A backend failure (R, MSG taken) as ERR: the message names the pool. */
int stor_backend_error(struct mv_err *err, int r, char *msg, const char *pool, const char *what);

/* Builds DEF (FLAGS: VIR_STORAGE_POOL_BUILD_*); CREATED event. */
int stor_pool_build(struct stor_pool *pool, const struct mv_pool_def *def, unsigned int flags, struct mv_err *err);
/* Starts POOL with DEF (taken), building it first if BUILD_FLAGS asks
 * (VIR_STORAGE_POOL_CREATE_WITH_BUILD*): mounts, refreshes, writes the
 * status, makes it active; STARTED event. */
int stor_pool_start(struct stor_pool *pool, struct mv_pool_def *def, unsigned int build_flags, struct mv_err *err);
/* Refreshes active POOL's volumes and usage; REFRESH event. */
int stor_pool_refresh(struct stor_pool *pool, struct mv_err *err);
/* Stops active POOL (unmounts); STOPPED event; a transient pool goes. */
int stor_pool_stop(struct stor_pool *pool, struct mv_err *err);
/* Removes inactive POOL's storage (FLAGS: VIR_STORAGE_POOL_DELETE_*); DELETED event. */
int stor_pool_delete(struct stor_pool *pool, unsigned int flags, struct mv_err *err);
/* At storaged's start, with the job held: POOL has a status file with
 * running definition LIVE (taken); asks the backend whether it is still
 * started and re-adopts it (refresh) or drops the status. */
void stor_pool_readopt(struct stor_pool *pool, struct mv_pool_def *live);
