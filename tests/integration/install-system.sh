#!/bin/bash
# tools/install-system on a DESTDIR tree: "make install DESTDIR=..." from
# the build tree, Debian's own libvirt unit files copied in where the
# package puts them and enabled as its postinst does, then
# install-system --root: libvirt's daemons masked, modvirt's sockets
# enabled; revert: the tree exactly as before, byte for byte (every file,
# directory and symlink, with modes and link targets), including what the
# administrator had changed before.  Also: a tree whose proxy socket is
# not libvirt's is refused; a second install and a revert without install
# are refused; so is a libvirt unit an administrator keeps as a file in
# /etc/systemd/system, naming it, before any change; a failure half way
# leaves the tree as it was; a change made after install survives revert;
# socket files of libvirt's units that nobody listens on (the test makes
# them in the tree, with stand-ins for libvirt's virtqemud units where the
# machine has none) are removed and named by revert, one with a listener
# and one no masked unit names are kept.
#
# Debian's libvirt units come from the machine (/lib/systemd/system or
# /usr/lib/systemd/system) or, where the package that ships them
# (libvirt-daemon-system) is not installed, from its .deb in apt's cache
# (tools/install-deps downloads it there without installing it); with
# neither the script skips.  Prints TAP.  Needs top_builddir and top_srcdir.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

tool=$top_srcdir/tools/install-system
plan=9

mv_tmp_init
tmp=$mv_tmp
root=$tmp/root

skip_all() { echo "1..0 # SKIP $*"; exit 0; }
command -v systemctl >/dev/null 2>&1 || skip_all "systemctl is not installed"

# ---- Debian's libvirt units ----
libvirt_units=$tmp/libvirt-units
mkdir -p "$libvirt_units"
for d in /lib/systemd/system /usr/lib/systemd/system; do
    for f in "$d"/libvirtd* "$d"/virt*d.* "$d"/virt*d-*.socket; do
        [ -f "$f" ] && cp -n "$f" "$libvirt_units/"
    done
done
if [ -z "$(ls "$libvirt_units")" ]; then
    deb=$(find /var/cache/apt/archives -maxdepth 1 -name 'libvirt-daemon-system_*.deb' | sort | tail -n 1)
    [ -n "$deb" ] || skip_all "no libvirt unit files: libvirt-daemon-system is neither installed nor in apt's cache (tools/install-deps)"
    dpkg-deb -x "$deb" "$tmp/deb" || skip_all "cannot unpack $deb"
    cp "$tmp/deb"/lib/systemd/system/* "$libvirt_units/"
    source_of_units=$(basename "$deb")
else
    source_of_units="this machine"
fi
[ -f "$libvirt_units/libvirtd.service" ] || skip_all "libvirt's units ($source_of_units) have no libvirtd.service"

# ---- the tree ----
mv_install_tree "$root"
# systemctl --root finds units only on systemd's own unit path: a build
# whose prefix puts them elsewhere (make distcheck's) cannot be switched to
case "$unitdir" in
/etc/systemd/system | /run/systemd/system | /usr/local/lib/systemd/system | \
/usr/lib/systemd/system | /lib/systemd/system) ;;
*) skip_all "this build installs its units in $unitdir, where systemd does not look (configure --prefix=/usr or /usr/local)" ;;
esac

echo "1..$plan"

mkdir -p "$root/lib/systemd/system"
cp "$libvirt_units"/* "$root/lib/systemd/system/"
# as Debian's postinst: libvirtd enabled (with its sockets and virtlogd's,
# virtlockd's); and one change of the administrator's own: TLS masked
systemctl --root="$root" enable libvirtd.service >"$tmp/enable.out" 2>&1 ||
    { echo "Bail out! systemctl --root enable libvirtd.service failed"; sed 's/^/#   /' "$tmp/enable.out"; exit 1; }
systemctl --root="$root" mask libvirtd-tls.socket >>"$tmp/enable.out" 2>&1 ||
    { echo "Bail out! systemctl --root mask libvirtd-tls.socket failed"; exit 1; }

# listing: the whole tree, one line per entry (type, mode, path, link target)
listing() { find "$root" -printf '%y %m %P %l\n' | LC_ALL=C sort; }
state() { systemctl --root="$root" is-enabled "$1" 2>/dev/null; }
modvirt_units=$root$unitdir
# the units install-system masks: those of these daemons that Debian ships
libvirt_present=
for d in libvirtd virtqemud virtnetworkd virtstoraged virtnodedevd virtproxyd; do
    for k in .service .socket -ro.socket -admin.socket -tcp.socket -tls.socket; do
        [ -f "$root/lib/systemd/system/$d$k" ] && libvirt_present="$libvirt_present $d$k"
    done
done
modvirt_sockets="modvirt-qemud.socket modvirt-qemud-ro.socket modvirt-netd.socket modvirt-netd-ro.socket
                 modvirt-storaged.socket modvirt-storaged-ro.socket modvirt-nodedevd.socket modvirt-nodedevd-ro.socket
                 modvirt-proxyd.socket modvirt-proxyd-ro.socket"

# 1: a proxy socket that is not libvirt's (a build configured without
# --runstatedir=/run) is refused before anything changes; then the tree's
# units are made to say /run, as that build would have them
listing >"$tmp/before0"
listen=$(sed -n 's/^ListenStream=//p' "$modvirt_units/modvirt-proxyd.socket")
if [ "$listen" != /run/libvirt/libvirt-sock ]; then
    "$tool" --root "$root" install >"$tmp/t1.out" 2>&1 && expect_fail "install accepted a proxy socket at $listen"
    grep -q "listens on '$listen', not on /run/libvirt/libvirt-sock" "$tmp/t1.out" ||
        expect_fail "no message naming the socket: $(cat "$tmp/t1.out")"
    listing | cmp -s - "$tmp/before0" || expect_fail "the refused install changed the tree"
    rundir=${listen%/libvirt/libvirt-sock}
    sed -i "s|^ListenStream=$rundir/|ListenStream=/run/|" "$modvirt_units"/modvirt-*.socket
    verdict "a proxy socket at $listen (not libvirt's) is refused, nothing changed"
else
    skip "the build's runstatedir is /run: nothing to refuse"
fi

# 2: install masks libvirt's units and enables modvirt's sockets; libvirt's
# other units (virtlogd, virtlockd) keep their state
listing >"$tmp/before"
"$tool" --root "$root" install >"$tmp/t2.out" 2>&1 || expect_fail "install failed: $(cat "$tmp/t2.out")"
for u in $libvirt_present; do
    [ "$(state "$u")" = masked ] || expect_fail "$u is $(state "$u"), not masked"
done
for u in $modvirt_sockets; do
    [ "$(state "$u")" = enabled ] || expect_fail "$u is $(state "$u"), not enabled"
done
for u in virtlogd.socket virtlockd.socket; do
    [ -f "$root/lib/systemd/system/$u" ] && [ "$(state "$u")" != enabled ] && expect_fail "$u is $(state "$u") (was enabled)"
done
"$tool" --root "$root" status >"$tmp/status.out" 2>&1
grep -q "modvirt is installed in place of libvirt" "$tmp/status.out" || expect_fail "status: $(head -n 1 "$tmp/status.out")"
verdict "install masks libvirt's$libvirt_present ($source_of_units) and enables modvirt's 8 sockets"

# 3: a second install is refused and changes nothing
listing >"$tmp/installed"
"$tool" --root "$root" install >"$tmp/t3.out" 2>&1 && expect_fail "a second install succeeded"
grep -q "already installed" "$tmp/t3.out" || expect_fail "message: $(cat "$tmp/t3.out")"
listing | cmp -s - "$tmp/installed" || expect_fail "the refused install changed the tree"
verdict "a second install is refused, naming the record of the first"

# 4: revert puts the tree back exactly (the administrator's mask included)
"$tool" --root "$root" revert >"$tmp/t4.out" 2>&1 || expect_fail "revert failed: $(cat "$tmp/t4.out")"
listing >"$tmp/reverted"
if ! cmp -s "$tmp/before" "$tmp/reverted"; then
    expect_fail "the tree differs from before install:"
    expect_fail "$(diff "$tmp/before" "$tmp/reverted" | head -n 20)"
fi
[ "$(state libvirtd-tls.socket)" = masked ] || expect_fail "the administrator's mask of libvirtd-tls.socket is gone"
[ "$(state libvirtd.service)" = enabled ] || expect_fail "libvirtd.service is $(state libvirtd.service), not enabled"
verdict "revert restores the tree byte for byte: every symlink, directory and file as before install"

# 5: revert without install is refused
"$tool" --root "$root" revert >"$tmp/t5.out" 2>&1 && expect_fail "revert without install succeeded"
grep -q "not installed" "$tmp/t5.out" || expect_fail "message: $(cat "$tmp/t5.out")"
listing | cmp -s - "$tmp/before" || expect_fail "the refused revert changed the tree"
verdict "revert without an install is refused"

# 6: a libvirt unit an administrator keeps as a file of its own in
# /etc/systemd/system (systemctl could not mask it there) is refused before
# anything changes, the file named
cp "$root/lib/systemd/system/libvirtd.socket" "$root/etc/systemd/system/libvirtd.socket"
listing >"$tmp/before6"
"$tool" --root "$root" install >"$tmp/t6.out" 2>&1 && expect_fail "install succeeded over an unmaskable unit"
grep -q "cannot mask libvirt's libvirtd.socket: $root/etc/systemd/system/libvirtd.socket is a unit file" "$tmp/t6.out" ||
    expect_fail "no message naming the file: $(cat "$tmp/t6.out")"
listing | cmp -s - "$tmp/before6" || expect_fail "the tree changed: $(listing | diff "$tmp/before6" - | head -n 10)"
rm -f "$root/etc/systemd/system/libvirtd.socket"
verdict "an administrator's own libvirtd.socket in /etc/systemd/system is refused, named, nothing changed"

# 7: a failure half way (the record cannot be written: a directory holds
# its place) is undone: the tree is as before
state_tmp=$root/var/lib/modvirt/install-system.state.tmp
mkdir -p "$state_tmp"
listing >"$tmp/before7"
"$tool" --root "$root" install >"$tmp/t7.out" 2>&1 && expect_fail "install succeeded without writing its record"
grep -q "undoing its changes" "$tmp/t7.out" || expect_fail "no rollback reported: $(cat "$tmp/t7.out")"
listing | cmp -s - "$tmp/before7" || expect_fail "the tree changed: $(listing | diff "$tmp/before7" - | head -n 10)"
rmdir "$state_tmp"
verdict "an install that fails half way leaves the tree as it was"

# 8: a change made after install is not revert's to undo
listing >"$tmp/before8"
"$tool" --root "$root" install >"$tmp/t8.out" 2>&1 || expect_fail "install failed: $(cat "$tmp/t8.out")"
systemctl --root="$root" enable virtlogd-admin.socket >/dev/null 2>&1 || expect_fail "enabling virtlogd-admin.socket failed"
"$tool" --root "$root" revert >"$tmp/t8r.out" 2>&1 || expect_fail "revert failed: $(cat "$tmp/t8r.out")"
[ "$(state virtlogd-admin.socket)" = enabled ] || expect_fail "revert undid the administrator's later change"
systemctl --root="$root" disable virtlogd-admin.socket >/dev/null 2>&1
listing | cmp -s - "$tmp/before8" || expect_fail "the rest is not as before: $(listing | diff "$tmp/before8" - | head -n 10)"
verdict "revert undoes only install's changes: one made since is kept"

# 9: libvirt's clients open /run/libvirt/virtqemud-sock whenever the file
# exists, and a stopped virtqemud.socket leaves it.  In the tree, files as
# a running system would have them once libvirt's units are stopped: the
# virtqemud sockets left behind, the ro one still listened on (by this
# test), virtqemud-admin.socket moved elsewhere by a drop-in (the old path
# is no unit's any more), and virtlogd's, which install does not mask.
lib_units=$root/lib/systemd/system
run=$root/run/libvirt
sock_py='
import signal, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1])
if sys.argv[2] == "listen":
    s.listen(8)
    print("ready", flush=True)
    signal.pause()'
# stand_in UNIT LINES...: a unit in the shape of libvirt's modular ones,
# unless the machine's libvirt ships it
stand_in() {
    local u=$1
    shift
    [ -f "$lib_units/$u" ] && return 0
    printf '%s\n' "[Unit]" "Description=stand-in for libvirt's $u" "$@" >"$lib_units/$u"
    echo "$u" >>"$tmp/stand-ins"
}
# connects FILE: 0 if something accepts a connection on socket FILE
connects() { "$MV_PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).connect(sys.argv[1])' "$1" 2>/dev/null; }
if ! command -v "$MV_PY" >/dev/null 2>&1; then
    skip "socket files left behind: $MV_PY is not installed"
else
    listing >"$tmp/before9"
    : >"$tmp/stand-ins"
    stand_in virtqemud.service "[Service]" "ExecStart=/usr/sbin/virtqemud"
    stand_in virtqemud.socket "[Socket]" "ListenStream=/run/libvirt/virtqemud-sock" "Service=virtqemud.service"
    stand_in virtqemud-ro.socket "[Socket]" "ListenStream=/run/libvirt/virtqemud-sock-ro" "Service=virtqemud.service"
    stand_in virtqemud-admin.socket "[Socket]" "ListenStream=/run/libvirt/virtqemud-admin-sock" "Service=virtqemud.service"
    dropin=$root/etc/systemd/system/virtqemud-admin.socket.d
    made_run=no
    [ -d "$root/run" ] || made_run=yes
    mkdir -p "$dropin" "$run"
    printf '%s\n' "[Socket]" "ListenStream=" "ListenStream=%t/libvirt/moved-admin-sock" >"$dropin/path.conf"
    for f in virtqemud-sock moved-admin-sock virtqemud-admin-sock virtlogd-sock; do
        "$MV_PY" -c "$sock_py" "$run/$f" bound || expect_fail "cannot make $run/$f"
    done
    coproc LISTENER { exec "$MV_PY" -c "$sock_py" "$run/virtqemud-sock-ro" listen; }
    kill_at_exit "$LISTENER_PID"
    read -r -t 30 -u "${LISTENER[0]}" ready || ready=
    [ "$ready" = ready ] || expect_fail "the listener on $run/virtqemud-sock-ro did not start"
    find "$root" -printf '%y %m %P %l\n' | grep -v ' run/libvirt/\(virtqemud-sock\|moved-admin-sock\) ' |
        LC_ALL=C sort >"$tmp/expected9"

    "$tool" --root "$root" install >"$tmp/t9.out" 2>&1 || expect_fail "install failed: $(cat "$tmp/t9.out")"
    for f in virtqemud-sock moved-admin-sock; do
        [ -e "$run/$f" ] && expect_fail "$run/$f, nobody listening, is still there"
        grep -qx "removed-socket /run/libvirt/$f" "$root/var/lib/modvirt/install-system.state" ||
            expect_fail "the record does not name /run/libvirt/$f"
    done
    grep -q "nobody listens on .*/run/libvirt/virtqemud-sock" "$tmp/t9.out" || expect_fail "install does not say so: $(cat "$tmp/t9.out")"
    for f in virtqemud-admin-sock virtlogd-sock; do
        [ -S "$run/$f" ] || expect_fail "$run/$f (no masked unit listens there) was removed"
    done
    connects "$run/virtqemud-sock-ro" || expect_fail "$run/virtqemud-sock-ro, listened on, no longer connects"

    "$tool" --root "$root" revert >"$tmp/t9r.out" 2>&1 || expect_fail "revert failed: $(cat "$tmp/t9r.out")"
    grep -q "make them again when they start: /run/libvirt/virtqemud-sock /run/libvirt/moved-admin-sock" "$tmp/t9r.out" ||
        expect_fail "revert does not name the removed files: $(cat "$tmp/t9r.out")"
    listing | cmp -s - "$tmp/expected9" ||
        expect_fail "the tree is not as before but for the two files: $(listing | diff "$tmp/expected9" - | head -n 10)"

    stop_pid "$LISTENER_PID" 5
    rm -rf "$dropin" "$run"
    [ $made_run = no ] || rmdir "$root/run"
    sed "s|^|$lib_units/|" "$tmp/stand-ins" | xargs -r rm -f
    listing | cmp -s - "$tmp/before9" || expect_fail "the test did not clean up: $(listing | diff "$tmp/before9" - | head -n 10)"
    verdict "install removes the socket files of masked units nobody listens on (paths from ListenStream=, drop-ins included), keeps the others; revert names them"
fi

mv_done
