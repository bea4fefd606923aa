/*
 * Running a tool for a pool backend (mount, mkfs, blkid, LVM's commands).
 *
 * Tools are found on the daemon's own PATH rather than a fixed list of
 * directories: the runner wants an absolute argv[0], and a test that has no
 * device-mapper puts recorded `lvs`/`vgs`/`lvcreate` first on PATH so that
 * this very code runs them.  The child still gets the runner's minimal
 * environment.
 */
#define MV_LOG_MODULE "storaged.backend"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "backend_priv.h"
#include "cleanup.h"
#include "errmsg.h"
#include "log.h"

/* The value of the runner's default "PATH=..." entry. */
static const char *default_path(void)
{
    return MV_PROCESS_PATH + strlen("PATH=");
}

static char *find_in(const char *dirs, const char *tool)
{
    const char *p = dirs;
    while (*p) {
        size_t len = strcspn(p, ":");
        _cleanup_free_ char *cand = NULL;
        if (len > 0 && p[0] == '/') {
            if (asprintf(&cand, "%.*s/%s", (int)len, p, tool) < 0)
                return NULL;
            if (access(cand, X_OK) == 0)
                return TAKE_PTR(cand);
        }
        p += len;
        if (*p == ':')
            p++;
    }
    errno = ENOENT;
    return NULL;
}

/* Hints that say nothing about this failure: mount ends every one with the
 * first. */
static bool is_hint(const char *line, size_t len)
{
    static const char dmesg[] = "dmesg(1) may have more information";
    return len >= sizeof(dmesg) - 1 && !strncmp(line, dmesg, sizeof(dmesg) - 1);
}

/* A tool's stderr as one line for a message (malloc'd, NULL on out of
 * memory): each line trimmed, joined with "; ", hints dropped.  The first
 * line often says what (LVM: 'Volume group "vg0" not found'), the last what
 * followed from it. */
static char *tool_words(const char *err)
{
    char *out = malloc(2 * strlen(err) + sizeof("(no message)"));
    if (!out)
        return NULL;
    char *o = out;
    for (const char *p = err; *p;) {
        p += strspn(p, " \t\n");
        size_t len = strcspn(p, "\n");
        while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
            len--;
        if (len > 0 && !is_hint(p, len)) {
            if (o != out)
                o = stpcpy(o, "; ");
            memcpy(o, p, len);
            o += len;
        }
        p += len;
        p += strcspn(p, "\n");
    }
    strcpy(o, o == out ? "(no message)" : "");
    return out;
}

char *mv_pool_find_tool(const char *tool)
{
    const char *path = getenv("PATH");
    char *found = find_in(path && *path ? path : default_path(), tool);
    if (!found && errno == ENOENT && path)
        found = find_in(default_path(), tool);
    return found;
}

int mv_pool_run(const struct mv_pool_def *def, const char *what, const char *const argv[], int timeout_ms,
                struct mv_process_result *res, char **errmsg)
{
    _cleanup_free_ char *tool = mv_pool_find_tool(argv[0]);
    if (!tool) {
        int err = errno == ENOMEM ? -ENOMEM : -ENOENT;
        return mv_errmsg_set(errmsg, err, "cannot %s pool '%s': '%s' not found on PATH", what, def->name,
                             argv[0]);
    }
    size_t n = 0;
    while (argv[n])
        n++;
    const char *full[n + 1];
    full[0] = tool;
    for (size_t i = 1; i <= n; i++)
        full[i] = argv[i];

    struct mv_process_result local = { 0 };
    struct mv_process_result *r = res ? res : &local;
    struct mv_process_run_opts opts = { .timeout_ms = timeout_ms };
    _cleanup_free_ char *why = NULL;
    mv_debug("pool '%s': running %s", def->name, tool);
    int rc = mv_process_run(full, &opts, r, &why);
    _cleanup_free_ char *words = rc == -EIO && r->exited && WIFEXITED(r->status) ? tool_words(r->err) : NULL;
    if (words)
        rc = mv_errmsg_set(errmsg, rc, "cannot %s pool '%s': %s exited with status %d: %s", what, def->name,
                           argv[0], WEXITSTATUS(r->status), words);
    else if (rc < 0)
        rc = mv_errmsg_set(errmsg, rc, "cannot %s pool '%s': %s", what, def->name, why ? why : strerror(-rc));
    if (!res)
        mv_process_result_clear(&local);
    return rc;
}

/* blkid's exit status when it found nothing on the device */
#define BLKID_NOTHING_FOUND 2

/* The filesystem `blkid -p` finds on PATH into *TYPE (NULL: none); WHAT
 * names the pool operation for the message. */
int mv_pool_probe_fs(const struct mv_pool_def *def, const char *what, const char *path, char **type,
                     char **errmsg)
{
    const char *argv[] = { "blkid", "-p", "-o", "value", "-s", "TYPE", path, NULL };
    struct mv_process_result res = { 0 };
    _cleanup_free_ char *why = NULL;
    int rc = mv_pool_run(def, what, argv, MV_POOL_CMD_TIMEOUT_MS, &res, &why);
    *type = NULL;
    if (rc == -EIO && res.exited && WIFEXITED(res.status) && WEXITSTATUS(res.status) == BLKID_NOTHING_FOUND)
        rc = 0;
    else if (rc < 0)
        rc = mv_errmsg_set(errmsg, rc, "%s", why ? why : strerror(-rc));
    else if (res.out_len > 0) {
        res.out[strcspn(res.out, "\n")] = '\0';
        if (*res.out && !(*type = strdup(res.out)))
            rc = mv_errmsg_set(errmsg, -ENOMEM, "cannot %s pool '%s': out of memory", what, def->name);
    }
    mv_process_result_clear(&res);
    return rc;
}
