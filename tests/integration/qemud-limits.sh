#!/bin/bash
# What any local user can do to modvirt-qemud through its sockets must cost
# it bounded memory and never lock the administrator out:
#  - event registrations per connection are capped, and a client that
#    registers and never reads is dropped once its unread events overflow;
#  - before authentication a packet may be at most 64 KiB; partial packets
#    share a memory budget, and a packet must arrive whole within
#    packet_timeout or the connection is dropped;
#  - at max_clients new connections wait in the listen backlog, and
#    rw_client_reserve slots are kept for the read-write socket.
# The daemon's RSS is read from /proc (VmRSS now, VmHWM for the peak).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

mv_init 8
use_root root
write_config "$MV_ROOT" "max_clients = 30" "rw_client_reserve = 2" "packet_timeout = 2"
start_daemon

rss_kib() { sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }

cat >"$mv_tmp/dom.xml" <<'EOF'
<domain type='qemu'>
  <name>mvinteg-limits</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
</domain>
EOF
# 120 define/undefine pairs in one virsh: 240 lifecycle events
cmds=
for _ in $(seq 120); do cmds+="define $mv_tmp/dom.xml; undefine mvinteg-limits; "; done

# 1-3: a read-only client registers 256 times, then stops reading while
# events fire.  The client is a background python that reports over files.
vsh hostname
rss0=$(rss_kib "$MV_PID" VmRSS)
MV_CLIENT_TIMEOUT=120 isolated env PYTHONPATH="$MV_HELPERS" PYTHONDONTWRITEBYTECODE=1 "$MV_PY" - \
    "$MV_RO" "$mv_tmp/ev" >"$mv_tmp/ev.out" 2>"$mv_tmp/ev.err" <<'EOF' &
import os, struct, sys, time, mvrpc
c = mvrpc.Conn(sys.argv[1], timeout=30).handshake()
ok = 0
for i in range(257):
    p = c.call(316, struct.pack(">iI", 0, 0))       # REGISTER_ANY lifecycle, any domain
    if p.status == mvrpc.OK:
        ok += 1
    else:
        e = p.error()
        last = "%d %s" % (e["code"], e["message"])
# written whole, then renamed: the shell waits for the name
with open(sys.argv[2] + ".reg.tmp", "w") as f:
    f.write("registered=%d\nrefused=%s\n" % (ok, last if ok < 257 else "none"))
os.rename(sys.argv[2] + ".reg.tmp", sys.argv[2] + ".reg")
# now stop reading until told to look
while not os.path.exists(sys.argv[2] + ".go"):
    time.sleep(0.05)
t = c.wait_closed(20)
with open(sys.argv[2] + ".end", "w") as f:
    f.write("closed=%s\n" % ("yes" if t is not None else "no"))
EOF
evpid=$!
for _ in $(seq 1200); do [ -f "$mv_tmp/ev.reg" ] && break; sleep 0.05; done
reg=$(cat "$mv_tmp/ev.reg" 2>/dev/null)
expect_eq "registrations accepted" 256 "$(kv registered "$reg")"
expect_match "the 257th" "^9 operation failed: this connection already has 256 domain event registrations" \
    "$(kv refused "$reg")"
verdict "event registrations per connection are capped at 256 with a clear error"

MV_CLIENT_TIMEOUT=120 run isolated virsh -c "$MV_URI" "$cmds"
expect_eq "virsh define/undefine x120" 0 "$rc"
rss1=$(rss_kib "$MV_PID" VmRSS)
touch "$mv_tmp/ev.go"
for _ in $(seq 600); do [ -f "$mv_tmp/ev.end" ] && break; sleep 0.05; done
wait $evpid
expect_eq "the non-reading client" "closed=yes" "$(cat "$mv_tmp/ev.end" 2>/dev/null)"
[ -s "$mv_tmp/ev.err" ] && expect_fail "python: $(cat "$mv_tmp/ev.err")"
expect_match "daemon log" 'bytes of events unread \(limit 1048576\); closing the connection' "$(cat "$MV_LOG")"
diag "RSS before ${rss0} KiB, after 240 events x 256 registrations unread ${rss1} KiB"
# 240 x 256 events: the old code, encoding each into its own 4 KiB buffer, grew
# by 260 MB here; the bound is the 1 MiB event backlog plus what is in flight
[ $((rss1 - rss0)) -lt 16384 ] || expect_fail "RSS grew by $((rss1 - rss0)) KiB"
verdict "a client that never reads its events is dropped with a logged reason; RSS +$((rss1 - rss0)) KiB"

vsh hostname
expect_eq "virsh afterwards" 0 "$rc"
expect_daemon_alive
verdict "the daemon serves others afterwards"

# 4: unauthenticated peers announcing 32 MiB packets are cut at the length word
py - "$MV_RW" "$MV_RO" <<'EOF'
import struct, sys, mvrpc
closed = 0
for path in (sys.argv[1], sys.argv[2]) * 10:
    c = mvrpc.Conn(path)
    c.send_raw(struct.pack(">I", 0x02000004) + b"\0" * 60000)
    if c.wait_closed(5) is not None:
        closed += 1
    c.close()
print("closed=%d" % closed)
EOF
expect_eq "connections closed before authentication" 20 "$(kv closed)"
expect_match "daemon log" 'exceeds the 64 KiB allowed before authentication' "$(cat "$MV_LOG")"
[ -z "$err" ] || expect_fail "python: $err"
verdict "before authentication a packet over 64 KiB closes the connection"

# 5-6: 20 opened connections each send 16 MiB of a 32 MiB packet and stall
rss0=$(rss_kib "$MV_PID" VmRSS)
py - "$MV_RO" "$MV_PID" <<'EOF'
import socket, struct, sys, time, mvrpc
conns = [mvrpc.Conn(sys.argv[1], timeout=30).handshake() for _ in range(20)]
chunk = b"\0" * (1 << 20)
sent = []
t0 = time.monotonic()
for c in conns:
    c.sock.settimeout(0.5)      # the daemon may stop reading: count what it took
    n = 0
    try:
        c.sock.sendall(struct.pack(">I", 0x02000004))
        for _ in range(16):
            c.sock.sendall(chunk)
            n += len(chunk)
    except (socket.timeout, OSError):
        pass
    sent.append(n)
hwm = [l.split()[1] for l in open("/proc/%s/status" % sys.argv[2]) if l.startswith("VmHWM")][0]
closed = sum(1 for c in conns if c.wait_closed(15) is not None)
print("sent_mib=%d" % (sum(sent) >> 20))
print("hwm=%s" % hwm)
print("closed=%d" % closed)
print("secs=%.1f" % (time.monotonic() - t0))
EOF
hwm=$(kv hwm)
diag "20 stalled 32 MiB packets: $(kv sent_mib) MiB sent; daemon RSS ${rss0} KiB before, peak ${hwm:-?} KiB; dropped after $(kv secs) s"
expect_eq "stalled connections dropped" 20 "$(kv closed)"
[ -n "$hwm" ] && [ $((hwm - rss0)) -lt $((80 * 1024)) ] || expect_fail "peak RSS ${hwm:-?} KiB, ${rss0} KiB before"
[ -z "$err" ] || expect_fail "python: $err"
verdict "20 connections stalling mid-packet: peak RSS +$(( ${hwm:-0} - rss0 )) KiB, all dropped"
expect_match "daemon log" 'a packet is still incomplete after 2 s' "$(cat "$MV_LOG")"
vsh hostname
expect_eq "virsh afterwards" 0 "$rc"
verdict "each stalled connection is logged; the daemon serves others"

# 7-8: 28 read-only clients fill what is not kept for rw (30 - 2); the 29th
# waits in the backlog, root's virsh still gets in; when one leaves the
# 29th is served
py - "$MV_RO" "$MV_URI" <<'EOF'
import subprocess, sys, mvrpc
conns = [mvrpc.Conn(sys.argv[1]).handshake() for _ in range(28)]
late = mvrpc.Conn(sys.argv[1])
s = late.call_async(mvrpc.PROC_AUTH_LIST)
# an accepted connection is answered within milliseconds: 1 s bounds the
# wait for an answer that must not come
try:
    late.recv(timeout=1)
    print("late_before=answered")
except mvrpc.socket.timeout:
    print("late_before=waiting")
except mvrpc.Closed:
    print("late_before=reset")
r = subprocess.run(["virsh", "-c", sys.argv[2], "hostname"], capture_output=True, text=True, timeout=30)
print("virsh=%d %s" % (r.returncode, r.stderr.strip()))
conns.pop().close()
try:
    p = late.reply_to(s, timeout=10)
    print("late_after=%d" % p.status)
except Exception as e:
    print("late_after=%r" % e)
EOF
expect_eq "a 29th read-only connection while 28 are open" waiting "$(kv late_before)"
expect_match "root's virsh hostname on the rw socket" "^0" "$(kv virsh)"
[ -z "$err" ] || expect_fail "python: $err"
verdict "28 read-only clients: the 29th waits (not reset), virsh on the rw socket gets in"
expect_eq "the waiting connection once a read-only client left" 0 "$(kv late_after)"
expect_match "daemon log" 'new read-only connections wait' "$(cat "$MV_LOG")"
verdict "when a read-only client leaves, the waiting one is served"

mv_done
