#!/bin/bash
# <iothreads> and <cputune> pinning on a real guest, and what is refused at
# start leaving nothing behind: the test guest boots with two vCPUs, an
# iothread serving its virtio disk, vCPU 1 pinned to one CPU, the iothread
# and the emulator to another; the kernel's own view of each QEMU thread
# (/proc/PID/task/TID/status Cpus_allowed_list, threads found by the names
# QEMU's debug-threads gives them) must match.  Then a PCI <hostdev> (no
# VFIO on a test host: the error names it), a cpuset beyond the host's
# CPUs, <shares> (no cgroup of the domain's) and an SELinux label on a host
# without SELinux each fail the start by name with no QEMU, no status file,
# and the domain shut off.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 qemu-img"
BOOT_S=90
G=tg
guest_test_init 7
start_daemon

rundir=$MV_ROOT/run/modvirt/qemu
online=$(cat /sys/devices/system/cpu/online)
# the first and last online CPU: on a one-CPU host both are CPU 0
first=$(printf '%s' "$online" | sed 's/[-,].*//')
last=$(printf '%s' "$online" | sed 's/.*[-,]//')
# any QEMU of this test's root for NAME
any_qemu() { pgrep -a -f -- "$rundir/" | grep -- "guest=$1," | cut -d' ' -f1; }
# allowed PID COMM: Cpus_allowed_list of PID's thread named COMM
allowed() {
    local t
    for t in /proc/"$1"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = "$2" ] || continue
        sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status"
        return
    done
    echo "no thread '$2'"
}
nothing_left() {
    expect_eq "no QEMU" "" "$(any_qemu "$1")"
    expect_eq "no status file" no "$([ -f "$rundir/$1.xml" ] && echo yes || echo no)"
    expect_eq "domstate" "shut off" "$(guest_state "$1")"
    expect_daemon_alive
}
# xml NAME TOP-XML DEVICES-XML: the test guest with two vCPUs, TOP-XML after <vcpu>
xml() {
    guest_domain_xml "$1" "$mv_tmp/$1.serial" "$3" | sed "s|<vcpu>1</vcpu>|<vcpu>2</vcpu>$2|"
}
# refused NAME TOP DEVICES ERE: define works, start fails with ERE (kept in
# start_err), nothing left
refused() {
    xml "$1" "$2" "$3" >"$mv_tmp/$1.xml"
    vsh define "$mv_tmp/$1.xml"
    expect_eq "define" 0 "$rc"
    vsh start "$1"
    expect_eq "start status" 1 "$rc"
    expect_match "start error" "$4" "$err"
    start_err=$err
    nothing_left "$1"
    vsh undefine "$1"
}

qemu-img create -q -f raw "$mv_tmp/disk.raw" 16M
tune="<iothreads>1</iothreads><cputune><vcpupin vcpu='1' cpuset='$last'/><emulatorpin cpuset='$first'/><iothreadpin iothread='1' cpuset='$first'/></cputune>"
disk="<disk type='file' device='disk'><driver name='qemu' type='raw' iothread='1'/><source file='$mv_tmp/disk.raw'/><target dev='vda' bus='virtio'/></disk>"

# 1
xml $G "$tune" "$disk" | sed "s|</devices>|</devices><seclabel type='dynamic' model='dac' relabel='yes'/>|" \
    >"$mv_tmp/$G.xml"
vsh define "$mv_tmp/$G.xml"
expect_eq "define" 0 "$rc"
vsh start $G
expect_eq "start" 0 "$rc"
expect_eq "stderr" "" "$err"
guest_wait_log "$mv_tmp/$G.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "the guest did not boot"
verdict "a guest with 2 vCPUs, iothread 1 serving vda, vcpupin/emulatorpin/iothreadpin starts and boots"

# 2
qpid=$(our_qemu $G)
expect_match "QEMU found" "^[0-9]+$" "$qpid"
expect_match "iothread on the command line" "iothread,id=iothread1" "$(tr '\0' ' ' <"/proc/${qpid:-0}/cmdline")"
expect_match "vda uses it" "virtio-blk-pci,iothread=iothread1" "$(tr '\0' ' ' <"/proc/${qpid:-0}/cmdline")"
expect_eq "vCPU 1 thread" "$last" "$(allowed "${qpid:-0}" "CPU 1/TCG")"
expect_eq "iothread thread" "$first" "$(allowed "${qpid:-0}" "IO iothread1")"
expect_eq "main (emulator) thread" "$first" "$(allowed "${qpid:-0}" qemu-system-x86)"
# an unpinned vCPU keeps every CPU the daemon may use
expect_eq "vCPU 0 thread" "$(sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "/proc/$MV_PID/status")" \
    "$(allowed "${qpid:-0}" "CPU 0/TCG")"
verdict "Cpus_allowed_list: vCPU 1 on $last, iothread1 and the main thread on $first, vCPU 0 unpinned"

# 3
vsh dumpxml $G
expect_match "iothreads" "<iothreads>1</iothreads>" "$out"
expect_match "vcpupin" "<vcpupin vcpu=.1. cpuset=.$last./>" "$out"
expect_match "disk iothread" "<driver name=.qemu. type=.raw. iothread=.1./>" "$out"
quid=$(awk '/^Uid:/ { print $2 }' "/proc/${qpid:-0}/status" 2>/dev/null)
qgid=$(awk '/^Gid:/ { print $2 }' "/proc/${qpid:-0}/status" 2>/dev/null)
expect_match "QEMU runs as a guest uid" "^[1-9][0-9]*$" "$quid"
expect_match "live seclabel: the uid:gid QEMU runs as" "<label>\+$quid:\+$qgid</label>" "$out"
vsh dumpxml --inactive $G
expect_nomatch "no label in the definition" "<label>" "$out"
vsh destroy $G
expect_eq "destroy" 0 "$rc"
verdict "live XML: iothreads, pins, the disk's iothread, seclabel label +uid:+gid of QEMU (not root); destroy"

# 4: managed='no', so that qemud's own checks answer (a managed hostdev
# goes to modvirt-nodedevd first: nodedevd-detach.sh)
refused hd "" "<hostdev mode='subsystem' type='pci' managed='no'><source><address domain='0x0000' bus='0x00' slot='0x1f' function='0x7'/></source></hostdev>" \
    "host PCI device 0000:00:1f\.7 (cannot be passed through: VFIO is not available \(/dev/vfio/vfio is missing|does not exist|is not bound)"
[ -e /dev/vfio/vfio ] || expect_match "names vfio" "/dev/vfio/vfio is missing" "$start_err"
verdict "a PCI hostdev fails the start naming the missing VFIO; no QEMU, no status file, shut off"

# 5
refused cs "<cputune><vcpupin vcpu='0' cpuset='4095'/></cputune>" "" \
    "<vcpupin vcpu='0'>: cpuset '4095' names CPU 4095, which this host does not have online \(online: $online\)"
verdict "a cpuset beyond the host's online CPUs fails the start naming the cpuset; nothing left"

# 6
refused sh "<cputune><shares>1024</shares></cputune>" "" \
    "<cputune><shares> needs a cgroup"
verdict "<shares> fails the start: it needs a cgroup of the domain's; nothing left"

# 7
if [ -e /sys/fs/selinux/enforce ]; then
    skip "this host runs SELinux"
else
    xml se "" "" | sed "s|</devices>|</devices><seclabel type='dynamic' model='selinux'/>|" >"$mv_tmp/se.xml"
    vsh define "$mv_tmp/se.xml"
    expect_eq "define" 0 "$rc"
    vsh start se
    expect_eq "start status" 1 "$rc"
    expect_match "start error" "<seclabel model='selinux'>: this host does not run SELinux" "$err"
    nothing_left se
    verdict "an SELinux label on a host without SELinux fails the start by name; nothing left"
fi

mv_done
