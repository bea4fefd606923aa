/*
 * The QEMU 7.2 (qemu-system-x86_64) command line for a domain definition.
 * This file has the builder (errors, options, the vector) and the order
 * of the parts; each part of the machine is a qemu_cmd_*.c file of its own.
 *
 * Everything in struct mv_dom_def either becomes arguments or is refused
 * with MV_ERR_CONFIG_UNSUPPORTED naming it; nothing is dropped silently.
 * The exceptions, each because QEMU has nothing to set and the daemon or
 * the guest handles it: title, description, metadata, currentMemory (the
 * balloon target, set over QMP), vcpu placement, cpu match/fallback and
 * check='none' (QEMU's -cpu is the model as named), the tap names and network sources (the
 * daemon's side of a tap), live pty paths, the target port of a virtio
 * console (QEMU numbers the ports itself), the <driver> settings of an
 * empty cdrom (they are for the media inserted later), <features>
 * apic/pae, which x86 QEMU always provides (libvirt ignores their absence),
 * and a <sysinfo> without <os><smbios mode='sysinfo'/> (kept, not given to
 * the guest, as in libvirt).
 *
 * Decisions:
 * - cpu host-passthrough needs KVM and is refused under TCG; host-model
 *   becomes "-cpu host" under KVM and "-cpu max" (everything TCG can
 *   emulate, the nearest thing to the host) under TCG.
 * - cpu check='partial'|'full' is enforce=on: QEMU then refuses to start a
 *   CPU lacking a feature the accelerator cannot give, where it otherwise
 *   warns and drops it (qemu_cmd_cpu.c).  Memory and NUMA decisions are at
 *   the top of qemu_cmd_memory.c; its backends are named pc.ram (no NUMA)
 *   and ram-nodeN (guest NUMA cell N).
 * - The PIT tick policy only exists for KVM's in-kernel PIT; under TCG it
 *   has nothing to act on and is ignored.
 * - The definition has been through the assign pass (domain_address.c):
 *   at define (and at the daemon's load of a definition stored before
 *   that) for the addresses and controllers, which the definition keeps,
 *   and again on the live copy at start, which adds the aliases.  So every
 *   device has its alias, every PCI device its address, every SATA/SCSI/IDE
 *   disk its drive address (no two the same), and the controllers the
 *   devices need are listed (an ich9-ahci "sataN" for SATA
 *   disks on pc machines, q35 has one built in; a virtio-scsi-pci "scsiN"
 *   for SCSI disks; virtio-serial0 for virtio consoles and channels; a USB
 *   controller for USB input, USB redirection and USB audio, piix3-usb-uhci
 *   on pc, qemu-xhci on q35, as for a missing model).  The builder chooses no address itself.
 * - A missing <memballoon> means a virtio balloon, as in libvirt.
 * - <console> target serial is serial 0 itself (libvirt semantics): it adds
 *   nothing when a <serial> exists (and shows that serial's alias, a user
 *   alias too) and creates serial 0 when none does.
 * - on_crash is passed as -action panic= whether or not a panic device
 *   exists: without one the guest never reports a panic and it is inert.
 * - PCI devices without an <address> get (in the assign pass) the lowest
 *   root-bus slot that neither the machine nor any <address> in the XML
 *   uses, in command-line order, so QEMU's own placement never collides
 *   with a given address.  Addresses on bus N > 0 need a pcie-root-port or
 *   pci-bridge with index N.
 *
 * - An encrypted disk's passphrase reaches QEMU through a secret object
 *   reading a 0600 file the daemon wrote (ctx->disk_secret_files), never
 *   through argv, which every local user can read in /proc.  The format
 *   node opens the image with it: driver=luks for a raw LUKS image, the
 *   qcow2 driver's encrypt.* options for a LUKS-encrypted qcow2.
 *
 * Device ids are the devices' aliases (the assign pass gives the ones
 * below unless the user gave a "ua-" alias; controllers keep theirs, the
 * buses of the devices on them are named after them).
 * Names QMP code relies on: disk device id TARGET ("vda"), block nodes
 * TARGET-storage and TARGET-format, secret object TARGET-luks-secret0; netN/hostnetN; serialN/charserialN,
 * consoleN/charconsoleN, channelN/charchannelN (console 0 of target type
 * serial has no chardev of its own: it is charserial0); usb, ide (the
 * machine's own IDE or SATA controller), sataN, scsiN,
 * virtio-serialN, pci.N; videoN, inputN, watchdog0, rngN, balloon0, panicN;
 * filesystems fsN, with fsdev-ALIAS (9p) or chardev chr-vu-ALIAS (virtiofs);
 * iothreadID (the <iothreadids> id; qemud/cputune.c pins them by it),
 * hostdevN;
 * audioN (the -audiodev of <audio id='N'>), soundN and its HDA codecs
 * soundN-codecK; redirN/charredirN (<redirdev>); the loader and its
 * variable store, block nodes pflash0-storage/-format and
 * pflash1-storage/-format (qemu_cmd_boot.c).  USB companion controllers
 * (ich9-uhciN with <master>) have no id: they are part of their EHCI "usb";
 * the TPM is tpm0 (or its alias) on backend tpm-tpm0, with chardev chrtpm
 * to swtpm.
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
#include "qemu_command_priv.h"

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
const char *cmd_quote(struct cmd *c, const char *s)
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
int cmd_refuse(struct cmd *c, const char *fmt, ...)
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
int cmd_internal(struct cmd *c, const char *fmt, ...)
{
    va_list ap;
    int r;

    va_start(ap, fmt);
    r = vfail(c, -EINVAL, MV_ERR_INTERNAL_ERROR, "internal error: ", fmt, ap);
    va_end(ap);
    return r;
}


void opt_done(struct opt *o)
{
    free(o->buf);
}

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
void opt_kv(struct opt *o, const char *key, const char *fmt, ...)
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

void opt_onoff(struct opt *o, const char *key, bool on)
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
int cmd_arg(struct cmd *c, const char *arg)
{
    return cmd_push(c, strdup(arg));
}

int cmd_pair(struct cmd *c, const char *flag, const char *arg)
{
    int r = cmd_arg(c, flag);

    return r < 0 ? r : cmd_arg(c, arg);
}

/* Appends FLAG and the option built in O. */
int cmd_opt(struct cmd *c, const char *flag, struct opt *o)
{
    int r;

    if (o->err)
        return o->err;
    r = cmd_arg(c, flag);
    if (r < 0)
        return r;
    return cmd_push(c, TAKE_PTR(o->buf));
}

/* ---- the whole line ---- */

static int build_devices(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    int r = build_pci_controllers(c);

    /* the controllers the devices need are listed: the assign pass added them */
    for (size_t i = 0; r >= 0 && i < d->ncontrollers; i++)
        if (d->controllers[i].type != MV_DOM_CONTROLLER_PCI)
            r = build_controller(c, &d->controllers[i]);
    for (size_t i = 0; r >= 0 && i < d->ndisks; i++)
        r = build_disk(c, &d->disks[i]);
    for (size_t i = 0; r >= 0 && i < d->nfilesystems; i++)
        r = build_filesystem(c, i);
    for (size_t i = 0; r >= 0 && i < d->nnets; i++)
        r = build_net(c, i);
    if (r >= 0)
        r = build_chr_devices(c);
    for (size_t i = 0; r >= 0 && i < d->ninputs; i++)
        r = build_input(c, i);
    if (r >= 0)
        r = build_hostdevs(c);
    return r;
}

static int build_tail(struct cmd *c)
{
    int r = build_graphics(c);

    if (r >= 0)
        r = build_videos(c);
    if (r >= 0)
        r = build_audiodevs(c);
    if (r >= 0)
        r = build_sounds(c);
    if (r >= 0)
        r = build_redirdevs(c);
    if (r >= 0)
        r = build_watchdog(c);
    for (size_t i = 0; r >= 0 && i < c->def->devices.nrngs; i++)
        r = build_rng(c, i);
    if (r >= 0)
        r = build_tpm(c);
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
        check_os, check_seclabels, check_cputune, build_identity, build_accel, build_cpu, build_memory,
        build_smp, build_iothreads, build_uuid_defaults_monitor, build_clock, build_features, build_pm, build_lifecycle,
        build_loader, build_kernel, build_boot, check_bios_serial, build_smbios, build_devices, build_tail,
    };
    const char *emulator = c->def->devices.emulator ? c->def->devices.emulator : c->ctx->emulator;
    int r;

    if (!emulator)
        return cmd_internal(c, "no emulator binary for domain '%s'", cmd_quote(c, c->def->name));
    r = cmd_arg(c, emulator);
    for (size_t i = 0; r >= 0 && i < MV_ARRAY_SIZE(steps); i++)
        r = steps[i](c);
    return r;
}

static int build_one(struct cmd *c, enum mv_qemu_device_kind kind, size_t index)
{
    const struct mv_dom_devices *d = &c->def->devices;
    int r = check_os(c);            /* the machine family the buses depend on */

    if (r < 0)
        return r;
    switch (kind) {
    case MV_QEMU_DEV_DISK:
        return index < d->ndisks ? build_disk(c, &d->disks[index]) : cmd_internal(c, "no disk %zu", index);
    case MV_QEMU_DEV_NET:
        return index < d->nnets ? build_net(c, index) : cmd_internal(c, "no interface %zu", index);
    case MV_QEMU_DEV_CONTROLLER:
        if (index >= d->ncontrollers)
            return cmd_internal(c, "no controller %zu", index);
        if (d->controllers[index].type == MV_DOM_CONTROLLER_PCI)
            return cmd_refuse(c, "PCI controllers cannot be added to a running domain");
        return build_controller(c, &d->controllers[index]);
    }
    return cmd_internal(c, "device kind %d", (int)kind);
}

static int build_result(struct cmd *c, int r, char ***argv, int *errcode, char **errmsg)
{
    if (r < 0) {
        if (r == -ENOMEM && !c->errmsg) {
            c->errcode = MV_ERR_NO_MEMORY;
            c->errmsg = strdup("out of memory");
        }
        if (errcode)
            *errcode = c->errcode;
        if (errmsg)
            *errmsg = TAKE_PTR(c->errmsg);
        return r;
    }
    *argv = TAKE_PTR(c->argv);
    if (!*argv)                     /* nothing to add (cannot happen for a device) */
        *argv = calloc(1, sizeof(char *));
    return *argv ? 0 : -ENOMEM;
}

int mv_qemu_build_argv(const struct mv_dom_def *def, const struct mv_qemu_cmd_ctx *ctx,
                       char ***argv, int *errcode, char **errmsg)
{
    _cleanup_(cmd_done) struct cmd c = { .def = def, .ctx = ctx };

    return build_result(&c, build(&c), argv, errcode, errmsg);
}

int mv_qemu_build_device(const struct mv_dom_def *def, const struct mv_qemu_cmd_ctx *ctx,
                         enum mv_qemu_device_kind kind, size_t index, char ***argv, int *errcode, char **errmsg)
{
    _cleanup_(cmd_done) struct cmd c = { .def = def, .ctx = ctx };

    return build_result(&c, build_one(&c, kind, index), argv, errcode, errmsg);
}
