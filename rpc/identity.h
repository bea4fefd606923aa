/*
 * CONNECT_SET_IDENTITY (wire-protocol.md 5.7): the typed parameters with
 * which a root peer (modvirt-proxyd, or a libvirt daemon) says on whose
 * behalf it calls, checked strictly before anything is believed.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "error.h"
#include "remote_protocol.h"

struct mv_forwarded_identity {
    /* A remote client (a TLS certificate or a SASL login, no process on
     * this host): the unix ids and the pid are absent, uid and gid are
     * (uid_t)-1 and pid 0.  Otherwise the three are required. */
    bool remote;
    uid_t uid;                  /* unix-user-id */
    gid_t gid;                  /* unix-group-id */
    pid_t pid;                  /* process-id */
    uint64_t start_time;        /* process-time; 0: not given */
    const char *user_name;      /* borrowed from the parameters; NULL: not given */
    const char *group_name;
    bool system_token;          /* libvirt's daemon identity: accepted, grants nothing here */
    const char *x509_dname;     /* x509-distinguished-name; NULL: not given */
    const char *sasl_user;      /* sasl-user-name; NULL: not given */
};

/* Parses N PARAMS into OUT.  An identity with none of unix-user-id,
 * unix-group-id, process-id, user-name and group-name is a remote one (an
 * x509 DN and/or SASL user, or nothing for an anonymous TCP client); any
 * other needs the three ids.  An unknown name, a name given twice, a wrong
 * type, a value out of range or a missing required parameter fails with
 * ERR naming the parameter (-EINVAL); OUT is then untouched. */
int mv_identity_parse(const mv_typed_param *params, unsigned int n,
                      struct mv_forwarded_identity *out, struct mv_err *err);

/* The parameters that say ID, from the same table the parser reads (so
 * what the proxy sends is what a daemon accepts): the three unix ones and
 * process-time unless ID is remote, the names, DN and SASL user if given;
 * never system.token.  A's
 * array (freed with xdr_mv_connect_set_identity_args, also on failure)
 * holds what was added; -ENOMEM. */
int mv_identity_to_params(const struct mv_forwarded_identity *id, mv_connect_set_identity_args *a);

/* The start time of PID (field 22 of /proc/PID/stat, clock ticks since
 * boot): with the pid it names one process, so a recycled pid cannot pass
 * for it.  -ESRCH if PID is gone, -EINVAL if the file is not understood. */
int mv_process_start_time(pid_t pid, uint64_t *start);
