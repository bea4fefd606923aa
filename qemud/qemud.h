/* What the parts of modvirt-qemud share. */
#pragma once

#include "server.h"

extern const struct mv_dispatch_table qemud_host_table;
extern const struct mv_dispatch_table qemud_domain_table;

/* The error for flag bits an API does not know; returns -EINVAL. */
int qemud_bad_flags(struct mv_call *call, unsigned int flags, const char *api);
