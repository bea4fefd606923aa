#!/bin/bash
# <interface type='network'> from qemud's side: the port qemud gets from
# modvirt-netd for a guest, through the guest's whole life and both daemons'
# faults.  A real TCG guest on an isolated network with DHCP:
#   - leases from netd's dnsmasq and pings the bridge; its live XML shows
#     <source network= portid= bridge=/>, its inactive XML only network=;
#   - netd lists exactly one port (python3-libvirt listAllPorts), owned by the
#     guest, with its MAC and the bridge, and no bandwidth parameters;
#   - kill -9 qemud: the restarted qemud re-attaches and reclaims the port
#     (also one netd lost meanwhile, with its own UUID): still one port;
#   - kill -9 netd: the restarted netd has the port from its file;
#   - the network restarted while qemud is away: the restarted qemud
#     reclaims the port on it and puts the tap back on the new bridge;
#   - destroy: the port and the tap are gone;
#   - a network that is not active, or netd not running, fail the start with
#     a message naming the network or netd's socket, leaving nothing behind;
#   - a port the guest left behind (its stop never reached netd) is replaced
#     at its next start; another guest's port with its MAC fails the start.
# Everything runs in the namespaces of netns.sh.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"
. "$top_srcdir/tests/integration/netns.sh"

MV_NEEDS="qemu-system-x86_64 ip nft $MV_NETD"
BOOT_S=150                       # TCG boot plus DHCP
PLAN=11
NET=pn
BR=pnbr0
SUB=192.168.150
MAC=52:54:00:50:00:01
TAP_MAC=fe:54:00:50:00:01
G=gp
LOG=                             # the guest's serial log, per start

nt_guest_setup $PLAN
NETD_SOCK=$MV_ROOT/run/modvirt/netd-sock

# ---- helpers ----------------------------------------------------------------

taps() { ip -n "$NT_HOST" -o link show type tun 2>&1; }
qemu_pids() {
    local p
    for p in $(ip netns pids "$NT_HOST"); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "guest=$1," && echo "$p"
    done
    return 0
}
# ports: netd's ports of $NET as python3-libvirt lists them, one
# "UUID OWNER MAC PLUG-BRIDGE" a line (n= the count)
ports() {
    py - "$(nt_netd_uri)" "$NET" <<'EOF'
import sys, libvirt
import xml.etree.ElementTree as ET
from mvlibvirt import out, step
conn = libvirt.open(sys.argv[1])
net = conn.networkLookupByName(sys.argv[2])
def show():
    rows = []
    for p in net.listAllPorts():
        x = ET.fromstring(p.XMLDesc())
        rows.append("%s,%s,%s,%s" % (p.UUIDString(), x.findtext("owner/name"),
                                    x.find("mac").get("address"), x.find("plug").get("bridge")))
    return " ".join(rows)
step("ports", show)
step("n", lambda: len(net.listAllPorts()))
EOF
}
# wait_ping ROUND: the guest pinged its bridge in a round after ROUND
wait_ping() {
    local end=$(($(date +%s) + 30)) n
    while [ "$(date +%s)" -lt $end ]; do
        n=$(tr -d '\r' <"$LOG" | sed -n "s/^GUEST-PING-OK $SUB\.1 \([0-9]*\)\$/\1/p" | tail -n 1)
        [ -n "$n" ] && [ "$n" -gt "$1" ] && return 0
        sleep 0.2
    done
    return 1
}
last_round() { tr -d '\r' <"$LOG" | sed -n 's/^GUEST-PING-[A-Z]* [0-9.]* \([0-9]*\)$/\1/p' | tail -n 1 | grep . || echo 0; }
# restart_qemud [HOOK]: kill -9 qemud, run HOOK while it is away, start it
# again and wait until it re-attached $G (it reclaims the ports first)
restart_qemud() {
    local from
    kill -9 "$NT_QEMUD_PID"
    wait_exit "$NT_QEMUD_PID" 10 || expect_fail "qemud (pid $NT_QEMUD_PID) survived SIGKILL"
    [ -z "${1:-}" ] || "$1"
    from=$(($(wc -l <"$NT_QEMUD_LOG") + 1))
    nt_start_qemud
    nt_wait 30 eval "tail -n +$from '$NT_QEMUD_LOG' | grep -q \"domain '$G': re-attached\"" ||
        expect_fail "qemud did not re-attach $G"
}
live_portid() { vsh dumpxml $G; printf '%s\n' "$out" | sed -n "s/.*<source network=.$NET. portid=.\([0-9a-f-]*\). bridge=.*/\1/p"; }

cat >"$mv_tmp/net.xml" <<EOF
<network>
  <name>$NET</name>
  <bridge name='$BR' stp='off' delay='0'/>
  <ip address='$SUB.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='$SUB.100' end='$SUB.200'/>
    </dhcp>
  </ip>
</network>
EOF
nvsh_ok net-define "$mv_tmp/net.xml"
nvsh_ok net-start $NET

guest_xml() {
    LOG=$mv_tmp/$G.$1.serial
    GUEST_APPEND="guest.net=dhcp guest.ping=$SUB.1" guest_domain_xml $G "$LOG" "<interface type='network'>
  <mac address='$MAC'/>
  <source network='$NET'/>
  <model type='virtio'/>
</interface>" >"$mv_tmp/$G.xml"
    vsh define "$mv_tmp/$G.xml"
}

# ---- 1: a lease, a ping --------------------------------------------------------
guest_xml 1
expect_eq "define $G" 0 "$rc"
vsh start $G
expect_eq "start $G" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
gip=
if guest_wait_log "$LOG" "GUEST-IP " $BOOT_S; then
    gip=$(grep -a -m 1 "GUEST-IP " "$LOG" | tr -d '\r' | sed -n 's/^GUEST-IP \([0-9.]*\)$/\1/p')
    expect_match "the guest's address" "^$SUB\.(1[0-9][0-9]|200)\$" "${gip:-none}"
else
    expect_fail "no GUEST-IP within $BOOT_S s"
fi
nvsh net-dhcp-leases $NET
expect_match "net-dhcp-leases $NET" "$MAC +ipv4 +${gip:-none}/24 " "$out"
wait_ping 0 || expect_fail "the guest never pinged its bridge $SUB.1"
verdict "a guest on network '$NET' leases ${gip:-?} from netd's dnsmasq and pings the bridge $SUB.1"

# ---- 2: live and inactive XML, the tap ---------------------------------------------
vsh dumpxml $G
expect_match "live <source>" "<source network=.$NET. portid=.[0-9a-f-]{36}. bridge=.$BR./>" "$out"
tap=$(printf '%s\n' "$out" | sed -n "s|.*<target dev=.\(vnet[0-9]*\)./>.*|\1|p")
expect_match "live <target dev>" '^vnet[0-9]+$' "$tap"
portid=$(live_portid)
vsh dumpxml --inactive $G
expect_match "inactive <source>" "<source network=.$NET./>" "$out"
expect_nomatch "inactive XML has no port" "portid|vnet" "$out"
expect_match "tap $tap on $BR" "master $BR .*link/ether $TAP_MAC " \
    "$(ip -n "$NT_HOST" -o link show dev "${tap:-none}" 2>&1)"
verdict "live XML: <source network='$NET' portid='${portid:-?}' bridge='$BR'/>, tap ${tap:-?} on $BR; inactive XML: network only"

# ---- 3: netd's view of the port ------------------------------------------------------
ports
expect_eq "listAllPorts status" 0 "$rc"
expect_eq "ports of $NET" 1 "$(kv n)"
expect_eq "the port" "${portid:-none},$G,$MAC,$BR" "$(kv ports)"
nvsh net-dumpxml $NET
expect_match "live network XML" "<network connections=.1.>" "$out"
# python3-libvirt reads the parameters; it refuses to set any once it saw
# none, so the set goes out raw (mvrpc)
py - "$NETD_SOCK" "$NET" "${portid:-00000000-0000-0000-0000-000000000000}" <<'EOF'
import struct, sys, uuid, libvirt
from mvlibvirt import out, step, error_of
from mvrpc import Conn, xdr_string
conn = libvirt.open("network:///system?socket=" + sys.argv[1])
net = conn.networkLookupByName(sys.argv[2])
port = net.portLookupByUUIDString(sys.argv[3])
step("params", lambda: port.parameters())
out("missing", error_of(lambda: net.portLookupByUUIDString("0f1e2d3c-4b5a-4697-8877-665544332211")))
c = Conn(sys.argv[1]).handshake(open_uri="network:///system")
wire = xdr_string(net.name()) + net.UUID() + uuid.UUID(sys.argv[3]).bytes
param = xdr_string("inbound.average") + struct.pack(">iI", 2, 1000)     # VIR_TYPED_PARAM_UINT
p = c.call(408, wire + struct.pack(">I", 1) + param + struct.pack(">I", 0))    # NETWORK_PORT_SET_PARAMETERS
e = p.error() if p.status else {}
out("set", "%s %s %s" % (e.get("code"), e.get("domain"), e.get("message")))
EOF
expect_eq "getParameters" "{}" "$(kv params)"
expect_match "NETWORK_PORT_SET_PARAMETERS" "^74 19 .*'inbound.average' is not supported" "$(kv set)"
expect_eq "an unknown port" "EXC 107 19 network port not found: Network port with UUID 0f1e2d3c-4b5a-4697-8877-665544332211 does not exist" "$(kv missing)"
[ $rc -eq 0 ] || diag "$(run_evidence)"
verdict "netd has one port for $G (python3-libvirt listAllPorts), with its MAC and $BR; no bandwidth parameters"

# ---- 4: kill -9 qemud ----------------------------------------------------------------
round=$(last_round)
# netd loses the port while qemud is away: the restarted qemud reclaims it
lose_port() {
    py - "$(nt_netd_uri)" "$NET" "${portid:-none}" <<'EOF'
import sys, libvirt
from mvlibvirt import step
conn = libvirt.open(sys.argv[1])
step("deleted", lambda: conn.networkLookupByName(sys.argv[2]).portLookupByUUIDString(sys.argv[3]).delete())
EOF
    expect_eq "port deleted behind qemud's back" 0 "$(kv deleted)"
}
restart_qemud lose_port
ports
expect_eq "ports after the qemud restart" 1 "$(kv n)"
expect_eq "the reclaimed port" "${portid:-none},$G,$MAC,$BR" "$(kv ports)"
expect_eq "live portid" "${portid:-none}" "$(live_portid)"
expect_eq "domstate" running "$(guest_state $G)"
wait_ping "$round" || expect_fail "the guest stopped pinging $SUB.1 after the qemud restart"
verdict "kill -9 qemud: the restarted qemud reclaims port ${portid:-?} (netd had lost it); one port, the guest pings on"

# ---- 5: kill -9 qemud again: netd still has the port, nothing doubles -------------------
restart_qemud
ports
expect_eq "ports after the second qemud restart" 1 "$(kv n)"
expect_eq "the port" "${portid:-none},$G,$MAC,$BR" "$(kv ports)"
verdict "kill -9 qemud while netd has the port: still exactly one port"

# ---- 6: kill -9 netd -----------------------------------------------------------------
round=$(last_round)
kill -9 "$NT_NETD_PID"
wait_exit "$NT_NETD_PID" 10 || expect_fail "netd (pid $NT_NETD_PID) survived SIGKILL"
nt_start_netd
ports
expect_eq "ports after the netd restart" 1 "$(kv n)"
expect_eq "the re-adopted port" "${portid:-none},$G,$MAC,$BR" "$(kv ports)"
wait_ping "$round" || expect_fail "the guest stopped pinging $SUB.1 after the netd restart"
[ -z "$case_errs" ] || nt_netd_log_diag
verdict "kill -9 netd: the restarted netd has port ${portid:-?} from its file; the guest pings on"

# ---- 7: the network restarted while qemud is away ---------------------------------------
restart_net() {
    nvsh net-destroy $NET
    expect_eq "net-destroy $NET" 0 "$rc"
    nvsh net-start $NET
    expect_eq "net-start $NET" 0 "$rc"
    ports
    expect_eq "ports of the restarted network" 0 "$(kv n)"
    expect_eq "tap ${tap:-?} after the bridge was made anew" "" \
        "$(ip -n "$NT_HOST" -o link show master $BR 2>&1)"
}
round=$(last_round)
restart_qemud restart_net
ports
expect_eq "ports after the qemud restart" 1 "$(kv n)"
expect_eq "the reclaimed port" "${portid:-none},$G,$MAC,$BR" "$(kv ports)"
expect_match "tap ${tap:-?} back on $BR" "master $BR " "$(ip -n "$NT_HOST" -o link show dev "${tap:-none}" 2>&1)"
wait_ping "$round" || expect_fail "the guest does not ping $SUB.1 on the restarted network"
verdict "network restarted while qemud was away: the restarted qemud reclaims the port, puts ${tap:-?} back on $BR; the guest pings"

# ---- 8: destroy -----------------------------------------------------------------------
qpids=$(qemu_pids $G)
vsh destroy $G
expect_eq "destroy $G" 0 "$rc"
for q in $qpids; do wait_exit "$q" 5 || expect_fail "QEMU $q still runs"; done
ports
expect_eq "ports after destroy" 0 "$(kv n)"
expect_eq "taps after destroy" "" "$(taps)"
verdict "destroy: the port and the tap are gone"

# ---- 9: the network is not active ------------------------------------------------------
nvsh net-destroy $NET
expect_eq "net-destroy $NET" 0 "$rc"
vsh start $G
expect_eq "start on an inactive network: status" 1 "$rc"
expect_match "start on an inactive network: error" "^error: Requested operation is not valid: network '$NET' is not active\$" \
    "$(printf '%s\n' "$err" | tail -n 1)"
expect_eq "QEMU" "" "$(qemu_pids $G)"
expect_eq "taps" "" "$(taps)"
expect_eq "domstate" "shut off" "$(guest_state $G)"
nvsh net-start $NET
expect_eq "net-start $NET" 0 "$rc"
verdict "a network that is not active fails the start: \"network '$NET' is not active\"; nothing left"

# ---- 10: netd is not running -------------------------------------------------------------
stop_pid "$NT_NETD_PID" 10
vsh start $G
expect_eq "start without netd: status" 1 "$rc"
expect_match "start without netd: error names the socket" "'$NETD_SOCK'.*modvirt-netd" "$err"
expect_match "start without netd: error names the network" "network '$NET'" "$err"
expect_eq "QEMU" "" "$(qemu_pids $G)"
expect_eq "taps" "" "$(taps)"
expect_eq "domstate" "shut off" "$(guest_state $G)"
expect_daemon_alive
verdict "netd not running: the start fails naming $NETD_SOCK; nothing left, qemud runs on"

# ---- 11: ports left behind, a MAC taken ---------------------------------------------------
# new_port OWNER UUID: a port of OWNER with the guest's MAC, made by hand
new_port() {
    py - "$(nt_netd_uri)" "$NET" "$1" "$2" "$MAC" <<'EOF'
import sys, libvirt
from mvlibvirt import step
net = libvirt.open(sys.argv[1]).networkLookupByName(sys.argv[2])
step("port", lambda: net.portCreateXML("<networkport><owner><name>%s</name><uuid>%s</uuid></owner>"
                                       "<mac address='%s'/></networkport>" % tuple(sys.argv[3:6]), 0).UUIDString())
EOF
    kv port
}
nt_start_netd
vsh domuuid $G
stale=$(new_port $G "$out")
expect_match "a port of $G left behind" '^[0-9a-f-]{36}$' "$stale"
vsh start $G
expect_eq "start with a port left behind" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
ports
expect_eq "ports" 1 "$(kv n)"
expect_nomatch "the port left behind" "${stale:-none}" "$(kv ports)"
expect_eq "the live port" "$(live_portid)" "$(kv ports | cut -d, -f1)"
vsh destroy $G
other=$(new_port other 0f1e2d3c-4b5a-4697-8877-665544332299)
vsh start $G
expect_eq "start with the MAC taken: status" 1 "$rc"
expect_match "start with the MAC taken: error" "MAC address $MAC of '$G' is already plugged into network '$NET' by 'other'" "$err"
expect_eq "QEMU" "" "$(qemu_pids $G)"
expect_eq "taps" "" "$(taps)"
ports
expect_eq "ports" "${other:-none},other,$MAC,$BR" "$(kv ports)"
verdict "a port $G left behind is replaced at its next start; another's port with its MAC fails the start, naming both"
mv_done
