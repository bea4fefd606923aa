/*
 * Starting, stopping and re-adopting networks with the real parts, and
 * restarting a dnsmasq that died behind our back.  Order on start: a
 * 'starting' status, bridge, firewall rules, dnsmasq, the status; a stop
 * first marks the status 'stopping'.  A failure, or a stop, removes every
 * part; a part that cannot be removed keeps the 'stopping' status, for the
 * next start or the next netd to finish.  Every function here runs with
 * the network's job held (re-adoption: before netd serves anyone).
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

/* ---- removing what a run made ---- */

/* Logs part message M (a part could not be removed) and keeps the first
 * as *WHY; the first -errno wins. */
static int part_failed(int r, int q, char *m, char **why)
{
    mv_error("%s", m ? m : "out of memory");
    if (!*why)
        *why = m;
    else
        free(m);
    return r < 0 ? r : q;
}

/* Deletes DEF's bridge if it is still ours (a bridge with DEF's MAC): its
 * name may belong to another link by now, which stays. */
static int remove_bridge(const struct mv_net_def *def, char **msg)
{
    _cleanup_(mv_netlink_closep) struct mv_netlink *nl = NULL;
    int r;

    if (!has_own_bridge(def))
        return 0;
    if ((r = mv_netlink_open(&nl)) < 0)
        return mv_errmsg_set(msg, r, "network '%s': cannot open rtnetlink to delete its bridge %s: %s", def->name,
                             def->bridge.name, strerror(-r));
    switch (mv_bridge_state(nl, def)) {
    case MV_BRIDGE_ABSENT:
        return 0;
    case MV_BRIDGE_FOREIGN:
        mv_warn("network '%s': the link %s is not its bridge any more (another kind or MAC): left alone",
                def->name, def->bridge.name);
        return 0;
    default:
        break;
    }
    if ((r = mv_bridge_delete(nl, def)) < 0)
        return mv_errmsg_set(msg, r, "network '%s': cannot delete its bridge %s: %s", def->name, def->bridge.name,
                             strerror(-r));
    return 0;
}

/* Removes every part a run of DEF made: dnsmasq (PID, or the one its pid
 * file names), firewall rules, the bridge if still ours.  Each part is
 * tried whatever the others did, each failure logged.  0, or the first
 * failure's -errno with *WHY its message. */
static int teardown(const struct mv_net_def *def, pid_t pid, char **why)
{
    char *m = NULL;
    int r = 0, q;

    if ((mv_net_def_wants_dnsmasq(def) || pid > 0) &&
        (q = mv_dnsmasq_stop(def->name, pid, &netd.dnsmasq, false)) < 0) {
        mv_errmsg_set(&m, q, "network '%s': cannot stop its dnsmasq: %s", def->name, strerror(-q));
        r = part_failed(r, q, TAKE_PTR(m), why);
    }
    if (has_rules(def) && (q = mv_firewall_remove(def, &m)) < 0)
        r = part_failed(r, q, TAKE_PTR(m), why);
    free(TAKE_PTR(m));
    if ((q = remove_bridge(def, &m)) < 0)
        r = part_failed(r, q, TAKE_PTR(m), why);
    return r;
}

/* Tears DEF down and removes its status; what cannot be removed is
 * remembered in a 'stopping' status (with PID), so that the next start or
 * netd's next start finishes it.  True if nothing is left. */
static bool remove_all(const struct mv_net_def *def, pid_t pid)
{
    _cleanup_free_ char *why = NULL;
    struct mv_err err = { 0 };

    if (teardown(def, pid, &why) == 0) {
        netd_store_delete_status(def->name);
        return true;
    }
    mv_error("network '%s': its stop is unfinished (%s); its next start, or netd's next start, finishes it",
             def->name, why ? why : "a part could not be removed");
    if (netd_store_write_stopping(def, pid, &err) < 0) {
        mv_error("network '%s': %s: what is left of it will not be found again", def->name,
                 err.message ? err.message : "cannot write its status");
        mv_err_clear(&err);
    }
    return false;
}

/* Before a stop removes anything: a netd killed from here on finds the
 * stop in the status and finishes it, rather than re-adopting a network
 * half removed (netd_net_readopt). */
static void mark_stopping(const struct mv_net_def *live, pid_t pid)
{
    struct mv_err err = { 0 };

    if (netd_store_write_stopping(live, pid, &err) < 0) {
        mv_error("network '%s': %s; stopping it anyway", live->name,
                 err.message ? err.message : "cannot write its status");
        mv_err_clear(&err);
    }
}

/* A stop (or a start) of NAME that netd could not finish left a status:
 * what it names goes before a new start makes anything.  0, or -errno with
 * ERR when a part still cannot be removed. */
static int finish_leftovers(const char *name, struct mv_err *err)
{
    _cleanup_free_ char *msg = NULL, *why = NULL;
    struct netd_status st = { 0 };
    int r = netd_store_read_status_of(name, &st, &msg);

    if (r == -ENOENT)
        return 0;
    if (r < 0) {
        /* it cannot say what it left: nothing to finish, and no use keeping it */
        mv_warn("network '%s': removing its damaged status: %s", name, msg ? msg : strerror(-r));
        netd_store_delete_status(name);
        return 0;
    }
    mv_warn("network '%s': the %s of its last run is unfinished: finishing it first", name,
            st.starting ? "start" : "stop");
    r = teardown(st.live, st.dnsmasq_pid, &why);
    netd_status_clear(&st);
    if (r < 0)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_NETWORK,
                          "operation failed: network '%s': the stop of its last run cannot be finished: %s", name,
                          why ? why : "a part cannot be removed");
    netd_store_delete_status(name);
    mv_info("network '%s': finished the stop of its last run", name);
    return 0;
}

static int coexist(const struct mv_net_def *def, char **msg);

/* Our rules, then a word with the firewalls others run. */
static int add_rules(const struct mv_net_def *def, struct mv_err *err)
{
    char *msg = NULL;
    int r;

    if ((r = mv_firewall_add(def, &msg)) < 0)
        return part_error(err, r, msg, def->name, "adding firewall rules");
    if ((r = coexist(def, &msg)) < 0) {
        remove_rules(def);
        return part_error(err, r, msg, def->name, "checking other firewalls");
    }
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
    char *msg = NULL;
    pid_t pid = 0;
    int r;

    if ((r = finish_leftovers(net->name, err)) < 0 || (r = nl_open(&nl, def->name, err)) < 0)
        return r;
    if ((r = claim_host(nl, net, def, err)) < 0)
        return r;
    if (has_rules(def) && (r = add_rules(def, err)) < 0)
        goto undo;
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
    /* from the bridge on, all is ours: what cannot be removed is kept in a
     * 'stopping' status for the next start to finish */
    remove_all(def, pid);
    return r;
}

void netd_net_stop(struct netd_net *net)
{
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
    mark_stopping(live, pid);
    netd_net_drop_ports(net);
    remove_all(live, pid);

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

/* ---- dnsmasq started again: after its death, or at re-adoption ---- */

/* The first pause before a failed dnsmasq start is tried again; it doubles
 * with each attempt (DNSMASQ_RESTARTS_MAX bounds them). */
#define DNSMASQ_RETRY_MS 500

static void dnsmasq_retry(struct netd_net *net, long attempt);

/* True if NET's dnsmasq may be started once more (lock held). */
static bool restart_allowed(struct netd_net *net)
{
    long long now = mv_now_ms();

    if (now - net->dnsmasq_window_ms > DNSMASQ_WINDOW_MS) {
        net->dnsmasq_window_ms = now;
        net->dnsmasq_restarts = 0;
    }
    return ++net->dnsmasq_restarts <= DNSMASQ_RESTARTS_MAX;
}

/* Starts LIVE's dnsmasq for NET (job held) if the budget allows; a start
 * that fails is tried again after a pause (a task), attempt ATTEMPT + 1.
 * The new pid, or 0. */
static pid_t start_dnsmasq_again(struct netd_net *net, const struct mv_net_def *live, long attempt)
{
    _cleanup_free_ char *msg = NULL;
    unsigned int pause = DNSMASQ_RETRY_MS << (attempt < 7 ? attempt - 1 : 6);
    bool allowed;
    pid_t pid = 0;

    pthread_mutex_lock(&net->lock);
    allowed = restart_allowed(net);
    pthread_mutex_unlock(&net->lock);
    if (!allowed) {
        mv_error("network '%s': dnsmasq was started %d times within %d s and does not stay up; giving up: "
                 "destroy and start the network to try again", net->name, DNSMASQ_RESTARTS_MAX,
                 DNSMASQ_WINDOW_MS / 1000);
        return 0;
    }
    if (mv_dnsmasq_start(live, &netd.dnsmasq, &pid, &msg) == 0)
        return pid;
    if (msg)                    /* it names the network */
        mv_error("%s (attempt %ld); trying again in %u ms", msg, attempt, pause);
    else
        mv_error("network '%s': cannot start dnsmasq (attempt %ld); trying again in %u ms", net->name, attempt,
                 pause);
    if (netd_task_push_after(dnsmasq_retry, net, attempt + 1, pause) < 0)
        mv_error("network '%s': cannot try dnsmasq again: it stays down until the network is restarted",
                 net->name);
    return 0;
}

/* NET's dnsmasq is now PID (0: none): watched, and in the status file. */
static void adopt_dnsmasq(struct netd_net *net, const struct mv_net_def *live, pid_t pid)
{
    struct mv_err err = { 0 };

    pthread_mutex_lock(&net->lock);
    net->dnsmasq_pid = pid;
    pthread_mutex_unlock(&net->lock);
    watch_dnsmasq(net, pid);
    if (netd_store_write_status(live, pid, &err) < 0) {
        mv_error("network '%s': %s", net->name, err.message ? err.message : "cannot write its status");
        mv_err_clear(&err);
    }
}

/* A task: NET's dnsmasq once more, unless a stop or a start put it right
 * meanwhile (then it runs, or the network is inactive). */
static void dnsmasq_retry(struct netd_net *net, long attempt)
{
    const struct mv_net_def *live = NULL;

    if (mv_job_begin(&net->obj, "dnsmasq-restart", -1, NULL) < 0)
        return;                 /* the network is gone */
    pthread_mutex_lock(&net->lock);
    if (net->active && net->dnsmasq_pid == 0 && net->live && mv_net_def_wants_dnsmasq(net->live))
        live = net->live;       /* stable: we hold the job */
    pthread_mutex_unlock(&net->lock);
    if (live)
        adopt_dnsmasq(net, live, start_dnsmasq_again(net, live, attempt));
    netd_job_end(net);
}

/* ---- re-adoption at netd start ---- */

/* Docker's FORWARD policy drop breaks NAT silently: the warning says how
 * to fix it.  Asked at each start and re-adoption (Docker may have come
 * while netd was away). */
static int coexist(const struct mv_net_def *def, char **msg)
{
    _cleanup_free_ char *warning = NULL;
    int r = mv_firewall_coexist(def, &warning, msg);

    if (r == 0 && warning)
        mv_warn("network '%s': %s", def->name, warning);
    return r;
}

/* True if re-adopted DEF keeps its bridge: ours whole, or ours with the
 * addresses someone flushed put back.  Gone, another link's, or not to be
 * restored: false. */
static bool readopt_bridge(const struct mv_net_def *def)
{
    _cleanup_(mv_netlink_closep) struct mv_netlink *nl = NULL;
    _cleanup_free_ char *msg = NULL;

    if (!has_own_bridge(def))
        return true;
    if (mv_netlink_open(&nl) < 0) {
        /* cannot look: keep it rather than tear down a network that may be fine */
        mv_error("network '%s': cannot open rtnetlink to check its bridge; assuming it is there", def->name);
        return true;
    }
    switch (mv_bridge_state(nl, def)) {
    case MV_BRIDGE_OURS:
        return true;
    case MV_BRIDGE_ABSENT:
        mv_warn("network '%s' was active, but its bridge %s is gone: removing what is left of it", def->name,
                def->bridge.name);
        return false;
    case MV_BRIDGE_FOREIGN:
        mv_warn("network '%s' was active, but %s is not its bridge any more (another kind of link or another MAC): "
                "removing what is left of the network", def->name, def->bridge.name);
        return false;
    case MV_BRIDGE_UNADDRESSED:
        break;
    }
    mv_warn("network '%s': its bridge %s lost addresses of the network: putting them back", def->name,
            def->bridge.name);
    if (mv_bridge_restore(nl, def, &msg) == 0)
        return true;
    mv_error("network '%s': %s: removing the network", def->name, msg ? msg : "cannot restore its bridge");
    return false;
}

/* The rules of re-adopted DEF: put back if missing, then the word with the
 * other firewalls. */
static void readopt_rules(const struct mv_net_def *def)
{
    _cleanup_free_ char *msg = NULL;

    if (!has_rules(def))
        return;
    if (!mv_firewall_present(def)) {
        mv_warn("network '%s': its firewall rules were missing; adding them again", def->name);
        if (mv_firewall_add(def, &msg) < 0)
            mv_error("network '%s': cannot add its firewall rules: %s", def->name, msg ? msg : "failed");
        free(TAKE_PTR(msg));
    }
    if (coexist(def, &msg) < 0)
        mv_error("network '%s': cannot check the other firewalls: %s", def->name, msg ? msg : "failed");
}

/* A start netd did not live to finish, or a stop it could not finish: what
 * they left goes (the bridge only if still ours), the network stays
 * inactive. */
static void finish_at_load(const struct mv_net_def *def, const struct netd_status *st)
{
    if (st->starting)
        mv_warn("network '%s' was being started when netd stopped: removing what that start made", def->name);
    else
        mv_warn("network '%s': its last stop is unfinished: finishing it", def->name);
    if (remove_all(def, st->dnsmasq_pid))
        mv_info("network '%s': finished the stop of its last run", def->name);
}

/* The hosts files of a dnsmasq that kept running, rewritten from the live
 * definition: a netd killed between a live update's status write and its
 * SIGHUP left dnsmasq serving the old hosts (network_life_procs.c). */
static void readopt_hosts(const struct netd_net *net, const struct mv_net_def *live, pid_t pid)
{
    _cleanup_free_ char *msg = NULL;

    if (mv_dnsmasq_reload(live, &netd.dnsmasq, pid, &msg) < 0)
        mv_warn("network '%s': cannot refresh its dnsmasq's hosts files: %s", net->name,
                msg ? msg : "failed");
}

bool netd_net_readopt(struct netd_net *net, struct netd_status *st)
{
    _cleanup_net_def_ struct mv_net_def *def = TAKE_PTR(st->live);
    const struct mv_net_def *live;
    pid_t pid = 0;

    if (st->starting || st->stopping) {
        finish_at_load(def, st);
        return false;
    }
    if (!readopt_bridge(def)) {
        remove_all(def, st->dnsmasq_pid);
        return false;
    }
    readopt_rules(def);
    if (mv_net_def_wants_dnsmasq(def))
        pid = mv_dnsmasq_find(def->name, &netd.dnsmasq);
    pthread_mutex_lock(&net->lock);
    live = net->live = TAKE_PTR(def);
    net->active = true;
    pthread_mutex_unlock(&net->lock);
    if (mv_net_def_wants_dnsmasq(live) && pid <= 0) {
        mv_warn("network '%s': its dnsmasq is not running any more; starting it again", net->name);
        pid = start_dnsmasq_again(net, live, 1);
    } else if (pid > 0) {
        readopt_hosts(net, live, pid);
    }
    if (pid != st->dnsmasq_pid) {
        adopt_dnsmasq(net, live, pid);      /* the status names the new one */
    } else {
        pthread_mutex_lock(&net->lock);
        net->dnsmasq_pid = pid;
        pthread_mutex_unlock(&net->lock);
        watch_dnsmasq(net, pid);
    }
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

static void restart_dnsmasq(struct netd_net *net, pid_t dead)
{
    const struct mv_net_def *live;
    char why[128];

    death_reason(dead, why, sizeof(why));
    pthread_mutex_lock(&net->lock);
    live = net->live;           /* stable: we hold the job */
    net->dnsmasq_pid = 0;
    net->dnsmasq_watch = 0;     /* it fired: the watcher dropped it */
    pthread_mutex_unlock(&net->lock);
    mv_warn("network '%s': dnsmasq (pid %d) %s; restarting it", net->name, (int)dead, why);
    adopt_dnsmasq(net, live, start_dnsmasq_again(net, live, 1));
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
