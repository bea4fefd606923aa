#!/bin/bash
# An fs pool on a real loop device with ext4, through Debian's virsh and
# python3-libvirt: pool-build runs mkfs (--no-overwrite refuses a device
# that has a filesystem), pool-start mounts it at the target, volumes
# (raw, qcow2 with a backing file in the same pool) live on it and survive
# a destroy and start, refresh and info report the filesystem's sizes,
# pool-destroy unmounts, pool-delete and pool-undefine remove it.  All in a
# private mount namespace; the loop device is released at the end.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/storaged.sh"
st_private_ns "$@"

MV_NEEDS="losetup mkfs.ext4 blkid findmnt mountpoint qemu-img"
mv_init 8
use_storaged
st_start

IMG=$mv_tmp/fs.img
T=$mv_tmp/fsmnt
truncate -s 256M "$IMG"
LOOP=$(losetup -f --show "$IMG") || { echo "Bail out! losetup failed (no loop devices?)"; exit 1; }
at_exit "umount -l '$T'; losetup -d $LOOP"
mounted() { findmnt -n -o SOURCE --mountpoint "$T" 2>/dev/null; }

# 1. define and build: mkfs on the loop device
pool_xml fs loopfs "$T" "<device path='$LOOP'/><format type='ext4'/>" >"$mv_tmp/loopfs.xml"
vsh pool-define "$mv_tmp/loopfs.xml"
expect_eq "pool-define" 0 "$rc"
vsh pool-build loopfs --overwrite
expect_eq "pool-build --overwrite" 0 "$rc"
expect_eq "blkid type after build" ext4 "$(blkid -p -o value -s TYPE "$LOOP" 2>/dev/null)"
vsh pool-build loopfs --no-overwrite
expect_eq "pool-build --no-overwrite on an ext4 device rc" 1 "$rc"
expect_match "pool-build --no-overwrite error" "loopfs.*$LOOP|$LOOP.*loopfs" "$err"
verdict "pool-build makes ext4 on the loop device; --no-overwrite refuses a device that has a filesystem"

# 2. start mounts it
vsh pool-start loopfs
expect_eq "pool-start" 0 "$rc"
expect_eq "mounted at the target" "$LOOP" "$(mounted)"
vsh pool-info loopfs --bytes
expect_match "pool-info state" '^State:[[:space:]]+running' "$out"
cap=$(printf '%s\n' "$out" | awk '/^Capacity:/ { print $2 }')
fscap=$(stat -f -c '%b * %S' "$T" | awk '{ print $1 * $3 }')
expect_eq "pool-info capacity = the filesystem's" "$fscap" "$cap"
verdict "pool-start mounts the loop device at the target; pool-info reports the filesystem's capacity"

# 3. volumes on it
st_vol loopfs base.raw $((32 << 20)) raw
expect_eq "vol-create base.raw" 0 "$rc"
printf 'MVMARK' | dd of="$T/base.raw" bs=1 seek=4096 conv=notrunc status=none
st_vol loopfs top.qcow2 $((32 << 20)) qcow2 "
  <backingStore><path>$T/base.raw</path><format type='raw'/></backingStore>"
expect_eq "vol-create top.qcow2 backed by base.raw" 0 "$rc"
run qemu-img info --output=json "$T/top.qcow2"
expect_match "top.qcow2's backing file" "\"backing-filename\": \"$T/base.raw\"" "$out"
run qemu-io -f qcow2 -r -c 'read -P 0x4d 4096 1' "$T/top.qcow2"
expect_eq "qemu-io reads the marker through the backing chain" 0 "$rc"
vsh vol-dumpxml top.qcow2 --pool loopfs
expect_match "vol-dumpxml shows the backing store" "<path>$T/base.raw</path>" "$out"
vsh vol-list loopfs
expect_match "vol-list base.raw" "base\.raw +$T/base\.raw" "$out"
expect_match "vol-list top.qcow2" "top\.qcow2 +$T/top\.qcow2" "$out"
verdict "raw and qcow2 (backed by the raw) volumes on the ext4 pool"

# 4. python3-libvirt sees the same and refreshes a file made behind its back
qemu-img create -q -f qcow2 "$T/side.qcow2" 16M
py - "$MV_URI" <<'PY'
import re, sys, libvirt
from mvlibvirt import out, step
c = libvirt.open(sys.argv[1])
p = c.storagePoolLookupByName("loopfs")
out("ACTIVE", p.isActive())
p.refresh(0)
out("VOLS", ",".join(sorted(v.name() for v in p.listAllVolumes() if v.name() != "lost+found")))
v = p.storageVolLookupByName("side.qcow2")
out("SIDE", "%d %d" % (v.info()[0], v.info()[1]))
step("BYPATH", lambda: c.storageVolLookupByPath(v.path()).name())
out("TYPE", "fs" if re.search("<pool type=['\"]fs['\"]", p.XMLDesc(0)) else p.XMLDesc(0))
PY
expect_eq "python ACTIVE" 1 "$(kv ACTIVE)"
expect_eq "python VOLS after refresh" "base.raw,side.qcow2,top.qcow2" "$(kv VOLS)"
expect_eq "python side.qcow2 type and capacity" "0 $((16 << 20))" "$(kv SIDE)"
expect_eq "python lookup by path" side.qcow2 "$(kv BYPATH)"
expect_eq "python pool XML type" fs "$(kv TYPE)"
verdict "python3-libvirt: info, refresh finds a file made behind storaged's back, lookups"

# 5. destroy unmounts; start mounts again with the volumes still there
vsh pool-destroy loopfs
expect_eq "pool-destroy" 0 "$rc"
expect_eq "not mounted after destroy" "" "$(mounted)"
vsh pool-start loopfs
expect_eq "pool-start again" 0 "$rc"
expect_eq "mounted again" "$LOOP" "$(mounted)"
vsh vol-list loopfs
expect_match "volumes survive" 'top\.qcow2' "$out"
verdict "pool-destroy unmounts; pool-start mounts again and the volumes are there"

# 6. storaged restarted while the pool is mounted: re-adopted, not mounted twice
stop_pid "$MV_PID" 10
expect_eq "storaged exits on TERM" 0 "$stop_status"
start_daemon
vsh pool-info loopfs
expect_match "re-adopted running" '^State:[[:space:]]+running' "$out"
expect_eq "mounted once" 1 "$(findmnt -n --mountpoint "$T" | grep -c .)"
verdict "a restarted storaged re-adopts the mounted pool"

# 7. delete and undefine
vsh vol-delete top.qcow2 --pool loopfs
expect_eq "vol-delete top.qcow2" 0 "$rc"
[ -e "$T/top.qcow2" ] && expect_fail "top.qcow2 still exists"
vsh pool-destroy loopfs
expect_eq "pool-destroy" 0 "$rc"
expect_eq "unmounted" "" "$(mounted)"
vsh pool-delete loopfs
expect_eq "pool-delete" 0 "$rc"
vsh pool-undefine loopfs
expect_eq "pool-undefine" 0 "$rc"
vsh pool-list --all --name
expect_nomatch "loopfs gone" '^loopfs$' "$out"
verdict "vol-delete, pool-destroy (unmounts), pool-delete and pool-undefine"

# 8. the loop device goes
stop_pid "$MV_PID" 10
losetup -d "$LOOP"
expect_eq "no loop device on the image" "" "$(losetup -j "$IMG")"
verdict "the loop device is released"
mv_done
