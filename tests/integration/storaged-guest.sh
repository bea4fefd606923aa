#!/bin/bash
# A guest on a qcow2 volume whose backing file lives in the same pool:
# storaged (virsh) makes base.raw, writes a marker at a known offset in it,
# and top.qcow2 backed by base.raw; qemud boots the test guest with
# top.qcow2 as its virtio disk, and the guest prints the bytes it reads
# from /dev/vda at that offset (guest.readdisk, tests/guest/README.md):
# the marker, read by QEMU through the backing chain.  Once with
# <disk type='file'> (the path from vol-path), once with
# <disk type='volume'> (qemud asks storaged for path and format), plus the
# errors of a volume disk whose pool is inactive or whose volume is missing.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"
. "$top_srcdir/tests/integration/storaged.sh"
st_private_ns "$@"

MV_DAEMON=$top_builddir/qemud/modvirt-qemud
ST_BIN=$top_builddir/storaged/modvirt-storaged
MV_NEEDS="qemu-system-x86_64 qemu-img $ST_BIN"
BOOT_S=90
guest_test_init 5          # qemud's MV_ROOT & co. under $mv_tmp/root
QEMUD_PID=
# storaged first, in the same root (qemud finds its socket there)
MV_DAEMON=$ST_BIN spawn_daemon "$MV_ROOT" "$mv_tmp/storaged.log"
ST_PID=$spawned_pid
wait_ready "$ST_PID" "$MV_READY_S" || { echo "Bail out! storaged did not become ready"; sed 's/^/# /' "$mv_tmp/storaged.log"; exit 1; }
start_daemon
ST_URI="storage:///system?socket=$MV_ROOT/run/modvirt/storaged-sock"
svsh() { run isolated virsh -c "$ST_URI" "$@"; }

# 1. the pool, the marker and the chain
P=$mv_tmp/gpool
MARK=MODVIRT-BACKING-CHAIN
OFF=$(((1 << 20) + 123))
HEX=$(printf '%s' "$MARK" | od -An -tx1 | tr -d ' \n')
pool_xml dir gpool "$P" >"$mv_tmp/gpool.xml"
svsh pool-define "$mv_tmp/gpool.xml" && svsh pool-build gpool && svsh pool-start gpool
expect_eq "pool gpool runs" 0 "$rc"
vol_xml base.raw $((16 << 20)) raw >"$mv_tmp/base.xml"
svsh vol-create gpool "$mv_tmp/base.xml"
expect_eq "vol-create base.raw" 0 "$rc"
printf '%s' "$MARK" | dd of="$P/base.raw" bs=1 seek=$OFF conv=notrunc status=none
vol_xml top.qcow2 $((16 << 20)) qcow2 "
  <backingStore><path>$P/base.raw</path><format type='raw'/></backingStore>" >"$mv_tmp/top.xml"
svsh vol-create gpool "$mv_tmp/top.xml"
expect_eq "vol-create top.qcow2" 0 "$rc"
svsh vol-path top.qcow2 --pool gpool
TOP=$out
expect_eq "vol-path top.qcow2" "$P/top.qcow2" "$TOP"
run qemu-img info --output=json --backing-chain "$TOP"
expect_match "the chain: base.raw under top.qcow2" "\"filename\": \"$P/base.raw\"" "$out"
verdict "a qcow2 volume backed by a raw volume of the same pool, the marker in the raw one"

# boot NAME DISK-XML: the guest with DISK-XML, reading the marker's bytes
boot() {
    local log=$mv_tmp/$1.serial
    GUEST_APPEND="guest.readdisk=/dev/vda,$OFF,${#MARK}" guest_domain_xml "$1" "$log" "$2" >"$mv_tmp/$1.xml"
    vsh create "$mv_tmp/$1.xml"
    [ "$rc" -eq 0 ] || { expect_fail "create $1: $(run_evidence)"; return 1; }
    if guest_wait_log "$log" '^GUEST-DISK ' $BOOT_S 2>"$mv_tmp/$1.wait"; then
        expect_eq "$1: the bytes the guest read" "GUEST-DISK $HEX" "$(grep -a '^GUEST-DISK ' "$log" | tr -d '\r' | head -n 1)"
    else
        expect_fail "$1: no GUEST-DISK line: $(cat "$mv_tmp/$1.wait")"
    fi
    vsh dumpxml "$1"
    dumped=$out
    vsh destroy "$1"
}

# 2. type='file', the path storaged gave
boot gfile "<disk type='file' device='disk'>
  <driver name='qemu' type='qcow2'/>
  <source file='$TOP'/>
  <target dev='vda' bus='virtio'/>
</disk>"
verdict "a guest on <disk type='file'> (vol-path) reads the marker through the backing chain"

# 3. type='volume': qemud asks storaged
boot gvol "<disk type='volume' device='disk'>
  <driver name='qemu' type='qcow2'/>
  <source pool='gpool' volume='top.qcow2'/>
  <target dev='vda' bus='virtio'/>
</disk>"
expect_match "live XML keeps the volume source" "<source pool=.gpool. volume=.top\.qcow2." "${dumped:-}"
verdict "a guest on <disk type='volume'> reads the marker through the backing chain"

# 4. errors naming pool and volume
vol_disk() { printf "<disk type='volume' device='disk'><driver name='qemu' type='qcow2'/><source pool='gpool' volume='%s'/><target dev='vda' bus='virtio'/></disk>" "$1"; }
guest_domain_xml gmiss "$mv_tmp/gmiss.serial" "$(vol_disk nosuch.qcow2)" >"$mv_tmp/gmiss.xml"
vsh create "$mv_tmp/gmiss.xml"
expect_eq "missing volume: create fails" 1 "$rc"
expect_match "missing volume: error names both" \
    "Storage volume not found: no storage volume with matching name 'nosuch\.qcow2' in pool 'gpool'" "$err"
svsh pool-destroy gpool
guest_domain_xml gdown "$mv_tmp/gdown.serial" "$(vol_disk top.qcow2)" >"$mv_tmp/gdown.xml"
vsh create "$mv_tmp/gdown.xml"
expect_eq "inactive pool: create fails" 1 "$rc"
expect_match "inactive pool: error names both" \
    "Requested operation is not valid: storage pool 'gpool' containing volume 'top\.qcow2' is not active" "$err"
verdict "a volume disk whose volume is missing or whose pool is inactive fails the start, naming both"

# 5. nothing runs after
vsh list --all --name
expect_eq "no domain left" "" "$(printf '%s\n' "$out" | sed '/^$/d')"
expect_daemon_alive
kill -0 "$ST_PID" 2>/dev/null || expect_fail "storaged died"
verdict "no guest left; both daemons alive"
mv_done
