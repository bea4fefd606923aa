/*
 * Domain XML <sound> (with HDA <codec>s and the <audio id> it plays to) and
 * <audio>, the host side of sound: QEMU 7.2 wants every sound device tied
 * to an -audiodev, so a sound without an <audio> gets libvirt's default one
 * here, where the user sees it in the XML.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"
#include "domain_parse_priv.h"
#include "error_codes.h"
#include "xml.h"

/* Highest <audio id>: ids become QEMU ids "audioN", and a small bound keeps
 * the check of references simple. */
#define AUDIO_ID_MAX 255

static int sound_codec(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const types[] = { "duplex", "micro", "output", NULL };
    struct mv_dom_sound *s = obj;
    char **slot;
    int r;

    if (!s->model || (strcmp(s->model, "ich6") != 0 && strcmp(s->model, "ich9") != 0))
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<sound model='%s'> has no HDA codecs (<codec>)",
                           s->model ? s->model : "");
    slot = MV_XML_GROW(s->codecs, s->ncodecs);
    if (!slot)
        return -ENOMEM;
    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type"))) < 0 || (r = mv_xml_attr_choice(c, n, "type", types, slot)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, "type") : 0;
}

static int sound_audio(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_sound *s = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("id"))) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "id", false, 1, AUDIO_ID_MAX, &s->audio_id)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, "id") : 0;
}

static int sound_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_address(c, n, &((struct mv_dom_sound *)obj)->addr);
}

static int sound_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_sound *)obj)->alias);
}

static const struct mv_xml_rule sound_rules[] = {
    { "codec", sound_codec, true },
    { "audio", sound_audio, false },
    { "address", sound_address, false },
    { "alias", sound_alias, false },
};

int dom_parse_sound(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const models[] = { "ich6", "ich9", "ac97", "es1370", "sb16", "usb", NULL };
    struct mv_dom_devices *devs = obj;
    struct mv_dom_sound *s = MV_XML_GROW(devs->sounds, devs->nsounds);
    int r;

    if (!s)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("model"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "model", models, &s->model)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "model");
    return MV_XML_WALK(c, n, sound_rules, s);
}

/* type file: <audio id='1' type='file' path='/x.wav'/> */
int dom_parse_audio(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_audio *a = MV_XML_GROW(devs->audios, devs->naudios);
    int type, r;

    if (!a)
        return -ENOMEM;
    if ((r = dom_attr_enum_required(c, n, "type", mv_dom_audio_type_from_string, &type)) < 0)
        return r;
    a->type = type;
    if (type == MV_DOM_AUDIO_FILE)
        r = mv_xml_leaf(c, n, MV_XML_ATTRS("id", "type", "path"));
    else
        r = mv_xml_leaf(c, n, MV_XML_ATTRS("id", "type"));
    if (r < 0 || (r = mv_xml_attr_uint_range(c, n, "id", false, 1, AUDIO_ID_MAX, &a->id)) < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, "id");
    if (type == MV_DOM_AUDIO_FILE) {
        if ((r = mv_xml_attr_path(c, n, "path", &a->path)) < 0)
            return r;
        if (r == 0)
            return mv_xml_fail_missing_attr(c, n, "path");
    }
    return 0;
}

static const struct mv_dom_audio *find_audio(const struct mv_dom_devices *d, unsigned int id)
{
    for (size_t i = 0; i < d->naudios; i++)
        if (d->audios[i].id == id)
            return &d->audios[i];
    return NULL;
}

/* libvirt's choice: the SPICE client plays the sound when there is one */
static int add_default_audio(struct mv_dom_devices *d)
{
    struct mv_dom_audio *a = MV_XML_GROW(d->audios, d->naudios);

    if (!a)
        return -ENOMEM;
    a->id = 1;
    a->type = MV_DOM_AUDIO_NONE;
    for (size_t i = 0; i < d->ngraphics; i++)
        if (d->graphics[i].type == MV_DOM_GRAPHICS_SPICE)
            a->type = MV_DOM_AUDIO_SPICE;
    return 0;
}

int dom_check_sound(struct mv_xml_ctx *c, struct mv_dom_def *def)
{
    struct mv_dom_devices *d = &def->devices;
    int r;

    for (size_t i = 0; i < d->naudios; i++)
        for (size_t j = 0; j < i; j++)
            if (d->audios[i].id == d->audios[j].id)
                return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<audio id='%u'> is given more than once", d->audios[i].id);
    if (d->nsounds && !d->naudios && (r = add_default_audio(d)) < 0)
        return r;
    for (size_t i = 0; i < d->nsounds; i++) {
        const struct mv_dom_sound *s = &d->sounds[i];

        if (s->audio_id && !find_audio(d, s->audio_id))
            return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<sound model='%s'> plays to <audio id='%u'>, which does not exist",
                               s->model, s->audio_id);
        if (!s->audio_id && d->naudios > 1)
            return mv_xml_fail(c, MV_ERR_XML_DETAIL,
                               "<sound model='%s'> needs <audio id=...>: there is more than one <audio>", s->model);
    }
    return 0;
}
