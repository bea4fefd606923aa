#!/bin/bash
# modvirt-qemud's life as a process: options, configuration errors, signals,
# idle exit, a second instance on the same root, stale sockets.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_NEEDS="hostname"
mv_init 14

host_name=$(hostname)
pkg_version=$(sed -n 's/^#define PACKAGE_VERSION "\(.*\)"$/\1/p' "$top_builddir/config.h")
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
sockets_gone() { [ ! -e "$MV_RW" ] && [ ! -e "$MV_RO" ]; }

# run_daemon_fg ARGS...: the daemon in the foreground (bounded), for
# options and configurations that must make it exit at once
run_daemon_fg() { run timeout -k 2 10 env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$mv_tmp/no-such-bus" "$MV_DAEMON" "$@"; }

# 1
run_daemon_fg --help
expect_eq "exit status" 0 "$rc"
expect_match "stdout" '^Usage: .*modvirt-qemud' "$out"
expect_match "stdout" '--root DIR' "$out"
expect_match "stdout" '--timeout SECS' "$out"
verdict "--help prints the usage and exits 0"

# 2
run_daemon_fg --version
expect_eq "exit status" 0 "$rc"
expect_eq "stdout" "modvirt-qemud $pkg_version" "$out"
verdict "--version prints 'modvirt-qemud $pkg_version' and exits 0"

# 3
use_root bad-usage
run_daemon_fg --root "$MV_ROOT" --timeout x
expect_eq "--timeout x: exit status" 2 "$rc"
expect_match "--timeout x: stderr" "--timeout: 'x' is not a number" "$err"
run_daemon_fg --root "$MV_ROOT" --no-such-option
expect_eq "--no-such-option: exit status" 2 "$rc"
run_daemon_fg --root relative/dir
expect_eq "--root relative/dir: exit status" 2 "$rc"
expect_match "--root relative/dir: stderr" "absolute" "$err"
sockets_gone || expect_fail "sockets were created: $(ls -l "$MV_ROOT/run/modvirt" 2>&1)"
verdict "bad usage (--timeout x, unknown option, relative --root) exits 2"

# 4
use_root bad-config
write_config "$MV_ROOT" 'keepalive_interval = 5' 'bogus_key = 1'
run_daemon_fg --root "$MV_ROOT"
[ "$rc" -ne 0 ] || expect_fail "unknown key: exit status 0"
[ "$rc" -ne 124 ] || expect_fail "unknown key: the daemon did not exit within 10 s"
expect_match "unknown key: stderr" "modvirt-qemud\\.conf:2: unknown setting 'bogus_key'" "$err"
write_config "$MV_ROOT" 'auth_unix_rw = "sasl"'
run_daemon_fg --root "$MV_ROOT"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || expect_fail "bad auth_unix_rw: exit status $rc"
expect_match "bad auth_unix_rw: stderr" "auth_unix_rw: unknown method 'sasl'" "$err"
run_daemon_fg --root "$MV_ROOT" --config "$mv_tmp/no-such.conf"
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || expect_fail "missing --config file: exit status $rc"
expect_match "missing --config file: stderr" "cannot load configuration '$mv_tmp/no-such.conf'" "$err"
sockets_gone || expect_fail "sockets were created: $(ls -l "$MV_ROOT/run/modvirt" 2>&1)"
verdict "configuration errors stop startup and name the key (unknown key, bad value, missing file)"

# 5: SIGTERM with a client connected
use_root term
start_daemon
py - "$MV_RW" <<'EOF' &
import sys, time, mvrpc
c = mvrpc.Conn(sys.argv[1]).handshake()
print("hostname=" + c.hostname(), flush=True)
t = c.wait_closed(20)
print("closed_after=%s" % (t is not None))
EOF
holder=$!
for _ in $(seq 600); do grep -q "^hostname=" "$mv_tmp/run.out" 2>/dev/null && break; sleep 0.05; done
grep -q "^hostname=" "$mv_tmp/run.out" || expect_fail "the client did not connect within 30 s"
# the client would stay 20 s: exiting within 15 s is not waiting for it
kill -TERM "$MV_PID"
if wait_exit "$MV_PID" 15; then
    expect_eq "exit status after SIGTERM" 0 "$wait_status"
else
    expect_fail "still running 15 s after SIGTERM"
fi
wait "$holder"
expect_match "client" '^closed_after=True$' "$(cat "$mv_tmp/run.out")"
sockets_gone || expect_fail "sockets left behind: $(ls -l "$MV_ROOT/run/modvirt" 2>&1)"
verdict "SIGTERM: exit 0 at once, clients disconnected, sockets removed"

# 6: idle exit with no client at all: not before 2 s after the spawn (the
# timer starts after that); how much later is up to a loaded machine, so
# only a generous deadline for that
use_root idle
t0=$(now_ms)
start_daemon --timeout 2
if wait_exit "$MV_PID" 30; then
    dt=$(( $(now_ms) - t0 ))
    expect_eq "exit status" 0 "$wait_status"
    [ $dt -ge 1950 ] || expect_fail "exited after $dt ms, before the 2 s timeout"
    expect_match "log" 'idle for 2 s' "$(cat "$MV_LOG")"
else
    expect_fail "still running 30 s after start with --timeout 2"
fi
sockets_gone || expect_fail "sockets left behind: $(ls -l "$MV_ROOT/run/modvirt" 2>&1)"
verdict "--timeout 2 and no client: exits 0 once idle for 2 s, sockets removed"

# 7: a connected client keeps it alive; the countdown starts at disconnect.
# The client is up and retrying before the daemon starts, so it is
# connected long before a 2 s idle countdown could end, however loaded the
# machine.  Its answer after 4 s shows the daemon stayed; it notes the time
# it hung up (same clock as now_ms).
use_root idle-client
py - "$MV_RW" "$mv_tmp/idle-client.waiting" <<'EOF' &
import sys, time, mvrpc
open(sys.argv[2], "w").close()
end = time.monotonic() + 60
while True:
    try:
        c = mvrpc.Conn(sys.argv[1])
        break
    except (FileNotFoundError, ConnectionRefusedError):
        if time.monotonic() > end:
            raise
        time.sleep(0.01)
c.handshake()
time.sleep(4)
print("hostname=" + c.hostname())
print("closed_ms=%d" % (time.time() * 1000), flush=True)
c.close()
EOF
holder=$!
for _ in $(seq 600); do [ -f "$mv_tmp/idle-client.waiting" ] && break; sleep 0.05; done
start_daemon --timeout 2
wait "$holder"
client_out=$(cat "$mv_tmp/run.out")
expect_eq "client after 4 s" "hostname=$host_name" "$(printf '%s\n' "$client_out" | grep '^hostname=')"
[ -s "$mv_tmp/run.err" ] && expect_fail "client: $(cat "$mv_tmp/run.err")"
if wait_exit "$MV_PID" 30; then
    dt=$(( $(now_ms) - $(kv closed_ms "$client_out") ))
    expect_eq "exit status" 0 "$wait_status"
    [ $dt -ge 1950 ] || expect_fail "exited $dt ms after the disconnect, before the 2 s timeout"
else
    expect_fail "still running 30 s after the last client left"
fi
verdict "--timeout 2: alive while a client stays 4 s, exits once idle for 2 s after it leaves"

# 8-9: a second daemon on the same root
use_root shared
start_daemon
first_pid=$MV_PID
first_log=$MV_LOG
MV_LOG=$mv_tmp/shared-second.log
spawn_daemon "$MV_ROOT" "$MV_LOG"
second_pid=$spawned_pid
if wait_exit "$second_pid" 10; then
    [ "$wait_status" -ne 0 ] || expect_fail "the second daemon exited 0"
    expect_match "second daemon's log" "'$MV_RW' is in use: is another modvirt-qemud running\\?" "$(cat "$MV_LOG")"
else
    expect_fail "the second daemon is still running after 10 s"
fi
verdict "a second daemon on the same --root refuses to start: socket in use"
MV_LOG=$first_log
MV_PID=$first_pid
mv_log_mark
vsh hostname
expect_eq "first daemon's hostname" "$host_name" "$out"
[ -S "$MV_RW" ] && [ -S "$MV_RO" ] || expect_fail "the first daemon's sockets were removed"
expect_daemon_alive
verdict "the first daemon keeps its sockets and keeps serving"

# 10: SIGKILL leaves the socket files; the next start replaces them
kill -KILL "$MV_PID"
wait_exit "$MV_PID" 5
[ -S "$MV_RW" ] && [ -S "$MV_RO" ] || expect_fail "precondition: SIGKILL left no socket files"
: >"$MV_LOG"
if try_start_daemon; then
    vsh hostname
    expect_eq "hostname from the restarted daemon" "$host_name" "$out"
    run isolated virsh -r -c "$MV_URI_RO" hostname
    expect_eq "hostname on ro from the restarted daemon" "$host_name" "$out"
else
    expect_fail "the restarted daemon did not come up"
fi
verdict "stale sockets of a SIGKILLed daemon are replaced on restart"

# 11: nothing to reload yet, but SIGHUP must not be fatal
kill -HUP "$MV_PID"
# the daemon says when it has handled it (bounded wait, not a sleep)
for _ in $(seq 200); do grep -q "received SIGHUP: nothing to reload" "$MV_LOG" && break; sleep 0.05; done
grep -q "received SIGHUP: nothing to reload" "$MV_LOG" || expect_fail "no 'received SIGHUP' in the log within 10 s"
expect_daemon_alive
vsh hostname
expect_eq "virsh hostname after SIGHUP" "$host_name" "$out"
[ -z "$err" ] || expect_fail "virsh stderr: $err"
[ -S "$MV_RW" ] || expect_fail "the rw socket is gone"
verdict "SIGHUP does not stop the daemon"

# 12
use_root sigint
start_daemon
kill -INT "$MV_PID"
if wait_exit "$MV_PID" 5; then
    expect_eq "exit status after SIGINT" 0 "$wait_status"
else
    expect_fail "still running 5 s after SIGINT"
fi
sockets_gone || expect_fail "sockets left behind: $(ls -l "$MV_ROOT/run/modvirt" 2>&1)"
verdict "SIGINT: exit 0, sockets removed"

# 13: log_outputs without --verbose
use_root logfile
write_config "$MV_ROOT" "log_outputs = \"file:$mv_tmp/logfile.out\"" 'log_level = 2'
MV_VERBOSE=no start_daemon
vsh hostname
expect_eq "hostname" "$host_name" "$out"
expect_match "log file" 'info: daemon: modvirt-qemud [^ ]+ ready' "$(cat "$mv_tmp/logfile.out" 2>&1)"
expect_eq "daemon stderr" "" "$(cat "$MV_LOG")"
stop_pid "$MV_PID" 5
expect_eq "exit status after SIGTERM" 0 "$stop_status"
verdict "log_outputs = \"file:PATH\" sends the log to PATH"

# 14: the sockets' permissions follow the configuration
use_root perms
write_config "$MV_ROOT" 'unix_sock_rw_perms = "0600"' 'unix_sock_ro_perms = "0644"'
start_daemon
expect_eq "rw socket mode" 600 "$(stat -c %a "$MV_RW")"
expect_eq "ro socket mode" 644 "$(stat -c %a "$MV_RO")"
stop_pid "$MV_PID" 5
expect_eq "exit status after SIGTERM" 0 "$stop_status"
verdict "unix_sock_rw_perms / unix_sock_ro_perms set the socket modes"

mv_done
