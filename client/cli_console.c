/*
 * modvirt console DOM: the terminal attached to a domain's console, as
 * virsh console does (raw mode, Ctrl-] to leave), or, when standard input
 * is not a terminal, a plain copy: stdin to the guest and guest output to
 * stdout until either side reaches end of file.  Scripts and tests use the
 * second form.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/signalfd.h>
#include <termios.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"

#define ESCAPE_CHAR 0x1d        /* Ctrl-] */
#define INPUT_CHUNK 4096

struct session {
    bool tty;
    bool guest_eof;             /* the console closed on the daemon's side */
    bool failed;                /* the console failed (error printed) */
    bool out_broken;            /* stdout no longer takes output */
};

static bool write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        p += n;
        len -= (size_t)n;
    }
    return true;
}

static void on_output(modvirt_console *con, const void *data, size_t len,
                      const modvirt_error *err, void *opaque)
{
    struct session *s = opaque;

    if (err) {
        /* in raw mode a bare "\n" would not return the cursor */
        fprintf(stderr, "%smodvirt: error: %s%s", s->tty ? "\r\n" : "",
                err->message ? err->message : "the console failed", s->tty ? "\r\n" : "\n");
        s->failed = true;
    } else if (!data) {
        s->guest_eof = true;
    } else if (!s->out_broken && !write_all(STDOUT_FILENO, data, len)) {
        s->out_broken = true;
    }
}

/* Puts the terminal into raw mode; false if it is no terminal after all. */
static bool raw_mode(struct termios *saved)
{
    struct termios raw;

    if (tcgetattr(STDIN_FILENO, saved) < 0)
        return false;
    raw = *saved;
    cfmakeraw(&raw);
    return tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw) == 0;
}

/* Sends what was typed.  False when the session should end: the escape
 * key, end of input, or a failure (printed). */
static bool forward_input(modvirt_console *con, struct session *s, int *code)
{
    char buf[INPUT_CHUNK];
    modvirt_error *err = NULL;
    ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
    char *esc;
    int r;

    if (n < 0)
        return errno == EINTR || errno == EAGAIN;
    if (n == 0)
        return false;
    esc = s->tty ? memchr(buf, ESCAPE_CHAR, (size_t)n) : NULL;
    if (esc)
        n = esc - buf;
    if (n > 0 && (r = modvirt_domain_console_send(con, buf, (size_t)n, &err)) < 0) {
        *code = cli_fail(r, err);
        return false;
    }
    return !esc;
}

/* Copies between the console and stdin/stdout until one side ends. */
static int pump(modvirt_console *con, struct session *s, int sigfd)
{
    int code = CLI_EXIT_OK;

    while (!s->guest_eof && !s->failed && !s->out_broken) {
        struct pollfd pfd[3] = {
            { .fd = modvirt_domain_console_fd(con), .events = POLLIN },
            { .fd = STDIN_FILENO, .events = POLLIN },
            { .fd = sigfd, .events = POLLIN },
        };
        modvirt_error *err = NULL;

        if (poll(pfd, 3, -1) < 0) {
            if (errno == EINTR)
                continue;
            return cli_fail(-errno, NULL);
        }
        if (pfd[0].revents && modvirt_domain_console_process(con, 0, &err) < 0)
            return cli_fail(-ENOTCONN, err);
        if (pfd[2].revents) {
            cli_take_signal(sigfd);
            break;
        }
        if (pfd[1].revents && !forward_input(con, s, &code))
            break;
    }
    return s->failed ? CLI_EXIT_FAILED : code;
}

/* virsh refuses a console of a domain that is not running; so do we,
 * before asking the daemon for a stream. */
static int check_running(modvirt_domain *dom)
{
    modvirt_error *err = NULL;
    int state, reason, r = modvirt_domain_get_state(dom, &state, &reason, &err);

    if (r < 0)
        return cli_failf(r, err, "cannot get the state of domain '%s'", modvirt_domain_get_name(dom));
    if (state == MODVIRT_DOMAIN_SHUTOFF) {
        cli_error("the domain '%s' is not running", modvirt_domain_get_name(dom));
        return CLI_EXIT_FAILED;
    }
    return CLI_EXIT_OK;
}

int cli_console_attach(struct cli *cli, modvirt_domain *dom, bool force)
{
    struct session s = { .tty = isatty(STDIN_FILENO) == 1 };
    modvirt_console *con = NULL;
    modvirt_error *err = NULL;
    struct termios saved;
    _cleanup_close_ int sigfd = -1;
    int code = check_running(dom), r;

    if (code != CLI_EXIT_OK)
        return code;
    r = modvirt_domain_console_open(dom, NULL, force ? MODVIRT_DOMAIN_CONSOLE_FORCE : 0,
                                    on_output, &s, &con, &err);
    if (r < 0)
        return cli_failf(r, err, "cannot open the console of domain '%s'", modvirt_domain_get_name(dom));
    /* a closed stdout ends the session cleanly instead of killing us */
    signal(SIGPIPE, SIG_IGN);
    /* a signal ends the session: the stream is finished and the terminal
     * restored rather than left raw */
    sigfd = cli_signal_fd((const int[]){ SIGINT, SIGTERM, SIGHUP, SIGQUIT, 0 });
    if (sigfd < 0) {
        modvirt_domain_console_close(con, NULL);
        return cli_fail(sigfd, NULL);
    }
    if (s.tty) {
        fprintf(stderr, "Connected to domain '%s'\nEscape character is ^] (Ctrl + ])\n",
                modvirt_domain_get_name(dom));
        s.tty = raw_mode(&saved);
    }
    code = pump(con, &s, sigfd);
    if (s.tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
        fputc('\n', stderr);
    }
    r = modvirt_domain_console_close(con, &err);
    if (r < 0 && code == CLI_EXIT_OK)
        code = cli_fail(r, err);
    else if (r < 0)
        modvirt_error_free(err);
    return code;
}

static int cmd_console(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_domain_freep) modvirt_domain *dom = NULL;
    int r = cli_domain_get(cli, args[0], &dom);

    if (r != CLI_EXIT_OK)
        return r;
    return cli_console_attach(cli, dom, set[0]);
}

static const struct cli_flag console_flags[] = {
    { "force", "take the console from whoever has it open", NULL },
    { NULL, NULL, NULL },
};

const struct cli_command cli_console_commands[] = {
    { "console", "DOM", "connect to a domain's serial console",
      "Connects to the domain's console.  On a terminal: raw mode, leave with\n"
      "Ctrl-].  Otherwise standard input goes to the guest and its output to\n"
      "standard output until either reaches end of file.  DOM is a name, a\n"
      "UUID or an id.",
      console_flags, 1, 1, cmd_console },
};
const size_t cli_console_ncommands = MV_ARRAY_SIZE(cli_console_commands);
