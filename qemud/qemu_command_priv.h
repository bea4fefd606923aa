/*
 * Private to the QEMU command line builder (qemu_command.c and the
 * qemu_cmd_*.c files, one per part of the machine): the vector being built,
 * the option writer, the error helpers, and each part's entry points.
 * qemu_command.c has the order in which the parts are written.
 */
#pragma once

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>
#include <string.h>

#include "cleanup.h"
#include "qemu_command.h"

#define VNC_PORT_BASE 5900
/* Longest disk target we turn into a device id and node names (QEMU allows
 * 31 characters in a node name; "-storage" takes 8). */
#define DISK_TARGET_MAX 20
/* Controllers of one kind we track by index (bitmask). */
#define CONTROLLERS_MAX 32
#define AHCI_PORTS 6
#define ISA_SERIAL_PORTS 4

enum machine_family { MACHINE_PC, MACHINE_Q35 };

/* The vector being built and what to report when the definition is refused. */
struct cmd {
    const struct mv_dom_def *def;
    const struct mv_qemu_cmd_ctx *ctx;
    enum machine_family machine;
    bool kvm;
    char **argv;
    size_t argc, cap;
    int errcode;
    char *errmsg;
    char **quoted;          /* cmd_quote() results, freed with the builder */
    size_t nquoted;
};

/* One option argument, "driver,key=value,...", built with opt_kv(). */
struct opt {
    char *buf;
    size_t len;
    int err;
};
void opt_done(struct opt *o);
#define _cleanup_opt_ _cleanup_(opt_done)

/* PCI controllers that make a bus named pci.INDEX. */
struct pci_model {
    const char *model, *device;
    enum machine_family machine;
    const char *chassis;        /* property that takes the index, or NULL */
};

/* Where a disk sits on its controller's bus. */
struct disk_place {
    unsigned int controller, bus, target, unit;
};

/* qemu_command.c: errors (user values in messages go through cmd_quote)
 * and the vector */
const char *cmd_quote(struct cmd *c, const char *s);
__attribute__((format(printf, 2, 3)))
int cmd_refuse(struct cmd *c, const char *fmt, ...);
__attribute__((format(printf, 2, 3)))
int cmd_internal(struct cmd *c, const char *fmt, ...);
__attribute__((format(printf, 3, 4)))
void opt_kv(struct opt *o, const char *key, const char *fmt, ...);
void opt_onoff(struct opt *o, const char *key, bool on);
int cmd_arg(struct cmd *c, const char *arg);
int cmd_pair(struct cmd *c, const char *flag, const char *arg);
int cmd_opt(struct cmd *c, const char *flag, struct opt *o);

/* qemu_cmd_pci.c */
const struct pci_model *pci_model(const struct cmd *c, const char *model);
int opt_pci_addr(struct cmd *c, struct opt *o, const struct mv_dom_addr *a, const char *what);
int pci_check_builtin_addr(struct cmd *c, const struct mv_dom_addr *a, unsigned int slot,
                           unsigned int function, const char *what);
int opt_id(struct cmd *c, struct opt *o, const char *alias, const char *what);
void opt_bootindex(struct opt *o, unsigned int boot_order);
bool is_qemu_id(const char *s, size_t max);

/* qemu_cmd_machine.c */
int check_os(struct cmd *c);
int build_accel(struct cmd *c);
int build_smp(struct cmd *c);
int build_identity(struct cmd *c);
int build_uuid_defaults_monitor(struct cmd *c);
int build_pm(struct cmd *c);
int cmd_action(struct cmd *c, const char *event, const char *what);
int build_lifecycle(struct cmd *c);

/* qemu_cmd_memory.c: -m, the RAM's memory backends and guest NUMA nodes */
int build_memory(struct cmd *c);
/* Whether all guest RAM is shared memory another process can map by fd
 * (vhost-user, virtiofsd): memfd, file or hugepages with access shared. */
bool memory_is_shared(const struct mv_dom_def *def);

/* QEMU's default CPU model for x86_64, written when properties need a model */
#define QEMU_DEFAULT_CPU_MODEL "qemu64"

/* qemu_cmd_cpu.c */
int build_cpu(struct cmd *c);

/* qemu_cmd_clock.c: -rtc and the timers; the paravirtual timers' and the
 * TSC's -cpu properties (appended to O) */
int build_clock(struct cmd *c);
int cpu_clock_props(struct cmd *c, struct opt *o);

/* qemu_cmd_features.c: -no-acpi, the extended TSEG, vmcoreinfo; the
 * -machine properties (appended to M), -accel's (to A) and the -cpu
 * properties (to O) of <features> */
int build_features(struct cmd *c);
int machine_feature_props(struct cmd *c, struct opt *m);
int accel_feature_props(struct cmd *c, struct opt *a);
int cpu_feature_props(struct cmd *c, struct opt *o);
/* How the <features> or <clock> element that owns the -cpu property PROP
 * (kvm-pv-eoi, kvm-pv-unhalt, kvmclock, kvm-*, pmu) sets it, with the
 * element's name in *ELEMENT; ABSENT when no element sets it. */
enum mv_tristate cpu_prop_owner(const struct cmd *c, const char *prop, const char **element);

/* qemu_cmd_boot.c */
void opt_machine_firmware(const struct cmd *c, struct opt *m);
int build_loader(struct cmd *c);
int build_kernel(struct cmd *c);
int build_boot(struct cmd *c);
int check_bios_serial(struct cmd *c);

/* qemu_cmd_sysinfo.c */
int build_smbios(struct cmd *c);

/* qemu_cmd_controllers.c */
const struct mv_dom_controller *find_controller(const struct mv_dom_devices *d,
                                                enum mv_dom_controller_type type, unsigned int index);
int build_controller(struct cmd *c, const struct mv_dom_controller *ctl);
int build_pci_controllers(struct cmd *c);

/* qemu_cmd_disk.c */
int build_disk(struct cmd *c, const struct mv_dom_disk *d);

/* qemu_cmd_net.c */
int build_net(struct cmd *c, size_t i);

/* qemu_cmd_chardev.c */
bool has_spice_display(const struct cmd *c);
int build_chr_devices(struct cmd *c);
int build_redirdevs(struct cmd *c);

/* qemu_cmd_sound.c */
int build_audiodevs(struct cmd *c);
int build_sounds(struct cmd *c);

/* qemu_cmd_display.c */
int build_input(struct cmd *c, size_t i);
int build_graphics(struct cmd *c);
int build_videos(struct cmd *c);

/* qemu_cmd_devices.c */
int build_watchdog(struct cmd *c);
int build_rng(struct cmd *c, size_t i);
int build_memballoon(struct cmd *c);
int build_panic(struct cmd *c);

/* qemu_cmd_fs.c */
int build_filesystem(struct cmd *c, size_t i);

/* qemu_cmd_iothreads.c */
int build_iothreads(struct cmd *c);
int check_cputune(struct cmd *c);
void opt_iothread(struct opt *o, unsigned int id);

/* qemu_cmd_hostdev.c */
int build_hostdevs(struct cmd *c);

/* qemu_cmd_seclabel.c */
int check_seclabels(struct cmd *c);

/* qemu_cmd_tpm.c */
int build_tpm(struct cmd *c);
