/*
 * Connection URIs: "qemu:///system" or "modvirt:///system", optionally with
 * "?socket=PATH" or "?root=DIR".  The URI itself is checked by the one
 * checker the daemons use too (common/uri.c, libxml2's parser); the
 * parameters are the client's.  Anything else is refused with a message
 * that says what would have been accepted, rather than guessed at.
 */
#define MV_LOG_MODULE "client.uri"
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "uri.h"

static const char *const schemes[] = { "qemu", "modvirt", NULL };

static int bad_uri(struct mv_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad_uri(struct mv_err *err, const char *fmt, ...)
{
    _cleanup_free_ char *msg = NULL;
    va_list ap;

    va_start(ap, fmt);
    if (vasprintf(&msg, fmt, ap) < 0)
        msg = NULL;
    va_end(ap);
    mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_REMOTE, "%s", msg ? msg : "invalid URI");
    return -EINVAL;
}

/* socket= and root=, each an absolute path, not both. */
static int take_params(const struct mv_local_uri *lu, struct mv_uri *u, struct mv_err *err)
{
    for (size_t i = 0; i < lu->nparams; i++) {
        const struct mv_uri_param *p = &lu->params[i];
        char **slot;

        if (strcmp(p->name, "socket") == 0)
            slot = &u->socket;
        else if (strcmp(p->name, "root") == 0)
            slot = &u->root;
        else
            return bad_uri(err, "unsupported parameter '%s' in URI '%s' (known: socket, root)",
                           p->name, u->uri);
        if (p->value[0] != '/')
            return bad_uri(err, "parameter '%s' in URI '%s' needs an absolute path", p->name, u->uri);
        free(*slot);
        if (!(*slot = strdup(p->value)))
            return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_REMOTE, "out of memory");
    }
    if (u->socket && u->root)
        return bad_uri(err, "conflicting parameters in URI '%s': socket= and root= exclude "
                       "each other", u->uri);
    return 0;
}

int mv_uri_parse(const char *uri, struct mv_uri *out, struct mv_err *err)
{
    struct mv_uri u = { 0 };
    struct mv_local_uri *lu = NULL;
    _cleanup_free_ char *why = NULL;
    int r = mv_local_uri_parse(uri, schemes, &lu, &why);

    if (r == -EINVAL)
        return bad_uri(err, "%s", why ? why : "invalid URI");
    if (r < 0)
        return mv_err_set_errno(err, r, MV_ERR_NO_MEMORY, MV_FROM_REMOTE, "cannot parse URI");
    u.uri = strdup(uri);
    r = u.uri ? take_params(lu, &u, err)
              : mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_REMOTE, "out of memory");
    mv_local_uri_free(lu);
    if (r < 0) {
        mv_uri_clear(&u);
        return r;
    }
    *out = u;
    return 0;
}

void mv_uri_clear(struct mv_uri *u)
{
    free(u->uri);
    free(u->socket);
    free(u->root);
    *u = (struct mv_uri){ 0 };
}
