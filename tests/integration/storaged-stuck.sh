#!/bin/bash
# One stuck pool stalls nothing else: a dir pool on a FUSE filesystem
# (fuse-overlayfs, a passthrough of a plain directory) whose server this
# script SIGSTOPs, next to a dir pool on a plain directory.  While the FUSE
# server is stopped, calls that touch the stuck pool's files (refresh,
# vol-create) fail with a timeout error naming that pool, and everything
# else (the other pool's vol-create, vol-list and pool-info, pool-list,
# calls from other clients: virsh and python3-libvirt, read-write and
# read-only) answers within the bound this script allows normal calls.
# After SIGCONT the stuck pool works again.
#
# "Answers within the bound" is an event with a deadline, not a timing
# assertion: each normal call runs under timeout(1) with $NORMAL_S s, which
# only a call that waits for the stuck pool (pool_timeout, $STUCK_S s, and
# forever for the stopped server) can exceed on a loaded machine.
#
# Everything runs in a private mount namespace (storaged.sh's
# st_private_ns); the FUSE mount is continued and unmounted at exit even
# when a case fails.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/storaged.sh"
st_private_ns "$@"

MV_NEEDS="fuse-overlayfs fusermount3 mountpoint qemu-img"
[ -c /dev/fuse ] || { echo "1..0 # SKIP no /dev/fuse"; exit 0; }
mv_init 8

STUCK_S=3       # storaged's pool_timeout here
NORMAL_S=5      # what a call that has no reason to wait may take at most
use_storaged
st_config "pool_timeout = $STUCK_S" "job_wait_timeout = $STUCK_S"
st_start

# ---- the FUSE filesystem ----
F=$mv_tmp/fuse
mkdir -p "$F/lower" "$F/upper" "$F/work" "$F/mnt" "$mv_tmp/plain"
fuse-overlayfs -f -o "lowerdir=$F/lower,upperdir=$F/upper,workdir=$F/work" "$F/mnt" \
    >"$mv_tmp/fuse.log" 2>&1 &
FUSE_PID=$!
# at exit, before the temp dir goes: the server continued (else anything
# touching the mount hangs), the mount gone, the server stopped
at_exit "kill -CONT $FUSE_PID; fusermount3 -u '$F/mnt' || umount -l '$F/mnt'; kill $FUSE_PID"
wait_for 10 mountpoint -q "$F/mnt" ||
    { echo "Bail out! fuse-overlayfs did not mount $F/mnt"; sed 's/^/# /' "$mv_tmp/fuse.log"; exit 1; }

# 1. both pools run
st_pool stuck dir "$F/mnt/pool"
st_pool fast dir "$mv_tmp/plain/pool"
st_vol stuck before.qcow2 $((64 << 20)) qcow2
expect_eq "vol-create on the FUSE pool before the stop" 0 "$rc"
st_vol fast a.qcow2 $((64 << 20)) qcow2
expect_eq "vol-create on the plain pool" 0 "$rc"
verdict "a dir pool on a FUSE mount and one on a plain directory, each with a volume"

# the python3-libvirt client connects before the stop, so that its calls
# afterwards are those of a client that was there all along
PYIN=$mv_tmp/py.in
mkfifo "$PYIN"
MV_CLIENT_TIMEOUT=120 isolated env PYTHONPATH="$MV_HELPERS" PYTHONDONTWRITEBYTECODE=1 "$MV_PY" -u -c '
import sys, time, libvirt
from mvlibvirt import out, exc
conn = libvirt.open(sys.argv[1])
out("CONNECTED", 1)
for line in sys.stdin:          # one round of calls per line
    n = line.strip()
    t = time.monotonic()
    try:
        names = sorted(p.name() for p in conn.listAllStoragePools())
        fast = conn.storagePoolLookupByName("fast")
        info = fast.info()
        vols = sorted(v.name() for v in fast.listAllVolumes())
        fast.createXML("<volume><name>py%s.raw</name><capacity>1048576</capacity>"
                       "<target><format type=\"raw\"/></target></volume>" % n, 0)
        out("ROUND%s" % n, "pools=%s state=%d vols=%s" % (",".join(names), info[0], ",".join(vols)))
    except libvirt.libvirtError as e:
        out("ROUND%s" % n, exc(e))
    out("ROUND%s_S" % n, "%.3f" % (time.monotonic() - t))
' "$MV_URI" <"$PYIN" >"$mv_tmp/py.out" 2>&1 &
PY_PID=$!
kill_at_exit $PY_PID
exec 7>"$PYIN"                  # the script holds the write end
wait_for 10 grep -q '^CONNECTED=1' "$mv_tmp/py.out" || expect_fail "python3-libvirt did not connect: $(cat "$mv_tmp/py.out")"
echo 0 >&7
wait_for $NORMAL_S grep -q '^ROUND0=' "$mv_tmp/py.out"
expect_match "python round before the stop" '^ROUND0=pools=fast,stuck state=2 vols=a.qcow2$' "$(grep '^ROUND0=' "$mv_tmp/py.out")"
verdict "a python3-libvirt client lists pools, reads info and volumes and creates one"

# ---- the stop ----
kill -STOP "$FUSE_PID"

# 2. a refresh of the stuck pool, left hanging in the background while the
# other calls run: it must still be waiting when they have all answered
( MV_CLIENT_TIMEOUT=60 vsh pool-refresh stuck; printf '%s\n%s\n%s\n' "$rc" "$out" "$err" >"$mv_tmp/stuck-refresh" ) &
STUCK_CALL=$!
kill_at_exit $STUCK_CALL
# the refresh has reached storaged once its thread hangs on the FUSE mount:
# a storaged thread in a FUSE request (wchan fuse_*/request_wait_answer)
stuck_thread() { grep -lqs 'fuse\|request_wait_answer' /proc/$MV_PID/task/*/wchan; }
wait_for 10 stuck_thread || diag "no storaged thread is seen waiting on FUSE (wchan); going on"

# normal calls, each bounded by NORMAL_S (timeout(1): rc 124 if not)
normal() {
    local t0 t1
    t0=$(date +%s.%N)
    MV_CLIENT_TIMEOUT=$NORMAL_S "$@"
    t1=$(date +%s.%N)
    [ "$rc" -eq 124 ] && expect_fail "'${*:2}' did not answer within $NORMAL_S s while pool stuck hangs"
    diag "$(awk -v c="${*:2}" -v a="$t0" -v b="$t1" 'BEGIN { printf "%-40s %.3f s", c, b - a }')"
}
# virsh pads --name output with blanks: the names alone, sorted
names() { printf '%s\n' "$out" | sed 's/[[:space:]]*$//; /^$/d' | sort | tr '\n' ' '; }
rovsh() { run isolated virsh -c "$MV_URI_RO" "$@"; }
normal vsh pool-list --all --name
expect_eq "pool-list while stuck" "fast stuck " "$(names)"
normal vsh pool-info fast
expect_match "pool-info fast" '^State:[[:space:]]+running' "$out"
MV_CLIENT_TIMEOUT=$NORMAL_S st_vol fast b.qcow2 $((64 << 20)) qcow2
expect_eq "vol-create on the plain pool while stuck" 0 "$rc"
normal vsh vol-list fast
expect_match "vol-list fast sees b.qcow2" 'b\.qcow2' "$out"
normal vsh vol-info b.qcow2 --pool fast
expect_match "vol-info b.qcow2" '^Type:[[:space:]]+file' "$out"
normal rovsh pool-list --all --name
expect_eq "read-only pool-list while stuck" "fast stuck " "$(names)"
normal vsh pool-dumpxml stuck
expect_match "pool-dumpxml of the stuck pool (its published definition)" "<name>stuck</name>" "$out"
echo 1 >&7
if wait_for $NORMAL_S grep -q '^ROUND1_S=' "$mv_tmp/py.out"; then
    expect_match "python round while stuck" '^ROUND1=pools=fast,stuck state=2 vols=a.qcow2,b.qcow2,py0.raw$' \
        "$(grep '^ROUND1=' "$mv_tmp/py.out")"
else
    expect_fail "the python3-libvirt client's round did not answer within $NORMAL_S s: $(cat "$mv_tmp/py.out")"
fi
[ -e "$mv_tmp/stuck-refresh" ] &&
    expect_fail "the stuck pool's refresh answered before the normal calls were done: $(cat "$mv_tmp/stuck-refresh")"
verdict "while pool stuck hangs: the other pool, list calls and other clients answer within $NORMAL_S s"

# 3. the hanging refresh fails with a timeout naming the pool
if wait_for $((STUCK_S + 20)) test -s "$mv_tmp/stuck-refresh"; then
    { read -r s_rc; s_out=$(cat); } <"$mv_tmp/stuck-refresh"
    expect_eq "pool-refresh stuck rc" 1 "$s_rc"
    expect_match "pool-refresh stuck error" "[Tt]imed out.*storage pool 'stuck'|storage pool 'stuck'.*(did not answer|busy)" "$s_out"
    diag "pool-refresh stuck: $(printf '%s' "$s_out" | grep error: | tail -n 1)"
else
    expect_fail "pool-refresh stuck did not fail within $((STUCK_S + 20)) s"
fi
expect_daemon_alive
verdict "pool-refresh on the stuck pool fails with a timeout naming it"

# 4. more calls on the stuck pool fail the same way, each within its own
# deadline, and leave no volume behind
MV_CLIENT_TIMEOUT=$((STUCK_S + 20)) st_vol stuck during.qcow2 $((64 << 20)) qcow2
expect_eq "vol-create on the stuck pool rc" 1 "$rc"
expect_match "vol-create on the stuck pool error" "storage pool 'stuck'.*(did not answer|busy)" "$err"
diag "vol-create on stuck: $(printf '%s' "$err" | tail -n 1)"
MV_CLIENT_TIMEOUT=$((STUCK_S + 20)) vsh pool-info stuck
# pool-info reads the pool's published sizes; if it asks the filesystem it
# must time out like the rest
[ "$rc" -eq 0 ] || expect_match "pool-info stuck error" "storage pool 'stuck'.*(did not answer|busy)" "$err"
diag "pool-info stuck: rc=$rc $(printf '%s' "$out$err" | tail -n 1)"
normal vsh vol-list fast
expect_match "vol-list fast still answers" 'b\.qcow2' "$out"
verdict "vol-create (and pool-info, if it asks the filesystem) on the stuck pool time out naming it; the other pool still answers"

# ---- the continue ----
kill -CONT "$FUSE_PID"

# 5. the stuck pool recovers: the hung work finishes and later calls work
refresh_ok() { MV_CLIENT_TIMEOUT=$NORMAL_S vsh pool-refresh stuck; [ "$rc" -eq 0 ]; }
wait_for 20 refresh_ok || expect_fail "pool-refresh stuck after SIGCONT: $(run_evidence)"
st_vol stuck after.qcow2 $((64 << 20)) qcow2
expect_eq "vol-create on the recovered pool" 0 "$rc"
vsh vol-list stuck
expect_match "vol-list stuck has after.qcow2" 'after\.qcow2' "$out"
expect_nomatch "vol-list stuck has no during.qcow2" 'during\.qcow2' "$out"
run qemu-img check "$F/mnt/pool/after.qcow2"
expect_eq "qemu-img check after.qcow2" 0 "$rc"
verdict "after SIGCONT the stuck pool refreshes and creates volumes again"

# 6. everything ends cleanly: the python client, the daemon on TERM
exec 7>&-
wait_exit $PY_PID 10 || expect_fail "the python3-libvirt client did not exit"
vsh pool-destroy stuck
expect_eq "pool-destroy stuck" 0 "$rc"
stop_pid "$MV_PID" 10
expect_eq "storaged exit on TERM" 0 "$stop_status"
verdict "the python client and storaged exit cleanly"

# 7. the mount goes
fusermount3 -u "$F/mnt"
expect_eq "fusermount3 -u" 0 "$?"
verdict "the FUSE mount unmounts"
mv_done
