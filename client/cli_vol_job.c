/*
 * The long volume jobs: vol-clone and vol-wipe.  The daemon offers no
 * progress report for them, so the call runs on a thread of its own while
 * this one keeps the progress bar going: for a clone it polls the new
 * volume's allocation against the source's (a storaged that shows the new
 * volume only once it is complete leaves the bar at the time spent until
 * then), for a wipe (whose allocation tells nothing) it shows the time
 * spent.  The connection is safe to use from both threads (modvirt.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "cli.h"

/* How often the bar asks for the new volume's allocation. */
#define POLL_MS 250

struct job {
    int (*run)(struct job *);
    modvirt_storage_pool *pool;
    modvirt_storage_vol *vol;           /* the source (clone) or the target (wipe) */
    const char *xml;                    /* clone: the new volume's XML */
    modvirt_storage_vol *made;          /* clone: the new volume */
    modvirt_error *err;
    int r;
    int done_fd[2];                     /* the thread writes a byte when it is over */
};

static int run_clone(struct job *j)
{
    return modvirt_storage_vol_create_xml_from(j->pool, j->xml, j->vol, 0, &j->made, &j->err);
}

static int run_wipe(struct job *j)
{
    return modvirt_storage_vol_wipe(j->vol, 0, &j->err);
}

static void *job_thread(void *opaque)
{
    struct job *j = opaque;
    char c = 1;

    j->r = j->run(j);
    /* the pipe is the completion signal; a failed write cannot happen on
     * an empty pipe this thread alone writes to */
    (void)!write(j->done_fd[1], &c, 1);
    return NULL;
}

/* The allocation of NAME in POOL so far; 0 while it does not exist yet. */
static uint64_t allocation_of(modvirt_storage_pool *pool, const char *name)
{
    _cleanup_(modvirt_storage_vol_freep) modvirt_storage_vol *v = NULL;
    modvirt_storage_vol_info info = { 0 };
    modvirt_error *err = NULL;

    if (modvirt_storage_vol_lookup_by_name(pool, name, &v, &err) == 0)
        modvirt_storage_vol_get_info(v, &info, &err);
    modvirt_error_free(err);
    return info.allocation;
}

/* Runs J on its thread, drawing BAR until it ends; NEWNAME (a clone's
 * target) is polled for its allocation.  Returns the job's result. */
static int job_wait(struct job *j, struct cli_progress *bar, const char *newname)
{
    pthread_t t;
    struct pollfd pfd;

    if (pipe2(j->done_fd, O_CLOEXEC) < 0)
        return -errno;
    if ((errno = pthread_create(&t, NULL, job_thread, j)) != 0) {
        close(j->done_fd[0]);
        close(j->done_fd[1]);
        return -errno;
    }
    pfd = (struct pollfd){ .fd = j->done_fd[0], .events = POLLIN };
    for (;;) {
        /* without a bar there is nothing to draw: just wait for the end */
        int n = poll(&pfd, 1, bar ? POLL_MS : -1);

        if (n > 0 || (n < 0 && errno != EINTR))
            break;
        if (n == 0)
            cli_progress_update(bar, newname ? allocation_of(j->pool, newname) : 0);
    }
    pthread_join(t, NULL);
    close(j->done_fd[0]);
    close(j->done_fd[1]);
    cli_progress_end(bar, j->r == 0);
    return j->r;
}

/* ---- vol-clone ---- */

/* S with XML's five special characters escaped; NULL without memory. */
static char *xml_escape(const char *s)
{
    size_t len = 1;
    char *out, *p;

    for (const char *c = s; *c; c++)
        len += strchr("<>&'\"", *c) ? 6 : 1;
    if (!(p = out = malloc(len)))
        return NULL;
    for (; *s; s++) {
        const char *e = *s == '<' ? "&lt;" : *s == '>' ? "&gt;" : *s == '&' ? "&amp;"
                      : *s == '\'' ? "&apos;" : *s == '"' ? "&quot;" : NULL;

        if (e)
            p = stpcpy(p, e);
        else
            *p++ = *s;
    }
    *p = '\0';
    return out;
}

/* The source's XML with its name changed to NAME, as virsh builds a clone:
 * everything else (format, capacity, ...) stays the source's. */
static char *clone_xml(const char *src, const char *name)
{
    const char *open = strstr(src, "<name>"), *close = open ? strstr(open, "</name>") : NULL;
    _cleanup_free_ char *esc = xml_escape(name);
    char *out = NULL;

    if (!close || !esc)
        return NULL;
    open += strlen("<name>");
    if (asprintf(&out, "%.*s%s%s", (int)(open - src), src, esc, close) < 0)
        return NULL;
    return out;
}

static int cmd_vol_clone(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_storage_vol_freep) modvirt_storage_vol *src = NULL;
    _cleanup_(modvirt_storage_pool_freep) modvirt_storage_pool *pool = NULL;
    _cleanup_(cli_progress_freep) struct cli_progress *bar = NULL;
    _cleanup_free_ char *xml = NULL, *newxml = NULL;
    struct job j = { .run = run_clone };
    modvirt_storage_vol_info info = { 0 };
    modvirt_error *err = NULL;
    char label[80];
    int r = cli_vol_get(cli, args[0], set[0] ? cli->flag_arg[0] : NULL, &src);

    if (r != CLI_EXIT_OK)
        return r;
    /* the clone goes into the source's pool, as with virsh */
    if ((r = cli_pool_get(cli, modvirt_storage_vol_get_pool_name(src), &pool)) != CLI_EXIT_OK)
        return r;
    if ((r = modvirt_storage_vol_get_xml(src, &xml, &err)) < 0 ||
        (r = modvirt_storage_vol_get_info(src, &info, &err)) < 0)
        return cli_failf(r, err, "failed to clone vol '%s'", modvirt_storage_vol_get_name(src));
    if (!(newxml = clone_xml(xml, args[1])))
        return cli_failf(-ENOMEM, NULL, "failed to clone vol '%s'",
                         modvirt_storage_vol_get_name(src));
    snprintf(label, sizeof(label), "Cloning %s", args[1]);
    bar = cli_progress_new(cli, label, info.allocation);
    j.pool = pool;
    j.vol = src;
    j.xml = newxml;
    r = job_wait(&j, bar, args[1]);
    if (r < 0)
        return cli_failf(r, j.err, "failed to clone vol '%s' to '%s'",
                         modvirt_storage_vol_get_name(src), args[1]);
    modvirt_storage_vol_free(j.made);
    if (cli->json) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "name", json_object_new_string(args[1]));
        json_object_object_add(o, "pool", json_object_new_string(
            modvirt_storage_pool_get_name(pool)));
        json_object_object_add(o, "action", json_object_new_string("clone"));
        json_object_object_add(o, "source", json_object_new_string(
            modvirt_storage_vol_get_name(src)));
        return cli_json_print(o);
    }
    printf("Vol %s cloned from %s\n\n", args[1], modvirt_storage_vol_get_name(src));
    return CLI_EXIT_OK;
}

/* ---- vol-wipe ---- */

static int cmd_vol_wipe(struct cli *cli, const bool *set, char **args, int nargs)
{
    _cleanup_(modvirt_storage_vol_freep) modvirt_storage_vol *vol = NULL;
    _cleanup_(cli_progress_freep) struct cli_progress *bar = NULL;
    struct job j = { .run = run_wipe };
    char label[80];
    int r = cli_vol_get(cli, args[0], set[0] ? cli->flag_arg[0] : NULL, &vol);

    if (r != CLI_EXIT_OK)
        return r;
    snprintf(label, sizeof(label), "Wiping %s", modvirt_storage_vol_get_name(vol));
    /* no byte count to show: the bar gives the time spent */
    bar = cli_progress_new(cli, label, 0);
    j.vol = vol;
    r = job_wait(&j, bar, NULL);
    if (r < 0)
        return cli_failf(r, j.err, "failed to wipe vol '%s' of pool '%s'",
                         modvirt_storage_vol_get_name(vol), modvirt_storage_vol_get_pool_name(vol));
    if (cli->json) {
        json_object *o = json_object_new_object();

        json_object_object_add(o, "name", json_object_new_string(
            modvirt_storage_vol_get_name(vol)));
        json_object_object_add(o, "pool", json_object_new_string(
            modvirt_storage_vol_get_pool_name(vol)));
        json_object_object_add(o, "action", json_object_new_string("wipe"));
        return cli_json_print(o);
    }
    printf("Vol %s wiped\n\n", modvirt_storage_vol_get_name(vol));
    return CLI_EXIT_OK;
}

static const struct cli_flag pool_flags[] = {
    { "pool", "the pool the volume is in", "POOL" },
    { NULL, NULL, NULL },
};

const struct cli_command cli_vol_job_commands[] = {
    { "vol-clone", "VOL NEWNAME", "copy a volume into a new one in the same pool",
      "Creates NEWNAME in VOL's pool with VOL's definition and content (a progress\n"
      "bar shows on a terminal). VOL is a volume name (with --pool), a key or a path.",
      pool_flags, 2, 2, cmd_vol_clone },
    { "vol-wipe", "VOL", "overwrite a volume's data with zeros",
      "Zeroes the volume's data, keeping it sparse where it was (on a terminal\n"
      "the time spent is shown). VOL is a volume name (with --pool), a key or a path.",
      pool_flags, 1, 1, cmd_vol_wipe },
};
const size_t cli_vol_job_ncommands = MV_ARRAY_SIZE(cli_vol_job_commands);
