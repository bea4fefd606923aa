/* struct mv_secret_def -> secret XML as secret-dumpxml prints it (never the
 * value, which is not part of the definition). */
#include "config.h"

#include <stdlib.h>

#include "secret_def.h"
#include "xml_format.h"

char *mv_secret_def_format(const struct mv_secret_def *def)
{
    _cleanup_xmlout_ struct mv_xml_out o = { 0 };
    char *xml = NULL;

    if (mv_xml_out_open(&o) < 0)
        return NULL;
    mv_xml_out_start(&o, "secret");
    mv_xml_out_attr(&o, "ephemeral", def->ephemeral ? "yes" : "no");
    mv_xml_out_attr(&o, "private", def->private_ ? "yes" : "no");
    mv_xml_out_uuid(&o, def->uuid);
    mv_xml_out_text_elem(&o, "description", def->description);
    if (def->usage != MV_SECRET_USAGE_NONE) {
        mv_xml_out_start(&o, "usage");
        mv_xml_out_attr(&o, "type", mv_secret_usage_to_string(def->usage));
        mv_xml_out_text_elem(&o, def->usage == MV_SECRET_USAGE_VOLUME ? "volume"
                                 : def->usage == MV_SECRET_USAGE_ISCSI ? "target" : "name", def->usage_id);
        mv_xml_out_end(&o);
    }
    mv_xml_out_end(&o);
    return mv_xml_out_finish(&o, &xml) < 0 ? NULL : xml;
}
