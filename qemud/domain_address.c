/*
 * The assign pass (domain_address.h): the order of its steps.  Each step
 * has a file of its own, and every step walks the devices through one
 * table of device kinds (domain_address_priv.h):
 *
 *   domain_address_drive.c        drive addresses from disk target names
 *   domain_controllers_implicit.c controllers QEMU has without being asked
 *   domain_address_pci.c          given PCI addresses checked, slots handed out
 *   domain_alias.c                aliases (= QEMU ids), user aliases unique
 *   domain_address_kinds.c        the table: ids and "takes a PCI slot"
 *
 * Drives come first because they decide which SATA/SCSI controllers exist;
 * the controllers before the slots because they take slots too.
 *
 * ADDING A DEVICE KIND <kind>: give its struct `char *alias` (and
 * `struct mv_dom_addr addr` if it sits on a bus); add one row to
 * addr_kinds[] at the place its -device comes in the command line, with
 * KIND_id writing its id ("kindN") and, if some models are PCI devices,
 * KIND_pci saying which; format and parse the alias (dom_format_alias,
 * dom_parse_alias).  Its qemu_cmd_*.c part then writes the device with
 * opt_id() (id=ALIAS: without an alias that is an internal error) and, for
 * a PCI model, opt_pci_addr() (the address the pass chose).
 */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "domain_address.h"
#include "domain_address_priv.h"
#include "error_codes.h"

static int assign(struct mv_dom_def *def, bool aliases, int *errcode, char **errmsg)
{
    struct assign a = { .def = def, .machine = mv_machine_family(def->os.machine) };
    int r;

    *errcode = MV_ERR_NO_MEMORY;
    *errmsg = NULL;
    if (a.machine == MV_MACHINE_UNSUPPORTED)
        return 0;       /* the command line builder refuses it by name */
    addr_assign_drives(&def->devices);
    if ((r = addr_check_drives(&def->devices, errcode, errmsg)) < 0 || (r = addr_add_implicit(&a)) < 0 ||
        (r = addr_assign_slots(&a, errcode, errmsg)) < 0 || (aliases && (r = addr_assign_aliases(&a)) < 0)) {
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
