#!/bin/bash
# The SPICE desktop virt-install writes, under modvirt-qemud and the real
# QEMU (TCG), with the daemon and its QEMUs in a network namespace of this
# script's own (their TCP ports never meet the host's):
# 1. virt-install's Fedora 37 definition (tests/data/virtinst/fedora37.xml:
#    SPICE autoport with tlsPort='-1', spicevmc agent channel, ich9 sound,
#    virtio video, two USB redirections) defines and starts; the live XML
#    has the port the daemon chose (the one on QEMU's -spice) and where it
#    listens, and the default <audio type='spice'>; no TLS port is
#    allocated; the inactive XML has no ports, as libvirt's.
# 2. a SPICE client's link message on that port is answered by a SPICE
#    server ("REDQ", version 2, no error), and virsh domdisplay names it.
# 3. virt-install's FreeBSD 13.1 definition (pc machine, EHCI with UHCI
#    companions, qxl, ich6) starts beside it on another port, which answers
#    too; the companions share their EHCI's PCI slot.
# 4. <listen type='socket'/>: the daemon picks a socket, the live XML shows
#    it, and the SPICE server answers there; that live XML defined under
#    another name runs beside it on a socket of its own.
# 5. what cannot start is refused at start, naming it, with nothing left
#    running: an explicit tlsPort (no TLS certificates), <gl enable='yes'>.
# 6. ports go back at stop: Fedora started again gets its port again.
# 7. VNC and SPICE autoport share the daemon's one port reservation: three
#    VNC and three SPICE guests started at once get six distinct ports, each
#    on its QEMU's command line (-vnc with an explicit display) and
#    answering; a guest whose written VNC port a running guest holds is
#    refused at start, naming the port and the holder.
# 8. after kill -9 of the daemon the restarted one reserves the running
#    guests' ports again from their live XML: the written port is still
#    refused; once its holder stops, that guest starts on it.
# 9. passwd: the client's ticket must be that password (set over QMP before
#    the guest runs); after passwdValidTo it no longer is.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_NEEDS="qemu-system-x86_64 xmllint ip"
mv_init 9
use_root root

# ---- the namespace and the daemon in it ---------------------------------

mv_netns_new mvsp
mv_start_daemon_in_netns "$NS"

rundir=$MV_ROOT/run/modvirt/qemu
qemu_arg() {    # PID FLAG: every argument after FLAG on that QEMU's command line
    tr '\0' '\n' <"/proc/$1/cmdline" | sed -n "/^$2\$/{n;p}"
}
xp() { printf '%s\n' "$out" | xmllint --xpath "$1" - 2>/dev/null; }
# spice_link ARGS: the SPICE server's answer to a link message (spice_link.py)
spice_link() { ip netns exec "$NS" "$MV_PY" "$MV_HELPERS/spice_link.py" "$@" 2>&1; }
answers='magic=REDQ major=2 error=0'

# NAME's live SPICE port, checked against QEMU's -spice
live_port() {
    vsh dumpxml "$1"
    port=$(xp 'string(//graphics[@type="spice"]/@port)')
    pid=$(our_qemu "$1")
    spice=$([ -n "$pid" ] && qemu_arg "$pid" -spice)
}

# 1
vsh define "$top_srcdir/tests/data/virtinst/fedora37.xml"
expect_eq "fedora37: define ($err)" 0 "$rc"
vsh start --paused vi-fedora37
expect_eq "fedora37: start --paused ($err)" 0 "$rc"
live_port vi-fedora37
case "$port" in
    59[0-9][0-9] | [6-9][0-9][0-9][0-9] | [1-6][0-9][0-9][0-9][0-9]) ;;
    *) expect_fail "fedora37: live port '$port' is not one autoport hands out (5900-65535)" ;;
esac
expect_match "fedora37: QEMU's -spice" "^port=$port,addr=127\.0\.0\.1,disable-ticketing=on,image-compression=off\$" "$spice"
expect_eq "fedora37: live autoport" yes "$(xp 'string(//graphics/@autoport)')"
expect_eq "fedora37: live tlsPort (none allocated without TLS)" "" "$(xp 'string(//graphics/@tlsPort)')"
expect_eq "fedora37: live listen" 127.0.0.1 "$(xp 'string(//graphics/listen[@type="address"]/@address)')"
expect_eq "fedora37: default audio" spice "$(xp 'string(//audio[@id="1"]/@type)')"
expect_eq "fedora37: redirdev aliases" "redir0 redir1" "$(xp '//redirdev/alias/@name' | sed 's/.*="\(.*\)"/\1/' | xargs)"
expect_eq "fedora37: spicevmc channel" com.redhat.spice.0 "$(xp 'string(//channel[@type="spicevmc"]/target/@name)')"
vsh dumpxml --inactive vi-fedora37
expect_eq "fedora37: inactive XML without ports (as libvirt's)" "" "$(xp 'string(//graphics/@port)')$(xp 'string(//graphics/@tlsPort)')"
f37_port=$port
verdict "fedora37 (virt-install's SPICE desktop) starts; live XML has the chosen port, QEMU listens there"

# 2
out=$(spice_link 127.0.0.1 "$f37_port")
expect_eq "fedora37: SPICE link on $f37_port" "$answers" "$out"
vsh domdisplay vi-fedora37
expect_eq "fedora37: domdisplay ($err)" "spice://127.0.0.1:$f37_port" "$out"
verdict "a SPICE client's link message is answered on the live port; virsh domdisplay names it"

# 3
vsh define "$top_srcdir/tests/data/virtinst/freebsd13.1.xml"
expect_eq "freebsd: define ($err)" 0 "$rc"
vsh start --paused vi-freebsd13.1
expect_eq "freebsd: start --paused ($err)" 0 "$rc"
live_port vi-freebsd13.1
[ -n "$port" ] && [ "$port" != "$f37_port" ] || expect_fail "freebsd: port '$port' (fedora has $f37_port)"
out=$(spice_link 127.0.0.1 "$port")
expect_eq "freebsd: SPICE link on $port" "$answers" "$out"
devs=$([ -n "$pid" ] && qemu_arg "$pid" -device)
ehci=$(printf '%s\n' "$devs" | sed -n 's/^ich9-usb-ehci1,.*addr=\(0x[0-9a-f]*\)\.7.*/\1/p')
expect_eq "freebsd: UHCI companions in the EHCI's slot ($ehci)" 3 \
    "$(printf '%s\n' "$devs" | grep -c "^ich9-usb-uhci[123],masterbus=usb.0,firstport=[024],bus=pci.0,addr=$ehci\.[012]")"
expect_match "freebsd: ich6 sound plays to SPICE" "^hda-duplex,.*audiodev=audio1" "$devs"
verdict "freebsd13.1 (pc, EHCI with UHCI companions, qxl, ich6) starts beside it on another answering port"

# 4
cat >"$mv_tmp/sock.xml" <<EOF
<domain type='qemu'><name>sp-sock</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='q35'>hvm</type></os>
<devices><graphics type='spice'><listen type='socket'/></graphics><memballoon model='none'/></devices></domain>
EOF
vsh define "$mv_tmp/sock.xml"
expect_eq "socket: define ($err)" 0 "$rc"
vsh start --paused sp-sock
expect_eq "socket: start --paused ($err)" 0 "$rc"
vsh dumpxml sp-sock
sock=$(xp 'string(//graphics/listen[@type="socket"]/@socket)')
case "$sock" in
    "$rundir"/*.d/spice*.sock) out=$(spice_link "$sock"); expect_eq "socket: SPICE link on $sock" "$answers" "$out" ;;
    *) expect_fail "socket: live socket '$sock' is not in $rundir" ;;
esac
# its live XML, renamed and defined, runs beside it on a socket of its own
vsh dumpxml sp-sock
printf '%s\n' "$out" | sed -e 's|<name>sp-sock</name>|<name>sp-sock2</name>|' -e '/<uuid>/d' >"$mv_tmp/sock2.xml"
vsh define "$mv_tmp/sock2.xml"
expect_eq "socket: define the live XML renamed ($err)" 0 "$rc"
vsh start --paused sp-sock2
expect_eq "socket: start the copy ($err)" 0 "$rc"
vsh dumpxml sp-sock2
sock2=$(xp 'string(//graphics/listen[@type="socket"]/@socket)')
[ -n "$sock2" ] && [ "$sock2" != "$sock" ] || expect_fail "socket: the copy listens on '$sock2' (the original on '$sock')"
out=$(spice_link "$sock2")
expect_eq "socket: SPICE link on the copy's $sock2" "$answers" "$out"
out=$(spice_link "$sock")
expect_eq "socket: SPICE link on $sock still" "$answers" "$out"
vsh destroy sp-sock
vsh destroy sp-sock2
verdict "<listen type='socket'/>: the daemon picks the socket, the live XML shows it, SPICE answers there; a copy of that XML gets its own"

# 5
refused() {     # NAME GRAPHICS-XML WHAT: start refused naming WHAT, nothing running
    cat >"$mv_tmp/$1.xml" <<EOF
<domain type='qemu'><name>$1</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>$2<memballoon model='none'/></devices></domain>
EOF
    vsh define "$mv_tmp/$1.xml"
    expect_eq "$1: define ($err)" 0 "$rc"
    vsh start "$1"
    [ "$rc" -ne 0 ] || expect_fail "$1: started"
    expect_match "$1: message" "$3" "$err"
    vsh domstate "$1"
    expect_eq "$1: state" "shut off" "$out"
    [ -z "$(our_qemu "$1")" ] || expect_fail "$1: a QEMU runs"
}
refused sp-tls "<graphics type='spice' autoport='yes' tlsPort='5999'/>" "tlsPort 5999 needs TLS"
refused sp-gl "<graphics type='spice' autoport='yes'><gl enable='yes'/></graphics>" "<gl enable='yes'>"
verdict "an explicit tlsPort and GL are refused at start by name; nothing is left running"

# 6
vsh destroy vi-fedora37
vsh start --paused vi-fedora37
expect_eq "fedora37: start again ($err)" 0 "$rc"
live_port vi-fedora37
expect_eq "fedora37: port after a restart" "$f37_port" "$port"
out=$(spice_link 127.0.0.1 "$port")
expect_eq "fedora37: SPICE link after a restart" "$answers" "$out"
for d in vi-fedora37 vi-freebsd13.1; do vsh destroy "$d"; vsh undefine "$d"; done
expect_daemon_alive
verdict "a stopped domain's port goes back: fedora37 started again gets $f37_port again"

# 7
display_guest() {    # NAME GRAPHICS-XML: $mv_tmp/NAME.xml, defined
    cat >"$mv_tmp/$1.xml" <<EOF
<domain type='qemu'><name>$1</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>$2<memballoon model='none'/></devices></domain>
EOF
    vsh define "$mv_tmp/$1.xml"
    expect_eq "$1: define ($err)" 0 "$rc"
}
# rfb PORT: the first bytes a VNC server sends ("RFB")
rfb() { ip netns exec "$NS" timeout 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$1 && head -c 3 <&3" 2>&1; }
# any_port NAME: its live port (VNC or SPICE), checked against QEMU's
# command line, and that the display answers there
any_port() {
    local type
    vsh dumpxml "$1"
    type=$(xp 'string(//graphics/@type)')
    port=$(xp 'string(//graphics/@port)')
    pid=$(our_qemu "$1")
    case "$type" in
    vnc)
        expect_eq "$1: QEMU's -vnc" "127.0.0.1:$((port - 5900))" "$([ -n "$pid" ] && qemu_arg "$pid" -vnc)"
        expect_eq "$1: RFB banner on $port" RFB "$(rfb "$port")" ;;
    spice)
        expect_match "$1: QEMU's -spice" "^port=$port,addr=127\.0\.0\.1," "$([ -n "$pid" ] && qemu_arg "$pid" -spice)"
        expect_eq "$1: SPICE link on $port" "$answers" "$(spice_link 127.0.0.1 "$port")" ;;
    *) expect_fail "$1: live graphics type '$type'" ;;
    esac
}
racers="dp-vnc1 dp-spice1 dp-vnc2 dp-spice2 dp-vnc3 dp-spice3"
for d in $racers; do
    t=${d#dp-}
    display_guest "$d" "<graphics type='${t%[0-9]}' autoport='yes'/>"
done
starters=
for d in $racers; do
    isolated virsh -c "$MV_URI" start --paused "$d" >"$mv_tmp/$d.start" 2>&1 &
    starters="$starters $!"
done
for p in $starters; do wait "$p" || expect_fail "a concurrent start failed: $(cat "$mv_tmp"/dp-*.start)"; done
ports=
for d in $racers; do
    any_port "$d"
    ports="$ports $port"
done
expect_eq "distinct ports of the six ($ports)" 6 "$(printf '%s\n' $ports | sort -u | grep -c '^[0-9][0-9]*$')"
any_port dp-vnc1
held=$port
display_guest dp-fixed "<graphics type='vnc' port='$held' autoport='no'/>"
vsh start --paused dp-fixed
[ "$rc" -ne 0 ] || expect_fail "dp-fixed: started on $held, which dp-vnc1 holds"
expect_match "dp-fixed: refused naming port and holder" \
    "port $held of the VNC display of domain 'dp-fixed' is taken by the running domain with uuid" "$err"
[ -z "$(our_qemu dp-fixed)" ] || expect_fail "dp-fixed: a QEMU runs"
for d in dp-vnc2 dp-spice2 dp-vnc3 dp-spice3; do vsh destroy "$d"; vsh undefine "$d"; done
verdict "VNC and SPICE autoport starting at once get distinct ports from one reservation; a held written port is refused"

# 8
{ kill -KILL "$MV_PID"; wait_exit "$MV_PID" 5; } 2>/dev/null || expect_fail "the daemon survived SIGKILL"
mv_start_daemon_in_netns "$NS"
vsh domstate dp-vnc1
expect_eq "dp-vnc1 after the restart" paused "$out"
vsh start --paused dp-fixed
[ "$rc" -ne 0 ] || expect_fail "dp-fixed: started on $held after the restart, which dp-vnc1 still holds"
expect_match "dp-fixed: refused after the restart" "port $held of the VNC display of domain 'dp-fixed' is taken" "$err"
vsh destroy dp-vnc1
vsh start --paused dp-fixed
expect_eq "dp-fixed: start on $held once dp-vnc1 stopped ($err)" 0 "$rc"
vsh dumpxml dp-fixed
expect_eq "dp-fixed: live port" "$held" "$(xp 'string(//graphics/@port)')"
expect_eq "dp-fixed: RFB banner on $held" RFB "$(rfb "$held")"
for d in dp-fixed dp-spice1 dp-vnc1; do vsh destroy "$d"; vsh undefine "$d"; done
expect_daemon_alive
verdict "a restarted daemon reserves its running guests' ports again from their live XML"

# 9
pw_guest() {    # NAME EXTRA-ATTRS: define and start a guest with passwd='sekrit'
    cat >"$mv_tmp/$1.xml" <<EOF
<domain type='qemu'><name>$1</name><memory unit='MiB'>64</memory>
<os><type arch='x86_64' machine='q35'>hvm</type></os>
<devices><graphics type='spice' autoport='yes' passwd='sekrit' $2/><memballoon model='none'/></devices></domain>
EOF
    vsh define "$mv_tmp/$1.xml"
    expect_eq "$1: define ($err)" 0 "$rc"
    vsh start --paused "$1"
    expect_eq "$1: start --paused ($err)" 0 "$rc"
    live_port "$1"
    expect_nomatch "$1: -spice without disable-ticketing" "disable-ticketing" "$spice"
}
if ! "$MV_PY" -c 'import cryptography' 2>/dev/null; then
    skip "python3-cryptography is not installed (the SPICE ticket is RSA-encrypted)"
    mv_done
    exit 0
fi
pw_guest sp-pw ""
out=$(spice_link --ticket sekrit 127.0.0.1 "$port")
expect_eq "sp-pw: right ticket" "$answers link=0" "$out"
out=$(spice_link --ticket wrong 127.0.0.1 "$port")
expect_eq "sp-pw: wrong ticket" "$answers link=7" "$out"
vsh dumpxml sp-pw
expect_eq "sp-pw: no password without --security-info" "" "$(xp 'string(//graphics/@passwd)')"
vsh destroy sp-pw
pw_guest sp-pw-expired "passwdValidTo='2000-01-01T00:00:00'"
out=$(spice_link --ticket sekrit 127.0.0.1 "$port")
expect_eq "sp-pw-expired: expired ticket" "$answers link=7" "$out"
vsh destroy sp-pw-expired
verdict "passwd is the SPICE ticket (a wrong or expired one is refused); dumpxml hides it"

mv_done
