#!/usr/bin/python3
"""The tls suite's timings (bench/tls.sh): python3-libvirt over qemu+tls://
against several targets that take turns round by round (the order flips
every round), so a change of the machine's load falls on all alike.

  tlsbench.py ROUNDS OPENS CALLS DLROUNDS NAME|URI|POOLDIR ...

  open      OPENS x (libvirt.open + close) per target per round: the TCP
            connect, the TLS handshake with both certificates checked, the
            0x01 confirmation, CONNECT_OPEN and the calls the client makes
            on its own (ms each)
  rtt       on one open connection, CALLS x getLibVersion (the proxy answers
            it itself) and CALLS x getHostname (forwarded to qemud) per
            round, each timed (µs each)
  download  DLROUNDS x the volume dense.raw (1 GiB, random) of a transient
            dir pool on POOLDIR, read through a stream and thrown away
            (MiB/s); every byte counted

Prints one line per target: name=NAME key=value ...  (medians, p90s).
"""
import statistics
import sys
import time

import libvirt

libvirt.registerErrorHandler(lambda ctx, err: None, None)
POOL = "tlsbench"


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(len(xs) * p))]


def opens(uri, n, out):
    for _ in range(n):
        t = time.perf_counter()
        c = libvirt.open(uri)
        c.close()
        out.append((time.perf_counter() - t) * 1e3)


def rtt(conn, n, lv, hn):
    for _ in range(n // 10):          # warm-up
        conn.getLibVersion()
        conn.getHostname()
    for _ in range(n):
        t = time.perf_counter()
        conn.getLibVersion()
        lv.append((time.perf_counter() - t) * 1e6)
    for _ in range(n):
        t = time.perf_counter()
        conn.getHostname()
        hn.append((time.perf_counter() - t) * 1e6)


def pool_up(conn, pooldir):
    xml = ("<pool type='dir'><name>%s</name><target><path>%s</path></target></pool>"
           % (POOL, pooldir))
    return conn.storagePoolCreateXML(xml, 0)


def download(conn, pool, out):
    vol = pool.storageVolLookupByName("dense.raw")
    size = vol.info()[1]
    st = conn.newStream(0)
    t = time.perf_counter()
    vol.download(st, 0, 0, 0)
    got = 0
    while True:
        b = st.recv(1 << 20)
        if not b:
            break
        got += len(b)
    st.finish()
    secs = time.perf_counter() - t
    if got != size:
        raise RuntimeError("downloaded %d bytes of %d" % (got, size))
    out.append(got / (1 << 20) / secs)


def main():
    rounds, nopen, ncalls, dlrounds = (int(x) for x in sys.argv[1:5])
    targets = [t.split("|") for t in sys.argv[5:]]
    res = {name: {"open": [], "lv": [], "hn": [], "dl": []} for name, _, _ in targets}
    conns, pools = {}, {}
    for name, uri, pooldir in targets:
        try:
            conns[name] = libvirt.open(uri)
            pools[name] = pool_up(conns[name], pooldir)
        except libvirt.libvirtError as e:
            sys.exit("tlsbench: target=%s %s: %s" % (name, uri, e.get_error_message()))
    try:
        for r in range(max(rounds, dlrounds)):
            order = targets if r % 2 == 0 else targets[::-1]
            for name, uri, _ in order:
                try:
                    if r < rounds:
                        opens(uri, nopen, res[name]["open"])
                        rtt(conns[name], ncalls, res[name]["lv"], res[name]["hn"])
                    if r < dlrounds:
                        download(conns[name], pools[name], res[name]["dl"])
                except (libvirt.libvirtError, RuntimeError) as e:
                    msg = e.get_error_message() if isinstance(e, libvirt.libvirtError) else str(e)
                    sys.exit("tlsbench: target=%s round %d: %s" % (name, r + 1, msg))
            print("tlsbench: round %d done" % (r + 1), file=sys.stderr, flush=True)
    finally:
        for name in pools:
            try:
                pools[name].destroy()
            except libvirt.libvirtError:
                pass
    for name, _, _ in targets:
        d = res[name]
        print("name=%s open_median_ms=%.2f open_p90_ms=%.2f libversion_median_us=%.0f "
              "libversion_p90_us=%.0f hostname_median_us=%.0f hostname_p90_us=%.0f "
              "download_mibs=%.0f download_samples=%s"
              % (name, statistics.median(d["open"]), pct(d["open"], 0.9),
                 statistics.median(d["lv"]), pct(d["lv"], 0.9),
                 statistics.median(d["hn"]), pct(d["hn"], 0.9),
                 statistics.median(d["dl"]), ",".join("%.0f" % x for x in d["dl"])))


if __name__ == "__main__":
    main()
