#!/bin/bash
# Keepalive (wire-protocol.md 2.1) with keepalive_interval = 1 and
# keepalive_count = 2: the daemon pings only clients that asked for it
# (feature 10), drops the silent ones after about interval x (count + 1)
# = 3 s, keeps those that answer or talk, and answers PINGs itself.  The
# scenarios run side by side so the script takes about 7 s.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_NEEDS="hostname"
MV_LOG_ALL=yes
mv_init 7
use_root root
write_config "$MV_ROOT" 'keepalive_interval = 1' 'keepalive_count = 2'
start_daemon

host_name=$(hostname)

# virsh itself, in interactive mode: its event loop answers the daemon's
# PINGs while it waits 4.5 s for its next command on stdin
{ echo hostname; sleep 4.5; echo hostname; } |
    isolated virsh -q -c "$MV_URI" >"$mv_tmp/virsh.out" 2>"$mv_tmp/virsh.err" &
virsh_pid=$!

py - "$MV_RW" <<'EOF'
import struct, sys, threading, time, mvrpc

path = sys.argv[1]
results = {}

def record(key, value):
    results[key] = value

def silent():
    """asks for keepalive, then never answers: must be dropped after ~3 s"""
    c = mvrpc.Conn(path).handshake(keepalive=True)
    t0 = time.monotonic()
    pings, other, bad = [], 0, []
    closed = None
    while time.monotonic() - t0 < 8:
        try:
            p = c.recv(timeout=8 - (time.monotonic() - t0))
        except mvrpc.Closed:
            closed = time.monotonic() - t0
            break
        except Exception:
            break
        if p.is_ping() and p.serial == 0 and p.body == b"":
            pings.append(round(time.monotonic() - t0, 1))
        else:
            bad.append(repr(p))
    record("silent_pings", len(pings))
    record("silent_ping_times", " ".join(str(t) for t in pings))
    record("silent_bad", "; ".join(bad))
    record("silent_closed", "never" if closed is None else "%.1f" % closed)

def answering():
    """asks for keepalive and answers each PING with a PONG: stays 6 s"""
    c = mvrpc.Conn(path).handshake(keepalive=True)
    t0 = time.monotonic()
    pings = 0
    try:
        while time.monotonic() - t0 < 6:
            try:
                p = c.recv(timeout=max(0.01, 6 - (time.monotonic() - t0)))
            except TimeoutError:
                break
            if p.is_ping():
                pings += 1
                c.send(mvrpc.KEEPALIVE_PROG, 1, mvrpc.PONG, mvrpc.MESSAGE, 0, mvrpc.OK)
        record("answering_hostname", c.hostname())
    except Exception as e:
        record("answering_hostname", "failed after %.1f s: %r" % (time.monotonic() - t0, e))
    record("answering_pings", pings)

def talking():
    """asks for keepalive, never answers PINGs, but calls every 0.4 s"""
    c = mvrpc.Conn(path).handshake(keepalive=True)
    t0 = time.monotonic()
    n = 0
    try:
        while time.monotonic() - t0 < 4:
            if c.hostname() == "":
                break
            n += 1
            time.sleep(0.4)
        record("talking", "%d calls" % n)
    except Exception as e:
        record("talking", "failed after %d calls, %.1f s: %r" % (n, time.monotonic() - t0, e))

def plain():
    """never asked for keepalive: never pinged, still connected after 4 s"""
    c = mvrpc.Conn(path).handshake(keepalive=False)
    got = []
    try:
        got.append(repr(c.recv(timeout=4)))
    except TimeoutError:
        pass
    except Exception as e:
        got.append(repr(e))
    record("plain_received", "; ".join(got))
    try:
        record("plain_hostname", c.hostname())
    except Exception as e:
        record("plain_hostname", repr(e))

def ping_first():
    """a PING from the client, even before AUTH_LIST, gets a PONG"""
    c = mvrpc.Conn(path)
    c.send(mvrpc.KEEPALIVE_PROG, 1, mvrpc.PING, mvrpc.MESSAGE, 0, mvrpc.OK)
    try:
        p = c.recv(timeout=2)
        record("pong", "%d %08x %d %d %d %d %d %d" % (p.length, p.prog, p.vers, p.proc, p.type,
                                                    p.serial, p.status, len(p.body)))
    except Exception as e:
        record("pong", repr(e))
    c.handshake()
    record("pong_then_hostname", c.hostname())

threads = [threading.Thread(target=f) for f in (silent, answering, talking, plain, ping_first)]
for t in threads:
    t.start()
for t in threads:
    t.join(15)
for k in sorted(results):
    print("%s=%s" % (k, results[k]))
EOF
wait "$virsh_pid"
virsh_rc=$?

# 1
expect_eq "PINGs before the drop" 2 "$(kv silent_pings)"
expect_eq "other packets" "" "$(kv silent_bad)"
verdict "a client that asked for keepalive gets well-formed PINGs (prog 0x6b656570 proc 1 MESSAGE serial 0, no body)"

# 2: libvirt's rule: a PING after interval s of silence, the drop count
# intervals later; CONNECT_OPEN was the client's last packet
set -- $(kv silent_ping_times)
t=$(kv silent_closed)
awk -v t="${1:-99}" 'BEGIN { exit !(t >= 0.8 && t <= 1.6) }' ||
    expect_fail "first PING after '${1:-none}' s, expected about 1 s"
awk -v t="${2:-99}" 'BEGIN { exit !(t >= 1.8 && t <= 2.6) }' ||
    expect_fail "second PING after '${2:-none}' s, expected about 2 s"
if [ "$t" = never ] || [ -z "$t" ] || ! awk -v t="$t" 'BEGIN { exit !(t >= 2.5 && t <= 3.7) }'; then
    expect_fail "disconnected after '$t' s, expected about 3 s (interval 1 x (count 2 + 1))"
fi
expect_match "daemon log" 'no answer to 2 keepalive probes; closing the connection' "$(cat "$MV_LOG")"
verdict "PINGs after 1 and 2 s of silence, disconnected after about 3 s (got: PINGs at $(kv silent_ping_times) s, closed at $t s)"

# 3
p=$(kv answering_pings)
[ "${p:-0}" -ge 2 ] || expect_fail "only '${p}' PINGs in 6 s"
expect_eq "hostname after 6 s" "$host_name" "$(kv answering_hostname)"
verdict "a client that answers PONG stays connected for 6 s ($p PINGs)"

# 4
expect_match "calls every 0.4 s for 4 s, never answering a PING" '^([5-9]|1[0-9]) calls$' "$(kv talking)"
verdict "a client busy with calls is not dropped although it never answers PINGs"

# 5
expect_eq "packets received in 4 s" "" "$(kv plain_received)"
expect_eq "hostname after 4 s" "$host_name" "$(kv plain_hostname)"
verdict "a client that never asked for keepalive is never pinged"

# 6
expect_eq "PONG (len prog vers proc type serial status bodylen)" "28 6b656570 1 2 2 0 0 0" "$(kv pong)"
expect_eq "hostname afterwards" "$host_name" "$(kv pong_then_hostname)"
verdict "a client's PING is answered with a PONG, even before AUTH_LIST"

# 7
expect_eq "virsh exit status" 0 "$virsh_rc"
expect_eq "hostname lines in virsh's output (two commands 4.5 s apart)" 2 "$(grep -cx "$host_name" "$mv_tmp/virsh.out")"
expect_eq "virsh stderr" "" "$(cat "$mv_tmp/virsh.err")"
expect_daemon_alive
verdict "virsh answers the daemon's PINGs: one connection idle 4.5 s stays open"

mv_done
