#!/bin/bash
# Guests outlive their daemon: modvirt-qemud is killed with SIGKILL while
# four guests run (persistent p1, transient t1, persistent p2 and s1);
# while it is away p2's QEMU is killed and s1's status file is made to name
# a process that is not its QEMU (as after PID reuse).  The restarted daemon
# re-attaches to p1 and t1 (same ids, persistence, events, shutdown,
# destroy), notices that p2 is gone, refuses to adopt s1 without killing
# it, never reuses an id, and with --timeout stays up while guests run but
# exits soon after the last one stops.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 pgrep"
BOOT_S=90
PLAN=15
guest_test_init $PLAN
start_daemon

cfgdir=$MV_ROOT/etc/modvirt/qemu
rundir=$MV_ROOT/run/modvirt/qemu

state() { guest_state "$1"; }
wait_state() { guest_wait_state "$@"; }
# status_attr NAME ATTR: an attribute of NAME's status file (empty if none)
status_attr() {
    sed -n "s/.*<domstatus[^>]* $2=\"\([^\"]*\)\".*/\1/p" "$rundir/$1.xml" 2>/dev/null | head -n 1
}
has_status() { [ -f "$rundir/$1.xml" ] && echo yes || echo no; }
# qemu_alive PID NAME: PID is a live (not zombie) QEMU of guest NAME
qemu_alive() {
    [ -n "$1" ] && tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q -- "guest=$2," &&
        ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}
alive_word() { qemu_alive "$1" "$2" && echo alive || echo gone; }
wait_gone() {   # PID NAME SECS
    local i
    for ((i = 0; i < $3 * 10; i++)); do qemu_alive "$1" "$2" || return 0; sleep 0.1; done
    return 1
}
field() {       # FIELD: a "Field: value" line of virsh dominfo in $out
    printf '%s\n' "$out" | sed -n "s/^$1:[[:space:]]*//p"
}
# restart_daemon ARGS...: a new daemon on the same root.  The old sockets
# are still there (the daemon replaces them), so wait for its READY=1.
restart_daemon() {
    try_start_daemon "$@" && return 0
    echo "Bail out! the restarted modvirt-qemud is not ready after $MV_READY_S s"
    diag "daemon log:"
    tail -n 40 "$MV_LOG" | sed 's/^/#   /'
    exit 1
}

for n in p1 t1 p2 s1; do
    guest_domain_xml $n "$mv_tmp/$n.serial" >"$mv_tmp/$n.xml"
done

# 1
for n in p1 p2 s1; do
    vsh define "$mv_tmp/$n.xml"
    [ $rc -eq 0 ] || expect_fail "define $n: $(run_evidence)"
done
vsh start p1
expect_eq "start p1" 0 "$rc"
vsh create "$mv_tmp/t1.xml"
expect_eq "create t1" 0 "$rc"
expect_match "create message" "^Domain 't1' created from" "$out"
vsh start p2
expect_eq "start p2" 0 "$rc"
vsh start s1
expect_eq "start s1" 0 "$rc"
declare -A id0 pid0
for n in p1 t1 p2 s1; do
    guest_wait_log "$mv_tmp/$n.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "$n did not boot"
    vsh domid $n
    id0[$n]=$out
    expect_match "$n id" '^[0-9]+$' "${id0[$n]}"
    pid0[$n]=$(status_attr $n pid)
    qemu_alive "${pid0[$n]}" $n || expect_fail "$n: status file pid '${pid0[$n]}' is not its QEMU"
done
vsh dominfo t1
expect_eq "t1 persistent" no "$(field Persistent)"
expect_eq "t1 has no config" no "$([ -f "$cfgdir/t1.xml" ] && echo yes || echo no)"
verdict "persistent p1, p2, s1 and transient t1 boot; each has a status file naming its QEMU"

# 2: SIGKILL with a registered event listener
mkdir -p "$mv_tmp/cfg.before"
cp -p "$cfgdir"/*.xml "$mv_tmp/cfg.before/"
MV_CLIENT_TIMEOUT=900 isolated virsh -c "$MV_URI" event --all --loop --timeout 900 >"$mv_tmp/events1" 2>&1 &
ev1_pid=$!
kill_at_exit $ev1_pid
event_marker "$mv_tmp/events1"
# (stderr off: bash would report the killed job)
{ kill -KILL "$MV_PID"; wait_exit "$MV_PID" 5; } 2>/dev/null || expect_fail "the daemon survived SIGKILL"
sleep 0.5
for n in p1 t1 p2 s1; do
    expect_eq "$n QEMU after SIGKILL" alive "$(alive_word "${pid0[$n]}" $n)"
    expect_eq "$n status file kept" yes "$(has_status $n)"
done
expect_eq "one QEMU per guest (pgrep)" 4 "$(pgrep -f -- "$rundir/" | wc -l)"
for f in "$mv_tmp/cfg.before"/*.xml; do
    cmp -s "$f" "$cfgdir/$(basename "$f")" || expect_fail "$(basename "$f") changed"
done
expect_eq "configs" "p1.xml p2.xml s1.xml" "$(cd "$cfgdir" && echo *.xml)"
wait_exit $ev1_pid 10 || expect_fail "virsh event did not notice that the daemon died"
verdict "kill -9 of the daemon leaves every QEMU running and every file as it was"

# 3: while the daemon is away, p2's QEMU dies and s1's status goes stale
kill -KILL "${pid0[p2]}"
wait_gone "${pid0[p2]}" p2 10 || expect_fail "p2's QEMU survived SIGKILL"
cp "$rundir/s1.xml" "$mv_tmp/s1.status"
st=$(status_attr s1 starttime)
sed -e "s/ starttime=\"$st\"/ starttime=\"$((st + 12345))\"/" "$mv_tmp/s1.status" >"$rundir/s1.xml"
expect_eq "edited starttime" "$((st + 12345))" "$(status_attr s1 starttime)"
restart_daemon --timeout 2
expect_daemon_alive
# the monitors are re-attached after READY, on task threads
for n in p1 t1; do
    for ((i = 0; i < 300; i++)); do
        grep -q "domain '$n': re-attached to QEMU (pid ${pid0[$n]})" "$MV_LOG" && break
        sleep 0.1
    done
    grep -q "domain '$n': re-attached to QEMU (pid ${pid0[$n]})" "$MV_LOG" ||
        expect_fail "no 'domain '$n': re-attached to QEMU (pid ${pid0[$n]})' in the daemon log within 30 s"
done
verdict "the daemon restarts on the same root (stale sockets replaced)"

# 4
for n in p1 t1; do
    expect_eq "$n state" running "$(state $n)"
    vsh domid $n
    expect_eq "$n id" "${id0[$n]}" "$out"
    expect_eq "$n status file" yes "$(has_status $n)"
    expect_eq "$n QEMU" alive "$(alive_word "${pid0[$n]}" $n)"
done
vsh dominfo p1
expect_eq "p1 persistent" yes "$(field Persistent)"
expect_eq "p1 id (dominfo)" "${id0[p1]}" "$(field Id)"
vsh dominfo t1
expect_eq "t1 persistent" no "$(field Persistent)"
vsh list
expect_match "list p1" "^ ${id0[p1]}[[:space:]]+p1[[:space:]]+running$" "$out"
expect_match "list t1" "^ ${id0[t1]}[[:space:]]+t1[[:space:]]+running$" "$out"
verdict "p1 and t1 are re-attached: running, same ids, p1 persistent, t1 transient"

# 5
expect_eq "p2 state" "shut off" "$(state p2)"
expect_eq "p2 status file" no "$(has_status p2)"
vsh domid p2
expect_eq "p2 id" "-" "$out"
vsh list --all
expect_match "list --all p2" "^ -[[:space:]]+p2[[:space:]]+shut off$" "$out"
grep -q "domain 'p2': QEMU (pid ${pid0[p2]}) exited while the daemon was away" "$MV_LOG" ||
    expect_fail "the daemon log does not say that p2's QEMU exited while it was away"
verdict "p2, whose QEMU died while the daemon was away, is shut off and its status file is gone"

# 6
expect_eq "s1 state" "shut off" "$(state s1)"
expect_eq "s1 status file" no "$(has_status s1)"
sleep 1
expect_eq "s1 QEMU not killed" alive "$(alive_word "${pid0[s1]}" s1)"
verdict "a status file whose pid/starttime name another process is not adopted, and that process is left alone"

# 7
for f in "$mv_tmp/cfg.before"/*.xml; do
    cmp -s "$f" "$cfgdir/$(basename "$f")" || expect_fail "$(basename "$f") changed by the restart"
done
expect_eq "configs" "p1.xml p2.xml s1.xml" "$(cd "$cfgdir" && echo *.xml)"
verdict "the persistent configs are byte-identical after the restart"

# 8: events from a re-attached guest
MV_CLIENT_TIMEOUT=900 isolated virsh -c "$MV_URI" event --all --loop --timeout 900 >"$mv_tmp/events2" 2>&1 &
ev2_pid=$!
kill_at_exit $ev2_pid
event_marker "$mv_tmp/events2"
vsh suspend p1
expect_eq "suspend status" 0 "$rc"
expect_eq "paused" paused "$(state p1)"
vsh resume p1
expect_eq "resume status" 0 "$rc"
expect_eq "running" running "$(state p1)"
event_marker "$mv_tmp/events2"
stop_bg $ev2_pid
ev=$(grep "for domain 'p1'" "$mv_tmp/events2" | sed -e "s/^event 'lifecycle' for domain 'p1': //")
expect_eq "p1 events" "Suspended Paused
Resumed Unpaused" "$ev"
verdict "a new event listener sees suspend/resume of the re-attached p1"

# 9: --timeout 2, no clients, guests running: the daemon stays.  A bounded
# wait proving an absence (no exit): 5 s is 2.5 times the timeout.
sleep 5
expect_daemon_alive
verdict "with --timeout 2 and guests running, 5 s without clients do not stop the daemon"

# 10: ids are never reused, not even those of guests that went away
maxid=0
for n in p1 t1 p2 s1; do [ "${id0[$n]}" -gt $maxid ] && maxid=${id0[$n]}; done
vsh start p2
expect_eq "start p2" 0 "$rc"
vsh domid p2
expect_match "p2 id" '^[0-9]+$' "$out"
[[ "$out" =~ ^[0-9]+$ ]] && [ "$out" -gt $maxid ] || expect_fail "new id '$out' is not above every previous id ($maxid)"
guest_wait_log "$mv_tmp/p2.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "p2 did not boot again"
verdict "a new start gets an id above every id handed out before the restart"

# 11
guest_wait_log "$mv_tmp/p1.serial" GUEST-READY $BOOT_S || expect_fail "p1 never listened for the power button"
vsh shutdown p1
expect_eq "shutdown status" 0 "$rc"
guest_wait_log "$mv_tmp/p1.serial" GUEST-POWERBUTTON 30 || expect_fail "p1 never saw the power button"
wait_state p1 "shut off" 30 || expect_fail "p1 not shut off 30 s after shutdown: $(state p1)"
wait_gone "${pid0[p1]}" p1 10 || expect_fail "p1's QEMU still runs"
expect_eq "p1 status file" no "$(has_status p1)"
vsh list --all
expect_match "p1 listed" "^ -[[:space:]]+p1[[:space:]]+shut off$" "$out"
verdict "virsh shutdown of the re-attached p1: power button, QEMU exits, p1 shut off"

# 12
vsh destroy t1
expect_eq "destroy status" 0 "$rc"
wait_gone "${pid0[t1]}" t1 10 || expect_fail "t1's QEMU still runs"
vsh list --all
expect_nomatch "t1 in list --all" "[[:space:]]t1[[:space:]]" "$out"
vsh domstate t1
expect_eq "lookup status" 1 "$rc"
expect_match "lookup error" "failed to get domain 't1'" "$err"
expect_eq "t1 status file" no "$(has_status t1)"
verdict "virsh destroy of the re-attached transient t1: it disappears"

# 13: the last guest stops: the idle timeout runs out.  Not before 2 s after
# the destroy was asked for (the guest stops after that); how long after is
# up to a loaded machine, so only a generous deadline for that.
t0=$(date +%s%N)
vsh destroy p2
expect_eq "destroy p2" 0 "$rc"
if wait_exit "$MV_PID" 30; then
    ms=$((($(date +%s%N) - t0) / 1000000))
    expect_eq "exit status" 0 "$wait_status"
    [ $ms -ge 1950 ] || expect_fail "exited ${ms} ms after the destroy of the last guest, before the 2 s timeout"
    expect_match "log" "idle for 2 s" "$(tail -n 20 "$MV_LOG")"
else
    expect_fail "the daemon still runs 30 s after the last guest stopped"
fi
verdict "with --timeout 2 the daemon exits once the last guest has been stopped for 2 s"

# 14
expect_eq "s1 QEMU still running" alive "$(alive_word "${pid0[s1]}" s1)"
kill -KILL "${pid0[s1]}" 2>/dev/null
wait_gone "${pid0[s1]}" s1 10 || expect_fail "s1's QEMU survived SIGKILL"
verdict "the QEMU the daemon did not adopt was never touched (killed by the test)"

# 15
expect_eq "QEMUs left" "" "$(pgrep -f -- "$rundir/" || true)"
verdict "no QEMU of this test is left"
mv_done
