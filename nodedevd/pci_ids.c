/* placeholder of the contract commit: its owner replaces it (plans/nodedev14-plan.md) */
#include <errno.h>
#include <stddef.h>
#include "pci_ids.h"
int nodedev_pci_ids_load(const char *path, struct nodedev_pci_ids **out) { (void)path; *out = NULL; return -ENOSYS; }
void nodedev_pci_ids_free(struct nodedev_pci_ids *ids) { (void)ids; }
const char *nodedev_pci_vendor_name(const struct nodedev_pci_ids *ids, unsigned int vendor) { (void)ids; (void)vendor; return NULL; }
const char *nodedev_pci_product_name(const struct nodedev_pci_ids *ids, unsigned int vendor, unsigned int product) { (void)ids; (void)vendor; (void)product; return NULL; }
