#!/bin/bash
# modvirt-nodedevd on this host's /sys, driven by Debian's virsh and
# python3-libvirt: the truth (every PCI function, network interface and
# block device in /sys listed with its name, parent and capability facts,
# computed from /sys by nodedev_truth.py), the tree, every capability
# filter of LIST_ALL and the legacy NUM_OF / LIST calls, each device's
# capabilities and state, the read-only socket, the same answers through
# modvirt-proxyd, and bad input (unknown and hostile names, huge names,
# bad flags, bad maxnames): libvirt's errors, the daemon alive after.
#
# The daemon only reads the host's /sys (nothing in this script changes a
# device); it runs with --root in the temp dir.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_DAEMON=$top_builddir/nodedevd/modvirt-nodedevd
MV_NEEDS_PROXY=yes
mv_init 14

MV_ROOT=$mv_tmp/root
MV_LOG=$mv_tmp/nodedevd.log
MV_RW=$MV_ROOT/run/modvirt/nodedevd-sock
MV_RO=$MV_ROOT/run/modvirt/nodedevd-sock-ro
MV_URI="nodedev:///system?socket=$MV_RW"
MV_URI_RO="nodedev:///system?socket=$MV_RO"
if ! try_start_daemon; then
    echo "Bail out! modvirt-nodedevd (pid $MV_PID) did not become ready within $MV_READY_S s"
    sed 's/^/#   /' "$MV_LOG"
    exit 1
fi
mv_log_mark
# the daemon's own sockets (MV_URI may go through the proxy: MV_VIA_PROXY)
DIRECT_URI=${MV_DIRECT_URI:-$MV_URI}

# pyc CODE ARGS...: python3-libvirt code with conn open on $MV_URI (run's variables)
pyc() {
    local code=$1
    shift
    py - "$MV_URI" "$@" <<EOF
import sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
conn = libvirt.open(sys.argv[1])
$code
EOF
}

# 1: the list: virsh and python agree, computer is there, sorted names
vsh nodedev-list
virsh_list=$out
[ "$rc" -eq 0 ] || expect_fail "virsh nodedev-list: $(run_evidence)"
pyc 'print("\n".join(sorted(d.name() for d in conn.listAllDevices(0))))'
py_list=$out
[ "$rc" -eq 0 ] || expect_fail "python listAllDevices: $(run_evidence)"
expect_eq "virsh nodedev-list vs python listAllDevices" "$py_list" "$virsh_list"
expect_match "the list" '^computer$' "$virsh_list"
n_devices=$(printf '%s\n' "$virsh_list" | grep -c .)
verdict "virsh nodedev-list and python3-libvirt's listAllDevices agree ($n_devices devices, computer among them)"

# 2: the truth, from /sys
py "$MV_HELPERS/nodedev_truth.py" "$MV_URI"
[ "$rc" -eq 0 ] || expect_fail "$(printf '%s\n' "$out" | grep '^BAD' | head -n 40)${err:+ stderr: $err}"
expect_match "the check" '^CHECKED pci=[0-9]+ net=[1-9][0-9]* block=[0-9]+' "$out"
diag "$(printf '%s\n' "$out" | tail -n 1)"
verdict "every PCI function, network interface and block device in /sys is listed with its name, parent and capability facts (computed from /sys)"

# 3: the tree: virsh's --tree holds every device once, each under the
# parent its XML names
vsh nodedev-list --tree
tree=$out
[ "$rc" -eq 0 ] || expect_fail "virsh nodedev-list --tree: $(run_evidence)"
expect_eq "first line of the tree" computer "$(printf '%s\n' "$tree" | head -n 1)"
tree_names=$(printf '%s\n' "$tree" | sed 's/^[ |]*+- //; s/^[ |]*$//' | grep . | sort)
expect_eq "the names in the tree" "$virsh_list" "$tree_names"
pyc '
# the tree virsh draws: each child directly after its parent, at depth+1
devs = {d.name(): d.parent() for d in conn.listAllDevices(0)}
kids = {}
for n, p in devs.items():
    kids.setdefault(p, []).append(n)
def walk(n, depth):
    print("%d %s" % (depth, n))
    for k in sorted(kids.get(n, [])):
        walk(k, depth + 1)
walk("computer", 0)'
want_depths=$out
got_depths=$(printf '%s\n' "$tree" | awk '/^[ |]*\+- / { i = index($0, "+- "); print (i + 1) / 4, substr($0, i + 3); next }
                                            /^[a-z]/ { print 0, $0 }')
expect_eq "depth and order of each device in the tree" "$want_depths" "$got_depths"
verdict "virsh nodedev-list --tree draws every device once, under the parent GET_PARENT names"

# 4: every capability filter: virsh --cap, LIST_ALL flags and the legacy
# NUM_OF / LIST agree with each device's LIST_CAPS
pyc '
caps = ["system", "pci", "usb_device", "usb", "net", "scsi_host", "scsi_target", "scsi", "storage",
        "fc_host", "vports", "scsi_generic", "drm", "mdev_types", "mdev", "ccw", "css", "vdpa",
        "ap_card", "ap_queue", "ap_matrix", "vpd"]
devs = conn.listAllDevices(0)
has = {d.name(): set(d.listCaps()) for d in devs}
bad = 0
for bit, cap in enumerate(caps):
    want = sorted(n for n, c in has.items() if cap in c)
    got = sorted(d.name() for d in conn.listAllDevices(1 << bit))
    legacy = sorted(conn.listDevices(cap, 0))
    num = conn.numOfDevices(cap, 0)
    if got != want or legacy != want or num != len(want):
        bad += 1
        print("BAD %s: caps say %r, LIST_ALL %r, LIST %r, NUM_OF %d" % (cap, want, got, legacy, num))
    print("CAP %s %s" % (cap, " ".join(want)))
both = sorted(d.name() for d in conn.listAllDevices((1 << 1) | (1 << 4)))
want = sorted(n for n, c in has.items() if c & {"pci", "net"})
if both != want:
    print("BAD pci|net: %r, expected %r" % (both, want))
if conn.numOfDevices(None, 0) != len(devs) or sorted(conn.listDevices(None, 0)) != sorted(has):
    print("BAD without a capability: NUM_OF %d, LIST %d, LIST_ALL %d"
          % (conn.numOfDevices(None, 0), len(conn.listDevices(None, 0)), len(devs)))
if conn.numOfDevices("no_such_cap", 0) != 0 or conn.listDevices("no_such_cap", 0) != []:
    print("BAD an unknown capability name matches something")
act = sorted(d.name() for d in conn.listAllDevices(1 << 31))
inact = sorted(d.name() for d in conn.listAllDevices(1 << 30))
if act != sorted(has) or inact != []:
    print("BAD ACTIVE %d of %d, INACTIVE %r" % (len(act), len(has), inact))'
[ "$rc" -eq 0 ] || expect_fail "python: $(run_evidence)"
py_caps=$out
expect_nomatch "the filters" '^BAD' "$py_caps"
for cap in pci net storage system; do
    vsh nodedev-list --cap "$cap"
    expect_eq "virsh nodedev-list --cap $cap" \
        "$(printf '%s\n' "$py_caps" | sed -n "s/^CAP $cap //p" | tr ' ' '\n' | grep .)" \
        "$(printf '%s\n' "$out" | grep . | sort)"
done
vsh nodedev-list --cap pci,net
expect_eq "virsh nodedev-list --cap pci,net" \
    "$(printf '%s\n' "$virsh_list" | grep -E '^(pci|net)_')" "$(printf '%s\n' "$out" | grep . | sort)"
verdict "each capability filter (LIST_ALL bits, virsh --cap, legacy NUM_OF/LIST by name) selects exactly the devices whose LIST_CAPS has it; ACTIVE/INACTIVE"

# 5: per device: NUM_OF_CAPS = LIST_CAPS, the XML's capabilities are
# listed, every device is active, transient, not autostarted
pyc '
import xml.etree.ElementTree as ET
for d in conn.listAllDevices(0):
    caps = d.listCaps()
    top = [c.get("type") for c in ET.fromstring(d.XMLDesc(0)).findall("capability")]
    if d.numOfCaps() != len(caps):
        print("BAD %s: NUM_OF_CAPS %d, LIST_CAPS %r" % (d.name(), d.numOfCaps(), caps))
    if caps[:len(top)] != top and sorted(set(top) - set(caps)):
        print("BAD %s: XML capabilities %r not in LIST_CAPS %r" % (d.name(), top, caps))
    if (d.isActive(), d.isPersistent(), d.autostart()) != (1, 0, 0):
        print("BAD %s: active/persistent/autostart %r" % (d.name(), (d.isActive(), d.isPersistent(), d.autostart())))
    if conn.nodeDeviceLookupByName(d.name()).name() != d.name():
        print("BAD %s: lookup by name" % d.name())
print("DONE")'
[ "$rc" -eq 0 ] || expect_fail "python: $(run_evidence)"
expect_nomatch "per-device checks" '^BAD' "$out"
expect_match "per-device checks" '^DONE$' "$out"
verdict "each device: NUM_OF_CAPS matches LIST_CAPS, its XML's capabilities are listed, active, not persistent, no autostart, found by name"

# 6: LIST_CAPS and LIST with fewer slots than names, at the wire: the
# first MAXNAMES, as libvirt answers; GET_PARENT of computer: no name, no error
py - "$MV_RW" <<'EOF'
import struct, sys
import mvrpc
c = mvrpc.Conn(sys.argv[1]).handshake(open_uri="nodedev:///system")
LIST_DEVICES, GET_PARENT, NUM_OF_CAPS, LIST_CAPS = 112, 115, 116, 117
def strings(p):
    (n,) = struct.unpack(">I", p.body[:4]); off = 4; out = []
    for _ in range(n):
        (l,) = struct.unpack(">I", p.body[off:off + 4]); out.append(p.body[off + 4:off + 4 + l].decode())
        off += 4 + l + (4 - l % 4) % 4
    return out
p = c.call(LIST_DEVICES, mvrpc.xdr_opt_string(None) + struct.pack(">iI", 2, 0))
print("LIST2", p.status, " ".join(strings(p)) if p.status == 0 else p.error())
p = c.call(LIST_CAPS, mvrpc.xdr_string("computer") + struct.pack(">i", 0))
print("CAPS0", p.status, len(strings(p)) if p.status == 0 else p.error())
p = c.call(LIST_CAPS, mvrpc.xdr_string("computer") + struct.pack(">i", 5))
print("CAPS5", p.status, " ".join(strings(p)) if p.status == 0 else p.error())
p = c.call(GET_PARENT, mvrpc.xdr_string("computer"))
print("PARENT", p.status, p.body.hex() if p.status == 0 else p.error())
EOF
[ "$rc" -eq 0 ] || expect_fail "mvrpc: $(run_evidence)"
expect_eq "LIST_DEVICES maxnames=2" "LIST2 0 $(printf '%s\n' "$virsh_list" | head -n 2 | tr '\n' ' ' | sed 's/ $//')" \
    "$(printf '%s\n' "$out" | grep '^LIST2')"
expect_eq "LIST_CAPS maxnames=0" "CAPS0 0 0" "$(printf '%s\n' "$out" | grep '^CAPS0')"
expect_eq "LIST_CAPS maxnames=5 of computer" "CAPS5 0 system" "$(printf '%s\n' "$out" | grep '^CAPS5')"
expect_eq "GET_PARENT of computer (an absent string)" "PARENT 0 00000000" "$(printf '%s\n' "$out" | grep '^PARENT')"
verdict "LIST and LIST_CAPS with fewer slots answer the first names; computer's parent is absent, not an error"

# 7: the read-only socket serves every read; detach is refused there
run isolated virsh -r -c "$MV_URI_RO" nodedev-list
expect_eq "virsh -r nodedev-list" "$virsh_list" "$out"
first_pci=$(printf '%s\n' "$virsh_list" | grep -m1 '^pci_')
run isolated virsh -r -c "$MV_URI_RO" nodedev-dumpxml computer
[ "$rc" -eq 0 ] || expect_fail "virsh -r nodedev-dumpxml computer: $(run_evidence)"
# without -r (virsh -r would refuse it in the client library), so that
# the daemon's own check answers; computer, which exists (virsh looks it up
# first) and is no PCI function: nothing real is at stake should that
# check ever fail
run isolated virsh -c "$MV_URI_RO" nodedev-detach computer
[ "$rc" -ne 0 ] || expect_fail "nodedev-detach succeeded on the read-only socket"
expect_match "detach on ro" 'read only access prevents virNodeDevice(Dettach|DetachFlags)' "$err"
verdict "the read-only socket lists and dumps, and refuses nodedev-detach (read only access prevents virNodeDeviceDettach)"

# 8: through modvirt-proxyd: the same list, tree and XML
if via_proxy; then
    PURI=$MV_URI
else
    proxy_start "$MV_ROOT"
    PURI=$(proxy_uri "$MV_ROOT")
fi
run isolated virsh -c "$PURI" nodedev-list --tree
expect_eq "nodedev-list --tree through the proxy" "$tree" "$out"
for d in computer $first_pci; do
    run isolated virsh -c "$DIRECT_URI" nodedev-dumpxml "$d"
    direct=$out
    run isolated virsh -c "$PURI" nodedev-dumpxml "$d"
    expect_eq "nodedev-dumpxml $d through the proxy" "$direct" "$out"
done
run isolated virsh -c "$PURI" nodedev-dumpxml no_such_device
expect_match "an unknown name through the proxy" "Node device not found: no node device with matching name 'no_such_device'" "$err"
verdict "through modvirt-proxyd (qemu:///system): the same tree and XML, the same error"

# 9: unknown and hostile names: libvirt's error, nothing else
for name in no_such_device ../x ../../../../etc/passwd 'pci_0000_00_00_0/../..' 'a b'; do
    vsh nodedev-dumpxml "$name"
    [ "$rc" -ne 0 ] || expect_fail "nodedev-dumpxml '$name' succeeded: $out"
    q=$(printf '%s' "$name" | sed 's/[.[\*^$]/\\&/g')
    expect_match "nodedev-dumpxml '$name'" "error: Node device not found: no node device with matching name '$q'" "$err"
done
vsh nodedev-info ../x
expect_match "nodedev-info ../x" "no node device with matching name '\.\./x'" "$err"
expect_daemon_alive
verdict "unknown and path-like names: 'Node device not found: no node device with matching name ...' (VIR_ERR_NO_NODE_DEVICE)"

# 10: a huge name (1 MiB) and control characters: a short, escaped message
py - "$MV_RW" <<'EOF'
import struct, sys
import mvrpc
c = mvrpc.Conn(sys.argv[1]).handshake(open_uri="nodedev:///system")
for label, name in (("HUGE", "x" * (1 << 20)), ("CTRL", "a\nb\x1b[31m"), ("EMPTY", "")):
    p = c.call(114, mvrpc.xdr_string(name) + struct.pack(">I", 0))
    e = p.error() if p.status else {}
    print(label, p.status, e.get("code"), e.get("domain"), len(e.get("message") or ""), e.get("message"))
EOF
[ "$rc" -eq 0 ] || expect_fail "mvrpc: $(run_evidence)"
expect_match "a 1 MiB name" "^HUGE 1 53 22 [0-9]{2,3} Node device not found: no node device with matching name 'x{64}\.\.\.'$" "$out"
expect_match "control characters" "^CTRL 1 53 22 .*a.x0ab.x1b\[31m" "$out"
expect_match "an empty name" "^EMPTY 1 53 22 [0-9]+ Node device not found: no node device with matching name ''$" "$out"
expect_daemon_alive
verdict "a 1 MiB name and a name with control characters: VIR_ERR_NO_NODE_DEVICE with the name cut and escaped"

# 11: bad flags and bad maxnames, each named with its API
pyc '
import libvirt
def err(f):
    try:
        f()
        return "no error"
    except libvirt.libvirtError as e:
        return "%d %d %s" % (e.get_error_code(), e.get_error_domain(), e.get_error_message())
d = conn.nodeDeviceLookupByName("computer")
print("XML", err(lambda: d.XMLDesc(1)))
print("LISTALL", err(lambda: conn.listAllDevices(1 << 25)))
print("NUMOF", err(lambda: conn.numOfDevices(None, 4)))
print("WWN", err(lambda: conn.nodeDeviceLookupSCSIHostByWWN("a", "b", 1)))
print("NOWWN", err(lambda: conn.nodeDeviceLookupSCSIHostByWWN("20000000c9831b4b", "10000000c9831b4b", 0)))'
[ "$rc" -eq 0 ] || expect_fail "python: $(run_evidence)"
expect_match "XMLDesc(1)" "^XML 8 22 invalid argument: unsupported flags \(0x1\) in function virNodeDeviceGetXMLDesc$" "$out"
expect_match "listAllDevices(1<<25)" "^LISTALL 8 22 invalid argument: unsupported flags \(0x2000000\) in function virConnectListAllNodeDevices$" "$out"
expect_match "numOfDevices flags 4" "^NUMOF 8 22 invalid argument: unsupported flags \(0x4\) in function virNodeNumOfDevices$" "$out"
expect_match "LookupSCSIHostByWWN flags 1" "^WWN 8 22 invalid argument: unsupported flags \(0x1\) in function virNodeDeviceLookupSCSIHostByWWN$" "$out"
expect_match "an unknown WWN" "^NOWWN 53 22 Node device not found: no SCSI host with matching wwnn '20000000c9831b4b' and wwpn '10000000c9831b4b'$" "$out"
py - "$MV_RW" <<'EOF'
import struct, sys
import mvrpc
c = mvrpc.Conn(sys.argv[1]).handshake(open_uri="nodedev:///system")
for label, proc, body in (
        ("LISTFLAGS", 112, mvrpc.xdr_opt_string(None) + struct.pack(">iI", 10, 8)),
        ("LISTNEG", 112, mvrpc.xdr_opt_string(None) + struct.pack(">iI", -1, 0)),
        ("LISTBIG", 112, mvrpc.xdr_opt_string("pci") + struct.pack(">iI", 65537, 0)),
        ("CAPSNEG", 117, mvrpc.xdr_string("computer") + struct.pack(">i", -5)),
        ("CAPSBIG", 117, mvrpc.xdr_string("computer") + struct.pack(">i", 1 << 30))):
    p = c.call(proc, body)
    e = p.error() if p.status else {}
    print(label, p.status, e.get("code"), e.get("message"))
EOF
[ "$rc" -eq 0 ] || expect_fail "mvrpc: $(run_evidence)"
expect_match "LIST flags 8" "^LISTFLAGS 1 8 invalid argument: unsupported flags \(0x8\) in function virNodeListDevices$" "$out"
expect_match "LIST maxnames -1" "^LISTNEG 1 8 invalid argument: maxnames in virNodeListDevices must not be negative" "$out"
expect_match "LIST maxnames 65537" "^LISTBIG 1 39 too many names requested in virNodeListDevices: 65537 > 65536" "$out"
expect_match "LIST_CAPS maxnames -5" "^CAPSNEG 1 8 invalid argument: maxnames in virNodeDeviceListCaps must not be negative" "$out"
expect_match "LIST_CAPS maxnames 2^30" "^CAPSBIG 1 39 too many names requested in virNodeDeviceListCaps" "$out"
expect_daemon_alive
verdict "bad flags and maxnames: 'unsupported flags (0x..) in function virXxx', negative and oversized maxnames refused; an unknown WWN is VIR_ERR_NO_NODE_DEVICE"

# 12: still serving, and it stops cleanly
vsh nodedev-list
expect_eq "the list after all that" "$virsh_list" "$out"
stop_pid "$MV_PID"
expect_eq "exit status after SIGTERM" 0 "$stop_status"
verdict "the daemon still lists the same devices after the bad input, and exits 0 on SIGTERM"

# 13: sysfs_root: a fixture (host-basic, tests/nodedev) mounted on /sys in
# the daemon's own mount namespace: its list, parents and XML are the
# goldens (tests/nodedevxml/host-basic), and our namespace (the host's)
# sees no new mount
fx=$mv_tmp/fx
FX_ROOT=$mv_tmp/fxroot
if ! bash "$top_srcdir/tests/nodedev/mkfixture.sh" host-basic "$fx" >"$mv_tmp/mkfixture.out" 2>&1; then
    expect_fail "mkfixture.sh host-basic: $(cat "$mv_tmp/mkfixture.out")"
else
    mkdir -p "$FX_ROOT/etc/modvirt"
    printf '%s\n' "sysfs_root = \"$fx/\"" "pci_ids = \"$top_srcdir/tests/nodedev/pci.ids\"" \
        >"$FX_ROOT/etc/modvirt/modvirt-nodedevd.conf"
    spawn_daemon "$FX_ROOT" "$mv_tmp/fx.log"
    fx_pid=$spawned_pid
    FX_URI="nodedev:///system?socket=$FX_ROOT/run/modvirt/nodedevd-sock"
    if ! wait_ready "$fx_pid" "$MV_READY_S"; then
        expect_fail "the daemon on the fixture did not become ready: $(tail -n 5 "$mv_tmp/fx.log")"
    else
        py - "$FX_URI" <<'EOF'
import sys, libvirt
c = libvirt.openReadOnly(sys.argv[1])
for d in sorted(c.listAllDevices(0), key=lambda d: d.name()):
    print(d.name(), d.parent()) if d.parent() else print(d.name())
EOF
        expect_eq "the fixture's devices and parents" "$(cat "$top_srcdir/tests/nodedevxml/host-basic/list.txt")" "$out"
        for g in "$top_srcdir"/tests/nodedevxml/host-basic/*.xml; do
            d=$(basename "$g" .xml)
            run isolated virsh -c "$FX_URI" nodedev-dumpxml "$d"
            [ "$out" = "$(cat "$g")" ] ||
                expect_fail "nodedev-dumpxml $d differs from $g: $(diff <(printf '%s\n' "$out") "$g" | head -n 20)"
        done
        # /proc/PID/root resolves paths in the daemon's mount namespace
        expect_eq "the daemon's /sys (device:inode)" "$(stat -c %d:%i "$fx")" "$(stat -c %d:%i "/proc/$fx_pid/root/sys")"
    fi
    stop_pid "$fx_pid"
    expect_eq "the fixture daemon's exit status" 0 "$stop_status"
fi
# (other tests mount and unmount in this namespace all the time: look
# for the fixture alone)
awk -v fx="$fx" '$4 == fx || index($4, fx "/") == 1 || $5 == "/sys" && $4 != "/"' /proc/self/mountinfo >"$mv_tmp/leaked"
[ -s "$mv_tmp/leaked" ] && expect_fail "the fixture is mounted in our namespace: $(cat "$mv_tmp/leaked")"
verdict "sysfs_root: a fixture mounted on /sys in the daemon's own namespace lists the goldens' devices, parents and XML; no mount reaches ours"

# 14: a bad sysfs_root stops the daemon at start with a message naming it
BAD_ROOT=$mv_tmp/badroot
mkdir -p "$BAD_ROOT/etc/modvirt"
for bad in "relative/sys" "$mv_tmp/no-such-dir" "$FX_ROOT/etc/modvirt/modvirt-nodedevd.conf"; do
    printf 'sysfs_root = "%s"\n' "$bad" >"$BAD_ROOT/etc/modvirt/modvirt-nodedevd.conf"
    : >"$mv_tmp/bad.log"
    spawn_daemon "$BAD_ROOT" "$mv_tmp/bad.log"
    if ! wait_exit "$spawned_pid" 20; then
        expect_fail "sysfs_root = '$bad': the daemon is still running"
        stop_pid "$spawned_pid"
        continue
    fi
    [ "$wait_status" -ne 0 ] || expect_fail "sysfs_root = '$bad': exit status 0"
    grep -q "sysfs_root = '$bad'" "$mv_tmp/bad.log" ||
        expect_fail "sysfs_root = '$bad': no message naming it: $(tail -n 3 "$mv_tmp/bad.log")"
done
verdict "a relative, missing or non-directory sysfs_root stops the daemon with a message naming it"

mv_done
