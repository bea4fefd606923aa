/*
 * What the installed QEMU system emulator offers: its version and machine
 * types.  Probed by running the binary (--version, -machine help, and a
 * short-lived "-machine none" QMP session for each machine's CPU limit), so
 * it blocks for up to a few seconds: call it off the event loop, once, and
 * cache the result.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Kill a probe child that has not finished after this long. */
#define MV_QEMU_PROBE_TIMEOUT_MS 10000
/* Most output we accept from one probe run. */
#define MV_QEMU_PROBE_OUTPUT_MAX (1u << 20)
/* Most machine types we accept, and the longest machine type name. */
#define MV_QEMU_MACHINES_MAX 512
#define MV_QEMU_MACHINE_NAME_MAX 64
/* CPU limit reported for a machine whose own limit QMP did not tell (i440fx's). */
#define MV_QEMU_MAX_CPUS_DEFAULT 255

/* A CPU model QEMU offers (query-cpu-definitions in the TCG probe session). */
struct mv_qemu_cpu_model {
    char *name;
    bool usable_tcg;                /* no unavailable features under TCG */
    bool deprecated;
};

struct mv_qemu_caps {
    char *binary;                   /* absolute path probed */
    unsigned long version;          /* major*1000000 + minor*1000 + micro */
    char **machines;                /* NULL-terminated canonical names, default first; "none" left out as libvirt does */
    char **machine_aliases;         /* nmachines entries parallel to machines: alias ("pc") or NULL */
    int *machine_max_cpus;          /* nmachines entries: QMP cpu-max, 0 = unknown (use max_cpus_default) */
    bool *machine_deprecated;       /* nmachines entries: QEMU marks it deprecated */
    size_t nmachines;
    char *default_machine;          /* canonical name of QEMU's default, NULL if it names none */
    int max_cpus_default;
    struct mv_qemu_cpu_model *cpu_models;   /* in QEMU's order; max, host and base left out */
    size_t ncpu_models;
    /* What QEMU's TCG can emulate: the -cpu properties (features, in every
     * spelling QEMU accepts) that model "max" turns on under TCG, sorted
     * (strcmp), NULL-terminated; NULL when the probe could not tell */
    char **tcg_cpu_features;
    /* QEMU was built with SPICE: it answers query-spice (a QEMU without
     * it knows no such command); false when the probe could not tell */
    bool spice;
};

/*
 * Runs BINARY --version, BINARY -machine help and a QMP session
 * under TCG (query-machines, query-cpu-definitions, query-spice, and
 * query-cpu-model-expansion of 'max' for the TCG CPU features) (each killed
 * after MV_QEMU_PROBE_TIMEOUT_MS) and fills CAPS, which
 * the caller then owns (mv_qemu_caps_clear).  On failure returns -errno,
 * leaves CAPS untouched and sets *errmsg (caller frees) to a message naming
 * the binary.  The QMP step is best effort: if it fails, limits stay 0.
 * SIGCHLD must not be ignored (SIG_IGN) by the caller's process.
 */
int mv_qemu_probe(const char *binary, struct mv_qemu_caps *caps, char **errmsg);

/* Frees what CAPS owns and zeroes it; safe on a zeroed or cleared struct. */
void mv_qemu_caps_clear(struct mv_qemu_caps *caps);

/* Parses "QEMU emulator version 7.2.22 (...)" into 7002022; 0 / -EINVAL. */
int mv_qemu_parse_version(const char *version_output, unsigned long *version);

/* Parses "-machine help" text into machines, aliases, deprecated flags and default_machine (replacing any CAPS had); 0 / -EINVAL / -E2BIG / -ENOMEM, CAPS untouched on failure. */
int mv_qemu_parse_machines(const char *machine_help_output, struct mv_qemu_caps *caps);

/* Takes per-machine cpu-max and deprecated from the QMP output of query-machines (all lines of the session); 0 / -EINVAL if it holds no such reply. */
int mv_qemu_parse_qmp_machines(const char *qmp_output, struct mv_qemu_caps *caps);

/* Takes the CPU models from the QMP output of query-cpu-definitions (all lines of the session),
 * replacing any CAPS had; 0 / -EINVAL if it holds no such reply / -ENOMEM. */
int mv_qemu_parse_qmp_cpu_models(const char *qmp_output, struct mv_qemu_caps *caps);

/* Whether the QMP output of a session (all its lines) holds a query-spice
 * reply, that is a "return" object with "enabled" and "migrated". */
bool mv_qemu_parse_qmp_spice(const char *qmp_output);

/* Takes the properties set to true from the QMP output of a
 * query-cpu-model-expansion reply (all lines of the session) into *FEATURES
 * (sorted, NULL-terminated, caller frees with mv_strv_free); 0 / -EINVAL if
 * it holds no such reply / -ENOMEM. */
int mv_qemu_parse_qmp_cpu_expansion(const char *qmp_output, char ***features);

/* Runs BINARY with "-machine none -accel ACCEL" and asks QMP for the full
 * expansion of CPU model "max", which under an accelerator is everything it
 * can give a guest: *FEATURES as mv_qemu_parse_qmp_cpu_expansion() gives it.
 * -errno and *errmsg (caller frees) when QEMU fails or does not answer. */
int mv_qemu_probe_max_cpu_features(const char *binary, const char *accel, char ***features, char **errmsg);

/* Index of the machine named NAME (canonical name or alias), -1 if none. */
int mv_qemu_caps_find_machine(const struct mv_qemu_caps *caps, const char *name);

/* CPU limit of machine INDEX: its own if known, else max_cpus_default. */
int mv_qemu_caps_machine_max_cpus(const struct mv_qemu_caps *caps, size_t index);
