/*
 * One POSIX ACL entry (user:UID) added to a host file for a guest and taken
 * back again (libacl).  Files are reached through /proc/self/fd/N of an
 * O_PATH fd the caller opened and checked, so a path swapped meanwhile is
 * never the one changed.
 */
#pragma once

#include <sys/types.h>

/* rwx bits of an ACL entry, as in a mode's "other" digit */
#define QEMUD_ACL_R 4u
#define QEMUD_ACL_W 2u
#define QEMUD_ACL_X 1u

/* The mask entry's rwx bits of the file open as FD (O_PATH) into *MASK,
 * -1 when it has no extended ACL (or its filesystem has none).  0 or
 * -errno. */
int qemud_acl_mask_get(int fd, int *mask);

/* Adds user:UID with PERM to the file open as FD (PATH names it in
 * *ERRMSG), widening the mask by PERM only.  An entry for UID already there
 * gets PERM added (idempotent).  -EOPNOTSUPP: its filesystem has no ACLs. */
int qemud_acl_add(int fd, const char *path, uid_t uid, unsigned int perm, char **errmsg);

/* Removes user:UID from PATH (opened without following any symlink).
 * When no named entry is left the extended ACL goes, the file keeping its
 * CURRENT owner, group (as effective) and other bits: an owner's chmod
 * during the run stays.  Otherwise the mask goes back to MASK, recorded
 * before qemud_acl_add() (-1: none, the group bits of MODE then), no wider
 * than it is now, widened only by the entries other guests' uids
 * (qemud_guest_id_is_guest) still hold there, never by a local user's
 * entry the mask limited.  0 also when there is no entry for UID (already
 * removed); -ENOENT when PATH is gone. */
int qemud_acl_remove(const char *path, uid_t uid, mode_t mode, int mask, char **errmsg);
