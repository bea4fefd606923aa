#!/bin/bash
# PCI detach, reattach and reset by modvirt-nodedevd, and qemud's managed
# hostdevs through it, on a fake sysfs tree (tests/nodedev/fixture-vfio.sh)
# mounted on nodedevd's /sys (sysfs_root), with tests/nodedev/fakekernel.py
# playing the kernel: it logs every write into the tree and moves the
# driver links as the kernel would.  Each case compares that log with
# exactly what must be written where (or that nothing was), the driver
# links and nodedevd's record of the original driver:
#   detach (DETTACH), again (nothing written), a nodedevd restart, reattach
#   (RE_ATTACH) restoring e1000e; a function on no driver there and back;
#   refusals naming the user: a disk below it mounted (on /), an interface
#   with addresses (lo); unknown and non-PCI names, driver 'xen' and 'kvm'
#   (DETACH_FLAGS), flags, the read-only socket; vfio-pci failing to bind:
#   rolled back to e1000e; RESET refused on a host driver, done on vfio-pci;
#   qemud starting a domain with a managed hostdev: detached, then
#   reattached when the start fails (no VFIO here); refused by nodedevd;
#   qemud killed during the detach, the next qemud reattaching it from the
#   status file.
# Then on THIS host's real /sys (never written: the case is skipped where
# vfio-pci is loaded): a managed hostdev of an existing PCI function makes
# the start fail with nodedevd's reason, and every function's driver link
# and driver_override are as before.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

NODEDEVD=$top_builddir/nodedevd/modvirt-nodedevd
QEMUD=$top_builddir/qemud/modvirt-qemud
MV_DAEMON=$NODEDEVD
MV_NEEDS="realpath $QEMUD"
mv_init 15

FKPY=$top_srcdir/tests/nodedev/fakekernel.py
FX=$mv_tmp/fx
FKLOG=$mv_tmp/fk.log
NIC=0000:00:03.0            # on e1000e, interface enp0s3 without addresses
DISKFN=0000:00:04.0         # virtio-blk, disk vda below it
LOFN=0000:00:05.0           # its interface is made "lo" below
BARE=0000:00:06.0           # on no driver
PCIDIR=devices/pci0000:00

# ---- the tree ----------------------------------------------------------------
"$top_srcdir/tests/nodedev/mkfixture.sh" vfio "$FX" || { echo "Bail out! mkfixture.sh vfio failed"; exit 1; }
# this test's users of the host, in its copy only (the fixture stays as its
# goldens have it): vda is the device the root filesystem is mounted from
# (the message may name another mount of that device that mountinfo lists
# first: case 5 checks the mount point's start only), and 0000:00:05.0's
# interface is lo, which has 127.0.0.1
ROOTDEV=$(awk '$5 == "/" { print $3; exit }' /proc/self/mountinfo)
echo "$ROOTDEV" >"$FX/$PCIDIR/$DISKFN/virtio1/block/vda/dev"
mv "$FX/$PCIDIR/$LOFN/net/enp0s5" "$FX/$PCIDIR/$LOFN/net/lo"
sed -i 's/^INTERFACE=.*/INTERFACE=lo/' "$FX/$PCIDIR/$LOFN/net/lo/uevent"
rm "$FX/class/net/enp0s5"
ln -s "../../$PCIDIR/$LOFN/net/lo" "$FX/class/net/lo"

# ---- the fake kernel -----------------------------------------------------------
FK_PID=
fk_n=0
# fk_start [ARGS...]: the responder on $FX, its stdout on fd $FKOUT
fk_start() {
    local line=
    rm -f "$mv_tmp/fk.out"
    mkfifo "$mv_tmp/fk.out"
    python3 "$FKPY" "$FX" --log "$FKLOG" --native $NIC=e1000e --native $LOFN=e1000e \
        --native $DISKFN=virtio-pci "$@" >"$mv_tmp/fk.out" &
    FK_PID=$!
    kill_at_exit $FK_PID
    exec {FKOUT}<"$mv_tmp/fk.out"
    read -r -t 20 -u $FKOUT line
    [ "$line" = ready ] || { echo "Bail out! fakekernel.py did not start"; exit 1; }
}
fk_stop() { stop_pid "$FK_PID" 5; exec {FKOUT}<&-; }
# fk_sync: every write made so far is in the log
fk_sync() {
    local line=
    fk_n=$((fk_n + 1))
    echo $fk_n >"$FX/fk-sync"
    read -r -t 20 -u $FKOUT line
    [ "$line" = "sync $fk_n" ] || expect_fail "fakekernel.py did not answer sync $fk_n (got '$line')"
}
FK_MARK=0
fk_mark() { FK_MARK=$(wc -l <"$FKLOG"); }
# fk_since: the log since fk_mark, once the responder has seen every write
fk_since() { fk_sync; tail -n +$((FK_MARK + 1)) "$FKLOG"; }
: >"$FKLOG"
fk_start

# ---- nodedevd on the tree ----------------------------------------------------------
MV_ROOT=$mv_tmp/root
MV_LOG=$mv_tmp/nodedevd.log
MV_RW=$MV_ROOT/run/modvirt/nodedevd-sock
MV_RO=$MV_ROOT/run/modvirt/nodedevd-sock-ro
MV_URI="nodedev:///system?socket=$MV_RW"
MV_URI_RO="nodedev:///system?socket=$MV_RO"
RECORDS=$MV_ROOT/var/lib/modvirt/nodedevd/detached
# nodedevd_config SECS: its config, probe_timeout SECS (1: a failing bind
# is given up quickly)
nodedevd_config() {
    mkdir -p "$MV_ROOT/etc/modvirt"
    printf '%s\n' "sysfs_root = \"$FX\"" "probe_timeout = $1" >"$MV_ROOT/etc/modvirt/modvirt-nodedevd.conf"
}
nodedevd_config 1
start_daemon
# the PCI functions are listed only once nodedevd reads the pci capability
vsh nodedev-list --cap pci
if ! printf '%s\n' "$out" | grep -qx pci_0000_00_03_0; then
    for ((i = 0; i < 15; i++)); do skip "nodedevd lists no PCI function of the fixture (nodedev-list: '$out')"; done
    exit 0
fi

driver_of() { basename "$(readlink "$FX/$PCIDIR/$1/driver")" 2>/dev/null; }
record_of() { if [ -e "$RECORDS/$1" ]; then echo "[$(cat "$RECORDS/$1")]"; else echo none; fi; }
name_of() { echo "pci_${1//[:.]/_}"; }

# ---- 1: detach ------------------------------------------------------------------
fk_mark
vsh nodedev-detach "$(name_of $NIC)"
expect_eq "nodedev-detach rc" 0 "$rc"
expect_match "virsh says so" "Device $(name_of $NIC) detached" "$out"
expect_eq "exactly these writes, in this order" "write $PCIDIR/$NIC/driver_override vfio-pci
write bus/pci/drivers/e1000e/unbind $NIC
unbind $NIC e1000e
write bus/pci/drivers_probe $NIC
bind $NIC vfio-pci" "$(fk_since)"
expect_eq "driver link" vfio-pci "$(driver_of $NIC)"
expect_eq "record of the original driver" "[e1000e]" "$(record_of $NIC)"
vsh nodedev-dumpxml "$(name_of $NIC)"
expect_match "the XML names vfio-pci" "<name>vfio-pci</name>" "$out"
verdict "nodedev-detach: driver_override, unbind from e1000e, drivers_probe; e1000e recorded first"

fk_mark
vsh nodedev-detach "$(name_of $NIC)"
expect_eq "second nodedev-detach rc" 0 "$rc"
expect_eq "nothing written" "" "$(fk_since)"
expect_eq "record unchanged" "[e1000e]" "$(record_of $NIC)"
verdict "a function already on vfio-pci: detach succeeds and writes nothing"

# ---- 2: restart, reattach --------------------------------------------------------
stop_pid "$MV_PID" 10
expect_eq "nodedevd stopped cleanly" 0 "$stop_status"
expect_eq "record kept" "[e1000e]" "$(record_of $NIC)"
start_daemon
fk_mark
vsh nodedev-reattach "$(name_of $NIC)"
expect_eq "nodedev-reattach rc" 0 "$rc"
expect_match "virsh says so" "Device $(name_of $NIC) re-attached" "$out"
expect_eq "exactly these writes" "write $PCIDIR/$NIC/driver_override 
write bus/pci/drivers/vfio-pci/unbind $NIC
unbind $NIC vfio-pci
write bus/pci/drivers_probe $NIC
bind $NIC e1000e" "$(fk_since)"
expect_eq "driver link" e1000e "$(driver_of $NIC)"
expect_eq "record removed" none "$(record_of $NIC)"
verdict "a restarted nodedevd reattaches: driver_override cleared, unbind from vfio-pci, probe: e1000e again"

# ---- 3: a function on no driver ------------------------------------------------------
fk_mark
vsh nodedev-detach "$(name_of $BARE)"
expect_eq "detach rc" 0 "$rc"
expect_eq "record: no driver" "[]" "$(record_of $BARE)"
vsh nodedev-reattach "$(name_of $BARE)"
expect_eq "reattach rc" 0 "$rc"
expect_eq "exactly these writes (no unbind before, probe after)" "write $PCIDIR/$BARE/driver_override vfio-pci
write bus/pci/drivers_probe $BARE
bind $BARE vfio-pci
write $PCIDIR/$BARE/driver_override 
write bus/pci/drivers/vfio-pci/unbind $BARE
unbind $BARE vfio-pci
write bus/pci/drivers_probe $BARE" "$(fk_since)"
expect_eq "on no driver again" "" "$(driver_of $BARE)"
expect_eq "record removed" none "$(record_of $BARE)"
verdict "a function on no driver: detached without an unbind, reattached to no driver"

# ---- 4: refusals: used by the host ------------------------------------------------------
refused() {     # NAME PATTERN WHAT [VIRSH ARGS...]: refused with PATTERN, nothing written
    local name=$1 pat=$2 what=$3 before
    shift 3
    before=$(ls -l "$FX/$PCIDIR"/*/driver 2>&1)
    fk_mark
    vsh nodedev-detach "$@" "$name"
    expect_eq "$what: rc" 1 "$rc"
    expect_match "$what: message" "$pat" "$err"
    expect_eq "$what: nothing written" "" "$(fk_since)"
    expect_eq "$what: driver links unchanged" "$before" "$(ls -l "$FX/$PCIDIR"/*/driver 2>&1)"
    expect_eq "$what: no record" "" "$(ls "$RECORDS" 2>&1)"
}
refused "$(name_of $DISKFN)" "Requested operation is not valid: PCI device $DISKFN is in use by the host: block device vda holds the mounted filesystem /" "mounted disk"
verdict "a function with the root filesystem's disk below it is refused, naming vda and /"

refused "$(name_of $LOFN)" "Requested operation is not valid: PCI device $LOFN is in use by the host: interface lo has addresses \(127\.0\.0\.1" "addressed interface"
verdict "a function whose interface has addresses is refused, naming lo and its addresses"

# ---- 5: refusals: bad input ---------------------------------------------------------------
refused pci_0000_99_00_0 "Node device not found: no node device with matching name 'pci_0000_99_00_0'" "unknown name"
refused computer "invalid argument: device computer is not a PCI device" "not PCI"
refused "$(name_of $NIC)" "invalid argument: unknown driver name 'xen'" "driver xen" --driver xen
refused "$(name_of $NIC)" "KVM device assignment is no longer supported" "driver kvm" --driver kvm
verdict "unknown and non-PCI names, DETACH_FLAGS with driver 'xen' or 'kvm': refused, nothing written"

fk_mark
py - "$MV_URI" "$(name_of $NIC)" "$MV_URI_RO" <<'EOF'
import sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
c = libvirt.open(sys.argv[1])
d = c.nodeDeviceLookupByName(sys.argv[2])
try:
    d.detachFlags("vfio", 4)
    print("flags: accepted")
except libvirt.libvirtError as e:
    print("flags:", e.get_error_code(), e.get_error_message())
ro = libvirt.openReadOnly(sys.argv[3])
try:
    ro.nodeDeviceLookupByName(sys.argv[2]).detachFlags(None, 0)
    print("ro: accepted")
except libvirt.libvirtError as e:
    print("ro:", e.get_error_code())
EOF
expect_match "unknown flags refused" "^flags: 8 .*flags" "$out"
expect_match "read-only connection refused (OPERATION_DENIED)" "^ro: 29$" "$out"
expect_eq "nothing written" "" "$(fk_since)"
verdict "DETACH_FLAGS with unknown flags, and on the read-only socket: refused"

# ---- 6: vfio-pci does not bind: rolled back ------------------------------------------------
fk_stop
fk_start --fail-bind vfio-pci
fk_mark
vsh nodedev-detach "$(name_of $NIC)"
expect_eq "detach rc" 1 "$rc"
expect_match "message" "operation failed: PCI device $NIC did not bind to vfio-pci within 1000 ms \(bound to nothing\); given back to 'e1000e'" "$err"
expect_eq "exactly these writes" "write $PCIDIR/$NIC/driver_override vfio-pci
write bus/pci/drivers/e1000e/unbind $NIC
unbind $NIC e1000e
write bus/pci/drivers_probe $NIC
refuse bind $NIC vfio-pci
write $PCIDIR/$NIC/driver_override 
write bus/pci/drivers_probe $NIC
bind $NIC e1000e" "$(fk_since)"
expect_eq "back on e1000e" e1000e "$(driver_of $NIC)"
expect_eq "record removed" none "$(record_of $NIC)"
fk_stop
fk_start
verdict "vfio-pci failing to bind within probe_timeout: rolled back to e1000e, record removed"

# ---- 7: reset ------------------------------------------------------------------------
fk_mark
vsh nodedev-reset "$(name_of $NIC)"
expect_eq "reset on e1000e rc" 1 "$rc"
expect_match "message" "PCI device $NIC is bound to the host driver 'e1000e': detach it before resetting it" "$err"
expect_eq "nothing written" "" "$(fk_since)"
vsh nodedev-detach "$(name_of $NIC)"
fk_mark
vsh nodedev-reset "$(name_of $NIC)"
expect_eq "reset on vfio-pci rc" 0 "$rc"
expect_eq "the reset file written" "write $PCIDIR/$NIC/reset 1" "$(fk_since)"
vsh nodedev-reattach "$(name_of $NIC)"
expect_eq "back on e1000e" e1000e "$(driver_of $NIC)"
verdict "RESET: refused while a host driver holds the function, the reset file on vfio-pci"

# ---- 8: qemud's managed hostdev on the tree ------------------------------------------
QROOT=$MV_ROOT        # qemud finds nodedevd's socket under the same --root
QLOG=$mv_tmp/qemud.log
qemud_start() {     # ROOT LOG: qemud (pid QPID), or bail out
    MV_DAEMON=$QEMUD spawn_daemon "$1" "$2"
    QPID=$spawned_pid
    wait_ready "$QPID" "$MV_READY_S" || { echo "Bail out! qemud did not start"; sed 's/^/#   /' "$2"; exit 1; }
}
domain_xml() {      # NAME DOMAIN BUS SLOT FUNCTION
    cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
  <devices>
    <hostdev mode='subsystem' type='pci' managed='yes'>
      <source><address domain='0x$2' bus='0x$3' slot='0x$4' function='0x$5'/></source>
    </hostdev>
    <memballoon model='none'/>
  </devices>
</domain>
EOF
}
qemud_start "$QROOT" "$QLOG"
QURI="qemu:///system?socket=$QROOT/run/modvirt/qemud-sock"
domain_xml hd-fx 0000 00 03 0 >"$mv_tmp/hd-fx.xml"
fk_mark
run isolated virsh -c "$QURI" create "$mv_tmp/hd-fx.xml"
expect_eq "create rc" 1 "$rc"
expect_match "refused after the detach, by the VFIO checks" "domain 'hd-fx': host PCI device $NIC" "$err"
diag "qemud: ${err##*error: }"
expect_eq "detached, then reattached" "write $PCIDIR/$NIC/driver_override vfio-pci
write bus/pci/drivers/e1000e/unbind $NIC
unbind $NIC e1000e
write bus/pci/drivers_probe $NIC
bind $NIC vfio-pci
write $PCIDIR/$NIC/driver_override 
write bus/pci/drivers/vfio-pci/unbind $NIC
unbind $NIC vfio-pci
write bus/pci/drivers_probe $NIC
bind $NIC e1000e" "$(fk_since)"
expect_eq "back on e1000e" e1000e "$(driver_of $NIC)"
expect_eq "no record left" "" "$(ls "$RECORDS" 2>&1)"
expect_eq "no status file left" "" "$(ls "$QROOT/run/modvirt/qemu/"*.xml 2>/dev/null)"
verdict "qemud: a managed hostdev is detached by nodedevd at start, and reattached when the start fails"

domain_xml hd-fx2 0000 00 05 0 >"$mv_tmp/hd-fx2.xml"
fk_mark
run isolated virsh -c "$QURI" create "$mv_tmp/hd-fx2.xml"
expect_eq "create rc" 1 "$rc"
expect_match "nodedevd's reason, in qemud's words" "domain 'hd-fx2': cannot detach \(to vfio-pci\) host PCI device $LOFN: Requested operation is not valid: PCI device $LOFN is in use by the host: interface lo has addresses" "$err"
expect_eq "nothing written" "" "$(fk_since)"
verdict "qemud: a managed hostdev nodedevd refuses fails the start with nodedevd's reason, nothing written"

# qemud killed while nodedevd binds the function to vfio-pci (held by the
# fake kernel, long enough with probe_timeout 30): its status file names
# the hostdev before the request, and the next qemud gives it back
stop_pid "$MV_PID" 10
nodedevd_config 30
start_daemon
fk_stop
fk_start --hold vfio-pci
fk_mark
isolated virsh -c "$QURI" create "$mv_tmp/hd-fx.xml" >"$mv_tmp/bg.out" 2>&1 &
BG=$!
line=
read -r -t 20 -u $FKOUT line
expect_eq "nodedevd is binding it to vfio-pci" "held $NIC vfio-pci" "$line"
expect_match "qemud's status file names it" "<hostdev-detached dev=.$(name_of $NIC)./>" \
    "$(cat "$QROOT/run/modvirt/qemu/hd-fx.xml" 2>&1)"
{ kill -KILL "$QPID"; wait "$QPID"; wait "$BG"; } 2>/dev/null
echo 1 >"$FX/fk-release"       # nodedevd completes the detach for nobody
qemud_start "$QROOT" "$QLOG"   # its start reads the status file before READY
expect_eq "detached, then reattached by the next qemud" "write $PCIDIR/$NIC/driver_override vfio-pci
write bus/pci/drivers/e1000e/unbind $NIC
unbind $NIC e1000e
write bus/pci/drivers_probe $NIC
hold bind $NIC vfio-pci
bind $NIC vfio-pci
write $PCIDIR/$NIC/driver_override 
write bus/pci/drivers/vfio-pci/unbind $NIC
unbind $NIC vfio-pci
write bus/pci/drivers_probe $NIC
bind $NIC e1000e" "$(fk_since)"
expect_eq "back on e1000e" e1000e "$(driver_of $NIC)"
expect_eq "no record left" "" "$(ls "$RECORDS" 2>&1)"
expect_eq "no status file left" "" "$(ls "$QROOT/run/modvirt/qemu/"*.xml 2>/dev/null)"
expect_match "qemud says so" "host PCI device $(name_of $NIC) given back to the host" "$(cat "$QLOG")"
verdict "qemud killed during the detach: the restarted qemud reattaches the hostdev its status file names"
stop_pid "$QPID" 10
stop_pid "$MV_PID" 10
fk_stop

# ---- 9: THIS host, real /sys ------------------------------------------------------------
# every PCI function's driver link and driver_override
host_drivers() {
    local d
    for d in /sys/bus/pci/devices/*; do
        printf '%s %s %s\n' "${d##*/}" "$(readlink "$d/driver" 2>/dev/null)" "$(cat "$d/driver_override" 2>/dev/null)"
    done
}
HOSTFN=$(ls /sys/bus/pci/devices | head -1)
if [ -e /sys/bus/pci/drivers/vfio-pci ]; then
    skip "vfio-pci is loaded here: a managed start could really detach a host device"
    skip "vfio-pci is loaded here"
elif [ -z "$HOSTFN" ]; then
    skip "no PCI function on this host"
    skip "no PCI function on this host"
else
    HROOT=$mv_tmp/host
    mkdir -p "$HROOT/etc/modvirt"
    : >"$HROOT/etc/modvirt/modvirt-nodedevd.conf"      # sysfs_root: the real /sys
    BEFORE=$(host_drivers)
    MV_DAEMON=$NODEDEVD spawn_daemon "$HROOT" "$mv_tmp/host-nodedevd.log"
    HPID=$spawned_pid
    wait_ready "$HPID" "$MV_READY_S" || { echo "Bail out! nodedevd on /sys did not start"; exit 1; }
    qemud_start "$HROOT" "$mv_tmp/host-qemud.log"
    IFS=':.' read -r hd hb hs hf <<<"$HOSTFN"
    domain_xml hd-host "$hd" "$hb" "$hs" "$hf" >"$mv_tmp/hd-host.xml"
    run isolated virsh -c "qemu:///system?socket=$HROOT/run/modvirt/qemud-sock" create "$mv_tmp/hd-host.xml"
    expect_eq "create rc" 1 "$rc"
    diag "qemud: ${err##*error: }"
    expect_match "a clear error" "domain 'hd-host': cannot detach \(to vfio-pci\) host PCI device $HOSTFN: unsupported configuration: VFIO device assignment is currently not supported on this system" "$err"
    expect_eq "every driver link and driver_override as before" "$BEFORE" "$(host_drivers)"
    expect_eq "no record" "" "$(ls "$HROOT/var/lib/modvirt/nodedevd/detached" 2>&1 | grep -v 'No such file')"
    verdict "this host ($HOSTFN): a managed hostdev fails the start with a clear error; every device bound as before"

    run isolated virsh -c "nodedev:///system?socket=$HROOT/run/modvirt/nodedevd-sock" nodedev-detach "$(name_of "$HOSTFN")"
    expect_eq "nodedev-detach rc" 1 "$rc"
    expect_match "refused: no vfio-pci" "VFIO device assignment is currently not supported on this system: PCI device $HOSTFN cannot be given to vfio-pci, which is not loaded" "$err"
    expect_eq "every driver link and driver_override as before" "$BEFORE" "$(host_drivers)"
    verdict "this host: nodedev-detach of $HOSTFN is refused (no vfio-pci), nothing changed"
    stop_pid "$QPID" 10
    stop_pid "$HPID" 10
fi

mv_done
