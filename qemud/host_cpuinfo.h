/* Reading /proc/cpuinfo's "key : value" lines. */
#pragma once

/* Finds "KEY<tabs/spaces>: VALUE" (the /proc/cpuinfo layout) and copies VALUE (first occurrence); 0 / -ENOENT / -ENOMEM. */
int mv_host_cpuinfo_value(const char *cpuinfo, const char *key, char **value);
