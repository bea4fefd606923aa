/* Domain objects and the registry (name, UUID and id indexes). */
#define MV_LOG_MODULE "qemud.domain"
#include <errno.h>
#include <libxml/hash.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_obj.h"
#include "log.h"
#include "monotime.h"
#include "qmp.h"

static struct qemud_dom *dom_new(const char *name, const unsigned char uuid[MV_UUID_LEN])
{
    struct qemud_dom *dom = calloc(1, sizeof(*dom));

    if (!dom || !(dom->name = strdup(name))) {
        free(dom);
        return NULL;
    }
    atomic_init(&dom->refs, 1);
    pthread_mutex_init(&dom->lock, NULL);
    /* job waits use monotonic deadlines (domain_job.c) */
    mv_cond_init_monotonic(&dom->job_cond);
    memcpy(dom->uuid, uuid, MV_UUID_LEN);
    mv_uuid_format(uuid, dom->uuid_str);
    dom->id = -1;
    dom->pid = 0;
    dom->pidfd = -1;
    dom->state = QEMUD_STATE_SHUTOFF;
    return dom;
}

struct qemud_dom *qemud_dom_ref(struct qemud_dom *dom)
{
    atomic_fetch_add(&dom->refs, 1);
    return dom;
}

void qemud_dom_unref(struct qemud_dom *dom)
{
    if (!dom || atomic_fetch_sub(&dom->refs, 1) != 1)
        return;
    mv_qmp_close(dom->mon);
    if (dom->pidfd >= 0)
        close(dom->pidfd);
    mv_dom_def_free(dom->def);
    mv_dom_def_free(dom->live);
    free(dom->monitor_path);
    free(dom->name);
    pthread_cond_destroy(&dom->job_cond);
    pthread_mutex_destroy(&dom->lock);
    free(dom);
}

void qemud_dom_set_state(struct qemud_dom *dom, int state, int reason)
{
    dom->state = state;
    dom->reason = reason;
}

/* ---- registry ---- */

static struct {
    pthread_mutex_t lock;
    xmlHashTablePtr by_name, by_uuid, by_id;   /* values borrowed from doms[] */
    struct qemud_dom **doms;                   /* referenced, in definition order */
    size_t n, cap;
    int next_id;
    size_t nactive;
} reg = { .lock = PTHREAD_MUTEX_INITIALIZER, .next_id = 1 };

int qemud_registry_init(void)
{
    reg.by_name = xmlHashCreate(64);
    reg.by_uuid = xmlHashCreate(64);
    reg.by_id = xmlHashCreate(64);
    if (!reg.by_name || !reg.by_uuid || !reg.by_id)
        return -ENOMEM;
    return 0;
}

void qemud_registry_cleanup(void)
{
    xmlHashFree(reg.by_name, NULL);
    xmlHashFree(reg.by_uuid, NULL);
    xmlHashFree(reg.by_id, NULL);
    reg.by_name = reg.by_uuid = reg.by_id = NULL;
    qemud_dom_list_free(reg.doms, reg.n);
    reg.doms = NULL;
    reg.n = reg.cap = 0;
}

static void id_key(int id, char buf[16])
{
    snprintf(buf, 16, "%d", id);
}

static struct qemud_dom *ref_or_null(void *dom)
{
    return dom ? qemud_dom_ref(dom) : NULL;
}

int qemud_registry_add(const char *name, const unsigned char uuid[MV_UUID_LEN], struct mv_dom_def *def,
                       struct qemud_dom **ret, struct qemud_dom **existing)
{
    char uuid_str[MV_UUID_STRING_LEN];
    struct qemud_dom *dom, *holder;

    mv_uuid_format(uuid, uuid_str);
    pthread_mutex_lock(&reg.lock);
    holder = xmlHashLookup(reg.by_name, BAD_CAST name);
    if (!holder)
        holder = xmlHashLookup(reg.by_uuid, BAD_CAST uuid_str);
    if (holder) {
        *existing = qemud_dom_ref(holder);
        pthread_mutex_unlock(&reg.lock);
        return -EEXIST;
    }
    if (reg.n == reg.cap) {
        size_t cap = reg.cap ? reg.cap * 2 : 64;
        struct qemud_dom **v = realloc(reg.doms, cap * sizeof(*v));

        if (!v)
            goto oom;
        reg.doms = v;
        reg.cap = cap;
    }
    if (!(dom = dom_new(name, uuid)))
        goto oom;
    if (xmlHashAddEntry(reg.by_name, BAD_CAST dom->name, dom) < 0 ||
        xmlHashAddEntry(reg.by_uuid, BAD_CAST dom->uuid_str, dom) < 0) {
        xmlHashRemoveEntry(reg.by_name, BAD_CAST dom->name, NULL);
        qemud_dom_unref(dom);
        goto oom;
    }
    dom->def = def;
    reg.doms[reg.n++] = dom;
    *ret = qemud_dom_ref(dom);
    pthread_mutex_unlock(&reg.lock);
    return 0;
oom:
    pthread_mutex_unlock(&reg.lock);
    return -ENOMEM;
}

void qemud_registry_remove(struct qemud_dom *dom)
{
    pthread_mutex_lock(&reg.lock);
    for (size_t i = 0; i < reg.n; i++) {
        if (reg.doms[i] != dom)
            continue;
        xmlHashRemoveEntry(reg.by_name, BAD_CAST dom->name, NULL);
        xmlHashRemoveEntry(reg.by_uuid, BAD_CAST dom->uuid_str, NULL);
        memmove(&reg.doms[i], &reg.doms[i + 1], (reg.n - i - 1) * sizeof(*reg.doms));
        reg.n--;
        pthread_mutex_unlock(&reg.lock);
        qemud_dom_unref(dom);
        return;
    }
    pthread_mutex_unlock(&reg.lock);
}

struct qemud_dom *qemud_registry_find_name(const char *name)
{
    struct qemud_dom *dom;

    pthread_mutex_lock(&reg.lock);
    dom = ref_or_null(xmlHashLookup(reg.by_name, BAD_CAST name));
    pthread_mutex_unlock(&reg.lock);
    return dom;
}

struct qemud_dom *qemud_registry_find_uuid(const unsigned char uuid[MV_UUID_LEN])
{
    char key[MV_UUID_STRING_LEN];
    struct qemud_dom *dom;

    mv_uuid_format(uuid, key);
    pthread_mutex_lock(&reg.lock);
    dom = ref_or_null(xmlHashLookup(reg.by_uuid, BAD_CAST key));
    pthread_mutex_unlock(&reg.lock);
    return dom;
}

struct qemud_dom *qemud_registry_find_id(int id)
{
    char key[16];
    struct qemud_dom *dom;

    id_key(id, key);
    pthread_mutex_lock(&reg.lock);
    dom = ref_or_null(xmlHashLookup(reg.by_id, BAD_CAST key));
    pthread_mutex_unlock(&reg.lock);
    return dom;
}

int qemud_registry_list(struct qemud_dom ***doms, size_t *n)
{
    struct qemud_dom **v;

    pthread_mutex_lock(&reg.lock);
    v = calloc(reg.n ? reg.n : 1, sizeof(*v));
    if (!v) {
        pthread_mutex_unlock(&reg.lock);
        return -ENOMEM;
    }
    for (size_t i = 0; i < reg.n; i++)
        v[i] = qemud_dom_ref(reg.doms[i]);
    *n = reg.n;
    pthread_mutex_unlock(&reg.lock);
    *doms = v;
    return 0;
}

void qemud_dom_list_free(struct qemud_dom **doms, size_t n)
{
    for (size_t i = 0; i < n; i++)
        qemud_dom_unref(doms[i]);
    free(doms);
}

int qemud_registry_assign_id(struct qemud_dom *dom, int id)
{
    char key[16];
    int r;

    id_key(id, key);
    pthread_mutex_lock(&reg.lock);
    r = xmlHashAddEntry(reg.by_id, BAD_CAST key, dom) < 0 ? -EEXIST : 0;
    if (r == 0) {
        dom->id = id;
        reg.nactive++;
        if (id >= reg.next_id)
            reg.next_id = id + 1;
    }
    pthread_mutex_unlock(&reg.lock);
    return r;
}

void qemud_registry_release_id(struct qemud_dom *dom)
{
    char key[16];

    if (dom->id < 0)
        return;
    id_key(dom->id, key);
    pthread_mutex_lock(&reg.lock);
    if (xmlHashRemoveEntry(reg.by_id, BAD_CAST key, NULL) == 0)
        reg.nactive--;
    pthread_mutex_unlock(&reg.lock);
    dom->id = -1;
}

int qemud_registry_next_id(void)
{
    int id;

    pthread_mutex_lock(&reg.lock);
    id = reg.next_id++;
    pthread_mutex_unlock(&reg.lock);
    return id;
}

void qemud_registry_note_id(int id)
{
    pthread_mutex_lock(&reg.lock);
    if (id >= reg.next_id)
        reg.next_id = id + 1;
    pthread_mutex_unlock(&reg.lock);
}

bool qemud_registry_any_active(void)
{
    bool any;

    pthread_mutex_lock(&reg.lock);
    any = reg.nactive > 0;
    pthread_mutex_unlock(&reg.lock);
    return any;
}
