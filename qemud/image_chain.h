/*
 * The backing chain of a qcow2 image, read from the headers themselves (no
 * qemu-img): which files QEMU will open read-only below a disk.
 */
#pragma once

#include <stddef.h>

/* Deepest chain followed; libvirt stops at 200, no sane guest needs 16 */
#define QEMUD_IMAGE_CHAIN_MAX 16
/* Longest backing file name a qcow2 header may hold (QEMU's limit) */
#define QEMUD_IMAGE_BACKING_NAME_MAX 1023

/* The backing files below the qcow2 image PATH, top first, as paths to
 * open (a relative name is taken relative to the directory of the image
 * naming it), into a malloc'd NULL-terminated *CHAIN (empty when PATH has
 * no backing file).  A file that is not qcow2 ends the chain (raw).
 * TOPFD: PATH's O_PATH fd, opened and checked by the caller, whose header
 * is read (-1: PATH is opened and checked like a backing file).  Each
 * backing file is opened O_PATH first and read only once it is known to be
 * a regular file or block device that the path policy allows for DOMNAME
 * (NULL: no policy check); a FIFO, a character device, a directory is
 * refused without being opened for reading.  Refused too, with *ERRMSG
 * naming the image: a loop, more than QEMUD_IMAGE_CHAIN_MAX files, a
 * protocol name ("nbd:...", "json:{...}"), an external data file, a broken
 * header.  0 or -errno. */
int qemud_image_chain_read(const char *domname, int topfd, const char *path, char ***chain, char **errmsg);
