/* Local connection URIs on libxml2's URI parser: see uri.h. */
#define MV_LOG_MODULE "uri"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libxml/uri.h>
#include <libxml/xmlmemory.h>

#include "cleanup.h"
#include "errmsg.h"
#include "uri.h"

static inline void xml_urip_free(xmlURIPtr *u) { if (*u) xmlFreeURI(*u); }
#define _cleanup_xml_uri_ __attribute__((cleanup(xml_urip_free)))

/* "qemu:///system or modvirt:///system" for the error messages. */
static char *accepted_uris(const char *const *schemes)
{
    char *s = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&s, &len);

    if (!f)
        return NULL;
    for (size_t i = 0; schemes[i]; i++)
        fprintf(f, "%s%s:///system", i == 0 ? "" : schemes[i + 1] ? ", " : " or ", schemes[i]);
    if (fclose(f) != 0) {
        free(s);
        return NULL;
    }
    return s;
}

static bool scheme_known(const char *scheme, const char *const *schemes)
{
    for (size_t i = 0; scheme && schemes[i]; i++)
        if (strcmp(scheme, schemes[i]) == 0)
            return true;
    return false;
}

/* Scheme, authority, path and fragment of a local URI. */
static int check_base(const char *uri, const xmlURI *x, const char *const *schemes, char **errmsg)
{
    _cleanup_free_ char *use = NULL;

    if (!scheme_known(x->scheme, schemes)) {
        use = accepted_uris(schemes);
        return mv_errmsg_set(errmsg, -EINVAL, "unsupported URI scheme '%s' in '%s': use %s",
                             x->scheme ? x->scheme : "", uri, use ? use : "a local URI");
    }
    /* "qemu:/system" parses with the same parts as "qemu:///system" */
    if (strncmp(uri + strlen(x->scheme), "://", 3) != 0) {
        use = accepted_uris(schemes);
        return mv_errmsg_set(errmsg, -EINVAL, "URI '%s' has no '//' (empty host) part: use %s", uri,
                             use ? use : "a local URI");
    }
    if ((x->server && *x->server) || x->user || x->port > 0)
        return mv_errmsg_set(errmsg, -EINVAL,
                             "remote host '%s%s%s' in URI '%s': only local connections are supported",
                             x->user ? x->user : "", x->user ? "@" : "", x->server ? x->server : "", uri);
    if (!x->path || strcmp(x->path, "/system") != 0)
        return mv_errmsg_set(errmsg, -EINVAL, "unsupported path '%s' in URI '%s': only /system is served",
                             x->path ? x->path : "", uri);
    if (x->fragment)
        return mv_errmsg_set(errmsg, -EINVAL, "unsupported fragment '#%s' in URI '%s'", x->fragment, uri);
    return 0;
}

/* S[0..len) unescaped; NULL on OOM or for an escaped NUL, which would cut
 * the value short (*nul set).  xmlParseURI checked every '%' has two hex
 * digits behind it. */
static char *unescape(const char *s, size_t len, bool *nul)
{
    char *x, *out;

    *nul = false;
    for (size_t i = 0; i + 2 < len; i++)
        if (s[i] == '%' && s[i + 1] == '0' && s[i + 2] == '0')
            *nul = true;
    if (*nul)
        return NULL;
    if (len == 0)
        return strdup("");     /* xmlURIUnescapeString reads len 0 as "to the end" */
    x = xmlURIUnescapeString(s, (int)len, NULL);
    if (!x)
        return NULL;
    out = strdup(x);
    xmlFree(x);
    return out;
}

static int add_param(struct mv_local_uri *u, const char *p, size_t len, const char *uri,
                     char **errmsg)
{
    const char *eq = memchr(p, '=', len);
    size_t nlen = eq ? (size_t)(eq - p) : len;
    struct mv_uri_param *v = realloc(u->params, (u->nparams + 1) * sizeof(*v));
    bool nul1 = false, nul2 = false;
    char *name, *value;

    if (!v)
        return -ENOMEM;
    u->params = v;
    name = unescape(p, nlen, &nul1);
    value = eq ? unescape(eq + 1, len - nlen - 1, &nul2) : strdup("");
    if (!name || !value) {
        free(name);
        free(value);
        if (nul1 || nul2)
            return mv_errmsg_set(errmsg, -EINVAL, "an escaped NUL (%%00) in URI '%s'", uri);
        return -ENOMEM;
    }
    v[u->nparams++] = (struct mv_uri_param){ .name = name, .value = value };
    return 0;
}

/* "a=1&b=2;c": split as libvirt does (virURIParseParams), empty parts skipped. */
static int parse_query(struct mv_local_uri *u, const char *q, const char *uri, char **errmsg)
{
    while (q && *q) {
        size_t len = strcspn(q, "&;");
        int r = len ? add_param(u, q, len, uri, errmsg) : 0;

        if (r < 0)
            return r;
        q += len;
        if (*q)
            q++;
    }
    return 0;
}

int mv_local_uri_parse(const char *uri, const char *const *schemes, struct mv_local_uri **ret,
                       char **errmsg)
{
    _cleanup_xml_uri_ xmlURIPtr x = NULL;
    struct mv_local_uri *u;
    int r;

    *errmsg = NULL;
    if (strlen(uri) > MV_URI_MAX)
        return mv_errmsg_set(errmsg, -EINVAL, "URI longer than %d bytes", MV_URI_MAX);
    x = xmlParseURI(uri);
    if (!x)
        return mv_errmsg_set(errmsg, -EINVAL, "cannot parse URI '%s' (RFC 3986)", uri);
    r = check_base(uri, x, schemes, errmsg);
    if (r < 0)
        return r;
    u = calloc(1, sizeof(*u));
    if (!u || !(u->scheme = strdup(x->scheme))) {
        free(u);
        return -ENOMEM;
    }
    r = parse_query(u, x->query_raw, uri, errmsg);
    if (r < 0) {
        mv_local_uri_free(u);
        return r;
    }
    *ret = u;
    return 0;
}

void mv_local_uri_free(struct mv_local_uri *u)
{
    if (!u)
        return;
    for (size_t i = 0; i < u->nparams; i++) {
        free(u->params[i].name);
        free(u->params[i].value);
    }
    free(u->params);
    free(u->scheme);
    free(u);
}

const char *mv_local_uri_param(const struct mv_local_uri *u, const char *name)
{
    const char *v = NULL;

    for (size_t i = 0; i < u->nparams; i++)
        if (strcmp(u->params[i].name, name) == 0)
            v = u->params[i].value;
    return v;
}
