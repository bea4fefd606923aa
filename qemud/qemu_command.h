/*
 * The QEMU command line for a domain definition: one pure function, no I/O,
 * golden-tested against tests/qemuargs/NAME.args.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domain_def.h"

/* What the command line needs besides the definition. */
struct mv_qemu_cmd_ctx {
    const char *emulator;           /* binary to run when the XML names none */
    const char *monitor_path;       /* QMP unix socket QEMU listens on */
    bool kvm_usable;                /* type='kvm' is refused when false */
    /* one entry per def->devices.nets[i]: the open tap fd QEMU inherits for
     * type bridge/network, -1 for type user */
    const int *net_fds;
    size_t nnet_fds;
};

/* Builds the argument vector (argv[0] is the emulator) into a malloc'd,
 * NULL-terminated *ARGV (free with mv_strv_free).  Returns 0, or <0 with
 * *ERRCODE (MV_ERR_CONFIG_UNSUPPORTED / MV_ERR_INVALID_ARG) and *ERRMSG naming
 * what cannot be run, e.g. "unsupported configuration: domain type 'kvm' is
 * not usable on this host (KVM cannot run guests); use type='qemu'". */
int mv_qemu_build_argv(const struct mv_dom_def *def, const struct mv_qemu_cmd_ctx *ctx,
                       char ***argv, int *errcode, char **errmsg);
