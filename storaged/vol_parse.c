/*
 * Volume XML -> struct mv_vol_def, as vol-create and vol-create-from take
 * it.  The name becomes a file name in the pool's directory, so it is
 * checked before anything else; sizes are converted to bytes with every
 * multiplication checked; what vol-dumpxml prints but a new volume cannot
 * set (key, source, physical, target path, timestamps) is accepted and
 * ignored, so that a dumped volume can be fed back; anything else is kept
 * or refused by name (common/xml_strict.h).
 */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "storxml_priv.h"
#include "validate.h"
#include "vol_def.h"
#include "xml.h"

/* What the walk fills besides the definition. */
struct vol_parse {
    struct mv_vol_def *def;
    bool has_capacity;
    const char *kind;               /* "storage pool 'P' volume", once the name is known */
};

/* libvirt's other volume formats: named, so the refusal says "not supported" */
static const char *const formats_elsewhere[] = {
    "none", "auto", "dir", "bochs", "cloop", "dmg", "iso", "vpc", "vdi", "fat", "vhd", "ploop", "cow", "qcow",
    "qed", "vmdk", "vhdx", "luks", NULL,
};

/* <format type=> of a volume or its backing store: raw or qcow2 */
static int attr_format(struct mv_xml_ctx *c, xmlNodePtr n, char **out)
{
    _cleanup_free_ char *s = NULL;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type"))) < 0 || (r = mv_xml_attr_get(n, "type", &s)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "type");
    if (strcmp(s, "raw") == 0 || strcmp(s, "qcow2") == 0) {
        *out = TAKE_PTR(s);
        return 0;
    }
    for (size_t i = 0; formats_elsewhere[i]; i++)
        if (strcmp(s, formats_elsewhere[i]) == 0)
            return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "volume format '%s' is not supported (only raw and "
                               "qcow2)", s);
    return mv_xml_fail_value(c, n, "type", s);
}

/* <capacity unit=...>: bytes, with the multiplication by the unit checked */
static int text_bytes(struct mv_xml_ctx *c, xmlNodePtr n, uint64_t *out)
{
    _cleanup_free_ char *text = NULL;
    _cleanup_free_ char *unit = NULL;
    unsigned long long v, scale;
    int r;

    if ((r = mv_xml_text_elem(c, n, MV_XML_ATTRS("unit"), &text)) < 0 || (r = mv_xml_attr_get(n, "unit", &unit)) < 0)
        return r;
    scale = mv_xml_unit_scale(unit ? unit : "bytes");
    if (scale == 0)
        return mv_xml_fail_value(c, n, "unit", unit);
    if (mv_xml_parse_ull(mv_xml_trim(text), false, &v) < 0) {
        /* strtoull's range error is an overflow too: say so */
        if (*mv_xml_trim(text) && strspn(mv_xml_trim(text), "0123456789") == strlen(mv_xml_trim(text)))
            goto overflow;
        return mv_xml_fail_value(c, n, NULL, mv_xml_trim(text));
    }
    if (v > UINT64_MAX / scale)
        goto overflow;
    *out = v * scale;
    return 0;
overflow:
    return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<%s> size overflows: '%.40s' %s is more than 2^64 - 1 bytes",
                       n->name, mv_xml_trim(text), unit ? unit : "bytes");
}

/* ---------------------------------------------------- accepted, ignored */

static int ignore_text(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    _cleanup_free_ char *s = NULL;

    (void)obj;
    return mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &s);
}

static int ignore_size(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    uint64_t ignored;

    (void)obj;
    return text_bytes(c, n, &ignored);
}

static int ignore_path(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &s);

    (void)obj;
    return r < 0 ? r : mv_stor_check_path(c, n, NULL, &s);
}

static int ignore_perms(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_perms ignored = { -1, -1, -1 };

    (void)obj;
    return mv_stor_parse_perms(c, n, &ignored);
}

static const struct mv_xml_rule timestamps_rules[] = {
    { "atime", ignore_text, false },
    { "btime", ignore_text, false },
    { "ctime", ignore_text, false },
    { "mtime", ignore_text, false },
};

static int ignore_timestamps(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, timestamps_rules, obj);
}

static int extent(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    (void)obj;
    return mv_xml_leaf(c, n, MV_XML_ATTRS("start", "end"));
}

static const struct mv_xml_rule device_rules[] = {
    { "extent", extent, true },
};

static int source_device(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("path"));

    return r < 0 ? r : MV_XML_WALK(c, n, device_rules, obj);
}

static const struct mv_xml_rule source_rules[] = {
    { "device", source_device, true },
};

static int ignore_source(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, source_rules, obj);
}

/* ---------------------------------------------------------- the sizes */

static int parse_name(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    /* taken (and checked) before the walk */
    (void)obj;
    return mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);
}

static int parse_capacity(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct vol_parse *p = obj;

    p->has_capacity = true;
    return text_bytes(c, n, &p->def->capacity);
}

static int parse_allocation(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct vol_parse *p = obj;

    p->def->has_allocation = true;
    return text_bytes(c, n, &p->def->allocation);
}

/* -------------------------------------------------------------- target */

static int target_format(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return attr_format(c, n, &((struct vol_parse *)obj)->def->format);
}

static int target_perms(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_stor_parse_perms(c, n, &((struct vol_parse *)obj)->def->perms);
}

static int target_compat(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_vol_def *def = ((struct vol_parse *)obj)->def;
    int r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &def->compat);

    if (r < 0)
        return r;
    /* qcow2's two versions, as qemu-img's compat= option names them */
    if (strcmp(def->compat, "0.10") != 0 && strcmp(def->compat, "1.1") != 0)
        return mv_xml_fail_value(c, n, NULL, def->compat);
    return 0;
}

static int target_cluster_size(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_vol_def *def = ((struct vol_parse *)obj)->def;
    uint64_t v;
    int r = text_bytes(c, n, &v);

    if (r < 0)
        return r;
    /* qcow2 takes a power of two from 512 bytes to 2 MiB */
    if (v < 512 || v > 2 * 1024 * 1024 || (v & (v - 1)) != 0)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<clusterSize> must be a power of two from 512 bytes to 2 MiB, "
                           "not %llu bytes", (unsigned long long)v);
    def->cluster_size = (uint32_t)v;
    return 0;
}

static int feature_lazy_refcounts(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_leaf(c, n, MV_XML_NO_ATTRS);

    ((struct mv_vol_def *)obj)->lazy_refcounts = true;
    return r;
}

static const struct mv_xml_rule features_rules[] = {
    { "lazy_refcounts", feature_lazy_refcounts, false },
};

static int target_features(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, features_rules, ((struct vol_parse *)obj)->def);
}

static int encryption_secret(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_vol_def *def = obj;
    _cleanup_free_ char *type = NULL;
    _cleanup_free_ char *uuid = NULL;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type", "uuid", "usage"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "type", MV_XML_ATTRS("passphrase"), &type)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "type");
    if (xmlHasProp(n, BAD_CAST "usage"))
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<encryption><secret usage=...> is not supported: name "
                           "the secret by uuid=");
    if ((r = mv_xml_attr_get(n, "uuid", &uuid)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "uuid");
    if (mv_uuid_parse(uuid, def->secret_uuid) < 0 || mv_uuid_is_null(def->secret_uuid))
        return mv_xml_fail_value(c, n, "uuid", uuid);
    return 0;
}

static const struct mv_xml_rule encryption_rules[] = {
    { "secret", encryption_secret, false },
};

static int target_encryption(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_vol_def *def = ((struct vol_parse *)obj)->def;
    _cleanup_free_ char *fmt = NULL;
    int r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("format", "engine"))) < 0 ||
        (r = mv_xml_attr_get(n, "format", &fmt)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "format");
    if (strcmp(fmt, "luks") != 0)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<encryption format='%.20s'> is not supported (only "
                           "'luks')", fmt);
    free(TAKE_PTR(fmt));
    /* qemu-img does the encryption: engine='qemu' is what happens anyway */
    if ((r = mv_xml_attr_choice(c, n, "engine", MV_XML_ATTRS("qemu"), &fmt)) < 0 ||
        (r = MV_XML_WALK(c, n, encryption_rules, def)) < 0)
        return r;
    if (mv_uuid_is_null(def->secret_uuid))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<encryption format='luks'> needs a <secret type='passphrase' "
                           "uuid=...>");
    def->encrypted = true;
    return 0;
}

static int target_nocow(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    (void)n;
    (void)obj;
    return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<target><nocow> is not supported");
}

static const struct mv_xml_rule target_rules[] = {
    { "path", ignore_path, false },
    { "format", target_format, false },
    { "permissions", target_perms, false },
    { "timestamps", ignore_timestamps, false },
    { "encryption", target_encryption, false },
    { "compat", target_compat, false },
    { "clusterSize", target_cluster_size, false },
    { "features", target_features, false },
    { "nocow", target_nocow, false },
};

static int parse_target(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, target_rules, obj);
}

/* -------------------------------------------------------- backingStore */

static int backing_path(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_vol_def *def = obj;
    int r = mv_xml_text_elem(c, n, MV_XML_NO_ATTRS, &def->backing_path);

    return r < 0 ? r : mv_stor_check_path(c, n, NULL, &def->backing_path);
}

static int backing_format(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return attr_format(c, n, &((struct mv_vol_def *)obj)->backing_format);
}

static const struct mv_xml_rule backing_rules[] = {
    { "path", backing_path, false },
    { "format", backing_format, false },
    { "permissions", ignore_perms, false },
    { "timestamps", ignore_timestamps, false },
};

static int parse_backing(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_vol_def *def = ((struct vol_parse *)obj)->def;
    int r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS)) < 0 || (r = MV_XML_WALK(c, n, backing_rules, def)) < 0)
        return r;
    return def->backing_path ? 0 : mv_xml_fail(c, MV_ERR_XML_DETAIL, "<backingStore> needs a <path>");
}

static const struct mv_xml_rule volume_rules[] = {
    { "name", parse_name, false },
    { "key", ignore_text, false },
    { "source", ignore_source, false },
    { "capacity", parse_capacity, false },
    { "allocation", parse_allocation, false },
    { "physical", ignore_size, false },
    { "target", parse_target, false },
    { "backingStore", parse_backing, false },
};

/* ------------------------------------------------------------- checks */

/* What only qcow2 has, on a raw volume: refused by name. */
static int check_format_rules(struct mv_xml_ctx *c, const struct mv_vol_def *def)
{
    bool qcow2 = def->format && strcmp(def->format, "qcow2") == 0;
    const char *what = def->compat ? "<compat>" : def->cluster_size ? "<clusterSize>"
                     : def->lazy_refcounts ? "<features><lazy_refcounts>" : def->backing_path ? "<backingStore>"
                     : NULL;

    if (!qcow2 && what)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "%s needs <target><format type='qcow2'>", what);
    if (def->lazy_refcounts && def->compat && strcmp(def->compat, "0.10") == 0)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<features><lazy_refcounts> needs qcow2 compat 1.1, "
                           "not 0.10");
    return 0;
}

static int check_sizes(struct mv_xml_ctx *c, const struct vol_parse *p, unsigned int flags)
{
    const struct mv_vol_def *def = p->def;

    if (!p->has_capacity && !(flags & MV_VOL_PARSE_NO_CAPACITY))
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <capacity> (the volume's size)");
    /* allocation counts whole filesystem blocks, so a fully written file
     * reports more than its capacity, and virsh vol-clone sends that XML
     * back: more than the capacity means all of it, as libvirt takes it */
    if (p->has_capacity && def->has_allocation && def->allocation > def->capacity)
        p->def->allocation = def->capacity;
    return 0;
}

/* type= on the root: what vol-dumpxml prints; a file or a logical volume */
static int parse_type(struct mv_xml_ctx *c, xmlNodePtr root, struct mv_vol_def *def)
{
    _cleanup_free_ char *s = NULL;
    int r = mv_xml_attr_get(root, "type", &s);

    if (r <= 0)
        return r;
    if (strcmp(s, "file") == 0 || strcmp(s, "block") == 0) {
        def->type = s[0] == 'b' ? MV_VOL_BLOCK : MV_VOL_FILE;
        return 0;
    }
    if (strcmp(s, "dir") == 0 || strcmp(s, "network") == 0 || strcmp(s, "netdir") == 0 || strcmp(s, "ploop") == 0)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "volume type '%s' is not supported (only file and block)",
                           s);
    return mv_xml_fail_value(c, root, "type", s);
}

/* The name comes first, checked as a file name; until it is known, messages
 * name the pool. */
static int prescan_name(struct mv_xml_ctx *c, xmlNodePtr root, struct mv_vol_def *def)
{
    _cleanup_free_ char *msg = NULL;
    xmlNodePtr n;
    int r;

    for (n = root->children; n; n = n->next)
        if (n->type == XML_ELEMENT_NODE && !n->ns && strcmp((const char *)n->name, "name") == 0)
            break;
    if (!n)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <name> of the volume");
    if ((r = mv_xml_text_get(c, n, &def->name)) < 0)
        return r;
    if (mv_validate_path_component("volume", def->name, &msg) < 0)
        return msg ? mv_xml_fail(c, MV_ERR_XML_DETAIL, "%s", msg) : -ENOMEM;
    return 0;
}

static int parse_root(struct mv_xml_ctx *c, xmlNodePtr root, struct vol_parse *p, unsigned int flags)
{
    struct mv_vol_def *def = p->def;
    int r;

    def->perms = (struct mv_perms){ .mode = -1, .owner = -1, .group = -1 };
    if ((r = mv_xml_check_root(c, root, "volume")) < 0 || (r = prescan_name(c, root, def)) < 0)
        return r;
    c->kind = p->kind;
    c->name = def->name;
    if ((r = mv_xml_check_attrs(c, root, MV_XML_ATTRS("type"))) < 0 || (r = parse_type(c, root, def)) < 0 ||
        (r = MV_XML_WALK(c, root, volume_rules, p)) < 0 || (r = check_sizes(c, p, flags)) < 0)
        return r;
    return check_format_rules(c, def);
}

/* "storage pool 'P' volume": mv_xml_fail appends " 'NAME'" */
static char *vol_kind(const char *pool)
{
    _cleanup_free_ char *q = NULL;
    char *kind = NULL;

    if (!pool)
        return strdup("storage volume");
    q = mv_xml_quote(pool);
    if (!q || asprintf(&kind, "storage pool '%s' volume", q) < 0)
        return NULL;
    return kind;
}

int mv_vol_def_parse_flags(const char *xml, const char *pool, unsigned int flags, struct mv_vol_def **out,
                           char **errmsg)
{
    _cleanup_xmldoc_ xmlDocPtr doc = NULL;
    _cleanup_vol_def_ struct mv_vol_def *def = NULL;
    _cleanup_free_ char *kind = vol_kind(pool);
    /* until the volume's name is known, messages name its pool */
    struct mv_xml_ctx c = { .kind = "storage pool", .name = pool };
    struct vol_parse p = { .kind = kind };
    int r;

    *errmsg = NULL;
    if (!kind)
        return -ENOMEM;
    r = mv_xml_parse_reported(xml, "storage volume definition", &doc, errmsg);
    if (r < 0)
        return r == -ENOMEM ? r : -EINVAL;
    def = calloc(1, sizeof(*def));
    if (!def)
        return -ENOMEM;
    p.def = def;
    r = parse_root(&c, xmlDocGetRootElement(doc), &p, flags);
    if (r < 0 && c.errmsg) {
        *errmsg = c.errmsg;
        return -EINVAL;
    }
    if (r < 0)
        return r;
    *out = TAKE_PTR(def);
    return 0;
}

int mv_vol_def_parse(const char *xml, const char *pool, struct mv_vol_def **out, char **errmsg)
{
    return mv_vol_def_parse_flags(xml, pool, 0, out, errmsg);
}
