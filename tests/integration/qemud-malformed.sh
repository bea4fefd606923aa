#!/bin/bash
# What no libvirt client sends: broken frames, wrong programs, calls out of
# order, random packets, a burst of connections.  modvirt-qemud must drop
# what it cannot parse, answer what it can with libvirt's RPC errors, and
# keep serving everybody else.  Raw bytes come from mvrpc.py (struct, not
# the daemon's codec).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_NEEDS="hostname"
mv_init 17
start_daemon

host_name=$(hostname)

# after_check: the daemon lives and a fresh virsh still gets an answer
# The fresh virsh comes first: its calls are served only after the loop has
# handled what the previous connection left (a hangup, a bad frame), so the
# liveness check after it sees the outcome, where a sleep could only hope to.
after_check() {
    vsh hostname
    expect_eq "a fresh virsh hostname afterwards" "$host_name" "$out"
    expect_daemon_alive
}
# no_clients: until the daemon holds no client connection (up to 10 s)
no_clients() {
    local i
    for ((i = 0; i < 200; i++)); do
        [ "$(ss -xnpH state established 2>/dev/null | grep -c "pid=$MV_PID,")" -eq 0 ] && return 0
        sleep 0.05
    done
    expect_fail "the daemon still holds client connections after 10 s: $(ss -xnpH state established | grep "pid=$MV_PID,")"
}

# raw_closed DESCRIPTION PYTHON-EXPR: send the bytes of the expression on a
# fresh rw connection; the daemon must close it within 5 s
raw_closed() {
    py - "$MV_RW" "$2" <<'EOF'
import random, struct, sys, mvrpc
c = mvrpc.Conn(sys.argv[1])
data = eval(sys.argv[2])
c.send_raw(data)
t = c.wait_closed(5)
print("closed=%s" % ("yes" if t is not None else "no"))
EOF
    expect_eq "$1: connection closed by the daemon" "closed=yes" "$out"
    [ -z "$err" ] || expect_fail "python: $err"
}

# 1
py - "$MV_RW" <<'EOF'
import struct, sys, mvrpc
c = mvrpc.Conn(sys.argv[1])
# a 100-byte packet announced, 10 bytes sent, then hang up
c.send_raw(struct.pack(">I", 100) + b"\x20\x00\x80\x86" + b"\0" * 6)
c.close()
print("sent=yes")
EOF
expect_eq "python" "sent=yes" "$out"
after_check
verdict "a truncated frame, then hang-up: the daemon carries on"

# 2
raw_closed "length 0x02000005" 'struct.pack(">I", 0x02000005) + b"\0" * 24'
after_check
expect_match "daemon log" 'malformed packet: packet length exceeds the 32 MiB maximum' "$(cat "$MV_LOG")"
verdict "a length word over 32 MiB (0x02000005): connection closed, logged"

# 3
for len in 0 3 8 27; do
    raw_closed "length $len" "struct.pack('>I', $len) + b'\\0' * 24"
done
after_check
verdict "length words 0, 3, 8 and 27 (smaller than a header): connection closed"

# 4: 4 KiB of seeded noise whose first word is no valid length
raw_closed "4 KiB of random bytes" '(lambda r: next(b for b in (bytes(r.getrandbits(8) for _ in range(4096)) for _ in range(100)) if not 28 <= struct.unpack(">I", b[:4])[0] <= 0x02000004))(random.Random(4096))'
after_check
verdict "4 KiB of random bytes: connection closed"

# 5: the largest legal packet is read whole and answered
py - "$MV_RW" <<'EOF'
import struct, sys, mvrpc
c = mvrpc.Conn(sys.argv[1], timeout=30).handshake()
total = 0x02000004                          # 4 + 24 + 33554408
serial = 1000
c.send_raw(struct.pack(">I", total) +
           mvrpc.HEADER.pack(mvrpc.REMOTE_PROG, 1, mvrpc.PROC_CONNECT_GET_HOSTNAME, 0, serial, 0) +
           b"\0" * (total - 28))
p = c.reply_to(serial, timeout=30)
e = p.error() if p.status == mvrpc.ERROR else {}
print("status=%d" % p.status)
print("code=%s" % e.get("code"))
print("message=%s" % e.get("message"))
print("hostname=%s" % c.hostname())
EOF
expect_eq "reply status (error: void args with 32 MiB of trailing bytes)" 1 "$(kv status)"
expect_eq "error code (VIR_ERR_RPC)" 39 "$(kv code)"
expect_match "error message" '^cannot decode the arguments' "$(kv message)"
expect_eq "hostname on the same connection" "$host_name" "$(kv hostname)"
[ -z "$err" ] || expect_fail "python: $err"
after_check
verdict "a packet of exactly 32 MiB + 4 is read and answered; the connection stays"

# 6
py - "$MV_RW" <<'EOF'
import struct, sys, mvrpc
c = mvrpc.Conn(sys.argv[1])
for prog, vers, serial in ((0x11223344, 1, 7), (mvrpc.REMOTE_PROG, 2, 8)):
    c.send(prog, vers, mvrpc.PROC_AUTH_LIST, mvrpc.CALL, serial, mvrpc.OK)
    p = c.recv()
    e = p.error() if p.status == mvrpc.ERROR else {}
    print("reply%d=%08x %d %d %d %d %d" % (serial, p.prog, p.vers, p.proc, p.type, p.serial, p.status))
    print("error%d=%s %s %s %s" % (serial, e.get("code"), e.get("domain"), e.get("level"), e.get("message")))
c.serial = 9
p = c.call(mvrpc.PROC_AUTH_LIST)
print("auth_list=%d %s" % (p.status, p.body.hex()))
EOF
expect_eq "reply header (prog vers proc type serial status)" "11223344 1 66 1 7 1" "$(kv reply7)"
expect_match "error (code domain level message)" '^39 7 2 Cannot find program' "$(kv error7)"
expect_eq "reply header, REMOTE version 2" "20008086 2 66 1 8 1" "$(kv reply8)"
expect_match "error, REMOTE version 2" '^39 7 2 Cannot find program .* version 2$' "$(kv error8)"
expect_eq "AUTH_LIST afterwards (status, body: 1 type, none)" "0 0000000100000000" "$(kv auth_list)"
[ -z "$err" ] || expect_fail "python: $err"
verdict "wrong program or version: 'Cannot find program' error, then AUTH_LIST works"

# 7
py - "$MV_RW" <<'EOF'
import sys, mvrpc
c = mvrpc.Conn(sys.argv[1]).handshake()
p = c.call(9999)
e = p.error() if p.status == mvrpc.ERROR else {}
print("unknown=%d %d %s %s %s %s" % (p.type, p.status, e.get("code"), e.get("domain"), e.get("level"), e.get("message")))
print("hostname=%s" % c.hostname())
EOF
expect_eq "reply to procedure 9999 (type status code domain level message)" \
    "1 1 39 7 2 unknown procedure: 9999" "$(kv unknown)"
expect_eq "hostname on the same connection" "$host_name" "$(kv hostname)"
[ -z "$err" ] || expect_fail "python: $err"
verdict "unknown procedure 9999: RPC error 39 'unknown procedure', connection stays usable"

# 8: the rw socket's default auth is polkit; root is let in at AUTH_LIST
py - "$MV_RW" <<'EOF'
import sys, mvrpc
c = mvrpc.Conn(sys.argv[1])
p = c.call(mvrpc.PROC_CONNECT_GET_HOSTNAME)
e = p.error() if p.status == mvrpc.ERROR else {}
print("before_auth=%d %s %s %s" % (p.status, e.get("code"), e.get("domain"), e.get("message")))
p = c.call(mvrpc.PROC_CONNECT_OPEN, mvrpc.xdr_opt_string("qemu:///system") + b"\0\0\0\0")
print("open_before_auth=%d %s" % (p.status, p.error().get("message") if p.status else ""))
c.handshake()
print("hostname=%s" % c.hostname())
EOF
expect_eq "CONNECT_GET_HOSTNAME before AUTH_LIST (status code domain message)" \
    "1 39 7 authentication required" "$(kv before_auth)"
expect_eq "CONNECT_OPEN before AUTH_LIST" "1 authentication required" "$(kv open_before_auth)"
expect_eq "hostname after AUTH_LIST and CONNECT_OPEN" "$host_name" "$(kv hostname)"
[ -z "$err" ] || expect_fail "python: $err"
verdict "a call before AUTH_LIST on the rw socket: 'authentication required', then the handshake works"

# 9
py - "$MV_RW" <<'EOF'
import struct, sys, mvrpc
c = mvrpc.Conn(sys.argv[1]).handshake(open_uri=None)
p = c.call(mvrpc.PROC_CONNECT_GET_HOSTNAME)
print("before_open=%d %s" % (p.status, p.error().get("message") if p.status else p.string()))
p = c.call(mvrpc.PROC_CONNECT_OPEN, mvrpc.xdr_opt_string("xen:///system") + b"\0\0\0\0")
e = p.error() if p.status else {}
print("wrong_uri=%d %s %s" % (p.status, e.get("code"), e.get("message")))
p = c.call(mvrpc.PROC_CONNECT_OPEN, mvrpc.xdr_opt_string("qemu:///system") + b"\0\0\0\0")
print("open=%d" % p.status)
p = c.call(mvrpc.PROC_CONNECT_OPEN, mvrpc.xdr_opt_string("qemu:///system") + b"\0\0\0\0")
print("second_open=%d %s" % (p.status, p.error().get("message") if p.status else ""))
print("hostname=%s" % c.hostname())
EOF
expect_match "CONNECT_GET_HOSTNAME before CONNECT_OPEN" '^1 .*not open' "$(kv before_open)"
expect_match "CONNECT_OPEN xen:///system (VIR_ERR_NO_CONNECT)" "^1 5 no connection driver available for URI 'xen:///system'" "$(kv wrong_uri)"
expect_eq "CONNECT_OPEN qemu:///system" 0 "$(kv open)"
expect_match "a second CONNECT_OPEN" '^1 .*already open' "$(kv second_open)"
expect_eq "hostname" "$host_name" "$(kv hostname)"
[ -z "$err" ] || expect_fail "python: $err"
verdict "CONNECT_OPEN order: calls before it, a foreign URI and a second open are refused"

# 10
py - "$MV_RW" <<'EOF'
import struct, sys, mvrpc
c = mvrpc.Conn(sys.argv[1]).handshake()
# a CALL with status ERROR is answered with an error
c.send(mvrpc.REMOTE_PROG, 1, mvrpc.PROC_CONNECT_GET_HOSTNAME, mvrpc.CALL, 500, mvrpc.ERROR)
p = c.reply_to(500)
print("bad_status=%d %s" % (p.status, p.error().get("message") if p.status else ""))
# REPLY, MESSAGE and STREAM packets from a client get no answer at all
for typ in (mvrpc.REPLY, mvrpc.MESSAGE, mvrpc.STREAM):
    c.send(mvrpc.REMOTE_PROG, 1, mvrpc.PROC_CONNECT_GET_HOSTNAME, typ, 600 + typ, mvrpc.OK)
# arguments that do not decode: SUPPORTS_FEATURE without its int, OPEN cut short
c.send(mvrpc.REMOTE_PROG, 1, mvrpc.PROC_CONNECT_SUPPORTS_FEATURE, mvrpc.CALL, 700, mvrpc.OK)
c.send(mvrpc.REMOTE_PROG, 1, mvrpc.PROC_CONNECT_OPEN, mvrpc.CALL, 701, mvrpc.OK, struct.pack(">II", 1, 50))
c.serial = 702
s = c.call_async(mvrpc.PROC_CONNECT_GET_HOSTNAME)
got = []
while True:
    p = c.recv()
    got.append("%d:%d" % (p.serial, p.status))
    if p.serial == s:
        break
print("replies=%s" % " ".join(got))
print("last=%s" % p.string())
EOF
expect_match "a CALL with status ERROR" '^1 Unexpected message status 1$' "$(kv bad_status)"
expect_eq "replies in order (serial:status) after 3 non-CALL packets, 2 undecodable calls, hostname" \
    "700:1 701:1 702:0" "$(kv replies)"
expect_eq "hostname" "$host_name" "$(kv last)"
[ -z "$err" ] || expect_fail "python: $err"
verdict "bad status, non-CALL packets and undecodable arguments: errors or silence, never a hang-up"

# 11: the ro socket needs no AUTH_LIST call: its auth is none
py - "$MV_RO" <<'EOF'
import sys, mvrpc
c = mvrpc.Conn(sys.argv[1])
p = c.call(mvrpc.PROC_CONNECT_GET_HOSTNAME)
print("before_open=%d %s" % (p.status, p.error().get("message") if p.status else ""))
c.handshake()
print("hostname=%s" % c.hostname())
p = c.call(11, mvrpc.xdr_string("<domain/>"))
print("define=%d %s" % (p.status, p.error().get("message") if p.status else ""))
EOF
expect_match "a call on the ro socket before CONNECT_OPEN" '^1 .*not open' "$(kv before_open)"
expect_eq "hostname" "$host_name" "$(kv hostname)"
expect_eq "DOMAIN_DEFINE_XML on ro" "1 operation forbidden: read only access prevents virDomainDefineXML" "$(kv define)"
[ -z "$err" ] || expect_fail "python: $err"
verdict "ro socket at the wire level: no auth step, read-only refusal"

# 12: seeded random calls, each answered exactly once, in any case
py - "$MV_RW" <<'EOF'
import random, struct, sys, mvrpc
r = random.Random(20261122)
# CONNECT_CLOSE (2) is left out: it ends the connection by design
SERVED = (1, 3, 4, 5, 6, 7, 11, 21, 23, 25, 37, 51, 59, 60, 66, 70, 101, 102, 110, 122,
          149, 157, 203, 227, 228, 273, 360, 361, 419)
answered = sent = 0
problems = []
for n in range(10):
    c = mvrpc.Conn(sys.argv[1], timeout=15).handshake()
    c.serial = 100
    for i in range(30):
        # half of them aimed at procedures the daemon has, to reach their decoders
        proc = r.choice(SERVED if r.random() < 0.5 else range(3, 460))
        body = bytes(r.getrandbits(8) for _ in range(r.choice((0, 4, 8, 12, 20, 64, 200))))
        s = c.call_async(proc, body)
        sent += 1
        try:
            p = c.reply_to(s)
            if p.proc == proc and p.type == mvrpc.REPLY:
                answered += 1
            else:
                problems.append("proc %d: %r" % (proc, p))
        except Exception as e:
            problems.append("proc %d body %s: %r" % (proc, body.hex(), e))
            break
    c.hostname()
    c.close()
print("fuzz=%d of %d answered" % (answered, sent))
print("problems=%s" % "; ".join(problems[:3]))
EOF
expect_eq "random calls" "300 of 300 answered" "$(kv fuzz)"
expect_eq "problems" "" "$(kv problems)"
[ -z "$err" ] || expect_fail "python: $err"
after_check
verdict "300 seeded random calls on 10 connections are each answered"

# 13: seeded random frames of legal length: whatever happens, the daemon lives
py - "$MV_RW" <<'EOF'
import random, struct, sys, mvrpc
r = random.Random(1122)
for n in range(40):
    c = mvrpc.Conn(sys.argv[1], timeout=5)
    body = bytes(r.getrandbits(8) for _ in range(r.randrange(24, 300)))
    c.send_raw(struct.pack(">I", len(body) + 4) + body + bytes(r.getrandbits(8) for _ in range(r.randrange(0, 64))))
    c.wait_closed(0.05)
    c.close()
print("frames=40")
EOF
expect_eq "python" "frames=40" "$out"
after_check
verdict "40 random frames of legal length: the daemon keeps serving"

# 14-15: a burst of 100 connections
vsh hostname
no_clients              # virsh's connection closed on the daemon's side too
base=$(fd_count "$MV_PID")
py - "$MV_RW" "$MV_PID" <<'EOF'
import os, sys, mvrpc
conns = [mvrpc.Conn(sys.argv[1]) for _ in range(100)]
for c in conns:
    c.call_async(mvrpc.PROC_AUTH_LIST)
ok = sum(1 for c in conns if c.recv().status == 0)
print("auth_list_ok=%d" % ok)
print("fds_open=%d" % len(os.listdir("/proc/%s/fd" % sys.argv[2])))
for c in conns:
    c.close()
EOF
expect_eq "AUTH_LIST answered on all 100" 100 "$(kv auth_list_ok)"
fds_open=$(kv fds_open)
[ "${fds_open:-0}" -ge $((base + 100)) ] || expect_fail "fds while connected: ${fds_open:-none}, baseline $base"
[ -z "$err" ] || expect_fail "python: $err"
verdict "100 connections at once are all accepted and answered"

for _ in $(seq 100); do [ "$(fd_count "$MV_PID")" -le "$base" ] && break; sleep 0.05; done
expect_eq "daemon fd count after they closed (baseline)" "$base" "$(fd_count "$MV_PID")"
after_check
verdict "after they close the daemon's fd count is back to $base"

# 16
grep -E ': (error|critical):' "$MV_LOG" >"$mv_tmp/errors" && expect_fail "errors logged: $(head -n 5 "$mv_tmp/errors")"
n=$(grep -c 'malformed packet' "$MV_LOG")
[ "$n" -ge 6 ] || expect_fail "only $n 'malformed packet' warnings for at least 6 broken connections"
verdict "each dropped connection is logged as a warning, nothing as an error ($n warnings)"

# 17
expect_daemon_alive
vsh list --all
expect_eq "virsh list --all" 0 "$rc"
verdict "the daemon is still running and serving at the end"

mv_done
