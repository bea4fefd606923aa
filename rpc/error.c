#define MV_LOG_MODULE "rpc.error"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error.h"

static int err_vset(struct mv_err *e, int code, int domain, const char *suffix,
                    const char *fmt, va_list ap)
{
    char *msg = NULL;

    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    if (msg && suffix) {
        char *full = NULL;
        if (asprintf(&full, "%s: %s", msg, suffix) >= 0) {
            free(msg);
            msg = full;
        }
    }
    free(e->message);
    e->code = code;
    e->domain = domain;
    e->message = msg;   /* NULL on OOM: the wire form then says "Unknown error" */
    return -EIO;
}

int mv_err_set(struct mv_err *e, int code, int domain, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    err_vset(e, code, domain, NULL, fmt, ap);
    va_end(ap);
    return -EIO;
}

int mv_err_set_errno(struct mv_err *e, int neg_errno, int code, int domain, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    err_vset(e, code, domain, strerror(neg_errno < 0 ? -neg_errno : neg_errno), fmt, ap);
    va_end(ap);
    return neg_errno < 0 ? neg_errno : -neg_errno;
}

void mv_err_clear(struct mv_err *e)
{
    free(e->message);
    e->message = NULL;
    e->code = 0;
    e->domain = 0;
}

void mv_err_move(struct mv_err *dst, struct mv_err *src)
{
    mv_err_clear(dst);
    *dst = *src;
    src->message = NULL;
    src->code = 0;
    src->domain = 0;
}

void mv_err_to_wire(const struct mv_err *e, mv_error *wire)
{
    static char unknown[] = "Unknown error";

    memset(wire, 0, sizeof(*wire));
    wire->code = e->code;
    wire->domain = e->domain;
    /* mv_string is a pointer to a char *: point at the owned message */
    wire->message = (mv_string)(e->message ? &((struct mv_err *)e)->message : NULL);
    if (!wire->message) {
        static char *unknown_ptr = unknown;
        wire->message = &unknown_ptr;
    }
    wire->level = MV_ERR_LEVEL_ERROR;
    wire->int1 = -1;
    wire->int2 = -1;
}

int mv_err_from_wire(struct mv_err *e, const mv_error *wire)
{
    const char *msg = wire->message && *wire->message ? *wire->message : "Unknown error";
    char *copy = strdup(msg);

    if (!copy)
        return -ENOMEM;
    free(e->message);
    e->code = wire->code;
    e->domain = wire->domain;
    e->message = copy;
    return 0;
}
