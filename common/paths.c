#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cleanup.h"
#include "paths.h"

#ifndef SYSCONFDIR
#error "SYSCONFDIR must be defined by the build"
#endif

static char *join(const char *a, const char *b)
{
    char *s;

    if (asprintf(&s, "%s%s", a, b) < 0)
        return NULL;
    return s;
}

int mv_paths_init(struct mv_paths *p, const char *root)
{
    _cleanup_free_ char *r = NULL;
    _cleanup_(mv_paths_clear) struct mv_paths n = { 0 };

    if (root) {
        size_t len = strlen(root);

        if (root[0] != '/')
            return -EINVAL;
        while (len > 1 && root[len - 1] == '/')
            len--;
        r = strndup(root, len);
        if (!r)
            return -ENOMEM;
        /* "/" becomes an empty prefix so that paths do not start with "//" */
        const char *prefix = strcmp(r, "/") == 0 ? "" : r;
        n.confdir = join(prefix, "/etc/modvirt");
        n.rundir = join(prefix, "/run/modvirt");
        n.statedir = join(prefix, "/var/lib/modvirt");
        n.logdir = join(prefix, "/var/log/modvirt");
    } else {
        n.confdir = strdup(SYSCONFDIR "/modvirt");
        n.rundir = strdup(RUNSTATEDIR "/modvirt");
        n.statedir = strdup(LOCALSTATEDIR "/lib/modvirt");
        n.logdir = strdup(LOCALSTATEDIR "/log/modvirt");
    }
    if (!n.confdir || !n.rundir || !n.statedir || !n.logdir)
        return -ENOMEM;
    n.root = TAKE_PTR(r);
    *p = n;
    n = (struct mv_paths){ 0 };         /* P owns the strings now */
    return 0;
}

void mv_paths_clear(struct mv_paths *p)
{
    free(p->root);
    free(p->confdir);
    free(p->rundir);
    free(p->statedir);
    free(p->logdir);
    *p = (struct mv_paths){ 0 };
}

char *mv_paths_socket(const struct mv_paths *p, const char *daemon, bool readonly)
{
    char *s;

    if (asprintf(&s, "%s/%s-sock%s", p->rundir, daemon, readonly ? "-ro" : "") < 0)
        return NULL;
    return s;
}

char *mv_paths_config_file(const struct mv_paths *p, const char *daemon)
{
    char *s;

    if (asprintf(&s, "%s/modvirt-%s.conf", p->confdir, daemon) < 0)
        return NULL;
    return s;
}

int mv_mkdir_p(const char *path, mode_t mode)
{
    _cleanup_free_ char *buf = NULL;
    size_t len;
    struct stat st;

    if (!path || !*path)
        return -EINVAL;
    buf = strdup(path);
    if (!buf)
        return -ENOMEM;
    len = strlen(buf);
    while (len > 1 && buf[len - 1] == '/')
        buf[--len] = '\0';
    /* create each prefix in turn; EEXIST is fine if it is a directory,
     * which also covers a concurrent mkdir by someone else */
    for (char *s = buf + 1;; s++) {
        if (*s != '/' && *s != '\0')
            continue;
        char saved = *s;
        *s = '\0';
        if (mkdir(buf, mode) < 0) {
            if (errno != EEXIST)
                return -errno;
            if (stat(buf, &st) < 0)
                return -errno;
            if (!S_ISDIR(st.st_mode))
                return -ENOTDIR;
        }
        *s = saved;
        if (saved == '\0')
            return 0;
    }
}
