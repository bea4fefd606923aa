/*
 * PCI slots of the assign pass.  A device without an <address> gets the
 * lowest root-bus slot that neither the machine nor any <address> in the
 * XML uses, in command-line order: that is where QEMU itself would have
 * put it, so the command line stays what it was, and a slot written into
 * the definition keeps a guest's view of its devices (NIC names come from
 * slots) across later edits.  Given addresses are checked first, as libvirt
 * does at define: QEMU would only say "slot not available".
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_address_priv.h"
#include "errmsg.h"
#include "error_codes.h"

#define ROOT_SLOTS 32

/* Slots of the root bus the machine itself occupies: the host bridge at 0;
 * PIIX3 (ISA, IDE, ACPI) at 1 on pc, ICH9 LPC/SATA/SMBus at 0x1f on q35. */
static uint32_t builtin_slots(const struct assign *a)
{
    return a->machine == MV_MACHINE_Q35 ? (1u << 0) | (1u << 0x1f) : (1u << 0) | (1u << 1);
}

static int reserve_one(const struct dev_kind *k, size_t i, void *dev, struct mv_dom_addr *p, void *opaque)
{
    struct assign *a = opaque;

    (void)k, (void)i, (void)dev;
    if (p->type == MV_DOM_ADDR_PCI && p->domain == 0 && p->bus == 0 && p->slot < ROOT_SLOTS)
        a->root_slots |= 1u << p->slot;
    return 0;
}

/* Every slot an address in the XML takes, so that a device without one
 * never gets it. */
static void reserve_slots(struct assign *a)
{
    a->root_slots = builtin_slots(a);
    addr_for_each(&a->def->devices, reserve_one, a);
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
    int r = addr_kind_order(k, d, &order, &n);

    for (size_t j = 0; r >= 0 && j < n; j++) {
        void *dev = addr_kind_elem(k, d, order[j]);
        struct mv_dom_addr *p = addr_elem_addr(k, dev);

        if (p->type != MV_DOM_ADDR_NONE || !addr_kind_id(k, a, dev, order[j], id, sizeof(id)) || !k->pci(a, dev))
            continue;
        r = assign_slot(a, p, k->name, order[j], errcode, errmsg);
        if (r >= 0 && addr_kind_is_controller(k))
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
static bool on_builtin_function(const struct assign *a, const struct dev_kind *k, void *dev,
                                const struct mv_dom_addr *p)
{
    unsigned int own = a->machine == MV_MACHINE_Q35 ? 0x1f : 1;

    if (p->type != MV_DOM_ADDR_PCI || p->domain != 0 || p->bus != 0)
        return false;
    if (p->slot == 0)
        return true;
    if (p->slot != own)
        return false;
    if (p->function == 0 || p->function == 3)
        return true;
    return p->function == (own == 1 ? 1u : 2u) && !(addr_kind_is_controller(k) && addr_builtin_disk_controller(a, dev));
}

/* A check of one given address against the others. */
struct given {
    struct assign *a;
    const struct dev_kind *k;   /* the element checked, P at index I */
    size_t i;
    const struct mv_dom_addr *p;
    int *errcode;
    char **errmsg;
};

static int same_as_given(const struct dev_kind *k, size_t j, void *dev, struct mv_dom_addr *q, void *opaque)
{
    struct given *g = opaque;

    (void)dev;
    if (q == g->p || !same_pci_addr(g->p, q))
        return 0;
    *g->errcode = MV_ERR_CONFIG_UNSUPPORTED;
    return mv_errmsg_set(g->errmsg, -EINVAL, "unsupported configuration: %s %zu and %s %zu both have PCI address "
                         "%04x:%02x:%02x.%x", g->k->name, g->i, k->name, j, q->domain, q->bus, q->slot, q->function);
}

static int check_given(const struct dev_kind *k, size_t i, void *dev, struct mv_dom_addr *p, void *opaque)
{
    struct given *g = opaque;

    if (on_builtin_function(g->a, k, dev, p)) {
        *g->errcode = MV_ERR_CONFIG_UNSUPPORTED;
        return mv_errmsg_set(g->errmsg, -EINVAL, "unsupported configuration: %s %zu: PCI address "
                             "0000:00:%02x.%x belongs to the machine itself", k->name, i, p->slot, p->function);
    }
    if (p->type != MV_DOM_ADDR_PCI)
        return 0;
    g->k = k, g->i = i, g->p = p;
    return addr_for_each(&g->a->def->devices, same_as_given, g);
}

/* The PCI addresses the XML gives: none twice, none the machine's own.  The
 * first element (in table order) with a twin is named first. */
static int check_given_addresses(struct assign *a, int *errcode, char **errmsg)
{
    struct given g = { .a = a, .errcode = errcode, .errmsg = errmsg };

    return addr_for_each(&a->def->devices, check_given, &g);
}

int addr_assign_slots(struct assign *a, int *errcode, char **errmsg)
{
    int r = check_given_addresses(a, errcode, errmsg);

    if (r < 0)
        return r;
    reserve_slots(a);
    for (size_t i = 0; r >= 0 && i < addr_nkinds; i++)
        if (addr_kinds[i].has_addr && addr_kinds[i].pci)
            r = assign_kind_slots(a, &addr_kinds[i], errcode, errmsg);
    return r;
}
