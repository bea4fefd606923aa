#!/usr/bin/python3
"""Walk a daemon's domain capabilities and try every value under the real QEMU.

domcaps_walk.py URI MACHINE WORKDIR

For MACHINE, reads the capabilities (virConnectGetDomainCapabilities, as
virt-install does) and, for each value of each enum they offer (os firmware
and loaders, CPU modes and usable custom models, memory backing sources,
every device's enums, the <features>), builds the smallest domain using
that value, defines it, starts it paused, checks it is paused, destroys and
undefines it.  A value the capabilities offer must start; the one
exception is <hostdev>, whose start must fail with a message naming vfio
(no VFIO on the machines this runs on), its definition being fine.

Prints one line per value tried, for the shell to judge:
    KIND VALUE ok
    KIND VALUE FAIL what went wrong
    KIND - none       (the capabilities list no such device or enum)
Files the guests need (disk images, shared directories) go to WORKDIR.
"""
import os
import sys
import xml.etree.ElementTree as ET

import libvirt

URI, MACHINE, WORK = sys.argv[1:4]
PREFIX = "dw-%s-" % MACHINE
HOSTDEV_ERR = "vfio"
SHARED_RAM = "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>"

libvirt.registerErrorHandler(lambda ctx, err: None, None)   # errors are reported by us
conn = libvirt.open(URI)
caps = ET.fromstring(conn.getDomainCapabilities(None, "x86_64", MACHINE, "qemu"))
n_tried = 0


def say(kind, value, result):
    print("%s %s %s" % (kind, value, result), flush=True)


def enum(path, name):
    """The values of enum NAME under the element PATH, if it is supported."""
    el = caps.find(path)
    if el is None or el.get("supported") == "no":
        return []
    return [v.text for v in el.findall("enum[@name='%s']/value" % name)]


def domain_xml(name, devices="", os_extra="", top="", os_attrs=""):
    return ("<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory>%s<vcpu>1</vcpu>"
            "<os%s><type arch='x86_64' machine='%s'>hvm</type>%s</os><devices>%s</devices></domain>"
            % (name, top, os_attrs, MACHINE, os_extra, devices))


def err_text(e):
    return " ".join(str(e).split())


def cleanup(dom):
    for step in (lambda: dom.destroy(),
                 lambda: dom.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM |
                                           libvirt.VIR_DOMAIN_UNDEFINE_TPM)):
        try:
            step()
        except libvirt.libvirtError:
            pass


def attempt(kind, value, xml, start_error=None):
    """Define and start XML paused; start_error: a word the start's error
    must name instead of succeeding."""
    global n_tried
    n_tried += 1
    name = PREFIX + ("%s-%d" % (kind, n_tried))
    xml = xml.replace("@NAME@", name)
    try:
        dom = conn.defineXML(xml)
    except libvirt.libvirtError as e:
        say(kind, value, "FAIL define: %s" % err_text(e))
        return
    try:
        try:
            dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
        except libvirt.libvirtError as e:
            if start_error and start_error in str(e):
                say(kind, value, "ok (refused at start: %s)" % err_text(e))
            else:
                say(kind, value, "FAIL start --paused: %s" % err_text(e))
            return
        if start_error:
            say(kind, value, "FAIL started, but should have failed naming %s" % start_error)
            return
        state = dom.state()[0]
        if state != libvirt.VIR_DOMAIN_PAUSED:
            say(kind, value, "FAIL state %d after start --paused, not paused" % state)
            return
        say(kind, value, "ok")
    finally:
        cleanup(dom)


def none_listed(kind):
    say(kind, "-", "none")


def image(name, size=1 << 20):
    path = os.path.join(WORK, "%s-%s.raw" % (MACHINE, name))
    with open(path, "wb") as f:
        f.truncate(size)
    return path


# ---- <os>, <cpu>, <memoryBacking> ----

def walk_os():
    values = enum("os", "firmware")
    for fw in values:
        attempt("os-firmware", fw, domain_xml("@NAME@", os_attrs=" firmware='%s'" % fw))
    loaders = [v.text for v in caps.findall("os[@supported='yes']/loader/value")]
    for path in loaders:
        attempt("os-loader", path, domain_xml(
            "@NAME@", os_extra="<loader type='pflash' readonly='yes'>%s</loader>" % path))
    if not values and not loaders:
        none_listed("os")


def walk_cpu():
    modes = [m for m in caps.findall("cpu/mode") if m.get("supported") == "yes"]
    for m in modes:
        name = m.get("name")
        if name == "custom":
            for model in m.findall("model"):
                if model.get("usable") != "yes":
                    continue
                attempt("cpu-custom", model.text, domain_xml(
                    "@NAME@", top="<cpu mode='custom' match='exact'><model fallback='forbid'>%s</model></cpu>"
                    % model.text))
        else:
            attempt("cpu-mode", name, domain_xml("@NAME@", top="<cpu mode='%s'/>" % name))
    if not modes:
        none_listed("cpu")


def walk_memory_backing():
    values = enum("memoryBacking", "sourceType")
    for src in values:
        attempt("memoryBacking", src, domain_xml(
            "@NAME@", top="<memoryBacking><source type='%s'/></memoryBacking>" % src))
    if not values:
        none_listed("memoryBacking")


# ---- <devices> ----

DISK_TARGET = {"virtio": "vda", "ide": "hda", "sata": "sda", "scsi": "sdb", "usb": "sdc",
               "fdc": "fda", "xen": "xvda", "sd": "sdd"}


def disk(bus, device="disk", source=True):
    src = "<source file='%s'/>" % image("%s-%s" % (device, bus)) if source else ""
    extra = "<readonly/>" if device == "cdrom" else ""
    return ("<disk type='file' device='%s'>%s<target dev='%s' bus='%s'/>%s</disk>"
            % (device, src, DISK_TARGET.get(bus, "sde"), bus, extra))


def walk_disk():
    buses = enum("devices/disk", "bus")
    devices = enum("devices/disk", "diskDevice")
    for bus in buses:
        attempt("disk-bus", bus, domain_xml("@NAME@", disk(bus, "floppy" if bus == "fdc" else "disk")))
    for dev in devices:
        if dev == "disk":
            continue                    # every bus above had one
        if dev == "floppy":
            attempt("disk-device", dev, domain_xml("@NAME@", disk("fdc", "floppy")))
        elif dev == "cdrom":
            bus = next((b for b in ("sata", "ide", "scsi") if b in buses), "sata")
            attempt("disk-device", dev, domain_xml("@NAME@", disk(bus, "cdrom", source=False)))
        elif dev == "lun":
            # a LUN is a SCSI block device passed through; a loop device is one
            say("disk-device", dev, "FAIL the walk has no block device to try <disk device='lun'> with")
        else:
            say("disk-device", dev, "FAIL the walk does not know how to build <disk device='%s'>" % dev)
    if not buses:
        none_listed("disk")


GRAPHICS = {"vnc": "<graphics type='vnc' autoport='yes'/>",
            "spice": "<graphics type='spice' autoport='yes'/>",
            "egl-headless": "<graphics type='egl-headless'/>",
            "dbus": "<graphics type='dbus'/>",
            "sdl": "<graphics type='sdl'/>"}


def walk_simple(kind, path, name, build):
    values = enum(path, name)
    for v in values:
        xml = build(v)
        if xml is None:
            say(kind, v, "FAIL the walk does not know how to build this value")
        else:
            attempt(kind, v, domain_xml("@NAME@", xml))
    if not values:
        none_listed(kind)


def walk_hostdev():
    for sub in enum("devices/hostdev", "subsysType"):
        if sub == "pci":
            xml = ("<hostdev mode='subsystem' type='pci' managed='yes'><source>"
                   "<address domain='0x0000' bus='0x00' slot='0x01' function='0x0'/></source></hostdev>")
        elif sub == "usb":
            xml = ("<hostdev mode='subsystem' type='usb'><source>"
                   "<vendor id='0x1d6b'/><product id='0x0002'/></source></hostdev>")
        else:
            say("hostdev", sub, "FAIL the walk does not know how to build this value")
            continue
        attempt("hostdev", sub, domain_xml("@NAME@", xml), start_error=HOSTDEV_ERR)
    if not enum("devices/hostdev", "subsysType"):
        none_listed("hostdev")


RNG_BACKEND = {"random": "<backend model='random'>/dev/urandom</backend>",
               "builtin": "<backend model='builtin'/>",
               "egd": "<backend model='egd' type='pty'/>"}


def walk_rng():
    models = enum("devices/rng", "model")
    for model in models:
        for be in enum("devices/rng", "backendModel"):
            if be not in RNG_BACKEND:
                say("rng", "%s/%s" % (model, be), "FAIL the walk does not know this backend")
                continue
            attempt("rng", "%s/%s" % (model, be),
                    domain_xml("@NAME@", "<rng model='%s'>%s</rng>" % (model, RNG_BACKEND[be])))
    if not models:
        none_listed("rng")


def walk_filesystem():
    values = enum("devices/filesystem", "driverType")
    share = os.path.join(WORK, "share")
    os.makedirs(share, exist_ok=True)
    for drv in values:
        fs = ("<filesystem type='mount'><driver type='%s'/><source dir='%s'/><target dir='share'/>"
              "</filesystem>" % (drv, share))
        # virtiofs needs the guest's RAM shared; the others do not mind it
        attempt("filesystem", drv, domain_xml("@NAME@", fs, top=SHARED_RAM))
    if not values:
        none_listed("filesystem")


def walk_tpm():
    models = enum("devices/tpm", "model")
    versions = enum("devices/tpm", "backendVersion") or [None]
    for model in models:
        for be in enum("devices/tpm", "backendModel"):
            if be == "passthrough":
                combos = [("<backend type='passthrough'><device path='/dev/tpm0'/></backend>", "")]
            else:
                combos = []
                for ver in versions:
                    if ver == "1.2" and model != "tpm-tis":
                        continue        # TPM 1.2 has no CRB interface (as on libvirt)
                    attr = " version='%s'" % ver if ver else ""
                    combos.append(("<backend type='%s'%s/>" % (be, attr), ver or ""))
            for backend, ver in combos:
                attempt("tpm", "%s/%s%s" % (model, be, "/" + ver if ver else ""),
                        domain_xml("@NAME@", "<tpm model='%s'>%s</tpm>" % (model, backend)))
    if not models:
        none_listed("tpm")


SPICE = "<graphics type='spice' autoport='yes'/>"
USB = "<controller type='usb' model='qemu-xhci'/>"


def build_redirdev(bus):
    return "%s%s<redirdev bus='%s' type='spicevmc'/>" % (USB, SPICE, bus) if bus == "usb" else None


def build_channel(t):
    if t == "spicevmc":
        return SPICE + "<channel type='spicevmc'><target type='virtio' name='com.redhat.spice.0'/></channel>"
    if t == "unix":
        return ("<channel type='unix'><source mode='bind'/>"
                "<target type='virtio' name='org.qemu.guest_agent.0'/></channel>")
    if t in ("pty", "null", "vc"):
        return "<channel type='%s'><target type='virtio' name='org.modvirt.walk.0'/></channel>" % t
    return None


def build_console(t):
    if t in ("pty", "null", "vc", "stdio"):
        return "<console type='%s'><target type='serial'/></console>" % t
    return None


def walk_features():
    tried = False
    for simple in ("vmcoreinfo", "genid"):
        el = caps.find("features/%s" % simple)
        if el is None or el.get("supported") != "yes":
            continue
        tried = True
        if simple == "genid":
            attempt("features", simple, domain_xml("@NAME@", top="<genid/>"))
        else:
            attempt("features", simple, domain_xml("@NAME@", top="<features><vmcoreinfo state='on'/></features>"))
    for hv in enum("features/hyperv", "features"):
        tried = True
        x = {"spinlocks": "<spinlocks state='on' retries='8191'/>",
             "vendor_id": "<vendor_id state='on' value='modvirt'/>"}.get(hv, "<%s state='on'/>" % hv)
        attempt("features", "hyperv-" + hv, domain_xml(
            "@NAME@", top="<features><hyperv mode='custom'>%s</hyperv></features>" % x))
    if not tried:
        none_listed("features")


walk_os()
walk_cpu()
walk_memory_backing()
walk_disk()
walk_simple("graphics", "devices/graphics", "type", GRAPHICS.get)
walk_simple("video", "devices/video", "modelType", lambda m: "<video><model type='%s'/></video>" % m)
walk_hostdev()
walk_rng()
walk_filesystem()
walk_tpm()
walk_simple("redirdev", "devices/redirdev", "bus", build_redirdev)
walk_simple("channel", "devices/channel", "type", build_channel)
walk_simple("panic", "devices/panic", "model", lambda m: "<panic model='%s'/>" % m)
walk_simple("console", "devices/console", "type", build_console)
walk_simple("sound", "devices/sound", "model", lambda m: "<sound model='%s'/>" % m)
walk_features()
conn.close()
