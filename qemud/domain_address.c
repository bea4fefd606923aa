/*
 * The assign pass: addresses and implicit controllers of a domain being
 * defined, and with the aliases those of a starting one (domain_address.h).
 *
 * One table, dev_kinds[], describes every kind of device: where its array,
 * alias and address live, its QEMU id (the alias), and whether it takes a
 * PCI slot.  Its rows are in the order in which qemu_command.c writes the
 * devices, because the slots are handed out in that order: a device the
 * pass gives slot N is the device QEMU would have put at N.
 *
 * ADDING A DEVICE KIND (e.g. <sound>): give its struct `char *alias` (and
 * `struct mv_dom_addr addr` if it sits on a bus), then one row here, at the
 * place its -device comes in the command line:
 *
 *     { "sound", ROW(sounds, struct mv_dom_sound), ROW_ADDR(struct mv_dom_sound),
 *       sound_id, sound_pci },
 *
 * with sound_id writing "sound%zu" (the id its qemu_cmd_*.c part uses;
 * better: that part writes id=ALIAS) and sound_pci saying whether this
 * model is a PCI device.  Then format the alias (dom_format_alias) and
 * parse it (dom_parse_alias).  Its builder part keeps calling
 * opt_pci_addr(), which now always finds an address.
 *
 * Aliases are the QEMU ids the command line has always used (qemu_command.c
 * lists them), not libvirt's "virtio-disk0" or "sata0-0-0": the QMP code
 * finds disks, chardevs and the balloon by those ids, and the same XML must
 * give the same command line.  A disk's alias is its target ("vda"), which
 * is also what virsh domblklist shows and what virsh takes for a disk.
 */
#include "config.h"

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_address.h"
#include "errmsg.h"
#include "error_codes.h"
#include "machine_family.h"

#define ROOT_SLOTS 32
#define CONTROLLERS_MAX 32
#define AHCI_PORTS 6
#define SCSI_DEFAULT_UNITS 7

struct assign {
    struct mv_dom_def *def;
    enum mv_machine_family machine;
    uint32_t root_slots;        /* bit N: slot N of the root bus is taken */
};

struct dev_kind {
    const char *name;                   /* in messages */
    size_t array, count, size, alias;   /* offsets in mv_dom_devices / in an element */
    size_t addr;                        /* offset of its struct mv_dom_addr */
    bool has_addr;
    bool single;                        /* ARRAY is the one element itself (memballoon) */
    /* Writes the QEMU id of element I into BUF; false when it makes no QEMU
     * device, or belongs to another row over the same array. */
    bool (*id)(const struct assign *a, const void *dev, size_t i, char *buf, size_t len);
    /* Takes a PCI slot (when it has no address); NULL: never. */
    bool (*pci)(const struct assign *a, const void *dev);
    /* Comes before B in the command line; NULL: array order. */
    bool (*before)(const void *dev_a, const void *dev_b);
};

#define ROW(field, type) \
    .array = offsetof(struct mv_dom_devices, field), .count = offsetof(struct mv_dom_devices, n##field), \
    .size = sizeof(type), .alias = offsetof(type, alias)
#define ROW_ADDR(type) .addr = offsetof(type, addr), .has_addr = true

static bool streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* ---- the kinds ---- */

static bool pci_bus_model(const struct assign *a, const char *model)
{
    static const char *const pc[] = { "pci-bridge", NULL };
    static const char *const q35[] = { "pcie-root-port", "pci-bridge", "dmi-to-pci-bridge", "pcie-to-pci-bridge", NULL };

    for (const char *const *m = a->machine == MV_MACHINE_Q35 ? q35 : pc; *m; m++)
        if (streq(model, *m))
            return true;
    return false;
}

static bool pci_controller_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    const struct mv_dom_controller *ctl = dev;

    (void)i;
    if (ctl->type != MV_DOM_CONTROLLER_PCI)
        return false;
    if (ctl->index == 0)
        snprintf(buf, len, "%s", a->machine == MV_MACHINE_Q35 ? "pcie.0" : "pci.0");
    else
        snprintf(buf, len, "pci.%u", ctl->index);
    return true;
}

static bool pci_controller_pci(const struct assign *a, const void *dev)
{
    const struct mv_dom_controller *ctl = dev;

    return ctl->index > 0 && pci_bus_model(a, ctl->model);
}

/* PCI controllers are written by index: a bus exists before what plugs in */
static bool pci_controller_before(const void *x, const void *y)
{
    return ((const struct mv_dom_controller *)x)->index < ((const struct mv_dom_controller *)y)->index;
}

/* The SATA controller 0 of q35 and the IDE controller of pc are part of
 * the machine (its ICH9 and PIIX3): libvirt calls both "ide". */
static bool builtin_disk_controller(const struct assign *a, const struct mv_dom_controller *ctl)
{
    return ctl->index == 0 && ((a->machine == MV_MACHINE_Q35 && ctl->type == MV_DOM_CONTROLLER_SATA) ||
                               (a->machine == MV_MACHINE_PC && ctl->type == MV_DOM_CONTROLLER_IDE));
}

static bool controller_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    const struct mv_dom_controller *ctl = dev;

    (void)i;
    if (builtin_disk_controller(a, ctl)) {
        snprintf(buf, len, "ide");
        return true;
    }
    switch (ctl->type) {
    case MV_DOM_CONTROLLER_USB:
        /* a UHCI companion is part of its EHCI's bus and has no id (its
         * slot comes with the EHCI's: place_companions) */
        if (streq(ctl->model, "none") || ctl->master)
            return false;
        if (ctl->index == 0)
            snprintf(buf, len, "usb");
        else
            snprintf(buf, len, "usb%u", ctl->index);
        return true;
    case MV_DOM_CONTROLLER_SCSI:
        snprintf(buf, len, "scsi%u", ctl->index);
        return true;
    case MV_DOM_CONTROLLER_VIRTIO_SERIAL:
        snprintf(buf, len, "virtio-serial%u", ctl->index);
        return true;
    case MV_DOM_CONTROLLER_SATA:
        snprintf(buf, len, "sata%u", ctl->index);
        return true;
    default:
        return false;
    }
}

static bool controller_pci(const struct assign *a, const void *dev)
{
    const struct mv_dom_controller *ctl = dev;

    return ctl->type != MV_DOM_CONTROLLER_PCI && ctl->type != MV_DOM_CONTROLLER_IDE &&
           !builtin_disk_controller(a, ctl);
}

static bool disk_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)i;
    snprintf(buf, len, "%s", ((const struct mv_dom_disk *)dev)->target);
    return true;
}

static bool disk_pci(const struct assign *a, const void *dev)
{
    (void)a;
    return ((const struct mv_dom_disk *)dev)->bus == MV_DOM_DISK_BUS_VIRTIO;
}

static bool fs_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)dev;
    snprintf(buf, len, "fs%zu", i);
    return true;
}

static bool always(const struct assign *a, const void *dev)
{
    (void)a, (void)dev;
    return true;
}

static bool net_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)dev;
    snprintf(buf, len, "net%zu", i);
    return true;
}

static bool serial_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)dev;
    snprintf(buf, len, "serial%zu", i);
    return true;
}

/* A serial console is serial 0 itself (libvirt shows it with that alias) */
static bool console_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    const struct mv_dom_chr *con = dev;

    (void)a;
    if (!con->target_type || streq(con->target_type, "serial"))
        snprintf(buf, len, "serial%zu", i);
    else
        snprintf(buf, len, "console%zu", i);
    return true;
}

static bool channel_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)dev;
    snprintf(buf, len, "channel%zu", i);
    return true;
}

static bool input_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)dev;
    snprintf(buf, len, "input%zu", i);
    return true;
}

static bool input_pci(const struct assign *a, const void *dev)
{
    (void)a;
    return streq(((const struct mv_dom_input *)dev)->bus, "virtio");
}

static bool video_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a;
    if (streq(((const struct mv_dom_video *)dev)->model, "none"))
        return false;
    snprintf(buf, len, "video%zu", i);
    return true;
}

static bool video_pci(const struct assign *a, const void *dev)
{
    const char *model = ((const struct mv_dom_video *)dev)->model;

    (void)a;
    return !streq(model, "none") && !streq(model, "ramfb");
}

/* the primary video first: it gets the legacy VGA ports */
static bool video_before(const void *x, const void *y)
{
    return ((const struct mv_dom_video *)x)->primary && !((const struct mv_dom_video *)y)->primary;
}

static bool sound_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)dev;
    snprintf(buf, len, "sound%zu", i);
    return true;
}

/* sb16 is an ISA card and usb a USB device; the others are PCI */
static bool sound_pci(const struct assign *a, const void *dev)
{
    const char *model = ((const struct mv_dom_sound *)dev)->model;

    (void)a;
    return !streq(model, "sb16") && !streq(model, "usb");
}

static bool redirdev_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)dev;
    snprintf(buf, len, "redir%zu", i);
    return true;
}

static bool watchdog_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)dev;
    snprintf(buf, len, "watchdog%zu", i);
    return true;
}

static bool watchdog_pci(const struct assign *a, const void *dev)
{
    (void)a;
    return streq(((const struct mv_dom_watchdog *)dev)->model, "i6300esb");
}

static bool rng_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)dev;
    snprintf(buf, len, "rng%zu", i);
    return true;
}

static bool balloon_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)i;
    if (streq(((const struct mv_dom_memballoon *)dev)->model, "none"))
        return false;
    snprintf(buf, len, "balloon0");
    return true;
}

static bool balloon_pci(const struct assign *a, const void *dev)
{
    (void)a;
    return !streq(((const struct mv_dom_memballoon *)dev)->model, "none");
}

static bool panic_pci(const struct assign *a, const void *dev)
{
    (void)a;
    return streq(((const struct mv_dom_panic *)dev)->model, "pvpanic");
}

static bool hostdev_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)dev;
    snprintf(buf, len, "hostdev%zu", i);
    return true;
}

static bool panic_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)dev;
    snprintf(buf, len, "panic%zu", i);
    return true;
}

/* TPM (tpm-tis and tpm-crb are ISA and system-bus devices: no PCI slot) */
static bool tpm_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    (void)a, (void)dev;
    snprintf(buf, len, "tpm%zu", i);
    return true;
}

/* In command-line order (qemu_command.c's build_devices, then build_tail). */
static const struct dev_kind dev_kinds[] = {
    { "controller", ROW(controllers, struct mv_dom_controller), ROW_ADDR(struct mv_dom_controller),
      .id = pci_controller_id, .pci = pci_controller_pci, .before = pci_controller_before },
    { "controller", ROW(controllers, struct mv_dom_controller), ROW_ADDR(struct mv_dom_controller),
      .id = controller_id, .pci = controller_pci },
    { "disk", ROW(disks, struct mv_dom_disk), ROW_ADDR(struct mv_dom_disk), .id = disk_id, .pci = disk_pci },
    { "filesystem", ROW(filesystems, struct mv_dom_fs), ROW_ADDR(struct mv_dom_fs), .id = fs_id, .pci = always },
    { "interface", ROW(nets, struct mv_dom_net), ROW_ADDR(struct mv_dom_net), .id = net_id, .pci = always },
    { "serial", ROW(serials, struct mv_dom_chr), .id = serial_id },
    { "console", ROW(consoles, struct mv_dom_chr), .id = console_id },
    { "channel", ROW(channels, struct mv_dom_chr), .id = channel_id },
    { "input", ROW(inputs, struct mv_dom_input), ROW_ADDR(struct mv_dom_input), .id = input_id, .pci = input_pci },
    { "hostdev", ROW(hostdevs, struct mv_dom_hostdev), ROW_ADDR(struct mv_dom_hostdev), .id = hostdev_id,
      .pci = always },
    { "video", ROW(videos, struct mv_dom_video), ROW_ADDR(struct mv_dom_video), .id = video_id, .pci = video_pci,
      .before = video_before },
    { "sound", ROW(sounds, struct mv_dom_sound), ROW_ADDR(struct mv_dom_sound), .id = sound_id, .pci = sound_pci },
    { "redirdev", ROW(redirdevs, struct mv_dom_redirdev), .id = redirdev_id },
    { "watchdog", ROW(watchdogs, struct mv_dom_watchdog), ROW_ADDR(struct mv_dom_watchdog), .id = watchdog_id,
      .pci = watchdog_pci },
    { "rng", ROW(rngs, struct mv_dom_rng), ROW_ADDR(struct mv_dom_rng), .id = rng_id, .pci = always },
    { "memballoon", .array = offsetof(struct mv_dom_devices, memballoon), .single = true,
      .size = sizeof(struct mv_dom_memballoon), .alias = offsetof(struct mv_dom_memballoon, alias),
      ROW_ADDR(struct mv_dom_memballoon), .id = balloon_id, .pci = balloon_pci },
    { "panic", ROW(panics, struct mv_dom_panic), ROW_ADDR(struct mv_dom_panic), .id = panic_id,
      .pci = panic_pci },
    { "tpm", ROW(tpms, struct mv_dom_tpm), .id = tpm_id },
};

/* ---- walking the table ---- */

static size_t kind_count(const struct dev_kind *k, const struct mv_dom_devices *d)
{
    return k->single ? 1 : *(const size_t *)(const void *)((const char *)d + k->count);
}

static void *kind_elem(const struct dev_kind *k, struct mv_dom_devices *d, size_t i)
{
    char *base = k->single ? (char *)d + k->array : *(char **)(void *)((char *)d + k->array);

    return base + i * k->size;
}

static struct mv_dom_addr *elem_addr(const struct dev_kind *k, void *dev)
{
    return k->has_addr ? (struct mv_dom_addr *)(void *)((char *)dev + k->addr) : NULL;
}

static char **elem_alias(const struct dev_kind *k, void *dev)
{
    return (char **)(void *)((char *)dev + k->alias);
}

/* The elements of kind K in command-line order, into a malloc'd *ORDER. */
static int kind_order(const struct dev_kind *k, struct mv_dom_devices *d, size_t **order, size_t *n)
{
    *n = kind_count(k, d);
    *order = calloc(*n ? *n : 1, sizeof(**order));
    if (!*order)
        return -ENOMEM;
    for (size_t i = 0; i < *n; i++) {
        size_t j = i;

        /* insertion sort: stable, and the arrays are short */
        while (k->before && j > 0 && k->before(kind_elem(k, d, i), kind_elem(k, d, (*order)[j - 1]))) {
            (*order)[j] = (*order)[j - 1];
            j--;
        }
        (*order)[j] = i;
    }
    return 0;
}

/* ---- aliases ---- */

static int assign_aliases(struct assign *a)
{
    struct mv_dom_devices *d = &a->def->devices;
    char id[64];

    for (size_t r = 0; r < MV_ARRAY_SIZE(dev_kinds); r++) {
        const struct dev_kind *k = &dev_kinds[r];

        for (size_t i = 0; i < kind_count(k, d); i++) {
            void *dev = kind_elem(k, d, i);
            char **alias = elem_alias(k, dev);

            if (*alias || !k->id(a, dev, i, id, sizeof(id)))
                continue;
            if (!(*alias = strdup(id)))
                return -ENOMEM;
        }
    }
    return 0;
}

/* ---- drive addresses ---- */

/* "sdb" -> 1, "hdaa" -> 26: the letters after the two-letter prefix, as a
 * bijective base-26 number; -1 if the name does not have that shape. */
static int target_index(const char *target)
{
    long idx = 0;

    if (!target || strlen(target) < 3)
        return -1;
    for (const char *p = target + 2; *p; p++) {
        if (*p < 'a' || *p > 'z' || idx > 100000)
            return -1;
        idx = idx * 26 + (*p - 'a' + 1);
    }
    return (int)(idx - 1);
}

/* libvirt's rule: IDE has two buses of two units, an AHCI controller six
 * ports, a virtio-scsi controller seven units per controller by default. */
static void assign_drive(struct mv_dom_disk *disk)
{
    int idx = target_index(disk->target);
    struct mv_dom_addr *p = &disk->addr;

    if (disk->bus == MV_DOM_DISK_BUS_VIRTIO || p->type != MV_DOM_ADDR_NONE || idx < 0)
        return;     /* a name without a drive address is the builder's to refuse */
    *p = (struct mv_dom_addr){ .type = MV_DOM_ADDR_DRIVE };
    if (disk->bus == MV_DOM_DISK_BUS_IDE) {
        p->bus = (unsigned int)idx / 2;
        p->unit = (unsigned int)idx % 2;
    } else if (disk->bus == MV_DOM_DISK_BUS_SATA) {
        p->controller = (unsigned int)idx / AHCI_PORTS;
        p->unit = (unsigned int)idx % AHCI_PORTS;
    } else {
        p->controller = (unsigned int)idx / SCSI_DEFAULT_UNITS;
        p->unit = (unsigned int)idx % SCSI_DEFAULT_UNITS;
    }
}

/* ---- implicit controllers ---- */

static bool has_controller(const struct mv_dom_devices *d, enum mv_dom_controller_type type, unsigned int index)
{
    for (size_t i = 0; i < d->ncontrollers; i++)
        if (d->controllers[i].type == type && d->controllers[i].index == index)
            return true;
    return false;
}

/* Appends controller TYPE INDEX (MODEL may be NULL) unless there is one. */
static int add_controller(struct mv_dom_devices *d, enum mv_dom_controller_type type, unsigned int index,
                          const char *model)
{
    struct mv_dom_controller *grown;

    if (has_controller(d, type, index))
        return 0;
    grown = realloc(d->controllers, (d->ncontrollers + 1) * sizeof(*grown));
    if (!grown)
        return -ENOMEM;
    d->controllers = grown;
    grown[d->ncontrollers] = (struct mv_dom_controller){ .type = type, .index = index };
    if (model && !(grown[d->ncontrollers].model = strdup(model)))
        return -ENOMEM;
    d->ncontrollers++;
    return 0;
}

/* The root bus and the machine's own disk controller, at their fixed slots. */
static int add_builtin_controllers(struct assign *a)
{
    struct mv_dom_devices *d = &a->def->devices;
    bool q35 = a->machine == MV_MACHINE_Q35;
    enum mv_dom_controller_type disk = q35 ? MV_DOM_CONTROLLER_SATA : MV_DOM_CONTROLLER_IDE;
    int r = add_controller(d, MV_DOM_CONTROLLER_PCI, 0, q35 ? "pcie-root" : "pci-root");

    if (r < 0 || (r = add_controller(d, disk, 0, NULL)) < 0)
        return r;
    for (size_t i = 0; i < d->ncontrollers; i++) {
        struct mv_dom_controller *ctl = &d->controllers[i];

        if (builtin_disk_controller(a, ctl) && ctl->addr.type == MV_DOM_ADDR_NONE)
            ctl->addr = (struct mv_dom_addr){ .type = MV_DOM_ADDR_PCI, .slot = q35 ? 0x1f : 1,
                                              .function = q35 ? 2 : 1 };
    }
    return 0;
}

static bool needs_virtio_serial(const struct mv_dom_devices *d)
{
    for (size_t i = 0; i < d->nconsoles; i++)
        if (streq(d->consoles[i].target_type, "virtio"))
            return true;
    return d->nchannels > 0;
}

/* libvirt's default: a tablet is USB, a mouse or keyboard PS/2; SPICE USB
 * redirection and USB audio plug into USB too */
static bool needs_usb(const struct mv_dom_devices *d)
{
    if (d->nredirdevs)
        return true;
    for (size_t i = 0; i < d->nsounds; i++)
        if (streq(d->sounds[i].model, "usb"))
            return true;
    for (size_t i = 0; i < d->ninputs; i++) {
        const struct mv_dom_input *in = &d->inputs[i];

        if (in->bus ? streq(in->bus, "usb") : streq(in->type, "tablet"))
            return true;
    }
    return false;
}

/* The controllers the devices need, in the order qemu_command.c has
 * always added them after the listed ones (SATA and SCSI by index, then
 * virtio-serial, then USB), so that the command line stays the same. */
static int add_needed_controllers(struct assign *a)
{
    struct mv_dom_devices *d = &a->def->devices;
    uint32_t sata = 0, scsi = 0;
    int r = 0;

    for (size_t i = 0; i < d->ndisks; i++) {
        const struct mv_dom_disk *disk = &d->disks[i];

        if (disk->addr.type != MV_DOM_ADDR_DRIVE || disk->addr.controller >= CONTROLLERS_MAX)
            continue;
        if (disk->bus == MV_DOM_DISK_BUS_SATA)
            sata |= 1u << disk->addr.controller;
        else if (disk->bus == MV_DOM_DISK_BUS_SCSI)
            scsi |= 1u << disk->addr.controller;
    }
    for (unsigned int i = 0; r >= 0 && i < CONTROLLERS_MAX; i++) {
        if (sata & (1u << i))
            r = add_controller(d, MV_DOM_CONTROLLER_SATA, i, NULL);
        if (r >= 0 && (scsi & (1u << i)))
            r = add_controller(d, MV_DOM_CONTROLLER_SCSI, i, "virtio-scsi");
    }
    if (r >= 0 && needs_virtio_serial(d))
        r = add_controller(d, MV_DOM_CONTROLLER_VIRTIO_SERIAL, 0, NULL);
    if (r >= 0 && needs_usb(d))
        r = add_controller(d, MV_DOM_CONTROLLER_USB, 0,
                           a->machine == MV_MACHINE_Q35 ? "qemu-xhci" : "piix3-uhci");
    return r;
}

/* A missing <memballoon> is a virtio balloon (libvirt's default): shown. */
static int fill_memballoon(struct mv_dom_devices *d)
{
    if (d->memballoon.given)
        return 0;
    d->memballoon.given = true;
    free(d->memballoon.model);
    d->memballoon.model = strdup("virtio");
    return d->memballoon.model ? 0 : -ENOMEM;
}

/* ---- PCI slots ---- */

/* Slots of the root bus the machine itself occupies: the host bridge at 0;
 * PIIX3 (ISA, IDE, ACPI) at 1 on pc, ICH9 LPC/SATA/SMBus at 0x1f on q35. */
static uint32_t builtin_slots(const struct assign *a)
{
    return a->machine == MV_MACHINE_Q35 ? (1u << 0) | (1u << 0x1f) : (1u << 0) | (1u << 1);
}

/* Every slot an address in the XML takes, so that a device without one
 * never gets it. */
static void reserve_slots(struct assign *a)
{
    struct mv_dom_devices *d = &a->def->devices;

    a->root_slots = builtin_slots(a);
    for (size_t r = 0; r < MV_ARRAY_SIZE(dev_kinds); r++) {
        const struct dev_kind *k = &dev_kinds[r];

        for (size_t i = 0; k->has_addr && i < kind_count(k, d); i++) {
            const struct mv_dom_addr *p = elem_addr(k, kind_elem(k, d, i));

            if (p->type == MV_DOM_ADDR_PCI && p->domain == 0 && p->bus == 0 && p->slot < ROOT_SLOTS)
                a->root_slots |= 1u << p->slot;
        }
    }
}

static int assign_slot(struct assign *a, struct mv_dom_addr *p, const char *kind, size_t i,
                       int *errcode, char **errmsg)
{
    for (unsigned int slot = 0; slot < ROOT_SLOTS; slot++) {
        if (a->root_slots & (1u << slot))
            continue;
        a->root_slots |= 1u << slot;
        *p = (struct mv_dom_addr){ .type = MV_DOM_ADDR_PCI, .slot = slot };
        return 0;
    }
    *errcode = MV_ERR_CONFIG_UNSUPPORTED;
    return mv_errmsg_set(errmsg, -ENOSPC, "unsupported configuration: %s %zu: no free slot left on the root PCI bus",
                         kind, i);
}

/* An ich9-ehci1 just given slot S and its UHCI companions without
 * addresses: one multifunction device as on a real ICH9, where guests look
 * for them (EHCI at function 7, ich9-uhciN at N-1, function 0 multifunction). */
static void place_companions(struct mv_dom_devices *d, const void *dev, struct mv_dom_addr *p)
{
    const struct mv_dom_controller *ehci = dev;
    bool any = false;

    if (ehci->type != MV_DOM_CONTROLLER_USB || !streq(ehci->model, "ich9-ehci1"))
        return;
    for (size_t i = 0; i < d->ncontrollers; i++) {
        struct mv_dom_controller *ctl = &d->controllers[i];
        size_t n = ctl->model ? strlen(ctl->model) : 0;

        if (ctl->type != MV_DOM_CONTROLLER_USB || !ctl->master || ctl->index != ehci->index ||
            ctl->addr.type != MV_DOM_ADDR_NONE || n == 0 || ctl->model[n - 1] < '1' || ctl->model[n - 1] > '3')
            continue;
        ctl->addr = (struct mv_dom_addr){ .type = MV_DOM_ADDR_PCI, .slot = p->slot,
                                          .function = (unsigned int)(ctl->model[n - 1] - '1') };
        ctl->addr.multifunction = ctl->addr.function == 0;
        any = true;
    }
    if (any)
        p->function = 7;
}

static int assign_kind_slots(struct assign *a, const struct dev_kind *k, int *errcode, char **errmsg)
{
    struct mv_dom_devices *d = &a->def->devices;
    _cleanup_free_ size_t *order = NULL;
    char id[64];
    size_t n;
    int r = kind_order(k, d, &order, &n);

    for (size_t j = 0; r >= 0 && j < n; j++) {
        void *dev = kind_elem(k, d, order[j]);
        struct mv_dom_addr *p = elem_addr(k, dev);

        if (p->type != MV_DOM_ADDR_NONE || !k->id(a, dev, order[j], id, sizeof(id)) || !k->pci(a, dev))
            continue;
        r = assign_slot(a, p, k->name, order[j], errcode, errmsg);
        if (r >= 0 && k->array == offsetof(struct mv_dom_devices, controllers))
            place_companions(d, dev, p);
    }
    return r;
}

static bool same_pci_addr(const struct mv_dom_addr *x, const struct mv_dom_addr *y)
{
    return x->type == MV_DOM_ADDR_PCI && y->type == MV_DOM_ADDR_PCI && x->domain == y->domain &&
           x->bus == y->bus && x->slot == y->slot && x->function == y->function;
}

/* DEV (of kind K) is given a function the machine has built in: the host
 * bridge; PIIX3's ISA bridge and ACPI on pc (its IDE at 1.1 is the ide
 * controller itself; 1.2 is free, where libvirt puts the USB controller);
 * ICH9's LPC and SMBus on q35 (its SATA at 1f.2 is the sata controller). */
static bool on_builtin_function(const struct assign *a, const struct dev_kind *k, void *dev)
{
    const struct mv_dom_addr *p = elem_addr(k, dev);
    unsigned int own = a->machine == MV_MACHINE_Q35 ? 0x1f : 1;

    if (p->type != MV_DOM_ADDR_PCI || p->domain != 0 || p->bus != 0)
        return false;
    if (p->slot == 0)
        return true;
    if (p->slot != own)
        return false;
    if (p->function == 0 || p->function == 3)
        return true;
    return p->function == (own == 1 ? 1u : 2u) &&
           !(k->array == offsetof(struct mv_dom_devices, controllers) && builtin_disk_controller(a, dev));
}

/* The PCI addresses the XML gives: none twice, none the machine's own (as
 * libvirt refuses them at define; QEMU would only say "slot not available"). */
static int check_given_addresses(struct assign *a, int *errcode, char **errmsg)
{
    struct mv_dom_devices *d = &a->def->devices;

    for (size_t r = 0; r < MV_ARRAY_SIZE(dev_kinds); r++)
        for (size_t i = 0; dev_kinds[r].has_addr && i < kind_count(&dev_kinds[r], d); i++) {
            const struct dev_kind *k = &dev_kinds[r];
            void *dev = kind_elem(k, d, i);
            const struct mv_dom_addr *p = elem_addr(k, dev);

            *errcode = MV_ERR_CONFIG_UNSUPPORTED;
            if (on_builtin_function(a, k, dev))
                return mv_errmsg_set(errmsg, -EINVAL, "unsupported configuration: %s %zu: PCI address "
                                     "0000:00:%02x.%x belongs to the machine itself", k->name, i, p->slot,
                                     p->function);
            for (size_t r2 = r; r2 < MV_ARRAY_SIZE(dev_kinds); r2++)
                for (size_t j = 0; dev_kinds[r2].has_addr && j < kind_count(&dev_kinds[r2], d); j++) {
                    const struct mv_dom_addr *q = elem_addr(&dev_kinds[r2], kind_elem(&dev_kinds[r2], d, j));

                    if (q != p && (r2 > r || j > i) && same_pci_addr(p, q))
                        return mv_errmsg_set(errmsg, -EINVAL, "unsupported configuration: %s %zu and %s %zu both "
                                             "have PCI address %04x:%02x:%02x.%x", k->name, i, dev_kinds[r2].name,
                                             j, p->domain, p->bus, p->slot, p->function);
                }
        }
    *errcode = MV_ERR_NO_MEMORY;
    return 0;
}

static int assign_slots(struct assign *a, int *errcode, char **errmsg)
{
    int r = check_given_addresses(a, errcode, errmsg);

    if (r < 0)
        return r;
    reserve_slots(a);
    for (size_t i = 0; r >= 0 && i < MV_ARRAY_SIZE(dev_kinds); i++)
        if (dev_kinds[i].has_addr && dev_kinds[i].pci)
            r = assign_kind_slots(a, &dev_kinds[i], errcode, errmsg);
    return r;
}

static int assign(struct mv_dom_def *def, bool aliases, int *errcode, char **errmsg)
{
    struct assign a = { .def = def, .machine = mv_machine_family(def->os.machine) };
    int r;

    *errcode = MV_ERR_NO_MEMORY;
    *errmsg = NULL;
    if (a.machine == MV_MACHINE_UNSUPPORTED)
        return 0;       /* the command line builder refuses it by name */
    for (size_t i = 0; i < def->devices.ndisks; i++)
        assign_drive(&def->devices.disks[i]);
    if ((r = add_builtin_controllers(&a)) < 0 || (r = add_needed_controllers(&a)) < 0 ||
        (r = fill_memballoon(&def->devices)) < 0 || (r = assign_slots(&a, errcode, errmsg)) < 0 ||
        (aliases && (r = assign_aliases(&a)) < 0)) {
        if (r == -ENOMEM && !*errmsg)
            *errmsg = strdup("out of memory");
        return r;
    }
    return 0;
}

int mv_dom_assign(struct mv_dom_def *def, int *errcode, char **errmsg)
{
    return assign(def, true, errcode, errmsg);
}

int mv_dom_assign_addresses(struct mv_dom_def *def, int *errcode, char **errmsg)
{
    return assign(def, false, errcode, errmsg);
}

/* Calls FN on every device's alias slot (an element two rows share, the
 * controllers, comes twice: the same slot). */
static const char *find_alias(const struct mv_dom_def *def, const char *(*fn)(const char *alias, void *opaque),
                              void *opaque)
{
    struct mv_dom_devices *d = (struct mv_dom_devices *)&def->devices;     /* only read */
    const char *found = NULL;

    for (size_t r = 0; !found && r < MV_ARRAY_SIZE(dev_kinds); r++)
        for (size_t i = 0; !found && i < kind_count(&dev_kinds[r], d); i++)
            found = fn(*elem_alias(&dev_kinds[r], kind_elem(&dev_kinds[r], d, i)), opaque);
    return found;
}

/* X again, in another slot (another char *) */
static const char *same_user_alias(const char *alias, void *opaque)
{
    const char *x = opaque;

    return alias && alias != x && strcmp(alias, x) == 0 ? x : NULL;
}

static const char *user_alias_twice(const char *alias, void *opaque)
{
    if (!alias || strncmp(alias, "ua-", 3) != 0)
        return NULL;
    return find_alias(opaque, same_user_alias, (void *)alias);
}

const char *mv_dom_duplicate_user_alias(const struct mv_dom_def *def)
{
    return find_alias(def, user_alias_twice, (void *)def);
}
