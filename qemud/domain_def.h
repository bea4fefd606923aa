/*
 * A domain's definition: the parsed form of libvirt's domain XML for what a
 * typical Linux guest uses.  domain_parse.c fills it (refusing anything it
 * cannot honour, by name), domain_format.c writes it back, qemu_command.c
 * turns it into a QEMU command line.
 *
 * Ownership: a struct mv_dom_def owns every string and array below; free it
 * with mv_dom_def_free().  A definition a domain object publishes (its def
 * or live) is an immutable snapshot: readers take a reference
 * (mv_dom_def_ref) under the domain's lock and read it after unlocking, and
 * a change builds a new definition and swaps the pointer.  Enum fields use 0 for "not given" where the XML
 * allows leaving the attribute out, so formatting writes back only what the
 * user wrote plus the values the parser fills in (uuid, mac, KiB units).
 */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "cleanup.h"
#include "uuid.h"

/* Both set and equal. */
static inline bool streq(const char *a, const char *b)
{
    return a && b && strcmp(a, b) == 0;
}

/* ---- enum <-> string: tables are indexed by the enum value ---- */
#define MV_ENUM_DECL(name) \
    const char *name##_to_string(int value); \
    int name##_from_string(const char *s)   /* -1 if unknown */

/* ---- common pieces ---- */

/* <address type='pci' domain bus slot function/> or type='drive'
 * controller bus target unit; type NONE when absent. */
enum mv_dom_addr_type { MV_DOM_ADDR_NONE, MV_DOM_ADDR_PCI, MV_DOM_ADDR_DRIVE, MV_DOM_ADDR_LAST };
MV_ENUM_DECL(mv_dom_addr_type);

struct mv_dom_addr {
    enum mv_dom_addr_type type;
    unsigned int domain, bus, slot, function;       /* PCI */
    unsigned int controller, target, unit;          /* drive (uses bus too) */
    bool multifunction;                             /* PCI multifunction='on' */
};

/* ---- top level ---- */

enum mv_dom_virt { MV_DOM_VIRT_QEMU, MV_DOM_VIRT_KVM, MV_DOM_VIRT_LAST };
MV_ENUM_DECL(mv_dom_virt);

/* on_poweroff / on_reboot / on_crash */
enum mv_dom_lifecycle_action {
    MV_DOM_LIFECYCLE_DEFAULT,       /* absent: poweroff/crash destroy, reboot restart */
    MV_DOM_LIFECYCLE_DESTROY,
    MV_DOM_LIFECYCLE_RESTART,
    MV_DOM_LIFECYCLE_PRESERVE,
    MV_DOM_LIFECYCLE_LAST
};
MV_ENUM_DECL(mv_dom_lifecycle_action);

enum mv_dom_boot_dev {
    MV_DOM_BOOT_HD, MV_DOM_BOOT_CDROM, MV_DOM_BOOT_NETWORK, MV_DOM_BOOT_FD, MV_DOM_BOOT_LAST
};
MV_ENUM_DECL(mv_dom_boot_dev);
#define MV_DOM_BOOT_DEVS_MAX 4

enum mv_dom_loader_type { MV_DOM_LOADER_DEFAULT, MV_DOM_LOADER_ROM, MV_DOM_LOADER_PFLASH, MV_DOM_LOADER_LAST };
MV_ENUM_DECL(mv_dom_loader_type);

enum mv_tristate { MV_TRISTATE_ABSENT, MV_TRISTATE_YES, MV_TRISTATE_NO };

/* <os firmware=...>: which firmware the daemon picks from QEMU's firmware
 * descriptors at start (qemud/firmware.h); NONE = the loader the XML names,
 * or QEMU's own BIOS */
enum mv_dom_os_firmware { MV_DOM_OS_FIRMWARE_NONE, MV_DOM_OS_FIRMWARE_BIOS, MV_DOM_OS_FIRMWARE_EFI,
                          MV_DOM_OS_FIRMWARE_LAST };
MV_ENUM_DECL(mv_dom_os_firmware);

/* <os><smbios mode=...>: where the guest's SMBIOS strings come from; NONE = absent (emulate) */
enum mv_dom_smbios_mode { MV_DOM_SMBIOS_NONE, MV_DOM_SMBIOS_EMULATE, MV_DOM_SMBIOS_HOST, MV_DOM_SMBIOS_SYSINFO,
                          MV_DOM_SMBIOS_LAST };
MV_ENUM_DECL(mv_dom_smbios_mode);

struct mv_dom_os {
    char *type;                     /* "hvm" (the only one accepted) */
    char *arch;                     /* "x86_64"; NULL = host arch */
    char *machine;                  /* "pc-i440fx-7.2", "q35"; NULL = QEMU default */
    enum mv_dom_os_firmware firmware;
    /* <firmware><feature name='secure-boot|enrolled-keys' enabled=.../>:
     * what the auto-selected firmware must (YES) or must not (NO) have */
    enum mv_tristate fw_secure_boot, fw_enrolled_keys;
    enum mv_dom_boot_dev boot[MV_DOM_BOOT_DEVS_MAX];
    size_t nboot;
    char *kernel, *initrd, *cmdline, *dtb;
    bool loader_given;              /* a <loader> element (it may have no path with firmware='efi') */
    char *loader;                   /* path */
    enum mv_dom_loader_type loader_type;
    enum mv_tristate loader_readonly;
    enum mv_tristate loader_secure; /* secure='yes': flash writable only from SMM */
    /* <nvram template=T>PATH</nvram>: the domain's own variable store PATH,
     * created from T at first start (qemud/nvram.h); define fills PATH in
     * for a read-only pflash loader, start fills T from the descriptors */
    char *nvram, *nvram_template;
    enum mv_tristate bootmenu;      /* <bootmenu enable='yes|no'/> */
    bool bootmenu_timeout_given;
    unsigned int bootmenu_timeout;  /* timeout= in ms */
    bool bios_given;                /* a <bios> element */
    enum mv_tristate bios_useserial;        /* <bios useserial=...> */
    bool bios_reboot_timeout_given;
    int bios_reboot_timeout;        /* <bios rebootTimeout=...> ms, -1 = never */
    enum mv_dom_smbios_mode smbios;
};

/* <sysinfo type='smbios'>: SMBIOS strings for the guest (<os><smbios
 * mode='sysinfo'/>).  Each section is an array indexed by its entry enum;
 * NULL = entry absent. */
enum mv_sysinfo_bios { MV_SYSINFO_BIOS_VENDOR, MV_SYSINFO_BIOS_VERSION, MV_SYSINFO_BIOS_DATE,
                       MV_SYSINFO_BIOS_RELEASE, MV_SYSINFO_BIOS_LAST };
MV_ENUM_DECL(mv_sysinfo_bios);
enum mv_sysinfo_system { MV_SYSINFO_SYSTEM_MANUFACTURER, MV_SYSINFO_SYSTEM_PRODUCT, MV_SYSINFO_SYSTEM_VERSION,
                         MV_SYSINFO_SYSTEM_SERIAL, MV_SYSINFO_SYSTEM_UUID, MV_SYSINFO_SYSTEM_SKU,
                         MV_SYSINFO_SYSTEM_FAMILY, MV_SYSINFO_SYSTEM_LAST };
MV_ENUM_DECL(mv_sysinfo_system);
enum mv_sysinfo_board { MV_SYSINFO_BOARD_MANUFACTURER, MV_SYSINFO_BOARD_PRODUCT, MV_SYSINFO_BOARD_VERSION,
                        MV_SYSINFO_BOARD_SERIAL, MV_SYSINFO_BOARD_ASSET, MV_SYSINFO_BOARD_LOCATION,
                        MV_SYSINFO_BOARD_LAST };
MV_ENUM_DECL(mv_sysinfo_board);
enum mv_sysinfo_chassis { MV_SYSINFO_CHASSIS_MANUFACTURER, MV_SYSINFO_CHASSIS_VERSION, MV_SYSINFO_CHASSIS_SERIAL,
                          MV_SYSINFO_CHASSIS_ASSET, MV_SYSINFO_CHASSIS_SKU, MV_SYSINFO_CHASSIS_LAST };
MV_ENUM_DECL(mv_sysinfo_chassis);

struct mv_dom_sysinfo {
    bool given;                     /* a <sysinfo type='smbios'> element */
    char *bios[MV_SYSINFO_BIOS_LAST];
    char *system[MV_SYSINFO_SYSTEM_LAST];
    char *(*boards)[MV_SYSINFO_BOARD_LAST];         /* one per <baseBoard> */
    size_t nboards;
    char *chassis[MV_SYSINFO_CHASSIS_LAST];
    char **oem_strings;             /* <oemStrings><entry> texts */
    size_t noem_strings;
};

/* Frees what SI owns and zeroes it. */
void mv_dom_sysinfo_clear(struct mv_dom_sysinfo *si);

enum mv_dom_cpu_mode {
    MV_DOM_CPU_MODE_ABSENT,         /* no <cpu> element */
    MV_DOM_CPU_MODE_CUSTOM, MV_DOM_CPU_MODE_HOST_MODEL, MV_DOM_CPU_MODE_HOST_PASSTHROUGH,
    MV_DOM_CPU_MODE_MAXIMUM,
    MV_DOM_CPU_MODE_LAST
};
MV_ENUM_DECL(mv_dom_cpu_mode);

/* <cpu><feature policy=...>; the parser fills in "require" when absent */
enum mv_dom_cpu_feature_policy {
    MV_DOM_CPU_FEATURE_FORCE, MV_DOM_CPU_FEATURE_REQUIRE, MV_DOM_CPU_FEATURE_OPTIONAL,
    MV_DOM_CPU_FEATURE_DISABLE, MV_DOM_CPU_FEATURE_FORBID, MV_DOM_CPU_FEATURE_LAST
};
MV_ENUM_DECL(mv_dom_cpu_feature_policy);

struct mv_dom_cpu_feature {
    char *name;                     /* as written (libvirt's or QEMU's spelling) */
    enum mv_dom_cpu_feature_policy policy;
};

/* memAccess of a NUMA cell and <memoryBacking><access mode>; DEFAULT = absent */
enum mv_dom_mem_access { MV_DOM_MEM_ACCESS_DEFAULT, MV_DOM_MEM_ACCESS_SHARED, MV_DOM_MEM_ACCESS_PRIVATE,
                         MV_DOM_MEM_ACCESS_LAST };
MV_ENUM_DECL(mv_dom_mem_access);

/* A set of ids (vCPUs, host NUMA nodes): ascending, distinct. */
struct mv_dom_idset {
    unsigned int *ids;
    size_t n;
};

struct mv_dom_numa_distance {
    unsigned int cell;              /* <sibling id=> */
    unsigned int value;
};

/* <cpu><numa><cell id cpus memory unit memAccess discard>; ids are 0..n-1 in
 * order once parsed */
struct mv_dom_numa_cell {
    unsigned int id;
    struct mv_dom_idset cpus;
    unsigned long long memory_kib;
    enum mv_dom_mem_access mem_access;
    enum mv_tristate discard;
    struct mv_dom_numa_distance *distances;
    size_t ndistances;
};

/* <cpu><cache level mode>: only the host's caches as they are can be passed */
enum mv_dom_cpu_cache_mode { MV_DOM_CPU_CACHE_ABSENT, MV_DOM_CPU_CACHE_EMULATE, MV_DOM_CPU_CACHE_PASSTHROUGH,
                             MV_DOM_CPU_CACHE_DISABLE, MV_DOM_CPU_CACHE_LAST };
MV_ENUM_DECL(mv_dom_cpu_cache_mode);

struct mv_dom_cpu {
    enum mv_dom_cpu_mode mode;
    bool mode_given;                /* mode attribute written (custom is the default) */
    char *match;                    /* custom: "exact"/"minimum"/"strict" as given, or NULL */
    char *check;                    /* "none"/"partial"/"full" as given, or NULL */
    enum mv_tristate migratable;    /* host-passthrough/maximum: migratable='on|off' */
    char *model;                    /* custom: QEMU CPU model name, e.g. "qemu64" */
    char *model_fallback;           /* "allow"/"forbid" as given, or NULL */
    unsigned int sockets, dies, cores, threads;   /* <topology>; 0 = absent */
    enum mv_dom_cpu_cache_mode cache_mode;        /* <cache mode=>; level not accepted */
    struct mv_dom_cpu_feature *features;
    size_t nfeatures;
    struct mv_dom_numa_cell *cells; /* <numa> */
    size_t ncells;
};

/* ---- memory ---- */

/* <memoryBacking><source type=>: DEFAULT = absent (QEMU's anonymous RAM) */
enum mv_dom_mem_source { MV_DOM_MEM_SOURCE_DEFAULT, MV_DOM_MEM_SOURCE_FILE, MV_DOM_MEM_SOURCE_ANONYMOUS,
                         MV_DOM_MEM_SOURCE_MEMFD, MV_DOM_MEM_SOURCE_LAST };
MV_ENUM_DECL(mv_dom_mem_source);

/* <allocation mode=>: DEFAULT = absent (on demand) */
enum mv_dom_mem_alloc { MV_DOM_MEM_ALLOC_DEFAULT, MV_DOM_MEM_ALLOC_IMMEDIATE, MV_DOM_MEM_ALLOC_ONDEMAND,
                        MV_DOM_MEM_ALLOC_LAST };
MV_ENUM_DECL(mv_dom_mem_alloc);

/* <hugepages><page size unit nodeset/>; size 0 = the host's default size */
struct mv_dom_hugepage {
    unsigned long long size_kib;
    struct mv_dom_idset nodeset;    /* guest NUMA cells; empty = all */
};

struct mv_dom_memory_backing {
    bool given;                     /* a <memoryBacking> element was written */
    bool hugepages;                 /* <hugepages> */
    struct mv_dom_hugepage *pages;  /* its <page> children */
    size_t npages;
    bool nosharepages, locked, discard;
    enum mv_dom_mem_source source;
    enum mv_dom_mem_access access;
    enum mv_dom_mem_alloc allocation;
    unsigned int alloc_threads;     /* <allocation threads=>; 0 = absent */
};

/* <numatune> memory modes; ABSENT where the attribute was left out */
enum mv_dom_numatune_mode { MV_DOM_NUMATUNE_ABSENT, MV_DOM_NUMATUNE_STRICT, MV_DOM_NUMATUNE_PREFERRED,
                            MV_DOM_NUMATUNE_INTERLEAVE, MV_DOM_NUMATUNE_RESTRICTIVE, MV_DOM_NUMATUNE_LAST };
MV_ENUM_DECL(mv_dom_numatune_mode);

/* <memnode cellid mode nodeset/> */
struct mv_dom_memnode {
    unsigned int cellid;
    enum mv_dom_numatune_mode mode;
    struct mv_dom_idset nodeset;
};

struct mv_dom_numatune {
    bool given;
    bool memory_given;              /* <memory> child written */
    enum mv_dom_numatune_mode mode; /* <memory mode=>; absent means strict */
    struct mv_dom_idset nodeset;    /* host NUMA nodes (placement static) */
    struct mv_dom_memnode *memnodes;
    size_t nmemnodes;
};

enum mv_dom_clock_offset { MV_DOM_CLOCK_UTC, MV_DOM_CLOCK_LOCALTIME, MV_DOM_CLOCK_LAST };
MV_ENUM_DECL(mv_dom_clock_offset);

struct mv_dom_timer {
    char *name;                     /* rtc, pit, hpet, kvmclock, tsc, hypervclock */
    char *tickpolicy;               /* delay, catchup, merge, discard, or NULL */
    enum mv_tristate present;
    char *track;                    /* rtc: boot, guest, wall, realtime; or NULL */
    unsigned long long frequency;   /* tsc: Hz; 0 = absent */
    char *mode;                     /* tsc: auto, native, emulate, paravirt, smpsafe; or NULL */
};

struct mv_dom_clock {
    bool given;                     /* a <clock> element was written */
    enum mv_dom_clock_offset offset;
    struct mv_dom_timer *timers;
    size_t ntimers;
};

/* ---- devices ----
 *
 * Aliases and addresses.  Every device struct has `char *alias` (libvirt's
 * <alias name>) and, when it can sit on a bus, `struct mv_dom_addr addr`.
 * In a configuration (parse without MV_DOM_PARSE_STATUS) only user aliases
 * ("ua-" + [A-Za-z0-9_-]) are kept; others are dropped as libvirt does.
 * When a domain is defined, mv_dom_assign_addresses() (domain_address.c)
 * gives every device without one its PCI or drive address and adds the
 * implicit controllers, in command-line order, as libvirt does; when it
 * starts, mv_dom_assign() does the same on the live copy (for what was
 * defined before or created transient) and gives each device its alias
 * (= the QEMU device id) before the command line is built.  The live XML
 * shows both; the command line builder chooses neither.
 * A NEW DEVICE KIND adds one row to domain_address_kinds.c's addr_kinds[] (where
 * its array, alias and addr live, its QEMU id, whether it takes a PCI
 * slot), placed where its -device appears in the command line; frees its
 * alias in domain_def.c, writes it with dom_format_alias() before its
 * <address>, reads it with dom_parse_alias() (domain_parse_priv.h), and
 * its qemu_cmd_*.c part writes id= with opt_id() and bus=/addr= with
 * opt_pci_addr().
 */

/* VOLUME: a volume of a modvirt-storaged pool, resolved to a file at start
 * (qemud/storage_volume.h) */
enum mv_dom_disk_type { MV_DOM_DISK_FILE, MV_DOM_DISK_BLOCK, MV_DOM_DISK_VOLUME, MV_DOM_DISK_TYPE_LAST };
MV_ENUM_DECL(mv_dom_disk_type);
enum mv_dom_disk_device { MV_DOM_DISK_DEVICE_DISK, MV_DOM_DISK_DEVICE_CDROM, MV_DOM_DISK_DEVICE_LAST };
MV_ENUM_DECL(mv_dom_disk_device);
enum mv_dom_disk_format { MV_DOM_DISK_FORMAT_DEFAULT, MV_DOM_DISK_FORMAT_RAW, MV_DOM_DISK_FORMAT_QCOW2,
                          MV_DOM_DISK_FORMAT_LAST };
MV_ENUM_DECL(mv_dom_disk_format);
enum mv_dom_disk_cache { MV_DOM_DISK_CACHE_DEFAULT, MV_DOM_DISK_CACHE_NONE, MV_DOM_DISK_CACHE_WRITETHROUGH,
                         MV_DOM_DISK_CACHE_WRITEBACK, MV_DOM_DISK_CACHE_DIRECTSYNC,
                         MV_DOM_DISK_CACHE_UNSAFE, MV_DOM_DISK_CACHE_LAST };
MV_ENUM_DECL(mv_dom_disk_cache);
enum mv_dom_disk_discard { MV_DOM_DISK_DISCARD_DEFAULT, MV_DOM_DISK_DISCARD_UNMAP, MV_DOM_DISK_DISCARD_IGNORE,
                           MV_DOM_DISK_DISCARD_LAST };
MV_ENUM_DECL(mv_dom_disk_discard);
enum mv_dom_disk_bus { MV_DOM_DISK_BUS_VIRTIO, MV_DOM_DISK_BUS_SATA, MV_DOM_DISK_BUS_SCSI, MV_DOM_DISK_BUS_IDE,
                       MV_DOM_DISK_BUS_LAST };
MV_ENUM_DECL(mv_dom_disk_bus);
/* <encryption format='...'>: the image's own encryption, opened by QEMU */
enum mv_dom_disk_encryption { MV_DOM_DISK_ENCRYPTION_NONE, MV_DOM_DISK_ENCRYPTION_LUKS,
                              MV_DOM_DISK_ENCRYPTION_LAST };
MV_ENUM_DECL(mv_dom_disk_encryption);

struct mv_dom_disk {
    enum mv_dom_disk_type type;
    enum mv_dom_disk_device device;
    char *driver_name;              /* "qemu" or NULL */
    enum mv_dom_disk_format format;
    enum mv_dom_disk_cache cache;
    enum mv_dom_disk_discard discard;
    char *source;                   /* file= or dev=; NULL for an empty cdrom; type volume:
                                     * the volume's path while running (status file only) */
    char *pool, *volume;            /* type volume: <source pool= volume=/> */
    char *target;                   /* "vda", "sda", "hdc" */
    enum mv_dom_disk_bus bus;       /* parse fills it from the target prefix when absent */
    bool readonly;
    unsigned int boot_order;        /* <boot order='N'/>; 0 = absent */
    char *serial;
    enum mv_dom_disk_encryption encryption;
    /* <encryption><secret type='passphrase' uuid='U'/>: the secret in
     * modvirt-storaged holding the passphrase */
    unsigned char secret_uuid[MV_UUID_LEN];
    struct mv_dom_addr addr;
    char *alias;                    /* <alias name>; see "Aliases and addresses" above */
    unsigned int iothread;          /* <driver iothread='N'/>: an id of <iothreadids>; 0 = absent */
};

enum mv_dom_controller_type { MV_DOM_CONTROLLER_USB, MV_DOM_CONTROLLER_SCSI, MV_DOM_CONTROLLER_PCI,
                              MV_DOM_CONTROLLER_VIRTIO_SERIAL, MV_DOM_CONTROLLER_SATA,
                              MV_DOM_CONTROLLER_IDE, MV_DOM_CONTROLLER_LAST };
MV_ENUM_DECL(mv_dom_controller_type);

struct mv_dom_controller {
    enum mv_dom_controller_type type;
    unsigned int index;
    char *model;                    /* usb: qemu-xhci, piix3-uhci, ich9-ehci1, none; scsi: virtio-scsi;
                                       pci: pci-root, pcie-root, pcie-root-port, pci-bridge */
    unsigned int ports;             /* usb/virtio-serial ports=; 0 = absent */
    /* usb ich9-uhciN: <master startport='N'/>, a companion of the
     * ich9-ehci1 with the same index */
    bool master;
    unsigned int master_startport;
    struct mv_dom_addr addr;
    char *alias;                    /* <alias name>; see "Aliases and addresses" above */
    unsigned int iothread;          /* scsi: <driver iothread='N'/>; 0 = absent */
};

enum mv_dom_net_type { MV_DOM_NET_USER, MV_DOM_NET_BRIDGE, MV_DOM_NET_NETWORK, MV_DOM_NET_LAST };
MV_ENUM_DECL(mv_dom_net_type);

struct mv_dom_net {
    enum mv_dom_net_type type;
    unsigned char mac[6];           /* parse generates 52:54:00:xx:xx:xx when absent */
    char *source;                   /* bridge= or network= */
    char *portid;                   /* live, type network: the port modvirt-netd gave it (UUID text) */
    char *bridge;                   /* live, type network: the bridge that port plugs into */
    char *model;                    /* virtio, e1000, e1000e, rtl8139; NULL = rtl8139 (QEMU default) */
    char *ifname;                   /* <target dev=>; live: the tap qemud created */
    int ifindex;                    /* live: that tap's ifindex (0: not known); status file only */
    unsigned int boot_order;
    struct mv_dom_addr addr;
    char *alias;                    /* <alias name>; see "Aliases and addresses" above */
};

/* serial, console and channel share a character device. */
/* SPICEVMC: a channel to the SPICE client (the vdagent's com.redhat.spice.0,
 * or a <redirdev>'s USB redirection); it needs <graphics type='spice'> */
enum mv_dom_chr_type { MV_DOM_CHR_PTY, MV_DOM_CHR_FILE, MV_DOM_CHR_UNIX, MV_DOM_CHR_NULL,
                       MV_DOM_CHR_SPICEVMC, MV_DOM_CHR_LAST };
MV_ENUM_DECL(mv_dom_chr_type);

struct mv_dom_chr {
    enum mv_dom_chr_type type;
    char *path;                     /* file: output file; unix: socket path; pty: live pty path */
    bool unix_listen;               /* unix: mode='bind' (true) or 'connect' */
    bool append;                    /* file: append='on' */
    bool append_given;              /* append= written (off is kept, as libvirt does) */
    char *log_file;                 /* <log file=.../> */
    bool log_append;
    bool log_append_given;          /* <log append=> written */
    char *target_type;              /* serial: isa-serial; console: serial, virtio; channel: virtio */
    int target_port;                /* -1 = absent */
    char *target_name;              /* channel: org.qemu.guest_agent.0 */
    char *alias;
};

enum mv_dom_graphics_type { MV_DOM_GRAPHICS_VNC, MV_DOM_GRAPHICS_SPICE, MV_DOM_GRAPHICS_LAST };
MV_ENUM_DECL(mv_dom_graphics_type);

/* <listen type=...>: ADDRESS is also what listen= alone means; ABSENT
 * listens on 127.0.0.1 */
enum mv_dom_graphics_listen { MV_DOM_LISTEN_ABSENT, MV_DOM_LISTEN_ADDRESS, MV_DOM_LISTEN_NONE,
                              MV_DOM_LISTEN_SOCKET, MV_DOM_LISTEN_NETWORK, MV_DOM_LISTEN_LAST };
MV_ENUM_DECL(mv_dom_graphics_listen);

struct mv_dom_graphics {
    enum mv_dom_graphics_type type;
    int port;                       /* -1 = autoport (live: the chosen one) */
    bool autoport;
    enum mv_dom_graphics_listen listen_type;
    char *listen;                   /* address; NULL = 127.0.0.1 */
    char *socket;                   /* listen type socket: the unix socket path (live: chosen) */
    char *network;                  /* listen type network: the network's name (refused at start) */
    char *passwd;                   /* formatted only with the SECURE flag */
    char *passwd_valid_to;          /* passwdValidTo as written ("2025-01-01T10:00:00") */
    /* SPICE only; strings are the attribute values as written, NULL = absent */
    int tls_port;                   /* 0 = absent, -1 = allocate when TLS is on */
    char *image_compression;        /* <image compression>: auto_glz, auto_lz, quic, glz, lz, off */
    char *jpeg;                     /* <jpeg compression>: auto, never, always */
    char *zlib;                     /* <zlib compression>: auto, never, always */
    enum mv_tristate playback;      /* <playback compression='on|off'> */
    char *streaming;                /* <streaming mode>: filter, all, off */
    char *mouse_mode;               /* <mouse mode>: server, client */
    enum mv_tristate copypaste;     /* <clipboard copypaste='yes|no'> */
    enum mv_tristate filetransfer;  /* <filetransfer enable='yes|no'> */
    enum mv_tristate gl;            /* <gl enable='yes|no'> */
};

/* A passwdValidTo ("2025-01-02T03:04:05", UTC) as seconds since the epoch;
 * 0 / -EINVAL when it is not such a date (domain_parse_display.c). */
int mv_dom_valid_to_epoch(const char *s, long long *epoch);

struct mv_dom_video {
    char *model;                    /* vga, cirrus, virtio, qxl, bochs, ramfb, none */
    unsigned int ram;               /* KiB, qxl; parse fills libvirt's default */
    unsigned int vram;              /* KiB; 0 = absent (qxl: parse fills the default) */
    unsigned int vgamem;            /* KiB, qxl; parse fills libvirt's default */
    unsigned int heads;             /* 0 = absent (qxl: parse fills 1) */
    bool primary;
    enum mv_tristate accel3d, accel2d;  /* <acceleration>; only "no" can start */
    struct mv_dom_addr addr;
    char *alias;                    /* <alias name>; see "Aliases and addresses" above */
};

/* <audio id='N' type=...>: the host side a sound device plays to */
enum mv_dom_audio_type { MV_DOM_AUDIO_NONE, MV_DOM_AUDIO_SPICE, MV_DOM_AUDIO_FILE, MV_DOM_AUDIO_LAST };
MV_ENUM_DECL(mv_dom_audio_type);

struct mv_dom_audio {
    unsigned int id;                /* >= 1 */
    enum mv_dom_audio_type type;
    char *path;                     /* type file: the WAV file written */
};

/* <sound model=...> with its HDA <codec type=...> list */
struct mv_dom_sound {
    char *model;                    /* ich6, ich9, ac97, es1370, sb16, usb */
    char **codecs;                  /* duplex, micro, output; none = duplex (HDA models) */
    size_t ncodecs;
    unsigned int audio_id;          /* <audio id='N'/>; 0 = the only <audio> */
    struct mv_dom_addr addr;        /* PCI models */
    char *alias;                    /* <alias name>; see "Aliases and addresses" above */
};

/* <redirdev bus='usb' type='spicevmc'/>: a USB device of the SPICE client */
struct mv_dom_redirdev {
    char *bus;                      /* usb */
    enum mv_dom_chr_type type;      /* spicevmc */
    char *alias;                    /* <alias name>; see "Aliases and addresses" above */
};

struct mv_dom_input {
    char *type;                     /* tablet, mouse, keyboard */
    char *bus;                      /* usb, ps2, virtio */
    struct mv_dom_addr addr;        /* bus virtio: its PCI slot */
    char *alias;
};

struct mv_dom_rng {
    char *model;                    /* virtio */
    char *backend;                  /* /dev/urandom (backend model='random') */
    struct mv_dom_addr addr;
    char *alias;                    /* <alias name>; see "Aliases and addresses" above */
};

struct mv_dom_watchdog {
    char *model;                    /* i6300esb, ib700, itco */
    char *action;                   /* reset, shutdown, poweroff, pause, none, dump, inject-nmi */
    struct mv_dom_addr addr;
    char *alias;                    /* <alias name>; see "Aliases and addresses" above */
};

struct mv_dom_panic {
    char *model;                    /* isa, pvpanic, hyperv; NULL = default */
    struct mv_dom_addr addr;        /* pvpanic: its PCI address */
    char *alias;
};

/* <filesystem type='mount'>: a host directory the guest mounts by its tag
 * (<target dir>), served by QEMU itself over 9p (driver path, the default:
 * -fsdev local) or by virtiofsd beside QEMU (driver virtiofs), which qemud
 * runs for the domain unless <source socket> names one the user runs. */
enum mv_dom_fs_driver { MV_DOM_FS_DRIVER_DEFAULT, MV_DOM_FS_DRIVER_PATH, MV_DOM_FS_DRIVER_VIRTIOFS,
                        MV_DOM_FS_DRIVER_LAST };
MV_ENUM_DECL(mv_dom_fs_driver);
/* how 9p maps guest file owners and modes to the host (QEMU's security_model) */
enum mv_dom_fs_access { MV_DOM_FS_ACCESS_DEFAULT, MV_DOM_FS_ACCESS_PASSTHROUGH, MV_DOM_FS_ACCESS_MAPPED,
                        MV_DOM_FS_ACCESS_SQUASH, MV_DOM_FS_ACCESS_LAST };
MV_ENUM_DECL(mv_dom_fs_access);
enum mv_dom_fs_multidevs { MV_DOM_FS_MULTIDEVS_ABSENT, MV_DOM_FS_MULTIDEVS_DEFAULT, MV_DOM_FS_MULTIDEVS_REMAP,
                           MV_DOM_FS_MULTIDEVS_FORBID, MV_DOM_FS_MULTIDEVS_WARN, MV_DOM_FS_MULTIDEVS_LAST };
MV_ENUM_DECL(mv_dom_fs_multidevs);
/* virtiofsd's <binary><cache mode> and <sandbox mode> */
enum mv_dom_fs_cache { MV_DOM_FS_CACHE_ABSENT, MV_DOM_FS_CACHE_NONE, MV_DOM_FS_CACHE_ALWAYS, MV_DOM_FS_CACHE_LAST };
MV_ENUM_DECL(mv_dom_fs_cache);
enum mv_dom_fs_sandbox { MV_DOM_FS_SANDBOX_ABSENT, MV_DOM_FS_SANDBOX_NAMESPACE, MV_DOM_FS_SANDBOX_CHROOT,
                         MV_DOM_FS_SANDBOX_LAST };
MV_ENUM_DECL(mv_dom_fs_sandbox);

/* <binary> of a virtiofs filesystem: how qemud runs virtiofsd */
struct mv_dom_fs_binary {
    bool given;                     /* a <binary> element was written */
    char *path;                     /* NULL = the one qemud found */
    enum mv_tristate xattr;         /* xattr='on|off' */
    enum mv_dom_fs_cache cache;
    enum mv_dom_fs_sandbox sandbox;
    enum mv_tristate lock_posix, lock_flock;    /* <lock posix='on|off' flock='on|off'/> */
    unsigned int thread_pool_size;  /* <thread_pool size>; 0 = absent */
    bool thread_pool_given;
};

struct mv_dom_fs {
    enum mv_dom_fs_driver driver;
    bool driver_given;              /* a <driver> element was written (type may be absent) */
    unsigned int queue;             /* virtiofs <driver queue>; 0 = absent */
    enum mv_dom_fs_access access;
    enum mv_dom_fs_multidevs multidevs;
    int fmode, dmode;               /* octal fmode=/dmode= of mapped 9p; -1 = absent */
    char *model;                    /* "virtio" or NULL */
    char *source_dir;               /* the shared directory (absolute) */
    char *source_socket;            /* virtiofs: the socket of a virtiofsd the user runs */
    char *target;                   /* the mount tag the guest mounts */
    bool readonly;
    struct mv_dom_fs_binary binary;
    struct mv_dom_addr addr;
    char *alias;                    /* <alias name>; see "Aliases and addresses" above */
};

/* <hostdev mode='subsystem' type='pci'>: a host PCI function given to the
 * guest through vfio-pci (domain_parse_hostdev.c). */
struct mv_dom_hostdev {
    enum mv_tristate managed;       /* managed='yes|no' */
    unsigned int domain, bus, slot, function;   /* <source><address>: the host's device */
    bool driver_vfio;               /* <driver name='vfio'/> written */
    unsigned int boot_order;
    struct mv_dom_addr addr;        /* the guest's PCI address */
    char *alias;                    /* <alias name>; see "Aliases and addresses" above */
    /* live: managed='yes', and this run asked modvirt-nodedevd to detach it
     * (qemud/hostdev_managed.h); not in the XML, kept by the status file */
    bool detached;
};

/* <tpm model>: an emulated TPM (swtpm, started beside QEMU: qemud/tpm.h)
 * or the host's own passed through.  Parse fills the model (tpm-tis) and,
 * for the emulator, the version libvirt chooses (tpm-tis: 1.2, tpm-crb: 2.0). */
enum mv_dom_tpm_model { MV_DOM_TPM_MODEL_TIS, MV_DOM_TPM_MODEL_CRB, MV_DOM_TPM_MODEL_LAST };
MV_ENUM_DECL(mv_dom_tpm_model);
enum mv_dom_tpm_backend { MV_DOM_TPM_BACKEND_PASSTHROUGH, MV_DOM_TPM_BACKEND_EMULATOR, MV_DOM_TPM_BACKEND_LAST };
MV_ENUM_DECL(mv_dom_tpm_backend);
enum mv_dom_tpm_version { MV_DOM_TPM_VERSION_DEFAULT, MV_DOM_TPM_VERSION_1_2, MV_DOM_TPM_VERSION_2_0,
                          MV_DOM_TPM_VERSION_LAST };
MV_ENUM_DECL(mv_dom_tpm_version);
/* <active_pcr_banks> children, as bits 1 << index: sha1, sha256, sha384, sha512 */
enum mv_dom_tpm_pcr_bank { MV_DOM_TPM_PCR_SHA1, MV_DOM_TPM_PCR_SHA256, MV_DOM_TPM_PCR_SHA384,
                           MV_DOM_TPM_PCR_SHA512, MV_DOM_TPM_PCR_LAST };
MV_ENUM_DECL(mv_dom_tpm_pcr_bank);

struct mv_dom_tpm {
    enum mv_dom_tpm_model model;
    enum mv_dom_tpm_backend backend;
    enum mv_dom_tpm_version version;
    char *device_path;              /* passthrough: <device path>; parse fills /dev/tpm0 */
    enum mv_tristate persistent_state;      /* emulator: keep the state when undefined */
    unsigned int pcr_banks;         /* emulator: bits of enum mv_dom_tpm_pcr_bank; 0 = not given */
    bool encrypted;                 /* emulator: <encryption secret='U'/> */
    unsigned char secret_uuid[MV_UUID_LEN];
    char *alias;                    /* <alias name>; see "Aliases and addresses" above */
};

struct mv_dom_memballoon {
    bool given;
    char *model;                    /* virtio, none */
    unsigned int stats_period;      /* <stats period='N'/>; 0 = absent */
    struct mv_dom_addr addr;
    char *alias;                    /* <alias name>; see "Aliases and addresses" above */
};

struct mv_dom_devices {
    char *emulator;
    struct mv_dom_disk *disks;              size_t ndisks;
    struct mv_dom_controller *controllers;  size_t ncontrollers;
    struct mv_dom_net *nets;                size_t nnets;
    struct mv_dom_chr *serials;             size_t nserials;
    struct mv_dom_chr *consoles;            size_t nconsoles;
    struct mv_dom_chr *channels;            size_t nchannels;
    struct mv_dom_graphics *graphics;       size_t ngraphics;
    struct mv_dom_video *videos;            size_t nvideos;
    struct mv_dom_input *inputs;            size_t ninputs;
    struct mv_dom_rng *rngs;                size_t nrngs;
    struct mv_dom_watchdog *watchdogs;      size_t nwatchdogs;
    struct mv_dom_panic *panics;            size_t npanics;
    struct mv_dom_hostdev *hostdevs;        size_t nhostdevs;
    struct mv_dom_sound *sounds;            size_t nsounds;
    struct mv_dom_audio *audios;            size_t naudios;
    struct mv_dom_redirdev *redirdevs;      size_t nredirdevs;
    struct mv_dom_tpm *tpms;                size_t ntpms;       /* at most one */
    struct mv_dom_memballoon memballoon;
    struct mv_dom_fs *filesystems;          size_t nfilesystems;
};

/* <features><hyperv> children that are a plain state='on|off' switch (or
 * carry a value beside it: spinlocks retries, vendor_id value, stimer
 * direct); indexed tables in domain_parse_features.c and the formatter
 * follow this order, which is the order libvirt writes them in. */
enum mv_dom_hyperv_feature {
    MV_DOM_HV_RELAXED, MV_DOM_HV_VAPIC, MV_DOM_HV_SPINLOCKS, MV_DOM_HV_VPINDEX, MV_DOM_HV_RUNTIME,
    MV_DOM_HV_SYNIC, MV_DOM_HV_STIMER, MV_DOM_HV_RESET, MV_DOM_HV_VENDOR_ID, MV_DOM_HV_FREQUENCIES,
    MV_DOM_HV_REENLIGHTENMENT, MV_DOM_HV_TLBFLUSH, MV_DOM_HV_IPI, MV_DOM_HV_EVMCS, MV_DOM_HV_AVIC,
    MV_DOM_HV_LAST
};
MV_ENUM_DECL(mv_dom_hyperv_feature);

enum mv_dom_hyperv_mode { MV_DOM_HYPERV_MODE_ABSENT, MV_DOM_HYPERV_MODE_CUSTOM,
                          MV_DOM_HYPERV_MODE_PASSTHROUGH, MV_DOM_HYPERV_MODE_LAST };
MV_ENUM_DECL(mv_dom_hyperv_mode);

struct mv_dom_hyperv {
    bool given;                     /* a <hyperv> element was written */
    enum mv_dom_hyperv_mode mode;   /* ABSENT: no mode= (custom) */
    enum mv_tristate state[MV_DOM_HV_LAST];     /* YES on, NO off, ABSENT not written */
    unsigned int spinlocks_retries; /* <spinlocks retries=>; 0 = absent */
    enum mv_tristate stimer_direct; /* <stimer><direct state=> */
    char *vendor_id;                /* <vendor_id value=>: 1..12 characters */
};

/* <features><kvm> children */
enum mv_dom_kvm_feature { MV_DOM_KVM_HIDDEN, MV_DOM_KVM_HINT_DEDICATED, MV_DOM_KVM_POLL_CONTROL,
                          MV_DOM_KVM_PV_IPI, MV_DOM_KVM_LAST };
MV_ENUM_DECL(mv_dom_kvm_feature);

/* <ioapic driver=> */
enum mv_dom_ioapic { MV_DOM_IOAPIC_ABSENT, MV_DOM_IOAPIC_QEMU, MV_DOM_IOAPIC_KVM, MV_DOM_IOAPIC_LAST };
MV_ENUM_DECL(mv_dom_ioapic);

struct mv_dom_features {
    bool acpi, apic, pae;
    bool given;                     /* a <features> element was written */
    enum mv_tristate apic_eoi;      /* <apic eoi='on|off'/>: KVM's paravirtual EOI */
    enum mv_tristate vmport;        /* <vmport state='on|off'/> */
    enum mv_tristate pmu;           /* <pmu state='on|off'/> */
    enum mv_tristate smm;           /* <smm state='on|off'>; firmware needs it on for secure boot */
    unsigned long long smm_tseg_mib;/* <smm><tseg unit=>: extended TSEG in MiB; 0 = absent */
    bool smm_tseg_given;            /* <tseg> written (0 MiB is a valid size) */
    enum mv_tristate vmcoreinfo;    /* <vmcoreinfo state='on|off'/> */
    enum mv_tristate pvspinlock;    /* <pvspinlock state='on|off'/> */
    enum mv_dom_ioapic ioapic;      /* <ioapic driver='qemu|kvm'/> */
    struct mv_dom_hyperv hyperv;
    bool kvm_given;                 /* a <kvm> element was written */
    enum mv_tristate kvm[MV_DOM_KVM_LAST];
    bool tcg_given;                 /* a <tcg> element was written */
    unsigned long long tcg_tb_cache_mib;    /* <tcg><tb-cache>: translation cache in MiB; 0 = absent */
};

/* ---- iothreads, cputune (domain_parse_tuning.c), seclabel ---- */

/* <iothreads>N</iothreads> and <iothreadids>: QEMU iothread objects
 * "iothread<ID>".  The parser fills ids in: after parsing, nids == count
 * and ids lists every one (the written ones first). */
struct mv_dom_iothreads {
    unsigned int count;             /* 0 = none */
    unsigned int *ids;
    size_t nids;
    bool ids_given;                 /* an <iothreadids> element was written */
};

/* Host CPU numbers a cpuset may name (far beyond the hosts QEMU runs on).
 * cpusets are checked against the host's online CPUs only at start. */
#define MV_DOM_CPUSET_MAX 4096

struct mv_dom_vcpupin {
    unsigned int vcpu;
    struct mv_dom_idset cpuset;
};

struct mv_dom_iothreadpin {
    unsigned int iothread;          /* an iothread id */
    struct mv_dom_idset cpuset;
};

/* <cputune>.  Pinning is applied to QEMU's threads after start
 * (qemud/cputune.c); shares/period/quota need a cgroup of the domain's. */
struct mv_dom_cputune {
    bool given;
    unsigned long long shares;      /* 0 = absent */
    unsigned long long period;      /* us; 0 = absent */
    long long quota;                /* us, -1 = unlimited; 0 = absent */
    unsigned long long emulator_period;
    long long emulator_quota;
    struct mv_dom_vcpupin *vcpupins;          size_t nvcpupins;
    struct mv_dom_idset emulatorpin;        /* empty = absent */
    struct mv_dom_iothreadpin *iothreadpins;  size_t niothreadpins;
};

enum mv_dom_seclabel_type { MV_DOM_SECLABEL_DEFAULT, MV_DOM_SECLABEL_NONE, MV_DOM_SECLABEL_DYNAMIC,
                            MV_DOM_SECLABEL_STATIC, MV_DOM_SECLABEL_TYPE_LAST };
MV_ENUM_DECL(mv_dom_seclabel_type);

/* <seclabel type model relabel>: QEMU runs as root today (no isolation
 * yet), so the live XML of a dynamic DAC label says +0:+0. */
struct mv_dom_seclabel {
    enum mv_dom_seclabel_type type;
    char *model;                    /* dac, selinux, apparmor, none; NULL = absent */
    enum mv_tristate relabel;
    char *label, *imagelabel;       /* static: the given label; dynamic: live only */
};

struct mv_dom_pm {
    enum mv_tristate suspend_to_mem, suspend_to_disk;
};

struct mv_dom_def {
    atomic_int refs;                /* references beyond the first (mv_dom_def_ref) */
    enum mv_dom_virt virt;
    char *name;
    unsigned char uuid[MV_UUID_LEN];        /* parse generates one when absent */
    char *title;
    char *description;
    char *metadata;                 /* <metadata> children, kept verbatim as XML text; NULL = absent */

    unsigned long long memory_kib;          /* <memory> */
    unsigned long long current_memory_kib;  /* <currentMemory>; parse defaults it to memory */
    unsigned long long max_memory_kib;      /* <maxMemory>; 0 = absent */
    unsigned int max_memory_slots;

    unsigned int vcpus;             /* <vcpu> value (maximum) */
    unsigned int vcpus_current;     /* current=; parse defaults it to vcpus */
    bool vcpu_placement_given;      /* placement='static' written */
    struct mv_dom_iothreads iothreads;
    struct mv_dom_cputune cputune;

    struct mv_dom_sysinfo sysinfo;
    struct mv_dom_os os;
    struct mv_dom_features features;
    struct mv_dom_cpu cpu;
    struct mv_dom_memory_backing memory_backing;
    struct mv_dom_numatune numatune;
    struct mv_dom_clock clock;
    struct mv_dom_pm pm;
    enum mv_dom_lifecycle_action on_poweroff, on_reboot, on_crash;
    struct mv_dom_devices devices;
    struct mv_dom_seclabel *seclabels;      size_t nseclabels;
};

/* Drops a reference to DEF, freeing it and everything it owns with the
 * last one; NULL is fine. */
void mv_dom_def_free(struct mv_dom_def *def);
/* Another reference to DEF (a snapshot to read without any lock). */
struct mv_dom_def *mv_dom_def_ref(struct mv_dom_def *def);

/* ---- parse (domain_parse.c) ---- */

enum mv_dom_parse_flags {
    /* reading our own status/config files: accept live-only values (pty
     * paths, tap names, chosen VNC ports) as they are */
    MV_DOM_PARSE_STATUS = 1 << 0,
};

/* Parses XML into *DEF.  Returns 0, or <0 with *ERRCODE a libvirt error code
 * (MV_ERR_XML_ERROR for broken XML, MV_ERR_XML_DETAIL / MV_ERR_CONFIG_UNSUPPORTED
 * for values it cannot honour) and *ERRMSG the whole message, which names the
 * element or attribute, e.g. "unsupported configuration: unknown element
 * <devices><foo> in domain 'vm1'".  Generates uuid and MAC addresses when
 * absent and validates the name with mv_validate_name(). */
int mv_dom_def_parse(const char *xml, unsigned int flags, struct mv_dom_def **def,
                     int *errcode, char **errmsg);

/* Deep copy via format + parse; NULL if out of memory. */
struct mv_dom_def *mv_dom_def_copy(const struct mv_dom_def *def);

/* What a live definition holds that its XML does not carry (the taps'
 * ifindexes, which hostdevs nodedevd detached for the run), copied from
 * BASE into OUT, a definition parsed from BASE's status XML: each device
 * matched by alias (by position when neither has one).  Every format/parse
 * round trip of a live definition calls it, or destroy forgets the taps. */
void mv_dom_def_carry_runtime(struct mv_dom_def *out, const struct mv_dom_def *base);

/* ---- format (domain_format.c) ---- */

/* What the live side adds when a running domain is formatted. */
struct mv_dom_live_info {
    int id;                         /* <domain id='N'> */
};

enum mv_dom_format_flags {
    MV_DOM_FORMAT_SECURE = 1 << 0,  /* include graphics passwords (VIR_DOMAIN_XML_SECURE) */
    /* our status file: also what only qemud needs to know of a running
     * domain (a volume disk's resolved path) */
    MV_DOM_FORMAT_STATUS = 1 << 1,
};

/* Writes DEF as libvirt domain XML into a malloc'd *XML; LIVE (may be NULL)
 * adds the id attribute.  0 or -errno. */
int mv_dom_def_format(const struct mv_dom_def *def, const struct mv_dom_live_info *live,
                      unsigned int flags, char **xml);

MV_DEFINE_CLEANUP(struct mv_dom_def, mv_dom_def_free)
#define _cleanup_dom_def_ _cleanup_(mv_dom_def_freep)
