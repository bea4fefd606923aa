#!/bin/sh
# The systemd units of modvirt-qemud, -netd, -storaged, -nodedevd and -proxyd (units/),
# checked two ways (the second for qemud only; the others' units are the same shape):
#  - systemd-analyze verify on the generated units, with ExecStart pointed at
#    the build tree's daemon; any stderr counts as failure, because verify
#    only warns (exit 0) about unknown keys and bad values.  Broken copies
#    prove the check does fail.
#  - the daemon started the way the units describe it: systemd-socket-activate
#    with two sockets named rw and ro, Type=notify readiness, idle exit.
#    virsh (Debian's) talks to it from a private mount namespace whose
#    /run/libvirt is an empty tmpfs, so no real libvirtd is ever reached.
# Prints TAP.  Needs top_builddir and top_srcdir (set by "make check").

set -u

: "${top_builddir:?top_builddir must be set (run from make check)}"
: "${top_srcdir:?top_srcdir must be set (run from make check)}"

daemon=$top_builddir/qemud/modvirt-qemud
units="modvirt-qemud.service modvirt-qemud.socket modvirt-qemud-ro.socket"

n=0
failed=0
ok()      { n=$((n + 1)); echo "ok $n - $*"; }
not_ok()  { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
skip()    { n=$((n + 1)); echo "ok $n # SKIP $*"; }
check()   { if [ "$1" -eq 0 ]; then shift; ok "$@"; else shift; not_ok "$@"; fi; }
diag()    { sed 's/^/# /' "$@"; }

tmp=
act_pid=
notify_pid=
cleanup() {
    for pid in $act_pid $notify_pid; do
        kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    done
    [ -n "$tmp" ] && rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mvunits.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }

echo "1..21"

# ---- each daemon's three units ----

have_verify=yes
command -v systemd-analyze >/dev/null 2>&1 || have_verify=no

# daemon_bin D: modvirt-D as built (the daemon a unit of D's starts)
daemon_bin() { echo "$top_builddir/$1/modvirt-$1"; }

# daemon_units D: D's service and its two sockets
daemon_units() { echo "modvirt-$1.service modvirt-$1.socket modvirt-$1-ro.socket"; }

# verify_units DIR UNITS...: 0 only if verify exits 0 and prints nothing on stderr.
verify_units() {
    dir=$1
    shift
    (cd "$dir" && systemd-analyze verify --man=no "$@") >"$dir.out" 2>"$dir.err"
    rc=$?
    if [ $rc -ne 0 ] || [ -s "$dir.err" ]; then
        echo "# systemd-analyze verify: exit $rc"
        diag "$dir.err"
        return 1
    fi
    return 0
}

# aim_units DIR UNITS...: copies of the generated units, each ExecStart
# aimed at its daemon in the build tree.
aim_units() {
    dir=$1
    shift
    mkdir -p "$dir" || return 1
    for u in "$@"; do
        d=${u%%.*}
        d=${d%-ro}
        sed "s|^ExecStart=[^ ]*/$d\\([ ]\\)|ExecStart=$(daemon_bin "${d#modvirt-}")\\1|" \
            "$top_builddir/units/$u" >"$dir/$u" || return 1
    done
}

# unit_shape D RW-PATH: sets problems to what is wrong with D's units: one
# missing or with a template variable left; the rw socket not on a path
# matching the pattern RW-PATH, the ro one not beside it with -ro; the fd
# names the daemon tells them apart by, Service=, Type=notify, ExecStart.
unit_shape() {
    problems=
    for u in $(daemon_units "$1"); do
        f=$top_builddir/units/$u
        [ -f "$f" ] || { problems="$problems $u:missing"; continue; }
        grep -q '@[a-z_]*@' "$f" && problems="$problems $u:unsubstituted"
    done
    [ -z "$problems" ] || return 0
    u_sock=$top_builddir/units/modvirt-$1.socket
    u_ro=$top_builddir/units/modvirt-$1-ro.socket
    u_svc=$top_builddir/units/modvirt-$1.service
    rw_path=$(sed -n 's/^ListenStream=//p' "$u_sock")
    # shellcheck disable=SC2254  # $2 is a pattern
    case $rw_path in $2) ;; *) problems="$problems rw-path:$rw_path" ;; esac
    [ "$(sed -n 's/^ListenStream=//p' "$u_ro")" = "$rw_path-ro" ] || problems="$problems ro-path"
    grep -qx 'FileDescriptorName=rw' "$u_sock" || problems="$problems rw-fdname"
    grep -qx 'FileDescriptorName=ro' "$u_ro" || problems="$problems ro-fdname"
    grep -qx "Service=modvirt-$1.service" "$u_sock" || problems="$problems rw-service"
    grep -qx "Service=modvirt-$1.service" "$u_ro" || problems="$problems ro-service"
    grep -qx 'Type=notify' "$u_svc" || problems="$problems type"
    grep -q "^ExecStart=/[^ ]*/modvirt-$1 --timeout 120\$" "$u_svc" || problems="$problems execstart"
}

# verify_daemon D: systemd-analyze verify on D's units, aimed at the build
# tree, in $tmp/D (one TAP line)
verify_daemon() {
    bin=$(daemon_bin "$1")
    if [ $have_verify = no ]; then
        skip "systemd-analyze not installed"
    elif [ ! -x "$bin" ]; then
        not_ok "systemd-analyze verify: $bin is not built"
    else
        # shellcheck disable=SC2046  # a list of names
        aim_units "$tmp/$1" $(daemon_units "$1") &&
            grep -qx "ExecStart=$bin --timeout 120" "$tmp/$1/modvirt-$1.service" &&
            verify_units "$tmp/$1" $(daemon_units "$1")
        check $? "systemd-analyze verify passes on modvirt-$1's units with no output on stderr"
    fi
}

# 1-2: qemud; guests must survive a stop or restart of qemud
unit_shape qemud '/*/modvirt/qemud-sock'
grep -qx 'KillMode=process' "$top_builddir/units/modvirt-qemud.service" 2>/dev/null || problems="$problems killmode"
[ -z "$problems" ]
check $? "modvirt-qemud's units are complete and name its rw/ro sockets as the daemon expects${problems:+ (problems:$problems)}"
verify_daemon qemud
sock=$top_builddir/units/modvirt-qemud.socket
sock_ro=$top_builddir/units/modvirt-qemud-ro.socket
svc=$top_builddir/units/modvirt-qemud.service

# 3-5: the check fails on a broken copy.  Each copy breaks one thing.
# broken NAME UNIT SED-EXPR DESCRIPTION
broken() {
    if [ $have_verify = no ] || [ ! -x "$daemon" ]; then
        skip "$4 (no systemd-analyze or no daemon)"
        return
    fi
    # shellcheck disable=SC2086  # $units is a list of names
    aim_units "$tmp/$1" $units && sed -i "$3" "$tmp/$1/$2"
    # shellcheck disable=SC2086
    if cmp -s "$tmp/$1/$2" "$tmp/qemud/$2"; then
        not_ok "$4: the sed expression changed nothing"
    elif verify_units "$tmp/$1" $units >/dev/null; then
        not_ok "$4 is not detected"
    else
        ok "$4 is detected: $(head -n 1 "$tmp/$1.err")"
    fi
}
broken badkey modvirt-qemud-ro.socket 's/^FileDescriptorName=/FileDescriptorNam=/' \
    "an unknown key in the read-only socket"
broken badvalue modvirt-qemud.service 's/^KillMode=process/KillMode=proces/' \
    "a bad KillMode= value in the service"
broken nobinary modvirt-qemud.service "s|^ExecStart=[^ ]*|ExecStart=$tmp/no-such-daemon|" \
    "an ExecStart= binary that does not exist"

# 6-7: netd; dnsmasq of active networks must survive a stop or restart of netd
unit_shape netd '/*/modvirt/netd-sock'
grep -qx 'KillMode=process' "$top_builddir/units/modvirt-netd.service" 2>/dev/null || problems="$problems killmode"
[ -z "$problems" ]
check $? "modvirt-netd's units are complete and name its rw/ro sockets${problems:+ (problems:$problems)}"
verify_daemon netd

# 8-9: storaged, without KillMode=process (it leaves no process behind for
# its pools: they are mounts)
unit_shape storaged '/*/modvirt/storaged-sock'
[ -z "$problems" ]
check $? "modvirt-storaged's units are complete and name its rw/ro sockets${problems:+ (problems:$problems)}"
verify_daemon storaged

# 10-11: nodedevd, without KillMode=process (it leaves nothing running:
# detached devices and mdevs are kernel state)
unit_shape nodedevd '/*/modvirt/nodedevd-sock'
[ -z "$problems" ]
check $? "modvirt-nodedevd's units are complete and name its rw/ro sockets${problems:+ (problems:$problems)}"
verify_daemon nodedevd

# 12-13: proxyd, on the paths every libvirt client opens for qemu:///system;
# libvirt's units on the same paths must never run alongside
unit_shape proxyd '/*/libvirt/libvirt-sock'
grep -q '^Conflicts=.*libvirtd.socket' "$top_builddir/units/modvirt-proxyd.socket" 2>/dev/null || problems="$problems rw-conflicts"
grep -q '^Conflicts=.*libvirtd-ro.socket' "$top_builddir/units/modvirt-proxyd-ro.socket" 2>/dev/null || problems="$problems ro-conflicts"
# the remote sockets (modvirt-remote(7)) by the names the daemon serves
grep -qx 'FileDescriptorName=tls' "$top_builddir/units/modvirt-proxyd-tls.socket" 2>/dev/null || problems="$problems tls-name"
grep -qx 'FileDescriptorName=tcp' "$top_builddir/units/modvirt-proxyd-tcp.socket" 2>/dev/null || problems="$problems tcp-name"
grep -qx 'ListenStream=16514' "$top_builddir/units/modvirt-proxyd-tls.socket" 2>/dev/null || problems="$problems tls-port"
[ -z "$problems" ]
check $? "modvirt-proxyd's units are complete, on libvirt's socket paths, named rw/ro (and tls/tcp)${problems:+ (problems:$problems)}"
verify_daemon proxyd

# 14: every unit together in one directory: the dependencies between them
# (proxyd wants the daemons' sockets) resolve too.
all_units=
for u in "$top_builddir"/units/modvirt-*.service "$top_builddir"/units/modvirt-*.socket; do
    [ -f "$u" ] && all_units="$all_units $(basename "$u")"
done
if [ $have_verify = no ]; then
    skip "systemd-analyze not installed"
else
    missing=
    for u in $all_units; do
        case $u in
        *.service) d=${u%.service}; bin=$(daemon_bin "${d#modvirt-}")
                   [ -x "$bin" ] || missing="$missing $bin" ;;
        esac
    done
    if [ -n "$missing" ]; then
        not_ok "systemd-analyze verify on every unit: not built:$missing"
    else
        # shellcheck disable=SC2086  # a list of names
        aim_units "$tmp/all" $all_units && verify_units "$tmp/all" $all_units
        check $? "systemd-analyze verify passes on all $(echo "$all_units" | wc -w) units together:$all_units"
    fi
fi

# ---- socket activation ----

why_not=
[ "$(id -u)" -eq 0 ] || why_not="not root (a private mount namespace is needed)"
for cmd in systemd-socket-activate virsh unshare hostname; do
    command -v $cmd >/dev/null 2>&1 || why_not="${why_not:-$cmd not installed}"
done
[ -x "$daemon" ] || why_not="${why_not:-$daemon is not built}"
if [ -n "$why_not" ]; then
    for t in "listening" "virsh hostname on rw" "READY=1" "virsh -r hostname on ro" \
             "ro refuses changes" "idle exit" "STOPPING=1"; do
        skip "socket activation, $t: $why_not"
    done
    [ $failed -eq 0 ]
    exit
fi

root=$tmp/root
rundir=$root/run/modvirt
rw=$rundir/qemud-sock
ro=$rundir/qemud-sock-ro
mkdir -p "$rundir" "$tmp/home"

# /run/libvirt must exist as a mount point for the private tmpfs
made_run_libvirt=no
if [ ! -d /run/libvirt ]; then
    mkdir /run/libvirt && made_run_libvirt=yes
fi
trap 'cleanup; [ $made_run_libvirt = yes ] && rmdir /run/libvirt 2>/dev/null; :' EXIT

# run_virsh OUT ARGS...: virsh in a private mount namespace, HOME in $tmp
run_virsh() {
    out=$1
    shift
    env -i PATH="$PATH" LC_ALL=C HOME="$tmp/home" XDG_CONFIG_HOME="$tmp/home/.config" \
        XDG_CACHE_HOME="$tmp/home/.cache" XDG_RUNTIME_DIR="$tmp/home/run" \
        timeout 60 unshare -m --propagation private \
        sh -c 'mount -t tmpfs none /run/libvirt && exec virsh "$@"' virsh "$@" \
        >"$out" 2>"$out.err"
}

# The daemon's sd_notify messages, one per line, if python3 can catch them.
notify=
if command -v python3 >/dev/null 2>&1; then
    notify=$tmp/notify.sock
    python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
with open(sys.argv[2], "a") as f:
    while True:
        f.write(s.recv(4096).decode(errors="replace").strip() + "\n")
        f.flush()
' "$notify" "$tmp/notify.log" >/dev/null 2>"$tmp/notify.err" &
    notify_pid=$!
    i=0
    # python may be slow to start on a loaded machine: until it bound, died or 30 s passed
    while [ ! -S "$notify" ] && kill -0 "$notify_pid" 2>/dev/null && [ $i -lt 300 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    [ -S "$notify" ] || notify=
fi

# notified LINE: 0 once the listener has written LINE to notify.log.  The
# daemon's datagram is queued before the event the script saw (a reply, its
# exit), but the listener writes it only when next scheduled: wait for it,
# up to 30 s, or until the listener is gone.
notified() {
    i=0
    until grep -qx "$1" "$tmp/notify.log" 2>/dev/null; do
        [ $i -lt 300 ] && kill -0 "$notify_pid" 2>/dev/null || return 1
        sleep 0.1
        i=$((i + 1))
    done
}

# What the units hand the daemon: the descriptor names of the two sockets
# and ExecStart's arguments (--root and a short --timeout come after them,
# and the last --timeout wins).
rw_name=$(sed -n 's/^FileDescriptorName=//p' "$sock")
ro_name=$(sed -n 's/^FileDescriptorName=//p' "$sock_ro")
exec_args=$(sed -n 's/^ExecStart=[^ ]*//p' "$svc")

# The activator binds both sockets, and on the first connection execs the
# daemon in its place (same pid) with LISTEN_FDNAMES=rw:ro.
# shellcheck disable=SC2086  # exec_args is split like systemd splits it
systemd-socket-activate -l "$rw" -l "$ro" --fdname="$rw_name:$ro_name" \
    ${notify:+-E NOTIFY_SOCKET="$notify"} \
    "$daemon" $exec_args --root "$root" --timeout 5 >"$tmp/daemon.out" 2>"$tmp/daemon.err" &
act_pid=$!

# 6: both sockets appear
i=0
while { [ ! -S "$rw" ] || [ ! -S "$ro" ]; } && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
if [ -S "$rw" ] && [ -S "$ro" ]; then
    ok "systemd-socket-activate listens on $rw and $ro"
else
    not_ok "systemd-socket-activate listens on both sockets"
    diag "$tmp/daemon.err"
fi

expected=$(hostname)

# 7: the first connection (to rw) starts the daemon, root may use rw
run_virsh "$tmp/rw.out" -c "qemu:///system?socket=$rw" hostname
rc=$?
got=$(cat "$tmp/rw.out")
if [ $rc -eq 0 ] && [ "$got" = "$expected" ]; then
    ok "virsh hostname on the activated rw socket: $got"
else
    not_ok "virsh hostname on the activated rw socket (exit $rc, got '$got', want '$expected')"
    diag "$tmp/rw.out.err" "$tmp/daemon.err"
fi

# 8: Type=notify holds: the daemon said READY=1
if [ -z "$notify" ]; then
    skip "READY=1 via NOTIFY_SOCKET: python3 is not available to receive it"
elif notified 'READY=1'; then
    ok "the daemon sends READY=1 to NOTIFY_SOCKET (Type=notify)"
else
    not_ok "the daemon sends READY=1 to NOTIFY_SOCKET (Type=notify)"
    diag "$tmp/notify.log" "$tmp/notify.err" 2>/dev/null
fi

# 9: the ro socket serves read-only clients
run_virsh "$tmp/ro.out" -r -c "qemu:///system?socket=$ro" hostname
rc=$?
got=$(cat "$tmp/ro.out")
if [ $rc -eq 0 ] && [ "$got" = "$expected" ]; then
    ok "virsh -r hostname on the ro socket: $got"
else
    not_ok "virsh -r hostname on the ro socket (exit $rc, got '$got', want '$expected')"
    diag "$tmp/ro.out.err" "$tmp/daemon.err"
fi

# 10: the daemon, not the client, enforces read-only on the socket named ro:
# no -r here, and the call must still be refused
cat >"$tmp/dom.xml" <<'EOF'
<domain type='qemu'>
  <name>mvunits-test</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='pc'>hvm</type></os>
</domain>
EOF
run_virsh "$tmp/define.out" -c "qemu:///system?socket=$ro" define "$tmp/dom.xml"
rc=$?
if [ $rc -ne 0 ] && grep -q 'read only access prevents virDomainDefineXML' "$tmp/define.out.err"; then
    ok "the ro socket refuses virsh define: $(grep -m1 'read only' "$tmp/define.out.err")"
else
    not_ok "the ro socket refuses virsh define with 'read only access prevents' (exit $rc)"
    diag "$tmp/define.out" "$tmp/define.out.err"
fi

# 11: with no clients the daemon exits by itself after --timeout 5, cleanly,
# and leaves the sockets to their owner (systemd must be able to start it
# again on the same sockets)
i=0
while kill -0 "$act_pid" 2>/dev/null && [ $i -lt 300 ]; do
    sleep 0.1
    i=$((i + 1))
done
if kill -0 "$act_pid" 2>/dev/null; then
    not_ok "the daemon exits 0 after 5 s idle: still running after 30 s"
    diag "$tmp/daemon.err"
else
    wait "$act_pid"
    rc=$?
    act_pid=
    left=yes
    [ -S "$rw" ] && [ -S "$ro" ] || left=no
    if [ $rc -eq 0 ] && [ $left = yes ]; then
        ok "the daemon exits 0 after 5 s idle and leaves the activated sockets alone"
    else
        not_ok "the daemon exits 0 after 5 s idle (exit $rc) and leaves the activated sockets alone ($left)"
        diag "$tmp/daemon.err"
    fi
fi

# 12: ... and says STOPPING=1 on the way out
if [ -z "$notify" ]; then
    skip "STOPPING=1 via NOTIFY_SOCKET: python3 is not available to receive it"
elif notified 'STOPPING=1'; then
    ok "the daemon sends STOPPING=1 when it exits"
else
    not_ok "the daemon sends STOPPING=1 when it exits"
    diag "$tmp/notify.log" 2>/dev/null
fi

[ $failed -eq 0 ]
