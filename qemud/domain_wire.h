/* Domains on the wire: finding the object a call names, and naming one in a reply. */
#pragma once

#include "domain_obj.h"
#include "server.h"

/* The domain WIRE names (by UUID), referenced; NULL with the call's error
 * "Domain not found: no domain with matching uuid '...' (NAME)". */
struct qemud_dom *qemud_dom_from_wire(struct mv_call *call, const mv_nonnull_domain *wire);

/* Fills WIRE (name malloc'd: the server frees replies with xdr_free). */
int qemud_dom_to_wire(struct qemud_dom *dom, mv_nonnull_domain *wire);

/* The "domain is not running" error, returns -EIO. */
int qemud_error_not_running(struct mv_call *call, const struct qemud_dom *dom);
