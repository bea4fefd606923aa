/*
 * The TPM: a tpm-tis or tpm-crb device on a TPM backend.  An emulated TPM
 * is swtpm, which the daemon started before QEMU (qemud/tpm.c) listening on
 * ctx->tpm_socket; QEMU connects to it as a chardev.  A passthrough TPM is
 * the host device itself (its existence is checked at start, not here: this
 * builder does no I/O).
 */
#include <errno.h>
#include <stdio.h>

#include "cleanup.h"
#include "qemu_command_priv.h"

static int tpm_backend(struct cmd *c, const struct mv_dom_tpm *tpm, const char *id)
{
    _cleanup_opt_ struct opt chr = { 0 };
    _cleanup_opt_ struct opt dev = { 0 };
    int r;

    if (tpm->backend == MV_DOM_TPM_BACKEND_PASSTHROUGH) {
        opt_kv(&dev, NULL, "passthrough");
        opt_kv(&dev, "id", "tpm-%s", id);
        opt_kv(&dev, "path", "%s", tpm->device_path);
        return cmd_opt(c, "-tpmdev", &dev);
    }
    if (!c->ctx->tpm_socket)
        return cmd_internal(c, "no swtpm socket for the TPM of domain '%s'", cmd_quote(c, c->def->name));
    opt_kv(&chr, NULL, "socket");
    opt_kv(&chr, "id", "chrtpm");
    opt_kv(&chr, "path", "%s", c->ctx->tpm_socket);
    if ((r = cmd_opt(c, "-chardev", &chr)) < 0)
        return r;
    opt_kv(&dev, NULL, "emulator");
    opt_kv(&dev, "id", "tpm-%s", id);
    opt_kv(&dev, "chardev", "chrtpm");
    return cmd_opt(c, "-tpmdev", &dev);
}

int build_tpm(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    const struct mv_dom_tpm *tpm = d->tpms;
    const char *id = tpm && tpm->alias ? tpm->alias : "tpm0";
    _cleanup_opt_ struct opt o = { 0 };
    int r;

    if (d->ntpms == 0)
        return 0;
    if (d->ntpms > 1)
        return cmd_refuse(c, "only one TPM is supported");
    if (!is_qemu_id(id, 32))
        return cmd_internal(c, "TPM alias '%s' is not a QEMU id", cmd_quote(c, id));
    if ((r = tpm_backend(c, tpm, id)) < 0)
        return r;
    opt_kv(&o, NULL, "%s", mv_dom_tpm_model_to_string(tpm->model));
    opt_kv(&o, "tpmdev", "tpm-%s", id);
    opt_kv(&o, "id", "%s", id);
    return cmd_opt(c, "-device", &o);
}
