/*
 * One error object per call: what a handler reports and what the client
 * receives.  The message is complete ("Domain not found: no domain with
 * matching name 'x'"), naming the object and the cause.
 */
#pragma once

#include <stdbool.h>

#include "error_codes.h"
#include "remote_protocol.h"

struct mv_err {
    int code;           /* enum mv_error_code; 0 = no error */
    int domain;         /* enum mv_error_domain */
    char *message;      /* owned */
};

/* Replaces any previous error.  Returns -EIO so handlers can "return mv_err_set(...)". */
int mv_err_set(struct mv_err *e, int code, int domain, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* Same, with strerror(-neg_errno) appended after ": "; returns neg_errno. */
int mv_err_set_errno(struct mv_err *e, int neg_errno, int code, int domain, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
static inline bool mv_err_is_set(const struct mv_err *e) { return e->code != 0; }
void mv_err_clear(struct mv_err *e);
/* Moves SRC into DST (DST cleared first); SRC is left empty. */
void mv_err_move(struct mv_err *dst, struct mv_err *src);

/* Fills the wire form; WIRE borrows E's message until E is cleared. */
void mv_err_to_wire(const struct mv_err *e, mv_error *wire);
/* Copies a decoded wire error (message may be absent: "Unknown error"). */
int mv_err_from_wire(struct mv_err *e, const mv_error *wire);
