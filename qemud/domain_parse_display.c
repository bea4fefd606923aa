/*
 * Domain XML <graphics> (VNC, SPICE with its children) and <video>.
 *
 * A SPICE display is what virt-install and virt-manager write for a
 * desktop: port/tlsPort/autoport, a <listen> of any type, and the
 * compression, mouse, clipboard and file transfer settings.  The parser
 * keeps everything as written; what cannot start (TLS without
 * certificates, GL without a render node, a network listen) is refused by
 * the command line, which knows the host.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cleanup.h"
#include "domain_def.h"
#include "domain_parse_priv.h"
#include "error_codes.h"
#include "file.h"
#include "validate.h"
#include "xml.h"

/* libvirt's defaults for qxl, in KiB: what its dumpxml shows and what the
 * guest's driver expects */
#define QXL_DEFAULT_RAM 65536
#define QXL_DEFAULT_VRAM 65536
#define QXL_DEFAULT_VGAMEM 16384

/* An IP address or host name to listen on. */
static bool listen_ok(const char *s)
{
    return mv_xml_token_ok(s, ".:-") && strlen(s) <= 255;
}

/* ---------------------------------------------------------------- listen */

/* The listen= attribute and <listen address=...> are one setting written twice. */
static int listen_address(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_graphics *g)
{
    _cleanup_free_ char *addr = NULL;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type", "address"))) < 0 ||
        (r = mv_xml_attr_get(n, "address", &addr)) < 0)
        return r;
    if (!addr)
        return 0;
    if (!listen_ok(addr))
        return mv_xml_fail_value(c, n, "address", addr);
    if (g->listen && strcmp(g->listen, addr) != 0)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<graphics listen=...> and <listen address=...> differ");
    free(g->listen);
    g->listen = TAKE_PTR(addr);
    return 0;
}

/* socket= is optional: the daemon picks a path in its run directory when
 * the domain starts; only a status file may carry the picked one. */
static int listen_socket(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_graphics *g)
{
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type", "socket"))) < 0 ||
        (r = mv_xml_attr_path(c, n, "socket", &g->socket)) < 0)
        return r;
    if (g->socket && !mv_unix_path_fits(g->socket))
        return mv_xml_fail_value(c, n, "socket", g->socket);
    return 0;
}

static int listen_network(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_graphics *g)
{
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("type", "network"))) < 0 ||
        (r = mv_xml_attr_get(n, "network", &g->network)) < 0)
        return r;
    if (!g->network)
        return mv_xml_fail_missing_attr(c, n, "network");
    if (mv_validate_name("network", g->network, NULL) < 0)
        return mv_xml_fail_value(c, n, "network", g->network);
    return 0;
}

static int graphics_listen(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_graphics *g = obj;
    int type, r;

    if ((r = dom_attr_enum_required(c, n, "type", mv_dom_graphics_listen_from_string, &type)) < 0)
        return r;
    /* listen= alone is an address listen; any other type contradicts it */
    if (g->listen && type != MV_DOM_LISTEN_ADDRESS)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<graphics listen=...> needs <listen type='address'>, not '%s'",
                           mv_dom_graphics_listen_to_string(type));
    g->listen_type = type;
    switch (type) {
    case MV_DOM_LISTEN_ADDRESS:
        return listen_address(c, n, g);
    case MV_DOM_LISTEN_SOCKET:
        return listen_socket(c, n, g);
    case MV_DOM_LISTEN_NETWORK:
        return listen_network(c, n, g);
    default:
        return mv_xml_leaf(c, n, MV_XML_ATTRS("type"));
    }
}

/* ------------------------------------------------------- SPICE children */

/* <NAME ATTR='one of LIST'/> into *OUT. */
static int spice_choice(struct mv_xml_ctx *c, xmlNodePtr n, const char *attr, const char *const *list,
                        char **out)
{
    int r;

    if ((r = mv_xml_leaf(c, n, (const char *const[]){ attr, NULL })) < 0 ||
        (r = mv_xml_attr_choice(c, n, attr, list, out)) < 0)
        return r;
    return r == 0 ? mv_xml_fail_missing_attr(c, n, attr) : 0;
}

/* <NAME ATTR='yes|no'/> (or on|off with ONOFF) into *OUT. */
static int spice_switch(struct mv_xml_ctx *c, xmlNodePtr n, const char *attr, bool onoff, enum mv_tristate *out)
{
    bool v;
    int r;

    if ((r = mv_xml_leaf(c, n, (const char *const[]){ attr, NULL })) < 0)
        return r;
    r = onoff ? mv_xml_attr_onoff(c, n, attr, &v) : mv_xml_attr_yesno(c, n, attr, &v);
    if (r < 0)
        return r;
    if (r == 0)
        return mv_xml_fail_missing_attr(c, n, attr);
    *out = v ? MV_TRISTATE_YES : MV_TRISTATE_NO;
    return 0;
}

static const char *const wan_values[] = { "auto", "never", "always", NULL };

static int spice_image(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const values[] = { "auto_glz", "auto_lz", "quic", "glz", "lz", "off", NULL };

    return spice_choice(c, n, "compression", values, &((struct mv_dom_graphics *)obj)->image_compression);
}

static int spice_jpeg(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return spice_choice(c, n, "compression", wan_values, &((struct mv_dom_graphics *)obj)->jpeg);
}

static int spice_zlib(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return spice_choice(c, n, "compression", wan_values, &((struct mv_dom_graphics *)obj)->zlib);
}

static int spice_playback(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return spice_switch(c, n, "compression", true, &((struct mv_dom_graphics *)obj)->playback);
}

static int spice_streaming(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const values[] = { "filter", "all", "off", NULL };

    return spice_choice(c, n, "mode", values, &((struct mv_dom_graphics *)obj)->streaming);
}

static int spice_mouse(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const values[] = { "server", "client", NULL };

    return spice_choice(c, n, "mode", values, &((struct mv_dom_graphics *)obj)->mouse_mode);
}

static int spice_clipboard(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return spice_switch(c, n, "copypaste", false, &((struct mv_dom_graphics *)obj)->copypaste);
}

static int spice_filetransfer(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return spice_switch(c, n, "enable", false, &((struct mv_dom_graphics *)obj)->filetransfer);
}

static int spice_gl(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return spice_switch(c, n, "enable", false, &((struct mv_dom_graphics *)obj)->gl);
}

/* <alias name=.../> of a display, which has no QEMU id of its own: libvirt
 * never writes one; accepted and dropped. */
static int graphics_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return mv_xml_leaf(c, n, MV_XML_ATTRS("name"));
}

static const struct mv_xml_rule vnc_rules[] = {
    { "listen", graphics_listen, false },
    { "alias", graphics_alias, false },
};

static const struct mv_xml_rule spice_rules[] = {
    { "listen", graphics_listen, false },
    { "image", spice_image, false },
    { "jpeg", spice_jpeg, false },
    { "zlib", spice_zlib, false },
    { "playback", spice_playback, false },
    { "streaming", spice_streaming, false },
    { "mouse", spice_mouse, false },
    { "clipboard", spice_clipboard, false },
    { "filetransfer", spice_filetransfer, false },
    { "gl", spice_gl, false },
    { "alias", graphics_alias, false },
};

/* ----------------------------------------------------------------- ports */

/* port= or tlsPort=: -1 (allocate), 0 (SPICE: none), or a TCP port. */
static int graphics_port_attr(struct mv_xml_ctx *c, xmlNodePtr n, const char *name, int *out)
{
    _cleanup_free_ char *s = NULL;
    unsigned long long v;
    int r;

    if ((r = mv_xml_attr_get(n, name, &s)) <= 0)
        return r;
    if (strcmp(s, "-1") == 0) {
        *out = -1;
        return 1;
    }
    if (mv_xml_parse_ull(s, false, &v) < 0 || v > 65535)
        return mv_xml_fail_value(c, n, name, s);
    *out = (int)v;
    return 1;
}

static int graphics_port(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_graphics *g)
{
    enum mv_tristate autoport = MV_TRISTATE_ABSENT;
    int r;

    g->port = -1;
    if ((r = graphics_port_attr(c, n, "port", &g->port)) < 0)
        return r;
    if (g->type == MV_DOM_GRAPHICS_SPICE && (r = graphics_port_attr(c, n, "tlsPort", &g->tls_port)) < 0)
        return r;
    if ((r = dom_attr_yesno(c, n, "autoport", &autoport)) < 0)
        return r;
    if (autoport == MV_TRISTATE_ABSENT)
        g->autoport = g->port == -1;
    else
        g->autoport = autoport == MV_TRISTATE_YES;
    if (!g->autoport && g->port == -1)
        return mv_xml_fail(c, MV_ERR_XML_DETAIL, "<graphics autoport='no'> needs a port");
    /* a chosen port belongs to the running guest only; a TLS port to
     * allocate (-1) is libvirt's legacy way of saying autoport, and a
     * definition keeps neither (libvirt's inactive XML shows no ports) */
    if (g->autoport && !(c->flags & MV_DOM_PARSE_STATUS)) {
        g->port = -1;
        if (g->tls_port == -1)
            g->tls_port = 0;
    }
    return 0;
}

/* The listen= attribute, and the defaults of a listen element left without
 * its value (libvirt's default address, a socket picked at start). */
static int graphics_listen_attr(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_graphics *g)
{
    int r = mv_xml_attr_get(n, "listen", &g->listen);

    if (r < 0)
        return r;
    if (g->listen && !listen_ok(g->listen))
        return mv_xml_fail_value(c, n, "listen", g->listen);
    if (g->listen)
        g->listen_type = MV_DOM_LISTEN_ADDRESS;
    return 0;
}

static int graphics_passwd(struct mv_xml_ctx *c, xmlNodePtr n, struct mv_dom_graphics *g)
{
    long long epoch;
    int r;

    if ((r = mv_xml_attr_get(n, "passwd", &g->passwd)) < 0 ||
        (r = mv_xml_attr_get(n, "passwdValidTo", &g->passwd_valid_to)) < 0)
        return r;
    /* the whole date now: the start would only find it out once QEMU runs */
    if (g->passwd_valid_to && mv_dom_valid_to_epoch(g->passwd_valid_to, &epoch) < 0)
        return mv_xml_fail_value(c, n, "passwdValidTo", g->passwd_valid_to);
    return 0;
}

int mv_dom_valid_to_epoch(const char *s, long long *epoch)
{
    struct tm tm = { 0 };
    const char *end;

    /* YYYY-MM-DDTHH:MM:SS, UTC as libvirt's schema has it (strptime alone
     * would take "2025-1-2T3:4:5" and a lone leading space) */
    if (strlen(s) != 19 || !mv_xml_token_ok(s, "-:") || !(end = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm)) || *end)
        return -EINVAL;
    *epoch = (long long)timegm(&tm);
    return 0;
}

int dom_parse_graphics(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_graphics *g = MV_XML_GROW(devs->graphics, devs->ngraphics);
    int type, r;

    if (!g)
        return -ENOMEM;
    if ((r = dom_attr_enum_required(c, n, "type", mv_dom_graphics_type_from_string, &type)) < 0)
        return r;
    g->type = type;
    if (type == MV_DOM_GRAPHICS_SPICE)
        r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type", "port", "tlsPort", "autoport", "listen", "passwd",
                                                  "passwdValidTo"));
    else
        r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type", "port", "autoport", "listen", "passwd",
                                                  "passwdValidTo"));
    if (r < 0 || (r = graphics_port(c, n, g)) < 0 || (r = graphics_listen_attr(c, n, g)) < 0 ||
        (r = graphics_passwd(c, n, g)) < 0)
        return r;
    if (type == MV_DOM_GRAPHICS_SPICE)
        return MV_XML_WALK(c, n, spice_rules, g);
    return MV_XML_WALK(c, n, vnc_rules, g);
}

/* ----------------------------------------------------------------- video */

static int video_acceleration(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_video *v = obj;
    int r;

    if ((r = mv_xml_leaf(c, n, MV_XML_ATTRS("accel3d", "accel2d"))) < 0 ||
        (r = dom_attr_yesno(c, n, "accel3d", &v->accel3d)) < 0 ||
        (r = dom_attr_yesno(c, n, "accel2d", &v->accel2d)) < 0)
        return r;
    return 0;
}

static const struct mv_xml_rule model_rules[] = {
    { "acceleration", video_acceleration, false },
};

/* qxl without sizes gets libvirt's, so dumpxml shows what the guest has */
static void video_defaults(struct mv_dom_video *v)
{
    if (strcmp(v->model, "qxl") != 0)
        return;
    if (!v->ram)
        v->ram = QXL_DEFAULT_RAM;
    if (!v->vram)
        v->vram = QXL_DEFAULT_VRAM;
    if (!v->vgamem)
        v->vgamem = QXL_DEFAULT_VGAMEM;
    if (!v->heads)
        v->heads = 1;
}

static int video_model(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    static const char *const models[] = { "vga", "cirrus", "virtio", "qxl", "bochs", "ramfb", "none", NULL };
    struct mv_dom_video *v = obj;
    enum mv_tristate primary = MV_TRISTATE_ABSENT;
    int r;

    if ((r = mv_xml_check_attrs(c, n, MV_XML_ATTRS("type", "ram", "vram", "vgamem", "heads", "primary"))) < 0 ||
        (r = mv_xml_attr_choice(c, n, "type", models, &v->model)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "ram", false, 1, UINT32_MAX, &v->ram)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "vram", false, 1, UINT32_MAX, &v->vram)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "vgamem", false, 1, UINT32_MAX, &v->vgamem)) < 0 ||
        (r = mv_xml_attr_uint_range(c, n, "heads", false, 1, 16, &v->heads)) < 0 ||
        (r = dom_attr_yesno(c, n, "primary", &primary)) < 0)
        return r;
    v->primary = primary == MV_TRISTATE_YES;
    if (!v->model)
        return mv_xml_fail_missing_attr(c, n, "type");
    /* ram and vgamem are qxl's (libvirt's schema allows them elsewhere, QEMU does not) */
    if ((v->ram || v->vgamem) && strcmp(v->model, "qxl") != 0)
        return mv_xml_fail(c, MV_ERR_CONFIG_UNSUPPORTED, "<video><model type='%s'> takes no ram or vgamem (only qxl)",
                           v->model);
    video_defaults(v);
    return MV_XML_WALK(c, n, model_rules, v);
}

static int video_address(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_address(c, n, &((struct mv_dom_video *)obj)->addr);
}

static int video_alias(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    return dom_parse_alias(c, n, &((struct mv_dom_video *)obj)->alias);
}

static const struct mv_xml_rule video_rules[] = {
    { "model", video_model, false },
    { "address", video_address, false },
    { "alias", video_alias, false },
};

int dom_parse_video(struct mv_xml_ctx *c, xmlNodePtr n, void *obj)
{
    struct mv_dom_devices *devs = obj;
    struct mv_dom_video *v = MV_XML_GROW(devs->videos, devs->nvideos);
    int r;

    if (!v)
        return -ENOMEM;
    if ((r = mv_xml_check_attrs(c, n, MV_XML_NO_ATTRS)) < 0 || (r = MV_XML_WALK(c, n, video_rules, v)) < 0)
        return r;
    return v->model ? 0 : mv_xml_fail(c, MV_ERR_XML_DETAIL, "missing <model type=...> of <video>");
}
