/*
 * libmodvirt through its public API against a fake daemon: a thread that
 * listens on sockets under a private root (as "modvirt-qemud --root" lays
 * them out), speaks the real codec and records which procedures arrive on
 * which socket.  Covers URI handling, socket choice, the handshake, lazy
 * opening, routing and error reporting; domain lookups (virsh's id, UUID,
 * name order), lifecycle and queries against a small table of fake domains;
 * event decoding from MESSAGE packets; console streams; and the network
 * calls (routed to netd-sock) against two fake networks; the node device
 * calls and events (routed to nodedevd-sock) against three fake devices.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "cleanup.h"
#include "client/modvirt.h"
#include "remote_protocol.h"
#include "rpc/error.h"
#include "rpc/message.h"

#define FAKE_SOCKETS 5
#define FAKE_DOMAINS 4

/* A domain the fake daemon knows.  "vm-gone" is listed but vanishes before
 * DOMAIN_GET_STATE; "7" has a name that looks like an id. */
struct fake_dom {
    const char *name;
    unsigned char uuid_byte;    /* all 16 bytes */
    int id;
    int state, reason;
    int autostart;
};

static const struct fake_dom fake_doms_init[FAKE_DOMAINS] = {
    { "vm-a", 0x11, 3, 1, 1, 0 },
    { "vm-b", 0x22, -1, 5, 2, 0 },
    { "7", 0x33, -1, 5, 0, 0 },
    { "vm-gone", 0x44, -1, 5, 0, 0 },
};

/* What the fake console does. */
enum fake_console {
    CONSOLE_ECHO,               /* greets, echoes input, confirms finish */
    CONSOLE_EOF,                /* greets, then end of file after the first input */
    CONSOLE_FAIL,               /* greets, then fails the stream */
};

struct fake {
    char root[64];
    char paths[FAKE_SOCKETS][192];
    int lfd[FAKE_SOCKETS];
    int stop[2];
    pthread_t thread;
    /* behaviour */
    int auth;
    bool polkit_deny;
    bool fail_nodeinfo;
    int hangup_at;              /* drop the connection at this hostname call, unanswered */
    int hostnames;
    bool hangup_after_events;   /* drop the connection after sending the events */
    enum fake_console console;
    struct fake_dom doms[FAKE_DOMAINS];
    unsigned int console_serial;
    /* what arrived */
    pthread_mutex_t lock;
    char log[4096];
    char open_name[64];
    unsigned int open_flags;
    unsigned int list_flags;
    unsigned int last_flags;    /* of the last domain call that has flags */
    char last_dom[32];          /* the domain the last domain call named */
    char defined_xml[64];
    int registered[4];          /* event ids registered, in order */
    int nregistered;
    int deregistered[4];        /* callback ids deregistered, in order */
    int nderegistered;
    char console_in[64];        /* what the console received */
    bool console_dev_given;
    unsigned int console_flags;
    /* the network calls */
    unsigned int net_flags;     /* of the last network call that has flags */
    char net_mac[32];           /* the lease filter, "(null)" if none */
    mv_network_update_args update;  /* the last NETWORK_UPDATE, without its strings */
    char update_xml[96];
    /* the node device calls */
    unsigned int dev_flags;     /* of the last call that has flags */
    int dev_maxnames;           /* of the last LIST_CAPS */
    char dev_driver[16];        /* of the last DETACH_FLAGS, "(null)" if none */
    char dev_last[32];          /* the device the last call named */
};

static const char *const sock_names[FAKE_SOCKETS] = { "qemud-sock", "qemud-sock-ro", "other-sock",
                                                              "netd-sock", "nodedevd-sock" };

static void logf_(struct fake *f, const char *sock, int proc)
{
    size_t len;

    pthread_mutex_lock(&f->lock);
    len = strlen(f->log);
    snprintf(f->log + len, sizeof(f->log) - len, "%s:%d ", sock, proc);
    pthread_mutex_unlock(&f->lock);
}

static void send_reply(int fd, const struct mv_msg *call, xdrproc_t filter, const void *data)
{
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    struct mv_message_header h = call->hdr;

    h.type = MV_REPLY;
    ck_assert_int_eq(mv_msg_encode(m, &h, filter, data), 0);
    ck_assert_int_eq(mv_msg_write(fd, m), 1);
}

static void send_error(int fd, const struct mv_msg *call, int code, int domain, const char *text)
{
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    struct mv_message_header h = call->hdr;
    struct mv_err e = { 0 };
    mv_error wire;

    h.type = MV_REPLY;
    h.status = MV_ERROR;
    mv_err_set(&e, code, domain, "%s", text);
    mv_err_to_wire(&e, &wire);
    ck_assert_int_eq(mv_msg_encode(m, &h, (xdrproc_t)xdr_mv_error, &wire), 0);
    ck_assert_int_eq(mv_msg_write(fd, m), 1);
    mv_err_clear(&e);
}

static void reply_string(int fd, const struct mv_msg *call, const char *s)
{
    char *v = (char *)s;

    /* every string-only reply struct has the layout of one nonnull string */
    send_reply(fd, call, (xdrproc_t)xdr_mv_nonnull_string, &v);
}

static void handle_open(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_connect_open_args args = { 0 };

    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_connect_open_args, &args), 0);
    pthread_mutex_lock(&f->lock);
    snprintf(f->open_name, sizeof(f->open_name), "%s", args.name ? *args.name : "(null)");
    f->open_flags = args.flags;
    pthread_mutex_unlock(&f->lock);
    xdr_free((xdrproc_t)xdr_mv_connect_open_args, (char *)&args);
    send_reply(fd, call, NULL, NULL);
}

static void handle_node_info(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_node_get_info_ret ret = {
        .memory = 2048, .cpus = 4, .mhz = 1000, .nodes = 1, .sockets = 1, .cores = 2, .threads = 2,
    };

    if (f->fail_nodeinfo) {
        send_error(fd, call, 1, 10, "internal error: no /proc here");
        return;
    }
    /* all 32 characters used: no NUL on the wire */
    memset(ret.model, 'x', sizeof(ret.model));
    send_reply(fd, call, (xdrproc_t)xdr_mv_node_get_info_ret, &ret);
}

static void handle_list(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_connect_list_all_domains_args args = { 0 };
    mv_nonnull_domain doms[3] = {
        { .name = (char *)"vm-b", .id = -1 },
        { .name = (char *)"vm-a", .id = 3 },
        { .name = (char *)"vm-gone", .id = -1 },
    };
    mv_connect_list_all_domains_ret ret = { .domains = { 3, doms }, .ret = 3 };

    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_connect_list_all_domains_args, &args), 0);
    ck_assert_int_eq(args.need_results, 1);
    f->list_flags = args.flags;
    memset(doms[0].uuid, 0x22, 16);
    memset(doms[1].uuid, 0x11, 16);
    memset(doms[2].uuid, 0x44, 16);
    send_reply(fd, call, (xdrproc_t)xdr_mv_connect_list_all_domains_ret, &ret);
}

static void handle_auth(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_auth_type types[1] = { f->auth };
    mv_auth_list_ret list = { .types = { 1, types } };
    mv_auth_polkit_ret polkit = { .complete = 1 };

    if (call->hdr.proc == MV_PROC_AUTH_LIST)
        send_reply(fd, call, (xdrproc_t)xdr_mv_auth_list_ret, &list);
    else if (f->polkit_deny)
        send_error(fd, call, 45, 60, "authentication failed: access denied by policy");
    else
        send_reply(fd, call, (xdrproc_t)xdr_mv_auth_polkit_ret, &polkit);
}

/* ---- the fake's domains ---- */

static void dom_to_wire(const struct fake_dom *d, mv_nonnull_domain *w)
{
    w->name = (char *)d->name;
    memset(w->uuid, d->uuid_byte, sizeof(w->uuid));
    w->id = d->id;
}

static struct fake_dom *dom_by_name(struct fake *f, const char *name)
{
    for (int i = 0; i < FAKE_DOMAINS; i++)
        if (strcmp(f->doms[i].name, name) == 0 && strcmp(name, "vm-gone") != 0)
            return &f->doms[i];
    return NULL;
}

static void reply_dom(int fd, const struct mv_msg *call, const struct fake_dom *d)
{
    mv_nonnull_domain w;

    dom_to_wire(d, &w);
    /* every lookup/define/create reply is one nonnull domain */
    send_reply(fd, call, (xdrproc_t)xdr_mv_nonnull_domain, &w);
}

static void no_domain(int fd, const struct mv_msg *call, const char *how, const char *what)
{
    char msg[128];

    snprintf(msg, sizeof(msg), "Domain not found: no domain with matching %s '%s'", how, what);
    send_error(fd, call, 42, 10, msg);
}

static void handle_lookup(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_domain_lookup_by_name_args byname = { 0 };
    mv_domain_lookup_by_uuid_args byuuid;
    mv_domain_lookup_by_id_args byid;
    char what[16];

    if (call->hdr.proc == MV_PROC_DOMAIN_LOOKUP_BY_NAME) {
        struct fake_dom *d;

        ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_domain_lookup_by_name_args, &byname), 0);
        d = dom_by_name(f, byname.name);
        if (d)
            reply_dom(fd, call, d);
        else
            no_domain(fd, call, "name", byname.name);
        xdr_free((xdrproc_t)xdr_mv_domain_lookup_by_name_args, (char *)&byname);
        return;
    }
    if (call->hdr.proc == MV_PROC_DOMAIN_LOOKUP_BY_UUID) {
        ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_domain_lookup_by_uuid_args, &byuuid), 0);
        for (int i = 0; i < FAKE_DOMAINS; i++)
            if ((unsigned char)byuuid.uuid[0] == f->doms[i].uuid_byte) {
                reply_dom(fd, call, &f->doms[i]);
                return;
            }
        no_domain(fd, call, "uuid", "?");
        return;
    }
    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_domain_lookup_by_id_args, &byid), 0);
    /* id 9 stands for a daemon failing: that must not fall through to a name */
    if (byid.id == 9) {
        send_error(fd, call, 1, 10, "internal error: lookup broke");
        return;
    }
    for (int i = 0; i < FAKE_DOMAINS; i++)
        if (f->doms[i].id >= 0 && f->doms[i].id == byid.id) {
            reply_dom(fd, call, &f->doms[i]);
            return;
        }
    snprintf(what, sizeof(what), "%d", byid.id);
    no_domain(fd, call, "id", what);
}

static void handle_define(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_domain_define_xml_flags_args args = { 0 };
    static const struct fake_dom created = { "vm-new", 0x55, -1, 5, 0, 0 };

    if (call->hdr.proc == MV_PROC_DOMAIN_DEFINE_XML) {
        ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_domain_define_xml_args, &args), 0);
        f->last_flags = 0;
        snprintf(f->defined_xml, sizeof(f->defined_xml), "%s", args.xml);
        xdr_free((xdrproc_t)xdr_mv_domain_define_xml_args, (char *)&args);
    } else {
        ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_domain_define_xml_flags_args, &args), 0);
        f->last_flags = args.flags;
        snprintf(f->defined_xml, sizeof(f->defined_xml), "%s", args.xml);
        xdr_free((xdrproc_t)xdr_mv_domain_define_xml_flags_args, (char *)&args);
    }
    reply_dom(fd, call, &created);
}

/* The domain named by a call with (dom) or (dom, flags) arguments. */
static struct fake_dom *call_dom(struct fake *f, const struct mv_msg *call, bool with_flags)
{
    mv_domain_flags_args args;
    struct fake_dom *d = NULL;

    memset(&args, 0, sizeof(args));
    if (with_flags) {
        ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_domain_flags_args, &args), 0);
        f->last_flags = args.flags;
    } else {
        ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_domain_args, &args), 0);
    }
    snprintf(f->last_dom, sizeof(f->last_dom), "%s", args.dom.name);
    for (int i = 0; i < FAKE_DOMAINS; i++)
        if (strcmp(f->doms[i].name, args.dom.name) == 0 &&
            (unsigned char)args.dom.uuid[0] == f->doms[i].uuid_byte && strcmp(args.dom.name, "vm-gone"))
            d = &f->doms[i];
    xdr_free((xdrproc_t)xdr_mv_domain_flags_args, (char *)&args);
    return d;
}

static bool proc_has_flags(int proc)
{
    switch (proc) {
    case MV_PROC_DOMAIN_CREATE_WITH_FLAGS:
    case MV_PROC_DOMAIN_DESTROY_FLAGS:
    case MV_PROC_DOMAIN_SHUTDOWN_FLAGS:
    case MV_PROC_DOMAIN_REBOOT:
    case MV_PROC_DOMAIN_RESET:
    case MV_PROC_DOMAIN_UNDEFINE_FLAGS:
    case MV_PROC_DOMAIN_GET_STATE:
    case MV_PROC_DOMAIN_GET_XML_DESC:
    case MV_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE:
    case MV_PROC_DOMAIN_GET_MESSAGES:
        return true;
    default:
        return false;
    }
}

/* Answers the queries of a known domain. */
static void handle_query(int fd, const struct mv_msg *call, struct fake_dom *d)
{
    mv_domain_get_state_ret state = { .state = d->state, .reason = d->reason };
    mv_domain_get_info_ret info = { .state = 1, .maxMem = 1048576, .memory = 524288,
                                    .nrVirtCpu = 2, .cpuTime = 1500000000ULL };
    mv_domain_get_autostart_ret autostart = { .autostart = d->autostart };
    mv_domain_is_active_ret active = { .active = d->id >= 0 };
    mv_domain_has_managed_save_image_ret saved = { .result = 0 };
    char label[] = "system_u:system_r:svirt_t:s0:c1,c2";
    mv_domain_get_security_label_ret seclabel = { .label = { sizeof(label), label }, .enforcing = 1 };
    char *msgs[] = { (char *)"tainted: custom-argv" };
    mv_domain_get_messages_ret messages = { .msgs = { 1, msgs } };

    switch (call->hdr.proc) {
    case MV_PROC_DOMAIN_GET_STATE:
        send_reply(fd, call, (xdrproc_t)xdr_mv_domain_get_state_ret, &state);
        break;
    case MV_PROC_DOMAIN_GET_INFO:
        send_reply(fd, call, (xdrproc_t)xdr_mv_domain_get_info_ret, &info);
        break;
    case MV_PROC_DOMAIN_GET_XML_DESC: reply_string(fd, call, "<domain type='kvm'/>"); break;
    case MV_PROC_DOMAIN_GET_OS_TYPE: reply_string(fd, call, "hvm"); break;
    case MV_PROC_DOMAIN_GET_AUTOSTART:
        send_reply(fd, call, (xdrproc_t)xdr_mv_domain_get_autostart_ret, &autostart);
        break;
    case MV_PROC_DOMAIN_IS_ACTIVE:
        send_reply(fd, call, (xdrproc_t)xdr_mv_domain_is_active_ret, &active);
        break;
    case MV_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE:
        send_reply(fd, call, (xdrproc_t)xdr_mv_domain_has_managed_save_image_ret, &saved);
        break;
    case MV_PROC_DOMAIN_GET_SECURITY_LABEL:
        send_reply(fd, call, (xdrproc_t)xdr_mv_domain_get_security_label_ret, &seclabel);
        break;
    case MV_PROC_DOMAIN_GET_MESSAGES:
        send_reply(fd, call, (xdrproc_t)xdr_mv_domain_get_messages_ret, &messages);
        break;
    default:
        send_error(fd, call, 39, 7, "unknown procedure");
        break;
    }
}

/* Lifecycle calls change the fake's table as the daemon would. */
static void handle_domain(struct fake *f, int fd, const struct mv_msg *call)
{
    int proc = call->hdr.proc;
    struct fake_dom *d = call_dom(f, call, proc_has_flags(proc));
    mv_domain_create_with_flags_ret created;

    if (!d) {
        no_domain(fd, call, "name", f->last_dom);
        return;
    }
    switch (proc) {
    case MV_PROC_DOMAIN_CREATE:
        d->id = 5;
        d->state = 1;
        send_reply(fd, call, NULL, NULL);
        break;
    case MV_PROC_DOMAIN_CREATE_WITH_FLAGS:
        d->id = 6;
        d->state = 3;
        dom_to_wire(d, &created.dom);
        send_reply(fd, call, (xdrproc_t)xdr_mv_domain_create_with_flags_ret, &created);
        break;
    case MV_PROC_DOMAIN_DESTROY:
    case MV_PROC_DOMAIN_DESTROY_FLAGS:
        d->id = -1;
        d->state = 5;
        send_reply(fd, call, NULL, NULL);
        break;
    case MV_PROC_DOMAIN_SUSPEND:
    case MV_PROC_DOMAIN_RESUME:
    case MV_PROC_DOMAIN_SHUTDOWN:
    case MV_PROC_DOMAIN_SHUTDOWN_FLAGS:
    case MV_PROC_DOMAIN_REBOOT:
    case MV_PROC_DOMAIN_RESET:
        if (d->id < 0)
            send_error(fd, call, 55, 10, "Requested operation is not valid: domain is not running");
        else
            send_reply(fd, call, NULL, NULL);
        break;
    case MV_PROC_DOMAIN_UNDEFINE:
    case MV_PROC_DOMAIN_UNDEFINE_FLAGS:
        send_reply(fd, call, NULL, NULL);
        break;
    default:
        handle_query(fd, call, d);
        break;
    }
}

static void handle_set_autostart(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_domain_set_autostart_args args = { 0 };
    struct fake_dom *d;

    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_domain_set_autostart_args, &args), 0);
    d = dom_by_name(f, args.dom.name);
    ck_assert_ptr_nonnull(d);
    d->autostart = args.autostart;
    xdr_free((xdrproc_t)xdr_mv_domain_set_autostart_args, (char *)&args);
    send_reply(fd, call, NULL, NULL);
}

static void handle_security_model(int fd, const struct mv_msg *call)
{
    char model[] = "selinux", doi[] = "0";
    mv_node_get_security_model_ret ret = { .model = { sizeof(model), model }, .doi = { sizeof(doi), doi } };

    send_reply(fd, call, (xdrproc_t)xdr_mv_node_get_security_model_ret, &ret);
}

/* ---- the fake's events ---- */

static void send_event(int fd, int proc, xdrproc_t filter, const void *body)
{
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    struct mv_message_header h = {
        .prog = MV_REMOTE_PROGRAM, .vers = 1, .proc = proc, .type = MV_MESSAGE, .serial = 1,
        .status = MV_OK,
    };

    if (filter)
        ck_assert_int_eq(mv_msg_encode(m, &h, filter, body), 0);
    else
        ck_assert_int_eq(mv_msg_encode_raw(m, &h, body, strlen(body)), 0);
    ck_assert_int_eq(mv_msg_write(fd, m), 1);
}

/* After the last registration: a lifecycle event, one that does not decode,
 * one of a kind we did not ask for, and a reboot. */
static void send_events(struct fake *f, int fd)
{
    mv_domain_event_callback_lifecycle_msg life = { .callbackID = 100, .msg = { .event = 2, .detail = 0 } };
    mv_domain_event_callback_reboot_msg reboot = { .callbackID = 101 };

    dom_to_wire(&f->doms[0], &life.msg.dom);
    dom_to_wire(&f->doms[0], &reboot.msg.dom);
    send_event(fd, MV_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE, (xdrproc_t)xdr_mv_domain_event_callback_lifecycle_msg, &life);
    send_event(fd, MV_PROC_DOMAIN_EVENT_CALLBACK_LIFECYCLE, NULL, "junk");
    send_event(fd, 320, NULL, "rtc");
    send_event(fd, MV_PROC_DOMAIN_EVENT_CALLBACK_REBOOT, (xdrproc_t)xdr_mv_domain_event_callback_reboot_msg, &reboot);
}

/* Returns false to drop the connection. */
static bool handle_events(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_connect_domain_event_callback_register_any_args reg = { 0 };
    mv_connect_domain_event_callback_register_any_ret ret;
    mv_connect_domain_event_callback_deregister_any_args dereg;

    if (call->hdr.proc == MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY) {
        ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_connect_domain_event_callback_deregister_any_args, &dereg), 0);
        f->deregistered[f->nderegistered++] = dereg.callbackID;
        send_reply(fd, call, NULL, NULL);
        return true;
    }
    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_args, &reg), 0);
    ck_assert_ptr_null(reg.dom);        /* all domains */
    f->registered[f->nregistered++] = reg.eventID;
    ret.callbackID = 100 + reg.eventID;
    send_reply(fd, call, (xdrproc_t)xdr_mv_connect_domain_event_callback_register_any_ret, &ret);
    if (reg.eventID != MODVIRT_DOMAIN_EVENT_ID_REBOOT)
        return true;
    send_events(f, fd);
    return !f->hangup_after_events;
}

/* ---- the fake's console ---- */

static void send_stream(struct fake *f, int fd, int status, const void *data, size_t len)
{
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    struct mv_message_header h = {
        .prog = MV_REMOTE_PROGRAM, .vers = 1, .proc = MV_PROC_DOMAIN_OPEN_CONSOLE,
        .type = MV_STREAM, .serial = f->console_serial, .status = status,
    };

    ck_assert_int_eq(mv_msg_encode_raw(m, &h, data, len), 0);
    ck_assert_int_eq(mv_msg_write(fd, m), 1);
}

static void send_stream_error(struct fake *f, int fd)
{
    _cleanup_msg_ struct mv_msg *m = mv_msg_new();
    struct mv_message_header h = {
        .prog = MV_REMOTE_PROGRAM, .vers = 1, .proc = MV_PROC_DOMAIN_OPEN_CONSOLE,
        .type = MV_STREAM, .serial = f->console_serial, .status = MV_ERROR,
    };
    struct mv_err e = { 0 };
    mv_error wire;

    mv_err_set(&e, 39, 38, "stream had unexpected termination");
    mv_err_to_wire(&e, &wire);
    ck_assert_int_eq(mv_msg_encode(m, &h, (xdrproc_t)xdr_mv_error, &wire), 0);
    ck_assert_int_eq(mv_msg_write(fd, m), 1);
    mv_err_clear(&e);
}

static void handle_console_open(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_domain_open_console_args args = { 0 };

    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_domain_open_console_args, &args), 0);
    f->console_dev_given = args.dev_name != NULL;
    f->console_flags = args.flags;
    snprintf(f->last_dom, sizeof(f->last_dom), "%s", args.dom.name);
    xdr_free((xdrproc_t)xdr_mv_domain_open_console_args, (char *)&args);
    f->console_serial = call->hdr.serial;
    send_reply(fd, call, NULL, NULL);
    send_stream(f, fd, MV_CONTINUE, "login: ", 7);
}

/* Client stream packets: data, finish (OK) or abort (ERROR). */
static void handle_console_packet(struct fake *f, int fd, const struct mv_msg *m)
{
    size_t len, have = strlen(f->console_in);
    const char *data = mv_msg_payload(m, &len);
    char echo[80];

    ck_assert_uint_eq(m->hdr.serial, f->console_serial);
    if (m->hdr.status != MV_CONTINUE) {
        /* finish and abort are both confirmed with OK */
        send_stream(f, fd, MV_OK, NULL, 0);
        return;
    }
    snprintf(f->console_in + have, sizeof(f->console_in) - have, "%.*s", (int)len, data);
    if (f->console == CONSOLE_EOF) {
        send_stream(f, fd, MV_CONTINUE, NULL, 0);
    } else if (f->console == CONSOLE_FAIL) {
        send_stream_error(f, fd);
    } else {
        snprintf(echo, sizeof(echo), "echo:%.*s", (int)len, data);
        send_stream(f, fd, MV_CONTINUE, echo, strlen(echo));
    }
}

/* Answers one call; false once the client said CONNECT_CLOSE. */
/* ---- the fake's networks ---- */

/* "net-a" runs on br-a; "net-b" is inactive; a name that looks like a UUID
 * is tried by UUID first, as virsh does. */
struct fake_net {
    const char *name;
    unsigned char uuid_byte;
    int active;
};

static const struct fake_net fake_nets[] = {
    { "net-a", 0x55, 1 },
    { "net-b", 0x66, 0 },
    { "77777777-7777-7777-7777-777777777777", 0x88, 0 },
};

static void reply_net(int fd, const struct mv_msg *call, const struct fake_net *n)
{
    mv_nonnull_network w = { .name = (char *)n->name };

    memset(w.uuid, n->uuid_byte, sizeof(w.uuid));
    /* every lookup/define reply is one nonnull network */
    send_reply(fd, call, (xdrproc_t)xdr_mv_nonnull_network, &w);
}

static void handle_net_lookup(int fd, const struct mv_msg *call)
{
    mv_network_lookup_by_name_args byname = { 0 };
    mv_network_lookup_by_uuid_args byuuid;

    if (call->hdr.proc == MV_PROC_NETWORK_LOOKUP_BY_UUID) {
        ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_network_lookup_by_uuid_args, &byuuid), 0);
        for (size_t i = 0; i < MV_ARRAY_SIZE(fake_nets); i++)
            if ((unsigned char)byuuid.uuid[0] == fake_nets[i].uuid_byte) {
                reply_net(fd, call, &fake_nets[i]);
                return;
            }
        send_error(fd, call, 43, 19, "Network not found: no network with matching uuid");
        return;
    }
    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_network_lookup_by_name_args, &byname), 0);
    for (size_t i = 0; i < MV_ARRAY_SIZE(fake_nets); i++)
        if (strcmp(fake_nets[i].name, byname.name) == 0) {
            reply_net(fd, call, &fake_nets[i]);
            xdr_free((xdrproc_t)xdr_mv_network_lookup_by_name_args, (char *)&byname);
            return;
        }
    send_error(fd, call, 43, 19, "Network not found: no network with matching name");
    xdr_free((xdrproc_t)xdr_mv_network_lookup_by_name_args, (char *)&byname);
}

static void handle_net_list(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_connect_list_all_networks_args args = { 0 };
    mv_nonnull_network nets[2] = { { .name = (char *)"net-b" }, { .name = (char *)"net-a" } };
    mv_connect_list_all_networks_ret ret = { .nets = { 2, nets }, .ret = 2 };

    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_connect_list_all_networks_args, &args), 0);
    ck_assert_int_eq(args.need_results, 1);
    f->net_flags = args.flags;
    memset(nets[0].uuid, 0x66, 16);
    memset(nets[1].uuid, 0x55, 16);
    send_reply(fd, call, (xdrproc_t)xdr_mv_connect_list_all_networks_ret, &ret);
}

/* Two leases: a full IPv4 one and an IPv6 one without MAC or hostname. */
static void handle_net_leases(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_network_get_dhcp_leases_args args;
    char *mac = (char *)"52:54:00:aa:bb:cc", *host = (char *)"guest1", *cid = (char *)"01:52:54:00:aa:bb:cc";
    char *iaid = (char *)"1234", *duid = (char *)"00:01:00:01";
    mv_network_dhcp_lease leases[2] = {
        { .iface = (char *)"br-a", .expirytime = 1700000000, .type = 0, .mac = &mac,
          .ipaddr = (char *)"192.168.150.10", .prefix = 24, .hostname = &host, .clientid = &cid },
        { .iface = (char *)"br-a", .expirytime = 1700000001, .type = 1, .iaid = &iaid,
          .ipaddr = (char *)"fd00::10", .prefix = 64, .clientid = &duid },
    };
    mv_network_get_dhcp_leases_ret ret = { .leases = { 2, leases }, .ret = 2 };

    memset(&args, 0, sizeof(args));
    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_network_get_dhcp_leases_args, &args), 0);
    ck_assert_int_eq(args.need_results, 1);
    snprintf(f->net_mac, sizeof(f->net_mac), "%s", args.mac ? *args.mac : "(null)");
    xdr_free((xdrproc_t)xdr_mv_network_get_dhcp_leases_args, (char *)&args);
    send_reply(fd, call, (xdrproc_t)xdr_mv_network_get_dhcp_leases_ret, &ret);
}

static void handle_net_update(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_network_update_args args;

    memset(&args, 0, sizeof(args));
    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_network_update_args, &args), 0);
    snprintf(f->update_xml, sizeof(f->update_xml), "%s", args.xml);
    f->update = args;
    /* the strings go with the arguments: only the numbers are kept */
    f->update.net.name = f->update.xml = NULL;
    xdr_free((xdrproc_t)xdr_mv_network_update_args, (char *)&args);
    send_reply(fd, call, NULL, NULL);
}

/* The calls taking a network (and flags) that answer with a value. */
static void handle_net_query(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_network_get_xml_desc_args args;
    mv_network_is_active_ret active = { 1 };
    mv_network_get_autostart_ret autostart = { 1 };

    switch (call->hdr.proc) {
    case MV_PROC_NETWORK_GET_XML_DESC:
        memset(&args, 0, sizeof(args));
        ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_network_get_xml_desc_args, &args), 0);
        f->net_flags = args.flags;
        xdr_free((xdrproc_t)xdr_mv_network_get_xml_desc_args, (char *)&args);
        reply_string(fd, call, "<network><name>net-a</name></network>");
        break;
    case MV_PROC_NETWORK_GET_BRIDGE_NAME: reply_string(fd, call, "br-a"); break;
    case MV_PROC_NETWORK_IS_ACTIVE:
        send_reply(fd, call, (xdrproc_t)xdr_mv_network_is_active_ret, &active);
        break;
    case MV_PROC_NETWORK_GET_AUTOSTART:
        send_reply(fd, call, (xdrproc_t)xdr_mv_network_get_autostart_ret, &autostart);
        break;
    case MV_PROC_NETWORK_DEFINE_XML:
    case MV_PROC_NETWORK_DEFINE_XML_FLAGS: reply_net(fd, call, &fake_nets[1]); break;
    default:
        /* create, destroy, undefine, set autostart: logged, nothing to say */
        send_reply(fd, call, NULL, NULL);
        break;
    }
}

/* Registration answers callback id 200, then a Started event for net-a,
 * one whose body does not decode, and an Undefined one for net-b. */
static void handle_net_events(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_connect_network_event_register_any_args reg = { 0 };
    mv_connect_network_event_register_any_ret ret = { .callbackID = 200 };
    mv_connect_network_event_deregister_any_args dereg;
    mv_network_event_lifecycle_msg ev = { .callbackID = 200, .net = { .name = (char *)"net-a" }, .event = 2 };

    if (call->hdr.proc == MV_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY) {
        ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_connect_network_event_deregister_any_args, &dereg), 0);
        f->deregistered[f->nderegistered++] = dereg.callbackID;
        send_reply(fd, call, NULL, NULL);
        return;
    }
    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_connect_network_event_register_any_args, &reg), 0);
    ck_assert_ptr_null(reg.net);        /* all networks */
    f->registered[f->nregistered++] = reg.eventID;
    send_reply(fd, call, (xdrproc_t)xdr_mv_connect_network_event_register_any_ret, &ret);
    memset(ev.net.uuid, 0x55, 16);
    send_event(fd, MV_PROC_NETWORK_EVENT_LIFECYCLE, (xdrproc_t)xdr_mv_network_event_lifecycle_msg, &ev);
    send_event(fd, MV_PROC_NETWORK_EVENT_LIFECYCLE, NULL, "junk");
    ev.net.name = (char *)"net-b";
    ev.event = 1;
    send_event(fd, MV_PROC_NETWORK_EVENT_LIFECYCLE, (xdrproc_t)xdr_mv_network_event_lifecycle_msg, &ev);
}

static bool handle_network(struct fake *f, int fd, const struct mv_msg *call)
{
    switch (call->hdr.proc) {
    case MV_PROC_CONNECT_NETWORK_EVENT_REGISTER_ANY:
    case MV_PROC_CONNECT_NETWORK_EVENT_DEREGISTER_ANY: handle_net_events(f, fd, call); return true;
    case MV_PROC_NETWORK_LOOKUP_BY_NAME:
    case MV_PROC_NETWORK_LOOKUP_BY_UUID: handle_net_lookup(fd, call); return true;
    case MV_PROC_CONNECT_LIST_ALL_NETWORKS: handle_net_list(f, fd, call); return true;
    case MV_PROC_NETWORK_GET_DHCP_LEASES: handle_net_leases(f, fd, call); return true;
    case MV_PROC_NETWORK_UPDATE: handle_net_update(f, fd, call); return true;
    case MV_PROC_NETWORK_GET_XML_DESC:
    case MV_PROC_NETWORK_GET_BRIDGE_NAME:
    case MV_PROC_NETWORK_IS_ACTIVE:
    case MV_PROC_NETWORK_GET_AUTOSTART:
    case MV_PROC_NETWORK_DEFINE_XML:
    case MV_PROC_NETWORK_DEFINE_XML_FLAGS:
    case MV_PROC_NETWORK_CREATE:
    case MV_PROC_NETWORK_DESTROY:
    case MV_PROC_NETWORK_UNDEFINE:
    case MV_PROC_NETWORK_SET_AUTOSTART: handle_net_query(f, fd, call); return true;
    default: return false;
    }
}

/* ---- the fake's node devices ---- */

/* computer, and under it a PCI disk controller with its block device. */
static const char *const fake_devs[] = { "computer", "pci_0000_00_02_0", "block_vda" };

static bool dev_known(const char *name)
{
    for (size_t i = 0; i < MV_ARRAY_SIZE(fake_devs); i++)
        if (strcmp(fake_devs[i], name) == 0)
            return true;
    return false;
}

/* Decodes the device name every NODE_DEVICE call starts with (a name, then
 * maybe flags or more) into F->dev_last; false after answering libvirt's
 * "not found" error. */
static bool dev_name(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_node_device_name_args args = { 0 };
    size_t len;
    const char *body = mv_msg_payload(call, &len);
    char text[96];
    XDR xdr;

    /* decoded as the name alone: the rest of the body is not looked at */
    xdrmem_create(&xdr, (char *)body, (u_int)len, XDR_DECODE);
    ck_assert(xdr_mv_node_device_name_args(&xdr, &args));
    xdr_destroy(&xdr);
    snprintf(f->dev_last, sizeof(f->dev_last), "%s", args.name);
    xdr_free((xdrproc_t)xdr_mv_node_device_name_args, (char *)&args);
    if (dev_known(f->dev_last))
        return true;
    snprintf(text, sizeof(text), "Node device not found: no node device with matching name '%s'", f->dev_last);
    send_error(fd, call, 53, 22, text);
    return false;
}

static void handle_dev_list(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_connect_list_all_node_devices_args args = { 0 };
    mv_nonnull_node_device devs[2] = { { .name = (char *)"computer" }, { .name = (char *)"pci_0000_00_02_0" } };
    mv_connect_list_all_node_devices_ret ret = { .devices = { 2, devs }, .ret = 2 };

    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_connect_list_all_node_devices_args, &args), 0);
    ck_assert_int_eq(args.need_results, 1);
    f->dev_flags = args.flags;
    send_reply(fd, call, (xdrproc_t)xdr_mv_connect_list_all_node_devices_ret, &ret);
}

static void handle_dev_caps(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_node_device_list_caps_args args = { 0 };
    char *caps[2] = { (char *)"pci", (char *)"mdev_types" };
    mv_node_device_list_caps_ret ret = { .names = { 2, caps } };

    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_node_device_list_caps_args, &args), 0);
    f->dev_maxnames = args.maxnames;
    ret.names.names_len = args.maxnames < 2 ? (u_int)args.maxnames : 2;
    xdr_free((xdrproc_t)xdr_mv_node_device_list_caps_args, (char *)&args);
    send_reply(fd, call, (xdrproc_t)xdr_mv_node_device_list_caps_ret, &ret);
}

static void handle_dev_detach(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_node_device_detach_flags_args args = { 0 };

    if (!dev_name(f, fd, call))
        return;
    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_node_device_detach_flags_args, &args), 0);
    snprintf(f->dev_driver, sizeof(f->dev_driver), "%s", args.driverName ? *args.driverName : "(null)");
    f->dev_flags = args.flags;
    xdr_free((xdrproc_t)xdr_mv_node_device_detach_flags_args, (char *)&args);
    send_reply(fd, call, NULL, NULL);
}

static void handle_dev_wwn(int fd, const struct mv_msg *call)
{
    mv_node_device_lookup_scsi_host_by_wwn_args args = { 0 };
    mv_node_device_ret ret = { .dev = { .name = (char *)"scsi_host5" } };

    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_node_device_lookup_scsi_host_by_wwn_args, &args), 0);
    if (strcmp(args.wwnn, "2000000000000001") == 0)
        send_reply(fd, call, (xdrproc_t)xdr_mv_node_device_ret, &ret);
    else
        send_error(fd, call, 53, 22, "Node device not found: no node device with matching wwnn");
    xdr_free((xdrproc_t)xdr_mv_node_device_lookup_scsi_host_by_wwn_args, (char *)&args);
}

/* The calls that name one device and answer about it. */
static void handle_dev_query(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_node_device_name_flags_args xargs = { 0 };
    char *parent = (char *)"computer";
    mv_node_device_get_parent_ret pret = { .parentName = &parent };
    mv_node_device_ret dev = { .dev = { .name = f->dev_last } };
    mv_num_ret num = { 2 };
    int one = 1, zero = 0;

    if (!dev_name(f, fd, call))
        return;
    switch (call->hdr.proc) {
    case MV_PROC_NODE_DEVICE_LOOKUP_BY_NAME:
        send_reply(fd, call, (xdrproc_t)xdr_mv_node_device_ret, &dev);
        break;
    case MV_PROC_NODE_DEVICE_GET_XML_DESC:
        ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_node_device_name_flags_args, &xargs), 0);
        f->dev_flags = xargs.flags;
        xdr_free((xdrproc_t)xdr_mv_node_device_name_flags_args, (char *)&xargs);
        reply_string(fd, call, "<device><name>pci_0000_00_02_0</name></device>\n");
        break;
    case MV_PROC_NODE_DEVICE_GET_PARENT:
        if (strcmp(f->dev_last, "computer") == 0)
            pret.parentName = NULL;
        send_reply(fd, call, (xdrproc_t)xdr_mv_node_device_get_parent_ret, &pret);
        break;
    case MV_PROC_NODE_DEVICE_NUM_OF_CAPS:
        send_reply(fd, call, (xdrproc_t)xdr_mv_num_ret, &num);
        break;
    case MV_PROC_NODE_DEVICE_IS_ACTIVE: send_reply(fd, call, (xdrproc_t)xdr_int, &one); break;
    case MV_PROC_NODE_DEVICE_IS_PERSISTENT:
    case MV_PROC_NODE_DEVICE_GET_AUTOSTART: send_reply(fd, call, (xdrproc_t)xdr_int, &zero); break;
    default:
        /* DETTACH, RE_ATTACH, RESET: logged, nothing to say */
        send_reply(fd, call, NULL, NULL);
        break;
    }
}

/* Lifecycle registration answers 300, update 301; after the second: a
 * Created event, one whose body does not decode, and an update. */
static void handle_dev_events(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_connect_node_device_event_register_any_args reg = { 0 };
    mv_event_callback_ret ret;
    mv_event_deregister_args dereg;
    mv_node_device_event_lifecycle_msg life = { .callbackID = 300, .dev = { .name = (char *)"net_dummy0_x" },
                                                .event = 0 };
    mv_node_device_event_update_msg upd = { .callbackID = 301, .dev = { .name = (char *)"block_vda" } };

    if (call->hdr.proc == MV_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY) {
        ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_event_deregister_args, &dereg), 0);
        f->deregistered[f->nderegistered++] = dereg.callbackID;
        send_reply(fd, call, NULL, NULL);
        return;
    }
    ck_assert_int_eq(mv_msg_decode_payload(call, (xdrproc_t)xdr_mv_connect_node_device_event_register_any_args, &reg), 0);
    ck_assert_ptr_null(reg.dev);        /* all devices */
    f->registered[f->nregistered++] = reg.eventID;
    ret.callbackID = 300 + reg.eventID;
    send_reply(fd, call, (xdrproc_t)xdr_mv_event_callback_ret, &ret);
    if (reg.eventID != 1)
        return;
    send_event(fd, MV_PROC_NODE_DEVICE_EVENT_LIFECYCLE, (xdrproc_t)xdr_mv_node_device_event_lifecycle_msg, &life);
    send_event(fd, MV_PROC_NODE_DEVICE_EVENT_LIFECYCLE, NULL, "junk");
    send_event(fd, MV_PROC_NODE_DEVICE_EVENT_UPDATE, (xdrproc_t)xdr_mv_node_device_event_update_msg, &upd);
}

static bool handle_nodedev(struct fake *f, int fd, const struct mv_msg *call)
{
    switch (call->hdr.proc) {
    case MV_PROC_CONNECT_LIST_ALL_NODE_DEVICES: handle_dev_list(f, fd, call); return true;
    case MV_PROC_NODE_DEVICE_LIST_CAPS: handle_dev_caps(f, fd, call); return true;
    case MV_PROC_NODE_DEVICE_DETACH_FLAGS: handle_dev_detach(f, fd, call); return true;
    case MV_PROC_NODE_DEVICE_LOOKUP_SCSI_HOST_BY_WWN: handle_dev_wwn(fd, call); return true;
    case MV_PROC_CONNECT_NODE_DEVICE_EVENT_REGISTER_ANY:
    case MV_PROC_CONNECT_NODE_DEVICE_EVENT_DEREGISTER_ANY: handle_dev_events(f, fd, call); return true;
    case MV_PROC_NODE_DEVICE_LOOKUP_BY_NAME:
    case MV_PROC_NODE_DEVICE_GET_XML_DESC:
    case MV_PROC_NODE_DEVICE_GET_PARENT:
    case MV_PROC_NODE_DEVICE_NUM_OF_CAPS:
    case MV_PROC_NODE_DEVICE_IS_ACTIVE:
    case MV_PROC_NODE_DEVICE_IS_PERSISTENT:
    case MV_PROC_NODE_DEVICE_GET_AUTOSTART:
    case MV_PROC_NODE_DEVICE_DETTACH:
    case MV_PROC_NODE_DEVICE_RE_ATTACH:
    case MV_PROC_NODE_DEVICE_RESET: handle_dev_query(f, fd, call); return true;
    default: return false;
    }
}

static bool handle(struct fake *f, int fd, const struct mv_msg *call)
{
    mv_connect_get_version_ret ver = { .hv_ver = 7002022 };
    mv_connect_get_lib_version_ret lib = { .lib_ver = 9000000 };

    if (call->hdr.type == MV_STREAM) {
        handle_console_packet(f, fd, call);
        return true;
    }
    if (handle_network(f, fd, call) || handle_nodedev(f, fd, call))
        return true;
    switch (call->hdr.proc) {
    case MV_PROC_AUTH_LIST:
    case MV_PROC_AUTH_POLKIT: handle_auth(f, fd, call); break;
    case MV_PROC_CONNECT_OPEN: handle_open(f, fd, call); break;
    case MV_PROC_CONNECT_GET_HOSTNAME:
        if (++f->hostnames == f->hangup_at)
            return false;
        reply_string(fd, call, "fakehost");
        break;
    case MV_PROC_CONNECT_GET_TYPE: reply_string(fd, call, "QEMU"); break;
    case MV_PROC_CONNECT_GET_CAPABILITIES: reply_string(fd, call, "<capabilities/>\n"); break;
    case MV_PROC_CONNECT_GET_VERSION:
        send_reply(fd, call, (xdrproc_t)xdr_mv_connect_get_version_ret, &ver);
        break;
    case MV_PROC_CONNECT_GET_LIB_VERSION:
        send_reply(fd, call, (xdrproc_t)xdr_mv_connect_get_lib_version_ret, &lib);
        break;
    case MV_PROC_NODE_GET_INFO: handle_node_info(f, fd, call); break;
    case MV_PROC_CONNECT_LIST_ALL_DOMAINS: handle_list(f, fd, call); break;
    case MV_PROC_NODE_GET_SECURITY_MODEL: handle_security_model(fd, call); break;
    case MV_PROC_DOMAIN_LOOKUP_BY_NAME:
    case MV_PROC_DOMAIN_LOOKUP_BY_UUID:
    case MV_PROC_DOMAIN_LOOKUP_BY_ID: handle_lookup(f, fd, call); break;
    case MV_PROC_DOMAIN_DEFINE_XML:
    case MV_PROC_DOMAIN_DEFINE_XML_FLAGS: handle_define(f, fd, call); break;
    case MV_PROC_DOMAIN_SET_AUTOSTART: handle_set_autostart(f, fd, call); break;
    case MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_REGISTER_ANY:
    case MV_PROC_CONNECT_DOMAIN_EVENT_CALLBACK_DEREGISTER_ANY: return handle_events(f, fd, call);
    case MV_PROC_DOMAIN_OPEN_CONSOLE: handle_console_open(f, fd, call); break;
    case MV_PROC_DOMAIN_CREATE:
    case MV_PROC_DOMAIN_CREATE_WITH_FLAGS:
    case MV_PROC_DOMAIN_DESTROY:
    case MV_PROC_DOMAIN_DESTROY_FLAGS:
    case MV_PROC_DOMAIN_SHUTDOWN:
    case MV_PROC_DOMAIN_SHUTDOWN_FLAGS:
    case MV_PROC_DOMAIN_REBOOT:
    case MV_PROC_DOMAIN_RESET:
    case MV_PROC_DOMAIN_SUSPEND:
    case MV_PROC_DOMAIN_RESUME:
    case MV_PROC_DOMAIN_UNDEFINE:
    case MV_PROC_DOMAIN_UNDEFINE_FLAGS:
    case MV_PROC_DOMAIN_GET_STATE:
    case MV_PROC_DOMAIN_GET_INFO:
    case MV_PROC_DOMAIN_GET_XML_DESC:
    case MV_PROC_DOMAIN_GET_OS_TYPE:
    case MV_PROC_DOMAIN_GET_AUTOSTART:
    case MV_PROC_DOMAIN_IS_ACTIVE:
    case MV_PROC_DOMAIN_HAS_MANAGED_SAVE_IMAGE:
    case MV_PROC_DOMAIN_GET_SECURITY_LABEL:
    case MV_PROC_DOMAIN_GET_MESSAGES: handle_domain(f, fd, call); break;
    case MV_PROC_CONNECT_CLOSE:
        send_reply(fd, call, NULL, NULL);
        return false;
    default:
        send_error(fd, call, 39, 7, "unknown procedure");
        break;
    }
    return true;
}

static void serve(struct fake *f, int fd, const char *sock)
{
    for (;;) {
        struct mv_frame_reader r = { 0 };
        _cleanup_msg_ struct mv_msg *m = NULL;
        const char *why = NULL;

        if (mv_frame_read(fd, &r, &m, &why) != 1) {
            mv_frame_reader_reset(&r);
            return;
        }
        logf_(f, sock, m->hdr.proc);
        if (!handle(f, fd, m))
            return;
    }
}

static void *fake_main(void *opaque)
{
    struct fake *f = opaque;

    for (;;) {
        struct pollfd pfd[FAKE_SOCKETS + 1];

        for (int i = 0; i < FAKE_SOCKETS; i++)
            pfd[i] = (struct pollfd){ .fd = f->lfd[i], .events = POLLIN };
        pfd[FAKE_SOCKETS] = (struct pollfd){ .fd = f->stop[0], .events = POLLIN };
        if (poll(pfd, FAKE_SOCKETS + 1, -1) < 0 || pfd[FAKE_SOCKETS].revents)
            return NULL;
        for (int i = 0; i < FAKE_SOCKETS; i++) {
            if (!pfd[i].revents)
                continue;
            int fd = accept4(f->lfd[i], NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                serve(f, fd, sock_names[i]);
                close(fd);
            }
        }
    }
}

static void fake_start(struct fake *f)
{
    char dir[128];

    memcpy(f->doms, fake_doms_init, sizeof(f->doms));
    strcpy(f->root, "/tmp/check-libmodvirt-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(f->root));
    snprintf(dir, sizeof(dir), "%s/run", f->root);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    snprintf(dir, sizeof(dir), "%s/run/modvirt", f->root);
    ck_assert_int_eq(mkdir(dir, 0755), 0);
    pthread_mutex_init(&f->lock, NULL);
    for (int i = 0; i < FAKE_SOCKETS; i++) {
        struct sockaddr_un sa = { .sun_family = AF_UNIX };

        snprintf(f->paths[i], sizeof(f->paths[i]), "%s/%s", dir, sock_names[i]);
        strcpy(sa.sun_path, f->paths[i]);
        f->lfd[i] = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(bind(f->lfd[i], (struct sockaddr *)&sa, sizeof(sa)), 0);
        ck_assert_int_eq(listen(f->lfd[i], 4), 0);
    }
    ck_assert_int_eq(pipe2(f->stop, O_CLOEXEC), 0);
    ck_assert_int_eq(pthread_create(&f->thread, NULL, fake_main, f), 0);
}

static void fake_stop(struct fake *f)
{
    char dir[128];

    ck_assert_int_eq(write(f->stop[1], "x", 1), 1);
    pthread_join(f->thread, NULL);
    for (int i = 0; i < FAKE_SOCKETS; i++) {
        close(f->lfd[i]);
        unlink(f->paths[i]);
    }
    close(f->stop[0]);
    close(f->stop[1]);
    snprintf(dir, sizeof(dir), "%s/run/modvirt", f->root);
    rmdir(dir);
    snprintf(dir, sizeof(dir), "%s/run", f->root);
    rmdir(dir);
    rmdir(f->root);
    pthread_mutex_destroy(&f->lock);
}

static modvirt_conn *open_root(struct fake *f, unsigned int flags)
{
    char uri[256];
    modvirt_error *err = NULL;
    modvirt_conn *conn;

    snprintf(uri, sizeof(uri), "qemu:///system?root=%s", f->root);
    conn = modvirt_conn_open(uri, flags, &err);
    ck_assert_msg(conn != NULL, "open: %s", err ? err->message : "?");
    return conn;
}

/* ---- tests ---- */

START_TEST(test_handshake_and_call)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    char *host = NULL;

    fake_start(&f);
    conn = open_root(&f, 0);
    /* opening contacts nobody: daemons are reached on first use */
    ck_assert_str_eq(f.log, "");
    ck_assert_int_eq(modvirt_conn_get_hostname(conn, &host, NULL), 0);
    ck_assert_str_eq(host, "fakehost");
    free(host);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_str_eq(f.log, "qemud-sock:66 qemud-sock:1 qemud-sock:59 qemud-sock:2 ");
    ck_assert_str_eq(f.open_name, "qemu:///system");
    ck_assert_uint_eq(f.open_flags, 0);
}
END_TEST

START_TEST(test_readonly_socket_and_flag)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    char *type = NULL;

    fake_start(&f);
    conn = open_root(&f, MODVIRT_CONN_READONLY);
    ck_assert_int_eq(modvirt_conn_get_type(conn, &type, NULL), 0);
    ck_assert_str_eq(type, "QEMU");
    free(type);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_str_eq(f.log, "qemud-sock-ro:66 qemud-sock-ro:1 qemud-sock-ro:3 qemud-sock-ro:2 ");
    ck_assert_uint_eq(f.open_flags, 1);
}
END_TEST

START_TEST(test_polkit_then_open)
{
    struct fake f = { .auth = MV_AUTH_POLKIT };
    modvirt_conn *conn;
    uint64_t v = 0, lib = 0;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_conn_get_version(conn, &v, NULL), 0);
    ck_assert_int_eq(modvirt_conn_get_lib_version(conn, &lib, NULL), 0);
    ck_assert_uint_eq(v, 7002022);
    ck_assert_uint_eq(lib, 9000000);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_str_eq(f.log, "qemud-sock:66 qemud-sock:70 qemud-sock:1 qemud-sock:4 "
                     "qemud-sock:157 qemud-sock:2 ");
}
END_TEST

START_TEST(test_polkit_denied_is_cannot_connect)
{
    struct fake f = { .auth = MV_AUTH_POLKIT, .polkit_deny = true };
    modvirt_conn *conn;
    modvirt_error *err = NULL;
    char *host = NULL;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_conn_get_hostname(conn, &host, &err), -ENOTCONN);
    ck_assert_ptr_null(host);
    ck_assert_ptr_nonnull(err);
    ck_assert_int_eq(err->code, 45);
    ck_assert_int_eq(err->domain, 60);
    ck_assert_str_eq(err->message, "authentication failed: access denied by policy");
    modvirt_error_free(err);
    modvirt_conn_close(conn);
    fake_stop(&f);
    /* no CONNECT_OPEN after the denial, and nothing to close */
    ck_assert_str_eq(f.log, "qemud-sock:66 qemud-sock:70 ");
}
END_TEST

START_TEST(test_socket_parameter)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    char uri[256];
    modvirt_conn *conn;
    modvirt_node_info info;

    fake_start(&f);
    snprintf(uri, sizeof(uri), "modvirt:///system?socket=%s", f.paths[2]);
    conn = modvirt_conn_open(uri, 0, NULL);
    ck_assert_ptr_nonnull(conn);
    ck_assert_str_eq(modvirt_conn_get_uri(conn), uri);
    ck_assert_int_eq(modvirt_node_get_info(conn, &info, NULL), 0);
    /* a 32-character model without NUL comes out terminated */
    ck_assert_uint_eq(strlen(info.model), 32);
    ck_assert_uint_eq(info.memory, 2048);
    ck_assert_uint_eq(info.cpus, 4);
    ck_assert_uint_eq(info.mhz, 1000);
    ck_assert_uint_eq(info.nodes, 1);
    ck_assert_uint_eq(info.sockets, 1);
    ck_assert_uint_eq(info.cores, 2);
    ck_assert_uint_eq(info.threads, 2);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_str_eq(f.log, "other-sock:66 other-sock:1 other-sock:6 other-sock:2 ");
    ck_assert_str_eq(f.open_name, "qemu:///system");
}
END_TEST

START_TEST(test_daemon_error_keeps_connection)
{
    struct fake f = { .auth = MV_AUTH_NONE, .fail_nodeinfo = true };
    modvirt_conn *conn;
    modvirt_error *err = NULL;
    modvirt_node_info info = { .cpus = 77 };
    char *caps = NULL;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_node_get_info(conn, &info, &err), -EIO);
    ck_assert_int_eq(err->code, 1);
    ck_assert_int_eq(err->domain, 10);
    ck_assert_str_eq(err->message, "internal error: no /proc here");
    ck_assert_uint_eq(info.cpus, 77);     /* untouched on failure */
    modvirt_error_free(err);
    ck_assert_int_eq(modvirt_conn_get_capabilities(conn, &caps, NULL), 0);
    ck_assert_str_eq(caps, "<capabilities/>\n");
    free(caps);
    modvirt_conn_close(conn);
    fake_stop(&f);
    /* one connection served both calls */
    ck_assert_str_eq(f.log, "qemud-sock:66 qemud-sock:1 qemud-sock:6 qemud-sock:7 qemud-sock:2 ");
}
END_TEST

START_TEST(test_list_all_domains)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    modvirt_domain_ref *list = NULL;
    size_t n = 0;
    unsigned char u11[16];

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_conn_list_all_domains(conn, MODVIRT_LIST_DOMAINS_INACTIVE, &list, &n, NULL), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(list[0].name, "vm-b");
    ck_assert_int_eq(list[0].id, -1);
    ck_assert_str_eq(list[1].name, "vm-a");
    ck_assert_int_eq(list[1].id, 3);
    memset(u11, 0x11, 16);
    ck_assert_int_eq(memcmp(list[1].uuid, u11, 16), 0);
    /* the plain listing asks for no states */
    ck_assert_int_eq(list[1].state, -1);
    ck_assert_int_eq(list[1].reason, -1);
    modvirt_domain_ref_list_free(list, n);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_uint_eq(f.list_flags, MODVIRT_LIST_DOMAINS_INACTIVE);
    ck_assert_str_eq(f.log, "qemud-sock:66 qemud-sock:1 qemud-sock:273 qemud-sock:2 ");
}
END_TEST

/* A daemon that went away (restart) is reconnected on the next call. */
START_TEST(test_reconnect_after_loss)
{
    struct fake f = { .auth = MV_AUTH_NONE, .hangup_at = 2 };
    modvirt_conn *conn;
    modvirt_error *err = NULL;
    char *host = NULL;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_conn_get_hostname(conn, &host, NULL), 0);
    free(host);
    host = NULL;
    ck_assert_int_eq(modvirt_conn_get_hostname(conn, &host, &err), -ENOTCONN);
    ck_assert_ptr_nonnull(strstr(err->message, "qemud-sock'"));
    modvirt_error_free(err);
    ck_assert_int_eq(modvirt_conn_get_hostname(conn, &host, NULL), 0);
    ck_assert_str_eq(host, "fakehost");
    free(host);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_str_eq(f.log, "qemud-sock:66 qemud-sock:1 qemud-sock:59 qemud-sock:59 "
                     "qemud-sock:66 qemud-sock:1 qemud-sock:59 qemud-sock:2 ");
}
END_TEST

START_TEST(test_no_daemon)
{
    modvirt_conn *conn = modvirt_conn_open("qemu:///system?root=/nonexistent-mv", 0, NULL);
    modvirt_error *err = NULL;
    char *host = NULL;

    ck_assert_ptr_nonnull(conn);
    ck_assert_int_eq(modvirt_conn_get_hostname(conn, &host, &err), -ENOTCONN);
    ck_assert_str_eq(err->message, "cannot connect to '/nonexistent-mv/run/modvirt/qemud-sock': "
                     "No such file or directory \xe2\x80\x94 is modvirt-qemud running?");
    modvirt_error_free(err);
    modvirt_conn_close(conn);
}
END_TEST

START_TEST(test_bad_uris)
{
    static const struct { const char *uri; const char *says; } bad[] = {
        { "xen:///system", "unsupported URI scheme 'xen'" },
        { "qemu", "unsupported URI scheme ''" },
        { "qemu://otherhost/system", "remote host 'otherhost'" },
        { "qemu:///session", "unsupported path '/session'" },
        { "qemu:///system?mode=direct", "unsupported parameter 'mode'" },
        { "qemu:///system?socket=", "needs an absolute path" },
        { "qemu:///system?root=relative", "needs an absolute path" },
        { "qemu:///system?socket=/a%2", "cannot parse URI" },
        { "qemu:///system#x", "unsupported fragment" },
        { "qemu:///system?socket=/a&root=/b", "exclude each other" },
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(bad); i++) {
        modvirt_error *err = NULL;
        modvirt_conn *conn = modvirt_conn_open(bad[i].uri, 0, &err);

        ck_assert_msg(conn == NULL, "accepted %s", bad[i].uri);
        ck_assert_int_eq(err->code, 8);
        ck_assert_msg(strstr(err->message, bad[i].says) != NULL, "%s: %s", bad[i].uri, err->message);
        modvirt_error_free(err);
    }
}
END_TEST

START_TEST(test_default_uri)
{
    modvirt_conn *conn;

    unsetenv("MODVIRT_DEFAULT_URI");
    conn = modvirt_conn_open(NULL, 0, NULL);
    ck_assert_str_eq(modvirt_conn_get_uri(conn), "qemu:///system");
    modvirt_conn_close(conn);
    setenv("MODVIRT_DEFAULT_URI", "modvirt:///system?root=/tmp/x%2Fy", 1);
    conn = modvirt_conn_open(NULL, 0, NULL);
    ck_assert_str_eq(modvirt_conn_get_uri(conn), "modvirt:///system?root=/tmp/x%2Fy");
    modvirt_conn_close(conn);
    ck_assert_ptr_null(modvirt_conn_open(NULL, 2, NULL));   /* unknown flag */
}
END_TEST

/* ---- domains ---- */

/* The log since MARK, with the socket names dropped: "22 23 ". */
static const char *procs_since(struct fake *f, size_t mark, char *buf, size_t len)
{
    const char *p = f->log + mark;
    size_t n = 0;

    buf[0] = '\0';
    while ((p = strchr(p, ':')) && n + 8 < len) {
        int proc = atoi(++p);

        n += (size_t)snprintf(buf + n, len - n, "%d ", proc);
    }
    return buf;
}

static modvirt_domain *lookup_ok(modvirt_conn *conn, const char *key)
{
    modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    int r = modvirt_domain_lookup(conn, key, &dom, &err);

    ck_assert_msg(r == 0, "lookup '%s': %d %s", key, r, err ? err->message : "");
    return dom;
}

START_TEST(test_lookup_order)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    modvirt_domain *dom;
    modvirt_error *err = NULL;
    char buf[128], uuid[37];
    size_t mark;

    fake_start(&f);
    conn = open_root(&f, 0);

    /* digits: an id first */
    dom = lookup_ok(conn, "3");
    mark = strlen(f.log);
    ck_assert_str_eq(modvirt_domain_get_name(dom), "vm-a");
    ck_assert_int_eq(modvirt_domain_get_id(dom), 3);
    ck_assert_str_eq(modvirt_domain_get_uuid_string(dom, uuid), "11111111-1111-1111-1111-111111111111");
    modvirt_domain_free(dom);

    /* digits that are no id: not a UUID either, so the name */
    dom = lookup_ok(conn, "7");
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "22 23 ");
    ck_assert_str_eq(modvirt_domain_get_name(dom), "7");
    ck_assert_int_eq(modvirt_domain_get_id(dom), -1);
    modvirt_domain_free(dom);

    /* a UUID, dashed or plain, goes by UUID alone */
    mark = strlen(f.log);
    dom = lookup_ok(conn, "11111111-1111-1111-1111-111111111111");
    ck_assert_str_eq(modvirt_domain_get_name(dom), "vm-a");
    modvirt_domain_free(dom);
    dom = lookup_ok(conn, "22222222222222222222222222222222");
    ck_assert_str_eq(modvirt_domain_get_name(dom), "vm-b");
    ck_assert_int_eq(modvirt_domain_get_uuid(dom)[15], 0x22);
    modvirt_domain_free(dom);
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "24 24 ");

    /* a UUID that matches nothing falls through to the name */
    mark = strlen(f.log);
    ck_assert_int_eq(modvirt_domain_lookup(conn, "99999999-9999-9999-9999-999999999999", &dom, &err), -EIO);
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "24 23 ");
    ck_assert_int_eq(err->code, 42);
    ck_assert_str_eq(err->message, "Domain not found: no domain with matching name "
                     "'99999999-9999-9999-9999-999999999999'");
    modvirt_error_free(err);
    err = NULL;

    /* a plain name: one call */
    mark = strlen(f.log);
    dom = lookup_ok(conn, "vm-b");
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "23 ");
    modvirt_domain_free(dom);

    /* a failure other than "not found" stops the chain */
    mark = strlen(f.log);
    dom = NULL;
    ck_assert_int_eq(modvirt_domain_lookup(conn, "9", &dom, &err), -EIO);
    ck_assert_ptr_null(dom);
    ck_assert_int_eq(err->code, 1);
    ck_assert_str_eq(err->message, "internal error: lookup broke");
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "22 ");
    modvirt_error_free(err);
    err = NULL;

    /* nothing to look up: refused without a call */
    mark = strlen(f.log);
    ck_assert_int_eq(modvirt_domain_lookup(conn, "", &dom, &err), -EINVAL);
    ck_assert_int_eq(err->code, 8);
    modvirt_error_free(err);
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "");
    /* out of int range: not an id */
    mark = strlen(f.log);
    ck_assert_int_eq(modvirt_domain_lookup(conn, "99999999999", &dom, NULL), -EIO);
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "23 ");
    modvirt_conn_close(conn);
    fake_stop(&f);
}
END_TEST

START_TEST(test_define_and_lifecycle)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    modvirt_domain *dom = NULL;
    modvirt_error *err = NULL;
    char buf[128];
    size_t mark;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_domain_define_xml(conn, "<domain/>", 0, &dom, NULL), 0);
    ck_assert_str_eq(modvirt_domain_get_name(dom), "vm-new");
    ck_assert_int_eq(modvirt_domain_get_id(dom), -1);
    ck_assert_str_eq(f.defined_xml, "<domain/>");
    modvirt_domain_free(dom);
    ck_assert_int_eq(modvirt_domain_define_xml(conn, "<domain v='1'/>", MODVIRT_DOMAIN_DEFINE_VALIDATE,
                                               &dom, NULL), 0);
    ck_assert_uint_eq(f.last_flags, 1);
    modvirt_domain_free(dom);

    dom = lookup_ok(conn, "vm-b");
    mark = strlen(f.log);
    /* an inactive domain cannot be paused; the handle is unchanged */
    ck_assert_int_eq(modvirt_domain_suspend(dom, &err), -EIO);
    ck_assert_int_eq(err->code, 55);
    modvirt_error_free(err);
    /* plain start: CREATE, then the new id by UUID */
    ck_assert_int_eq(modvirt_domain_start(dom, 0, NULL), 0);
    ck_assert_int_eq(modvirt_domain_get_id(dom), 5);
    ck_assert_int_eq(modvirt_domain_suspend(dom, NULL), 0);
    ck_assert_int_eq(modvirt_domain_resume(dom, NULL), 0);
    ck_assert_int_eq(modvirt_domain_shutdown(dom, 0, NULL), 0);
    ck_assert_int_eq(modvirt_domain_reboot(dom, 0, NULL), 0);
    ck_assert_int_eq(modvirt_domain_reset(dom, NULL), 0);
    ck_assert_int_eq(modvirt_domain_destroy(dom, 0, NULL), 0);
    ck_assert_int_eq(modvirt_domain_get_id(dom), -1);
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "34 9 24 34 28 33 27 245 12 ");
    /* flags pick the procedures that carry them */
    mark = strlen(f.log);
    ck_assert_int_eq(modvirt_domain_start(dom, MODVIRT_DOMAIN_START_PAUSED, NULL), 0);
    ck_assert_uint_eq(f.last_flags, 1);
    ck_assert_int_eq(modvirt_domain_get_id(dom), 6);
    ck_assert_int_eq(modvirt_domain_shutdown(dom, 1, NULL), 0);
    ck_assert_int_eq(modvirt_domain_destroy(dom, 1, NULL), 0);
    ck_assert_int_eq(modvirt_domain_undefine(dom, 0, NULL), 0);
    ck_assert_int_eq(modvirt_domain_undefine(dom, 4, NULL), 0);
    ck_assert_uint_eq(f.last_flags, 4);
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "196 258 234 35 231 ");
    ck_assert_str_eq(f.last_dom, "vm-b");
    modvirt_domain_free(dom);
    modvirt_conn_close(conn);
    fake_stop(&f);
}
END_TEST

START_TEST(test_queries)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    modvirt_domain *dom;
    modvirt_domain_info info;
    int state = -7, reason = -7, v = -7, enforcing = -7;
    char *s = NULL, *doi = NULL, **msgs = NULL;

    fake_start(&f);
    conn = open_root(&f, 0);
    dom = lookup_ok(conn, "vm-a");
    ck_assert_int_eq(modvirt_domain_get_state(dom, &state, &reason, NULL), 0);
    ck_assert_int_eq(state, MODVIRT_DOMAIN_RUNNING);
    ck_assert_int_eq(reason, 1);
    ck_assert_int_eq(modvirt_domain_get_info(dom, &info, NULL), 0);
    ck_assert_int_eq(info.state, 1);
    ck_assert_uint_eq(info.max_memory, 1048576);
    ck_assert_uint_eq(info.memory, 524288);
    ck_assert_uint_eq(info.vcpus, 2);
    ck_assert_uint_eq(info.cpu_time, 1500000000ULL);
    ck_assert_int_eq(modvirt_domain_get_xml(dom, MODVIRT_DOMAIN_XML_INACTIVE | MODVIRT_DOMAIN_XML_SECURE,
                                            &s, NULL), 0);
    ck_assert_str_eq(s, "<domain type='kvm'/>");
    ck_assert_uint_eq(f.last_flags, 3);
    free(s);
    ck_assert_int_eq(modvirt_domain_get_os_type(dom, &s, NULL), 0);
    ck_assert_str_eq(s, "hvm");
    free(s);
    ck_assert_int_eq(modvirt_domain_get_autostart(dom, &v, NULL), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(modvirt_domain_is_active(dom, &v, NULL), 0);
    ck_assert_int_eq(v, 1);
    v = 7;
    ck_assert_int_eq(modvirt_domain_has_managed_save(dom, &v, NULL), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(modvirt_domain_set_autostart(dom, 1, NULL), 0);
    ck_assert_int_eq(modvirt_domain_get_autostart(dom, &v, NULL), 0);
    ck_assert_int_eq(v, 1);
    /* a counted char array with its NUL comes out as the plain string */
    ck_assert_int_eq(modvirt_domain_get_security_label(dom, &s, &enforcing, NULL), 0);
    ck_assert_str_eq(s, "system_u:system_r:svirt_t:s0:c1,c2");
    ck_assert_int_eq(enforcing, 1);
    free(s);
    ck_assert_int_eq(modvirt_node_get_security_model(conn, &s, &doi, NULL), 0);
    ck_assert_str_eq(s, "selinux");
    ck_assert_str_eq(doi, "0");
    free(s);
    free(doi);
    ck_assert_int_eq(modvirt_domain_get_messages(dom, &msgs, NULL), 0);
    ck_assert_str_eq(msgs[0], "tainted: custom-argv");
    ck_assert_ptr_null(msgs[1]);
    modvirt_string_list_free(msgs);
    /* the fake does not know this one: an error, and the out-parameter stays */
    ck_assert_int_eq(modvirt_domain_is_persistent(dom, &v, NULL), -EIO);
    ck_assert_int_eq(v, 1);
    modvirt_domain_free(dom);
    modvirt_conn_close(conn);
    fake_stop(&f);
}
END_TEST

START_TEST(test_list_with_state)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    modvirt_domain_ref *list = NULL;
    size_t n = 0;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_conn_list_domains_with_state(conn, 0, &list, &n, NULL), 0);
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(list[0].name, "vm-b");
    ck_assert_int_eq(list[0].state, MODVIRT_DOMAIN_SHUTOFF);
    ck_assert_int_eq(list[0].reason, 2);
    ck_assert_int_eq(list[1].state, MODVIRT_DOMAIN_RUNNING);
    /* gone between the listing and its GET_STATE: kept, state unknown */
    ck_assert_str_eq(list[2].name, "vm-gone");
    ck_assert_int_eq(list[2].state, -1);
    ck_assert_int_eq(list[2].reason, -1);
    modvirt_domain_ref_list_free(list, n);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_str_eq(f.log, "qemud-sock:66 qemud-sock:1 qemud-sock:273 qemud-sock:212 "
                     "qemud-sock:212 qemud-sock:212 qemud-sock:2 ");
}
END_TEST

START_TEST(test_state_and_event_names)
{
    ck_assert_str_eq(modvirt_domain_state_name(MODVIRT_DOMAIN_RUNNING), "running");
    ck_assert_str_eq(modvirt_domain_state_name(MODVIRT_DOMAIN_BLOCKED), "idle");
    ck_assert_str_eq(modvirt_domain_state_name(MODVIRT_DOMAIN_SHUTDOWN), "in shutdown");
    ck_assert_str_eq(modvirt_domain_state_name(MODVIRT_DOMAIN_SHUTOFF), "shut off");
    ck_assert_str_eq(modvirt_domain_state_name(MODVIRT_DOMAIN_PMSUSPENDED), "pmsuspended");
    ck_assert_str_eq(modvirt_domain_state_name(8), "no state");
    ck_assert_str_eq(modvirt_domain_state_name(-1), "no state");
    ck_assert_str_eq(modvirt_domain_state_reason_name(MODVIRT_DOMAIN_SHUTOFF, 2), "destroyed");
    ck_assert_str_eq(modvirt_domain_state_reason_name(MODVIRT_DOMAIN_PAUSED, 1), "user");
    ck_assert_str_eq(modvirt_domain_state_reason_name(MODVIRT_DOMAIN_PAUSED, 13), "post-copy failed");
    ck_assert_str_eq(modvirt_domain_state_reason_name(MODVIRT_DOMAIN_RUNNING, 12), "unknown");
    ck_assert_str_eq(modvirt_domain_state_reason_name(9, 0), "unknown");
    ck_assert_str_eq(modvirt_domain_event_type_name(MODVIRT_DOMAIN_EVENT_STARTED), "Started");
    ck_assert_str_eq(modvirt_domain_event_type_name(MODVIRT_DOMAIN_EVENT_CRASHED), "Crashed");
    ck_assert_str_eq(modvirt_domain_event_type_name(9), "unknown");
    ck_assert_str_eq(modvirt_domain_event_detail_name(MODVIRT_DOMAIN_EVENT_STARTED, 0), "Booted");
    ck_assert_str_eq(modvirt_domain_event_detail_name(MODVIRT_DOMAIN_EVENT_SHUTDOWN, 1),
                     "Finished after guest request");
    ck_assert_str_eq(modvirt_domain_event_detail_name(MODVIRT_DOMAIN_EVENT_STOPPED, 1), "Destroyed");
    ck_assert_str_eq(modvirt_domain_event_detail_name(MODVIRT_DOMAIN_EVENT_SUSPENDED, 2), "I/O Error");
    ck_assert_str_eq(modvirt_domain_event_detail_name(MODVIRT_DOMAIN_EVENT_STOPPED, 7), "unknown");
    ck_assert_str_eq(modvirt_domain_event_detail_name(-1, 0), "unknown");
}
END_TEST

/* ---- events ---- */

struct got_events {
    int n;
    int event_id[8];
    char name[8][16];
    int id[8];
    unsigned char uuid0[8];
    int type[8], detail[8];
    modvirt_conn *conn[8];
};

static void collect_event(modvirt_conn *conn, const modvirt_domain_event *ev, void *opaque)
{
    struct got_events *g = opaque;

    ck_assert_int_lt(g->n, 8);
    g->event_id[g->n] = ev->event_id;
    snprintf(g->name[g->n], sizeof(g->name[0]), "%s", ev->dom.name);
    g->id[g->n] = ev->dom.id;
    g->uuid0[g->n] = ev->dom.uuid[0];
    g->type[g->n] = ev->type;
    g->detail[g->n] = ev->detail;
    g->conn[g->n] = conn;
    g->n++;
}

/* Processes until N events came or 5 s passed. */
static void wait_for_events(modvirt_conn *conn, struct got_events *g, int n)
{
    for (int i = 0; i < 50 && g->n < n; i++)
        ck_assert_int_ge(modvirt_domain_events_process(conn, 100, NULL), 0);
}

START_TEST(test_events)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    struct got_events g = { 0 };
    modvirt_conn *conn;
    modvirt_error *err = NULL;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_domain_events_fd(conn), -1);
    ck_assert_int_eq(modvirt_domain_events_process(conn, 0, NULL), -EINVAL);
    ck_assert_int_eq(modvirt_domain_events_register(conn, collect_event, &g, NULL), 0);
    ck_assert_int_ge(modvirt_domain_events_fd(conn), 0);
    ck_assert_int_eq(modvirt_domain_events_register(conn, collect_event, &g, &err), -EBUSY);
    modvirt_error_free(err);
    wait_for_events(conn, &g, 2);
    /* the body that does not decode and the unasked-for kind are dropped */
    ck_assert_int_eq(g.n, 2);
    ck_assert_int_eq(g.event_id[0], MODVIRT_DOMAIN_EVENT_ID_LIFECYCLE);
    ck_assert_str_eq(g.name[0], "vm-a");
    ck_assert_int_eq(g.id[0], 3);
    ck_assert_uint_eq(g.uuid0[0], 0x11);
    ck_assert_int_eq(g.type[0], MODVIRT_DOMAIN_EVENT_STARTED);
    ck_assert_int_eq(g.detail[0], 0);
    ck_assert_ptr_eq(g.conn[0], conn);
    ck_assert_int_eq(g.event_id[1], MODVIRT_DOMAIN_EVENT_ID_REBOOT);
    ck_assert_str_eq(g.name[1], "vm-a");
    ck_assert_int_eq(g.type[1], 0);
    ck_assert_int_eq(modvirt_domain_events_deregister(conn, NULL), 0);
    ck_assert_int_eq(modvirt_domain_events_fd(conn), -1);
    /* deregistering twice is harmless */
    ck_assert_int_eq(modvirt_domain_events_deregister(conn, NULL), 0);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_int_eq(f.nregistered, 2);
    ck_assert_int_eq(f.registered[0], 0);
    ck_assert_int_eq(f.registered[1], 1);
    ck_assert_int_eq(f.nderegistered, 2);
    ck_assert_int_eq(f.deregistered[0], 100);
    ck_assert_int_eq(f.deregistered[1], 101);
}
END_TEST

/* The subscription dies with its connection, and says so. */
START_TEST(test_events_connection_lost)
{
    struct fake f = { .auth = MV_AUTH_NONE, .hangup_after_events = true };
    struct got_events g = { 0 };
    modvirt_conn *conn;
    modvirt_error *err = NULL;
    int r = 0;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_domain_events_register(conn, collect_event, &g, NULL), 0);
    for (int i = 0; i < 50 && r >= 0; i++)
        r = modvirt_domain_events_process(conn, 100, &err);
    /* what came before the hangup was still delivered */
    ck_assert_int_eq(g.n, 2);
    ck_assert_int_eq(r, -ENOTCONN);
    ck_assert_ptr_nonnull(err);
    ck_assert_ptr_nonnull(strstr(err->message, "lost"));
    modvirt_error_free(err);
    err = NULL;
    /* telling a dead connection fails; the subscription is gone anyway */
    ck_assert_int_eq(modvirt_domain_events_deregister(conn, &err), -ENOTCONN);
    modvirt_error_free(err);
    ck_assert_int_eq(modvirt_domain_events_fd(conn), -1);
    modvirt_conn_close(conn);
    fake_stop(&f);
}
END_TEST

/* ---- console ---- */

struct got_console {
    char out[128];
    bool eof;
    int err_code;
    char err_msg[64];
};

static void collect_console(modvirt_console *con, const void *data, size_t len,
                            const modvirt_error *err, void *opaque)
{
    struct got_console *g = opaque;
    size_t have = strlen(g->out);

    if (err) {
        g->err_code = err->code;
        snprintf(g->err_msg, sizeof(g->err_msg), "%s", err->message);
    } else if (!data) {
        ck_assert_uint_eq(len, 0);
        g->eof = true;
    } else {
        snprintf(g->out + have, sizeof(g->out) - have, "%.*s", (int)len, (const char *)data);
    }
}

/* Processes until the output holds WANT, the end came or 5 s passed. */
static void console_wait(modvirt_console *con, struct got_console *g, const char *want)
{
    for (int i = 0; i < 50 && !strstr(g->out, want) && !g->eof && !g->err_code; i++)
        ck_assert_int_ge(modvirt_domain_console_process(con, 100, NULL), 0);
}

static modvirt_console *console_open(modvirt_conn *conn, struct got_console *g, unsigned int flags)
{
    modvirt_domain *dom = lookup_ok(conn, "vm-a");
    modvirt_console *con = NULL;
    modvirt_error *err = NULL;
    int r = modvirt_domain_console_open(dom, NULL, flags, collect_console, g, &con, &err);

    ck_assert_msg(r == 0, "console open: %s", err ? err->message : "?");
    modvirt_domain_free(dom);   /* the console does not need the handle */
    ck_assert_int_ge(modvirt_domain_console_fd(con), 0);
    return con;
}

START_TEST(test_console_echo)
{
    struct fake f = { .auth = MV_AUTH_NONE, .console = CONSOLE_ECHO };
    struct got_console g = { .eof = false };
    modvirt_conn *conn;
    modvirt_console *con;
    char buf[128];
    size_t mark;

    fake_start(&f);
    conn = open_root(&f, 0);
    con = console_open(conn, &g, MODVIRT_DOMAIN_CONSOLE_FORCE);
    ck_assert(!f.console_dev_given);
    ck_assert_uint_eq(f.console_flags, 1);
    console_wait(con, &g, "login: ");
    ck_assert_str_eq(g.out, "login: ");
    ck_assert_int_eq(modvirt_domain_console_send(con, "root\n", 5, NULL), 0);
    console_wait(con, &g, "echo:root\n");
    ck_assert_str_eq(g.out, "login: echo:root\n");
    ck_assert(!g.eof);
    mark = strlen(f.log);
    /* close finishes the stream and waits for the daemon's confirmation */
    ck_assert_int_eq(modvirt_domain_console_close(con, NULL), 0);
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "201 ");
    ck_assert_str_eq(f.console_in, "root\n");
    modvirt_conn_close(conn);
    fake_stop(&f);
}
END_TEST

START_TEST(test_console_eof)
{
    struct fake f = { .auth = MV_AUTH_NONE, .console = CONSOLE_EOF };
    struct got_console g = { .eof = false };
    modvirt_conn *conn;
    modvirt_console *con;

    fake_start(&f);
    conn = open_root(&f, 0);
    con = console_open(conn, &g, 0);
    ck_assert_uint_eq(f.console_flags, 0);
    ck_assert_int_eq(modvirt_domain_console_send(con, "exit\n", 5, NULL), 0);
    console_wait(con, &g, "never");
    ck_assert(g.eof);
    ck_assert_int_eq(g.err_code, 0);
    ck_assert_str_eq(g.out, "login: ");
    ck_assert_int_eq(modvirt_domain_console_close(con, NULL), 0);
    modvirt_conn_close(conn);
    fake_stop(&f);
}
END_TEST

START_TEST(test_console_failure)
{
    struct fake f = { .auth = MV_AUTH_NONE, .console = CONSOLE_FAIL };
    struct got_console g = { .eof = false };
    modvirt_conn *conn;
    modvirt_console *con;
    modvirt_error *err = NULL;
    char *host = NULL;

    fake_start(&f);
    conn = open_root(&f, 0);
    con = console_open(conn, &g, 0);
    ck_assert_int_eq(modvirt_domain_console_send(con, "x", 1, NULL), 0);
    console_wait(con, &g, "never");
    ck_assert_int_eq(g.err_code, 39);
    ck_assert_str_eq(g.err_msg, "stream had unexpected termination");
    /* a failed console refuses input and still closes cleanly */
    ck_assert_int_eq(modvirt_domain_console_send(con, "y", 1, &err), -EPIPE);
    modvirt_error_free(err);
    ck_assert_int_eq(modvirt_domain_console_close(con, NULL), 0);
    /* the connection itself is fine */
    ck_assert_int_eq(modvirt_conn_get_hostname(conn, &host, NULL), 0);
    free(host);
    modvirt_conn_close(conn);
    fake_stop(&f);
    ck_assert_str_eq(f.console_in, "x");
}
END_TEST

/* ---- networks ---- */

static modvirt_network *net_ok(modvirt_conn *conn, const char *key)
{
    modvirt_network *net = NULL;
    modvirt_error *err = NULL;
    int r = modvirt_network_lookup(conn, key, &net, &err);

    ck_assert_msg(r == 0, "lookup '%s': %d %s", key, r, err ? err->message : "");
    return net;
}

START_TEST(test_network_lookup_and_routing)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    modvirt_network *net;
    modvirt_error *err = NULL;
    char uuid[37], buf[256];
    size_t mark;

    fake_start(&f);
    conn = open_root(&f, 0);
    net = net_ok(conn, "net-a");
    /* network calls go to netd's socket, which is opened as network:/// */
    ck_assert_str_eq(f.log, "netd-sock:66 netd-sock:1 netd-sock:46 ");
    ck_assert_str_eq(f.open_name, "network:///system");
    ck_assert_str_eq(modvirt_network_get_name(net), "net-a");
    ck_assert_str_eq(modvirt_network_get_uuid_string(net, uuid), "55555555-5555-5555-5555-555555555555");
    ck_assert_int_eq(modvirt_network_get_uuid(net)[15], 0x55);
    modvirt_network_free(net);
    /* a UUID is tried as one first */
    mark = strlen(f.log);
    net = net_ok(conn, "66666666-6666-6666-6666-666666666666");
    ck_assert_str_eq(modvirt_network_get_name(net), "net-b");
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "47 ");
    modvirt_network_free(net);
    /* a name that parses as a UUID nobody has is then found by name */
    mark = strlen(f.log);
    net = net_ok(conn, "77777777-7777-7777-7777-777777777777");
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "47 46 ");
    modvirt_network_free(net);
    /* an unknown one: the daemon's error, code NO_NETWORK */
    ck_assert_int_eq(modvirt_network_lookup(conn, "nope", &net, &err), -EIO);
    ck_assert_int_eq(err->code, 43);
    ck_assert_str_eq(err->message, "Network not found: no network with matching name");
    modvirt_error_free(err);
    err = NULL;
    ck_assert_int_eq(modvirt_network_lookup(conn, "", &net, &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err->message, "empty network name"));
    modvirt_error_free(err);
    modvirt_conn_close(conn);
    fake_stop(&f);
}
END_TEST

START_TEST(test_network_list_and_calls)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    modvirt_network **list = NULL, *net, *def = NULL;
    char *s = NULL, buf[256];
    size_t n = 0, mark;
    int v = -7;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_conn_list_all_networks(conn, MODVIRT_LIST_NETWORKS_INACTIVE, &list, &n, NULL), 0);
    ck_assert_uint_eq(f.net_flags, 1);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(modvirt_network_get_name(list[0]), "net-b");
    ck_assert_int_eq(modvirt_network_get_uuid(list[1])[0], 0x55);
    net = list[1];
    ck_assert_int_eq(modvirt_network_get_xml(net, MODVIRT_NETWORK_XML_INACTIVE, &s, NULL), 0);
    ck_assert_str_eq(s, "<network><name>net-a</name></network>");
    ck_assert_uint_eq(f.net_flags, 1);
    free(s);
    ck_assert_int_eq(modvirt_network_get_bridge_name(net, &s, NULL), 0);
    ck_assert_str_eq(s, "br-a");
    free(s);
    ck_assert_int_eq(modvirt_network_is_active(net, &v, NULL), 0);
    ck_assert_int_eq(v, 1);
    v = -7;
    ck_assert_int_eq(modvirt_network_get_autostart(net, &v, NULL), 0);
    ck_assert_int_eq(v, 1);
    /* the fake does not know this one: an error, and the out-parameter stays */
    ck_assert_int_eq(modvirt_network_is_persistent(net, &v, NULL), -EIO);
    ck_assert_int_eq(v, 1);
    /* each action is its own procedure, as virsh sends it */
    mark = strlen(f.log);
    ck_assert_int_eq(modvirt_network_start(net, NULL), 0);
    ck_assert_int_eq(modvirt_network_destroy(net, NULL), 0);
    ck_assert_int_eq(modvirt_network_set_autostart(net, 0, NULL), 0);
    ck_assert_int_eq(modvirt_network_undefine(net, NULL), 0);
    ck_assert_int_eq(modvirt_network_define_xml(conn, "<network/>", 0, &def, NULL), 0);
    ck_assert_str_eq(modvirt_network_get_name(def), "net-b");
    modvirt_network_free(def);
    ck_assert_int_eq(modvirt_network_define_xml(conn, "<network/>", MODVIRT_NETWORK_DEFINE_VALIDATE,
                                                &def, NULL), 0);
    modvirt_network_free(def);
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "39 42 48 49 41 432 ");
    modvirt_network_list_free(list, n);
    modvirt_conn_close(conn);
    fake_stop(&f);
}
END_TEST

START_TEST(test_network_update_and_leases)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    modvirt_network *net;
    modvirt_network_dhcp_lease *leases = NULL;
    size_t n = 0;

    fake_start(&f);
    conn = open_root(&f, 0);
    net = net_ok(conn, "net-a");
    ck_assert_int_eq(modvirt_network_update(net, MODVIRT_NETWORK_UPDATE_COMMAND_ADD_FIRST,
                                            MODVIRT_NETWORK_SECTION_IP_DHCP_HOST, 1,
                                            "<host mac='52:54:00:00:00:01'/>",
                                            MODVIRT_NETWORK_UPDATE_AFFECT_LIVE |
                                            MODVIRT_NETWORK_UPDATE_AFFECT_CONFIG, NULL), 0);
    ck_assert_uint_eq(f.update.command, 4);
    ck_assert_uint_eq(f.update.section, 4);
    ck_assert_int_eq(f.update.parentIndex, 1);
    ck_assert_uint_eq(f.update.flags, 3);
    ck_assert_str_eq(f.update_xml, "<host mac='52:54:00:00:00:01'/>");
    ck_assert_int_eq(modvirt_network_get_dhcp_leases(net, NULL, &leases, &n, NULL), 0);
    ck_assert_str_eq(f.net_mac, "(null)");
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(leases[0].iface, "br-a");
    ck_assert_int_eq(leases[0].expiry_time, 1700000000);
    ck_assert_int_eq(leases[0].type, MODVIRT_IP_ADDR_TYPE_IPV4);
    ck_assert_str_eq(leases[0].mac, "52:54:00:aa:bb:cc");
    ck_assert_ptr_null(leases[0].iaid);
    ck_assert_str_eq(leases[0].ipaddr, "192.168.150.10");
    ck_assert_uint_eq(leases[0].prefix, 24);
    ck_assert_str_eq(leases[0].hostname, "guest1");
    ck_assert_str_eq(leases[0].clientid, "01:52:54:00:aa:bb:cc");
    ck_assert_int_eq(leases[1].type, MODVIRT_IP_ADDR_TYPE_IPV6);
    ck_assert_ptr_null(leases[1].mac);
    ck_assert_ptr_null(leases[1].hostname);
    ck_assert_str_eq(leases[1].iaid, "1234");
    ck_assert_str_eq(leases[1].clientid, "00:01:00:01");
    modvirt_network_dhcp_lease_list_free(leases, n);
    ck_assert_int_eq(modvirt_network_get_dhcp_leases(net, "52:54:00:aa:bb:cc", &leases, &n, NULL), 0);
    ck_assert_str_eq(f.net_mac, "52:54:00:aa:bb:cc");
    modvirt_network_dhcp_lease_list_free(leases, n);
    modvirt_network_free(net);
    modvirt_conn_close(conn);
    fake_stop(&f);
}
END_TEST

START_TEST(test_network_update_words)
{
    ck_assert_int_eq(modvirt_network_update_command_from_name("add"), MODVIRT_NETWORK_UPDATE_COMMAND_ADD_LAST);
    ck_assert_int_eq(modvirt_network_update_command_from_name("add-last"), 3);
    ck_assert_int_eq(modvirt_network_update_command_from_name("add-first"), 4);
    ck_assert_int_eq(modvirt_network_update_command_from_name("delete"), 2);
    ck_assert_int_eq(modvirt_network_update_command_from_name("modify"), 1);
    ck_assert_int_eq(modvirt_network_update_command_from_name("none"), -1);
    ck_assert_int_eq(modvirt_network_update_command_from_name("Add"), -1);
    ck_assert_int_eq(modvirt_network_update_command_from_name(NULL), -1);
    ck_assert_int_eq(modvirt_network_update_section_from_name("bridge"), 1);
    ck_assert_int_eq(modvirt_network_update_section_from_name("ip-dhcp-host"), 4);
    ck_assert_int_eq(modvirt_network_update_section_from_name("ip-dhcp-range"), 5);
    ck_assert_int_eq(modvirt_network_update_section_from_name("dns-host"), 10);
    ck_assert_int_eq(modvirt_network_update_section_from_name("dns-srv"), 12);
    ck_assert_int_eq(modvirt_network_update_section_from_name("none"), -1);
    ck_assert_int_eq(modvirt_network_update_section_from_name("dns"), -1);
}
END_TEST

struct got_net_events {
    int n;
    char name[4][16];
    unsigned char uuid0[4];
    int type[4];
};

static void collect_net_event(modvirt_conn *conn, const modvirt_network_event *ev, void *opaque)
{
    struct got_net_events *g = opaque;

    ck_assert_int_lt(g->n, 4);
    snprintf(g->name[g->n], sizeof(g->name[0]), "%s", ev->name);
    g->uuid0[g->n] = ev->uuid[0];
    g->type[g->n] = ev->type;
    g->n++;
}

START_TEST(test_network_events)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    struct got_net_events g = { 0 };
    modvirt_conn *conn;
    modvirt_error *err = NULL;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_network_events_fd(conn), -1);
    ck_assert_int_eq(modvirt_network_events_process(conn, 0, NULL), -EINVAL);
    ck_assert_int_eq(modvirt_network_events_register(conn, collect_net_event, &g, NULL), 0);
    ck_assert_int_ge(modvirt_network_events_fd(conn), 0);
    ck_assert_int_eq(modvirt_network_events_register(conn, collect_net_event, &g, &err), -EBUSY);
    modvirt_error_free(err);
    for (int i = 0; i < 50 && g.n < 2; i++)
        ck_assert_int_ge(modvirt_network_events_process(conn, 100, NULL), 0);
    /* the body that does not decode is dropped */
    ck_assert_int_eq(g.n, 2);
    ck_assert_str_eq(g.name[0], "net-a");
    ck_assert_uint_eq(g.uuid0[0], 0x55);
    ck_assert_int_eq(g.type[0], MODVIRT_NETWORK_EVENT_STARTED);
    ck_assert_str_eq(g.name[1], "net-b");
    ck_assert_int_eq(g.type[1], MODVIRT_NETWORK_EVENT_UNDEFINED);
    ck_assert_int_eq(modvirt_network_events_deregister(conn, NULL), 0);
    ck_assert_int_eq(modvirt_network_events_fd(conn), -1);
    ck_assert_int_eq(modvirt_network_events_deregister(conn, NULL), 0);
    modvirt_conn_close(conn);
    fake_stop(&f);
    /* on netd's socket, registered and deregistered once */
    ck_assert_ptr_nonnull(strstr(f.log, "netd-sock:313 "));
    ck_assert_int_eq(f.nregistered, 1);
    ck_assert_int_eq(f.registered[0], 0);
    ck_assert_int_eq(f.nderegistered, 1);
    ck_assert_int_eq(f.deregistered[0], 200);
    ck_assert_str_eq(modvirt_network_event_type_name(MODVIRT_NETWORK_EVENT_DEFINED), "Defined");
    ck_assert_str_eq(modvirt_network_event_type_name(3), "Stopped");
    ck_assert_str_eq(modvirt_network_event_type_name(4), "unknown");
}
END_TEST

/* ---- node devices ---- */

START_TEST(test_nodedev_calls)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    modvirt_conn *conn;
    modvirt_error *err = NULL;
    char **names = NULL, **caps = NULL, *s = NULL, buf[256];
    size_t n = 0, mark;
    int v = -7;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_conn_list_all_node_devices(conn, MODVIRT_LIST_NODE_DEVICES_ACTIVE |
                                                        MODVIRT_LIST_NODE_DEVICES_CAP(MODVIRT_NODE_DEVICE_CAP_PCI_DEV),
                                                        &names, &n, &err), 0);
    /* node device calls go to nodedevd's socket, which is opened as nodedev:/// */
    ck_assert_str_eq(f.log, "nodedevd-sock:66 nodedevd-sock:1 nodedevd-sock:285 ");
    ck_assert_str_eq(f.open_name, "nodedev:///system");
    ck_assert_uint_eq(f.dev_flags, 0x80000002u);
    ck_assert_uint_eq(n, 2);
    ck_assert_str_eq(names[0], "computer");
    ck_assert_str_eq(names[1], "pci_0000_00_02_0");
    ck_assert_ptr_null(names[2]);
    modvirt_string_list_free(names);

    ck_assert_int_eq(modvirt_node_device_lookup(conn, "block_vda", NULL), 0);
    ck_assert_int_eq(modvirt_node_device_get_xml(conn, "pci_0000_00_02_0", 0, &s, NULL), 0);
    ck_assert_str_eq(s, "<device><name>pci_0000_00_02_0</name></device>\n");
    ck_assert_uint_eq(f.dev_flags, 0);
    free(s);
    ck_assert_int_eq(modvirt_node_device_get_parent(conn, "pci_0000_00_02_0", &s, NULL), 0);
    ck_assert_str_eq(s, "computer");
    free(s);
    s = (char *)"untouched";
    ck_assert_int_eq(modvirt_node_device_get_parent(conn, "computer", &s, NULL), 0);
    ck_assert_ptr_null(s);
    /* the count, then the list with that bound */
    mark = strlen(f.log);
    ck_assert_int_eq(modvirt_node_device_list_caps(conn, "pci_0000_00_02_0", &caps, NULL), 0);
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "116 117 ");
    ck_assert_int_eq(f.dev_maxnames, 2);
    ck_assert_str_eq(caps[0], "pci");
    ck_assert_str_eq(caps[1], "mdev_types");
    ck_assert_ptr_null(caps[2]);
    modvirt_string_list_free(caps);
    ck_assert_int_eq(modvirt_node_device_is_active(conn, "block_vda", &v, NULL), 0);
    ck_assert_int_eq(v, 1);
    ck_assert_int_eq(modvirt_node_device_is_persistent(conn, "block_vda", &v, NULL), 0);
    ck_assert_int_eq(v, 0);
    v = -7;
    ck_assert_int_eq(modvirt_node_device_get_autostart(conn, "block_vda", &v, NULL), 0);
    ck_assert_int_eq(v, 0);
    ck_assert_int_eq(modvirt_node_device_lookup_scsi_host_by_wwn(conn, "2000000000000001", "2100000000000001",
                                                                 &s, NULL), 0);
    ck_assert_str_eq(s, "scsi_host5");
    free(s);

    /* virsh's choice: DETTACH without a driver, DETACH_FLAGS with one */
    mark = strlen(f.log);
    ck_assert_int_eq(modvirt_node_device_detach(conn, "pci_0000_00_02_0", NULL, 0, NULL), 0);
    ck_assert_int_eq(modvirt_node_device_detach(conn, "pci_0000_00_02_0", "vfio", 0, NULL), 0);
    ck_assert_str_eq(f.dev_driver, "vfio");
    ck_assert_int_eq(modvirt_node_device_reattach(conn, "pci_0000_00_02_0", NULL), 0);
    ck_assert_int_eq(modvirt_node_device_reset(conn, "pci_0000_00_02_0", NULL), 0);
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "118 301 119 120 ");
    ck_assert_str_eq(f.dev_last, "pci_0000_00_02_0");

    /* an unknown device: the daemon's error, code NO_NODE_DEVICE, and the
     * out-parameter stays */
    s = NULL;
    ck_assert_int_eq(modvirt_node_device_get_xml(conn, "pci_nope", 0, &s, &err), -EIO);
    ck_assert_ptr_null(s);
    ck_assert_int_eq(err->code, 53);
    ck_assert_int_eq(err->domain, 22);
    ck_assert_str_eq(err->message, "Node device not found: no node device with matching name 'pci_nope'");
    modvirt_error_free(err);
    err = NULL;
    ck_assert_int_eq(modvirt_node_device_detach(conn, "pci_nope", "vfio", 0, &err), -EIO);
    ck_assert_int_eq(err->code, 53);
    modvirt_error_free(err);
    err = NULL;
    /* an empty name never reaches the daemon */
    mark = strlen(f.log);
    ck_assert_int_eq(modvirt_node_device_lookup(conn, "", &err), -EINVAL);
    ck_assert_ptr_nonnull(strstr(err->message, "empty node device name"));
    modvirt_error_free(err);
    err = NULL;
    ck_assert_int_eq(modvirt_node_device_reattach(conn, NULL, NULL), -EINVAL);
    ck_assert_str_eq(procs_since(&f, mark, buf, sizeof(buf)), "");
    modvirt_conn_close(conn);
    fake_stop(&f);
}
END_TEST

START_TEST(test_nodedev_names)
{
    ck_assert_str_eq(modvirt_node_device_cap_name(MODVIRT_NODE_DEVICE_CAP_SYSTEM), "system");
    ck_assert_str_eq(modvirt_node_device_cap_name(MODVIRT_NODE_DEVICE_CAP_USB_DEV), "usb_device");
    ck_assert_str_eq(modvirt_node_device_cap_name(MODVIRT_NODE_DEVICE_CAP_USB_INTERFACE), "usb");
    ck_assert_str_eq(modvirt_node_device_cap_name(MODVIRT_NODE_DEVICE_CAP_MDEV_TYPES), "mdev_types");
    ck_assert_str_eq(modvirt_node_device_cap_name(MODVIRT_NODE_DEVICE_CAP_VPD), "vpd");
    ck_assert_ptr_null(modvirt_node_device_cap_name(22));
    ck_assert_ptr_null(modvirt_node_device_cap_name(-1));
    ck_assert_int_eq(modvirt_node_device_cap_from_name("pci"), MODVIRT_NODE_DEVICE_CAP_PCI_DEV);
    ck_assert_int_eq(modvirt_node_device_cap_from_name("scsi_generic"), 11);
    ck_assert_int_eq(modvirt_node_device_cap_from_name("net"), 4);
    ck_assert_int_eq(modvirt_node_device_cap_from_name("PCI"), -1);
    ck_assert_int_eq(modvirt_node_device_cap_from_name(""), -1);
    ck_assert_int_eq(modvirt_node_device_cap_from_name(NULL), -1);
    /* every name maps back */
    for (int i = 0; i <= MODVIRT_NODE_DEVICE_CAP_VPD; i++)
        ck_assert_int_eq(modvirt_node_device_cap_from_name(modvirt_node_device_cap_name(i)), i);
    ck_assert_str_eq(modvirt_node_device_event_type_name(MODVIRT_NODE_DEVICE_EVENT_CREATED), "Created");
    ck_assert_str_eq(modvirt_node_device_event_type_name(3), "Undefined");
    ck_assert_str_eq(modvirt_node_device_event_type_name(4), "unknown");
}
END_TEST

struct got_dev_events {
    int n;
    char name[4][16];
    int id[4], type[4];
};

static void collect_dev_event(modvirt_conn *conn, const modvirt_node_device_event *ev, void *opaque)
{
    struct got_dev_events *g = opaque;

    ck_assert_int_lt(g->n, 4);
    snprintf(g->name[g->n], sizeof(g->name[0]), "%s", ev->name);
    g->id[g->n] = ev->event_id;
    g->type[g->n] = ev->type;
    g->n++;
}

START_TEST(test_nodedev_events)
{
    struct fake f = { .auth = MV_AUTH_NONE };
    struct got_dev_events g = { 0 };
    modvirt_conn *conn;
    modvirt_error *err = NULL;

    fake_start(&f);
    conn = open_root(&f, 0);
    ck_assert_int_eq(modvirt_node_device_events_fd(conn), -1);
    ck_assert_int_eq(modvirt_node_device_events_process(conn, 0, NULL), -EINVAL);
    ck_assert_int_eq(modvirt_node_device_events_register(conn, collect_dev_event, &g, NULL), 0);
    ck_assert_int_ge(modvirt_node_device_events_fd(conn), 0);
    ck_assert_int_eq(modvirt_node_device_events_register(conn, collect_dev_event, &g, &err), -EBUSY);
    modvirt_error_free(err);
    for (int i = 0; i < 50 && g.n < 2; i++)
        ck_assert_int_ge(modvirt_node_device_events_process(conn, 100, NULL), 0);
    /* the body that does not decode is dropped */
    ck_assert_int_eq(g.n, 2);
    ck_assert_str_eq(g.name[0], "net_dummy0_x");
    ck_assert_int_eq(g.id[0], MODVIRT_NODE_DEVICE_EVENT_ID_LIFECYCLE);
    ck_assert_int_eq(g.type[0], MODVIRT_NODE_DEVICE_EVENT_CREATED);
    ck_assert_str_eq(g.name[1], "block_vda");
    ck_assert_int_eq(g.id[1], MODVIRT_NODE_DEVICE_EVENT_ID_UPDATE);
    ck_assert_int_eq(modvirt_node_device_events_deregister(conn, NULL), 0);
    ck_assert_int_eq(modvirt_node_device_events_fd(conn), -1);
    ck_assert_int_eq(modvirt_node_device_events_deregister(conn, NULL), 0);
    modvirt_conn_close(conn);
    fake_stop(&f);
    /* on nodedevd's socket: both ids registered, both callbacks dropped */
    ck_assert_ptr_nonnull(strstr(f.log, "nodedevd-sock:374 nodedevd-sock:374 "));
    ck_assert_int_eq(f.nregistered, 2);
    ck_assert_int_eq(f.registered[0], 0);
    ck_assert_int_eq(f.registered[1], 1);
    ck_assert_int_eq(f.nderegistered, 2);
    ck_assert_int_eq(f.deregistered[0], 300);
    ck_assert_int_eq(f.deregistered[1], 301);
}
END_TEST

static Suite *libmodvirt_suite(void)
{
    Suite *s = suite_create("libmodvirt");
    TCase *daemon = tcase_create("daemon");
    TCase *uri = tcase_create("uri");
    TCase *domain = tcase_create("domain");
    TCase *network = tcase_create("network");
    TCase *nodedev = tcase_create("nodedev");

    tcase_add_test(daemon, test_handshake_and_call);
    tcase_add_test(daemon, test_readonly_socket_and_flag);
    tcase_add_test(daemon, test_polkit_then_open);
    tcase_add_test(daemon, test_polkit_denied_is_cannot_connect);
    tcase_add_test(daemon, test_socket_parameter);
    tcase_add_test(daemon, test_daemon_error_keeps_connection);
    tcase_add_test(daemon, test_list_all_domains);
    tcase_add_test(daemon, test_reconnect_after_loss);
    tcase_add_test(daemon, test_no_daemon);
    tcase_add_test(domain, test_lookup_order);
    tcase_add_test(domain, test_define_and_lifecycle);
    tcase_add_test(domain, test_queries);
    tcase_add_test(domain, test_list_with_state);
    tcase_add_test(domain, test_state_and_event_names);
    tcase_add_test(domain, test_events);
    tcase_add_test(domain, test_events_connection_lost);
    tcase_add_test(domain, test_console_echo);
    tcase_add_test(domain, test_console_eof);
    tcase_add_test(domain, test_console_failure);
    tcase_add_test(network, test_network_lookup_and_routing);
    tcase_add_test(network, test_network_list_and_calls);
    tcase_add_test(network, test_network_update_and_leases);
    tcase_add_test(network, test_network_update_words);
    tcase_add_test(network, test_network_events);
    tcase_add_test(nodedev, test_nodedev_calls);
    tcase_add_test(nodedev, test_nodedev_names);
    tcase_add_test(nodedev, test_nodedev_events);
    tcase_add_test(uri, test_bad_uris);
    tcase_add_test(uri, test_default_uri);
    suite_add_tcase(s, daemon);
    suite_add_tcase(s, domain);
    suite_add_tcase(s, network);
    suite_add_tcase(s, nodedev);
    suite_add_tcase(s, uri);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(libmodvirt_suite());
    int failed;

    srunner_run_all(sr, CK_ENV);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
