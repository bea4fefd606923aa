/*
 * Starting, stopping and re-adopting networks with the real parts, and
 * restarting a dnsmasq that died behind our back.  Order on start: bridge,
 * firewall rules, dnsmasq, status file; a failure undoes what was done, in
 * reverse.  Every function here runs with the network's job held.
 */
#define MV_LOG_MODULE "netd.start"
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include "bridge.h"
#include "cleanup.h"
#include "dnsmasq.h"
#include "errmsg.h"
#include "firewall.h"
#include "job.h"
#include "log.h"
#include "monotime.h"
#include "netd.h"
#include "netlink.h"
#include "network_events.h"
#include "network_start.h"
#include "network_store.h"
#include "network_watch.h"

/* A dnsmasq that dies this often within the window is left dead (logged):
 * restarting one that cannot run would only spin. */
#define DNSMASQ_RESTARTS_MAX 5
#define DNSMASQ_WINDOW_MS 60000

/* Mode bridge uses a host bridge that is not ours: nothing to create. */
static bool has_own_bridge(const struct mv_net_def *def)
{
    return def->forward.mode != MV_NET_FWD_BRIDGE;
}

/* Open and bridge modes get no rules of ours (firewall.h). */
static bool has_rules(const struct mv_net_def *def)
{
    return def->forward.mode == MV_NET_FWD_NONE || def->forward.mode == MV_NET_FWD_NAT ||
           def->forward.mode == MV_NET_FWD_ROUTE;
}

static int nl_open(struct mv_netlink **nl, const char *name, struct mv_err *err)
{
    int r = mv_netlink_open(nl);

    if (r < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_NETWORK,
                                "cannot open rtnetlink for network '%s'", name);
    return 0;
}

/* The part's message (which names the network) as the call's error. */
static int part_error(struct mv_err *err, int r, char *msg, const char *name, const char *what)
{
    _cleanup_free_ char *m = msg;

    if (m)
        mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_NETWORK, "operation failed: %s", m);
    else
        mv_err_set_errno(err, r, MV_ERR_OPERATION_FAILED, MV_FROM_NETWORK,
                         "operation failed: network '%s': %s failed", name, what);
    return r;
}

static void watch_dnsmasq(struct netd_net *net, pid_t pid)
{
    uint64_t id = 0;
    int r;

    if (pid <= 0)
        return;
    if ((r = netd_watch_add(netd.watcher, net, pid, &id)) < 0)
        mv_warn("network '%s': cannot watch dnsmasq (pid %d): %s; if it dies it is not restarted",
                net->name, (int)pid, strerror(-r));
    pthread_mutex_lock(&net->lock);
    net->dnsmasq_watch = id;
    pthread_mutex_unlock(&net->lock);
}

static void remove_rules(const struct mv_net_def *def)
{
    _cleanup_free_ char *msg = NULL;

    if (mv_firewall_remove(def, &msg) < 0)
        mv_error("network '%s': cannot remove its firewall rules: %s", def->name, msg ? msg : "failed");
}

/* Undoes a start that got as far as the parts marked. */
static void undo_start(struct mv_netlink *nl, const struct mv_net_def *def, bool bridge, bool rules, pid_t pid)
{
    if (pid > 0)
        mv_dnsmasq_stop(def->name, pid, &netd.dnsmasq, false);
    if (rules)
        remove_rules(def);
    if (bridge)
        mv_bridge_delete(nl, def);
    netd_store_delete_status(def->name);
}

/* Our rules, then a word with the firewalls others run (Docker's FORWARD
 * policy drop breaks NAT silently: the warning says how to fix it). */
static int add_rules(const struct mv_net_def *def, struct mv_err *err)
{
    _cleanup_free_ char *warning = NULL;
    char *msg = NULL;
    int r;

    if ((r = mv_firewall_add(def, &msg)) < 0)
        return part_error(err, r, msg, def->name, "adding firewall rules");
    if ((r = mv_firewall_coexist(def, &warning, &msg)) < 0) {
        remove_rules(def);
        return part_error(err, r, msg, def->name, "checking other firewalls");
    }
    if (warning)
        mv_warn("network '%s': %s", def->name, warning);
    return 0;
}

/* "10.66.40.0/24" for IP's subnet into BUF. */
static const char *subnet_format(const struct mv_net_ip *ip, char buf[MV_CIDR_STRLEN])
{
    struct mv_inet net = mv_inet_network(&ip->address, ip->prefix);
    char a[MV_INET_STRLEN];

    snprintf(buf, MV_CIDR_STRLEN, "%s/%u", mv_inet_format(&net, a), ip->prefix);
    return buf;
}

/* The first <ip> of LIVE whose subnet overlaps IP's, or NULL. */
static const struct mv_net_ip *ip_overlapping(const struct mv_net_def *live, const struct mv_net_ip *ip)
{
    for (size_t i = 0; i < live->nips; i++)
        if (live->ips[i].address.family == ip->address.family &&
            mv_inet_subnets_overlap(&live->ips[i].address, live->ips[i].prefix, &ip->address, ip->prefix))
            return &live->ips[i];
    return NULL;
}

/* Refuses DEF if one of its subnets overlaps a live one of OTHER (active):
 * its routes may be gone from the host (an address flushed by hand), the
 * network still serves that subnet.  Call with OTHER's lock held. */
static int overlap_error(const struct mv_net_def *def, const struct netd_net *other, char **msg)
{
    for (size_t i = 0; i < def->nips; i++) {
        const struct mv_net_ip *theirs = ip_overlapping(other->live, &def->ips[i]);
        char mine[MV_CIDR_STRLEN], their[MV_CIDR_STRLEN];

        if (theirs)
            return mv_errmsg_set(msg, -EEXIST,
                                 "network '%s' subnet %s overlaps subnet %s of active network '%s' (bridge %s)",
                                 def->name, subnet_format(&def->ips[i], mine), subnet_format(theirs, their),
                                 other->name, other->live->bridge.name ? other->live->bridge.name : "-");
    }
    return 0;
}

/* Refuses DEF (for SELF) if it overlaps an active network's subnets. */
static int check_active_subnets(const struct netd_net *self, const struct mv_net_def *def, char **msg)
{
    struct netd_net **nets = NULL;
    size_t n = 0;
    int r;

    if (def->nips == 0)
        return 0;
    if ((r = netd_registry_list(&nets, &n)) < 0)
        return mv_errmsg_set(msg, r, "cannot list the networks to check network '%s' against: %s", def->name,
                             strerror(-r));
    for (size_t i = 0; i < n && r == 0; i++) {
        if (nets[i] == self)
            continue;
        pthread_mutex_lock(&nets[i]->lock);
        if (nets[i]->active && nets[i]->live)
            r = overlap_error(def, nets[i], msg);
        pthread_mutex_unlock(&nets[i]->lock);
    }
    netd_net_list_free(nets, n);
    return r;
}

/* What a start does to the host under netd.start_lock: the checks (other
 * active networks, host routes, the bridge name), the 'starting' status,
 * the bridge.  One step across networks, or two starts on one subnet could
 * both pass the checks before either made its bridge.  A failure leaves
 * nothing (no bridge, no status). */
static int claim_host(struct mv_netlink *nl, struct netd_net *net, const struct mv_net_def *def,
                      struct mv_err *err)
{
    char *msg = NULL;
    int r;

    pthread_mutex_lock(&netd.start_lock);
    r = check_active_subnets(net, def, &msg);
    if (r == 0 && has_own_bridge(def))
        r = mv_bridge_check(nl, def, &msg);
    if (r < 0) {
        pthread_mutex_unlock(&netd.start_lock);
        return part_error(err, r, msg, def->name, "checking the host");
    }
    /* after the checks (the bridge name is ours to use), before anything is
     * made: a netd killed from here on learns of this start at its next
     * start and removes what it made (netd_net_readopt) */
    if ((r = netd_store_write_starting(def, err)) == 0 && has_own_bridge(def) &&
        (r = mv_bridge_create(nl, def, &msg)) < 0) {
        part_error(err, r, msg, def->name, "creating the bridge");
        netd_store_delete_status(def->name);    /* the bridge removed what it made */
    }
    pthread_mutex_unlock(&netd.start_lock);
    return r;
}

int netd_net_start(struct netd_net *net, struct mv_net_def *def, struct mv_err *err)
{
    _cleanup_(mv_netlink_closep) struct mv_netlink *nl = NULL;
    _cleanup_net_def_ struct mv_net_def *owned = def;
    bool bridge = false, rules = false;
    char *msg = NULL;
    pid_t pid = 0;
    int r;

    if ((r = nl_open(&nl, def->name, err)) < 0)
        return r;
    if ((r = claim_host(nl, net, def, err)) < 0)
        return r;
    bridge = has_own_bridge(def);
    if (has_rules(def)) {
        if ((r = add_rules(def, err)) < 0)
            goto undo;
        rules = true;
    }
    if (mv_net_def_wants_dnsmasq(def) && (r = mv_dnsmasq_start(def, &netd.dnsmasq, &pid, &msg)) < 0) {
        part_error(err, r, msg, def->name, "starting dnsmasq");
        goto undo;
    }
    if ((r = netd_store_write_status(def, pid, err)) < 0)
        goto undo;

    pthread_mutex_lock(&net->lock);
    net->live = TAKE_PTR(owned);
    net->active = true;
    net->dnsmasq_pid = pid;
    net->dnsmasq_restarts = 0;
    pthread_mutex_unlock(&net->lock);
    watch_dnsmasq(net, pid);
    mv_info("network '%s' started on bridge %s%s", net->name, def->bridge.name ? def->bridge.name : "-",
            pid > 0 ? "" : " (no dnsmasq)");
    netd_event_lifecycle(net, NETD_EVENT_STARTED);
    return 0;

undo:
    undo_start(nl, def, bridge, rules, pid);
    return r;
}

void netd_net_stop(struct netd_net *net)
{
    _cleanup_(mv_netlink_closep) struct mv_netlink *nl = NULL;
    struct mv_net_def *live;
    uint64_t watch;
    pid_t pid;
    bool transient;

    pthread_mutex_lock(&net->lock);
    live = net->live;           /* stays ours: only a holder of the job replaces it */
    pid = net->dnsmasq_pid;
    watch = net->dnsmasq_watch;
    net->dnsmasq_pid = 0;
    net->dnsmasq_watch = 0;
    pthread_mutex_unlock(&net->lock);

    netd_watch_remove(netd.watcher, watch);     /* before the kill: our own stop is no death */
    if (mv_net_def_wants_dnsmasq(live) || pid > 0)
        mv_dnsmasq_stop(live->name, pid, &netd.dnsmasq, false);
    if (has_rules(live))
        remove_rules(live);
    if (has_own_bridge(live)) {
        if (mv_netlink_open(&nl) == 0)
            mv_bridge_delete(nl, live);
        else
            mv_error("network '%s': cannot open rtnetlink: bridge %s is left", net->name, live->bridge.name);
    }
    netd_net_drop_ports(net);
    netd_store_delete_status(net->name);

    pthread_mutex_lock(&net->lock);
    net->live = NULL;
    net->active = false;
    transient = net->def == NULL;
    pthread_mutex_unlock(&net->lock);
    mv_net_def_free(live);
    mv_info("network '%s' stopped", net->name);
    netd_event_lifecycle(net, NETD_EVENT_STOPPED);
    if (transient)
        netd_registry_remove(net);  /* jobs waiting for it fail with "no network" */
}

/* ---- re-adoption at netd start ---- */

/* What survived of a network whose bridge is gone: the rest goes too. */
static void clean_leftovers(const struct mv_net_def *def, pid_t pid)
{
    if (mv_net_def_wants_dnsmasq(def) || pid > 0)
        mv_dnsmasq_stop(def->name, pid > 0 ? pid : 0, &netd.dnsmasq, false);
    if (has_rules(def))
        remove_rules(def);
    netd_store_delete_status(def->name);
}

/* The dnsmasq of a re-adopted network: the one still running, or a new one. */
static pid_t readopt_dnsmasq(const struct mv_net_def *def)
{
    _cleanup_free_ char *msg = NULL;
    pid_t pid = mv_dnsmasq_find(def->name, &netd.dnsmasq);

    if (pid > 0)
        return pid;
    mv_warn("network '%s': its dnsmasq is not running any more; starting it again", def->name);
    if (mv_dnsmasq_start(def, &netd.dnsmasq, &pid, &msg) < 0) {
        mv_error("network '%s': cannot start dnsmasq: %s", def->name, msg ? msg : "failed");
        return 0;
    }
    return pid;
}

/* A start that netd did not live to finish: what it made goes (the bridge
 * is ours: the start checked its name before it wrote the status). */
static void clean_interrupted_start(const struct mv_net_def *def, pid_t pid)
{
    _cleanup_(mv_netlink_closep) struct mv_netlink *nl = NULL;

    mv_warn("network '%s' was being started when netd stopped: removing what that start made", def->name);
    if (has_own_bridge(def)) {
        if (mv_netlink_open(&nl) == 0)
            mv_bridge_delete(nl, def);
        else
            mv_error("network '%s': cannot open rtnetlink: bridge %s is left", def->name, def->bridge.name);
    }
    clean_leftovers(def, pid);
}

bool netd_net_readopt(struct netd_net *net, struct netd_status *st)
{
    _cleanup_(mv_netlink_closep) struct mv_netlink *nl = NULL;
    _cleanup_net_def_ struct mv_net_def *def = TAKE_PTR(st->live);
    _cleanup_free_ char *msg = NULL;
    struct mv_err err = { 0 };
    pid_t pid = 0;

    if (st->starting) {
        clean_interrupted_start(def, st->dnsmasq_pid);
        return false;
    }
    if (has_own_bridge(def) && mv_netlink_open(&nl) < 0) {
        /* cannot look: keep it rather than tear down a network that may be fine */
        mv_error("network '%s': cannot open rtnetlink to check its bridge; assuming it is there", def->name);
    } else if (has_own_bridge(def) && !mv_bridge_present(nl, def)) {
        mv_warn("network '%s' was active, but its bridge %s is gone: removing what is left of it", def->name,
                def->bridge.name ? def->bridge.name : "-");
        clean_leftovers(def, st->dnsmasq_pid);
        return false;
    }
    if (has_rules(def) && !mv_firewall_present(def)) {
        mv_warn("network '%s': its firewall rules were missing; adding them again", def->name);
        if (mv_firewall_add(def, &msg) < 0)
            mv_error("network '%s': cannot add its firewall rules: %s", def->name, msg ? msg : "failed");
    }
    if (mv_net_def_wants_dnsmasq(def))
        pid = readopt_dnsmasq(def);
    if (pid != st->dnsmasq_pid && netd_store_write_status(def, pid, &err) < 0) {
        mv_error("network '%s': %s", def->name, err.message ? err.message : "cannot write its status");
        mv_err_clear(&err);
    }
    pthread_mutex_lock(&net->lock);
    net->live = TAKE_PTR(def);
    net->active = true;
    net->dnsmasq_pid = pid;
    pthread_mutex_unlock(&net->lock);
    watch_dnsmasq(net, pid);
    mv_info("network '%s' re-adopted (dnsmasq pid %d)", net->name, (int)pid);
    return true;
}

/* ---- dnsmasq died ---- */

/* Why PID ended, if it was our child (a dnsmasq re-adopted after a netd
 * restart is not: then we cannot know). */
static void death_reason(pid_t pid, char *buf, size_t len)
{
    int status;

    if (waitpid(pid, &status, WNOHANG) != pid)
        snprintf(buf, len, "exited (it runs detached from netd, so its exit status is unknown)");
    else if (WIFSIGNALED(status))
        snprintf(buf, len, "was killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else
        snprintf(buf, len, "exited with status %d", WEXITSTATUS(status));
}

/* True if NET's dnsmasq may be restarted once more (lock held). */
static bool restart_allowed(struct netd_net *net)
{
    long long now = mv_now_ms();

    if (now - net->dnsmasq_window_ms > DNSMASQ_WINDOW_MS) {
        net->dnsmasq_window_ms = now;
        net->dnsmasq_restarts = 0;
    }
    return ++net->dnsmasq_restarts <= DNSMASQ_RESTARTS_MAX;
}

static void restart_dnsmasq(struct netd_net *net, pid_t dead)
{
    _cleanup_free_ char *msg = NULL;
    struct mv_err err = { 0 };
    const struct mv_net_def *live;
    char why[128];
    bool allowed;
    pid_t pid = 0;

    death_reason(dead, why, sizeof(why));
    pthread_mutex_lock(&net->lock);
    live = net->live;           /* stable: we hold the job */
    net->dnsmasq_pid = 0;
    net->dnsmasq_watch = 0;     /* it fired: the watcher dropped it */
    allowed = restart_allowed(net);
    pthread_mutex_unlock(&net->lock);
    if (!allowed) {
        mv_error("network '%s': dnsmasq (pid %d) %s, %d times within %d s; not restarting it again: "
                 "destroy and start the network to try once more", net->name, (int)dead, why,
                 DNSMASQ_RESTARTS_MAX + 1, DNSMASQ_WINDOW_MS / 1000);
    } else {
        mv_warn("network '%s': dnsmasq (pid %d) %s; restarting it", net->name, (int)dead, why);
        if (mv_dnsmasq_start(live, &netd.dnsmasq, &pid, &msg) < 0)
            mv_error("network '%s': cannot restart dnsmasq: %s", net->name, msg ? msg : "failed");
    }
    pthread_mutex_lock(&net->lock);
    net->dnsmasq_pid = pid;
    pthread_mutex_unlock(&net->lock);
    watch_dnsmasq(net, pid);
    if (netd_store_write_status(live, pid, &err) < 0) {
        mv_error("network '%s': %s", net->name, err.message ? err.message : "cannot write its status");
        mv_err_clear(&err);
    }
}

void netd_dnsmasq_died(struct netd_net *net, long arg)
{
    pid_t dead = (pid_t)arg;
    bool current;

    if (mv_job_begin(&net->obj, "dnsmasq-restart", -1, NULL) < 0)
        return;                 /* the network is gone */
    pthread_mutex_lock(&net->lock);
    current = net->active && net->dnsmasq_pid == dead;
    pthread_mutex_unlock(&net->lock);
    if (current)
        restart_dnsmasq(net, dead);
    else
        waitpid(dead, NULL, WNOHANG);   /* a stop took it meanwhile; reap if it was ours */
    netd_job_end(net);
}

/* ---- bridge names ---- */

/* The bridge names of the networks other than SELF, copied into TAKEN
 * (NULL-terminated); *USER gets the name of a network whose bridge is WANT. */
static int other_bridges(const struct netd_net *self, const char *want, char ***taken, char **user)
{
    struct netd_net **nets = NULL;
    size_t n = 0, k = 0;
    char **v;
    int r;

    if ((r = netd_registry_list(&nets, &n)) < 0)
        return r;
    if (!(v = calloc(3 * n + 1, sizeof(*v)))) {
        netd_net_list_free(nets, n);
        return -ENOMEM;
    }
    for (size_t i = 0; i < n && r == 0; i++) {
        const char *names[3];

        if (nets[i] == self)
            continue;
        pthread_mutex_lock(&nets[i]->lock);
        names[0] = nets[i]->def ? nets[i]->def->bridge.name : NULL;
        names[1] = nets[i]->live ? nets[i]->live->bridge.name : NULL;
        names[2] = nets[i]->starting_bridge;
        for (int j = 0; j < 3 && r == 0; j++) {
            const char *b = names[j];

            if (!b)
                continue;
            if (want && !*user && strcmp(b, want) == 0 && !(*user = strdup(nets[i]->name)))
                r = -ENOMEM;
            else if (!(v[k++] = strdup(b)))
                r = -ENOMEM;
        }
        pthread_mutex_unlock(&nets[i]->lock);
    }
    netd_net_list_free(nets, n);
    *taken = v;
    return r;
}

static void strv_free(char **v)
{
    for (size_t i = 0; v && v[i]; i++)
        free(v[i]);
    free(v);
}

int netd_net_assign_bridge(struct mv_net_def *def, const struct netd_net *self, struct mv_err *err)
{
    _cleanup_(mv_netlink_closep) struct mv_netlink *nl = NULL;
    _cleanup_free_ char *user = NULL;
    char **taken = NULL;
    int r;

    if ((r = other_bridges(self, def->bridge.name, &taken, &user)) < 0) {
        strv_free(taken);
        return r;
    }
    if (def->bridge.name) {
        strv_free(taken);
        if (user && def->forward.mode != MV_NET_FWD_BRIDGE)
            return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_NETWORK,
                              "operation failed: bridge name '%s' is already used by network '%s'",
                              def->bridge.name, user);
        return 0;
    }
    if ((r = nl_open(&nl, def->name, err)) == 0 &&
        (r = mv_bridge_pick_name(nl, (const char *const *)taken, &def->bridge.name)) < 0)
        mv_err_set_errno(err, r, MV_ERR_OPERATION_FAILED, MV_FROM_NETWORK,
                         "operation failed: cannot pick a bridge name for network '%s'", def->name);
    strv_free(taken);
    return r;
}
