/*
 * Domain listing and lookup.  modvirt-qemud has no domains until the compute
 * part lands, so these answer with empty lists and "not found" — the real
 * answers for a host with no domains.
 */
#define MV_LOG_MODULE "qemud.domain"
#include <errno.h>
#include <stdlib.h>

#include "cleanup.h"
#include "qemud.h"

/* Every VIR_CONNECT_LIST_DOMAINS_* filter bit libvirt 9.0 defines. */
#define LIST_ALL_DOMAINS_FLAGS 0xffffu

static int list_all_domains(struct mv_call *call, mv_connect_list_all_domains_args *args,
                            mv_connect_list_all_domains_ret *ret)
{
    if (args->flags & ~LIST_ALL_DOMAINS_FLAGS)
        return qemud_bad_flags(call, args->flags & ~LIST_ALL_DOMAINS_FLAGS, "virConnectListAllDomains");
    ret->domains.domains_len = 0;
    ret->ret = 0;
    return 0;
}

static int num_of_domains(struct mv_call *call, void *args, mv_connect_num_of_domains_ret *ret)
{
    ret->num = 0;
    return 0;
}

static int list_domains(struct mv_call *call, mv_connect_list_domains_args *args,
                        mv_connect_list_domains_ret *ret)
{
    if (args->maxids < 0 || args->maxids > MV_DOMAIN_LIST_MAX)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC,
                             "too many domain ids requested: %d > %d", args->maxids, MV_DOMAIN_LIST_MAX);
    return 0;
}

static int num_of_defined_domains(struct mv_call *call, void *args,
                                  mv_connect_num_of_defined_domains_ret *ret)
{
    ret->num = 0;
    return 0;
}

static int list_defined_domains(struct mv_call *call, mv_connect_list_defined_domains_args *args,
                                mv_connect_list_defined_domains_ret *ret)
{
    if (args->maxnames < 0 || args->maxnames > MV_DOMAIN_LIST_MAX)
        return mv_call_error(call, MV_ERR_RPC, MV_FROM_RPC,
                             "too many domain names requested: %d > %d", args->maxnames,
                             MV_DOMAIN_LIST_MAX);
    return 0;
}

static int lookup_by_name(struct mv_call *call, mv_domain_lookup_by_name_args *args,
                          mv_domain_lookup_by_name_ret *ret)
{
    return mv_call_error(call, MV_ERR_NO_DOMAIN, MV_FROM_QEMU,
                         "Domain not found: no domain with matching name '%s'", args->name);
}

#define H(fn) (mv_handler_fn)(fn)
#define I MV_DISPATCH_INLINE

static const struct mv_dispatch_entry domain_procs[] = {
    { MV_PROC_CONNECT_LIST_ALL_DOMAINS, H(list_all_domains), MV_XDR(mv_connect_list_all_domains_args),
      MV_XDR(mv_connect_list_all_domains_ret), I },
    { MV_PROC_CONNECT_NUM_OF_DOMAINS, H(num_of_domains), MV_XDR_VOID,
      MV_XDR(mv_connect_num_of_domains_ret), I },
    { MV_PROC_CONNECT_LIST_DOMAINS, H(list_domains), MV_XDR(mv_connect_list_domains_args),
      MV_XDR(mv_connect_list_domains_ret), I },
    { MV_PROC_CONNECT_NUM_OF_DEFINED_DOMAINS, H(num_of_defined_domains), MV_XDR_VOID,
      MV_XDR(mv_connect_num_of_defined_domains_ret), I },
    { MV_PROC_CONNECT_LIST_DEFINED_DOMAINS, H(list_defined_domains),
      MV_XDR(mv_connect_list_defined_domains_args), MV_XDR(mv_connect_list_defined_domains_ret), I },
    { MV_PROC_DOMAIN_LOOKUP_BY_NAME, H(lookup_by_name), MV_XDR(mv_domain_lookup_by_name_args),
      MV_XDR(mv_domain_lookup_by_name_ret), I },
};
const struct mv_dispatch_table qemud_domain_table = { domain_procs, MV_ARRAY_SIZE(domain_procs) };
