/* Fake sysfs trees for the nodedevd unit tests: build a fixture with
 * tests/nodedev/mkfixture.sh and show it to sd-device as /sys, in a mount
 * namespace of the (forked) test process alone. */
#pragma once

#include <stdbool.h>

/* Builds fixture NAME (tests/nodedev/fixture-NAME.sh) into a fresh
 * directory /tmp/nodedev-NAME.XXXXXX/sys; its path (malloc'd).  Fails the
 * test if the script fails. */
char *nodedev_fixture_build(const char *name);
/* Removes what nodedev_fixture_build made (SYSDIR and its parent) and
 * frees SYSDIR; NULL is fine. */
void nodedev_fixture_remove(char *sysdir);
/* Moves the calling process into a mount namespace of its own (nothing
 * propagates back) and bind-mounts SYSDIR on /sys.  Only in a test that
 * runs in its own process (CK_FORK): the process's /sys stays the
 * fixture.  Also sets SYSTEMD_DEVICE_VERIFY_SYSFS=0: sd-device refuses
 * devices whose directory is not on a sysfs otherwise.  0 or -errno (EPERM
 * without root). */
int nodedev_fixture_enter(const char *sysdir);
/* Whether this process may make mount namespaces (root), probed in a child. */
bool nodedev_fixture_possible(void);
/* The fixture names of tests/nodedev/fixtures.list (one a line, '#'
 * comments), NULL-terminated, malloc'd; exits when the list cannot be read. */
char **nodedev_fixture_list(void);
