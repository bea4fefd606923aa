/* Definitions, autostart links and status files on disk. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "errmsg.h"
#include "file.h"
#include "paths.h"
#include "store.h"

char *mv_store_path(const char *dir, const char *name, const char *suffix)
{
    char *s;

    return asprintf(&s, "%s/%s%s", dir, name, suffix) < 0 ? NULL : s;
}

void mv_store_free(struct mv_store *store)
{
    if (!store)
        return;
    free(store->word);
    free(store->confdir);
    free(store->autostartdir);
    free(store->rundir);
    free(store);
}

int mv_store_new(const char *confroot, const char *runroot, const char *subsystem, const char *word,
                 struct mv_store **out)
{
    _cleanup_(mv_store_freep) struct mv_store *s = calloc(1, sizeof(*s));

    if (!s || !(s->word = strdup(word)) || !(s->confdir = mv_store_path(confroot, subsystem, "")) ||
        !(s->autostartdir = mv_store_path(s->confdir, "autostart", "")) ||
        !(s->rundir = mv_store_path(runroot, subsystem, "")))
        return -ENOMEM;
    *out = TAKE_PTR(s);
    return 0;
}

/* ".NAME.xml.XXXXXX": what mv_file_write_atomic writes before its rename. */
static bool is_stale_temp(const char *file)
{
    size_t len = strlen(file);

    return file[0] == '.' && len > 12 && memcmp(file + len - 11, ".xml.", 5) == 0;
}

/* Nobody writes before the daemon has loaded its state, so any temp file
 * found now is the remains of a write that was killed. */
static int remove_stale_temps(const char *dir, char **errmsg)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int r = 0;

    if (!d)
        return errno == ENOENT ? 0 : mv_errmsg_set(errmsg, -errno, "cannot read '%s': %s", dir, strerror(errno));
    while ((e = readdir(d))) {
        if (!is_stale_temp(e->d_name))
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) < 0 && errno != ENOENT && r == 0)
            r = mv_errmsg_set(errmsg, -errno, "cannot remove '%s/%s': %s", dir, e->d_name, strerror(errno));
    }
    closedir(d);
    return r;
}

int mv_store_open(struct mv_store *store, char **errmsg)
{
    const char *dirs[] = { store->confdir, store->autostartdir, store->rundir };
    int r;

    for (size_t i = 0; i < MV_ARRAY_SIZE(dirs); i++) {
        _cleanup_free_ char *parent = strdup(dirs[i]);
        char *slash = parent ? strrchr(parent, '/') : NULL;

        if (!parent)
            return -ENOMEM;
        if (slash && slash != parent)
            *slash = '\0';
        /* the parents hold the sockets others must reach: only ours are private */
        if (i != 1 && slash && slash != parent && (r = mv_mkdir_p(parent, 0755)) < 0)
            return mv_errmsg_set(errmsg, r, "cannot create '%s': %s", parent, strerror(-r));
        if ((r = mv_mkdir_p(dirs[i], 0700)) < 0)
            return mv_errmsg_set(errmsg, r, "cannot create '%s': %s", dirs[i], strerror(-r));
        if ((r = remove_stale_temps(dirs[i], errmsg)) < 0)
            return r;
    }
    return 0;
}

static int unlink_quiet(const char *path)
{
    return unlink(path) < 0 && errno != ENOENT ? -errno : 0;
}

int mv_store_save_config(const struct mv_store *store, const char *name, const char *xml, char **errmsg)
{
    _cleanup_free_ char *path = mv_store_path(store->confdir, name, ".xml");
    int r;

    if (!path)
        return -ENOMEM;
    if ((r = mv_file_write_atomic(path, xml, strlen(xml), 0600)) < 0)
        return mv_errmsg_set(errmsg, r, "cannot save the definition of %s '%s' to '%s': %s", store->word, name,
                             path, strerror(-r));
    return 0;
}

int mv_store_delete_config(const struct mv_store *store, const char *name, char **errmsg)
{
    _cleanup_free_ char *path = mv_store_path(store->confdir, name, ".xml");
    _cleanup_free_ char *link = mv_store_path(store->autostartdir, name, ".xml");
    int r;

    if (!path || !link)
        return -ENOMEM;
    /* durable before the caller removes what the definition pointed at */
    if ((r = unlink_quiet(link)) < 0 || (r = mv_file_unlink_durable(path)) < 0)
        return mv_errmsg_set(errmsg, r, "cannot remove the definition of %s '%s': %s", store->word, name,
                             strerror(-r));
    return 0;
}

int mv_store_set_autostart(const struct mv_store *store, const char *name, bool on, char **errmsg)
{
    _cleanup_free_ char *target = mv_store_path(store->confdir, name, ".xml");
    _cleanup_free_ char *link = mv_store_path(store->autostartdir, name, ".xml");
    int r = 0;

    if (!target || !link)
        return -ENOMEM;
    if (!on)
        r = unlink_quiet(link);
    else if (symlink(target, link) < 0 && errno != EEXIST)
        r = -errno;
    if (r < 0)
        return mv_errmsg_set(errmsg, r, "cannot %s autostart of %s '%s' ('%s'): %s", on ? "enable" : "disable",
                             store->word, name, link, strerror(-r));
    return 0;
}

bool mv_store_get_autostart(const struct mv_store *store, const char *name)
{
    _cleanup_free_ char *link = mv_store_path(store->autostartdir, name, ".xml");

    return link && access(link, F_OK) == 0;
}

int mv_store_write_status(const struct mv_store *store, const char *name, const char *xml, char **errmsg)
{
    _cleanup_free_ char *path = mv_store_path(store->rundir, name, ".xml");
    int r;

    if (!path)
        return -ENOMEM;
    if ((r = mv_file_write_atomic(path, xml, strlen(xml), 0600)) < 0)
        return mv_errmsg_set(errmsg, r, "cannot write the status of %s '%s' to '%s': %s", store->word, name,
                             path, strerror(-r));
    return 0;
}

int mv_store_delete_status(const struct mv_store *store, const char *name)
{
    _cleanup_free_ char *path = mv_store_path(store->rundir, name, ".xml");

    return path ? unlink_quiet(path) : -ENOMEM;
}

static int each_xml(const char *dir, mv_store_each_fn fn, void *opaque)
{
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return errno == ENOENT ? 0 : -errno;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        _cleanup_free_ char *name = NULL, *path = NULL;

        if (e->d_name[0] == '.' || len < 5 || strcmp(e->d_name + len - 4, ".xml") != 0)
            continue;
        if (!(name = strndup(e->d_name, len - 4)) || !(path = mv_store_path(dir, e->d_name, ""))) {
            closedir(d);
            return -ENOMEM;
        }
        fn(name, path, opaque);
    }
    closedir(d);
    return 0;
}

int mv_store_each_config(const struct mv_store *store, mv_store_each_fn fn, void *opaque)
{
    return each_xml(store->confdir, fn, opaque);
}

int mv_store_each_status(const struct mv_store *store, mv_store_each_fn fn, void *opaque)
{
    return each_xml(store->rundir, fn, opaque);
}

bool mv_store_autostart_due(const struct mv_store *store)
{
    _cleanup_free_ char *marker = mv_store_path(store->rundir, "autostarted", "");
    int fd;

    if (!marker || (fd = open(marker, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0)
        return false;
    close(fd);
    return true;
}
