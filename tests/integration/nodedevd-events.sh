#!/bin/bash
# modvirt-nodedevd's node device events, from the kernel's uevents (no
# udevd here): the daemon runs in a network namespace of the script's own
# and a mount namespace with a fresh sysfs on /sys, so it sees that
# namespace's interfaces only, and veths (and dummies, where the kernel has
# them) made and deleted there are its hot-plug.  Each created / deleted /
# update event, as python3-libvirt (rw and ro sockets) and virsh
# nodedev-event print it, and each change of nodedev-list, is waited for
# with a deadline of 1 s.  Then: a rename (move), filtered registrations,
# deregistration and the per-connection limit at the wire, uevents forged
# from user space (ignored), lost uevents (a receive queue that
# overflowed: a full rescan), a daemon on a fixture (sysfs_root: no
# uevents), and udevd's events through sd_device_monitor when
# /run/udev/control exists (udevd played by nodedev_events.py).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_DAEMON=$top_builddir/nodedevd/modvirt-nodedevd
MV_NEEDS="ip nsenter"
mv_init 14

EVPY=$MV_HELPERS/nodedev_events.py
DEADLINE_S=1

mv_netns_new mvnde
MV_ROOT=$mv_tmp/root
MV_LOG=$mv_tmp/nodedevd.log
MV_RW=$MV_ROOT/run/modvirt/nodedevd-sock
MV_RO=$MV_ROOT/run/modvirt/nodedevd-sock-ro
MV_URI="nodedev:///system?socket=$MV_RW"
MV_URI_RO="nodedev:///system?socket=$MV_RO"

# ---- helpers ----------------------------------------------------------------

# now_ms: a monotonic-enough clock for deadlines
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# wait_line FILE ERE [SECS]: 0 once a line of FILE matches ERE (within SECS,
# default DEADLINE_S); the wait in waited_ms
waited_ms=0
wait_line() {
    local t0 deadline
    t0=$(now_ms)
    deadline=$((t0 + ${3:-$DEADLINE_S} * 1000))
    while :; do
        if grep -Eq -- "$2" "$1" 2>/dev/null; then
            waited_ms=$(( $(now_ms) - t0 ))
            return 0
        fi
        [ "$(now_ms)" -lt $deadline ] || return 1
        sleep 0.01
    done
}

# wait_count FILE ERE N: 0 once N lines of FILE match ERE (within DEADLINE_S)
wait_count() {
    local deadline=$(( $(now_ms) + DEADLINE_S * 1000 ))
    while :; do
        [ "$(grep -Ec -- "$2" "$1" 2>/dev/null)" -ge "$3" ] && return 0
        [ "$(now_ms)" -lt $deadline ] || return 1
        sleep 0.01
    done
}

# expect_line WHAT FILE ERE: a line matching ERE in FILE within DEADLINE_S
expect_line() {
    wait_line "$2" "$3" && return 0
    expect_fail "$1: no line /$3/ in ${2##*/} within ${DEADLINE_S} s; it has: $(tail -n 8 "$2" | tr '\n' '|')"
}

# net_list: nodedev-list --cap net, sorted, one name a line, in out
net_list() { vsh nodedev-list --cap net; out=$(printf '%s\n' "$out" | sed '/^$/d' | sort); }

# expect_list WHAT has|lacks NAME...: nodedev-list --cap net follows within DEADLINE_S
expect_list() {
    local what=$1 how=$2 t0 n ok
    shift 2
    t0=$(now_ms)
    while :; do
        net_list
        ok=yes
        for n in "$@"; do
            if printf '%s\n' "$out" | grep -qx -- "$n"; then
                [ "$how" = has ] || ok=no
            else
                [ "$how" = lacks ] || ok=no
            fi
        done
        [ $ok = yes ] && return 0
        [ $(( $(now_ms) - t0 )) -lt $((DEADLINE_S * 1000)) ] || break
        sleep 0.01
    done
    expect_fail "$what: nodedev-list --cap net still does not show that it $how $* after ${DEADLINE_S} s: $(echo $out)"
}

# netname IFNAME MAC: libvirt's name of a net device
netname() { printf 'net_%s_%s' "$1" "$(printf '%s' "$2" | tr ':' '_')"; }

# in_ns CMD...: CMD in the test's network namespace (ip netns exec mounts
# that namespace's sysfs for it)
in_ns() { ip netns exec "$NS" "$@"; }

# the netns's interfaces as libvirt names them, sorted
ns_truth() {
    in_ns sh -c 'for d in /sys/class/net/*; do
        printf "net_%s_%s\n" "${d##*/}" "$(tr : _ <"$d/address")"; done' | sort
}

# veth_add A MACA B MACB / link_del NAME
veth_add() { ip -n "$NS" link add "$1" address "$2" type veth peer name "$3" address "$4"; }
link_del() { ip -n "$NS" link del "$1"; }

# listener NAME CMD...: a client writing $mv_tmp/NAME.ev until the end
listener() {
    local name=$1
    shift
    MV_CLIENT_TIMEOUT=900 isolated "$@" >"$mv_tmp/$name.ev" 2>"$mv_tmp/$name.err" &
    kill_at_exit $!
}
# py_ready NAME: waits for "READY PID" in NAME.ev and has PID killed at
# exit ($! of a background function is the subshell, not the client)
py_ready() {
    wait_line "$mv_tmp/$1.ev" '^READY [0-9]+$' 10 ||
        { echo "Bail out! the python client $1 did not start: $(cat "$mv_tmp/$1.err")"; exit 1; }
    kill_at_exit "$(sed -n 's/^READY //p' "$mv_tmp/$1.ev")"
}
# py_listener NAME URI [DEVICE]: python3-libvirt's lifecycle and update
# registrations; returns once they are registered
py_listener() {
    listener "$1" env PYTHONPATH="$MV_HELPERS" PYTHONDONTWRITEBYTECODE=1 "$MV_PY" "$EVPY" listen "$2" ${3:+"$3"}
    py_ready "$1"
}

# ---- the raw client: commands through a fifo, answers tagged ----
RAW_OUT=$mv_tmp/raw.ev     # py_ready's NAME "raw"
raw_tag=0
raw_start() {
    mkfifo "$mv_tmp/raw.in"
    MV_CLIENT_TIMEOUT=900 isolated env PYTHONPATH="$MV_HELPERS" PYTHONDONTWRITEBYTECODE=1 "$MV_PY" "$EVPY" raw "$MV_RW" \
        <"$mv_tmp/raw.in" >"$RAW_OUT" 2>"$mv_tmp/raw.err" &
    exec 7>"$mv_tmp/raw.in"
    at_exit "exec 7>&-"
    py_ready raw
}
# raw CMD...: sends "TAG CMD", waits (10 s at most: 256 calls) for TAG's
# answer lines, which it leaves in raw_answer
raw() {
    raw_tag=$((raw_tag + 1))
    echo "t$raw_tag $*" >&7
    if ! wait_line "$RAW_OUT" "^t$raw_tag (registered|deregistered|error)" 10; then
        raw_answer="(no answer: $(tail -n 3 "$mv_tmp/raw.err" | tr '\n' '|'))"
        return 1
    fi
    raw_answer=$(sed -n "s/^t$raw_tag //p" "$RAW_OUT")
}
raw_cb() { printf '%s\n' "$raw_answer" | sed -n 's/^registered \([0-9]*\)$/\1/p'; }

# ---- the daemon ---------------------------------------------------------------

# In NS (nsenter: unlike ip netns exec it mounts nothing), in a mount
# namespace of its own with a sysfs mounted afresh on /sys, which shows NS's
# interfaces: every exec keeps the pid, so $! is the daemon (READY=1 comes
# from it).
mkdir -p "$MV_ROOT"
nsenter --net="/run/netns/$NS" unshare -m --propagation private \
    sh -c 'mount -t sysfs mvnodedev-sysfs /sys && exec "$@"' sh \
    env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$mv_tmp/no-such-bus" NOTIFY_SOCKET="$MV_NOTIFY" \
    "$MV_DAEMON" --root "$MV_ROOT" --verbose >>"$MV_LOG" 2>&1 &
MV_PID=$!
kill_at_exit $MV_PID
if ! wait_ready "$MV_PID" "$MV_READY_S"; then
    echo "Bail out! modvirt-nodedevd (pid $MV_PID) did not become ready within $MV_READY_S s"
    sed 's/^/#   /' "$MV_LOG"
    exit 1
fi
if [ "$(ip netns identify "$MV_PID")" != "$NS" ] ||
   [ "$(readlink "/proc/$MV_PID/ns/mnt")" = "$(readlink /proc/self/ns/mnt)" ]; then
    echo "Bail out! pid $MV_PID is not in netns $NS and a mount namespace of its own"
    exit 1
fi
mv_log_mark

# the listeners of cases 2-6: python3-libvirt on the rw and the ro socket,
# virsh nodedev-event for lifecycle and for update events (virsh prints
# nothing when it has registered: marker veths until it reports one)
py_listener rw "$MV_URI"
py_listener ro "$MV_URI_RO"
listener virsh virsh -c "$MV_URI" nodedev-event --event lifecycle --loop --timeout 900
listener virshup virsh -c "$MV_URI" nodedev-event --event update --loop --timeout 900
MK=$(netname mvmk0 52:54:00:ee:00:01)
marker_ok=no
for ((i = 0; i < 50; i++)); do
    veth_add mvmk0 52:54:00:ee:00:01 mvmk1 52:54:00:ee:00:02 && link_del mvmk0
    if wait_line "$mv_tmp/virsh.ev" "node device $MK: Deleted" 1; then
        marker_ok=yes
        break
    fi
done
[ $marker_ok = yes ] || { echo "Bail out! virsh nodedev-event never reported the marker veth"; cat "$mv_tmp/virsh.err"; exit 1; }
# an update: the link's state changes (no uevent of its own), then a
# "change" uevent (as udevadm trigger writes it) has it read again
veth_add mvmk0 52:54:00:ee:00:01 mvmk1 52:54:00:ee:00:02 && ip -n "$NS" link set mvmk1 up
marker_ok=no
for ((i = 0; i < 25; i++)); do
    ip -n "$NS" link set mvmk0 up && in_ns sh -c 'echo change >/sys/class/net/mvmk0/uevent'
    if wait_line "$mv_tmp/virshup.ev" "node device $MK\$" 1; then
        marker_ok=yes
        break
    fi
    ip -n "$NS" link set mvmk0 down && in_ns sh -c 'echo change >/sys/class/net/mvmk0/uevent'
done
link_del mvmk0
[ $marker_ok = yes ] || { echo "Bail out! virsh nodedev-event --event update never reported the marker veth"; cat "$mv_tmp/virshup.err" "$mv_tmp/rw.ev"; exit 1; }

# 1
truth=$(ns_truth)
net_list
expect_eq "nodedev-list --cap net: the namespace's interfaces" "$truth" "$out"
expect_match "lo is listed" '^net_lo_00_00_00_00_00_00$' "$out"
for d in /sys/class/net/*; do     # the host's (the script's own namespace)
    [ "${d##*/}" = lo ] && continue
    expect_nomatch "the host's ${d##*/} is not listed" "^net_${d##*/}_" "$out"
done
expect_match "log: the kernel's uevents" "reading the kernel's uevents" "$(cat "$MV_LOG")"
verdict "nodedevd in its own network and mount namespace lists that namespace's interfaces only, from the kernel's uevents"

# 2
A=$(netname mvva0 52:54:00:0e:00:01) B=$(netname mvvb0 52:54:00:0e:00:02)
if veth_add mvva0 52:54:00:0e:00:01 mvvb0 52:54:00:0e:00:02; then
    expect_line "python, rw: $A created" "$mv_tmp/rw.ev" "^lifecycle $A created$"
    expect_line "python, rw: $B created" "$mv_tmp/rw.ev" "^lifecycle $B created$"
    expect_line "python, ro: $A created" "$mv_tmp/ro.ev" "^lifecycle $A created$"
    expect_line "python, ro: $B created" "$mv_tmp/ro.ev" "^lifecycle $B created$"
    expect_line "virsh: $A created" "$mv_tmp/virsh.ev" "^event 'lifecycle' for node device $A: Created$"
    expect_line "virsh: $B created" "$mv_tmp/virsh.ev" "^event 'lifecycle' for node device $B: Created$"
    expect_list "after the veth pair came" has "$A" "$B"
    vsh nodedev-dumpxml "$A"
    expect_match "dumpxml: interface" "<interface>mvva0</interface>" "$out"
    expect_match "dumpxml: path" "<path>/sys/devices/virtual/net/mvva0</path>" "$out"
else
    expect_fail "cannot make the veth pair mvva0/mvvb0 in $NS"
fi
verdict "a veth pair: created events (python rw and ro, virsh nodedev-event) and nodedev-list within ${DEADLINE_S} s"

# 3
link_del mvva0
expect_line "python, rw: $A deleted" "$mv_tmp/rw.ev" "^lifecycle $A deleted$"
expect_line "python, rw: $B deleted" "$mv_tmp/rw.ev" "^lifecycle $B deleted$"
expect_line "python, ro: $B deleted" "$mv_tmp/ro.ev" "^lifecycle $B deleted$"
expect_line "virsh: $A deleted" "$mv_tmp/virsh.ev" "^event 'lifecycle' for node device $A: Deleted$"
expect_line "virsh: $B deleted" "$mv_tmp/virsh.ev" "^event 'lifecycle' for node device $B: Deleted$"
expect_list "after the veth pair went" lacks "$A" "$B"
vsh nodedev-dumpxml "$A"
expect_match "dumpxml of the deleted device" "no node device with matching name '$A'" "$err"
verdict "deleting the veth pair: deleted events and nodedev-list within ${DEADLINE_S} s"

# 4
if ip -n "$NS" link add mvdum0 address 52:54:00:0e:00:09 type dummy 2>"$mv_tmp/dummy.err"; then
    D=$(netname mvdum0 52:54:00:0e:00:09)
    expect_line "python: $D created" "$mv_tmp/rw.ev" "^lifecycle $D created$"
    expect_list "after the dummy came" has "$D"
    link_del mvdum0
    expect_line "python: $D deleted" "$mv_tmp/rw.ev" "^lifecycle $D deleted$"
    expect_list "after the dummy went" lacks "$D"
    verdict "a dummy link: created and deleted within ${DEADLINE_S} s"
else
    skip "a dummy link: this kernel has no dummy driver ($(cat "$mv_tmp/dummy.err"))"
fi

# 5
A=$(netname mvra0 52:54:00:0e:00:11) R=$(netname mvrenamed 52:54:00:0e:00:11)
veth_add mvra0 52:54:00:0e:00:11 mvrb0 52:54:00:0e:00:12
expect_line "python: $A created" "$mv_tmp/rw.ev" "^lifecycle $A created$"
ip -n "$NS" link set mvra0 name mvrenamed
expect_line "python: $A deleted by the rename" "$mv_tmp/rw.ev" "^lifecycle $A deleted$"
expect_line "python: $R created by the rename" "$mv_tmp/rw.ev" "^lifecycle $R created$"
expect_list "after the rename" has "$R"
expect_list "after the rename" lacks "$A"
verdict "a renamed interface ('move'): the old name deleted, the new one created"

# 6
ip -n "$NS" link set mvrb0 up && ip -n "$NS" link set mvrenamed up
# going up sends no uevent: an XML request reads a net device again (as
# libvirt's does), and the change it finds is an update event
vsh nodedev-dumpxml "$R"
expect_match "link state at the first request after going up" "<link .*state='up'" "$out"
expect_line "python, rw: $R updated" "$mv_tmp/rw.ev" "^update $R$"
expect_line "virsh: $R updated" "$mv_tmp/virshup.ev" "^event 'update' for node device $R$"
# going down, then a "change" (as udevadm trigger writes it): the uevent
# alone makes the daemon read the device again
ip -n "$NS" link set mvrenamed down
in_ns sh -c 'echo change >/sys/class/net/mvrenamed/uevent'
wait_count "$mv_tmp/rw.ev" "^update $R$" 2 ||
    expect_fail "python, rw: no second update of $R within ${DEADLINE_S} s: $(tail -n 4 "$mv_tmp/rw.ev" | tr '\n' '|')"
vsh nodedev-dumpxml "$R"
expect_match "link state after the change uevent" "<link state='down'" "$out"
verdict "a link going up (no uevent): the next XML request shows it, with an update event; a 'change' uevent re-reads too"

# 7
raw_start
F=$(netname mvfa0 52:54:00:0e:00:21) G=$(netname mvfb0 52:54:00:0e:00:22)
raw register 0 "$F"
cb_f=$(raw_cb)
raw register 0
cb_all=$(raw_cb)
raw register 1 "$F"
cb_fu=$(raw_cb)
[ -n "$cb_f" ] && [ -n "$cb_all" ] && [ -n "$cb_fu" ] || expect_fail "registrations refused: $raw_answer"
veth_add mvfa0 52:54:00:0e:00:21 mvfb0 52:54:00:0e:00:22
expect_line "raw, filtered: $F created" "$RAW_OUT" "^event $cb_f lifecycle $F created$"
expect_line "raw, unfiltered: $G created" "$RAW_OUT" "^event $cb_all lifecycle $G created$"
# python3-libvirt's registration for one device (a device it looked up)
py_listener devf "$MV_URI" "$F"
link_del mvfa0
expect_line "raw, unfiltered: $G deleted" "$RAW_OUT" "^event $cb_all lifecycle $G deleted$"
expect_line "raw, filtered: $F deleted" "$RAW_OUT" "^event $cb_f lifecycle $F deleted$"
# one ordered stream: every event for the filtered callback is in by now
expect_eq "events on the filtered callback" "event $cb_f lifecycle $F created|event $cb_f lifecycle $F deleted|" \
    "$(grep "^event $cb_f " "$RAW_OUT" | tr '\n' '|')"
expect_eq "update events on the filtered callback (none came)" "" "$(grep "^event $cb_fu " "$RAW_OUT")"
expect_line "python, for $F: deleted" "$mv_tmp/devf.ev" "^lifecycle $F deleted$"
expect_nomatch "python, for $F: nothing of $G" "$G" "$(cat "$mv_tmp/devf.ev")"
verdict "a registration for one device (named before it exists) gets its events only; one for all gets the peer's too"

# 8
raw deregister "$cb_all"
expect_eq "deregister" "deregistered $cb_all" "$raw_answer"
n_all=$(grep -c "^event $cb_all " "$RAW_OUT")
raw deregister "$cb_all"
expect_eq "deregister again" "error 8 22 invalid argument: node device event callback $cb_all is not registered" "$raw_answer"
raw register 2
expect_eq "unknown event id" "error 8 22 invalid argument: unsupported node device event ID 2" "$raw_answer"
raw register 0 "$(head -c 300 /dev/zero | tr '\0' x)"
expect_match "a name too long for a key" "^error 8 22 invalid argument: a node device name of 300 bytes" "$raw_answer"
# the same pair again: the filtered registration sees it a second time
veth_add mvfa0 52:54:00:0e:00:21 mvfb0 52:54:00:0e:00:22
wait_count "$RAW_OUT" "^event $cb_f lifecycle $F created$" 2 ||
    expect_fail "the filtered registration did not see $F created a second time within ${DEADLINE_S} s"
link_del mvfa0
wait_count "$RAW_OUT" "^event $cb_f lifecycle $F deleted$" 2 ||
    expect_fail "the filtered registration did not see $F deleted a second time within ${DEADLINE_S} s"
expect_eq "events on the deregistered callback after DEREGISTER" "$n_all" "$(grep -c "^event $cb_all " "$RAW_OUT")"
verdict "DEREGISTER_ANY stops a registration (the others go on); unknown callbacks, event ids and overlong names are refused"

# 9
# 2 held (cb_f, cb_fu): 254 more fit
raw register-many 300 0 mvlimit
expect_match "registrations that fit" "^registered-many 254$" "$raw_answer"
expect_match "the refusal" "error 9 22 operation failed: this connection already has 256 node device event registrations, the most one connection may hold" "$raw_answer"
raw deregister "$cb_fu"
raw register 0 mvone-more
expect_match "after a deregistration, one more fits" "^registered [0-9]+$" "$raw_answer"
py_listener other "$MV_URI"
expect_daemon_alive
verdict "a connection holding 256 registrations gets a clear error for the next one; other connections still register"

# 10
mv_log_mark
before=$(ns_truth)
K=$(netname mvka0 52:54:00:0e:00:31)
veth_add mvka0 52:54:00:0e:00:31 mvkb0 52:54:00:0e:00:32
expect_line "python: $K created" "$mv_tmp/rw.ev" "^lifecycle $K created$"
run in_ns env PYTHONDONTWRITEBYTECODE=1 "$MV_PY" "$EVPY" forge /devices/virtual/net/mvka0 /devices/virtual/net/lo
expect_match "forged datagrams sent" "^forged [0-9]+$" "$out"
# a real event behind them: when it is in, the forged ones were read
M=$(netname mvkc0 52:54:00:0e:00:33)
veth_add mvkc0 52:54:00:0e:00:33 mvkd0 52:54:00:0e:00:34
expect_line "python: a real event after the forged ones" "$mv_tmp/rw.ev" "^lifecycle $M created$"
expect_nomatch "no deleted event from a forged remove" "^lifecycle ($K|net_lo_.*) deleted$" "$(cat "$mv_tmp/rw.ev")"
expect_list "the forged removes removed nothing" has "$K" net_lo_00_00_00_00_00_00
expect_match "log" "ignoring a uevent message from netlink port [1-9][0-9]*: not from the kernel" \
    "$(tail -n +$((case_log_mark + 1)) "$MV_LOG")"
expect_daemon_alive
link_del mvka0
link_del mvkc0
expect_list "after the cleanup" lacks "$K" "$M"
verdict "uevents forged from user space (a well-formed remove, garbage) are ignored"

# 11
# the daemon's queue shrunk to the least the kernel allows, the daemon
# stopped, a burst of changes: events are lost, the daemon must notice
# (ENOBUFS) and rescan
run "$MV_PY" "$EVPY" shrink "$MV_PID" 1
expect_match "shrink" "^rcvbuf [0-9]+$" "$out"
veth_add mvla0 52:54:00:0e:00:41 mvlb0 52:54:00:0e:00:42
L=$(netname mvla0 52:54:00:0e:00:41)
expect_line "python: $L created" "$mv_tmp/rw.ev" "^lifecycle $L created$"
kill -STOP "$MV_PID"
for i in 1 2 3 4 5 6 7 8; do
    veth_add "mvx${i}a" "52:54:00:0e:01:0$i" "mvx${i}b" "52:54:00:0e:02:0$i"
done
link_del mvla0
kill -CONT "$MV_PID"
X8=$(netname mvx8b 52:54:00:0e:02:08)
expect_line "python: the last new device" "$mv_tmp/rw.ev" "^lifecycle $X8 created$"
expect_line "python: $L deleted" "$mv_tmp/rw.ev" "^lifecycle $L deleted$"
expect_list "after the burst" lacks "$L"
net_list
expect_eq "nodedev-list --cap net after the burst" "$(ns_truth)" "$out"
expect_match "log: the rescan" "uevents were lost .*: rescanning" "$(tail -n +$((case_log_mark + 1)) "$MV_LOG")"
run "$MV_PY" "$EVPY" shrink "$MV_PID" $((64 << 20))
verdict "lost uevents (the receive queue overflowed while the daemon was stopped): a rescan, the list right again"

# 12
# a second daemon in NS reading a fixture (sysfs_root): the kernel's
# uevents are not about its devices, it must not read them
fx=$mv_tmp/fx
FX_ROOT=$mv_tmp/fxroot
if ! bash "$top_srcdir/tests/nodedev/mkfixture.sh" host-basic "$fx" >"$mv_tmp/mkfixture.out" 2>&1; then
    expect_fail "mkfixture.sh host-basic: $(cat "$mv_tmp/mkfixture.out")"
else
    mkdir -p "$FX_ROOT/etc/modvirt"
    printf '%s\n' "sysfs_root = \"$fx\"" "pci_ids = \"$top_srcdir/tests/nodedev/pci.ids\"" \
        >"$FX_ROOT/etc/modvirt/modvirt-nodedevd.conf"
    nsenter --net="/run/netns/$NS" env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$mv_tmp/no-such-bus" \
        NOTIFY_SOCKET="$MV_NOTIFY" "$MV_DAEMON" --root "$FX_ROOT" --verbose >>"$mv_tmp/fx.log" 2>&1 &
    fx_pid=$!
    kill_at_exit $fx_pid
    FX_URI="nodedev:///system?socket=$FX_ROOT/run/modvirt/nodedevd-sock"
    fx_net=$(sed -n 's/^\(net_[^ ]*\).*/\1/p' "$top_srcdir/tests/nodedevxml/host-basic/list.txt" | sort)
    if ! wait_ready "$fx_pid" "$MV_READY_S"; then
        expect_fail "the daemon on the fixture did not become ready: $(tail -n 5 "$mv_tmp/fx.log")"
    else
        expect_match "fixture daemon's log" "not listening for uevents: /sys is not a sysfs" "$(cat "$mv_tmp/fx.log")"
        run "$MV_PY" "$EVPY" uevent-sockets "$fx_pid"
        expect_eq "the fixture daemon's uevent sockets" "uevent sockets 0" "$out"
        run "$MV_PY" "$EVPY" uevent-sockets "$MV_PID"
        expect_eq "the first daemon's uevent sockets" "uevent sockets 1" "$out"
        veth_add mvfx0 52:54:00:0e:00:51 mvfx1 52:54:00:0e:00:52
        expect_line "python: the veth is seen by the first daemon" "$mv_tmp/rw.ev" \
            "^lifecycle $(netname mvfx0 52:54:00:0e:00:51) created$"
        run isolated virsh -c "$FX_URI" nodedev-list --cap net
        expect_eq "the fixture daemon's net devices: the fixture's" "$fx_net" "$(printf '%s\n' "$out" | sed '/^$/d' | sort)"
        link_del mvfx0
    fi
    stop_pid "$fx_pid"
    expect_eq "the fixture daemon's exit status" 0 "$stop_status"
fi
verdict "a daemon reading a fixture (sysfs_root) does not listen to the kernel's uevents"

# 13
# with udevd (/run/udev/control exists): its monitor (group 2) instead of
# the kernel's uevents.  udevd itself is not installed here: nodedev_events.py
# plays it (each kernel uevent sent again on group 2, in libudev's format);
# this daemon has a tmpfs on /run with a /run/udev/control of its own
UD_ROOT=$mv_tmp/udroot
nsenter --net="/run/netns/$NS" env PYTHONDONTWRITEBYTECODE=1 "$MV_PY" "$EVPY" udevd \
    >"$mv_tmp/udevd.ev" 2>"$mv_tmp/udevd.err" &
py_ready udevd
mkdir -p "$UD_ROOT"
nsenter --net="/run/netns/$NS" unshare -m --propagation private \
    sh -c 'mount -t sysfs mvnodedev-sysfs /sys && mount -t tmpfs mvnodedev-run /run &&
           mkdir /run/udev && : >/run/udev/control && exec "$@"' sh \
    env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$mv_tmp/no-such-bus" NOTIFY_SOCKET="$MV_NOTIFY" \
    "$MV_DAEMON" --root "$UD_ROOT" --verbose >>"$mv_tmp/ud.log" 2>&1 &
ud_pid=$!
kill_at_exit $ud_pid
if ! wait_ready "$ud_pid" "$MV_READY_S"; then
    expect_fail "the daemon with udevd did not become ready: $(tail -n 5 "$mv_tmp/ud.log")"
else
    expect_match "log: udevd's events" "reading udevd's events" "$(cat "$mv_tmp/ud.log")"
    run "$MV_PY" "$EVPY" uevent-sockets "$ud_pid"
    expect_eq "kernel uevent sockets of the daemon with udevd" "uevent sockets 0" "$out"
    py_listener ud "nodedev:///system?socket=$UD_ROOT/run/modvirt/nodedevd-sock"
    U=$(netname mvud0 52:54:00:0e:00:61)
    veth_add mvud0 52:54:00:0e:00:61 mvud1 52:54:00:0e:00:62
    expect_line "python, with udevd: $U created" "$mv_tmp/ud.ev" "^lifecycle $U created$"
    run isolated virsh -c "nodedev:///system?socket=$UD_ROOT/run/modvirt/nodedevd-sock" nodedev-list --cap net
    expect_match "nodedev-list with udevd" "^$U$" "$out"
    link_del mvud0
    expect_line "python, with udevd: $U deleted" "$mv_tmp/ud.ev" "^lifecycle $U deleted$"
    stop_pid "$ud_pid"
    expect_eq "the daemon with udevd: exit status" 0 "$stop_status"
fi
verdict "with udevd running: its events (sd_device_monitor) give created and deleted within ${DEADLINE_S} s"

# 14
for i in 1 2 3 4 5 6 7 8; do link_del "mvx${i}a"; done
link_del mvrenamed
expect_list "at the end" lacks "$R" "$X8"
net_list
expect_eq "nodedev-list --cap net at the end" "$(ns_truth)" "$out"
expect_daemon_alive
expect_eq "python listener errors" "" "$(cat "$mv_tmp/rw.err" "$mv_tmp/ro.err")"
expect_nomatch "daemon log: errors" "\]: error: " "$(cat "$MV_LOG")"
stop_pid "$MV_PID" 10
expect_eq "exit status after SIGTERM" 0 "$stop_status"
for l in rw ro; do
    p=$(sed -n 's/^READY //p' "$mv_tmp/$l.ev")
    wait_exit "$p" 5 || expect_fail "the python listener $l (pid $p) outlived the daemon"
done
verdict "the daemon ends clean"

mv_done
