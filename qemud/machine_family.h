/*
 * The machine types modvirt-qemud builds command lines for: the i440fx "pc"
 * and the "q35" families.  One predicate, so that what the domain
 * capabilities offer and what starting a guest accepts cannot drift apart.
 */
#pragma once

#include <stdbool.h>
#include <string.h>

enum mv_machine_family { MV_MACHINE_UNSUPPORTED = -1, MV_MACHINE_PC, MV_MACHINE_Q35 };

/* The family of machine type NAME (alias or canonical); NULL is QEMU's default, a pc. */
static inline enum mv_machine_family mv_machine_family(const char *name)
{
    if (!name || strcmp(name, "pc") == 0 || strncmp(name, "pc-i440fx-", 10) == 0 ||
        (strncmp(name, "pc-", 3) == 0 && name[3] >= '0' && name[3] <= '9'))
        return MV_MACHINE_PC;
    if (strcmp(name, "q35") == 0 || strncmp(name, "pc-q35-", 7) == 0)
        return MV_MACHINE_Q35;
    return MV_MACHINE_UNSUPPORTED;
}
