/*
 * Save, restore and managed save.
 *
 * A save holds the domain's job throughout: the guest is paused, QEMU is
 * handed the write end of a pipe (QMP getfd) and told to migrate into it
 * ("fd:"), and this thread copies the pipe into a temp file beside the
 * image (save_image.h), which becomes the image only when QEMU reports the
 * migration completed; then QEMU is stopped (SHUTOFF_SAVED).  An abort
 * (job_info.c) or any failure cancels the migration, removes the temp file
 * and resumes the guest as it was.  Progress goes to a job_info record,
 * refreshed from query-migrate while the copy runs.
 *
 * A restore checks the image whole (magic, lengths, size) before anything
 * runs, then starts QEMU with "-incoming defer" and feeds it the stream
 * from the file through a pipe (migrate-incoming "fd:").  A restore that
 * fails leaves no domain behind (a new one is removed again).
 */
#define MV_LOG_MODULE "qemud.save"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_events.h"
#include "domain_job.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "domain_process_priv.h"
#include "domain_store.h"
#include "domain_wire.h"
#include "file.h"
#include "guest_path_policy.h"
#include "job_info.h"
#include "log.h"
#include "nvram.h"
#include "paths.h"
#include "qemud.h"
#include "save_image.h"
#include "save_procs.h"

/* virDomainSaveRestoreFlags */
enum { SR_BYPASS_CACHE = 1, SR_RUNNING = 2, SR_PAUSED = 4 };
#define SR_FLAGS (SR_BYPASS_CACHE | SR_RUNNING | SR_PAUSED)
/* virDomainSaveImageXMLFlags */
enum { IMAGE_XML_SECURE = 1 };

#define COPY_CHUNK (1024 * 1024)
#define PROGRESS_MS 250
/* how long a save may go without a byte from QEMU before it is cancelled, and
 * how long a cancelled one may then take to close its stream: see copy_stream */
#define STALL_MS 60000
#define CANCEL_GRACE_MS 10000
/* how long QEMU may take to report the end of a migration whose stream ended */
#define MIGRATION_END_MS 30000
/* QEMU's default max-bandwidth (32 MiB/s): a save lifts it, as libvirt's does;
 * a limit set by hand (migrate-setspeed, a monitor command) is kept */
#define QEMU_DEFAULT_BANDWIDTH 33554432LL
#define SAVE_BANDWIDTH (1LL << 42)

char *qemud_managed_save_path(const char *name)
{
    char *p;

    return asprintf(&p, "%s/qemu/save/%s.save", qemud.paths->statedir, name) < 0 ? NULL : p;
}

bool qemud_managed_save_exists(const char *name)
{
    _cleanup_free_ char *path = qemud_managed_save_path(name);
    struct stat st;

    return path && stat(path, &st) == 0;
}

int qemud_managed_save_remove(const char *name)
{
    _cleanup_free_ char *path = qemud_managed_save_path(name);

    if (!path)
        return -ENOMEM;
    return mv_file_unlink_durable(path);
}

/* ---- QEMU's migration ---- */

static void sleep_ms(int ms)
{
    struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

    nanosleep(&ts, NULL);
}

/* query-migrate's status ("active", "completed", "failed"...) into *STATUS
 * (malloc'd), its error-desc into *DESC; progress into ST if not NULL. */
static int query_migrate(struct qemud_dom *dom, char **status, char **desc, struct qemud_job_stats *st,
                         struct mv_err *err)
{
    json_object *reply = NULL, *v;
    int r;

    if ((r = qemud_monitor_command(dom, "query-migrate", NULL, &reply, err)) < 0)
        return r;
    *status = json_object_object_get_ex(reply, "status", &v) ? strdup(json_object_get_string(v)) : strdup("none");
    if (desc && json_object_object_get_ex(reply, "error-desc", &v))
        *desc = strdup(json_object_get_string(v));
    if (st)
        qemud_job_stats_from_qmp(reply, st);
    json_object_put(reply);
    return *status ? 0 : -ENOMEM;
}

static bool migration_over(const char *status)
{
    return strcmp(status, "completed") == 0 || strcmp(status, "failed") == 0 ||
           strcmp(status, "cancelled") == 0 || strcmp(status, "none") == 0;
}

/* Waits for QEMU to report the end of the migration whose stream ended:
 * 0 with *STATUS its last word ("completed"...). */
static int migration_end(struct qemud_dom *dom, char **status, char **desc, struct mv_err *err)
{
    for (int waited = 0;; waited += 10) {
        int r;

        free(*status);
        *status = NULL;
        if ((r = query_migrate(dom, status, desc, NULL, err)) < 0)
            return r;
        if (migration_over(*status) || waited >= MIGRATION_END_MS)
            return 0;
        sleep_ms(10);
    }
}

/* Hands QEMU FD under NAME (QMP getfd). */
static int give_fd(struct qemud_dom *dom, int fd, const char *name, struct mv_err *err)
{
    json_object *args = json_object_new_object();

    json_object_object_add(args, "fdname", json_object_new_string(name));
    return qemud_monitor_command_fd(dom, "getfd", args, fd, NULL, err);
}

static int uri_command(struct qemud_dom *dom, const char *cmd, const char *uri, struct mv_err *err)
{
    json_object *args = json_object_new_object();

    json_object_object_add(args, "uri", json_object_new_string(uri));
    return qemud_monitor_command(dom, cmd, args, NULL, err);
}

static int set_bandwidth(struct qemud_dom *dom, long long bps, struct mv_err *err)
{
    json_object *args = json_object_new_object();

    json_object_object_add(args, "max-bandwidth", json_object_new_int64(bps));
    return qemud_monitor_command(dom, "migrate-set-parameters", args, NULL, err);
}

/* QEMU's max-bandwidth now, or -1 if it does not say. */
static long long get_bandwidth(struct qemud_dom *dom)
{
    struct mv_err err = { 0 };
    json_object *reply = NULL, *v;
    long long bps = -1;

    if (qemud_monitor_command(dom, "query-migrate-parameters", NULL, &reply, &err) == 0 &&
        json_object_object_get_ex(reply, "max-bandwidth", &v))
        bps = json_object_get_int64(v);
    json_object_put(reply);
    mv_err_clear(&err);
    return bps;
}

/* ---- save ---- */

struct save {
    struct qemud_dom *dom;
    const char *path;               /* the image */
    struct qemud_save_writer w;
    struct qemud_job_progress *progress;
    long long old_bandwidth;        /* to put back, or -1 */
    bool was_running;
    bool cancel_sent;
    uint64_t written;
};

static int write_all(int fd, const char *buf, size_t len)
{
    while (len) {
        ssize_t n = write(fd, buf, len);

        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* Progress from query-migrate into the job's record; true once QEMU
 * reports the migration over. */
static bool refresh_progress(struct save *s)
{
    struct qemud_job_stats st = { .file_processed = s->written };
    struct mv_err err = { 0 };
    _cleanup_free_ char *status = NULL;
    bool over = false;

    if (query_migrate(s->dom, &status, NULL, &st, &err) == 0) {
        st.file_processed = s->written;
        qemud_job_progress_update(s->progress, &st);
        over = migration_over(status);
    }
    mv_err_clear(&err);
    return over;
}

/* An abort was asked for: QEMU cancels, and closes the stream. */
static void on_abort(struct save *s)
{
    struct mv_err err = { 0 };
    uint64_t n;

    if (read(qemud_job_progress_abort_fd(s->progress), &n, sizeof(n)) < 0 && errno != EAGAIN)
        mv_debug("domain '%s': abort eventfd: %s", s->dom->name, strerror(errno));
    if (s->cancel_sent)
        return;
    s->cancel_sent = true;
    mv_info("domain '%s': cancelling its save to '%s'", s->dom->name, s->path);
    if (qemud_monitor_command(s->dom, "migrate_cancel", NULL, NULL, &err) < 0)
        mv_warn("domain '%s': %s", s->dom->name, err.message);
    mv_err_clear(&err);
}

static long long ms_since(const struct timespec *then, const struct timespec *now)
{
    return (now->tv_sec - then->tv_sec) * 1000LL + (now->tv_nsec - then->tv_nsec) / 1000000;
}

/* Copies QEMU's stream from IN into the image until QEMU closes it.
 *
 * Every wait here has a deadline, because the caller holds the domain's job
 * with the guest paused: a QEMU that neither writes, nor closes the pipe, nor
 * reports the migration over would otherwise hold both forever.  QEMU exiting
 * closes the pipe (it is the only writer) and ends the copy; a migration
 * reported completed/failed/cancelled ends it once the pipe is drained; and
 * STALL_MS without a byte cancels the migration, CANCEL_GRACE_MS later the
 * copy gives up.  A failure returns here, the caller then removes the
 * temporary image and resumes the guest (undo_save). */
static int copy_stream(struct save *s, int in, struct mv_err *err)
{
    _cleanup_free_ char *buf = malloc(COPY_CHUNK);
    struct timespec last = { 0 }, now, last_byte;
    bool draining = false, drained = false, stalled = false;

    if (!buf)
        return -ENOMEM;
    clock_gettime(CLOCK_MONOTONIC, &last_byte);
    for (;;) {
        struct pollfd fds[2] = { { .fd = in, .events = POLLIN },
                                 { .fd = qemud_job_progress_abort_fd(s->progress), .events = POLLIN } };
        ssize_t n;
        int r;

        if (poll(fds, 2, PROGRESS_MS) < 0 && errno != EINTR)
            return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot wait for QEMU's state");
        if (fds[1].revents & POLLIN)
            on_abort(s);
        clock_gettime(CLOCK_MONOTONIC, &now);
        if ((now.tv_sec - last.tv_sec) * 1000 + (now.tv_nsec - last.tv_nsec) / 1000000 >= PROGRESS_MS) {
            /* over, yet no EOF: whatever QEMU wrote is in the pipe; take it
             * without waiting for a close that may not come */
            drained = draining;     /* set before this poll: an empty pipe now is the end */
            draining = draining || refresh_progress(s);
            last = now;
        }
        if (drained && !(fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
            mv_debug("domain '%s': migration over without the stream's end", s->dom->name);
            return 0;
        }
        if (!stalled && ms_since(&last_byte, &now) >= STALL_MS) {
            mv_warn("domain '%s': no state from QEMU for %d s, cancelling the save", s->dom->name, STALL_MS / 1000);
            stalled = true;
            on_abort(s);
        }
        if (stalled && ms_since(&last_byte, &now) >= STALL_MS + CANCEL_GRACE_MS)
            return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                              "operation failed: save of domain '%s' to '%s': QEMU sent nothing for %d s",
                              s->dom->name, s->path, STALL_MS / 1000);
        if (!(fds[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        n = read(in, buf, COPY_CHUNK);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                    "cannot read the state of domain '%s' from QEMU", s->dom->name);
        if (n == 0)
            return 0;
        if ((r = write_all(s->w.fd, buf, (size_t)n)) < 0)
            return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot write save image '%s'",
                                    s->path);
        s->written += (uint64_t)n;
        last_byte = now;
    }
}

/* The migration into the image, from getfd to QEMU's last word. */
static int migrate_to_image(struct save *s, struct mv_err *err)
{
    _cleanup_close_ int rd = -1;
    _cleanup_close_ int wr = -1;
    _cleanup_free_ char *status = NULL;
    _cleanup_free_ char *desc = NULL;
    int fds[2], r;

    if (pipe2(fds, O_CLOEXEC) < 0)
        return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot create a pipe");
    rd = fds[0];
    wr = fds[1];
    if ((r = give_fd(s->dom, wr, "mvsave", err)) < 0)
        return r;
    close(TAKE_FD(wr));         /* QEMU's copy is the only writer: its close is our EOF */
    if ((r = uri_command(s->dom, "migrate", "fd:mvsave", err)) < 0)
        return r;
    mv_debug("domain '%s': QEMU migrates into '%s'", s->dom->name, s->path);
    r = copy_stream(s, rd, err);
    mv_debug("domain '%s': QEMU's stream ended after %llu bytes", s->dom->name, (unsigned long long)s->written);
    if (r < 0 && !s->cancel_sent) {
        struct mv_err ignored = { 0 };

        qemud_monitor_command(s->dom, "migrate_cancel", NULL, NULL, &ignored);
        mv_err_clear(&ignored);
        return r;
    }
    if (r < 0)
        return r;
    if ((r = migration_end(s->dom, &status, &desc, err)) < 0)
        return r;
    if (s->cancel_sent || qemud_job_progress_aborted(s->progress) || strcmp(status, "cancelled") == 0)
        return mv_err_set(err, MV_ERR_OPERATION_ABORTED, MV_FROM_QEMU,
                          "operation aborted: save of domain '%s' to '%s' was cancelled", s->dom->name, s->path);
    if (strcmp(status, "completed") != 0)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: QEMU could not save domain '%s' to '%s' (migration %s): %s",
                          s->dom->name, s->path, status, desc ? desc : "no reason given");
    return 0;
}

/* Stops QEMU after its state is in the image: SHUTOFF_SAVED, STOPPED/SAVED. */
static int stop_saved(struct qemud_dom *dom, struct mv_err *err)
{
    pthread_mutex_lock(&dom->lock);
    dom->stopping = true;
    pthread_mutex_unlock(&dom->lock);
    qemud_qemu_signal(dom, SIGTERM);
    if (!qemud_qemu_wait_exit(dom, (int)qemud.destroy_grace_ms)) {
        qemud_qemu_signal(dom, SIGKILL);
        if (!qemud_qemu_wait_exit(dom, QEMUD_QEMU_KILL_WAIT_MS)) {
            pthread_mutex_lock(&dom->lock);
            dom->stopping = false;
            pthread_mutex_unlock(&dom->lock);
            return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                              "operation failed: domain '%s' is saved, but its QEMU (pid %d) did not exit", dom->name,
                              (int)dom->pid);
        }
    }
    qemud_monitor_wait_eof(dom, QEMUD_MONITOR_DRAIN_MS);
    qemud_process_cleanup_stopped(dom, QEMUD_SHUTOFF_SAVED, QEMUD_DETAIL_STOPPED_SAVED);
    return 0;
}

/* A save that did not happen: the guest as it was. */
static void undo_save(struct save *s)
{
    struct mv_err err = { 0 };

    if (s->old_bandwidth >= 0 && set_bandwidth(s->dom, s->old_bandwidth, &err) < 0)
        mv_err_clear(&err);
    if (s->was_running) {
        if (qemud_monitor_command(s->dom, "cont", NULL, NULL, &err) < 0) {
            mv_warn("domain '%s': cannot resume it after a failed save: %s", s->dom->name, err.message);
            mv_err_clear(&err);
            return;
        }
        pthread_mutex_lock(&s->dom->lock);
        qemud_dom_set_state(s->dom, QEMUD_STATE_RUNNING, QEMUD_RUNNING_SAVE_CANCELED);
        pthread_mutex_unlock(&s->dom->lock);
    }
}

/* The guest stops for the save: its image is one consistent pass. */
static int pause_for_save(struct save *s, struct mv_err *err)
{
    struct qemud_dom *dom = s->dom;
    int r;

    pthread_mutex_lock(&dom->lock);
    s->was_running = dom->state == QEMUD_STATE_RUNNING;
    if (s->was_running)     /* set first: the STOP event then reports no user pause */
        qemud_dom_set_state(dom, QEMUD_STATE_PAUSED, QEMUD_PAUSED_SAVE);
    pthread_mutex_unlock(&dom->lock);
    if (!s->was_running)
        return 0;
    if ((r = qemud_monitor_command(dom, "stop", NULL, NULL, err)) < 0) {
        pthread_mutex_lock(&dom->lock);
        qemud_dom_set_state(dom, QEMUD_STATE_RUNNING, QEMUD_RUNNING_UNPAUSED);
        pthread_mutex_unlock(&dom->lock);
        s->was_running = false;
    }
    return r;
}

/* The XML the image carries: DXML if given (the same domain), else the
 * running definition. */
static int image_xml(struct qemud_dom *dom, const char *dxml, char **xml, struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_free_ char *msg = NULL;
    int code = MV_ERR_XML_ERROR;

    if (!dxml) {
        def = qemud_dom_snapshot(dom, false);
        return def ? mv_dom_def_format(def, NULL, MV_DOM_FORMAT_SECURE, xml) : -ENOENT;
    }
    if (mv_dom_def_parse(dxml, 0, &def, &code, &msg) < 0)
        return mv_err_set(err, code, MV_FROM_DOMAIN, "%s", msg ? msg : "XML error: cannot parse");
    if (strcmp(def->name, dom->name) != 0 || memcmp(def->uuid, dom->uuid, MV_UUID_LEN) != 0)
        return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                          "invalid argument: the XML to save with must describe domain '%s' (uuid %s), not '%s'",
                          dom->name, dom->uuid_str, def->name);
    return mv_dom_def_format(def, NULL, MV_DOM_FORMAT_SECURE, xml);
}

static uint32_t image_flags(unsigned int flags, bool running)
{
    if (flags & SR_RUNNING)
        return QEMUD_SAVE_RUNNING;
    if (flags & SR_PAUSED)
        return QEMUD_SAVE_PAUSED;
    return running ? QEMUD_SAVE_RUNNING : QEMUD_SAVE_PAUSED;
}

/* The save with DOM's job held. */
static int do_save(struct qemud_dom *dom, const char *path, const char *dxml, unsigned int flags, struct mv_err *err)
{
    struct save s = { .dom = dom, .path = path, .old_bandwidth = -1, .w = { .fd = -1 } };
    _cleanup_free_ char *xml = NULL;
    bool running;
    int r;

    pthread_mutex_lock(&dom->lock);
    running = qemud_dom_is_active(dom) ? dom->state == QEMUD_STATE_RUNNING : false;
    r = qemud_dom_is_active(dom) ? 0 : -ENOENT;
    pthread_mutex_unlock(&dom->lock);
    if (r < 0)
        return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                          "Requested operation is not valid: domain '%s' is not running", dom->name);
    if ((r = image_xml(dom, dxml, &xml, err)) < 0)
        return mv_err_is_set(err) ? r : mv_err_set_errno(err, r, MV_ERR_INTERNAL_ERROR, MV_FROM_QEMU,
                                                          "cannot format the XML of domain '%s'", dom->name);
    if ((r = qemud_save_writer_create(path, xml, image_flags(flags, running), &s.w)) < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                "cannot create save image '%s' for domain '%s'", path, dom->name);
    if (!(s.progress = qemud_job_progress_begin(dom, QEMUD_JOB_OP_SAVE))) {
        qemud_save_writer_clear(&s.w);
        return -ENOMEM;
    }
    mv_info("domain '%s': saving to '%s'", dom->name, path);
    if ((r = pause_for_save(&s, err)) == 0) {
        long long bw = get_bandwidth(dom);

        mv_debug("domain '%s': migration bandwidth %lld", dom->name, bw);
        if (bw == QEMU_DEFAULT_BANDWIDTH && set_bandwidth(dom, SAVE_BANDWIDTH, err) == 0)
            s.old_bandwidth = bw;
        mv_err_clear(err);
        r = migrate_to_image(&s, err);
    }
    if (r == 0 && (r = qemud_save_writer_commit(&s.w, s.written)) < 0)
        mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot complete save image '%s'", path);
    if (r < 0) {
        qemud_save_writer_clear(&s.w);
        undo_save(&s);
        qemud_job_progress_end(s.progress, false);
        mv_info("domain '%s': save to '%s' failed: %s", dom->name, path, err->message);
        return r;
    }
    refresh_progress(&s);
    qemud_job_progress_end(s.progress, true);
    mv_info("domain '%s': saved to '%s' (%llu bytes of state)", dom->name, path, (unsigned long long)s.written);
    return stop_saved(dom, err);
}

/* The directory PATH is in, made if missing. */
static int make_parent(const char *path)
{
    _cleanup_free_ char *dir = strdup(path);

    if (!dir)
        return -ENOMEM;
    *strrchr(dir, '/') = '\0';
    return mv_mkdir_p(dir, 0700);
}

static int save_dom(struct mv_call *call, const mv_nonnull_domain *wire, const char *path, const char *dxml,
                    unsigned int flags, bool managed)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, wire);
    _cleanup_free_ char *mpath = NULL;
    struct mv_err err = { 0 };
    int r;

    if (!dom)
        return -EIO;
    if ((flags & SR_RUNNING) && (flags & SR_PAUSED))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: flags 'running' and 'paused' are mutually exclusive");
    if (!managed && path[0] != '/')
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: save image path '%s' of domain '%s' is not absolute", path, dom->name);
    if (qemud_job_begin(dom, managed ? "managedsave" : "save", (int)qemud.job_wait_ms, &err) < 0)
        return qemud_call_fail(call, &err);
    if (managed) {
        pthread_mutex_lock(&dom->lock);
        r = dom->def ? 0 : -EINVAL;
        pthread_mutex_unlock(&dom->lock);
        if (r < 0) {
            qemud_job_end(dom);
            return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                                 "Requested operation is not valid: cannot do managed save for transient domain '%s'",
                                 dom->name);
        }
        if (!(mpath = qemud_managed_save_path(dom->name))) {
            qemud_job_end(dom);
            return -ENOMEM;
        }
        if ((r = make_parent(mpath)) < 0) {
            qemud_job_end(dom);
            return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot create the directory of '%s': %s",
                                 mpath, strerror(-r));
        }
        path = mpath;
    }
    r = do_save(dom, path, dxml, flags, &err);
    qemud_job_end(dom);
    return r < 0 ? qemud_call_fail(call, &err) : 0;
}

static int save(struct mv_call *call, mv_domain_save_args *args, void *ret)
{
    return save_dom(call, &args->dom, args->to, NULL, 0, false);
}

static int save_flags(struct mv_call *call, mv_domain_save_flags_args *args, void *ret)
{
    if (args->flags & ~(unsigned int)SR_FLAGS)
        return qemud_bad_flags(call, args->flags & ~(unsigned int)SR_FLAGS, "virDomainSaveFlags");
    return save_dom(call, &args->dom, args->to, args->dxml ? *args->dxml : NULL, args->flags, false);
}

static int managed_save(struct mv_call *call, mv_domain_flags_args *args, void *ret)
{
    if (args->flags & ~(unsigned int)SR_FLAGS)
        return qemud_bad_flags(call, args->flags & ~(unsigned int)SR_FLAGS, "virDomainManagedSave");
    return save_dom(call, &args->dom, NULL, NULL, args->flags, true);
}

/* ---- restore ---- */

struct feed {
    struct qemud_save_image *img;
    const char *path;
};

/* Feeds the image's stream into WR (non-blocking) until the file ends or
 * QEMU stops reading; checks on QEMU now and then.  Like copy_stream, it has
 * a deadline: a QEMU that takes nothing for STALL_MS, yet neither closes its
 * end nor reports the load failed, fails the restore instead of holding the
 * domain's job forever. */
static int feed_stream(struct qemud_dom *dom, const struct feed *f, int wr, struct mv_err *err)
{
    _cleanup_free_ char *buf = malloc(COPY_CHUNK);
    size_t have = 0, off = 0;
    struct timespec last_byte, now;

    if (!buf)
        return -ENOMEM;
    clock_gettime(CLOCK_MONOTONIC, &last_byte);
    for (;;) {
        struct pollfd pfd = { .fd = wr, .events = POLLOUT };
        ssize_t n;
        int r;

        if (off == have) {
            n = read(f->img->fd, buf, COPY_CHUNK);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot read save image '%s'",
                                        f->path);
            if (n == 0)
                return 0;
            have = (size_t)n;
            off = 0;
        }
        r = poll(&pfd, 1, PROGRESS_MS);
        if (r == 0) {
            _cleanup_free_ char *status = NULL;

            /* QEMU may have given up without closing its end */
            if ((r = query_migrate(dom, &status, NULL, NULL, err)) < 0)
                return r;
            if (strcmp(status, "failed") == 0)
                return 0;
            clock_gettime(CLOCK_MONOTONIC, &now);
            if (ms_since(&last_byte, &now) >= STALL_MS)
                return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                                  "operation failed: restore of domain '%s' from '%s': QEMU took nothing for %d s",
                                  dom->name, f->path, STALL_MS / 1000);
            continue;
        }
        n = write(wr, buf + off, have - off);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n < 0)
            return 0;           /* EPIPE: QEMU stopped reading; its status says why */
        off += (size_t)n;
        clock_gettime(CLOCK_MONOTONIC, &last_byte);
    }
}

/* Size of DOM's QEMU log now: where what QEMU says during the load begins. */
static off_t log_size(const char *name)
{
    _cleanup_free_ char *path = qemud_store_log_path(name);
    struct stat st;

    return path && stat(path, &st) == 0 ? st.st_size : -1;
}

/* What QEMU wrote to its log since START (its last 1 KiB), or NULL. */
static char *log_since(const char *name, off_t start)
{
    _cleanup_free_ char *path = qemud_store_log_path(name);
    _cleanup_free_ char *text = NULL;
    size_t len = 0;
    char *from, *end;

    if (start < 0 || !path || mv_file_read_all(path, 16 * 1024 * 1024, &text, &len) < 0 || (size_t)start >= len)
        return NULL;
    from = text + start;
    end = text + len;
    while (end > from && (end[-1] == '\n' || end[-1] == ' '))
        end--;
    if (end - from > 1024)
        from = end - 1024;
    return end > from ? strndup(from, (size_t)(end - from)) : NULL;
}

/* A load that failed: QEMU's own words if it said any (it exits when its
 * state cannot be loaded), else what the daemon saw. */
static int load_failed(struct qemud_dom *dom, const struct feed *f, off_t start, struct mv_err *err)
{
    _cleanup_free_ char *said = log_since(dom->name, start);
    _cleanup_free_ char *seen = err->message ? strdup(err->message) : NULL;

    return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                      "operation failed: cannot restore domain '%s' from '%s': QEMU could not load its state: %s",
                      dom->name, f->path, said ? said : seen ? seen : "no reason given");
}

/* qemud_incoming.load: QEMU (started with -incoming defer) loads the image. */
static int load_state(struct qemud_dom *dom, void *opaque, struct mv_err *err)
{
    off_t start = log_size(dom->name);
    const struct feed *f = opaque;
    _cleanup_close_ int rd = -1;
    _cleanup_close_ int wr = -1;
    _cleanup_free_ char *status = NULL;
    _cleanup_free_ char *desc = NULL;
    int fds[2], r;

    if (pipe2(fds, O_CLOEXEC) < 0)
        return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot create a pipe");
    rd = fds[0];
    wr = fds[1];
    if (fcntl(wr, F_SETFL, O_NONBLOCK) < 0)
        return mv_err_set_errno(err, -errno, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot set up a pipe");
    if ((r = give_fd(dom, rd, "mvrestore", err)) < 0)
        return r;
    close(TAKE_FD(rd));
    if ((r = uri_command(dom, "migrate-incoming", "fd:mvrestore", err)) < 0)
        return r;
    if ((r = feed_stream(dom, f, wr, err)) < 0)
        return load_failed(dom, f, start, err);
    close(TAKE_FD(wr));         /* the end of the stream */
    if ((r = migration_end(dom, &status, &desc, err)) < 0)
        return load_failed(dom, f, start, err);
    if (strcmp(status, "completed") != 0) {
        mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU, "migration %s: %s", status,
                   desc ? desc : "no reason given");
        return load_failed(dom, f, start, err);
    }
    return 0;
}

/* Opens the image at PATH, with an error naming it. */
static int open_image(const char *path, struct qemud_save_image *img, struct mv_err *err)
{
    const char *why = NULL;
    int r = qemud_save_image_open(path, img, &why);

    if (r == -EINVAL && why)
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU, "operation failed: cannot restore from '%s': %s",
                          path, why);
    if (r < 0)
        return mv_err_set_errno(err, r, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot open save image '%s'", path);
    return 0;
}

/* The definition to restore with: DXML (the image's domain) or the image's. */
static int restore_def(const char *path, const char *image_xml, const char *dxml, struct mv_dom_def **def,
                       struct mv_err *err)
{
    _cleanup_dom_def_ struct mv_dom_def *img = NULL;
    _cleanup_free_ char *msg = NULL;
    int code = MV_ERR_XML_ERROR;

    if (mv_dom_def_parse(image_xml, 0, &img, &code, &msg) < 0)
        return mv_err_set(err, code, MV_FROM_DOMAIN, "cannot restore from '%s': %s", path,
                          msg ? msg : "XML error: cannot parse");
    if (!dxml) {
        *def = TAKE_PTR(img);
        return 0;
    }
    free(msg);
    msg = NULL;
    if (mv_dom_def_parse(dxml, 0, def, &code, &msg) < 0)
        return mv_err_set(err, code, MV_FROM_DOMAIN, "%s", msg ? msg : "XML error: cannot parse");
    if (strcmp((*def)->name, img->name) != 0 || memcmp((*def)->uuid, img->uuid, MV_UUID_LEN) != 0) {
        mv_dom_def_free(*def);
        *def = NULL;
        return mv_err_set(err, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                          "invalid argument: the XML to restore '%s' with must describe domain '%s'", path, img->name);
    }
    return 0;
}

/* Starts shut-off DOM (job held) from IMG with DEF (taken over). */
static int start_from_image(struct qemud_dom *dom, struct qemud_save_image *img, const char *path,
                            struct mv_dom_def *def, unsigned int flags, struct mv_err *err)
{
    struct feed f = { .img = img, .path = path };
    struct qemud_incoming in = { .load = load_state, .opaque = &f };
    struct mv_dom_def *shown;
    bool paused = (flags & SR_PAUSED) || (!(flags & SR_RUNNING) && (img->hdr.flags & QEMUD_SAVE_PAUSED));
    int r;

    if (qemud_path_policy_check_def(def, err) < 0 || (r = mv_nvram_fill_path(def, qemud.paths->statedir)) < 0) {
        mv_dom_def_free(def);
        return mv_err_is_set(err) ? -EIO : -ENOMEM;
    }
    if (!(shown = mv_dom_def_copy(def))) {
        mv_dom_def_free(def);
        return -ENOMEM;
    }
    mv_info("domain '%s': restoring from '%s'", dom->name, path);
    return qemud_process_start_incoming(dom, def, shown, paused, &in, err);
}

/* Restores into a new transient domain, or into the shut-off one of the
 * same name and uuid. */
static int restore_into(struct mv_dom_def *def, struct qemud_save_image *img, const char *path, unsigned int flags,
                        struct mv_err *err)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    _cleanup_dom_unref_ struct qemud_dom *holder = NULL;
    bool created = false;
    int r = qemud_registry_add(def->name, def->uuid, "restore", &dom, &holder);

    if (r == -EEXIST) {
        if (strcmp(holder->name, def->name) != 0 || memcmp(holder->uuid, def->uuid, MV_UUID_LEN) != 0) {
            r = mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                           "operation failed: cannot restore '%s': domain '%s' (uuid %s) is in the way", path,
                           holder->name, holder->uuid_str);
            mv_dom_def_free(def);
            return r;
        }
        if ((r = qemud_job_begin(holder, "restore", (int)qemud.job_wait_ms, err)) < 0) {
            mv_dom_def_free(def);
            return r;
        }
        dom = TAKE_PTR(holder);
        pthread_mutex_lock(&dom->lock);
        r = qemud_dom_is_active(dom) ? -EBUSY : 0;
        pthread_mutex_unlock(&dom->lock);
        if (r < 0) {
            qemud_job_end(dom);
            mv_dom_def_free(def);
            return mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                              "Requested operation is not valid: domain '%s' is already running", dom->name);
        }
    } else if (r < 0) {
        mv_dom_def_free(def);
        return r;
    } else {
        created = true;
        dom->monitor_path = qemud_store_monitor_path(dom->uuid_str);
        pthread_mutex_unlock(&dom->lock);
        if (!dom->monitor_path) {
            qemud_registry_remove(dom);
            qemud_job_end(dom);
            mv_dom_def_free(def);
            return -ENOMEM;
        }
    }
    r = start_from_image(dom, img, path, def, flags, err);
    if (r < 0 && created)
        qemud_registry_remove(dom);     /* a failed restore leaves no domain */
    qemud_job_end(dom);
    return r;
}

static int restore_image(struct mv_call *call, const char *path, const char *dxml, unsigned int flags)
{
    _cleanup_(qemud_save_image_close) struct qemud_save_image img = { .fd = -1 };
    struct mv_dom_def *def = NULL;
    struct mv_err err = { 0 };

    if (flags & ~(unsigned int)SR_FLAGS)
        return qemud_bad_flags(call, flags & ~(unsigned int)SR_FLAGS, "virDomainRestoreFlags");
    if ((flags & SR_RUNNING) && (flags & SR_PAUSED))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: flags 'running' and 'paused' are mutually exclusive");
    if (open_image(path, &img, &err) < 0 || restore_def(path, img.xml, dxml, &def, &err) < 0 ||
        restore_into(def, &img, path, flags, &err) < 0)
        return mv_err_is_set(&err) ? qemud_call_fail(call, &err) : -ENOMEM;
    return 0;
}

static int restore(struct mv_call *call, mv_domain_restore_args *args, void *ret)
{
    return restore_image(call, args->from, NULL, 0);
}

static int restore_flags(struct mv_call *call, mv_domain_restore_flags_args *args, void *ret)
{
    return restore_image(call, args->from, args->dxml ? *args->dxml : NULL, args->flags);
}

int qemud_managed_save_restore(struct qemud_dom *dom, bool paused, struct mv_err *err)
{
    _cleanup_(qemud_save_image_close) struct qemud_save_image img = { .fd = -1 };
    _cleanup_free_ char *path = qemud_managed_save_path(dom->name);
    struct mv_dom_def *def = NULL;
    int r;

    if (!path)
        return -ENOMEM;
    if ((r = open_image(path, &img, err)) < 0 || (r = restore_def(path, img.xml, NULL, &def, err)) < 0)
        return r;
    if (memcmp(def->uuid, dom->uuid, MV_UUID_LEN) != 0) {
        mv_dom_def_free(def);
        return mv_err_set(err, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                          "operation failed: managed save image '%s' is of another domain than '%s'", path, dom->name);
    }
    if ((r = start_from_image(dom, &img, path, def, paused ? SR_PAUSED : 0, err)) < 0)
        return r;
    if ((r = mv_file_unlink_durable(path)) < 0)
        mv_warn("domain '%s' runs, but its managed save image '%s' could not be removed: %s", dom->name, path,
                strerror(-r));
    return 0;
}

/* ---- images ---- */

static int image_get_xml_desc(struct mv_call *call, mv_domain_save_image_get_xml_desc_args *args,
                              mv_domain_save_image_get_xml_desc_ret *ret)
{
    _cleanup_(qemud_save_image_close) struct qemud_save_image img = { .fd = -1 };
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    struct mv_err err = { 0 };

    if (args->flags & ~(unsigned int)IMAGE_XML_SECURE)
        return qemud_bad_flags(call, args->flags & ~(unsigned int)IMAGE_XML_SECURE, "virDomainSaveImageGetXMLDesc");
    if (open_image(args->file, &img, &err) < 0 || restore_def(args->file, img.xml, NULL, &def, &err) < 0)
        return qemud_call_fail(call, &err);
    return mv_dom_def_format(def, NULL, (args->flags & IMAGE_XML_SECURE) ? MV_DOM_FORMAT_SECURE : 0, &ret->xml);
}

static int image_define_xml(struct mv_call *call, mv_domain_save_image_define_xml_args *args, void *ret)
{
    _cleanup_(qemud_save_image_close) struct qemud_save_image img = { .fd = -1 };
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_free_ char *xml = NULL;
    const char *why = NULL;
    struct mv_err err = { 0 };
    int r;

    if (args->flags & ~(unsigned int)(SR_RUNNING | SR_PAUSED))
        return qemud_bad_flags(call, args->flags & ~(unsigned int)(SR_RUNNING | SR_PAUSED),
                               "virDomainSaveImageDefineXML");
    if ((args->flags & SR_RUNNING) && (args->flags & SR_PAUSED))
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: flags 'running' and 'paused' are mutually exclusive");
    if (open_image(args->file, &img, &err) < 0 || restore_def(args->file, img.xml, args->dxml, &def, &err) < 0)
        return qemud_call_fail(call, &err);
    if ((r = mv_dom_def_format(def, NULL, MV_DOM_FORMAT_SECURE, &xml)) < 0)
        return r;
    r = qemud_save_image_set_xml(args->file, xml, args->flags ? image_flags(args->flags, false) : 0, &why);
    if (r == -ENOSPC)
        return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                             "operation failed: the new XML (%zu bytes) does not fit save image '%s'", strlen(xml),
                             args->file);
    if (r < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU, "cannot write save image '%s': %s",
                             args->file, why ? why : strerror(-r));
    return 0;
}

static int managed_save_remove(struct mv_call *call, mv_domain_flags_args *args, void *ret)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = qemud_dom_from_wire(call, &args->dom);
    struct mv_err err = { 0 };
    int r;

    if (!dom)
        return -EIO;
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainManagedSaveRemove");
    if (qemud_job_begin(dom, "managedsave-remove", (int)qemud.job_wait_ms, &err) < 0)
        return qemud_call_fail(call, &err);
    r = qemud_managed_save_remove(dom->name);
    qemud_job_end(dom);
    if (r < 0)
        return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                             "cannot remove the managed save image of domain '%s': %s", dom->name, strerror(-r));
    return 0;
}

static const struct mv_dispatch_entry save_procs[] = {
    MV_HANDLER(DOMAIN_SAVE, save),
    MV_HANDLER(DOMAIN_SAVE_FLAGS, save_flags),
    MV_HANDLER(DOMAIN_RESTORE, restore),
    MV_HANDLER(DOMAIN_RESTORE_FLAGS, restore_flags),
    MV_HANDLER(DOMAIN_SAVE_IMAGE_GET_XML_DESC, image_get_xml_desc),
    MV_HANDLER(DOMAIN_SAVE_IMAGE_DEFINE_XML, image_define_xml),
    MV_HANDLER(DOMAIN_MANAGED_SAVE, managed_save),
    MV_HANDLER(DOMAIN_MANAGED_SAVE_REMOVE, managed_save_remove),
};
const struct mv_dispatch_table qemud_save_table = { save_procs, MV_ARRAY_SIZE(save_procs) };
