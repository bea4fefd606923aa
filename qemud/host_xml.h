/*
 * The few xmlTextWriter helpers the host XML formatters share (a writer
 * into memory with two-space indent, finishing it into a string, and
 * cleaning host-supplied text so that it is always valid XML character data).
 */
#pragma once

#include <libxml/xmlwriter.h>

/* Attribute values are double-quoted: libxml2 2.9 does not escape ' inside a '-quoted value. */

/* A writer and the memory buffer it writes into; both owned. */
struct mv_host_xml {
    xmlBufferPtr buf;
    xmlTextWriterPtr w;
};

/* Creates a writer into a new memory buffer, indented by two spaces; 0 / -ENOMEM. */
int mv_host_xml_new(struct mv_host_xml *x);

/* Closes open elements and hands the text out as a new string; X is discarded either way; 0 / -ENOMEM / -EIO. */
int mv_host_xml_finish(struct mv_host_xml *x, char **xml);

/* Frees what X holds (for _cleanup_); safe on a zeroed or discarded X. */
void mv_host_xml_discard(struct mv_host_xml *x);

/*
 * A copy of TEXT safe as XML character data: invalid UTF-8 bytes and control
 * characters other than tab become '?', surrounding whitespace is trimmed.
 * NULL on ENOMEM.
 */
char *mv_host_xml_clean_text(const char *text);

/* Bail out of a formatter when an xmlTextWriter call fails. */
#define MV_XML_TRY(call) do { if ((call) < 0) return -ENOMEM; } while (0)
