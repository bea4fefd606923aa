/* Typed parameters of the tuning calls (typed_params.h). */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "typed_params.h"

static mv_typed_param *append(struct qemud_tparams *tp, const char *field, int type)
{
    mv_typed_param *grown, *p;

    if (*tp->len >= tp->max) {
        errno = E2BIG;
        return NULL;
    }
    if (!(grown = realloc(*tp->val, (*tp->len + 1) * sizeof(**tp->val))))
        return NULL;
    *tp->val = grown;
    p = &grown[*tp->len];
    memset(p, 0, sizeof(*p));
    if (!(p->field = strdup(field)))
        return NULL;
    p->value.type = type;
    (*tp->len)++;
    return p;
}

int qemud_tparams_add_ullong(struct qemud_tparams *tp, const char *field, unsigned long long v)
{
    mv_typed_param *p = append(tp, field, QEMUD_TP_ULLONG);

    if (!p)
        return -errno;
    p->value.mv_typed_param_value_u.ul = v;
    return 0;
}

int qemud_tparams_add_llong(struct qemud_tparams *tp, const char *field, long long v)
{
    mv_typed_param *p = append(tp, field, QEMUD_TP_LLONG);

    if (!p)
        return -errno;
    p->value.mv_typed_param_value_u.l = v;
    return 0;
}

int qemud_tparams_add_int(struct qemud_tparams *tp, const char *field, int v)
{
    mv_typed_param *p = append(tp, field, QEMUD_TP_INT);

    if (!p)
        return -errno;
    p->value.mv_typed_param_value_u.i = v;
    return 0;
}

int qemud_tparams_add_string(struct qemud_tparams *tp, const char *field, const char *v)
{
    char *copy = strdup(v);
    mv_typed_param *p = copy ? append(tp, field, QEMUD_TP_STRING) : NULL;

    if (!p) {
        int r = -errno;

        free(copy);
        return r;
    }
    p->value.mv_typed_param_value_u.s = copy;
    return 0;
}

static const char *type_name(int type)
{
    static const char *const names[] = { "?", "int", "uint", "llong", "ullong", "double", "boolean", "string" };

    return type >= 1 && type <= QEMUD_TP_STRING ? names[type] : names[0];
}

const mv_typed_param *qemud_tparams_find(const mv_typed_param *params, u_int n, const char *field)
{
    for (u_int i = 0; i < n; i++)
        if (strcmp(params[i].field, field) == 0)
            return &params[i];
    return NULL;
}

int qemud_tparams_check(struct mv_call *call, const mv_typed_param *params, u_int n,
                        const struct qemud_tparam_spec *specs)
{
    for (u_int i = 0; i < n; i++) {
        const struct qemud_tparam_spec *s = specs;

        while (s->field && strcmp(s->field, params[i].field) != 0)
            s++;
        if (!s->field)
            return mv_call_error(call, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_QEMU,
                                 "argument unsupported: parameter '%s' not supported", params[i].field);
        if (params[i].value.type != s->type)
            return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                                 "invalid argument: invalid type '%s' for parameter '%s', expected '%s'",
                                 type_name(params[i].value.type), s->field, type_name(s->type));
        for (u_int j = 0; j < i; j++)
            if (strcmp(params[j].field, params[i].field) == 0)
                return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                                     "invalid argument: parameter '%s' occurs multiple times", s->field);
    }
    return 0;
}
