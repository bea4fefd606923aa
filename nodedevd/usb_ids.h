/*
 * USB vendor and product names from usb.ids (usbutils' database, what
 * udev's hwdb gives as ID_VENDOR_FROM_DATABASE / ID_MODEL_FROM_DATABASE
 * where udevd runs).
 *
 * The file is searched on each lookup and nothing is kept: a host has a
 * few USB devices, read once each at a scan or a hot-plug, and holding the
 * whole database (~750 KiB) for them would cost more than reading it.
 */
#pragma once

/* Names of VENDOR and PRODUCT, from the database at PATH (NULL: the first
 * of the places distributions install it): new strings in *VENDOR_NAME and
 * *PRODUCT_NAME, NULL when the database (or it) has none.  0 or -ENOMEM;
 * a missing or unreadable database is not an error. */
int nodedev_usb_ids_lookup(const char *path, unsigned int vendor, unsigned int product,
                           char **vendor_name, char **product_name);
