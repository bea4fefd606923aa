#!/usr/bin/python3
"""Define + start (paused) of one domain XML, N times, through Debian's libvirt client.

vibench.py URI[,URI...] XMLFILE N PREFIX

Defines N domains PREFIX0000.. from XMLFILE (its <name> replaced, its
<uuid> dropped: each gets its own), each virDomainDefineXML timed on its
own; starts each paused (virDomainCreateWithFlags(START_PAUSED)), timed
until the call returns; destroys it (timed) before the next start, so one
QEMU runs at a time; undefines all at the end (with their NVRAM and TPM
state).  Prints key=value lines: n, define/start/destroy median and p90 in
ms, every start sample.  Exit 1 if any call fails (the error on stderr).

With several URIs (daemons A, B, ...) each round defines, then starts and
destroys, one domain in every daemon, the daemons taking turns (round i
begins with the i-th), so the machine's load falls on all alike; each key
is then prefixed with the daemon's letter (A_start_median_ms), and with
two, diff_KEY_median_ms is the median of the paired differences A - B.
"""
import re
import sys
import time

import libvirt

uris, path, n, prefix = sys.argv[1].split(","), sys.argv[2], int(sys.argv[3]), sys.argv[4]
template = open(path).read()
template = re.sub(r"\s*<uuid>[^<]*</uuid>", "", template, count=1)
conns = [libvirt.open(uri) for uri in uris]
UNDEF = libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_TPM
KEYS = ("define", "start", "destroy")


def ms(t0):
    return (time.monotonic() - t0) * 1000.0


def rank(samples, q):
    s = sorted(samples)
    return s[max(0, -(-len(s) * q // 100) - 1)]       # nearest rank


def turns(i):
    return [(i + k) % len(conns) for k in range(len(conns))]


times = [{k: [0.0] * n for k in KEYS} for _ in conns]
doms = [[] for _ in conns]
try:
    for i in range(n):
        xml = re.sub(r"<name>[^<]*</name>", "<name>%s%04d</name>" % (prefix, i), template, count=1)
        for c in turns(i):
            t0 = time.monotonic()
            doms[c].append(conns[c].defineXML(xml))
            times[c]["define"][i] = ms(t0)
    for i in range(n):
        for c in turns(i):
            dom = doms[c][i]
            t0 = time.monotonic()
            dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
            times[c]["start"][i] = ms(t0)
            t0 = time.monotonic()
            dom.destroy()
            times[c]["destroy"][i] = ms(t0)
finally:
    for dom in sum(doms, []):
        try:
            if dom.isActive():
                dom.destroy()
            dom.undefineFlags(UNDEF)
        except libvirt.libvirtError as e:
            print("vibench: undefine %s: %s" % (dom.name(), e), file=sys.stderr)

print("n=%d" % n)
for c, t in enumerate(times):
    tag = "" if len(conns) == 1 else "ABCDEFGH"[c] + "_"
    for k, v in t.items():
        print("%s%s_median_ms=%.2f %s%s_p90_ms=%.2f" % (tag, k, rank(v, 50), tag, k, rank(v, 90)))
    print("%sstart_samples_ms=%s" % (tag, ",".join("%.0f" % v for v in t["start"])))
if len(conns) == 2:
    for k in KEYS:
        print("diff_%s_median_ms=%.2f" % (k, rank([a - b for a, b in zip(times[0][k], times[1][k])], 50)))
