#!/bin/bash
# A paste into the console of a guest that does not read it (started
# paused: QEMU's UART takes 16 bytes, then the pty fills) must not stall the
# daemon: other clients' inline calls keep answering at once, the paste waits
# (back-pressure: the daemon stops reading that client) instead of failing,
# and it ends with the guest.  The old console blocked the event loop in
# poll() for a second per chunk, then failed the stream.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64"
PLAN=2
guest_test_init $PLAN
start_daemon

guest_domain_xml c1 "$mv_tmp/c1.serial" >"$mv_tmp/c1.xml"

# KEY=VALUE lines; the deadline of an inline call is far above its normal
# round trip (milliseconds) and far below the old stall (one second).
MV_CLIENT_TIMEOUT=120 py - "$MV_URI" "$mv_tmp/c1.xml" <<'EOF'
import sys, threading, time, libvirt
from mvlibvirt import out, exc, step

uri, xml_path = sys.argv[1], sys.argv[2]
PASTE = b"echo a line of a long paste into a stuck guest\n" * 43000     # ~2 MiB
PROBE_S = 4.0

a = libvirt.open(uri)
b = libvirt.open(uri)
with open(xml_path) as f:
    dom = a.defineXML(f.read())
dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
out("state", dom.state())
st = a.newStream(0)
dom.openConsole(None, st, 0)

result = {"send": "sending"}
def sender():
    try:
        sent = 0
        while sent < len(PASTE):
            sent += st.send(PASTE[sent:sent + 65536])
        result["send"] = "done"
    except libvirt.libvirtError as e:
        result["send"] = exc(e)
t = threading.Thread(target=sender, daemon=True)

# probes on the other connection from the moment the paste starts
t.start()
worst, n = 0.0, 0
end = time.monotonic() + PROBE_S
while time.monotonic() < end:
    t0 = time.monotonic()
    b.getHostname()
    b.lookupByName("c1").state()
    worst = max(worst, time.monotonic() - t0)
    n += 1
out("probes", n)
out("worst_ms", int(worst * 1000))
# more than the pty and the sockets hold: still waiting, not failed
out("send_during", result["send"])

# the guest goes away: the held paste ends with an error, the client is free
step("destroy", lambda: b.lookupByName("c1").destroy())
t.join(30)
out("send_after", result["send"])
step("hostname_after", lambda: len(a.getHostname()) > 0)
EOF
py_rc=$rc
py_out=$out
[ "$py_rc" -eq 0 ] || diag "python exited with $py_rc; stderr:" "$err"
k() { kv "$1" "$py_out"; }

# 1
expect_eq "started paused" "[3, 1]" "$(k state)"
expect_match "probes made" '^[1-9][0-9]*$' "$(k probes)"
worst=$(k worst_ms)
expect_match "worst inline call under 500 ms" '^([0-9]|[0-9][0-9]|[0-4][0-9][0-9])$' "$worst"
diag "worst inline call while the paste waited: ${worst} ms over $(k probes) probes"
expect_eq "the paste waits for the guest" sending "$(k send_during)"
verdict "a paste into a guest that does not read: other clients' calls answer at once, the paste waits"

# 2
expect_eq "destroy" 0 "$(k destroy)"
expect_match "the paste ends with the guest" "^EXC " "$(k send_after)"
diag "the paste ended with: $(k send_after)"
expect_eq "the console's connection works again" True "$(k hostname_after)"
expect_daemon_alive
verdict "the waiting paste ends when the guest goes away; its connection works again"

mv_done
