#!/bin/bash
# A real guest's life under modvirt-qemud, driven by Debian's virsh: define,
# start, boot (seen on the serial log), suspend/resume, graceful shutdown by
# the ACPI power button, destroy, undefine; lifecycle events as virsh event
# prints them; and the invalid inputs, each leaving nothing behind.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 virt-xml-validate"
BOOT_S=90
guest_test_init 16
start_daemon

log=$mv_tmp/g1.serial
guest_domain_xml g1 "$log" >"$mv_tmp/g1.xml"
state() { guest_state "$1"; }
wait_state() { guest_wait_state "$@"; }
# Processes are looked at by pid from this daemon's status file, never by a
# host-wide pgrep of the guest's name: other tests (and other checkouts'
# test runs) start guests named g1 too.
rundir=$MV_ROOT/run/modvirt/qemu
# PID gone from /proc: exited and reaped (QEMU is the daemon's own child)
proc_left() { [ -e "/proc/$1" ] && echo "present, $(grep '^State' "/proc/$1/status" 2>/dev/null)" || echo gone; }
# the daemon's children that exited and wait to be reaped
daemon_zombies() { ps -o pid=,stat=,comm= --ppid "$MV_PID" | awk '$2 ~ /^Z/' | tr '\n' ' '; }

# event listener for the whole run: virsh prints one line per event.  It
# lives as long as the script (killed at exit), not the default 30 s client
# timeout: on a loaded machine the cases before the last event take longer
MV_CLIENT_TIMEOUT=900 isolated virsh -c "$MV_URI" event --all --loop --timeout 900 >"$mv_tmp/events" 2>&1 &
events_pid=$!
kill_at_exit $events_pid
event_marker "$mv_tmp/events"

# 1
vsh define "$mv_tmp/g1.xml"
expect_eq "exit status" 0 "$rc"
expect_match "message" "^Domain 'g1' defined from" "$out"
expect_eq "config file" yes "$([ -f "$MV_ROOT/etc/modvirt/qemu/g1.xml" ] && echo yes)"
verdict "virsh define writes the persistent definition"

# 2
vsh list --all
expect_match "g1 shut off" "^ -[[:space:]]+g1[[:space:]]+shut off$" "$out"
vsh dumpxml g1
printf '%s\n' "$out" >"$mv_tmp/dump.xml"
expect_match "uuid generated" "<uuid>[0-9a-f-]{36}</uuid>" "$out"
run virt-xml-validate "$mv_tmp/dump.xml" domain
expect_eq "virt-xml-validate" 0 "$rc"
verdict "virsh list --all and dumpxml of the inactive domain (schema-valid)"

# 3
vsh start g1
expect_eq "exit status" 0 "$rc"
expect_match "message" "^Domain 'g1' started" "$out"
guest_wait_log "$log" GUEST-BOOTED-OK $BOOT_S || expect_fail "no GUEST-BOOTED-OK on the serial log"
expect_eq "domstate" running "$(state g1)"
vsh domid g1
expect_match "id" '^[0-9]+$' "$out"
pid=$(our_qemu g1)
[ -n "$pid" ] || expect_fail "no QEMU of g1 with the pid of its status file"
verdict "virsh start boots the guest (GUEST-BOOTED-OK on its serial log)"

# 4
vsh dominfo g1
expect_match "state" "^State:[[:space:]]+running$" "$out"
expect_match "memory" "^Max memory:[[:space:]]+262144 KiB$" "$out"
expect_match "persistent" "^Persistent:[[:space:]]+yes$" "$out"
vsh dumpxml g1
expect_match "live id" "^<domain type=.qemu. id=.[0-9]+.>" "$out"
expect_match "pty path" "<source path=./dev/pts/[0-9]+./>" "$out"
verdict "dominfo and live dumpxml of the running guest"

# 5
vsh suspend g1
expect_eq "suspend status" 0 "$rc"
expect_eq "paused" paused "$(state g1)"
vsh resume g1
expect_eq "resume status" 0 "$rc"
expect_eq "running" running "$(state g1)"
verdict "suspend and resume"

# 6
vsh start g1
expect_eq "exit status" 1 "$rc"
expect_match "error" "already active" "$err"
verdict "virsh start of a running domain is refused"

# 7
guest_wait_log "$log" GUEST-READY $BOOT_S || expect_fail "guest never listened for the power button"
vsh shutdown g1
expect_eq "exit status" 0 "$rc"
guest_wait_log "$log" GUEST-POWERBUTTON 30 || expect_fail "guest never saw the power button"
wait_state g1 "shut off" 30 || expect_fail "g1 not shut off 30 s after shutdown: $(state g1)"
expect_eq "qemu exited and reaped" gone "$(proc_left "${pid:-0}")"
expect_eq "daemon's zombies" "" "$(daemon_zombies)"
expect_eq "status file removed" no "$([ -f "$MV_ROOT/run/modvirt/qemu/g1.xml" ] && echo yes || echo no)"
verdict "virsh shutdown: guest sees the power button and the domain shuts off"

# 8
vsh start g1
guest_wait_log "$log" GUEST-BOOTED-OK $BOOT_S || expect_fail "second boot failed"
pid=$(our_qemu g1)
[ -n "$pid" ] || expect_fail "no QEMU of g1 with the pid of its status file"
vsh destroy g1
expect_eq "destroy status" 0 "$rc"
expect_eq "state" "shut off" "$(state g1)"
expect_eq "qemu exited and reaped" gone "$(proc_left "${pid:-0}")"
expect_eq "daemon's zombies" "" "$(daemon_zombies)"
vsh destroy g1
expect_eq "second destroy status" 1 "$rc"
expect_match "second destroy error" "not running" "$err"
verdict "destroy stops QEMU at once; destroying again is an error"

# 9
vsh undefine g1
expect_eq "exit status" 0 "$rc"
expect_eq "config gone" no "$([ -f "$MV_ROOT/etc/modvirt/qemu/g1.xml" ] && echo yes || echo no)"
vsh domstate g1
expect_eq "lookup status" 1 "$rc"
expect_match "no domain error" "failed to get domain 'g1'" "$err"
verdict "undefine removes the definition; the name is then unknown"

# 10: events, in the order virsh printed them (all of them: a marker came after)
event_marker "$mv_tmp/events"
stop_bg $events_pid
ev=$(grep "for domain 'g1'" "$mv_tmp/events" | sed -e "s/^event 'lifecycle' for domain 'g1': //")
expected="Defined Added
Resumed Unpaused
Started Booted
Suspended Paused
Resumed Unpaused
Shutdown Finished after host request
Stopped Shutdown
Resumed Unpaused
Started Booted
Shutdown Finished after host request
Stopped Destroyed
Undefined Removed"
expect_eq "event sequence" "$expected" "$ev"
verdict "virsh event --all --loop saw every lifecycle event in order"

# 11: invalid inputs leave nothing behind
printf '<domain type="qemu"><name>broken</name>' >"$mv_tmp/broken.xml"
vsh define "$mv_tmp/broken.xml"
expect_eq "broken status" 1 "$rc"
expect_match "broken error" "XML error" "$err"
sed -e "s|<name>g1</name>|<name>../x</name>|" "$mv_tmp/g1.xml" >"$mv_tmp/slash.xml"
vsh define "$mv_tmp/slash.xml"
expect_eq "slash status" 1 "$rc"
expect_match "slash error" "must not contain '/'" "$err"
expect_eq "config dir" "" "$(ls "$MV_ROOT/etc/modvirt/qemu" | grep -v autostart)"
verdict "broken XML and a name with '/' are refused and nothing is written"

# 12
vsh define "$mv_tmp/g1.xml"
uuid1=$(vsh domuuid g1; echo "$out")
sed -e "s|<name>g1</name>|<name>g1</name><uuid>11111111-2222-3333-4444-555555555555</uuid>|" \
    "$mv_tmp/g1.xml" >"$mv_tmp/dup.xml"
vsh define "$mv_tmp/dup.xml"
expect_eq "duplicate status" 1 "$rc"
expect_match "duplicate error" "already exists with uuid" "$err"
vsh domuuid g1
expect_eq "uuid unchanged" "$uuid1" "$out"
verdict "defining a duplicate name with another UUID is refused; the original stays"

# 13
vsh domstate no-such
expect_eq "status" 1 "$rc"
expect_match "error" "failed to get domain 'no-such'" "$err"
vsh start no-such
expect_eq "start status" 1 "$rc"
verdict "an unknown domain gives the no-domain error"

# 14: a start QEMU refuses reports QEMU's own words and leaves no state
sed -e "s|<vcpu>1</vcpu>|<vcpu>1</vcpu><cpu mode='custom'><model>no-such-cpu-model</model></cpu>|" \
    -e "s|<name>g1</name>|<name>bad</name>|" "$mv_tmp/g1.xml" >"$mv_tmp/bad.xml"
vsh define "$mv_tmp/bad.xml"
vsh start bad
expect_eq "start status" 1 "$rc"
expect_match "QEMU's message" "no-such-cpu-model" "$err"
expect_eq "state" "shut off" "$(state bad)"
expect_eq "no status file" no "$([ -f "$MV_ROOT/run/modvirt/qemu/bad.xml" ] && echo yes || echo no)"
expect_eq "no qemu left" "" "$(pgrep -a -f -- "$rundir/" | grep -- "guest=bad," || true)"
expect_eq "daemon's zombies" "" "$(daemon_zombies)"
verdict "a start QEMU refuses reports QEMU's error and leaves nothing running"

# 15: autostart link
vsh autostart g1
expect_eq "autostart status" 0 "$rc"
expect_eq "link" yes "$([ -L "$MV_ROOT/etc/modvirt/qemu/autostart/g1.xml" ] && echo yes)"
vsh dominfo g1
expect_match "autostart shown" "^Autostart:[[:space:]]+enable$" "$out"
vsh autostart --disable g1
expect_eq "link gone" no "$([ -L "$MV_ROOT/etc/modvirt/qemu/autostart/g1.xml" ] && echo yes || echo no)"
verdict "virsh autostart / --disable"

# 16
expect_daemon_alive
verdict "the daemon is still running"
mv_done
