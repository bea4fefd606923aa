/*
 * struct mv_dom_def -> domain XML in virsh dumpxml's layout.  Only what the
 * user wrote comes back, plus what the parser filled in (uuid, MACs, KiB
 * memory, disk buses, controller indexes); no default devices are invented.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "domain_def.h"
#include "domain_format_priv.h"
#include "domain_format_cpumem.h"
#include "domain_format_tuning.h"
#include "xml.h"
#include "xml_format.h"

static void attr_uint_opt(struct mv_xml_out *o, const char *name, unsigned int v)
{
    if (v)
        mv_xml_out_attrf(o, name, "%u", v);
}

static void attr_yesno(struct mv_xml_out *o, const char *name, enum mv_tristate t)
{
    if (t != MV_TRISTATE_ABSENT)
        mv_xml_out_attr(o, name, t == MV_TRISTATE_YES ? "yes" : "no");
}

void dom_format_address(struct mv_xml_out *o, const struct mv_dom_addr *a)
{
    switch (a->type) {
    case MV_DOM_ADDR_PCI:
        mv_xml_out_start(o, "address");
        mv_xml_out_attr(o, "type", "pci");
        mv_xml_out_attrf(o, "domain", "0x%04x", a->domain);
        mv_xml_out_attrf(o, "bus", "0x%02x", a->bus);
        mv_xml_out_attrf(o, "slot", "0x%02x", a->slot);
        mv_xml_out_attrf(o, "function", "0x%x", a->function);
        if (a->multifunction)
            mv_xml_out_attr(o, "multifunction", "on");
        mv_xml_out_end(o);
        break;
    case MV_DOM_ADDR_DRIVE:
        mv_xml_out_start(o, "address");
        mv_xml_out_attr(o, "type", "drive");
        mv_xml_out_attrf(o, "controller", "%u", a->controller);
        mv_xml_out_attrf(o, "bus", "%u", a->bus);
        mv_xml_out_attrf(o, "target", "%u", a->target);
        mv_xml_out_attrf(o, "unit", "%u", a->unit);
        mv_xml_out_end(o);
        break;
    default:
        break;
    }
}

void dom_format_alias(struct mv_xml_out *o, const char *alias)
{
    mv_xml_out_leaf(o, "alias", "name", alias);
}

static void boot_order(struct mv_xml_out *o, unsigned int order)
{
    if (!order)
        return;
    mv_xml_out_start(o, "boot");
    mv_xml_out_attrf(o, "order", "%u", order);
    mv_xml_out_end(o);
}

void dom_format_boot_order(struct mv_xml_out *o, unsigned int order)
{
    boot_order(o, order);
}

/* ---------------------------------------------------------------- header */

static void memory(struct mv_xml_out *o, const char *name, unsigned long long kib, unsigned int slots)
{
    char value[32];

    snprintf(value, sizeof(value), "%llu", kib);
    mv_xml_out_start(o, name);
    if (slots)
        mv_xml_out_attrf(o, "slots", "%u", slots);
    mv_xml_out_attr(o, "unit", "KiB");
    mv_xml_out_text(o, value);
    mv_xml_out_end(o);
}

static void vcpu(struct mv_xml_out *o, const struct mv_dom_def *def)
{
    char value[16];

    snprintf(value, sizeof(value), "%u", def->vcpus);
    mv_xml_out_start(o, "vcpu");
    if (def->vcpu_placement_given)
        mv_xml_out_attr(o, "placement", "static");
    if (def->vcpus_current && def->vcpus_current != def->vcpus)
        mv_xml_out_attrf(o, "current", "%u", def->vcpus_current);
    mv_xml_out_text(o, value);
    mv_xml_out_end(o);
}

static void lifecycle(struct mv_xml_out *o, const struct mv_dom_def *def)
{
    mv_xml_out_text_elem(o, "on_poweroff", mv_dom_lifecycle_action_to_string(def->on_poweroff));
    mv_xml_out_text_elem(o, "on_reboot", mv_dom_lifecycle_action_to_string(def->on_reboot));
    mv_xml_out_text_elem(o, "on_crash", mv_dom_lifecycle_action_to_string(def->on_crash));
}

static void pm(struct mv_xml_out *o, const struct mv_dom_pm *pm)
{
    if (pm->suspend_to_mem == MV_TRISTATE_ABSENT && pm->suspend_to_disk == MV_TRISTATE_ABSENT)
        return;
    mv_xml_out_start(o, "pm");
    if (pm->suspend_to_mem != MV_TRISTATE_ABSENT) {
        mv_xml_out_start(o, "suspend-to-mem");
        attr_yesno(o, "enabled", pm->suspend_to_mem);
        mv_xml_out_end(o);
    }
    if (pm->suspend_to_disk != MV_TRISTATE_ABSENT) {
        mv_xml_out_start(o, "suspend-to-disk");
        attr_yesno(o, "enabled", pm->suspend_to_disk);
        mv_xml_out_end(o);
    }
    mv_xml_out_end(o);
}

/* --------------------------------------------------------------- devices */

static void disk_encryption(struct mv_xml_out *o, const struct mv_dom_disk *d)
{
    char uuid[MV_UUID_STRING_LEN];

    if (d->encryption == MV_DOM_DISK_ENCRYPTION_NONE)
        return;
    mv_xml_out_start(o, "encryption");
    mv_xml_out_attr(o, "format", mv_dom_disk_encryption_to_string(d->encryption));
    mv_xml_out_start(o, "secret");
    mv_xml_out_attr(o, "type", "passphrase");
    mv_uuid_format(d->secret_uuid, uuid);
    mv_xml_out_attr(o, "uuid", uuid);
    mv_xml_out_end(o);
    mv_xml_out_end(o);
}

/* A volume disk's source as libvirt shows it, pool and volume; the path it
 * resolved to only in our status file. */
static void disk_source_volume(struct mv_xml_out *o, const struct mv_dom_disk *d, unsigned int flags)
{
    mv_xml_out_start(o, "source");
    mv_xml_out_attr(o, "pool", d->pool);
    mv_xml_out_attr(o, "volume", d->volume);
    if (flags & MV_DOM_FORMAT_STATUS)
        mv_xml_out_attr(o, "file", d->source);
    mv_xml_out_end(o);
}

static void disk(struct mv_xml_out *o, const struct mv_dom_disk *d, unsigned int flags)
{
    mv_xml_out_start(o, "disk");
    mv_xml_out_attr(o, "type", mv_dom_disk_type_to_string(d->type));
    mv_xml_out_attr(o, "device", mv_dom_disk_device_to_string(d->device));
    if (d->driver_name || d->format || d->cache || d->discard || d->iothread) {
        mv_xml_out_start(o, "driver");
        mv_xml_out_attr(o, "name", d->driver_name);
        mv_xml_out_attr(o, "type", mv_dom_disk_format_to_string(d->format));
        mv_xml_out_attr(o, "cache", mv_dom_disk_cache_to_string(d->cache));
        mv_xml_out_attr(o, "discard", mv_dom_disk_discard_to_string(d->discard));
        attr_uint_opt(o, "iothread", d->iothread);
        mv_xml_out_end(o);
    }
    if (d->type == MV_DOM_DISK_VOLUME)
        disk_source_volume(o, d, flags);
    else
        mv_xml_out_leaf(o, "source", d->type == MV_DOM_DISK_BLOCK ? "dev" : "file", d->source);
    mv_xml_out_start(o, "target");
    mv_xml_out_attr(o, "dev", d->target);
    mv_xml_out_attr(o, "bus", mv_dom_disk_bus_to_string(d->bus));
    mv_xml_out_end(o);
    if (d->readonly) {
        mv_xml_out_start(o, "readonly");
        mv_xml_out_end(o);
    }
    boot_order(o, d->boot_order);
    mv_xml_out_text_elem(o, "serial", d->serial);
    disk_encryption(o, d);
    dom_format_alias(o, d->alias);
    dom_format_address(o, &d->addr);
    mv_xml_out_end(o);
}

static void controller(struct mv_xml_out *o, const struct mv_dom_controller *c)
{
    mv_xml_out_start(o, "controller");
    mv_xml_out_attr(o, "type", mv_dom_controller_type_to_string(c->type));
    mv_xml_out_attrf(o, "index", "%u", c->index);
    mv_xml_out_attr(o, "model", c->model);
    attr_uint_opt(o, "ports", c->ports);
    if (c->master) {
        mv_xml_out_start(o, "master");
        mv_xml_out_attrf(o, "startport", "%u", c->master_startport);
        mv_xml_out_end(o);
    }
    if (c->iothread) {
        mv_xml_out_start(o, "driver");
        mv_xml_out_attrf(o, "iothread", "%u", c->iothread);
        mv_xml_out_end(o);
    }
    dom_format_alias(o, c->alias);
    dom_format_address(o, &c->addr);
    mv_xml_out_end(o);
}

static void interface(struct mv_xml_out *o, const struct mv_dom_net *n)
{
    mv_xml_out_start(o, "interface");
    mv_xml_out_attr(o, "type", mv_dom_net_type_to_string(n->type));
    mv_xml_out_start(o, "mac");
    mv_xml_out_attrf(o, "address", "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[0], n->mac[1], n->mac[2], n->mac[3],
                     n->mac[4], n->mac[5]);
    mv_xml_out_end(o);
    if (n->type == MV_DOM_NET_NETWORK) {
        /* a running guest's port and bridge, as libvirt shows them */
        mv_xml_out_start(o, "source");
        mv_xml_out_attr(o, "network", n->source);
        mv_xml_out_attr(o, "portid", n->portid);
        mv_xml_out_attr(o, "bridge", n->bridge);
        mv_xml_out_end(o);
    } else {
        mv_xml_out_leaf(o, "source", "bridge", n->source);
    }
    mv_xml_out_leaf(o, "target", "dev", n->ifname);
    mv_xml_out_leaf(o, "model", "type", n->model);
    boot_order(o, n->boot_order);
    dom_format_alias(o, n->alias);
    dom_format_address(o, &n->addr);
    mv_xml_out_end(o);
}

static void chr_source(struct mv_xml_out *o, const struct mv_dom_chr *c)
{
    switch (c->type) {
    case MV_DOM_CHR_UNIX:
        /* no path and bind: the daemon picks the socket when the guest starts */
        if (!c->path && !c->unix_listen)
            return;
        mv_xml_out_start(o, "source");
        mv_xml_out_attr(o, "mode", c->unix_listen ? "bind" : "connect");
        mv_xml_out_attr(o, "path", c->path);
        mv_xml_out_end(o);
        break;
    case MV_DOM_CHR_FILE:
    case MV_DOM_CHR_PTY:
        if (!c->path)
            return;
        mv_xml_out_start(o, "source");
        mv_xml_out_attr(o, "path", c->path);
        if (c->append || c->append_given)
            mv_xml_out_attr(o, "append", c->append ? "on" : "off");
        mv_xml_out_end(o);
        break;
    default:
        break;
    }
}

static void chr(struct mv_xml_out *o, const char *name, const struct mv_dom_chr *c)
{
    mv_xml_out_start(o, name);
    mv_xml_out_attr(o, "type", mv_dom_chr_type_to_string(c->type));
    chr_source(o, c);
    if (c->log_file) {
        mv_xml_out_start(o, "log");
        mv_xml_out_attr(o, "file", c->log_file);
        if (c->log_append || c->log_append_given)
            mv_xml_out_attr(o, "append", c->log_append ? "on" : "off");
        mv_xml_out_end(o);
    }
    if (c->target_type || c->target_port >= 0 || c->target_name) {
        mv_xml_out_start(o, "target");
        mv_xml_out_attr(o, "type", c->target_type);
        if (c->target_port >= 0)
            mv_xml_out_attrf(o, "port", "%d", c->target_port);
        mv_xml_out_attr(o, "name", c->target_name);
        mv_xml_out_end(o);
    }
    dom_format_alias(o, c->alias);
    mv_xml_out_end(o);
}

static void input(struct mv_xml_out *o, const struct mv_dom_input *in)
{
    mv_xml_out_start(o, "input");
    mv_xml_out_attr(o, "type", in->type);
    mv_xml_out_attr(o, "bus", in->bus);
    dom_format_alias(o, in->alias);
    dom_format_address(o, &in->addr);
    mv_xml_out_end(o);
}

static void watchdog(struct mv_xml_out *o, const struct mv_dom_watchdog *w)
{
    mv_xml_out_start(o, "watchdog");
    mv_xml_out_attr(o, "model", w->model);
    mv_xml_out_attr(o, "action", w->action);
    dom_format_alias(o, w->alias);
    dom_format_address(o, &w->addr);
    mv_xml_out_end(o);
}

static void memballoon(struct mv_xml_out *o, const struct mv_dom_memballoon *b)
{
    if (!b->given)
        return;
    mv_xml_out_start(o, "memballoon");
    mv_xml_out_attr(o, "model", b->model);
    if (b->stats_period) {
        mv_xml_out_start(o, "stats");
        mv_xml_out_attrf(o, "period", "%u", b->stats_period);
        mv_xml_out_end(o);
    }
    dom_format_alias(o, b->alias);
    dom_format_address(o, &b->addr);
    mv_xml_out_end(o);
}

static void rng(struct mv_xml_out *o, const struct mv_dom_rng *r)
{
    mv_xml_out_start(o, "rng");
    mv_xml_out_attr(o, "model", r->model);
    mv_xml_out_start(o, "backend");
    mv_xml_out_attr(o, "model", "random");
    mv_xml_out_text(o, r->backend);
    mv_xml_out_end(o);
    dom_format_alias(o, r->alias);
    dom_format_address(o, &r->addr);
    mv_xml_out_end(o);
}

static void panic(struct mv_xml_out *o, const struct mv_dom_panic *p)
{
    mv_xml_out_start(o, "panic");
    mv_xml_out_attr(o, "model", p->model);
    dom_format_alias(o, p->alias);
    mv_xml_out_end(o);
}

/* In libvirt's order, so that output diffs well against virsh dumpxml. */
static void devices(struct mv_xml_out *o, const struct mv_dom_devices *d, unsigned int flags)
{
    mv_xml_out_start(o, "devices");
    mv_xml_out_text_elem(o, "emulator", d->emulator);
    for (size_t i = 0; i < d->ndisks; i++)
        disk(o, &d->disks[i], flags);
    for (size_t i = 0; i < d->ncontrollers; i++)
        controller(o, &d->controllers[i]);
    for (size_t i = 0; i < d->nfilesystems; i++)
        dom_format_filesystem(o, &d->filesystems[i]);
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
    for (size_t i = 0; i < d->ntpms; i++)
        dom_format_tpm(o, &d->tpms[i]);
    for (size_t i = 0; i < d->ngraphics; i++)
        dom_format_graphics(o, &d->graphics[i], flags);
    for (size_t i = 0; i < d->nsounds; i++)
        dom_format_sound(o, &d->sounds[i]);
    for (size_t i = 0; i < d->naudios; i++)
        dom_format_audio(o, &d->audios[i]);
    for (size_t i = 0; i < d->nvideos; i++)
        dom_format_video(o, &d->videos[i]);
    for (size_t i = 0; i < d->nhostdevs; i++)
        dom_format_hostdev(o, &d->hostdevs[i]);
    for (size_t i = 0; i < d->nredirdevs; i++)
        dom_format_redirdev(o, &d->redirdevs[i]);
    for (size_t i = 0; i < d->nwatchdogs; i++)
        watchdog(o, &d->watchdogs[i]);
    memballoon(o, &d->memballoon);
    for (size_t i = 0; i < d->nrngs; i++)
        rng(o, &d->rngs[i]);
    for (size_t i = 0; i < d->npanics; i++)
        panic(o, &d->panics[i]);
    mv_xml_out_end(o);
}

int mv_dom_def_format(const struct mv_dom_def *def, const struct mv_dom_live_info *live, unsigned int flags,
                      char **xml)
{
    _cleanup_xmlout_ struct mv_xml_out o = { 0 };
    int r;

    if (!def || !def->name)
        return -EINVAL;
    r = mv_xml_out_open(&o);
    if (r < 0)
        return r;

    mv_xml_out_start(&o, "domain");
    mv_xml_out_attr(&o, "type", mv_dom_virt_to_string(def->virt));
    if (live)
        mv_xml_out_attrf(&o, "id", "%d", live->id);
    mv_xml_out_text_elem(&o, "name", def->name);
    mv_xml_out_uuid(&o, def->uuid);
    mv_xml_out_text_elem(&o, "title", def->title);
    mv_xml_out_text_elem(&o, "description", def->description);
    mv_xml_out_metadata(&o, def->metadata);
    if (def->max_memory_kib)
        memory(&o, "maxMemory", def->max_memory_kib, def->max_memory_slots);
    memory(&o, "memory", def->memory_kib, 0);
    memory(&o, "currentMemory", def->current_memory_kib ? def->current_memory_kib : def->memory_kib, 0);
    dom_format_memory_backing(&o, &def->memory_backing);
    vcpu(&o, def);
    dom_format_numatune(&o, &def->numatune);
    dom_format_tuning(&o, def);
    dom_format_sysinfo(&o, &def->sysinfo);
    dom_format_os(&o, &def->os);
    dom_format_features(&o, &def->features);
    dom_format_cpu(&o, &def->cpu);
    dom_format_clock(&o, &def->clock);
    lifecycle(&o, def);
    pm(&o, &def->pm);
    devices(&o, &def->devices, flags);
    dom_format_seclabels(&o, def);
    mv_xml_out_end(&o);
    return mv_xml_out_finish(&o, xml);
}
