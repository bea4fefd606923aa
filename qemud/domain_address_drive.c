/*
 * Drive addresses of the assign pass: where a SATA, SCSI or IDE disk sits
 * on its controller.  A disk without an <address> gets the one libvirt
 * derives from its target name, so that the controllers it needs can be
 * listed and the address shown; then no two disks may share one, as libvirt
 * refuses at define: QEMU would only fail at start, naming neither disk.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "domain_address_priv.h"
#include "errmsg.h"
#include "error_codes.h"

#define AHCI_PORTS 6
#define SCSI_DEFAULT_UNITS 7

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

void addr_assign_drives(struct mv_dom_devices *d)
{
    for (size_t i = 0; i < d->ndisks; i++)
        assign_drive(&d->disks[i]);
}

/* X and Y are on the same kind of bus, at the same place: a SATA and a SCSI
 * disk at controller 0 unit 0 are on different controllers. */
static bool same_drive(const struct mv_dom_disk *x, const struct mv_dom_disk *y)
{
    const struct mv_dom_addr *p = &x->addr, *q = &y->addr;

    return p->type == MV_DOM_ADDR_DRIVE && q->type == MV_DOM_ADDR_DRIVE && x->bus == y->bus &&
           p->controller == q->controller && p->bus == q->bus && p->target == q->target && p->unit == q->unit;
}

int addr_check_drives(const struct mv_dom_devices *d, int *errcode, char **errmsg)
{
    for (size_t i = 0; i < d->ndisks; i++)
        for (size_t j = 0; j < i; j++) {
            const struct mv_dom_addr *p = &d->disks[i].addr;

            if (!same_drive(&d->disks[j], &d->disks[i]))
                continue;
            *errcode = MV_ERR_XML_ERROR;
            return mv_errmsg_set(errmsg, -EINVAL, "XML error: disks '%s' and '%s' both have drive address "
                                 "controller='%u' bus='%u' target='%u' unit='%u'", d->disks[j].target,
                                 d->disks[i].target, p->controller, p->bus, p->target, p->unit);
        }
    return 0;
}
