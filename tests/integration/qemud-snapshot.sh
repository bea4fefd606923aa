#!/bin/bash
# Domain snapshots through virsh and python3-libvirt on the test guest with
# a qcow2 disk: internal snapshots of the running guest (QEMU's snapshot
# jobs) and of the shut off one (qemu-img), a revert the guest notices (its
# GUEST-TICK counter goes back), the tree (parent, children, current), the
# XML valid against domainsnapshot.rng, deletes with children and metadata
# only, metadata kept across a daemon restart, undefine refusing a domain
# with snapshots, external disk-only snapshots of a shut off and of a running
# guest (its overlay passed to the confined QEMU as an fd), the modvirt tool, the
# errors: bad names, missing snapshots (code 72), raw disks, and a redefined
# <domain> naming images that are not the domain's.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 qemu-img virt-xml-validate"
BOOT_S=90
PLAN=15
guest_test_init $PLAN
start_daemon

cfgdir=$MV_ROOT/etc/modvirt/qemu
log=$mv_tmp/vm.serial

# last_tick LOG: the highest GUEST-TICK number in LOG so far (0 if none)
last_tick() { { grep -ao 'GUEST-TICK [0-9]*' "$1" 2>/dev/null | awk '{print $2}'; echo 0; } | sort -n | tail -n 1; }
# wait_tick LOG N SECS: until LOG has a GUEST-TICK of N or more
wait_tick() {
    local end=$(($(date +%s) + $3))
    while [ "$(last_tick "$1")" -lt "$2" ]; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.1
    done
}
# ticks_after LOG LINE: the GUEST-TICK numbers after line LINE of LOG
ticks_after() { tail -n +"$(($2 + 1))" "$1" | grep -ao 'GUEST-TICK [0-9]*' | awk '{print $2}'; }
# wait_new_tick LOG LINE SECS: until a GUEST-TICK is logged after line LINE
wait_new_tick() {
    local end=$(($(date +%s) + $3))
    while [ -z "$(ticks_after "$1" "$2")" ]; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.1
    done
}
lines() { wc -l <"$1"; }
# img_snaps FILE: the internal snapshot names qemu-img sees in FILE
img_snaps() { qemu-img snapshot -U -l "$1" | awk 'NR > 2 {print $2}' | sort | tr '\n' ' '; }

qemu-img create -q -f qcow2 "$mv_tmp/vm.qcow2" 32M
DISK="<disk type='file' device='disk'>
  <driver name='qemu' type='qcow2'/>
  <source file='$mv_tmp/vm.qcow2'/>
  <target dev='vda' bus='virtio'/>
</disk>"
GUEST_APPEND=guest.tick=1 guest_domain_xml vm "$log" "$DISK" >"$mv_tmp/vm.xml"

# 1: an internal snapshot of the running guest
vsh define "$mv_tmp/vm.xml"
expect_eq "define" 0 "$rc"
vsh snapshot-list vm --name
expect_eq "no snapshots yet" "" "$out"
vsh start vm
expect_eq "start" 0 "$rc"
guest_wait_log "$log" GUEST-BOOTED-OK $BOOT_S || expect_fail "the guest did not boot"
wait_tick "$log" 3 30 || expect_fail "no GUEST-TICK 3"
vsh snapshot-create-as vm s1 --description "first one"
expect_eq "snapshot-create-as s1 (running)" 0 "$rc"
expect_match "create message" "Domain snapshot s1 created" "$out"
tick_s1=$(last_tick "$log")
vsh domstate vm
expect_eq "still running after the snapshot" running "$out"
vsh snapshot-current vm --name
expect_eq "s1 is current" s1 "$out"
vsh snapshot-dumpxml vm s1
printf '%s\n' "$out" >"$mv_tmp/s1.xml"
expect_match "s1 state" "<state>running</state>" "$out"
expect_match "s1 memory" "<memory snapshot=.internal./>" "$out"
expect_match "s1 description" "<description>first one</description>" "$out"
run virt-xml-validate "$mv_tmp/s1.xml" domainsnapshot
expect_eq "s1's XML validates against domainsnapshot.rng ($out $err)" 0 "$rc"
expect_eq "qemu-img sees s1" "s1 " "$(img_snaps "$mv_tmp/vm.qcow2")"
verdict "virsh snapshot-create-as of the running guest: an internal snapshot (QEMU's job), current, valid XML"

# 2: a child, the tree and the info
wait_tick "$log" $((tick_s1 + 4)) 30 || expect_fail "the guest does not tick after the snapshot"
vsh snapshot-create-as vm s2
expect_eq "snapshot-create-as s2" 0 "$rc"
vsh snapshot-list vm --tree
expect_match "tree: s2 below s1" '^s1 +\| +\+- s2 *$' "$(printf '%s' "$out" | tr '\n' ' ')"
vsh snapshot-list vm --parent
expect_match "list --parent: s2's parent is s1" "s2 .* running +s1" "$out"
vsh snapshot-info vm s2
expect_match "info: current" "Current: +yes" "$out"
expect_match "info: parent" "Parent: +s1" "$out"
expect_match "info: location" "Location: +internal" "$out"
vsh snapshot-info vm s1
expect_match "info s1: children" "Children: +1" "$out"
expect_match "info s1: not current" "Current: +no" "$out"
vsh snapshot-list vm --roots --name
expect_eq "roots" s1 "$out"
vsh snapshot-list vm --leaves --name
expect_eq "leaves" s2 "$out"
verdict "snapshot-list --tree/--parent/--roots/--leaves and snapshot-info show the tree"

# 3: the guest notices a revert: its counter goes back to s1's
wait_tick "$log" $((tick_s1 + 8)) 30 || expect_fail "the guest stopped ticking"
before=$(last_tick "$log")
n=$(lines "$log")
vsh snapshot-revert vm s1
expect_eq "snapshot-revert s1 ($err)" 0 "$rc"
wait_new_tick "$log" "$n" 20 || expect_fail "no tick after the revert"
first=$(ticks_after "$log" "$n" | head -n 1)
[ -n "$first" ] && [ "$first" -le $((tick_s1 + 2)) ] && [ "$first" -lt "$before" ] ||
    expect_fail "first tick after the revert is '$first' (snapshot at $tick_s1, $before before the revert)"
vsh domstate vm
expect_eq "running after the revert" running "$out"
vsh snapshot-current vm --name
expect_eq "s1 current after the revert" s1 "$out"
verdict "snapshot-revert of a running snapshot: the guest continues from s1 (tick $tick_s1 -> $before -> ${first:-none})"

# 4: errors by name
vsh snapshot-create-as vm ../x
expect_eq "bad name refused" 1 "$rc"
expect_match "bad name message" "invalid domain snapshot name '../x'" "$err"
vsh snapshot-info vm nope
expect_match "missing snapshot" "Domain snapshot not found: no domain snapshot with matching name 'nope'" "$err"
vsh snapshot-create-as vm s1
expect_match "duplicate name" "has a snapshot 's1' already" "$err"
vsh snapshot-revert vm s1 --running --paused
expect_eq "revert --running --paused refused" 1 "$rc"
cat >"$mv_tmp/ext-mem.xml" <<EOF
<domainsnapshot><name>em</name><memory snapshot='external' file='$mv_tmp/mem'/></domainsnapshot>
EOF
vsh snapshot-create vm "$mv_tmp/ext-mem.xml"
expect_match "external memory refused by name" "external memory snapshots" "$err"
verdict "errors: bad name, missing snapshot, duplicate, external memory"

# 5: python3-libvirt: the calls and the error code
cat >"$mv_tmp/snap.py" <<'EOF'
import sys
import libvirt
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("vm")
names = sorted(s.getName() for s in dom.listAllSnapshots())
print("all", " ".join(names))
print("current", dom.snapshotCurrent().getName(), dom.hasCurrentSnapshot())
s2 = dom.snapshotLookupByName("s2")
print("parent", s2.getParent().getName(), s2.isCurrent(), s2.hasMetadata())
print("children", " ".join(c.getName() for c in dom.snapshotLookupByName("s1").listAllChildren()))
print("num", dom.snapshotNum(), dom.snapshotLookupByName("s1").numChildren())
try:
    dom.snapshotLookupByName("nope")
except libvirt.libvirtError as e:
    print("error", e.get_error_code())
EOF
py "$mv_tmp/snap.py" "$MV_URI"
expect_eq "python3-libvirt ($err)" $'all s1 s2\ncurrent s1 1\nparent s1 0 1\nchildren s2\nnum 2 1\nerror 72' "$out"
verdict "python3-libvirt: listAllSnapshots, snapshotCurrent, getParent, listAllChildren, error code 72"

# 6: shut off: an internal snapshot by qemu-img, revert of a running snapshot starts the guest
vsh destroy vm
expect_eq "destroy" 0 "$rc"
vsh snapshot-create-as vm off1
expect_eq "snapshot-create-as off1 (shut off, $err)" 0 "$rc"
vsh snapshot-dumpxml vm off1
expect_match "off1 state" "<state>shutoff</state>" "$out"
expect_eq "qemu-img sees all three" "off1 s1 s2 " "$(img_snaps "$mv_tmp/vm.qcow2")"
vsh snapshot-list vm --tree
expect_match "tree: off1 below s1" '^s1 .*\+- off1' "$(printf '%s' "$out" | tr '\n' ' ')"
vsh snapshot-info vm off1
expect_match "off1 is s1's child (s1 was current)" "Parent: +s1" "$out"
vsh snapshot-revert vm s2
expect_eq "revert s2 of the shut off guest ($err)" 0 "$rc"
vsh domstate vm
expect_eq "running after reverting to a running snapshot" running "$out"
wait_tick "$log" 1 20 || expect_fail "no tick after the revert of the shut off guest"
grep -aq GUEST-BOOTED-OK "$log" && expect_fail "the guest booted again instead of continuing"
vsh snapshot-revert vm off1
expect_eq "revert off1 ($err)" 0 "$rc"
vsh domstate vm
expect_eq "shut off after reverting to a shut off snapshot" "shut off" "$out"
verdict "shut off: qemu-img snapshot; revert to a running snapshot starts the guest from it, to a shut off one stops it"

# 7: the metadata survives the daemon
vsh snapshot-list vm --name
names_before=$out
stop_pid "$MV_PID" 10
start_daemon
vsh snapshot-list vm --name
expect_eq "same snapshots after a restart" "$names_before" "$out"
vsh snapshot-current vm --name
expect_eq "current kept" off1 "$out"
vsh snapshot-info vm s2
expect_match "parent kept" "Parent: +s1" "$out"
ls "$cfgdir/snapshot/vm" >"$mv_tmp/files"
expect_eq "one file per snapshot" $'off1.xml\ns1.xml\ns2.xml' "$(cat "$mv_tmp/files")"
verdict "daemon restart: snapshots, current and parents reloaded from $cfgdir/snapshot/vm"

# 8: delete with children, metadata only
vsh snapshot-delete vm off1 --metadata
expect_eq "delete off1 --metadata" 0 "$rc"
expect_eq "off1 stays in the image" "off1 s1 s2 " "$(img_snaps "$mv_tmp/vm.qcow2")"
vsh snapshot-current vm --name
expect_eq "parent current after deleting the current one" s1 "$out"
vsh snapshot-delete vm s1 --children
expect_eq "delete s1 --children ($err)" 0 "$rc"
expect_eq "s1 and s2 gone from the image" "off1 " "$(img_snaps "$mv_tmp/vm.qcow2")"
vsh snapshot-list vm --name
expect_eq "none left" "" "$out"
vsh snapshot-delete vm s1
expect_match "delete of a gone one" "Domain snapshot not found" "$err"
verdict "snapshot-delete --metadata keeps the image's snapshot, --children removes the subtree"

# 9: undefine refuses a domain with snapshots
vsh snapshot-create-as vm u1
expect_eq "u1" 0 "$rc"
vsh list --all --with-snapshot --name
expect_eq "listed with snapshots" vm "$out"
vsh undefine vm
expect_match "undefine refused" "cannot undefine domain 'vm' with 1 snapshots" "$err"
vsh undefine vm --snapshots-metadata
expect_eq "undefine --snapshots-metadata" 0 "$rc"
expect_eq "metadata gone" no "$([ -e "$cfgdir/snapshot/vm" ] && echo yes || echo no)"
verdict "undefine refuses a domain with snapshots unless --snapshots-metadata"

# 10: a raw disk cannot hold an internal snapshot
qemu-img create -q -f raw "$mv_tmp/raw.img" 8M
guest_domain_xml rawvm "$mv_tmp/raw.serial" "<disk type='file' device='disk'>
  <driver name='qemu' type='raw'/>
  <source file='$mv_tmp/raw.img'/>
  <target dev='vda' bus='virtio'/>
</disk>" >"$mv_tmp/raw.xml"
vsh define "$mv_tmp/raw.xml"
vsh snapshot-create-as rawvm r1
expect_match "raw refused by name" "internal snapshot of domain 'rawvm' needs qcow2 disks: disk 'vda' is raw" "$err"
vsh snapshot-list rawvm --name
expect_eq "nothing recorded" "" "$out"
verdict "internal snapshot of a raw disk refused by name"

# 11: external disk-only snapshot of a shut off guest; it then boots on the overlay
vsh snapshot-create-as rawvm d1 --disk-only
expect_eq "disk-only d1 ($err)" 0 "$rc"
vsh domblklist rawvm
expect_match "the disk is the overlay now" "vda +$mv_tmp/raw.d1" "$out"
expect_match "overlay's backing file" "backing file: $mv_tmp/raw.img" "$(qemu-img info "$mv_tmp/raw.d1")"
vsh snapshot-dumpxml rawvm d1
printf '%s\n' "$out" >"$mv_tmp/d1.xml"
expect_match "d1 external" "<disk name=.vda. snapshot=.external. type=.file." "$out"
run virt-xml-validate "$mv_tmp/d1.xml" domainsnapshot
expect_eq "d1 validates" 0 "$rc"
vsh snapshot-info rawvm d1
expect_match "d1 location" "Location: +external" "$out"
vsh start rawvm
expect_eq "starts on the overlay ($err)" 0 "$rc"
guest_wait_log "$mv_tmp/raw.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "rawvm did not boot on its overlay"
vsh snapshot-revert rawvm d1
expect_match "revert to external refused by name" "revert to external snapshot 'd1'" "$err"
vsh snapshot-delete rawvm d1
expect_match "delete of external refused by name" "deleting external snapshot 'd1'" "$err"
vsh snapshot-delete rawvm d1 --metadata
expect_eq "delete --metadata" 0 "$rc"
vsh destroy rawvm
verdict "disk-only snapshot of a shut off guest: a qcow2 overlay the definition points at, granted at start"

# 12: the modvirt tool (rawvm's disk is the qcow2 overlay now)
CLI=$top_builddir/client/modvirt
mv() { run timeout -k 2 60 "$CLI" -c "$MV_URI" "$@"; }
guest_wait_state rawvm "shut off" 20 || expect_fail "rawvm did not stop"
mv snapshot-create rawvm c1 --description "from <modvirt>"
expect_eq "modvirt snapshot-create ($err)" 0 "$rc"
expect_match "its message" "^Domain snapshot c1 created" "$out"
mv snapshot-create rawvm c2
mv snapshot-list rawvm
expect_eq "modvirt snapshot-list" $'c1\nc2 (current)' "$out"
mv snapshot-dumpxml rawvm c1
expect_match "description escaped and kept" "<description>from &lt;modvirt&gt;</description>" "$out"
mv snapshot-revert rawvm c1
expect_eq "modvirt snapshot-revert ($err)" 0 "$rc"
mv snapshot-current rawvm
expect_eq "modvirt snapshot-current" c1 "$out"
mv snapshot-delete rawvm c1 --children
expect_eq "modvirt snapshot-delete --children ($err)" 0 "$rc"
mv snapshot-list rawvm --json
expect_eq "nothing left" "[]" "$(printf '%s' "$out" | tr -d '\n')"
mv snapshot-revert rawvm gone
expect_eq "missing snapshot: exit 1" 1 "$rc"
expect_match "missing snapshot: named" "Domain snapshot not found: no domain snapshot with matching name 'gone'" "$err"
verdict "modvirt snapshot-create/-list/-dumpxml/-revert/-current/-delete"

# 13: external disk-only snapshot of a running guest: the overlay is passed
# to the confined QEMU as an fd and put on top of the disk
qemu-img create -q -f qcow2 "$mv_tmp/lv.qcow2" 16M
GUEST_APPEND=guest.tick=1 guest_domain_xml lv "$mv_tmp/lv.serial" "<disk type='file' device='disk'>
  <driver name='qemu' type='qcow2'/>
  <source file='$mv_tmp/lv.qcow2'/>
  <target dev='vda' bus='virtio'/>
</disk>" >"$mv_tmp/lv.xml"
vsh define "$mv_tmp/lv.xml"
vsh start lv
guest_wait_log "$mv_tmp/lv.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "lv did not boot"
vsh snapshot-create-as lv b0
expect_eq "internal b0 in the base image ($err)" 0 "$rc"
vsh snapshot-create-as lv e1 --disk-only
expect_eq "disk-only e1 of the running guest ($err)" 0 "$rc"
vsh domblklist lv
expect_match "live: the disk is the overlay" "vda +$mv_tmp/lv.e1" "$out"
vsh dumpxml lv --inactive
expect_match "config: the disk is the overlay" "<source file=.$mv_tmp/lv.e1./>" "$out"
expect_match "overlay's backing file" "backing file: $mv_tmp/lv.qcow2" "$(qemu-img info -U "$mv_tmp/lv.e1")"
vsh snapshot-dumpxml lv e1
expect_match "e1 state" "<state>disk-snapshot</state>" "$out"
t=$(last_tick "$mv_tmp/lv.serial")
wait_tick "$mv_tmp/lv.serial" $((t + 2)) 20 || expect_fail "lv stopped ticking after the snapshot"
vsh domstate lv
expect_eq "lv still running" running "$out"
vsh snapshot-create-as lv i1
expect_eq "internal i1 on top of the overlay ($err)" 0 "$rc"
expect_eq "i1 is in the overlay" "i1 " "$(img_snaps "$mv_tmp/lv.e1")"
vsh snapshot-revert lv i1
expect_eq "revert i1 ($err)" 0 "$rc"
vsh snapshot-revert lv b0
expect_match "b0 was taken on other disks: FORCE needed" "runs on other disks than snapshot 'b0'" "$err"
vsh snapshot-revert lv b0 --force
expect_eq "revert b0 --force ($err)" 0 "$rc"
vsh domblklist lv
expect_match "back on the base image" "vda +$mv_tmp/lv.qcow2\$" "$out"
vsh domstate lv
expect_eq "running from b0" running "$out"
vsh destroy lv
vsh start lv
expect_eq "lv starts again on its overlay ($err)" 0 "$rc"
guest_wait_log "$mv_tmp/lv.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "lv did not boot on its overlay"
vsh destroy lv
verdict "disk-only snapshot of a running guest: overlay via add-fd + blockdev-snapshot, live and config point at it"

# 14: a redefined snapshot's <domain> names only the domain's own images:
# another guest's qcow2 or a denylisted file never reaches qemu-img
qemu-img create -q -f qcow2 "$mv_tmp/own.qcow2" 16M
qemu-img create -q -f qcow2 "$mv_tmp/victim.qcow2" 16M
qemu-img snapshot -c ev "$mv_tmp/victim.qcow2"
ownxml() { guest_domain_xml own "$mv_tmp/own.serial" "<disk type='file' device='disk'>
  <driver name='qemu' type='qcow2'/>
  <source file='$1'/>
  <target dev='vda' bus='virtio'/>
</disk>"; }
ownxml "$mv_tmp/own.qcow2" >"$mv_tmp/own.xml"
vsh define "$mv_tmp/own.xml"
expect_eq "define own ($err)" 0 "$rc"
{ echo "<domainsnapshot><name>ev</name><state>shutoff</state>"; ownxml "$mv_tmp/victim.qcow2"
  echo "</domainsnapshot>"; } >"$mv_tmp/ev.xml"
vsh snapshot-create own "$mv_tmp/ev.xml" --redefine
expect_eq "redefine naming another image refused" 1 "$rc"
expect_match "refused naming the image" "image '$mv_tmp/victim.qcow2' is not an image of the domain" "$err"
{ echo "<domainsnapshot><name>sh</name><state>shutoff</state>"; ownxml /etc/shadow
  echo "</domainsnapshot>"; } >"$mv_tmp/sh.xml"
vsh snapshot-create own "$mv_tmp/sh.xml" --redefine
expect_match "redefine naming a denylisted file refused" "'/etc/shadow' is on the path denylist" "$err"
vsh snapshot-list own --name
expect_eq "nothing recorded" "" "$out"
vsh snapshot-delete own ev
expect_eq "victim keeps its snapshot" "ev " "$(img_snaps "$mv_tmp/victim.qcow2")"
# the metadata cannot be written (a file where its directory goes): the
# snapshot leaves the image again
mkdir -p "$cfgdir/snapshot" && : >"$cfgdir/snapshot/own"
vsh snapshot-create-as own lost
expect_match "metadata not written: refused by name ($err)" "cannot save the metadata of snapshot 'lost'" "$err"
expect_eq "the image holds no snapshot without metadata" "" "$(img_snaps "$mv_tmp/own.qcow2")"
rm -f "$cfgdir/snapshot/own"
{ echo "<domainsnapshot><name>ok</name><state>shutoff</state>"; ownxml "$mv_tmp/own.qcow2"
  echo "</domainsnapshot>"; } >"$mv_tmp/ok.xml"
vsh snapshot-create own "$mv_tmp/ok.xml" --redefine
expect_eq "redefine naming the domain's own image ($err)" 0 "$rc"
vsh snapshot-delete own ok --metadata
vsh undefine own
verdict "redefine: a <domain> naming another guest's image or a denylisted file is refused by name; a snapshot whose metadata cannot be written leaves the image"

# 15: a transient domain's snapshots go with it: a new domain of its name
# does not inherit them
qemu-img create -q -f qcow2 "$mv_tmp/tr.qcow2" 16M
guest_domain_xml tr "$mv_tmp/tr.serial" "<disk type='file' device='disk'>
  <driver name='qemu' type='qcow2'/>
  <source file='$mv_tmp/tr.qcow2'/>
  <target dev='vda' bus='virtio'/>
</disk>" >"$mv_tmp/tr.xml"
vsh create "$mv_tmp/tr.xml"
expect_eq "create transient tr ($err)" 0 "$rc"
vsh snapshot-create-as tr t1
expect_eq "snapshot of the transient domain ($err)" 0 "$rc"
vsh destroy tr
expect_eq "destroy tr ($err)" 0 "$rc"
expect_eq "its metadata is gone" no "$([ -e "$cfgdir/snapshot/tr" ] && echo yes || echo no)"
vsh define "$mv_tmp/tr.xml"
vsh snapshot-list tr --name
expect_eq "a new tr has no snapshots ($err)" "" "$out"
vsh undefine tr
verdict "a transient domain's snapshot metadata goes when it stops"

mv_done
