#!/bin/bash
# The daemon killed (SIGKILL) while a start waits for QEMU's monitor: the
# start records its sidecars (swtpm, virtiofsd) in the status file, marked
# starting, as soon as each runs, and QEMU's pid once it is spawned; the
# restarted daemon stops what that start left.
#
# The window is held open, not hit by chance: the domain's <emulator> is a
# wrapper that, when run as the domain's QEMU (with -S), prints its pid to
# QEMU's log and stops itself (SIGSTOP; it runs confined, as the guest's
# uid in its own root, so the log is all it can write), so QEMU's monitor
# never answers; a daemon probing the emulator (no -S) gets QEMU at once.
#   1  the start waits with swtpm and virtiofsd running and listening; the
#      status file, marked starting, names both and the wrapper's pid
#   2  kill -9 of the daemon: its client gets an error; the restarted
#      daemon kills the wrapper, stops swtpm and virtiofsd, removes their
#      sockets and the status file, and the domain is shut off
#   3  a transient domain in the same window is gone after the restart,
#      its TPM state with it
#   4  a configuration the command line refuses (virtiofs without shared
#      memory) starts no sidecar: neither swtpm_setup nor swtpm nor
#      virtiofsd ran, no TPM state was created
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_NEEDS="qemu-system-x86_64 swtpm swtpm_setup /usr/lib/qemu/virtiofsd pgrep"
PLAN=4
mv_init $PLAN
use_root root
start_daemon

rundir=$MV_ROOT/run/modvirt/qemu
logdir=$MV_ROOT/var/log/modvirt/qemu
swtpmdir=$MV_ROOT/var/lib/modvirt/swtpm
qemu=$(command -v qemu-system-x86_64)
# whatever a failed case leaves: only this test's processes (its paths)
at_exit "pkill -9 -f -- '$rundir/'"
at_exit "pkill -9 -f -- '$mv_tmp/emulator'"

mkdir -p "$mv_tmp/share"
cat >"$mv_tmp/emulator" <<EOF
#!/bin/sh
case " \$* " in
*" -S "*)
    echo "EMULATOR-HELD \$\$"
    kill -STOP \$\$
    ;;
esac
exec "$qemu" "\$@"
EOF
chmod 755 "$mv_tmp/emulator"

has() { [ -e "$1" ] && echo yes || echo no; }
# status_attr NAME ATTR / sidecar_attr NAME ID ATTR: from NAME's status file
status_attr() { sed -n "s/.*<domstatus[^>]* $2=\"\([^\"]*\)\".*/\1/p" "$rundir/$1.xml" 2>/dev/null | head -n 1; }
sidecar_attr() {
    sed -n "s/.*<sidecar id=\"$2\"[^>]* $3=\"\([^\"]*\)\".*/\1/p" "$rundir/$1.xml" 2>/dev/null | head -n 1
}
# running PID: a live process (not a zombie)
running() { [ -n "$1" ] && kill -0 "$1" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }
# wait_for SECS CMD...: until CMD succeeds (a bounded poll on a condition)
wait_for() {
    local i secs=$1
    shift
    for ((i = 0; i < secs * 10; i++)); do "$@" && return 0; sleep 0.1; done
    return 1
}
# held NAME: NAME's start is held in the wrapper, everything before recorded
held() {
    local pid
    pid=$(status_attr "$1" pid)
    [ "$(status_attr "$1" starting)" = yes ] && [ -n "$pid" ] && [ "$pid" != 0 ] &&
        grep -q "^EMULATOR-HELD $pid\$" "$logdir/$1.log" 2>/dev/null && [ -n "$(sidecar_attr "$1" tpm0 pid)" ] &&
        [ -n "$(sidecar_attr "$1" fs0 pid)" ]
}
gone() { ! running "$1"; }
restart_daemon() {
    try_start_daemon "$@" && return 0
    echo "Bail out! the restarted modvirt-qemud is not ready after $MV_READY_S s"
    tail -n 40 "$MV_LOG" | sed 's/^/#   /'
    exit 1
}
kill_daemon() {
    { kill -KILL "$MV_PID"; wait_exit "$MV_PID" 5; } 2>/dev/null || expect_fail "the daemon survived SIGKILL"
}

# domain_xml NAME UUID [MEMORYBACKING]: TPM and a virtiofs share, run by the wrapper
domain_xml() {
    cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <uuid>$2</uuid>
  <memory unit='MiB'>128</memory>
  ${3-<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>}
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices>
    <emulator>$mv_tmp/emulator</emulator>
    <filesystem type='mount'>
      <driver type='virtiofs'/>
      <source dir='$mv_tmp/share'/>
      <target dir='share'/>
    </filesystem>
    <tpm model='tpm-crb'><backend type='emulator' version='2.0'/></tpm>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}

# start_held NAME: virsh start (or create, for a transient: $2) in the
# background, waiting until the start is held in the wrapper
start_held() {
    (isolated virsh -c "$MV_URI" "${2:-start}" "${3:-$1}" >"$mv_tmp/$1.out" 2>"$mv_tmp/$1.err"
     echo $? >"$mv_tmp/$1.rc") &
    client=$!
    wait_for 60 held "$1" || expect_fail "the start of $1 was not held with its sidecars: $(cat "$rundir/$1.xml" 2>&1)"
    qpid=$(status_attr "$1" pid)
    tpid=$(sidecar_attr "$1" tpm0 pid)
    fpid=$(sidecar_attr "$1" fs0 pid)
}

# 1
uuid=$(cat /proc/sys/kernel/random/uuid)
domain_xml sk "$uuid" >"$mv_tmp/sk.xml"
vsh define "$mv_tmp/sk.xml"
expect_eq "define" 0 "$rc"
start_held sk
expect_eq "swtpm runs" yes "$(running "$tpid" && echo yes)"
expect_eq "virtiofsd runs" yes "$(running "$fpid" && echo yes)"
expect_eq "the wrapper runs" yes "$(running "$qpid" && echo yes)"
expect_eq "swtpm socket" yes "$(has "$rundir/$uuid.d/swtpm.sock")"
expect_eq "virtiofsd socket" "$(sidecar_attr sk fs0 socket)" "$(ls "$rundir/$uuid".d/fs*.sock 2>/dev/null)"
expect_eq "the client still waits" no "$(has "$mv_tmp/sk.rc")"
verdict "a start held before QEMU's monitor has its sidecars and QEMU's pid in the status file (starting)"

# 2
kill_daemon
wait "$client"
expect_eq "the client got an error" 1 "$(cat "$mv_tmp/sk.rc")"
expect_eq "swtpm outlived the daemon" yes "$(running "$tpid" && echo yes)"
restart_daemon
expect_daemon_alive
expect_match "logged" "domain 'sk': the daemon stopped while starting it" "$(cat "$MV_LOG")"
wait_for 10 gone "$qpid" || expect_fail "the wrapper (pid $qpid) still runs"
wait_for 10 gone "$tpid" || expect_fail "swtpm (pid $tpid) still runs"
wait_for 10 gone "$fpid" || expect_fail "virtiofsd (pid $fpid) still runs"
expect_eq "no status file" no "$(has "$rundir/sk.xml")"
expect_eq "no swtpm socket" no "$(has "$rundir/$uuid.d/swtpm.sock")"
expect_eq "no virtiofsd socket" "" "$(ls "$rundir/$uuid".d/fs*.sock 2>/dev/null)"
expect_eq "no domain directory" no "$(has "$rundir/$uuid.d")"
expect_eq "shut off" "shut off" "$(vsh domstate sk; printf '%s' "$out")"
expect_eq "TPM state kept (persistent domain)" yes "$(has "$swtpmdir/$uuid")"
verdict "after kill -9 during that start, the restarted daemon stops QEMU, swtpm and virtiofsd and cleans up"

# 3
tuuid=$(cat /proc/sys/kernel/random/uuid)
domain_xml tk "$tuuid" >"$mv_tmp/tk.xml"
start_held tk create "$mv_tmp/tk.xml"
kill_daemon
wait "$client"
restart_daemon
wait_for 10 gone "$qpid" || expect_fail "the wrapper (pid $qpid) still runs"
wait_for 10 gone "$tpid" || expect_fail "swtpm (pid $tpid) still runs"
wait_for 10 gone "$fpid" || expect_fail "virtiofsd (pid $fpid) still runs"
vsh domstate tk
expect_eq "the transient domain is gone" 1 "$rc"
expect_eq "its TPM state is gone" no "$(has "$swtpmdir/$tuuid")"
expect_eq "no status file" no "$(has "$rundir/tk.xml")"
verdict "a transient domain whose start was interrupted is gone after the restart, TPM state included"

# 4
ruuid=$(cat /proc/sys/kernel/random/uuid)
domain_xml rk "$ruuid" "" >"$mv_tmp/rk.xml"
vsh define "$mv_tmp/rk.xml"
expect_eq "define without shared memory" 0 "$rc"
log_from=$(($(wc -l <"$MV_LOG") + 1))
vsh start rk
expect_eq "start refused" 1 "$rc"
expect_match "by name" "virtiofs" "$err"
expect_nomatch "no sidecar started" "sidecar '[^']*' started|swtpm_setup|domain 'rk': sidecar" "$(tail -n +"$log_from" "$MV_LOG")"
expect_eq "no TPM state created" no "$(has "$swtpmdir/$ruuid")"
expect_eq "no swtpm or virtiofsd" "" "$(pgrep -f -- "$ruuid" || true)"
verdict "a configuration the command line refuses starts no sidecar"

mv_done
