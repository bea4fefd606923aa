/*
 * The device kinds of the assign pass (domain_address_priv.h): one row per
 * kind, saying where its elements, alias and address live, its QEMU id and
 * whether it takes a PCI slot.  The rows are in the order in which
 * qemu_command.c writes the devices, because slots are handed out in that
 * order: a device the pass gives slot N is the device QEMU would have put
 * at N.
 *
 * The ids are the ones the command line has always used (qemu_command.c
 * lists them), not libvirt's "virtio-disk0" or "sata0-0-0": the QMP code
 * finds disks, chardevs and the balloon by those ids, and the same XML must
 * give the same command line.  A disk's id is its target ("vda"), which is
 * also what virsh domblklist shows and what virsh takes for a disk.
 */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "domain_address_priv.h"

#define ROW(field, type) \
    .array = offsetof(struct mv_dom_devices, field), .count = offsetof(struct mv_dom_devices, n##field), \
    .size = sizeof(type), .alias = offsetof(type, alias)
#define ROW_ADDR(type) .addr = offsetof(type, addr), .has_addr = true

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
bool addr_builtin_disk_controller(const struct assign *a, const struct mv_dom_controller *ctl)
{
    return ctl->index == 0 && ((a->machine == MV_MACHINE_Q35 && ctl->type == MV_DOM_CONTROLLER_SATA) ||
                               (a->machine == MV_MACHINE_PC && ctl->type == MV_DOM_CONTROLLER_IDE));
}

static bool controller_id(const struct assign *a, const void *dev, size_t i, char *buf, size_t len)
{
    const struct mv_dom_controller *ctl = dev;

    (void)i;
    if (addr_builtin_disk_controller(a, ctl)) {
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
           !addr_builtin_disk_controller(a, ctl);
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

static bool always(const struct assign *a, const void *dev)
{
    (void)a, (void)dev;
    return true;
}

/* A serial console is serial 0 itself: without a <serial>, the one QEMU
 * makes for it (beside a <serial>, domain_alias.c gives it that serial's) */
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

/* sb16 is an ISA card and usb a USB device; the others are PCI */
static bool sound_pci(const struct assign *a, const void *dev)
{
    const char *model = ((const struct mv_dom_sound *)dev)->model;

    (void)a;
    return !streq(model, "sb16") && !streq(model, "usb");
}

static bool watchdog_pci(const struct assign *a, const void *dev)
{
    (void)a;
    return streq(((const struct mv_dom_watchdog *)dev)->model, "i6300esb");
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

bool addr_kind_id(const struct dev_kind *k, const struct assign *a, const void *dev, size_t i, char *buf,
                  size_t len)
{
    if (k->id)
        return k->id(a, dev, i, buf, len);
    snprintf(buf, len, "%s%zu", k->prefix, i);
    return true;
}

/* In command-line order (qemu_command.c's build_devices, then build_tail). */
const struct dev_kind addr_kinds[] = {
    { "controller", ROW(controllers, struct mv_dom_controller), ROW_ADDR(struct mv_dom_controller),
      .id = pci_controller_id, .pci = pci_controller_pci, .before = pci_controller_before },
    { "controller", ROW(controllers, struct mv_dom_controller), ROW_ADDR(struct mv_dom_controller),
      .id = controller_id, .pci = controller_pci },
    { "disk", ROW(disks, struct mv_dom_disk), ROW_ADDR(struct mv_dom_disk), .id = disk_id, .pci = disk_pci },
    { "filesystem", ROW(filesystems, struct mv_dom_fs), ROW_ADDR(struct mv_dom_fs), .prefix = "fs", .pci = always },
    { "interface", ROW(nets, struct mv_dom_net), ROW_ADDR(struct mv_dom_net), .prefix = "net", .pci = always },
    { "serial", ROW(serials, struct mv_dom_chr), .prefix = "serial" },
    { "console", ROW(consoles, struct mv_dom_chr), .id = console_id },
    { "channel", ROW(channels, struct mv_dom_chr), .prefix = "channel" },
    { "input", ROW(inputs, struct mv_dom_input), ROW_ADDR(struct mv_dom_input), .prefix = "input", .pci = input_pci },
    { "hostdev", ROW(hostdevs, struct mv_dom_hostdev), ROW_ADDR(struct mv_dom_hostdev), .prefix = "hostdev",
      .pci = always },
    { "video", ROW(videos, struct mv_dom_video), ROW_ADDR(struct mv_dom_video), .id = video_id, .pci = video_pci,
      .before = video_before },
    { "sound", ROW(sounds, struct mv_dom_sound), ROW_ADDR(struct mv_dom_sound), .prefix = "sound", .pci = sound_pci },
    { "redirdev", ROW(redirdevs, struct mv_dom_redirdev), .prefix = "redir" },
    { "watchdog", ROW(watchdogs, struct mv_dom_watchdog), ROW_ADDR(struct mv_dom_watchdog), .prefix = "watchdog",
      .pci = watchdog_pci },
    { "rng", ROW(rngs, struct mv_dom_rng), ROW_ADDR(struct mv_dom_rng), .prefix = "rng", .pci = always },
    { "memballoon", .array = offsetof(struct mv_dom_devices, memballoon), .single = true,
      .size = sizeof(struct mv_dom_memballoon), .alias = offsetof(struct mv_dom_memballoon, alias),
      ROW_ADDR(struct mv_dom_memballoon), .id = balloon_id, .pci = balloon_pci },
    { "panic", ROW(panics, struct mv_dom_panic), ROW_ADDR(struct mv_dom_panic), .prefix = "panic",
      .pci = panic_pci },
    /* tpm-tis and tpm-crb are ISA and system-bus devices: no PCI slot */
    { "tpm", ROW(tpms, struct mv_dom_tpm), .prefix = "tpm" },
};

const size_t addr_nkinds = MV_ARRAY_SIZE(addr_kinds);

/* ---- walking the table ---- */

size_t addr_kind_count(const struct dev_kind *k, const struct mv_dom_devices *d)
{
    return k->single ? 1 : *(const size_t *)(const void *)((const char *)d + k->count);
}

void *addr_kind_elem(const struct dev_kind *k, struct mv_dom_devices *d, size_t i)
{
    char *base = k->single ? (char *)d + k->array : *(char **)(void *)((char *)d + k->array);

    return base + i * k->size;
}

struct mv_dom_addr *addr_elem_addr(const struct dev_kind *k, void *dev)
{
    return k->has_addr ? (struct mv_dom_addr *)(void *)((char *)dev + k->addr) : NULL;
}

char **addr_elem_alias(const struct dev_kind *k, void *dev)
{
    return (char **)(void *)((char *)dev + k->alias);
}

bool addr_kind_is_controller(const struct dev_kind *k)
{
    return !k->single && k->array == offsetof(struct mv_dom_devices, controllers);
}

int addr_kind_order(const struct dev_kind *k, struct mv_dom_devices *d, size_t **order, size_t *n)
{
    *n = addr_kind_count(k, d);
    *order = calloc(*n ? *n : 1, sizeof(**order));
    if (!*order)
        return -ENOMEM;
    for (size_t i = 0; i < *n; i++) {
        size_t j = i;

        /* insertion sort: stable, and the arrays are short */
        while (k->before && j > 0 && k->before(addr_kind_elem(k, d, i), addr_kind_elem(k, d, (*order)[j - 1]))) {
            (*order)[j] = (*order)[j - 1];
            j--;
        }
        (*order)[j] = i;
    }
    return 0;
}

int addr_for_each(struct mv_dom_devices *d, addr_each_fn *fn, void *opaque)
{
    for (size_t r = 0; r < addr_nkinds; r++) {
        const struct dev_kind *k = &addr_kinds[r];

        for (size_t i = 0; k->has_addr && i < addr_kind_count(k, d); i++) {
            void *dev = addr_kind_elem(k, d, i);
            int ret = fn(k, i, dev, addr_elem_addr(k, dev), opaque);

            if (ret)
                return ret;
        }
    }
    return 0;
}
