/*
 * Iothreads (-object iothread,id=iothreadID, used by virtio-blk disks and
 * virtio-scsi controllers) and what <cputune> needs before QEMU runs.
 *
 * Decisions:
 * - Pinning is not on the command line: qemud/cputune.c applies it to
 *   QEMU's threads after start, before the guest runs.  Its cpusets are
 *   checked here against the host's online CPUs, so that a domain that
 *   cannot be pinned is refused before anything is started.
 * - shares/period/quota (and the emulator's) are CPU controller limits of
 *   a cgroup of the domain's own.  modvirt-qemud does not put domains in
 *   cgroups of their own yet (on this kind of host the cpu controller is on
 *   a cgroup v1 hierarchy, and there is no systemd to delegate one), so
 *   they are refused by name rather than dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cleanup.h"
#include "cpuset.h"
#include "qemu_command_priv.h"

void opt_iothread(struct opt *o, unsigned int id)
{
    if (id)
        opt_kv(o, "iothread", "iothread%u", id);
}

int build_iothreads(struct cmd *c)
{
    const struct mv_dom_iothreads *t = &c->def->iothreads;
    int r = 0;

    for (size_t i = 0; r >= 0 && i < t->nids; i++) {
        _cleanup_opt_ struct opt o = { 0 };

        opt_kv(&o, NULL, "iothread");
        opt_kv(&o, "id", "iothread%u", t->ids[i]);
        r = cmd_opt(c, "-object", &o);
    }
    return r;
}

/* CPUSET of WHAT within the host's online CPUs. */
static int check_host_cpus(struct cmd *c, const struct mv_cpuset *host, const char *cpuset, const char *what)
{
    struct mv_cpuset set;
    int cpu;

    if (mv_cpuset_parse(cpuset, &set) < 0)
        return cmd_refuse(c, "%s: invalid cpuset '%s'", what, cmd_quote(c, cpuset));
    cpu = mv_cpuset_first_outside(&set, host);
    if (cpu >= 0)
        return cmd_refuse(c, "%s: cpuset '%s' names CPU %d, which this host does not have online (online: %s)",
                          what, cmd_quote(c, cpuset), cpu, cmd_quote(c, c->ctx->host_cpus_online));
    return 0;
}

static int check_pins(struct cmd *c)
{
    const struct mv_dom_cputune *t = &c->def->cputune;
    struct mv_cpuset host;
    char what[64];
    int r = 0;

    if (!c->ctx->host_cpus_online)
        return 0;
    if (mv_cpuset_parse(c->ctx->host_cpus_online, &host) < 0)
        return cmd_internal(c, "cannot read the host's online CPUs '%s'", cmd_quote(c, c->ctx->host_cpus_online));
    for (size_t i = 0; r >= 0 && i < t->nvcpupins; i++) {
        snprintf(what, sizeof(what), "<vcpupin vcpu='%u'>", t->vcpupins[i].vcpu);
        r = check_host_cpus(c, &host, t->vcpupins[i].cpuset, what);
    }
    for (size_t i = 0; r >= 0 && i < t->niothreadpins; i++) {
        snprintf(what, sizeof(what), "<iothreadpin iothread='%u'>", t->iothreadpins[i].iothread);
        r = check_host_cpus(c, &host, t->iothreadpins[i].cpuset, what);
    }
    if (r >= 0 && t->emulatorpin)
        r = check_host_cpus(c, &host, t->emulatorpin, "<emulatorpin>");
    return r;
}

int check_cputune(struct cmd *c)
{
    const struct mv_dom_cputune *t = &c->def->cputune;
    const char *limit = t->shares ? "shares" : t->period ? "period" : t->quota ? "quota"
                      : t->emulator_period ? "emulator_period" : t->emulator_quota ? "emulator_quota" : NULL;

    if (limit)
        return cmd_refuse(c, "<cputune><%s> needs a cgroup: modvirt-qemud does not put domains in cgroups of "
                          "their own yet, so CPU limits cannot be applied", limit);
    return check_pins(c);
}
