/*
 * dnsmasq for one network: its configuration (a pure function of the
 * definition, golden-tested), its process (spawned, tracked by pid and
 * pidfd, re-adopted after a netd restart; the driver watches for its death)
 * and its leases (dnsmasq's own lease file, which survives both).
 *
 * Files, all under DIR = <rundir>/network/dnsmasq (the driver passes it):
 *   NAME.conf        the configuration dnsmasq reads
 *   NAME.pid         dnsmasq's pid file
 *   NAME.leases      dnsmasq's lease file (kept across restarts; removed at
 *                    net-destroy)
 *   NAME.hostsfile   dhcp-hostsfile (static hosts: net-update rewrites it and
 *                    SIGHUPs dnsmasq, no restart)
 *   NAME.addnhosts   <dns><host> entries, likewise
 * and LOGDIR/NAME-dnsmasq.log (LOGDIR = <logdir>/network), dnsmasq's own
 * log lines, kept after dnsmasq stops: the reason it died is in there.
 */
#pragma once

#include <stdbool.h>
#include <sys/types.h>
#include <time.h>

#include "network_def.h"

struct mv_dnsmasq_paths {
    const char *dir;            /* the directory above */
    const char *user;           /* unprivileged user dnsmasq runs as ("dnsmasq", else "nobody") */
    const char *binary;         /* dnsmasq executable (config key "dnsmasq") */
    const char *logdir;         /* dnsmasq's own log, NAME-dnsmasq.log (kept after a stop) */
};

/* The configuration text for DEF whose bridge is DEF->bridge.name.  Pure:
 * no I/O.  0 or -EINVAL/-ENOMEM with *ERRMSG. */
int mv_dnsmasq_conf(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths,
                    char **conf, char **errmsg);

/* The dhcp-hostsfile text (the static <host>s of every <ip>) and the
 * addn-hosts text (the <dns><host>s) for DEF: what NAME.hostsfile and
 * NAME.addnhosts hold.  Pure.  0 or -EINVAL/-ENOMEM with *ERRMSG. */
int mv_dnsmasq_hostsfile(const struct mv_net_def *def, char **text, char **errmsg);
int mv_dnsmasq_addnhosts(const struct mv_net_def *def, char **text, char **errmsg);

/* The user dnsmasq runs as when PATHS->user is NULL: "dnsmasq" if that
 * account exists (Debian's dnsmasq-base creates it), else "nobody". */
const char *mv_dnsmasq_default_user(void);

/* Writes the files for DEF and starts dnsmasq; returns once its pid file
 * names a live dnsmasq (bounded wait).  0 or -errno with *ERRMSG naming the
 * network and dnsmasq's own message. */
int mv_dnsmasq_start(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths,
                     pid_t *pid, char **errmsg);

/* Stops the dnsmasq of network NAME (PID, <= 0: read the pid file) and
 * removes its files; KEEP_LEASES keeps NAME.leases (a restart). */
int mv_dnsmasq_stop(const char *name, pid_t pid, const struct mv_dnsmasq_paths *paths,
                    bool keep_leases);

/* The pid of network NAME's dnsmasq if it is running (checked against
 * /proc/PID/cmdline naming our NAME.conf, so a recycled pid does not count);
 * 0 if none. */
pid_t mv_dnsmasq_find(const char *name, const struct mv_dnsmasq_paths *paths);

/* Rewrites the hosts files from DEF and asks dnsmasq PID to re-read them. */
int mv_dnsmasq_reload(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths,
                      pid_t pid, char **errmsg);

/* One lease, as GET_DHCP_LEASES reports it. */
struct mv_dnsmasq_lease {
    long long expiry;           /* seconds since the epoch; 0 = infinite */
    int type;                   /* 0 IPv4, 1 IPv6 */
    char *mac;                  /* IPv4 (and IPv6 when dnsmasq knows it), else NULL */
    char *iaid;                 /* IPv6 only */
    char *ip;
    unsigned int prefix;        /* from the network's <ip> */
    char *hostname;             /* NULL if unknown ("*" in the file) */
    char *clientid;             /* IPv4 client id / IPv6 DUID, NULL if none */
};

void mv_dnsmasq_leases_free(struct mv_dnsmasq_lease *leases, size_t n);

/* Network NAME's current leases (expired ones left out) from its lease
 * file; MAC (may be NULL) filters.  Prefixes come from DEF's <ip>s.  A
 * missing file is no leases.  0 or -errno with *ERRMSG. */
int mv_dnsmasq_leases(const struct mv_net_def *def, const struct mv_dnsmasq_paths *paths,
                      const char *mac, struct mv_dnsmasq_lease **leases, size_t *n, char **errmsg);
