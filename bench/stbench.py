#!/usr/bin/python3
"""The storage suite's in-process timings (bench/storage.sh): calls made
through python3-libvirt on one connection, so that each time is the call's
own, not a virsh process's start-up.  Prints key=value lines.

  stbench.py URI refresh POOL            pool start (or refresh), then refresh
  stbench.py URI create POOL REPS SIZE   qcow2 vol-create, median of REPS
  stbench.py URI clone POOL REPS SRC     vol-create-from SRC (raw), median
"""
import statistics
import sys
import time

import libvirt

libvirt.registerErrorHandler(lambda ctx, err: None, None)


def ms(t0):
    return (time.monotonic() - t0) * 1000.0


def refresh(pool):
    """Cold: the pool's first refresh since the daemon started, which is
    its start (a dir pool's start is a refresh); warm: a refresh right
    after it."""
    t = time.monotonic()
    if pool.isActive():
        pool.refresh(0)
    else:
        pool.create(0)
    cold = ms(t)
    t = time.monotonic()
    pool.refresh(0)
    warm = ms(t)
    print("refresh_cold_ms=%.2f refresh_warm_ms=%.2f vols=%d" % (cold, warm, pool.numOfVolumes()))


def vol_xml(name, size, fmt):
    return ("<volume><name>%s</name><capacity unit='bytes'>%d</capacity>"
            "<target><format type='%s'/></target></volume>" % (name, size, fmt))


def create(pool, reps, size):
    times = []
    for i in range(reps):
        name = "bcreate%d.qcow2" % i
        t = time.monotonic()
        vol = pool.createXML(vol_xml(name, size, "qcow2"), 0)
        times.append(ms(t))
        vol.delete(0)
    print("create_median_ms=%.2f create_all_ms=%s" % (statistics.median(times),
                                                       ",".join("%.1f" % x for x in times)))


def clone(pool, reps, src):
    source = pool.storageVolLookupByName(src)
    size = source.info()[1]
    times = []
    for i in range(reps):
        name = "bclone%d.raw" % i
        t = time.monotonic()
        vol = pool.createXMLFrom(vol_xml(name, size, "raw"), source, 0)
        times.append(ms(t))
        vol.delete(0)
    print("clone_median_ms=%.1f clone_all_ms=%s" % (statistics.median(times),
                                                     ",".join("%.0f" % x for x in times)))


def main():
    uri, op, poolname = sys.argv[1:4]
    conn = libvirt.open(uri)
    pool = conn.storagePoolLookupByName(poolname)
    if op == "refresh":
        refresh(pool)
    elif op == "create":
        create(pool, int(sys.argv[4]), int(sys.argv[5]))
    elif op == "clone":
        clone(pool, int(sys.argv[4]), sys.argv[5])
    else:
        sys.exit("stbench.py: unknown operation '%s'" % op)


if __name__ == "__main__":
    try:
        main()
    except libvirt.libvirtError as e:
        sys.exit("stbench.py: %s" % e.get_error_message())
