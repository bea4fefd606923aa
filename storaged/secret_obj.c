/* Secret objects and their registry (secret_obj.h). */
#define MV_LOG_MODULE "storaged.secret"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "job.h"
#include "registry.h"
#include "secret_obj.h"

struct storaged_secrets storaged_secrets = { .change_lock = PTHREAD_MUTEX_INITIALIZER };

void storaged_secret_value_free(unsigned char *value, size_t len)
{
    if (!value)
        return;
    /* explicit_bzero: a plain memset before free may be optimised away */
    explicit_bzero(value, len);
    free(value);
}

static void secret_dispose(struct mv_obj *obj)
{
    struct storaged_secret *sec = (struct storaged_secret *)obj;

    mv_secret_def_free(sec->def);
    storaged_secret_value_free(sec->value, sec->value_len);
    mv_obj_fini(obj);
    free(sec);
}

static const struct mv_obj_kind secret_kind = { .word = "secret", .dispose = secret_dispose };

struct storaged_secret *storaged_secret_ref(struct storaged_secret *sec)
{
    mv_obj_ref(&sec->obj);
    return sec;
}

void storaged_secret_unref(struct storaged_secret *sec)
{
    if (sec)
        mv_obj_unref(&sec->obj);
}

int storaged_secret_registry_init(void)
{
    return mv_registry_new(&secret_kind, &storaged_secrets.registry);
}

void storaged_secret_registry_cleanup(void)
{
    mv_registry_free(storaged_secrets.registry);
    storaged_secrets.registry = NULL;
}

static int secret_new(struct mv_secret_def *def, const unsigned char *value, size_t value_len,
                      struct storaged_secret **out)
{
    _cleanup_secret_def_ struct mv_secret_def *d = def;
    char uuid_str[MV_UUID_STRING_LEN];
    struct storaged_secret *sec = calloc(1, sizeof(*sec));
    int r;

    if (!sec)
        return -ENOMEM;
    mv_uuid_format(d->uuid, uuid_str);
    if ((r = mv_obj_init(&sec->obj, &secret_kind, uuid_str, d->uuid)) < 0) {
        free(sec);
        return r;
    }
    if (value && !(sec->value = malloc(value_len ? value_len : 1))) {
        mv_obj_unref(&sec->obj);
        return -ENOMEM;
    }
    if (value) {
        memcpy(sec->value, value, value_len);
        sec->value_len = value_len;
    }
    sec->def = TAKE_PTR(d);
    *out = sec;
    return 0;
}

int storaged_secret_add(struct mv_secret_def *def, const unsigned char *value, size_t value_len)
{
    struct storaged_secret *sec = NULL;
    struct mv_obj *existing = NULL;
    int r;

    if ((r = secret_new(def, value, value_len, &sec)) < 0)
        return r;
    r = mv_registry_add(storaged_secrets.registry, &sec->obj, "define", &existing);
    if (r == 0) {
        mv_job_end_locked(&sec->obj);
        mv_obj_unlock(&sec->obj);
    }
    mv_obj_unref(existing);
    storaged_secret_unref(sec);     /* the registry holds its own reference */
    return r;
}

void storaged_secret_remove(struct storaged_secret *sec)
{
    mv_registry_remove(storaged_secrets.registry, &sec->obj);
}

struct storaged_secret *storaged_secret_find_uuid(const unsigned char uuid[MV_UUID_LEN])
{
    return (struct storaged_secret *)mv_registry_find_uuid(storaged_secrets.registry, uuid);
}

struct usage_key {
    int usage;
    const char *id;
};

static bool usage_matches(struct mv_obj *obj, void *opaque)
{
    struct storaged_secret *sec = (struct storaged_secret *)obj;
    const struct usage_key *key = opaque;
    bool match;

    mv_obj_lock(obj);
    match = sec->def->usage == (enum mv_secret_usage)key->usage && sec->def->usage_id &&
            strcmp(sec->def->usage_id, key->id) == 0;
    mv_obj_unlock(obj);
    return match;
}

struct storaged_secret *storaged_secret_find_usage(int usage, const char *usage_id)
{
    struct usage_key key = { usage, usage_id };
    struct mv_obj **objs = NULL;
    struct storaged_secret *found = NULL;
    size_t n = 0;

    if (usage == MV_SECRET_USAGE_NONE || !usage_id)
        return NULL;
    /* a scan: hosts hold tens of secrets, and lookups by usage are rare */
    if (mv_registry_list(storaged_secrets.registry, usage_matches, &key, &objs, &n) < 0)
        return NULL;
    if (n > 0)
        found = storaged_secret_ref((struct storaged_secret *)objs[0]);
    mv_obj_list_free(objs, n);
    return found;
}

int storaged_secret_list(struct storaged_secret ***secs, size_t *n)
{
    return mv_registry_list(storaged_secrets.registry, NULL, NULL, (struct mv_obj ***)secs, n);
}

void storaged_secret_list_free(struct storaged_secret **secs, size_t n)
{
    mv_obj_list_free((struct mv_obj **)secs, n);
}

int storaged_secret_value_copy(const unsigned char uuid[MV_UUID_LEN], unsigned char **value, size_t *len)
{
    _cleanup_secret_unref_ struct storaged_secret *sec = storaged_secret_find_uuid(uuid);
    int r = 0;

    if (!sec)
        return -ENOENT;
    mv_obj_lock(&sec->obj);
    if (!sec->value)
        r = -ENODATA;
    else if (!(*value = malloc(sec->value_len ? sec->value_len : 1)))
        r = -ENOMEM;
    else {
        memcpy(*value, sec->value, sec->value_len);
        *len = sec->value_len;
    }
    mv_obj_unlock(&sec->obj);
    return r;
}
