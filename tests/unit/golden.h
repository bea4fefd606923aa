/* Golden files for the Check unit tests: an input tests/DIR/NAME.xml and the
 * expected output next to it, compared as text; MV_REGENERATE=1 rewrites
 * the expected files instead, for a change that is intended. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Which inputs mv_test_golden_inputs() lists: NAME-invalid.xml are the ones
 * a test expects to be refused. */
enum mv_test_inputs {
    MV_TEST_INPUTS_ALL,
    MV_TEST_INPUTS_VALID,
    MV_TEST_INPUTS_INVALID,
};

/* Whether MV_REGENERATE=1 asks for the expected files to be rewritten. */
bool mv_test_regenerate(void);
/* "$top_srcdir/tests/DIR/NAME" SUFFIX (malloc'd). */
char *mv_test_golden_path(const char *dir, const char *name, const char *suffix);
/* The text of tests/DIR/NAME SUFFIX; fails the test, with a hint to
 * regenerate when the file is missing, if it cannot be read. */
char *mv_test_golden_read(const char *dir, const char *name, const char *suffix);
/* Compares TEXT with tests/DIR/NAME SUFFIX, or rewrites it when regenerating.
 * On a difference TEXT goes to NAME SUFFIX.actual in the current (build)
 * directory, so that the failure can name a file to diff rather than hold
 * the text: Check's messages must stay short. */
void mv_test_golden(const char *dir, const char *name, const char *suffix, const char *text);
/* A parser's and formatter's golden case: ROUNDTRIP (parse TEXT, which must
 * succeed, and format it back; it fails the test otherwise) turns
 * tests/DIR/NAME.xml into the text of NAME.out.xml, and that output into
 * itself again: what modvirt writes, it reads back unchanged. */
void mv_test_golden_roundtrip(const char *dir, const char *name,
                              char *(*roundtrip)(const char *name, const char *text));
/* Writes TEXT to NAME SUFFIX in the current directory; the path, valid until
 * the next call. */
const char *mv_test_write_actual(const char *name, const char *suffix, const char *text);
/* The NAMEs of tests/DIR/NAME.xml (not NAME.out.xml) that WHICH selects,
 * sorted for a stable TAP order, into a NULL-terminated malloc'd *NAMES;
 * their number.  Runs before any test, so it exits instead of failing one,
 * and also when there are fewer than MIN: a lost directory must not pass
 * as "nothing to test". */
size_t mv_test_golden_inputs(const char *dir, enum mv_test_inputs which, size_t min, char ***names);
/* Frees what mv_test_golden_inputs() gave. */
void mv_test_golden_inputs_free(char **names);
