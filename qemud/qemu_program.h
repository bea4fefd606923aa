/*
 * libvirt's QEMU program (0x20008087) in modvirt-qemud: the monitor
 * passthrough, raw QMP events, and the table of its procedures.  The guest
 * agent's passthrough (DOMAIN_AGENT_COMMAND) is served by the agent's own
 * table (agent_procs.c) with MV_QEMU_HANDLER.
 */
#pragma once

#include "server.h"

extern const struct mv_dispatch_table qemud_qemu_program_table;

/* Hooks the monitor events into every domain's QMP monitor; before the
 * daemon serves (qemud_driver_init).  0 or -errno. */
int qemud_qemu_program_init(void);
