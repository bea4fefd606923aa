/* Domain event registrations and delivery. */
#define MV_LOG_MODULE "qemud.events"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_events.h"
#include "log.h"
#include "qemud.h"

/* VIR_DOMAIN_EVENT_ID_LIFECYCLE / _REBOOT */
enum { EVENT_ID_LIFECYCLE = 0, EVENT_ID_REBOOT = 1 };

struct registration {
    struct mv_client *client;       /* referenced */
    int callback_id;
    int event_id;
    bool filtered;                  /* only events of UUID */
    unsigned char uuid[MV_UUID_LEN];
};

static struct {
    pthread_mutex_t lock;
    struct registration *regs;
    size_t n, cap;
    int next_callback_id;
} ev = { .lock = PTHREAD_MUTEX_INITIALIZER, .next_callback_id = 1 };

static void fill_domain(mv_nonnull_domain *wire, const struct qemud_dom *dom, int id)
{
    wire->name = dom->name;         /* borrowed: encoded before we return */
    memcpy(wire->uuid, dom->uuid, MV_UUID_LEN);
    wire->id = id;
}

static bool wants(const struct registration *reg, int event_id, const struct qemud_dom *dom)
{
    return reg->event_id == event_id &&
           (!reg->filtered || memcmp(reg->uuid, dom->uuid, MV_UUID_LEN) == 0);
}

void qemud_event_lifecycle(const struct qemud_dom *dom, int id, int event, int detail)
{
    mv_domain_event_callback_lifecycle_msg msg = { .msg = { .event = event, .detail = detail } };

    fill_domain(&msg.msg.dom, dom, id);
    mv_debug("domain '%s': lifecycle event %d detail %d", dom->name, event, detail);
    pthread_mutex_lock(&ev.lock);
    for (size_t i = 0; i < ev.n; i++) {
        if (!wants(&ev.regs[i], EVENT_ID_LIFECYCLE, dom))
            continue;
        msg.callbackID = ev.regs[i].callback_id;
        mv_client_send_event(ev.regs[i].client, MV_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE,
                             (xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg, &msg);
    }
    pthread_mutex_unlock(&ev.lock);
}

void qemud_event_reboot(const struct qemud_dom *dom, int id)
{
    mv_domain_event_callback_reboot_msg msg = { 0 };

    fill_domain(&msg.msg.dom, dom, id);
    pthread_mutex_lock(&ev.lock);
    for (size_t i = 0; i < ev.n; i++) {
        if (!wants(&ev.regs[i], EVENT_ID_REBOOT, dom))
            continue;
        msg.callbackID = ev.regs[i].callback_id;
        mv_client_send_event(ev.regs[i].client, MV_PROC_DOMAIN_EVENT_CALLBACK_REBOOT,
                             (xdrproc_t)xdr_mv_domain_event_callback_reboot_msg, &msg);
    }
    pthread_mutex_unlock(&ev.lock);
}

void qemud_events_client_close(struct mv_client *client)
{
    size_t kept = 0;

    pthread_mutex_lock(&ev.lock);
    for (size_t i = 0; i < ev.n; i++) {
        if (ev.regs[i].client == client)
            mv_client_unref(client);
        else
            ev.regs[kept++] = ev.regs[i];
    }
    ev.n = kept;
    pthread_mutex_unlock(&ev.lock);
}

void qemud_events_cleanup(void)
{
    pthread_mutex_lock(&ev.lock);
    for (size_t i = 0; i < ev.n; i++)
        mv_client_unref(ev.regs[i].client);
    free(ev.regs);
    ev.regs = NULL;
    ev.n = ev.cap = 0;
    pthread_mutex_unlock(&ev.lock);
}

/* ---- procedures ---- */

static int register_any(struct mv_call *call, mv_connect_domain_event_callback_register_any_args *args,
                        mv_connect_domain_event_callback_register_any_ret *ret)
{
    struct registration reg = { .event_id = args->eventID };

    if (args->eventID < 0 || args->eventID > MV_DOMAIN_EVENT_ID_MAX)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: unsupported event ID %d", args->eventID);
    if (args->dom) {
        reg.filtered = true;
        memcpy(reg.uuid, args->dom->uuid, MV_UUID_LEN);
    }
    pthread_mutex_lock(&ev.lock);
    if (ev.n == ev.cap) {
        size_t cap = ev.cap ? ev.cap * 2 : 32;
        struct registration *v = realloc(ev.regs, cap * sizeof(*v));

        if (!v) {
            pthread_mutex_unlock(&ev.lock);
            return -ENOMEM;
        }
        ev.regs = v;
        ev.cap = cap;
    }
    reg.callback_id = ev.next_callback_id++;
    reg.client = mv_client_ref(mv_call_client(call));
    ev.regs[ev.n++] = reg;
    pthread_mutex_unlock(&ev.lock);
    ret->callbackID = reg.callback_id;
    return 0;
}

static int deregister_any(struct mv_call *call, mv_connect_domain_event_callback_deregister_any_args *args,
                          void *ret)
{
    struct mv_client *client = mv_call_client(call);

    pthread_mutex_lock(&ev.lock);
    for (size_t i = 0; i < ev.n; i++) {
        if (ev.regs[i].client != client || ev.regs[i].callback_id != args->callbackID)
            continue;
        ev.regs[i] = ev.regs[--ev.n];
        pthread_mutex_unlock(&ev.lock);
        mv_client_unref(client);
        return 0;
    }
    pthread_mutex_unlock(&ev.lock);
    return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                         "invalid argument: domain event callback %d is not registered", args->callbackID);
}

static const struct mv_dispatch_entry event_procs[] = {
    MV_HANDLER(CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY, register_any),
    MV_HANDLER(CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY, deregister_any),
};
const struct mv_dispatch_table qemud_event_table = { event_procs, MV_ARRAY_SIZE(event_procs) };
