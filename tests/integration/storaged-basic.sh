#!/bin/bash
# modvirt-storaged driven by Debian's virsh and python3-libvirt: a dir
# pool's life (define, build, start, info, refresh, autostart, destroy,
# delete, undefine) with lifecycle and refresh events as virsh pool-event
# prints them; volumes (raw and sparse, qcow2 on a backing file, info,
# dumpxml, clone, resize, wipe, delete, lookups by key and path); a kill -9
# of storaged while a pool is active (the next storaged re-adopts it), a
# reboot (an empty run directory: the pool is autostarted); a stuck pool
# (its qemu-img hangs) next to a working one; bad
# input with exact messages and nothing created.
#
# The pools live in the script's temp dir; the daemon runs with --root
# there, so nothing of the host's is touched.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/storaged.sh"

MV_DAEMON=$top_builddir/storaged/modvirt-storaged
MV_NEEDS="qemu-img"
mv_init 22

use_storaged
CONFDIR=$MV_ROOT/etc/modvirt/storage
RUNDIR=$MV_ROOT/run/modvirt/storage
P1=$mv_tmp/pools/p1

pool_xml() {    # NAME TARGET
    cat <<EOF
<pool type='dir'>
  <name>$1</name>
  <target>
    <path>$2</path>
    <permissions><mode>0750</mode></permissions>
  </target>
</pool>
EOF
}
vol_xml() {     # NAME CAPACITY FORMAT [EXTRA]
    cat <<EOF
<volume>
  <name>$1</name>
  <capacity unit='bytes'>$2</capacity>
  <target><format type='$3'/></target>${4:-}
</volume>
EOF
}
# allocated bytes of FILE (blocks * 512)
allocated() { echo $(( $(stat -c %b "$1") * 512 )); }
is_running() { vsh pool-info "$1"; printf '%s\n' "$out" | grep -Eq '^State:[[:space:]]+running$'; }

# events as virsh prints them, one listener per kind for this storaged
listen_events() {
    MV_CLIENT_TIMEOUT=900 isolated virsh -c "$MV_URI" pool-event --loop --timeout 900 --event "$1" \
        >"$2" 2>&1 &
    kill_at_exit $!
}
# pool_marker FILE [refresh]: a marker pool defined and undefined (with
# refresh: created, refreshed and destroyed) until FILE's listener reports
# it: then it is registered and every earlier event is in.
marker_n=0
pool_marker() {
    local i name
    marker_n=$((marker_n + 1))
    name=evmark$marker_n
    pool_xml "$name" "$mv_tmp/markers/$name" >"$mv_tmp/$name.xml"
    for ((i = 0; i < 50; i++)); do
        if [ "${2:-}" = refresh ]; then
            vsh pool-create "$mv_tmp/$name.xml" --build
            vsh pool-refresh "$name"
            vsh pool-destroy "$name"
        else
            vsh pool-define "$mv_tmp/$name.xml"
            vsh pool-undefine "$name"
        fi
        grep -q "storage pool $name" "$1" && return 0
        sleep 0.2
    done
    expect_fail "the event listener writing $1 never reported the marker pool $name"
}

start_storaged
lifecycle=$mv_tmp/lifecycle
refreshes=$mv_tmp/refresh
listen_events lifecycle "$lifecycle"
listen_events refresh "$refreshes"
pool_marker "$lifecycle"

# 1
pool_xml p1 "$P1" >"$mv_tmp/p1.xml"
vsh pool-define "$mv_tmp/p1.xml"
expect_eq "exit status" 0 "$rc"
expect_match "message" "^Pool p1 defined from " "$out"
expect_eq "config file" yes "$([ -f "$CONFDIR/p1.xml" ] && echo yes)"
vsh pool-list --all
expect_match "p1 inactive" "^ p1[[:space:]]+inactive[[:space:]]+no$" "$out"
vsh pool-dumpxml p1
expect_match "uuid" "<uuid>[0-9a-f-]{36}</uuid>" "$out"
expect_match "target" "<path>$P1</path>" "$out"
verdict "pool-define stores a dir pool; pool-list --all shows it inactive"

# 2
vsh pool-build p1
expect_eq "exit status" 0 "$rc"
expect_eq "directory" "750" "$(stat -c %a "$P1" 2>/dev/null)"
vsh pool-start p1
expect_eq "exit status" 0 "$rc"
expect_match "message" "^Pool p1 started" "$out"
expect_eq "status file" yes "$([ -f "$RUNDIR/p1.xml" ] && echo yes)"
vsh pool-info p1
expect_match "state" "^State:[[:space:]]+running$" "$out"
expect_match "persistent" "^Persistent:[[:space:]]+yes$" "$out"
expect_match "capacity" "^Capacity:[[:space:]]+[0-9.]+ [KMGT]iB$" "$out"
vsh pool-start p1
expect_eq "second start" 1 "$rc"
expect_match "already active" "Requested operation is not valid: storage pool 'p1' is already active" "$err"
verdict "pool-build makes the directory (mode 0750), pool-start runs it, pool-info shows it"

# 3
vsh vol-create-as p1 disk.raw 64M --format raw
expect_eq "exit status" 0 "$rc"
expect_match "message" "^Vol disk.raw created" "$out"
expect_eq "file size" 67108864 "$(stat -c %s "$P1/disk.raw" 2>/dev/null)"
[ "$(allocated "$P1/disk.raw")" -lt 1048576 ] || expect_fail "disk.raw is not sparse: $(allocated "$P1/disk.raw") bytes"
vsh vol-info disk.raw --pool p1
expect_match "type" "^Type:[[:space:]]+file$" "$out"
expect_match "capacity" "^Capacity:[[:space:]]+64.00 MiB$" "$out"
vsh vol-list p1
expect_match "listed" "^ disk.raw[[:space:]]+$P1/disk.raw$" "$out"
verdict "vol-create-as makes a sparse raw volume; vol-info and vol-list show it"

# 4
vol_xml top.qcow2 134217728 qcow2 "
  <backingStore><path>$P1/disk.raw</path><format type='raw'/></backingStore>" >"$mv_tmp/top.xml"
vsh vol-create p1 "$mv_tmp/top.xml"
expect_eq "exit status" 0 "$rc"
info=$(qemu-img info --output=json "$P1/top.qcow2" 2>&1)
expect_match "format" '"format": "qcow2"' "$info"
expect_match "backing" "\"backing-filename\": \"$P1/disk.raw\"" "$info"
vsh vol-dumpxml top.qcow2 --pool p1
expect_match "format" "<format type=.qcow2./>" "$out"
expect_match "backing path" "<path>$P1/disk.raw</path>" "$out"
expect_match "key" "<key>$P1/top.qcow2</key>" "$out"
expect_match "capacity" "<capacity unit=.bytes.>134217728</capacity>" "$out"
verdict "vol-create makes a qcow2 volume on a raw backing file; vol-dumpxml shows the chain"

# 5
vsh vol-clone disk.raw copy.raw --pool p1
expect_eq "raw clone" 0 "$rc"
vol_xml flat.raw 0 raw >"$mv_tmp/flat.xml"
vsh vol-create-from p1 "$mv_tmp/flat.xml" top.qcow2 --inputpool p1
expect_eq "qcow2 to raw" 0 "$rc"
expect_eq "copy.raw size" 67108864 "$(stat -c %s "$P1/copy.raw" 2>/dev/null)"
expect_match "flat.raw is raw" '"format": "raw"' "$(qemu-img info --output=json "$P1/flat.raw" 2>&1)"
expect_eq "flat.raw takes the source's capacity" 134217728 "$(stat -c %s "$P1/flat.raw" 2>/dev/null)"
vsh vol-clone top.qcow2 whole.qcow2 --pool p1
expect_eq "qcow2 clone" 0 "$rc"
info=$(qemu-img info --output=json "$P1/whole.qcow2" 2>&1)
expect_match "qcow2" '"format": "qcow2"' "$info"
expect_nomatch "no backing file" "backing-filename" "$info"
run qemu-img compare "$P1/top.qcow2" "$P1/whole.qcow2"
expect_eq "same content" 0 "$rc"
verdict "vol-clone (raw; qcow2 on a backing file: a whole copy) and vol-create-from (qcow2 to raw)"

# 6
vsh vol-resize copy.raw 96M --pool p1
expect_eq "grow" 0 "$rc"
expect_eq "grown" 100663296 "$(stat -c %s "$P1/copy.raw" 2>/dev/null)"
vsh vol-resize copy.raw 32M --pool p1
expect_eq "shrink without flag" 1 "$rc"
expect_match "message" "invalid argument: volume 'copy.raw': 33554432 bytes is less than its capacity of 100663296 bytes; shrinking needs the shrink flag" "$err"
expect_eq "unchanged" 100663296 "$(stat -c %s "$P1/copy.raw" 2>/dev/null)"
vsh vol-resize copy.raw 32M --pool p1 --shrink
expect_eq "shrink" 0 "$rc"
expect_eq "shrunk" 33554432 "$(stat -c %s "$P1/copy.raw" 2>/dev/null)"
vsh vol-info copy.raw --pool p1
expect_match "info follows" "^Capacity:[[:space:]]+32.00 MiB$" "$out"
vsh vol-resize copy.raw 16M --pool p1 --delta
expect_eq "grown by a delta" 50331648 "$(stat -c %s "$P1/copy.raw" 2>/dev/null)"
vsh vol-resize copy.raw --pool p1 --shrink -- -16M
expect_eq "shrunk by a delta" 33554432 "$(stat -c %s "$P1/copy.raw" 2>/dev/null)"
vsh vol-resize copy.raw 18446744073709551615 --pool p1 --delta
expect_match "overflow" "invalid argument: volume 'copy.raw': growing 33554432 bytes by 18446744073709551615 overflows" "$err"
expect_eq "unchanged by the overflow" 33554432 "$(stat -c %s "$P1/copy.raw" 2>/dev/null)"
verdict "vol-resize grows, refuses to shrink without --shrink, shrinks with it; deltas; an overflowing delta refused"

# 7
dd if=/dev/urandom of="$P1/copy.raw" bs=1M count=2 seek=4 conv=notrunc status=none
before=$(allocated "$P1/copy.raw")
vsh vol-wipe copy.raw --pool p1
expect_eq "wipe" 0 "$rc"
expect_eq "zeros" "$(head -c 33554432 /dev/zero | md5sum)" "$(md5sum <"$P1/copy.raw")"
after=$(allocated "$P1/copy.raw")
[ "$after" -le "$before" ] || expect_fail "the wipe filled holes: $before bytes allocated before, $after after"
vsh vol-wipe copy.raw --pool p1 --algorithm nnsa
expect_eq "nnsa refused" 1 "$rc"
expect_match "message" "wipe algorithm 1 of volume 'copy.raw': storaged wipes with zeros only" "$err"
verdict "vol-wipe zeroes a volume without filling its holes; other algorithms are refused"

# 8
vsh vol-key "$P1/disk.raw"
expect_eq "vol-key" "$P1/disk.raw" "$out"
vsh vol-name "$P1//disk.raw"
expect_eq "vol-name by path" "disk.raw" "$out"
vsh vol-pool "$P1/disk.raw"
expect_eq "vol-pool" "p1" "$out"
vsh vol-info "$P1/nosuch"
expect_match "no such volume" "Storage volume not found: no storage vol with matching path '$P1/nosuch'" "$err"
verdict "lookups by key and path (vol-key, vol-name, vol-pool)"

# 9
qemu-img create -q -f qcow2 "$P1/behind.qcow2" 1M
vsh pool-refresh p1
expect_eq "exit status" 0 "$rc"
vsh vol-list p1
expect_match "found" "^ behind.qcow2[[:space:]]" "$out"
pool_marker "$refreshes" refresh
expect_match "refresh event" "^event 'refresh' for storage pool p1$" "$(cat "$refreshes")"
verdict "pool-refresh finds a file made behind storaged's back and sends a refresh event"

# 10
vsh pool-autostart p1
expect_eq "exit status" 0 "$rc"
expect_eq "link" yes "$([ -L "$CONFDIR/autostart/p1.xml" ] && echo yes)"
vsh pool-info p1
expect_match "autostart" "^Autostart:[[:space:]]+yes$" "$out"
vsh pool-list --autostart
expect_match "listed" "^ p1[[:space:]]+active[[:space:]]+yes$" "$out"
verdict "pool-autostart (link, pool-info, pool-list --autostart)"

# 11
# The first listener's events up to the restart (for 17), all in once it
# reports a marker.  Through modvirt-proxyd (MV_VIA_PROXY) its connection
# outlives storaged: the proxy registers its callback again with each new
# storaged, so p1's autostart after the reboot (11b) reaches it or not,
# depending on whether that proxy replayed it before it was replaced.
pool_marker "$lifecycle"
cp "$lifecycle" "$lifecycle.before"
# (bash's report of the kill goes to stderr, not TAP's stdout: hidden)
{ kill -9 "$MV_PID"; wait_exit "$MV_PID" 10; } 2>/dev/null
start_storaged
wait_running() { local i; for ((i = 0; i < 100; i++)); do is_running p1 && return 0; sleep 0.1; done; return 1; }
wait_running || expect_fail "p1 is not running after the restart: $(run_evidence)"
vsh vol-list p1
expect_match "volumes back" "^ top.qcow2[[:space:]]+$P1/top.qcow2$" "$out"
vsh vol-info top.qcow2 --pool p1
expect_match "capacity" "^Capacity:[[:space:]]+128.00 MiB$" "$out"
verdict "storaged killed with -9 while p1 is active: the next one re-adopts it with its volumes"

# 11b: a reboot (the run directory is a tmpfs: it starts empty)
stop_pid "$MV_PID" 10
rm -rf "$MV_ROOT/run"
log_before=$(wc -l <"$MV_LOG")
start_storaged
wait_running || expect_fail "p1 was not autostarted after the reboot: $(run_evidence)"
expect_eq "status written again" yes "$([ -f "$RUNDIR/p1.xml" ] && echo yes)"
tail -n +$((log_before + 1)) "$MV_LOG" | grep -q "storage pool 'p1' started" ||
    expect_fail "the new storaged's log has no start of p1"
verdict "after a reboot (empty run directory) storaged autostarts p1"
listen_events lifecycle "$lifecycle.2"
pool_marker "$lifecycle.2"

# 12: python3-libvirt
py - "$MV_URI" "$P1" <<'EOF'
import sys, libvirt
from mvlibvirt import out, step, error_of
c = libvirt.open(sys.argv[1])
p = c.storagePoolLookupByName("p1")
step("info", lambda: p.info()[0])
step("active", lambda: [x.name() for x in c.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_ACTIVE |
                                                              libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_DIR)])
step("fs_only", lambda: [x.name() for x in c.listAllStoragePools(libvirt.VIR_CONNECT_LIST_STORAGE_POOLS_FS)])
step("vols", lambda: sorted(v.name() for v in p.listAllVolumes()))
step("by_path", lambda: c.storageVolLookupByPath(sys.argv[2] + "/disk.raw").key())
step("by_target", lambda: c.storagePoolLookupByTargetPath(sys.argv[2]).name())
step("caps", lambda: "<pool type='logical' supported='yes'>" in c.getStoragePoolCapabilities())
step("nosuch", lambda: error_of(lambda: c.storagePoolLookupByName("nosuch")))
step("physical", lambda: p.storageVolLookupByName("disk.raw").infoFlags(libvirt.VIR_STORAGE_VOL_GET_PHYSICAL)[2])
EOF
expect_eq "state" "2" "$(kv info)"
expect_eq "active dir pools" "['p1']" "$(kv active)"
expect_eq "no fs pools" "[]" "$(kv fs_only)"
expect_eq "volumes" "['behind.qcow2', 'copy.raw', 'disk.raw', 'flat.raw', 'top.qcow2', 'whole.qcow2']" "$(kv vols)"
expect_eq "lookup by path" "$P1/disk.raw" "$(kv by_path)"
expect_eq "lookup by target path" "p1" "$(kv by_target)"
expect_eq "capabilities" "True" "$(kv caps)"
expect_eq "not found" "EXC 49 18 Storage pool not found: no storage pool with matching name 'nosuch'" "$(kv nosuch)"
expect_eq "physical size" "67108864" "$(kv physical)"
verdict "python3-libvirt: info, filtered lists, lookups, capabilities, libvirt's error codes"

# 13: bad input, nothing created
vol_xml "../escape" 1048576 raw >"$mv_tmp/bad1.xml"
vsh vol-create p1 "$mv_tmp/bad1.xml"
expect_eq "name with /" 1 "$rc"
expect_match "name message" "\.\./escape" "$err"
vol_xml evil.qcow2 1048576 qcow2 "
  <backingStore><path>/etc/shadow</path><format type='raw'/></backingStore>" >"$mv_tmp/bad2.xml"
vsh vol-create p1 "$mv_tmp/bad2.xml"
expect_eq "backing outside" 1 "$rc"
expect_match "backing message" "invalid argument: volume 'evil.qcow2': backing store '/etc/shadow' is not in any active storage pool; storaged lets a volume read only files a pool holds" "$err"
vol_xml huge.raw 20000000000000000000 raw >"$mv_tmp/bad3.xml"
vsh vol-create p1 "$mv_tmp/bad3.xml"
expect_eq "overflow" 1 "$rc"
vsh vol-create-as p1 disk.raw 1M
expect_eq "taken" 1 "$rc"
expect_match "taken message" "storage volume 'disk.raw' exists already in storage pool 'p1'" "$err"
# files a client cannot reach through a pool: a link in a pool to a file
# outside, a qcow2 in a pool whose own backing file is outside
mkdir -p "$P1/sub"
ln -s /etc/shadow "$P1/sub/link"
qemu-img create -q -f qcow2 -u -F raw -b /etc/hostname "$P1/sub/chain.qcow2" 1M
vol_xml evil2.qcow2 1048576 qcow2 "
  <backingStore><path>$P1/sub/link</path><format type='raw'/></backingStore>" >"$mv_tmp/bad4.xml"
vsh vol-create p1 "$mv_tmp/bad4.xml"
expect_match "a link out" "invalid argument: volume 'evil2.qcow2': backing chain file '$P1/sub/link' \\(really '/etc/shadow'\\) is not in any active storage pool" "$err"
vol_xml evil3.qcow2 1048576 qcow2 "
  <backingStore><path>$P1/sub/chain.qcow2</path><format type='qcow2'/></backingStore>" >"$mv_tmp/bad5.xml"
vsh vol-create p1 "$mv_tmp/bad5.xml"
expect_match "a chain out" "invalid argument: volume 'evil3.qcow2': backing chain file '/etc/hostname' is not in any active storage pool" "$err"
rm -rf "$P1/sub"
expect_eq "nothing created" "behind.qcow2 copy.raw disk.raw flat.raw top.qcow2 whole.qcow2" "$(cd "$P1" && echo *)"
expect_eq "no escape" no "$([ -e "$mv_tmp/pools/escape" ] && echo yes || echo no)"
verdict "bad volumes (a name with '..', a backing file outside every pool, directly, by a link or down its chain, a size that overflows, a taken name) create nothing"

# 14
pool_xml inner "$P1/inner" >"$mv_tmp/inner.xml"
vsh pool-define "$mv_tmp/inner.xml"
expect_eq "nested" 1 "$rc"
expect_match "message" "operation failed: storage pool 'inner': target '$P1/inner' is inside the target '$P1' of storage pool 'p1'" "$err"
pool_xml outer "$mv_tmp/pools" >"$mv_tmp/outer.xml"
vsh pool-define "$mv_tmp/outer.xml"
expect_match "contains" "storage pool 'outer': target '$mv_tmp/pools' contains the target '$P1' of storage pool 'p1'" "$err"
expect_eq "no configs" "no no" "$([ -e "$CONFDIR/inner.xml" ] && echo yes || echo no) $([ -e "$CONFDIR/outer.xml" ] && echo yes || echo no)"
vsh pool-info nosuch
expect_match "no pool" "Storage pool not found: no storage pool with matching name 'nosuch'" "$err"
# creates and defines racing, each on its own connection, targets nested
# in one another: one wins
py - "$MV_URI" "$mv_tmp/pools/race" <<'EOF'
import os, sys, threading, libvirt
libvirt.registerErrorHandler(lambda c, e: None, None)
won, lost = [], []
def go(i):
    c = libvirt.open(sys.argv[1])
    path = sys.argv[2] + "/d" * i
    os.makedirs(path, exist_ok=True)
    xml = "<pool type='dir'><name>race%d</name><target><path>%s</path></target></pool>" % (i, path)
    try:
        (c.storagePoolCreateXML if i % 2 else c.storagePoolDefineXML)(xml, 0)
        won.append(i)
    except libvirt.libvirtError as e:
        lost.append("conflict" if "target" in e.get_error_message() else e.get_error_message())
threads = [threading.Thread(target=go, args=(i,)) for i in range(6)]
for t in threads: t.start()
for t in threads: t.join()
print("won=%d lost=%s" % (len(won), sorted(set(lost))))
c = libvirt.open(sys.argv[1])
for i in won:
    p = c.storagePoolLookupByName("race%d" % i)
    p.destroy() if p.isActive() else p.undefine()
EOF
expect_eq "one wins" "won=1 lost=['conflict']" "$out"
verdict "a pool target inside or around another pool's is refused, nothing saved; racing creates and defines: one wins"

# 15
for v in behind.qcow2 copy.raw flat.raw whole.qcow2 top.qcow2 disk.raw; do
    vsh vol-delete "$v" --pool p1
    [ "$rc" -eq 0 ] || expect_fail "vol-delete $v: $(run_evidence)"
done
expect_eq "empty" "" "$(ls -A "$P1")"
vsh vol-list p1
expect_nomatch "none listed" "raw|qcow2" "$out"
verdict "vol-delete removes each volume and its file"

# 16
vsh pool-destroy p1
expect_eq "destroy" 0 "$rc"
expect_eq "status gone" no "$([ -e "$RUNDIR/p1.xml" ] && echo yes || echo no)"
vsh vol-list p1
expect_match "inactive" "Requested operation is not valid: storage pool 'p1' is not active" "$err"
vsh pool-delete p1
expect_eq "delete" 0 "$rc"
expect_eq "directory gone" no "$([ -e "$P1" ] && echo yes || echo no)"
vsh pool-undefine p1
expect_eq "undefine" 0 "$rc"
expect_eq "config gone" no "$([ -e "$CONFDIR/p1.xml" ] && echo yes || echo no)"
expect_eq "link gone" no "$([ -e "$CONFDIR/autostart/p1.xml" ] && echo yes || echo no)"
verdict "pool-destroy, pool-delete (the directory) and pool-undefine (config and link)"

# 17
pool_marker "$lifecycle.2"
ev1=$(grep -o "storage pool p1: [A-Za-z]*" "$lifecycle.before" | cut -d' ' -f4 | tr '\n' ' ')
ev2=$(grep -o "storage pool p1: [A-Za-z]*" "$lifecycle.2" | cut -d' ' -f4 | tr '\n' ' ')
expect_eq "events before the restart" "Defined Created Started " "$ev1"
expect_eq "events after it" "Stopped Deleted Undefined " "$ev2"
verdict "lifecycle events: defined, created (build), started, stopped, deleted, undefined"

# 18: a transient pool
mkdir -p "$mv_tmp/pools/t1"
pool_xml t1 "$mv_tmp/pools/t1" >"$mv_tmp/t1.xml"
vsh pool-create "$mv_tmp/t1.xml"
expect_eq "create" 0 "$rc"
vsh pool-info t1
expect_match "transient" "^Persistent:[[:space:]]+no$" "$out"
vsh pool-autostart t1
expect_match "no autostart" "cannot set autostart for transient storage pool 't1'" "$err"
vsh pool-destroy t1
vsh pool-info t1
expect_match "gone" "Storage pool not found: no storage pool with matching name 't1'" "$err"
verdict "pool-create makes a transient pool that goes with its destroy"

# 19: read-only socket
run isolated virsh -r -c "$MV_URI_RO" pool-list --all
expect_eq "list" 0 "$rc"
pool_xml ro1 "$mv_tmp/pools/ro1" >"$mv_tmp/ro1.xml"
run isolated virsh -r -c "$MV_URI_RO" pool-define "$mv_tmp/ro1.xml"
expect_match "denied" "operation forbidden: read only access prevents virStoragePoolDefineXML" "$err"
verdict "the read-only socket lists and refuses changes"

# 20: a stuck pool.  The qemu-img storaged runs (qemu_img, a wrapper) hangs
# on a FIFO for volumes of pool 'stuck' until the test writes to it: that
# pool's calls fail with a timeout naming it, then at once, while pool 'ok'
# and every read keep working; released, the work still lands.
stop_pid "$MV_PID" 10
mkfifo "$mv_tmp/hang"
printf '%s\n' '#!/bin/sh' "case \"\$*\" in */stuck/*) read -r _ <'$mv_tmp/hang' ;; esac" \
    'exec /usr/bin/qemu-img "$@"' >"$mv_tmp/qemu-img-hang"
chmod +x "$mv_tmp/qemu-img-hang"
mkdir -p "$MV_ROOT/etc/modvirt"
printf '%s\n' 'pool_timeout = 2' "qemu_img = \"$mv_tmp/qemu-img-hang\"" >"$MV_ROOT/etc/modvirt/modvirt-storaged.conf"
start_storaged
for p in stuck ok; do
    pool_xml "$p" "$mv_tmp/pools/$p" >"$mv_tmp/$p.xml"
    vsh pool-create "$mv_tmp/$p.xml" --build
    [ "$rc" -eq 0 ] || expect_fail "pool-create $p: $(run_evidence)"
done
ms() { echo $(( $(date +%s%N) / 1000000 )); }
t0=$(ms)
vsh vol-create-as stuck v1.qcow2 1M --format qcow2
t1=$(ms)
expect_eq "stuck create fails" 1 "$rc"
expect_match "names the pool" "Timed out during operation: storage pool 'stuck' did not answer within 2 s \(its 'vol-create' is still running\)" "$err"
[ $((t1 - t0)) -lt 10000 ] || expect_fail "the stuck call took $((t1 - t0)) ms"
t0=$(ms)
vsh vol-create-as stuck v2.qcow2 1M --format qcow2
t1=$(ms)
expect_match "then at once" "storage pool 'stuck' is busy: its 'vol-create' has not answered for" "$err"
[ $((t1 - t0)) -lt 1500 ] || expect_fail "the second call on the stuck pool took $((t1 - t0)) ms"
t0=$(ms)
vsh vol-create-as ok v3.qcow2 1M --format qcow2
expect_eq "other pool" 0 "$rc"
vsh pool-refresh ok
expect_eq "other refresh" 0 "$rc"
vsh pool-info stuck
expect_match "reads answer" "^State:[[:space:]]+running$" "$out"
vsh pool-list --all
expect_match "lists answer" "^ stuck[[:space:]]+active" "$out"
t1=$(ms)
[ $((t1 - t0)) -lt 3000 ] || expect_fail "four calls elsewhere took $((t1 - t0)) ms while 'stuck' hung"
echo go >"$mv_tmp/hang"
landed() { vsh vol-list stuck; printf '%s\n' "$out" | grep -q '^ v1.qcow2 '; }
for ((i = 0; i < 100; i++)); do landed && break; sleep 0.1; done
landed || expect_fail "the released create never landed: $(run_evidence)"
vsh pool-destroy stuck
vsh pool-destroy ok
verdict "a stuck pool's calls fail with a timeout naming it, then at once; other pools and reads keep working"

# 21
expect_daemon_alive
stop_pid "$MV_PID" 10
expect_eq "clean exit" 0 "$stop_status"
verdict "storaged exits cleanly on SIGTERM"

mv_done
