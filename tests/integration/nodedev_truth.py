"""The devices a node device daemon lists, checked against /sys itself.

  python3 nodedev_truth.py URI

Reads every device (python3-libvirt: listAllDevices, XMLDesc, listCaps,
parent) from the daemon at URI and computes, from /sys alone, what must be
there: every PCI function, every network interface and every block device
libvirt lists, each with its name, its parent (the nearest ancestor in
sysfs that is itself a listed device, else "computer") and the facts of
its capability that sysfs states plainly.  Prints one "BAD ..." line per
discrepancy and a last line "CHECKED pci=N net=N block=N skipped=N
devices=N"; exits 1 if anything was bad.

Which block devices libvirt 9.0 lists on a host without a udev database
(as these are): whole disks (never partitions) that udev would type, i.e.
vd*, xvd*, rbd* (libvirt's own guess by device node), sd* and sr* (SCSI
disks and CD-ROMs, typed from sysfs here); loop, zram, dm, md and nvme
devices are not listed.  Those must be absent.
"""
import os
import re
import sys
import xml.etree.ElementTree as ET

import libvirt

SYS = "/sys"
bad = []


def say_bad(msg):
    bad.append(msg)


def sanitize(s):
    return re.sub(r"[^A-Za-z0-9]", "_", s)


def read(path, default=None):
    try:
        with open(path) as f:
            return f.read().strip()
    except OSError:
        return default


def real(path):
    return os.path.realpath(path)


# ---- what the daemon says ----

libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.openReadOnly(sys.argv[1])
devs = {}          # name -> dict(path, parent, caps, xml)
for d in conn.listAllDevices(0):
    x = ET.fromstring(d.XMLDesc(0))
    name = x.findtext("name")
    if name != d.name():
        say_bad("%s: its XML names it %r" % (d.name(), name))
    devs[d.name()] = {
        "path": x.findtext("path"),
        "parent": x.findtext("parent"),
        "rpc_parent": d.parent(),
        "caps": d.listCaps(),
        "xml": x,
    }
by_path = {v["path"]: k for k, v in devs.items() if v["path"]}

if "computer" not in devs:
    say_bad("no device 'computer'")
for name, v in devs.items():
    if name == "computer":
        if v["parent"] is not None or v["rpc_parent"] is not None:
            say_bad("computer has a parent: %r / %r" % (v["parent"], v["rpc_parent"]))
        continue
    if v["parent"] != v["rpc_parent"]:
        say_bad("%s: <parent> %r but GET_PARENT %r" % (name, v["parent"], v["rpc_parent"]))
    if v["parent"] not in devs:
        say_bad("%s: parent %r is not listed" % (name, v["parent"]))
    if v["path"] and not os.path.isdir(v["path"]):
        say_bad("%s: path %s is not in sysfs" % (name, v["path"]))
    top = [c.get("type") for c in v["xml"].findall("capability")]
    if not top or [c for c in top if c not in v["caps"]]:
        say_bad("%s: LIST_CAPS %r misses an XML capability of %r" % (name, v["caps"], top))


def expected_parent(syspath):
    """The nearest ancestor of SYSPATH that the daemon lists, else computer."""
    p = os.path.dirname(syspath)
    while p.startswith(SYS + "/devices/") or p == SYS + "/devices":
        if p in by_path:
            return by_path[p]
        p = os.path.dirname(p)
    return "computer"


def cap_el(name, typ):
    x = devs[name]["xml"]
    for c in x.findall("capability"):
        if c.get("type") == typ:
            return c
    say_bad("%s: no <capability type='%s'>" % (name, typ))
    return None


def expect(name, what, want, got):
    if want != got:
        say_bad("%s: %s is %r, sysfs says %r" % (name, what, got, want))


def check_common(name, syspath, cap):
    if name not in devs:
        say_bad("%s (%s) is not listed" % (name, syspath))
        return False
    v = devs[name]
    expect(name, "path", syspath, v["path"])
    expect(name, "parent", expected_parent(syspath), v["parent"])
    if cap not in v["caps"]:
        say_bad("%s: capabilities %r lack %s" % (name, v["caps"], cap))
    return True


# ---- PCI functions ----

n_pci = 0
pci_root = SYS + "/bus/pci/devices"
for addr in sorted(os.listdir(pci_root) if os.path.isdir(pci_root) else []):
    sp = real(os.path.join(pci_root, addr))
    name = "pci_" + sanitize(addr)
    n_pci += 1
    if not check_common(name, sp, "pci"):
        continue
    c = cap_el(name, "pci")
    if c is None:
        continue
    dom, bus, slotfn = addr.split(":")
    slot, fn = slotfn.split(".")
    for tag, want in (("domain", int(dom, 16)), ("bus", int(bus, 16)), ("slot", int(slot, 16)),
                      ("function", int(fn, 16))):
        expect(name, tag, str(want), c.findtext(tag))
    expect(name, "class", "0x%06x" % int(read(sp + "/class"), 16), c.findtext("class"))
    v = c.find("vendor")
    p = c.find("product")
    expect(name, "vendor id", "0x%04x" % int(read(sp + "/vendor"), 16), v.get("id") if v is not None else None)
    expect(name, "product id", "0x%04x" % int(read(sp + "/device"), 16), p.get("id") if p is not None else None)
    drv = os.path.basename(real(sp + "/driver")) if os.path.exists(sp + "/driver") else None
    expect(name, "driver", drv, devs[name]["xml"].findtext("driver/name"))
    if os.path.exists(sp + "/iommu_group"):
        g = c.find("iommuGroup")
        expect(name, "iommuGroup", os.path.basename(real(sp + "/iommu_group")),
               g.get("number") if g is not None else None)

# ---- network interfaces ----

n_net = 0
for ifname in sorted(os.listdir(SYS + "/class/net")):
    sp = real(SYS + "/class/net/" + ifname)
    mac = read(sp + "/address", "")
    name = "net_%s_%s" % (sanitize(ifname), sanitize(mac))
    n_net += 1
    if not check_common(name, sp, "net"):
        continue
    c = cap_el(name, "net")
    if c is None:
        continue
    expect(name, "interface", ifname, c.findtext("interface"))
    expect(name, "address", mac, c.findtext("address"))
    link = c.find("link")
    expect(name, "link state", read(sp + "/operstate"), link.get("state") if link is not None else None)
    wireless = os.path.isdir(sp + "/wireless") or os.path.exists(sp + "/phy80211")
    sub = [s.get("type") for s in c.findall("capability")]
    expect(name, "sub-capability", ["80211" if wireless else "80203"], sub)

# ---- block devices ----

LISTED = re.compile(r"^(vd|xvd|rbd|sd|sr)[a-z]")
n_block = n_skipped = 0
for b in sorted(os.listdir(SYS + "/class/block")):
    sp = real(SYS + "/class/block/" + b)
    if os.path.exists(sp + "/partition"):
        continue
    names = [n for n in devs if n == "block_" + sanitize(b) or n.startswith("block_" + sanitize(b) + "_")]
    names = [n for n in names if devs[n]["path"] == sp]
    if not LISTED.match(b):
        n_skipped += 1
        if names:
            say_bad("%s is listed as %s; libvirt does not list a %s device" % (b, names[0], re.sub(r"\d+$", "", b)))
        continue
    n_block += 1
    if len(names) != 1:
        say_bad("block device %s (%s) is listed %d times: %r" % (b, sp, len(names), names))
        continue
    name = names[0]
    if not check_common(name, sp, "storage"):
        continue
    c = cap_el(name, "storage")
    if c is None:
        continue
    expect(name, "block", "/dev/" + b, c.findtext("block"))
    lbs = int(read(sp + "/queue/logical_block_size", "512"))
    size = int(read(sp + "/size", "0")) * 512
    if c.find("capability[@type='removable']") is not None:
        pass        # the medium's size, not the drive's: sysfs has no plain word on it
    elif c.find("size") is not None:
        expect(name, "size", str(size), c.findtext("size"))
        expect(name, "logical_block_size", str(lbs), c.findtext("logical_block_size"))
        expect(name, "num_blocks", str(size // lbs), c.findtext("num_blocks"))
    elif size:
        say_bad("%s: no <size> though sysfs says %d bytes" % (name, size))

for line in bad:
    print("BAD " + line)
print("CHECKED pci=%d net=%d block=%d skipped=%d devices=%d" % (n_pci, n_net, n_block, n_skipped, len(devs)))
sys.exit(1 if bad else 0)
