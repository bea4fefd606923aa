#!/bin/bash
# Hotplug of a <disk type='volume'>: qemud resolves the volume through
# modvirt-storaged (as at start), hands QEMU the file as an fd, the guest
# sees the volume's size; the live XML shows the volume, not its path;
# detached, QEMU closes it.  A missing volume is refused naming pool and
# volume.  storaged and qemud share one private --root.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64"
STORAGED=$top_builddir/storaged/modvirt-storaged
BOOT_S=90
PLUG_S=30
G=hpv$$
POOL=hvp
guest_test_init 3
[ -x "$STORAGED" ] || { for i in 1 2 3; do skip "$STORAGED is not built"; done; exit 0; }
start_daemon

P=$mv_tmp/pools/$POOL
SOCK=$MV_ROOT/run/modvirt/storaged-sock
svsh() { run isolated virsh -c "storage:///system?socket=$SOCK" "$@"; }
keep=$MV_DAEMON
MV_DAEMON=$STORAGED
spawn_daemon "$MV_ROOT" "$mv_tmp/storaged.log"
MV_DAEMON=$keep
wait_ready "$spawned_pid" "$MV_READY_S" || { echo "Bail out! modvirt-storaged did not become ready"; exit 1; }
qemu_has() {
    local p f
    p=$(our_qemu "$G")
    for f in /proc/"${p:-none}"/fd/*; do [ "$(readlink "$f")" = "$1" ] && return 0; done 2>/dev/null
    return 1
}

cat >"$mv_tmp/pool.xml" <<X
<pool type='dir'><name>$POOL</name><target><path>$P</path></target></pool>
X
cat >"$mv_tmp/vol.xml" <<'X'
<volume><name>data.raw</name><capacity unit='MiB'>24</capacity><target><format type='raw'/></target></volume>
X
disk() {
    cat <<X
<disk type='volume' device='disk'>
  <source pool='$POOL' volume='$1'/>
  <target dev='vdb' bus='virtio'/>
</disk>
X
}
disk data.raw >"$mv_tmp/disk.xml"
disk nosuch.raw >"$mv_tmp/nosuch.xml"
log=$mv_tmp/$G.serial
GUEST_APPEND=guest.watch=1 guest_domain_xml "$G" "$log" >"$mv_tmp/$G.xml"

# 1
for cmd in "pool-define $mv_tmp/pool.xml" "pool-build $POOL" "pool-start $POOL" "vol-create $POOL $mv_tmp/vol.xml"; do
    read -ra words <<<"$cmd"
    svsh "${words[@]}"
    [ "$rc" -eq 0 ] || { echo "Bail out! virsh $cmd: $(run_evidence)"; exit 1; }
done
vsh create "$mv_tmp/$G.xml"
expect_eq "start" 0 "$rc"
guest_wait_log "$log" "GUEST-READY" $BOOT_S || expect_fail "the guest did not boot"
vsh attach-device "$G" "$mv_tmp/disk.xml" --live
expect_eq "attach the volume" 0 "$rc"
[ $rc -eq 0 ] || diag "$(run_evidence)"
guest_wait_log "$log" "virtio_blk .*\[vda\] 49152 512-byte logical blocks" $PLUG_S ||
    expect_fail "the guest did not see the volume's 24 MiB"
guest_wait_log "$log" "GUEST-HOTPLUG add disk vda" $PLUG_S || expect_fail "no GUEST-HOTPLUG for it"
qemu_has "$P/data.raw" || expect_fail "QEMU does not hold $P/data.raw"
vsh dumpxml "$G"
expect_match "live XML: the volume" "<source pool=.$POOL. volume=.data\.raw./>" "$out"
expect_nomatch "not its path" "$P/data.raw" "$out"
verdict "a storaged volume hotplugged: resolved, passed to QEMU, seen by the guest with its size"

# 2
vsh detach-device "$G" "$mv_tmp/disk.xml" --live
expect_eq "detach it" 0 "$rc"
guest_wait_log "$log" "GUEST-HOTPLUG remove disk vda" $PLUG_S || expect_fail "the guest did not lose it"
qemu_has "$P/data.raw" && expect_fail "QEMU still holds $P/data.raw"
verdict "detached: the guest loses it, QEMU closes the volume"

# 3
vsh attach-device "$G" "$mv_tmp/nosuch.xml" --live
expect_eq "a missing volume fails" 1 "$rc"
expect_match "naming pool and volume" "nosuch.raw.*$POOL|$POOL.*nosuch.raw" "$err"
refusal=${err##*error: }
vsh dumpxml "$G"
expect_nomatch "no vdb in the live XML" "dev=.vdb." "$out"
expect_daemon_alive
verdict "a missing volume is refused by name: $refusal"

vsh destroy "$G"
mv_done
