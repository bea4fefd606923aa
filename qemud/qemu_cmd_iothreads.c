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
 *   cgroups of their own yet: without systemd there is no delegated subtree
 *   to create them in, and on hosts like the test machine the cpu
 *   controller sits on a cgroup v1 hierarchy shared with other managers
 *   (libvirtd's machine/ among them), where creating and cleaning up
 *   per-domain groups across daemon restarts is not simple to do safely.
 *   So they are refused by name rather than dropped.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_idset.h"
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

/* CPUSET of WHAT within the host's online CPUs HOST. */
static int check_host_cpus(struct cmd *c, const struct mv_dom_idset *host, const struct mv_dom_idset *cpuset,
                           const char *what)
{
    _cleanup_free_ char *text = NULL;

    for (size_t i = 0; i < cpuset->n; i++) {
        if (mv_dom_idset_has(host, cpuset->ids[i]))
            continue;
        if (!(text = mv_dom_idset_format(cpuset, ",")))
            return -ENOMEM;
        return cmd_refuse(c, "%s: cpuset '%s' names CPU %u, which this host does not have online (online: %s)",
                          what, text, cpuset->ids[i], cmd_quote(c, c->ctx->host_cpus_online));
    }
    return 0;
}

static int check_pins(struct cmd *c, const struct mv_dom_idset *host)
{
    const struct mv_dom_cputune *t = &c->def->cputune;
    char what[64];
    int r = 0;

    for (size_t i = 0; r >= 0 && i < t->nvcpupins; i++) {
        snprintf(what, sizeof(what), "<vcpupin vcpu='%u'>", t->vcpupins[i].vcpu);
        r = check_host_cpus(c, host, &t->vcpupins[i].cpuset, what);
    }
    for (size_t i = 0; r >= 0 && i < t->niothreadpins; i++) {
        snprintf(what, sizeof(what), "<iothreadpin iothread='%u'>", t->iothreadpins[i].iothread);
        r = check_host_cpus(c, host, &t->iothreadpins[i].cpuset, what);
    }
    if (r >= 0)
        r = check_host_cpus(c, host, &t->emulatorpin, "<emulatorpin>");
    return r;
}

int check_cputune(struct cmd *c)
{
    const struct mv_dom_cputune *t = &c->def->cputune;
    const char *limit = t->shares ? "shares" : t->period ? "period" : t->quota ? "quota" : NULL;
    const char *emulator = t->emulator_period ? "emulator_period" : t->emulator_quota ? "emulator_quota" : NULL;
    struct mv_dom_idset host = { 0 };
    int r;

    /* the guest's one cgroup holds all of QEMU: no group of the emulator's own */
    if (emulator)
        return cmd_refuse(c, "<cputune><%s> needs a cgroup of the emulator threads' own, and modvirt-qemud puts "
                          "all of QEMU in one cgroup", emulator);
    if (limit && !c->ctx->cgroup_cpu)
        return cmd_refuse(c, "<cputune><%s> needs a cgroup with the cpu controller: the host's cgroup2 "
                          "hierarchy does not give it to modvirt-qemud's guests, so CPU limits cannot be applied",
                          limit);
    if (!c->ctx->host_cpus_online)
        return 0;
    r = mv_dom_idset_parse(c->ctx->host_cpus_online, MV_DOM_CPUSET_MAX, &host);
    if (r == -ENOMEM)
        return r;
    if (r < 0)
        return cmd_internal(c, "cannot read the host's online CPUs '%s'", cmd_quote(c, c->ctx->host_cpus_online));
    r = check_pins(c, &host);
    free(host.ids);
    return r;
}
