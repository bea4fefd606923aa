/*
 * modvirt events and net-event: wait for domain lifecycle and reboot
 * events, or network lifecycle events, and print one line each in virsh
 * event's and net-event's wording ("event 'lifecycle' for domain 'vm1':
 * Started Booted", "event 'lifecycle' for network n1: Started"), or one
 * JSON object per line.  Like virsh, without --loop they stop after the
 * first event, and fail (status 1) if none came.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"

/* Whether L takes one more event: one-shot listeners take only the first
 * (events that came in the same read as it are not shown). */
bool cli_listener_wants(const struct cli_listener *l)
{
    return l->loop || l->count == 0;
}

/* The event is out: a reader on a pipe sees each event when it happens. */
void cli_listener_shown(struct cli_listener *l)
{
    fflush(stdout);
    l->count++;
}

enum wait_end { END_DONE, END_TIMEOUT, END_INTERRUPT, END_FAILED };

static void print_json(const modvirt_domain_event *ev)
{
    json_object *o = json_object_new_object();
    char uuid[37];

    json_object_object_add(o, "event", json_object_new_string(
        ev->event_id == MODVIRT_DOMAIN_EVENT_ID_LIFECYCLE ? "lifecycle" : "reboot"));
    json_object_object_add(o, "domain", json_object_new_string(ev->dom.name));
    json_object_object_add(o, "uuid", json_object_new_string(cli_uuid_string(ev->dom.uuid, uuid)));
    json_object_object_add(o, "id", ev->dom.id >= 0 ? json_object_new_int(ev->dom.id) : NULL);
    if (ev->event_id == MODVIRT_DOMAIN_EVENT_ID_LIFECYCLE) {
        json_object_object_add(o, "type", json_object_new_string(modvirt_domain_event_type_name(ev->type)));
        json_object_object_add(o, "detail", json_object_new_string(
            modvirt_domain_event_detail_name(ev->type, ev->detail)));
        json_object_object_add(o, "type_code", json_object_new_int(ev->type));
        json_object_object_add(o, "detail_code", json_object_new_int(ev->detail));
    }
    /* one object per line: no pretty printing */
    puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
    json_object_put(o);
}

static void on_event(modvirt_conn *conn, const modvirt_domain_event *ev, void *opaque)
{
    struct cli_listener *l = opaque;

    if (!cli_listener_wants(l))
        return;
    if (l->json)
        print_json(ev);
    else if (ev->event_id == MODVIRT_DOMAIN_EVENT_ID_LIFECYCLE)
        printf("event 'lifecycle' for domain '%s': %s %s\n", ev->dom.name,
               modvirt_domain_event_type_name(ev->type),
               modvirt_domain_event_detail_name(ev->type, ev->detail));
    else
        printf("event 'reboot' for domain '%s'\n", ev->dom.name);
    cli_listener_shown(l);
}

static void on_network_event(modvirt_conn *conn, const modvirt_network_event *ev, void *opaque)
{
    struct cli_listener *l = opaque;
    const char *type = modvirt_network_event_type_name(ev->type);

    if (!cli_listener_wants(l))
        return;
    if (l->json) {
        json_object *o = json_object_new_object();
        char uuid[37];

        json_object_object_add(o, "event", json_object_new_string("lifecycle"));
        json_object_object_add(o, "network", json_object_new_string(ev->name));
        json_object_object_add(o, "uuid", json_object_new_string(
            cli_uuid_string(ev->uuid, uuid)));
        json_object_object_add(o, "type", json_object_new_string(type));
        json_object_object_add(o, "type_code", json_object_new_int(ev->type));
        json_object_object_add(o, "detail_code", json_object_new_int(ev->detail));
        puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
                                                JSON_C_TO_STRING_NOSLASHESCAPE));
        json_object_put(o);
    } else {
        /* virsh net-event does not quote the network's name */
        printf("event 'lifecycle' for network %s: %s\n", ev->name, type);
    }
    cli_listener_shown(l);
}

static int register_domains(modvirt_conn *conn, struct cli_listener *l, modvirt_error **err)
{
    return modvirt_domain_events_register(conn, on_event, l, err);
}

static int register_networks(modvirt_conn *conn, struct cli_listener *l, modvirt_error **err)
{
    return modvirt_network_events_register(conn, on_network_event, l, err);
}

static const struct cli_event_source domain_source = {
    "domain events", register_domains, modvirt_domain_events_deregister,
    modvirt_domain_events_fd, modvirt_domain_events_process,
};

static const struct cli_event_source network_source = {
    "network events", register_networks, modvirt_network_events_deregister,
    modvirt_network_events_fd, modvirt_network_events_process,
};

static long long now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Until the first event (or forever with --loop), DEADLINE (< 0: none), a
 * signal, or a lost connection. */
static enum wait_end wait_events(modvirt_conn *conn, const struct cli_event_source *src,
                                 struct cli_listener *l, int sigfd, long long deadline, int *code)
{
    while (cli_listener_wants(l)) {
        struct pollfd pfd[2] = {
            { .fd = src->fd(conn), .events = POLLIN },
            { .fd = sigfd, .events = POLLIN },
        };
        long long left = deadline < 0 ? -1 : deadline - now_ms();
        modvirt_error *err = NULL;
        int r;

        if (deadline >= 0 && left <= 0)
            return END_TIMEOUT;
        r = poll(pfd, 2, left > INT32_MAX ? INT32_MAX : (int)left);
        if (r < 0 && errno != EINTR) {
            *code = cli_fail(-errno, NULL);
            return END_FAILED;
        }
        if (r > 0 && pfd[1].revents) {
            cli_take_signal(sigfd);
            return END_INTERRUPT;
        }
        if (r > 0 && pfd[0].revents && (r = src->process(conn, 0, &err)) < 0) {
            *code = cli_fail(r, err);
            return END_FAILED;
        }
    }
    return END_DONE;
}

static bool parse_timeout(const char *s, long long *ms)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v <= 0 || v > INT32_MAX / 1000)
        return false;
    *ms = v * 1000LL;
    return true;
}

int cli_listen_events(struct cli *cli, const struct cli_event_source *src, const bool *set)
{
    struct cli_listener l = { .json = cli->json, .loop = set[0] };
    long long deadline = -1, timeout_ms = 0;
    modvirt_error *err = NULL;
    modvirt_conn *conn;
    _cleanup_close_ int sigfd = -1;
    enum wait_end end;
    int code = CLI_EXIT_OK, r;

    if (set[1] && !parse_timeout(cli->flag_arg[1], &timeout_ms)) {
        cli_error("--timeout needs a positive number of seconds, not '%s'", cli->flag_arg[1]);
        return CLI_EXIT_USAGE;
    }
    if (!(conn = cli_conn(cli, &code)))
        return code;
    /* SIGINT and SIGTERM end the wait (virsh's "event loop interrupted")
     * rather than the process, so that the registrations are dropped cleanly */
    sigfd = cli_signal_fd((const int[]){ SIGINT, SIGTERM, 0 });
    if (sigfd < 0)
        return cli_fail(sigfd, NULL);
    r = src->reg(conn, &l, &err);
    if (r < 0)
        return cli_failf(r, err, "cannot register for %s", src->what);
    if (set[1])
        deadline = now_ms() + timeout_ms;
    end = wait_events(conn, src, &l, sigfd, deadline, &code);
    r = src->dereg(conn, &err);
    if (r < 0 && end != END_FAILED)
        code = cli_fail(r, err);
    else if (r < 0)
        modvirt_error_free(err);
    if (end == END_FAILED)
        return code;
    if (!cli->json) {
        if (end == END_INTERRUPT)
            printf("event loop interrupted\n");
        else if (end == END_TIMEOUT)
            printf("event loop timed out\n");
        printf("events received: %d\n\n", l.count);
    }
    if (code != CLI_EXIT_OK)
        return code;
    return l.count ? CLI_EXIT_OK : CLI_EXIT_FAILED;
}

static int cmd_events(struct cli *cli, const bool *set, char **args, int nargs)
{
    return cli_listen_events(cli, &domain_source, set);
}

static int cmd_net_event(struct cli *cli, const bool *set, char **args, int nargs)
{
    return cli_listen_events(cli, &network_source, set);
}

const struct cli_flag cli_events_flags[] = {
    { "loop", "go on after the first event, until the timeout or a signal", NULL },
    { "timeout", "stop waiting after SECONDS", "SECONDS" },
    { NULL, NULL, NULL },
};

const struct cli_command cli_events_commands[] = {
    { "events", NULL, "print domain lifecycle and reboot events as they happen",
      "Waits for lifecycle events (defined, started, stopped, ...) and reboots\n"
      "of any domain and prints one line each, worded like virsh event:\n"
      "  event 'lifecycle' for domain 'vm1': Started Booted\n"
      "With --json, one JSON object per line.  Without --loop it stops after\n"
      "the first event.  Exits 1 if no event came before the timeout or an\n"
      "interrupt (as virsh event does).",
      cli_events_flags, 0, 0, cmd_events },
    { "net-event", NULL, "print network lifecycle events as they happen",
      "Waits for lifecycle events (defined, undefined, started, stopped) of any\n"
      "network and prints one line each, worded like virsh net-event:\n"
      "  event 'lifecycle' for network n1: Started\n"
      "With --json, one JSON object per line.  Without --loop it stops after\n"
      "the first event.  Exits 1 if no event came before the timeout or an\n"
      "interrupt (as virsh net-event does).",
      cli_events_flags, 0, 0, cmd_net_event },
};
const size_t cli_events_ncommands = MV_ARRAY_SIZE(cli_events_commands);
