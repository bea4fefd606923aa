#!/bin/bash
# The QEMU guest agent under modvirt-qemud, with Debian's qemu-ga running in
# the test guest (guest.agent=1) on a <channel type='unix'> without a source
# path (qemud fills one in the domain's directory): guestinfo, domhostname,
# domifaddr --source agent, set-user-password, domfsfreeze / domfsthaw,
# shutdown and reboot --mode agent (the guest's own shutdown command, seen on
# its console), the agent found again after a daemon restart, python3-libvirt;
# and the failures: no agent channel, a guest that never opens its end, a
# guest whose agent hangs (named error within the sync timeout, and the
# domain's other operations keep working meanwhile and after).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64"
BOOT_S=90
N=11
guest_test_init $N
start_daemon

channel="<channel type='unix'><target type='virtio' name='org.qemu.guest_agent.0'/></channel>"
net="<interface type='user'><model type='virtio'/></interface>"
# agent_xml NAME APPEND [DEVICES]: the test guest with the agent channel, on_reboot restart
agent_xml() {
    GUEST_APPEND=$2 guest_domain_xml "$1" "$mv_tmp/$1.serial" "${3-$channel}" |
        sed 's|<on_reboot>destroy</on_reboot>|<on_reboot>restart</on_reboot>|'
}
CLI=$top_builddir/client/modvirt
mvcli() { run timeout -k 2 60 "$CLI" -c "qemu:///system?socket=$MV_RW" "$@"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_agent NAME SECS: 0 once the agent answers (the guest opened its end of the channel)
wait_agent() {
    local end=$(($(date +%s) + $2))
    while [ "$(date +%s)" -lt "$end" ]; do
        vsh domhostname "$1"
        [ "$rc" = 0 ] && return 0
        sleep 0.2
    done
    return 1
}

agent_xml a1 "guest.agent=1 guest.net=dhcp" "$channel
$net" >"$mv_tmp/a1.xml"
vsh define "$mv_tmp/a1.xml"
vsh start a1
guest_wait_log "$mv_tmp/a1.serial" "GUEST-AGENT-(STARTED|MISSING)" $BOOT_S
if grep -aq GUEST-AGENT-MISSING "$mv_tmp/a1.serial"; then
    for i in $(seq $N); do skip "the test guest has no qemu-ga (no qemu-guest-agent package)"; done
    vsh destroy a1
    exit 0
fi

# 1
wait_agent a1 30 || expect_fail "the agent did not answer within 30 s: $err"
vsh dumpxml a1
expect_match "channel path filled in the domain's directory" \
    "<source mode=.bind. path=.$MV_ROOT/run/modvirt/qemu/[0-9a-f-]+\\.d/channel0\\.sock./>" "$out"
vsh domhostname a1
expect_eq "domhostname" mvguest "$out"
vsh domhostname --source agent a1
expect_eq "domhostname --source agent" mvguest "$out"
vsh guestinfo a1
expect_match "os.id" "^os\\.id +: mvguest$" "$out"
expect_match "os.pretty-name" "^os\\.pretty-name +: modvirt test guest 1$" "$out"
expect_match "os.kernel-release" "^os\\.kernel-release +: [0-9]" "$out"
expect_match "hostname" "^hostname +: mvguest$" "$out"
expect_match "timezone" "^timezone\\.offset +: 0$" "$out"
expect_match "users" "^user\\.count +: 0$" "$out"
vsh guestinfo --os a1
expect_match "--os: os.id" "^os\\.id +: mvguest$" "$out"
expect_nomatch "--os: only os" "^hostname" "$out"
vsh qemu-agent-command a1 '{"execute":"guest-get-host-name"}'
expect_eq "qemu-agent-command" '{"return":{"host-name":"mvguest"}}' "$out"
vsh qemu-agent-command --timeout 10 a1 '{"execute":"guest-get-timezone"}'
expect_match "qemu-agent-command --timeout 10" '"offset":0' "$out"
vsh qemu-agent-command --async a1 '{"execute":"guest-ping"}'
expect_eq "qemu-agent-command --async" 0 "$rc"
vsh qemu-agent-command a1 '{"execute":"guest-no-such-command"}'
expect_eq "unknown agent command fails" 1 "$rc"
expect_match "the agent's words" "unable to execute QEMU agent command 'guest-no-such-command'.*has not been found" "$err"
vsh qemu-agent-command a1 'not json'
expect_eq "bad JSON fails" 1 "$rc"
expect_match "named" "cannot parse agent command" "$err"
verdict "the agent answers: domhostname, guestinfo and qemu-agent-command from qemu-ga (channel path filled by qemud)"

# 2
guest_wait_log "$mv_tmp/a1.serial" "GUEST-IP 10\\.0\\.2\\.15" 60 || expect_fail "no DHCP lease in the guest"
vsh domifaddr --source agent a1
expect_match "lo (down: no address)" "^ lo +00:00:00:00:00:00 " "$out"
expect_match "eth0" "^ eth0 +52:54:00:[0-9a-f:]+ +ipv4 +10\\.0\\.2\\.15/24$" "$out"
vsh domifaddr --source arp a1
expect_eq "--source arp fails" 1 "$rc"
expect_match "--source arp: named" "source 'arp' is not supported" "$err"
vsh guestinfo --interface a1
expect_match "guestinfo --interface" "^if\\.[0-9]+\\.addr\\.0\\.addr +: 10\\.0\\.2\\.15$" "$out"
# the same through libmodvirt (the modvirt tool)
mvcli domifaddr --source agent a1
expect_match "modvirt domifaddr: eth0" "^ eth0 +52:54:00:[0-9a-f:]+ +ipv4 +10\\.0\\.2\\.15/24$" "$out"
mvcli --json domifaddr --source agent a1
expect_match "modvirt --json domifaddr" '"name":"eth0","hwaddr":"52:54:00:[0-9a-f:]+","addrs":\[\{"type":"ipv4","addr":"10\.0\.2\.15","prefix":24\}' "$(tr -d ' \n' <<<"$out")"
mvcli domifaddr --source arp a1
expect_eq "modvirt domifaddr --source arp is a usage error" 2 "$rc"
mvcli guestinfo a1
expect_match "modvirt guestinfo: os.id" "^os\\.id +: mvguest$" "$out"
mvcli --json guestinfo a1
expect_match "modvirt --json guestinfo" '"hostname": ?"mvguest"' "$out"
verdict "domifaddr --source agent lists the guest's own addresses (lo, eth0's lease); arp is refused by name; modvirt domifaddr / guestinfo show the same"

# 3
vsh set-user-password a1 root s3cret
expect_eq "set-user-password" 0 "$rc"
guest_wait_log "$mv_tmp/a1.serial" "GUEST-PASSWD plain root:s3cret" 10 || expect_fail "the guest's chpasswd did not get it"
vsh set-user-password --encrypted a1 root '$6$salt$hash'
expect_eq "set-user-password --encrypted" 0 "$rc"
guest_wait_log "$mv_tmp/a1.serial" 'GUEST-PASSWD crypted root:\$6\$salt\$hash' 10 ||
    expect_fail "the guest's chpasswd -e did not get it"
vsh set-user-password a1 nosuchuser pw
expect_eq "unknown user fails" 1 "$rc"
expect_match "the agent's error" "unable to execute QEMU agent command 'guest-set-user-password'" "$err"
verdict "set-user-password reaches the guest's chpasswd (plain and --encrypted); a refusal is passed on"

# 4
vsh domfsfreeze a1
expect_eq "domfsfreeze" 0 "$rc"
expect_match "count" "^Froze [0-9]+ filesystem\\(s\\)$" "$out"
# the guest has no block filesystem: qemu-ga freezes none and may stay "thawed"
vsh qemu-agent-command a1 '{"execute":"guest-fsfreeze-status"}'
expect_match "status (qemu-agent-command)" '^\{"return":"(frozen|thawed)"\}$' "$out"
vsh domfsthaw --mountpoint / a1
expect_eq "thaw of a list fails" 1 "$rc"
expect_match "named" "specifying mountpoints is not supported" "$err"
vsh domfsthaw a1
expect_eq "domfsthaw" 0 "$rc"
expect_match "count" "^Thawed [0-9]+ filesystem\\(s\\)$" "$out"
vsh domhostname a1
expect_eq "agent usable after the thaw" mvguest "$out"
verdict "domfsfreeze / domfsthaw through the agent"

# 5: python3-libvirt
py - "$MV_URI" <<'EOF'
import sys, libvirt
c = libvirt.open(sys.argv[1])
d = c.lookupByName("a1")
info = d.guestInfo(libvirt.VIR_DOMAIN_GUEST_INFO_OS | libvirt.VIR_DOMAIN_GUEST_INFO_HOSTNAME, 0)
print("os.id=%s" % info.get("os.id"))
print("hostname=%s" % info.get("hostname"))
ifs = d.interfaceAddresses(libvirt.VIR_DOMAIN_INTERFACE_ADDRESSES_SRC_AGENT, 0)
print("eth0=%s" % ",".join(a["addr"] for a in (ifs.get("eth0") or {}).get("addrs") or [] if a["type"] == 0))
print("host=%s" % d.hostname(libvirt.VIR_DOMAIN_GET_HOSTNAME_AGENT))
EOF
expect_eq "python exit" 0 "$rc"
expect_eq "os.id" mvguest "$(kv os.id)"
expect_eq "hostname" mvguest "$(kv hostname)"
expect_eq "eth0" 10.0.2.15 "$(kv eth0)"
expect_eq "hostname()" mvguest "$(kv host)"
verdict "python3-libvirt: guestInfo, interfaceAddresses(AGENT), hostname(AGENT)"

# 6: a daemon restart finds the agent again (the guest's end is already open)
{ kill -KILL "$MV_PID"; wait_exit "$MV_PID" 5; } 2>/dev/null || expect_fail "the daemon survived SIGKILL"
try_start_daemon || expect_fail "the daemon did not restart"
wait_agent a1 30 || expect_fail "no agent after the restart: $err"
expect_eq "domhostname after the restart" mvguest "$out"
verdict "after a daemon restart the agent is connected again"

# 7
vsh reboot --mode agent a1
expect_eq "reboot --mode agent" 0 "$rc"
guest_wait_log "$mv_tmp/a1.serial" "GUEST-AGENT-SHUTDOWN reboot" 20 || expect_fail "the guest did not run shutdown -r"
end=$(($(date +%s) + BOOT_S))
while [ "$(grep -ac GUEST-BOOTED-OK "$mv_tmp/a1.serial")" -lt 2 ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
expect_eq "booted twice" 2 "$(grep -ac GUEST-BOOTED-OK "$mv_tmp/a1.serial")"
expect_eq "still running" running "$(guest_state a1)"
wait_agent a1 60 || expect_fail "the agent did not come back after the reboot: $err"
verdict "reboot --mode agent: the guest reboots itself, the agent answers again"

# 8
vsh shutdown --mode agent a1
expect_eq "shutdown --mode agent" 0 "$rc"
guest_wait_log "$mv_tmp/a1.serial" "GUEST-AGENT-SHUTDOWN powerdown" 20 || expect_fail "the guest did not run shutdown -P"
expect_nomatch "not the power button" "GUEST-POWERBUTTON" "$(cat "$mv_tmp/a1.serial")"
guest_wait_state a1 "shut off" 30 || expect_fail "a1 is $(guest_state a1), not shut off"
vsh domhostname a1
expect_eq "agent of a shut-off domain" 1 "$rc"
expect_match "named" "domain 'a1' is not running" "$err"
verdict "shutdown --mode agent: the guest powers itself off through the agent"

# 9: no channel; a channel the guest never opens
guest_domain_xml n1 "$mv_tmp/n1.serial" >"$mv_tmp/n1.xml"
vsh create "$mv_tmp/n1.xml"
vsh domhostname n1
expect_eq "no channel fails" 1 "$rc"
expect_match "no channel: named" "QEMU guest agent is not configured" "$err"
vsh shutdown --mode agent n1
expect_eq "shutdown --mode agent without channel" 1 "$rc"
agent_xml n2 "" >"$mv_tmp/n2.xml"
vsh create "$mv_tmp/n2.xml"
guest_wait_log "$mv_tmp/n2.serial" GUEST-READY $BOOT_S || expect_fail "n2 did not boot"
t0=$(now_ms)
vsh guestinfo n2
expect_eq "closed channel fails" 1 "$rc"
expect_match "closed channel: named" "Guest agent is not responding: .*not connected" "$err"
[ $(( $(now_ms) - t0 )) -lt 3000 ] || expect_fail "a closed channel took $(( $(now_ms) - t0 )) ms to refuse"
vsh shutdown --mode agent,acpi n2
expect_eq "agent then acpi" 0 "$rc"
guest_wait_log "$mv_tmp/n2.serial" GUEST-POWERBUTTON 20 || expect_fail "no fallback to the power button"
end=$(($(date +%s) + 30))
while vsh domstate n2 && [ "$out" != "shut off" ] && [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
[ "$rc" != 0 ] || [ "$out" = "shut off" ] || expect_fail "n2 did not power off (domstate: $out)"
vsh destroy n1
verdict "no agent channel, or the guest never opened it: named errors at once; --mode agent,acpi falls back"

# 10: a hung agent (the guest holds its end open and never answers)
agent_xml h1 "guest.agent=hang" >"$mv_tmp/h1.xml"
vsh create "$mv_tmp/h1.xml"
guest_wait_log "$mv_tmp/h1.serial" GUEST-AGENT-HUNG $BOOT_S || expect_fail "h1 did not open its port"
guest_wait_log "$mv_tmp/h1.serial" GUEST-READY 30 || true
t0=$(now_ms)
# its own files: run's are the foreground's
(isolated virsh -c "$MV_URI" domhostname h1 >/dev/null 2>"$mv_tmp/hung.err"; echo $? >"$mv_tmp/hung.rc") &
hung=$!
sleep 0.5       # not a synchronisation: the suspend below must succeed whether or not the call has started
vsh suspend h1
expect_eq "suspend while the agent call hangs" 0 "$rc"
vsh resume h1
expect_eq "resume" 0 "$rc"
wait $hung
el=$(( $(now_ms) - t0 ))
expect_eq "hung agent fails" 1 "$(cat "$mv_tmp/hung.rc")"
expect_match "named" "Guest agent is not responding: .*did not answer 'guest-sync-delimited' within 5000 ms" \
    "$(cat "$mv_tmp/hung.err")"
[ "$el" -lt 12000 ] || expect_fail "the hung agent held the call $el ms"
vsh domstate h1
expect_eq "domain works right after" running "$out"
vsh destroy h1
expect_eq "destroy right after" 0 "$rc"
verdict "a hung agent: 'Guest agent is not responding' within the 5 s sync timeout; suspend/resume/destroy unaffected"

# 11: bad flags and arguments
vsh domhostname --source lease a1
expect_eq "lease of a shut-off domain" 1 "$rc"
vsh start a1
wait_agent a1 $BOOT_S || expect_fail "the agent did not answer after a new start: $err"
run isolated virsh -r -c "$MV_URI" domifaddr --source agent a1
expect_eq "read-only agent source fails" 1 "$rc"
expect_match "named" "read only access prevents" "$err"
vsh destroy a1
vsh undefine a1
verdict "read-only clients may not ask the agent; a new start connects the agent again"
