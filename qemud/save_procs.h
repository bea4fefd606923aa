/*
 * Save, restore and managed save (save_procs.c): what the domain and
 * lifecycle procedures need of them.
 */
#pragma once

#include <stdbool.h>

#include "domain_obj.h"
#include "error.h"
#include "server.h"

/* <statedir>/qemu/save/NAME.save, malloc'd; NULL without memory. */
char *qemud_managed_save_path(const char *name);
/* Whether domain NAME has a managed save image (a stat, fine inline). */
bool qemud_managed_save_exists(const char *name);
/* Removes NAME's managed save image, if any.  0 or -errno. */
int qemud_managed_save_remove(const char *name);

/* Starts shut-off DOM (its job held) from its managed save image, paused if
 * PAUSED (else as it was saved), and removes the image once it runs.
 * 0, or -errno with ERR naming the image. */
int qemud_managed_save_restore(struct qemud_dom *dom, bool paused, struct mv_err *err);

extern const struct mv_dispatch_table qemud_save_table;
