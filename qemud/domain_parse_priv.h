/*
 * Private to the domain XML parser (domain_parse*.c).  The walk, the value
 * getters and their error conventions are the strict XML core's
 * (common/xml_strict.h); domain_parse.c has the entry points and the
 * sections without a file of their own (domain_parse_<section>.c).
 */
#pragma once

#include <stdbool.h>

#include "domain_def.h"
#include "xml_strict.h"

/* Far above what QEMU accepts; keeps the topology product in range. */
#define DOM_VCPUS_MAX 4096

/* yes|no attribute into a tristate: 1 found, 0 absent (*OUT alone), <0 error. */
static inline int dom_attr_yesno(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, enum mv_tristate *out)
{
    bool yes;
    int r = mv_xml_attr_yesno(c, n, name, &yes);

    if (r == 1)
        *out = yes ? MV_TRISTATE_YES : MV_TRISTATE_NO;
    return r;
}

/* Enum attribute NAME that N must have: 1 found (into *OUT), <0 error, its
 * absence refused by name. */
static inline int dom_attr_enum_required(struct mv_xml_ctx *c, xmlNodePtr n, const char *name,
                                         int (*from_string)(const char *), int *out)
{
    int r = mv_xml_attr_enum(c, n, name, from_string, out);

    return r == 0 ? mv_xml_fail_missing_attr(c, n, name) : r;
}

/* ---- sections (domain_parse_features.c) ---- */

/* <features> and <clock> into OBJ, a struct mv_dom_def (mv_xml_rule parsers). */
int dom_parse_features(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
int dom_parse_clock(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);

/* ---- sections (domain_parse_devices.c) ---- */

/* <alias name=...> of a device into *ALIAS: kept in status files and for
 * user aliases ("ua-..."), dropped otherwise (see domain_def.h, "Aliases
 * and addresses").  A device parser calls it from its "alias" rule. */
int dom_parse_alias(struct mv_xml_ctx *c, xmlNodePtr n, char **alias);

/* <devices> into OBJ, a struct mv_dom_def (mv_xml_rule parser). */
int dom_parse_devices(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
/* Cross-device checks once the whole domain is read (unique disk targets,
 * controller indexes, MACs, boot orders), then fills in controller indexes
 * and MAC addresses left out. */
int dom_check_devices(struct mv_xml_ctx *c, struct mv_dom_def *def);

/* ---- <cpu> (domain_parse_cpu.c) ---- */

/* <cpu> into OBJ, a struct mv_dom_def. */
int dom_parse_cpu(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
/* Topology against <vcpu>; NUMA cells against <vcpu> and <memory>, and
 * their distances. */
int dom_check_cpu(struct mv_xml_ctx *c, const struct mv_dom_def *def);

/* ---- <memoryBacking>, <numatune> (domain_parse_memory.c) ---- */

int dom_parse_memory_backing(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
int dom_parse_numatune(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
/* Hugepage nodesets and memnodes against the guest's NUMA cells. */
int dom_check_memory_backing(struct mv_xml_ctx *c, const struct mv_dom_def *def);
/* An id set attribute ("0-3,^2") with ids below MAX into *OUT: 1 found, 0 absent, <0 error. */
int dom_attr_idset(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, unsigned int max,
                   struct mv_dom_idset *out);
/* A size attribute NAME with the element's unit= (KiB without) into KiB, rounded up. */
int dom_attr_scaled_kib(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, unsigned long long *kib);

/* <address> of a device (domain_parse_devices.c), for the concept files. */
int dom_parse_address(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_addr *addr);

/* ---- <filesystem> (domain_parse_fs.c) ---- */

/* <devices><filesystem> into OBJ, a struct mv_dom_devices (mv_xml_rule parser). */
int dom_parse_filesystem(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
/* Across filesystems: each mount tag once. */
int dom_check_filesystems(struct mv_xml_ctx *c, const struct mv_dom_devices *d);

/* <boot order> of a device (domain_parse_devices.c), for the concept files. */
int dom_parse_boot_order(struct mv_xml_ctx *c, xmlNodePtr n, void *order);

/* ---- <hostdev> (domain_parse_hostdev.c): OBJ is struct mv_dom_devices ---- */
int dom_parse_hostdev(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);

/* ---- iothreads, cputune (domain_parse_tuning.c): OBJ is struct mv_dom_def ---- */
int dom_parse_iothreads(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
int dom_parse_iothreadids(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
int dom_parse_cputune(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
/* Once the whole domain is read: gives every iothread an id, checks vcpupin
 * against <vcpu> and every iothread reference (disks, controllers, pins). */
int dom_check_tuning(struct mv_xml_ctx *c, struct mv_dom_def *def);

/* ---- <seclabel> (domain_parse_seclabel.c): OBJ is struct mv_dom_def ---- */
int dom_parse_seclabel(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);

/* ---- display (domain_parse_display.c): OBJ is struct mv_dom_devices ---- */

int dom_parse_graphics(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
int dom_parse_video(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);

/* ---- sound (domain_parse_sound.c): OBJ is struct mv_dom_devices ---- */

int dom_parse_sound(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
int dom_parse_audio(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
/* Every <sound><audio id> names an <audio>; ids are unique; a sound with
 * no <audio> at all gets libvirt's default backend (spice when a SPICE
 * display exists, none otherwise). */
int dom_check_sound(struct mv_xml_ctx *c, struct mv_dom_def *def);

/* ---- SPICE USB redirection (domain_parse_redirdev.c) ---- */

int dom_parse_redirdev(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
/* ---- <os> (domain_parse_os.c) ---- */

/* <os> into OBJ, a struct mv_dom_def: with its firmware checks (mv_xml_rule parser). */
int dom_parse_os(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);

/* ---- <sysinfo> (domain_parse_sysinfo.c) ---- */

/* <sysinfo type='smbios'> into OBJ, a struct mv_dom_def (mv_xml_rule parser). */
int dom_parse_sysinfo(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
/* Once the whole domain is read: the sysinfo system uuid against the
 * domain's (taken as the domain's when <uuid> is absent). */
int dom_check_sysinfo(struct mv_xml_ctx *c, struct mv_dom_def *def);

/* ---- concepts in files of their own ---- */

/* <devices><tpm> into OBJ, a struct mv_dom_devices (domain_parse_tpm.c). */
int dom_parse_tpm(struct mv_xml_ctx *c, xmlNodePtr n, void *obj);
