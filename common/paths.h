/*
 * Where a daemon or a client finds its files.  The system instance uses the
 * configure-time directories; an instance under ROOT (tests, containers)
 * uses the standard layout below ROOT.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>

struct mv_paths {
    char *root;      /* NULL for the system instance */
    char *confdir;   /* SYSCONFDIR "/modvirt"        | ROOT "/etc/modvirt" */
    char *rundir;    /* RUNSTATEDIR "/modvirt"       | ROOT "/run/modvirt" */
    char *statedir;  /* LOCALSTATEDIR "/lib/modvirt" | ROOT "/var/lib/modvirt" */
    char *logdir;    /* LOCALSTATEDIR "/log/modvirt" | ROOT "/var/log/modvirt" */
};

/* Fills P for ROOT (NULL: the system instance).  ROOT must be absolute
 * (-EINVAL otherwise); trailing slashes are dropped, and "/" gives the
 * standard layout at the top.  P is untouched on failure. */
int mv_paths_init(struct mv_paths *p, const char *root);

/* Frees the strings in P and zeroes it; fine on a zeroed or cleared P. */
void mv_paths_clear(struct mv_paths *p);

/* Malloc'd "<rundir>/<daemon>-sock" (or "-sock-ro" if READONLY), e.g. for
 * DAEMON "qemud"; NULL if out of memory. */
char *mv_paths_socket(const struct mv_paths *p, const char *daemon, bool readonly);

/* Malloc'd "<confdir>/modvirt-<daemon>.conf"; NULL if out of memory. */
char *mv_paths_config_file(const struct mv_paths *p, const char *daemon);

/* Like mkdir -p: creates PATH and its missing parents with MODE (less the
 * umask); existing directories are fine, a non-directory is -ENOTDIR. */
int mv_mkdir_p(const char *path, mode_t mode);
