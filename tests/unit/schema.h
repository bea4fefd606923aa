/* libvirt's own RelaxNG schemas, for the unit tests that check what modvirt
 * formats against them (libvirt-clients installs them). */
#pragma once

#include <stdbool.h>

#include <libxml/relaxng.h>

#define MV_TEST_SCHEMA_DIR "/usr/share/libvirt/schemas"

/* MV_TEST_SCHEMA_DIR/NAME.rng, parsed; NULL, said as a TAP comment, when
 * it is not installed: the caller has nothing to compare with and skips.
 * Fails the test if it is there but does not parse. */
xmlRelaxNGPtr mv_test_schema_load(const char *name);
/* Whether XML is valid against SCHEMA (libxml2 says why on stderr if not). */
bool mv_test_schema_valid(xmlRelaxNGPtr schema, const char *xml);
