#!/bin/bash
# Without pidfds (pidfd_open fails, as on a kernel before 5.3: the daemon
# runs with libnopidfd.so preloaded) the daemon still notices at once that
# a QEMU exited: destroy must not wait out destroy_grace_period (30 s here)
# for a QEMU that died of SIGTERM at once, neither for a QEMU it started nor
# for one it re-attached to after a restart.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 pgrep"
BOOT_S=90
PLAN=4
guest_test_init $PLAN

shim=$top_builddir/tests/integration/.libs/libnopidfd.so
rundir=$MV_ROOT/run/modvirt/qemu
status_attr() {
    sed -n "s/.*<domstatus[^>]* $2=\"\([^\"]*\)\".*/\1/p" "$rundir/$1.xml" 2>/dev/null | head -n 1
}
qemu_alive() {
    [ -n "$1" ] && tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline" | grep -q -- "guest=$2," &&
        ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}
# a destroy that waited out the grace period would be killed by the client
# timeout first: the deadline is the assertion
destroy_within() {  # NAME SECS
    MV_CLIENT_TIMEOUT=$2 vsh destroy "$1"
    expect_eq "destroy $1 within $2 s" 0 "$rc"
    expect_eq "$1 state" "shut off" "$(guest_state "$1")"
}

write_config "$MV_ROOT" "destroy_grace_period = 30"
[ -f "$shim" ] || { echo "Bail out! $shim is not built"; exit 1; }
export LD_PRELOAD=$shim ASAN_OPTIONS=verify_asan_link_order=0
start_daemon

# 1
for n in g1 g2; do
    guest_domain_xml $n "$mv_tmp/$n.serial" >"$mv_tmp/$n.xml"
    vsh define "$mv_tmp/$n.xml"
    [ $rc -eq 0 ] || expect_fail "define $n: $(run_evidence)"
    vsh start $n
    expect_eq "start $n" 0 "$rc"
done
declare -A pid0
for n in g1 g2; do
    guest_wait_log "$mv_tmp/$n.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "$n did not boot"
    pid0[$n]=$(status_attr $n pid)
    grep -q "domain '$n': no pidfd for QEMU (pid ${pid0[$n]})" "$MV_LOG" ||
        expect_fail "no 'no pidfd' line for $n: the shim did not take"
done
verdict "guests start without pidfds"

# 2
destroy_within g1 15
expect_eq "g1 QEMU" no "$(qemu_alive "${pid0[g1]}" g1 && echo yes || echo no)"
verdict "destroy of a QEMU the daemon started does not wait out the grace period"

# 3: a restarted daemon adopts g2 without a pidfd
{ kill -KILL "$MV_PID"; wait_exit "$MV_PID" 5; } 2>/dev/null || expect_fail "the daemon survived SIGKILL"
try_start_daemon || expect_fail "the restarted daemon is not ready"
for ((i = 0; i < 30 * 10; i++)); do
    grep -q "domain 'g2': re-attached to QEMU (pid ${pid0[g2]})" "$MV_LOG" && break
    sleep 0.1
done
grep -q "domain 'g2': re-attached to QEMU (pid ${pid0[g2]})" "$MV_LOG" ||
    expect_fail "g2 not re-attached within 30 s"
destroy_within g2 15
expect_eq "g2 QEMU" no "$(qemu_alive "${pid0[g2]}" g2 && echo yes || echo no)"
verdict "destroy of a re-attached QEMU without a pidfd does not wait out the grace period"

# 4: a QEMU that dies is noticed (monitor EOF, then the exit is polled for)
vsh start g1
expect_eq "start g1 again" 0 "$rc"
guest_wait_log "$mv_tmp/g1.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "g1 did not boot again"
pid1=$(status_attr g1 pid)
kill -KILL "$pid1"
guest_wait_state g1 "shut off" 15 || expect_fail "g1 is '$(guest_state g1)' 15 s after its QEMU was killed"
expect_eq "QEMUs left" "" "$(pgrep -f -- "$rundir/" || true)"
expect_daemon_alive
verdict "a killed QEMU is shut off without a pidfd"
mv_done
