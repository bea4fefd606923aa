/* Passphrases of encrypted guest disks, from modvirt-storaged (disk_secret.h). */
#define MV_LOG_MODULE "qemud.secret"
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "disk_secret.h"
#include "file.h"
#include "log.h"
#include "peer_conn.h"
#include "remote_protocol.h"

/* One call to storaged: secrets never wait for a pool, so this only ends a
 * storaged that stopped answering. */
#define STORAGED_CALL_TIMEOUT_MS 30000

/* The value of secret UUID: *VALUE (xdr_free'd by the caller) */
static int get_value(struct qemud_peer *sd, const unsigned char uuid[MV_UUID_LEN], mv_secret_get_value_ret *value,
                     struct mv_err *err)
{
    mv_secret_lookup_by_uuid_args lookup = { 0 };
    mv_secret_ret found = { 0 };
    mv_secret_flags_args args = { 0 };
    int r;

    memcpy(lookup.uuid, uuid, MV_UUID_LEN);
    if ((r = qemud_peer_call(sd, MV_PROC_SECRET_LOOKUP_BY_UUID, (xdrproc_t)xdr_mv_secret_lookup_by_uuid_args, &lookup,
                  (xdrproc_t)xdr_mv_secret_ret, &found, err)) < 0)
        return r;
    args.secret = found.secret;
    r = qemud_peer_call(sd, MV_PROC_SECRET_GET_VALUE, (xdrproc_t)xdr_mv_secret_flags_args, &args,
             (xdrproc_t)xdr_mv_secret_get_value_ret, value, err);
    xdr_free((xdrproc_t)xdr_mv_secret_ret, (char *)&found);
    return r;
}

/* Writes the passphrase of disk D to its file (*PATH, malloc'd). */
static int write_one(struct qemud_peer *sd, const char *dir, const char *uuid_str, const struct mv_dom_disk *d,
                     char **path, struct mv_err *err)
{
    mv_secret_get_value_ret value = { 0 };
    int r;

    if ((r = qemud_peer_open(sd, err)) < 0 || (r = get_value(sd, d->secret_uuid, &value, err)) < 0)
        return r;
    if (asprintf(path, "%s/%s.d/%s.secret", dir, uuid_str, d->target) < 0) {
        *path = NULL;
        r = mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    } else if ((r = mv_file_write_atomic(*path, value.value.value_val, value.value.value_len, 0600)) < 0) {
        mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot write '%s'", *path);
        free(*path);
        *path = NULL;
    }
    /* the passphrase leaves no copy in our heap */
    if (value.value.value_val)
        explicit_bzero(value.value.value_val, value.value.value_len);
    xdr_free((xdrproc_t)xdr_mv_secret_get_value_ret, (char *)&value);
    return r;
}

/* Puts which disk, domain and secret a failure was about before storaged's reason. */
static int in_context(struct mv_err *err, int r, const struct mv_dom_def *live, const struct mv_dom_disk *d)
{
    _cleanup_free_ char *msg = err->message ? strdup(err->message) : NULL;
    char s[MV_UUID_STRING_LEN];

    mv_uuid_format(d->secret_uuid, s);
    mv_err_set(err, err->code ? err->code : MV_ERR_INTERNAL_ERROR, err->domain ? err->domain : MV_FROM_QEMU,
               "cannot get the passphrase of disk '%s' of domain '%s' from secret '%s': %s", d->target, live->name,
               s, msg ? msg : strerror(-r));
    return r;
}

static bool needed(const struct mv_dom_def *live)
{
    for (size_t i = 0; i < live->devices.ndisks; i++)
        if (live->devices.disks[i].encryption != MV_DOM_DISK_ENCRYPTION_NONE && live->devices.disks[i].source)
            return true;
    return false;
}

int qemud_disk_secrets_fetch(const struct mv_paths *paths, const char *dir, const char *uuid_str,
                             const struct mv_dom_def *live, struct qemud_disk_secrets *out, struct mv_err *err)
{
    struct qemud_peer sd = { .paths = paths, .daemon = "storaged", .uri = "storage:///system",
                             .timeout_ms = STORAGED_CALL_TIMEOUT_MS };
    struct qemud_disk_secrets s = { 0 };
    int r = 0;

    *out = s;
    if (!needed(live))
        return 0;
    if (!(s.files = calloc(live->devices.ndisks, sizeof(char *))))
        return mv_err_set_errno(err, -ENOMEM, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    s.n = live->devices.ndisks;
    for (size_t i = 0; i < s.n && r == 0; i++) {
        const struct mv_dom_disk *d = &live->devices.disks[i];

        if (d->encryption == MV_DOM_DISK_ENCRYPTION_NONE || !d->source)
            continue;
        if ((r = write_one(&sd, dir, uuid_str, d, &s.files[i], err)) < 0)
            r = in_context(err, r, live, d);
    }
    qemud_peer_close(&sd);
    if (r < 0) {
        qemud_disk_secrets_remove(&s);
        return r;
    }
    *out = s;
    return 0;
}

void qemud_disk_secrets_remove(struct qemud_disk_secrets *s)
{
    for (size_t i = 0; s->files && i < s->n; i++) {
        if (s->files[i] && unlink(s->files[i]) < 0 && errno != ENOENT)
            mv_warn("cannot remove the passphrase file '%s': %s", s->files[i], strerror(errno));
        free(s->files[i]);
    }
    free(s->files);
    s->files = NULL;
    s->n = 0;
}

void qemud_disk_secrets_sweep(const char *dir)
{
    static const char suffix[] = ".secret";
    DIR *d = opendir(dir);
    struct dirent *e;

    if (!d)
        return;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);

        if (len <= strlen(suffix) || strcmp(e->d_name + len - strlen(suffix), suffix) != 0)
            continue;
        if (unlinkat(dirfd(d), e->d_name, 0) < 0)
            mv_warn("cannot remove the passphrase file '%s/%s': %s", dir, e->d_name, strerror(errno));
        else
            mv_info("removed '%s/%s', left by a start that did not finish", dir, e->d_name);
    }
    closedir(d);
}
