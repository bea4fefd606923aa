/* Vendor and product names from pci.ids (pci_ids.c), read once at start. */
#pragma once

struct nodedev_pci_ids;

/* Loads PATH (the pciutils/hwdata format); 0 or -errno.  A missing file is
 * not an error for the daemon: it then names no vendor (and logs it). */
int nodedev_pci_ids_load(const char *path, struct nodedev_pci_ids **out);
void nodedev_pci_ids_free(struct nodedev_pci_ids *ids);
/* The names, or NULL when unknown; valid while IDS lives. */
const char *nodedev_pci_vendor_name(const struct nodedev_pci_ids *ids, unsigned int vendor);
const char *nodedev_pci_product_name(const struct nodedev_pci_ids *ids, unsigned int vendor, unsigned int product);
