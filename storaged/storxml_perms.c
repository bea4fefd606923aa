/* <permissions> and paths, shared by the pool and volume XML. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "error_codes.h"
#include "storxml_priv.h"
#include "validate.h"

static int perms_mode(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_perms *p = obj;
    _cleanup_free_ char *s = NULL;
    char *end;
    long v;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &s)) < 0)
        return r;
    errno = 0;
    v = strtol(mv_xml_trim(s), &end, 8);
    /* strtol would take a sign or leading blanks: only octal digits pass */
    if (!*mv_xml_trim(s) || strspn(mv_xml_trim(s), "01234567") != strlen(mv_xml_trim(s)) || errno || *end ||
        v > 07777)
        return mv_xml_fail_value(c, n, NULL, mv_xml_trim(s));
    p->mode = (int)v;
    return 0;
}

/* owner/group: a uid or gid, or -1 for "leave as it is" */
static int perms_id(struct mv_xml_ctx *c, xmlNodePtr n, long long *out)
{
    _cleanup_free_ char *s = NULL;
    unsigned long long v;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &s)) < 0)
        return r;
    if (strcmp(mv_xml_trim(s), "-1") == 0) {
        *out = -1;
        return 0;
    }
    /* (uid_t)-1 is the "unset" value itself, so the largest id is one less */
    if (mv_xml_parse_ull(mv_xml_trim(s), false, &v) < 0 || v >= UINT32_MAX)
        return mv_xml_fail_value(c, n, NULL, mv_xml_trim(s));
    *out = (long long)v;
    return 0;
}

static int perms_owner(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return perms_id(c, n, &((struct mv_perms *)obj)->owner);
}

static int perms_group(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return perms_id(c, n, &((struct mv_perms *)obj)->group);
}

static int perms_label(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    (void)n;
    (void)obj;
    return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                       "<permissions><label> is not supported (modvirt sets no security labels)");
}

static const struct mv_xml_rule perms_rules[] = {
    { "mode", perms_mode, false },
    { "owner", perms_owner, false },
    { "group", perms_group, false },
    { "label", perms_label, false },
};

int mv_stor_parse_perms(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_perms *perms)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, perms_rules, perms);
}

void mv_stor_format_perms(struct mv_xml_out *o, const struct mv_perms *perms)
{
    char buf[32];

    if (perms->mode < 0 && perms->owner < 0 && perms->group < 0)
        return;
    mv_xml_out_start(o, "permissions");
    if (perms->mode >= 0) {
        snprintf(buf, sizeof(buf), "0%o", (unsigned int)perms->mode);
        mv_xml_out_text_elem(o, "mode", buf);
    }
    if (perms->owner >= 0) {
        snprintf(buf, sizeof(buf), "%lld", perms->owner);
        mv_xml_out_text_elem(o, "owner", buf);
    }
    if (perms->group >= 0) {
        snprintf(buf, sizeof(buf), "%lld", perms->group);
        mv_xml_out_text_elem(o, "group", buf);
    }
    mv_xml_out_end(o);
}

/* C0, DEL and C1 (U+0080..U+009F, which UTF-8 writes as 0xc2 0x80..0x9f):
 * a path goes on mount's and qemu-img's command lines and into messages */
static bool has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f))
            return true;
    return false;
}

/* Why S is not a path we take, or NULL if it is one. */
static const char *path_problem(const char *s, size_t len)
{
    if (s[0] != '/')
        return "paths must be absolute";
    if (strcmp(s, "/") == 0)
        return "'/' itself is not allowed";
    if (len >= PATH_MAX)
        return "paths must be shorter than 4096 bytes";
    if (has_control(s))
        return "paths must not contain control characters";
    if (!mv_path_is_absolute_clean(s))
        return "paths must not contain '//', '.' or '..' components";
    return NULL;
}

int mv_stor_check_path(struct mv_xml_ctx *c, xmlNodePtr n, const char *attr, char **s)
{
    _cleanup_free_ char *q = NULL;
    size_t len = strlen(*s);
    const char *why = path_problem(*s, len);

    if (!why) {
        while (len > 1 && (*s)[len - 1] == '/')
            (*s)[--len] = '\0';
        return 0;
    }
    q = mv_xml_quote(*s);
    if (!q)
        return -ENOMEM;
    if (attr)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "invalid path '%s' in <%s %s=...>: %s", q, n->name, attr, why);
    return mv_xml_fail(c, MV_ERR_XML_DETAIL, "invalid path '%s' in <%s>: %s", q, n->name, why);
}
