/* Domain objects on the driver core's object base and registry. */
#define MV_LOG_MODULE "qemud.domain"
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include "cleanup.h"
#include "domain_obj.h"
#include "qemud.h"
#include "qmp.h"
#include "registry.h"

static void dom_dispose(struct mv_obj *obj)
{
    struct qemud_dom *dom = qemud_dom_of(obj);

    mv_qmp_close(dom->mon);
    if (dom->pidfd >= 0)
        close(dom->pidfd);
    mv_dom_def_free(dom->def);
    mv_dom_def_free(dom->live);
    free(dom->monitor_path);
    qemud_sidecars_clear(&dom->sidecars);     /* left running, as QEMU is, for the next daemon */
    qemud_isolation_clear(&dom->iso);         /* grants stay, recorded in the status file */
    mv_obj_fini(&dom->obj);
    free(dom);
}

static const struct mv_obj_kind dom_kind = { .word = "domain", .dispose = dom_dispose };

static struct qemud_dom *dom_new(const char *name, const unsigned char uuid[MV_UUID_LEN])
{
    struct qemud_dom *dom = calloc(1, sizeof(*dom));

    if (!dom)
        return NULL;
    if (mv_obj_init(&dom->obj, &dom_kind, name, uuid) < 0) {
        free(dom);
        return NULL;
    }
    dom->pidfd = -1;
    dom->state = QEMUD_STATE_SHUTOFF;
    return dom;
}

struct qemud_dom *qemud_dom_ref(struct qemud_dom *dom)
{
    mv_obj_ref(&dom->obj);
    return dom;
}

void qemud_dom_unref(struct qemud_dom *dom)
{
    if (dom)
        mv_obj_unref(&dom->obj);
}

void qemud_dom_set_state(struct qemud_dom *dom, int state, int reason)
{
    dom->state = state;
    dom->reason = reason;
}

struct mv_dom_def *qemud_dom_snapshot(struct qemud_dom *dom, bool persistent)
{
    struct mv_dom_def *def;

    pthread_mutex_lock(&dom->lock);
    def = persistent ? dom->def : qemud_dom_current_def(dom);
    if (def)
        mv_dom_def_ref(def);
    pthread_mutex_unlock(&dom->lock);
    return def;
}

/* ---- registry ---- */

int qemud_registry_init(void)
{
    return mv_registry_new(&dom_kind, &qemud.domains);
}

void qemud_registry_cleanup(void)
{
    mv_registry_free(qemud.domains);
    qemud.domains = NULL;
}

static struct qemud_dom *dom_or_null(struct mv_obj *obj)
{
    return obj ? qemud_dom_of(obj) : NULL;
}

int qemud_registry_add(const char *name, const unsigned char uuid[MV_UUID_LEN], const char *job,
                       struct qemud_dom **ret, struct qemud_dom **existing)
{
    _cleanup_dom_unref_ struct qemud_dom *dom = dom_new(name, uuid);
    struct mv_obj *holder = NULL;
    int r;

    if (!dom)
        return -ENOMEM;
    if ((r = mv_registry_add(qemud.domains, &dom->obj, job, &holder)) < 0) {
        if (r == -EEXIST)
            *existing = qemud_dom_of(holder);
        return r;
    }
    *ret = TAKE_PTR(dom);
    return 0;
}

void qemud_registry_remove(struct qemud_dom *dom)
{
    mv_registry_remove(qemud.domains, &dom->obj);
}

struct qemud_dom *qemud_registry_find_name(const char *name)
{
    return dom_or_null(mv_registry_find_name(qemud.domains, name));
}

struct qemud_dom *qemud_registry_find_uuid(const unsigned char uuid[MV_UUID_LEN])
{
    return dom_or_null(mv_registry_find_uuid(qemud.domains, uuid));
}

struct qemud_dom *qemud_registry_find_id(int id)
{
    return dom_or_null(mv_registry_find_id(qemud.domains, id));
}

int qemud_registry_list(struct qemud_dom ***doms, size_t *n)
{
    _cleanup_free_ struct mv_obj **objs = NULL;
    struct qemud_dom **v;
    size_t count = 0;
    int r;

    if (!qemud.domains) {       /* the driver never started (--help) */
        *doms = NULL;
        *n = 0;
        return 0;
    }
    if ((r = mv_registry_list(qemud.domains, NULL, NULL, &objs, &count)) < 0)
        return r;
    if (!(v = calloc(count ? count : 1, sizeof(*v)))) {
        mv_obj_list_free(TAKE_PTR(objs), count);
        return -ENOMEM;
    }
    for (size_t i = 0; i < count; i++)
        v[i] = qemud_dom_of(objs[i]);      /* the references move over */
    *doms = v;
    *n = count;
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
    return mv_registry_assign_id(qemud.domains, &dom->obj, id);
}

void qemud_registry_release_id(struct qemud_dom *dom)
{
    mv_registry_release_id(qemud.domains, &dom->obj);
}

int qemud_registry_next_id(void)
{
    return mv_registry_next_id(qemud.domains);
}

void qemud_registry_note_id(int id)
{
    mv_registry_note_id(qemud.domains, id);
}

bool qemud_registry_any_active(void)
{
    return qemud.domains && mv_registry_count_active(qemud.domains) > 0;
}
