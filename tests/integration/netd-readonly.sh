#!/bin/bash
# Read-only access to modvirt-netd: the netd-sock-ro socket, and the
# read-only flag of CONNECT_OPEN (virsh -r) on the rw socket.  Every
# procedure that changes a network or a port is refused by the daemon with
# libvirt's "operation forbidden: read only access prevents virNetworkXxx"
# (code 29, domain 19 NETWORK); every reading one works, and nothing on disk
# or in the namespace changes.  A libvirt client opened read-only refuses
# these calls itself before sending them, so the daemon's refusal is
# checked with clients that do not know: python3-libvirt's plain open() on
# the ro socket, and raw calls (mvrpc) on both sockets.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns.sh"

MV_DAEMON=$MV_NETD
MV_NEEDS="ip nft"
mv_init 11
nt_init
MV_ROOT=$mv_tmp/root
nt_no_default
nt_netd_up
MV_RW=$MV_ROOT/run/modvirt/netd-sock
MV_RO=$MV_ROOT/run/modvirt/netd-sock-ro
MV_URI=$(nt_netd_uri)
MV_URI_RO="network:///system?socket=$MV_RO"

# rvsh ARGS...: virsh -r on the ro socket (run's variables)
rvsh() { run isolated virsh -r -c "$MV_URI_RO" "$@"; }
denied() { echo "error: operation forbidden: read only access prevents $1"; }
# the state a refused call must not touch: files under --root (the sockets'
# own inode times aside) and the namespace's links and nftables ruleset
snapshot() {
    (cd "$MV_ROOT" && find . -path ./run/modvirt/netd-sock -prune -o -path ./run/modvirt/netd-sock-ro -prune \
        -o -path ./var/log -prune -o \( -type f -o -type l \) -printf '%p %s %T@\n' | sort)
    nt_host ip -o link show | sed 's/^[0-9]*: //; s/ qlen.*//'
    nt_host nft list ruleset
}

# ---- a network with a port, for the readers to find ----
cat >"$mv_tmp/ro1.xml" <<'EOF'
<network>
  <name>ro1</name>
  <forward mode='nat'/>
  <bridge name='mvro1'/>
  <dns enable='no'/>
  <ip address='10.77.1.1' netmask='255.255.255.0'/>
</network>
EOF
nvsh_ok net-define "$mv_tmp/ro1.xml"
nvsh_ok net-start ro1
uuid=$(isolated virsh -c "$MV_URI" net-uuid ro1)
portxml="<networkport><owner><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><name>vm1</name></owner><mac address='52:54:00:ab:cd:01'/></networkport>"
py - "$MV_URI" "$portxml" <<'EOF'
import sys, libvirt
c = libvirt.open(sys.argv[1])
print("port=%s" % c.networkLookupByName("ro1").portCreateXML(sys.argv[2]).UUIDString())
EOF
portuuid=$(kv port)
[ -n "$portuuid" ] || { echo "Bail out! cannot create a port on ro1: $(run_evidence)"; exit 1; }
mv_log_mark
before=$(snapshot)

# 1
for cmd in "net-list --all" "net-info ro1" "net-dumpxml ro1" "net-dumpxml --inactive ro1" "net-uuid ro1" \
    "net-name $uuid" "net-dhcp-leases ro1" "net-port-list ro1" "net-port-dumpxml ro1 $portuuid"; do
    rvsh $cmd
    [ "$rc" -eq 0 ] || expect_fail "virsh -r $cmd: $(run_evidence)"
done
rvsh net-info ro1
expect_match "net-info" "^Bridge:[[:space:]]+mvro1$" "$out"
rvsh net-port-list ro1
expect_match "net-port-list" "$portuuid" "$out"
# registers for events; virsh exits 1 when none came within the timeout
rvsh net-event --event lifecycle --timeout 1
expect_match "virsh -r net-event" "^events received: 0$" "$out"
expect_eq "virsh -r net-event: stderr" "" "$err"
verdict "virsh -r on the ro socket: net-list, net-info, net-dumpxml, net-uuid, net-name, net-dhcp-leases, net-port-*, net-event"

# 2: virsh -r refuses (in the client or, with the same words, in the daemon)
printf '%s\n' "<network><name>ro2</name><bridge name='mvro2'/></network>" >"$mv_tmp/ro2.xml"
printf '%s\n' "$portxml" | sed 's/ab:cd:01/ab:cd:02/' >"$mv_tmp/port2.xml"
printf '%s\n' "<host mac='52:54:00:00:00:09' ip='10.77.1.9'/>" >"$mv_tmp/host.xml"
while read -r api cmd; do
    rvsh $cmd
    if [ "$api" = virNetworkPortDelete ]; then
        # virsh 9.0 prints no reason and exits 0 here; the port stays (case 7)
        expect_match "virsh -r $cmd" "^error: Failed to delete network port $portuuid" "$err"
        continue
    fi
    expect_eq "virsh -r $cmd: exit status" 1 "$rc"
    expect_match "virsh -r $cmd" "^$(denied "$api")\$" "$err"
done <<EOF
virNetworkDefineXML net-define $mv_tmp/ro2.xml
virNetworkCreateXML net-create $mv_tmp/ro2.xml
virNetworkCreate net-start ro1
virNetworkDestroy net-destroy ro1
virNetworkUndefine net-undefine ro1
virNetworkSetAutostart net-autostart ro1
virNetworkUpdate net-update ro1 add ip-dhcp-host $mv_tmp/host.xml --live
virNetworkPortCreateXML net-port-create ro1 $mv_tmp/port2.xml
virNetworkPortDelete net-port-delete ro1 $portuuid
EOF
verdict "virsh -r on the ro socket: every changing net-* command is refused as read-only"

# 3: python3-libvirt opened read-write on the ro socket: the daemon refuses
py - "$MV_URI_RO" "$uuid" "$portuuid" "$mv_tmp/ro2.xml" "$portxml" <<'EOF'
import sys, libvirt
from mvlibvirt import out, error_of
uri, uuid, portuuid, xmlfile, portxml = sys.argv[1:]
xml = open(xmlfile).read()
c = libvirt.open(uri)
n = c.networkLookupByUUIDString(uuid)
p = n.portLookupByUUIDString(portuuid)
host = "<host mac='52:54:00:00:00:09' ip='10.77.1.9'/>"
calls = {
    "virNetworkDefineXML": lambda: c.networkDefineXML(xml),
    "virNetworkDefineXMLFlags": lambda: c.networkDefineXMLFlags(xml, 0),
    "virNetworkCreateXML": lambda: c.networkCreateXML(xml),
    "virNetworkCreateXMLFlags": lambda: c.networkCreateXMLFlags(xml, 0),
    "virNetworkCreate": n.create,
    "virNetworkDestroy": n.destroy,
    "virNetworkUndefine": n.undefine,
    "virNetworkSetAutostart": lambda: n.setAutostart(1),
    "virNetworkUpdate": lambda: n.update(libvirt.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
                                         libvirt.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, host, 0),
    "virNetworkPortCreateXML": lambda: n.portCreateXML(portxml.replace("ab:cd:01", "ab:cd:03")),
    "virNetworkPortDelete": p.delete,
}
# (port.setParameters asks for the port's parameters first and, finding
# none, refuses in python: the raw calls below send that one)
for api, fn in calls.items():
    out(api, error_of(fn))
EOF
for api in virNetworkDefineXML virNetworkDefineXMLFlags virNetworkCreateXML virNetworkCreateXMLFlags \
    virNetworkCreate virNetworkDestroy virNetworkUndefine virNetworkSetAutostart virNetworkUpdate \
    virNetworkPortCreateXML virNetworkPortDelete; do
    expect_eq "$api" "EXC 29 19 operation forbidden: read only access prevents $api" "$(kv "$api")"
done
[ -z "$err" ] || expect_fail "python: $err"
verdict "python3-libvirt on the ro socket: the daemon refuses 11 changing calls (29, domain 19)"

# 4: python3-libvirt readers on the ro socket
py - "$MV_URI_RO" "$uuid" "$portuuid" <<'EOF'
import sys, libvirt
from mvlibvirt import out, step
uri, uuid, portuuid = sys.argv[1:]
libvirt.virEventRegisterDefaultImpl()     # event registration needs a loop
c = libvirt.openReadOnly(uri)
n = c.networkLookupByName("ro1")
step("all", lambda: ",".join(x.name() for x in c.listAllNetworks()))
step("counts", lambda: "%d %s %d %s" % (c.numOfNetworks(), c.listNetworks(), c.numOfDefinedNetworks(),
                                       c.listDefinedNetworks()))
step("byuuid", lambda: c.networkLookupByUUIDString(uuid).name())
step("flags", lambda: "%d %d %d %s" % (n.isActive(), n.isPersistent(), n.autostart(), n.bridgeName()))
step("xml", lambda: "<name>ro1</name>" in n.XMLDesc(0) and "<name>ro1</name>" in n.XMLDesc(1))
step("leases", lambda: len(n.DHCPLeases()))
step("ports", lambda: ",".join(p.UUIDString() for p in n.listAllPorts()))
step("port", lambda: "vm1" in n.portLookupByUUIDString(portuuid).XMLDesc())
step("params", lambda: n.portLookupByUUIDString(portuuid).parameters())
cb = c.networkEventRegisterAny(None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, lambda *a: None, None)
step("deregister", lambda: c.networkEventDeregisterAny(cb))
EOF
expect_eq "listAllNetworks" "ro1" "$(kv all)"
expect_eq "counts" "1 ['ro1'] 0 []" "$(kv counts)"
expect_eq "lookup by uuid" "ro1" "$(kv byuuid)"
expect_eq "active persistent autostart bridge" "1 1 0 mvro1" "$(kv flags)"
expect_eq "XMLDesc live and inactive" True "$(kv xml)"
expect_eq "DHCPLeases" 0 "$(kv leases)"
expect_eq "listAllPorts" "$portuuid" "$(kv ports)"
expect_eq "port XMLDesc" True "$(kv port)"
expect_eq "port parameters" "{}" "$(kv params)"
expect_eq "event deregister" None "$(kv deregister)"
[ -z "$err" ] || expect_fail "python: $err"
verdict "python3-libvirt read-only: lists, lookups, flags, XML, leases, ports, event registration"

# 5-6: raw calls with well-formed arguments, on the ro socket and with the
# read-only open flag on the rw socket
for how in ro-socket rw-socket-ro-flag; do
    sock=$MV_RO ro_flag=0
    [ $how = rw-socket-ro-flag ] && sock=$MV_RW ro_flag=1
    py - "$sock" "$ro_flag" "$uuid" "$portuuid" "$portxml" <<'EOF'
import sys, mvnetrpc as m
sock, ro_flag, uuid, portuuid, portxml = sys.argv[1:]
c = m.connect(sock, readonly_flag=ro_flag == "1")
for proc, api in sorted(m.RW_APIS.items()):
    xml = portxml if proc == m.PORT_CREATE_XML else "<network><name>ro3</name></network>"
    print("rw%d=%s %s" % (proc, api, m.outcome(c.call(proc, m.args_for(proc, "ro1", uuid, portuuid, xml)))))
for proc in m.RO_PROCS:
    print("ro%d=%s" % (proc, m.outcome(c.call(proc, m.args_for(proc, "ro1", uuid, portuuid)))))
EOF
    [ -z "$err" ] || expect_fail "python: $err"
    for proc in 39 40 41 42 48 49 291 406 408 410 432 437; do
        api=$(kv "rw$proc" | cut -d' ' -f1)
        expect_eq "$how: procedure $proc" "$api 29 19 operation forbidden: read only access prevents $api" \
            "$(kv "rw$proc")"
    done
    for proc in 283 52 38 50 36 46 47 43 45 44 152 153 341 313 404 405 409 407; do
        expect_eq "$how: read-only procedure $proc" ok "$(kv "ro$proc")"
    done
    verdict "raw calls, $how: 12 changing procedures refused (29, domain 19), 18 reading ones answered"
done

# 7: CONNECT_SUPPORTS_FEATURE answers what wire-protocol.md 5.6 has a
# non-QEMU daemon answer: 1 for 8 (FD_PASSING), 9, 10, 14, 15, 16, 0 for
# the migration features and unknown ones; and deregistering an event
# callback this connection does not hold is an invalid argument (8, 19)
py - "$MV_RO" <<'EOF'
import struct, sys, mvrpc, mvnetrpc as m
c = m.connect(sys.argv[1])
for f in list(range(1, 18)) + [1000]:
    p = c.call(mvrpc.PROC_CONNECT_SUPPORTS_FEATURE, struct.pack(">i", f))
    print("f%d=%s" % (f, struct.unpack(">i", p.body[:4])[0] if p.status == mvrpc.OK else m.outcome(p)))
print("dereg=%s" % m.outcome(c.call(m.EVENT_DEREGISTER_ANY, struct.pack(">i", 4242))))
EOF
[ -z "$err" ] || expect_fail "python: $err"
for f in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15 16 17 1000; do
    want=0
    case $f in 8 | 9 | 10 | 14 | 15 | 16) want=1 ;; esac
    expect_eq "feature $f" "$want" "$(kv "f$f")"
done
expect_eq "DEREGISTER_ANY of an unknown callback" \
    "8 19 invalid argument: network event callback 4242 is not registered" "$(kv dereg)"
verdict "CONNECT_SUPPORTS_FEATURE: 1 for FD_PASSING and 9, 10, 14, 15, 16, else 0; an unknown callback id is refused"

# 8
after=$(snapshot)
[ "$before" = "$after" ] || expect_fail "the refused calls changed something: $(diff <(echo "$before") <(echo "$after"))"
nvsh net-info ro1
expect_match "ro1 still active" "^Active:[[:space:]]+yes$" "$out"
expect_match "ro1 autostart unchanged" "^Autostart:[[:space:]]+no$" "$out"
nvsh net-list --all --name
expect_eq "no new network" "ro1" "$out"
verdict "nothing changed: files under --root, links, nftables ruleset and the network's state"

# 9: a read-write connection is not refused
nvsh net-autostart ro1
expect_eq "net-autostart on the rw socket" 0 "$rc"
nvsh net-autostart ro1 --disable
verdict "the rw socket without the read-only flag may change networks"

# 10
expect_eq "ro socket mode" 666 "$(stat -c %a "$MV_RO")"
expect_eq "ro socket type" socket "$(stat -c %F "$MV_RO")"
verdict "netd-sock-ro is world-connectable (0666)"

# 11
expect_daemon_alive
bad=$(grep -E ': (warning|error|critical):' "$MV_LOG")
expect_eq "warnings or errors in the daemon log" "" "$bad"
verdict "the daemon is running and logged no warning"

mv_done
