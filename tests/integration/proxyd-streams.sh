#!/bin/bash
# Streams through modvirt-proxyd, with Debian's virsh and python3-libvirt on
# the proxy's libvirt-sock, modvirt-qemud and modvirt-storaged behind it
# (one --root):
#
#  - a guest's console both ways: what the client types reaches the guest,
#    whose tty echoes it back (and QEMU's serial log shows it);
#  - a 1 GiB sparse image: vol-upload --sparse, then vol-download --sparse,
#    checksums equal and the holes kept at both ends;
#  - a download the client does not read: the proxy stops reading
#    storaged (back-pressure: storaged's data waits in the proxy's socket)
#    instead of buffering the volume, and its memory (VmRSS) stays within a
#    generous bound proportional to its 4 MiB backlogs (no timing
#    asserted); once the client reads, the whole volume arrives intact;
#  - a reader held longer than storaged's keepalive would wait (a short one
#    in its config): the leg survives, the download arrives whole.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

STORAGED=$top_builddir/storaged/modvirt-storaged
MV_NEEDS="qemu-system-x86_64 cmp md5sum ss"
MV_NEEDS_PROXY=yes
MV_VIA_PROXY=0      # the script starts its proxy itself
mv_init 6

MiB=$((1024 * 1024))
GiB=$((1024 * MiB))
# the proxy's backlogs: the server's output to a client and a leg's queue
# (proxyd/README.md), 4 MiB each; the bound allows 8 times both
BACKLOG=$((4 * MiB))
BOUND=$((16 * BACKLOG))
MV_CLIENT_TIMEOUT=300       # GiBs through a proxy on a loaded machine

use_root root
P1=$mv_tmp/pools/p1
# case 6: storaged gives up on a silent peer after KA_INTERVAL x KA_COUNT s
KA_INTERVAL=1
KA_COUNT=2
mkdir -p "$MV_ROOT/etc/modvirt"
printf 'keepalive_interval = %s\nkeepalive_count = %s\n' $KA_INTERVAL $KA_COUNT \
    >"$MV_ROOT/etc/modvirt/modvirt-storaged.conf"
start_daemon
MV_DAEMON=$STORAGED spawn_daemon "$MV_ROOT" "$mv_tmp/storaged.log"
ST_PID=$spawned_pid
wait_ready "$ST_PID" "$MV_READY_S" ||
    { echo "Bail out! modvirt-storaged did not become ready"; sed 's/^/#   /' "$mv_tmp/storaged.log"; exit 1; }
proxy_start "$MV_ROOT"
URI=$(proxy_uri "$MV_ROOT")
mv_log_mark
pvsh() { run isolated virsh -c "$URI" "$@"; }
pvsh_ok() { pvsh "$@"; [ "$rc" -eq 0 ] || { echo "Bail out! virsh $*: $(run_evidence)"; exit 1; }; }
allocated() { echo $(( $(stat -c %b "$1") * 512 )); }
sum() { md5sum <"$1" | cut -d' ' -f1; }
# expect_sparse WHAT FILE MAX: FILE allocates at most MAX bytes
expect_sparse() {
    local a
    a=$(allocated "$2")
    [ "$a" -le "$3" ] || expect_fail "$1: $2 allocates $a bytes, more than $3"
}

pvsh_ok pool-define-as p1 dir --target "$P1"
pvsh_ok pool-build p1
pvsh_ok pool-start p1

# 1: the console, both ways.  The guest is started normally and the
# console opened once it is up; the client types a line and reads until the
# guest's tty has echoed it.
if [ "${MV_SKIP_GUEST_TESTS:-0}" = 1 ]; then
    skip "guest tests ran in the main pass (MV_SKIP_GUEST_TESTS=1)"
elif guest_build 2>"$mv_tmp/guest.err"; then
    guest_domain_xml c1 "$mv_tmp/c1.serial" >"$mv_tmp/c1.xml"
    at_exit "pkill -9 -f -- '$MV_ROOT/run/modvirt/qemu/'"
    pvsh_ok define "$mv_tmp/c1.xml"
    pvsh_ok start c1
    guest_wait_log "$mv_tmp/c1.serial" GUEST-READY 120 2>"$mv_tmp/boot.err" ||
        expect_fail "the guest did not come up: $(cat "$mv_tmp/boot.err")"
    MV_CLIENT_TIMEOUT=120 py - "$URI" <<'EOF'
import sys, time, libvirt
from mvlibvirt import out, step
c = libvirt.open(sys.argv[1])
dom = c.lookupByName("c1")
st = c.newStream(0)
dom.openConsole(None, st, 0)
# blocking: a libvirt client without an event loop reads a non-blocking
# stream's data only when it sends; and one thread: a second one's send
# would wait for the first one's recv (the client passes its socket from
# call to call).  The isolated() timeout bounds the wait for the echo.
TOKEN = b"mvproxy-echo-%d" % time.time_ns()
def typed_and_echoed():
    st.send(TOKEN + b"\r")
    got = b""
    while TOKEN not in got:
        data = st.recv(4096)
        if not isinstance(data, bytes) or not data:
            return "EOF after %r" % got[-200:]
        got += data
    return TOKEN.decode()
step("echo", typed_and_echoed)
step("finish", st.finish)
step("destroy", dom.destroy)
EOF
    token=$(kv echo)
    expect_match "a typed line echoed back through the proxy" '^mvproxy-echo-[0-9]+$' "$token"
    [ "$rc" -eq 0 ] || expect_fail "the client: $(run_evidence)"
    grep -aq -- "$token" "$mv_tmp/c1.serial" 2>/dev/null ||
        expect_fail "QEMU's serial log of c1 does not show '$token' (the echo did not come from the guest)"
    expect_eq "finish()" 0 "$(kv finish)"
    expect_eq "destroy()" 0 "$(kv destroy)"
    verdict "a console stream through the proxy: typed input reaches the guest, its echo comes back"
else
    skip "cannot build the test guest: $(tail -n 1 "$mv_tmp/guest.err")"
fi

# 2: a 1 GiB image, 8 MiB of random data at scattered offsets (one at the
# very end), an unaligned run of bytes in an otherwise empty block
mkdir -p "$mv_tmp/data"
SRC=$mv_tmp/data/sparse.img
truncate -s $GiB "$SRC"
for off in 0 17 300 511 700 1023; do
    dd if=/dev/urandom of="$SRC" bs=1M count=1 seek="$off" conv=notrunc status=none
done
printf 'modvirt' | dd of="$SRC" bs=1 seek=$((GiB / 2 + 12345)) conv=notrunc status=none
pvsh_ok vol-create-as p1 big.raw 1G --format raw
pvsh vol-upload --sparse big.raw "$SRC" --pool p1
expect_eq "exit status" 0 "$rc"
expect_eq "stderr" "" "$err"
expect_eq "checksum of the volume" "$(sum "$SRC")" "$(sum "$P1/big.raw")"
expect_sparse "the uploaded volume" "$P1/big.raw" $((16 * MiB))
expect_daemon_alive
verdict "vol-upload --sparse of a 1 GiB sparse image through the proxy: checksum equal, holes kept"

# 3
DL=$mv_tmp/data/down.img
pvsh vol-download --sparse big.raw "$DL" --pool p1
expect_eq "exit status" 0 "$rc"
expect_eq "stderr" "" "$err"
expect_eq "checksum of the download" "$(sum "$SRC")" "$(sum "$DL")"
cmp -s "$SRC" "$DL" || expect_fail "the download differs: $(cmp "$SRC" "$DL" 2>&1 | head -n 1)"
expect_sparse "the downloaded file" "$DL" $((16 * MiB))
verdict "vol-download --sparse of it through the proxy: checksum equal, holes kept"
rm -f "$DL"

# 4: a download (not sparse: the whole GiB as data) the client does not
# read.  The client has no event loop, so nothing reads its socket while it
# waits on the FIFO; then it reads everything and checks it.
vol_sum=$(sum "$P1/big.raw")
mkfifo "$mv_tmp/hold"
cat >"$mv_tmp/slow.py" <<'EOF'
import hashlib, sys, libvirt
from mvlibvirt import out, step
c = libvirt.open(sys.argv[1])
v = c.storagePoolLookupByName("p1").storageVolLookupByName("big.raw")
st = c.newStream(0)
v.download(st, 0, 0, 0)
out("opened", 1)
sys.stdin.readline()            # unread until the script has looked
h = hashlib.md5()
n = [0]
def take(s, buf, _):
    h.update(buf)
    n[0] += len(buf)
    return len(buf)
step("recv_all", lambda: st.recvAll(take, None))
step("finish", st.finish)
out("bytes", n[0])
out("md5", h.hexdigest())
EOF
proc_kib() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status" 2>/dev/null; }
# unread: the bytes waiting in the proxy's sockets for the proxy to read
# them (the client sends nothing meanwhile: it is storaged's stream data)
unread() {
    ss -x -p -H state established 2>/dev/null |
        awk -v p="pid=$MV_PROXY_PID," 'index($0, p) { q += $2 } END { print q + 0 }'
}
rss0=$(proc_kib "$MV_PROXY_PID" VmRSS)
isolated env PYTHONPATH="$MV_HELPERS" PYTHONDONTWRITEBYTECODE=1 "$MV_PY" "$mv_tmp/slow.py" "$URI" \
    <"$mv_tmp/hold" >"$mv_tmp/slow.out" 2>"$mv_tmp/slow.err" &
slow=$!
kill_at_exit $slow
exec 7>"$mv_tmp/hold"
at_exit "exec 7>&-"
for ((i = 0; i < 600; i++)); do
    grep -q '^opened=1$' "$mv_tmp/slow.out" && break
    kill -0 $slow 2>/dev/null || break
    sleep 0.1
done
expect_eq "download opened" "opened=1" "$(head -n 1 "$mv_tmp/slow.out")"
# Back-pressure is the proxy leaving storaged's data unread in its socket:
# watch until a nonzero amount waits there and does not shrink for 20
# samples in a row (the proxy holds the leg; it only grows by storaged's
# answers to the proxy's keepalive probes), or a minute went by.  The
# proxy's RSS is sampled all along; the verdict rests on its largest
# value, however long the watch took: a proxy that buffers the volume
# grows by the GiB on a slow machine as on a fast one.
max_rss=$rss0
last=0
same=0
for ((i = 0; i < 600 && same < 20; i++)); do
    sleep 0.1
    r=$(proc_kib "$MV_PROXY_PID" VmRSS)
    [ "${r:-0}" -gt "$max_rss" ] && max_rss=$r
    q=$(unread)
    [ "$q" -gt 0 ] && [ "$q" -ge "$last" ] && same=$((same + 1)) || same=0
    last=$q
done
grew=$(( (max_rss - rss0) * 1024 ))
diag "the proxy's RSS grew by $((grew / 1024)) KiB; $last bytes of storaged's data wait unread in its socket"
[ $same -ge 20 ] || expect_fail "the proxy never stopped reading storaged for a client that reads nothing (unread: $last bytes)"
[ $grew -le $BOUND ] || expect_fail "the proxy's RSS grew by $grew bytes (from ${rss0} KiB), more than $BOUND"
verdict "a download the client does not read: the proxy stops reading storaged, its memory stays bounded"

# 5
py_go=ok
echo go >&7 || py_go=failed
wait_exit $slow 300 || expect_fail "the client did not finish reading"
expect_eq "told to read" ok "$py_go"
expect_eq "recvAll" None "$(kv recv_all "$(cat "$mv_tmp/slow.out")")"
expect_eq "finish" 0 "$(kv finish "$(cat "$mv_tmp/slow.out")")"
expect_eq "bytes" $GiB "$(kv bytes "$(cat "$mv_tmp/slow.out")")"
expect_eq "checksum" "$vol_sum" "$(kv md5 "$(cat "$mv_tmp/slow.out")")"
[ -s "$mv_tmp/slow.err" ] && diag "client stderr: $(cat "$mv_tmp/slow.err")"
pvsh vol-list p1
expect_match "the proxy still serves" "big\.raw" "$out"
expect_daemon_alive
kill -0 "$ST_PID" 2>/dev/null || expect_fail "modvirt-storaged (pid $ST_PID) is not running"
verdict "once the client reads, the held download arrives whole and intact"

# 6: a client that stops reading a download for longer than storaged's
# keepalive would wait (KA_INTERVAL x KA_COUNT, set above): the proxy holds
# the leg, storaged's output to it fills and storaged stops reading it.  The
# leg asked no keepalive, and storaged does not count probes a peer it does
# not read cannot answer: the leg lives, the download arrives whole.  The
# hold is measured in storaged's keepalive periods (what is tested is that
# they pass harmlessly), after the proxy was seen holding the leg.
head -c $((64 * MiB)) /dev/urandom >"$mv_tmp/ka.src"
pvsh_ok vol-create-as p1 ka.raw 64M
cp "$mv_tmp/ka.src" "$P1/ka.raw"
mkfifo "$mv_tmp/kahold"
sed 's/"big\.raw"/"ka.raw"/' "$mv_tmp/slow.py" >"$mv_tmp/kaslow.py"
isolated env PYTHONPATH="$MV_HELPERS" PYTHONDONTWRITEBYTECODE=1 "$MV_PY" "$mv_tmp/kaslow.py" "$URI" \
    <"$mv_tmp/kahold" >"$mv_tmp/kaslow.out" 2>"$mv_tmp/kaslow.err" &
kaslow=$!
kill_at_exit $kaslow
exec 8>"$mv_tmp/kahold"
at_exit "exec 8>&-"
last=-1
same=0
for ((i = 0; i < 600 && same < 10; i++)); do
    sleep 0.1
    grep -q '^opened=1$' "$mv_tmp/kaslow.out" || continue
    q=$(unread)
    [ "$q" -gt 0 ] && [ "$q" -ge "$last" ] && same=$((same + 1)) || same=0
    last=$q
done
expect_eq "download opened" "opened=1" "$(head -n 1 "$mv_tmp/kaslow.out")"
[ $same -ge 10 ] || expect_fail "the proxy never held the leg for a client that reads nothing (unread: $last bytes)"
sleep $((KA_INTERVAL * (KA_COUNT + 3)))
ka_go=ok
echo go >&8 || ka_go=failed
wait_exit $kaslow 300 || expect_fail "the client did not finish reading"
expect_eq "told to read" ok "$ka_go"
expect_eq "recvAll" None "$(kv recv_all "$(cat "$mv_tmp/kaslow.out")")"
expect_eq "bytes" $((64 * MiB)) "$(kv bytes "$(cat "$mv_tmp/kaslow.out")")"
expect_eq "checksum" "$(sum "$mv_tmp/ka.src")" "$(kv md5 "$(cat "$mv_tmp/kaslow.out")")"
[ -s "$mv_tmp/kaslow.err" ] && diag "client stderr: $(cat "$mv_tmp/kaslow.err")"
grep -q "keepalive probes" "$mv_tmp/storaged.log" &&
    expect_fail "storaged gave up on a peer: $(grep "keepalive probes" "$mv_tmp/storaged.log")"
verdict "a reader held beyond storaged's keepalive: the leg lives, the download arrives whole"

mv_done
