#define MV_LOG_MODULE "qemud.host"
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "file.h"
#include "host_capabilities.h"
#include "host_facts.h"
#include "host_node.h"
#include "kvm_probe.h"
#include "log.h"
#include "uuid.h"

static struct {
    pthread_mutex_t lock;
    pthread_cond_t done_cond;
    pthread_t thread;
    bool started, done;
    char *emulator;
    char *kvm_cache;        /* <statedir>/kvm-probe.cache */
    struct qemud_host_facts facts;
    char *error;
    int status;
} state = {
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .done_cond = PTHREAD_COND_INITIALIZER,
};

/* The host UUID: /etc/machine-id read as a UUID, as on hosts without SMBIOS. */
static char *host_uuid(void)
{
    _cleanup_free_ char *id = NULL;
    unsigned char raw[MV_UUID_LEN];
    char *out;

    if (mv_file_read_line("/etc/machine-id", &id) < 0 || mv_uuid_parse(id, raw) < 0)
        return NULL;
    out = malloc(MV_UUID_STRING_LEN);
    if (out)
        mv_uuid_format(raw, out);
    return out;
}

static int gather(struct qemud_host_facts *f, char **errmsg)
{
    struct mv_node_info node;
    _cleanup_free_ char *uuid = host_uuid();
    _cleanup_free_ char *kvm_err = NULL;
    bool cached;
    int r;

    r = mv_qemu_probe(state.emulator, &f->qemu, errmsg);
    if (r < 0)
        return r;
    f->kvm_usable = mv_kvm_probe_cached("/dev/kvm", f->qemu.binary, state.kvm_cache,
                                        &f->kvm_reason, &cached) == 1;
    mv_info("QEMU %lu.%lu.%lu at %s; KVM %s%s%s%s", f->qemu.version / 1000000,
            f->qemu.version / 1000 % 1000, f->qemu.version % 1000, f->qemu.binary,
            f->kvm_usable ? "usable" : "not usable",
            f->kvm_reason ? ": " : "", f->kvm_reason ? f->kvm_reason : "",
            cached ? " (cached verdict)" : "");
    if (f->kvm_usable && mv_qemu_probe_max_cpu_features(f->qemu.binary, "kvm", &f->kvm_cpu_features, &kvm_err) < 0)
        mv_warn("%s: optional CPU features are refused under KVM", kvm_err ? kvm_err : "cannot probe KVM's CPU");
    r = mv_node_get_info(NULL, &node);
    if (r < 0) {
        if (asprintf(errmsg, "cannot read host information: %s", strerror(-r)) < 0)
            *errmsg = NULL;
        return r;
    }
    struct mv_host_caps_input in = {
        .node = &node, .qemu = &f->qemu, .kvm_usable = f->kvm_usable,
        .host_uuid = uuid, .sysroot = NULL,
    };
    r = mv_host_capabilities_format(&in, &f->capabilities);
    if (r < 0 && asprintf(errmsg, "cannot format host capabilities: %s", strerror(-r)) < 0)
        *errmsg = NULL;
    return r;
}

static void *probe_thread(void *unused)
{
    char *err = NULL;
    int r = gather(&state.facts, &err);

    if (r < 0)
        mv_error("cannot probe %s: %s", state.emulator, err ? err : strerror(-r));
    pthread_mutex_lock(&state.lock);
    state.status = r;
    state.error = err;
    state.done = true;
    pthread_cond_broadcast(&state.done_cond);
    pthread_mutex_unlock(&state.lock);
    return NULL;
}

int qemud_host_facts_init(const char *emulator, const char *statedir)
{
    int r;

    state.emulator = strdup(emulator);
    if (!state.emulator)
        return -ENOMEM;
    if (statedir && asprintf(&state.kvm_cache, "%s/kvm-probe.cache", statedir) < 0) {
        state.kvm_cache = NULL;
        return -ENOMEM;
    }
    r = pthread_create(&state.thread, NULL, probe_thread, NULL);
    if (r != 0)
        return -r;
    state.started = true;
    return 0;
}

const struct qemud_host_facts *qemud_host_facts_get(const char **errmsg)
{
    pthread_mutex_lock(&state.lock);
    while (!state.done)
        pthread_cond_wait(&state.done_cond, &state.lock);
    pthread_mutex_unlock(&state.lock);
    if (state.status < 0) {
        *errmsg = state.error ? state.error : "cannot probe QEMU";
        return NULL;
    }
    return &state.facts;
}

void qemud_host_facts_cleanup(void)
{
    if (state.started)
        pthread_join(state.thread, NULL);
    state.started = false;
    mv_qemu_caps_clear(&state.facts.qemu);
    free(state.facts.kvm_reason);
    mv_strv_free(state.facts.kvm_cpu_features);
    free(state.facts.capabilities);
    free(state.error);
    free(state.emulator);
    free(state.kvm_cache);
    memset(&state.facts, 0, sizeof(state.facts));
    state.error = state.emulator = state.kvm_cache = NULL;
}

const char *const *qemud_host_accel_cpu_features(bool kvm)
{
    const char *why = NULL;
    const struct qemud_host_facts *f = qemud_host_facts_get(&why);

    if (!f)
        return NULL;
    return (const char *const *)(kvm ? f->kvm_cpu_features : f->qemu.tcg_cpu_features);
}
