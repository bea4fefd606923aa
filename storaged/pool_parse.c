/*
 * Pool XML -> struct mv_pool_def for the types storaged runs (dir, fs,
 * logical, netfs).  The strict walk (common/xml_strict.h) keeps or refuses
 * every element and attribute by name, so a setting for a pool type or
 * feature storaged lacks (<auth>, <adapter>, <initiator>) is an error, not
 * silently dropped.  Type rules (what each type needs in <source>) run
 * after the walk, when the whole definition is known.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "pool_def.h"
#include "storxml_priv.h"
#include "xml.h"

/* libvirt's other pool types: named, so a refusal says "not supported"
 * rather than "invalid value" */
static bool pool_type_known_elsewhere(const char *s)
{
    static const char *const types[] = { "disk", "iscsi", "iscsi-direct", "scsi", "mpath", "rbd", "sheepdog",
                                         "gluster", "zfs", "vstorage" };

    for (size_t i = 0; i < MV_ARRAY_SIZE(types); i++)
        if (strcmp(s, types[i]) == 0)
            return true;
    return false;
}

/* ---------------------------------------------------------------- root */

static int parse_name(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    /* the value was taken (and checked) by mv_xml_prescan_name() */
    (void)obj;
    return mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);
}

static int parse_uuid(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_text_uuid(c, n, ((struct mv_pool_def *)obj)->uuid);
}

/* capacity, allocation, available: what pool-dumpxml wrote; checked, then
 * ignored, since the live sizes come from the pool itself */
static int parse_size(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    unsigned long long ignored;

    (void)obj;
    return mv_xml_text_scaled(c, n, MV_XML_ATTRS("unit"), "bytes", 1, true, &ignored);
}

/* -------------------------------------------------------------- source */

static int source_device(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_pool_def *def = obj;
    char **slot = MV_XML_GROW(def->devices, def->ndevices);
    int r;

    if (!slot)
        return -ENOMEM;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("path"))) < 0 || (r = mv_xml_attr_get(n, "path", slot)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "path");
    return mv_stor_check_path(c, n, "path", slot);
}

static int source_dir(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_pool_def *def = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("path"))) < 0 || (r = mv_xml_attr_get(n, "path", &def->src_dir)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "path");
    return mv_stor_check_path(c, n, "path", &def->src_dir);
}

static int source_host(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_pool_def *def = obj;
    int r;

    /* a DNS name or an address; it goes on mount's command line */
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("name", "port"))) < 0 ||
        (r = mv_xml_attr_token(c, n, "name", ".-:_[]", &def->src_host)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "name");
    r = mv_xml_attr_uint_range(c, n, "port", false, 1, 65535, &def->src_port);
    return r < 0 ? r : 0;
}

static int source_name(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_pool_def *def = obj;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &def->src_name)) < 0)
        return r;
    /* a volume group name as LVM takes it; also the /dev/NAME directory */
    if (!mv_xml_token_ok(def->src_name, "+_.-") || def->src_name[0] == '-' || strcmp(def->src_name, ".") == 0 ||
        strcmp(def->src_name, "..") == 0 || strlen(def->src_name) > 127)
        return mv_xml_fail_value(c, n, NULL, def->src_name);
    return 0;
}

static int source_format(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_pool_def *def = obj;
    int r;

    /* which values a type takes is checked once the type's rules run */
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type"))) < 0 ||
        (r = mv_xml_attr_token(c, n, "type", "+-", &def->format)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, "type") : 0;
}

static const struct mv_xml_rule source_rules[] = {
    { "device", source_device, true },
    { "dir", source_dir, false },
    { "host", source_host, false },
    { "name", source_name, false },
    { "format", source_format, false },
};

static int parse_source(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, source_rules, obj);
}

/* -------------------------------------------------------------- target */

static int target_path(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_pool_def *def = obj;
    int r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &def->target_path);

    return r < 0 ? r : mv_stor_check_path(c, n, NULL, &def->target_path);
}

static int target_perms(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_stor_parse_perms(c, n, &((struct mv_pool_def *)obj)->perms);
}

static const struct mv_xml_rule target_rules[] = {
    { "path", target_path, false },
    { "permissions", target_perms, false },
};

static int parse_target(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, target_rules, obj);
}

static const struct mv_xml_rule pool_rules[] = {
    { "name", parse_name, false },
    { "uuid", parse_uuid, false },
    { "capacity", parse_size, false },
    { "allocation", parse_size, false },
    { "available", parse_size, false },
    { "source", parse_source, false },
    { "target", parse_target, false },
};

/* ---------------------------------------------------------- type rules */

/* Elements of <source> a type does not use: refused by name. */
static int refuse_unused(struct mv_xml_ctx *c, const struct mv_pool_def *def, bool devices, bool dir, bool host,
                         bool name, bool format)
{
    const char *what = !devices && def->ndevices ? "device" : !dir && def->src_dir ? "dir"
                     : !host && def->src_host ? "host" : !name && def->src_name ? "name"
                     : !format && def->format ? "format" : NULL;

    if (!what)
        return 0;
    return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<source><%s> is not used by a pool of type '%s'", what,
                       mv_pool_type_to_string(def->type));
}

/* FORMAT (default DEF_FORMAT) must be one of LIST; UNSUPPORTED are
 * libvirt's values storaged does not mount. */
static int check_format(struct mv_xml_ctx *c, struct mv_pool_def *def, const char *def_format,
                        const char *const *list, const char *const *unsupported)
{
    _cleanup_free_ char *q = NULL;

    if (!def->format) {
        def->format = strdup(def_format);
        return def->format ? 0 : -ENOMEM;
    }
    for (size_t i = 0; list[i]; i++)
        if (strcmp(def->format, list[i]) == 0)
            return 0;
    for (size_t i = 0; unsupported && unsupported[i]; i++)
        if (strcmp(def->format, unsupported[i]) == 0)
            return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<source><format type='%s'> is not supported for a "
                               "pool of type '%s'", def->format, mv_pool_type_to_string(def->type));
    q = mv_xml_quote(def->format);
    return q ? mv_xml_fail(c, MV_ERR_XML_DETAIL, "invalid value '%s' of <format type=...> for a pool of type '%s'",
                           q, mv_pool_type_to_string(def->type))
             : -ENOMEM;
}

static int check_fs(struct mv_xml_ctx *c, struct mv_pool_def *def)
{
    static const char *const formats[] = { "auto", "ext2", "ext3", "ext4", "ufs", "iso9660", "udf", "gfs", "gfs2",
                                           "vfat", "hfs+", "xfs", "ocfs2", "vmfs", NULL };
    int r = refuse_unused(c, def, true, false, false, false, true);

    if (r < 0)
        return r;
    if (def->ndevices != 1)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "a pool of type 'fs' needs exactly one <source><device path=...> "
                           "(the block device or image holding the filesystem), not %zu", def->ndevices);
    return check_format(c, def, "auto", formats, NULL);
}

static int check_netfs(struct mv_xml_ctx *c, struct mv_pool_def *def)
{
    static const char *const formats[] = { "auto", "nfs", NULL };
    static const char *const elsewhere[] = { "cifs", "glusterfs", NULL };
    int r = refuse_unused(c, def, false, true, true, false, true);

    if (r < 0)
        return r;
    if (!def->src_host || !def->src_dir)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "a pool of type 'netfs' needs <source><host name=...> and "
                           "<source><dir path=...> (the server and its export)");
    return check_format(c, def, "auto", formats, elsewhere);
}

/* libvirt's rules: the volume group is the pool's name unless <source><name>
 * says otherwise, and the target is always /dev/VG */
static int check_logical(struct mv_xml_ctx *c, struct mv_pool_def *def)
{
    static const char *const formats[] = { "lvm2", NULL };
    static const char *const elsewhere[] = { "unknown", NULL };
    _cleanup_free_ char *path = NULL;
    int r = refuse_unused(c, def, true, false, false, true, true);

    if (r < 0)
        return r;
    if (!def->src_name && !(def->src_name = strdup(def->name)))
        return -ENOMEM;
    if (!mv_xml_token_ok(def->src_name, "+_.-") || def->src_name[0] == '-')
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "the pool's name is not a volume group name: give the group in "
                           "<source><name>");
    if (asprintf(&path, "/dev/%s", def->src_name) < 0)
        return -ENOMEM;
    if (def->target_path && strcmp(def->target_path, path) != 0)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "the target of a logical pool is its volume group's directory "
                           "'%s', not '%s'", path, def->target_path);
    if (!def->target_path)
        def->target_path = TAKE_PTR(path);
    return check_format(c, def, "lvm2", formats, elsewhere);
}

static int check_type(struct mv_xml_ctx *c, struct mv_pool_def *def)
{
    if (def->type == MV_POOL_LOGICAL)
        return check_logical(c, def);
    if (!def->target_path)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <target><path> (the directory holding the volumes)");
    switch (def->type) {
    case MV_POOL_FS:
        return check_fs(c, def);
    case MV_POOL_NETFS:
        return check_netfs(c, def);
    default:
        return refuse_unused(c, def, false, false, false, false, false);
    }
}

/* type= comes first: a pool of a type storaged lacks is refused as such,
 * whatever else it holds */
static int parse_type(struct mv_xml_ctx *c, xmlNodePtr root, struct mv_pool_def *def)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_attr_get(root, "type", &s);

    if (r < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, root, "type");
    r = mv_pool_type_from_string(s);
    if (r >= 0) {
        def->type = r;
        return 0;
    }
    if (pool_type_known_elsewhere(s))
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "storage pool type '%s' is not supported", s);
    return mv_xml_fail_value(c, root, "type", s);
}

static int parse_root(struct mv_xml_ctx *c, xmlNodePtr root, struct mv_pool_def *def)
{
    int r;

    def->perms = (struct mv_perms){ .mode = -1, .owner = -1, .group = -1 };
    if ((r = mv_xml_check_root(c, root, "pool")) < 0 || (r = parse_type(c, root, def)) < 0 ||
        (r = mv_xml_prescan_name(c, root, &def->name)) < 0)
        return r;
    c->name = def->name;
    if ((r = mv_xml_check_attrs(c, root, MV_XML_ATTRS("type"))) < 0 ||
        (r = MV_XML_WALK(c, root, pool_rules, def)) < 0 || (r = check_type(c, def)) < 0)
        return r;
    if (mv_uuid_is_null(def->uuid) && (r = mv_uuid_generate(def->uuid)) < 0)
        return r;
    return 0;
}

int mv_pool_def_parse(const char *xml, struct mv_pool_def **out, char **errmsg)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_pool_def_ struct mv_pool_def *def = NULL;
    struct mv_xml_ctx c = { .kind = "storage pool" };
    int r;

    *errmsg = NULL;
    r = mv_xml_parse_reported(xml, "storage pool definition", &doc, errmsg);
    if (r < 0)
        return r == -ENOMEM ? r : -EINVAL;
    def = calloc(1, sizeof(*def));
    if (!def)
        return -ENOMEM;
    r = parse_root(&c, xmlDocGetRootElement(doc), def);
    if (r < 0 && c.errmsg) {
        *errmsg = c.errmsg;
        return -EINVAL;
    }
    if (r < 0) {
        *errmsg = r == -ENOMEM ? NULL : strdup("internal error: cannot generate a uuid");
        return r == -ENOMEM ? r : -EIO;
    }
    *out = TAKE_PTR(def);
    return 0;
}
