#!/bin/bash
# modvirt-nodedevd's mediated devices, driven by Debian's virsh, on the fake
# sysfs tree "mdev" (tests/nodedev/fixture-mdev.sh: a GPU with two mdev
# types and one mdev), with tests/nodedev/fakekernel.py and its mdev plugin
# playing the kernel: an mdev listed with its parent's types; define, start,
# autostart, destroy, undefine, each checked in what was written to sysfs
# (the responder's log), in the list and in the state directory; defined and
# autostarted mdevs across daemon restarts; a transient mdev with an
# attribute; an attribute that cannot be set (the new mdev is removed
# again); lifecycle events; and bad input (missing or unknown parent,
# unknown type, hostile names, bad UUID, calls on the wrong device), which
# writes nothing anywhere.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_DAEMON=$top_builddir/nodedevd/modvirt-nodedevd
FK=$top_srcdir/tests/nodedev/fakekernel.py
FK_MDEV=$top_srcdir/tests/nodedev/fakekernel_mdev.py
if [ ! -f "$FK" ]; then
    echo "1..0 # SKIP tests/nodedev/fakekernel.py (the fake kernel) is not there"
    exit 0
fi
mv_init 16

GPU=pci_0000_00_02_0
GPU_DIR=devices/pci0000:00/0000:00:02.0
OLD_UUID=8d1e5b2a-3f6c-4e7d-9a0b-1c2d3e4f5a6b
OLD=mdev_8d1e5b2a_3f6c_4e7d_9a0b_1c2d3e4f5a6b_0000_00_02_0
U1=3b0a2f8e-6d4c-4b1a-8e2f-9c7d5a3b1e01
DEV1=mdev_3b0a2f8e_6d4c_4b1a_8e2f_9c7d5a3b1e01_0000_00_02_0

# ---- the tree, the fake kernel, the daemon ----

FX=$mv_tmp/sysfs
bash "$top_srcdir/tests/nodedev/mkfixture.sh" mdev "$FX" >"$mv_tmp/mkfixture.out" 2>&1 ||
    { echo "Bail out! mkfixture.sh mdev failed"; sed 's/^/# /' "$mv_tmp/mkfixture.out"; exit 1; }
FKLOG=$mv_tmp/fakekernel.log
: >"$FKLOG"
# the responder's stdout on fd $FKOUT: 'ready', then 'sync N' answers
mkfifo "$mv_tmp/fk.out"
"$MV_PY" "$FK" "$FX" --log "$FKLOG" --plugin "$FK_MDEV" >"$mv_tmp/fk.out" 2>"$mv_tmp/fk.err" </dev/null &
kill_at_exit $!
exec {FKOUT}<"$mv_tmp/fk.out"
read -r -t 20 -u $FKOUT line
[ "$line" = ready ] || { echo "Bail out! the fake kernel is not ready"; sed 's/^/# /' "$mv_tmp/fk.err"; exit 1; }
# fk_sync: every write made so far is in the responder's log (inotify
# queues events in order: its answer to fk-sync comes after them).  Used in
# $(...): a failure shows in the output the caller checks.
fk_sync() {
    local line= n=$BASHPID.$RANDOM
    echo "$n" >"$FX/fk-sync"
    read -r -t 20 -u $FKOUT line
    [ "$line" = "sync $n" ] || echo "the fake kernel did not answer sync $n (got '$line')"
}

use_root nodedevd
MV_RW=$MV_ROOT/run/modvirt/nodedevd-sock
MV_URI="qemu:///system?socket=$MV_RW"
# the definitions (common/store.h) and the "autostart ran this boot" marker
STORE=$MV_ROOT/etc/modvirt/nodedev
BOOTED=$MV_ROOT/run/modvirt/nodedev/autostarted
mkdir -p "$MV_ROOT/etc/modvirt"
printf '%s\n' "sysfs_root = \"$FX\"" "probe_timeout = 2" >"$MV_ROOT/etc/modvirt/modvirt-nodedevd.conf"

# what the fake kernel saw since mark_fk
mark_fk() { fk_mark=$(wc -l <"$FKLOG"); }
fk_new() { fk_sync; tail -n +$((fk_mark + 1)) "$FKLOG"; }
# wait_for SECS CMD...: polls CMD until it succeeds; 1 on timeout
wait_for() {
    local secs=$1 i
    shift
    for ((i = 0; i < secs * 20; i++)); do
        "$@" && return 0
        sleep 0.05
    done
    return 1
}
SCHEMA=/usr/share/libvirt/schemas/nodedev.rng
# valid WHAT XML: XML is valid against libvirt's nodedev.rng (when installed)
valid() {
    [ -f "$SCHEMA" ] && command -v xmllint >/dev/null || return 0
    printf '%s\n' "$2" | xmllint --noout --relaxng "$SCHEMA" - >/dev/null 2>&1 ||
        expect_fail "$1 is not valid against $SCHEMA: $2"
}
info() { vsh nodedev-info "$1"; printf '%s\n' "$out" | sed -n "s/^$2: *//p"; }
xml_file() { printf '%s\n' "$2" >"$mv_tmp/$1.xml"; }
mdev_xml() {   # NAME PARENT TYPE UUID [EXTRA]
    xml_file "$1" "<device>${2:+<parent>$2</parent>}<capability type='mdev'><type id='$3'/>${4:+<uuid>$4</uuid>}${5:-}</capability></device>"
}

start_daemon

# ---- 1: what sysfs has ----
vsh nodedev-list --cap mdev
expect_eq "mdevs" "$OLD" "$out"
vsh nodedev-dumpxml "$OLD"
expect_match "its type" "<type id='i915-GVTg_V5_4'/>" "$out"
expect_match "its uuid" "<uuid>$OLD_UUID</uuid>" "$out"
expect_match "its parent's address" "<parent_addr>0000:00:02.0</parent_addr>" "$out"
expect_match "its group" "<iommuGroup number='12'/>" "$out"
expect_match "its parent" "<parent>$GPU</parent>" "$out"
expect_match "its driver" "<name>vfio_mdev</name>" "$out"
expect_match "its path" "<path>/sys/$GPU_DIR/$OLD_UUID</path>" "$out"
valid "the mdev's XML" "$out"
expect_eq "persistent" no "$(info "$OLD" Persistent)"
vsh nodedev-dumpxml "$GPU"
expect_match "the parent's types" "<capability type='mdev_types'>" "$out"
expect_match "type V5_4" "<type id='i915-GVTg_V5_4'>" "$out"
expect_match "its name, api, instances" \
    "<name>GVTg_V5_8</name>.*<deviceAPI>vfio-pci</deviceAPI>.*<availableInstances>1</availableInstances>" \
    "$(printf '%s' "$out" | tr -d '\n ')"
valid "the parent's XML" "$out"
vsh nodedev-list --cap mdev_types
expect_eq "parents with mdev types" "$GPU" "$out"
verdict "the mdev in sysfs and its parent's mdev_types, as libvirt 9.0 writes them"

# ---- 2: events, listened to from here on (again after each restart) ----
EVLOG=$mv_tmp/events.out
: >"$EVLOG"
listen_n=0
listen() {
    local i mark
    listen_n=$((listen_n + 1))
    isolated virsh -c "$MV_URI" nodedev-event --event lifecycle --loop >>"$EVLOG" 2>&1 &
    kill_at_exit $!
    # the listener is registered once a define's event reaches it
    mark=6c1f7f3e-0a0b-4c0d-8e0f-1011121314$(printf '%02d' $listen_n)
    mdev_xml marker "$GPU" i915-GVTg_V5_4 "$mark"
    MARK=mdev_${mark//-/_}_0000_00_02_0
    for ((i = 0; i < 50; i++)); do
        vsh nodedev-define "$mv_tmp/marker.xml"
        vsh nodedev-undefine "$MARK"
        grep -q "$MARK" "$EVLOG" && return 0
        sleep 0.2
    done
    expect_fail "the event listener never saw $MARK: $(cat "$EVLOG")"
}
restart() {
    if [ -n "$MV_PID" ]; then
        kill "$MV_PID" 2>/dev/null
        wait_exit "$MV_PID" 10 || expect_fail "nodedevd (pid $MV_PID) did not stop on SIGTERM"
    fi
    start_daemon
    listen
}
listen
verdict "a lifecycle event listener"

# ---- 3: define ----
mark_fk
mdev_xml d1 "$GPU" i915-GVTg_V5_8 "$U1"
vsh nodedev-define "$mv_tmp/d1.xml"
expect_eq "define rc" 0 "$rc"
expect_match "define says" "$DEV1" "$out"
vsh nodedev-list --cap mdev --inactive
expect_eq "inactive mdevs" "$DEV1" "$out"
vsh nodedev-list --cap mdev
expect_eq "active mdevs" "$OLD" "$out"
expect_eq "active" no "$(info "$DEV1" Active)"
expect_eq "persistent" yes "$(info "$DEV1" Persistent)"
vsh nodedev-dumpxml "$DEV1"
expect_nomatch "no path while inactive" "<path>" "$out"
valid "the inactive mdev's XML" "$out"
expect_match "its uuid" "<uuid>$U1</uuid>" "$out"
[ -f "$STORE/$DEV1.xml" ] || expect_fail "no $STORE/$DEV1.xml"
expect_eq "sysfs writes" "" "$(fk_new)"
wait_for 2 grep -q "$DEV1.*Defined" "$EVLOG" || expect_fail "no Defined event: $(cat "$EVLOG")"
verdict "nodedev-define: an inactive, persistent mdev in the store, nothing written to sysfs"

# ---- 4: start ----
mark_fk
vsh nodedev-start "$DEV1"
expect_eq "start rc" 0 "$rc"
expect_match "the UUID to the type's create" "^write $GPU_DIR/mdev_supported_types/i915-GVTg_V5_8/create $U1\$" "$(fk_new)"
expect_eq "active" yes "$(info "$DEV1" Active)"
vsh nodedev-dumpxml "$DEV1"
expect_match "its path" "<path>/sys/$GPU_DIR/$U1</path>" "$out"
expect_match "its new group" "<iommuGroup number='13'/>" "$out"
vsh nodedev-dumpxml "$GPU"
expect_match "no instance of V5_8 left" "<name>GVTg_V5_8</name><deviceAPI>vfio-pci</deviceAPI><availableInstances>0<" \
    "$(printf '%s' "$out" | tr -d '\n ')"
wait_for 2 grep -q "$DEV1.*Created" "$EVLOG" || expect_fail "no Created event: $(cat "$EVLOG")"
vsh nodedev-start "$DEV1"
expect_match "a second start" "already active" "$err"
verdict "nodedev-start writes the UUID to create, reads the mdev; a second start is refused"

# ---- 5: autostart, and a restart with the mdev running ----
vsh nodedev-autostart "$DEV1"
expect_eq "autostart rc" 0 "$rc"
expect_eq "autostart" yes "$(info "$DEV1" Autostart)"
[ -e "$STORE/autostart/$DEV1.xml" ] || expect_fail "no autostart link $STORE/autostart/$DEV1.xml"
mark_fk
restart
expect_eq "active after restart" yes "$(info "$DEV1" Active)"
expect_eq "persistent after restart" yes "$(info "$DEV1" Persistent)"
expect_eq "autostart after restart" yes "$(info "$DEV1" Autostart)"
expect_eq "sysfs writes at restart" "" "$(fk_new)"
verdict "a restart finds the running defined mdev persistent and autostarted, and starts nothing"

# ---- 6: destroy ----
mark_fk
vsh nodedev-destroy "$DEV1"
expect_eq "destroy rc" 0 "$rc"
expect_eq "writes" "write $GPU_DIR/$U1/remove 1" "$(fk_new | grep '^write')"
expect_eq "active" no "$(info "$DEV1" Active)"
expect_eq "still persistent" yes "$(info "$DEV1" Persistent)"
vsh nodedev-dumpxml "$GPU"
expect_match "the instance back" "<name>GVTg_V5_8</name><deviceAPI>vfio-pci</deviceAPI><availableInstances>1<" \
    "$(printf '%s' "$out" | tr -d '\n ')"
vsh nodedev-destroy "$DEV1"
expect_match "a second destroy" "is not active" "$err"
verdict "nodedev-destroy writes 1 to remove; the defined mdev stays, inactive"

# ---- 7: autostart once per boot ----
# the daemon started again in the same boot (its socket woke it) does not
# bring back what a user destroyed
[ -e "$BOOTED" ] || expect_fail "no boot marker $BOOTED after the first start"
mark_fk
restart
expect_eq "writes at a restart in the same boot" "" "$(fk_new)"
expect_eq "inactive after a restart in the same boot" no "$(info "$DEV1" Active)"
# a new boot (the run directory is a tmpfs): started with the daemon
rm -f "$BOOTED"
mark_fk
restart
expect_match "started at start" "^write $GPU_DIR/mdev_supported_types/i915-GVTg_V5_8/create $U1\$" "$(fk_new)"
expect_eq "active" yes "$(info "$DEV1" Active)"
verdict "an autostarted mdev not in sysfs is started once per boot: not again by a restart in the same boot"

# ---- 8: no autostart: stays inactive across a restart ----
vsh nodedev-autostart --disable "$DEV1"
expect_eq "autostart off" no "$(info "$DEV1" Autostart)"
[ -L "$STORE/autostart/$DEV1.xml" ] && expect_fail "the autostart link is still there"
vsh nodedev-destroy "$DEV1"
mark_fk
restart
expect_eq "writes at restart" "" "$(fk_new)"
expect_eq "inactive after restart" no "$(info "$DEV1" Active)"
expect_eq "defined after restart" yes "$(info "$DEV1" Persistent)"
verdict "without autostart a defined mdev is listed inactive after a restart"

# ---- 9: undefine ----
vsh nodedev-undefine "$DEV1"
expect_eq "undefine rc" 0 "$rc"
vsh nodedev-list --all --cap mdev
expect_eq "mdevs" "$OLD" "$out"
[ -e "$STORE/$DEV1.xml" ] && expect_fail "$STORE/$DEV1.xml is still there"
wait_for 2 grep -q "$DEV1.*Undefined" "$EVLOG" || expect_fail "no Undefined event: $(cat "$EVLOG")"
vsh nodedev-undefine "$DEV1"
expect_match "again" "no node device with matching name" "$err"
verdict "nodedev-undefine removes the definition and the inactive device"

# ---- 10: undefine while running: the mdev stays, transient ----
vsh nodedev-define "$mv_tmp/d1.xml"
vsh nodedev-start "$DEV1"
vsh nodedev-undefine "$DEV1"
expect_eq "undefine rc" 0 "$rc"
expect_eq "still active" yes "$(info "$DEV1" Active)"
expect_eq "transient" no "$(info "$DEV1" Persistent)"
vsh nodedev-destroy "$DEV1"
vsh nodedev-list --all --cap mdev
expect_eq "gone after destroy" "$OLD" "$out"
verdict "a running mdev undefined stays until destroyed, then goes"

# ---- 11: a transient mdev with an attribute, its UUID picked by nodedevd ----
mark_fk
mdev_xml t1 "$GPU" i915-GVTg_V5_4 "" "<attr name='assign_domain' value='0x0001'/>"
vsh nodedev-create "$mv_tmp/t1.xml"
expect_eq "create rc" 0 "$rc"
name=$(printf '%s\n' "$out" | sed -n 's/^Node device \(mdev_[a-z0-9_]*\) created.*/\1/p')
uuid=$(fk_new | sed -n "s|^write $GPU_DIR/mdev_supported_types/i915-GVTg_V5_4/create ||p")
expect_match "a random uuid" '^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$' "$uuid"
expect_eq "its name" "mdev_${uuid//-/_}_0000_00_02_0" "$name"
expect_match "the attribute written" "^write $GPU_DIR/$uuid/assign_domain 0x0001\$" "$(fk_new)"
expect_eq "transient" no "$(info "$name" Persistent)"
vsh nodedev-dumpxml "$name"
expect_match "its type" "<type id='i915-GVTg_V5_4'/>" "$out"
valid "the transient mdev's XML" "$out"
vsh nodedev-autostart "$name"
expect_match "no autostart for it" "transient" "$err"
vsh nodedev-destroy "$name"
vsh nodedev-list --all --cap mdev
expect_eq "gone" "$OLD" "$out"
verdict "nodedev-create: a transient mdev with a new UUID and its attribute, gone once destroyed"

# ---- 12: no instance left; an attribute the mdev does not have ----
mdev_xml t3 "$GPU" i915-GVTg_V5_8
vsh nodedev-create "$mv_tmp/t3.xml"
name=$(printf '%s\n' "$out" | sed -n 's/^Node device \(mdev_[a-z0-9_]*\) created.*/\1/p')
vsh nodedev-create "$mv_tmp/t3.xml"
expect_match "no instance left: the kernel makes none" "did not appear .* within 2000 ms" "$err"
vsh nodedev-destroy "$name"
expect_eq "destroy rc" 0 "$rc"
mark_fk
mdev_xml t2 "$GPU" i915-GVTg_V5_8 "" "<attr name='no_such_attr' value='1'/>"
vsh nodedev-create "$mv_tmp/t2.xml"
expect_match "refused" "cannot set attribute 'no_such_attr'" "$err"
expect_match "the mdev removed again" "^mdev-remove $GPU_DIR " "$(fk_new)"
vsh nodedev-list --all --cap mdev
expect_eq "nothing left" "$OLD" "$out"
verdict "a type without instances left, and an attribute that cannot be set: the new mdev goes again"

# ---- 13: bad XML ----
mark_fk
mdev_xml b1 "" i915-GVTg_V5_4
vsh nodedev-create "$mv_tmp/b1.xml"
expect_match "create without parent" "cannot create a mediated device without a parent" "$err"
vsh nodedev-define "$mv_tmp/b1.xml"
expect_match "define without parent" "cannot define a mediated device without a parent" "$err"
mdev_xml b2 pci_0000_00_09_0 i915-GVTg_V5_4
vsh nodedev-define "$mv_tmp/b2.xml"
expect_match "unknown parent" "unable to find parent device 'pci_0000_00_09_0'" "$err"
mdev_xml b3 pci_0000_00_00_0 i915-GVTg_V5_4
vsh nodedev-define "$mv_tmp/b3.xml"
expect_match "parent without types" "parent device 'pci_0000_00_00_0' has no mediated device type 'i915-GVTg_V5_4'" "$err"
mdev_xml b4 "$GPU" i915-nope
vsh nodedev-create "$mv_tmp/b4.xml"
expect_match "unknown type" "has no mediated device type 'i915-nope'" "$err"
mdev_xml b5 "$GPU" i915-GVTg_V5_4 not-a-uuid
vsh nodedev-define "$mv_tmp/b5.xml"
expect_match "bad uuid" "invalid uuid 'not-a-uuid'" "$err"
xml_file b6 "<device><parent>$GPU</parent><capability type='pci'/></device>"
vsh nodedev-define "$mv_tmp/b6.xml"
expect_match "not an mdev" "capability type 'pci'" "$err"
xml_file b7 "<device><parent>$GPU</parent><capability type='mdev'><type id='i915-GVTg_V5_4'/><bogus/></capability></device>"
vsh nodedev-define "$mv_tmp/b7.xml"
expect_match "unknown element" "unknown element" "$err"
xml_file b8 "<device><parent>$GPU</parent><capability type='mdev'><uuid>$U1</uuid></capability></device>"
vsh nodedev-define "$mv_tmp/b8.xml"
expect_match "no type" "missing <type id" "$err"
expect_eq "sysfs writes" "" "$(fk_new)"
expect_eq "store" "autostart" "$(ls "$STORE")"
verdict "bad XML: missing or unknown parent, a parent without the type, bad uuid, not an mdev"

# ---- 14: hostile names ----
mark_fk
mdev_xml h1 "$GPU" ../../../../bus/pci/drivers_probe
vsh nodedev-create "$mv_tmp/h1.xml"
expect_match "a type out of its directory" "invalid value" "$err"
mdev_xml h2 "$GPU" i915-GVTg_V5_4 "" "<attr name='../remove' value='1'/>"
vsh nodedev-create "$mv_tmp/h2.xml"
expect_match "an attribute out of the mdev" "invalid value" "$err"
mdev_xml h3 "$GPU" i915-GVTg_V5_4 "" "<attr name='remove' value='1'/>"
vsh nodedev-create "$mv_tmp/h3.xml"
expect_match "remove as an attribute" "invalid value" "$err"
mdev_xml h4 "../$GPU" i915-GVTg_V5_4
vsh nodedev-define "$mv_tmp/h4.xml"
expect_match "a parent with a slash" "invalid value" "$err"
mdev_xml h5 "$GPU" i915-GVTg_V5_4 "" "<attr name='assign_domain' value='1&#10;2'/>"
vsh nodedev-create "$mv_tmp/h5.xml"
expect_match "a value of two lines" "invalid value" "$err"
expect_eq "sysfs writes" "" "$(fk_new)"
vsh nodedev-list --all --cap mdev
expect_eq "mdevs" "$OLD" "$out"
verdict "hostile names (types, attributes, parents) are refused before anything is written"

# ---- 15: the wrong device, unknown names ----
mark_fk
vsh nodedev-destroy "$GPU"
expect_match "destroy a PCI function" "Unsupported device type" "$err"
vsh nodedev-undefine "$OLD"
expect_match "undefine a transient mdev" "is not defined" "$err"
vsh nodedev-start "$OLD"
expect_match "start an active mdev" "already active" "$err"
vsh nodedev-destroy "mdev_nope"
expect_match "unknown name" "no node device with matching name 'mdev_nope'" "$err"
vsh nodedev-autostart "$GPU"
expect_match "autostart a PCI function" "Unsupported device type" "$err"
expect_eq "sysfs writes" "" "$(fk_new)"
verdict "calls on devices that are not (defined) mdevs, and on unknown names"

# ---- 16: the daemon stayed up, and the existing mdev can go ----
mark_fk
vsh nodedev-destroy "$OLD"
expect_eq "destroy rc" 0 "$rc"
expect_eq "writes" "write $GPU_DIR/$OLD_UUID/remove 1" "$(fk_new | grep '^write')"
vsh nodedev-list --all --cap mdev
expect_eq "no mdev left" "" "$out"
expect_daemon_alive
# a sanitizer build reports leaks and bad accesses of the restarted daemons here
expect_nomatch "sanitizer reports in the daemon's log" "(Address|Leak|UndefinedBehavior)Sanitizer|runtime error:" \
    "$(cat "$MV_LOG")"
verdict "the mdev the tree started with is destroyed; nodedevd alive"

mv_done
