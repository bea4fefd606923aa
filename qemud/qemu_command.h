/*
 * The QEMU command line for a domain definition: one pure function, no I/O,
 * golden-tested against tests/qemuargs/NAME.args.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domain_def.h"

/* A size of huge pages the host has (/sys/kernel/mm/hugepages), with the
 * hugetlbfs mount that serves it, if any. */
struct mv_qemu_hugepages {
    unsigned long long page_kib;
    unsigned long long free_pages;
    const char *mount;              /* NULL: no hugetlbfs mounted with this size */
};

/* What the command line needs besides the definition. */
struct mv_qemu_cmd_ctx {
    const char *emulator;           /* binary to run when the XML names none */
    const char *monitor_path;       /* QMP unix socket QEMU listens on */
    bool kvm_usable;                /* type='kvm' is refused when false */
    /* one entry per def->devices.nets[i]: the open tap fd QEMU inherits for
     * type bridge/network, -1 for type user */
    const int *net_fds;
    size_t nnet_fds;
    /* hotplug: one entry per def->devices.nets[i], the name under which
     * the tap fd was given to QEMU ("getfd"), used instead of net_fds;
     * NULL for none */
    const char *const *net_fd_names;
    size_t nnet_fd_names;
    /* hotplug: one entry per def->devices.disks[i], the path QEMU opens
     * instead of the source ("/dev/fdset/N" for a file passed with
     * "add-fd": a file not in the guest's private root); NULL for none */
    const char *const *disk_open_paths;
    size_t ndisk_open_paths;
    /* one entry per def->devices.disks[i]: for an encrypted disk, the 0600
     * file holding its passphrase (raw bytes) that QEMU's secret object
     * reads, so that the passphrase is never in argv; NULL otherwise */
    const char *const *disk_secret_files;
    size_t ndisk_secret_files;
    /* host memory facts for <memoryBacking> and <numatune>: the NUMA nodes
     * that hold memory (ascending; none: refuse any nodeset), the huge page
     * sizes (the first is the default size), the directory where
     * <source type='file'/> RAM lives (NULL: refused) */
    const unsigned int *host_nodes;
    size_t nhost_nodes;
    const struct mv_qemu_hugepages *hugepages;
    size_t nhugepages;
    const char *memory_dir;
    /* one entry per def->devices.filesystems[i]: for a virtiofs filesystem
     * whose virtiofsd qemud runs, the vhost-user socket it listens on
     * (virtiofs.h); NULL otherwise */
    const char *const *fs_sockets;
    size_t nfs_sockets;
    /* the host's online CPUs as sysfs lists them ("0-3"): <cputune>
     * cpusets must stay within; NULL: not checked */
    const char *host_cpus_online;
    /* the guests' cgroups get the cpu controller (guest_cgroup.h): the
     * start writes <cputune> shares/period/quota there; false: refused */
    bool cgroup_cpu;
    /* the LSMs the host runs: a <seclabel> of model selinux/apparmor is
     * refused by name without its LSM */
    bool host_selinux, host_apparmor;
    /* <smbios mode='host'>: the host's SMBIOS strings (its uuid is left
     * out: a guest's is its own); NULL when the host has none */
    const struct mv_dom_sysinfo *host_sysinfo;
    /* an emulated <tpm>: the control socket swtpm listens on (qemud/tpm.h) */
    const char *tpm_socket;
    /* the CPU features the accelerator can give the guest (QEMU's -cpu
     * names, sorted, NULL-terminated: qemu_probe.h's tcg_cpu_features or
     * host_facts.h's kvm_cpu_features); <feature policy='optional'> is
     * turned on only when listed.  NULL: not known, optional is refused */
    const char *const *accel_cpu_features;
    /* QEMU waits for its state on the monitor ("-incoming defer", then
     * migrate-incoming): a restore from a save image */
    bool incoming_defer;
};

/* DEF is a live copy that has been through mv_dom_assign()
 * (domain_address.h): every device's id is its alias and every address is
 * chosen; the builder chooses none.
 * Builds the argument vector (argv[0] is the emulator) into a malloc'd,
 * NULL-terminated *ARGV (free with mv_strv_free).  Returns 0, or <0 with
 * *ERRCODE and *ERRMSG naming what cannot be run: MV_ERR_CONFIG_UNSUPPORTED
 * for the definition, e.g. "unsupported configuration: domain type 'kvm' is
 * not usable on this host (KVM cannot run guests); use type='qemu'";
 * MV_ERR_INTERNAL_ERROR when CTX or the live parts of DEF are incomplete (no
 * tap fd for a bridge/network interface, no socket path for a unix channel);
 * MV_ERR_NO_MEMORY.  Device ids and block node names are listed at the top
 * of qemu_command.c. */
int mv_qemu_build_argv(const struct mv_dom_def *def, const struct mv_qemu_cmd_ctx *ctx,
                       char ***argv, int *errcode, char **errmsg);

/* Devices added to a running QEMU (qemud/hotplug*.c). */
enum mv_qemu_device_kind { MV_QEMU_DEV_DISK, MV_QEMU_DEV_NET, MV_QEMU_DEV_CONTROLLER };

/* What the command line of DEF says for its device KIND number INDEX, and
 * nothing else: pairs of option and argument ("-blockdev", "driver=file,...",
 * "-device", "virtio-blk-pci,..."), in the order QEMU needs them, into a
 * malloc'd NULL-terminated *ARGV.  The same code builds the command line,
 * so a device hotplugged is the device a start would have made.  Errors as
 * mv_qemu_build_argv(). */
int mv_qemu_build_device(const struct mv_dom_def *def, const struct mv_qemu_cmd_ctx *ctx,
                         enum mv_qemu_device_kind kind, size_t index, char ***argv, int *errcode, char **errmsg);
