/*
 * Replacing a domain's persistent or live definition with a changed copy:
 * the one way every call that edits a definition puts its copy in place.
 */
#pragma once

#include <stdbool.h>

#include "domain_obj.h"
#include "error.h"

/* Puts NEXT (taken over, freed on failure) in place of DOM's persistent
 * (CONFIG) or live definition.  CUR is the definition NEXT was copied from
 * (NULL: whichever is in place); the caller holds DOM's job, so only QEMU
 * exiting (live) can replace it meanwhile.  Config: saved first (the store
 * writes atomically), then swapped under the lock, DOM marked updated if
 * it runs; live: swapped, then the status file written.  0, or -EIO with
 * ERR naming the domain and cause: never success with NEXT dropped. */
int qemud_dom_replace_def(struct qemud_dom *dom, bool config, struct mv_dom_def *cur, struct mv_dom_def *next,
                          struct mv_err *err);
