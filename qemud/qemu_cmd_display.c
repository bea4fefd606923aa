/*
 * Input devices, graphics (VNC, SPICE) and video.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

static const char *input_device(const char *type, const char *bus)
{
    static const struct { const char *type, *bus, *dev; } map[] = {
        { "tablet", "usb", "usb-tablet" },
        { "mouse", "usb", "usb-mouse" },
        { "keyboard", "usb", "usb-kbd" },
        { "tablet", "virtio", "virtio-tablet-pci" },
        { "mouse", "virtio", "virtio-mouse-pci" },
        { "keyboard", "virtio", "virtio-keyboard-pci" },
    };

    for (size_t i = 0; i < MV_ARRAY_SIZE(map); i++)
        if (streq(type, map[i].type) && streq(bus, map[i].bus))
            return map[i].dev;
    return NULL;
}

/* libvirt's defaults: a tablet is USB, a mouse or keyboard PS/2 */
static const char *input_bus(const struct mv_dom_input *in)
{
    if (in->bus)
        return in->bus;
    return streq(in->type, "tablet") ? "usb" : "ps2";
}

int build_input(struct cmd *c, size_t i)
{
    const struct mv_dom_input *in = &c->def->devices.inputs[i];
    const struct mv_dom_controller *usb;
    _cleanup_opt_ struct opt o = { 0 };
    const char *bus = input_bus(in);
    const char *dev;
    char what[32];
    int r = 0;

    if (streq(bus, "ps2") && (streq(in->type, "mouse") || streq(in->type, "keyboard")))
        return 0;   /* the i8042 of pc and q35 machines is always there */
    snprintf(what, sizeof(what), "input %zu", i);
    dev = input_device(in->type, bus);
    if (!dev)
        return cmd_refuse(c, "%s: type '%s' on bus '%s' is not supported", what, cmd_quote(c, in->type),
                      cmd_quote(c, bus));
    if (!streq(bus, "virtio") && in->addr.type != MV_DOM_ADDR_NONE)
        return cmd_refuse(c, "%s: a device on bus '%s' takes no PCI or drive address", what, cmd_quote(c, bus));
    opt_kv(&o, NULL, "%s", dev);
    if (streq(bus, "usb")) {
        usb = find_controller(&c->def->devices, MV_DOM_CONTROLLER_USB, 0);
        if (usb && streq(usb->model, "none"))
            return cmd_refuse(c, "%s: a USB device needs a USB controller, but the model is 'none'", what);
        opt_kv(&o, "bus", "usb.0");
    } else {
        r = opt_pci_addr(c, &o, &in->addr, what);
    }
    if (r >= 0)
        r = opt_id(c, &o, in->alias, what);
    return r < 0 ? r : cmd_opt(c, "-device", &o);
}

/* ---- graphics and video ---- */

/* "HOST:" with IPv6 addresses in brackets */
static void opt_vnc_listen(struct opt *o, const char *listen, int display)
{
    if (strchr(listen, ':'))
        opt_kv(o, NULL, "[%s]:%d", listen, display);
    else
        opt_kv(o, NULL, "%s:%d", listen, display);
}

static int build_vnc(struct cmd *c, const struct mv_dom_graphics *g)
{
    _cleanup_opt_ struct opt o = { 0 };
    const char *listen = g->listen ? g->listen : "127.0.0.1";

    if (g->passwd || g->passwd_valid_to)
        return cmd_refuse(c, "VNC passwords are not supported yet");
    if (g->listen_type != MV_DOM_LISTEN_ABSENT && g->listen_type != MV_DOM_LISTEN_ADDRESS)
        return cmd_refuse(c, "VNC <listen type='%s'> is not supported (only address)",
                          mv_dom_graphics_listen_to_string(g->listen_type));
    /* autoport: the port the daemon reserved (display_ports.c), never
     * QEMU's own search, which another start's choice could collide with */
    if (g->port < 0)
        return cmd_internal(c, "no VNC port was chosen for domain '%s'", cmd_quote(c, c->def->name));
    if (g->port < VNC_PORT_BASE || g->port > 65535)
        return cmd_refuse(c, "VNC port %d is outside %d-65535", g->port, VNC_PORT_BASE);
    opt_vnc_listen(&o, listen, g->port - VNC_PORT_BASE);
    return cmd_opt(c, "-vnc", &o);
}

/* On/off and enum settings of <graphics type='spice'> as -spice options. */
static void spice_settings(struct opt *o, const struct mv_dom_graphics *g)
{
    if (g->image_compression)
        opt_kv(o, "image-compression", "%s", g->image_compression);
    if (g->jpeg)
        opt_kv(o, "jpeg-wan-compression", "%s", g->jpeg);
    if (g->zlib)
        opt_kv(o, "zlib-glz-wan-compression", "%s", g->zlib);
    if (g->playback != MV_TRISTATE_ABSENT)
        opt_onoff(o, "playback-compression", g->playback == MV_TRISTATE_YES);
    if (g->streaming)
        opt_kv(o, "streaming-video", "%s", g->streaming);
    /* client mode: the guest agent moves the pointer where the client's is */
    if (g->mouse_mode)
        opt_onoff(o, "agent-mouse", streq(g->mouse_mode, "client"));
    if (g->copypaste == MV_TRISTATE_NO)
        opt_onoff(o, "disable-copy-paste", true);
    if (g->filetransfer == MV_TRISTATE_NO)
        opt_onoff(o, "disable-agent-file-xfer", true);
}

/* Where SPICE listens: TCP on an address (the port the daemon chose for
 * autoport), a unix socket (its path chosen likewise when not given), or
 * nowhere (a client can still attach through the monitor's add_client). */
static int spice_listen(struct cmd *c, struct opt *o, const struct mv_dom_graphics *g)
{
    switch (g->listen_type) {
    case MV_DOM_LISTEN_NONE:
        if (!g->autoport && g->port > 0)
            return cmd_refuse(c, "SPICE port %d with <listen type='none'>: nothing listens", g->port);
        return 0;
    case MV_DOM_LISTEN_SOCKET:
        if (!g->socket)
            return cmd_internal(c, "the SPICE socket of domain '%s' has no path", cmd_quote(c, c->def->name));
        opt_onoff(o, "unix", true);
        opt_kv(o, "addr", "%s", g->socket);
        return 0;
    case MV_DOM_LISTEN_NETWORK:
        return cmd_refuse(c, "SPICE <listen type='network'> is not supported (give the address: "
                          "<listen type='address' address=...>)");
    default:
        break;
    }
    if (g->port <= 0)
        return g->autoport ? cmd_internal(c, "no SPICE port was chosen for domain '%s'", cmd_quote(c, c->def->name))
                           : cmd_refuse(c, "SPICE port %d is not a TCP port", g->port);
    opt_kv(o, "port", "%d", g->port);
    opt_kv(o, "addr", "%s", g->listen ? g->listen : "127.0.0.1");
    return 0;
}

/* TLS would need certificates, and modvirt-qemud has no setting for them:
 * an explicit tlsPort is refused (as libvirt does with spice_tls off), an
 * autoport one (-1) is simply not allocated. */
static int build_spice(struct cmd *c, const struct mv_dom_graphics *g)
{
    _cleanup_opt_ struct opt o = { 0 };
    int r;

    if (g->tls_port > 0)
        return cmd_refuse(c, "SPICE tlsPort %d needs TLS, and modvirt-qemud has no SPICE TLS certificates "
                          "configured (leave tlsPort out or set it to -1)", g->tls_port);
    if (g->passwd_valid_to && !g->passwd)
        return cmd_refuse(c, "SPICE passwdValidTo without passwd: there is no password to expire");
    if (g->gl == MV_TRISTATE_YES)
        return cmd_refuse(c, "SPICE <gl enable='yes'> needs a GPU render node, which a TCG guest cannot use");
    if ((r = spice_listen(c, &o, g)) < 0)
        return r;
    /* with a password, nobody gets in until the daemon sets it over QMP */
    if (!g->passwd)
        opt_onoff(&o, "disable-ticketing", true);
    spice_settings(&o, g);
    return cmd_opt(c, "-spice", &o);
}

int build_graphics(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    bool seen[MV_DOM_GRAPHICS_LAST] = { false };
    int r;

    if (d->ngraphics == 0)
        return cmd_pair(c, "-display", "none");
    for (size_t i = 0; i < d->ngraphics; i++) {
        const struct mv_dom_graphics *g = &d->graphics[i];

        if ((unsigned int)g->type >= MV_DOM_GRAPHICS_LAST || seen[g->type])
            return cmd_refuse(c, "graphics %zu: only one VNC and one SPICE display are supported", i);
        seen[g->type] = true;
        r = g->type == MV_DOM_GRAPHICS_VNC ? build_vnc(c, g) : build_spice(c, g);
        if (r < 0)
            return r;
    }
    return 0;
}

struct video_model {
    const char *model, *primary, *secondary;
    const char *vram_mb;        /* property taking vram in MiB, NULL = none */
    const char *vram_bytes;     /* property taking vram in bytes, NULL = none */
    bool heads;                 /* max_outputs= takes heads */
    bool pci;
};

static const struct video_model video_models[] = {
    { "vga", "VGA", NULL, "vgamem_mb", NULL, false, true },
    { "cirrus", "cirrus-vga", NULL, "vgamem_mb", NULL, false, true },
    { "virtio", "virtio-vga", "virtio-gpu-pci", NULL, NULL, true, true },
    { "qxl", "qxl-vga", "qxl", "vram_size_mb", NULL, true, true },
    { "bochs", "bochs-display", "bochs-display", NULL, "vgamem", false, true },
    { "ramfb", "ramfb", NULL, NULL, NULL, false, false },
};

/* KiB of a qxl memory region as QEMU's whole-MiB property KEY. */
static int qxl_mb(struct cmd *c, struct opt *o, const char *key, const char *attr, unsigned int kib,
                  const char *what)
{
    if (!kib)
        return 0;
    if (kib % 1024)
        return cmd_refuse(c, "%s: %s %u KiB is not a whole number of MiB", what, attr, kib);
    opt_kv(o, key, "%u", kib / 1024);
    return 0;
}

/* qxl's RAM bar and VGA memory; the generic code does vram and heads */
static int qxl_props(struct cmd *c, struct opt *o, const struct mv_dom_video *v, const char *what)
{
    int r = qxl_mb(c, o, "ram_size_mb", "ram", v->ram, what);

    return r < 0 ? r : qxl_mb(c, o, "vgamem_mb", "vgamem", v->vgamem, what);
}

static int video_props(struct cmd *c, struct opt *o, const struct mv_dom_video *v,
                       const struct video_model *m, const char *what)
{
    if (v->vram && m->vram_bytes) {
        opt_kv(o, m->vram_bytes, "%llu", v->vram * 1024ULL);
    } else if (v->vram) {
        if (!m->vram_mb)
            return cmd_refuse(c, "%s: vram is not adjustable for model '%s'", what, m->model);
        if (v->vram % 1024)
            return cmd_refuse(c, "%s: vram %u KiB is not a whole number of MiB", what, v->vram);
        opt_kv(o, m->vram_mb, "%u", v->vram / 1024);
    }
    if (v->heads > 1) {
        if (!m->heads)
            return cmd_refuse(c, "%s: model '%s' has one head", what, m->model);
        opt_kv(o, "max_outputs", "%u", v->heads);
    }
    /* 3D needs virgl and a render node, 2D acceleration is VirtualBox's */
    if (v->accel3d == MV_TRISTATE_YES || v->accel2d == MV_TRISTATE_YES)
        return cmd_refuse(c, "%s: <acceleration accel%cd='yes'> is not supported under TCG", what,
                          v->accel3d == MV_TRISTATE_YES ? '3' : '2');
    return streq(m->model, "qxl") ? qxl_props(c, o, v, what) : 0;
}

static int build_video(struct cmd *c, size_t i, bool primary)
{
    const struct mv_dom_video *v = &c->def->devices.videos[i];
    const struct video_model *m = NULL;
    _cleanup_opt_ struct opt o = { 0 };
    char what[32];
    int r;

    if (streq(v->model, "none"))
        return 0;
    snprintf(what, sizeof(what), "video %zu", i);
    for (size_t k = 0; k < MV_ARRAY_SIZE(video_models); k++)
        if (streq(v->model, video_models[k].model))
            m = &video_models[k];
    if (!m)
        return cmd_refuse(c, "%s: model '%s' is not supported", what, cmd_quote(c, v->model));
    if (!primary && !m->secondary)
        return cmd_refuse(c, "%s: model '%s' can only be the primary video device", what, m->model);
    opt_kv(&o, NULL, "%s", primary ? m->primary : m->secondary);
    if (!m->pci && v->addr.type != MV_DOM_ADDR_NONE)
        return cmd_refuse(c, "%s: model '%s' is not a PCI device and takes no address", what, m->model);
    r = opt_id(c, &o, v->alias, what);
    if (r >= 0 && m->pci)
        r = opt_pci_addr(c, &o, &v->addr, what);
    if (r >= 0)
        r = video_props(c, &o, v, m, what);
    return r < 0 ? r : cmd_opt(c, "-device", &o);
}

int build_videos(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    size_t primary = 0;
    int r;

    for (size_t i = 0; i < d->nvideos; i++)
        if (d->videos[i].primary) {
            primary = i;
            break;
        }
    /* the primary first: it gets the legacy VGA ports */
    if (d->nvideos == 0)
        return 0;
    r = build_video(c, primary, true);
    for (size_t i = 0; r >= 0 && i < d->nvideos; i++)
        if (i != primary)
            r = build_video(c, i, false);
    return r;
}
