/*
 * The modvirt command line tool: a thin shell over libmodvirt.  Each command
 * group lives in its own cli_*.c and registers commands in a table; output
 * (tables, JSON, errors) goes through cli_output.c so every command prints
 * the same way.
 */
#pragma once

#include <json-c/json.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cleanup.h"
#include "modvirt.h"

/* Exit statuses, documented in --help and modvirt(1). */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAILED = 1,        /* the operation failed (the daemon said no) */
    CLI_EXIT_USAGE = 2,         /* bad command line or URI */
    CLI_EXIT_CONNECT = 3,       /* cannot reach the daemon */
};

#define CLI_FLAGS_MAX 8

struct cli {
    const char *uri;            /* -c, or NULL for the default */
    unsigned int open_flags;    /* MODVIRT_CONN_* */
    bool json;
    modvirt_conn *conn;         /* opened by cli_conn() on first need */
    /* the argument given to the running command's flags[i] that take one */
    const char *flag_arg[CLI_FLAGS_MAX];
};

/* An option of a command: boolean ("--all") or with an argument
 * ("--timeout N", ARG names it in the help). */
struct cli_flag {
    const char *name;
    const char *help;
    const char *arg;            /* NULL for a boolean option */
};

struct cli_command {
    const char *name;
    const char *args;                   /* positional arguments in the synopsis */
    const char *summary;                /* one line for the command list */
    const char *help;                   /* paragraph for COMMAND --help */
    const struct cli_flag *flags;       /* NULL-terminated by name, may be NULL */
    int min_args, max_args;
    /* SET[i] tells whether flags[i] was given; ARGS are the positional ones. */
    int (*run)(struct cli *cli, const bool *set, char **args, int nargs);
};

extern const struct cli_command cli_host_commands[];
extern const size_t cli_host_ncommands;
extern const struct cli_command cli_domain_commands[];
extern const size_t cli_domain_ncommands;
extern const struct cli_command cli_lifecycle_commands[];
extern const size_t cli_lifecycle_ncommands;
extern const struct cli_command cli_snapshot_commands[];
extern const size_t cli_snapshot_ncommands;
extern const struct cli_command cli_qemu_commands[];
extern const size_t cli_qemu_ncommands;
extern const struct cli_command cli_console_commands[];
extern const size_t cli_console_ncommands;
extern const struct cli_command cli_events_commands[];
extern const size_t cli_events_ncommands;
extern const struct cli_command cli_network_commands[];
extern const size_t cli_network_ncommands;
extern const struct cli_command cli_network_change_commands[];
extern const size_t cli_network_change_ncommands;
extern const struct cli_command cli_pool_commands[];
extern const size_t cli_pool_ncommands;
extern const struct cli_command cli_vol_commands[];
extern const size_t cli_vol_ncommands;
extern const struct cli_command cli_vol_job_commands[];
extern const size_t cli_vol_job_ncommands;
extern const struct cli_command cli_vol_transfer_commands[];
extern const size_t cli_vol_transfer_ncommands;
extern const struct cli_command cli_nodedev_commands[];
extern const size_t cli_nodedev_ncommands;
extern const struct cli_command cli_tuning_commands[];
extern const size_t cli_tuning_ncommands;
extern const struct cli_command cli_device_commands[];
extern const size_t cli_device_ncommands;
extern const struct cli_command cli_stats_commands[];
extern const size_t cli_stats_ncommands;
extern const struct cli_command cli_agent_commands[];
extern const size_t cli_agent_ncommands;

/* The connection, opened now if needed; NULL after printing the error, with
 * *EXIT_CODE set. */
modvirt_conn *cli_conn(struct cli *cli, int *exit_code);

/* ---- cli_domain.c ---- */

/* The domain KEY (name, UUID or id) into *DOM; else prints why and returns
 * the exit status (never CLI_EXIT_OK). */
int cli_domain_get(struct cli *cli, const char *key, modvirt_domain **dom);
MV_DEFINE_CLEANUP(modvirt_domain, modvirt_domain_free)

/* ---- cli_network.c ---- */

/* The network KEY (name or UUID) into *NET; else prints why and returns the
 * exit status (never CLI_EXIT_OK). */
int cli_network_get(struct cli *cli, const char *key, modvirt_network **net);
MV_DEFINE_CLEANUP(modvirt_network, modvirt_network_free)

/* ---- cli_pool.c, cli_vol.c ---- */

/* The pool KEY (name or UUID) into *POOL; else prints why and returns the
 * exit status (never CLI_EXIT_OK). */
int cli_pool_get(struct cli *cli, const char *key, modvirt_storage_pool **pool);
MV_DEFINE_CLEANUP(modvirt_storage_pool, modvirt_storage_pool_free)
/* The volume KEY into *VOL as virsh finds it: by name in POOL if given,
 * else (or if that fails) by key, then by path; else prints why. */
int cli_vol_get(struct cli *cli, const char *key, const char *pool, modvirt_storage_vol **vol);
MV_DEFINE_CLEANUP(modvirt_storage_vol, modvirt_storage_vol_free)

/* ---- cli_progress.c ---- */

/* A progress bar on stdout for a long transfer or job: bytes, rate and
 * ETA, redrawn in place; inert (every call a no-op) unless stdout is a
 * terminal and --json is off, so pipes and scripts never see it. */
struct cli_progress;
/* LABEL leads the line; TOTAL 0 means unknown (no percentage or ETA). */
struct cli_progress *cli_progress_new(const struct cli *cli, const char *label, uint64_t total);
/* DONE bytes so far; redraws at most a few times a second. */
void cli_progress_update(struct cli_progress *p, uint64_t done);
/* The total, once known (0: unknown). */
void cli_progress_set_total(struct cli_progress *p, uint64_t total);
/* Draws the last state (COMPLETE: as finished) and ends the line. */
void cli_progress_end(struct cli_progress *p, bool complete);
void cli_progress_free(struct cli_progress *p);
static inline void cli_progress_freep(struct cli_progress **p) { cli_progress_free(*p); }

/* ---- cli_console.c ---- */

/* Attaches the terminal (or stdin/stdout) to DOM's console until the escape
 * key, or end of file on either side; returns the exit status. */
int cli_console_attach(struct cli *cli, modvirt_domain *dom, bool force);

/* ---- cli_events.c ---- */

/* An events command's state while it waits: print as JSON, go on after the
 * first event, events shown so far. */
struct cli_listener {
    bool json;
    bool loop;
    int count;
};

/* Whether L takes one more event: one-shot listeners take only the first. */
bool cli_listener_wants(const struct cli_listener *l);
/* Flushes the event just printed (a reader on a pipe sees it at once) and counts it. */
void cli_listener_shown(struct cli_listener *l);

/* One kind of subscription: domain, network or node device events. */
struct cli_event_source {
    const char *what;           /* for messages: "domain events" */
    int (*reg)(modvirt_conn *conn, struct cli_listener *l, modvirt_error **err);
    int (*dereg)(modvirt_conn *conn, modvirt_error **err);
    int (*fd)(modvirt_conn *conn);
    int (*process)(modvirt_conn *conn, int timeout_ms, modvirt_error **err);
};

/* The options of every events command: --loop, --timeout SECONDS. */
extern const struct cli_flag cli_events_flags[];

/* Subscribes to SRC, waits as --loop (SET[0]) and --timeout (SET[1]) say,
 * unsubscribes and reports "events received: N" as virsh does; 1 if no
 * event came. */
int cli_listen_events(struct cli *cli, const struct cli_event_source *src, const bool *set);

/* ---- cli_input.c ---- */

/* The XML file PATH ("-": standard input) as a malloc'd string; NULL after
 * printing why (a usage error: the file is the user's). */
char *cli_read_xml(const char *path);

/* ---- cli_output.c ---- */

/* Prints "modvirt: error: ..." to stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Prints ERR (frees it) and returns the exit status for the failure R. */
int cli_fail(int r, modvirt_error *err);
/* The same with a line of context first: "modvirt: error: WHAT: MESSAGE". */
int cli_failf(int r, modvirt_error *err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* The dashed lowercase form of UUID in OUT. */
const char *cli_uuid_string(const unsigned char uuid[16], char out[37]);
/* virsh's human size, "1.50 GiB" or "512.00 B", in BUF (32 bytes). */
const char *cli_size_string(uint64_t bytes, char *buf, size_t len);
/* "7.2.22" for 7002022; BUF needs 32 bytes. */
const char *cli_version_string(unsigned long long v, char *buf, size_t len);

/* A typed value as virsh prints it (no newline), and as JSON. */
void cli_stat_print(const modvirt_stat *s);
json_object *cli_stat_json(const modvirt_stat *s);

/* Prints OBJ as pretty JSON on stdout and drops the reference. */
int cli_json_print(json_object *obj);
/* A command's success: with O (--json; the object's naming fields, consumed)
 * O plus "action": ACTION as JSON, else virsh's sentence FMT followed by END
 * ("\n\n" for the blank line virsh prints after most of them). */
/* A dumpxml's output: {"xml": XML} with --json, else XML as the daemon sent
 * it, ending in exactly one newline, for piping to a parser. */
int cli_print_xml(struct cli *cli, const char *xml);
int cli_vreport(json_object *o, const char *action, const char *end, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));

/* A text table in virsh's layout: a header, a rule, left-aligned columns. */
struct cli_table;
struct cli_table *cli_table_new(size_t ncols, const char *const *headers);
/* Appends a row of NCOLS strings (copied); -ENOMEM on failure. */
int cli_table_add(struct cli_table *t, const char *const *cells);
void cli_table_print(const struct cli_table *t);
void cli_table_free(struct cli_table *t);
static inline void cli_table_freep(struct cli_table **t) { cli_table_free(*t); }

/* A non-blocking signalfd for SIGNALS (0-terminated).  They stay blocked
 * until exit: senders such as timeout(1) signal twice, and a second one must
 * not kill the command while it cleans up.  -errno on failure. */
int cli_signal_fd(const int *signals);
/* Dequeues one signal from SIGFD, so that it is never delivered later. */
void cli_take_signal(int sigfd);
