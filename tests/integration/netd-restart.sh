#!/bin/bash
# netd and qemud die, and nothing their guests depend on does.  Two nat
# networks with a TCG guest each, pinging the outside once a second:
#   - kill -9 netd: bridges, dnsmasq, nft rules and leases stay, the guests
#     keep pinging; the restarted netd re-adopts it all (active networks,
#     the same dnsmasq pids, the ports, the leases)
#   - dnsmasq killed behind netd's back: netd starts a new one, says why in
#     its log, and the leases survive
#   - kill -9 qemud: after its restart each guest still has exactly one port
#     (none leaked, none doubled), and a destroyed guest's port goes
#   - net-destroy then removes everything: bridges, dnsmasq, our nft table
# Everything runs in the namespaces of netns.sh.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"
. "$top_srcdir/tests/integration/netns.sh"

MV_NEEDS="qemu-system-x86_64 ip nft $MV_NETD"
BOOT_S=150
PING_S=30                        # for a guest's next successful ping
PLAN=6
NETS="na nb"
declare -A SUBNET=([na]=192.168.110 [nb]=192.168.111)
declare -A MAC=([na]=52:54:00:6e:01:01 [nb]=52:54:00:6e:01:02)
declare -A GIP=() DNSMASQ=()

nt_guest_setup $PLAN

br() { echo "nt$1"; }
serial() { echo "$mv_tmp/g-$1.serial"; }
bridges() { ip -n "$NT_HOST" -o link show type bridge 2>/dev/null | awk -F': ' '{ print $2 }' | sort | tr '\n' ' '; }
ruleset() { nt_host nft -s list ruleset 2>&1; }
# ports NET: the port UUIDs of NET, one a line, sorted
ports() { nvsh net-port-list "$1" --uuid; printf '%s\n' "$out" | grep -oE '[0-9a-f-]{36}' | sort; }
nports() { ports "$1" | grep -c .; }
leases() { nvsh net-dhcp-leases "$1"; printf '%s\n' "$out"; }
# round SERIAL: the last ping round the guest has printed (0 before any)
round() { tr -d '\r' <"$1" | sed -n "s/^GUEST-PING-[A-Z]* $NT_INET \([0-9]*\)\$/\1/p" | tail -n 1 | grep . || echo 0; }
# pinged_since NET ROUND: the guest on NET pinged the outside after ROUND
pinged_since() {
    tr -d '\r' <"$(serial "$1")" | awk -v a="$NT_INET" -v r="$2" \
        '$1 == "GUEST-PING-OK" && $2 == a && $3 + 0 > r + 0 { f = 1 } END { exit !f }'
}
# expect_pinging WHEN: both guests ping the outside again after now
expect_pinging() {
    local n r
    for n in $NETS; do
        r=$(round "$(serial $n)")
        nt_wait $PING_S pinged_since "$n" "$r" ||
            expect_fail "$1: g-$n has not pinged $NT_INET since round $r within $PING_S s"
    done
}

# ---- the networks and guests ---------------------------------------------------------
for n in $NETS; do
    cat >"$mv_tmp/net-$n.xml" <<EOF
<network>
  <name>$n</name>
  <forward mode='nat'/>
  <bridge name='$(br $n)' stp='off' delay='0'/>
  <ip address='${SUBNET[$n]}.1' prefix='24'>
    <dhcp><range start='${SUBNET[$n]}.100' end='${SUBNET[$n]}.200'/></dhcp>
  </ip>
</network>
EOF
    nvsh net-define "$mv_tmp/net-$n.xml" && nvsh net-start "$n"
    [ $rc -eq 0 ] || { echo "Bail out! cannot define and start network $n: $(run_evidence)"; exit 1; }
    GUEST_APPEND="guest.net=dhcp guest.ping=$NT_INET" guest_domain_xml "g-$n" "$(serial $n)" \
        "<interface type='network'><mac address='${MAC[$n]}'/><source network='$n'/><model type='virtio'/></interface>" \
        >"$mv_tmp/g-$n.xml"
    vsh define "$mv_tmp/g-$n.xml" && vsh start "g-$n"
    [ $rc -eq 0 ] || { echo "Bail out! cannot start guest g-$n: $(run_evidence)"; exit 1; }
done
for n in $NETS; do
    guest_wait_log "$(serial $n)" "GUEST-PING-OK $NT_INET " $BOOT_S ||
        { echo "Bail out! g-$n does not ping $NT_INET"; nt_netd_log_diag; exit 1; }
    GIP[$n]=$(tr -d '\r' <"$(serial $n)" | sed -n 's/^GUEST-IP \([0-9.]*\)$/\1/p' | head -n 1)
    DNSMASQ[$n]=$(nt_dnsmasq_pid "$n")
done
bridges_before=$(bridges)
rules_before=$(ruleset)
declare -A PORTS=()
for n in $NETS; do PORTS[$n]=$(ports "$n"); done

# ---- 1: kill -9 netd ----------------------------------------------------------------------
kill -KILL "$NT_NETD_PID"
wait_exit "$NT_NETD_PID" 10 || expect_fail "netd (pid $NT_NETD_PID) survived SIGKILL"
expect_pinging "netd dead"
expect_eq "bridges with netd dead" "$bridges_before" "$(bridges)"
expect_eq "nft ruleset with netd dead" "$rules_before" "$(ruleset)"
for n in $NETS; do
    expect_eq "dnsmasq of $n with netd dead" "${DNSMASQ[$n]}" "$(nt_dnsmasq_pid "$n")"
    expect_match "lease file of $n" "${MAC[$n]} ${GIP[$n]:-none} " \
        "$(cat "$MV_ROOT/run/modvirt/network/dnsmasq/$n.leases" 2>&1)"
done
verdict "kill -9 netd: bridges, dnsmasq, rules and leases stay; both guests keep pinging $NT_INET"

# ---- 2: the restarted netd re-adopts --------------------------------------------------------
nt_start_netd
nvsh net-list --name
expect_eq "active networks" "$(printf '%s\n' $NETS)" "$(printf '%s\n' "$out" | grep . | sort)"
for n in $NETS; do
    expect_eq "dnsmasq of $n re-adopted" "${DNSMASQ[$n]}" "$(nt_dnsmasq_pid "$n")"
    expect_eq "ports of $n" "${PORTS[$n]}" "$(ports "$n")"
    expect_match "leases of $n" "${MAC[$n]} +ipv4 +${GIP[$n]:-none}/24" "$(leases "$n")"
done
expect_eq "bridges" "$bridges_before" "$(bridges)"
expect_eq "nft ruleset" "$rules_before" "$(ruleset)"
expect_pinging "after netd's restart"
[ -z "$case_errs" ] || nt_netd_log_diag
verdict "the restarted netd re-adopts: networks active, the same dnsmasq pids, ports, leases and rules"

# ---- 3: dnsmasq killed behind netd's back ------------------------------------------------------
mark=$(wc -l <"$NT_NETD_LOG")
old=${DNSMASQ[na]}
kill -KILL "$old"
new_dnsmasq() { local p; p=$(nt_dnsmasq_pid na); [ -n "$p" ] && [ "$p" != "$old" ]; }
nt_wait 20 new_dnsmasq || expect_fail "no new dnsmasq for na within 20 s of killing pid $old"
DNSMASQ[na]=$(nt_dnsmasq_pid na)
expect_match "one dnsmasq for na" '^[0-9]+$' "${DNSMASQ[na]}"
# which network, and what happened to its dnsmasq
expect_match "netd's log says why" "'na'.*dnsmasq.*(exit|die|kill|signal|gone)" "$(tail -n +$((mark + 1)) "$NT_NETD_LOG")"
expect_match "leases of na" "${MAC[na]} +ipv4 +${GIP[na]:-none}/24" "$(leases na)"
expect_eq "dnsmasq of nb untouched" "${DNSMASQ[nb]}" "$(nt_dnsmasq_pid nb)"
expect_pinging "after dnsmasq's restart"
[ -z "$case_errs" ] || nt_netd_log_diag
diag "netd said: $(tail -n +$((mark + 1)) "$NT_NETD_LOG" | grep -m 1 dnsmasq)"
verdict "dnsmasq killed behind netd's back: netd starts a new one (pid ${DNSMASQ[na]:-?}), logs why, the lease stays"

# ---- 4: kill -9 qemud --------------------------------------------------------------------------
kill -KILL "$NT_QEMUD_PID"
wait_exit "$NT_QEMUD_PID" 10 || expect_fail "qemud (pid $NT_QEMUD_PID) survived SIGKILL"
nt_start_qemud
for n in $NETS; do
    expect_eq "g-$n after qemud's restart" running "$(guest_state "g-$n")"
    expect_eq "ports of $n after qemud's restart" "${PORTS[$n]}" "$(ports "$n")"
done
expect_pinging "after qemud's restart"
vsh destroy g-na
expect_eq "destroy g-na" 0 "$rc"
expect_eq "ports of na after destroying g-na" "" "$(ports na)"
expect_eq "ports of nb" "${PORTS[nb]}" "$(ports nb)"
verdict "kill -9 qemud: each guest keeps its one port; destroying one after the restart frees it"

# ---- 5: net-destroy cleans up ---------------------------------------------------------------------
vsh destroy g-nb
for n in $NETS; do
    nvsh net-destroy "$n"
    expect_eq "net-destroy $n" 0 "$rc"
    expect_match "$(br $n)" "does not exist" "$(ip -n "$NT_HOST" link show dev "$(br $n)" 2>&1)"
    expect_eq "dnsmasq of $n" "" "$(nt_dnsmasq_pid "$n")"
done
expect_eq "dnsmasq processes in $NT_HOST" "" \
    "$(for p in $(ip netns pids "$NT_HOST"); do [ "$(cat /proc/$p/comm 2>/dev/null)" = dnsmasq ] && echo $p; done)"
expect_nomatch "nft tables in $NT_HOST" modvirt "$(nt_host nft list tables 2>&1)"
[ -z "$case_errs" ] || nt_netd_log_diag
verdict "net-destroy after all that: no bridge, no dnsmasq, no nft table of ours"

# ---- 6 ----------------------------------------------------------------------------------------------
kill -0 "$NT_NETD_PID" 2>/dev/null || expect_fail "netd (pid $NT_NETD_PID) is not running"
expect_daemon_alive
verdict "both daemons still run"
mv_done
