/*
 * Timed waits on the monotonic clock, so that a wall-clock jump neither
 * stretches nor cuts a timeout.
 */
#pragma once

#include <pthread.h>
#include <time.h>

/* Now on CLOCK_MONOTONIC, in milliseconds: for deadlines counted in ms. */
long long mv_now_ms(void);

/* Sets *TS to now + MS milliseconds (MS >= 0) on CLOCK_MONOTONIC. */
void mv_deadline_after(struct timespec *ts, int ms);

/* Initialises COND for pthread_cond_timedwait() with mv_deadline_after()
 * deadlines.  0 or -errno. */
int mv_cond_init_monotonic(pthread_cond_t *cond);
