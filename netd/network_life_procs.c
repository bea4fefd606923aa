/*
 * Network procedures that change something: define, create (transient),
 * start, destroy, undefine, autostart and update.  Each holds the network's
 * job, so they run on workers and never wait behind another network.
 */
#define MV_LOG_MODULE "netd.procs"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "dnsmasq.h"
#include "errmsg.h"
#include "log.h"
#include "netd.h"
#include "network_events.h"
#include "network_obj.h"
#include "network_start.h"
#include "network_store.h"
#include "validate.h"

/* VIR_NETWORK_DEFINE_VALIDATE, VIR_NETWORK_CREATE_VALIDATE: our parser
 * always refuses what it cannot honour, so validating is what it does anyway */
#define XML_VALIDATE 1u
/* virNetworkUpdateFlags: 0 is CURRENT */
enum { UPDATE_LIVE = 1, UPDATE_CONFIG = 2 };
/* how often define retries when the holder of its name went away while it waited */
#define OBTAIN_RETRIES 8

/* The longest network name whose files fit in a file name: the longest
 * netd writes is dnsmasq's ".NAME.hostsfile.XXXXXX" (an atomic write's temp
 * file), 18 bytes more than NAME. */
#define NAME_MAX_NETD (MV_NAME_MAX - 18)

/* The error code a part's message stands for: parser and update messages
 * begin with libvirt's phrase for their kind. */
static int code_of(const char *msg, int fallback)
{
    static const struct { const char *prefix; int code; } kinds[] = {
        { "unsupported configuration:", MV_ERR_CONFIG_UNSUPPORTED },
        { "Requested operation is not valid:", MV_ERR_OPERATION_INVALID },
        { "invalid argument:", MV_ERR_INVALID_ARG },
        { "operation failed:", MV_ERR_OPERATION_FAILED },
        { "XML error", MV_ERR_XML_ERROR },
    };

    for (size_t i = 0; msg && i < MV_ARRAY_SIZE(kinds); i++)
        if (strncmp(msg, kinds[i].prefix, strlen(kinds[i].prefix)) == 0)
            return kinds[i].code;
    return fallback;
}

static int xml_error(struct mv_call *call, const char *msg)
{
    return mv_call_error(call, code_of(msg, MV_ERR_XML_ERROR), MV_FROM_NETWORK, "%s",
                         msg ? msg : "XML error: cannot parse the network");
}

static int parse(struct mv_call *call, const char *xml, struct mv_net_def **def)
{
    _cleanup_free_ char *msg = NULL;

    if (mv_net_def_parse(xml, def, &msg) < 0)
        return xml_error(call, msg);
    /* the name becomes a file name: refuse what the store cannot hold */
    if (mv_validate_name("network", (*def)->name, &msg) < 0) {
        mv_net_def_free(TAKE_PTR(*def));
        return mv_call_error(call, MV_ERR_XML_ERROR, MV_FROM_NETWORK, "XML error: %s", msg ? msg : "invalid name");
    }
    if (strlen((*def)->name) > NAME_MAX_NETD) {
        _cleanup_free_ char *q = mv_errmsg_quote((*def)->name, strlen((*def)->name), MV_ERRMSG_QUOTE_MAX);

        mv_net_def_free(TAKE_PTR(*def));
        return mv_call_error(call, MV_ERR_XML_ERROR, MV_FROM_NETWORK,
                             "XML error: invalid network name '%s': names must be at most %d bytes long (netd's "
                             "files for a network add up to %d bytes to its name)", q ? q : "?", NAME_MAX_NETD,
                             MV_NAME_MAX - NAME_MAX_NETD);
    }
    return 0;
}

static int conflict(struct mv_call *call, const struct netd_net *holder, const struct mv_net_def *def)
{
    char uuid[MV_UUID_STRING_LEN];

    if (strcmp(holder->name, def->name) == 0)
        return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_NETWORK,
                             "operation failed: network '%s' already exists with uuid %s", holder->name,
                             holder->uuid_str);
    mv_uuid_format(def->uuid, uuid);
    return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_NETWORK,
                         "operation failed: network '%s' is already defined with uuid %s", holder->name, uuid);
}

/* The object for DEF with its job held as JOB: an existing one with the
 * same name and UUID, or a new one (*ADDED) that callers do not see until
 * it has a definition.  0 with *OUT referenced, or -errno with the call's
 * error set. */
static int obtain(struct mv_call *call, const struct mv_net_def *def, const char *job, struct netd_net **out,
                  bool *added)
{
    struct mv_err err = { 0 };
    int r;

    for (int tries = 0;; tries++) {
        _cleanup_net_unref_ struct netd_net *holder = NULL;
        struct netd_net *net = NULL;

        r = netd_registry_add(def->name, def->uuid, job, &net, &holder);
        if (r == 0) {
            pthread_mutex_unlock(&net->lock);
            *out = net;
            *added = true;
            return 0;
        }
        if (r != -EEXIST)
            return r;
        if (strcmp(holder->name, def->name) != 0 || memcmp(holder->uuid, def->uuid, MV_UUID_LEN) != 0)
            return conflict(call, holder, def);
        r = netd_job_begin(holder, job, &err);
        if (r == -ENOENT && tries < OBTAIN_RETRIES) {
            mv_err_clear(&err);     /* removed while we waited: add it afresh */
            continue;
        }
        if (r < 0)
            return netd_call_fail(call, &err);
        *out = TAKE_PTR(holder);
        *added = false;
        return 0;
    }
}

/* Ends the job obtain() took; a network it added for a call that failed goes again. */
static void release(struct netd_net *net, bool drop)
{
    if (drop)
        netd_registry_remove(net);
    netd_job_end(net);
    netd_net_unref(net);
}

/* Keeps NET's bridge name when a new definition leaves it out, then picks
 * or checks one (netd.bridge_lock held). */
static int bridge_for(struct mv_net_def *def, struct netd_net *net, struct mv_err *err)
{
    if (!def->bridge.name) {
        const struct mv_net_def *cur;

        pthread_mutex_lock(&net->lock);
        cur = netd_net_current(net);
        if (cur && cur->bridge.name && !(def->bridge.name = strdup(cur->bridge.name))) {
            pthread_mutex_unlock(&net->lock);
            return -ENOMEM;
        }
        pthread_mutex_unlock(&net->lock);
    }
    return netd_net_assign_bridge(def, net, err);
}

/* ---- define ---- */

/* Saves DEF and makes it NET's persistent definition (job held). */
static int define_store(struct netd_net *net, struct mv_net_def **def, bool *updated, struct mv_err *err)
{
    struct mv_net_def *old;
    int r;

    pthread_mutex_lock(&netd.bridge_lock);
    if ((r = bridge_for(*def, net, err)) == 0)
        r = netd_store_save_config(*def, err);
    if (r == 0) {
        pthread_mutex_lock(&net->lock);
        old = net->def;
        *updated = old != NULL;
        net->def = TAKE_PTR(*def);
        pthread_mutex_unlock(&net->lock);
        mv_net_def_free(old);
    }
    pthread_mutex_unlock(&netd.bridge_lock);
    return r;
}

static int define(struct mv_call *call, const char *xml, mv_nonnull_network *ret)
{
    _cleanup_net_def_ struct mv_net_def *def = NULL;
    struct mv_err err = { 0 };
    struct netd_net *net;
    bool added, updated = false;
    int r;

    if ((r = parse(call, xml, &def)) < 0 || (r = obtain(call, def, "define", &net, &added)) < 0)
        return r;
    if ((r = define_store(net, &def, &updated, &err)) < 0) {
        release(net, added);
        return err.code ? netd_call_fail(call, &err) : r;
    }
    /* the event before the job ends: a later undefine's comes after it */
    mv_info("network '%s' %s", net->name, updated ? "updated" : "defined");
    netd_event_lifecycle(net, NETD_EVENT_DEFINED);
    r = netd_net_to_wire(net, ret);
    release(net, false);
    return r;
}

static int define_xml(struct mv_call *call, mv_network_xml_args *args, mv_network_ret *ret)
{
    return define(call, args->xml, &ret->net);
}

static int define_xml_flags(struct mv_call *call, mv_network_xml_flags_args *args, mv_network_ret *ret)
{
    if (args->flags & ~XML_VALIDATE)
        return netd_bad_flags(call, args->flags & ~XML_VALIDATE, "virNetworkDefineXMLFlags");
    return define(call, args->xml, &ret->net);
}

/* ---- create (transient, or a defined one with this definition live) ---- */

/* NET's claim on BRIDGE while a create starts it (NULL: the claim ends). */
static int claim_bridge(struct netd_net *net, const char *bridge)
{
    char *copy = bridge ? strdup(bridge) : NULL;

    if (bridge && !copy)
        return -ENOMEM;
    pthread_mutex_lock(&net->lock);
    free(net->starting_bridge);
    net->starting_bridge = copy;
    pthread_mutex_unlock(&net->lock);
    return 0;
}

static int create_start(struct netd_net *net, struct mv_net_def *def, struct mv_err *err)
{
    int r;

    if (netd_net_is_active(net)) {
        mv_net_def_free(def);
        return netd_error_active(err, net);
    }
    /* The name is picked and claimed under the lock; the start, which may
     * wait seconds for dnsmasq, runs without it: other defines and creates
     * see the claim instead of waiting for the lock. */
    pthread_mutex_lock(&netd.bridge_lock);
    if ((r = bridge_for(def, net, err)) == 0)
        r = claim_bridge(net, def->bridge.name);
    pthread_mutex_unlock(&netd.bridge_lock);
    if (r < 0) {
        mv_net_def_free(def);
        return r;
    }
    r = netd_net_start(net, def, err);
    claim_bridge(net, NULL);       /* live now (or failed): the claim has done its work */
    return r;
}

static int create(struct mv_call *call, const char *xml, mv_nonnull_network *ret)
{
    struct mv_net_def *def = NULL;
    struct mv_err err = { 0 };
    struct netd_net *net;
    bool added;
    int r;

    if ((r = parse(call, xml, &def)) < 0)
        return r;
    if ((r = obtain(call, def, "start", &net, &added)) < 0) {
        mv_net_def_free(def);
        return r;
    }
    if ((r = create_start(net, def, &err)) < 0) {
        release(net, added);
        return err.code ? netd_call_fail(call, &err) : r;
    }
    r = netd_net_to_wire(net, ret);
    release(net, false);
    return r;
}

static int create_xml(struct mv_call *call, mv_network_xml_args *args, mv_network_ret *ret)
{
    return create(call, args->xml, &ret->net);
}

static int create_xml_flags(struct mv_call *call, mv_network_xml_flags_args *args, mv_network_ret *ret)
{
    if (args->flags & ~XML_VALIDATE)
        return netd_bad_flags(call, args->flags & ~XML_VALIDATE, "virNetworkCreateXMLFlags");
    return create(call, args->xml, &ret->net);
}

/* ---- the rest: on an existing network, with its job ---- */

typedef int (*job_fn)(struct netd_net *net, const void *args, struct mv_err *err);

static int with_job(struct mv_call *call, const mv_nonnull_network *wire, const char *job, job_fn fn,
                    const void *args)
{
    _cleanup_net_unref_ struct netd_net *net = netd_net_from_wire(call, wire);
    struct mv_err err = { 0 };
    int r;

    if (!net)
        return -EIO;
    if (netd_job_begin(net, job, &err) < 0)
        return netd_call_fail(call, &err);
    r = fn(net, args, &err);
    netd_job_end(net);
    if (r < 0 && err.code)
        return netd_call_fail(call, &err);
    return r;
}

static int do_start(struct netd_net *net, const void *args, struct mv_err *err)
{
    struct mv_net_def *def = NULL;
    bool active;

    pthread_mutex_lock(&net->lock);
    active = net->active;
    if (!active && net->def)
        def = mv_net_def_copy(net->def);
    pthread_mutex_unlock(&net->lock);
    if (active)
        return netd_error_active(err, net);
    if (!def)
        return -ENOMEM;
    return netd_net_start(net, def, err);
}

static int start(struct mv_call *call, mv_network_args *args, void *ret)
{
    return with_job(call, &args->net, "start", do_start, NULL);
}

static int do_destroy(struct netd_net *net, const void *args, struct mv_err *err)
{
    if (!netd_net_is_active(net))
        return netd_error_inactive(err, net);
    netd_net_stop(net);
    return 0;
}

static int destroy(struct mv_call *call, mv_network_args *args, void *ret)
{
    return with_job(call, &args->net, "destroy", do_destroy, NULL);
}

static int do_undefine(struct netd_net *net, const void *args, struct mv_err *err)
{
    struct mv_net_def *old;
    bool active;
    int r;

    pthread_mutex_lock(&net->lock);
    old = net->def;
    pthread_mutex_unlock(&net->lock);
    if (!old)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NETWORK,
                          "Requested operation is not valid: cannot undefine transient network '%s'", net->name);
    if ((r = netd_store_delete_config(net->name, err)) < 0)
        return r;
    pthread_mutex_lock(&net->lock);
    net->def = NULL;
    net->autostart = false;
    active = net->active;
    pthread_mutex_unlock(&net->lock);
    mv_net_def_free(old);
    mv_info("network '%s' undefined", net->name);
    /* The event before the removal: removing frees the name, and a define
     * of it waiting for our job could emit its DEFINED before our UNDEFINED. */
    netd_event_lifecycle(net, NETD_EVENT_UNDEFINED);
    if (!active)
        netd_registry_remove(net);  /* an active one stays, transient, until destroyed */
    return 0;
}

static int undefine(struct mv_call *call, mv_network_args *args, void *ret)
{
    return with_job(call, &args->net, "undefine", do_undefine, NULL);
}

static int do_set_autostart(struct netd_net *net, const void *args, struct mv_err *err)
{
    bool on = *(const int *)args != 0, persistent;
    int r;

    pthread_mutex_lock(&net->lock);
    persistent = net->def != NULL;
    pthread_mutex_unlock(&net->lock);
    if (!persistent)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NETWORK,
                          "Requested operation is not valid: cannot set autostart for transient network '%s'",
                          net->name);
    if ((r = netd_store_set_autostart(net->name, on, err)) < 0)
        return r;
    pthread_mutex_lock(&net->lock);
    net->autostart = on;
    pthread_mutex_unlock(&net->lock);
    return 0;
}

static int set_autostart(struct mv_call *call, mv_network_set_autostart_args *args, void *ret)
{
    return with_job(call, &args->net, "autostart", do_set_autostart, &args->autostart);
}

/* ---- update ---- */

/* The update's error: the message says the kind ("XML error", "Requested
 * operation is not valid"...), the code follows it. */
static int update_error(struct mv_err *err, int r, char *msg)
{
    _cleanup_free_ char *m = msg;

    if (r == -ENOMEM && !m)
        return r;
    mv_err_set(err, code_of(m, MV_ERR_OPERATION_FAILED), MV_FROM_NETWORK, "%s",
               m ? m : "operation failed: cannot update the network");
    return r;
}

/* LIVE and CONFIG as they apply to NET (CURRENT: live if active, else config). */
static int update_targets(struct netd_net *net, unsigned int *flags, struct mv_err *err)
{
    bool active, persistent;

    pthread_mutex_lock(&net->lock);
    active = net->active;
    persistent = net->def != NULL;
    pthread_mutex_unlock(&net->lock);
    if (!(*flags & (UPDATE_LIVE | UPDATE_CONFIG)))
        *flags |= active ? UPDATE_LIVE : UPDATE_CONFIG;
    if ((*flags & UPDATE_LIVE) && !active)
        return netd_error_inactive(err, net);
    if ((*flags & UPDATE_CONFIG) && !persistent)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_NETWORK,
                          "Requested operation is not valid: cannot change the persistent config of transient "
                          "network '%s'", net->name);
    return 0;
}

/* A live update's reload failed after its status was written: OLD's
 * status and hosts files go back, so that the status, the live XML and
 * what dnsmasq may re-read all stay OLD.  A dnsmasq that is gone gets its
 * files from OLD when the watch restarts it. */
static void undo_live(const struct mv_net_def *old, pid_t pid)
{
    struct mv_err err = { 0 };
    char *msg = NULL;

    if (netd_store_write_status(old, pid, &err) < 0) {
        mv_error("network '%s': the live update failed, and its status stays updated: %s", old->name,
                 err.message ? err.message : "cannot write the status");
        mv_err_clear(&err);
    }
    if (mv_dnsmasq_reload(old, &netd.dnsmasq, pid, &msg) < 0)
        mv_warn("network '%s': after the failed live update: %s", old->name, msg ? msg : "cannot reload dnsmasq");
    free(msg);
}

/* The running network gets NEWDEF (taken): the status first, so that a
 * status that cannot be written leaves dnsmasq on the old hosts; then
 * dnsmasq re-reads its hosts, and a reload that fails puts the old back. */
static int update_live(struct netd_net *net, struct mv_net_def *newdef, struct mv_err *err)
{
    _cleanup_net_def_ struct mv_net_def *def = newdef;
    char *msg = NULL;
    struct mv_net_def *old;
    pid_t pid;
    int r;

    pthread_mutex_lock(&net->lock);
    pid = net->dnsmasq_pid;
    old = net->live;            /* stays ours: only a holder of the job replaces it */
    pthread_mutex_unlock(&net->lock);
    if ((r = netd_store_write_status(def, pid, err)) < 0)
        return r;
    if (pid > 0 && (r = mv_dnsmasq_reload(def, &netd.dnsmasq, pid, &msg)) < 0) {
        undo_live(old, pid);
        return update_error(err, r, msg);
    }
    pthread_mutex_lock(&net->lock);
    net->live = TAKE_PTR(def);
    pthread_mutex_unlock(&net->lock);
    mv_net_def_free(old);
    return 0;
}

/* Saves NEWDEF (taken) as NET's persistent definition; *OLD gets the one
 * it replaces, for the caller to free or to put back. */
static int update_config(struct netd_net *net, struct mv_net_def *newdef, struct mv_net_def **old,
                         struct mv_err *err)
{
    int r;

    if ((r = netd_store_save_config(newdef, err)) < 0) {
        mv_net_def_free(newdef);
        return r;
    }
    pthread_mutex_lock(&net->lock);
    *old = net->def;
    net->def = newdef;
    pthread_mutex_unlock(&net->lock);
    return 0;
}

/* The live half failed after the persistent one was saved: OLD (taken)
 * goes back, so that the update changed neither. */
static void undo_config(struct netd_net *net, struct mv_net_def *old)
{
    struct mv_net_def *updated = NULL;
    struct mv_err err = { 0 };

    if (update_config(net, old, &updated, &err) < 0) {
        mv_error("network '%s': the update failed live, and its persistent half stays: %s", net->name,
                 err.message ? err.message : "cannot save the definition");
        mv_err_clear(&err);
    }
    mv_net_def_free(updated);
}

/* Both halves of an update fit in what netd stores: checked before either
 * changes anything (dnsmasq would serve a host the status cannot hold). */
static int update_sizes(const struct mv_net_def *live, const struct mv_net_def *config, struct mv_err *err)
{
    int r = 0;

    if (live)
        r = netd_store_check_size(live, err);
    if (r == 0 && config)
        r = netd_store_check_size(config, err);
    return r;
}

/* Applies the update to a copy of the live or persistent definition. */
static int update_one(struct netd_net *net, const mv_network_update_args *a, bool live, struct mv_net_def **out,
                      struct mv_err *err)
{
    const struct mv_net_def *cur;
    char *msg = NULL;
    int r;

    /* the definitions change only with the job, which we hold */
    pthread_mutex_lock(&net->lock);
    cur = live ? net->live : net->def;
    pthread_mutex_unlock(&net->lock);
    r = mv_net_def_update(cur, a->command, a->section, a->parentIndex, a->xml, out, &msg);
    return r < 0 ? update_error(err, r, msg) : 0;
}

static int do_update(struct netd_net *net, const void *args, struct mv_err *err)
{
    const mv_network_update_args *a = args;
    struct mv_net_def *live = NULL, *config = NULL, *old_config = NULL;
    unsigned int flags = a->flags;
    int r;

    if ((r = update_targets(net, &flags, err)) < 0)
        return r;
    /* both computed first: one refused leaves the other untouched too */
    if ((flags & UPDATE_LIVE) && (r = update_one(net, a, true, &live, err)) < 0)
        return r;
    if ((flags & UPDATE_CONFIG) && (r = update_one(net, a, false, &config, err)) < 0) {
        mv_net_def_free(live);
        return r;
    }
    if ((r = update_sizes(live, config, err)) < 0 ||
        (config && (r = update_config(net, TAKE_PTR(config), &old_config, err)) < 0)) {
        mv_net_def_free(live);
        mv_net_def_free(config);
        return r;
    }
    if (live && (r = update_live(net, live, err)) < 0) {
        if (old_config)
            undo_config(net, old_config);
        return r;
    }
    mv_net_def_free(old_config);
    mv_info("network '%s' updated (command %u, section %u%s%s)", net->name, a->command, a->section,
            flags & UPDATE_LIVE ? ", live" : "", flags & UPDATE_CONFIG ? ", config" : "");
    return 0;
}

static int update(struct mv_call *call, mv_network_update_args *args, void *ret)
{
    if (args->flags & ~(unsigned int)(UPDATE_LIVE | UPDATE_CONFIG))
        return netd_bad_flags(call, args->flags & ~(unsigned int)(UPDATE_LIVE | UPDATE_CONFIG),
                              "virNetworkUpdate");
    return with_job(call, &args->net, "update", do_update, args);
}

static const struct mv_dispatch_entry life_procs[] = {
    MV_HANDLER(NETWORK_DEFINE_XML, define_xml),
    MV_HANDLER(NETWORK_DEFINE_XML_FLAGS, define_xml_flags),
    MV_HANDLER(NETWORK_CREATE_XML, create_xml),
    MV_HANDLER(NETWORK_CREATE_XML_FLAGS, create_xml_flags),
    MV_HANDLER(NETWORK_CREATE, start),
    MV_HANDLER(NETWORK_DESTROY, destroy),
    MV_HANDLER(NETWORK_UNDEFINE, undefine),
    MV_HANDLER(NETWORK_SET_AUTOSTART, set_autostart),
    MV_HANDLER(NETWORK_UPDATE, update),
};
const struct mv_dispatch_table netd_network_life_table = { life_procs, MV_ARRAY_SIZE(life_procs) };
