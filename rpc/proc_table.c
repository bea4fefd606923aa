/* The table itself is generated from remote_protocol.x into proc_facts.c. */
#include <stddef.h>
#include <string.h>

#include "error_codes.h"
#include "proc_table.h"
#include "remote_protocol.h"

int mv_program_index(uint32_t prog)
{
    for (size_t i = 0; i < mv_programs_len && i < MV_PROGRAMS_MAX; i++)
        if (mv_programs[i].prog == prog)
            return (int)i;
    return -1;
}

const struct mv_program *mv_program_lookup(uint32_t prog)
{
    int i = mv_program_index(prog);

    return i < 0 ? NULL : &mv_programs[i];
}

const struct mv_proc_info *mv_program_proc_lookup(uint32_t prog, int proc)
{
    const struct mv_program *p = mv_program_lookup(prog);

    if (!p || proc <= 0 || (size_t)proc >= p->nfacts || !p->facts[proc].name)
        return NULL;
    return &p->facts[proc];
}

const struct mv_proc_info *mv_program_call_lookup(uint32_t prog, int proc)
{
    const struct mv_proc_info *info = mv_program_proc_lookup(prog, proc);

    return info && !(info->flags & MV_PROC_MESSAGE) ? info : NULL;
}

const struct mv_proc_info *mv_proc_lookup(int proc)
{
    return mv_program_proc_lookup(MV_REMOTE_PROGRAM, proc);
}

const struct mv_proc_info *mv_proc_call_lookup(int proc)
{
    return mv_program_call_lookup(MV_REMOTE_PROGRAM, proc);
}

const char *mv_subsystem_name(enum mv_subsystem s)
{
    static const char *const names[MV_SUBSYS_COUNT] = {
        [MV_SUBSYS_CONNECT] = "connect", [MV_SUBSYS_QEMU] = "qemu",
        [MV_SUBSYS_NETWORK] = "network", [MV_SUBSYS_STORAGE] = "storage",
        [MV_SUBSYS_NODEDEV] = "nodedev",
    };
    return (unsigned)s < MV_SUBSYS_COUNT ? names[s] : "unknown";
}

int mv_proc_denial_domain(const struct mv_proc_info *info)
{
    if (info->api && strstr(info->api, "Secret"))
        return MV_FROM_SECRET;
    return mv_subsystem_error_domain(info->subsystem);
}

int mv_subsystem_error_domain(enum mv_subsystem s)
{
    switch (s) {
    case MV_SUBSYS_NETWORK: return MV_FROM_NETWORK;
    case MV_SUBSYS_STORAGE: return MV_FROM_STORAGE;
    case MV_SUBSYS_NODEDEV: return MV_FROM_NODEDEV;
    default: return MV_FROM_DOMAIN;
    }
}
