#!/bin/bash
# A real guest driven by our own CLI (modvirt, through libmodvirt): define,
# start, console, suspend/resume, events, shutdown, destroy, undefine; its
# tables compared with virsh's for the same daemon.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64"
BOOT_S=90
PLAN=11
guest_test_init $PLAN
start_daemon

CLI=$top_builddir/client/modvirt
mv() { run timeout -k 2 60 "$CLI" -c "qemu:///system?socket=$MV_RW" "$@"; }
log=$mv_tmp/c1.serial
guest_domain_xml c1 "$log" >"$mv_tmp/c1.xml"

# 1
mv define "$mv_tmp/c1.xml"
expect_eq "exit status" 0 "$rc"
expect_match "message" "^Domain 'c1' defined from" "$out"
uuid=$(sed -n "s|.*<uuid>\(.*\)</uuid>.*|\1|p" "$MV_ROOT/etc/modvirt/qemu/c1.xml")
expect_match "uuid in config" '^[0-9a-f-]{36}$' "$uuid"
verdict "modvirt define"

# 2
mv list --all
mine=$out
vsh list --all
expect_eq "list --all equals virsh's" "$out" "$mine"
mv info c1
mine=$out
vsh dominfo c1
expect_eq "info equals virsh dominfo (inactive)" "$out" "$mine"
verdict "list --all and info match virsh for an inactive domain"

# 3: the console sees the boot from the first byte: start paused, attach, resume
mv start --paused c1
expect_eq "start --paused status" 0 "$rc"
mv domstate c1
expect_eq "paused" paused "$out"
(sleep 60 | timeout -k 2 70 "$CLI" -c "qemu:///system?socket=$MV_RW" console c1 >"$mv_tmp/console.out" 2>"$mv_tmp/console.err") &
console_pid=$!
kill_at_exit $console_pid
# resume once the console's stream is open: the daemon then holds c1's pty
# (it has no other terminal open), so no output can be lost
pty_open() { ls -l "/proc/$MV_PID/fd" 2>/dev/null | grep -q ' -> /dev/pts/'; }
for _ in $(seq 200); do pty_open && break; sleep 0.05; done
pty_open || expect_fail "the daemon did not open c1's console within 10 s"
mv resume c1
expect_eq "resume status" 0 "$rc"
guest_wait_log "$mv_tmp/console.out" GUEST-BOOTED-OK $BOOT_S || expect_fail "the console never showed GUEST-BOOTED-OK"
verdict "modvirt console streams the guest's serial output from the start"

# 4: a second console without --force is refused while the first is open
mv console c1 </dev/null
expect_eq "second console status" 1 "$rc"
expect_match "busy error" "Active console session exists for domain 'c1'" "$err"
verdict "a second console session is refused"

# 5
mv list --all
mine=$out
vsh list --all
expect_eq "list --all equals virsh's (running)" "$out" "$mine"
mv info c1
mine=$(printf '%s\n' "$out" | grep -v '^CPU time')
vsh dominfo c1
expect_eq "info equals virsh dominfo (running, CPU time aside)" "$(printf '%s\n' "$out" | grep -v '^CPU time')" "$mine"
mv info --json c1
expect_match "json state" '"state": *"running"' "$out"
verdict "list, info and info --json of the running domain"

# 6: lookups by id and UUID
id=$(vsh domid c1; echo "$out")
mv domstate "$id"
expect_eq "by id" running "$out"
mv domstate "$uuid"
expect_eq "by uuid" running "$out"
verdict "domains are found by id and by UUID"

# 7: events while suspending and resuming
(timeout -k 2 40 "$CLI" -c "qemu:///system?socket=$MV_RW" events --loop --timeout 20 --json >"$mv_tmp/events.json" 2>&1) &
events_pid=$!
kill_at_exit $events_pid
event_marker "$mv_tmp/events.json"
mv suspend c1
expect_eq "suspend" 0 "$rc"
mv resume c1
expect_eq "resume" 0 "$rc"
event_marker "$mv_tmp/events.json"
kill "$events_pid" 2>/dev/null
wait "$events_pid" 2>/dev/null
expect_eq "two events" 2 "$(grep -c '"domain": *"c1"' "$mv_tmp/events.json")"
c1_events=$(grep '"domain": *"c1"' "$mv_tmp/events.json")
expect_match "suspended first" '"type": *"Suspended", *"detail": *"Paused"' "$(sed -n 1p <<<"$c1_events")"
expect_match "resumed second" '"type": *"Resumed", *"detail": *"Unpaused"' "$(sed -n 2p <<<"$c1_events")"
verdict "modvirt events --json reports suspend and resume in order"

# 8: graceful shutdown; the console sees the power button and ends
guest_wait_log "$log" GUEST-READY $BOOT_S || expect_fail "guest never listened for the power button"
mv shutdown c1
expect_eq "shutdown status" 0 "$rc"
# (the serial log, not the console: output QEMU writes to the pty just
# before it exits may be lost when it closes the pty, as with any pty)
guest_wait_log "$log" GUEST-POWERBUTTON 30 || expect_fail "the guest never saw the power button"
for _ in $(seq 300); do mv domstate c1; [ "$out" = "shut off" ] && break; sleep 0.1; done
expect_eq "state" "shut off" "$out"
# the pipeline's sleep lives on; the console client itself must be gone
for _ in $(seq 100); do pgrep -f -- "modvirt -c .* console c1" >/dev/null || break; sleep 0.1; done
pgrep -f -- "modvirt -c .* console c1" >/dev/null && expect_fail "modvirt console did not end when the guest stopped"
verdict "modvirt shutdown: the guest powers off and the console session ends"

# 9
mv start c1
guest_wait_log "$log" GUEST-BOOTED-OK $BOOT_S || expect_fail "no second boot"
mv destroy c1
expect_eq "destroy status" 0 "$rc"
expect_match "destroy message" "^Domain 'c1' destroyed" "$out"
mv destroy c1
expect_eq "second destroy status" 1 "$rc"
expect_match "not running" "not running" "$err"
verdict "modvirt destroy, and destroy of a stopped domain fails"

# 10: read-only connections can look but not act
run timeout -k 2 30 "$CLI" -r -c "qemu:///system?socket=$MV_RO" start c1
expect_eq "ro start status" 1 "$rc"
expect_match "ro error" "read only" "$err"
run timeout -k 2 30 "$CLI" -r -c "qemu:///system?socket=$MV_RO" list --all
expect_eq "ro list status" 0 "$rc"
verdict "read-only connections list but cannot start"

# 11
mv undefine c1
expect_eq "undefine status" 0 "$rc"
mv info c1
expect_eq "unknown status" 1 "$rc"
expect_match "no domain" "failed to get domain 'c1'|Domain not found" "$err"
verdict "modvirt undefine; the domain is then unknown"
mv_done
