/*
 * Domain handles and how to get them: lookups (virsh's id, UUID, name
 * order), listings, define and undefine.  Lifecycle and queries are in
 * domain_lifecycle.c and domain_query.c; they all go through the two call
 * helpers at the end of this file.
 */
#define MV_LOG_MODULE "client.domain"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "internal.h"
#include "remote_protocol.h"
#include "uuid.h"

/* ---- handles ---- */

modvirt_domain *modvirt_domain_from_wire(modvirt_conn *conn, mv_nonnull_domain *w)
{
    modvirt_domain *dom = calloc(1, sizeof(*dom));

    if (!dom)
        return NULL;
    dom->conn = conn;
    dom->name = TAKE_PTR(w->name);
    memcpy(dom->uuid, w->uuid, sizeof(dom->uuid));
    dom->id = w->id;
    return dom;
}

mv_nonnull_domain modvirt_domain_to_wire(const modvirt_domain *dom)
{
    mv_nonnull_domain w = { .name = dom->name, .id = dom->id };

    memcpy(w.uuid, dom->uuid, sizeof(w.uuid));
    return w;
}

void modvirt_domain_free(modvirt_domain *dom)
{
    if (!dom)
        return;
    free(dom->name);
    free(dom);
}

const char *modvirt_domain_get_name(const modvirt_domain *dom)
{
    return dom->name;
}

const unsigned char *modvirt_domain_get_uuid(const modvirt_domain *dom)
{
    return dom->uuid;
}

const char *modvirt_domain_get_uuid_string(const modvirt_domain *dom, char buf[37])
{
    mv_uuid_format(dom->uuid, buf);
    return buf;
}

int modvirt_domain_get_id(const modvirt_domain *dom)
{
    return dom->id;
}

/* Hands the domain in a reply out as a new handle; frees the reply. */
static int give_domain(modvirt_conn *conn, mv_nonnull_domain *w, modvirt_domain **dom,
                       modvirt_error **err)
{
    modvirt_domain *d = modvirt_domain_from_wire(conn, w);

    xdr_free((xdrproc_t)xdr_mv_nonnull_domain, (char *)w);
    if (!d)
        return modvirt_error_nomem(err);
    *dom = d;
    return 0;
}

/* ---- the two call shapes nearly every domain procedure has ---- */

int modvirt_domain_call(modvirt_domain *dom, int proc, xdrproc_t ret_filter, void *ret,
                        modvirt_error **err)
{
    mv_domain_args args = { .dom = modvirt_domain_to_wire(dom) };

    return modvirt_conn_call(dom->conn, proc, (xdrproc_t)xdr_mv_domain_args, &args,
                             ret_filter, ret, err);
}

int modvirt_domain_call_flags(modvirt_domain *dom, int proc, unsigned int flags,
                              xdrproc_t ret_filter, void *ret, modvirt_error **err)
{
    mv_domain_flags_args args = { .dom = modvirt_domain_to_wire(dom), .flags = flags };

    return modvirt_conn_call(dom->conn, proc, (xdrproc_t)xdr_mv_domain_flags_args, &args,
                             ret_filter, ret, err);
}

/* ---- lookups ---- */

int modvirt_domain_lookup_by_name(modvirt_conn *conn, const char *name, modvirt_domain **dom,
                                  modvirt_error **err)
{
    mv_domain_lookup_by_name_args args = { .name = (char *)name };
    mv_domain_lookup_by_name_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_DOMAIN_LOOKUP_BY_NAME,
                          (xdrproc_t)xdr_mv_domain_lookup_by_name_args, &args,
                          (xdrproc_t)xdr_mv_domain_lookup_by_name_ret, &ret, err);
    return r < 0 ? r : give_domain(conn, &ret.dom, dom, err);
}

int modvirt_domain_lookup_by_uuid(modvirt_conn *conn, const unsigned char uuid[16],
                                  modvirt_domain **dom, modvirt_error **err)
{
    mv_domain_lookup_by_uuid_args args;
    mv_domain_lookup_by_uuid_ret ret;
    int r;

    memcpy(args.uuid, uuid, sizeof(args.uuid));
    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_DOMAIN_LOOKUP_BY_UUID,
                          (xdrproc_t)xdr_mv_domain_lookup_by_uuid_args, &args,
                          (xdrproc_t)xdr_mv_domain_lookup_by_uuid_ret, &ret, err);
    return r < 0 ? r : give_domain(conn, &ret.dom, dom, err);
}

int modvirt_domain_lookup_by_id(modvirt_conn *conn, int id, modvirt_domain **dom,
                                modvirt_error **err)
{
    mv_domain_lookup_by_id_args args = { .id = id };
    mv_domain_lookup_by_id_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_DOMAIN_LOOKUP_BY_ID,
                          (xdrproc_t)xdr_mv_domain_lookup_by_id_args, &args,
                          (xdrproc_t)xdr_mv_domain_lookup_by_id_ret, &ret, err);
    return r < 0 ? r : give_domain(conn, &ret.dom, dom, err);
}

/* KEY as a domain id: only digits, and small enough for an int. */
static bool parse_id(const char *key, int *id)
{
    long v = 0;

    if (!*key)
        return false;
    for (const char *p = key; *p; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
        if (v > INT32_MAX)
            return false;
    }
    *id = (int)v;
    return true;
}

/* True if a failed lookup means "no such domain", so the next kind of
 * lookup may be tried; E is dropped then. */
static bool not_found(int r, modvirt_error **e)
{
    if (r != -EIO || !*e || (*e)->code != MV_ERR_NO_DOMAIN)
        return false;
    modvirt_error_free(*e);
    *e = NULL;
    return true;
}

/* Hands E (from a call that returned R) to the caller if it asked for
 * errors and R is a failure; returns R. */
static int pass_error(int r, modvirt_error *e, modvirt_error **err)
{
    if (r < 0 && err)
        *err = e;
    else
        modvirt_error_free(e);
    return r;
}

int modvirt_domain_lookup(modvirt_conn *conn, const char *key, modvirt_domain **dom,
                          modvirt_error **err)
{
    modvirt_error *e = NULL;
    unsigned char uuid[16];
    int id, r;

    if (!key || !*key)
        return modvirt_error_set(err, -EINVAL, MV_ERR_INVALID_ARG, MV_FROM_DOMAIN,
                                 "invalid argument: empty domain name, id or UUID");
    /* a name may be all digits or look like a UUID: only a miss moves on */
    if (parse_id(key, &id)) {
        r = modvirt_domain_lookup_by_id(conn, id, dom, &e);
        if (r == 0 || !not_found(r, &e))
            goto out;
    }
    if (mv_uuid_parse(key, uuid) == 0) {
        r = modvirt_domain_lookup_by_uuid(conn, uuid, dom, &e);
        if (r == 0 || !not_found(r, &e))
            goto out;
    }
    r = modvirt_domain_lookup_by_name(conn, key, dom, &e);
out:
    return pass_error(r, e, err);
}

/* ---- define and undefine ---- */

int modvirt_domain_define_xml(modvirt_conn *conn, const char *xml, unsigned int flags,
                              modvirt_domain **dom, modvirt_error **err)
{
    mv_domain_define_xml_flags_ret ret;
    int r;

    memset(&ret, 0, sizeof(ret));
    /* like virsh: the flagless procedure unless a flag needs the newer one */
    if (flags == 0) {
        mv_domain_define_xml_args args = { .xml = (char *)xml };

        r = modvirt_conn_call(conn, MV_PROC_DOMAIN_DEFINE_XML,
                              (xdrproc_t)xdr_mv_domain_define_xml_args, &args,
                              (xdrproc_t)xdr_mv_domain_define_xml_ret, &ret, err);
    } else {
        mv_domain_define_xml_flags_args args = { .xml = (char *)xml, .flags = flags };

        r = modvirt_conn_call(conn, MV_PROC_DOMAIN_DEFINE_XML_FLAGS,
                              (xdrproc_t)xdr_mv_domain_define_xml_flags_args, &args,
                              (xdrproc_t)xdr_mv_domain_define_xml_flags_ret, &ret, err);
    }
    return r < 0 ? r : give_domain(conn, &ret.dom, dom, err);
}

int modvirt_domain_undefine(modvirt_domain *dom, unsigned int flags, modvirt_error **err)
{
    if (flags == 0)
        return modvirt_domain_call(dom, MV_PROC_DOMAIN_UNDEFINE, NULL, NULL, err);
    return modvirt_domain_call_flags(dom, MV_PROC_DOMAIN_UNDEFINE_FLAGS, flags, NULL, NULL, err);
}

/* ---- listings ---- */

void modvirt_domain_ref_list_free(modvirt_domain_ref *list, size_t n)
{
    if (!list)
        return;
    for (size_t i = 0; i < n; i++)
        free(list[i].name);
    free(list);
}

/* Moves the names out of the reply: no copy of what may be 16384 names. */
static modvirt_domain_ref *refs_from_wire(mv_nonnull_domain *doms, size_t n)
{
    modvirt_domain_ref *list = calloc(n, sizeof(*list));

    if (!list)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        list[i].name = TAKE_PTR(doms[i].name);
        memcpy(list[i].uuid, doms[i].uuid, sizeof(list[i].uuid));
        list[i].id = doms[i].id;
        list[i].state = -1;
        list[i].reason = -1;
    }
    return list;
}

int modvirt_conn_list_all_domains(modvirt_conn *conn, unsigned int flags,
                                  modvirt_domain_ref **list, size_t *n, modvirt_error **err)
{
    mv_connect_list_all_domains_args args = { .need_results = 1, .flags = flags };
    mv_connect_list_all_domains_ret ret;
    modvirt_domain_ref *out = NULL;
    size_t count;
    int r;

    memset(&ret, 0, sizeof(ret));
    r = modvirt_conn_call(conn, MV_PROC_CONNECT_LIST_ALL_DOMAINS,
                          (xdrproc_t)xdr_mv_connect_list_all_domains_args, &args,
                          (xdrproc_t)xdr_mv_connect_list_all_domains_ret, &ret, err);
    if (r < 0)
        return r;
    count = ret.domains.domains_len;
    if (count && !(out = refs_from_wire(ret.domains.domains_val, count)))
        r = modvirt_error_nomem(err);
    /* names moved out are NULL now, which xdr_free skips */
    xdr_free((xdrproc_t)xdr_mv_connect_list_all_domains_ret, (char *)&ret);
    if (r < 0)
        return r;
    *list = out;
    *n = count;
    return 0;
}

/* DOMAIN_GET_STATE for one listed domain.  "No such domain" is not a
 * failure of the listing: the domain went away after the list was made. */
static int ref_state(modvirt_conn *conn, modvirt_domain_ref *ref, modvirt_error **err)
{
    modvirt_domain dom = { .conn = conn, .name = ref->name, .id = ref->id };
    modvirt_error *e = NULL;
    int r;

    memcpy(dom.uuid, ref->uuid, sizeof(dom.uuid));
    r = modvirt_domain_get_state(&dom, &ref->state, &ref->reason, &e);
    if (r < 0 && not_found(r, &e))
        return 0;
    return pass_error(r, e, err);
}

int modvirt_conn_list_domains_with_state(modvirt_conn *conn, unsigned int flags,
                                         modvirt_domain_ref **list, size_t *n,
                                         modvirt_error **err)
{
    modvirt_domain_ref *out = NULL;
    size_t count = 0;
    int r = modvirt_conn_list_all_domains(conn, flags, &out, &count, err);

    for (size_t i = 0; r == 0 && i < count; i++)
        r = ref_state(conn, &out[i], err);
    if (r < 0) {
        modvirt_domain_ref_list_free(out, count);
        return r;
    }
    *list = out;
    *n = count;
    return 0;
}
