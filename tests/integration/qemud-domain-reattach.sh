#!/bin/bash
# Re-attaching to guests that do not answer.  Three guests run; the daemon
# was started with a stray fd (no O_CLOEXEC), which no QEMU may inherit.
# Their QEMUs are stopped (SIGSTOP), the daemon is killed with SIGKILL and
# restarted: it must be ready at once (not after a monitor timeout per
# guest), adopt every guest with a valid id (even when two status files
# claim the same one) and, once the QEMUs run again, reach the monitor it
# could not open before, notice a QEMU that exits although it has no
# monitor, and destroy one.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 pgrep"
BOOT_S=90
# readiness of the restarted daemon: before the change it re-attached
# serially before READY, 5 s or more per stopped guest (15 s for three);
# now it is ready at once.  12 s tells the two apart with room for a
# loaded machine.
READY_S=12
PLAN=8
guest_test_init $PLAN

rundir=$MV_ROOT/run/modvirt/qemu
guests="h1 h2 h3"

status_attr() {
    sed -n "s/.*<domstatus[^>]* $2=\"\([^\"]*\)\".*/\1/p" "$rundir/$1.xml" 2>/dev/null | head -n 1
}
has_status() { [ -f "$rundir/$1.xml" ] && echo yes || echo no; }
qemu_alive() {
    [ -n "$1" ] && tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -q -- "guest=$2," &&
        ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}
# wait_log ERE SECS: the daemon log has a line matching ERE
wait_log() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do grep -Eq -- "$1" "$MV_LOG" && return 0; sleep 0.1; done
    return 1
}

# 1: the daemon holds an fd without O_CLOEXEC (as when its parent leaks one)
exec 7>"$mv_tmp/stray-fd"
start_daemon
exec 7>&-
ls -l "/proc/$MV_PID/fd" | grep -q -- "$mv_tmp/stray-fd" ||
    expect_fail "the daemon did not inherit the stray fd: the test proves nothing"
for n in $guests; do
    guest_domain_xml $n "$mv_tmp/$n.serial" >"$mv_tmp/$n.xml"
    vsh define "$mv_tmp/$n.xml"
    [ $rc -eq 0 ] || expect_fail "define $n: $(run_evidence)"
    vsh start $n
    expect_eq "start $n" 0 "$rc"
done
declare -A pid0 id0
for n in $guests; do
    guest_wait_log "$mv_tmp/$n.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "$n did not boot"
    pid0[$n]=$(status_attr $n pid)
    id0[$n]=$(status_attr $n id)
    qemu_alive "${pid0[$n]}" $n || expect_fail "$n: status file pid '${pid0[$n]}' is not its QEMU"
    leaked=$(ls -l "/proc/${pid0[$n]}/fd" 2>/dev/null | grep -c -- "$mv_tmp/stray-fd")
    expect_eq "$n QEMU fds naming the daemon's stray fd" 0 "$leaked"
done
verdict "three guests boot; no QEMU inherits a daemon fd it was not given"

# 2: QEMUs stopped, daemon killed, h3's status file claims h1's id
for n in $guests; do kill -STOP "${pid0[$n]}"; done
at_exit "kill -CONT ${pid0[h1]} ${pid0[h2]} ${pid0[h3]} 2>/dev/null"
{ kill -KILL "$MV_PID"; wait_exit "$MV_PID" 5; } 2>/dev/null || expect_fail "the daemon survived SIGKILL"
sed -i -e "s/\(<domstatus[^>]* id=\"\)[0-9]*\"/\1${id0[h1]}\"/" "$rundir/h3.xml"
expect_eq "h3 status claims h1's id" "${id0[h1]}" "$(status_attr h3 id)"
ready=no
MV_READY_S=$READY_S try_start_daemon && ready=yes
expect_eq "daemon ready within $READY_S s with three stopped guests" yes "$ready"
[ $ready = yes ] || { diag "daemon log:"; tail -n 30 "$MV_LOG" | sed 's/^/#   /'; }
verdict "the restarted daemon is ready at once although every QEMU is stopped"

# 3: every guest adopted, running, with an id of its own
vsh list
declare -A id1
for n in $guests; do
    expect_match "$n listed running" "^ [0-9]+[[:space:]]+$n[[:space:]]+running$" "$out"
    id1[$n]=$(printf '%s\n' "$out" | sed -n "s/^ \([0-9]*\)[[:space:]]*$n[[:space:]].*/\1/p")
done
[ -n "${id1[h1]}" ] && [ "${id1[h1]}" != "${id1[h3]}" ] ||
    expect_fail "h1 and h3 share id '${id1[h1]}'"
verdict "stopped guests are listed running, each with its own id (two status files claimed one)"

# 4: the monitors cannot be opened while the QEMUs are stopped
for n in $guests; do
    wait_log "domain '$n': cannot re-attach to QEMU \(pid ${pid0[$n]}\)" 60 ||
        expect_fail "no 'cannot re-attach' for $n in the daemon log"
done
for n in $guests; do kill -CONT "${pid0[$n]}"; done
for n in $guests; do
    expect_eq "$n QEMU alive after SIGCONT" yes "$(qemu_alive "${pid0[$n]}" $n && echo yes || echo no)"
done
verdict "guests whose QEMU did not answer stay adopted without a monitor"

# 5: the next command retries the monitor
vsh suspend h1
expect_eq "suspend h1" 0 "$rc"
expect_eq "h1 paused" paused "$(guest_state h1)"
vsh resume h1
expect_eq "resume h1" 0 "$rc"
expect_eq "h1 running" running "$(guest_state h1)"
grep -q "domain 'h1': re-attached to the monitor of QEMU (pid ${pid0[h1]})" "$MV_LOG" ||
    expect_fail "the daemon log does not say it re-attached h1's monitor"
verdict "suspend/resume of a guest adopted without a monitor opens the monitor"

# 6: a QEMU adopted without a monitor exits: its process is watched
kill -KILL "${pid0[h2]}"
guest_wait_state h2 "shut off" 20 || expect_fail "h2 is '$(guest_state h2)' 20 s after its QEMU was killed"
expect_eq "h2 status file" no "$(has_status h2)"
verdict "a guest adopted without a monitor whose QEMU exits is shut off"

# 7: destroy works without a monitor
vsh destroy h3
expect_eq "destroy h3" 0 "$rc"
expect_eq "h3 state" "shut off" "$(guest_state h3)"
expect_eq "h3 QEMU" no "$(qemu_alive "${pid0[h3]}" h3 && echo yes || echo no)"
verdict "destroy of a guest adopted without a monitor"

# 8
vsh destroy h1
expect_eq "destroy h1" 0 "$rc"
expect_eq "QEMUs left" "" "$(pgrep -f -- "$rundir/" || true)"
expect_daemon_alive
verdict "no QEMU of this test is left"
mv_done
