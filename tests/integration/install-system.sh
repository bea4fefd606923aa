#!/bin/bash
# tools/install-system on a DESTDIR tree: "make install DESTDIR=..." from
# the build tree, Debian's own libvirt unit files copied in where the
# package puts them and enabled as its postinst does, then
# install-system --root: libvirt's daemons masked, modvirt's sockets
# enabled; revert: the tree exactly as before, byte for byte (every file,
# directory and symlink, with modes and link targets), including what the
# administrator had changed before.  Also: a tree whose proxy socket is
# not libvirt's is refused; a second install and a revert without install
# are refused; a failure half way leaves the tree as it was; a change made
# after install survives revert.
#
# Debian's libvirt units come from the machine (/lib/systemd/system or
# /usr/lib/systemd/system) or, where the package that ships them
# (libvirt-daemon-system) is not installed, from its .deb in apt's cache
# (tools/install-deps downloads it there without installing it); with
# neither the script skips.  Prints TAP.  Needs top_builddir and top_srcdir.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u

: "${top_builddir:?top_builddir must be set (run from make check)}"
: "${top_srcdir:?top_srcdir must be set (run from make check)}"

tool=$top_srcdir/tools/install-system
n=0
failed=0
errs=
plan=7
ok()     { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
fail()   { errs+="$*"$'\n'; }
verdict() {
    if [ -z "$errs" ]; then ok "$1"; else not_ok "$1"; printf '%s' "$errs" | sed 's/^/#   /'; fi
    errs=
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/mvinstsys.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
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

echo "1..$plan"

# ---- the tree ----
make -s --no-print-directory -C "$top_builddir" install DESTDIR="$root" >"$tmp/install.out" 2>&1 ||
    { echo "Bail out! make install DESTDIR=$root failed"; sed 's/^/#   /' "$tmp/install.out"; exit 1; }
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
unitdir=$(dirname "$(find "$root" -name modvirt-proxyd.socket | head -n 1)")
# the units install-system masks: those of these daemons that Debian ships
libvirt_present=
for d in libvirtd virtqemud virtnetworkd virtstoraged virtproxyd; do
    for k in .service .socket -ro.socket -admin.socket -tcp.socket -tls.socket; do
        [ -f "$root/lib/systemd/system/$d$k" ] && libvirt_present="$libvirt_present $d$k"
    done
done
modvirt_sockets="modvirt-qemud.socket modvirt-qemud-ro.socket modvirt-netd.socket modvirt-netd-ro.socket
                 modvirt-storaged.socket modvirt-storaged-ro.socket modvirt-proxyd.socket modvirt-proxyd-ro.socket"

# 1: a proxy socket that is not libvirt's (a build configured without
# --runstatedir=/run) is refused before anything changes; then the tree's
# units are made to say /run, as that build would have them
listing >"$tmp/before0"
listen=$(sed -n 's/^ListenStream=//p' "$unitdir/modvirt-proxyd.socket")
if [ "$listen" != /run/libvirt/libvirt-sock ]; then
    "$tool" --root "$root" install >"$tmp/t1.out" 2>&1 && fail "install accepted a proxy socket at $listen"
    grep -q "listens on '$listen', not on /run/libvirt/libvirt-sock" "$tmp/t1.out" ||
        fail "no message naming the socket: $(cat "$tmp/t1.out")"
    listing | cmp -s - "$tmp/before0" || fail "the refused install changed the tree"
    rundir=${listen%/libvirt/libvirt-sock}
    sed -i "s|^ListenStream=$rundir/|ListenStream=/run/|" "$unitdir"/modvirt-*.socket
    verdict "a proxy socket at $listen (not libvirt's) is refused, nothing changed"
else
    ok "# SKIP the build's runstatedir is /run: nothing to refuse"
fi

# 2: install masks libvirt's units and enables modvirt's sockets; libvirt's
# other units (virtlogd, virtlockd) keep their state
listing >"$tmp/before"
"$tool" --root "$root" install >"$tmp/t2.out" 2>&1 || fail "install failed: $(cat "$tmp/t2.out")"
for u in $libvirt_present; do
    [ "$(state "$u")" = masked ] || fail "$u is $(state "$u"), not masked"
done
for u in $modvirt_sockets; do
    [ "$(state "$u")" = enabled ] || fail "$u is $(state "$u"), not enabled"
done
for u in virtlogd.socket virtlockd.socket; do
    [ -f "$root/lib/systemd/system/$u" ] && [ "$(state "$u")" != enabled ] && fail "$u is $(state "$u") (was enabled)"
done
"$tool" --root "$root" status >"$tmp/status.out" 2>&1
grep -q "modvirt is installed in place of libvirt" "$tmp/status.out" || fail "status: $(head -n 1 "$tmp/status.out")"
verdict "install masks libvirt's$libvirt_present ($source_of_units) and enables modvirt's 8 sockets"

# 3: a second install is refused and changes nothing
listing >"$tmp/installed"
"$tool" --root "$root" install >"$tmp/t3.out" 2>&1 && fail "a second install succeeded"
grep -q "already installed" "$tmp/t3.out" || fail "message: $(cat "$tmp/t3.out")"
listing | cmp -s - "$tmp/installed" || fail "the refused install changed the tree"
verdict "a second install is refused, naming the record of the first"

# 4: revert puts the tree back exactly (the administrator's mask included)
"$tool" --root "$root" revert >"$tmp/t4.out" 2>&1 || fail "revert failed: $(cat "$tmp/t4.out")"
listing >"$tmp/reverted"
if ! cmp -s "$tmp/before" "$tmp/reverted"; then
    fail "the tree differs from before install:"
    fail "$(diff "$tmp/before" "$tmp/reverted" | head -n 20)"
fi
[ "$(state libvirtd-tls.socket)" = masked ] || fail "the administrator's mask of libvirtd-tls.socket is gone"
[ "$(state libvirtd.service)" = enabled ] || fail "libvirtd.service is $(state libvirtd.service), not enabled"
verdict "revert restores the tree byte for byte: every symlink, directory and file as before install"

# 5: revert without install is refused
"$tool" --root "$root" revert >"$tmp/t5.out" 2>&1 && fail "revert without install succeeded"
grep -q "not installed" "$tmp/t5.out" || fail "message: $(cat "$tmp/t5.out")"
listing | cmp -s - "$tmp/before" || fail "the refused revert changed the tree"
verdict "revert without an install is refused"

# 6: a failure half way (an administrator's own unit file in /etc, which
# systemctl will not mask) is undone: the tree is as before
cp "$root/lib/systemd/system/libvirtd.socket" "$root/etc/systemd/system/libvirtd.socket"
listing >"$tmp/before6"
"$tool" --root "$root" install >"$tmp/t6.out" 2>&1 && fail "install succeeded over an unmaskable unit"
grep -q "undoing its changes" "$tmp/t6.out" || fail "no rollback reported: $(cat "$tmp/t6.out")"
listing | cmp -s - "$tmp/before6" || fail "the tree changed: $(listing | diff "$tmp/before6" - | head -n 10)"
rm -f "$root/etc/systemd/system/libvirtd.socket"
verdict "an install that fails half way leaves the tree as it was"

# 7: a change made after install is not revert's to undo
listing >"$tmp/before7"
"$tool" --root "$root" install >"$tmp/t7.out" 2>&1 || fail "install failed: $(cat "$tmp/t7.out")"
systemctl --root="$root" enable virtlogd-admin.socket >/dev/null 2>&1 || fail "enabling virtlogd-admin.socket failed"
listing >"$tmp/changed7"
"$tool" --root "$root" revert >"$tmp/t7r.out" 2>&1 || fail "revert failed: $(cat "$tmp/t7r.out")"
[ "$(state virtlogd-admin.socket)" = enabled ] || fail "revert undid the administrator's later change"
systemctl --root="$root" disable virtlogd-admin.socket >/dev/null 2>&1
listing | cmp -s - "$tmp/before7" || fail "the rest is not as before: $(listing | diff "$tmp/before7" - | head -n 10)"
verdict "revert undoes only install's changes: one made since is kept"

[ $failed -eq 0 ]
