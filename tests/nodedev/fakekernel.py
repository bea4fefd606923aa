#!/usr/bin/env python3
"""The kernel's side of a fake sysfs tree (tests/nodedev/mkfixture.sh).

In a fixture, sysfs attributes are plain files: writing 'vfio-pci' to
driver_override or an address to drivers/X/unbind changes nothing by
itself.  This responder watches every directory of the tree with inotify
(through ctypes: no module to install) and, when a file is closed after a
write, does what the kernel would: moves the driver links of a PCI function
on unbind, bind and drivers_probe (honouring driver_override).  It answers
asynchronously, as a driver that probes asynchronously does, so the daemon
must wait for the links, never assume them.

Every write is logged to --log as 'write RELPATH VALUE' (the value's first
line), every change it makes as 'bind ADDR DRIVER' / 'unbind ADDR DRIVER',
and a refused one as 'refuse ...': a test compares that log with exactly
what it expects to be written where.

Control files (ROOT/fk-*, not logged): a test that must know every write
was seen (to check that nothing was written) writes N to ROOT/fk-sync and
reads 'sync N' from stdout (inotify queues events in order, so every
earlier write is logged).  With --hold DRIVER, binding to DRIVER waits
(the kernel busy probing): 'held ADDR DRIVER' on stdout, and the bind is
done when ROOT/fk-release is written, if the function is still unbound.

Extension point: handlers are (regex on the path relative to the tree's
root, function) pairs.  --plugin FILE loads FILE (a python file) and calls
its setup(fk), which adds its own with fk.on(regex, fn) (fn(fk, match,
value)); directories created later (an mdev) are watched as they appear.
The mdev responder is such a plugin.

Usage: fakekernel.py ROOT --log FILE [--native ADDR=DRIVER]... [--fail-bind DRIVER]... [--hold DRIVER]...
                      [--plugin FILE]...
Prints 'ready' on stdout once every directory is watched; runs until killed.
"""
import argparse
import ctypes
import os
import re
import struct
import sys

IN_CLOSE_WRITE = 0x00000008
IN_CREATE = 0x00000100
IN_MOVED_TO = 0x00000080
IN_ISDIR = 0x40000000
IN_IGNORED = 0x00008000
IN_CLOEXEC = 0o2000000
EVENT = struct.Struct("iIII")

libc = ctypes.CDLL(None, use_errno=True)


class FakeKernel:
    def __init__(self, root, log):
        self.root = os.path.realpath(root)
        self.log_file = open(log, "a", buffering=1)
        self.handlers = []
        self.native = {}        # PCI address -> the driver drivers_probe binds it to (no override)
        self.fail_bind = set()  # drivers whose probe fails (the device stays unbound)
        self.hold = set()       # drivers whose bind waits for fk-release
        self.held = []
        self.fd = libc.inotify_init1(IN_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        self.wds = {}

    # ---- what plugins use ----
    def on(self, pattern, fn):
        """Calls fn(fk, match, value) for a write to a path matching PATTERN."""
        self.handlers.append((re.compile(pattern + r"\Z"), fn))

    def log(self, line):
        self.log_file.write(line + "\n")

    def path(self, rel):
        return os.path.join(self.root, rel)

    def link(self, target, linkpath):
        """Creates (or replaces) the symlink LINKPATH -> TARGET, made relative,
        atomically: a waiter sees the old link or the new one."""
        tmp = linkpath + ".fk-new"
        os.symlink(os.path.relpath(target, os.path.dirname(linkpath)), tmp)
        os.rename(tmp, linkpath)

    def watch(self, d):
        wd = libc.inotify_add_watch(self.fd, os.fsencode(d), IN_CLOSE_WRITE | IN_CREATE | IN_MOVED_TO)
        if wd >= 0:
            self.wds[wd] = d

    def watch_tree(self, top):
        for d, dirs, _ in os.walk(top):      # does not follow symlinks: each directory once
            self.watch(d)

    # ---- PCI ----
    def pci_dev(self, addr):
        """The real directory of PCI function ADDR, or None."""
        p = self.path("bus/pci/devices/" + addr)
        return os.path.realpath(p) if os.path.lexists(p) and "/" not in addr else None

    def pci_driver(self, dev):
        p = os.path.join(dev, "driver")
        return os.path.basename(os.readlink(p)) if os.path.islink(p) else ""

    def pci_bind(self, addr, dev, driver, release=False):
        ddir = self.path("bus/pci/drivers/" + driver)
        if driver in self.fail_bind or not os.path.isdir(ddir):
            self.log("refuse bind %s %s" % (addr, driver))
            return
        if driver in self.hold and not release:
            self.log("hold bind %s %s" % (addr, driver))
            self.held.append((addr, dev, driver))
            print("held %s %s" % (addr, driver), flush=True)
            return
        # logged first: whoever sees the link may read the log at once
        self.log("bind %s %s" % (addr, driver))
        self.link(dev, os.path.join(ddir, addr))
        self.link(ddir, os.path.join(dev, "driver"))

    def pci_unbind(self, addr, dev, driver):
        self.log("unbind %s %s" % (addr, driver))
        try:
            os.unlink(self.path("bus/pci/drivers/%s/%s" % (driver, addr)))
        except FileNotFoundError:
            pass
        os.unlink(os.path.join(dev, "driver"))

    def override(self, dev):
        try:
            with open(os.path.join(dev, "driver_override")) as f:
                v = f.read().strip()
        except FileNotFoundError:
            return ""
        return "" if v in ("", "(null)") else v

    # ---- the loop ----
    def dispatch(self, full):
        rel = os.path.relpath(full, self.root)
        try:
            with open(full) as f:
                value = f.read()
        except OSError:
            return
        if not rel.startswith("fk-"):
            self.log("write %s %s" % (rel, value.split("\n")[0]))
        for rx, fn in self.handlers:
            m = rx.match(rel)
            if m:
                fn(self, m, value.strip())

    def run(self):
        self.watch_tree(self.root)
        print("ready", flush=True)
        while True:
            buf = os.read(self.fd, 65536)
            off = 0
            while off < len(buf):
                wd, mask, _, n = EVENT.unpack_from(buf, off)
                name = buf[off + EVENT.size:off + EVENT.size + n].rstrip(b"\0").decode()
                off += EVENT.size + n
                d = self.wds.get(wd)
                if d is None or mask & IN_IGNORED:
                    continue
                full = os.path.join(d, name)
                if mask & IN_ISDIR and mask & (IN_CREATE | IN_MOVED_TO):
                    self.watch_tree(full)
                elif mask & IN_CLOSE_WRITE:
                    self.dispatch(full)


def pci_unbind_file(fk, m, addr):
    dev = fk.pci_dev(addr)
    if not dev or fk.pci_driver(dev) != m.group(1):
        fk.log("refuse unbind %s %s" % (addr, m.group(1)))     # the kernel: ENODEV
        return
    fk.pci_unbind(addr, dev, m.group(1))


def pci_bind_file(fk, m, addr):
    dev = fk.pci_dev(addr)
    if not dev or fk.pci_driver(dev):
        fk.log("refuse bind %s %s" % (addr, m.group(1)))       # the kernel: EBUSY / ENODEV
        return
    fk.pci_bind(addr, dev, m.group(1))


def pci_probe(fk, m, addr):
    """drivers_probe: an unbound function gets the driver driver_override
    names, else the one that matches its ids (--native)."""
    dev = fk.pci_dev(addr)
    if not dev or fk.pci_driver(dev):
        return
    driver = fk.override(dev) or fk.native.get(addr)
    if driver:
        fk.pci_bind(addr, dev, driver)


def sync(fk, m, value):
    print("sync " + value, flush=True)


def release(fk, m, value):
    held, fk.held = fk.held, []
    for addr, dev, driver in held:
        if not fk.pci_driver(dev):
            fk.pci_bind(addr, dev, driver, release=True)


def setup_pci(fk):
    fk.on(r"bus/pci/drivers/([^/]+)/unbind", pci_unbind_file)
    fk.on(r"bus/pci/drivers/([^/]+)/bind", pci_bind_file)
    fk.on(r"bus/pci/drivers_probe", pci_probe)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("root")
    ap.add_argument("--log", required=True)
    ap.add_argument("--native", action="append", default=[], metavar="ADDR=DRIVER")
    ap.add_argument("--fail-bind", action="append", default=[], metavar="DRIVER")
    ap.add_argument("--hold", action="append", default=[], metavar="DRIVER")
    ap.add_argument("--plugin", action="append", default=[], metavar="FILE")
    a = ap.parse_args()
    fk = FakeKernel(a.root, a.log)
    fk.native = dict(n.split("=", 1) for n in a.native)
    fk.fail_bind = set(a.fail_bind)
    fk.hold = set(a.hold)
    fk.on(r"fk-sync", sync)
    fk.on(r"fk-release", release)
    setup_pci(fk)
    for p in a.plugin:
        ns = {"__file__": p, "__name__": "fakekernel_plugin"}
        with open(p) as f:
            exec(compile(f.read(), p, "exec"), ns)
        ns["setup"](fk)
    fk.run()


if __name__ == "__main__":
    sys.exit(main())
