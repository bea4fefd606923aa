/*
 * <devices><tpm>: the guest's TPM, emulated by swtpm (backend emulator,
 * started beside QEMU: qemud/tpm.c) or the host's passed through.  What
 * libvirt 9.0's schema allows and QEMU 7.2 cannot do here (the spapr models,
 * backend external, an <address>) is refused by name.
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "domain_parse_priv.h"
#include "error_codes.h"

#define TPM_DEFAULT_DEVICE "/dev/tpm0"

static int passthrough_device(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_tpm *tpm = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("path"))) < 0 ||
        (r = mv_xml_attr_path(c, n, "path", &tpm->device_path)) < 0)
        return r;
    return 0;
}

static int pcr_bank(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_tpm *tpm = obj;
    int bank = mv_dom_tpm_pcr_bank_from_string((const char *)n->name);
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_NO_ATTRS)) < 0)
        return r;
    tpm->pcr_banks |= 1u << bank;       /* the rules below name only known banks */
    return 0;
}

static const struct mv_xml_rule pcr_rules[] = {
    { "sha1", pcr_bank, false },
    { "sha256", pcr_bank, false },
    { "sha384", pcr_bank, false },
    { "sha512", pcr_bank, false },
};

static int active_pcr_banks(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    int r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS);

    return r < 0 ? r : MV_XML_WALK(c, n, pcr_rules, obj);
}

static int encryption(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_tpm *tpm = obj;
    _cleanup_free_ char *uuid = NULL;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("secret"))) < 0 || (r = mv_xml_attr_get(n, "secret", &uuid)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "secret");
    if (mv_uuid_parse(uuid, tpm->secret_uuid) < 0 || mv_uuid_is_null(tpm->secret_uuid))
        return mv_xml_fail_value(c, n, "secret", uuid);
    tpm->encrypted = true;
    /* swtpm would take the passphrase on an fd; qemud does not fetch and
     * pass it yet, and an unencrypted state must not pass for an encrypted one */
    return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                       "<tpm><backend><encryption> (an encrypted TPM state) is not supported");
}

static const struct mv_xml_rule backend_rules[] = {
    { "device", passthrough_device, false },
    { "active_pcr_banks", active_pcr_banks, false },
    { "encryption", encryption, false },
};

static int backend_type(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_tpm *tpm)
{
    _cleanup_free_ char *type = NULL;
    int r, v;

    if ((r = mv_xml_attr_get(n, "type", &type)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "type");
    if (strcmp(type, "external") == 0)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                           "<tpm><backend type='external'> is not supported (only emulator and passthrough)");
    if ((v = mv_dom_tpm_backend_from_string(type)) < 0)
        return mv_xml_fail_value(c, n, "type", type);
    tpm->backend = (enum mv_dom_tpm_backend)v;
    return 0;
}

/* What belongs to the other backend type is refused by name. */
static int check_backend(struct mv_xml_ctx *c, const struct mv_dom_tpm *tpm)
{
    const char *wrong = NULL;

    if (tpm->backend == MV_DOM_TPM_BACKEND_EMULATOR && tpm->device_path)
        wrong = "<device>";
    else if (tpm->backend == MV_DOM_TPM_BACKEND_PASSTHROUGH && tpm->pcr_banks)
        wrong = "<active_pcr_banks>";
    else if (tpm->backend == MV_DOM_TPM_BACKEND_PASSTHROUGH && tpm->encrypted)
        wrong = "<encryption>";
    else if (tpm->backend == MV_DOM_TPM_BACKEND_PASSTHROUGH && tpm->persistent_state != MV_TRISTATE_ABSENT)
        wrong = "persistent_state";
    if (wrong)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "%s is not valid in <tpm><backend type='%s'>", wrong,
                           mv_dom_tpm_backend_to_string(tpm->backend));
    return 0;
}

static int tpm_backend(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_tpm *tpm = obj;
    int r, v;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type", "version", "persistent_state"))) < 0 ||
        (r = backend_type(c, n, tpm)) < 0 ||
        (r = mv_xml_attr_enum(c, n, "version", mv_dom_tpm_version_from_string, &v)) < 0)
        return r;
    if (r == 1)
        tpm->version = (enum mv_dom_tpm_version)v;
    if ((r = dom_attr_yesno(c, n, "persistent_state", &tpm->persistent_state)) < 0 ||
        (r = MV_XML_WALK(c, n, backend_rules, tpm)) < 0)
        return r;
    return check_backend(c, tpm);
}

static int tpm_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_tpm *)obj)->alias);
}

static const struct mv_xml_rule tpm_rules[] = {
    { "backend", tpm_backend, false },
    { "alias", tpm_alias, false },
};

static int tpm_model(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_tpm *tpm)
{
    _cleanup_free_ char *model = NULL;
    int r, v;

    if ((r = mv_xml_attr_get(n, "model", &model)) <= 0)
        return r;           /* absent: tpm-tis (zero), as libvirt chooses on x86 */
    if (strcmp(model, "tpm-spapr") == 0 || strcmp(model, "spapr-tpm-proxy") == 0)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                           "<tpm model='%s'> is for pSeries guests (x86_64: tpm-tis, tpm-crb)", model);
    if ((v = mv_dom_tpm_model_from_string(model)) < 0)
        return mv_xml_fail_value(c, n, "model", model);
    tpm->model = (enum mv_dom_tpm_model)v;
    return 0;
}

/* libvirt's defaults on x86: an emulated tpm-tis is a TPM 1.2 (its
 * historical behaviour), any other a TPM 2.0; a passthrough device is the
 * host's first TPM. */
static int tpm_defaults(struct mv_xml_ctx *c, struct mv_dom_tpm *tpm)
{
    if (tpm->backend == MV_DOM_TPM_BACKEND_PASSTHROUGH && !tpm->device_path &&
        !(tpm->device_path = strdup(TPM_DEFAULT_DEVICE)))
        return -ENOMEM;
    if (tpm->backend == MV_DOM_TPM_BACKEND_EMULATOR && tpm->version == MV_DOM_TPM_VERSION_DEFAULT)
        tpm->version = tpm->model == MV_DOM_TPM_MODEL_TIS ? MV_DOM_TPM_VERSION_1_2 : MV_DOM_TPM_VERSION_2_0;
    if (tpm->model == MV_DOM_TPM_MODEL_CRB && tpm->version == MV_DOM_TPM_VERSION_1_2)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                           "<tpm model='tpm-crb'> is a TPM 2.0 interface: it cannot have version '1.2'");
    if (tpm->pcr_banks && tpm->version == MV_DOM_TPM_VERSION_1_2)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED,
                           "<tpm><backend><active_pcr_banks> needs TPM version 2.0, not 1.2");
    return 0;
}

int dom_parse_tpm(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_tpm *tpm = MV_XML_GROW(devs->tpms, devs->ntpms);
    int r;

    if (!tpm)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("model"))) < 0 || (r = tpm_model(c, n, tpm)) < 0)
        return r;
    /* the backend type decides the defaults: it must be there to read first */
    tpm->backend = MV_DOM_TPM_BACKEND_LAST;
    if ((r = MV_XML_WALK(c, n, tpm_rules, tpm)) < 0)
        return r;
    if (tpm->backend == MV_DOM_TPM_BACKEND_LAST)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <backend> of <tpm>");
    return tpm_defaults(c, tpm);
}
