#!/bin/bash
# libvirt's QEMU program (0x20008087) against a real guest: virsh
# qemu-monitor-command (QMP as QEMU answers it, --hmp, --pretty,
# --return-value), QEMU's own error for a command it refuses, virsh
# qemu-monitor-event catching a suspend (name filter, regex without case),
# python3's libvirt_qemu, and the errors: read-only connections, a domain
# that is not running, unknown flags, text that is no JSON.
# via-proxy-qemud-qemuprog.sh runs the same through modvirt-proxyd.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64"
BOOT_S=90
PLAN=11
guest_test_init $PLAN
start_daemon

guest_domain_xml qp1 "$mv_tmp/qp1.serial" >"$mv_tmp/qp1.xml"
guest_domain_xml qp2 "$mv_tmp/qp2.serial" >"$mv_tmp/qp2.xml"
vsh define "$mv_tmp/qp1.xml"
[ "$rc" -eq 0 ] || { echo "Bail out! cannot define qp1: $err"; exit 1; }
vsh define "$mv_tmp/qp2.xml"
vsh start qp1
[ "$rc" -eq 0 ] || { echo "Bail out! cannot start qp1: $err"; exit 1; }
guest_wait_log "$mv_tmp/qp1.serial" GUEST-BOOTED-OK $BOOT_S || diag "qp1 did not boot (its monitor answers anyway)"

# json_get JSON EXPR: EXPR (python, on the parsed value v) printed
json_get() { "$MV_PY" -c 'import json, sys; v = json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2" 2>&1; }

# 1: QMP in, QEMU's whole reply out, as libvirt gives it
vsh qemu-monitor-command qp1 '{"execute":"query-status"}'
expect_eq "exit status" 0 "$rc"
expect_eq "status" running "$(json_get "$out" 'v["return"]["status"]')"
expect_match "id" '^libvirt-[0-9]+$' "$(json_get "$out" 'v["id"]')"
expect_eq "keys" "['id', 'return']" "$(json_get "$out" 'sorted(v)')"
vsh qemu-monitor-command qp1 '{"execute":"query-name"}' --return-value
expect_eq "--return-value" '{"name":"qp1"}' "$(json_get "$out" 'json.dumps(v, separators=(",", ":"))')"
vsh qemu-monitor-command qp1 --pretty '{"execute":"query-status"}'
expect_eq "--pretty exit status" 0 "$rc"
[ "$(printf '%s\n' "$out" | wc -l)" -gt 3 ] || expect_fail "--pretty printed one line: $(run_evidence)"
expect_match "--pretty" '^ +"status": "running"' "$(printf '%s\n' "$out" | grep '"status"')"
verdict "qemu-monitor-command: QEMU's reply with its id, --return-value, --pretty"

# 2
vsh qemu-monitor-command qp1 --hmp 'info status'
expect_eq "exit status" 0 "$rc"
expect_match "HMP text" '^VM status: running' "$out"
vsh qemu-monitor-command qp1 --hmp 'info name'
expect_match "HMP info name" '^qp1' "$out"
verdict "qemu-monitor-command --hmp: human-monitor-command's text"

# 3: a command QEMU refuses is QEMU's answer, not a libvirt error
vsh qemu-monitor-command qp1 '{"execute":"no-such-command"}'
expect_eq "exit status" 0 "$rc"
expect_eq "QEMU's error class" CommandNotFound "$(json_get "$out" 'v["error"]["class"]')"
expect_match "QEMU's words" 'no-such-command' "$(json_get "$out" 'v["error"]["desc"]')"
vsh qemu-monitor-command qp1 '{"execute":"query-status","arguments":{"bogus":1}}'
expect_match "QEMU refuses an argument" "bogus" "$(json_get "$out" 'v["error"]["desc"]')"
verdict "a command QEMU refuses: QEMU's own error object, as libvirt returns it"

# 4: qemu-monitor-event --event STOP catches a suspend.  The listener's
# registration is proven by its output (suspend/resume rounds until a STOP
# shows), then one more round: its RESUME comes before that STOP on the
# same ordered stream, so a filter letting RESUME through would show it.
MV_CLIENT_TIMEOUT=120 isolated virsh -c "$MV_URI" qemu-monitor-event qp1 --event STOP --loop \
    --timeout 110 >"$mv_tmp/ev-stop" 2>&1 &
ev_stop=$!
MV_CLIENT_TIMEOUT=120 isolated virsh -c "$MV_URI" qemu-monitor-event --event 'resu' --regex --no-case \
    --loop --timeout 110 >"$mv_tmp/ev-resume" 2>&1 &
ev_resume=$!
at_exit "kill $ev_stop $ev_resume 2>/dev/null"
rounds=0
while [ $rounds -lt 50 ] && ! { grep -q 'event STOP' "$mv_tmp/ev-stop" && grep -q 'event RESUME' "$mv_tmp/ev-resume"; }; do
    vsh suspend qp1
    vsh resume qp1
    rounds=$((rounds + 1))
done
stops=$(grep -c 'event STOP' "$mv_tmp/ev-stop")
vsh suspend qp1
vsh resume qp1
for ((i = 0; i < 100; i++)); do
    [ "$(grep -c 'event STOP' "$mv_tmp/ev-stop")" -gt "$stops" ] && break
    sleep 0.1
done
expect_match "STOP listener" "^event STOP at [0-9]+\.[0-9]{6} for domain 'qp1': " "$(grep 'event STOP' "$mv_tmp/ev-stop" | head -n 1)"
[ "$(grep -c 'event STOP' "$mv_tmp/ev-stop")" -gt "$stops" ] || expect_fail "no STOP for the last suspend: $(cat "$mv_tmp/ev-stop")"
expect_eq "events other than STOP" "" "$(grep '^event' "$mv_tmp/ev-stop" | grep -v 'event STOP')"
expect_match "RESUME by regex, any case" "^event RESUME at [0-9.]+ for domain 'qp1'" "$(grep 'event RESUME' "$mv_tmp/ev-resume" | head -n 1)"
expect_eq "events other than RESUME" "" "$(grep '^event' "$mv_tmp/ev-resume" | grep -v 'event RESUME')"
diag "$rounds suspend/resume rounds until both listeners had their first event"
verdict "qemu-monitor-event: --event STOP catches a suspend; --regex --no-case 'resu' gets RESUME only"

# 5: the event's details are QEMU's data, as JSON.  The listener takes
# STOP too: a STOP shown proves it registered before the shutdown.
MV_CLIENT_TIMEOUT=120 isolated virsh -c "$MV_URI" qemu-monitor-event qp1 --event '^(STOP|SHUTDOWN)$' \
    --regex --loop --timeout 110 >"$mv_tmp/ev-shutdown" 2>&1 &
ev_shutdown=$!
at_exit "kill $ev_shutdown 2>/dev/null"
for ((i = 0; i < 50; i++)); do
    grep -q 'event STOP' "$mv_tmp/ev-shutdown" && break
    vsh suspend qp1
    vsh resume qp1
done
vsh destroy qp1 --graceful
for ((i = 0; i < 100; i++)); do
    grep -q 'event SHUTDOWN' "$mv_tmp/ev-shutdown" && break
    sleep 0.1
done
stop_bg "$ev_shutdown"
expect_match "SHUTDOWN details" "^event SHUTDOWN at [0-9.]+ for domain 'qp1': \\{.*\"guest\": ?false" \
    "$(grep 'event SHUTDOWN' "$mv_tmp/ev-shutdown" | head -n 1)"
verdict "qemu-monitor-event: the event's details are QEMU's data as JSON"

vsh start qp1
[ "$rc" -eq 0 ] || diag "qp1 did not start again: $err"

# 6
denied="error: operation forbidden: read only access prevents"
run isolated virsh -r -c "$MV_URI" qemu-monitor-command qp1 '{"execute":"query-status"}'
expect_eq "exit status" 1 "$rc"
expect_match "stderr" "^$denied virDomainQemuMonitorCommand\$" "$err"
run isolated virsh -c "$MV_URI_RO" qemu-monitor-command qp1 --hmp 'info status'
expect_match "ro socket" "^$denied virDomainQemuMonitorCommand\$" "$err"
run isolated virsh -r -c "$MV_URI" qemu-monitor-event qp1 --timeout 1
expect_match "event registration" "$denied virConnectDomainQemuMonitorEventRegister" "$err"
verdict "read-only connections: monitor commands and events refused"

# 7
vsh qemu-monitor-command qp2 '{"execute":"query-status"}'
expect_eq "exit status" 1 "$rc"
expect_eq "stderr" "error: Requested operation is not valid: domain 'qp2' is not running" "$err"
vsh qemu-monitor-command nosuchdom '{"execute":"query-status"}'
expect_match "missing domain" "^error: failed to get domain 'nosuchdom'" "$err"
verdict "a domain not running, a missing domain: named errors"

# 8: python3-libvirt's libvirt_qemu
MV_CLIENT_TIMEOUT=60 py - "$MV_URI" <<'EOF'
import json, sys, libvirt, libvirt_qemu
from mvlibvirt import out, exc

conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("qp1")
r = json.loads(libvirt_qemu.qemuMonitorCommand(dom, '{"execute":"query-name"}', 0))
out("qmp_name", r["return"]["name"])
out("hmp", libvirt_qemu.qemuMonitorCommand(dom, "info name", libvirt_qemu.VIR_DOMAIN_QEMU_MONITOR_COMMAND_HMP).strip())
for key, cmd, flags in (("badflags", '{"execute":"query-name"}', 4), ("notjson", '{"execute":', 0)):
    try:
        libvirt_qemu.qemuMonitorCommand(dom, cmd, flags)
        out(key, "no error")
    except libvirt.libvirtError as e:
        out(key, exc(e))
EOF
expect_eq "python exit" 0 "$rc"
expect_eq "QMP through libvirt_qemu" qp1 "$(kv qmp_name)"
expect_eq "HMP through libvirt_qemu" qp1 "$(kv hmp)"
expect_match "unknown flags" "^EXC 8 10 invalid argument: unsupported flags \(0x4\) in function virDomainQemuMonitorCommand" "$(kv badflags)"
expect_match "text that is no JSON" "^EXC 1 10 internal error: cannot parse json \{\"execute\":" "$(kv notjson)"
[ "$rc" -eq 0 ] || diag "$err"
verdict "python3 libvirt_qemu.qemuMonitorCommand: QMP, HMP, bad flags, no JSON"

# 9: the domain's job is held: a command on a paused guest works and the
# state QEMU reports is the daemon's
vsh suspend qp1
vsh qemu-monitor-command qp1 '{"execute":"query-status"}'
expect_eq "paused" paused "$(json_get "$out" 'v["return"]["status"]')"
vsh domstate qp1
expect_eq "domstate" paused "$out"
vsh resume qp1
verdict "qemu-monitor-command on a paused guest; the daemon's state agrees"

# 10: the modvirt CLI (libmodvirt sends the QEMU program too)
run isolated "$top_builddir/client/modvirt" -c "$MV_URI" qemu-monitor-command qp1 '{"execute":"query-name"}'
expect_eq "exit status" 0 "$rc"
expect_eq "modvirt QMP" qp1 "$(json_get "$out" 'v["return"]["name"]')"
run isolated "$top_builddir/client/modvirt" -c "$MV_URI" qemu-monitor-command qp1 --hmp info status
expect_match "modvirt HMP" '^VM status: running' "$out"
run isolated "$top_builddir/client/modvirt" -c "$MV_URI" qemu-monitor-command qp2 '{"execute":"query-name"}'
expect_eq "not running: exit status" 1 "$rc"
expect_match "not running" "domain 'qp2' is not running" "$err"
verdict "modvirt qemu-monitor-command: QMP, HMP, a domain not running"

# 11
vsh destroy qp1
stop_bg "$ev_stop"
stop_bg "$ev_resume"
expect_daemon_alive
bad=$(grep -E ': (warning|warn|error|critical):' "$MV_LOG")
expect_eq "warnings or errors in the daemon log" "" "$bad"
verdict "the daemon is running and logged no warning"

mv_done
