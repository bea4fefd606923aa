/*
 * The domain capabilities XML (virConnectGetDomainCapabilities) in
 * libvirt's format, valid against libvirt's domaincaps.rng: for one
 * emulator, architecture, machine type and accelerator, what a domain
 * definition may use.  Built from the QEMU probe, the KVM verdict and the
 * installed firmware descriptors, and held to what modvirt-qemud's parser
 * and command line builder accept: every enum value listed is one a guest
 * can be defined and started with (tests/integration/qemud-domcaps.sh walks
 * them), and what qemud cannot do is marked supported='no'.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "firmware.h"
#include "qemu_probe.h"

/* The four optional arguments of the call; NULL means "the default". */
struct mv_domain_caps_request {
    const char *emulatorbin, *arch, *machine, *virttype;
};

/* What a request resolves to. */
struct mv_domain_caps_choice {
    size_t machine;                 /* index into qemu->machines: the canonical name */
    bool kvm;                       /* accelerator: KVM, else TCG */
};

/*
 * Resolves REQ against the probed QEMU and the KVM verdict: the emulator must
 * be the QEMU qemud runs (its path, or another absolute path to the same
 * file), the architecture x86_64, the machine one QEMU
 * offers (alias or canonical; default: QEMU's default) and qemud starts (pc
 * and q35 families), the virttype "qemu" or "kvm" (default: kvm when usable).
 * 0; -EINVAL (bad argument) or -ENOTSUP (kvm asked, not usable) with
 * *errmsg (caller frees) naming the value refused; -ENOMEM.
 */
int mv_domain_caps_choose(const struct mv_qemu_caps *qemu, bool kvm_usable,
                          const struct mv_domain_caps_request *req,
                          struct mv_domain_caps_choice *choice, char **errmsg);

/* What the host offers for <tpm> (qemud/tpm.c probes it). */
struct mv_domain_caps_tpm {
    bool passthrough;               /* a host TPM device exists */
    bool emulator;                  /* swtpm and swtpm_setup are installed and answer */
    bool v1_2, v2_0;                /* the TPM versions they can emulate */
};

struct mv_domain_caps_input {
    const struct mv_qemu_caps *qemu;            /* required, with binary */
    struct mv_domain_caps_choice choice;
    int kvm_max_vcpus;                          /* KVM's vCPU limit, when choice.kvm */
    const struct mv_firmware_list *firmware;    /* NULL = none installed */
    bool virtiofs;                              /* virtiofsd is installed (virtiofs.h) */
    bool vfio_usable;                           /* the host has VFIO (/dev/vfio/vfio) */
    const struct mv_domain_caps_tpm *tpm;       /* NULL = no TPM can be used */
};

/* Formats <domainCapabilities> into *xml (caller frees); 0 / -EINVAL / -ENOMEM. */
int mv_domain_caps_format(const struct mv_domain_caps_input *in, char **xml);
