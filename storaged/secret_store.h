/*
 * Secrets on disk.  A persistent secret's definition is
 * <confdir>/secrets/UUID.xml (common/store.h) and its value, raw bytes,
 * <statedir>/secrets/UUID.value, mode 0600 in a 0700 directory; both are
 * written atomically (common/file.h).  An ephemeral secret never touches
 * the disk.  Values are never logged, not even their length.
 */
#pragma once

#include <stddef.h>

#include "paths.h"
#include "secret_def.h"
#include "server.h"

/* The part's life, for the daemon's driver: opens the directories, loads
 * every persistent secret with its value, and sets up the event registry.
 * 0 or -errno with *ERRMSG. */
int storaged_secrets_init(const struct mv_paths *paths, char **errmsg);
void storaged_secrets_cleanup(void);
/* The secret procedures and events (secret_procs.c), for main.c's list. */
extern const struct mv_dispatch_table storaged_secret_table;

/* The driver's client_close hook calls it: drops CLIENT's registrations. */
void storaged_secrets_client_close(struct mv_client *client);

/* Writes DEF as its UUID.xml.  0 or -errno with *ERRMSG naming the secret. */
int storaged_secret_store_save_def(const struct mv_secret_def *def, char **errmsg);
/* Writes the value file of secret UUID (0600). */
int storaged_secret_store_save_value(const unsigned char uuid[MV_UUID_LEN], const unsigned char *value,
                                     size_t len, char **errmsg);
/* Removes the definition and the value file of UUID; gone already is fine. */
int storaged_secret_store_delete(const unsigned char uuid[MV_UUID_LEN], char **errmsg);
/* Removes just the value file (a secret redefined as ephemeral). */
int storaged_secret_store_delete_value(const unsigned char uuid[MV_UUID_LEN], char **errmsg);
