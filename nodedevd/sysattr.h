/*
 * Numbers from an sd-device's sysfs attributes and uevent properties, read
 * the way libvirt's udev backend reads them, for the capability readers
 * (cap_*.c).  Text is read with nodedev_attr_str / nodedev_prop_str (read.h).
 *
 * Numbers are parsed whole, a trailing newline allowed.  An absent
 * attribute is not an error: every getter leaves its output untouched and
 * returns -ENOENT, so a reader sets the default first.
 */
#pragma once

#include <stdbool.h>
#include <systemd/sd-device.h>

/* ATTR ("speed", "device/type") as an unsigned number in BASE (0: "0x"
 * means hex).  A negative number keeps its low 32 bits as libvirt's
 * strtoul-based parser does (a virtio NIC's speed -1 is 4294967295).
 * 0, -ENOENT, -EINVAL. */
int nodedev_attr_uint(sd_device *d, const char *attr, int base, unsigned int *out);
int nodedev_attr_ull(sd_device *d, const char *attr, unsigned long long *out);
/* The uevent property KEY (BUSNUM, ID_VENDOR_ID...) as an unsigned number. */
int nodedev_prop_uint(sd_device *d, const char *key, int base, unsigned int *out);
/* True when property KEY is set to a number other than 0 ("ID_CDROM=1"). */
bool nodedev_prop_true(sd_device *d, const char *key);
/* True when property KEY is set at all. */
bool nodedev_prop_has(sd_device *d, const char *key);
/* Removes leading and trailing blanks of *S in place (libvirt's
 * virTrimSpaces of a SCSI vendor "ATA     "); a string left empty is freed
 * and *S made NULL (nothing to show).  *S NULL is fine. */
void nodedev_trim(char **s);
