/*
 * The driver's life: settings, directories, the monitor thread and task
 * threads, loading definitions, re-attaching to running guests and
 * autostart.  Running guests are never stopped when the daemon stops.
 */
#define MV_LOG_MODULE "qemud"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "agent.h"
#include "cleanup.h"
#include "snapshot_priv.h"
#include "snapshot_store.h"
#include "domain_dir.h"
#include "domain_events.h"
#include "qemu_program.h"
#include "domain_job.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "disk_secret.h"
#include "domain_address.h"
#include "domain_store.h"
#include "domain_task.h"
#include "driver.h"
#include "file.h"
#include "guest_cgroup.h"
#include "vcpu_live.h"
#include "guest_identity.h"
#include "guest_path_policy.h"
#include "hotplug.h"
#include "log.h"
#include "qemud.h"
#include "qmp.h"
#include "store.h"

#define TASK_THREADS 4
#define DEFINITION_MAX (10 * 1024 * 1024)

struct qemud_driver qemud;

static int get_seconds(const mv_conf *conf, const char *key, unsigned int def, unsigned int *ms,
                       char **errmsg)
{
    long long v = def;
    int r = mv_conf_get_int(conf, key, 1, 3600, &v, errmsg);

    if (r < 0)
        return r;
    *ms = (unsigned int)v * 1000u;
    return 0;
}

static int read_settings(const mv_conf *conf, char **errmsg)
{
    int r;

    if ((r = mv_conf_get_string(conf, "emulator", &qemud.emulator, errmsg)) < 0)
        return r;
    if (!qemud.emulator && !(qemud.emulator = strdup(MV_QEMU_BINARY)))
        return -ENOMEM;
    if ((r = get_seconds(conf, "monitor_timeout", 30, &qemud.monitor_timeout_ms, errmsg)) < 0 ||
        (r = get_seconds(conf, "job_wait_timeout", 30, &qemud.job_wait_ms, errmsg)) < 0 ||
        (r = get_seconds(conf, "destroy_grace_period", 10, &qemud.destroy_grace_ms, errmsg)) < 0)
        return r;
    return qemud_guest_ids_configure(conf, errmsg);
}

int qemud_driver_init(struct mv_daemon_ctx *ctx, const mv_conf *conf, char **errmsg)
{
    int r;

    qemud.paths = ctx->paths;
    qemud.event = ctx->event;
    if ((r = read_settings(conf, errmsg)) < 0 ||
        (r = qemud_path_policy_configure(conf, ctx->paths, errmsg)) < 0)
        return r;
    if ((r = qemud_store_init(ctx->paths)) < 0)
        return r;
    /* QEMU children are ours to reap; anything they leave behind too */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
    if ((r = qemud_qemu_program_init()) < 0)
        return r;
    if ((r = qemud_registry_init()) < 0 || (r = qemud_events_init()) < 0 || (r = qemud_agent_init()) < 0 ||
        (r = mv_qmp_loop_start(&qemud.qmp)) < 0 ||
        (r = qemud_tasks_start(TASK_THREADS)) < 0 || (r = hotplug_init()) < 0)
        return r;
    qemud_vcpu_live_init();
    if ((r = qemud_snap_store_init(ctx->paths->confdir)) < 0 || (r = qemud_snapshot_init()) < 0)
        return r;
    return 0;
}

/* ---- loading ---- */

/* A definition stored before define gave addresses (as libvirt does at
 * load too): they are given now and saved once, so that the next start
 * and every later edit find the devices where this start puts them.  The
 * pass runs on a copy that replaces *DEF only when saved: on any failure
 * the definition stays as stored, and a start assigns (or refuses) it. */
static void assign_on_load(const char *path, struct mv_dom_def **def)
{
    _cleanup_dom_def_ struct mv_dom_def *copy = mv_dom_def_copy(*def);
    _cleanup_free_ char *before = NULL, *after = NULL, *msg = NULL;
    struct mv_err err = { 0 };
    int code;

    if (!copy || mv_dom_def_format(*def, NULL, MV_DOM_FORMAT_SECURE, &before) < 0) {
        mv_error("cannot give '%s' its device addresses: out of memory", path);
        return;
    }
    if (mv_dom_assign_addresses(copy, &code, &msg) < 0) {
        mv_warn("'%s' keeps no device addresses: %s", path, msg ? msg : "out of memory");
        return;
    }
    if (mv_dom_def_format(copy, NULL, MV_DOM_FORMAT_SECURE, &after) < 0) {
        mv_error("cannot give '%s' its device addresses: out of memory", path);
        return;
    }
    if (strcmp(before, after) == 0)
        return;
    if (qemud_store_save_config(copy, &err) < 0) {
        mv_error("'%s' keeps no device addresses: %s", path, err.message ? err.message : "out of memory");
        mv_err_clear(&err);
        return;
    }
    mv_info("'%s': device addresses given and saved", path);
    mv_dom_def_free(*def);
    *def = TAKE_PTR(copy);
}

static void load_definition(const char *name, const char *path, void *opaque)
{
    _cleanup_free_ char *xml = NULL, *msg = NULL;
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    _cleanup_dom_unref_ struct qemud_dom *holder = NULL;
    int code;

    if (mv_file_read_all(path, DEFINITION_MAX, &xml, NULL) < 0) {
        mv_error("cannot read '%s'", path);
        return;
    }
    if (mv_dom_def_parse(xml, 0, &def, &code, &msg) < 0) {
        mv_error("ignoring '%s': %s", path, msg ? msg : "cannot parse");
        return;
    }
    if (strcmp(def->name, name) != 0) {
        mv_error("ignoring '%s': it defines domain '%s'", path, def->name);
        return;
    }
    if (qemud_registry_add(def->name, def->uuid, "load", &dom, &holder) < 0) {
        mv_error("ignoring '%s': its name or uuid is taken", path);
        return;
    }
    /* the job keeps others off; the format and copy need no lock */
    pthread_mutex_unlock(&dom->lock);
    assign_on_load(path, &def);
    pthread_mutex_lock(&dom->lock);
    dom->def = TAKE_PTR(def);
    dom->autostart = mv_store_get_autostart(qemud.store, name);
    pthread_mutex_unlock(&dom->lock);
    qemud_job_end(dom);
}

static void load_status(const char *name, const char *path, void *opaque)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    _cleanup_dom_unref_ struct qemud_dom *holder = NULL;
    _cleanup_free_ char *msg = NULL;
    struct qemud_status st = { 0 };

    if (qemud_store_read_status(path, &st, &msg) < 0) {
        mv_error("ignoring status file: %s", msg ? msg : path);
        return;
    }
    dom = qemud_registry_find_uuid(st.live->uuid);
    if (!dom) {
        if (qemud_registry_add(st.live->name, st.live->uuid, "load", &dom, &holder) < 0) {
            mv_error("ignoring status of domain '%s': its name is taken", st.live->name);
            qemud_status_clear(&st);
            return;
        }
        pthread_mutex_unlock(&dom->lock);
        qemud_job_end(dom);
    }
    if (qemud_process_reattach(dom, &st) == 0 && !dom->def)
        qemud_registry_remove(dom);     /* a transient guest that is gone */
    qemud_status_clear(&st);
}

static void autostart_one(struct qemud_dom *dom, uint64_t gen)
{
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    struct mv_err err = { 0 };
    struct mv_dom_def *live = NULL;

    if (qemud_job_begin(dom, "start", -1, &err) < 0) {
        mv_err_clear(&err);     /* undefined meanwhile */
        return;
    }
    pthread_mutex_lock(&dom->lock);
    if (!qemud_dom_is_active(dom) && dom->def && dom->autostart)
        def = mv_dom_def_ref(dom->def);
    pthread_mutex_unlock(&dom->lock);
    if (def && !(live = mv_dom_def_copy(def)))
        mv_error("cannot autostart domain '%s': out of memory", dom->name);
    if (live && qemud_process_start(dom, live, TAKE_PTR(def), false, &err) < 0) {
        mv_error("cannot autostart domain '%s': %s", dom->name, err.message);
        mv_err_clear(&err);
    }
    qemud_job_end(dom);
}

/* Autostart runs once per host boot (the store keeps the marker). */
static void autostart_all(void)
{
    struct qemud_dom **doms = NULL;
    size_t n = 0;

    if (!mv_store_autostart_due(qemud.store) || qemud_registry_list(&doms, &n) < 0)
        return;
    for (size_t i = 0; i < n; i++)
        if (doms[i]->autostart)
            qemud_task_push(autostart_one, doms[i], 0);
    qemud_dom_list_free(doms, n);
}

int qemud_driver_start(struct mv_daemon_ctx *ctx)
{
    /* before the status files: the clean-up of a run that is gone removes its group */
    qemud_guest_cgroup_init(NULL, qemud.paths->root);
    qemud_disk_secrets_sweep(qemud.rundir);
    mv_store_each_config(qemud.store, load_definition, NULL);
    mv_store_each_status(qemud.store, load_status, NULL);
    /* what a guest that is gone left, before any start (autostart) makes one */
    qemud_domain_dir_sweep();
    qemud_guest_cgroup_sweep(qemud_domain_has_status);
    autostart_all();
    return 0;
}

bool qemud_driver_busy(void)
{
    return qemud_registry_any_active();
}

void qemud_driver_client_close(struct mv_client *client)
{
    qemud_events_client_close(client);
}

/* Guests keep running: close monitors without touching QEMU. */
void qemud_driver_cleanup(void)
{
    struct qemud_dom **doms = NULL;
    size_t n = 0;

    qemud_tasks_stop();
    if (qemud_registry_list(&doms, &n) == 0) {
        for (size_t i = 0; i < n; i++) {
            pthread_mutex_lock(&doms[i]->lock);
            doms[i]->run_gen++;     /* late monitor events are stale now */
            pthread_mutex_unlock(&doms[i]->lock);
            qemud_agent_close(doms[i]);
            qemud_monitor_close(doms[i]);
        }
        qemud_dom_list_free(doms, n);
    }
    mv_qmp_loop_stop(qemud.qmp);
    qemud_guest_cgroup_done();
    qemud_path_policy_clear();
    qemud_events_cleanup();
    qemud_registry_cleanup();
    qemud_store_cleanup();
    qemud_snap_store_cleanup();
    free(qemud.emulator);
    memset(&qemud, 0, sizeof(qemud));
}
