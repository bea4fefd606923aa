#!/bin/bash
# A guest with a disk on a modvirt-storaged volume: <disk type='volume'>
# with <source pool= volume=/>, resolved by qemud asking storaged over its
# socket at start.  storaged and qemud run in one private --root; the pool
# is a dir pool in the temp dir holding a qcow2 volume whose backing file
# (a raw volume) lives in the same pool.  The test guest (kernel + initrd)
# boots with the volume as its one disk: the live XML shows the volume
# source as libvirt's does, QEMU has the resolved file and its backing file
# open, virsh domblklist names the volume, the status file keeps the path
# across a qemud restart.  An inactive pool, a missing volume and storaged
# not running each fail the start with a message naming pool and volume (or
# storaged's socket), leaving no QEMU and no status file.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 qemu-img"
STORAGED=$top_builddir/storaged/modvirt-storaged
BOOT_S=90
G=vg
POOL=vp
guest_test_init 8
[ -x "$STORAGED" ] || { for i in $(seq 8); do skip "$STORAGED is not built"; done; exit 0; }
start_daemon

P=$mv_tmp/pools/$POOL
SLOG=$mv_tmp/storaged.log
SOCK=$MV_ROOT/run/modvirt/storaged-sock
SURI="storage:///system?socket=$SOCK"
rundir=$MV_ROOT/run/modvirt/qemu
svsh() { run isolated virsh -c "$SURI" "$@"; }
# storaged in qemud's root, pid in SPID
storaged_start() {
    local keep=$MV_DAEMON
    MV_DAEMON=$STORAGED
    spawn_daemon "$MV_ROOT" "$SLOG"
    MV_DAEMON=$keep
    SPID=$spawned_pid
    wait_ready "$SPID" "$MV_READY_S" || { echo "Bail out! modvirt-storaged did not become ready"; sed 's/^/#   /' "$SLOG"; exit 1; }
}
# qemu_pid NAME: the QEMU of guest NAME of this test's qemud, if any
qemu_pid() { pgrep -a -f -- "$rundir/" | grep -- "guest=$1," | cut -d' ' -f1; }
# open_files PID: the regular files PID has open, one a line
open_files() { for f in /proc/"$1"/fd/*; do readlink "$f"; done 2>/dev/null | grep '^/' | sort -u; }
# nothing_left NAME: the checks of a failed start
nothing_left() {
    expect_eq "no QEMU" "" "$(qemu_pid "$1")"
    expect_eq "no status file" no "$([ -f "$rundir/$1.xml" ] && echo yes || echo no)"
    expect_eq "domstate" "shut off" "$(guest_state "$1")"
    expect_daemon_alive
}

storaged_start
cat >"$mv_tmp/pool.xml" <<EOF
<pool type='dir'>
  <name>$POOL</name>
  <target><path>$P</path></target>
</pool>
EOF
cat >"$mv_tmp/base.xml" <<'EOF'
<volume>
  <name>base.raw</name>
  <capacity unit='MiB'>32</capacity>
  <target><format type='raw'/></target>
</volume>
EOF
cat >"$mv_tmp/top.xml" <<EOF
<volume>
  <name>top.qcow2</name>
  <capacity unit='MiB'>32</capacity>
  <target><format type='qcow2'/></target>
  <backingStore><path>$P/base.raw</path><format type='raw'/></backingStore>
</volume>
EOF
disk() {
    cat <<EOF
<disk type='volume' device='disk'>
  <source pool='$POOL' volume='$1'/>
  <target dev='vda' bus='virtio'/>
</disk>
EOF
}
guest_domain_xml $G "$mv_tmp/$G.serial" "$(disk top.qcow2)" >"$mv_tmp/$G.xml"
guest_domain_xml nv "$mv_tmp/nv.serial" "$(disk nosuch.qcow2)" >"$mv_tmp/nv.xml"

# 1
for cmd in "pool-define $mv_tmp/pool.xml" "pool-build $POOL" "pool-start $POOL" \
           "vol-create $POOL $mv_tmp/base.xml" "vol-create $POOL $mv_tmp/top.xml"; do
    read -ra words <<<"$cmd"
    svsh "${words[@]}"
    expect_eq "virsh $cmd" 0 "$rc"
done
svsh vol-dumpxml top.qcow2 --pool $POOL
expect_match "top's backing file in the pool" "<path>$P/base.raw</path>" "$out"
vsh define "$mv_tmp/$G.xml"
expect_eq "define" 0 "$rc"
vsh dumpxml $G
expect_match "defined XML" "<source pool=.$POOL. volume=.top\.qcow2./>" "$out"
verdict "a dir pool with top.qcow2 on base.raw in the same pool; a guest defined with a volume disk"

# 2
vsh start $G
expect_eq "start" 0 "$rc"
expect_eq "stderr" "" "$err"
guest_wait_log "$mv_tmp/$G.serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "the guest did not boot"
# the kernel's own line: the disk with the volume's 32 MiB (the guest's
# GUEST-DISKS may come before virtio_blk has probed it)
guest_wait_log "$mv_tmp/$G.serial" "virtio_blk .*\[vda\] 65536 512-byte logical blocks" 30 ||
    expect_fail "the guest did not see a 32 MiB vda"
verdict "the guest starts on the volume and boots; it sees the volume's 32 MiB as vda"

# 3
vsh dumpxml $G
expect_match "disk type" "<disk type=.volume. device=.disk.>" "$out"
expect_match "source" "<source pool=.$POOL. volume=.top\.qcow2./>" "$out"
expect_match "format from storaged" "<driver( name=.qemu.)? type=.qcow2./>" "$out"
expect_nomatch "no path in the live XML" "$P/top.qcow2" "$out"
vsh dumpxml --inactive $G
expect_nomatch "inactive XML: the definition's (no driver type)" "type=.qcow2." "$out"
vsh domblklist $G
expect_match "domblklist" "^ vda +top\.qcow2$" "$out"
vsh domblklist $G --details
expect_match "domblklist --details" "^ volume +disk +vda +top\.qcow2$" "$out"
verdict "live XML: <disk type='volume'> with pool and volume, the format storaged reported; domblklist names it"

# 4
qpid=$(qemu_pid $G)
files=$(open_files "${qpid:-none}")
expect_match "QEMU has the volume open" "^$P/top\.qcow2$" "$files"
expect_match "and its backing file" "^$P/base\.raw$" "$files"
expect_match "status file keeps the path" "<source pool=\"$POOL\" volume=\"top.qcow2\" file=\"$P/top.qcow2\"/>" \
    "$(cat "$rundir/$G.xml" 2>/dev/null)"
verdict "QEMU (pid ${qpid:-?}) has $P/top.qcow2 and its backing base.raw open; the status file keeps the path"

# 5
stop_pid "$MV_PID" 10
start_daemon
vsh domstate $G
expect_eq "still running" running "$out"
vsh dumpxml $G
expect_match "source after restart" "<source pool=.$POOL. volume=.top\.qcow2./>" "$out"
expect_eq "same QEMU" "$qpid" "$(qemu_pid $G)"
vsh destroy $G
expect_eq "destroy" 0 "$rc"
[ -n "$qpid" ] && { wait_exit "$qpid" 10 || expect_fail "QEMU $qpid still runs"; }
verdict "a qemud restart re-attaches the guest with its volume disk; destroy"

# 6
svsh pool-destroy $POOL
expect_eq "pool-destroy" 0 "$rc"
vsh start $G
expect_eq "status" 1 "$rc"
expect_eq "error" "error: Failed to start domain '$G'
error: Requested operation is not valid: storage pool '$POOL' containing volume 'top.qcow2' is not active" "$err"
nothing_left $G
svsh pool-start $POOL
expect_eq "pool-start" 0 "$rc"
verdict "an inactive pool fails the start: \"storage pool '$POOL' containing volume 'top.qcow2' is not active\"; nothing left"

# 7
vsh define "$mv_tmp/nv.xml"
vsh start nv
expect_eq "status" 1 "$rc"
expect_eq "error" "error: Failed to start domain 'nv'
error: Storage volume not found: no storage volume with matching name 'nosuch.qcow2' in pool '$POOL'" "$err"
nothing_left nv
verdict "a missing volume fails the start: \"no storage volume with matching name 'nosuch.qcow2' in pool '$POOL'\"; nothing left"

# 8
stop_pid "$SPID" 10
vsh start $G
expect_eq "status" 1 "$rc"
expect_match "names storaged's socket" "cannot reach modvirt-storaged for volume 'top\.qcow2' of pool '$POOL' of domain '$G': .*'$SOCK'" "$err"
nothing_left $G
verdict "storaged not running: the start fails naming $SOCK; nothing left, qemud runs on"

mv_done
