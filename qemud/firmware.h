/*
 * The guest firmware installed for QEMU, as its packages describe it in
 * QEMU's firmware descriptors (<datadir>/qemu/firmware/NAME.json, the
 * interop format of QEMU's docs/interop/firmware.json).  Only firmware
 * modvirt-qemud can start is kept: UEFI in a raw flash image for the
 * requested architecture, and none that requires SMM (qemud does not
 * enable it, and such firmware stops in its early boot without it).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Where Debian's ovmf (and every distribution's QEMU firmware) installs its descriptors. */
#define MV_FIRMWARE_DESCRIPTOR_DIR "/usr/share/qemu/firmware"
/* Most descriptors read from one directory, and the largest one read. */
#define MV_FIRMWARE_MAX 64
#define MV_FIRMWARE_DESCRIPTOR_MAX (64 * 1024)

struct mv_firmware {
    char *executable;               /* the code image, absolute path */
    char *nvram_template;           /* its variable store template, or NULL */
    char **machines;                /* NULL-terminated machine type globs it is made for */
};

struct mv_firmware_list {
    struct mv_firmware *items;      /* in descriptor file name order: their priority */
    size_t n;
};

/*
 * Reads the descriptors of DIR (NULL: MV_FIRMWARE_DESCRIPTOR_DIR) into
 * LIST (caller clears it), keeping the usable ones for ARCH ("x86_64").
 * A missing DIR is an empty list; a descriptor that cannot be read or
 * parsed is skipped with a debug line naming it.  0 / -ENOMEM / -errno of
 * opening DIR.
 */
int mv_firmware_scan(const char *dir, const char *arch, struct mv_firmware_list *list);

/* Frees what LIST owns and zeroes it; safe on a zeroed list. */
void mv_firmware_list_clear(struct mv_firmware_list *list);

/* Whether FW is made for machine type MACHINE (a canonical name). */
bool mv_firmware_fits_machine(const struct mv_firmware *fw, const char *machine);
