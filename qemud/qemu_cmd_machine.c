/*
 * The machine, accelerator, vCPU count, identity, monitor, power
 * management and lifecycle actions.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "machine_family.h"
#include "qemu_command_priv.h"

static int classify_machine(struct cmd *c)
{
    const char *m = c->def->os.machine;

    switch (mv_machine_family(m)) {
    case MV_MACHINE_PC:
        c->machine = MACHINE_PC;
        return 0;
    case MV_MACHINE_Q35:
        c->machine = MACHINE_Q35;
        return 0;
    default:
        return cmd_refuse(c, "machine type '%s' is not supported; use a pc (i440fx) or q35 machine",
                      cmd_quote(c, m));
    }
}

int check_os(struct cmd *c)
{
    const struct mv_dom_os *os = &c->def->os;

    if (os->type && !streq(os->type, "hvm"))
        return cmd_refuse(c, "OS type '%s' is not supported; only 'hvm'", cmd_quote(c, os->type));
    if (os->arch && !streq(os->arch, "x86_64"))
        return cmd_refuse(c, "architecture '%s' is not supported; only 'x86_64'", cmd_quote(c, os->arch));
    return classify_machine(c);
}

int build_accel(struct cmd *c)
{
    _cleanup_opt_ struct opt m = { 0 };
    _cleanup_opt_ struct opt a = { 0 };
    int r;

    if (c->def->virt == MV_DOM_VIRT_KVM && !c->ctx->kvm_usable)
        return cmd_refuse(c, "domain type 'kvm' is not usable on this host (KVM cannot run guests); "
                      "use type='qemu'");
    c->kvm = c->def->virt == MV_DOM_VIRT_KVM;
    /* without a type, QEMU applies the properties to its default machine */
    if (c->def->os.machine)
        opt_kv(&m, NULL, "%s", c->def->os.machine);
    if ((r = machine_feature_props(c, &m)) < 0)
        return r;
    opt_machine_firmware(c, &m);
    if ((m.len > 0 || m.err) && (r = cmd_opt(c, "-machine", &m)) < 0)
        return r;
    opt_kv(&a, NULL, "%s", c->kvm ? "kvm" : "tcg");
    if ((r = accel_feature_props(c, &a)) < 0)
        return r;
    return cmd_opt(c, "-accel", &a);
}

int build_smp(struct cmd *c)
{
    const struct mv_dom_def *def = c->def;
    const struct mv_dom_cpu *cpu = &def->cpu;
    _cleanup_opt_ struct opt o = { 0 };
    unsigned int current = def->vcpus_current ? def->vcpus_current : def->vcpus;

    if (def->vcpus == 0 || current > def->vcpus)
        return cmd_refuse(c, "%u current vCPUs of %u is not possible", current, def->vcpus);
    opt_kv(&o, NULL, "%u", current);
    opt_kv(&o, "maxcpus", "%u", def->vcpus);
    if (cpu->sockets)
        opt_kv(&o, "sockets", "%u", cpu->sockets);
    if (cpu->dies)
        opt_kv(&o, "dies", "%u", cpu->dies);
    if (cpu->cores)
        opt_kv(&o, "cores", "%u", cpu->cores);
    if (cpu->threads)
        opt_kv(&o, "threads", "%u", cpu->threads);
    return cmd_opt(c, "-smp", &o);
}

/* ---- identity, monitor ---- */

int build_identity(struct cmd *c)
{
    _cleanup_opt_ struct opt o = { 0 };
    int r;

    opt_kv(&o, "guest", "%s", c->def->name);
    opt_onoff(&o, "debug-threads", true);
    r = cmd_opt(c, "-name", &o);
    if (r < 0)
        return r;
    r = cmd_arg(c, "-S");
    if (r >= 0 && c->ctx->incoming_defer)
        r = cmd_pair(c, "-incoming", "defer");
    if (r < 0)
        return r;
    return cmd_pair(c, "-msg", "timestamp=on");
}

int build_uuid_defaults_monitor(struct cmd *c)
{
    char uuid[MV_UUID_STRING_LEN];
    _cleanup_opt_ struct opt chr = { 0 };
    int r;

    mv_uuid_format(c->def->uuid, uuid);
    r = cmd_pair(c, "-uuid", uuid);
    if (r >= 0)
        r = cmd_arg(c, "-no-user-config");
    if (r >= 0)
        r = cmd_arg(c, "-nodefaults");
    if (r < 0)
        return r;
    if (!c->ctx->monitor_path)
        return cmd_internal(c, "no QMP monitor path for domain '%s'", cmd_quote(c, c->def->name));
    opt_kv(&chr, NULL, "socket");
    opt_kv(&chr, "id", "charmonitor");
    opt_kv(&chr, "path", "%s", c->ctx->monitor_path);
    opt_onoff(&chr, "server", true);
    opt_onoff(&chr, "wait", false);
    r = cmd_opt(c, "-chardev", &chr);
    if (r < 0)
        return r;
    return cmd_pair(c, "-mon", "chardev=charmonitor,id=monitor,mode=control");
}


static int pm_global(struct cmd *c, const char *prop, enum mv_tristate enabled)
{
    _cleanup_free_ char *arg = NULL;
    const char *dev = c->machine == MACHINE_Q35 ? "ICH9-LPC" : "PIIX4_PM";

    if (enabled == MV_TRISTATE_ABSENT)
        return 0;
    if (asprintf(&arg, "%s.%s=%d", dev, prop, enabled == MV_TRISTATE_NO) < 0)
        return -ENOMEM;
    return cmd_pair(c, "-global", arg);
}

int build_pm(struct cmd *c)
{
    const struct mv_dom_pm *pm = &c->def->pm;
    int r;

    /* S3 and S4 are ACPI sleep states: without ACPI there is nothing to
     * switch (and on pc the PIIX4_PM device does not even exist) */
    if ((pm->suspend_to_mem != MV_TRISTATE_ABSENT || pm->suspend_to_disk != MV_TRISTATE_ABSENT) &&
        c->def->features.given && !c->def->features.acpi)
        return cmd_refuse(c, "<pm> needs ACPI: add <acpi/> to <features>");
    r = pm_global(c, "disable_s3", c->def->pm.suspend_to_mem);

    return r < 0 ? r : pm_global(c, "disable_s4", c->def->pm.suspend_to_disk);
}

int cmd_action(struct cmd *c, const char *event, const char *what)
{
    _cleanup_free_ char *arg = NULL;

    if (asprintf(&arg, "%s=%s", event, what) < 0)
        return -ENOMEM;
    return cmd_pair(c, "-action", arg);
}

int build_lifecycle(struct cmd *c)
{
    const struct mv_dom_def *def = c->def;
    int r = 0;

    /* QEMU exits when the guest powers off; restarting or keeping it is
     * the daemon's job, which it does not do yet */
    if (def->on_poweroff == MV_DOM_LIFECYCLE_RESTART || def->on_poweroff == MV_DOM_LIFECYCLE_PRESERVE)
        return cmd_refuse(c, "on_poweroff '%s' is not supported (only destroy)",
                      mv_dom_lifecycle_action_to_string(def->on_poweroff));
    if (def->on_reboot == MV_DOM_LIFECYCLE_PRESERVE)
        return cmd_refuse(c, "on_reboot 'preserve' is not supported (use restart or destroy)");
    if (def->on_crash == MV_DOM_LIFECYCLE_RESTART)
        return cmd_refuse(c, "on_crash 'restart' is not supported (use destroy or preserve)");
    if (def->on_reboot == MV_DOM_LIFECYCLE_DESTROY)
        r = cmd_action(c, "reboot", "shutdown");
    if (r >= 0 && def->on_crash == MV_DOM_LIFECYCLE_DESTROY)
        r = cmd_action(c, "panic", "shutdown");
    if (r >= 0 && def->on_crash == MV_DOM_LIFECYCLE_PRESERVE)
        r = cmd_action(c, "panic", "pause");
    return r;
}
