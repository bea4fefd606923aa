#!/bin/bash
# A paste into the console of a guest that does not read it (started
# paused: QEMU's UART takes 16 bytes, then the pty fills) must not stall the
# daemon: the paste waits (back-pressure: the daemon stops reading that
# client) instead of failing, and other clients' calls keep being answered
# while it waits; it ends with the guest.  The old console blocked the event
# loop in poll() for a second per chunk, then failed the stream.
#
# Asserted by order, not by a clock: the other client makes round trips
# until it has had a run of them during which the paste made no progress
# and neither finished nor failed (it is held), then the paste must still
# be held.  The old code fails the paste once the pty is full.  The only
# timings are deadlines for liveness.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64"
PLAN=2
guest_test_init $PLAN
start_daemon

guest_domain_xml c1 "$mv_tmp/c1.serial" >"$mv_tmp/c1.xml"

# lines of the paste (~2 MiB); through modvirt-proxyd four times as many:
# the proxy may queue 4 MiB for a daemon that reads slowly, on top
paste_lines=43000
via_proxy && paste_lines=$((4 * paste_lines))

# KEY=VALUE lines
MV_CLIENT_TIMEOUT=180 py - "$MV_URI" "$mv_tmp/c1.xml" "$paste_lines" <<'EOF'
import sys, threading, time, libvirt
from mvlibvirt import out, exc, step

uri, xml_path, paste_lines = sys.argv[1], sys.argv[2], int(sys.argv[3])
PASTE = b"echo a line of a long paste into a stuck guest\n" * paste_lines
HELD_RUN = 100      # round trips of the other client with the paste held
DEADLINE_S = 90     # liveness only: far beyond any loaded machine

a = libvirt.open(uri)
b = libvirt.open(uri)
with open(xml_path) as f:
    dom = a.defineXML(f.read())
dom.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
out("state", dom.state())
st = a.newStream(0)
dom.openConsole(None, st, 0)

# far more than the pty, the daemon's buffers and the sockets hold: the
# sender ends up blocked in send() until the guest reads (never) or goes
paste = {"send": "sending", "sent": 0}
def sender():
    try:
        while paste["sent"] < len(PASTE):
            paste["sent"] += st.send(PASTE[paste["sent"]:paste["sent"] + 65536])
        # a sender freed by the guest's end may have pushed the rest before
        # reading the daemon's abort; finishing, as a client does, reads it
        st.finish()
        paste["send"] = "done"
    except libvirt.libvirtError as e:
        paste["send"] = exc(e)
t = threading.Thread(target=sender, daemon=True)

def held():
    return paste["send"] == "sending" and t.is_alive()

# round trips on the other connection from the moment the paste starts,
# until HELD_RUN of them in a row saw the paste held at the same byte
t.start()
calls, run = 0, 0
end = time.monotonic() + DEADLINE_S
while run < HELD_RUN and held() and time.monotonic() < end:
    before = paste["sent"]
    b.getHostname()
    b.lookupByName("c1").state()
    calls += 1
    run = run + 1 if held() and paste["sent"] == before else 0
out("calls", calls)
out("held_run", run)
out("sent", paste["sent"])
out("paste_size", len(PASTE))
# what the other client's calls saw: still waiting, neither failed nor done
out("send_during", paste["send"])

# the guest goes away: the held paste ends with an error, the client is free
step("destroy", lambda: b.lookupByName("c1").destroy())
t.join(30)
out("send_after", paste["send"])
step("hostname_after", lambda: len(a.getHostname()) > 0)
EOF
py_rc=$rc
py_out=$out
[ "$py_rc" -eq 0 ] || diag "python exited with $py_rc; stderr:" "$err"
k() { kv "$1" "$py_out"; }

# 1
expect_eq "started paused" "[3, 1]" "$(k state)"
expect_eq "the paste waits for the guest" sending "$(k send_during)"
expect_eq "the other client's round trips in a row with the paste held" 100 "$(k held_run)"
sent=$(k sent)
[ -n "$sent" ] && [ "$sent" -lt "$(k paste_size)" ] || expect_fail "the paste was taken whole: $sent bytes"
diag "$(k calls) calls by the other client; the paste held at $sent of $(k paste_size) bytes"
verdict "a paste into a guest that does not read waits; other clients' calls are answered meanwhile"

# 2
expect_eq "destroy" 0 "$(k destroy)"
expect_match "the paste ends with the guest" "^EXC " "$(k send_after)"
diag "the paste ended with: $(k send_after)"
expect_eq "the console's connection works again" True "$(k hostname_after)"
expect_daemon_alive
verdict "the waiting paste ends when the guest goes away; its connection works again"

mv_done
