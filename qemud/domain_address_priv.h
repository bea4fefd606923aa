/*
 * Private to the assign pass (domain_address*.c, domain_alias.c,
 * domain_controllers_implicit.c).  The pass walks every device through one
 * table of device kinds (domain_address_kinds.c) instead of knowing each
 * array, so that a new kind of device is one row, not an edit in every step.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "domain_def.h"
#include "machine_family.h"

/* One run of the pass over a definition. */
struct assign {
    struct mv_dom_def *def;
    enum mv_machine_family machine;
    uint32_t root_slots;        /* bit N: slot N of the root bus is taken */
};

/* A kind of device: where its elements, alias and address live in
 * struct mv_dom_devices, and what QEMU makes of them. */
struct dev_kind {
    const char *name;                   /* in messages */
    size_t array, count, size, alias;   /* offsets in mv_dom_devices / in an element */
    size_t addr;                        /* offset of its struct mv_dom_addr */
    bool has_addr;
    bool single;                        /* ARRAY is the one element itself (memballoon) */
    /* Writes the QEMU id of element I into BUF; false when it makes no QEMU
     * device, or belongs to another row over the same array.  NULL: the id
     * is PREFIX and I (most kinds; see addr_kind_id). */
    bool (*id)(const struct assign *a, const void *dev, size_t i, char *buf, size_t len);
    const char *prefix;
    /* Takes a PCI slot (when it has no address); NULL: never. */
    bool (*pci)(const struct assign *a, const void *dev);
    /* Comes before B in the command line; NULL: array order. */
    bool (*before)(const void *dev_a, const void *dev_b);
};

/* ---- the table (domain_address_kinds.c) ---- */

/* Every kind, in the order qemu_command.c writes them. */
extern const struct dev_kind addr_kinds[];
extern const size_t addr_nkinds;

/* The QEMU id of element I of kind K into BUF (its id function, or PREFIX
 * and I); false when it makes no QEMU device of this row. */
bool addr_kind_id(const struct dev_kind *k, const struct assign *a, const void *dev, size_t i, char *buf,
                  size_t len);
size_t addr_kind_count(const struct dev_kind *k, const struct mv_dom_devices *d);
void *addr_kind_elem(const struct dev_kind *k, struct mv_dom_devices *d, size_t i);
/* NULL for a kind without an address */
struct mv_dom_addr *addr_elem_addr(const struct dev_kind *k, void *dev);
char **addr_elem_alias(const struct dev_kind *k, void *dev);
/* The elements of kind K in command-line order, into a malloc'd *ORDER. */
int addr_kind_order(const struct dev_kind *k, struct mv_dom_devices *d, size_t **order, size_t *n);
/* Whether K is the row of the controllers (a UHCI companion follows its EHCI). */
bool addr_kind_is_controller(const struct dev_kind *k);

/* FN on every element that has an address field, in table order; stops at
 * and returns the first nonzero result.  Controllers come twice (two rows
 * share their array): the same element, so compare by pointer. */
typedef int addr_each_fn(const struct dev_kind *k, size_t i, void *dev, struct mv_dom_addr *p, void *opaque);
int addr_for_each(struct mv_dom_devices *d, addr_each_fn *fn, void *opaque);

/* The SATA controller 0 of q35 / IDE controller of pc: part of the machine. */
bool addr_builtin_disk_controller(const struct assign *a, const struct mv_dom_controller *ctl);

/* ---- the steps ---- */

/* domain_address_drive.c: drive addresses of SATA/SCSI/IDE disks from their
 * target names, then none twice. */
void addr_assign_drives(struct mv_dom_devices *d);
int addr_check_drives(const struct mv_dom_devices *d, int *errcode, char **errmsg);

/* domain_controllers_implicit.c: the controllers (and the balloon) QEMU has
 * without being asked, listed. */
int addr_add_implicit(struct assign *a);

/* domain_address_pci.c: given PCI addresses checked, the others handed out. */
int addr_assign_slots(struct assign *a, int *errcode, char **errmsg);

/* domain_alias.c: every device's alias. */
int addr_assign_aliases(struct assign *a);
