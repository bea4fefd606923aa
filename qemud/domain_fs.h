/*
 * The shared directories (<filesystem>) of a starting domain, on the
 * daemon's side: what only the host can tell (the source directories exist)
 * is checked before QEMU runs, so that a missing one is named with its
 * filesystem rather than in QEMU's or virtiofsd's words.
 */
#pragma once

#include "domain_def.h"
#include "error.h"

/* Every <source dir> of LIVE (domain NAME) exists and is a directory.
 * 0, or <0 with ERR naming the domain, the filesystem's tag and the path. */
int qemud_fs_check_sources(const char *name, const struct mv_dom_def *live, struct mv_err *err);
