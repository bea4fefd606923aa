#!/bin/bash
# "make install DESTDIR=..." from the build tree, and the tree it makes:
# every file modvirt installs (daemons, client, units, man pages, polkit
# actions, tmpfiles.d entry, default configurations) where the build's
# directories say, with its mode; the units verified with systemd-analyze
# against the installed daemons; the tmpfiles.d entry applied with
# systemd-tmpfiles --root; each default configuration accepted by its
# daemon with every setting uncommented; a changed configuration kept by a
# second install and by uninstall; uninstall leaves no file behind.
# Prints TAP.  Needs top_builddir and top_srcdir (set by "make check").
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

mv_tmp_init
tmp=$mv_tmp
dest=$tmp/dest
daemons="qemud netd storaged nodedevd proxyd"

echo "1..8"

# 1: make install into DESTDIR succeeds (or the script bails out)
mv_install_tree "$dest"
verdict "make install DESTDIR=$dest"

# expect_file PATH MODE: PATH (under DESTDIR) is a regular file with MODE
expect_file() {
    local f=$dest$1 mode
    if [ ! -f "$f" ] || [ -L "$f" ]; then
        expect_fail "missing: $1"
        return
    fi
    mode=$(stat -c %a "$f")
    [ "$mode" = "$2" ] || expect_fail "$1: mode $mode, expected $2"
}

# 2: every expected file, with its mode
for d in $daemons; do expect_file "$sbindir/modvirt-$d" 755; done
expect_file "$bindir/modvirt" 755
for d in $daemons; do
    for u in "modvirt-$d.service" "modvirt-$d.socket" "modvirt-$d-ro.socket"; do
        expect_file "$unitdir/$u" 644
    done
    expect_file "$mandir/man8/modvirt-$d.8" 644
    expect_file "$mandir/man5/modvirt-$d.conf.5" 644
    expect_file "$sysconfdir/modvirt/modvirt-$d.conf" 644
done
expect_file "$mandir/man1/modvirt.1" 644
expect_file "$polkitdir/org.modvirt.policy" 644
expect_file "$tmpfilesdir/modvirt.conf" 644
verdict "every file installed where the build's directories say, with its mode (0755 programs, 0644 data)"

# 3: the units name the installed daemons and pass systemd-analyze verify
# (a copy whose ExecStart points into DESTDIR: verify --root would need
# the whole of systemd's own units in the tree)
for u in "$dest$unitdir"/modvirt-*.service; do
    name=$(basename "$u" .service)
    grep -q "^ExecStart=$sbindir/$name " "$u" || expect_fail "$name.service: ExecStart is not $sbindir/$name"
done
proxy_rw=$(sed -n 's/^ListenStream=//p' "$dest$unitdir/modvirt-proxyd.socket")
[ "$proxy_rw" = "$runstatedir/libvirt/libvirt-sock" ] || expect_fail "modvirt-proxyd.socket listens on '$proxy_rw'"
if ! command -v systemd-analyze >/dev/null 2>&1; then
    expect_fail "systemd-analyze is not installed"
else
    mkdir -p "$tmp/units"
    for u in "$dest$unitdir"/modvirt-*; do
        sed "s|^ExecStart=$sbindir/|ExecStart=$dest$sbindir/|" "$u" >"$tmp/units/$(basename "$u")"
    done
    (cd "$tmp/units" && systemd-analyze verify --man=no ./*) >"$tmp/verify.out" 2>"$tmp/verify.err" ||
        expect_fail "systemd-analyze verify failed"
    [ -s "$tmp/verify.err" ] && expect_fail "systemd-analyze verify: $(cat "$tmp/verify.err")"
fi
verdict "the installed units start the installed daemons and pass systemd-analyze verify"

# 4: the polkit actions are valid policy XML with both actions
pol=$dest$polkitdir/org.modvirt.policy
if command -v xmllint >/dev/null 2>&1; then
    xmllint --noout "$pol" 2>"$tmp/xml.err" || expect_fail "not well-formed: $(cat "$tmp/xml.err")"
    for a in org.modvirt.unix.manage org.modvirt.unix.monitor; do
        [ "$(xmllint --xpath "count(/policyconfig/action[@id='$a']/defaults)" "$pol" 2>/dev/null)" = 1 ] ||
            expect_fail "action $a with defaults missing"
    done
else
    expect_fail "xmllint is not installed"
fi
verdict "the polkit policy declares org.modvirt.unix.manage and org.modvirt.unix.monitor"

# 5: systemd-tmpfiles makes the runtime directories
if command -v systemd-tmpfiles >/dev/null 2>&1; then
    systemd-tmpfiles --root="$dest" --create "$dest$tmpfilesdir/modvirt.conf" >"$tmp/tmpfiles.out" 2>&1 ||
        expect_fail "systemd-tmpfiles failed: $(cat "$tmp/tmpfiles.out")"
    for d in "$runstatedir/modvirt" "$runstatedir/libvirt"; do
        [ "$(stat -c %a "$dest$d" 2>/dev/null)" = 755 ] || expect_fail "$d: not a 0755 directory"
    done
else
    expect_fail "systemd-tmpfiles is not installed"
fi
verdict "the tmpfiles.d entry creates $runstatedir/modvirt and $runstatedir/libvirt (0755)"

# 6: each default configuration is all comments, and its daemon accepts
# every setting in it uncommented (they are its defaults).  The daemons
# run under --root in a network namespace of their own and exit after
# one idle second.
if [ "$(id -u)" -ne 0 ] || ! command -v unshare >/dev/null 2>&1; then
    skip "the daemons need root and unshare"
else
    for d in $daemons; do
        conf=$dest$sysconfdir/modvirt/modvirt-$d.conf
        grep -v '^#' "$conf" | grep -q '[^[:space:]]' && expect_fail "modvirt-$d.conf has a line that is not a comment"
        sed -n 's/^#\([a-z_]* = \)/\1/p' "$conf" >"$tmp/$d.conf"
        [ -s "$tmp/$d.conf" ] || expect_fail "modvirt-$d.conf shows no setting"
        # no "default" network on netd's first start: it would start dnsmasq,
        # which outlives netd (and its namespace) by design
        mkdir -p "$tmp/root-$d/var/lib/modvirt/network" &&
            touch "$tmp/root-$d/var/lib/modvirt/network/default-defined"
        timeout 60 unshare -n env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$tmp/no-bus" \
            "$dest$sbindir/modvirt-$d" --root "$tmp/root-$d" --config "$tmp/$d.conf" --timeout 1 \
            >"$tmp/$d.out" 2>&1
        rc=$?
        [ $rc -eq 0 ] || expect_fail "modvirt-$d with every setting of its default file: exit $rc: $(tail -n 3 "$tmp/$d.out")"
    done
fi
verdict "every default configuration is commented out, and each daemon accepts all its settings uncommented"

# 7: a changed configuration survives a second install and an uninstall
conf=$dest$sysconfdir/modvirt/modvirt-qemud.conf
echo 'log_level = 2' >>"$conf"
cp "$conf" "$tmp/changed.conf"
mv_make_dest install "$dest" || expect_fail "second make install failed"
cmp -s "$conf" "$tmp/changed.conf" || expect_fail "the second install replaced the changed modvirt-qemud.conf"
mv_make_dest uninstall "$dest" || expect_fail "make uninstall failed: $(tail -n 5 "$dest.uninstall.out")"
cmp -s "$conf" "$tmp/changed.conf" || expect_fail "uninstall removed the changed modvirt-qemud.conf"
verdict "a changed configuration file is kept by a second install and by uninstall"

# 8: uninstall removes everything else (the tmpfiles directories are not installed files)
rm -f "$conf"
left=$(find "$dest" ! -type d ! -path "$dest$runstatedir/*" | sed "s|^$dest||")
[ -z "$left" ] || expect_fail "left behind: $left"
verdict "make uninstall leaves no installed file behind"

mv_done
