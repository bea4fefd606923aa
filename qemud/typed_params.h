/*
 * Typed parameters (libvirt's virTypedParameter, mv_typed_param on the
 * wire) as the tuning calls use them: a reply's list built field by field,
 * and a call's list checked against the fields and types a procedure knows
 * before any of it is applied.
 */
#pragma once

#include <stdbool.h>

#include "remote_protocol.h"
#include "server.h"

/* VIR_TYPED_PARAM_* */
enum { QEMUD_TP_INT = 1, QEMUD_TP_UINT = 2, QEMUD_TP_LLONG = 3, QEMUD_TP_ULLONG = 4, QEMUD_TP_DOUBLE = 5,
       QEMUD_TP_BOOLEAN = 6, QEMUD_TP_STRING = 7 };
/* VIR_TYPED_PARAM_STRING_OKAY: the client takes string parameters */
#define QEMUD_TP_STRING_OKAY 4u

/* A reply's list: VAL/LEN are the rpcgen array's members, at most MAX. */
struct qemud_tparams {
    mv_typed_param **val;
    u_int *len;
    u_int max;
};

/* Append FIELD with its value; 0, or -ENOMEM / -E2BIG past MAX.  The
 * strings are malloc'd (the reply is freed with xdr_free). */
int qemud_tparams_add_ullong(struct qemud_tparams *tp, const char *field, unsigned long long v);
int qemud_tparams_add_llong(struct qemud_tparams *tp, const char *field, long long v);
int qemud_tparams_add_int(struct qemud_tparams *tp, const char *field, int v);
int qemud_tparams_add_string(struct qemud_tparams *tp, const char *field, const char *v);

/* A field a procedure accepts and its type. */
struct qemud_tparam_spec {
    const char *field;
    int type;
};

/* Checks PARAMS (N of them) against SPECS (ended by a NULL field): every
 * field known, of its type, given once.  0, or -EIO with CALL's error
 * naming the field ("argument unsupported: parameter 'x' not supported",
 * "invalid argument: invalid type ... for parameter 'x', expected ..."). */
int qemud_tparams_check(struct mv_call *call, const mv_typed_param *params, u_int n,
                        const struct qemud_tparam_spec *specs);

/* The parameter FIELD of PARAMS, or NULL. */
const mv_typed_param *qemud_tparams_find(const mv_typed_param *params, u_int n, const char *field);
