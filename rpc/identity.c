/*
 * The parameters of CONNECT_SET_IDENTITY, by name and type as libvirt sends
 * them (wire-protocol.md 5.7).  Strict on purpose: the caller is trusted
 * (root), but a confused one must not leave a connection with half an
 * identity, so everything is checked before anything is taken.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"
#include "identity.h"

/* VIR_TYPED_PARAM_* */
enum { TP_LLONG = 3, TP_ULLONG = 4, TP_STRING = 7 };

enum ident_key {
    K_USER_NAME, K_USER_ID, K_GROUP_NAME, K_GROUP_ID, K_PROCESS_ID, K_PROCESS_TIME,
    K_SASL_USER, K_X509_DNAME, K_SELINUX, K_SYSTEM_TOKEN, K_COUNT
};

static const struct {
    const char *name;
    int type;
} ident_keys[K_COUNT] = {
    [K_USER_NAME] = { "user-name", TP_STRING },
    [K_USER_ID] = { "unix-user-id", TP_ULLONG },
    [K_GROUP_NAME] = { "group-name", TP_STRING },
    [K_GROUP_ID] = { "unix-group-id", TP_ULLONG },
    [K_PROCESS_ID] = { "process-id", TP_LLONG },
    [K_PROCESS_TIME] = { "process-time", TP_ULLONG },
    [K_SASL_USER] = { "sasl-user-name", TP_STRING },
    [K_X509_DNAME] = { "x509-distinguished-name", TP_STRING },
    [K_SELINUX] = { "selinux-context", TP_STRING },
    [K_SYSTEM_TOKEN] = { "system.token", TP_STRING },
};

#define API "virConnectSetIdentity"
/* strings end up in log lines: bounded and printable */
#define IDENT_STRING_MAX 1024

static const char *type_name(int type)
{
    static const char *const names[] = { "?", "int", "uint", "llong", "ullong", "double",
                                         "boolean", "string" };

    return type >= 1 && type <= 7 ? names[type] : "unknown";
}

static int find_key(const char *name)
{
    for (int k = 0; k < K_COUNT; k++)
        if (strcmp(ident_keys[k].name, name) == 0)
            return k;
    return -1;
}

static bool printable(const char *s, size_t max)
{
    size_t n = 0;

    for (; *s; s++, n++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s == 0x7f || n >= max)
            return false;
    return n > 0;
}

static bool hex32(const char *s)
{
    size_t n = strspn(s, "0123456789abcdefABCDEF");

    return n == 32 && s[n] == '\0';
}

static int bad_value(struct mv_err *err, const char *name, const char *why)
{
    mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_NONE, "invalid argument: " API ": parameter '%s' %s",
               name, why);
    return -EINVAL;
}

/* Checks the value of one parameter whose name and type are right. */
static int check_value(int k, const mv_typed_param_value *v, struct mv_err *err)
{
    const char *name = ident_keys[k].name;

    switch (k) {
    case K_USER_ID:
    case K_GROUP_ID:
        /* (uid_t)-1 means "no change" to the kernel: never an identity */
        if (v->mv_typed_param_value_u.ul >= UINT32_MAX)
            return bad_value(err, name, "is out of range for a unix id");
        return 0;
    case K_PROCESS_ID:
        if (v->mv_typed_param_value_u.l <= 0 || v->mv_typed_param_value_u.l > INT32_MAX)
            return bad_value(err, name, "is not a process id");
        return 0;
    case K_PROCESS_TIME:
        return 0;
    case K_SYSTEM_TOKEN:
        if (!hex32(v->mv_typed_param_value_u.s))
            return bad_value(err, name, "is not 32 hexadecimal digits");
        return 0;
    default:
        if (!printable(v->mv_typed_param_value_u.s, IDENT_STRING_MAX))
            return bad_value(err, name, "must be 1 to 1024 printable characters");
        return 0;
    }
}

/* Finds every parameter's key (refusing unknown, doubled, mistyped or bad
 * ones); SEEN[k] is the index of key k's parameter or -1. */
static int index_params(const mv_typed_param *params, unsigned int n, int seen[K_COUNT],
                        struct mv_err *err)
{
    for (int k = 0; k < K_COUNT; k++)
        seen[k] = -1;
    for (unsigned int i = 0; i < n; i++) {
        const mv_typed_param *p = &params[i];
        int k = find_key(p->field);

        if (k < 0)
            return mv_err_set(err, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_NONE,
                              "argument unsupported: " API ": unknown identity parameter '%s'",
                              p->field);
        if (seen[k] >= 0)
            return bad_value(err, p->field, "is given twice");
        if (p->value.type != ident_keys[k].type)
            return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_NONE,
                              "invalid argument: " API ": parameter '%s' must be of type %s, not %s",
                              p->field, type_name(ident_keys[k].type), type_name(p->value.type));
        if (check_value(k, &p->value, err) < 0)
            return -EINVAL;
        seen[k] = (int)i;
    }
    return 0;
}

int mv_identity_parse(const mv_typed_param *params, unsigned int n,
                      struct mv_forwarded_identity *out, struct mv_err *err)
{
    static const int required[] = { K_USER_ID, K_GROUP_ID, K_PROCESS_ID };
    int seen[K_COUNT];
    bool remote;

    if (index_params(params, n, seen, err) < 0)
        return -EINVAL;
    /* no unix id and no unix name: a remote client, named by its DN or
     * SASL user or (auth_tcp = "none") by nothing; it can only lower the
     * root peer's rights, never keep them */
    remote = seen[K_USER_ID] < 0 && seen[K_GROUP_ID] < 0 && seen[K_PROCESS_ID] < 0 &&
             seen[K_USER_NAME] < 0 && seen[K_GROUP_NAME] < 0;
    /* a partial identity would leave the peer's (root's) ids in place */
    for (size_t i = 0; !remote && i < sizeof(required) / sizeof(required[0]); i++)
        if (seen[required[i]] < 0)
            return bad_value(err, ident_keys[required[i]].name, "is required");
#define VAL(k) (params[seen[k]].value.mv_typed_param_value_u)
    *out = (struct mv_forwarded_identity){
        .remote = remote,
        .uid = remote ? (uid_t)-1 : (uid_t)VAL(K_USER_ID).ul,
        .gid = remote ? (gid_t)-1 : (gid_t)VAL(K_GROUP_ID).ul,
        .pid = remote ? 0 : (pid_t)VAL(K_PROCESS_ID).l,
        .start_time = seen[K_PROCESS_TIME] >= 0 ? VAL(K_PROCESS_TIME).ul : 0,
        .x509_dname = seen[K_X509_DNAME] >= 0 ? VAL(K_X509_DNAME).s : NULL,
        .sasl_user = seen[K_SASL_USER] >= 0 ? VAL(K_SASL_USER).s : NULL,
        .user_name = seen[K_USER_NAME] >= 0 ? VAL(K_USER_NAME).s : NULL,
        .group_name = seen[K_GROUP_NAME] >= 0 ? VAL(K_GROUP_NAME).s : NULL,
        .system_token = seen[K_SYSTEM_TOKEN] >= 0,
    };
#undef VAL
    return 0;
}

/* Appends key K's parameter to A (room for K_COUNT); NULL without memory. */
static mv_typed_param *param_add(mv_connect_set_identity_args *a, int k)
{
    mv_typed_param *p = &a->params.params_val[a->params.params_len];

    if (!(p->field = strdup(ident_keys[k].name)))
        return NULL;
    p->value.type = ident_keys[k].type;
    a->params.params_len++;
    return p;
}

static int param_ull(mv_connect_set_identity_args *a, int k, unsigned long long v)
{
    mv_typed_param *p = param_add(a, k);

    if (!p)
        return -ENOMEM;
    p->value.mv_typed_param_value_u.ul = v;
    return 0;
}

static int param_str(mv_connect_set_identity_args *a, int k, const char *v)
{
    mv_typed_param *p;

    if (!v)
        return 0;   /* not known: left out, as the parser allows */
    if (!(p = param_add(a, k)) || !(p->value.mv_typed_param_value_u.s = strdup(v)))
        return -ENOMEM;
    return 0;
}

int mv_identity_to_params(const struct mv_forwarded_identity *id, mv_connect_set_identity_args *a)
{
    mv_typed_param *pid;

    a->params.params_len = 0;
    if (!(a->params.params_val = calloc(K_COUNT, sizeof(*a->params.params_val))))
        return -ENOMEM;
    if (!id->remote) {
        if (param_ull(a, K_USER_ID, id->uid) < 0 || param_ull(a, K_GROUP_ID, id->gid) < 0 ||
            !(pid = param_add(a, K_PROCESS_ID)))
            return -ENOMEM;
        pid->value.mv_typed_param_value_u.l = id->pid;
        if (param_ull(a, K_PROCESS_TIME, id->start_time) < 0)
            return -ENOMEM;
    }
    if (param_str(a, K_USER_NAME, id->user_name) < 0 || param_str(a, K_GROUP_NAME, id->group_name) < 0 ||
        param_str(a, K_X509_DNAME, id->x509_dname) < 0 || param_str(a, K_SASL_USER, id->sasl_user) < 0)
        return -ENOMEM;
    return 0;
}

int mv_process_start_time(pid_t pid, uint64_t *start)
{
    char path[64];
    _cleanup_free_ char *stat = NULL;
    const char *p;
    unsigned long long v;

    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    if (mv_file_read_line(path, &stat) < 0)
        return -ESRCH;
    p = strrchr(stat, ')');     /* the command name may contain spaces */
    if (!p)
        return -EINVAL;
    /* after ") " come fields 3..; the start time is field 22 */
    if (sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu",
               &v) != 1)
        return -EINVAL;
    *start = v;
    return 0;
}
