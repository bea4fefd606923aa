#!/bin/bash
# An emulated TPM (Debian's swtpm) on a booting guest: swtpm runs beside
# QEMU with its state under the daemon's state directory, the guest's kernel
# finds the TPM, a second start uses the same state, swtpm is adopted by a
# daemon restarted after kill -9 and stopped with the domain; undefine
# removes the state as libvirt does (default: unless persistent_state='yes';
# --tpm always; --keep-tpm never), and so does the stop of a transient
# domain; --tpm/--keep-tpm of a running domain survive kill -9 of the
# daemon.  swtpm_setup signs with the daemon's own CA under its state
# directory.  A start that fails after swtpm started leaves no swtpm behind; a
# passthrough TPM without a host device is refused naming the device.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 swtpm swtpm_setup pgrep"
BOOT_S=90
PLAN=12
guest_test_init $PLAN
start_daemon

rundir=$MV_ROOT/run/modvirt/qemu
logdir=$MV_ROOT/var/log/modvirt/qemu
swtpmdir=$MV_ROOT/var/lib/modvirt/swtpm

# sidecar_attr NAME ATTR: an attribute of the swtpm sidecar in NAME's status file
sidecar_attr() {
    sed -n "s/.*<sidecar id=\"tpm0\"[^>]* $2=\"\([^\"]*\)\".*/\1/p" "$rundir/$1.xml" 2>/dev/null | head -n 1
}
# swtpm_of UUID: pids of the swtpm processes serving domain UUID
swtpm_of() { pgrep -f -- "swtpm socket .*$1" || true; }
# wait_no_swtpm UUID SECS: none left (swtpm ends when QEMU's connection closes)
wait_no_swtpm() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do [ -z "$(swtpm_of "$1")" ] && return 0; sleep 0.1; done
    return 1
}
uuid_of() { vsh domuuid "$1"; printf '%s' "$out"; }
state_file() { printf '%s/%s/tpm2/tpm2-00.permall' "$swtpmdir" "$1"; }
has() { [ -e "$1" ] && echo yes || echo no; }
restart_daemon() {
    try_start_daemon "$@" && return 0
    echo "Bail out! the restarted modvirt-qemud is not ready after $MV_READY_S s"
    tail -n 40 "$MV_LOG" | sed 's/^/#   /'
    exit 1
}
# tpm_xml BACKEND-ATTRS: a TPM 2.0 on the CRB interface
tpm_xml() {
    printf "<tpm model='tpm-crb'>\n  <backend type='emulator' version='2.0'%s/>\n</tpm>" "${1:+ $1}"
}

# with_uuid UUID: the domain XML on stdin with a fixed <uuid> (its TPM state
# is found by it, across definitions)
with_uuid() { sed "s|^  <name>\(.*\)</name>$|  <name>\1</name>\n  <uuid>$1</uuid>|"; }

uuid=$(cat /proc/sys/kernel/random/uuid)
guest_domain_xml tp "$mv_tmp/tp.serial" "$(tpm_xml)" | with_uuid "$uuid" >"$mv_tmp/tp.xml"

# 1
vsh domcapabilities
expect_match "domcaps tpm" "<tpm supported=.yes.>" "$out"
expect_match "domcaps emulator" "<value>emulator</value>" "$out"
expect_match "domcaps 2.0" "<value>2.0</value>" "$out"
vsh define "$mv_tmp/tp.xml"
expect_eq "define" 0 "$rc"
vsh dumpxml tp
expect_match "dumpxml" "<backend type=.emulator. version=.2\.0./>" "$out"
expect_eq "uuid" "$uuid" "$(uuid_of tp)"
vsh start tp
expect_eq "start" 0 "$rc"
guest_wait_log "$mv_tmp/tp.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "tp did not boot"
spid=$(sidecar_attr tp pid)
expect_eq "one swtpm of tp" "$spid" "$(swtpm_of "$uuid")"
expect_eq "state created" yes "$(has "$(state_file "$uuid")")"
expect_eq "swtpm socket" yes "$(has "$rundir/$uuid.d/swtpm.sock")"
expect_eq "the domain's directory is private" 700 "$(stat -c %a "$rundir/$uuid.d")"
expect_match "swtpm_setup in the domain log" "swtpm_setup \(create the TPM state\)" "$(cat "$logdir/tp.log")"
# the daemon's own CA signed the certificates, not the host's /var/lib/swtpm-localca
expect_match "own swtpm_setup.conf" "create_certs_tool_config = $swtpmdir/swtpm-localca.conf" \
    "$(cat "$swtpmdir/swtpm_setup.conf" 2>/dev/null)"
expect_eq "own CA used" yes "$(has "$swtpmdir/localca/certserial")"
verdict "a TPM 2.0 guest starts with swtpm beside QEMU (status file, socket, state created)"

# 2: the guest's kernel has the TPM drivers built in; it names the chip it found
expect_match "guest kernel TPM driver bound" "tpm_crb MSFT0101" "$(grep -i tpm "$mv_tmp/tp.serial")"
expect_nomatch "no TPM-bypass" "No TPM chip found" "$(cat "$mv_tmp/tp.serial")"
diag "guest: $(grep -i tpm "$mv_tmp/tp.serial" | head -n 3)"
verdict "the guest finds the TPM"

# 3: a restart of the domain uses the same state
touch "$swtpmdir/$uuid/marker"
vsh destroy tp
expect_eq "destroy" 0 "$rc"
wait_no_swtpm "$uuid" 10 || expect_fail "swtpm still runs after destroy: $(swtpm_of "$uuid")"
expect_eq "socket removed" no "$(has "$rundir/$uuid.d/swtpm.sock")"
expect_eq "the domain's directory removed" no "$(has "$rundir/$uuid.d")"
vsh start tp
expect_eq "start again" 0 "$rc"
guest_wait_log "$mv_tmp/tp.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "tp did not boot again"
expect_eq "state dir kept" yes "$(has "$swtpmdir/$uuid/marker")"
expect_eq "state created once" 1 "$(grep -c 'swtpm_setup (create the TPM state)' "$logdir/tp.log")"
expect_match "new swtpm" '^[0-9]+$' "$(swtpm_of "$uuid")"
verdict "destroy stops swtpm and removes its socket; the next start uses the same state"

# 4: kill -9 of the daemon; the restarted one adopts swtpm, and stops it with the domain
spid=$(sidecar_attr tp pid)
{ kill -KILL "$MV_PID"; wait_exit "$MV_PID" 5; } 2>/dev/null || expect_fail "the daemon survived SIGKILL"
expect_eq "swtpm survives the daemon" "$spid" "$(swtpm_of "$uuid")"
restart_daemon
expect_daemon_alive
expect_match "adopted" "sidecar '[^']*swtpm' \(pid $spid\) adopted" "$(cat "$MV_LOG")"
expect_eq "state after restart" running "$(guest_state tp)"
expect_eq "status file keeps swtpm" "$spid" "$(sidecar_attr tp pid)"
vsh destroy tp
expect_eq "destroy after restart" 0 "$rc"
wait_no_swtpm "$uuid" 10 || expect_fail "adopted swtpm still runs after destroy"
verdict "after kill -9 of the daemon swtpm is adopted and stopped with its domain"

# 5: the daemon comes back after swtpm and QEMU died while it was away
vsh start tp
expect_eq "start for the away case" 0 "$rc"
spid=$(sidecar_attr tp pid)
qpid=$(sed -n 's/.*<domstatus[^>]* pid="\([0-9]*\)".*/\1/p' "$rundir/tp.xml" | head -n 1)
{ kill -KILL "$MV_PID"; wait_exit "$MV_PID" 5; } 2>/dev/null || expect_fail "the daemon survived SIGKILL"
kill -KILL "$qpid"
wait_no_swtpm "$uuid" 10 || expect_fail "swtpm outlived its QEMU"
restart_daemon
expect_eq "shut off" "shut off" "$(guest_state tp)"
expect_eq "socket removed" no "$(has "$rundir/$uuid.d/swtpm.sock")"
verdict "a domain whose QEMU and swtpm died while the daemon was away is cleaned up"

# 6: a start that fails after swtpm started leaves no swtpm
sed "s|<memballoon model='none'/>|<memballoon model='none'/>\n    <disk type='file' device='disk'><source file='$mv_tmp/missing.img'/><target dev='vda' bus='virtio'/></disk>|" \
    "$mv_tmp/tp.xml" >"$mv_tmp/tp-bad.xml"
vsh define "$mv_tmp/tp-bad.xml"
expect_eq "define with a missing disk" 0 "$rc"
vsh start tp
expect_eq "start fails" 1 "$rc"
expect_match "QEMU's reason" "missing.img" "$err"
expect_eq "no swtpm left" "" "$(swtpm_of "$uuid")"
expect_eq "no status file" no "$(has "$rundir/tp.xml")"
expect_eq "no socket" no "$(has "$rundir/$uuid.d/swtpm.sock")"
vsh define "$mv_tmp/tp.xml"
verdict "a start QEMU refuses stops the swtpm it needed"

# 7: plain undefine without persistent_state: the state goes (libvirt's default)
vsh undefine tp
expect_eq "undefine" 0 "$rc"
expect_eq "state removed" no "$(has "$swtpmdir/$uuid")"
verdict "plain undefine removes the TPM state when persistent_state is not 'yes'"

# 8: persistent_state='yes' keeps it on a plain undefine; --tpm removes it anyway
uq=$(cat /proc/sys/kernel/random/uuid)
guest_domain_xml tq "$mv_tmp/tq.serial" "$(tpm_xml "persistent_state='yes'")" | with_uuid "$uq" >"$mv_tmp/tq.xml"
vsh define "$mv_tmp/tq.xml"
vsh start tq --paused
expect_eq "start tq" 0 "$rc"
vsh destroy tq
expect_eq "state of tq" yes "$(has "$(state_file "$uq")")"
vsh undefine tq
expect_eq "undefine tq" 0 "$rc"
expect_eq "state kept" yes "$(has "$(state_file "$uq")")"
vsh define "$mv_tmp/tq.xml"
vsh undefine tq --tpm --keep-tpm
expect_eq "--tpm with --keep-tpm" 1 "$rc"
expect_match "exclusive" "mutually exclusive" "$err"
vsh undefine tq --tpm
expect_eq "undefine --tpm" 0 "$rc"
expect_eq "state removed by --tpm" no "$(has "$swtpmdir/$uq")"
verdict "persistent_state='yes' keeps the state on undefine; --tpm removes it; --tpm --keep-tpm is refused"

# 9: --keep-tpm keeps it without persistent_state; a transient domain's stop removes it
vsh define "$mv_tmp/tp.xml"
vsh start tp --paused
vsh destroy tp
expect_eq "state before --keep-tpm" yes "$(has "$(state_file "$uuid")")"
vsh undefine tp --keep-tpm
expect_eq "undefine --keep-tpm" 0 "$rc"
expect_eq "state kept by --keep-tpm" yes "$(has "$(state_file "$uuid")")"
touch "$swtpmdir/$uuid/marker"
vsh create "$mv_tmp/tp.xml" --paused
expect_eq "create transient" 0 "$rc"
expect_eq "transient uses the kept state" yes "$(has "$swtpmdir/$uuid/marker")"
vsh destroy tp
expect_eq "destroy transient" 0 "$rc"
expect_eq "transient's state removed" no "$(has "$swtpmdir/$uuid")"
wait_no_swtpm "$uuid" 10 || expect_fail "swtpm of the transient domain still runs"
verdict "--keep-tpm keeps the state; the stop of a transient domain removes it"

# 10: undefine while it runs, then kill -9 of the daemon: the restarted one
# still knows the flags (status file) when the transient domain stops
# kill_restart: the daemon dies by SIGKILL and a new one starts on the same root
kill_restart() {
    { kill -KILL "$MV_PID"; wait_exit "$MV_PID" 5; } 2>/dev/null || expect_fail "the daemon survived SIGKILL"
    restart_daemon
    expect_daemon_alive
}
# undefine_running FLAG: tp started paused, undefined with FLAG, the daemon killed and
# restarted, tp destroyed
undefine_running() {
    vsh define "$mv_tmp/tp.xml"
    vsh start tp --paused
    expect_eq "start before undefine $1" 0 "$rc"
    expect_eq "state before undefine $1" yes "$(has "$(state_file "$uuid")")"
    vsh undefine tp "$1"
    expect_eq "undefine $1 while running" 0 "$rc"
    expect_match "flags in the status file" 'undefine-flags="[0-9]+"' "$(cat "$rundir/tp.xml")"
    kill_restart
    expect_eq "runs after the restart ($1)" paused "$(guest_state tp)"
    vsh destroy tp
    expect_eq "destroy after the restart ($1)" 0 "$rc"
    wait_no_swtpm "$uuid" 10 || expect_fail "swtpm still runs after destroy ($1)"
}
undefine_running --keep-tpm
expect_eq "state kept by --keep-tpm across the restart" yes "$(has "$(state_file "$uuid")")"
undefine_running --tpm
expect_eq "state removed by --tpm across the restart" no "$(has "$swtpmdir/$uuid")"
verdict "undefine --keep-tpm / --tpm of a running domain hold across kill -9 of the daemon"

# 11: passthrough without a host TPM
guest_domain_xml tpt "$mv_tmp/tpt.serial" \
    "<tpm model='tpm-tis'><backend type='passthrough'><device path='$mv_tmp/tpm9'/></backend></tpm>" >"$mv_tmp/tpt.xml"
vsh define "$mv_tmp/tpt.xml"
expect_eq "define passthrough" 0 "$rc"
vsh start tpt
expect_eq "start passthrough" 1 "$rc"
expect_match "names the device" "TPM passthrough device '$mv_tmp/tpm9' of domain 'tpt' does not exist" "$err"
expect_eq "no status file" no "$(has "$rundir/tpt.xml")"
vsh undefine tpt
verdict "a passthrough TPM whose device does not exist is refused at start, naming it"

# 12
expect_eq "QEMUs left" "" "$(pgrep -f -- "$rundir/" || true)"
verdict "no QEMU or swtpm of this test is left"
mv_done
