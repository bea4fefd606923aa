#!/bin/bash
# A hung QEMU (SIGSTOP) holds up only calls that need it: with
# monitor_timeout = 15 and job_wait_timeout = 2, a suspend of the stopped
# guest fails with a timeout, a second call on it gives up waiting for the
# job, and meanwhile another guest and every query answer.  After SIGCONT
# the late reply is dropped and the monitor works again; a stopped QEMU is
# still destroyed (SIGKILL after destroy_grace_period = 1).
#
# "Meanwhile" is asserted by order, not by a clock: those calls (and the
# second call's give-up) must all be answered while the suspend still
# waits for the hung QEMU, which it does for monitor_timeout, long enough
# for a loaded machine.  Timeouts are checked as lower bounds (never
# early); upper bounds are deadlines for liveness.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64"
BOOT_S=90
PLAN=9
MONITOR_S=15
MV_CLIENT_TIMEOUT=$((MONITOR_S + 60))
timings=
guest_test_init $PLAN
write_config "$MV_ROOT" "monitor_timeout = $MONITOR_S" "job_wait_timeout = 2" "destroy_grace_period = 1"
start_daemon

rundir=$MV_ROOT/run/modvirt/qemu
now_ms() { echo $(($(date +%s%N) / 1000000)); }
state() { guest_state "$1"; }
wait_state() { guest_wait_state "$@"; }
qemu_pid() { sed -n 's/.*<domstatus[^>]* pid="\([0-9]*\)".*/\1/p' "$rundir/$1.xml" 2>/dev/null | head -n 1; }
proc_state() { sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null; }
# stop_qemu PID: SIGSTOP, and wait (up to 30 s) until it took effect
stop_qemu() {
    local i
    kill -STOP "$1"
    for ((i = 0; i < 300; i++)); do [ "$(proc_state "$1")" = T ] && return 0; sleep 0.1; done
    expect_fail "QEMU (pid $1) is not stopped 30 s after SIGSTOP: state $(proc_state "$1")"
}
# qmp_queued PID: bytes sent to QEMU PID's connected sockets that it has not
# read (ss: Recv-Q); a stopped QEMU's QMP socket keeps the daemon's command
# there, which proves the call that sent it holds the domain's job
qmp_queued() {
    ss -xnpH 2>/dev/null | awk -v p="pid=$1," '$2 == "ESTAB" && index($0, p) { q += $3 } END { print q + 0 }'
}
# wait_qmp_queued PID: until a command waits in PID's socket (up to 30 s)
wait_qmp_queued() {
    local i
    for ((i = 0; i < 600; i++)); do [ "$(qmp_queued "$1")" -gt 0 ] && return 0; sleep 0.05; done
    expect_fail "no command reached the stopped QEMU (pid $1) within 30 s: $(ss -xnpH | grep "pid=$1,")"
}
# tvsh ARGS...: vsh, and ms is how long it took
tvsh() {
    local t0
    t0=$(now_ms)
    vsh "$@"
    ms=$(($(now_ms) - t0))
}
# answered WHAT: the last tvsh succeeded (its time only reported)
answered() {
    timings+=" $1=${ms}ms"
    [ "$rc" -eq 0 ] || expect_fail "$1 failed: $(run_evidence)"
}
# suspend1_waits WHAT: the suspend of the hung h1 has not returned yet
suspend1_waits() {
    [ -f "$mv_tmp/suspend1.rc" ] &&
        expect_fail "suspend h1 returned ($(cat "$mv_tmp/suspend1.ms") ms) before $1"
}
# bg_vsh TAG ARGS...: virsh in the background; TAG.rc/.out/.err/.ms when done
bg_vsh() {
    local tag=$1
    shift
    (
        t0=$(now_ms)
        isolated virsh -c "$MV_URI" "$@" >"$mv_tmp/$tag.out" 2>"$mv_tmp/$tag.err"
        echo $? >"$mv_tmp/$tag.rc"
        echo $(($(now_ms) - t0)) >"$mv_tmp/$tag.ms"
    ) &
    bg_pid=$!
    kill_at_exit $bg_pid
}
bg_result() {   # TAG: rc, out, err, ms of a finished bg_vsh
    rc=$(cat "$mv_tmp/$1.rc" 2>/dev/null || echo none)
    out=$(cat "$mv_tmp/$1.out" 2>/dev/null)
    err=$(cat "$mv_tmp/$1.err" 2>/dev/null)
    ms=$(cat "$mv_tmp/$1.ms" 2>/dev/null || echo none)
}

# 1
for n in h1 h2; do
    guest_domain_xml $n "$mv_tmp/$n.serial" >"$mv_tmp/$n.xml"
    vsh define "$mv_tmp/$n.xml"
    expect_eq "define $n" 0 "$rc"
    vsh start $n
    expect_eq "start $n" 0 "$rc"
done
for n in h1 h2; do
    guest_wait_log "$mv_tmp/$n.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "$n did not boot"
done
h1_pid=$(qemu_pid h1)
expect_match "h1 pid" '^[0-9]+$' "$h1_pid"
verdict "two guests run (monitor_timeout $MONITOR_S, job_wait_timeout 2, destroy_grace_period 1)"

# 2: h1's QEMU stops answering; a suspend waits for it, a resume for the job
stop_qemu "$h1_pid"
expect_eq "bytes waiting in h1's QEMU's sockets before the suspend" 0 "$(qmp_queued "$h1_pid")"
t_start=$(now_ms)
bg_vsh suspend1 suspend h1
suspend1_pid=$bg_pid
# the resume must come second: start it once suspend's "stop" waits in QEMU's socket
wait_qmp_queued "$h1_pid"
bg_vsh resume1 resume h1
resume1_pid=$bg_pid
verdict "SIGSTOP on h1's QEMU; virsh suspend h1 holds the job (its 'stop' is queued), then virsh resume h1"

# 3: meanwhile everything that does not need h1's QEMU answers at once
tvsh domstate h1
answered "domstate h1"
expect_eq "h1 state" running "$out"
tvsh list --all
answered "list --all"
expect_match "list h1" "[[:space:]]h1[[:space:]]+running$" "$out"
expect_match "list h2" "[[:space:]]h2[[:space:]]+running$" "$out"
tvsh dominfo h1
answered "dominfo h1"
expect_match "dominfo state" "^State:[[:space:]]+running$" "$out"
tvsh suspend h2
answered "suspend h2"
tvsh domstate h2
answered "domstate h2"
expect_eq "h2 paused" paused "$out"
tvsh resume h2
answered "resume h2"
tvsh domstate h2
expect_eq "h2 running" running "$out"
diag "timings:$timings"
timings=
suspend1_waits "the other calls were answered"
verdict "while h1 hangs: domstate/list/dominfo of h1 and suspend/resume of h2 are answered"

# 4
wait "$resume1_pid" 2>/dev/null
bg_result resume1
diag "resume h1 answered after $ms ms"
expect_eq "resume h1 status" 1 "$rc"
expect_match "resume h1 error" "Timed out during operation: domain 'h1' is busy with job 'suspend'" "$err"
[ "$ms" != none ] && [ "$ms" -ge 1950 ] ||
    expect_fail "resume h1 gave up after $ms ms (job_wait_timeout is 2 s)"
suspend1_waits "resume h1 gave up"
verdict "a second call on h1 gives up waiting for the job after job_wait_timeout"

# 5
wait "$suspend1_pid" 2>/dev/null
bg_result suspend1
diag "suspend h1 answered after $ms ms"
expect_eq "suspend h1 status" 1 "$rc"
expect_match "suspend h1 error" "Timed out during operation: .*'h1'" "$err"
[ "$ms" != none ] && [ "$ms" -ge $((MONITOR_S * 1000 - 50)) ] ||
    expect_fail "suspend h1 failed after $ms ms (monitor_timeout is $MONITOR_S s)"
tvsh domstate h1
answered "domstate h1 after the timeout"
expect_eq "h1 state" running "$out"
expect_daemon_alive
verdict "virsh suspend of the hung h1 fails after monitor_timeout with 'Timed out during operation'"

# 6: SIGCONT: QEMU runs the queued "stop"; its late reply is dropped
kill -CONT "$h1_pid"
wait_state h1 paused 30 || expect_fail "h1 not paused after SIGCONT (the queued 'stop' ran late): $(state h1)"
grep -q "dropping the late QMP reply" "$MV_LOG" ||
    expect_fail "the daemon log does not say that the late reply to 'stop' was dropped"
tvsh resume h1
answered "resume h1"
expect_eq "h1 running" running "$(state h1)"
tvsh suspend h1
answered "suspend h1"
expect_eq "h1 paused" paused "$(state h1)"
tvsh resume h1
answered "resume h1 again"
expect_eq "h1 running again" running "$(state h1)"
diag "timings:$timings"
timings=
verdict "after SIGCONT the monitor of h1 works again: suspend/resume, each answered by its own reply"

# 7: a stopped QEMU ignores SIGTERM; destroy still ends it
stop_qemu "$h1_pid"
tvsh destroy h1
diag "destroy h1 took $ms ms"
expect_eq "destroy status" 0 "$rc"
[ "$ms" -ge 900 ] && [ "$ms" -le 8000 ] ||
    expect_fail "destroy took $ms ms (SIGKILL is due after destroy_grace_period, 1 s)"
expect_eq "h1 state" "shut off" "$(state h1)"
expect_eq "h1 QEMU" gone "$([ -d "/proc/$h1_pid" ] && [ "$(proc_state "$h1_pid")" != Z ] && echo alive || echo gone)"
expect_eq "h1 status file" no "$([ -f "$rundir/h1.xml" ] && echo yes || echo no)"
grep -q "domain 'h1': QEMU (pid $h1_pid) ignored SIGTERM, sending SIGKILL" "$MV_LOG" ||
    expect_fail "the daemon log does not say that SIGKILL followed SIGTERM"
verdict "virsh destroy of a stopped QEMU: SIGKILL after the grace period, h1 shut off"

# 8
expect_eq "h2 still running" running "$(state h2)"
vsh start h1
expect_eq "restart h1" 0 "$rc"
guest_wait_log "$mv_tmp/h1.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "h1 did not boot again"
for n in h1 h2; do
    vsh destroy $n
    expect_eq "destroy $n" 0 "$rc"
done
expect_eq "QEMUs left" "" "$(pgrep -f -- "$rundir/" || true)"
verdict "h1 starts again; both guests are destroyed and no QEMU is left"

# 9
expect_daemon_alive
verdict "the daemon is still running"
mv_done
