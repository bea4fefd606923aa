/*
 * The host files a guest needs, found, checked and handed to its identity
 * for the run, then taken back.  A grant is one POSIX ACL entry for the
 * guest's uid (r, rw, or rwx on a directory): owners, modes and other
 * entries stay as they are, two guests can share a read-only file, and
 * taking it back is removing that entry and restoring the mask and mode
 * recorded before.
 */
#pragma once

#include <libxml/xmlwriter.h>
#include <libxml/xpath.h>

#include "domain_def.h"
#include "error.h"
#include "guest_isolation.h"

/* Every host file LIVE's QEMU opens by path: disk sources (and their qcow2
 * backing chains, read-only), kernel, initrd, dtb, nvram, chardev output
 * files (created empty when missing), directories of chardev sockets the
 * user placed.  Each is opened (O_PATH), resolved, checked by the path
 * policy and appended to ISO->grants with its mode and mask; fds stay open
 * for the spawn's bind mounts.  Files already reachable by everyone with
 * the access needed (mode o+r for a read-only one) need no ACL (acl =
 * false) but are still bound.  Nothing is changed on the host. */
int qemud_guest_files_collect(const char *domname, const struct mv_dom_def *live, struct qemud_isolation *iso,
                              struct mv_err *err);

/* Adds the ACL entries for ISO->id.uid.  The caller has recorded ISO in
 * the status file first.  On failure the grants already made are taken
 * back and ERR names the file and the cause (a filesystem without ACLs:
 * "make it readable by uid N or enable ACLs"). */
int qemud_guest_files_grant(const char *domname, struct qemud_isolation *iso, struct mv_err *err);

/* Takes every grant back (idempotent: an entry already gone is fine, a
 * file gone is skipped); logs what it cannot restore. */
void qemud_guest_files_revoke(const char *domname, const struct qemud_isolation *iso);

/* The <isolation uid= gid=><grant path= access= acl= mode= mask=/>...
 * element of the status file, and its reading back (absent: ISO zeroed). */
int qemud_isolation_format(const struct qemud_isolation *iso, xmlTextWriterPtr w);
int qemud_isolation_parse(xmlXPathContextPtr ctx, struct qemud_isolation *iso);

/* Grants taken while the guest runs (a hotplugged disk, a snapshot's
 * overlay): RUN is the domain's isolation, its lock held by the caller
 * (the status file reads it). */

/* Appends copies of NEW's grants to RUN (no fds, no written paths: what
 * the status file keeps).  0, or -ENOMEM with RUN holding those copied. */
int qemud_isolation_append(struct qemud_isolation *run, const struct qemud_isolation *new);

/* Removes RUN's newest grant of PATH with ACCESS, once it is revoked. */
void qemud_isolation_forget(struct qemud_isolation *run, const char *path, enum qemud_grant_access access);
