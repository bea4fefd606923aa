/* Asks polkitd (over its D-Bus API) whether a local process may do ACTION. */
#pragma once

#include "error.h"
#include "server.h"

/* 0 if WHO is authorized for ACTION.  Otherwise <0 with ERR set the way a
 * libvirt client expects: denied -> AUTH_FAILED (45) in domain POLKIT (60),
 * authentication needed but nobody to ask -> AUTH_UNAVAILABLE (94),
 * polkit unreachable -> AUTH_FAILED naming the cause.  Blocks: call it off
 * the event loop. */
int mv_polkit_check(const struct mv_identity *who, const char *action, struct mv_err *err);
