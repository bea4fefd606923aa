#!/usr/bin/python3
"""Define + start (paused) of one domain XML, N times, through Debian's libvirt client.

vibench.py URI XMLFILE N PREFIX

Defines N domains PREFIX0000.. from XMLFILE (its <name> replaced, its
<uuid> dropped: each gets its own), each virDomainDefineXML timed on its
own; starts each paused (virDomainCreateWithFlags(START_PAUSED)), timed
until the call returns; destroys it (timed) before the next start, so one
QEMU runs at a time; undefines all at the end (with their NVRAM and TPM
state).  Prints key=value lines: n, define/start/destroy median and p90 in
ms, every start sample.  Exit 1 if any call fails (the error on stderr).
"""
import re
import sys
import time

import libvirt

uri, path, n, prefix = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
template = open(path).read()
template = re.sub(r"\s*<uuid>[^<]*</uuid>", "", template, count=1)
conn = libvirt.open(uri)
UNDEF = libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_TPM


def ms(t0):
    return (time.monotonic() - t0) * 1000.0


def rank(samples, q):
    s = sorted(samples)
    return s[max(0, -(-len(s) * q // 100) - 1)]       # nearest rank


times = {"define": [], "start": [], "destroy": []}
doms = []
try:
    for i in range(n):
        xml = re.sub(r"<name>[^<]*</name>", "<name>%s%04d</name>" % (prefix, i), template, count=1)
        t0 = time.monotonic()
        dom = conn.defineXML(xml)
        times["define"].append(ms(t0))
        doms.append(dom)
    for dom in doms:
        t0 = time.monotonic()
        dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
        times["start"].append(ms(t0))
        t0 = time.monotonic()
        dom.destroy()
        times["destroy"].append(ms(t0))
finally:
    for dom in doms:
        try:
            if dom.isActive():
                dom.destroy()
            dom.undefineFlags(UNDEF)
        except libvirt.libvirtError as e:
            print("vibench: undefine %s: %s" % (dom.name(), e), file=sys.stderr)

print("n=%d" % n)
for k, v in times.items():
    print("%s_median_ms=%.2f %s_p90_ms=%.2f" % (k, rank(v, 50), k, rank(v, 90)))
print("start_samples_ms=%s" % ",".join("%.0f" % v for v in times["start"]))
