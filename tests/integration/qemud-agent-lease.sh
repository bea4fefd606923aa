#!/bin/bash
# domifaddr / domhostname --source lease: qemud asks modvirt-netd for the
# DHCP leases of the domain's MAC addresses.  A real TCG guest on an
# isolated netd network with DHCP (guest.net=dhcp prints the address it
# got); domifaddr --source lease shows that address on the domain's tap with
# its MAC, also through the modvirt tool; domhostname --source lease gives
# the lease's hostname, or "no hostname found" naming the domain when the
# lease carries none (busybox udhcpc sends none unless asked).  No agent
# channel is needed for either.  netd and qemud share a private network
# namespace (tests/integration/netns.sh).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"
. "$top_srcdir/tests/integration/netns.sh"

MV_NEEDS="qemu-system-x86_64 ip nft $MV_NETD"
BOOT_S=150                       # TCG boot plus DHCP
NET=ln
BR=lnbr0
SUB=192.168.153
MAC=52:54:00:53:00:01
G=lease$$
LOG=$mv_tmp/$G.serial
CLI=$top_builddir/client/modvirt

nt_guest_setup 2
mvcli() { run timeout -k 2 60 "$CLI" -c "qemu:///system?socket=$MV_RW" "$@"; }

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
GUEST_APPEND="guest.net=dhcp" guest_domain_xml $G "$LOG" "<interface type='network'>
  <mac address='$MAC'/>
  <source network='$NET'/>
  <model type='virtio'/>
</interface>" >"$mv_tmp/$G.xml"

# 1
vsh create "$mv_tmp/$G.xml"
expect_eq "start $G" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
gip=
if guest_wait_log "$LOG" "GUEST-IP " $BOOT_S; then
    gip=$(grep -a -m 1 "GUEST-IP " "$LOG" | tr -d '\r' | sed -n 's/^GUEST-IP \([0-9.]*\)$/\1/p')
    expect_match "the guest's address" "^$SUB\.(1[0-9][0-9]|200)\$" "${gip:-none}"
else
    expect_fail "no GUEST-IP within $BOOT_S s"
fi
vsh domifaddr --source lease $G
expect_eq "domifaddr --source lease" 0 "$rc"
expect_match "the lease: tap, MAC, address" "^ [a-z0-9]+ +$MAC +ipv4 +${gip:-none}/24$" "$out"
vsh domifaddr $G
expect_match "lease is virsh's default source" "^ [a-z0-9]+ +$MAC +ipv4 +${gip:-none}/24$" "$out"
mvcli domifaddr $G
expect_match "modvirt domifaddr (lease)" "^ [a-z0-9]+ +$MAC +ipv4 +${gip:-none}/24$" "$out"
verdict "domifaddr --source lease shows the address ${gip:-?} netd's dnsmasq leased to $MAC"

# 2
vsh domhostname --source lease $G
if [ "$rc" = 0 ]; then
    expect_match "the lease's hostname" "^[A-Za-z0-9.-]+$" "$out"
    verdict "domhostname --source lease: '$out' from the lease"
else
    expect_match "no hostname in the lease: named" "no hostname found: no DHCP lease of domain '$G' names one" "$err"
    verdict "domhostname --source lease: the lease names no hostname, refused by name"
fi

vsh destroy $G
mv_done
