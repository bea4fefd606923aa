/*
 * TEMPORARY: the part of netd that has not landed yet (dnsmasq), so the
 * daemon links and serves what does not need it.  Each answers "not
 * available yet" naming itself; starting a network fails with that message
 * and leaves nothing behind.  This file goes as the parts land.
 */
#include <errno.h>
#include <stdlib.h>

#include "dnsmasq.h"
#include "errmsg.h"
#include "network_def.h"

#define PENDING(errmsg, what) mv_errmsg_set(errmsg, -ENOSYS, "%s is not available yet in this build", what)

int mv_dnsmasq_start(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths, pid_t *pid,
                     char **errmsg)
{
    return PENDING(errmsg, "dnsmasq");
}

int mv_dnsmasq_stop(const char *name, pid_t pid, const struct mv_dnsmasq_paths *paths, bool keep_leases)
{
    return 0;
}

pid_t mv_dnsmasq_find(const char *name, const struct mv_dnsmasq_paths *paths)
{
    return 0;
}

int mv_dnsmasq_reload(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths, pid_t pid,
                      char **errmsg)
{
    return PENDING(errmsg, "dnsmasq");
}

void mv_dnsmasq_leases_free(struct mv_dnsmasq_lease *leases, size_t n)
{
    free(leases);
}

int mv_dnsmasq_leases(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths, const char *mac,
                      struct mv_dnsmasq_lease **leases, size_t *n, char **errmsg)
{
    *leases = NULL;
    *n = 0;
    return 0;
}
