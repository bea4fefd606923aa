/*
 * Domain XML <filesystem> -> struct mv_dom_fs: a host directory shared with
 * the guest over 9p or virtiofs.  Only type='mount' exists here; ram, block,
 * file, bind and template filesystems are container (LXC) or image concepts
 * that QEMU has no device for, and are refused by name.
 *
 * What the parser can tell from the XML alone is checked here (absolute,
 * plain paths; a tag the guest can name; settings that belong to one driver
 * only).  That the directory exists is a fact of the host at start, checked
 * then (virtiofs.h); what QEMU 7.2 cannot do is refused by qemu_cmd_fs.c.
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"
#include "domain_parse_priv.h"
#include "error_codes.h"
#include "xml.h"

/* Characters a mount tag may hold besides ASCII letters and digits: what
 * libvirt's examples use ("/export/to/guest", "hostshare"), nothing a shell,
 * an fstab line or an option string would split on. */
#define FS_TAG_EXTRA "_-./:+@"

/* An absolute path without "." or ".." components: the path the user
 * names is the directory shared, not one a reader must resolve first. */
static bool plain_path(const char *s)
{
    for (const char *p = s; (p = strchr(p, '/')); p++) {
        size_t n = strcspn(p + 1, "/");

        if ((n == 1 && p[1] == '.') || (n == 2 && p[1] == '.' && p[2] == '.'))
            return false;
    }
    return true;
}

static int fs_attr_onoff(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, enum mv_tristate *out)
{
    bool on;
    int r = mv_xml_attr_onoff(c, n, name, &on);

    if (r == 1)
        *out = on ? MV_TRISTATE_YES : MV_TRISTATE_NO;
    return r;
}

/* enum attribute into an enum field F of *OUT's type: 1 found, 0 absent */
#define FS_ATTR_ENUM(c, n, name, table, field) \
    ({ int _v = 0, _r = mv_xml_attr_enum(c, n, name, table##_from_string, &_v); \
       if (_r == 1) (field) = _v; \
       _r; })

/* ---- <driver>, <source>, <target> ---- */

static int fs_driver(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_fs *fs = obj;
    int r;

    fs->driver_given = true;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type", "queue"))) < 0 ||
        (r = FS_ATTR_ENUM(c, n, "type", mv_dom_fs_driver, fs->driver)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "queue", false, 1, UINT16_MAX, &fs->queue)) < 0)
        return r;
    if (fs->queue && fs->driver != MV_DOM_FS_DRIVER_VIRTIOFS)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<filesystem><driver queue=...> needs type='virtiofs'");
    return 0;
}

static int fs_source(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_fs *fs = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("dir", "socket"))) < 0 ||
        (r = mv_xml_attr_path(c, n, "dir", &fs->source_dir)) < 0 ||
        (r = mv_xml_attr_path(c, n, "socket", &fs->source_socket)) < 0)
        return r;
    if (fs->source_dir && !plain_path(fs->source_dir))
        return mv_xml_fail_value(c, n, "dir", fs->source_dir);
    if (fs->source_dir && fs->source_socket)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<filesystem><source> takes dir= or socket=, not both");
    if (!fs->source_dir && !fs->source_socket)
        return mv_xml_fail_missing_attr(c, n, "dir");
    return 0;
}

static int fs_target(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_fs *fs = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("dir"))) < 0 ||
        (r = mv_xml_attr_token(c, n, "dir", FS_TAG_EXTRA, &fs->target)) < 0)
        return r;
    return fs->target ? 0 : mv_xml_fail_missing_attr(c, n, "dir");
}

static int fs_readonly(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    ((struct mv_dom_fs *)obj)->readonly = true;
    return mv_xml_leaf(c, n, MV_XML_NO_ATTRS);
}

static int fs_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_address(c, n, &((struct mv_dom_fs *)obj)->addr);
}

static int fs_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_fs *)obj)->alias);
}

/* ---- <binary>: virtiofsd's settings ---- */

static int binary_cache(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_fs_binary *b = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("mode"))) < 0 ||
        (r = FS_ATTR_ENUM(c, n, "mode", mv_dom_fs_cache, b->cache)) < 0)
        return r;
    return 0;
}

static int binary_sandbox(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_fs_binary *b = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("mode"))) < 0 ||
        (r = FS_ATTR_ENUM(c, n, "mode", mv_dom_fs_sandbox, b->sandbox)) < 0)
        return r;
    return 0;
}

static int binary_lock(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_fs_binary *b = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("posix", "flock"))) < 0 ||
        (r = fs_attr_onoff(c, n, "posix", &b->lock_posix)) < 0 ||
        (r = fs_attr_onoff(c, n, "flock", &b->lock_flock)) < 0)
        return r;
    return 0;
}

static int binary_thread_pool(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_fs_binary *b = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("size"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "size", false, 0, INT_MAX, &b->thread_pool_size)) < 0)
        return r;
    b->thread_pool_given = r == 1;
    return 0;
}

static const struct mv_xml_rule binary_rules[] = {
    { "cache", binary_cache, false },
    { "sandbox", binary_sandbox, false },
    { "lock", binary_lock, false },
    { "thread_pool", binary_thread_pool, false },
};

static int fs_binary(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_fs_binary *b = &((struct mv_dom_fs *)obj)->binary;
    int r;

    b->given = true;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("path", "xattr"))) < 0 ||
        (r = mv_xml_attr_path(c, n, "path", &b->path)) < 0 ||
        (r = fs_attr_onoff(c, n, "xattr", &b->xattr)) < 0)
        return r;
    return MV_XML_WALK(c, n, binary_rules, b);
}

static const struct mv_xml_rule fs_rules[] = {
    { "driver", fs_driver, false },
    { "binary", fs_binary, false },
    { "source", fs_source, false },
    { "target", fs_target, false },
    { "readonly", fs_readonly, false },
    { "alias", fs_alias, false },
    { "address", fs_address, false },
};

/* ---- the element ---- */

/* fmode=/dmode=: the octal permissions mapped 9p gives new files and
 * directories, as libvirt's schema spells them (one to four digits). */
static int fs_mode(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, int *out)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_attr_get(n, name, &s);

    *out = -1;
    if (r <= 0)
        return r;
    if (!*s || strlen(s) > 4 || strspn(s, "01234567") != strlen(s))
        return mv_xml_fail_value(c, n, name, s);
    *out = (int)strtol(s, NULL, 8);
    return 1;
}

/* What the XML says that one driver cannot take, named. */
static int fs_check(struct mv_xml_ctx *c, const struct mv_dom_fs *fs)
{
    const char *tag = fs->target;

    if (!fs->target)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <target dir=...> of <filesystem>");
    if (!fs->source_dir && !fs->source_socket)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <source dir=...> of <filesystem> '%s'", tag);
    if (fs->driver != MV_DOM_FS_DRIVER_VIRTIOFS) {
        if (fs->binary.given)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL,
                               "<binary> of <filesystem> '%s' needs <driver type='virtiofs'>", tag);
        if (fs->source_socket)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL,
                               "<source socket=...> of <filesystem> '%s' needs <driver type='virtiofs'>", tag);
    }
    if (fs->source_socket && fs->binary.given)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<filesystem> '%s' with <source socket=...> uses a "
                           "virtiofsd run by the user: it takes no <binary>", tag);
    if ((fs->fmode >= 0 || fs->dmode >= 0) && fs->access != MV_DOM_FS_ACCESS_MAPPED)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL,
                           "fmode= and dmode= of <filesystem> '%s' need accessmode='mapped'", tag);
    return 0;
}

int dom_parse_filesystem(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const kinds[] = { "mount", "block", "file", "template", "ram", "bind", "volume", NULL };
    struct mv_dom_devices *devs = obj;
    struct mv_dom_fs *fs = MV_XML_GROW(devs->filesystems, devs->nfilesystems);
    _cleanup_free_ char *type = NULL;
    int r;

    if (!fs)
        return -ENOMEM;
    fs->fmode = fs->dmode = -1;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type", "accessmode", "model", "multidevs", "fmode",
                                                    "dmode"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "type", kinds, &type)) < 0)
        return r;
    if (type && strcmp(type, "mount") != 0)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<filesystem type='%s'> is not supported: QEMU "
                           "shares host directories only (type='mount')", type);
    if ((r = FS_ATTR_ENUM(c, n, "accessmode", mv_dom_fs_access, fs->access)) < 0 ||
        (r = FS_ATTR_ENUM(c, n, "multidevs", mv_dom_fs_multidevs, fs->multidevs)) < 0 ||
        (r = mv_xml_attr_choice(c, n, "model", (const char *const[]){ "virtio", NULL }, &fs->model)) < 0 ||
        (r = fs_mode(c, n, "fmode", &fs->fmode)) < 0 || (r = fs_mode(c, n, "dmode", &fs->dmode)) < 0 ||
        (r = MV_XML_WALK(c, n, fs_rules, fs)) < 0)
        return r;
    return fs_check(c, fs);
}

int dom_check_filesystems(struct mv_xml_ctx *c, const struct mv_dom_devices *d)
{
    for (size_t i = 0; i < d->nfilesystems; i++)
        for (size_t j = 0; j < i; j++)
            if (strcmp(d->filesystems[i].target, d->filesystems[j].target) == 0)
                return mv_xml_fail(c, MV_ERR_XML_DETAIL, "filesystem target '%s' is used more than once",
                                   d->filesystems[i].target);
    return 0;
}
