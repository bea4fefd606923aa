/*
 * Character devices: serial ports, consoles and channels, and the SPICE
 * USB redirection ports (<redirdev>), which are a spicevmc chardev each.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "error_codes.h"
#include "qemu_command_priv.h"

bool has_spice_display(const struct cmd *c)
{
    for (size_t i = 0; i < c->def->devices.ngraphics; i++)
        if (c->def->devices.graphics[i].type == MV_DOM_GRAPHICS_SPICE)
            return true;
    return false;
}

static int build_chardev(struct cmd *c, const struct mv_dom_chr *chr, const char *id, const char *what)
{
    _cleanup_opt_ struct opt o = { 0 };

    if ((chr->type == MV_DOM_CHR_FILE || chr->type == MV_DOM_CHR_UNIX) && !chr->path)
        return cmd_internal(c, "%s of domain '%s' has no path", what, cmd_quote(c, c->def->name));
    switch (chr->type) {
    case MV_DOM_CHR_PTY:
        opt_kv(&o, NULL, "pty");
        opt_kv(&o, "id", "%s", id);
        break;
    case MV_DOM_CHR_FILE:
        opt_kv(&o, NULL, "file");
        opt_kv(&o, "id", "%s", id);
        opt_kv(&o, "path", "%s", chr->path);
        if (chr->append)
            opt_onoff(&o, "append", true);
        break;
    case MV_DOM_CHR_UNIX:
        opt_kv(&o, NULL, "socket");
        opt_kv(&o, "id", "%s", id);
        opt_kv(&o, "path", "%s", chr->path);
        if (chr->unix_listen) {
            opt_onoff(&o, "server", true);
            opt_onoff(&o, "wait", false);
        }
        break;
    case MV_DOM_CHR_NULL:
        opt_kv(&o, NULL, "null");
        opt_kv(&o, "id", "%s", id);
        break;
    case MV_DOM_CHR_SPICEVMC:
        /* the parser allows it on channels only: the SPICE agent's */
        if (!has_spice_display(c))
            return cmd_refuse(c, "%s: type 'spicevmc' needs <graphics type='spice'>", what);
        opt_kv(&o, NULL, "spicevmc");
        opt_kv(&o, "id", "%s", id);
        opt_kv(&o, "name", "vdagent");
        break;
    default:
        return cmd_refuse(c, "%s: character device type %d is not supported", what, (int)chr->type);
    }
    if (chr->log_file) {
        opt_kv(&o, "logfile", "%s", chr->log_file);
        opt_onoff(&o, "logappend", chr->log_append);
    }
    return cmd_opt(c, "-chardev", &o);
}

/* Serial port N (COM N+1) backed by CHR. */
static int build_isa_serial(struct cmd *c, const struct mv_dom_chr *chr, size_t n, const char *what)
{
    _cleanup_opt_ struct opt o = { 0 };
    char id[32];
    int r;

    if (chr->target_type && !streq(chr->target_type, "isa-serial"))
        return cmd_refuse(c, "%s: target type '%s' is not supported (only isa-serial)", what,
                      cmd_quote(c, chr->target_type));
    if (chr->target_port >= ISA_SERIAL_PORTS || n >= ISA_SERIAL_PORTS)
        return cmd_refuse(c, "%s: ISA serial ports go from 0 to %d", what, ISA_SERIAL_PORTS - 1);
    snprintf(id, sizeof(id), "charserial%zu", n);
    r = build_chardev(c, chr, id, what);
    if (r < 0)
        return r;
    opt_kv(&o, NULL, "isa-serial");
    opt_kv(&o, "chardev", "%s", id);
    r = opt_id(c, &o, chr->alias, what);
    if (r < 0)
        return r;
    if (chr->target_port >= 0)
        opt_kv(&o, "index", "%d", chr->target_port);
    return cmd_opt(c, "-device", &o);
}

/* A port on virtio-serial0: virtconsole or virtserialport. */
static int build_virtio_port(struct cmd *c, const struct mv_dom_chr *chr, const char *dev,
                             const char *kind, size_t n)
{
    _cleanup_opt_ struct opt o = { 0 };
    char what[64], id[32];
    int r;

    snprintf(what, sizeof(what), "%s %zu", kind, n);
    snprintf(id, sizeof(id), "char%s%zu", kind, n);
    r = build_chardev(c, chr, id, what);
    if (r < 0)
        return r;
    opt_kv(&o, NULL, "%s", dev);
    opt_kv(&o, "bus", "virtio-serial0.0");
    opt_kv(&o, "chardev", "%s", id);
    r = opt_id(c, &o, chr->alias, what);
    if (r < 0)
        return r;
    if (chr->target_name)
        opt_kv(&o, "name", "%s", chr->target_name);
    return cmd_opt(c, "-device", &o);
}

static int build_serials(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    char what[32];
    int r;

    for (size_t i = 0; i < d->nserials; i++) {
        snprintf(what, sizeof(what), "serial %zu", i);
        r = build_isa_serial(c, &d->serials[i], i, what);
        if (r < 0)
            return r;
    }
    return 0;
}

static int build_console(struct cmd *c, size_t i)
{
    const struct mv_dom_devices *d = &c->def->devices;
    const struct mv_dom_chr *con = &d->consoles[i];
    struct mv_dom_chr serial;
    char what[32];

    snprintf(what, sizeof(what), "console %zu", i);
    if (!con->target_type || streq(con->target_type, "serial")) {
        if (i != 0)
            return cmd_refuse(c, "%s: only the first console can be a serial console", what);
        /* the same device as serial 0: create it only if there is none */
        if (d->nserials > 0)
            return 0;
        serial = *con;
        serial.target_type = NULL;
        return build_isa_serial(c, &serial, 0, what);
    }
    if (streq(con->target_type, "virtio"))
        return build_virtio_port(c, con, "virtconsole", "console", i);
    return cmd_refuse(c, "%s: target type '%s' is not supported (serial or virtio)", what,
                  cmd_quote(c, con->target_type));
}

static int build_channel(struct cmd *c, size_t i)
{
    const struct mv_dom_chr *ch = &c->def->devices.channels[i];

    if (!streq(ch->target_type, "virtio"))
        return cmd_refuse(c, "channel %zu: target type '%s' is not supported (only virtio)", i,
                      cmd_quote(c, ch->target_type));
    return build_virtio_port(c, ch, "virtserialport", "channel", i);
}

int build_chr_devices(struct cmd *c)
{
    const struct mv_dom_devices *d = &c->def->devices;
    int r = build_serials(c);

    for (size_t i = 0; r >= 0 && i < d->nconsoles; i++)
        r = build_console(c, i);
    for (size_t i = 0; r >= 0 && i < d->nchannels; i++)
        r = build_channel(c, i);
    return r;
}

/* <redirdev bus='usb' type='spicevmc'/> N: a usb-redir port fed by the
 * SPICE client's usbredir channel. */
static int build_redirdev(struct cmd *c, size_t n)
{
    const struct mv_dom_controller *usb = find_controller(&c->def->devices, MV_DOM_CONTROLLER_USB, 0);
    _cleanup_opt_ struct opt chr = { 0 };
    _cleanup_opt_ struct opt o = { 0 };
    char what[32];
    int r;

    snprintf(what, sizeof(what), "redirdev %zu", n);
    if (!has_spice_display(c))
        return cmd_refuse(c, "redirdev %zu: type 'spicevmc' needs <graphics type='spice'>", n);
    if (usb && streq(usb->model, "none"))
        return cmd_refuse(c, "redirdev %zu: USB redirection needs a USB controller, but the model is 'none'", n);
    opt_kv(&chr, NULL, "spicevmc");
    opt_kv(&chr, "id", "charredir%zu", n);
    opt_kv(&chr, "name", "usbredir");
    if ((r = cmd_opt(c, "-chardev", &chr)) < 0)
        return r;
    opt_kv(&o, NULL, "usb-redir");
    opt_kv(&o, "chardev", "charredir%zu", n);
    if ((r = opt_id(c, &o, c->def->devices.redirdevs[n].alias, what)) < 0)
        return r;
    opt_kv(&o, "bus", "usb.0");
    return cmd_opt(c, "-device", &o);
}

int build_redirdevs(struct cmd *c)
{
    int r = 0;

    for (size_t i = 0; r >= 0 && i < c->def->devices.nredirdevs; i++)
        r = build_redirdev(c, i);
    return r;
}
