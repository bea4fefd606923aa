#!/bin/bash
# modvirt-storaged when things go wrong, through Debian's virsh:
#  - kill -9 in the middle of a vol-create (qcow2, fully preallocated), of
#    a vol-clone (1 GiB of data) and of a vol-upload: after a restart each
#    volume is either complete (qemu-img check, the clone byte-identical to
#    its source, the upload all there) or absent (or, for the upload, as
#    before it), never a half-written file under the volume's name, and no
#    temp file is left; the pool is re-adopted running
#  - bad input (issue 9, "Bad input"), each refused with a message naming
#    the object and the cause, and nothing created: volume names with '/',
#    '..' or over 255 bytes, a backing file outside any pool (/etc/shadow),
#    sizes that overflow, a pool target inside another pool's, an fs pool
#    whose source is neither a block device nor an image, an upload bigger
#    than its volume.  (A NUL in a name cannot be written in XML at all:
#    libxml2 refuses &#0;, so it never reaches storaged.)
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/storaged.sh"
st_private_ns "$@"

MV_NEEDS="qemu-img cmp"
mv_init 11
use_storaged
st_start

P=$mv_tmp/pool
st_pool p dir "$P"
verdict "a dir pool runs"

# pool_files: what is in the pool's directory (hidden temp files included)
pool_files() { ls -A "$P" | sort; }
# children PID: the processes storaged runs (qemu-img) right now
children() { pgrep -P "$1" | tr '\n' ' '; }

# kill9_during WHAT CMD...: runs CMD (a vsh call) in the background, waits
# for storaged to be in the middle of it (a new file in the pool, or a
# child process), then kill -9 storaged and any helper it ran; restarts it.
kill9_during() {
    local what=$1 before kids caught=no
    shift
    before=$(pool_files)
    ( "$@"; run_evidence >"$mv_tmp/k9.rc" ) &
    local cpid=$!
    busy() { [ "$(pool_files)" != "$before" ] || [ -n "$(children "$MV_PID")" ]; }
    if wait_for 20 busy; then caught=yes; fi
    kids=$(children "$MV_PID")
    kill -9 "$MV_PID"
    wait_exit "$MV_PID" 10 || expect_fail "storaged (pid $MV_PID) did not die on kill -9"
    # the helpers it ran are its, so the test's: none may write on after it
    # (as after a crash of the host); they go too
    [ -n "$kids" ] && kill -9 $kids 2>/dev/null
    for k in $kids; do wait_for 10 test ! -e "/proc/$k" || expect_fail "helper $k outlived kill -9"; done
    wait_exit "$cpid" 30
    # too quick to catch is fine if it worked; an error of its own is not
    [ $caught = yes ] || grep -q '^rc=0 ' "$mv_tmp/k9.rc" ||
        expect_fail "$what failed before storaged could be killed: $(cat "$mv_tmp/k9.rc" 2>/dev/null)"
    diag "$what: storaged killed $([ $caught = yes ] && echo "in the middle (pool files: $(pool_files | tr '\n' ' '); helpers: ${kids:-none})" || echo "after the call (it was too quick to catch)")"
    start_daemon
}

# 2. kill -9 during a vol-create of a large, fully preallocated qcow2
BIG=$((2 << 30))
vol_xml big.qcow2 $BIG qcow2 "" | sed "s|<capacity|<allocation unit='bytes'>$BIG</allocation>\n  <capacity|" >"$mv_tmp/big.xml"
kill9_during "vol-create big.qcow2" vsh vol-create p "$mv_tmp/big.xml"
vsh pool-info p
expect_match "pool p re-adopted" '^State:[[:space:]]+running' "$out"
vsh pool-refresh p      # removes what a killed create left (vol_file.h)
expect_eq "pool-refresh after the restart" 0 "$rc"
vsh vol-list p
if [ -e "$P/big.qcow2" ]; then
    run qemu-img check "$P/big.qcow2"
    expect_eq "big.qcow2 exists: qemu-img check" 0 "$rc"
    run qemu-img info --output=json "$P/big.qcow2"
    expect_match "big.qcow2 exists: virtual size" "\"virtual-size\": $BIG," "$out"
    vsh vol-list p
    expect_match "big.qcow2 exists: listed" 'big\.qcow2' "$out"
    diag "big.qcow2 is complete"
else
    expect_nomatch "big.qcow2 absent: not listed" 'big\.qcow2' "$out"
    diag "big.qcow2 is absent"
fi
expect_eq "pool files after the restart (no temp file)" "$(pool_files | grep -c .)" "$(printf '%s\n' "$out" | grep -c '\.\(qcow2\|raw\)')"
verdict "kill -9 during vol-create: the volume is complete or absent, no temp file, pool re-adopted"

# 3. kill -9 during a vol-clone of 1 GiB of data
vsh vol-delete big.qcow2 --pool p
head -c $((1 << 30)) /dev/urandom >"$P/src.raw" 2>/dev/null ||
    dd if=/dev/urandom of="$P/src.raw" bs=1M count=1024 status=none
vsh pool-refresh p
# vol-create-from with a definition of our own: virsh vol-clone would send
# src.raw's own XML, whose allocation (its blocks, one more than its size
# on ext4) storaged's parser refuses as larger than the capacity
vol_xml copy.raw $((1 << 30)) raw >"$mv_tmp/copy.xml"
kill9_during "vol-clone src.raw" vsh vol-create-from p "$mv_tmp/copy.xml" src.raw --inputpool p
vsh pool-info p
expect_match "pool p re-adopted after the clone" '^State:[[:space:]]+running' "$out"
vsh pool-refresh p
vsh vol-list p
if [ -e "$P/copy.raw" ]; then
    cmp -s "$P/src.raw" "$P/copy.raw" || expect_fail "copy.raw exists but differs from src.raw (half written?)"
    expect_match "copy.raw listed" 'copy\.raw' "$out"
    diag "copy.raw is complete"
else
    expect_nomatch "copy.raw absent: not listed" 'copy\.raw' "$out"
    diag "copy.raw is absent"
fi
expect_eq "pool files after the clone restart" "$(pool_files | grep -c .)" "$(printf '%s\n' "$out" | grep -c '\.\(qcow2\|raw\)')"
vsh vol-delete copy.raw --pool p
vsh vol-delete src.raw --pool p
verdict "kill -9 during vol-clone: the clone is complete (identical) or absent, no temp file"

# 4. kill -9 during a vol-upload of 256 MiB of data into a volume of zeros
vol_xml up.raw $((256 << 20)) raw >"$mv_tmp/up.xml"
vsh vol-create p "$mv_tmp/up.xml"
expect_eq "vol-create up.raw" 0 "$rc"
head -c $((256 << 20)) /dev/urandom >"$mv_tmp/up.in"
truncate -s $((256 << 20)) "$mv_tmp/zeros"
# in the middle: data has reached the pool (the volume or a temp file)
up_busy() { [ "$(du -s -B1 "$P" | cut -f1)" -gt $((1 << 20)) ]; }
before=$(pool_files)
( vsh vol-upload up.raw "$mv_tmp/up.in" --pool p; run_evidence >"$mv_tmp/k9.rc" ) &
cpid=$!
if wait_for 20 up_busy; then
    kill -9 "$MV_PID"
    wait_exit "$MV_PID" 10 || expect_fail "storaged (pid $MV_PID) did not die on kill -9"
    diag "vol-upload: storaged killed in the middle (pool holds $(du -s --block-size=1M "$P" | cut -f1) MiB)"
else
    diag "vol-upload: no data reached the pool within 20 s: $(cat "$mv_tmp/k9.rc" 2>/dev/null)"
    expect_fail "vol-upload did not start"
fi
wait_exit "$cpid" 30
daemon_alive || start_daemon
vsh pool-refresh p
if [ -e "$P/up.raw" ]; then
    if cmp -s "$P/up.raw" "$mv_tmp/up.in"; then diag "up.raw holds the whole upload"
    elif cmp -s "$P/up.raw" "$mv_tmp/zeros"; then diag "up.raw is as before the upload"
    else expect_fail "up.raw is neither its old content nor the upload: half written"; fi
else
    diag "up.raw is absent"
fi
expect_eq "pool files after the upload restart" "$before" "$(pool_files)"
vsh vol-delete up.raw --pool p
rm -f "$mv_tmp/up.in" "$mv_tmp/zeros"
verdict "kill -9 during vol-upload: the volume is the upload, as before or absent, never half of it"

# ---- bad input: each refused, nothing created ----
# refused WHAT ERE CMD...: CMD fails, its error matches ERE, the pool
# directory is unchanged
refused() {
    local what=$1 ere=$2 before
    shift 2
    before=$(pool_files)
    "$@"
    [ "$rc" -ne 0 ] || expect_fail "$what: accepted: $(run_evidence)"
    expect_match "$what: error" "$ere" "$err"
    expect_eq "$what: pool files" "$before" "$(pool_files)"
}

long=$(printf 'x%.0s' $(seq 256))
st_vol_bad() { st_vol p "$1" $((1 << 20)) raw; }
refused "name with '/'" "XML error: invalid volume name 'a/b': names must not contain '/' in storage pool 'p'\$" \
    st_vol_bad 'a/b'
refused "name '..'" "XML error: invalid volume name '\.\.': names must not be '\.' or '\.\.' in storage pool 'p'\$" \
    st_vol_bad '..'
refused "name of 256 bytes" \
    "XML error: invalid volume name '${long:0:64}\.\.\.': names must be at most 255 bytes long in storage pool 'p'\$" \
    st_vol_bad "$long"
vsh vol-list p
expect_eq "no volume listed after the bad names" "" "$(printf '%s\n' "$out" | sed -n '3,$p' | sed '/^$/d')"
verdict "volume names with '/', '..' or over 255 bytes are refused; nothing created"

vol_xml sh.qcow2 $((1 << 20)) qcow2 "
  <backingStore><path>/etc/shadow</path><format type='raw'/></backingStore>" >"$mv_tmp/sh.xml"
refused "backing file /etc/shadow" \
    "volume 'sh\.qcow2': backing store '/etc/shadow' is not in any active storage pool" vsh vol-create p "$mv_tmp/sh.xml"
expect_nomatch "backing /etc/shadow: no permission to... (the message names no content)" 'root:' "$err"
verdict "a backing file outside any pool (/etc/shadow) is refused; nothing created"

vol_xml of.raw 18446744073709551616 raw >"$mv_tmp/of1.xml"
refused "capacity 2^64 bytes" \
    "XML error: <capacity> size overflows: '18446744073709551616' bytes is more than 2\\^64 - 1 bytes in storage pool 'p' volume 'of\.raw'" \
    vsh vol-create p "$mv_tmp/of1.xml"
printf "<volume><name>of.raw</name><capacity unit='EiB'>20</capacity><target><format type='raw'/></target></volume>\n" >"$mv_tmp/of2.xml"
refused "capacity 20 EiB" \
    "XML error: <capacity> size overflows: '20' EiB is more than 2\\^64 - 1 bytes in storage pool 'p' volume 'of\.raw'" \
    vsh vol-create p "$mv_tmp/of2.xml"
vol_xml sm.raw $((1 << 20)) raw >"$mv_tmp/sm.xml"
vsh vol-create p "$mv_tmp/sm.xml"
expect_eq "sm.raw created" 0 "$rc"
# 15 EiB fits virsh's 64 bits (so storaged sees it) but not a file's off_t
refused "vol-resize to 15 EiB" "sm\.raw" vsh vol-resize sm.raw 15E --pool p
refused "vol-resize by 2^64 - 1 more" "volume 'sm\.raw': growing 1048576 bytes by 18446744073709551615 overflows" \
    vsh vol-resize sm.raw 18446744073709551615 --delta --pool p
vol_xml of.raw 9223372036854775808 raw >"$mv_tmp/of3.xml"
refused "capacity 2^63 bytes (over off_t)" "of\.raw|capacity|overflow|too (big|large)" vsh vol-create p "$mv_tmp/of3.xml"
expect_eq "sm.raw size unchanged" $((1 << 20)) "$(stat -c %s "$P/sm.raw")"
verdict "sizes that overflow are refused; nothing created or changed"

# a pool whose target is inside pool p's
pool_xml dir inner "$P/inner" >"$mv_tmp/inner.xml"
vsh pool-define "$mv_tmp/inner.xml"
if [ "$rc" -eq 0 ]; then
    # refused at build/start instead of define: equally fine, if nothing is made
    vsh pool-build inner
    b_rc=$rc b_err=$err
    vsh pool-start inner
    [ "$b_rc" -ne 0 ] && [ "$rc" -ne 0 ] || expect_fail "pool inner inside p's target was built or started: build rc=$b_rc, start: $(run_evidence)"
    expect_match "pool inside another: error names both" "inner.*'p'|'p'.*inner|$P" "$b_err $err"
    vsh pool-undefine inner
else
    expect_match "pool inside another: error names both" \
        "storage pool 'inner': target '$P/inner' is inside the target '$P' of storage pool 'p'" "$err"
fi
[ -e "$P/inner" ] && expect_fail "$P/inner was created"
vsh pool-list --name
expect_nomatch "inner is not running" '^inner$' "$out"
verdict "a pool target inside another pool's target is refused; nothing created"

# an fs pool whose source is neither a block device nor an image file
mkdir -p "$mv_tmp/fsmnt"
pool_xml fs notblock "$mv_tmp/fsmnt" "<device path='/dev/null'/><format type='ext4'/>" >"$mv_tmp/nb.xml"
vsh pool-define "$mv_tmp/nb.xml"
expect_eq "pool-define notblock" 0 "$rc"
vsh pool-start notblock
expect_eq "pool-start notblock rc" 1 "$rc"
expect_match "pool-start notblock error" "pool 'notblock': source '/dev/null' is not a block device or image file" "$err"
mkdir -p "$mv_tmp/fsmnt2"
pool_xml fs notblock2 "$mv_tmp/fsmnt2" "<device path='/etc'/><format type='ext4'/>" >"$mv_tmp/nb2.xml"
vsh pool-define "$mv_tmp/nb2.xml"
expect_eq "pool-define notblock2" 0 "$rc"
vsh pool-build notblock2 --overwrite
expect_eq "pool-build notblock2 (a directory) rc" 1 "$rc"
expect_match "pool-build notblock2 error" "pool 'notblock2': source '/etc' is not a block device or image file" "$err"
mountpoint -q "$mv_tmp/fsmnt" && expect_fail "$mv_tmp/fsmnt got mounted"
mountpoint -q "$mv_tmp/fsmnt2" && expect_fail "$mv_tmp/fsmnt2 got mounted"
vsh pool-undefine notblock
vsh pool-undefine notblock2
verdict "an fs pool whose source is not a block device or image is refused at start and build; nothing mounted"

# an upload bigger than its volume
head -c $((1 << 20)) /dev/urandom >"$P/sm.raw"
sum=$(md5sum <"$P/sm.raw")
head -c $((2 << 20)) /dev/urandom >"$mv_tmp/big.in"
for flag in "" --sparse; do
    vsh vol-upload sm.raw "$mv_tmp/big.in" --pool p $flag
    expect_eq "vol-upload $flag of 2 MiB into 1 MiB rc" 1 "$rc"
    expect_match "vol-upload $flag too big: error" \
        "cannot upload to volume 'sm\.raw' of pool 'p': the data goes past the volume's capacity of 1048576 bytes \(at offset [0-9]+\); the volume is unchanged" \
        "$err"
    expect_eq "sm.raw unchanged after vol-upload $flag" "$sum" "$(md5sum <"$P/sm.raw")"
done
expect_daemon_alive
verdict "an upload bigger than its volume is refused; the volume is unchanged"

# nothing else is left behind
vsh vol-delete sm.raw --pool p
expect_eq "the pool is empty" "" "$(pool_files)"
verdict "no stray files in the pool"
mv_done
