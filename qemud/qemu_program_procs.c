/*
 * libvirt's QEMU program in modvirt-qemud (wire-protocol.md 8.5):
 * DOMAIN_MONITOR_COMMAND, QEMU's monitor as a client types it (virsh
 * qemu-monitor-command: a QMP command in, QEMU's whole JSON reply out, or HMP
 * text through human-monitor-command), and the raw QMP events of
 * CONNECT_DOMAIN_MONITOR_EVENT_REGISTER (virsh qemu-monitor-event), each
 * event of a domain's monitor as QEMU sent it.  Commands take the domain's
 * job like every monitor user; events cost nothing while nobody listens.
 */
#define MV_LOG_MODULE "qemud.qemuprog"
#include <errno.h>
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cleanup.h"
#include "domain_job.h"
#include "domain_monitor.h"
#include "domain_wire.h"
#include "events.h"
#include "log.h"
#include "qemu_program.h"
#include "qemud.h"

/* The registrations of monitor events live in qemud.events with this event
 * id, beside the domain events (whose ids libvirt numbers from 0 up to
 * MV_DOMAIN_EVENT_ID_MAX): one registry, one close hook, one quota. */
#define MONITOR_EVENT_ID MV_EVENTS_OTHER_PROGRAM_ID

/* ---- DOMAIN_MONITOR_COMMAND ---- */

/* QMP: the client's command object sent as it is, QEMU's answer returned
 * whole, an "error" as much as a "return" (as libvirt does: the client
 * reads QEMU's own words). */
static int monitor_qmp(struct mv_call *call, struct qemud_dom *dom, const char *text, char **result)
{
    enum json_tokener_error jerr = json_tokener_success;
    json_object *cmd = json_tokener_parse_verbose(text, &jerr);
    struct mv_err err = { 0 };
    int r;

    if (!cmd || !json_object_is_type(cmd, json_type_object)) {
        json_object_put(cmd);
        return mv_call_error(call, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                             "internal error: cannot parse json %s: %s", text,
                             cmd ? "a QMP command is a JSON object" : json_tokener_error_desc(jerr));
    }
    r = qemud_monitor_command_raw(dom, cmd, result, &err);
    json_object_put(cmd);
    return r < 0 ? qemud_call_fail(call, &err) : 0;
}

/* HMP: human-monitor-command's text, as QEMU printed it. */
static int monitor_hmp(struct mv_call *call, struct qemud_dom *dom, const char *text, char **result)
{
    json_object *args = json_object_new_object();
    json_object *line = json_object_new_string(text);
    json_object *reply = NULL;
    struct mv_err err = { 0 };

    if (!args || !line || json_object_object_add(args, "command-line", line) < 0) {
        json_object_put(line);
        json_object_put(args);
        return -ENOMEM;
    }
    if (qemud_monitor_command(dom, "human-monitor-command", args, &reply, &err) < 0)
        return qemud_call_fail(call, &err);
    *result = strdup(json_object_is_type(reply, json_type_string) ? json_object_get_string(reply) : "");
    json_object_put(reply);
    return *result ? 0 : -ENOMEM;
}

static int monitor_command(struct mv_call *call, mv_qemu_domain_monitor_command_args *args,
                           mv_qemu_domain_monitor_command_ret *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    struct mv_err err = { 0 };
    bool active;
    int r;

    if (args->flags & ~(unsigned int)MV_QEMU_MONITOR_COMMAND_HMP)
        return qemud_bad_flags(call, args->flags, "virDomainQemuMonitorCommand");
    if (!(dom = qemud_dom_from_wire(call, &args->dom)))
        return -EIO;
    if (qemud_job_begin(dom, "qemu-monitor-command", (int)qemud.job_wait_ms, &err) < 0)
        return qemud_call_fail(call, &err);
    pthread_mutex_lock(&dom->lock);
    active = qemud_dom_is_active(dom);
    pthread_mutex_unlock(&dom->lock);
    if (!active)
        r = qemud_error_not_running(call, dom);
    else if (args->flags & MV_QEMU_MONITOR_COMMAND_HMP)
        r = monitor_hmp(call, dom, args->cmd, &ret->result);
    else
        r = monitor_qmp(call, dom, args->cmd, &ret->result);
    qemud_job_end(dom);
    return r;
}

/* Files passed with a command (add-fd, getfd) would need SCM_RIGHTS, which
 * no modvirt socket carries (feature 8 is 0); virsh sends this procedure
 * only for --pass-fds, and as CALL_WITH_FDS the server refuses it before
 * it gets here. */
static int monitor_command_with_files(struct mv_call *call, mv_qemu_domain_monitor_command_args *args,
                                      mv_qemu_domain_monitor_command_ret *ret)
{
    return mv_call_error(call, MV_ERR_NO_SUPPORT, MV_FROM_QEMU,
                         "this function is not supported by the connection driver: "
                         "virDomainQemuMonitorCommandWithFiles (modvirt passes no file descriptors)");
}

/* Adopting a QEMU started by hand is deprecated in libvirt and not offered. */
static int domain_attach(struct mv_call *call, mv_qemu_domain_attach_args *args, mv_qemu_domain_attach_ret *ret)
{
    return mv_call_error(call, MV_ERR_NO_SUPPORT, MV_FROM_QEMU,
                         "this function is not supported by the connection driver: virDomainQemuAttach "
                         "(modvirt-qemud adopts only the QEMU processes it started)");
}

/* ---- monitor events ---- */

/* Which events one registration wants: all (no name), one name (NOCASE:
 * in any case), or those a regular expression finds (REGEX). */
struct event_filter {
    bool is_regex;
    bool nocase;
    regex_t re;
    char name[];
};

static void filter_free(void *data)
{
    struct event_filter *f = data;

    if (f && f->is_regex)
        regfree(&f->re);
    free(f);
}

static bool filter_match(const void *data, const char *event)
{
    const struct event_filter *f = data;

    if (f->is_regex)
        return regexec(&f->re, event, 0, NULL, 0) == 0;
    return f->nocase ? strcasecmp(f->name, event) == 0 : strcmp(f->name, event) == 0;
}

static int filter_new(struct mv_call *call, const char *event, unsigned int flags, struct event_filter **ret)
{
    struct event_filter *f = calloc(1, sizeof(*f) + strlen(event) + 1);
    char msg[256];
    int r;

    if (!f)
        return -ENOMEM;
    strcpy(f->name, event);
    f->nocase = flags & MV_QEMU_MONITOR_EVENT_NOCASE;
    if (flags & MV_QEMU_MONITOR_EVENT_REGEX) {
        r = regcomp(&f->re, event, REG_EXTENDED | REG_NOSUB | (f->nocase ? REG_ICASE : 0));
        if (r != 0) {
            regerror(r, &f->re, msg, sizeof(msg));
            free(f);
            return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                                 "invalid argument: failed to compile regex '%s': %s", event, msg);
        }
        f->is_regex = true;
    }
    *ret = f;
    return 0;
}

static int event_register(struct mv_call *call, mv_qemu_connect_domain_monitor_event_register_args *args,
                          mv_qemu_connect_domain_monitor_event_register_ret *ret)
{
    const unsigned int known = MV_QEMU_MONITOR_EVENT_REGEX | MV_QEMU_MONITOR_EVENT_NOCASE;
    struct mv_events_match match = { .match = filter_match, .free = filter_free };
    struct event_filter *f = NULL;
    int r;

    if (args->flags & ~known)
        return qemud_bad_flags(call, args->flags, "virConnectDomainQemuMonitorEventRegister");
    if (args->event && (r = filter_new(call, *args->event, args->flags, &f)) < 0)
        return r;
    match.data = f;
    r = mv_events_register_match(qemud.events, mv_call_client(call), MONITOR_EVENT_ID,
                                 args->dom ? args->dom->uuid : NULL, args->dom ? MV_UUID_LEN : 0,
                                 f ? &match : NULL);
    if (r == -EDQUOT)
        return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                             "operation failed: this connection already has %d event registrations, "
                             "the most one connection may hold", MV_EVENTS_PER_CLIENT_MAX);
    if (r < 0)
        return r;
    ret->callbackID = r;
    return 0;
}

static int event_deregister(struct mv_call *call, mv_qemu_connect_domain_monitor_event_deregister_args *args,
                            void *ret)
{
    return mv_events_deregister_call(qemud.events, call, MV_FROM_QEMU, args->callbackID, MONITOR_EVENT_ID);
}

/* Monitor thread, for every QMP event of every domain: the event as QEMU
 * sent it, to whoever registered for it (nothing is encoded without one). */
static void on_any_event(struct qemud_dom *dom, uint64_t gen, const char *name, json_object *data,
                         long long seconds, unsigned int micros)
{
    mv_qemu_domain_monitor_event_msg msg = {
        .event = (char *)name, .seconds = seconds, .micros = micros,
    };
    char *details = data ? (char *)json_object_to_json_string_ext(data, JSON_C_TO_STRING_PLAIN) : NULL;

    (void)gen;
    msg.dom.name = dom->name;       /* borrowed: encoded before we return */
    memcpy(msg.dom.uuid, dom->uuid, MV_UUID_LEN);
    pthread_mutex_lock(&dom->lock);
    msg.dom.id = dom->id;
    pthread_mutex_unlock(&dom->lock);
    msg.details = details ? &details : NULL;
    mv_events_emit_program(qemud.events, MV_QEMU_PROGRAM, MONITOR_EVENT_ID, dom->uuid, MV_UUID_LEN, name,
                           MV_QEMU_PROC_DOMAIN_MONITOR_EVENT, (xdrproc_t)xdr_mv_qemu_domain_monitor_event_msg,
                           &msg);
}

int qemud_qemu_program_init(void)
{
    return qemud_monitor_on_any_event(on_any_event);
}

static const struct mv_dispatch_entry qemu_program_procs[] = {
    MV_QEMU_HANDLER(DOMAIN_MONITOR_COMMAND, monitor_command),
    MV_QEMU_HANDLER(DOMAIN_MONITOR_COMMAND_WITH_FILES, monitor_command_with_files),
    MV_QEMU_HANDLER(DOMAIN_ATTACH, domain_attach),
    MV_QEMU_HANDLER(CONNECT_DOMAIN_MONITOR_EVENT_REGISTER, event_register),
    MV_QEMU_HANDLER(CONNECT_DOMAIN_MONITOR_EVENT_DEREGISTER, event_deregister),
    /* DOMAIN_AGENT_COMMAND: agent_procs.c's table (MV_QEMU_HANDLER) */
};
const struct mv_dispatch_table qemud_qemu_program_table = {
    qemu_program_procs, MV_ARRAY_SIZE(qemu_program_procs),
};
