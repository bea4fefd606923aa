/* placeholder of the contract commit: its owner replaces it (plans/nodedev14-plan.md) */
#include <errno.h>
#include <stddef.h>
#include "tree.h"
int nodedev_tree_new(struct nodedev_tree **out) { *out = NULL; return -ENOSYS; }
void nodedev_tree_free(struct nodedev_tree *t) { (void)t; }
int nodedev_tree_put(struct nodedev_tree *t, struct nodedev_device *dev) { (void)t; (void)dev; return -ENOSYS; }
struct nodedev_device *nodedev_tree_remove(struct nodedev_tree *t, const char *name) { (void)t; (void)name; return NULL; }
struct nodedev_device *nodedev_tree_remove_syspath(struct nodedev_tree *t, const char *syspath) { (void)t; (void)syspath; return NULL; }
struct nodedev_device *nodedev_tree_find(struct nodedev_tree *t, const char *name) { (void)t; (void)name; return NULL; }
struct nodedev_device *nodedev_tree_find_syspath(struct nodedev_tree *t, const char *syspath) { (void)t; (void)syspath; return NULL; }
struct nodedev_device *nodedev_tree_find_wwn(struct nodedev_tree *t, const char *wwnn, const char *wwpn) { (void)t; (void)wwnn; (void)wwpn; return NULL; }
int nodedev_tree_list(struct nodedev_tree *t, unsigned int cap_mask, unsigned int flags, struct nodedev_device ***devs, size_t *n) { (void)t; (void)cap_mask; (void)flags; *devs = NULL; *n = 0; return -ENOSYS; }
void nodedev_list_free(struct nodedev_device **devs, size_t n) { (void)devs; (void)n; }
size_t nodedev_tree_count(struct nodedev_tree *t) { (void)t; return 0; }
