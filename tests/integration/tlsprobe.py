"""Raw TLS clients for proxyd-tls.sh and proxyd-sasl.sh (python3's ssl,
no libvirt): what virsh cannot do on purpose.  Prints KEY=VALUE lines.

  tlsprobe.py garbage PORT               bytes that are no TLS record
  tlsprobe.py stall PORT                 a ClientHello, then nothing
  tlsprobe.py many PORT PKIDIR N         N good handshakes at once, each
                                         waiting for the confirmation byte
  tlsprobe.py stallmany PORT N PID       N stalled handshakes at once; prints
                                         STARTED=1, then samples PID's VmRSS
                                         until all are closed (the test runs
                                         a good client meanwhile)
  tlsprobe.py cert PORT PKIDIR PEM       whether the server presents the
                                         certificate in file PEM (same=1)

Every wait has a deadline; a socket the server never closes shows up as
closed=0 (or in the counts)."""
import os
import socket
import ssl
import sys
import threading
import time

HOST = "127.0.0.1"


def out(key, value):
    print("%s=%s" % (key, value), flush=True)


def wait_closed(s, deadline):
    """Seconds until the peer closed S (EOF or reset), None at DEADLINE."""
    t0 = time.monotonic()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        s.settimeout(left)
        try:
            if not s.recv(65536):
                return time.monotonic() - t0
        except socket.timeout:
            return None
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - t0


def client_hello():
    """The bytes of a TLS ClientHello (no certificate needed to send it)."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, outg, server_side=False)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outg.read()


def connect(port, timeout=60):
    return socket.create_connection((HOST, port), timeout=timeout)


def garbage(port):
    s = connect(port)
    s.sendall(b"GET / HTTP/1.0\r\n\r\n" + bytes(range(256)) * 4)
    t = wait_closed(s, time.monotonic() + 15)
    out("closed", 0 if t is None else 1)
    out("secs", "%.2f" % (t or 0))


def stall(port):
    s = connect(port)
    s.sendall(client_hello())
    t = wait_closed(s, time.monotonic() + 30)
    out("closed", 0 if t is None else 1)
    out("secs", "%.2f" % (t or 0))


def good_context(pkidir):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(os.path.join(pkidir, "cacert.pem"))
    ctx.load_cert_chain(os.path.join(pkidir, "clientcert.pem"), os.path.join(pkidir, "clientkey.pem"))
    return ctx


def many(port, pkidir, n):
    ctx = good_context(pkidir)
    res = {"ok": 0, "fail": 0}
    errs = []
    lock = threading.Lock()
    barrier = threading.Barrier(n)

    def one():
        try:
            barrier.wait(30)
            with connect(port) as raw, ctx.wrap_socket(raw, server_hostname=HOST) as s:
                s.settimeout(60)
                b = s.recv(1)
            key = "ok" if b == b"\x01" else "fail"
            if key == "fail":
                errs.append("confirmation %r" % (b,))
        except Exception as e:      # any failure is counted and shown
            key = "fail"
            errs.append(repr(e))
        with lock:
            res[key] += 1

    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    for t in ts:
        t.join(120)
    out("ok", res["ok"])
    out("fail", res["fail"])
    out("first_error", errs[0] if errs else "")


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def stallmany(port, n, pid):
    hello = client_hello()
    closed = []
    lock = threading.Lock()

    def one():
        try:
            s = connect(port, 120)
            s.sendall(hello)
            t = wait_closed(s, time.monotonic() + 120)
        except OSError:
            t = 0.0                 # refused or reset at once: closed too
        with lock:
            closed.append(t)

    ts = [threading.Thread(target=one) for _ in range(n)]
    for t in ts:
        t.start()
    out("STARTED", 1)
    peak = rss_kib(pid)
    while any(t.is_alive() for t in ts):
        peak = max(peak, rss_kib(pid))
        time.sleep(0.05)
    out("closed", sum(1 for t in closed if t is not None))
    out("peak_rss_kib", peak)


def cert(port, pkidir, pem):
    ctx = good_context(pkidir)
    with connect(port) as raw, ctx.wrap_socket(raw, server_hostname=HOST) as s:
        der = s.getpeercert(binary_form=True)
    with open(pem) as f:
        out("same", 1 if ssl.PEM_cert_to_DER_cert(f.read()) == der else 0)


def main():
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "garbage":
        garbage(port)
    elif mode == "stall":
        stall(port)
    elif mode == "many":
        many(port, sys.argv[3], int(sys.argv[4]))
    elif mode == "stallmany":
        stallmany(port, int(sys.argv[3]), int(sys.argv[4]))
    elif mode == "cert":
        cert(port, sys.argv[3], sys.argv[4])
    else:
        sys.exit("tlsprobe.py: unknown mode " + mode)


if __name__ == "__main__":
    main()
