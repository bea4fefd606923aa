/* Domain handles in calls and replies. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain_wire.h"

struct qemud_dom *qemud_dom_from_wire(struct mv_call *call, const mv_nonnull_domain *wire)
{
    struct qemud_dom *dom = qemud_registry_find_uuid((const unsigned char *)wire->uuid);
    char uuid[MV_UUID_STRING_LEN];

    if (!dom) {
        mv_uuid_format((const unsigned char *)wire->uuid, uuid);
        mv_call_error(call, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
                      "Domain not found: no domain with matching uuid '%s' (%s)", uuid,
                      wire->name ? wire->name : "");
    }
    return dom;
}

int qemud_dom_to_wire(struct qemud_dom *dom, mv_nonnull_domain *wire)
{
    if (!(wire->name = strdup(dom->name)))
        return -ENOMEM;
    memcpy(wire->uuid, dom->uuid, MV_UUID_LEN);
    pthread_mutex_lock(&dom->lock);
    wire->id = dom->id;
    pthread_mutex_unlock(&dom->lock);
    return 0;
}

int qemud_error_not_running(struct mv_call *call, const struct qemud_dom *dom)
{
    return mv_call_error(call, MV_ERR_OPERATION_INVALID, MV_FROM_QEMU,
                         "Requested operation is not valid: domain '%s' is not running", dom->name);
}
