/* <devices><tpm> -> XML, in libvirt's layout (see domain_parse_tpm.c). */
#include "config.h"

#include "domain_format_priv.h"

static void pcr_banks(struct mv_xml_out *o, unsigned int banks)
{
    if (!banks)
        return;
    mv_xml_out_start(o, "active_pcr_banks");
    for (int b = 0; b < MV_DOM_TPM_PCR_LAST; b++) {
        if (banks & (1u << b)) {
            mv_xml_out_start(o, mv_dom_tpm_pcr_bank_to_string(b));
            mv_xml_out_end(o);
        }
    }
    mv_xml_out_end(o);
}

static void backend(struct mv_xml_out *o, const struct mv_dom_tpm *t)
{
    mv_xml_out_start(o, "backend");
    mv_xml_out_attr(o, "type", mv_dom_tpm_backend_to_string(t->backend));
    mv_xml_out_attr(o, "version", mv_dom_tpm_version_to_string(t->version));
    if (t->persistent_state != MV_TRISTATE_ABSENT)
        mv_xml_out_attr(o, "persistent_state", t->persistent_state == MV_TRISTATE_YES ? "yes" : "no");
    mv_xml_out_leaf(o, "device", "path", t->device_path);
    if (t->encrypted) {
        char uuid[MV_UUID_STRING_LEN];

        mv_uuid_format(t->secret_uuid, uuid);
        mv_xml_out_leaf(o, "encryption", "secret", uuid);
    }
    pcr_banks(o, t->pcr_banks);
    mv_xml_out_end(o);
}

void dom_format_tpm(struct mv_xml_out *o, const struct mv_dom_tpm *t)
{
    mv_xml_out_start(o, "tpm");
    mv_xml_out_attr(o, "model", mv_dom_tpm_model_to_string(t->model));
    backend(o, t);
    dom_format_alias(o, t->alias);
    mv_xml_out_end(o);
}
