/*
 * Domain snapshot definitions: libvirt's <domainsnapshot> XML, parsed
 * strictly (every element and attribute honoured or refused by name) and
 * formatted valid against libvirt's domainsnapshot.rng.  Pure: no I/O
 * beyond libxml2, shared by modvirt-qemud and its unit test.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* <state>: the domain's state when the snapshot was taken (virDomainSnapshotState) */
enum qemud_snap_state {
    QEMUD_SNAP_NOSTATE, QEMUD_SNAP_RUNNING, QEMUD_SNAP_BLOCKED, QEMUD_SNAP_PAUSED,
    QEMUD_SNAP_SHUTDOWN, QEMUD_SNAP_SHUTOFF, QEMUD_SNAP_CRASHED, QEMUD_SNAP_PMSUSPENDED,
    QEMUD_SNAP_DISK_SNAPSHOT, QEMUD_SNAP_STATE_LAST,
};

/* snapshot= of <memory> and <disk>; DEFAULT: not written */
enum qemud_snap_kind {
    QEMUD_SNAP_KIND_DEFAULT, QEMUD_SNAP_KIND_NO, QEMUD_SNAP_KIND_INTERNAL, QEMUD_SNAP_KIND_EXTERNAL,
    QEMUD_SNAP_KIND_LAST,
};

/* Longest snapshot name, in bytes: its metadata file, written as
 * '.<name>.xml.XXXXXX' first, and an overlay '<image>.<name>' must fit in
 * one directory entry (NAME_MAX 255). */
#define QEMUD_SNAP_NAME_MAX 200

struct qemud_snap_disk {
    char *name;                     /* the disk's target ("vda") */
    enum qemud_snap_kind kind;
    char *file;                     /* external: the overlay (<source file=>) */
    char *driver;                   /* external: <driver type=> ("qcow2") */
};

struct qemud_snap_def {
    char *name;
    char *description;
    enum qemud_snap_state state;
    long long creation_time;        /* seconds since the epoch; 0 = not given */
    enum qemud_snap_kind memory;
    char *memory_file;              /* external memory only (parsed to be refused) */
    struct qemud_snap_disk *disks;  size_t ndisks;
    char *parent;                   /* NULL for a root */
    char *domain_xml;               /* the domain as it was: <domain>...</domain>, or NULL */
    bool current;                   /* <active>1</active>: stored files only */
};

enum qemud_snap_parse_flags {
    /* REDEFINE: the metadata of a snapshot that exists (state, creation
     * time, parent, domain copy are the caller's to give) */
    QEMUD_SNAP_PARSE_REDEFINE = 1 << 0,
    /* our own stored file: REDEFINE plus <active> */
    QEMUD_SNAP_PARSE_STORED = 1 << 1,
};

enum qemud_snap_format_flags {
    QEMUD_SNAP_FORMAT_STORED = 1 << 0,      /* with <active> */
};

void qemud_snap_def_free(struct qemud_snap_def *def);
static inline void qemud_snap_def_freep(struct qemud_snap_def **p) { qemud_snap_def_free(*p); }
#define _cleanup_snap_def_ __attribute__((cleanup(qemud_snap_def_freep)))

/* Parses XML of a snapshot of domain DOMNAME.  0, or -EINVAL/-ENOMEM with
 * *ERRCODE a libvirt error code and *ERRMSG a message naming the element
 * ("unsupported configuration: unknown element <domainsnapshot><foo> in
 * domain snapshot 's1'").  The name, when given, is checked like object
 * names (no '/', no leading '.'). */
int qemud_snap_def_parse(const char *xml, unsigned int flags, struct qemud_snap_def **def,
                         int *errcode, char **errmsg);

/* Writes DEF into a malloc'd *XML.  0 or -ENOMEM. */
int qemud_snap_def_format(const struct qemud_snap_def *def, unsigned int flags, char **xml);

/* A deep copy, or NULL without memory. */
struct qemud_snap_def *qemud_snap_def_copy(const struct qemud_snap_def *def);

const char *qemud_snap_state_name(enum qemud_snap_state s);
const char *qemud_snap_kind_name(enum qemud_snap_kind k);
/* True if the snapshot's memory or any disk is external. */
bool qemud_snap_def_is_external(const struct qemud_snap_def *def);
