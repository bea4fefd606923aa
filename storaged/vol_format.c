/* struct mv_vol_def -> volume XML in vol-dumpxml's layout: the definition
 * with what the file says (key, path, sizes) when the volume exists. */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "storxml_priv.h"
#include "vol_def.h"
#include "xml_format.h"

static void format_size(struct mv_xml_out *o, const char *name, const char *unit, uint64_t bytes)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%" PRIu64, bytes);
    mv_xml_out_start(o, name);
    mv_xml_out_attr(o, "unit", unit);
    mv_xml_out_text(o, buf);
    mv_xml_out_end(o);
}

static void format_encryption(struct mv_xml_out *o, const struct mv_vol_def *def)
{
    char uuid[MV_UUID_STRING_LEN];

    if (!def->encrypted)
        return;
    mv_uuid_format(def->secret_uuid, uuid);
    mv_xml_out_start(o, "encryption");
    mv_xml_out_attr(o, "format", "luks");
    mv_xml_out_start(o, "secret");
    mv_xml_out_attr(o, "type", "passphrase");
    mv_xml_out_attr(o, "uuid", uuid);
    mv_xml_out_end(o);
    mv_xml_out_end(o);
}

static void format_target(struct mv_xml_out *o, const struct mv_vol_def *def, const struct mv_vol_live *live)
{
    mv_xml_out_start(o, "target");
    mv_xml_out_text_elem(o, "path", live ? live->path : NULL);
    mv_xml_out_leaf(o, "format", "type", def->format ? def->format : "raw");
    mv_stor_format_perms(o, &def->perms);
    format_encryption(o, def);
    mv_xml_out_text_elem(o, "compat", def->compat);
    if (def->cluster_size)
        format_size(o, "clusterSize", "B", def->cluster_size);
    if (def->lazy_refcounts) {
        mv_xml_out_start(o, "features");
        mv_xml_out_start(o, "lazy_refcounts");
        mv_xml_out_end(o);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

static void format_backing(struct mv_xml_out *o, const struct mv_vol_def *def)
{
    if (!def->backing_path)
        return;
    mv_xml_out_start(o, "backingStore");
    mv_xml_out_text_elem(o, "path", def->backing_path);
    mv_xml_out_leaf(o, "format", "type", def->backing_format);
    mv_xml_out_end(o);
}

char *mv_vol_def_format(const struct mv_vol_def *def, const struct mv_vol_live *live)
{
    _cleanup_xmlout_ struct mv_xml_out o = { 0 };
    char *xml = NULL;

    if (mv_xml_out_open(&o) < 0)
        return NULL;
    mv_xml_out_start(&o, "volume");
    mv_xml_out_attr(&o, "type", def->type == MV_VOL_BLOCK ? "block" : "file");
    mv_xml_out_text_elem(&o, "name", def->name);
    if (live) {
        mv_xml_out_text_elem(&o, "key", live->key);
        /* file volumes have no source extents; libvirt prints it empty */
        mv_xml_out_start(&o, "source");
        mv_xml_out_end(&o);
    }
    format_size(&o, "capacity", "bytes", live ? live->capacity : def->capacity);
    if (live || def->has_allocation)
        format_size(&o, "allocation", "bytes", live ? live->allocation : def->allocation);
    if (live)
        format_size(&o, "physical", "bytes", live->physical);
    format_target(&o, def, live);
    format_backing(&o, def);
    mv_xml_out_end(&o);
    return mv_xml_out_finish(&o, &xml) < 0 ? NULL : xml;
}
