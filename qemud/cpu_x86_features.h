/*
 * The x86 CPUID flags QEMU 7.2 knows, for <cpu><feature name>: a fixed table
 * (cpu_x86_features.c) tested against the installed QEMU.
 */
#pragma once

#include <stddef.h>

/* QEMU's own name of the flag NAME (QEMU's or libvirt's spelling: "lahf_lm",
 * "pclmuldq"), NULL if QEMU does not know it. */
const char *mv_cpu_x86_feature(const char *name);

/* The names, sorted (strcmp), as QEMU lists them. */
extern const char *const mv_cpu_x86_features[];
extern const size_t mv_cpu_x86_nfeatures;
