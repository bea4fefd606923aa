/* Secrets on disk (secret_store.h). */
#define MV_LOG_MODULE "storaged.secret"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "errmsg.h"
#include "events.h"
#include "file.h"
#include "log.h"
#include "secret_obj.h"
#include "secret_store.h"
#include "registry.h"
#include "store.h"

/* secret XML is a few hundred bytes; this bounds what a damaged file costs */
#define DEF_FILE_MAX (64 * 1024)

static char *value_path(const unsigned char uuid[MV_UUID_LEN])
{
    char s[MV_UUID_STRING_LEN];

    mv_uuid_format(uuid, s);
    return mv_store_path(storaged_secrets.valuedir, s, ".value");
}

int storaged_secret_store_save_def(const struct mv_secret_def *def, char **errmsg)
{
    _cleanup_free_ char *xml = mv_secret_def_format(def);
    char s[MV_UUID_STRING_LEN];

    mv_uuid_format(def->uuid, s);
    if (!xml)
        return mv_errmsg_set(errmsg, -ENOMEM, "cannot format the definition of secret '%s'", s);
    return mv_store_save_config(storaged_secrets.store, s, xml, errmsg);
}

int storaged_secret_store_save_value(const unsigned char uuid[MV_UUID_LEN], const unsigned char *value,
                                     size_t len, char **errmsg)
{
    _cleanup_free_ char *path = value_path(uuid);
    int r;

    if (!path)
        return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
    if ((r = mv_file_write_atomic(path, value, len, 0600)) < 0)
        return mv_errmsg_set(errmsg, r, "cannot save the value of secret to '%s': %s", path, strerror(-r));
    return 0;
}

int storaged_secret_store_delete_value(const unsigned char uuid[MV_UUID_LEN], char **errmsg)
{
    _cleanup_free_ char *path = value_path(uuid);

    if (!path)
        return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
    if (unlink(path) < 0 && errno != ENOENT)
        return mv_errmsg_set(errmsg, -errno, "cannot remove the secret value file '%s': %s", path, strerror(errno));
    return 0;
}

int storaged_secret_store_delete(const unsigned char uuid[MV_UUID_LEN], char **errmsg)
{
    char s[MV_UUID_STRING_LEN];
    int r;

    mv_uuid_format(uuid, s);
    /* the value first: a crash in between leaves a definition without a
     * value, never a value file nobody owns */
    if ((r = storaged_secret_store_delete_value(uuid, errmsg)) < 0)
        return r;
    return mv_store_delete_config(storaged_secrets.store, s, errmsg);
}

/* ---- loading ---- */

/* Reads UUID's value file: 0 with *VALUE NULL if there is none. */
static int load_value(const unsigned char uuid[MV_UUID_LEN], unsigned char **value, size_t *len)
{
    _cleanup_free_ char *path = value_path(uuid);
    char *data = NULL;
    int r;

    *value = NULL;
    *len = 0;
    if (!path)
        return -ENOMEM;
    r = mv_file_read_all(path, MV_SECRET_VALUE_MAX, &data, len);
    if (r == -ENOENT)
        return 0;
    if (r < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot read the secret value file '%s': %s", path, strerror(-r));
    *value = (unsigned char *)data;
    return 0;
}

static int load_def(const char *name, const char *path, struct mv_secret_def **def)
{
    _cleanup_free_ char *xml = NULL, *msg = NULL;
    char s[MV_UUID_STRING_LEN];
    int r;

    if ((r = mv_file_read_all(path, DEF_FILE_MAX, &xml, NULL)) < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot read secret definition '%s': %s", path, strerror(-r));
    if ((r = mv_secret_def_parse(xml, def, &msg)) < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "secret definition '%s' is not valid, skipped: %s", path,
                            msg ? msg : "cannot parse it");
    mv_uuid_format((*def)->uuid, s);
    /* the file name is the key a later save and delete use */
    if (strcmp(s, name) != 0 || (*def)->ephemeral) {
        mv_error("secret definition '%s' does not belong there (uuid '%s'%s), skipped", path, s,
                 (*def)->ephemeral ? ", ephemeral" : "");
        mv_secret_def_free(TAKE_PTR(*def));
        return -EINVAL;
    }
    return 0;
}

static void load_one(const char *name, const char *path, void *opaque)
{
    struct mv_secret_def *def = NULL;
    unsigned char *value = NULL, uuid[MV_UUID_LEN];
    size_t len = 0;
    int r;

    if (load_def(name, path, &def) < 0)
        return;
    memcpy(uuid, def->uuid, MV_UUID_LEN);
    if (load_value(uuid, &value, &len) < 0) {
        mv_secret_def_free(def);
        return;
    }
    /* add takes DEF, copies the value */
    if ((r = storaged_secret_add(def, value, len)) < 0)
        mv_error("cannot load secret '%s': %s", name, r == -EEXIST ? "its usage or UUID is taken" : strerror(-r));
    storaged_secret_value_free(value, len);
}

/* A value write killed before its rename leaves '.UUID.value.XXXXXX';
 * every dot file in the value directory is such a leftover. */
static void remove_temps(void)
{
    DIR *d = opendir(storaged_secrets.valuedir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d)))
        if (e->d_name[0] == '.' && strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            unlinkat(dirfd(d), e->d_name, 0) < 0)
            mv_warn("cannot remove '%s/%s': %s", storaged_secrets.valuedir, e->d_name, strerror(errno));
    closedir(d);
}

static int open_valuedir(const struct mv_paths *paths, char **errmsg)
{
    int r;

    if (!(storaged_secrets.valuedir = mv_store_path(paths->statedir, "secrets", "")))
        return mv_errmsg_set(errmsg, -ENOMEM, "out of memory");
    if ((r = mv_mkdir_p(storaged_secrets.valuedir, 0700)) < 0)
        return mv_errmsg_set(errmsg, r, "cannot create '%s': %s", storaged_secrets.valuedir, strerror(-r));
    /* an existing directory keeps its mode through mkdir: make sure */
    if (chmod(storaged_secrets.valuedir, 0700) < 0)
        return mv_errmsg_set(errmsg, -errno, "cannot make '%s' private: %s", storaged_secrets.valuedir,
                             strerror(errno));
    remove_temps();
    return 0;
}

int storaged_secrets_init(const struct mv_paths *paths, char **errmsg)
{
    int r;

    if ((r = storaged_secret_registry_init()) < 0 || (r = mv_events_new("secret", &storaged_secrets.events)) < 0 ||
        (r = mv_store_new(paths->confdir, paths->rundir, "secrets", "secret", &storaged_secrets.store)) < 0) {
        storaged_secrets_cleanup();
        return mv_errmsg_set(errmsg, r, "cannot set up secrets: %s", strerror(-r));
    }
    if ((r = mv_store_open(storaged_secrets.store, errmsg)) < 0 || (r = open_valuedir(paths, errmsg)) < 0) {
        storaged_secrets_cleanup();
        return r;
    }
    pthread_mutex_lock(&storaged_secrets.change_lock);
    r = mv_store_each_config(storaged_secrets.store, load_one, NULL);
    pthread_mutex_unlock(&storaged_secrets.change_lock);
    if (r < 0) {
        storaged_secrets_cleanup();
        return mv_errmsg_set(errmsg, r, "cannot list secret definitions: %s", strerror(-r));
    }
    mv_info("%zu secrets loaded", mv_registry_count(storaged_secrets.registry));
    return 0;
}

void storaged_secrets_cleanup(void)
{
    mv_events_free(storaged_secrets.events);
    storaged_secrets.events = NULL;
    storaged_secret_registry_cleanup();
    mv_store_free(storaged_secrets.store);
    storaged_secrets.store = NULL;
    free(storaged_secrets.valuedir);
    storaged_secrets.valuedir = NULL;
}

void storaged_secrets_client_close(struct mv_client *client)
{
    if (storaged_secrets.events)
        mv_events_client_close(storaged_secrets.events, client);
}
