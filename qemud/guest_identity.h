/*
 * Which uid/gid each running guest's QEMU gets.  By default every running
 * domain has its own pair from guest_uid_range (qemud.conf), held by no
 * other running domain, so one compromised QEMU cannot touch another
 * guest's files; `user`/`group` give one fixed identity instead (libvirt's
 * qemu.conf style; user = "root" turns isolation off).
 */
#pragma once

#include "conf.h"
#include "error.h"
#include "guest_isolation.h"

/* Reads user, group and guest_uid_range from CONF (absent keys: defaults).
 * 0, or -EINVAL with *ERRMSG naming the key and the cause. */
int qemud_guest_ids_configure(const mv_conf *conf, char **errmsg);

/* Whether guests run unprivileged (false only for user = "root"). */
bool qemud_guest_ids_isolated(void);

/* An identity for DOMNAME's new run: the fixed one, or the lowest free uid
 * of the range (gid the same number).  -EBUSY with ERR when the range is
 * used up. */
int qemud_guest_id_acquire(const char *domname, struct qemud_guest_id *id, struct mv_err *err);

/* Marks ID held again (a re-attached guest); -EEXIST if another holds it. */
int qemud_guest_id_reserve(const char *domname, const struct qemud_guest_id *id);

/* Whether UID is one guests run as: inside guest_uid_range, or the fixed
 * user's (an ACL entry for it is a guest's grant, not a local user's). */
bool qemud_guest_id_is_guest(uid_t uid);

/* Gives ID back (fine on an unset one). */
void qemud_guest_id_release(const struct qemud_guest_id *id);

/* The supplementary groups a guest needs for LIVE's devices (the kvm
 * group when it uses /dev/kvm); at most MAX, their number. */
size_t qemud_guest_id_groups(bool uses_kvm, gid_t *groups, size_t max);
