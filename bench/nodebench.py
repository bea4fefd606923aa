#!/usr/bin/python3
"""Node device benchmark through Debian's libvirt client (python3-libvirt),
the same for modvirt-nodedevd and libvirtd (bench/nodedev.sh runs it).

  nodebench.py cold URI SETTLE_MS CMD...
      Runs CMD (which starts the daemon, in the background or not), then
      lists the node devices (CONNECT_LIST_ALL_NODE_DEVICES) every
      millisecond until a listing answers and its count has not changed for
      SETTLE_MS: the first answer is first_ms, the first listing with the
      final count full_ms (libvirtd holds calls until its udev thread has
      enumerated, so the two are the same there).  Prints cold_first_ms=,
      cold_full_ms=, devices= and spawn_pid= (CMD's pid).
  nodebench.py run URI N PID
      N listings (after N/10 warm-up), then N/10 rounds of "list, then the
      XML of every device" (what virsh nodedev-list + nodedev-dumpxml of
      each costs), then daemon PID's RSS.  Prints list_median_us=,
      list_p99_us=, dump_median_ms=, dump_p99_ms=, devices=, rss_kib=.
Exits 1 with the reason on stderr if anything fails.
"""
import subprocess
import sys
import time

import libvirt


def quiet(_ctx, _err):
    """libvirt prints every error to stderr by default: a poll expects many."""


def cold(uri, settle_ms, cmd):
    libvirt.registerErrorHandler(quiet, None)
    t0 = time.monotonic_ns()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
    first = full = None
    count = -1
    conn = None
    deadline = t0 + 120 * 10**9
    while time.monotonic_ns() < deadline:
        now = time.monotonic_ns()
        try:
            if conn is None:
                conn = libvirt.open(uri)
        except libvirt.libvirtError:
            time.sleep(0.001)
            continue
        try:
            n = len(conn.listAllDevices(0))
        except libvirt.libvirtError as e:
            # a daemon that answers with an error will not get better
            sys.exit("listing failed: %s" % e)
        if first is None:
            first = now
        if n != count:
            count, full = n, now
        elif (now - full) / 1e6 >= settle_ms:
            break
        time.sleep(0.001)
    else:
        sys.exit("no listing within 120 s of starting %s" % cmd[0])
    print("cold_first_ms=%.1f cold_full_ms=%.1f devices=%d spawn_pid=%d"
          % ((first - t0) / 1e6, (full - t0) / 1e6, count, proc.pid))


def pct(samples, p):
    s = sorted(samples)
    return s[min(len(s) - 1, int(len(s) * p))]


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def run(uri, n, pid):
    conn = libvirt.open(uri)
    for _ in range(n // 10):
        conn.listAllDevices(0)
    lists = []
    for _ in range(n):
        t = time.perf_counter_ns()
        devs = conn.listAllDevices(0)
        lists.append((time.perf_counter_ns() - t) / 1e3)
    dumps = []
    for _ in range(max(1, n // 10)):
        t = time.perf_counter_ns()
        for d in conn.listAllDevices(0):
            d.XMLDesc(0)
        dumps.append((time.perf_counter_ns() - t) / 1e6)
    print("list_median_us=%.1f list_p99_us=%.1f dump_median_ms=%.2f dump_p99_ms=%.2f devices=%d rss_kib=%d"
          % (pct(lists, 0.5), pct(lists, 0.99), pct(dumps, 0.5), pct(dumps, 0.99), len(devs),
             rss_kib(pid)))


def main():
    if len(sys.argv) >= 5 and sys.argv[1] == "cold":
        cold(sys.argv[2], float(sys.argv[3]), sys.argv[4:])
    elif len(sys.argv) == 5 and sys.argv[1] == "run":
        run(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
