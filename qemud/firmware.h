/*
 * The guest firmware installed for QEMU, as its packages describe it in
 * QEMU's firmware descriptors (<datadir>/qemu/firmware/NAME.json, the
 * interop format of QEMU's docs/interop/firmware.json).  Only firmware
 * modvirt-qemud can start is kept: UEFI in a raw flash image for the
 * requested architecture.  Firmware that requires SMM (Debian's secure
 * boot builds) gets SMM turned on when it is chosen.
 *
 * <os firmware='efi'> is resolved here at start, on the live definition,
 * as libvirt 9.0 does (later libvirt resolves it at define time): the first
 * descriptor in file name order that fits the machine and the domain's
 * <firmware> features gives the loader and the nvram template.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domain_def.h"

/* Where Debian's ovmf (and every distribution's QEMU firmware) installs its descriptors. */
#define MV_FIRMWARE_DESCRIPTOR_DIR "/usr/share/qemu/firmware"
/* Most descriptors read from one directory, and the largest one read. */
#define MV_FIRMWARE_MAX 64
#define MV_FIRMWARE_DESCRIPTOR_MAX (64 * 1024)

struct mv_firmware {
    char *executable;               /* the code image, absolute path */
    char *nvram_template;           /* its variable store template, or NULL */
    char **machines;                /* NULL-terminated machine type globs it is made for */
    bool requires_smm;              /* its variables are guarded by SMM (secure boot builds) */
    bool secure_boot;               /* can enforce secure boot */
    bool enrolled_keys;             /* its template has secure boot keys enrolled (on by default) */
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

/* What the daemon knows beyond the definition when it resolves one. */
struct mv_firmware_fill_ctx {
    const struct mv_firmware_list *list;
    const char *dir;                /* where LIST was read from, for messages */
    const char *machine;            /* the domain's machine type, canonical ("pc-q35-7.2") */
    const char *nvram_path;         /* the domain's own variable store when it names none */
};

/*
 * Resolves the firmware of DEF, a live definition about to start:
 * firmware='efi' becomes the chosen read-only pflash loader (secure='yes'
 * and SMM on when the firmware requires SMM), its nvram template and
 * DEF's variable store (CTX->nvram_path unless DEF names one); a named
 * read-only pflash loader without a template gets the template of the
 * descriptor naming that loader, if one does, and SMM when it requires it.
 * 0, or <0 with *ERRCODE (MV_ERR_OPERATION_FAILED / _INVALID) and *ERRMSG
 * (caller frees) naming the domain and what no firmware satisfies.
 */
int mv_firmware_fill(struct mv_dom_def *def, const struct mv_firmware_fill_ctx *ctx, int *errcode,
                     char **errmsg);

/*
 * At start: resolves LIVE's firmware from the descriptors of
 * MV_FIRMWARE_DESCRIPTOR_DIR for canonical machine type MACHINE
 * (mv_firmware_fill, the default store under STATEDIR), then checks its
 * loader and creates its variable store (mv_nvram_prepare).  0, or <0 with
 * *ERRCODE and *ERRMSG (caller frees).
 */
int mv_firmware_prepare(struct mv_dom_def *live, const char *machine, const char *statedir, int *errcode,
                        char **errmsg);
