#!/usr/bin/python3
"""Save/restore, disk hotplug, bulk stats and internal snapshots of the test
guest under TCG, against one daemon, through Debian's libvirt client.

compbench.py URI TEMPLATE WORKDIR PREFIX

TEMPLATE is the test guest's domain XML (tests/integration/guest.sh's
guest_domain_xml, kernel command line with guest.tick=1) with @NAME@ for
the name (also in the serial log's path) and an element <!--@DEVICES@-->
in <devices> for the extra devices.  Every file goes under WORKDIR; every
domain is named PREFIX...; all are destroyed and undefined at the end,
whatever happened.

Four parts, each on a guest of its own, each independent of the others:

  save      a running 256 MiB guest: virDomainSave to a file, then
            virDomainRestore, BENCH_CM_SAVES rounds; the image's size; the
            guest's tick counter must go on from where it was
  hotplug   a running guest: attach (live) a raw disk as vdb, wait until
            the guest sees it, detach it (live), wait until the live XML no
            longer has it; BENCH_CM_HOTPLUG rounds
  stats     BENCH_CM_GUESTS guests (64 MiB) defined and started paused,
            then virConnectGetAllDomainStats (all groups), BENCH_CM_STATS
            calls after 2 untimed ones
  snapshot  a running guest with a qcow2 vda: snapshot-create (internal,
            with its memory), let it tick, revert, BENCH_CM_SNAPS rounds;
            the tick counter must go back; then delete each snapshot

Prints key=value lines: PART_KEY_median_ms, _p90_ms, samples.  A part that
the daemon refuses or that fails prints one line PART_error=MESSAGE
(the rest of the line, spaces and all) and PART_error_code=N (libvirt's
error number) and goes on with the next part.  Exit status 0 unless
something outside the parts broke (connecting, cleaning up).
"""
import os
import re
import signal
import subprocess
import sys
import time

import libvirt

uri, template_path, work, prefix = sys.argv[1:5]
SAVES = int(os.environ.get("BENCH_CM_SAVES", "3"))
HOTPLUG = int(os.environ.get("BENCH_CM_HOTPLUG", "10"))
GUESTS = int(os.environ.get("BENCH_CM_GUESTS", "50"))
STATS = int(os.environ.get("BENCH_CM_STATS", "20"))
SNAPS = int(os.environ.get("BENCH_CM_SNAPS", "3"))
PARTS = os.environ.get("BENCH_CM_PARTS", "save,hotplug,stats,snapshot").split(",")
BOOT_S = 120        # TCG on a loaded 2-CPU machine: a boot takes 2-20 s
TICK_S = 30

template = open(template_path).read()
conn = libvirt.open(uri)
libvirt.registerErrorHandler(lambda _ctx, _err: None, None)   # no stderr noise
domains = {}        # name -> virDomain, for the cleanup


class PartError(Exception):
    """A part could not go on for a reason that is not a libvirt error."""


def out(key, value):
    print("%s=%s" % (key, value), flush=True)


def ms(t0):
    return (time.monotonic() - t0) * 1000.0


def rank(samples, q):
    s = sorted(samples)
    return s[max(0, -(-len(s) * q // 100) - 1)]       # nearest rank


def report(part, key, samples):
    out("%s_%s_median_ms" % (part, key), "%.1f" % rank(samples, 50))
    out("%s_%s_p90_ms" % (part, key), "%.1f" % rank(samples, 90))
    out("%s_%s_samples_ms" % (part, key), ",".join("%.0f" % v for v in samples))


def log_path(name):
    return os.path.join(work, name + ".log")


def domain_xml(name, mem_mib=256, devices=""):
    xml = template.replace("@NAME@", name).replace("<!--@DEVICES@-->", devices)
    # ACPI: PCI hotplug on the pc machine's bus goes through it
    if "<features>" not in xml:
        xml = xml.replace("</os>", "</os>\n  <features><acpi/></features>", 1)
    return re.sub(r"<memory unit='MiB'>\d+</memory>", "<memory unit='MiB'>%d</memory>" % mem_mib, xml)


def define(name, **kw):
    dom = conn.defineXML(domain_xml(name, **kw))
    domains[name] = dom
    return dom


def log_text(name):
    try:
        with open(log_path(name), "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""


def wait_log(name, pattern, secs, after=0, every=0.05):
    """The first match of PATTERN in the serial log past offset AFTER,
    looked for every EVERY seconds."""
    end = time.monotonic() + secs
    rx = re.compile(pattern)
    while True:
        text = log_text(name)
        # a QEMU started afresh (a restore, a revert) writes it afresh
        m = rx.search(text, after if after <= len(text) else 0)
        if m:
            return m
        if time.monotonic() > end:
            raise PartError("%s: no /%s/ on its serial console after %d s" % (name, pattern, secs))
        time.sleep(every)


def ticks(name):
    return [int(t) for t in re.findall(r"GUEST-TICK (\d+)", log_text(name))]


def boot(name, **kw):
    """Defines and starts NAME, waits until it ticks; its boot time in ms."""
    dom = define(name, **kw)
    t0 = time.monotonic()
    dom.create()
    wait_log(name, r"GUEST-TICK 1\b", BOOT_S)
    return dom, ms(t0)


def qemu_cpus(name):
    """Cpus_allowed_list of NAME's QEMU (found by guest=NAME on its command line)."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            if not os.readlink("/proc/%s/exe" % pid).split("/")[-1].startswith("qemu-system"):
                continue
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                if ("guest=%s," % name).encode() not in f.read() + b",":
                    continue
            with open("/proc/%s/status" % pid) as f:
                for line in f:
                    if line.startswith("Cpus_allowed_list:"):
                        return line.split()[1]
        except OSError:
            continue
    return "?"


def part_save():
    name = prefix + "save"
    path = os.path.join(work, "save.img")
    dom, _ = boot(name)
    out("qemu_cpus", qemu_cpus(name))
    saves, restores, sizes, ontime = [], [], [], []
    for _ in range(SAVES):
        wait_log(name, r"GUEST-TICK \d+", TICK_S, len(log_text(name)))
        before = max(ticks(name))
        if os.path.exists(path):
            os.unlink(path)
        t0 = time.monotonic()
        dom.save(path)
        saves.append(ms(t0))
        st = os.stat(path)
        sizes.append(st.st_size)
        if dom.isActive():
            raise PartError("%s is still running after virDomainSave" % name)
        t0 = time.monotonic()
        conn.restore(path)
        restores.append(ms(t0))
        dom = conn.lookupByName(name)
        domains[name] = dom
        # the log may be written afresh (append='off') or go on: wait for a
        # tick newer than the last one before the save
        t0 = time.monotonic()
        end = t0 + TICK_S
        while not [t for t in ticks(name) if t > before]:
            if time.monotonic() > end:
                raise PartError("%s: no GUEST-TICK after %d within %d s of the restore" % (name, before, TICK_S))
            time.sleep(0.05)
        ontime.append(ms(t0))
        first = min(t for t in ticks(name) if t > before)
        if first != before + 1 and first != before + 2:
            raise PartError("%s: the tick counter jumped from %d to %d across save+restore" % (name, before, first))
    report("save", "save", saves)
    report("save", "restore", restores)
    report("save", "tick", ontime)
    out("save_image_mib", "%.1f" % (rank(sizes, 50) / 1048576.0))
    os.unlink(path)


def disk_xml(path, fmt, dev):
    return ("<disk type='file' device='disk'><driver name='qemu' type='%s'/>"
            "<source file='%s'/><target dev='%s' bus='virtio'/></disk>" % (fmt, path, dev))


def part_hotplug():
    name = prefix + "hotplug"
    path = os.path.join(work, "hotplug.raw")
    with open(path, "wb") as f:
        f.truncate(64 << 20)
    os.chmod(path, 0o666)
    dom, _ = boot(name)
    wait_log(name, r"GUEST-READY", BOOT_S)
    xml = disk_xml(path, "raw", "vdb")
    live = libvirt.VIR_DOMAIN_AFFECT_LIVE
    attach, seen, detach, gone = [], [], [], []
    for _ in range(HOTPLUG):
        mark = len(log_text(name))
        t0 = time.monotonic()
        dom.attachDeviceFlags(xml, live)
        attach.append(ms(t0))
        # the guest's kernel prints its virtio_blk line ("[vda] 131072
        # 512-byte ..."; the guest names its disks in its own order) as soon
        # as it has the disk; GUEST-HOTPLUG (guest.watch=1) comes up to
        # 0.2 s later (the guest polls), and counts if the first is missing
        wait_log(name, r"virtio_blk[^\n]*\[vd[a-z]+\]|GUEST-HOTPLUG[^\n]*\bvd", TICK_S, mark, 0.01)
        seen.append(ms(t0))
        t0 = time.monotonic()
        dom.detachDeviceFlags(xml, live)
        detach.append(ms(t0))
        end = time.monotonic() + TICK_S
        while path in dom.XMLDesc(0):
            if time.monotonic() > end:
                raise PartError("%s: vdb still in the live XML %d s after the detach" % (name, TICK_S))
            time.sleep(0.002)
        gone.append(ms(t0))
    report("hotplug", "attach", attach)
    report("hotplug", "seen", seen)
    report("hotplug", "detach", detach)
    report("hotplug", "gone", gone)


def part_stats():
    doms = []
    t0 = time.monotonic()
    for i in range(GUESTS):
        dom = define("%sstats%02d" % (prefix, i), mem_mib=64)
        dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
        doms.append(dom)
    out("stats_start_all_s", "%.1f" % (ms(t0) / 1000.0))
    for _ in range(2):
        conn.getAllDomainStats()
    samples = []
    for _ in range(STATS):
        t0 = time.monotonic()
        got = conn.getAllDomainStats()
        samples.append(ms(t0))
    ours = [r for r in got if r[0].name().startswith(prefix + "stats")]
    if len(ours) != GUESTS:
        raise PartError("getAllDomainStats returned %d of the %d guests" % (len(ours), GUESTS))
    report("stats", "all", samples)
    out("stats_keys", len(ours[0][1]))
    out("stats_keynames", ",".join(sorted(ours[0][1])))
    for dom in doms:
        dom.destroy()


def part_snapshot():
    name = prefix + "snap"
    path = os.path.join(work, "snap.qcow2")
    subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", path, "64M"], check=True)
    os.chmod(path, 0o666)
    dom, _ = boot(name, devices=disk_xml(path, "qcow2", "vda"))
    create, revert, delete, snaps = [], [], [], []
    for i in range(SNAPS):
        wait_log(name, r"GUEST-TICK \d+", TICK_S, len(log_text(name)))
        at = max(ticks(name))
        t0 = time.monotonic()
        snap = dom.snapshotCreateXML("<domainsnapshot><name>cm%d</name></domainsnapshot>" % i, 0)
        create.append(ms(t0))
        snaps.append(snap)
        # two more ticks, then back: the guest's counter must go back too
        wait_log(name, r"GUEST-TICK %d\b" % (at + 2), TICK_S)
        mark = len(log_text(name))
        t0 = time.monotonic()
        dom.revertToSnapshot(snap, 0)
        revert.append(ms(t0))
        m = wait_log(name, r"GUEST-TICK (\d+)", TICK_S, mark)
        if int(m.group(1)) > at + 2:
            raise PartError("%s: ticked %d after the revert to a snapshot taken at %d" % (name, int(m.group(1)), at))
    for snap in reversed(snaps):
        t0 = time.monotonic()
        snap.delete(0)
        delete.append(ms(t0))
    report("snap", "create", create)
    report("snap", "revert", revert)
    report("snap", "delete", delete)
    out("snap_disk_mib", "%.1f" % (os.stat(path).st_size / 1048576.0))


def cleanup():
    ok = True
    for name, dom in domains.items():
        try:
            if dom.isActive():
                dom.destroy()
        except libvirt.libvirtError:
            pass
        try:
            for snap in dom.listAllSnapshots(0):
                snap.delete(libvirt.VIR_DOMAIN_SNAPSHOT_DELETE_METADATA_ONLY)
        except libvirt.libvirtError:
            pass
        try:
            dom.undefine()
        except libvirt.libvirtError as e:
            try:
                conn.lookupByName(name)
            except libvirt.libvirtError:
                continue        # gone anyway (a restore of a transient one)
            print("compbench: undefine %s: %s" % (name, e), file=sys.stderr)
            ok = False
    domains.clear()
    return ok


def main():
    # leftovers of an interrupted earlier run
    for dom in conn.listAllDomains():
        if dom.name().startswith(prefix):
            domains[dom.name()] = dom
    cleanup()
    for part in PARTS:
        fn = {"save": part_save, "hotplug": part_hotplug, "stats": part_stats,
              "snapshot": part_snapshot}[part]
        t0 = time.monotonic()
        try:
            fn()
        except (libvirt.libvirtError, PartError, OSError, subprocess.CalledProcessError) as e:
            code = e.get_error_code() if isinstance(e, libvirt.libvirtError) else 0
            out("%s_error_code" % part, code)
            out("%s_error" % part, " ".join(str(e).split()))
        out("%s_took_s" % part, "%.0f" % (ms(t0) / 1000.0))
        if not cleanup():
            return 1
    return 0


# bench/run's Ctrl-C sends TERM: clean up as on any other way out
signal.signal(signal.SIGTERM, lambda _sig, _frame: sys.exit(143))
rc = 1
try:
    rc = main()
finally:
    cleanup()
sys.exit(rc)
