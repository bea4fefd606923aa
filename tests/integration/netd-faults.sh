#!/bin/bash
# modvirt-netd when parts of a network fail or are changed behind its back
# (no guests: the bridge, its addresses, dnsmasq, our nftables chains and
# netd's files are what matter):
#  1. an active network's bridge loses its address (`ip addr flush`): a
#     network on the same subnet is still refused, naming the active one;
#  2. netd killed and restarted while that address is gone (and Docker's
#     FORWARD drop loaded meanwhile): the network is re-adopted with its
#     address put back, dnsmasq still listens, the Docker warning is
#     logged again; net-destroy leaves nothing;
#  3. dnsmasq killed, and its next two starts fail: netd tries again with
#     a pause between attempts, logging each, until one runs;
#  4. dnsmasq killed, and every start fails: netd gives up loudly once its
#     restart budget is spent; a destroy and start bring it back;
#  5. a destroy that cannot remove a part (an admin's rule jumps to one of
#     the network's nftables chains): the network reports inactive, its
#     status stays as 'stopping', a start first finishes the cleanup (and
#     is refused while it cannot), as does netd's next start;
#  6. a configuration file without a bridge name gets one at netd's start,
#     saved, so it stays the same across restarts;
#  7. netd killed in the middle of a destroy (dnsmasq stopped with SIGSTOP
#     holds the destroy up while it waits for dnsmasq to exit): the status
#     says 'stopping' from the start of the destroy, and the next netd
#     finishes it instead of re-adopting a half-removed network;
#  8. netd killed between a live update's status write and dnsmasq's
#     reload (simulated: the hosts file put back to its old content): the
#     next netd re-adopts the same dnsmasq and rewrites its hosts files
#     from the live definition;
#  9. dnsmasq's start loses a race with an interface going away ("failed
#     to find list of interfaces", a guest's tap or another bridge deleted
#     while it lists them): netd starts it again and net-start succeeds.
# The dnsmasq binary (config key "dnsmasq") is a script that fails (exit 1)
# (exit 5 with CTL/msg's text, if there is one) while CTL/fail holds a count
# above 0, counting it down, and otherwise
# execs the real dnsmasq.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns.sh"

MV_DAEMON=$MV_NETD
MV_NEEDS="ip nft iptables-nft ss /usr/sbin/dnsmasq"
DOCKER_RULES=$top_srcdir/tests/integration/docker-ruleset.sh
mv_init 9
nt_init
MV_ROOT=$mv_tmp/root
NETDIR=$MV_ROOT/etc/modvirt/network
RUNDIR=$MV_ROOT/run/modvirt/network
CTL=$mv_tmp/ctl
mkdir -p "$CTL" "$MV_ROOT/etc/modvirt" "$MV_ROOT/var/lib/modvirt/network"
cat >"$mv_tmp/dnsmasq-flaky" <<EOF
#!/bin/sh
n=\$(cat "$CTL/fail" 2>/dev/null || echo 0)
if [ "\$n" -gt 0 ]; then
    echo \$((n - 1)) >"$CTL/fail"
    if [ -s "$CTL/msg" ]; then cat "$CTL/msg" >&2; exit 5; fi
    echo "dnsmasq-flaky: failing on purpose (\$n to go)" >&2
    exit 1
fi
exec /usr/sbin/dnsmasq "\$@"
EOF
chmod 755 "$mv_tmp/dnsmasq-flaky"
printf '%s\n' "dnsmasq = \"$mv_tmp/dnsmasq-flaky\"" >"$MV_ROOT/etc/modvirt/modvirt-netd.conf"
nt_no_default
nt_netd_up

# net_xml NAME N: a nat network on bridge ntNAME, 192.168.N.0/24, DHCP
net_xml() {
    cat <<EOF
<network>
  <name>$1</name>
  <forward mode='nat'/>
  <bridge name='nt$1' stp='off' delay='0'/>
  <ip address='192.168.$2.1' prefix='24'>
    <dhcp><range start='192.168.$2.100' end='192.168.$2.200'/></dhcp>
  </ip>
</network>
EOF
}
restart_netd() {
    kill -9 "$NT_NETD_PID"
    wait_exit "$NT_NETD_PID" 10 || expect_fail "netd (pid $NT_NETD_PID) did not die of SIGKILL"
    [ -z "${1:-}" ] || "$1"
    nt_start_netd
    MV_PID=$NT_NETD_PID
}
log_since() { tail -n +$(($1 + 1)) "$NT_NETD_LOG"; }
is_active() { nvsh net-info "$1"; printf '%s\n' "$out" | grep -Eq '^Active:[[:space:]]+yes$'; }
has_addr() { nt_host ip -o -4 addr show dev "nt$1" 2>/dev/null | grep -q " $2/24 "; }
listens() { nt_host ss -lnu 2>/dev/null | grep -q " $1:53 "; }
new_dnsmasq() { local p; p=$(nt_dnsmasq_pid "$1"); [ -n "$p" ] && [ "$p" != "$2" ]; }
status_pid() { sed -n "s/.*<dnsmasq pid='\([0-9]*\)'.*/\1/p" "$RUNDIR/$1.xml" 2>/dev/null; }
# gone NAME: nothing of network NAME in the namespace or netd's run directory
expect_gone() {
    expect_match "$2: bridge nt$1" "does not exist" "$(nt_host ip link show dev "nt$1" 2>&1)"
    expect_eq "$2: dnsmasq of $1" "" "$(nt_dnsmasq_pid "$1")"
    expect_nomatch "$2: chains of nt$1" "chain [a-z]+_nt$1 " "$(nt_host nft list table inet modvirt 2>&1)"
    expect_eq "$2: status file of $1" "" "$(ls "$RUNDIR/$1.xml" 2>/dev/null)"
}

# 1
net_xml fa 130 >"$mv_tmp/fa.xml"
net_xml fb 130 >"$mv_tmp/fb.xml"
nvsh net-define "$mv_tmp/fa.xml" && nvsh net-define "$mv_tmp/fb.xml" && nvsh net-start fa
[ "$rc" -eq 0 ] || { echo "Bail out! cannot define and start fa: $(run_evidence)"; exit 1; }
dnsmasq_fa=$(nt_dnsmasq_pid fa)
nt_host ip addr flush dev ntfa
nvsh net-start fb
expect_eq "net-start fb on fa's subnet, fa's address gone" 1 "$rc"
expect_match "its error" "network 'fb' subnet 192\.168\.130\.0/24 .*network 'fa'" "$err"
expect_match "bridge ntfb" "does not exist" "$(nt_host ip link show dev ntfb 2>&1)"
verdict "a subnet of an active network whose address was flushed is still refused, naming the network"

# 2
mark=$(wc -l <"$NT_NETD_LOG")
load_docker() { nt_host sh "$DOCKER_RULES" >/dev/null 2>&1 || expect_fail "$DOCKER_RULES failed"; }
restart_netd load_docker
is_active fa || expect_fail "fa is not active after netd's restart: $out"
has_addr fa 192.168.130.1 || expect_fail "ntfa has not got 192.168.130.1/24 back: $(nt_host ip -o addr show dev ntfa 2>&1)"
expect_match "netd's log" "network 'fa'.*bridge ntfa.*address" "$(log_since "$mark")"
# Docker came while netd was away: fa's forwarding goes through DOCKER-USER,
# or netd warns naming Docker's chain
expect_match "DOCKER-USER lets fa's traffic through, or netd's log warns" \
    "modvirt network fa|network 'fa':.*FORWARD.*DOCKER-USER" \
    "$(nt_host nft list chain ip filter DOCKER-USER 2>&1; log_since "$mark")"
nt_wait 10 listens 192.168.130.1 || expect_fail "no dnsmasq listens on 192.168.130.1:53: $(nt_host ss -lnu 2>&1)"
diag "fa's dnsmasq: pid $dnsmasq_fa before, $(nt_dnsmasq_pid fa) after"
nvsh net-destroy fa
expect_eq "net-destroy fa" 0 "$rc"
expect_gone fa "after net-destroy fa"
verdict "netd restarted while fa's address was gone: fa re-adopted with its address, dnsmasq listening, Docker coexistence checked again"

# 3
nvsh net-start fa
[ "$rc" -eq 0 ] || { echo "Bail out! cannot start fa again: $(run_evidence)"; exit 1; }
old=$(nt_dnsmasq_pid fa)
mark=$(wc -l <"$NT_NETD_LOG")
echo 2 >"$CTL/fail"
kill -9 "$old"
nt_wait 30 new_dnsmasq fa "$old" || expect_fail "no new dnsmasq for fa within 30 s of killing pid $old"
expect_eq "the failing starts used up" 0 "$(cat "$CTL/fail")"
expect_match "netd's log, each failed attempt" "network 'fa'.*dnsmasq.*failing on purpose \(2 to go\)" "$(log_since "$mark")"
expect_match "netd's log, the retry" "network 'fa'.*dnsmasq.*failing on purpose \(1 to go\)" "$(log_since "$mark")"
nt_wait 10 listens 192.168.130.1 || expect_fail "no dnsmasq listens on 192.168.130.1:53"
expect_eq "the status file's dnsmasq" "$(nt_dnsmasq_pid fa)" "$(status_pid fa)"
diag "netd said:" "$(log_since "$mark" | grep "'fa'" | grep -i dnsmasq | cut -c 25-)"
verdict "dnsmasq killed and its next two starts fail: netd tries again after a pause, logging each attempt, until it runs"

# 4
old=$(nt_dnsmasq_pid fa)
mark=$(wc -l <"$NT_NETD_LOG")
echo 1000 >"$CTL/fail"
kill -9 "$old"
gave_up() { log_since "$mark" | grep -q "network 'fa'.*dnsmasq.*giving up"; }
nt_wait 90 gave_up || expect_fail "netd did not give up on fa's dnsmasq within 90 s"
left=$(cat "$CTL/fail")
diag "$((1000 - left)) starts were tried; netd said: $(log_since "$mark" | grep "giving up" | cut -c 25-)"
[ "$left" -lt 1000 ] && [ "$left" -gt 990 ] || expect_fail "netd tried $((1000 - left)) starts, not a few"
is_active fa || expect_fail "fa is not active any more"
echo 0 >"$CTL/fail"
nvsh net-destroy fa && nvsh net-start fa
expect_eq "net-destroy and net-start fa" 0 "$rc"
nt_wait 10 listens 192.168.130.1 || expect_fail "no dnsmasq listens on 192.168.130.1:53 after the restart"
verdict "dnsmasq that cannot start: netd gives up loudly at its budget; a destroy and start bring it back"

# 5
nvsh net-start fb
net_xml fc 131 >"$mv_tmp/fc.xml"
nvsh net-define "$mv_tmp/fc.xml" && nvsh net-start fc
[ "$rc" -eq 0 ] || { echo "Bail out! cannot start fc: $(run_evidence)"; exit 1; }
# the last network's rules go with the table (nothing can hold it): fc
# keeps the table, so fa's chains go one by one, and one is held
admin_rule() { nt_host nft add chain inet modvirt admin && nt_host nft add rule inet modvirt admin jump in_ntfa; }
admin_gone() { nt_host nft flush chain inet modvirt admin && nt_host nft delete chain inet modvirt admin; }
admin_rule || expect_fail "cannot add the admin's rule to our table: $(nt_host nft list table inet modvirt 2>&1)"
mark=$(wc -l <"$NT_NETD_LOG")
nvsh net-destroy fa
diag "net-destroy fa with its chain held: rc $rc ${err:+($err)}"
is_active fa && expect_fail "fa reports active after its destroy"
expect_match "fa's status" "stopping='yes'" "$(cat "$RUNDIR/fa.xml" 2>&1)"
expect_match "netd's log" "network 'fa'.*stop.*(unfinished|finish)" "$(log_since "$mark")"
nvsh net-start fa
expect_eq "net-start fa while its chain is held" 1 "$rc"
expect_match "its error" "network 'fa'.*in_ntfa|network 'fa'.*stop" "$err"
expect_match "fa's status after the refused start" "stopping='yes'" "$(cat "$RUNDIR/fa.xml" 2>&1)"
admin_gone
nvsh net-start fa
expect_eq "net-start fa once the admin's rule is gone" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$err"
expect_match "netd's log" "network 'fa'.*finish" "$(log_since "$mark")"
# and the same finished by netd's next start
admin_rule
nvsh net-destroy fa
is_active fa && expect_fail "fa reports active after its second destroy"
expect_match "fa's status after the second destroy" "stopping='yes'" "$(cat "$RUNDIR/fa.xml" 2>&1)"
mark=$(wc -l <"$NT_NETD_LOG")
restart_netd admin_gone
is_active fa && expect_fail "fa reports active after netd's restart"
expect_gone fa "after netd's restart finished fa's stop"
expect_match "netd's log" "network 'fa'.*finish" "$(log_since "$mark")"
is_active fc || expect_fail "fc is not active after netd's restart"
for n in fb fc; do nvsh net-destroy $n; done
for n in fa fb fc; do nvsh net-undefine $n; done
expect_eq "our nftables table" "" "$(nt_host nft list table inet modvirt 2>/dev/null)"
verdict "a destroy that cannot remove a part keeps a 'stopping' status; the next start or netd finishes it"

# 6
rm -f "$CTL/fail"
kill -9 "$NT_NETD_PID"
wait_exit "$NT_NETD_PID" 10
printf '%s\n' "<network><name>fd</name><uuid>0f1d2e3c-4b5a-6978-8a9b-acbdcedf0011</uuid>" \
    "<ip address='192.168.132.1' prefix='24'/></network>" >"$NETDIR/fd.xml"
nt_start_netd
MV_PID=$NT_NETD_PID
nvsh net-dumpxml fd
first=$(printf '%s\n' "$out" | sed -n "s/.*<bridge name=[\"']\([^\"']*\)[\"'].*/\1/p")
expect_match "fd's bridge" '^virbr[0-9]+$' "$first"
expect_match "fd's configuration file" "<bridge name=[\"']$first[\"']" "$(cat "$NETDIR/fd.xml")"
mac=$(sed -n "s/.*<mac address=[\"']\([^\"']*\)[\"'].*/\1/p" "$NETDIR/fd.xml")
# another link takes the name the first netd picked: a netd that picked
# again would pick another
nt_host ip link add "$first" type bridge
restart_netd
nvsh net-dumpxml fd
expect_match "fd's bridge after a restart" "<bridge name=[\"']$first[\"']" "$out"
expect_match "fd's MAC after a restart" "<mac address=[\"']${mac:-none}[\"']" "$out"
[ -z "$first" ] || nt_host ip link del "$first"
nvsh net-undefine fd
expect_daemon_alive
grep -E ': critical:|AddressSanitizer|runtime error' "$NT_NETD_LOG" >"$mv_tmp/bad" && expect_fail "$(head -n 5 "$mv_tmp/bad")"
verdict "a configuration file without a bridge name gets one at netd's start, saved: the same after a restart"

# 7
nvsh net-define "$mv_tmp/fa.xml" && nvsh net-start fa
[ "$rc" -eq 0 ] || { echo "Bail out! cannot start fa for case 7: $(run_evidence)"; exit 1; }
held=$(nt_dnsmasq_pid fa)
kill -STOP "$held"
(nvsh net-destroy fa) &
destroy_pid=$!
stopping() { grep -q "stopping='yes'" "$RUNDIR/fa.xml" 2>/dev/null; }
nt_wait 4 stopping || expect_fail "fa's status does not say 'stopping' while its destroy waits for dnsmasq"
release_dnsmasq() { kill -CONT "$held" 2>/dev/null; }
restart_netd release_dnsmasq
wait "$destroy_pid"
is_active fa && expect_fail "fa is active after netd was killed in its destroy"
expect_gone fa "after netd was killed in fa's destroy and restarted"
nvsh net-undefine fa
expect_daemon_alive
verdict "netd killed in the middle of a destroy: the next netd finishes it"

# 8
nvsh net-define "$mv_tmp/fa.xml" && nvsh net-start fa
[ "$rc" -eq 0 ] || { echo "Bail out! cannot start fa for case 8: $(run_evidence)"; exit 1; }
hosts=$RUNDIR/dnsmasq/fa.hostsfile
old_hosts=$(cat "$hosts" 2>/dev/null)
nvsh net-update fa add ip-dhcp-host "<host mac='52:54:00:aa:bb:08' name='h8' ip='192.168.130.8'/>" --live --config
expect_eq "net-update fa" 0 "$rc"
expect_match "fa's hosts file after the update" "52:54:00:aa:bb:08" "$(cat "$hosts" 2>/dev/null)"
before=$(nt_dnsmasq_pid fa)
stale_hosts() { printf '%s' "$old_hosts" >"$hosts"; }
restart_netd stale_hosts
is_active fa || expect_fail "fa is not active after netd's restart: $out"
expect_eq "fa's dnsmasq, re-adopted" "$before" "$(nt_dnsmasq_pid fa)"
expect_match "fa's hosts file after re-adoption" "52:54:00:aa:bb:08.*192\.168\.130\.8" "$(cat "$hosts" 2>/dev/null)"
nvsh net-destroy fa
nvsh net-undefine fa
expect_daemon_alive
verdict "a re-adopted dnsmasq gets its hosts files rewritten from the live definition"

# 9
printf '%s\n' "dnsmasq: failed to find list of interfaces: No such device" >"$CTL/msg"
echo 1 >"$CTL/fail"
nvsh net-define "$mv_tmp/fa.xml" && nvsh net-start fa
expect_eq "net-start fa, dnsmasq's first start losing an interface race" 0 "$rc"
expect_eq "the failure was used up" 0 "$(cat "$CTL/fail")"
is_active fa || expect_fail "fa is not active"
expect_match "fa's dnsmasq" '^[0-9]+$' "$(nt_dnsmasq_pid fa)"
rm -f "$CTL/msg" "$CTL/fail"
nvsh net-destroy fa
nvsh net-undefine fa
expect_gone fa "after net-destroy fa"
verdict "dnsmasq's start that loses a race with an interface going away is tried again"

mv_done
