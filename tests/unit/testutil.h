/* Small helpers shared by the Check unit tests. */
#pragma once

#include <stddef.h>

/* Makes a fresh directory /tmp/PREFIX.XXXXXX into DIR (SIZE bytes); fails the test on error. */
void mv_test_mkdtemp(char *dir, size_t size, const char *prefix);
/* Removes DIR and everything below it. */
void mv_test_rmtree(const char *dir);
/* "$top_srcdir/tests/data/SUB/NAME" (malloc'd); top_srcdir comes from the test harness. */
char *mv_test_data_path(const char *sub, const char *name);
