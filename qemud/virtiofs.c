/* virtiofsd's command line (virtiofs.h). */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "virtiofs.h"

#define VIRTIOFSD_ARGS_MAX 8

bool mv_virtiofs_needs_daemon(const struct mv_dom_fs *fs)
{
    return fs->driver == MV_DOM_FS_DRIVER_VIRTIOFS && !fs->source_socket;
}

char *mv_virtiofs_socket_path(const char *rundir, const char *uuid_str, size_t index)
{
    char *path;

    return asprintf(&path, "%s/%s.d/fs%zu.sock", rundir, uuid_str, index) < 0 ? NULL : path;
}

/* DIR for virtiofsd's "-o source=": its option parser (FUSE's) splits at
 * commas and takes a backslash as escaping the next character. */
static char *escape_option(const char *dir)
{
    char *out = malloc(2 * strlen(dir) + 1), *p = out;

    if (!out)
        return NULL;
    for (; *dir; dir++) {
        if (*dir == ',' || *dir == '\\')
            *p++ = '\\';
        *p++ = *dir;
    }
    *p = '\0';
    return out;
}

/* Appends ",WORD" for an on/off setting: ON_WORD, OFF_WORD, or nothing. */
static void add_toggle(FILE *f, enum mv_tristate t, const char *on_word, const char *off_word)
{
    if (t != MV_TRISTATE_ABSENT)
        fprintf(f, ",%s", t == MV_TRISTATE_YES ? on_word : off_word);
}

/* The -o value: source= first, then the settings the XML gives. */
static char *options(const struct mv_dom_fs *fs)
{
    const struct mv_dom_fs_binary *b = &fs->binary;
    _cleanup_free_ char *source = escape_option(fs->source_dir);
    char *buf = NULL;
    size_t len = 0;
    FILE *f;

    if (!source || !(f = open_memstream(&buf, &len)))
        return NULL;
    fprintf(f, "source=%s", source);
    if (b->cache != MV_DOM_FS_CACHE_ABSENT)
        fprintf(f, ",cache=%s", mv_dom_fs_cache_to_string(b->cache));
    if (b->sandbox != MV_DOM_FS_SANDBOX_ABSENT)
        fprintf(f, ",sandbox=%s", mv_dom_fs_sandbox_to_string(b->sandbox));
    add_toggle(f, b->xattr, "xattr", "no_xattr");
    add_toggle(f, b->lock_posix, "posix_lock", "no_posix_lock");
    add_toggle(f, b->lock_flock, "flock", "no_flock");
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int mv_virtiofs_build_argv(const struct mv_dom_fs *fs, const char *binary, const char *socket, char ***argv)
{
    char **v = calloc(VIRTIOFSD_ARGS_MAX + 1, sizeof(*v));
    size_t n = 0;

    if (!v)
        return -ENOMEM;
    v[n++] = strdup(fs->binary.path ? fs->binary.path : binary);
    if (asprintf(&v[n++], "--socket-path=%s", socket) < 0)
        v[n - 1] = NULL;
    v[n++] = strdup("-o");
    v[n++] = options(fs);
    if (fs->binary.thread_pool_given &&
        asprintf(&v[n++], "--thread-pool-size=%u", fs->binary.thread_pool_size) < 0)
        v[n - 1] = NULL;
    for (size_t i = 0; i < n; i++) {
        if (v[i])
            continue;
        /* a failed entry is a NULL in the middle: free each one */
        for (size_t j = 0; j < n; j++)
            free(v[j]);
        free(v);
        return -ENOMEM;
    }
    *argv = v;
    return 0;
}
