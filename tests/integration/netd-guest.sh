#!/bin/bash
# Guests on modvirt-netd's networks, end to end with real parts: netd makes
# the bridges, dnsmasq and nftables rules, qemud gets a port from netd for
# each <interface type='network'>, and three TCG guests lease, ping and are
# pinged:
#   iso    no <forward>: the guest leases and pings the bridge, and nothing
#          of it gets out
#   nat    the guest pings "the internet" in the outside namespace, which
#          sees the host's uplink address, never the guest's (masquerade)
#   route  the outside reaches the guest by a route via the host, and sees
#          the guest's own address
# The leases are listed by virsh net-dhcp-leases, python3-libvirt's
# DHCPLeases() and modvirt net-dhcp-leases; the ports by virsh net-port-list.
# At the end net-destroy leaves no bridge, dnsmasq or nft table.
# Everything runs in the namespaces of netns.sh.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"
. "$top_srcdir/tests/integration/netns.sh"

MV_CLI=$top_builddir/client/modvirt
MV_NEEDS="qemu-system-x86_64 ip nft $MV_NETD $MV_CLI"
BOOT_S=150                       # TCG boot plus DHCP (dnsmasq pings first: ~3 s)
PLAN=10
NETS="iso nat route"
declare -A SUBNET=([iso]=192.168.100 [nat]=192.168.101 [route]=192.168.102)
declare -A FWD=([iso]="" [nat]="<forward mode='nat'/>" [route]="<forward mode='route'/>")
declare -A MAC=([iso]=52:54:00:6e:00:01 [nat]=52:54:00:6e:00:02 [route]=52:54:00:6e:00:03)
declare -A GIP=()

nt_guest_setup $PLAN

br() { echo "nt$1"; }                    # the bridge of network $1
serial() { echo "$mv_tmp/g-$1.serial"; }

# ---- 1: the networks ---------------------------------------------------------
for n in $NETS; do
    cat >"$mv_tmp/net-$n.xml" <<EOF
<network>
  <name>$n</name>
  ${FWD[$n]}
  <bridge name='$(br $n)' stp='off' delay='0'/>
  <ip address='${SUBNET[$n]}.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='${SUBNET[$n]}.100' end='${SUBNET[$n]}.200'/>
    </dhcp>
  </ip>
</network>
EOF
    nvsh net-define "$mv_tmp/net-$n.xml"
    expect_eq "net-define $n" 0 "$rc"
    [ $rc -eq 0 ] || diag "$(run_evidence)"
    nvsh net-start "$n"
    expect_eq "net-start $n" 0 "$rc"
    [ $rc -eq 0 ] || diag "$(run_evidence)"
    expect_match "$(br $n) has ${SUBNET[$n]}.1/24" "inet ${SUBNET[$n]}\.1/24 " \
        "$(ip -n "$NT_HOST" -o addr show dev "$(br $n)" 2>&1)"
    expect_match "dnsmasq of $n" '^[0-9]+$' "$(nt_dnsmasq_pid "$n")"
done
# the outside knows the routed network's subnet only by this route
ip -n "$NT_OUT" route add "${SUBNET[route]}.0/24" via "$NT_UPLINK"
nvsh net-list --name
expect_eq "net-list --name" "$(printf '%s\n' $NETS | sort)" "$(printf '%s\n' "$out" | grep . | sort)"
expect_match "nft tables in $NT_HOST" modvirt "$(nt_host nft list tables 2>&1)"
verdict "three networks (isolated, nat, route) start: bridges addressed, dnsmasq running, our nft table"

# ---- 2: three guests, one on each ----------------------------------------------
for n in $NETS; do
    GUEST_APPEND="guest.net=dhcp guest.ping=${SUBNET[$n]}.1,$NT_INET" \
        guest_domain_xml "g-$n" "$(serial $n)" "<interface type='network'>
  <mac address='${MAC[$n]}'/>
  <source network='$n'/>
  <model type='virtio'/>
</interface>" >"$mv_tmp/g-$n.xml"
    vsh define "$mv_tmp/g-$n.xml"
    expect_eq "define g-$n" 0 "$rc"
    vsh start "g-$n"
    expect_eq "start g-$n" 0 "$rc"
    [ $rc -eq 0 ] || diag "$(run_evidence)"
done
for n in $NETS; do
    if guest_wait_log "$(serial $n)" "GUEST-IP " $BOOT_S; then
        GIP[$n]=$(grep -a -m 1 "GUEST-IP " "$(serial $n)" | tr -d '\r' | sed -n 's/^GUEST-IP \([0-9.]*\)$/\1/p')
        expect_match "g-$n's address" "^${SUBNET[$n]//./\\.}\.(1[0-9][0-9]|200)\$" "${GIP[$n]:-none}"
    else
        expect_fail "g-$n: no GUEST-IP within $BOOT_S s"
    fi
done
vsh dumpxml g-nat
expect_match "g-nat's live <source>" "<source network=.nat. portid=.[0-9a-f-]{36}. bridge=.$(br nat)./>" "$out"
verdict "guests on iso, nat and route lease from their network's dnsmasq (${GIP[iso]:-?}, ${GIP[nat]:-?}, ${GIP[route]:-?})"

# ---- 3: isolated ------------------------------------------------------------------
guest_wait_log "$(serial iso)" "GUEST-PING-OK ${SUBNET[iso]}.1 " 30 ||
    expect_fail "g-iso never pinged its bridge ${SUBNET[iso]}.1"
guest_wait_log "$(serial iso)" "GUEST-PING-[A-Z]+ $NT_INET " 30 ||
    expect_fail "g-iso never tried to ping the outside's $NT_INET"
expect_nomatch "g-iso reached the outside" "GUEST-PING-OK $NT_INET " "$(tr -d '\r' <"$(serial iso)")"
# The guest has no route out (an isolated network's DHCP names no router):
# a second "guest" that routes via the bridge anyway must be stopped by
# netd's rules, with forwarding on in the host for the nat and route networks
nt_fake_guest "$(br iso)" "${SUBNET[iso]}.50/24" "${SUBNET[iso]}.1"
nt_fake busybox ping -c 1 -W 1 "${SUBNET[iso]}.1" >/dev/null 2>&1 ||
    expect_fail "the fake guest on iso cannot ping its bridge ${SUBNET[iso]}.1"
nt_fake busybox ping -c 2 -W 1 "$NT_INET" >/dev/null 2>&1 &&
    expect_fail "the fake guest on iso, routed via ${SUBNET[iso]}.1, reached the outside's $NT_INET"
expect_eq "ip_forward in $NT_HOST" 1 "$(nt_host cat /proc/sys/net/ipv4/ip_forward)"
expect_nomatch "the outside saw iso's subnet" "^${SUBNET[iso]//./\\.}\." "$(nt_sources)"
verdict "isolated: the guest pings its bridge ${SUBNET[iso]}.1; nothing on the network reaches the outside"

# ---- 4: nat --------------------------------------------------------------------------
guest_wait_log "$(serial nat)" "GUEST-PING-OK $NT_INET " 30 ||
    expect_fail "g-nat never pinged the outside's $NT_INET"
src=$(nt_sources | tr '\n' ' ')
expect_match "the outside saw the host's uplink $NT_UPLINK" "(^| )$NT_UPLINK " "$src"
expect_nomatch "the outside saw g-nat's own address" "(^| )${SUBNET[nat]//./\\.}\." "$src"
expect_match "pings from $NT_UPLINK" '^[1-9][0-9]*$' "$(nt_count_from "$NT_UPLINK")"
verdict "nat: the guest pings $NT_INET in the outside, which sees $NT_UPLINK (masquerade), not the guest"

# ---- 5: route --------------------------------------------------------------------------
guest_wait_log "$(serial route)" "GUEST-PING-OK $NT_INET " 30 ||
    expect_fail "g-route never pinged the outside's $NT_INET"
expect_match "the outside saw g-route's own address" "(^| )${GIP[route]:-none} " "$(nt_sources | tr '\n' ' ')"
if [ -n "${GIP[route]:-}" ]; then
    nt_wait 20 nt_out busybox ping -c 1 -W 1 "${GIP[route]}" >/dev/null 2>&1 ||
        expect_fail "the outside cannot ping g-route at ${GIP[route]} by its route via $NT_UPLINK"
fi
verdict "route: the outside pings the guest at ${GIP[route]:-?} by a route, and sees its own address"

# ---- 6: leases through virsh ----------------------------------------------------------
for n in $NETS; do
    nvsh net-dhcp-leases "$n"
    expect_eq "virsh net-dhcp-leases $n" 0 "$rc"
    expect_match "virsh net-dhcp-leases $n" "${MAC[$n]} +ipv4 +${GIP[$n]:-none}/24 " "$out"
    expect_eq "lines for ${MAC[$n]}" 1 "$(printf '%s\n' "$out" | grep -c "${MAC[$n]}")"
done
nvsh net-dhcp-leases nat --mac "${MAC[nat]}"
expect_match "--mac ${MAC[nat]}" "${MAC[nat]}" "$out"
nvsh net-dhcp-leases nat --mac 52:54:00:00:00:99
expect_nomatch "--mac of no guest" "52:54:00" "$out"
verdict "virsh net-dhcp-leases lists each guest once with its MAC and address; --mac filters"

# ---- 7: leases through python3-libvirt -------------------------------------------------
py - "$(nt_netd_uri)" "${MAC[nat]}" <<'EOF'
import sys, libvirt
from mvlibvirt import out, step
conn = libvirt.open(sys.argv[1])
for name in ("iso", "nat", "route"):
    net = conn.networkLookupByName(name)
    step(name, lambda: " ".join("%s,%s,%s/%d,%s,%s" % (l["iface"], l["mac"], l["ipaddr"], l["prefix"],
                                                      l["type"], l["expirytime"] > 0)
                                for l in net.DHCPLeases()))
step("filtered", lambda: len(conn.networkLookupByName("nat").DHCPLeases(sys.argv[2])))
EOF
expect_eq "python status" 0 "$rc"
for n in $NETS; do
    expect_eq "DHCPLeases() of $n" "$(br $n),${MAC[$n]},${GIP[$n]:-none}/24,0,True" "$(kv $n)"
done
expect_eq "DHCPLeases(mac)" 1 "$(kv filtered)"
[ $rc -eq 0 ] || diag "$(run_evidence)"
verdict "python3-libvirt: net.DHCPLeases() gives bridge, MAC, address, prefix, type, expiry"

# ---- 8: leases through modvirt ----------------------------------------------------------
run isolated "$MV_CLI" -c "qemu:///system?root=$MV_ROOT" net-dhcp-leases nat
expect_eq "modvirt net-dhcp-leases status" 0 "$rc"
expect_match "modvirt net-dhcp-leases" "${MAC[nat]} +ipv4 +${GIP[nat]:-none}/24" "$out"
[ $rc -eq 0 ] || diag "$(run_evidence)"
verdict "modvirt net-dhcp-leases nat lists g-nat"

# ---- 9: ports, then destroy -------------------------------------------------------------
for n in $NETS; do
    nvsh net-port-list "$n" --uuid
    expect_eq "net-port-list $n: ports" 1 "$(printf '%s\n' "$out" | grep -cE '^ *[0-9a-f-]{36}')"
done
for n in $NETS; do vsh destroy "g-$n"; expect_eq "destroy g-$n" 0 "$rc"; done
for n in $NETS; do
    nvsh net-port-list "$n" --uuid
    expect_eq "net-port-list $n after the guest" "" "$(printf '%s\n' "$out" | grep -E '^ *[0-9a-f-]{36}')"
done
expect_eq "taps left in $NT_HOST" "" "$(ip -n "$NT_HOST" -o link show type tun 2>&1)"
verdict "one port per guest while it runs, none after destroy; no tap left"

# ---- 10: net-destroy cleans up ---------------------------------------------------------
for n in $NETS; do
    nvsh net-destroy "$n"
    expect_eq "net-destroy $n" 0 "$rc"
    expect_match "$(br $n) after net-destroy" "does not exist" "$(ip -n "$NT_HOST" link show dev "$(br $n)" 2>&1)"
    expect_eq "dnsmasq of $n after net-destroy" "" "$(nt_dnsmasq_pid "$n")"
    nvsh net-undefine "$n"
    expect_eq "net-undefine $n" 0 "$rc"
done
expect_nomatch "nft tables in $NT_HOST" modvirt "$(nt_host nft list tables 2>&1)"
kill -0 "$NT_NETD_PID" 2>/dev/null || expect_fail "netd (pid $NT_NETD_PID) died"
expect_daemon_alive
[ -z "$case_errs" ] || nt_netd_log_diag
verdict "net-destroy leaves no bridge, no dnsmasq, no nft table; both daemons still run"
mv_done
