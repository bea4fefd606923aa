/*
 * Domain procedures that drive QEMU: create, destroy, shutdown, reboot,
 * reset, suspend, resume and memory changes.  Each takes the domain's job,
 * so they run on workers: a slow or hung QEMU holds up only calls on its own
 * domain, and those give up after the configured timeouts.
 */
#define MV_LOG_MODULE "qemud.lifecycle"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "agent.h"
#include "cleanup.h"
#include "domain_call.h"
#include "domain_events.h"
#include "domain_job.h"
#include "domain_monitor.h"
#include "domain_process.h"
#include "domain_replace.h"
#include "domain_store.h"
#include "domain_wire.h"
#include "guest_path_policy.h"
#include "log.h"
#include "nvram.h"
#include "qemud.h"
#include "save_procs.h"

/* virDomainCreateFlags */
enum { CREATE_PAUSED = 1, CREATE_AUTODESTROY = 2, CREATE_BYPASS_CACHE = 4, CREATE_FORCE_BOOT = 8,
       CREATE_VALIDATE = 16, CREATE_RESET_NVRAM = 32 };
/* accepted: FORCE_BOOT (discards a managed save image), VALIDATE (parsing is strict anyway) */
#define CREATE_FLAGS (CREATE_PAUSED | CREATE_FORCE_BOOT | CREATE_VALIDATE)
/* virDomainDestroyFlags */
enum { DESTROY_GRACEFUL = 1, DESTROY_REMOVE_LOGS = 2 };
/* shutdown / reboot methods (virDomainShutdownFlagValues); the ACPI power
 * button is the default, and paravirt means the same for a QEMU guest; the
 * agent with either of them: the agent first, then the button (as libvirt) */
enum { METHOD_ACPI = 1, METHOD_AGENT = 2, METHOD_INITCTL = 4, METHOD_SIGNAL = 8, METHOD_PARAVIRT = 16 };
/* virDomainMemoryModFlags beyond LIVE and CONFIG (domain_call.h) */
enum { MEM_MAXIMUM = 4 };

static bool is_active(struct qemud_dom *dom)
{
    bool active;

    pthread_mutex_lock(&dom->lock);
    active = qemud_dom_is_active(dom);
    pthread_mutex_unlock(&dom->lock);
    return active;
}

/* ---- start ---- */

static int do_create(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    struct mv_err err = { 0 };
    struct mv_dom_def *live = NULL;
    bool active, persistent;
    int r;

    _cleanup_dom_def_ struct mv_dom_def *def = NULL;

    pthread_mutex_lock(&dom->lock);
    active = qemud_dom_is_active(dom);
    persistent = dom->def != NULL;
    if (!active && persistent)
        def = mv_dom_def_ref(dom->def);
    pthread_mutex_unlock(&dom->lock);
    /* the copy (format + parse) outside the lock inline readers take */
    if (def)
        live = mv_dom_def_copy(def);
    if (active)
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: domain '%s' is already running", dom->name);
    /* with the job held a shut-off domain without a definition cannot be
     * seen (it is removed first); answer as libvirt would, not "no memory" */
    if (!persistent)
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: domain '%s' is not persistent", dom->name);
    if (!live)
        return -ENOMEM;
    /* a managed save image: the domain resumes from it, unless told to boot */
    if (qemud_managed_save_exists(dom->name)) {
        mv_dom_def_free(live);
        if (!(flags & CREATE_FORCE_BOOT))
            return qemud_managed_save_restore(dom, flags & CREATE_PAUSED, &err) < 0 ? qemud_call_fail(call, &err) : 0;
        if ((r = qemud_managed_save_remove(dom->name)) < 0)
            return mv_call_error(call, MV_ERR_SYSTEM_ERROR, MV_FROM_QEMU,
                                 "cannot remove the managed save image of domain '%s': %s", dom->name, strerror(-r));
        if (!(live = mv_dom_def_copy(def)))
            return -ENOMEM;
    }
    if (qemud_process_start(dom, live, TAKE_PTR(def), flags & CREATE_PAUSED, &err) < 0)
        return qemud_call_fail(call, &err);
    return 0;
}

static int create(struct mv_call *call, mv_domain_args *args, void *ret)
{
    return qemud_with_job(call, &args->dom, "start", do_create, 0, NULL);
}

static int do_create_wire(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    int r = do_create(call, dom, flags, NULL);

    return r < 0 ? r : qemud_dom_to_wire(dom, opaque);
}

static int create_with_flags(struct mv_call *call, mv_domain_flags_args *args,
                             mv_domain_create_with_flags_ret *ret)
{
    if (args->flags & ~CREATE_FLAGS)
        return qemud_bad_flags(call, args->flags & ~CREATE_FLAGS, "virDomainCreateWithFlags");
    return qemud_with_job(call, &args->dom, "start", do_create_wire, args->flags, &ret->dom);
}

/* A transient domain: added with its job taken (nobody can act on it before
 * it runs), started, and removed again if the start fails. */
static int create_xml(struct mv_call *call, mv_domain_create_xml_args *args, mv_domain_create_xml_ret *ret)
{
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    _cleanup_dom_def_ struct mv_dom_def *shown = NULL;
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    _cleanup_dom_unref_ struct qemud_dom *holder = NULL;
    _cleanup_free_ char *msg = NULL;
    struct mv_err err = { 0 };
    int r, code = MV_ERR_XML_ERROR;

    if (args->flags & ~CREATE_FLAGS)
        return qemud_bad_flags(call, args->flags & ~CREATE_FLAGS, "virDomainCreateXML");
    if ((r = mv_dom_def_parse(args->xml_desc, 0, &def, &code, &msg)) < 0)
        return mv_call_error(call, code, MV_FROM_DOMAIN, "%s", msg ? msg : "XML error: cannot parse");
    if ((r = qemud_path_policy_check_def(def, &err)) < 0)
        return qemud_call_fail(call, &err);
    if ((r = mv_nvram_fill_path(def, qemud.paths->statedir)) < 0)
        return r;
    /* what others see while it starts: a snapshot of its own, as the start
     * fills DEF in (taps, ptys, ports) */
    if (!(shown = mv_dom_def_copy(def)))
        return -ENOMEM;
    r = qemud_registry_add(def->name, def->uuid, "start", &dom, &holder);
    if (r == -EEXIST)
        return mv_call_error(call, MV_ERR_OPERATION_FAILED, MV_FROM_QEMU,
                             "operation failed: domain '%s' already exists with uuid %s", holder->name,
                             holder->uuid_str);
    if (r < 0)
        return r;
    /* whole before anyone sees it: a shut-off transient domain with its definition */
    if (!(dom->monitor_path = qemud_store_monitor_path(dom->uuid_str))) {
        pthread_mutex_unlock(&dom->lock);
        qemud_registry_remove(dom);
        qemud_job_end(dom);
        return -ENOMEM;
    }
    dom->live = mv_dom_def_ref(shown);
    pthread_mutex_unlock(&dom->lock);
    r = qemud_process_start(dom, TAKE_PTR(def), TAKE_PTR(shown), args->flags & CREATE_PAUSED, &err);
    if (r < 0) {
        qemud_registry_remove(dom);
        qemud_job_end(dom);
        return qemud_call_fail(call, &err);
    }
    r = qemud_dom_to_wire(dom, &ret->dom);
    qemud_job_end(dom);
    return r;
}

/* ---- stop ---- */

static int do_destroy(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    struct mv_err err = { 0 };

    if (qemud_process_destroy(dom, flags & DESTROY_GRACEFUL, &err) < 0)
        return qemud_call_fail(call, &err);
    return 0;
}

static int destroy(struct mv_call *call, mv_domain_args *args, void *ret)
{
    return qemud_with_job(call, &args->dom, "destroy", do_destroy, 0, NULL);
}

static int destroy_flags(struct mv_call *call, mv_domain_flags_args *args, void *ret)
{
    const unsigned int known = DESTROY_GRACEFUL | DESTROY_REMOVE_LOGS;

    if (args->flags & ~known)
        return qemud_bad_flags(call, args->flags & ~known, "virDomainDestroyFlags");
    return qemud_with_job(call, &args->dom, "destroy", do_destroy, args->flags, NULL);
}

/* Runs CMD on a running domain, failing clearly if it is not running. */
static int monitor_run(struct mv_call *call, struct qemud_dom *dom, const char *cmd, json_object *args)
{
    struct mv_err err = { 0 };

    if (!is_active(dom)) {
        json_object_put(args);
        return qemud_error_not_running(call, dom);
    }
    if (qemud_monitor_command(dom, cmd, args, NULL, &err) < 0)
        return qemud_call_fail(call, &err);
    return 0;
}

/* Each method nobody implements is refused by its name: a client that
 * asked for initctl must not get the power button instead. */
static int check_method(struct mv_call *call, unsigned int flags, const char *api)
{
    static const struct { unsigned int bit; const char *why; } refused[] = {
        { METHOD_INITCTL, "the initctl method is not supported: it needs a container's /dev/initctl, which a "
                          "QEMU guest does not share with the host" },
        { METHOD_SIGNAL, "the signal method is not supported: it signals a container's init, and a QEMU "
                         "guest's init is not a host process" },
    };
    const unsigned int known = METHOD_ACPI | METHOD_AGENT | METHOD_INITCTL | METHOD_SIGNAL | METHOD_PARAVIRT;

    if (flags & ~known)
        return qemud_bad_flags(call, flags & ~known, api);
    for (size_t i = 0; i < MV_ARRAY_SIZE(refused); i++)
        if (flags & refused[i].bit)
            return mv_call_error(call, MV_ERR_ARGUMENT_UNSUPPORTED, MV_FROM_QEMU, "argument unsupported: %s: %s",
                                 api, refused[i].why);
    return 0;
}

/* The agent method, asked for in FLAGS: 1 the agent has it, 0 not asked
 * or failed with ACPI asked too (the caller presses the button), -EIO
 * failed.  It takes the agent's lock, not the domain's job: the guest
 * shuts itself down and QEMU's events do the rest. */
static int try_agent(struct mv_call *call, const mv_nonnull_domain *wire, unsigned int flags, bool reboot)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = NULL;
    struct mv_err err = { 0 };

    if (!(flags & METHOD_AGENT))
        return 0;
    if (!(dom = qemud_dom_from_wire(call, wire)))
        return -EIO;
    pthread_mutex_lock(&dom->lock);
    dom->shutdown_requested = !reboot;
    pthread_mutex_unlock(&dom->lock);
    if (qemud_agent_shutdown(dom, reboot, &err) == 0)
        return 1;
    if (!(flags & (METHOD_ACPI | METHOD_PARAVIRT)))
        return qemud_call_fail(call, &err);
    mv_info("domain '%s': %s by the guest agent failed (%s); pressing the power button", dom->name,
            reboot ? "reboot" : "shutdown", err.message);
    mv_err_clear(&err);
    return 0;
}

static int do_shutdown(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    pthread_mutex_lock(&dom->lock);
    dom->shutdown_requested = true;
    pthread_mutex_unlock(&dom->lock);
    return monitor_run(call, dom, "system_powerdown", NULL);
}

static int shutdown_domain(struct mv_call *call, mv_domain_args *args, void *ret)
{
    return qemud_with_job(call, &args->dom, "shutdown", do_shutdown, 0, NULL);
}

static int shutdown_flags(struct mv_call *call, mv_domain_flags_args *args, void *ret)
{
    int r;

    if (check_method(call, args->flags, "virDomainShutdownFlags") < 0)
        return -EIO;
    if ((r = try_agent(call, &args->dom, args->flags, false)) != 0)
        return r < 0 ? r : 0;
    return qemud_with_job(call, &args->dom, "shutdown", do_shutdown, args->flags, NULL);
}

/* A reboot is a shutdown that QEMU pauses on instead of exiting; the
 * SHUTDOWN event then resets and resumes the guest (domain_monitor.c). */
static int do_reboot(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    bool ends;
    int r;

    /* with on_reboot='destroy' a reboot ends the domain: a plain shutdown */
    pthread_mutex_lock(&dom->lock);
    ends = dom->live && dom->live->on_reboot == MV_DOM_LIFECYCLE_DESTROY;
    pthread_mutex_unlock(&dom->lock);
    if (ends)
        return do_shutdown(call, dom, flags, opaque);
    if ((r = monitor_run(call, dom, "set-action", qemud_monitor_shutdown_action("pause"))) < 0)
        return r;
    pthread_mutex_lock(&dom->lock);
    dom->fake_reboot = true;
    pthread_mutex_unlock(&dom->lock);
    if ((r = monitor_run(call, dom, "system_powerdown", NULL)) < 0) {
        pthread_mutex_lock(&dom->lock);
        dom->fake_reboot = false;
        pthread_mutex_unlock(&dom->lock);
    }
    return r;
}

static int reboot(struct mv_call *call, mv_domain_flags_args *args, void *ret)
{
    int r;

    if (check_method(call, args->flags, "virDomainReboot") < 0)
        return -EIO;
    if ((r = try_agent(call, &args->dom, args->flags, true)) != 0)
        return r < 0 ? r : 0;
    return qemud_with_job(call, &args->dom, "reboot", do_reboot, args->flags, NULL);
}

static int do_reset(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    return monitor_run(call, dom, "system_reset", NULL);
}

static int reset(struct mv_call *call, mv_domain_flags_args *args, void *ret)
{
    if (args->flags)
        return qemud_bad_flags(call, args->flags, "virDomainReset");
    return qemud_with_job(call, &args->dom, "reset", do_reset, 0, NULL);
}

static int do_suspend(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    pthread_mutex_lock(&dom->lock);
    dom->pause_requested = true;
    pthread_mutex_unlock(&dom->lock);
    return monitor_run(call, dom, "stop", NULL);
}

static int suspend(struct mv_call *call, mv_domain_args *args, void *ret)
{
    return qemud_with_job(call, &args->dom, "suspend", do_suspend, 0, NULL);
}

static int do_resume(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    return monitor_run(call, dom, "cont", NULL);
}

static int resume(struct mv_call *call, mv_domain_args *args, void *ret)
{
    return qemud_with_job(call, &args->dom, "resume", do_resume, 0, NULL);
}

/* ---- memory ---- */

struct mem_change {
    unsigned long long kib;
};

static int set_config_memory(struct mv_call *call, struct qemud_dom *dom, unsigned long long kib, bool maximum)
{
    _cleanup_dom_def_ struct mv_dom_def *cur = qemud_dom_snapshot(dom, true);
    _cleanup_dom_def_ struct mv_dom_def *def = NULL;
    struct mv_err err = { 0 };

    if (!cur)
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: transient domain '%s' has no persistent config",
                             dom->name);
    if (!(def = mv_dom_def_copy(cur)))      /* a new snapshot: the published one never changes */
        return -ENOMEM;
    if (maximum) {
        def->memory_kib = kib;
        if (def->current_memory_kib > kib)
            def->current_memory_kib = kib;
    } else if (kib > def->memory_kib) {
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: cannot set memory of domain '%s' higher than its maximum (%llu KiB)",
                             dom->name, def->memory_kib);
    } else {
        def->current_memory_kib = kib;
    }
    if (qemud_dom_replace_def(dom, true, cur, TAKE_PTR(def), &err) < 0)
        return qemud_call_fail(call, &err);
    return 0;
}

/* The live definition with the new current memory: a changed copy swapped
 * in (readers may hold the old snapshot), then the status file. */
static int replace_live_memory(struct mv_call *call, struct qemud_dom *dom, unsigned long long kib)
{
    _cleanup_dom_def_ struct mv_dom_def *cur = qemud_dom_snapshot(dom, false);
    struct mv_dom_def *next;
    struct mv_err err = { 0 };

    if (!cur)
        return qemud_error_not_running(call, dom);
    if (!(next = mv_dom_def_copy(cur)))
        return -ENOMEM;
    next->current_memory_kib = kib;
    if (qemud_dom_replace_def(dom, false, cur, next, &err) < 0)
        return qemud_call_fail(call, &err);
    return 0;
}

static int set_live_memory(struct mv_call *call, struct qemud_dom *dom, unsigned long long kib)
{
    json_object *args;
    unsigned long long max;
    bool balloon;
    int r;

    pthread_mutex_lock(&dom->lock);
    max = dom->live ? dom->live->memory_kib : 0;
    balloon = dom->live && dom->live->devices.memballoon.model &&
              strcmp(dom->live->devices.memballoon.model, "virtio") == 0;
    pthread_mutex_unlock(&dom->lock);
    if (kib > max)
        return mv_call_error(call, MV_ERR_INVALID_ARG, MV_FROM_QEMU,
                             "invalid argument: cannot set memory of domain '%s' higher than its maximum (%llu KiB)",
                             dom->name, max);
    if (!balloon)
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: domain '%s' has no virtio memory balloon",
                             dom->name);
    args = json_object_new_object();
    json_object_object_add(args, "value", json_object_new_int64((int64_t)(kib * 1024)));
    if ((r = monitor_run(call, dom, "balloon", args)) < 0)
        return r;
    return replace_live_memory(call, dom, kib);
}

static int do_set_memory(struct mv_call *call, struct qemud_dom *dom, unsigned int flags, void *opaque)
{
    const struct mem_change *mc = opaque;
    bool live, config;
    int r;

    if ((r = qemud_affect(call, dom, flags, true, &live, &config)) < 0)
        return r;
    if ((flags & MEM_MAXIMUM) && live)
        return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                             "Requested operation is not valid: cannot resize the maximum memory of running domain '%s'",
                             dom->name);
    if (live && (r = set_live_memory(call, dom, mc->kib)) < 0)
        return r;
    if (config && (r = set_config_memory(call, dom, mc->kib, flags & MEM_MAXIMUM)) < 0)
        return r;
    return 0;
}

static int set_memory(struct mv_call *call, mv_domain_set_memory_args *args, void *ret)
{
    struct mem_change mc = { args->memory };

    return qemud_with_job(call, &args->dom, "setmem", do_set_memory, QEMUD_AFFECT_LIVE, &mc);
}

static int set_max_memory(struct mv_call *call, mv_domain_set_memory_args *args, void *ret)
{
    struct mem_change mc = { args->memory };

    return qemud_with_job(call, &args->dom, "setmem", do_set_memory, MEM_MAXIMUM, &mc);
}

static int set_memory_flags(struct mv_call *call, mv_domain_set_memory_flags_args *args, void *ret)
{
    const unsigned int known = QEMUD_AFFECT_LIVE | QEMUD_AFFECT_CONFIG | MEM_MAXIMUM;
    struct mem_change mc = { args->memory };

    if (args->flags & ~known)
        return qemud_bad_flags(call, args->flags & ~known, "virDomainSetMemoryFlags");
    return qemud_with_job(call, &args->dom, "setmem", do_set_memory, args->flags, &mc);
}

static const struct mv_dispatch_entry lifecycle_procs[] = {
    MV_HANDLER(DOMAIN_CREATE, create),
    MV_HANDLER(DOMAIN_CREATE_WITH_FLAGS, create_with_flags),
    MV_HANDLER(DOMAIN_CREATE_XML, create_xml),
    MV_HANDLER(DOMAIN_DESTROY, destroy),
    MV_HANDLER(DOMAIN_DESTROY_FLAGS, destroy_flags),
    MV_HANDLER(DOMAIN_SHUTDOWN, shutdown_domain),
    MV_HANDLER(DOMAIN_SHUTDOWN_FLAGS, shutdown_flags),
    MV_HANDLER(DOMAIN_REBOOT, reboot),
    MV_HANDLER(DOMAIN_RESET, reset),
    MV_HANDLER(DOMAIN_SUSPEND, suspend),
    MV_HANDLER(DOMAIN_RESUME, resume),
    MV_HANDLER(DOMAIN_SET_MEMORY, set_memory),
    MV_HANDLER(DOMAIN_SET_MAX_MEMORY, set_max_memory),
    MV_HANDLER(DOMAIN_SET_MEMORY_FLAGS, set_memory_flags),
};
const struct mv_dispatch_table qemud_lifecycle_table = { lifecycle_procs, MV_ARRAY_SIZE(lifecycle_procs) };
