#!/bin/bash
# Volume upload and download through modvirt-storaged (wire-protocol.md
# 7.2-7.4), with Debian's virsh and python3-libvirt: a mostly empty 4 GiB
# raw image round-trips byte-identical and stays sparse, with and without
# --sparse; 256 MiB of dense random data round-trips; an upload bigger than
# its volume is refused and the volume is unchanged; storaged killed with -9
# in the middle of an upload leaves the old volume (never a partial one), and
# the next upload completes; python3-libvirt's sendAll/recvAll and
# sparseSendAll/sparseRecvAll work.  Each transfer's time is printed next to
# `cp --sparse=always` of the same file on the same disk.
#
# The pool lives in the script's temp dir; the daemon runs with --root
# there, so nothing of the host's is touched.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/storaged.sh"

MV_DAEMON=$top_builddir/storaged/modvirt-storaged
MV_NEEDS="qemu-img cmp dd"
mv_init 9

use_storaged
P1=$mv_tmp/pools/p1
GiB=$((1024 * 1024 * 1024))
MiB=$((1024 * 1024))
# transfers of GiBs on a loaded machine
MV_CLIENT_TIMEOUT=300

# seconds each transfer took (set by timed)
t_cp='' t_cpd='' t_up='' t_down=''
# the temp files of uploads in the pool (vol_file.h: ".NAME.mvtmp.XXXXXX")
temps() { find "$P1" -maxdepth 1 -name '.*.mvtmp.*' -printf '%f\n'; }
# allocated bytes of FILE (blocks * 512)
allocated() { echo $(( $(stat -c %b "$1") * 512 )); }
sum() { md5sum <"$1" | cut -d' ' -f1; }
# timed VAR CMD...: run (out, err, rc) and the seconds it took in VAR
timed() {
    local var=$1 t0 t1
    shift
    t0=$(date +%s.%N)
    "$@"
    t1=$(date +%s.%N)
    printf -v "$var" '%.2f' "$(echo "$t1 - $t0" | bc)"
}
# expect_same WHAT A B: byte-identical files
expect_same() {
    cmp -s "$2" "$3" || expect_fail "$1: $2 and $3 differ: $(cmp "$2" "$3" 2>&1 | head -n 1)"
}
# expect_sparse WHAT FILE MAX: FILE allocates at most MAX bytes
expect_sparse() {
    local a
    a=$(allocated "$2")
    [ "$a" -le "$3" ] || expect_fail "$1: $2 allocates $a bytes, more than $3"
}

# A mostly empty 4 GiB image: 8 MiB of random data in 1 MiB pieces at
# scattered offsets (one unaligned, one at the very end).
make_sparse_image() {
    local f=$1 off
    truncate -s $((4 * GiB)) "$f"
    for off in 0 17 300 1024 2047 2900 3500 4095; do
        dd if=/dev/urandom of="$f" bs=1M count=1 seek="$off" conv=notrunc status=none
    done
    # an unaligned run of bytes inside an otherwise empty block
    printf 'modvirt' | dd of="$f" bs=1 seek=$((2 * GiB + 12345)) conv=notrunc status=none
}

start_storaged
cat >"$mv_tmp/p1.xml" <<EOF
<pool type='dir'>
  <name>p1</name>
  <target><path>$P1</path></target>
</pool>
EOF
vsh pool-define "$mv_tmp/p1.xml"
vsh pool-build p1
vsh pool-start p1
[ "$rc" -eq 0 ] || { echo "Bail out! pool p1 does not start: $(run_evidence)"; exit 1; }
mkdir -p "$mv_tmp/data"
SRC=$mv_tmp/data/sparse.img
make_sparse_image "$SRC"
timed t_cp cp --sparse=always "$SRC" "$mv_tmp/data/cp.img"
rm -f "$mv_tmp/data/cp.img"
diag "cp --sparse=always of the 4 GiB sparse image: ${t_cp}s"

# 1
vsh vol-create-as p1 big.raw 4G --format raw
timed t_up isolated virsh -c "$MV_URI" vol-upload --sparse big.raw "$SRC" --pool p1 \
    >"$mv_tmp/run.out" 2>"$mv_tmp/run.err"
rc=$?
expect_eq "upload exit status" 0 "$rc"
expect_eq "upload error" "" "$(cat "$mv_tmp/run.err")"
expect_same "uploaded volume" "$SRC" "$P1/big.raw"
expect_sparse "uploaded volume" "$P1/big.raw" $((32 * MiB))
vsh vol-info big.raw --pool p1
expect_match "allocation re-read after the upload" "^Allocation:[[:space:]]+[0-9.]+ MiB$" "$out"
DL=$mv_tmp/data/dl-sparse.img
timed t_down isolated virsh -c "$MV_URI" vol-download --sparse big.raw "$DL" --pool p1 \
    >"$mv_tmp/run.out" 2>"$mv_tmp/run.err"
rc=$?
expect_eq "download exit status" 0 "$rc"
expect_eq "download error" "" "$(cat "$mv_tmp/run.err")"
expect_same "downloaded file" "$SRC" "$DL"
expect_sparse "downloaded file" "$DL" $((32 * MiB))
diag "4 GiB sparse image, --sparse: upload ${t_up}s, download ${t_down}s (cp --sparse=always ${t_cp}s)"
verdict "vol-upload --sparse / vol-download --sparse: a 4 GiB sparse image round-trips byte-identical and stays sparse"
rm -f "$DL"

# 2
vsh vol-create-as p1 big2.raw 4G --format raw
timed t_up isolated virsh -c "$MV_URI" vol-upload big2.raw "$SRC" --pool p1 \
    >"$mv_tmp/run.out" 2>"$mv_tmp/run.err"
rc=$?
expect_eq "upload exit status" 0 "$rc"
expect_same "uploaded volume" "$SRC" "$P1/big2.raw"
# zeros sent as data still land as holes
expect_sparse "uploaded volume" "$P1/big2.raw" $((32 * MiB))
DL=$mv_tmp/data/dl-dense.img
timed t_down isolated virsh -c "$MV_URI" vol-download big2.raw "$DL" --pool p1 \
    >"$mv_tmp/run.out" 2>"$mv_tmp/run.err"
rc=$?
expect_eq "download exit status" 0 "$rc"
expect_same "downloaded file" "$SRC" "$DL"
diag "4 GiB sparse image, no --sparse: upload ${t_up}s, download ${t_down}s (cp --sparse=always ${t_cp}s)"
verdict "vol-upload / vol-download without --sparse: byte-identical, and the uploaded volume is still sparse"
rm -f "$DL"
vsh vol-delete big2.raw --pool p1

# 3
DENSE=$mv_tmp/data/dense.img
dd if=/dev/urandom of="$DENSE" bs=1M count=256 status=none
timed t_cpd cp --sparse=always "$DENSE" "$mv_tmp/data/cp.img"
rm -f "$mv_tmp/data/cp.img"
vsh vol-create-as p1 dense.raw 256M --format raw
timed t_up isolated virsh -c "$MV_URI" vol-upload dense.raw "$DENSE" --pool p1 \
    >"$mv_tmp/run.out" 2>"$mv_tmp/run.err"
rc=$?
expect_eq "upload exit status" 0 "$rc"
expect_same "uploaded volume" "$DENSE" "$P1/dense.raw"
DL=$mv_tmp/data/dl-dense.img
timed t_down isolated virsh -c "$MV_URI" vol-download --sparse dense.raw "$DL" --pool p1 \
    >"$mv_tmp/run.out" 2>"$mv_tmp/run.err"
rc=$?
expect_eq "download exit status" 0 "$rc"
expect_same "downloaded file" "$DENSE" "$DL"
diag "256 MiB dense: upload ${t_up}s, download ${t_down}s (cp --sparse=always ${t_cpd}s)"
verdict "256 MiB of dense random data round-trips byte-identical"
rm -f "$DL"

# 4
vsh vol-create-as p1 small.raw 1M --format raw
dd if=/dev/urandom of="$P1/small.raw" bs=64k count=16 conv=notrunc status=none
before=$(sum "$P1/small.raw")
dd if=/dev/urandom of="$mv_tmp/data/2M.img" bs=1M count=2 status=none
vsh vol-upload small.raw "$mv_tmp/data/2M.img" --pool p1
expect_eq "too much data: exit status" 1 "$rc"
expect_match "too much data: message" "goes past the volume's capacity of 1048576 bytes" "$err"
expect_eq "volume unchanged" "$before" "$(sum "$P1/small.raw")"
vsh vol-upload --sparse small.raw "$mv_tmp/data/2M.img" --pool p1
expect_eq "too much data, sparse: exit status" 1 "$rc"
expect_eq "volume unchanged (sparse)" "$before" "$(sum "$P1/small.raw")"
vsh vol-upload small.raw "$mv_tmp/data/2M.img" --pool p1 --offset 524288 --length 1048576
expect_eq "range past the end: exit status" 1 "$rc"
expect_match "range past the end: message" "cannot upload 1048576 bytes at offset 524288 to volume 'small.raw' of pool 'p1': its capacity is 1048576 bytes" "$err"
expect_eq "volume unchanged (range)" "$before" "$(sum "$P1/small.raw")"
# a part in the middle: the rest keeps its content
head -c 65536 "$mv_tmp/data/2M.img" >"$mv_tmp/data/64k.img"
cp "$P1/small.raw" "$mv_tmp/data/expect.img"
dd if="$mv_tmp/data/64k.img" of="$mv_tmp/data/expect.img" bs=64k seek=4 conv=notrunc status=none
vsh vol-upload small.raw "$mv_tmp/data/64k.img" --pool p1 --offset 262144 --length 65536
expect_eq "partial upload: exit status" 0 "$rc"
expect_same "partial upload" "$mv_tmp/data/expect.img" "$P1/small.raw"
expect_eq "no temp file left" "" "$(temps)"
verdict "an upload bigger than the volume is refused and the volume is unchanged; a partial upload keeps the rest"

# 5: kill -9 in the middle of an upload
vsh vol-create-as p1 crash.raw 256M --format raw
dd if=/dev/urandom of="$P1/crash.raw" bs=1M count=8 conv=notrunc status=none
before=$(sum "$P1/crash.raw")
mkfifo "$mv_tmp/hold"
cat >"$mv_tmp/crash.py" <<'EOF'
import sys, os, libvirt
c = libvirt.open(sys.argv[1])
v = c.storagePoolLookupByName("p1").storageVolLookupByName("crash.raw")
st = c.newStream(0)
v.upload(st, 0, 0, 0)
chunk = os.urandom(1 << 20)
for i in range(64):
    st.send(chunk)
print("sent", flush=True)
# holds the stream open (unfinished) until the shell closes the fifo
sys.stdin.read()
EOF
isolated env PYTHONPATH="$MV_HELPERS" "$MV_PY" "$mv_tmp/crash.py" "$MV_URI" <"$mv_tmp/hold" >"$mv_tmp/crash.out" 2>&1 &
uploader=$!
kill_at_exit $uploader
exec 7>"$mv_tmp/hold"
at_exit "exec 7>&-"
# mid-upload: the client sent 64 MiB and the temp file has taken data
for ((i = 0; i < 600; i++)); do
    tmpf=$(temps | grep -F '.crash.raw.mvtmp.' | head -n 1)
    grep -q sent "$mv_tmp/crash.out" && [ -n "$tmpf" ] && [ "$(allocated "$P1/$tmpf")" -gt $((16 * MiB)) ] && break
    sleep 0.1
done
expect_match "client sent its data" "sent" "$(cat "$mv_tmp/crash.out")"
expect_match "temp file being written" "mvtmp" "$tmpf"
kill -9 "$MV_PID"
wait_exit "$MV_PID" 10
exec 7>&-
start_storaged
expect_eq "the old volume, whole" "$before" "$(sum "$P1/crash.raw")"
vsh pool-refresh p1
vsh vol-list p1
expect_nomatch "no temp file listed" "mvtmp" "$out"
expect_eq "temp file removed by the refresh" "" "$(temps)"
dd if=/dev/urandom of="$mv_tmp/data/crash-new.img" bs=1M count=256 status=none
vsh vol-upload crash.raw "$mv_tmp/data/crash-new.img" --pool p1
expect_eq "next upload: exit status" 0 "$rc"
expect_same "next upload complete" "$mv_tmp/data/crash-new.img" "$P1/crash.raw"
verdict "storaged killed with -9 mid-upload: the volume is the old one, never partial; the next upload completes"
wait "$uploader" 2>/dev/null

# 6: python3-libvirt's stream API
py - "$MV_URI" "$SRC" "$DENSE" "$mv_tmp/data" <<'EOF'
import sys, os, libvirt
from mvlibvirt import step
uri, sparse_src, dense_src, d = sys.argv[1:5]
c = libvirt.open(uri)
p = c.storagePoolLookupByName("p1")

def send_all(volname, path):
    v = p.storageVolLookupByName(volname)
    st = c.newStream(0)
    v.upload(st, 0, 0, 0)
    with open(path, "rb") as f:
        st.sendAll(lambda s, n, fh: fh.read(n), f)
    st.finish()
    return "ok"

def recv_all(volname, path):
    v = p.storageVolLookupByName(volname)
    st = c.newStream(0)
    v.download(st, 0, 0, 0)
    with open(path, "wb") as f:
        st.recvAll(lambda s, buf, fh: fh.write(buf), f)
    st.finish()
    return "ok"

def sparse_send(volname, path):
    v = p.storageVolLookupByName(volname)
    st = c.newStream(0)
    v.upload(st, 0, 0, libvirt.VIR_STORAGE_VOL_UPLOAD_SPARSE_STREAM)
    fd = os.open(path, os.O_RDONLY)
    def data(s, n, fd):
        return os.read(fd, n)
    def hole(s, fd):
        cur = os.lseek(fd, 0, os.SEEK_CUR)
        try:
            nxt = os.lseek(fd, cur, os.SEEK_DATA)
            in_data = nxt == cur
        except OSError:
            end = os.lseek(fd, 0, os.SEEK_END)
            os.lseek(fd, cur, os.SEEK_SET)
            return (False, end - cur)
        if in_data:
            nxt = os.lseek(fd, cur, os.SEEK_HOLE)
        os.lseek(fd, cur, os.SEEK_SET)
        return (in_data, nxt - cur)
    def skip(s, length, fd):
        os.lseek(fd, length, os.SEEK_CUR)
        return 0
    st.sparseSendAll(data, hole, skip, fd)
    st.finish()
    os.close(fd)
    return "ok"

def sparse_recv(volname, path):
    v = p.storageVolLookupByName(volname)
    st = c.newStream(0)
    v.download(st, 0, 0, libvirt.VIR_STORAGE_VOL_DOWNLOAD_SPARSE_STREAM)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    holes = [0]
    def data(s, buf, fd):
        return os.write(fd, buf)
    def hole(s, length, fd):
        holes[0] += 1
        cur = os.lseek(fd, length, os.SEEK_CUR)
        os.ftruncate(fd, cur)
    st.sparseRecvAll(data, hole, fd)
    st.finish()
    os.close(fd)
    return holes[0]

step("send_all", lambda: send_all("dense.raw", dense_src))
step("recv_all", lambda: recv_all("dense.raw", d + "/py-dense.img"))
step("sparse_send", lambda: sparse_send("big.raw", sparse_src))
step("sparse_recv", lambda: sparse_recv("big.raw", d + "/py-sparse.img"))
EOF
expect_eq "sendAll" ok "$(kv send_all)"
expect_eq "recvAll" ok "$(kv recv_all)"
expect_eq "sparseSendAll" ok "$(kv sparse_send)"
expect_match "sparseRecvAll saw holes" "^[1-9][0-9]*$" "$(kv sparse_recv)"
expect_same "sendAll upload" "$DENSE" "$P1/dense.raw"
expect_same "recvAll download" "$DENSE" "$mv_tmp/data/py-dense.img"
expect_same "sparseSendAll upload" "$SRC" "$P1/big.raw"
expect_sparse "sparseSendAll upload" "$P1/big.raw" $((32 * MiB))
expect_same "sparseRecvAll download" "$SRC" "$mv_tmp/data/py-sparse.img"
expect_sparse "sparseRecvAll download" "$mv_tmp/data/py-sparse.img" $((32 * MiB))
verdict "python3-libvirt: sendAll/recvAll and sparseSendAll/sparseRecvAll"
rm -f "$mv_tmp/data/py-"*.img

# 7: a hole on a stream opened without the sparse flag ends the connection
py - "$MV_URI" <<'EOF'
import sys, libvirt
from mvlibvirt import step, error_of
c = libvirt.open(sys.argv[1])
v = c.storagePoolLookupByName("p1").storageVolLookupByName("small.raw")
st = c.newStream(0)
v.upload(st, 0, 0, 0)
step("hole", lambda: error_of(lambda: st.sendHole(4096, 0)))
EOF
expect_match "refused" "EXC" "$(kv hole)"
expect_daemon_alive
vsh vol-list p1
expect_eq "daemon still serves" 0 "$rc"
verdict "a hole on a non-sparse upload is refused; storaged keeps serving"

# 8: the read-only socket moves no volume data (libvirt: both need a rw connection)
run isolated virsh -c "$MV_URI_RO" vol-upload small.raw "$mv_tmp/data/64k.img" --pool p1
expect_eq "read-only upload: exit status" 1 "$rc"
expect_match "read-only upload: message" "read only access prevents virStorageVolUpload" "$err"
run isolated virsh -c "$MV_URI_RO" vol-download small.raw "$mv_tmp/data/ro.img" --pool p1
expect_eq "read-only download: exit status" 1 "$rc"
expect_match "read-only download: message" "read only access prevents virStorageVolDownload" "$err"
verdict "read-only connections can neither upload nor download"

# 9: an unknown flag is refused
py - "$MV_URI" <<'EOF'
import sys, libvirt
from mvlibvirt import step, error_of
c = libvirt.open(sys.argv[1])
v = c.storagePoolLookupByName("p1").storageVolLookupByName("small.raw")
step("badflag", lambda: error_of(lambda: v.upload(c.newStream(0), 0, 0, 2)))
EOF
expect_match "unsupported flags" "EXC 8 .*unsupported flags \(0x2\)" "$(kv badflag)"
verdict "an upload with an unknown flag is refused"

mv_done
