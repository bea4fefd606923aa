/*
 * Sets of ids in libvirt's list syntax ("0-3,^2,8"): vCPUs of a NUMA cell,
 * host NUMA nodes of <numatune>, guest cells of a hugepage size.  Stored as
 * an ascending array of distinct ids (struct mv_dom_idset, domain_def.h),
 * written back as ranges ("0-1,3,8").
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

#include "domain_def.h"

/* Parses S ("N", "N-M" and "^N" items separated by commas; every id below
 * MAX) into *OUT, which must be empty.  0; -EINVAL for bad syntax or a set
 * that ends up empty; -ERANGE for an id >= MAX; -ENOMEM. */
int mv_dom_idset_parse(const char *s, unsigned int max, struct mv_dom_idset *out);

/* SET as ranges joined by SEP (",": libvirt's syntax; QEMU's options want
 * each range on its own, see mv_dom_idset_range); malloc'd, NULL without memory. */
char *mv_dom_idset_format(const struct mv_dom_idset *set, const char *sep);

/* The range starting at index *I of SET into FIRST..LAST, moving *I past
 * it; false once *I is past the end. */
bool mv_dom_idset_range(const struct mv_dom_idset *set, size_t *i, unsigned int *first, unsigned int *last);

bool mv_dom_idset_has(const struct mv_dom_idset *set, unsigned int id);

/* libvirt's cpumaps (MAPLEN bytes, CPU c at bit c % 8 of byte c / 8): sets
 * CPU's bit, or nothing if the map is too short for it; the set's ids. */
void mv_cpumap_set(unsigned char *map, size_t maplen, unsigned int cpu);
void mv_dom_idset_to_cpumap(const struct mv_dom_idset *set, unsigned char *map, size_t maplen);
