/*
 * struct mv_dom_def -> domain XML in virsh dumpxml's layout.  Only what the
 * user wrote comes back, plus what the parser filled in (uuid, MACs, KiB
 * memory, disk buses, controller indexes); no default devices are invented.
 */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"
#include "xml.h"

/* The writer with a sticky failure: each call is a no-op once one failed,
 * and the caller checks once at the end. */
struct out {
    xmlTextWriterPtr w;
    bool failed;
};

static void start(struct out *o, const char *name)
{
    if (!o->failed && xmlTextWriterStartElement(o->w, BAD_CAST name) < 0)
        o->failed = true;
}

static void end(struct out *o)
{
    if (!o->failed && xmlTextWriterEndElement(o->w) < 0)
        o->failed = true;
}

/* Attribute NAME='VALUE'; nothing when VALUE is NULL. */
static void attr(struct out *o, const char *name, const char *value)
{
    if (!o->failed && value && xmlTextWriterWriteAttribute(o->w, BAD_CAST name, BAD_CAST value) < 0)
        o->failed = true;
}

static void attrf(struct out *o, const char *name, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void attrf(struct out *o, const char *name, const char *fmt, ...)
{
    _cleanup_free_ char *s = NULL;
    va_list ap;
    int r;

    if (o->failed)
        return;
    va_start(ap, fmt);
    r = vasprintf(&s, fmt, ap);
    va_end(ap);
    if (r < 0) {
        o->failed = true;
        return;
    }
    attr(o, name, s);
}

static void attr_uint_opt(struct out *o, const char *name, unsigned int v)
{
    if (v)
        attrf(o, name, "%u", v);
}

static void attr_yesno(struct out *o, const char *name, enum mv_tristate t)
{
    if (t != MV_TRISTATE_ABSENT)
        attr(o, name, t == MV_TRISTATE_YES ? "yes" : "no");
}

/* <NAME>TEXT</NAME>; nothing when TEXT is NULL. */
static void text_elem(struct out *o, const char *name, const char *text)
{
    if (!o->failed && text && xmlTextWriterWriteElement(o->w, BAD_CAST name, BAD_CAST text) < 0)
        o->failed = true;
}

/* <NAME ATTR='VALUE'/>; nothing when VALUE is NULL. */
static void leaf1(struct out *o, const char *name, const char *a, const char *value)
{
    if (!value)
        return;
    start(o, name);
    attr(o, a, value);
    end(o);
}

static void raw(struct out *o, const char *text)
{
    if (!o->failed && xmlTextWriterWriteRaw(o->w, BAD_CAST text) < 0)
        o->failed = true;
}

static void address(struct out *o, const struct mv_dom_addr *a)
{
    switch (a->type) {
    case MV_DOM_ADDR_PCI:
        start(o, "address");
        attr(o, "type", "pci");
        attrf(o, "domain", "0x%04x", a->domain);
        attrf(o, "bus", "0x%02x", a->bus);
        attrf(o, "slot", "0x%02x", a->slot);
        attrf(o, "function", "0x%x", a->function);
        if (a->multifunction)
            attr(o, "multifunction", "on");
        end(o);
        break;
    case MV_DOM_ADDR_DRIVE:
        start(o, "address");
        attr(o, "type", "drive");
        attrf(o, "controller", "%u", a->controller);
        attrf(o, "bus", "%u", a->bus);
        attrf(o, "target", "%u", a->target);
        attrf(o, "unit", "%u", a->unit);
        end(o);
        break;
    default:
        break;
    }
}

static void boot_order(struct out *o, unsigned int order)
{
    if (!order)
        return;
    start(o, "boot");
    attrf(o, "order", "%u", order);
    end(o);
}

/* ---------------------------------------------------------------- header */

static void memory(struct out *o, const char *name, unsigned long long kib, unsigned int slots)
{
    char value[32];

    snprintf(value, sizeof(value), "%llu", kib);
    start(o, name);
    if (slots)
        attrf(o, "slots", "%u", slots);
    attr(o, "unit", "KiB");
    if (!o->failed && xmlTextWriterWriteString(o->w, BAD_CAST value) < 0)
        o->failed = true;
    end(o);
}

/* The stored children go back verbatim, one per line. */
static void metadata(struct out *o, const char *children)
{
    if (!children)
        return;
    start(o, "metadata");
    if (*children) {
        raw(o, "\n    ");
        raw(o, children);
        raw(o, "\n  ");
    }
    end(o);
}

static void vcpu(struct out *o, const struct mv_dom_def *def)
{
    char value[16];

    snprintf(value, sizeof(value), "%u", def->vcpus);
    start(o, "vcpu");
    if (def->vcpu_placement_given)
        attr(o, "placement", "static");
    if (def->vcpus_current && def->vcpus_current != def->vcpus)
        attrf(o, "current", "%u", def->vcpus_current);
    if (!o->failed && xmlTextWriterWriteString(o->w, BAD_CAST value) < 0)
        o->failed = true;
    end(o);
}

static void os(struct out *o, const struct mv_dom_os *os)
{
    start(o, "os");
    start(o, "type");
    attr(o, "arch", os->arch);
    attr(o, "machine", os->machine);
    if (!o->failed && xmlTextWriterWriteString(o->w, BAD_CAST(os->type ? os->type : "hvm")) < 0)
        o->failed = true;
    end(o);
    if (os->loader) {
        start(o, "loader");
        attr_yesno(o, "readonly", os->loader_readonly);
        attr(o, "type", mv_dom_loader_type_to_string(os->loader_type));
        if (!o->failed && xmlTextWriterWriteString(o->w, BAD_CAST os->loader) < 0)
            o->failed = true;
        end(o);
    }
    text_elem(o, "kernel", os->kernel);
    text_elem(o, "initrd", os->initrd);
    text_elem(o, "cmdline", os->cmdline);
    text_elem(o, "dtb", os->dtb);
    for (size_t i = 0; i < os->nboot; i++)
        leaf1(o, "boot", "dev", mv_dom_boot_dev_to_string(os->boot[i]));
    if (os->bootmenu != MV_TRISTATE_ABSENT) {
        start(o, "bootmenu");
        attr_yesno(o, "enable", os->bootmenu);
        end(o);
    }
    end(o);
}

static void features(struct out *o, const struct mv_dom_features *f)
{
    if (!f->given)
        return;
    start(o, "features");
    if (f->acpi) {
        start(o, "acpi");
        end(o);
    }
    if (f->apic) {
        start(o, "apic");
        end(o);
    }
    if (f->pae) {
        start(o, "pae");
        end(o);
    }
    end(o);
}

static void cpu(struct out *o, const struct mv_dom_cpu *cpu)
{
    if (cpu->mode == MV_DOM_CPU_MODE_ABSENT)
        return;
    start(o, "cpu");
    if (cpu->mode_given)
        attr(o, "mode", mv_dom_cpu_mode_to_string(cpu->mode));
    attr(o, "match", cpu->match);
    attr(o, "check", cpu->check);
    if (cpu->model) {
        start(o, "model");
        attr(o, "fallback", cpu->model_fallback);
        if (!o->failed && xmlTextWriterWriteString(o->w, BAD_CAST cpu->model) < 0)
            o->failed = true;
        end(o);
    }
    if (cpu->sockets) {
        start(o, "topology");
        attrf(o, "sockets", "%u", cpu->sockets);
        attr_uint_opt(o, "dies", cpu->dies);
        attrf(o, "cores", "%u", cpu->cores);
        attrf(o, "threads", "%u", cpu->threads);
        end(o);
    }
    end(o);
}

static void clock(struct out *o, const struct mv_dom_clock *clock)
{
    if (!clock->given)
        return;
    start(o, "clock");
    attr(o, "offset", mv_dom_clock_offset_to_string(clock->offset));
    for (size_t i = 0; i < clock->ntimers; i++) {
        const struct mv_dom_timer *t = &clock->timers[i];

        start(o, "timer");
        attr(o, "name", t->name);
        attr(o, "tickpolicy", t->tickpolicy);
        attr_yesno(o, "present", t->present);
        end(o);
    }
    end(o);
}

static void lifecycle(struct out *o, const struct mv_dom_def *def)
{
    text_elem(o, "on_poweroff", mv_dom_lifecycle_action_to_string(def->on_poweroff));
    text_elem(o, "on_reboot", mv_dom_lifecycle_action_to_string(def->on_reboot));
    text_elem(o, "on_crash", mv_dom_lifecycle_action_to_string(def->on_crash));
}

static void pm(struct out *o, const struct mv_dom_pm *pm)
{
    if (pm->suspend_to_mem == MV_TRISTATE_ABSENT && pm->suspend_to_disk == MV_TRISTATE_ABSENT)
        return;
    start(o, "pm");
    if (pm->suspend_to_mem != MV_TRISTATE_ABSENT) {
        start(o, "suspend-to-mem");
        attr_yesno(o, "enabled", pm->suspend_to_mem);
        end(o);
    }
    if (pm->suspend_to_disk != MV_TRISTATE_ABSENT) {
        start(o, "suspend-to-disk");
        attr_yesno(o, "enabled", pm->suspend_to_disk);
        end(o);
    }
    end(o);
}

/* --------------------------------------------------------------- devices */

static void disk(struct out *o, const struct mv_dom_disk *d)
{
    start(o, "disk");
    attr(o, "type", mv_dom_disk_type_to_string(d->type));
    attr(o, "device", mv_dom_disk_device_to_string(d->device));
    if (d->driver_name || d->format || d->cache || d->discard) {
        start(o, "driver");
        attr(o, "name", d->driver_name);
        attr(o, "type", mv_dom_disk_format_to_string(d->format));
        attr(o, "cache", mv_dom_disk_cache_to_string(d->cache));
        attr(o, "discard", mv_dom_disk_discard_to_string(d->discard));
        end(o);
    }
    leaf1(o, "source", d->type == MV_DOM_DISK_BLOCK ? "dev" : "file", d->source);
    start(o, "target");
    attr(o, "dev", d->target);
    attr(o, "bus", mv_dom_disk_bus_to_string(d->bus));
    end(o);
    if (d->readonly) {
        start(o, "readonly");
        end(o);
    }
    boot_order(o, d->boot_order);
    text_elem(o, "serial", d->serial);
    address(o, &d->addr);
    end(o);
}

static void controller(struct out *o, const struct mv_dom_controller *c)
{
    start(o, "controller");
    attr(o, "type", mv_dom_controller_type_to_string(c->type));
    attrf(o, "index", "%u", c->index);
    attr(o, "model", c->model);
    attr_uint_opt(o, "ports", c->ports);
    address(o, &c->addr);
    end(o);
}

static void interface(struct out *o, const struct mv_dom_net *n)
{
    start(o, "interface");
    attr(o, "type", mv_dom_net_type_to_string(n->type));
    start(o, "mac");
    attrf(o, "address", "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2], n->mac[3], n->mac[4],
          n->mac[5]);
    end(o);
    leaf1(o, "source", n->type == MV_DOM_NET_BRIDGE ? "bridge" : "network", n->source);
    leaf1(o, "target", "dev", n->ifname);
    leaf1(o, "model", "type", n->model);
    boot_order(o, n->boot_order);
    address(o, &n->addr);
    end(o);
}

static void chr_source(struct out *o, const struct mv_dom_chr *c)
{
    switch (c->type) {
    case MV_DOM_CHR_UNIX:
        /* no path and bind: the daemon picks the socket when the guest starts */
        if (!c->path && !c->unix_listen)
            return;
        start(o, "source");
        attr(o, "mode", c->unix_listen ? "bind" : "connect");
        attr(o, "path", c->path);
        end(o);
        break;
    case MV_DOM_CHR_FILE:
    case MV_DOM_CHR_PTY:
        if (!c->path)
            return;
        start(o, "source");
        attr(o, "path", c->path);
        if (c->append)
            attr(o, "append", "on");
        end(o);
        break;
    default:
        break;
    }
}

static void chr(struct out *o, const char *name, const struct mv_dom_chr *c)
{
    start(o, name);
    attr(o, "type", mv_dom_chr_type_to_string(c->type));
    chr_source(o, c);
    if (c->log_file) {
        start(o, "log");
        attr(o, "file", c->log_file);
        if (c->log_append)
            attr(o, "append", "on");
        end(o);
    }
    if (c->target_type || c->target_port >= 0 || c->target_name) {
        start(o, "target");
        attr(o, "type", c->target_type);
        if (c->target_port >= 0)
            attrf(o, "port", "%d", c->target_port);
        attr(o, "name", c->target_name);
        end(o);
    }
    end(o);
}

static void graphics(struct out *o, const struct mv_dom_graphics *g, unsigned int flags)
{
    start(o, "graphics");
    attr(o, "type", mv_dom_graphics_type_to_string(g->type));
    attrf(o, "port", "%d", g->port);
    attr(o, "autoport", g->autoport ? "yes" : "no");
    attr(o, "listen", g->listen);
    if (flags & MV_DOM_FORMAT_SECURE)
        attr(o, "passwd", g->passwd);
    if (g->listen) {
        start(o, "listen");
        attr(o, "type", "address");
        attr(o, "address", g->listen);
        end(o);
    }
    end(o);
}

static void video(struct out *o, const struct mv_dom_video *v)
{
    start(o, "video");
    start(o, "model");
    attr(o, "type", v->model);
    attr_uint_opt(o, "vram", v->vram);
    attr_uint_opt(o, "heads", v->heads);
    if (v->primary)
        attr(o, "primary", "yes");
    end(o);
    address(o, &v->addr);
    end(o);
}

static void input(struct out *o, const struct mv_dom_input *in)
{
    start(o, "input");
    attr(o, "type", in->type);
    attr(o, "bus", in->bus);
    end(o);
}

static void watchdog(struct out *o, const struct mv_dom_watchdog *w)
{
    start(o, "watchdog");
    attr(o, "model", w->model);
    attr(o, "action", w->action);
    address(o, &w->addr);
    end(o);
}

static void memballoon(struct out *o, const struct mv_dom_memballoon *b)
{
    if (!b->given)
        return;
    start(o, "memballoon");
    attr(o, "model", b->model);
    if (b->stats_period) {
        start(o, "stats");
        attrf(o, "period", "%u", b->stats_period);
        end(o);
    }
    address(o, &b->addr);
    end(o);
}

static void rng(struct out *o, const struct mv_dom_rng *r)
{
    start(o, "rng");
    attr(o, "model", r->model);
    start(o, "backend");
    attr(o, "model", "random");
    if (!o->failed && r->backend && xmlTextWriterWriteString(o->w, BAD_CAST r->backend) < 0)
        o->failed = true;
    end(o);
    address(o, &r->addr);
    end(o);
}

static void panic(struct out *o, const struct mv_dom_panic *p)
{
    start(o, "panic");
    attr(o, "model", p->model);
    end(o);
}

/* In libvirt's order, so that output diffs well against virsh dumpxml. */
static void devices(struct out *o, const struct mv_dom_devices *d, unsigned int flags)
{
    start(o, "devices");
    text_elem(o, "emulator", d->emulator);
    for (size_t i = 0; i < d->ndisks; i++)
        disk(o, &d->disks[i]);
    for (size_t i = 0; i < d->ncontrollers; i++)
        controller(o, &d->controllers[i]);
    for (size_t i = 0; i < d->nnets; i++)
        interface(o, &d->nets[i]);
    for (size_t i = 0; i < d->nserials; i++)
        chr(o, "serial", &d->serials[i]);
    for (size_t i = 0; i < d->nconsoles; i++)
        chr(o, "console", &d->consoles[i]);
    for (size_t i = 0; i < d->nchannels; i++)
        chr(o, "channel", &d->channels[i]);
    for (size_t i = 0; i < d->ninputs; i++)
        input(o, &d->inputs[i]);
    for (size_t i = 0; i < d->ngraphics; i++)
        graphics(o, &d->graphics[i], flags);
    for (size_t i = 0; i < d->nvideos; i++)
        video(o, &d->videos[i]);
    for (size_t i = 0; i < d->nwatchdogs; i++)
        watchdog(o, &d->watchdogs[i]);
    memballoon(o, &d->memballoon);
    for (size_t i = 0; i < d->nrngs; i++)
        rng(o, &d->rngs[i]);
    for (size_t i = 0; i < d->npanics; i++)
        panic(o, &d->panics[i]);
    end(o);
}

int mv_dom_def_format(const struct mv_dom_def *def, const struct mv_dom_live_info *live, unsigned int flags,
                      char **xml)
{
    _cleanup_xmlwriter_ struct mv_xml_writer w = { 0 };
    char uuid[MV_UUID_STRING_LEN];
    struct out o;
    int r;

    if (!def || !def->name)
        return -EINVAL;
    r = mv_xml_writer_open(&w);
    if (r < 0)
        return r;
    o = (struct out){ .w = w.writer };
    mv_uuid_format(def->uuid, uuid);

    start(&o, "domain");
    attr(&o, "type", mv_dom_virt_to_string(def->virt));
    if (live)
        attrf(&o, "id", "%d", live->id);
    text_elem(&o, "name", def->name);
    text_elem(&o, "uuid", uuid);
    text_elem(&o, "title", def->title);
    text_elem(&o, "description", def->description);
    metadata(&o, def->metadata);
    if (def->max_memory_kib)
        memory(&o, "maxMemory", def->max_memory_kib, def->max_memory_slots);
    memory(&o, "memory", def->memory_kib, 0);
    memory(&o, "currentMemory", def->current_memory_kib ? def->current_memory_kib : def->memory_kib, 0);
    vcpu(&o, def);
    os(&o, &def->os);
    features(&o, &def->features);
    cpu(&o, &def->cpu);
    clock(&o, &def->clock);
    lifecycle(&o, def);
    pm(&o, &def->pm);
    devices(&o, &def->devices, flags);
    end(&o);
    if (o.failed)
        return -ENOMEM;
    return mv_xml_writer_finish(&w, xml);
}
