/* The QEMU guest agent of a domain: connection, sync, commands, channel state. */
#define MV_LOG_MODULE "qemud.agent"
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#include "agent.h"
#include "cleanup.h"
#include "domain_monitor.h"
#include "events.h"
#include "log.h"
#include "monotime.h"
#include "qemud.h"
#include "qmp.h"
#include "remote_protocol.h"

/* Syncs tried before an agent that keeps answering stale numbers is given up. */
#define AGENT_SYNC_TRIES 3
/* VIR_DOMAIN_EVENT_ID_AGENT_LIFECYCLE and its state / reason values */
enum { EVENT_ID_AGENT_LIFECYCLE = 18 };
enum { AGENT_STATE_CONNECTED = 1, AGENT_STATE_DISCONNECTED = 2 };
enum { AGENT_REASON_UNKNOWN = 0, AGENT_REASON_DOMAIN_STARTED = 1, AGENT_REASON_CHANNEL = 2 };

/* Set once the daemon is shutting down (qemud_agent_abort_all): no agent is
 * connected after it, and a call failed by it says why. */
static atomic_bool agents_stopping;

/* What the guest's end of the channel is doing, as QEMU last said. */
enum guest_side { GUEST_UNKNOWN, GUEST_OPEN, GUEST_CLOSED };

struct qemud_agent {
    atomic_int refs;
    char *dom_name;             /* for messages */
    char *alias;                /* the channel's device id (VSERPORT_CHANGE names it) */
    struct mv_qmp *mon;         /* closed by the last reference */

    pthread_mutex_t lock;       /* the fields below; taken inside dom->lock, never around it */
    pthread_cond_t cond;
    bool busy;                  /* a call is talking to the agent (libvirt's agent job) */
    const char *busy_with;      /* the command it runs, for "busy" errors */
    enum guest_side guest;
};

static struct qemud_agent *agent_ref(struct qemud_agent *a)
{
    atomic_fetch_add(&a->refs, 1);
    return a;
}

static void agent_unref(struct qemud_agent *a)
{
    if (!a || atomic_fetch_sub(&a->refs, 1) != 1)
        return;
    mv_qmp_close(a->mon);
    pthread_cond_destroy(&a->cond);
    pthread_mutex_destroy(&a->lock);
    free(a->dom_name);
    free(a->alias);
    free(a);
}
MV_DEFINE_CLEANUP(struct qemud_agent, agent_unref)

/* ---- the channel ---- */

static const struct mv_dom_chr *agent_channel(const struct mv_dom_def *live, size_t *index)
{
    for (size_t i = 0; live && i < live->devices.nchannels; i++) {
        const struct mv_dom_chr *ch = &live->devices.channels[i];

        if (ch->type == MV_DOM_CHR_UNIX && ch->target_name && strcmp(ch->target_name, QEMUD_AGENT_CHANNEL) == 0) {
            if (index)
                *index = i;
            return ch;
        }
    }
    return NULL;
}

bool qemud_agent_configured(const struct mv_dom_def *live)
{
    return agent_channel(live, NULL) != NULL;
}

static void emit_lifecycle(const struct qemud_dom *dom, int id, int state, int reason)
{
    mv_domain_event_callback_agent_lifecycle_msg msg = { .state = state, .reason = reason };

    msg.dom.name = dom->name;           /* borrowed: encoded before we return */
    memcpy(msg.dom.uuid, dom->uuid, MV_UUID_LEN);
    msg.dom.id = id;
    mv_events_emit(qemud.events, EVENT_ID_AGENT_LIFECYCLE, dom->uuid, MV_UUID_LEN,
                   MV_PROC_DOMAIN_EVENT_CALLBACK_AGENT_LIFECYCLE,
                   (xdrproc_t)xdr_mv_domain_event_callback_agent_lifecycle_msg, &msg);
}

/* Records the guest side's state; true if it changed. */
static bool set_guest(struct qemud_agent *a, enum guest_side g)
{
    bool changed;

    pthread_mutex_lock(&a->lock);
    changed = a->guest != g;
    a->guest = g;
    pthread_mutex_unlock(&a->lock);
    return changed;
}

/* Monitor thread: the guest opened or closed a virtio-serial port. */
static void on_vserport_change(struct qemud_dom *dom, uint64_t gen, json_object *data)
{
    json_object *id = NULL, *open = NULL;
    struct qemud_agent *a;
    bool mine, changed = false, is_open;
    int domid;

    if (!data || !json_object_object_get_ex(data, "id", &id) || !json_object_object_get_ex(data, "open", &open))
        return;
    is_open = json_object_get_boolean(open);
    pthread_mutex_lock(&dom->lock);
    a = dom->run_gen == gen ? dom->agent : NULL;
    mine = a && a->alias && strcmp(a->alias, json_object_get_string(id)) == 0;
    if (mine)
        changed = set_guest(a, is_open ? GUEST_OPEN : GUEST_CLOSED);
    domid = dom->id;
    pthread_mutex_unlock(&dom->lock);
    if (!changed)
        return;
    mv_debug("domain '%s': the guest %s the agent channel", dom->name, is_open ? "opened" : "closed");
    emit_lifecycle(dom, domid, is_open ? AGENT_STATE_CONNECTED : AGENT_STATE_DISCONNECTED, AGENT_REASON_CHANNEL);
}

int qemud_agent_init(void)
{
    return qemud_monitor_on_event("VSERPORT_CHANGE", on_vserport_change);
}

/* Whether the guest has its end of chardev "char<kind><index>" open now
 * (query-chardev's frontend-open), for a daemon that missed the events. */
static enum guest_side query_guest_side(struct qemud_dom *dom, size_t index)
{
    json_object *reply = NULL;
    struct mv_err err = { 0 };
    enum guest_side g = GUEST_UNKNOWN;
    char label[64];

    snprintf(label, sizeof(label), "charchannel%zu", index);
    if (qemud_monitor_command(dom, "query-chardev", NULL, &reply, &err) < 0) {
        mv_debug("domain '%s': query-chardev: %s", dom->name, err.message);
        mv_err_clear(&err);
        return g;
    }
    for (size_t i = 0; json_object_is_type(reply, json_type_array) && i < json_object_array_length(reply); i++) {
        json_object *c = json_object_array_get_idx(reply, i), *l, *fo;

        if (json_object_object_get_ex(c, "label", &l) && strcmp(json_object_get_string(l), label) == 0 &&
            json_object_object_get_ex(c, "frontend-open", &fo))
            g = json_object_get_boolean(fo) ? GUEST_OPEN : GUEST_CLOSED;
    }
    json_object_put(reply);
    return g;
}

static void on_agent_closed(struct mv_qmp *mon, void *opaque)
{
    struct qemud_agent *a = opaque;

    mv_debug("domain '%s': the agent socket closed (QEMU exited, or the daemon is shutting down)", a->dom_name);
}

static const struct mv_qmp_callbacks agent_callbacks = { .closed = on_agent_closed };

static struct qemud_agent *agent_new(const char *dom_name, const char *alias)
{
    struct qemud_agent *a = calloc(1, sizeof(*a));

    if (!a)
        return NULL;
    atomic_init(&a->refs, 1);
    pthread_mutex_init(&a->lock, NULL);
    if (mv_cond_init_monotonic(&a->cond) < 0) {
        pthread_mutex_destroy(&a->lock);
        free(a);
        return NULL;
    }
    a->dom_name = strdup(dom_name);
    a->alias = alias ? strdup(alias) : NULL;
    if (!a->dom_name || (alias && !a->alias)) {
        agent_unref(a);
        return NULL;
    }
    return a;
}

void qemud_agent_open(struct qemud_dom *dom, bool reattach)
{
    _cleanup_free_ char *msg = NULL;
    const struct mv_dom_chr *ch;
    struct qemud_agent *a;
    size_t index = 0;
    int r, domid;

    /* the live definition only changes with the job, which we hold */
    ch = agent_channel(dom->live, &index);
    if (!ch || !ch->path)
        return;
    if (!(a = agent_new(dom->name, ch->alias)))
        return;
    r = mv_qmp_open_flags(qemud.qmp, ch->path, dom->pidfd, QEMUD_AGENT_SYNC_MS, MV_QMP_OPEN_AGENT,
                          &agent_callbacks, a, &a->mon, &msg);
    if (r < 0) {
        mv_warn("domain '%s': cannot connect to the guest agent channel '%s': %s", dom->name, ch->path,
                msg ? msg : strerror(-r));
        agent_unref(a);
        return;
    }
    /* at a start the guest cannot have opened its end yet; after a restart ask */
    a->guest = reattach ? query_guest_side(dom, index) : GUEST_CLOSED;
    pthread_mutex_lock(&dom->lock);
    /* under dom->lock: qemud_agent_abort_all either sees it or we see the flag */
    if (atomic_load(&agents_stopping))
        mv_qmp_abort(a->mon);
    agent_unref(dom->agent);
    dom->agent = a;
    domid = dom->id;
    pthread_mutex_unlock(&dom->lock);
    mv_debug("domain '%s': connected to the guest agent channel", dom->name);
    if (reattach && a->guest == GUEST_OPEN)
        emit_lifecycle(dom, domid, AGENT_STATE_CONNECTED, AGENT_REASON_UNKNOWN);
}

void qemud_agent_close(struct qemud_dom *dom)
{
    struct qemud_agent *a;

    if (!dom)
        return;
    pthread_mutex_lock(&dom->lock);
    a = dom->agent;
    dom->agent = NULL;
    pthread_mutex_unlock(&dom->lock);
    agent_unref(a);
}

void qemud_agent_abort_all(void)
{
    struct qemud_dom **doms = NULL;
    size_t n = 0;

    atomic_store(&agents_stopping, true);
    if (qemud_registry_list(&doms, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&doms[i]->lock);
        if (doms[i]->agent)
            mv_qmp_abort(doms[i]->agent->mon);
        pthread_mutex_unlock(&doms[i]->lock);
    }
    qemud_dom_list_free(doms, n);
}

/* ---- calls ---- */

/* DOM's agent, referenced, or NULL with ERR saying why there is none. */
static struct qemud_agent *agent_get(struct qemud_dom *dom, struct mv_err *err)
{
    struct qemud_agent *a = NULL;
    bool active, configured;
    enum guest_side g = GUEST_UNKNOWN;

    pthread_mutex_lock(&dom->lock);
    active = qemud_dom_is_active(dom);
    configured = qemud_agent_configured(qemud_dom_current_def(dom));
    if (active && dom->agent)
        a = agent_ref(dom->agent);
    pthread_mutex_unlock(&dom->lock);
    if (!active) {
        mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                   "Requested operation is not valid: domain '%s' is not running", dom->name);
        return NULL;
    }
    if (!configured) {
        mv_err_set(err, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_QEMU,
                   "argument unsupported: QEMU guest agent is not configured in domain '%s' "
                   "(no <channel> named " QEMUD_AGENT_CHANNEL ")", dom->name);
        return NULL;
    }
    if (a) {
        pthread_mutex_lock(&a->lock);
        g = a->guest;
        pthread_mutex_unlock(&a->lock);
    }
    if (!a || g == GUEST_CLOSED) {
        mv_err_set(err, MV_ERR_AGENT_UNRESPONSIVE, MV_FROM_QEMU,
                   "Guest agent is not responding: QEMU guest agent of domain '%s' is not connected%s", dom->name,
                   a ? " (the guest has not opened its channel)" : " (qemud has no connection to its channel)");
        agent_unref(a);
        return NULL;
    }
    return a;
}

/* One call at a time talks to an agent, waiting at most the job wait. */
static int agent_lock(struct qemud_agent *a, const char *cmd, struct mv_err *err)
{
    struct timespec deadline;
    int r = 0;

    mv_deadline_after(&deadline, (int)qemud.job_wait_ms);
    pthread_mutex_lock(&a->lock);
    while (a->busy && r != ETIMEDOUT)
        r = pthread_cond_timedwait(&a->cond, &a->lock, &deadline);
    if (a->busy) {
        mv_err_set(err, MV_ERR_OPERATION_TIMEOUT, MV_FROM_QEMU,
                   "Timed out during operation: the guest agent of domain '%s' is busy with '%s'", a->dom_name,
                   a->busy_with);
        pthread_mutex_unlock(&a->lock);
        return -EBUSY;
    }
    a->busy = true;
    a->busy_with = cmd;
    pthread_mutex_unlock(&a->lock);
    return 0;
}

static void agent_unlock(struct qemud_agent *a)
{
    pthread_mutex_lock(&a->lock);
    a->busy = false;
    a->busy_with = NULL;
    pthread_cond_signal(&a->cond);
    pthread_mutex_unlock(&a->lock);
}

static int unresponsive(struct qemud_agent *a, const char *cmd, int r, int timeout_ms, struct mv_err *err)
{
    if (r == -ECONNRESET && atomic_load(&agents_stopping))
        return mv_err_set(err, MV_ERR_AGENT_UNRESPONSIVE, MV_FROM_QEMU,
                          "Guest agent is not responding: '%s' on the agent of domain '%s' was ended: "
                          "the daemon is shutting down", cmd, a->dom_name);
    if (r == -ETIMEDOUT)
        return mv_err_set(err, MV_ERR_AGENT_UNRESPONSIVE, MV_FROM_QEMU,
                          "Guest agent is not responding: QEMU guest agent of domain '%s' did not answer '%s' "
                          "within %d ms", a->dom_name, cmd, timeout_ms);
    return mv_err_set(err, MV_ERR_AGENT_UNRESPONSIVE, MV_FROM_QEMU,
                      "Guest agent is not responding: the agent channel of domain '%s' closed during '%s' (%s)",
                      a->dom_name, cmd, strerror(-r));
}

/* guest-sync-delimited with a fresh number until the agent echoes it: the
 * answer to the command that follows is then the command's own.  A stale
 * number or an error (the agent could not parse what an earlier client
 * left half-written) is tried again, the second time after a 0xFF that
 * makes the agent drop its partial input (which it answers with an error
 * of its own: not sent every time, for that reason). */
static int agent_sync(struct qemud_agent *a, int timeout_ms, struct mv_err *err)
{
    for (int i = 0; i < AGENT_SYNC_TRIES; i++) {
        _cleanup_free_ char *msg = NULL;
        json_object *args = json_object_new_object(), *reply = NULL;
        uint32_t n = 0;
        int64_t echoed;
        int r;

        if (getrandom(&n, sizeof(n), 0) != sizeof(n))
            n = (uint32_t)time(NULL) ^ (uint32_t)i;
        n &= 0x7fffffff;
        if (!args || json_object_object_add(args, "id", json_object_new_int64(n)) < 0) {
            json_object_put(args);
            return -ENOMEM;
        }
        r = mv_qmp_command_flags(a->mon, "guest-sync-delimited", args, timeout_ms, i == 1 ? MV_QMP_CMD_FLUSH : 0,
                                 &reply, &msg);
        if (r == -EREMOTEIO) {
            mv_debug("domain '%s': guest-sync failed: %s; trying again", a->dom_name, msg ? msg : "no reason");
            continue;
        }
        if (r < 0)
            return unresponsive(a, "guest-sync-delimited", r, timeout_ms, err);
        echoed = json_object_get_int64(reply);
        json_object_put(reply);
        if (echoed == (int64_t)n)
            return 0;
        mv_debug("domain '%s': guest-sync answered %lld, not %u: a stale answer", a->dom_name, (long long)echoed, n);
    }
    return mv_err_set(err, MV_ERR_AGENT_UNRESPONSIVE, MV_FROM_QEMU,
                      "Guest agent is not responding: the agent of domain '%s' answered guest-sync %d times with "
                      "an error or a stale number", a->dom_name, AGENT_SYNC_TRIES);
}

static int timeout_to_ms(int timeout)
{
    if (timeout == QEMUD_AGENT_TIMEOUT_BLOCK)
        return -1;
    if (timeout == QEMUD_AGENT_TIMEOUT_DEFAULT)
        return QEMUD_AGENT_DEFAULT_MS;
    if (timeout > 0)
        return timeout > INT32_MAX / 1000 ? INT32_MAX : timeout * 1000;
    return 0;
}

int qemud_agent_run(struct qemud_dom *dom, const char *cmd, json_object *args, int timeout, bool no_reply,
                    json_object **reply, struct mv_err *err)
{
    _cleanup_(agent_unrefp) struct qemud_agent *a = NULL;
    _cleanup_free_ char *msg = NULL;
    int timeout_ms = timeout_to_ms(timeout), sync_ms = QEMUD_AGENT_SYNC_MS, r;
    unsigned int flags = 0;

    if (timeout < QEMUD_AGENT_TIMEOUT_BLOCK) {
        json_object_put(args);
        return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_QEMU, "invalid argument: timeout %d is not valid "
                          "(-2 block, -1 default, 0 no wait, or seconds)", timeout);
    }
    if (!(a = agent_get(dom, err)) || (r = agent_lock(a, cmd, err)) < 0) {
        json_object_put(args);
        return -EIO;
    }
    if (timeout_ms > 0 && timeout_ms < sync_ms)
        sync_ms = timeout_ms;
    if ((r = agent_sync(a, sync_ms, err)) < 0) {
        json_object_put(args);
        agent_unlock(a);
        return r;
    }
    if (no_reply || timeout == QEMUD_AGENT_TIMEOUT_NOWAIT)
        flags |= MV_QMP_CMD_NO_REPLY;
    r = mv_qmp_command_flags(a->mon, cmd, args, timeout_ms, flags, reply, &msg);
    agent_unlock(a);
    if (r == -EREMOTEIO)
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                          "internal error: unable to execute QEMU agent command '%s' in domain '%s': %s", cmd,
                          dom->name, msg ? msg : "no reason given");
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return unresponsive(a, cmd, r, timeout_ms, err);
    return 0;
}

int qemud_agent_command(struct qemud_dom *dom, const char *json, int timeout, char **reply, struct mv_err *err)
{
    json_object *req = json_tokener_parse(json), *exec = NULL, *args = NULL, *ret = NULL, *wrap;
    _cleanup_free_ char *cmd = NULL;
    int r;

    if (!req || !json_object_is_type(req, json_type_object) || !json_object_object_get_ex(req, "execute", &exec) ||
        !json_object_is_type(exec, json_type_string)) {
        json_object_put(req);
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                          "internal error: cannot parse agent command: not a JSON object with \"execute\"");
    }
    if (!(cmd = strdup(json_object_get_string(exec)))) {
        json_object_put(req);
        return -ENOMEM;
    }
    if (json_object_object_get_ex(req, "arguments", &args))
        args = json_object_get(args);
    json_object_put(req);
    if (args && !json_object_is_type(args, json_type_object)) {
        json_object_put(args);
        return mv_err_set(err, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                          "internal error: cannot parse agent command: \"arguments\" is not an object");
    }
    r = qemud_agent_run(dom, cmd, args, timeout, false, &ret, err);
    if (r < 0)
        return r;
    *reply = NULL;
    if (timeout == QEMUD_AGENT_TIMEOUT_NOWAIT)
        return 0;
    if (!(wrap = json_object_new_object())) {
        json_object_put(ret);
        return -ENOMEM;
    }
    json_object_object_add(wrap, "return", ret ? ret : json_object_new_object());
    *reply = strdup(json_object_to_json_string_ext(wrap, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(wrap);
    return *reply ? 0 : -ENOMEM;
}

int qemud_agent_shutdown(struct qemud_dom *dom, bool reboot, struct mv_err *err)
{
    json_object *args = json_object_new_object();

    if (!args || json_object_object_add(args, "mode", json_object_new_string(reboot ? "reboot" : "powerdown")) < 0) {
        json_object_put(args);
        return -ENOMEM;
    }
    /* guest-shutdown never answers: the guest goes down instead */
    return qemud_agent_run(dom, "guest-shutdown", args, QEMUD_AGENT_TIMEOUT_DEFAULT, true, NULL, err);
}
