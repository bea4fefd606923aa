#define MV_LOG_MODULE "daemon"
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <systemd/sd-daemon.h>

#include "cleanup.h"
#include "daemon.h"
#include "daemon_config.h"
#include "daemon_remote.h"
#include "log.h"


struct daemon_opts {
    const char *root;
    const char *config;
    long timeout;       /* -1: not given */
    bool verbose;
};

static void usage(FILE *out, const char *prog)
{
    fprintf(out,
            "Usage: %s [OPTION]...\n"
            "\n"
            "  -R, --root DIR      keep every file (config, state, sockets, logs) under DIR\n"
            "  -f, --config FILE   read settings from FILE instead of the default\n"
            "  -t, --timeout SECS  exit after SECS idle (no clients, jobs or guests)\n"
            "  -v, --verbose       log at debug level to stderr\n"
            "  -V, --version       print the version and exit\n"
            "  -h, --help          print this help and exit\n"
            "\n"
            "See %s(8).\n", prog, prog);
}

/* 0 to run, 1 to exit successfully (help, version), -EINVAL on bad usage. */
static int parse_options(int argc, char **argv, const char *prog, struct daemon_opts *o)
{
    static const struct option longopts[] = {
        { "root", required_argument, NULL, 'R' },
        { "config", required_argument, NULL, 'f' },
        { "timeout", required_argument, NULL, 't' },
        { "verbose", no_argument, NULL, 'v' },
        { "version", no_argument, NULL, 'V' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int c;
    char *end;

    o->timeout = -1;
    while ((c = getopt_long(argc, argv, "R:f:t:vVh", longopts, NULL)) != -1) {
        switch (c) {
        case 'R': o->root = optarg; break;
        case 'f': o->config = optarg; break;
        case 't':
            o->timeout = strtol(optarg, &end, 10);
            if (!*optarg || *end || o->timeout < 0 || o->timeout > 86400 * 365) {
                fprintf(stderr, "%s: --timeout: '%s' is not a number of seconds\n", prog, optarg);
                return -EINVAL;
            }
            break;
        case 'v': o->verbose = true; break;
        case 'V': printf("%s %s\n", prog, PACKAGE_VERSION); return 1;
        case 'h': usage(stdout, prog); return 1;
        default: usage(stderr, prog); return -EINVAL;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "%s: unexpected argument '%s'\n", prog, argv[optind]);
        return -EINVAL;
    }
    if (o->root && o->root[0] != '/') {
        fprintf(stderr, "%s: --root must be an absolute path, not '%s'\n", prog, o->root);
        return -EINVAL;
    }
    return 0;
}

static bool key_in(const char *const *keys, const char *key)
{
    for (; keys && *keys; keys++)
        if (strcmp(*keys, key) == 0)
            return true;
    return false;
}

/* Loads the config file (a missing default file is fine, a missing
 * explicit one is not) and checks every key is one we know. */
static int load_config(const char *prog, const char *path, bool explicit,
                       const struct mv_daemon_desc *desc, mv_conf **ret)
{
    _cleanup_free_ char *err = NULL;
    _cleanup_free_ const char **keys = NULL;  /* borrowed names: nothing to copy, nothing to fail */
    size_t n = 0, i = 0;
    int r = mv_conf_load_file(path, ret, &err);

    if (r == -ENOENT && !explicit)
        return mv_conf_parse("", 0, path, ret, &err);
    if (r < 0) {
        fprintf(stderr, "%s: cannot load configuration '%s': %s\n", prog, path,
                err ? err : strerror(-r));
        return r;
    }
    for (const char *const *k = mv_daemon_config_keys; *k; k++) n++;
    for (const char *const *k = desc->config_keys; k && *k; k++) n++;
    for (const char *const *k = mv_remote_config_keys; desc->remote && *k; k++) n++;
    keys = calloc(n + 1, sizeof(*keys));
    if (!keys) {
        mv_conf_free(*ret);
        *ret = NULL;
        return -ENOMEM;
    }
    for (const char *const *k = mv_daemon_config_keys; *k; k++)
        keys[i++] = *k;
    for (const char *const *k = desc->config_keys; k && *k; k++)
        if (!key_in(mv_daemon_config_keys, *k))
            keys[i++] = *k;
    for (const char *const *k = mv_remote_config_keys; desc->remote && *k; k++)
        keys[i++] = *k;
    r = mv_conf_check_keys(*ret, keys, &err);
    if (r < 0) {
        fprintf(stderr, "%s: %s\n", prog, err ? err : "invalid configuration");
        mv_conf_free(*ret);
        *ret = NULL;
    }
    return r;
}

/* The settings are checked even with --verbose, which then sends
 * everything at debug level to stderr instead. */
static int setup_logging(const char *prog, const struct mv_daemon_config *cfg, bool verbose)
{
    int r;

    mv_log_set_level((enum mv_log_level)cfg->log_level);
    if (cfg->log_filters && (r = mv_log_set_filters(cfg->log_filters)) < 0) {
        fprintf(stderr, "%s: log_filters: invalid filter list '%s'\n", prog, cfg->log_filters);
        return r;
    }
    if (cfg->log_outputs && (r = mv_log_set_output(cfg->log_outputs)) < 0) {
        fprintf(stderr, "%s: log_outputs: cannot use '%s': %s\n", prog, cfg->log_outputs,
                strerror(-r));
        return r;
    }
    if (verbose) {
        mv_log_set_level(MV_LOG_DEBUG);
        mv_log_set_filters("");
        mv_log_set_output("stderr");
    }
    return 0;
}

/* The daemon's own directories (the socket directory is made when listening). */
static int make_state_dirs(const struct mv_paths *paths)
{
    const char *const dirs[] = { paths->statedir, paths->logdir };
    int r;

    for (size_t i = 0; i < MV_ARRAY_SIZE(dirs); i++)
        if ((r = mv_mkdir_p(dirs[i], 0755)) < 0)
            return mv_log_errno(MV_LOG_ERROR, r, "cannot create '%s': %s", dirs[i], strerror(-r));
    return 0;
}

static void listen_opts_for(const struct mv_daemon_config *cfg, bool readonly,
                            struct mv_listen_opts *o)
{
    *o = (struct mv_listen_opts){
        .readonly = readonly,
        .auth = readonly ? cfg->auth_ro : cfg->auth_rw,
        .polkit_action = readonly ? "org.modvirt.unix.monitor" : "org.modvirt.unix.manage",
    };
}

/* Sockets handed over by systemd (or systemd-socket-activate), by name:
 * rw and ro are served here, a remote daemon's tls and tcp are left in
 * *TLS_FD / *TCP_FD for mv_remote_listen(). */
static int take_activated_sockets(struct mv_server *srv, const struct mv_daemon_config *cfg,
                                  bool remote, int *tls_fd, int *tcp_fd)
{
    _cleanup_strv_free_ char **names = NULL;
    int n = sd_listen_fds_with_names(true, &names);

    for (int i = 0; i < n; i++) {
        int fd = SD_LISTEN_FDS_START + i;
        const char *name = names && names[i] ? names[i] : "";
        struct mv_listen_opts o;
        int r;

        if (remote && (strcmp(name, "tls") == 0 || strcmp(name, "tcp") == 0)) {
            if (sd_is_socket(fd, AF_UNSPEC, SOCK_STREAM, 1) <= 0) {
                mv_error("socket activation: fd %d ('%s') is not a listening stream socket", fd, name);
                return -EINVAL;
            }
            *(name[1] == 'l' ? tls_fd : tcp_fd) = fd;
            continue;
        }
        if (strcmp(name, "rw") != 0 && strcmp(name, "ro") != 0) {
            mv_error("socket activation: fd %d has name '%s'; expected 'rw' or 'ro'%s "
                     "(FileDescriptorName= in the .socket unit)", fd, name,
                     remote ? ", 'tls' or 'tcp'" : "");
            return -EINVAL;
        }
        if (sd_is_socket_unix(fd, SOCK_STREAM, 1, NULL, 0) <= 0) {
            mv_error("socket activation: fd %d ('%s') is not a listening unix stream socket", fd, name);
            return -EINVAL;
        }
        listen_opts_for(cfg, strcmp(name, "ro") == 0, &o);
        r = mv_server_add_listener(srv, fd, &o);
        if (r < 0)
            return mv_log_errno(MV_LOG_ERROR, r, "cannot serve activated socket '%s': %s",
                                name, strerror(-r));
    }
    return n;
}

/* The directory the daemon's own sockets go in: rundir, or its sibling
 * named by desc->socket_dir. */
static char *socket_dir(const struct mv_paths *paths, const struct mv_daemon_desc *desc)
{
    const char *slash = strrchr(paths->rundir, '/');
    char *dir = NULL;

    if (!desc->socket_dir || !slash)
        return strdup(paths->rundir);
    if (asprintf(&dir, "%.*s/%s", (int)(slash - paths->rundir), paths->rundir, desc->socket_dir) < 0)
        return NULL;
    return dir;
}

static char *socket_path(const struct mv_paths *paths, const struct mv_daemon_desc *desc, bool ro)
{
    _cleanup_free_ char *dir = socket_dir(paths, desc);
    char *path = NULL;

    if (!dir || asprintf(&path, "%s/%s-sock%s", dir, desc->socket_name ? desc->socket_name : desc->name,
                         ro ? "-ro" : "") < 0)
        return NULL;
    return path;
}

static int create_sockets(struct mv_server *srv, const struct mv_paths *paths,
                          const struct mv_daemon_desc *desc, const struct mv_daemon_config *cfg)
{
    _cleanup_free_ char *dir = socket_dir(paths, desc);
    int r;

    if (!dir)
        return -ENOMEM;
    if ((r = mv_mkdir_p(dir, 0755)) < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot create '%s': %s", dir, strerror(-r));
    for (int ro = 0; ro <= 1; ro++) {
        _cleanup_free_ char *path = socket_path(paths, desc, ro);
        struct mv_listen_opts o;

        if (!path)
            return -ENOMEM;
        listen_opts_for(cfg, ro, &o);
        r = mv_server_listen_unix(srv, path, ro ? cfg->ro_perms : cfg->rw_perms, cfg->sock_gid, &o);
        if (r == -EADDRINUSE)
            return mv_log_errno(MV_LOG_ERROR, r, "'%s' is in use: is another modvirt-%s running?",
                                path, desc->name);
        if (r < 0)
            return mv_log_errno(MV_LOG_ERROR, r, "cannot listen on '%s': %s", path, strerror(-r));
        mv_info("listening on %s", path);
    }
    return 0;
}

static void remove_own_sockets(const struct mv_paths *paths, const struct mv_daemon_desc *desc)
{
    for (int ro = 0; ro <= 1; ro++) {
        _cleanup_free_ char *path = socket_path(paths, desc, ro);
        if (path)
            unlink(path);
    }
}

static int on_signal(sd_event_source *s, const struct signalfd_siginfo *si, void *opaque)
{
    mv_info("received %s: shutting down", strsignal((int)si->ssi_signo));
    sd_event_exit(sd_event_source_get_event(s), 0);
    return 0;
}

struct daemon_run;
static int on_hangup(sd_event_source *s, const struct signalfd_siginfo *si, void *opaque);

/* Signals go through the loop; blocked before any thread starts so that
 * workers inherit the mask. */
static int setup_signals(sd_event *ev, struct daemon_run *d)
{
    sigset_t mask;
    int r;

    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    sigaddset(&mask, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0)
        return -errno;
    signal(SIGPIPE, SIG_IGN);
    if ((r = sd_event_add_signal(ev, NULL, SIGTERM, on_signal, NULL)) < 0 ||
        (r = sd_event_add_signal(ev, NULL, SIGINT, on_signal, NULL)) < 0)
        return r;
    /* SIGHUP: nothing to reload yet, but it must not kill the daemon
     * (a NULL handler would make sd-event exit the loop) */
    return sd_event_add_signal(ev, NULL, SIGHUP, on_hangup, d);
}

/* daemon_setup() results besides 0 (go on) and -errno (runtime failure) */
enum { SETUP_EXIT_OK = 1, SETUP_BAD_CONFIG = 2 };

struct daemon_run {
    const char *prog;
    const struct mv_daemon_desc *desc;
    struct daemon_opts opts;
    struct mv_paths paths;
    struct mv_daemon_config cfg;
    sd_event *event;
    struct mv_server *server;
    bool own_sockets;
    struct mv_remote_config remote;     /* desc->remote */
};

/* SIGHUP: a remote daemon reloads its certificates; nothing else is
 * reloaded, but it must not kill the daemon (a NULL handler would make
 * sd-event exit the loop). */
static int on_hangup(sd_event_source *s, const struct signalfd_siginfo *si, void *opaque)
{
    struct daemon_run *d = opaque;

    if (d->desc->remote && d->server)
        mv_remote_reload(&d->remote, d->server);
    else
        mv_info("received SIGHUP: nothing to reload");
    return 0;
}

static int daemon_serve(struct daemon_run *d)
{
    struct mv_daemon_ctx ctx = { .paths = &d->paths, .event = d->event };
    _cleanup_free_ char *err = NULL;
    int r, n, tls_fd = -1, tcp_fd = -1;

    r = mv_server_new(d->event, d->desc->driver, &d->cfg.server, &d->server);
    if (r < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot create the RPC server: %s", strerror(-r));
    n = take_activated_sockets(d->server, &d->cfg, d->desc->remote, &tls_fd, &tcp_fd);
    if (n == -EINVAL)
        return SETUP_BAD_CONFIG;    /* sockets not named as the units name them */
    if (n < 0)
        return n;
    if (n == 0) {
        r = create_sockets(d->server, &d->paths, d->desc, &d->cfg);
        if (r < 0)
            return r;
        d->own_sockets = true;
    }
    if (d->desc->remote && (r = mv_remote_listen(&d->remote, d->server, tls_fd, tcp_fd, &err)) < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "%s", err ? err : strerror(-r));
    ctx.server = d->server;
    if (d->desc->start && (r = d->desc->start(&ctx)) < 0)
        return r;
    sd_notify(0, "READY=1");
    mv_info("%s %s ready", d->prog, PACKAGE_VERSION);
    r = sd_event_loop(d->event);
    sd_notify(0, "STOPPING=1");
    return r;
}

static int daemon_setup(struct daemon_run *d, char **argv, int argc)
{
    _cleanup_(mv_conf_freep) mv_conf *conf = NULL;
    _cleanup_free_ char *cfgpath = NULL;
    _cleanup_free_ char *err = NULL;
    struct mv_daemon_ctx ctx;
    int r;

    r = parse_options(argc, argv, d->prog, &d->opts);
    if (r != 0)
        return r > 0 ? SETUP_EXIT_OK : SETUP_BAD_CONFIG;
    if ((r = mv_paths_init(&d->paths, d->opts.root)) < 0) {
        fprintf(stderr, "%s: cannot set up paths: %s\n", d->prog, strerror(-r));
        return r;
    }
    cfgpath = d->opts.config ? strdup(d->opts.config) : mv_paths_config_file(&d->paths, d->desc->name);
    if (!cfgpath)
        return -ENOMEM;
    if (load_config(d->prog, cfgpath, d->opts.config != NULL, d->desc, &conf) < 0)
        return SETUP_BAD_CONFIG;
    mv_daemon_config_defaults(&d->cfg);
    if ((r = mv_daemon_config_load(&d->cfg, conf, &err)) < 0) {
        /* the parser's messages already name the file and line */
        fprintf(stderr, "%s: %s\n", d->prog, err ? err : strerror(-r));
        return SETUP_BAD_CONFIG;
    }
    if (d->opts.timeout >= 0)
        d->cfg.server.idle_timeout = (unsigned int)d->opts.timeout;
    /* before logging: a log file may live in the log directory */
    if ((r = make_state_dirs(&d->paths)) < 0)
        return r;
    if (setup_logging(d->prog, &d->cfg, d->opts.verbose) < 0)
        return SETUP_BAD_CONFIG;
    /* certificates are checked before anything listens: a bad file is a
     * configuration error, named on stderr and in the log */
    if (d->desc->remote && (r = mv_remote_config_load(&d->remote, conf, &d->paths, &err)) < 0) {
        fprintf(stderr, "%s: %s\n", d->prog, err ? err : strerror(-r));
        mv_error("cannot start: %s", err ? err : strerror(-r));
        return SETUP_BAD_CONFIG;
    }
    d->cfg.server.max_anonymous_clients = d->remote.max_anonymous_clients;
    d->cfg.server.tls_handshake_timeout = d->remote.tls_handshake_timeout;
    if ((r = sd_event_default(&d->event)) < 0 || (r = setup_signals(d->event, d)) < 0)
        return mv_log_errno(MV_LOG_ERROR, r, "cannot set up the event loop: %s", strerror(-r));
    ctx = (struct mv_daemon_ctx){ .paths = &d->paths, .event = d->event };
    if (d->desc->init && (r = d->desc->init(&ctx, conf, &err)) < 0) {
        mv_error("cannot start: %s", err ? err : strerror(-r));
        return r;
    }
    return 0;
}

int mv_daemon_main(int argc, char **argv, const struct mv_daemon_desc *desc)
{
    char prog[64];
    struct daemon_run d = { .desc = desc, .prog = prog };
    int r;

    snprintf(prog, sizeof(prog), "modvirt-%s", desc->name);
    mv_log_init(prog);
    umask(022);
    r = daemon_setup(&d, argv, argc);
    if (r == 0)
        r = daemon_serve(&d);
    mv_server_free(d.server);
    if (d.own_sockets)
        remove_own_sockets(&d.paths, desc);
    if (desc->cleanup)
        desc->cleanup();
    sd_event_unref(d.event);
    mv_remote_config_clear(&d.remote);
    mv_daemon_config_clear(&d.cfg);
    mv_paths_clear(&d.paths);
    if (r == SETUP_BAD_CONFIG)
        return 2;
    return r < 0 ? EXIT_FAILURE : EXIT_SUCCESS;
}
