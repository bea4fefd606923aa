/*
 * Daemon configuration files in libvirt's "key = value" syntax:
 *
 *   # comment
 *   listen_tls = 0
 *   unix_sock_group = "libvirt"
 *   access_drivers = [ "polkit",
 *                      "nop", ]      # lists may span lines
 *
 * Values are double-quoted strings (escapes \" and \\ only; a string stays on
 * one line), decimal integers (may be negative), or lists of strings.  Keys
 * match [a-zA-Z_][a-zA-Z0-9_]* and appear at most once.  Messages name the
 * origin and line: "/etc/modvirt/modvirt-qemud.conf:12: unterminated string".
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "cleanup.h"

/* Largest config file accepted. */
#define MV_CONF_MAX_SIZE (1024 * 1024)
/* Most settings one file may hold (keeps lookups and duplicate checks cheap). */
#define MV_CONF_MAX_SETTINGS 1024

typedef struct mv_conf mv_conf;

/* Parses LEN bytes of TEXT; ORIGIN (a path, or NULL for "config") prefixes
 * messages.  -EINVAL with *ERRMSG "ORIGIN:LINE: ..." on a syntax error,
 * -EFBIG if LEN exceeds MV_CONF_MAX_SIZE, -ENOMEM. */
int mv_conf_parse(const char *text, size_t len, const char *origin, mv_conf **ret, char **errmsg);

/* Reads and parses PATH; -ENOENT if it does not exist (*ERRMSG untouched then),
 * otherwise as mv_conf_parse() with a message on every failure. */
int mv_conf_load_file(const char *path, mv_conf **ret, char **errmsg);

/* Frees C; NULL is fine. */
void mv_conf_free(mv_conf *c);
MV_DEFINE_CLEANUP(mv_conf, mv_conf_free)

/*
 * Getters: return 1 if KEY was found and stored, 0 if it is absent (*OUT
 * untouched), -EINVAL if it has another type ("ORIGIN:LINE: KEY: expected a
 * string").  C may be NULL (no config file): every key is then absent.
 * String getters replace *OUT like libvirt does: the old value (NULL or
 * malloc'd) is freed once the new one is stored.
 */
int mv_conf_get_string(const mv_conf *c, const char *key, char **out, char **errmsg);
/* As above; -ERANGE with a message if the value lies outside [MIN, MAX]. */
int mv_conf_get_int(const mv_conf *c, const char *key, long long min, long long max,
                    long long *out, char **errmsg);
/* Booleans are the integers 0 and 1; any other integer is -ERANGE. */
int mv_conf_get_bool(const mv_conf *c, const char *key, bool *out, char **errmsg);
/* A list as a NULL-terminated vector (free with mv_strv_free()). */
int mv_conf_get_strv(const mv_conf *c, const char *key, char ***out, char **errmsg);

/* -EINVAL with "ORIGIN:LINE: unknown setting 'KEY'" for the first key not in
 * the NULL-terminated ALLOWED list; 0 if all are known. */
int mv_conf_check_keys(const mv_conf *c, const char *const *allowed, char **errmsg);
