/*
 * The host capabilities XML (virConnectGetCapabilities) in libvirt's format,
 * valid against libvirt's capability.rng, claiming only what is true of this
 * host and of what modvirt-qemud can run.
 */
#pragma once

#include <stdbool.h>

#include "host_node.h"
#include "qemu_probe.h"

struct mv_host_caps_input {
    const struct mv_node_info *node;    /* required: arch and CPU topology */
    const struct mv_qemu_caps *qemu;    /* NULL = no <guest> (no usable emulator) */
    bool kvm_usable;                    /* mv_kvm_probe() == 1: adds <domain type='kvm'/> */
    const char *host_uuid;              /* may be NULL: no <uuid> */
    const char *sysroot;                /* for /proc/cpuinfo and the NUMA topology */
};

/*
 * Formats <capabilities> into *xml (caller frees): <host> (uuid, cpu arch,
 * vendor, signature and topology, iommu, NUMA cells, secmodel none) and one
 * x86_64 hvm <guest> listing QEMU's machine types.  0 / -errno (-EINVAL for
 * a missing node or a relative emulator path).
 */
int mv_host_capabilities_format(const struct mv_host_caps_input *in, char **xml);
