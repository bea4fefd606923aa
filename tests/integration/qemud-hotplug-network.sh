#!/bin/bash
# Hotplug of <interface type='network'>: a port from modvirt-netd, as at
# start (qemud/network_port.h), a tap on the network's bridge, the guest
# sees the NIC (guest.watch=1); the detach deletes the port and the tap.
# A NIC on a network that is not active is refused naming the network and
# leaves no port and no tap behind.  netd and qemud share a private
# network namespace (tests/integration/netns.sh).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"
. "$top_srcdir/tests/integration/netns.sh"

MV_NEEDS="qemu-system-x86_64 ip nft $MV_NETD"
BOOT_S=90
PLUG_S=30
NET=hn
NET2=hnoff
BR=hnbr0
MAC=52:54:00:4e:00:01
G=hpn$$

nt_guest_setup 3

# ports NET: "owner,mac,bridge" of each port of NET, space separated
ports() {
    py - "$(nt_netd_uri)" "$1" <<'PY'
import sys, libvirt
import xml.etree.ElementTree as ET
conn = libvirt.open(sys.argv[1])
net = conn.networkLookupByName(sys.argv[2])
print(" ".join("%s,%s,%s" % (x.findtext("owner/name"), x.find("mac").get("address"), x.find("plug").get("bridge"))
               for x in (ET.fromstring(p.XMLDesc()) for p in net.listAllPorts())))
PY
    printf '%s' "$out"
}
taps() { ip -n "$NT_HOST" -o link show master "$BR" 2>&1; }
wait_log() {
    local end=$((SECONDS + PLUG_S))
    while ! grep -aqE -- "$1" "$log"; do
        [ $SECONDS -lt $end ] || { diag "no /$1/ in $log after $PLUG_S s"; return 1; }
        sleep 0.1
    done
}

for n in "$NET:$BR:192.168.151" "$NET2:hnbr1:192.168.152"; do
    IFS=: read -r name br sub <<<"$n"
    cat >"$mv_tmp/$name.xml" <<X
<network>
  <name>$name</name>
  <bridge name='$br' stp='off' delay='0'/>
  <ip address='$sub.1' netmask='255.255.255.0'/>
</network>
X
    nvsh_ok net-define "$mv_tmp/$name.xml"
done
nvsh_ok net-start $NET

log=$mv_tmp/$G.serial
GUEST_APPEND=guest.watch=1 guest_domain_xml "$G" "$log" >"$mv_tmp/$G.xml"
iface() {
    cat <<X
<interface type='network'>
  <mac address='$MAC'/>
  <source network='$1'/>
  <model type='virtio'/>
</interface>
X
}
iface $NET >"$mv_tmp/nic.xml"
iface $NET2 >"$mv_tmp/nic2.xml"

# 1
vsh create "$mv_tmp/$G.xml"
expect_eq "start" 0 "$rc"
guest_wait_log "$log" "GUEST-READY" $BOOT_S || expect_fail "the guest did not boot"
vsh attach-device "$G" "$mv_tmp/nic.xml" --live
expect_eq "attach a network NIC" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
wait_log "GUEST-HOTPLUG add net eth0" || expect_fail "the guest did not see the NIC"
expect_eq "netd's port" "$G,$MAC,$BR" "$(ports $NET)"
expect_match "a tap on $BR" "link/ether fe:54:00:4e:00:01 " "$(taps)"
vsh dumpxml "$G"
expect_match "live XML: the port" "<source network=.$NET. portid=.[0-9a-f-]{36}. bridge=.$BR./>" "$out"
verdict "attach-device of a network NIC: a port from netd, a tap on $BR, the guest sees eth0"

# 2
vsh detach-device "$G" "$mv_tmp/nic.xml" --live
expect_eq "detach it" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
wait_log "GUEST-HOTPLUG remove net eth0" || expect_fail "the guest did not lose the NIC"
expect_eq "no port left" "" "$(ports $NET)"
expect_eq "no tap left" "" "$(taps)"
verdict "detach-device: the guest loses it, netd's port and the tap are gone"

# 3
vsh attach-device "$G" "$mv_tmp/nic2.xml" --live
expect_eq "attach to an inactive network fails" 1 "$rc"
expect_match "naming the network" "network '$NET2' is not active" "$err"
refusal=${err##*error: }
expect_eq "no port on $NET" "" "$(ports $NET)"
expect_eq "no tap anywhere" "" "$(ip -n "$NT_HOST" -o link show type tun 2>&1)"
vsh dumpxml "$G"
expect_nomatch "no interface in the live XML" "<interface" "$out"
expect_daemon_alive
verdict "a NIC on an inactive network is refused by name and leaves nothing: $refusal"

vsh destroy "$G"
mv_done
