/* What the libvirt-client bench programs (dombench, netbench) share besides
 * timing.h: their messages begin with the program's name. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Set by SIGINT or SIGTERM once bench_catch_stop() ran: the programs stop
 * at their next step (and clean up). */
extern volatile int bench_stop;

/* Catches SIGTERM, and SIGINT unless it is ignored (a background job of a
 * script such as bench/run, which sends SIGTERM), into bench_stop. */
void bench_catch_stop(void);
/* Prints "PROG: WHAT NAME: libvirt's last error" (NAME may be NULL); -1. */
int bench_fail(const char *what, const char *name);
/* NS in milliseconds. */
double bench_ms(uint64_t ns);
/* TEXT with every KEY replaced by VALUE (malloc'd); NULL if out of memory. */
char *bench_subst(const char *text, const char *key, const char *value);
/* The whole of PATH (malloc'd), or NULL after saying why. */
char *bench_read_text(const char *path);
/* Sorts the N samples in place and prints " KEY_median_ms=..." with
 * DECIMALS places (and with ALL, first " KEY_all_ms=a,b,c" in run order). */
void bench_print_ms(const char *key, uint64_t *s, size_t n, bool all, int decimals);
/* S as a number from MIN to MAX into *OUT; -EINVAL, after saying why
 * naming the option OPT, if it is not one. */
int bench_parse_num(const char *opt, const char *s, size_t min, size_t max, size_t *out);
