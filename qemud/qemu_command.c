/*
 * The QEMU 7.2 (qemu-system-x86_64) command line for a domain definition.
 *
 * Everything in struct mv_dom_def either becomes arguments or is refused
 * with MV_ERR_CONFIG_UNSUPPORTED naming it; nothing is dropped silently.
 * The exceptions, each because QEMU has nothing to set and the daemon or
 * the guest handles it: title, description, metadata, currentMemory (the
 * balloon target, set over QMP), vcpu placement, cpu match/check/fallback
 * (TCG emulates any model in full), the tap names and network sources (the
 * daemon's side of a tap), live pty paths, the target port of a virtio
 * console (QEMU numbers the ports itself), the <driver> settings of an
 * empty cdrom (they are for the media inserted later), and <features>
 * apic/pae, which x86 QEMU always provides (libvirt ignores their absence).
 *
 * Decisions:
 * - cpu host-passthrough needs KVM and is refused under TCG; host-model
 *   becomes "-cpu host" under KVM and "-cpu max" (everything TCG can
 *   emulate, the nearest thing to the host) under TCG.
 * - The PIT tick policy only exists for KVM's in-kernel PIT; under TCG it
 *   has nothing to act on and is ignored.
 * - Controllers the disks and devices need are added when the XML lacks them:
 *   an ich9-ahci "sataN" for SATA disks on pc machines (q35 has one
 *   built in), a virtio-scsi-pci "scsiN" for SCSI disks, virtio-serial0
 *   for virtio consoles and channels, and a USB controller for USB input
 *   (piix3-usb-uhci on pc, qemu-xhci on q35, as for a missing model).
 * - A missing <memballoon> means a virtio balloon, as in libvirt.
 * - <console> target serial is serial 0 itself (libvirt semantics): it adds
 *   nothing when a <serial> exists and creates serial 0 when none does.
 * - on_crash is passed as -action panic= whether or not a panic device
 *   exists: without one the guest never reports a panic and it is inert.
 * - PCI devices without an <address> get the lowest root-bus slot that
 *   neither the machine nor any <address> in the XML uses, so the argv
 *   order never makes QEMU's own placement collide with a given address.
 *   Addresses on bus N > 0 need a pcie-root-port or pci-bridge with index N.
 *
 * - An encrypted disk's passphrase reaches QEMU through a secret object
 *   reading a 0600 file the daemon wrote (ctx->disk_secret_files), never
 *   through argv, which every local user can read in /proc.  The format
 *   node opens the image with it: driver=luks for a raw LUKS image, the
 *   qcow2 driver's encrypt.* options for a LUKS-encrypted qcow2.
 *
 * Names QMP code relies on: disk device id TARGET ("vda"), block nodes
 * TARGET-storage and TARGET-format, secret object TARGET-luks-secret0; netN/hostnetN; serialN/charserialN,
 * consoleN/charconsoleN, channelN/charchannelN (console 0 of target type
 * serial has no chardev of its own: it is charserial0); usb, sataN, scsiN,
 * virtio-serialN, pci.N; videoN, inputN, watchdog0, rngN, balloon0, panic0.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "errmsg.h"
#include "error_codes.h"
#include "machine_family.h"
#include "qemu_command.h"

/* Highest VNC display "-vnc ...,to=" lets QEMU choose for autoport. */
#define VNC_AUTOPORT_DISPLAYS 100
#define VNC_PORT_BASE 5900
/* Longest disk target we turn into a device id and node names (QEMU allows
 * 31 characters in a node name; "-storage" takes 8). */
#define DISK_TARGET_MAX 20
/* Controllers of one kind we track by index (bitmask). */
#define CONTROLLERS_MAX 32
#define AHCI_PORTS 6
#define SCSI_DEFAULT_UNITS 7
#define ISA_SERIAL_PORTS 4

enum machine_family { MACHINE_PC, MACHINE_Q35 };

/* The vector being built and what to report when the definition is refused. */
struct cmd {
    const struct mv_dom_def *def;
    const struct mv_qemu_cmd_ctx *ctx;
    enum machine_family machine;
    bool kvm;
    char **argv;
    size_t argc, cap;
    int errcode;
    char *errmsg;
    char **quoted;          /* quote() results, freed with the builder */
    size_t nquoted;
    uint32_t root_slots;    /* bit N: slot N of the root bus is taken */
};

static void cmd_done(struct cmd *c)
{
    mv_strv_free(c->argv);
    free(c->errmsg);
    for (size_t i = 0; i < c->nquoted; i++)
        free(c->quoted[i]);
    free(c->quoted);
}

/* ---- errors ---- */

/* A user value made safe for a message; lives as long as the builder. */
static const char *quote(struct cmd *c, const char *s)
{
    char **grown;
    char *q;

    if (!s)
        return "";
    q = mv_errmsg_quote(s, strlen(s), MV_ERRMSG_QUOTE_MAX);
    grown = q ? realloc(c->quoted, (c->nquoted + 1) * sizeof(*grown)) : NULL;
    if (!grown) {
        free(q);
        return "?";
    }
    c->quoted = grown;
    c->quoted[c->nquoted++] = q;
    return q;
}

static int vfail(struct cmd *c, int err, int code, const char *prefix, const char *fmt, va_list ap)
{
    _cleanup_free_ char *detail = NULL;

    free(c->errmsg);
    c->errmsg = NULL;
    c->errcode = code;
    if (vasprintf(&detail, fmt, ap) < 0)
        return err;
    return mv_errmsg_set(&c->errmsg, err, "%s%s", prefix, detail);
}

/* Refuses the definition: something QEMU 7.2 cannot do or we do not map. */
__attribute__((format(printf, 2, 3)))
static int refuse(struct cmd *c, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vfail(c, -ENOTSUP, MV_ERR_CONFIG_UNSUPPORTED, "unsupported configuration: ", fmt, ap);
    va_end(ap);
    return r;
}

/* The caller (the daemon) handed us inconsistent live data. */
__attribute__((format(printf, 2, 3)))
static int internal(struct cmd *c, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vfail(c, -EINVAL, MV_ERR_INTERNAL_ERROR, "internal error: ", fmt, ap);
    va_end(ap);
    return r;
}

/* ---- one option argument: "driver,key=value,..." ---- */

struct opt {
    char *buf;
    size_t len;
    int err;
};

static void opt_done(struct opt *o)
{
    free(o->buf);
}
#define _cleanup_opt_ _cleanup_(opt_done)

/* Appends S; with ESCAPE, doubles each comma (QEMU's rule for a comma
 * inside a value, both for QemuOpts and for keyval options). */
static void opt_put(struct opt *o, const char *s, bool escape)
{
    size_t n = strlen(s), extra = 0;
    char *grown, *p;

    if (o->err)
        return;
    for (size_t i = 0; escape && i < n; i++)
        extra += s[i] == ',';
    grown = realloc(o->buf, o->len + n + extra + 1);
    if (!grown) {
        o->err = -ENOMEM;
        return;
    }
    o->buf = grown;
    p = o->buf + o->len;
    for (size_t i = 0; i < n; i++) {
        *p++ = s[i];
        if (escape && s[i] == ',')
            *p++ = ',';
    }
    *p = '\0';
    o->len = (size_t)(p - o->buf);
}

/* Adds ",KEY=VALUE" (no comma when first; no "KEY=" when KEY is NULL, for
 * an option's leading value); the formatted value is always escaped. */
__attribute__((format(printf, 3, 4)))
static void opt_kv(struct opt *o, const char *key, const char *fmt, ...)
{
    _cleanup_free_ char *value = NULL;
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vasprintf(&value, fmt, ap);
    va_end(ap);
    if (n < 0) {
        value = NULL;
        if (!o->err)
            o->err = -ENOMEM;
        return;
    }
    if (o->len > 0)
        opt_put(o, ",", false);
    if (key) {
        opt_put(o, key, false);
        opt_put(o, "=", false);
    }
    opt_put(o, value, true);
}

static void opt_onoff(struct opt *o, const char *key, bool on)
{
    opt_kv(o, key, "%s", on ? "on" : "off");
}

/* ---- the vector ---- */

/* Appends ARG (taking it; NULL means allocation failed). */
static int cmd_push(struct cmd *c, char *arg)
{
    if (!arg)
        return -ENOMEM;
    if (c->argc + 2 > c->cap) {
        size_t cap = c->cap ? c->cap * 2 : 64;
        char **grown = realloc(c->argv, cap * sizeof(*grown));

        if (!grown) {
            free(arg);
            return -ENOMEM;
        }
        c->argv = grown;
        c->cap = cap;
    }
    c->argv[c->argc++] = arg;
    c->argv[c->argc] = NULL;
    return 0;
}

/* Appends one plain argument, not escaped (file names given to -kernel,
 * -bios and the like are taken whole by QEMU). */
static int cmd_arg(struct cmd *c, const char *arg)
{
    return cmd_push(c, strdup(arg));
}

static int cmd_pair(struct cmd *c, const char *flag, const char *arg)
{
    int r = cmd_arg(c, flag);

    return r < 0 ? r : cmd_arg(c, arg);
}

/* Appends FLAG and the option built in O. */
static int cmd_opt(struct cmd *c, const char *flag, struct opt *o)
{
    int r;

    if (o->err)
        return o->err;
    r = cmd_arg(c, flag);
    if (r < 0)
        return r;
    return cmd_push(c, TAKE_PTR(o->buf));
}

/* ---- shared pieces ---- */

static bool streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

static const char *root_bus(const struct cmd *c)
{
    return c->machine == MACHINE_Q35 ? "pcie.0" : "pci.0";
}

/* PCI controllers that make a bus named pci.INDEX. */
struct pci_model {
    const char *model, *device;
    enum machine_family machine;
    const char *chassis;        /* property that takes the index, or NULL */
};

static const struct pci_model pci_models[] = {
    { "pcie-root-port", "pcie-root-port", MACHINE_Q35, "chassis" },
    { "pci-bridge", "pci-bridge", MACHINE_PC, "chassis_nr" },
    { "pci-bridge", "pci-bridge", MACHINE_Q35, "chassis_nr" },
    { "dmi-to-pci-bridge", "i82801b11-bridge", MACHINE_Q35, NULL },
    { "pcie-to-pci-bridge", "pcie-pci-bridge", MACHINE_Q35, NULL },
};

static const struct pci_model *pci_model(const struct cmd *c, const char *model)
{
    for (size_t i = 0; i < MV_ARRAY_SIZE(pci_models); i++)
        if (streq(model, pci_models[i].model) && pci_models[i].machine == c->machine)
            return &pci_models[i];
    return NULL;
}

/* The PCI controller with INDEX that devices can plug into, or NULL. */
static const struct mv_dom_controller *pci_bus_controller(const struct cmd *c, unsigned int index)
{
    const struct mv_dom_devices *d = &c->def->devices;

    for (size_t i = 0; i < d->ncontrollers; i++) {
        const struct mv_dom_controller *ctl = &d->controllers[i];

        if (ctl->type == MV_DOM_CONTROLLER_PCI && ctl->index == index && index > 0 &&
            pci_model(c, ctl->model))
            return ctl;
    }
    return NULL;
}

/* Slots of the root bus that the machine itself occupies. */
static uint32_t builtin_slots(const struct cmd *c)
{
    /* host bridge at 0; PIIX3 (ISA, IDE, ACPI) at 1 on pc, ICH9 LPC/SATA/SMBus at 0x1f on q35 */
    return c->machine == MACHINE_Q35 ? (1u << 0) | (1u << 0x1f) : (1u << 0) | (1u << 1);
}

static void reserve_addr(struct cmd *c, const struct mv_dom_addr *a)
{
    if (a->type == MV_DOM_ADDR_PCI && a->domain == 0 && a->bus == 0 && a->slot <= 0x1f)
        c->root_slots |= 1u << a->slot;
}

/* Marks every slot the XML gives explicitly, so that devices without an
 * address never take one (QEMU would place them in argv order and a later
 * explicit address could then collide). */
static void reserve_slots(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;

    c->root_slots = builtin_slots(c);
    for (size_t i = 0; i < d->ndisks; i++)
        reserve_addr(c, &d->disks[i].addr);
    for (size_t i = 0; i < d->ncontrollers; i++)
        reserve_addr(c, &d->controllers[i].addr);
    for (size_t i = 0; i < d->nnets; i++)
        reserve_addr(c, &d->nets[i].addr);
    for (size_t i = 0; i < d->nvideos; i++)
        reserve_addr(c, &d->videos[i].addr);
    for (size_t i = 0; i < d->nrngs; i++)
        reserve_addr(c, &d->rngs[i].addr);
    for (size_t i = 0; i < d->nwatchdogs; i++)
        reserve_addr(c, &d->watchdogs[i].addr);
    reserve_addr(c, &d->memballoon.addr);
}

/* The lowest free slot of the root bus for a device without an address. */
static int opt_auto_addr(struct cmd *c, struct opt *o, const char *what)
{
    for (unsigned int slot = 0; slot <= 0x1f; slot++) {
        if (c->root_slots & (1u << slot))
            continue;
        c->root_slots |= 1u << slot;
        opt_kv(o, "bus", "%s", root_bus(c));
        opt_kv(o, "addr", "0x%x.0", slot);
        return 0;
    }
    return refuse(c, "%s: no free slot left on the root PCI bus", what);
}

/* bus=/addr= for a PCI device from its <address>: the root bus, or a
 * root port or bridge the XML defines (QEMU names it pci.INDEX). */
static int opt_pci_addr(struct cmd *c, struct opt *o, const struct mv_dom_addr *a, const char *what)
{
    const struct mv_dom_controller *bus = NULL;

    if (a->type == MV_DOM_ADDR_NONE)
        return opt_auto_addr(c, o, what);
    if (a->type != MV_DOM_ADDR_PCI)
        return refuse(c, "%s: a drive address does not fit a PCI device", what);
    if (a->domain != 0)
        return refuse(c, "%s: PCI domain %04x does not exist; only domain 0", what, a->domain);
    if (a->slot > 0x1f || a->function > 7)
        return refuse(c, "%s: PCI slot 0x%x function %u is out of range", what, a->slot, a->function);
    if (a->bus != 0) {
        bus = pci_bus_controller(c, a->bus);
        if (!bus)
            return refuse(c, "%s: PCI bus %u does not exist (no PCI controller with index %u "
                          "that takes devices)", what, a->bus, a->bus);
        if (streq(bus->model, "pcie-root-port") && a->slot != 0)
            return refuse(c, "%s: a pcie-root-port has only slot 0, not 0x%x", what, a->slot);
        opt_kv(o, "bus", "pci.%u", a->bus);
    } else {
        opt_kv(o, "bus", "%s", root_bus(c));
    }
    opt_kv(o, "addr", "0x%x.%x", a->slot, a->function);
    if (a->multifunction)
        opt_onoff(o, "multifunction", true);
    return 0;
}

/* A built-in controller cannot move: accept only its fixed address. */
static int check_builtin_addr(struct cmd *c, const struct mv_dom_addr *a, unsigned int slot,
                              unsigned int function, const char *what)
{
    if (a->type == MV_DOM_ADDR_NONE)
        return 0;
    if (a->type == MV_DOM_ADDR_PCI && a->domain == 0 && a->bus == 0 && a->slot == slot &&
        a->function == function)
        return 0;
    return refuse(c, "%s is built into the machine at PCI 0000:00:%02x.%x and cannot be moved",
                  what, slot, function);
}

static void opt_bootindex(struct opt *o, unsigned int boot_order)
{
    if (boot_order > 0)
        opt_kv(o, "bootindex", "%u", boot_order);
}

static bool is_qemu_id(const char *s, size_t max)
{
    size_t n = s ? strlen(s) : 0;

    if (n == 0 || n > max || !((s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z')))
        return false;
    return strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

/* ---- machine, accelerator, CPU, memory ---- */

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
        return refuse(c, "machine type '%s' is not supported; use a pc (i440fx) or q35 machine",
                      quote(c, m));
    }
}

static int check_os(struct cmd *c)
{
    const struct mv_dom_os *os = &c->def->os;

    if (os->type && !streq(os->type, "hvm"))
        return refuse(c, "OS type '%s' is not supported; only 'hvm'", quote(c, os->type));
    if (os->arch && !streq(os->arch, "x86_64"))
        return refuse(c, "architecture '%s' is not supported; only 'x86_64'", quote(c, os->arch));
    return classify_machine(c);
}

static int build_accel(struct cmd *c)
{
    _cleanup_opt_ struct opt m = { 0 };
    int r;

    if (c->def->virt == MV_DOM_VIRT_KVM && !c->ctx->kvm_usable)
        return refuse(c, "domain type 'kvm' is not usable on this host (KVM cannot run guests); "
                      "use type='qemu'");
    c->kvm = c->def->virt == MV_DOM_VIRT_KVM;
    if (c->def->os.machine) {
        opt_kv(&m, NULL, "%s", c->def->os.machine);
        r = cmd_opt(c, "-machine", &m);
        if (r < 0)
            return r;
    }
    return cmd_pair(c, "-accel", c->kvm ? "kvm" : "tcg");
}

/* QEMU splits -cpu at commas without an escape: only plain model names. */
static bool is_cpu_model_name(const char *s)
{
    size_t n = strlen(s);

    return n > 0 && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") == n;
}

static int build_cpu(struct cmd *c)
{
    const struct mv_dom_cpu *cpu = &c->def->cpu;

    switch (cpu->mode) {
    case MV_DOM_CPU_MODE_ABSENT:
        return 0;
    case MV_DOM_CPU_MODE_CUSTOM:
        if (!cpu->model)
            return 0;
        if (!is_cpu_model_name(cpu->model))
            return refuse(c, "CPU model '%s' is not a QEMU CPU model name", quote(c, cpu->model));
        return cmd_pair(c, "-cpu", cpu->model);
    case MV_DOM_CPU_MODE_HOST_PASSTHROUGH:
        if (!c->kvm)
            return refuse(c, "CPU mode 'host-passthrough' needs KVM; with type='qemu' use "
                          "mode='maximum', mode='host-model' or a custom model");
        return cmd_pair(c, "-cpu", "host");
    case MV_DOM_CPU_MODE_HOST_MODEL:
        return cmd_pair(c, "-cpu", c->kvm ? "host" : "max");
    case MV_DOM_CPU_MODE_MAXIMUM:
        return cmd_pair(c, "-cpu", "max");
    default:
        return refuse(c, "CPU mode %d is not supported", (int)cpu->mode);
    }
}

static int build_memory(struct cmd *c)
{
    const struct mv_dom_def *def = c->def;
    _cleanup_opt_ struct opt o = { 0 };

    if (def->memory_kib == 0)
        return refuse(c, "memory size 0 is not possible");
    opt_kv(&o, "size", "%lluk", def->memory_kib);
    if (def->max_memory_kib > 0) {
        if (def->max_memory_kib < def->memory_kib)
            return refuse(c, "maxMemory %llu KiB is less than memory %llu KiB",
                          def->max_memory_kib, def->memory_kib);
        if (def->max_memory_slots > 0)
            opt_kv(&o, "slots", "%u", def->max_memory_slots);
        opt_kv(&o, "maxmem", "%lluk", def->max_memory_kib);
    }
    return cmd_opt(c, "-m", &o);
}

static int build_smp(struct cmd *c)
{
    const struct mv_dom_def *def = c->def;
    const struct mv_dom_cpu *cpu = &def->cpu;
    _cleanup_opt_ struct opt o = { 0 };
    unsigned int current = def->vcpus_current ? def->vcpus_current : def->vcpus;

    if (def->vcpus == 0 || current > def->vcpus)
        return refuse(c, "%u current vCPUs of %u is not possible", current, def->vcpus);
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

static int build_identity(struct cmd *c)
{
    _cleanup_opt_ struct opt o = { 0 };
    int r;

    opt_kv(&o, "guest", "%s", c->def->name);
    opt_onoff(&o, "debug-threads", true);
    r = cmd_opt(c, "-name", &o);
    if (r < 0)
        return r;
    r = cmd_arg(c, "-S");
    if (r < 0)
        return r;
    return cmd_pair(c, "-msg", "timestamp=on");
}

static int build_uuid_defaults_monitor(struct cmd *c)
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
        return internal(c, "no QMP monitor path for domain '%s'", quote(c, c->def->name));
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

/* ---- clock, features, power management, lifecycle ---- */

struct timers {
    bool rtc_catchup, no_hpet;
    const char *pit_policy;             /* QEMU's lost_tick_policy, NULL = default */
};

static int timer_rtc(struct cmd *c, const struct mv_dom_timer *t, struct timers *out)
{
    if (t->present == MV_TRISTATE_NO)
        return refuse(c, "timer 'rtc' cannot be removed");
    if (!t->tickpolicy || streq(t->tickpolicy, "delay"))
        return 0;
    if (streq(t->tickpolicy, "catchup")) {
        out->rtc_catchup = true;
        return 0;
    }
    return refuse(c, "timer 'rtc' tickpolicy '%s' is not supported (use delay or catchup)",
                  quote(c, t->tickpolicy));
}

static int timer_pit(struct cmd *c, const struct mv_dom_timer *t, struct timers *out)
{
    if (t->present == MV_TRISTATE_NO)
        return refuse(c, "timer 'pit' cannot be removed");
    /* TCG's PIT has no lost-tick policy: the setting only matters to KVM */
    if (!t->tickpolicy || !c->kvm)
        return 0;
    if (streq(t->tickpolicy, "delay") || streq(t->tickpolicy, "discard")) {
        out->pit_policy = t->tickpolicy;
        return 0;
    }
    return refuse(c, "timer 'pit' tickpolicy '%s' is not supported by KVM's PIT (use delay or discard)",
                  quote(c, t->tickpolicy));
}

static int timer_hpet(struct cmd *c, const struct mv_dom_timer *t, struct timers *out)
{
    if (t->tickpolicy)
        return refuse(c, "timer 'hpet' does not take a tickpolicy");
    out->no_hpet = t->present == MV_TRISTATE_NO;
    return 0;
}

static int read_timers(struct cmd *c, struct timers *out)
{
    const struct mv_dom_clock *clock = &c->def->clock;
    int r;

    for (size_t i = 0; i < clock->ntimers; i++) {
        const struct mv_dom_timer *t = &clock->timers[i];

        if (streq(t->name, "rtc"))
            r = timer_rtc(c, t, out);
        else if (streq(t->name, "pit"))
            r = timer_pit(c, t, out);
        else if (streq(t->name, "hpet"))
            r = timer_hpet(c, t, out);
        else
            r = refuse(c, "timer '%s' is not supported", quote(c, t->name));
        if (r < 0)
            return r;
    }
    return 0;
}

static int build_clock(struct cmd *c)
{
    struct timers t = { 0 };
    _cleanup_opt_ struct opt rtc = { 0 };
    _cleanup_free_ char *pit = NULL;
    int r = read_timers(c, &t);

    if (r < 0)
        return r;
    if ((unsigned int)c->def->clock.offset >= MV_DOM_CLOCK_LAST)
        return refuse(c, "clock offset %d is not supported", (int)c->def->clock.offset);
    opt_kv(&rtc, "base", "%s", mv_dom_clock_offset_to_string(c->def->clock.offset));
    if (t.rtc_catchup)
        opt_kv(&rtc, "driftfix", "slew");
    r = cmd_opt(c, "-rtc", &rtc);
    if (r >= 0 && t.no_hpet)
        r = cmd_arg(c, "-no-hpet");
    if (r < 0 || !t.pit_policy)
        return r;
    if (asprintf(&pit, "kvm-pit.lost_tick_policy=%s", t.pit_policy) < 0)
        return -ENOMEM;
    return cmd_pair(c, "-global", pit);
}

static int build_features(struct cmd *c)
{
    /* only a written <features> without <acpi/> turns ACPI off */
    if (c->def->features.given && !c->def->features.acpi)
        return cmd_arg(c, "-no-acpi");
    return 0;
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

static int build_pm(struct cmd *c)
{
    const struct mv_dom_pm *pm = &c->def->pm;
    int r;

    /* S3 and S4 are ACPI sleep states: without ACPI there is nothing to
     * switch (and on pc the PIIX4_PM device does not even exist) */
    if ((pm->suspend_to_mem != MV_TRISTATE_ABSENT || pm->suspend_to_disk != MV_TRISTATE_ABSENT) &&
        c->def->features.given && !c->def->features.acpi)
        return refuse(c, "<pm> needs ACPI: add <acpi/> to <features>");
    r = pm_global(c, "disable_s3", c->def->pm.suspend_to_mem);

    return r < 0 ? r : pm_global(c, "disable_s4", c->def->pm.suspend_to_disk);
}

static int action(struct cmd *c, const char *event, const char *what)
{
    _cleanup_free_ char *arg = NULL;

    if (asprintf(&arg, "%s=%s", event, what) < 0)
        return -ENOMEM;
    return cmd_pair(c, "-action", arg);
}

static int build_lifecycle(struct cmd *c)
{
    const struct mv_dom_def *def = c->def;
    int r = 0;

    /* QEMU exits when the guest powers off; restarting or keeping it is
     * the daemon's job, which it does not do yet */
    if (def->on_poweroff == MV_DOM_LIFECYCLE_RESTART || def->on_poweroff == MV_DOM_LIFECYCLE_PRESERVE)
        return refuse(c, "on_poweroff '%s' is not supported (only destroy)",
                      mv_dom_lifecycle_action_to_string(def->on_poweroff));
    if (def->on_reboot == MV_DOM_LIFECYCLE_PRESERVE)
        return refuse(c, "on_reboot 'preserve' is not supported (use restart or destroy)");
    if (def->on_crash == MV_DOM_LIFECYCLE_RESTART)
        return refuse(c, "on_crash 'restart' is not supported (use destroy or preserve)");
    if (def->on_reboot == MV_DOM_LIFECYCLE_DESTROY)
        r = action(c, "reboot", "shutdown");
    if (r >= 0 && def->on_crash == MV_DOM_LIFECYCLE_DESTROY)
        r = action(c, "panic", "shutdown");
    if (r >= 0 && def->on_crash == MV_DOM_LIFECYCLE_PRESERVE)
        r = action(c, "panic", "pause");
    return r;
}

/* ---- firmware and boot ---- */

static int build_loader(struct cmd *c)
{
    const struct mv_dom_os *os = &c->def->os;
    _cleanup_opt_ struct opt o = { 0 };

    if (!os->loader) {
        if (os->loader_type != MV_DOM_LOADER_DEFAULT)
            return refuse(c, "<loader> type '%s' has no path",
                          mv_dom_loader_type_to_string(os->loader_type));
        return 0;
    }
    if (os->loader_type != MV_DOM_LOADER_PFLASH) {
        if (os->loader_readonly == MV_TRISTATE_NO)
            return refuse(c, "a ROM <loader> cannot be writable (readonly='no')");
        return cmd_pair(c, "-bios", os->loader);
    }
    opt_kv(&o, "if", "pflash");
    opt_kv(&o, "format", "raw");
    opt_onoff(&o, "readonly", os->loader_readonly != MV_TRISTATE_NO);
    opt_kv(&o, "file", "%s", os->loader);
    return cmd_opt(c, "-drive", &o);
}

static int build_kernel(struct cmd *c)
{
    const struct mv_dom_os *os = &c->def->os;
    int r = 0;

    if (os->kernel)
        r = cmd_pair(c, "-kernel", os->kernel);
    if (r >= 0 && os->initrd)
        r = cmd_pair(c, "-initrd", os->initrd);
    if (r >= 0 && os->cmdline)
        r = cmd_pair(c, "-append", os->cmdline);
    if (r >= 0 && os->dtb)
        r = cmd_pair(c, "-dtb", os->dtb);
    return r;
}

static int build_boot(struct cmd *c)
{
    static const char letters[MV_DOM_BOOT_LAST] = {
        [MV_DOM_BOOT_HD] = 'c', [MV_DOM_BOOT_CDROM] = 'd', [MV_DOM_BOOT_NETWORK] = 'n', [MV_DOM_BOOT_FD] = 'a',
    };
    const struct mv_dom_os *os = &c->def->os;
    _cleanup_opt_ struct opt o = { 0 };
    char order[MV_DOM_BOOT_DEVS_MAX + 1] = "";

    if (os->nboot > MV_DOM_BOOT_DEVS_MAX)
        return refuse(c, "more than %d <boot dev> elements", MV_DOM_BOOT_DEVS_MAX);
    for (size_t i = 0; i < os->nboot; i++) {
        if ((unsigned int)os->boot[i] >= MV_DOM_BOOT_LAST)
            return refuse(c, "boot device %d is not supported", (int)os->boot[i]);
        order[i] = letters[os->boot[i]];
    }
    if (os->nboot > 0)
        opt_kv(&o, "order", "%s", order);
    if (os->bootmenu != MV_TRISTATE_ABSENT)
        opt_onoff(&o, "menu", os->bootmenu == MV_TRISTATE_YES);
    if (o.len == 0 && !o.err)
        return 0;
    return cmd_opt(c, "-boot", &o);
}

/* ---- controllers ---- */

/* What the devices need beyond the controllers the XML lists. */
struct needs {
    uint32_t sata, scsi;                /* bit N: controller index N */
    bool virtio_serial, usb;
};

static const struct mv_dom_controller *find_controller(const struct mv_dom_devices *d,
                                                       enum mv_dom_controller_type type,
                                                       unsigned int index)
{
    for (size_t i = 0; i < d->ncontrollers; i++)
        if (d->controllers[i].type == type && d->controllers[i].index == index)
            return &d->controllers[i];
    return NULL;
}

static const char *usb_device(struct cmd *c, const char *model)
{
    static const char *const map[][2] = {
        { "qemu-xhci", "qemu-xhci" }, { "nec-xhci", "nec-usb-xhci" },
        { "piix3-uhci", "piix3-usb-uhci" }, { "piix4-uhci", "piix4-usb-uhci" },
        { "ich9-ehci1", "ich9-usb-ehci1" }, { "ich9-uhci1", "ich9-usb-uhci1" },
        { "ich9-uhci2", "ich9-usb-uhci2" }, { "ich9-uhci3", "ich9-usb-uhci3" },
    };

    if (!model)
        return c->machine == MACHINE_Q35 ? "qemu-xhci" : "piix3-usb-uhci";
    for (size_t i = 0; i < MV_ARRAY_SIZE(map); i++)
        if (streq(model, map[i][0]))
            return map[i][1];
    return NULL;
}

static int controller_usb(struct cmd *c, const struct mv_dom_controller *ctl, const char *what)
{
    _cleanup_opt_ struct opt o = { 0 };
    const char *dev;
    int r;

    if (streq(ctl->model, "none"))
        return 0;
    dev = usb_device(c, ctl->model);
    if (!dev)
        return refuse(c, "%s: model '%s' is not supported", what, quote(c, ctl->model));
    if (ctl->ports && !strstr(dev, "xhci"))
        return refuse(c, "%s: ports= needs an xhci model", what);
    opt_kv(&o, NULL, "%s", dev);
    if (ctl->index == 0)
        opt_kv(&o, "id", "usb");
    else
        opt_kv(&o, "id", "usb%u", ctl->index);
    r = opt_pci_addr(c, &o, &ctl->addr, what);
    if (r < 0)
        return r;
    if (ctl->ports) {
        opt_kv(&o, "p2", "%u", ctl->ports);
        opt_kv(&o, "p3", "%u", ctl->ports);
    }
    return cmd_opt(c, "-device", &o);
}

/* A PCI controller device with id=ID and its address. */
static int controller_device(struct cmd *c, const struct mv_dom_controller *ctl, const char *dev,
                             const char *id, const char *what)
{
    _cleanup_opt_ struct opt o = { 0 };
    int r;

    opt_kv(&o, NULL, "%s", dev);
    opt_kv(&o, "id", "%s", id);
    r = opt_pci_addr(c, &o, &ctl->addr, what);
    if (r < 0)
        return r;
    if (ctl->type == MV_DOM_CONTROLLER_VIRTIO_SERIAL && ctl->ports)
        opt_kv(&o, "max_ports", "%u", ctl->ports);
    return cmd_opt(c, "-device", &o);
}

static int controller_pci(struct cmd *c, const struct mv_dom_controller *ctl, const char *what)
{
    _cleanup_opt_ struct opt o = { 0 };
    const char *root = c->machine == MACHINE_Q35 ? "pcie-root" : "pci-root";
    const struct pci_model *m;
    int r;

    if (ctl->index == 0) {
        if (ctl->model && !streq(ctl->model, root))
            return refuse(c, "%s: this machine's root bus is '%s', not '%s'", what, root,
                          quote(c, ctl->model));
        return 0;
    }
    m = pci_model(c, ctl->model);
    if (!m)
        return refuse(c, "%s: model '%s' is not supported on this machine", what, quote(c, ctl->model));
    opt_kv(&o, NULL, "%s", m->device);
    opt_kv(&o, "id", "pci.%u", ctl->index);
    if (m->chassis)
        opt_kv(&o, m->chassis, "%u", ctl->index);
    /* the PCIe port number only has to be unique among the root ports */
    if (streq(m->model, "pcie-root-port"))
        opt_kv(&o, "port", "0x%x", ctl->index);
    r = opt_pci_addr(c, &o, &ctl->addr, what);
    return r < 0 ? r : cmd_opt(c, "-device", &o);
}

static int controller_sata(struct cmd *c, const struct mv_dom_controller *ctl, const char *what)
{
    char id[32];

    if (c->machine == MACHINE_Q35 && ctl->index == 0)
        return check_builtin_addr(c, &ctl->addr, 0x1f, 2, what);
    snprintf(id, sizeof(id), "sata%u", ctl->index);
    return controller_device(c, ctl, "ich9-ahci", id, what);
}

static int controller_ide(struct cmd *c, const struct mv_dom_controller *ctl, const char *what)
{
    if (c->machine != MACHINE_PC || ctl->index != 0)
        return refuse(c, "%s: only the built-in IDE controller of pc machines exists", what);
    return check_builtin_addr(c, &ctl->addr, 1, 1, what);
}

static int build_controller(struct cmd *c, const struct mv_dom_controller *ctl)
{
    char what[64], id[32];
    const char *type = mv_dom_controller_type_to_string(ctl->type);

    snprintf(what, sizeof(what), "controller type '%s' index %u", type ? type : "?", ctl->index);
    if (ctl->index >= CONTROLLERS_MAX)
        return refuse(c, "%s: index is above %d", what, CONTROLLERS_MAX - 1);
    if (ctl->ports && ctl->type != MV_DOM_CONTROLLER_USB && ctl->type != MV_DOM_CONTROLLER_VIRTIO_SERIAL)
        return refuse(c, "%s: ports= is only for usb and virtio-serial controllers", what);
    switch (ctl->type) {
    case MV_DOM_CONTROLLER_USB:
        return controller_usb(c, ctl, what);
    case MV_DOM_CONTROLLER_SCSI:
        if (ctl->model && !streq(ctl->model, "virtio-scsi"))
            return refuse(c, "%s: model '%s' is not supported (only virtio-scsi)", what, quote(c, ctl->model));
        snprintf(id, sizeof(id), "scsi%u", ctl->index);
        return controller_device(c, ctl, "virtio-scsi-pci", id, what);
    case MV_DOM_CONTROLLER_PCI:
        return controller_pci(c, ctl, what);
    case MV_DOM_CONTROLLER_VIRTIO_SERIAL:
        snprintf(id, sizeof(id), "virtio-serial%u", ctl->index);
        return controller_device(c, ctl, "virtio-serial-pci", id, what);
    case MV_DOM_CONTROLLER_SATA:
        return controller_sata(c, ctl, what);
    case MV_DOM_CONTROLLER_IDE:
        return controller_ide(c, ctl, what);
    default:
        return refuse(c, "%s is not supported", what);
    }
}

/* The PCI buses first, in index order, so that whatever plugs into one
 * (including another bridge) finds it. */
static int build_pci_controllers(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    int r;

    for (unsigned int index = 0; index < CONTROLLERS_MAX; index++) {
        const struct mv_dom_controller *ctl = find_controller(d, MV_DOM_CONTROLLER_PCI, index);

        if (ctl && (r = build_controller(c, ctl)) < 0)
            return r;
    }
    for (size_t i = 0; i < d->ncontrollers; i++)
        if (d->controllers[i].type == MV_DOM_CONTROLLER_PCI && d->controllers[i].index >= CONTROLLERS_MAX)
            return build_controller(c, &d->controllers[i]);
    return 0;
}

/* The controllers the devices need and the XML left out. */
static int build_implicit_controllers(struct cmd *c, const struct needs *n)
{
    const struct mv_dom_devices *d = &c->def->devices;
    int r = 0;

    for (unsigned int i = 0; r >= 0 && i < CONTROLLERS_MAX; i++) {
        struct mv_dom_controller sata = { .type = MV_DOM_CONTROLLER_SATA, .index = i };
        struct mv_dom_controller scsi = { .type = MV_DOM_CONTROLLER_SCSI, .index = i };

        if ((n->sata & (1u << i)) && !find_controller(d, MV_DOM_CONTROLLER_SATA, i))
            r = build_controller(c, &sata);
        if (r >= 0 && (n->scsi & (1u << i)) && !find_controller(d, MV_DOM_CONTROLLER_SCSI, i))
            r = build_controller(c, &scsi);
    }
    if (r >= 0 && n->virtio_serial && !find_controller(d, MV_DOM_CONTROLLER_VIRTIO_SERIAL, 0)) {
        struct mv_dom_controller vs = { .type = MV_DOM_CONTROLLER_VIRTIO_SERIAL };

        r = build_controller(c, &vs);
    }
    if (r >= 0 && n->usb && !find_controller(d, MV_DOM_CONTROLLER_USB, 0)) {
        struct mv_dom_controller usb = { .type = MV_DOM_CONTROLLER_USB };

        r = build_controller(c, &usb);
    }
    return r;
}

/* ---- disks ---- */

/* Where a disk sits on its controller's bus. */
struct disk_place {
    unsigned int controller, bus, target, unit;
};

/* "sdb" -> 1, "hdaa" -> 26: the letters after the two-letter prefix, as a
 * bijective base-26 number; -1 if the name does not have that shape. */
static int target_index(const char *target)
{
    long idx = 0;
    const char *p = target + 2;

    if (strlen(target) < 3)
        return -1;
    for (; *p; p++) {
        if (*p < 'a' || *p > 'z' || idx > 100000)
            return -1;
        idx = idx * 26 + (*p - 'a' + 1);
    }
    return (int)(idx - 1);
}

static int disk_place(struct cmd *c, const struct mv_dom_disk *d, const char *what, struct disk_place *p)
{
    int idx;

    if (d->addr.type == MV_DOM_ADDR_PCI)
        return refuse(c, "%s: a PCI address does not fit bus '%s'", what, mv_dom_disk_bus_to_string(d->bus));
    if (d->addr.type == MV_DOM_ADDR_DRIVE) {
        *p = (struct disk_place){ d->addr.controller, d->addr.bus, d->addr.target, d->addr.unit };
        return 0;
    }
    idx = target_index(d->target);
    if (idx < 0)
        return refuse(c, "%s: cannot derive a drive address from the target name; give an <address>", what);
    *p = (struct disk_place){ 0 };
    if (d->bus == MV_DOM_DISK_BUS_IDE) {
        p->bus = (unsigned int)idx / 2;
        p->unit = (unsigned int)idx % 2;
    } else if (d->bus == MV_DOM_DISK_BUS_SATA) {
        p->controller = (unsigned int)idx / AHCI_PORTS;
        p->unit = (unsigned int)idx % AHCI_PORTS;
    } else {
        p->controller = (unsigned int)idx / SCSI_DEFAULT_UNITS;
        p->unit = (unsigned int)idx % SCSI_DEFAULT_UNITS;
    }
    return 0;
}

static int check_place(struct cmd *c, const struct mv_dom_disk *d, const struct disk_place *p,
                       const char *what)
{
    bool ok;

    switch (d->bus) {
    case MV_DOM_DISK_BUS_IDE:
        if (c->machine != MACHINE_PC)
            return refuse(c, "%s: q35 machines have no IDE bus; use bus='sata'", what);
        ok = p->controller == 0 && p->bus < 2 && p->target == 0 && p->unit < 2;
        break;
    case MV_DOM_DISK_BUS_SATA:
        ok = p->controller < CONTROLLERS_MAX && p->bus == 0 && p->target == 0 && p->unit < AHCI_PORTS;
        break;
    default:
        ok = p->controller < CONTROLLERS_MAX && p->bus == 0 && p->target < 256 && p->unit < 16384;
        break;
    }
    if (!ok)
        return refuse(c, "%s: drive address controller %u bus %u target %u unit %u does not exist on bus '%s'",
                      what, p->controller, p->bus, p->target, p->unit, mv_dom_disk_bus_to_string(d->bus));
    return 0;
}

struct cache_mode {
    bool direct, no_flush, write_cache;
};

/* libvirt's cache names in terms of QEMU's three switches */
static const struct cache_mode cache_modes[MV_DOM_DISK_CACHE_LAST] = {
    [MV_DOM_DISK_CACHE_NONE] = { .direct = true, .write_cache = true },
    [MV_DOM_DISK_CACHE_WRITETHROUGH] = { 0 },
    [MV_DOM_DISK_CACHE_WRITEBACK] = { .write_cache = true },
    [MV_DOM_DISK_CACHE_DIRECTSYNC] = { .direct = true },
    [MV_DOM_DISK_CACHE_UNSAFE] = { .no_flush = true, .write_cache = true },
};

/* Options both block nodes of a disk carry. */
static void opt_node_common(struct opt *o, const struct mv_dom_disk *d)
{
    if (d->cache != MV_DOM_DISK_CACHE_DEFAULT) {
        opt_onoff(o, "cache.direct", cache_modes[d->cache].direct);
        opt_onoff(o, "cache.no-flush", cache_modes[d->cache].no_flush);
    }
    if (d->readonly || d->device == MV_DOM_DISK_DEVICE_CDROM)
        opt_onoff(o, "read-only", true);
    if (d->discard != MV_DOM_DISK_DISCARD_DEFAULT)
        opt_kv(o, "discard", "%s", mv_dom_disk_discard_to_string(d->discard));
}

/* -object secret for encrypted disk D, from the file the daemon wrote. */
static int build_disk_secret(struct cmd *c, const struct mv_dom_disk *d, const char *what)
{
    _cleanup_opt_ struct opt o = { 0 };
    size_t i = (size_t)(d - c->def->devices.disks);
    const char *file = i < c->ctx->ndisk_secret_files ? c->ctx->disk_secret_files[i] : NULL;

    if (!file)
        return internal(c, "%s: no passphrase file for its encryption", what);
    opt_kv(&o, NULL, "secret");
    opt_kv(&o, "id", "%s-luks-secret0", d->target);
    opt_kv(&o, "file", "%s", file);
    opt_kv(&o, "format", "raw");
    return cmd_opt(c, "-object", &o);
}

/* The format node's driver and, for an encrypted image, its key. */
static void opt_format_driver(struct opt *o, const struct mv_dom_disk *d)
{
    bool qcow2 = d->format == MV_DOM_DISK_FORMAT_QCOW2;

    if (d->encryption != MV_DOM_DISK_ENCRYPTION_LUKS) {
        opt_kv(o, "driver", "%s", qcow2 ? "qcow2" : "raw");
        return;
    }
    opt_kv(o, "driver", "%s", qcow2 ? "qcow2" : "luks");
    if (qcow2)
        opt_kv(o, "encrypt.format", "luks");
    opt_kv(o, qcow2 ? "encrypt.key-secret" : "key-secret", "%s-luks-secret0", d->target);
}

static int build_blockdevs(struct cmd *c, const struct mv_dom_disk *d, const char *what)
{
    _cleanup_opt_ struct opt file = { 0 };
    _cleanup_opt_ struct opt fmt = { 0 };
    const char *driver = "file";
    int r;

    if (d->encryption != MV_DOM_DISK_ENCRYPTION_NONE && (r = build_disk_secret(c, d, what)) < 0)
        return r;
    if (d->type == MV_DOM_DISK_BLOCK)
        driver = d->device == MV_DOM_DISK_DEVICE_CDROM ? "host_cdrom" : "host_device";
    opt_kv(&file, "driver", "%s", driver);
    opt_kv(&file, "filename", "%s", d->source);
    opt_kv(&file, "node-name", "%s-storage", d->target);
    opt_node_common(&file, d);
    r = cmd_opt(c, "-blockdev", &file);
    if (r < 0)
        return r;
    opt_format_driver(&fmt, d);
    opt_kv(&fmt, "node-name", "%s-format", d->target);
    opt_kv(&fmt, "file", "%s-storage", d->target);
    opt_node_common(&fmt, d);
    return cmd_opt(c, "-blockdev", &fmt);
}

/* The -device driver name and its bus placement. */
static int opt_disk_bus(struct cmd *c, struct opt *o, const struct mv_dom_disk *d, const char *what)
{
    bool cd = d->device == MV_DOM_DISK_DEVICE_CDROM;
    struct disk_place p;
    int r;

    if (d->bus == MV_DOM_DISK_BUS_VIRTIO) {
        if (cd)
            return refuse(c, "%s: a cdrom cannot be on bus 'virtio'; use sata, scsi or ide", what);
        opt_kv(o, NULL, "virtio-blk-pci");
        return opt_pci_addr(c, o, &d->addr, what);
    }
    r = disk_place(c, d, what, &p);
    if (r >= 0)
        r = check_place(c, d, &p, what);
    if (r < 0)
        return r;
    if (d->bus == MV_DOM_DISK_BUS_IDE) {
        opt_kv(o, NULL, "%s", cd ? "ide-cd" : "ide-hd");
        opt_kv(o, "bus", "ide.%u", p.bus);
        opt_kv(o, "unit", "%u", p.unit);
    } else if (d->bus == MV_DOM_DISK_BUS_SATA) {
        opt_kv(o, NULL, "%s", cd ? "ide-cd" : "ide-hd");
        if (c->machine == MACHINE_Q35 && p.controller == 0)
            opt_kv(o, "bus", "ide.%u", p.unit);
        else
            opt_kv(o, "bus", "sata%u.%u", p.controller, p.unit);
    } else {
        opt_kv(o, NULL, "%s", cd ? "scsi-cd" : "scsi-hd");
        opt_kv(o, "bus", "scsi%u.0", p.controller);
        opt_kv(o, "channel", "%u", p.bus);
        opt_kv(o, "scsi-id", "%u", p.target);
        opt_kv(o, "lun", "%u", p.unit);
    }
    return 0;
}

static int check_disk(struct cmd *c, const struct mv_dom_disk *d, const char *what)
{
    if (!is_qemu_id(d->target, DISK_TARGET_MAX))
        return refuse(c, "%s: the target name cannot name a QEMU device", what);
    if (d->driver_name && !streq(d->driver_name, "qemu"))
        return refuse(c, "%s: driver '%s' is not supported (only qemu)", what, quote(c, d->driver_name));
    if ((unsigned int)d->bus >= MV_DOM_DISK_BUS_LAST || (unsigned int)d->cache >= MV_DOM_DISK_CACHE_LAST ||
        (unsigned int)d->discard >= MV_DOM_DISK_DISCARD_LAST || (unsigned int)d->format >= MV_DOM_DISK_FORMAT_LAST)
        return refuse(c, "%s: bus, cache, discard or format value is not supported", what);
    if (d->type == MV_DOM_DISK_VOLUME && !d->source)
        return refuse(c, "%s: volume '%s' of pool '%s' has not been resolved to a path", what,
                      quote(c, d->volume), quote(c, d->pool));
    if (!d->source && d->device != MV_DOM_DISK_DEVICE_CDROM)
        return refuse(c, "%s: only a cdrom can be without a <source>", what);
    if ((unsigned int)d->encryption >= MV_DOM_DISK_ENCRYPTION_LAST)
        return refuse(c, "%s: encryption value is not supported", what);
    if (d->encryption != MV_DOM_DISK_ENCRYPTION_NONE && d->device == MV_DOM_DISK_DEVICE_CDROM)
        return refuse(c, "%s: an encrypted cdrom is not supported; use device='disk'", what);
    /* QEMU's IDE disks refuse read-only nodes ("Block node is read-only") */
    if (d->readonly && d->device == MV_DOM_DISK_DEVICE_DISK &&
        (d->bus == MV_DOM_DISK_BUS_IDE || d->bus == MV_DOM_DISK_BUS_SATA))
        return refuse(c, "%s: a read-only disk on bus '%s' is not possible; use virtio or scsi",
                      what, mv_dom_disk_bus_to_string(d->bus));
    return 0;
}

static int build_disk(struct cmd *c, const struct mv_dom_disk *d)
{
    _cleanup_opt_ struct opt o = { 0 };
    char what[64];
    int r;

    snprintf(what, sizeof(what), "disk '%s'", quote(c, d->target));
    r = check_disk(c, d, what);
    if (r >= 0 && d->source)
        r = build_blockdevs(c, d, what);
    if (r >= 0)
        r = opt_disk_bus(c, &o, d, what);
    if (r < 0)
        return r;
    if (d->source)
        opt_kv(&o, "drive", "%s-format", d->target);
    opt_kv(&o, "id", "%s", d->target);
    if (d->serial)
        opt_kv(&o, "serial", "%s", d->serial);
    opt_bootindex(&o, d->boot_order);
    if (d->cache != MV_DOM_DISK_CACHE_DEFAULT)
        opt_onoff(&o, "write-cache", cache_modes[d->cache].write_cache);
    return cmd_opt(c, "-device", &o);
}

/* ---- network interfaces ---- */

static const char *nic_device(const char *model)
{
    if (!model || streq(model, "rtl8139"))
        return "rtl8139";
    if (streq(model, "virtio"))
        return "virtio-net-pci";
    if (streq(model, "e1000"))
        return "e1000";
    if (streq(model, "e1000e"))
        return "e1000e";
    return NULL;
}

static int build_netdev(struct cmd *c, const struct mv_dom_net *net, size_t i)
{
    _cleanup_opt_ struct opt o = { 0 };
    int fd;

    if (net->type == MV_DOM_NET_USER) {
        opt_kv(&o, NULL, "user");
        opt_kv(&o, "id", "hostnet%zu", i);
        return cmd_opt(c, "-netdev", &o);
    }
    fd = i < c->ctx->nnet_fds && c->ctx->net_fds ? c->ctx->net_fds[i] : -1;
    if (fd < 0)
        return internal(c, "no tap device was opened for interface %zu of domain '%s'", i,
                        quote(c, c->def->name));
    opt_kv(&o, NULL, "tap");
    opt_kv(&o, "id", "hostnet%zu", i);
    opt_kv(&o, "fd", "%d", fd);
    /* the hosts we run on have no vhost-net */
    opt_onoff(&o, "vhost", false);
    return cmd_opt(c, "-netdev", &o);
}

static int build_net(struct cmd *c, size_t i)
{
    const struct mv_dom_net *net = &c->def->devices.nets[i];
    const unsigned char *m = net->mac;
    _cleanup_opt_ struct opt o = { 0 };
    const char *dev = nic_device(net->model);
    char what[64];
    int r;

    snprintf(what, sizeof(what), "interface %zu", i);
    if (!dev)
        return refuse(c, "%s: model '%s' is not supported (virtio, e1000, e1000e, rtl8139)",
                      what, quote(c, net->model));
    if ((unsigned int)net->type >= MV_DOM_NET_LAST)
        return refuse(c, "%s: type %d is not supported", what, (int)net->type);
    r = build_netdev(c, net, i);
    if (r < 0)
        return r;
    opt_kv(&o, NULL, "%s", dev);
    r = opt_pci_addr(c, &o, &net->addr, what);
    if (r < 0)
        return r;
    opt_kv(&o, "netdev", "hostnet%zu", i);
    opt_kv(&o, "id", "net%zu", i);
    opt_kv(&o, "mac", "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
    opt_bootindex(&o, net->boot_order);
    return cmd_opt(c, "-device", &o);
}

/* ---- serial ports, consoles, channels ---- */

static int build_chardev(struct cmd *c, const struct mv_dom_chr *chr, const char *id, const char *what)
{
    _cleanup_opt_ struct opt o = { 0 };

    if ((chr->type == MV_DOM_CHR_FILE || chr->type == MV_DOM_CHR_UNIX) && !chr->path)
        return internal(c, "%s of domain '%s' has no path", what, quote(c, c->def->name));
    switch (chr->type) {
    case MV_DOM_CHR_PTY:
        opt_kv(&o, NULL, "pty");
        opt_kv(&o, "id", "%s", id);
        break;
    case MV_DOM_CHR_FILE:
        opt_kv(&o, NULL, "file");
        opt_kv(&o, "id", "%s", id);
        opt_kv(&o, "path", "%s", chr->path);
        if (chr->append)
            opt_onoff(&o, "append", true);
        break;
    case MV_DOM_CHR_UNIX:
        opt_kv(&o, NULL, "socket");
        opt_kv(&o, "id", "%s", id);
        opt_kv(&o, "path", "%s", chr->path);
        if (chr->unix_listen) {
            opt_onoff(&o, "server", true);
            opt_onoff(&o, "wait", false);
        }
        break;
    case MV_DOM_CHR_NULL:
        opt_kv(&o, NULL, "null");
        opt_kv(&o, "id", "%s", id);
        break;
    default:
        return refuse(c, "%s: character device type %d is not supported", what, (int)chr->type);
    }
    if (chr->log_file) {
        opt_kv(&o, "logfile", "%s", chr->log_file);
        opt_onoff(&o, "logappend", chr->log_append);
    }
    return cmd_opt(c, "-chardev", &o);
}

/* Serial port N (COM N+1) backed by CHR. */
static int build_isa_serial(struct cmd *c, const struct mv_dom_chr *chr, size_t n, const char *what)
{
    _cleanup_opt_ struct opt o = { 0 };
    char id[32];
    int r;

    if (chr->target_type && !streq(chr->target_type, "isa-serial"))
        return refuse(c, "%s: target type '%s' is not supported (only isa-serial)", what,
                      quote(c, chr->target_type));
    if (chr->target_port >= ISA_SERIAL_PORTS || n >= ISA_SERIAL_PORTS)
        return refuse(c, "%s: ISA serial ports go from 0 to %d", what, ISA_SERIAL_PORTS - 1);
    snprintf(id, sizeof(id), "charserial%zu", n);
    r = build_chardev(c, chr, id, what);
    if (r < 0)
        return r;
    opt_kv(&o, NULL, "isa-serial");
    opt_kv(&o, "chardev", "%s", id);
    opt_kv(&o, "id", "serial%zu", n);
    if (chr->target_port >= 0)
        opt_kv(&o, "index", "%d", chr->target_port);
    return cmd_opt(c, "-device", &o);
}

/* A port on virtio-serial0: virtconsole or virtserialport. */
static int build_virtio_port(struct cmd *c, const struct mv_dom_chr *chr, const char *dev,
                             const char *kind, size_t n)
{
    _cleanup_opt_ struct opt o = { 0 };
    char what[64], id[32];
    int r;

    snprintf(what, sizeof(what), "%s %zu", kind, n);
    snprintf(id, sizeof(id), "char%s%zu", kind, n);
    r = build_chardev(c, chr, id, what);
    if (r < 0)
        return r;
    opt_kv(&o, NULL, "%s", dev);
    opt_kv(&o, "bus", "virtio-serial0.0");
    opt_kv(&o, "chardev", "%s", id);
    opt_kv(&o, "id", "%s%zu", kind, n);
    if (chr->target_name)
        opt_kv(&o, "name", "%s", chr->target_name);
    return cmd_opt(c, "-device", &o);
}

static int build_serials(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    char what[32];
    int r;

    for (size_t i = 0; i < d->nserials; i++) {
        snprintf(what, sizeof(what), "serial %zu", i);
        r = build_isa_serial(c, &d->serials[i], i, what);
        if (r < 0)
            return r;
    }
    return 0;
}

static int build_console(struct cmd *c, size_t i)
{
    const struct mv_dom_devices *d = &c->def->devices;
    const struct mv_dom_chr *con = &d->consoles[i];
    struct mv_dom_chr serial;
    char what[32];

    snprintf(what, sizeof(what), "console %zu", i);
    if (!con->target_type || streq(con->target_type, "serial")) {
        if (i != 0)
            return refuse(c, "%s: only the first console can be a serial console", what);
        /* the same device as serial 0: create it only if there is none */
        if (d->nserials > 0)
            return 0;
        serial = *con;
        serial.target_type = NULL;
        return build_isa_serial(c, &serial, 0, what);
    }
    if (streq(con->target_type, "virtio"))
        return build_virtio_port(c, con, "virtconsole", "console", i);
    return refuse(c, "%s: target type '%s' is not supported (serial or virtio)", what,
                  quote(c, con->target_type));
}

static int build_channel(struct cmd *c, size_t i)
{
    const struct mv_dom_chr *ch = &c->def->devices.channels[i];

    if (!streq(ch->target_type, "virtio"))
        return refuse(c, "channel %zu: target type '%s' is not supported (only virtio)", i,
                      quote(c, ch->target_type));
    return build_virtio_port(c, ch, "virtserialport", "channel", i);
}

static int build_chr_devices(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    int r = build_serials(c);

    for (size_t i = 0; r >= 0 && i < d->nconsoles; i++)
        r = build_console(c, i);
    for (size_t i = 0; r >= 0 && i < d->nchannels; i++)
        r = build_channel(c, i);
    return r;
}

/* ---- input ---- */

static const char *input_device(const char *type, const char *bus)
{
    static const struct { const char *type, *bus, *dev; } map[] = {
        { "tablet", "usb", "usb-tablet" },
        { "mouse", "usb", "usb-mouse" },
        { "keyboard", "usb", "usb-kbd" },
        { "tablet", "virtio", "virtio-tablet-pci" },
        { "mouse", "virtio", "virtio-mouse-pci" },
        { "keyboard", "virtio", "virtio-keyboard-pci" },
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(map); i++)
        if (streq(type, map[i].type) && streq(bus, map[i].bus))
            return map[i].dev;
    return NULL;
}

/* libvirt's defaults: a tablet is USB, a mouse or keyboard PS/2 */
static const char *input_bus(const struct mv_dom_input *in)
{
    if (in->bus)
        return in->bus;
    return streq(in->type, "tablet") ? "usb" : "ps2";
}

static int build_input(struct cmd *c, size_t i)
{
    const struct mv_dom_input *in = &c->def->devices.inputs[i];
    const struct mv_dom_controller *usb;
    _cleanup_opt_ struct opt o = { 0 };
    const char *bus = input_bus(in);
    const char *dev;

    if (streq(bus, "ps2") && (streq(in->type, "mouse") || streq(in->type, "keyboard")))
        return 0;   /* the i8042 of pc and q35 machines is always there */
    dev = input_device(in->type, bus);
    if (!dev)
        return refuse(c, "input %zu: type '%s' on bus '%s' is not supported", i, quote(c, in->type),
                      quote(c, bus));
    opt_kv(&o, NULL, "%s", dev);
    if (streq(bus, "usb")) {
        usb = find_controller(&c->def->devices, MV_DOM_CONTROLLER_USB, 0);
        if (usb && streq(usb->model, "none"))
            return refuse(c, "input %zu: a USB device needs a USB controller, but the model is 'none'", i);
        opt_kv(&o, "bus", "usb.0");
    } else {
        struct mv_dom_addr none = { 0 };
        char what[32];
        int r;

        snprintf(what, sizeof(what), "input %zu", i);
        r = opt_pci_addr(c, &o, &none, what);
        if (r < 0)
            return r;
    }
    opt_kv(&o, "id", "input%zu", i);
    return cmd_opt(c, "-device", &o);
}

/* ---- graphics and video ---- */

/* "HOST:" with IPv6 addresses in brackets */
static void opt_vnc_listen(struct opt *o, const char *listen, int display)
{
    if (strchr(listen, ':'))
        opt_kv(o, NULL, "[%s]:%d", listen, display);
    else
        opt_kv(o, NULL, "%s:%d", listen, display);
}

static int build_vnc(struct cmd *c, const struct mv_dom_graphics *g)
{
    _cleanup_opt_ struct opt o = { 0 };
    const char *listen = g->listen ? g->listen : "127.0.0.1";

    if (g->passwd)
        return refuse(c, "VNC passwords are not supported yet");
    if (g->autoport || g->port < 0) {
        /* QEMU takes the first free display; the daemon asks it which */
        opt_vnc_listen(&o, listen, 0);
        opt_kv(&o, "to", "%d", VNC_AUTOPORT_DISPLAYS);
    } else {
        if (g->port < VNC_PORT_BASE || g->port > 65535)
            return refuse(c, "VNC port %d is outside %d-65535", g->port, VNC_PORT_BASE);
        opt_vnc_listen(&o, listen, g->port - VNC_PORT_BASE);
    }
    return cmd_opt(c, "-vnc", &o);
}

static int build_spice(struct cmd *c, const struct mv_dom_graphics *g)
{
    _cleanup_opt_ struct opt o = { 0 };

    if (g->passwd)
        return refuse(c, "SPICE passwords are not supported yet");
    if (g->autoport || g->port <= 0 || g->port > 65535)
        return refuse(c, "SPICE needs a fixed port (autoport is not supported)");
    opt_kv(&o, "port", "%d", g->port);
    opt_kv(&o, "addr", "%s", g->listen ? g->listen : "127.0.0.1");
    opt_onoff(&o, "disable-ticketing", true);
    return cmd_opt(c, "-spice", &o);
}

static int build_graphics(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    bool seen[MV_DOM_GRAPHICS_LAST] = { false };
    int r;

    if (d->ngraphics == 0)
        return cmd_pair(c, "-display", "none");
    for (size_t i = 0; i < d->ngraphics; i++) {
        const struct mv_dom_graphics *g = &d->graphics[i];

        if ((unsigned int)g->type >= MV_DOM_GRAPHICS_LAST || seen[g->type])
            return refuse(c, "graphics %zu: only one VNC and one SPICE display are supported", i);
        seen[g->type] = true;
        r = g->type == MV_DOM_GRAPHICS_VNC ? build_vnc(c, g) : build_spice(c, g);
        if (r < 0)
            return r;
    }
    return 0;
}

struct video_model {
    const char *model, *primary, *secondary;
    const char *vram_mb;        /* property taking vram in MiB, NULL = none */
    const char *vram_bytes;     /* property taking vram in bytes, NULL = none */
    bool heads;                 /* max_outputs= takes heads */
    bool pci;
};

static const struct video_model video_models[] = {
    { "vga", "VGA", NULL, "vgamem_mb", NULL, false, true },
    { "cirrus", "cirrus-vga", NULL, "vgamem_mb", NULL, false, true },
    { "virtio", "virtio-vga", "virtio-gpu-pci", NULL, NULL, true, true },
    { "qxl", "qxl-vga", "qxl", "vram_size_mb", NULL, true, true },
    { "bochs", "bochs-display", "bochs-display", NULL, "vgamem", false, true },
    { "ramfb", "ramfb", NULL, NULL, NULL, false, false },
};

static int video_props(struct cmd *c, struct opt *o, const struct mv_dom_video *v,
                       const struct video_model *m, const char *what)
{
    if (v->vram && m->vram_bytes) {
        opt_kv(o, m->vram_bytes, "%llu", v->vram * 1024ULL);
    } else if (v->vram) {
        if (!m->vram_mb)
            return refuse(c, "%s: vram is not adjustable for model '%s'", what, m->model);
        if (v->vram % 1024)
            return refuse(c, "%s: vram %u KiB is not a whole number of MiB", what, v->vram);
        opt_kv(o, m->vram_mb, "%u", v->vram / 1024);
    }
    if (v->heads > 1) {
        if (!m->heads)
            return refuse(c, "%s: model '%s' has one head", what, m->model);
        opt_kv(o, "max_outputs", "%u", v->heads);
    }
    return 0;
}

static int build_video(struct cmd *c, size_t i, bool primary)
{
    const struct mv_dom_video *v = &c->def->devices.videos[i];
    const struct video_model *m = NULL;
    _cleanup_opt_ struct opt o = { 0 };
    char what[32];
    int r;

    if (streq(v->model, "none"))
        return 0;
    snprintf(what, sizeof(what), "video %zu", i);
    for (size_t k = 0; k < MV_ARRAY_SIZE(video_models); k++)
        if (streq(v->model, video_models[k].model))
            m = &video_models[k];
    if (!m)
        return refuse(c, "%s: model '%s' is not supported", what, quote(c, v->model));
    if (!primary && !m->secondary)
        return refuse(c, "%s: model '%s' can only be the primary video device", what, m->model);
    opt_kv(&o, NULL, "%s", primary ? m->primary : m->secondary);
    opt_kv(&o, "id", "video%zu", i);
    if (m->pci)
        r = opt_pci_addr(c, &o, &v->addr, what);
    else if (v->addr.type != MV_DOM_ADDR_NONE)
        r = refuse(c, "%s: model '%s' is not a PCI device and takes no address", what, m->model);
    else
        r = 0;
    if (r >= 0)
        r = video_props(c, &o, v, m, what);
    return r < 0 ? r : cmd_opt(c, "-device", &o);
}

static int build_videos(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    size_t primary = 0;
    int r;

    for (size_t i = 0; i < d->nvideos; i++)
        if (d->videos[i].primary) {
            primary = i;
            break;
        }
    /* the primary first: it gets the legacy VGA ports */
    if (d->nvideos == 0)
        return 0;
    r = build_video(c, primary, true);
    for (size_t i = 0; r >= 0 && i < d->nvideos; i++)
        if (i != primary)
            r = build_video(c, i, false);
    return r;
}

/* ---- watchdog, rng, balloon, panic ---- */

static int build_watchdog(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    const struct mv_dom_watchdog *w = d->watchdogs;
    _cleanup_opt_ struct opt o = { 0 };
    int r = 0;

    if (d->nwatchdogs == 0)
        return 0;
    if (d->nwatchdogs > 1)
        return refuse(c, "only one watchdog is supported");
    if (w->action && !streq(w->action, "reset") && !streq(w->action, "shutdown") &&
        !streq(w->action, "poweroff") && !streq(w->action, "pause") && !streq(w->action, "none") &&
        !streq(w->action, "inject-nmi"))
        return refuse(c, "watchdog action '%s' is not supported", quote(c, w->action));
    if (streq(w->model, "i6300esb")) {
        opt_kv(&o, NULL, "i6300esb");
        opt_kv(&o, "id", "watchdog0");
        r = opt_pci_addr(c, &o, &w->addr, "watchdog");
    } else if (streq(w->model, "ib700") && w->addr.type == MV_DOM_ADDR_NONE) {
        opt_kv(&o, NULL, "ib700");
        opt_kv(&o, "id", "watchdog0");
    } else {
        return refuse(c, "watchdog model '%s' is not supported (i6300esb, or ib700 without an address)",
                      quote(c, w->model));
    }
    if (r >= 0)
        r = cmd_opt(c, "-device", &o);
    if (r >= 0 && w->action)
        r = action(c, "watchdog", w->action);
    return r;
}

static int build_rng(struct cmd *c, size_t i)
{
    const struct mv_dom_rng *rng = &c->def->devices.rngs[i];
    _cleanup_opt_ struct opt obj = { 0 };
    _cleanup_opt_ struct opt dev = { 0 };
    char what[32];
    int r;

    snprintf(what, sizeof(what), "rng %zu", i);
    if (rng->model && !streq(rng->model, "virtio"))
        return refuse(c, "%s: model '%s' is not supported (only virtio)", what, quote(c, rng->model));
    opt_kv(&obj, NULL, "rng-random");
    opt_kv(&obj, "id", "objrng%zu", i);
    opt_kv(&obj, "filename", "%s", rng->backend ? rng->backend : "/dev/urandom");
    r = cmd_opt(c, "-object", &obj);
    if (r < 0)
        return r;
    opt_kv(&dev, NULL, "virtio-rng-pci");
    opt_kv(&dev, "rng", "objrng%zu", i);
    opt_kv(&dev, "id", "rng%zu", i);
    r = opt_pci_addr(c, &dev, &rng->addr, what);
    return r < 0 ? r : cmd_opt(c, "-device", &dev);
}

static int build_memballoon(struct cmd *c)
{
    const struct mv_dom_memballoon *b = &c->def->devices.memballoon;
    _cleanup_opt_ struct opt o = { 0 };
    int r;

    if (b->given && streq(b->model, "none"))
        return 0;
    if (b->given && b->model && !streq(b->model, "virtio"))
        return refuse(c, "memballoon model '%s' is not supported (virtio or none)", quote(c, b->model));
    opt_kv(&o, NULL, "virtio-balloon-pci");
    opt_kv(&o, "id", "balloon0");
    r = opt_pci_addr(c, &o, &b->addr, "memballoon");
    if (r < 0)
        return r;
    if (b->stats_period)
        opt_kv(&o, "guest-stats-polling-interval", "%u", b->stats_period);
    return cmd_opt(c, "-device", &o);
}

static int build_panic(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    const char *model;

    if (d->npanics == 0)
        return 0;
    if (d->npanics > 1)
        return refuse(c, "only one panic device is supported");
    model = d->panics[0].model;
    if (model && !streq(model, "isa"))
        return refuse(c, "panic model '%s' is not supported (only isa)", quote(c, model));
    return cmd_pair(c, "-device", "pvpanic,id=panic0");
}

/* ---- the whole line ---- */

/* Which controllers the devices need, so that the missing ones can be
 * added before the devices that plug into them. */
static int scan_needs(struct cmd *c, struct needs *n)
{
    const struct mv_dom_devices *d = &c->def->devices;
    struct disk_place p;
    char what[64];
    int r;

    for (size_t i = 0; i < d->ndisks; i++) {
        const struct mv_dom_disk *disk = &d->disks[i];

        if (disk->bus != MV_DOM_DISK_BUS_SATA && disk->bus != MV_DOM_DISK_BUS_SCSI)
            continue;
        snprintf(what, sizeof(what), "disk '%s'", quote(c, disk->target));
        r = disk_place(c, disk, what, &p);
        if (r >= 0)
            r = check_place(c, disk, &p, what);
        if (r < 0)
            return r;
        if (disk->bus == MV_DOM_DISK_BUS_SATA)
            n->sata |= 1u << p.controller;
        else
            n->scsi |= 1u << p.controller;
    }
    for (size_t i = 0; i < d->nconsoles; i++)
        n->virtio_serial |= streq(d->consoles[i].target_type, "virtio");
    n->virtio_serial |= d->nchannels > 0;
    for (size_t i = 0; i < d->ninputs; i++)
        n->usb |= streq(input_bus(&d->inputs[i]), "usb");
    return 0;
}

static int build_devices(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    struct needs n = { 0 };
    int r;

    reserve_slots(c);
    r = scan_needs(c, &n);

    if (r >= 0)
        r = build_pci_controllers(c);
    for (size_t i = 0; r >= 0 && i < d->ncontrollers; i++)
        if (d->controllers[i].type != MV_DOM_CONTROLLER_PCI)
            r = build_controller(c, &d->controllers[i]);
    if (r >= 0)
        r = build_implicit_controllers(c, &n);
    for (size_t i = 0; r >= 0 && i < d->ndisks; i++)
        r = build_disk(c, &d->disks[i]);
    for (size_t i = 0; r >= 0 && i < d->nnets; i++)
        r = build_net(c, i);
    if (r >= 0)
        r = build_chr_devices(c);
    for (size_t i = 0; r >= 0 && i < d->ninputs; i++)
        r = build_input(c, i);
    return r;
}

static int build_tail(struct cmd *c)
{
    int r = build_graphics(c);

    if (r >= 0)
        r = build_videos(c);
    if (r >= 0)
        r = build_watchdog(c);
    for (size_t i = 0; r >= 0 && i < c->def->devices.nrngs; i++)
        r = build_rng(c, i);
    if (r >= 0)
        r = build_memballoon(c);
    if (r >= 0)
        r = build_panic(c);
    if (r >= 0)
        r = cmd_pair(c, "-sandbox", "on,obsolete=deny,elevateprivileges=deny,spawn=deny,resourcecontrol=deny");
    return r;
}

static int build(struct cmd *c)
{
    static int (*const steps[])(struct cmd *) = {
        check_os, build_identity, build_accel, build_cpu, build_memory, build_smp,
        build_uuid_defaults_monitor, build_clock, build_features, build_pm, build_lifecycle,
        build_loader, build_kernel, build_boot, build_devices, build_tail,
    };
    const char *emulator = c->def->devices.emulator ? c->def->devices.emulator : c->ctx->emulator;
    int r;

    if (!emulator)
        return internal(c, "no emulator binary for domain '%s'", quote(c, c->def->name));
    r = cmd_arg(c, emulator);
    for (size_t i = 0; r >= 0 && i < MV_ARRAY_SIZE(steps); i++)
        r = steps[i](c);
    return r;
}

int mv_qemu_build_argv(const struct mv_dom_def *def, const struct mv_qemu_cmd_ctx *ctx,
                       char ***argv, int *errcode, char **errmsg)
{
    _cleanup_(cmd_done) struct cmd c = { .def = def, .ctx = ctx };
    int r = build(&c);

    if (r < 0) {
        if (r == -ENOMEM && !c.errmsg) {
            c.errcode = MV_ERR_NO_MEMORY;
            c.errmsg = strdup("out of memory");
        }
        if (errcode)
            *errcode = c.errcode;
        if (errmsg)
            *errmsg = TAKE_PTR(c.errmsg);
        return r;
    }
    *argv = TAKE_PTR(c.argv);
    return 0;
}
