/* Host PCI functions held by running domains (hostdev_claims.h). */
#define MV_LOG_MODULE "qemud.hostdev"
#include "config.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "hostdev_claims.h"
#include "log.h"

struct claim {
    unsigned int domain, bus, slot, function;
    unsigned char uuid[MV_UUID_LEN];    /* the holder */
    char *name;                         /* its name, for messages */
};

static pthread_mutex_t claims_lock = PTHREAD_MUTEX_INITIALIZER;
static struct claim *claims;
static size_t nclaims;

static bool same_fn(const struct claim *c, const struct mv_dom_hostdev *h)
{
    return c->domain == h->domain && c->bus == h->bus && c->slot == h->slot && c->function == h->function;
}

/* The claim on H by a domain other than UUID's, or NULL; with claims_lock. */
static const struct claim *other_holder(const struct mv_dom_hostdev *h, const unsigned char *uuid)
{
    for (size_t i = 0; i < nclaims; i++)
        if (same_fn(&claims[i], h) && memcmp(claims[i].uuid, uuid, MV_UUID_LEN) != 0)
            return &claims[i];
    return NULL;
}

/* With claims_lock; -ENOMEM. */
static int add_claim(const struct mv_dom_hostdev *h, const struct mv_dom_def *def)
{
    struct claim *grown = realloc(claims, (nclaims + 1) * sizeof(*claims));
    char *name = strdup(def->name);

    if (grown)
        claims = grown;
    if (!grown || !name) {
        free(name);
        return -ENOMEM;
    }
    claims[nclaims] = (struct claim){ h->domain, h->bus, h->slot, h->function, { 0 }, name };
    memcpy(claims[nclaims].uuid, def->uuid, MV_UUID_LEN);
    nclaims++;
    return 0;
}

/* With claims_lock: drops the claims of UUID. */
static void drop_locked(const unsigned char *uuid)
{
    size_t kept = 0;

    for (size_t i = 0; i < nclaims; i++) {
        if (memcmp(claims[i].uuid, uuid, MV_UUID_LEN) == 0)
            free(claims[i].name);
        else
            claims[kept++] = claims[i];
    }
    nclaims = kept;
}

int qemud_hostdevs_claim(const struct mv_dom_def *live, struct mv_err *err)
{
    const struct claim *holder = NULL;
    const struct mv_dom_hostdev *h = NULL;
    int r = 0;

    pthread_mutex_lock(&claims_lock);
    for (size_t i = 0; i < live->devices.nhostdevs && r == 0; i++) {
        h = &live->devices.hostdevs[i];
        if ((holder = other_holder(h, live->uuid)))
            r = -EBUSY;
        else
            r = add_claim(h, live);
    }
    if (r == -EBUSY)
        mv_err_set(err, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU, "Requested operation is not valid: domain '%s': "
                   "host PCI device %04x:%02x:%02x.%x is in use by domain '%s'", live->name, h->domain, h->bus,
                   h->slot, h->function, holder->name);
    else if (r < 0)
        mv_err_set_errno(err, r, MV_ERR_NO_MEMORY, MV_FROM_QEMU, "out of memory");
    if (r < 0)
        drop_locked(live->uuid);
    pthread_mutex_unlock(&claims_lock);
    return r;
}

void qemud_hostdevs_release(const struct mv_dom_def *live)
{
    if (!live)
        return;
    pthread_mutex_lock(&claims_lock);
    drop_locked(live->uuid);
    pthread_mutex_unlock(&claims_lock);
}

void qemud_hostdevs_claim_running(const struct mv_dom_def *live)
{
    struct mv_err err = { 0 };

    if (qemud_hostdevs_claim(live, &err) < 0)
        mv_warn("%s", err.message ? err.message : "out of memory");
    mv_err_clear(&err);
}
