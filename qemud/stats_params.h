/*
 * Typed parameter lists as the stats procedures return them, and one
 * domain's statistics turned into the keys `virsh domstats` prints
 * (libvirt 9.0's names, order and types).
 */
#pragma once

#include <stdarg.h>

#include "server.h"
#include "stats.h"

/* A growing list; the names and string values are malloc'd, so the list
 * can be handed to a reply (xdr_free frees it) with qemud_sp_take(). */
struct qemud_stat_params {
    mv_typed_param *v;
    size_t n, cap;
    size_t max;                     /* the wire bound of the reply it is for */
    int err;                        /* first failure: -ENOMEM or -E2BIG past MAX; later adds do nothing */
};

/* Adds one parameter named by FMT; they return tp->err (0 while all is well). */
int qemud_sp_ull(struct qemud_stat_params *tp, unsigned long long v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int qemud_sp_ll(struct qemud_stat_params *tp, long long v, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int qemud_sp_uint(struct qemud_stat_params *tp, unsigned int v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int qemud_sp_int(struct qemud_stat_params *tp, int v, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int qemud_sp_str(struct qemud_stat_params *tp, const char *v, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void qemud_sp_free(struct qemud_stat_params *tp);

/* Appends ST's GROUPS (QEMUD_STATS_*) to TP: state.*, cpu.*, balloon.*,
 * vcpu.*, net.*, block.* as libvirt 9.0 names them.  Returns tp->err. */
int qemud_stats_to_params(const struct qemud_stats *st, unsigned int groups, struct qemud_stat_params *tp);

/* The statistics group named in errors for bit BIT of VIR_DOMAIN_STATS_*. */
const char *qemud_stats_group_name(unsigned int bit);
