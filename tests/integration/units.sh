#!/bin/sh
# The systemd units of modvirt-qemud, -netd, -storaged and -proxyd (units/),
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

echo "1..18"

# ---- systemd-analyze verify ----

# verify_units DIR: 0 only if verify exits 0 and prints nothing on stderr.
verify_units() {
    # shellcheck disable=SC2086  # $units is a list of names
    (cd "$1" && systemd-analyze verify --man=no $units) >"$1.out" 2>"$1.err"
    rc=$?
    if [ $rc -ne 0 ] || [ -s "$1.err" ]; then
        echo "# systemd-analyze verify: exit $rc"
        diag "$1.err"
        return 1
    fi
    return 0
}

# copy_units DIR: the generated units, ExecStart aimed at the build tree.
copy_units() {
    mkdir -p "$1" &&
    for u in $units; do
        sed "s|^ExecStart=[^ ]*/modvirt-qemud\\([ ]\\)|ExecStart=$daemon\\1|" \
            "$top_builddir/units/$u" >"$1/$u" || return 1
    done
}

# 1: the units exist, every template variable is substituted, and the
# names the daemon relies on (fd names, socket file names) are in place.
problems=
for u in $units; do
    f=$top_builddir/units/$u
    if [ ! -f "$f" ]; then
        problems="$problems $u:missing"
        continue
    fi
    grep -q '@[a-z_]*@' "$f" && problems="$problems $u:unsubstituted"
done
sock=$top_builddir/units/modvirt-qemud.socket
sock_ro=$top_builddir/units/modvirt-qemud-ro.socket
svc=$top_builddir/units/modvirt-qemud.service
if [ -z "$problems" ]; then
    rw_path=$(sed -n 's/^ListenStream=//p' "$sock")
    ro_path=$(sed -n 's/^ListenStream=//p' "$sock_ro")
    case $rw_path in /*/modvirt/qemud-sock) ;; *) problems="$problems rw-path:$rw_path" ;; esac
    [ "$ro_path" = "$rw_path-ro" ] || problems="$problems ro-path:$ro_path"
    grep -qx 'FileDescriptorName=rw' "$sock" || problems="$problems rw-fdname"
    grep -qx 'FileDescriptorName=ro' "$sock_ro" || problems="$problems ro-fdname"
    grep -qx 'Service=modvirt-qemud.service' "$sock" || problems="$problems rw-service"
    grep -qx 'Service=modvirt-qemud.service' "$sock_ro" || problems="$problems ro-service"
    grep -qx 'Type=notify' "$svc" || problems="$problems type"
    grep -qx 'KillMode=process' "$svc" || problems="$problems killmode"
    grep -q '^ExecStart=/[^ ]*/modvirt-qemud --timeout 120$' "$svc" || problems="$problems execstart"
fi
[ -z "$problems" ]
check $? "generated units are complete and name rw/ro sockets as the daemon expects${problems:+ (problems:$problems)}"

have_verify=yes
command -v systemd-analyze >/dev/null 2>&1 || have_verify=no

# 2: the real units pass.
if [ $have_verify = no ]; then
    skip "systemd-analyze not installed"
elif [ ! -x "$daemon" ]; then
    not_ok "systemd-analyze verify: $daemon is not built"
elif ! copy_units "$tmp/good"; then
    not_ok "systemd-analyze verify: cannot copy the units"
else
    grep -qx "ExecStart=$daemon --timeout 120" "$tmp/good/modvirt-qemud.service" &&
        verify_units "$tmp/good"
    check $? "systemd-analyze verify passes with no output on stderr"
fi

# 3-5: the check fails on a broken copy.  Each copy breaks one thing.
# broken NAME UNIT SED-EXPR DESCRIPTION
broken() {
    if [ $have_verify = no ] || [ ! -x "$daemon" ]; then
        skip "$4 (no systemd-analyze or no daemon)"
        return
    fi
    copy_units "$tmp/$1" && sed -i "$3" "$tmp/$1/$2"
    if cmp -s "$tmp/$1/$2" "$tmp/good/$2"; then
        not_ok "$4: the sed expression changed nothing"
    elif verify_units "$tmp/$1" >/dev/null; then
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

# ---- modvirt-netd's units: the same shape, checked the same way ----

netd_daemon=$top_builddir/netd/modvirt-netd
netd_units="modvirt-netd.service modvirt-netd.socket modvirt-netd-ro.socket"

# 6: complete, substituted, and naming what the daemon expects
problems=
for u in $netd_units; do
    f=$top_builddir/units/$u
    [ -f "$f" ] || { problems="$problems $u:missing"; continue; }
    grep -q '@[a-z_]*@' "$f" && problems="$problems $u:unsubstituted"
done
if [ -z "$problems" ]; then
    nsock=$top_builddir/units/modvirt-netd.socket
    nsock_ro=$top_builddir/units/modvirt-netd-ro.socket
    nsvc=$top_builddir/units/modvirt-netd.service
    case $(sed -n 's/^ListenStream=//p' "$nsock") in */modvirt/netd-sock) ;; *) problems="$problems rw-path" ;; esac
    case $(sed -n 's/^ListenStream=//p' "$nsock_ro") in */modvirt/netd-sock-ro) ;; *) problems="$problems ro-path" ;; esac
    grep -qx 'FileDescriptorName=rw' "$nsock" || problems="$problems rw-fdname"
    grep -qx 'FileDescriptorName=ro' "$nsock_ro" || problems="$problems ro-fdname"
    grep -qx 'Service=modvirt-netd.service' "$nsock" || problems="$problems rw-service"
    grep -qx 'Service=modvirt-netd.service' "$nsock_ro" || problems="$problems ro-service"
    grep -qx 'Type=notify' "$nsvc" || problems="$problems type"
    # dnsmasq of active networks must survive a stop or restart of netd
    grep -qx 'KillMode=process' "$nsvc" || problems="$problems killmode"
    grep -q '^ExecStart=/[^ ]*/modvirt-netd --timeout 120$' "$nsvc" || problems="$problems execstart"
fi
[ -z "$problems" ]
check $? "modvirt-netd's units are complete and name its rw/ro sockets${problems:+ (problems:$problems)}"

# 7: systemd-analyze verify passes on them
if [ $have_verify = no ]; then
    skip "systemd-analyze not installed"
elif [ ! -x "$netd_daemon" ]; then
    not_ok "systemd-analyze verify: $netd_daemon is not built"
else
    mkdir -p "$tmp/netd" && for u in $netd_units; do
        sed "s|^ExecStart=[^ ]*/modvirt-netd\\([ ]\\)|ExecStart=$netd_daemon\\1|" \
            "$top_builddir/units/$u" >"$tmp/netd/$u"
    done
    grep -qx "ExecStart=$netd_daemon --timeout 120" "$tmp/netd/modvirt-netd.service" &&
        (cd "$tmp/netd" && systemd-analyze verify --man=no $netd_units) >"$tmp/netd.out" 2>"$tmp/netd.err" &&
        [ ! -s "$tmp/netd.err" ]
    rc=$?
    [ $rc -eq 0 ] || diag "$tmp/netd.err"
    check $rc "systemd-analyze verify passes on modvirt-netd's units with no output on stderr"
fi

# ---- modvirt-storaged's units: the same shape, without KillMode=process
# (storaged leaves no process behind for its pools: they are mounts) ----

st_daemon=$top_builddir/storaged/modvirt-storaged
st_units="modvirt-storaged.service modvirt-storaged.socket modvirt-storaged-ro.socket"

problems=
for u in $st_units; do
    f=$top_builddir/units/$u
    [ -f "$f" ] || { problems="$problems $u:missing"; continue; }
    grep -q '@[a-z_]*@' "$f" && problems="$problems $u:unsubstituted"
done
if [ -z "$problems" ]; then
    ssock=$top_builddir/units/modvirt-storaged.socket
    ssock_ro=$top_builddir/units/modvirt-storaged-ro.socket
    ssvc=$top_builddir/units/modvirt-storaged.service
    case $(sed -n 's/^ListenStream=//p' "$ssock") in */modvirt/storaged-sock) ;; *) problems="$problems rw-path" ;; esac
    case $(sed -n 's/^ListenStream=//p' "$ssock_ro") in */modvirt/storaged-sock-ro) ;; *) problems="$problems ro-path" ;; esac
    grep -qx 'FileDescriptorName=rw' "$ssock" || problems="$problems rw-fdname"
    grep -qx 'FileDescriptorName=ro' "$ssock_ro" || problems="$problems ro-fdname"
    grep -qx 'Service=modvirt-storaged.service' "$ssock" || problems="$problems rw-service"
    grep -qx 'Service=modvirt-storaged.service' "$ssock_ro" || problems="$problems ro-service"
    grep -qx 'Type=notify' "$ssvc" || problems="$problems type"
    grep -q '^ExecStart=/[^ ]*/modvirt-storaged --timeout 120$' "$ssvc" || problems="$problems execstart"
fi
[ -z "$problems" ]
check $? "modvirt-storaged's units are complete and name its rw/ro sockets${problems:+ (problems:$problems)}"

if [ $have_verify = no ]; then
    skip "systemd-analyze not installed"
elif [ ! -x "$st_daemon" ]; then
    not_ok "systemd-analyze verify: $st_daemon is not built"
else
    mkdir -p "$tmp/storaged" && for u in $st_units; do
        sed "s|^ExecStart=[^ ]*/modvirt-storaged\\([ ]\\)|ExecStart=$st_daemon\\1|" \
            "$top_builddir/units/$u" >"$tmp/storaged/$u"
    done
    grep -qx "ExecStart=$st_daemon --timeout 120" "$tmp/storaged/modvirt-storaged.service" &&
        (cd "$tmp/storaged" && systemd-analyze verify --man=no $st_units) >"$tmp/storaged.out" 2>"$tmp/storaged.err" &&
        [ ! -s "$tmp/storaged.err" ]
    rc=$?
    [ $rc -eq 0 ] || diag "$tmp/storaged.err"
    check $rc "systemd-analyze verify passes on modvirt-storaged's units with no output on stderr"
fi

# ---- modvirt-proxyd's units: libvirt's own socket paths, the same fd names ----

px_daemon=$top_builddir/proxyd/modvirt-proxyd
px_units="modvirt-proxyd.service modvirt-proxyd.socket modvirt-proxyd-ro.socket"

problems=
for u in $px_units; do
    f=$top_builddir/units/$u
    [ -f "$f" ] || { problems="$problems $u:missing"; continue; }
    grep -q '@[a-z_]*@' "$f" && problems="$problems $u:unsubstituted"
done
if [ -z "$problems" ]; then
    psock=$top_builddir/units/modvirt-proxyd.socket
    psock_ro=$top_builddir/units/modvirt-proxyd-ro.socket
    psvc=$top_builddir/units/modvirt-proxyd.service
    # the paths every libvirt client opens for qemu:///system
    case $(sed -n 's/^ListenStream=//p' "$psock") in /*/libvirt/libvirt-sock) ;; *) problems="$problems rw-path" ;; esac
    case $(sed -n 's/^ListenStream=//p' "$psock_ro") in /*/libvirt/libvirt-sock-ro) ;; *) problems="$problems ro-path" ;; esac
    grep -qx 'FileDescriptorName=rw' "$psock" || problems="$problems rw-fdname"
    grep -qx 'FileDescriptorName=ro' "$psock_ro" || problems="$problems ro-fdname"
    grep -qx 'Service=modvirt-proxyd.service' "$psock" || problems="$problems rw-service"
    grep -qx 'Service=modvirt-proxyd.service' "$psock_ro" || problems="$problems ro-service"
    grep -qx 'Type=notify' "$psvc" || problems="$problems type"
    grep -q '^ExecStart=/[^ ]*/modvirt-proxyd --timeout 120$' "$psvc" || problems="$problems execstart"
    # libvirt's units on the same paths must never run alongside
    grep -q '^Conflicts=.*libvirtd.socket' "$psock" || problems="$problems rw-conflicts"
    grep -q '^Conflicts=.*libvirtd-ro.socket' "$psock_ro" || problems="$problems ro-conflicts"
fi
[ -z "$problems" ]
check $? "modvirt-proxyd's units are complete, on libvirt's socket paths, named rw/ro${problems:+ (problems:$problems)}"

# Every unit together, each ExecStart aimed at its daemon in the build
# tree, in one directory: the dependencies between them (proxyd wants the
# daemons' sockets) resolve too.
all_units=
for u in "$top_builddir"/units/modvirt-*.service "$top_builddir"/units/modvirt-*.socket; do
    [ -f "$u" ] && all_units="$all_units $(basename "$u")"
done
if [ $have_verify = no ]; then
    skip "systemd-analyze not installed"
else
    missing=
    mkdir -p "$tmp/all"
    for u in $all_units; do
        d=${u%%.*}
        d=${d%-ro}
        bin=$top_builddir/${d#modvirt-}/$d
        case $u in *.service) [ -x "$bin" ] || missing="$missing $bin" ;; esac
        sed "s|^ExecStart=[^ ]*/$d\\([ ]\\)|ExecStart=$bin\\1|" "$top_builddir/units/$u" >"$tmp/all/$u"
    done
    if [ -n "$missing" ]; then
        not_ok "systemd-analyze verify on every unit: not built:$missing"
    else
        # shellcheck disable=SC2086  # a list of names
        (cd "$tmp/all" && systemd-analyze verify --man=no $all_units) >"$tmp/all.out" 2>"$tmp/all.err" &&
            [ ! -s "$tmp/all.err" ]
        rc=$?
        [ $rc -eq 0 ] || diag "$tmp/all.err"
        check $rc "systemd-analyze verify passes on all $(echo $all_units | wc -w) units together:$all_units"
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
    while [ ! -S "$notify" ] && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    [ -S "$notify" ] || notify=
fi

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
elif grep -qx 'READY=1' "$tmp/notify.log" 2>/dev/null; then
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
elif grep -qx 'STOPPING=1' "$tmp/notify.log" 2>/dev/null; then
    ok "the daemon sends STOPPING=1 when it exits"
else
    not_ok "the daemon sends STOPPING=1 when it exits"
    diag "$tmp/notify.log" 2>/dev/null
fi

[ $failed -eq 0 ]
