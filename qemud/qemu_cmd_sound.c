/*
 * Audio backends (-audiodev per <audio>) and sound devices.  QEMU 7.2
 * warns and guesses a backend for a sound device without audiodev=, so
 * every device names one: its <audio id>, or the only <audio> (the parser
 * adds libvirt's default when the XML has none).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

/* HDA codecs a <codec type> names */
static const char *const codec_devices[][2] = {
    { "duplex", "hda-duplex" }, { "micro", "hda-micro" }, { "output", "hda-output" },
};

struct sound_model {
    const char *model, *device;
    enum { SOUND_PCI, SOUND_HDA, SOUND_ISA, SOUND_USB } bus;
};

static const struct sound_model sound_models[] = {
    { "ich6", "intel-hda", SOUND_HDA },
    { "ich9", "ich9-intel-hda", SOUND_HDA },
    { "ac97", "AC97", SOUND_PCI },
    { "es1370", "ES1370", SOUND_PCI },
    { "sb16", "sb16", SOUND_ISA },
    { "usb", "usb-audio", SOUND_USB },
};

static bool has_spice(const struct mv_dom_devices *d)
{
    for (size_t i = 0; i < d->ngraphics; i++)
        if (d->graphics[i].type == MV_DOM_GRAPHICS_SPICE)
            return true;
    return false;
}

static int build_audiodev(struct cmd *c, const struct mv_dom_audio *a)
{
    _cleanup_opt_ struct opt o = { 0 };

    switch (a->type) {
    case MV_DOM_AUDIO_NONE:
        opt_kv(&o, NULL, "none");
        break;
    case MV_DOM_AUDIO_SPICE:
        if (!has_spice(&c->def->devices))
            return cmd_refuse(c, "<audio id='%u' type='spice'> needs <graphics type='spice'>", a->id);
        opt_kv(&o, NULL, "spice");
        break;
    case MV_DOM_AUDIO_FILE:
        opt_kv(&o, NULL, "wav");
        break;
    default:
        return cmd_refuse(c, "<audio id='%u'>: type %d is not supported", a->id, (int)a->type);
    }
    opt_kv(&o, "id", "audio%u", a->id);
    if (a->path)
        opt_kv(&o, "path", "%s", a->path);
    return cmd_opt(c, "-audiodev", &o);
}

int build_audiodevs(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    int r = 0;

    for (size_t i = 0; r >= 0 && i < d->naudios; i++)
        r = build_audiodev(c, &d->audios[i]);
    return r;
}

/* The <audio> sound I plays to: the one it names, or the only one. */
static int sound_audio_id(struct cmd *c, const struct mv_dom_sound *s, size_t i, unsigned int *id)
{
    const struct mv_dom_devices *d = &c->def->devices;

    if (s->audio_id) {
        *id = s->audio_id;
        return 0;
    }
    if (d->naudios != 1)
        return cmd_internal(c, "sound %zu has no <audio> to play to (the parser adds one)", i);
    *id = d->audios[0].id;
    return 0;
}

static int build_codecs(struct cmd *c, const struct mv_dom_sound *s, size_t i, unsigned int audio)
{
    static char *const duplex[] = { "duplex" };
    char *const *codecs = s->ncodecs ? s->codecs : duplex;
    size_t n = s->ncodecs ? s->ncodecs : 1;
    int r = 0;

    for (size_t k = 0; r >= 0 && k < n; k++) {
        _cleanup_opt_ struct opt o = { 0 };
        const char *dev = NULL;

        for (size_t m = 0; m < MV_ARRAY_SIZE(codec_devices); m++)
            if (streq(codecs[k], codec_devices[m][0]))
                dev = codec_devices[m][1];
        if (!dev)
            return cmd_refuse(c, "sound %zu: codec '%s' is not supported", i, cmd_quote(c, codecs[k]));
        opt_kv(&o, NULL, "%s", dev);
        opt_kv(&o, "id", "%s-codec%zu", s->alias, k);
        opt_kv(&o, "bus", "%s.0", s->alias);
        opt_kv(&o, "cad", "%zu", k);
        opt_kv(&o, "audiodev", "audio%u", audio);
        r = cmd_opt(c, "-device", &o);
    }
    return r;
}

static int sound_place(struct cmd *c, struct opt *o, const struct mv_dom_sound *s, const struct sound_model *m,
                       const char *what)
{
    const struct mv_dom_controller *usb;

    switch (m->bus) {
    case SOUND_USB:
        usb = find_controller(&c->def->devices, MV_DOM_CONTROLLER_USB, 0);
        if (usb && streq(usb->model, "none"))
            return cmd_refuse(c, "%s: a USB sound device needs a USB controller, but the model is 'none'", what);
        if (s->addr.type != MV_DOM_ADDR_NONE)
            return cmd_refuse(c, "%s: a USB sound device takes no PCI or drive address", what);
        opt_kv(o, "bus", "usb.0");
        return 0;
    case SOUND_ISA:
        if (s->addr.type != MV_DOM_ADDR_NONE)
            return cmd_refuse(c, "%s: an ISA sound card takes no PCI or drive address", what);
        return 0;
    default:
        return opt_pci_addr(c, o, &s->addr, what);
    }
}

static int build_sound(struct cmd *c, size_t i)
{
    const struct mv_dom_sound *s = &c->def->devices.sounds[i];
    const struct sound_model *m = NULL;
    _cleanup_opt_ struct opt o = { 0 };
    unsigned int audio = 0;
    char what[32];
    int r;

    snprintf(what, sizeof(what), "sound %zu", i);
    for (size_t k = 0; k < MV_ARRAY_SIZE(sound_models); k++)
        if (streq(s->model, sound_models[k].model))
            m = &sound_models[k];
    if (!m)
        return cmd_refuse(c, "%s: model '%s' is not supported", what, cmd_quote(c, s->model));
    if ((r = sound_audio_id(c, s, i, &audio)) < 0)
        return r;
    opt_kv(&o, NULL, "%s", m->device);
    if ((r = opt_id(c, &o, s->alias, what)) < 0 || (r = sound_place(c, &o, s, m, what)) < 0)
        return r;
    /* an HDA controller plays through its codecs */
    if (m->bus != SOUND_HDA)
        opt_kv(&o, "audiodev", "audio%u", audio);
    if ((r = cmd_opt(c, "-device", &o)) < 0)
        return r;
    return m->bus == SOUND_HDA ? build_codecs(c, s, i, audio) : 0;
}

int build_sounds(struct cmd *c)
{
    int r = 0;

    for (size_t i = 0; r >= 0 && i < c->def->devices.nsounds; i++)
        r = build_sound(c, i);
    return r;
}
