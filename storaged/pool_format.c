/* struct mv_pool_def -> pool XML in pool-dumpxml's layout, with the live
 * sizes in bytes (unit='bytes', as libvirt writes them). */
#include "config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "pool_def.h"
#include "storxml_priv.h"
#include "xml_format.h"

static void format_size(struct mv_xml_out *o, const char *name, uint64_t bytes)
{
    char buf[32];

    snprintf(buf, sizeof(buf), "%" PRIu64, bytes);
    mv_xml_out_start(o, name);
    mv_xml_out_attr(o, "unit", "bytes");
    mv_xml_out_text(o, buf);
    mv_xml_out_end(o);
}

static void format_source(struct mv_xml_out *o, const struct mv_pool_def *def)
{
    mv_xml_out_start(o, "source");
    if (def->src_host) {
        mv_xml_out_start(o, "host");
        mv_xml_out_attr(o, "name", def->src_host);
        if (def->src_port)
            mv_xml_out_attrf(o, "port", "%u", def->src_port);
        mv_xml_out_end(o);
    }
    for (size_t i = 0; i < def->ndevices; i++)
        mv_xml_out_leaf(o, "device", "path", def->devices[i]);
    mv_xml_out_leaf(o, "dir", "path", def->src_dir);
    mv_xml_out_text_elem(o, "name", def->src_name);
    mv_xml_out_leaf(o, "format", "type", def->format);
    mv_xml_out_end(o);
}

char *mv_pool_def_format(const struct mv_pool_def *def, const struct mv_pool_sizes *sizes)
{
    static const struct mv_pool_sizes inactive = { 0 };
    _cleanup_xmlout_ struct mv_xml_out o = { 0 };
    char *xml = NULL;

    if (!sizes)
        sizes = &inactive;
    if (mv_xml_out_open(&o) < 0)
        return NULL;
    mv_xml_out_start(&o, "pool");
    mv_xml_out_attr(&o, "type", mv_pool_type_to_string(def->type));
    mv_xml_out_text_elem(&o, "name", def->name);
    mv_xml_out_uuid(&o, def->uuid);
    format_size(&o, "capacity", sizes->capacity);
    format_size(&o, "allocation", sizes->allocation);
    format_size(&o, "available", sizes->available);
    format_source(&o, def);
    mv_xml_out_start(&o, "target");
    mv_xml_out_text_elem(&o, "path", def->target_path);
    mv_stor_format_perms(&o, &def->perms);
    mv_xml_out_end(&o);
    mv_xml_out_end(&o);
    return mv_xml_out_finish(&o, &xml) < 0 ? NULL : xml;
}
