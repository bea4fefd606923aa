/*
 * The AUTH_SASL_INIT / START / STEP procedures (wire-protocol.md 5.4) for
 * conn_procs.c's table, and what they need from the server (the accessors
 * are implemented with the client, rpc/server_client.c).
 */
#pragma once

#include <stdbool.h>

#include "remote_protocol.h"
#include "sasl.h"

struct mv_call;
struct mv_client;

/* sasl_allowed_username_list: fnmatch(3) globs; NULL = any user cyrus
 * authenticates.  Set by the daemon from its config before it serves. */
extern char **mv_sasl_allowed_users;

int mv_conn_auth_sasl_init(struct mv_call *call, void *args, mv_auth_sasl_init_ret *ret);
int mv_conn_auth_sasl_start(struct mv_call *call, mv_auth_sasl_start_args *args,
                            mv_auth_sasl_start_ret *ret);
int mv_conn_auth_sasl_step(struct mv_call *call, mv_auth_sasl_step_args *args,
                           mv_auth_sasl_step_ret *ret);

/* ---- from the server (coordinator) ---- */
/* True if the client's listener has auth = SASL. */
bool mv_client_auth_is_sasl(const struct mv_client *c);
/* The client's SASL session slot (NULL until INIT; the client frees what
 * it holds at close). */
struct mv_sasl_session **mv_client_sasl_slot(struct mv_client *c);
/* Fills INFO for the client's socket (strings owned by the client). */
int mv_client_sasl_info(struct mv_client *c, struct mv_sasl_conn_info *info);
/* Records USER as the client's identity and marks it authenticated; -ENOMEM. */
int mv_client_set_sasl_user(struct mv_client *c, const char *user);
/* The session negotiated a security layer: once the reply being made is
 * flushed, every byte goes through mv_sasl_session_transport(). */
void mv_client_start_sasl_layer(struct mv_client *c);
/* A SASL exchange of C failed: after a few, C is closed once the error
 * reply is out (guessing passwords costs a connection every few tries). */
void mv_client_sasl_failed(struct mv_client *c);
