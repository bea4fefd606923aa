/*
 * The sticky-failure writer of xml_format.h: each call checks the flag,
 * makes one libxml2 writer call and sets the flag if that failed.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "cleanup.h"
#include "uuid.h"
#include "xml_format.h"

int mv_xml_out_open(struct mv_xml_out *o)
{
    o->failed = false;
    return mv_xml_writer_open(&o->w);
}

void mv_xml_out_start(struct mv_xml_out *o, const char *name)
{
    if (!o->failed && xmlTextWriterStartElement(o->w.writer, BAD_CAST name) < 0)
        o->failed = true;
}

void mv_xml_out_end(struct mv_xml_out *o)
{
    if (!o->failed && xmlTextWriterEndElement(o->w.writer) < 0)
        o->failed = true;
}

void mv_xml_out_attr(struct mv_xml_out *o, const char *name, const char *value)
{
    if (!o->failed && value && xmlTextWriterWriteAttribute(o->w.writer, BAD_CAST name, BAD_CAST value) < 0)
        o->failed = true;
}

void mv_xml_out_attrf(struct mv_xml_out *o, const char *name, const char *fmt, ...)
{
    _cleanup_free_ char *s = NULL;
    va_list ap;
    int r;

    if (o->failed)
        return;
    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0) {
        s = NULL;
        o->failed = true;
        return;
    }
    mv_xml_out_attr(o, name, s);
}

void mv_xml_out_text(struct mv_xml_out *o, const char *text)
{
    if (!o->failed && text && xmlTextWriterWriteString(o->w.writer, BAD_CAST text) < 0)
        o->failed = true;
}

void mv_xml_out_text_elem(struct mv_xml_out *o, const char *name, const char *text)
{
    if (!o->failed && text && xmlTextWriterWriteElement(o->w.writer, BAD_CAST name, BAD_CAST text) < 0)
        o->failed = true;
}

void mv_xml_out_leaf(struct mv_xml_out *o, const char *name, const char *attr, const char *value)
{
    if (!value)
        return;
    mv_xml_out_start(o, name);
    mv_xml_out_attr(o, attr, value);
    mv_xml_out_end(o);
}

void mv_xml_out_raw(struct mv_xml_out *o, const char *text)
{
    if (!o->failed && xmlTextWriterWriteRaw(o->w.writer, BAD_CAST text) < 0)
        o->failed = true;
}

void mv_xml_out_uuid(struct mv_xml_out *o, const unsigned char uuid[16])
{
    char s[MV_UUID_STRING_LEN];

    mv_uuid_format(uuid, s);
    mv_xml_out_text_elem(o, "uuid", s);
}

void mv_xml_out_metadata(struct mv_xml_out *o, const char *children)
{
    if (!children)
        return;
    mv_xml_out_start(o, "metadata");
    /* the writer does not indent raw text: the stored children go back
     * verbatim, one per line, at the depth of a child of <metadata> */
    if (*children) {
        mv_xml_out_raw(o, "\n    ");
        mv_xml_out_raw(o, children);
        mv_xml_out_raw(o, "\n  ");
    }
    mv_xml_out_end(o);
}

int mv_xml_out_finish(struct mv_xml_out *o, char **out)
{
    if (o->failed) {
        mv_xml_writer_discard(&o->w);
        return -ENOMEM;
    }
    return mv_xml_writer_finish(&o->w, out);
}

void mv_xml_out_discard(struct mv_xml_out *o)
{
    mv_xml_writer_discard(&o->w);
}
