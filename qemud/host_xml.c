#include <config.h>

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "host_xml.h"

int mv_host_xml_new(struct mv_host_xml *x)
{
    x->buf = xmlBufferCreate();
    if (!x->buf)
        return -ENOMEM;
    x->w = xmlNewTextWriterMemory(x->buf, 0);
    if (!x->w || xmlTextWriterSetIndent(x->w, 1) < 0 ||
        xmlTextWriterSetIndentString(x->w, BAD_CAST "  ") < 0) {
        mv_host_xml_discard(x);
        return -ENOMEM;
    }
    return 0;
}

void mv_host_xml_discard(struct mv_host_xml *x)
{
    if (x->w)
        xmlFreeTextWriter(x->w);
    x->w = NULL;
    if (x->buf)
        xmlBufferFree(x->buf);
    x->buf = NULL;
}

int mv_host_xml_finish(struct mv_host_xml *x, char **xml)
{
    char *text;
    int r;

    r = xmlTextWriterEndDocument(x->w);
    xmlFreeTextWriter(x->w);        /* flushes into the buffer */
    x->w = NULL;
    if (r < 0) {
        mv_host_xml_discard(x);
        return -EIO;
    }
    text = strdup((const char *)xmlBufferContent(x->buf));
    mv_host_xml_discard(x);
    if (!text)
        return -ENOMEM;
    *xml = text;
    return 0;
}

/* Length of the valid UTF-8 sequence at S (1-4), 0 if invalid. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n;
    unsigned int cp;

    if (s[0] < 0x80)
        return 1;
    if ((s[0] & 0xe0) == 0xc0)
        n = 2, cp = s[0] & 0x1f;
    else if ((s[0] & 0xf0) == 0xe0)
        n = 3, cp = s[0] & 0x0f;
    else if ((s[0] & 0xf8) == 0xf0)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3f);
    }
    /* overlong forms, surrogates, beyond Unicode, and U+FFFE/U+FFFF are not XML chars */
    if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
        (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp == 0xfffe || cp == 0xffff)
        return 0;
    return n;
}

static bool is_blank(unsigned char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

char *mv_host_xml_clean_text(const char *text)
{
    const unsigned char *s = (const unsigned char *)text;
    const unsigned char *end = s + strlen(text);
    size_t o = 0;
    char *out;

    while (s < end && is_blank(*s))
        s++;
    while (end > s && is_blank(end[-1]))
        end--;
    out = malloc((size_t)(end - s) + 1);
    if (!out)
        return NULL;
    while (s < end) {
        size_t n = utf8_len(s);

        if (n == 0 || s + n > end || (n == 1 && ((*s < 0x20 && *s != '\t') || *s == 0x7f))) {
            out[o++] = '?';
            s++;
            continue;
        }
        memcpy(out + o, s, n);
        o += n;
        s += n;
    }
    out[o] = '\0';
    return out;
}
