/*
 * Domain statistics (modvirt.h, "statistics"): CONNECT_GET_ALL_DOMAIN_STATS,
 * what virsh domstats sends, its typed parameters copied out of the reply.
 */
#define MV_LOG_MODULE "client.domain"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "remote_protocol.h"

void modvirt_domain_stats_free(modvirt_domain_stats *recs, size_t n)
{
    for (size_t i = 0; recs && i < n; i++) {
        for (size_t j = 0; j < recs[i].nstats; j++) {
            free(recs[i].stats[j].field);
            free(recs[i].stats[j].s);
        }
        free(recs[i].stats);
        free(recs[i].name);
    }
    free(recs);
}

void mv_stat_take(mv_typed_param *p, modvirt_stat *out)
{
    out->field = p->field;
    p->field = NULL;
    out->type = p->value.type;
    switch (p->value.type) {
    case 1: out->i = p->value.mv_typed_param_value_u.i; break;
    case 2: out->u = p->value.mv_typed_param_value_u.ui; break;
    case 3: out->i = p->value.mv_typed_param_value_u.l; break;
    case 4: out->u = p->value.mv_typed_param_value_u.ul; break;
    case 5: out->d = p->value.mv_typed_param_value_u.d; break;
    case 6: out->i = p->value.mv_typed_param_value_u.b; break;
    case 7: out->s = p->value.mv_typed_param_value_u.s; p->value.mv_typed_param_value_u.s = NULL; break;
    }
}

static int take_records(mv_connect_get_all_domain_stats_ret *ret, modvirt_domain_stats **recs, size_t *nrecs)
{
    size_t n = ret->retStats.retStats_len;
    modvirt_domain_stats *r = calloc(n ? n : 1, sizeof(*r));

    if (!r)
        return -ENOMEM;
    for (size_t i = 0; i < n; i++) {
        mv_domain_stats_record *w = &ret->retStats.retStats_val[i];

        r[i].name = w->dom.name;
        w->dom.name = NULL;
        if (!(r[i].stats = calloc(w->params.params_len + 1, sizeof(*r[i].stats)))) {
            modvirt_domain_stats_free(r, i + 1);
            return -ENOMEM;
        }
        for (size_t j = 0; j < w->params.params_len; j++)
            mv_stat_take(&w->params.params_val[j], &r[i].stats[j]);
        r[i].nstats = w->params.params_len;
    }
    *recs = r;
    *nrecs = n;
    return 0;
}

int modvirt_connect_get_all_domain_stats(modvirt_conn *conn, modvirt_domain *const *doms, size_t ndoms,
                                         unsigned int groups, unsigned int flags, modvirt_domain_stats **recs,
                                         size_t *nrecs, modvirt_error **err)
{
    mv_connect_get_all_domain_stats_args args = { .stats = groups, .flags = flags };
    mv_connect_get_all_domain_stats_ret ret = { 0 };
    int r;

    if (ndoms > MV_DOMAIN_LIST_MAX)
        return -EINVAL;
    if (ndoms && !(args.doms.doms_val = calloc(ndoms, sizeof(mv_nonnull_domain))))
        return -ENOMEM;
    for (size_t i = 0; i < ndoms; i++)
        args.doms.doms_val[i] = modvirt_domain_to_wire(doms[i]);
    args.doms.doms_len = (u_int)ndoms;
    r = modvirt_conn_call(conn, MV_PROC_CONNECT_GET_ALL_DOMAIN_STATS,
                          (xdrproc_t)xdr_mv_connect_get_all_domain_stats_args, &args,
                          (xdrproc_t)xdr_mv_connect_get_all_domain_stats_ret, &ret, err);
    free(args.doms.doms_val);
    if (r == 0)
        r = take_records(&ret, recs, nrecs);
    xdr_free((xdrproc_t)xdr_mv_connect_get_all_domain_stats_ret, (char *)&ret);
    return r;
}
