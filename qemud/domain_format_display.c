/*
 * The desktop devices back into domain XML: <graphics> (VNC, SPICE and its
 * children), <video>, <sound>, <audio> and <redirdev>, as written plus the
 * defaults the parser filled in (qxl sizes, the default <audio>).
 */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>

#include "domain_def.h"
#include "domain_format_priv.h"
#include "xml_format.h"

static void attr_uint_opt(struct mv_xml_out *o, const char *name, unsigned int v)
{
    if (v)
        mv_xml_out_attrf(o, name, "%u", v);
}

static void attr_tristate(struct mv_xml_out *o, const char *name, enum mv_tristate t, const char *yes,
                          const char *no)
{
    if (t != MV_TRISTATE_ABSENT)
        mv_xml_out_attr(o, name, t == MV_TRISTATE_YES ? yes : no);
}

/* <NAME ATTR=VALUE/> when VALUE is set */
static void leaf(struct mv_xml_out *o, const char *name, const char *attr, const char *value)
{
    if (!value)
        return;
    mv_xml_out_start(o, name);
    mv_xml_out_attr(o, attr, value);
    mv_xml_out_end(o);
}

static void leaf_tristate(struct mv_xml_out *o, const char *name, const char *attr, enum mv_tristate t,
                          bool onoff)
{
    if (t == MV_TRISTATE_ABSENT)
        return;
    mv_xml_out_start(o, name);
    attr_tristate(o, attr, t, onoff ? "on" : "yes", onoff ? "off" : "no");
    mv_xml_out_end(o);
}

static void graphics_listen(struct mv_xml_out *o, const struct mv_dom_graphics *g)
{
    if (g->listen_type == MV_DOM_LISTEN_ABSENT)
        return;
    mv_xml_out_start(o, "listen");
    mv_xml_out_attr(o, "type", mv_dom_graphics_listen_to_string(g->listen_type));
    switch (g->listen_type) {
    case MV_DOM_LISTEN_ADDRESS:
        mv_xml_out_attr(o, "address", g->listen);
        break;
    case MV_DOM_LISTEN_SOCKET:
        mv_xml_out_attr(o, "socket", g->socket);
        break;
    case MV_DOM_LISTEN_NETWORK:
        mv_xml_out_attr(o, "network", g->network);
        break;
    default:
        break;
    }
    mv_xml_out_end(o);
}

static void spice_children(struct mv_xml_out *o, const struct mv_dom_graphics *g)
{
    leaf(o, "image", "compression", g->image_compression);
    leaf(o, "jpeg", "compression", g->jpeg);
    leaf(o, "zlib", "compression", g->zlib);
    leaf_tristate(o, "playback", "compression", g->playback, true);
    leaf(o, "streaming", "mode", g->streaming);
    leaf(o, "mouse", "mode", g->mouse_mode);
    leaf_tristate(o, "clipboard", "copypaste", g->copypaste, false);
    leaf_tristate(o, "filetransfer", "enable", g->filetransfer, false);
    leaf_tristate(o, "gl", "enable", g->gl, false);
}

void dom_format_graphics(struct mv_xml_out *o, const struct mv_dom_graphics *g, unsigned int flags)
{
    bool spice = g->type == MV_DOM_GRAPHICS_SPICE;

    mv_xml_out_start(o, "graphics");
    mv_xml_out_attr(o, "type", mv_dom_graphics_type_to_string(g->type));
    /* SPICE autoport has a port once running, as in libvirt (VNC's -1 stays) */
    if (!spice || g->port != -1)
        mv_xml_out_attrf(o, "port", "%d", g->port);
    if (spice && g->tls_port)
        mv_xml_out_attrf(o, "tlsPort", "%d", g->tls_port);
    mv_xml_out_attr(o, "autoport", g->autoport ? "yes" : "no");
    mv_xml_out_attr(o, "listen", g->listen);
    if (flags & MV_DOM_FORMAT_SECURE) {
        mv_xml_out_attr(o, "passwd", g->passwd);
        mv_xml_out_attr(o, "passwdValidTo", g->passwd_valid_to);
    }
    graphics_listen(o, g);
    if (spice)
        spice_children(o, g);
    mv_xml_out_end(o);
}

void dom_format_video(struct mv_xml_out *o, const struct mv_dom_video *v)
{
    mv_xml_out_start(o, "video");
    mv_xml_out_start(o, "model");
    mv_xml_out_attr(o, "type", v->model);
    attr_uint_opt(o, "ram", v->ram);
    attr_uint_opt(o, "vram", v->vram);
    attr_uint_opt(o, "vgamem", v->vgamem);
    attr_uint_opt(o, "heads", v->heads);
    if (v->primary)
        mv_xml_out_attr(o, "primary", "yes");
    if (v->accel3d != MV_TRISTATE_ABSENT || v->accel2d != MV_TRISTATE_ABSENT) {
        mv_xml_out_start(o, "acceleration");
        attr_tristate(o, "accel3d", v->accel3d, "yes", "no");
        attr_tristate(o, "accel2d", v->accel2d, "yes", "no");
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
    dom_format_alias(o, v->alias);
    dom_format_address(o, &v->addr);
    mv_xml_out_end(o);
}

void dom_format_sound(struct mv_xml_out *o, const struct mv_dom_sound *s)
{
    mv_xml_out_start(o, "sound");
    mv_xml_out_attr(o, "model", s->model);
    for (size_t i = 0; i < s->ncodecs; i++)
        leaf(o, "codec", "type", s->codecs[i]);
    if (s->audio_id) {
        mv_xml_out_start(o, "audio");
        mv_xml_out_attrf(o, "id", "%u", s->audio_id);
        mv_xml_out_end(o);
    }
    dom_format_alias(o, s->alias);
    dom_format_address(o, &s->addr);
    mv_xml_out_end(o);
}

void dom_format_audio(struct mv_xml_out *o, const struct mv_dom_audio *a)
{
    mv_xml_out_start(o, "audio");
    mv_xml_out_attrf(o, "id", "%u", a->id);
    mv_xml_out_attr(o, "type", mv_dom_audio_type_to_string(a->type));
    mv_xml_out_attr(o, "path", a->path);
    mv_xml_out_end(o);
}

void dom_format_redirdev(struct mv_xml_out *o, const struct mv_dom_redirdev *rd)
{
    mv_xml_out_start(o, "redirdev");
    mv_xml_out_attr(o, "bus", rd->bus);
    mv_xml_out_attr(o, "type", mv_dom_chr_type_to_string(rd->type));
    dom_format_alias(o, rd->alias);
    mv_xml_out_end(o);
}
