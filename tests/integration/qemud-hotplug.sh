#!/bin/bash
# Device hotplug on the real test guest through virsh: disks (a file, on
# virtio and on SCSI with the virtio-scsi controller added for it), NICs
# (user mode; bridge, with its tap on a bridge in a private netns),
# a CD-ROM's medium, with --live, --config and --current.  The guest
# reports each device it sees come and go (guest.watch=1: GUEST-HOTPLUG
# lines, tests/guest/README.md); DEVICE_ADDED and DEVICE_REMOVED come to
# "virsh event --all"; QEMU holds the hotplugged file open only while the
# disk is attached; the refusals (--live on a shut-off domain, a target
# used twice, a device that is not there) are named.  A guest that ignores
# the unplug request (its ACPI PCI hotplug disabled, acpiphp.disable=1)
# keeps the device: the detach returns all the same, the device stays in
# the live XML, and when QEMU finally lets it go (the guest is reset) the
# daemon drops it and sends DEVICE_REMOVED.  modvirt's attach-device,
# detach-device and detach-device-alias do what virsh's do.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 qemu-img"
BOOT_S=90
PLUG_S=30                        # the guest sees a device (ACPI PCI hotplug under TCG)
G=hp$$
Q="['\"]"                        # either quote, as an XML attribute's
CLI=$top_builddir/client/modvirt
mv() { run timeout -k 2 60 "$CLI" -c "qemu:///system?socket=$MV_RW" "$@"; }
guest_test_init 13
[ -c /dev/net/tun ] || { for i in $(seq 13); do skip "no /dev/net/tun"; done; exit 0; }
# the daemon (its QEMUs and taps) in a network namespace of our own with
# a bridge, so nothing touches the host's network
mv_netns_new mvhp
ip -n "$NS" link add br0 type bridge && ip -n "$NS" link set br0 up ||
    { echo "Bail out! cannot make bridge br0 in netns $NS"; exit 1; }
mv_start_daemon_in_netns "$NS"

log=$mv_tmp/$G.serial
GUEST_APPEND=guest.watch=1 guest_domain_xml "$G" "$log" "<disk type='file' device='cdrom'>
  <target dev='hdc' bus='ide'/>
  <readonly/>
</disk>" >"$mv_tmp/$G.xml"
qemu-img create -f raw "$mv_tmp/d1.img" 8M >/dev/null &&
qemu-img create -f qcow2 "$mv_tmp/d2.qcow2" 8M >/dev/null &&
qemu-img create -f raw "$mv_tmp/d3.img" 8M >/dev/null &&
qemu-img create -f raw "$mv_tmp/cd.iso" 1M >/dev/null ||
    { echo "Bail out! qemu-img create failed"; exit 1; }

# events of every domain, as virsh prints them, for the whole test
MV_CLIENT_TIMEOUT=900 isolated virsh -c "$MV_URI" event --all --loop --timeout 900 >"$mv_tmp/events" 2>&1 &
kill_at_exit $!
event_marker "$mv_tmp/events"

# qemu_has FILE: whether our QEMU has FILE open
qemu_has() {
    local p f
    p=$(our_qemu "$G")
    for f in /proc/"${p:-none}"/fd/*; do [ "$(readlink "$f")" = "$1" ] && return 0; done 2>/dev/null
    return 1
}
# wait_nth ERE N: the guest printed a line matching ERE N times (PLUG_S);
# it names its disks itself, in the order it finds them
wait_nth() {
    local end=$((SECONDS + PLUG_S))
    while [ "$(grep -acE -- "$1" "$log")" -lt "$2" ]; do
        [ $SECONDS -lt $end ] || { diag "no $2. /$1/ in $log after $PLUG_S s; its last lines:" "$(tail -n 8 "$log")"; return 1; }
        sleep 0.1
    done
}
# wait_event ERE: the event log has a line matching ERE (10 s)
wait_event() { guest_wait_log "$mv_tmp/events" "$1" 10; }
disk_xml() {
    cat <<X
<disk type='file' device='disk'>
  <driver name='qemu' type='$3'/>
  <source file='$1'/>
  <target dev='$2' bus='${4:-virtio}'/>
</disk>
X
}
disk_xml "$mv_tmp/d1.img" vdb raw >"$mv_tmp/vdb.xml"
disk_xml "$mv_tmp/d2.qcow2" vdc qcow2 >"$mv_tmp/vdc.xml"
disk_xml "$mv_tmp/d3.img" sda raw scsi >"$mv_tmp/sda.xml"
cat >"$mv_tmp/nic.xml" <<X
<interface type='user'>
  <mac address='52:54:00:4d:00:02'/>
  <model type='virtio'/>
</interface>
X

# 1
vsh define "$mv_tmp/$G.xml"
expect_eq "define" 0 "$rc"
vsh attach-device "$G" "$mv_tmp/vdb.xml" --live
expect_eq "attach --live to a shut-off domain fails" 1 "$rc"
expect_match "named" "domain '$G' is not running" "$err"
vsh start "$G"
expect_eq "start" 0 "$rc"
guest_wait_log "$log" "GUEST-READY" $BOOT_S || expect_fail "the guest did not boot"
verdict "--live on a shut-off domain is refused by name; the guest boots watching its devices"

# 2
vsh attach-device "$G" "$mv_tmp/vdb.xml" --live
expect_eq "attach-device vdb" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
wait_nth "GUEST-HOTPLUG add disk vda" 1 || expect_fail "the guest did not see vdb (as its vda)"
vsh dumpxml "$G"
expect_match "live XML has vdb" "<target dev=$Q?vdb$Q? bus=$Q?virtio$Q?/>" "$out"
expect_match "with its alias" "<alias name=${Q}vdb$Q/>" "$out"
qemu_has "$mv_tmp/d1.img" || expect_fail "QEMU does not hold $mv_tmp/d1.img"
wait_event "device-added.*$G.*vdb" || expect_fail "no device-added event for vdb"
vsh dumpxml "$G" --inactive
expect_nomatch "the inactive XML has no vdb" "dev=${Q}vdb$Q" "$out"
verdict "attach-device --live: the guest sees vdb, the live XML lists it, QEMU has the file, DEVICE_ADDED"

# 3
vsh attach-device "$G" "$mv_tmp/vdb.xml" --live
expect_eq "attaching vdb again fails" 1 "$rc"
expect_match "named" "vdb" "$err"
disk_xml "$mv_tmp/d1.img" vdz raw >"$mv_tmp/vdz.xml"
vsh detach-device "$G" "$mv_tmp/vdz.xml" --live
expect_eq "detaching a missing disk fails" 1 "$rc"
expect_match "named" "device not found: no disk with target 'vdz' in running domain '$G'" "$err"
vsh detach-device-alias "$G" ua-nothing --live
expect_eq "detaching a missing alias fails" 1 "$rc"
expect_match "named" "no device with alias 'ua-nothing'" "$err"
# the guest path policy holds for hotplug as for define: as written
# (--config, --live, a new CD-ROM medium) and as opened (a symlink)
disk_xml /etc/shadow vdy raw >"$mv_tmp/shadow.xml"
ln -s /etc/shadow "$mv_tmp/shadow-link"
disk_xml "$mv_tmp/shadow-link" vdy raw >"$mv_tmp/shadow-link.xml"
for how in --config --live; do
    vsh attach-device "$G" "$mv_tmp/shadow.xml" $how
    expect_eq "attaching /etc/shadow $how fails" 1 "$rc"
    expect_match "on the denylist" "'/etc/shadow' is on the path denylist" "$err"
done
vsh attach-device "$G" "$mv_tmp/shadow-link.xml" --live
expect_eq "attaching a symlink to /etc/shadow --live fails" 1 "$rc"
expect_match "where it leads" "leads to '/etc/shadow', which is on the path denylist" "$err"
vsh change-media "$G" hdc /etc/shadow --insert --config
expect_eq "/etc/shadow as the CD-ROM's medium --config fails" 1 "$rc"
expect_match "on the denylist" "'/etc/shadow' is on the path denylist" "$err"
vsh dumpxml "$G" --inactive
expect_nomatch "the definition has no /etc/shadow" "/etc/shadow" "$out"
vsh dumpxml "$G"
expect_nomatch "the live XML has no vdy" "dev=${Q}vdy$Q" "$out"
verdict "a target used twice and a missing device are refused by name: ${err##*error: }; /etc/shadow refused"

# 4
vsh detach-device "$G" "$mv_tmp/vdb.xml" --live
expect_eq "detach-device vdb" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
wait_nth "GUEST-HOTPLUG remove disk vda" 1 || expect_fail "the guest did not lose vdb"
wait_event "device-removed.*$G.*vdb" || expect_fail "no device-removed event for vdb"
vsh dumpxml "$G"
expect_nomatch "live XML without vdb" "dev=${Q}vdb$Q" "$out"
qemu_has "$mv_tmp/d1.img" && expect_fail "QEMU still holds $mv_tmp/d1.img"
verdict "detach-device --live: the guest loses vdb, DEVICE_REMOVED, the file is closed"

# 5
vsh attach-device "$G" "$mv_tmp/vdc.xml" --config
expect_eq "attach --config" 0 "$rc"
vsh dumpxml "$G" --inactive
expect_match "inactive XML has vdc" "dev=${Q}vdc$Q" "$out"
vsh dumpxml "$G"
expect_nomatch "live XML has no vdc" "dev=${Q}vdc$Q" "$out"
vsh detach-device "$G" "$mv_tmp/vdc.xml" --config
expect_eq "detach --config" 0 "$rc"
vsh dumpxml "$G" --inactive
expect_nomatch "inactive XML without vdc" "dev=${Q}vdc$Q" "$out"
verdict "--config changes only the persistent definition"

# 6
vsh attach-device "$G" "$mv_tmp/vdc.xml" --live --config
expect_eq "attach qcow2 --live --config" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
wait_nth "GUEST-HOTPLUG add disk vda" 2 || expect_fail "the guest did not see vdc (as its vda)"
vsh dumpxml "$G" --inactive
expect_match "inactive XML has vdc" "dev=${Q}vdc$Q" "$out"
vsh detach-disk "$G" vdc --live --config
expect_eq "detach-disk vdc --live --config" 0 "$rc"
wait_nth "GUEST-HOTPLUG remove disk vda" 2 || expect_fail "the guest did not lose vdc"
vsh dumpxml "$G" --inactive
expect_nomatch "inactive XML without vdc" "dev=${Q}vdc$Q" "$out"
verdict "a qcow2 disk with --live --config: both definitions and the guest"

# 7
vsh attach-device "$G" "$mv_tmp/sda.xml" --live
expect_eq "attach scsi sda" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
wait_nth "GUEST-HOTPLUG add disk sda" 1 || expect_fail "the guest did not see sda"
vsh dumpxml "$G"
expect_match "a virtio-scsi controller was added" "<controller type=${Q}scsi$Q index=${Q}0$Q model=${Q}virtio-scsi$Q" "$out"
vsh detach-disk "$G" sda --live
expect_eq "detach sda" 0 "$rc"
wait_nth "GUEST-HOTPLUG remove disk sda" 1 || expect_fail "the guest did not lose sda"
verdict "a SCSI disk gets its virtio-scsi controller and reaches the guest"

# 8
vsh attach-device "$G" "$mv_tmp/nic.xml" --live
expect_eq "attach user NIC" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
wait_nth "GUEST-HOTPLUG add net eth0" 1 || expect_fail "the guest did not see eth0"
wait_event "device-added.*$G.*net0" || expect_fail "no device-added event for net0"
vsh detach-interface "$G" user --mac 52:54:00:4d:00:02 --live
expect_eq "detach-interface" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
wait_nth "GUEST-HOTPLUG remove net eth0" 1 || expect_fail "the guest did not lose eth0"
wait_event "device-removed.*$G.*net0" || expect_fail "no device-removed event for net0"
verdict "a user-mode NIC: attach-device and detach-interface, seen by the guest, with events"

# 9
vsh change-media "$G" hdc "$mv_tmp/cd.iso" --insert --live
expect_eq "change-media --insert" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
[ $rc -eq 0 ] || diag "$(run_evidence)"
vsh dumpxml "$G"
expect_match "live XML has the medium" "<source file=$Q$mv_tmp/cd.iso$Q" "$out"
qemu_has "$mv_tmp/cd.iso" || expect_fail "QEMU does not hold the medium"
vsh change-media "$G" hdc --eject --live
expect_eq "change-media --eject" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
vsh dumpxml "$G"
expect_nomatch "live XML without the medium" "cd.iso" "$out"
qemu_has "$mv_tmp/cd.iso" && expect_fail "QEMU still holds the medium"
expect_daemon_alive
verdict "change-media inserts and ejects a CD-ROM's medium"

# 10
cat >"$mv_tmp/br.xml" <<X
<interface type='bridge'>
  <mac address='52:54:00:4d:00:03'/>
  <source bridge='br0'/>
  <model type='virtio'/>
</interface>
X
vsh attach-device "$G" "$mv_tmp/br.xml" --live
expect_eq "attach bridge NIC" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
wait_nth "GUEST-HOTPLUG add net eth0" 2 || expect_fail "the guest did not see the bridge NIC"
ports=$(ip -n "$NS" -o link show master br0 2>&1)
tap=$(printf '%s\n' "$ports" | sed -n '1s/^[0-9]*: \([^:@]*\)[:@].*/\1/p')
expect_match "a tap on br0" '^vnet[0-9]+$' "$tap"
expect_match "with the guest's MAC (first byte fe)" "link/ether fe:54:00:4d:00:03 " "$ports"
vsh dumpxml "$G"
expect_match "live XML names the tap" "<target dev=$Q${tap:-none}$Q/>" "$out"
vsh detach-device "$G" "$mv_tmp/br.xml" --live
expect_eq "detach bridge NIC" 0 "$rc"
wait_nth "GUEST-HOTPLUG remove net eth0" 2 || expect_fail "the guest did not lose the bridge NIC"
expect_eq "no tap left on br0" "" "$(ip -n "$NS" -o link show master br0 2>&1)"
verdict "a bridge NIC: its tap ${tap:-?} on br0 while attached, gone after the detach"

# 11
vsh attach-device "$G" "$mv_tmp/vdb.xml" --live
expect_eq "attach vdb again" 0 "$rc"
wait_nth "GUEST-HOTPLUG add disk vda" 3 || expect_fail "the guest did not see vdb"
vsh suspend "$G"
expect_eq "suspend" 0 "$rc"
start=$SECONDS
vsh detach-device "$G" "$mv_tmp/vdb.xml" --live
expect_eq "detach from the paused guest returns success" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
took=$((SECONDS - start))
[ $took -ge 4 ] || expect_fail "the detach returned after $took s, before the guest could have answered"
vsh dumpxml "$G"
expect_match "the device stays in the live XML" "dev=${Q}vdb$Q" "$out"
[ "$(grep -c "device-removed.*$G.*vdb" "$mv_tmp/events")" -eq 1 ] ||
    expect_fail "a DEVICE_REMOVED for vdb came while the guest could not have let it go"
vsh resume "$G"
expect_eq "resume" 0 "$rc"
wait_nth "GUEST-HOTPLUG remove disk vda" 3 || expect_fail "the resumed guest did not let vdb go"
for i in $(seq 100); do [ "$(grep -c "device-removed.*$G.*vdb" "$mv_tmp/events")" -ge 2 ] && break; sleep 0.1; done
expect_eq "a second DEVICE_REMOVED for vdb, once the guest let it go" 2 "$(grep -c "device-removed.*$G.*vdb" "$mv_tmp/events")"
vsh dumpxml "$G"
expect_nomatch "the live XML lost vdb" "dev=${Q}vdb$Q" "$out"
qemu_has "$mv_tmp/d1.img" && expect_fail "QEMU still holds $mv_tmp/d1.img"
verdict "a guest that cannot answer (paused): the detach returns after the wait ($took s), the device stays; when the guest lets it go, DEVICE_REMOVED and the live XML follow"

# 12
mv attach-device "$G" "$mv_tmp/vdb.xml" --live
expect_eq "modvirt attach-device" 0 "$rc"
expect_eq "its message" "Device attached successfully" "$out"
[ $rc -eq 0 ] || diag "$(run_evidence)"
wait_nth "GUEST-HOTPLUG add disk vda" 4 || expect_fail "the guest did not see vdb"
mv detach-device-alias "$G" vdb --live
expect_eq "modvirt detach-device-alias" 0 "$rc"
wait_nth "GUEST-HOTPLUG remove disk vda" 4 || expect_fail "the guest did not lose vdb"
mv detach-device "$G" "$mv_tmp/vdb.xml" --live
expect_eq "modvirt detach-device of a missing disk fails" 1 "$rc"
expect_match "named" "no disk with target 'vdb'" "$err"
verdict "modvirt attach-device, detach-device-alias and detach-device (a missing disk named)"

vsh destroy "$G"

# 13
G2=hpi$$
log2=$mv_tmp/$G2.serial
GUEST_APPEND="guest.watch=1 acpiphp.disable=1" guest_domain_xml "$G2" "$log2" >"$mv_tmp/$G2.xml"
vsh create "$mv_tmp/$G2.xml"
expect_eq "start the guest that ignores hotplug" 0 "$rc"
guest_wait_log "$log2" "GUEST-READY" $BOOT_S || expect_fail "the second guest did not boot"
vsh attach-device "$G2" "$mv_tmp/vdb.xml" --live
expect_eq "attach to it" 0 "$rc"
vsh detach-device "$G2" "$mv_tmp/vdb.xml" --live
expect_eq "detach returns success" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
vsh dumpxml "$G2"
expect_match "the device stays in the live XML" "dev=${Q}vdb$Q" "$out"
grep -q "device-removed.*$G2" "$mv_tmp/events" && expect_fail "DEVICE_REMOVED although the guest kept the device"
vsh destroy "$G2"
expect_eq "destroy" 0 "$rc"
expect_daemon_alive
verdict "a guest without ACPI hotplug never lets the device go: the detach returns, the device stays until the guest stops"

mv_done
