/*
 * Connection URIs of a local modvirt daemon, "SCHEME:///system" with an
 * optional query ("?socket=PATH&root=DIR"), read with libxml2's RFC 3986
 * parser.  The one checker for the client library and the daemons'
 * CONNECT_OPEN, so they cannot disagree about what is a valid URI.
 */
#pragma once

#include <stddef.h>

/* Longest URI accepted (a socket path is far shorter). */
#define MV_URI_MAX 4096

struct mv_uri_param {
    char *name;             /* unescaped */
    char *value;            /* unescaped; "" when the parameter has no '=' */
};

struct mv_local_uri {
    char *scheme;
    struct mv_uri_param *params;    /* in the order given */
    size_t nparams;
};

/* Parses URI and checks that it names a local daemon: its scheme is one of
 * SCHEMES (NULL-terminated, compared as libvirt does, case-sensitively), it
 * has no user, host or port, its path is "/system" and it has no fragment.
 * Query parameters are split at '&' and ';' and unescaped; their meaning is
 * the caller's.  -EINVAL with *errmsg (malloc'd) naming the URI and what is
 * wrong with it, -ENOMEM. */
int mv_local_uri_parse(const char *uri, const char *const *schemes, struct mv_local_uri **ret,
                       char **errmsg);
void mv_local_uri_free(struct mv_local_uri *u);
/* The value of the last parameter NAME, or NULL. */
const char *mv_local_uri_param(const struct mv_local_uri *u, const char *name);
