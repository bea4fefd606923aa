/*
 * Secrets as storaged holds them: one reference-counted object per secret,
 * its definition and its value, in a registry of their own keyed by UUID
 * (the registry's name index holds the UUID string) and searched by
 * (usage type, usage id).
 *
 * Locking: sec->lock guards def and the value for short copies.  Changes
 * (define, set-value, undefine) also hold storaged_secrets.change_lock from
 * their checks until the object and the disk agree, so two defines can never
 * both claim one usage, and a set-value never races an undefine's file
 * removal.  Order: change_lock, then a secret's lock, then the registry's.
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include "object.h"
#include "secret_def.h"

struct mv_events;
struct mv_registry;
struct mv_store;

struct storaged_secret {
    /* refs, lock, job_cond, name (= uuid_str), uuid, uuid_str, id, job, removed */
    MV_OBJ_EMBED;

    struct mv_secret_def *def;      /* swapped under lock by a redefinition */
    unsigned char *value;           /* NULL: no value yet; wiped before it is freed */
    size_t value_len;
};

/* The secrets part's state: one per daemon. */
struct storaged_secrets {
    struct mv_registry *registry;
    struct mv_store *store;         /* <confdir>/secrets/UUID.xml: persistent definitions */
    char *valuedir;                 /* <statedir>/secrets: UUID.value files, 0600 */
    struct mv_events *events;       /* lifecycle and value-changed registrations */
    pthread_mutex_t change_lock;
};

extern struct storaged_secrets storaged_secrets;

struct storaged_secret *storaged_secret_ref(struct storaged_secret *sec);
void storaged_secret_unref(struct storaged_secret *sec);   /* NULL is fine */
MV_DEFINE_CLEANUP(struct storaged_secret, storaged_secret_unref)
#define _cleanup_secret_unref_ _cleanup_(storaged_secret_unrefp)

/* Overwrites and frees a value buffer; NULL is fine. */
void storaged_secret_value_free(unsigned char *value, size_t len);

int storaged_secret_registry_init(void);
void storaged_secret_registry_cleanup(void);

/* Adds a secret for DEF (taken, also on failure) with VALUE (copied; NULL
 * for none).  0, -EEXIST (the UUID is taken), -ENOMEM.  Call with
 * change_lock held. */
int storaged_secret_add(struct mv_secret_def *def, const unsigned char *value, size_t value_len);
/* Removes SEC from the registry. */
void storaged_secret_remove(struct storaged_secret *sec);

/* Referenced secret or NULL. */
struct storaged_secret *storaged_secret_find_uuid(const unsigned char uuid[MV_UUID_LEN]);
/* The secret for USAGE/ID (usage NONE never matches), or NULL. */
struct storaged_secret *storaged_secret_find_usage(int usage, const char *usage_id);

/* A copy of secret UUID's value for storaged's own use (the passphrase of a
 * LUKS volume it creates): 0 with *VALUE (free it with
 * storaged_secret_value_free), -ENOENT (no such secret), -ENODATA (no
 * value yet), -ENOMEM.  Private secrets too: the value stays in storaged. */
int storaged_secret_value_copy(const unsigned char uuid[MV_UUID_LEN], unsigned char **value, size_t *len);

/* Every secret, referenced, in order of definition.  0 or -ENOMEM. */
int storaged_secret_list(struct storaged_secret ***secs, size_t *n);
void storaged_secret_list_free(struct storaged_secret **secs, size_t n);
