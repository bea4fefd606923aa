/* Namespaces of a unit test's own, for the tests that make links, routes or
 * firewall rules: nothing they do reaches the machine's. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Puts the calling process in a network and a mount namespace of its own,
 * with a sysfs that shows the new network namespace's links.  0 or -errno
 * (EPERM without root). */
int mv_test_enter_netns(void);
/* Runs PROBE in a child process, which may unshare or change whatever it
 * likes, and says whether it returned 0: whether this test can do what it
 * needs (root, the kernel's features, a tool) without changing itself.  No
 * ck_assert in PROBE: it runs outside any test. */
bool mv_test_probe(int (*probe)(void));
/* The links of the current network namespace, sorted and space-separated
 * ("lo mvbr0"), into OUT (SIZE bytes). */
void mv_test_list_links(char *out, size_t size);
