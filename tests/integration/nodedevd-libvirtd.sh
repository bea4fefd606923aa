#!/bin/bash
# modvirt-nodedevd against Debian's libvirtd on the same host: the same
# `virsh nodedev-list` (flat, per capability and --tree) and the same
# `virsh nodedev-dumpxml` for every PCI and network device.
#
# libvirtd (/usr/sbin/libvirtd, all its drivers) runs in a mount namespace
# this script makes for itself, where libvirt's directories are the
# script's own: /etc/libvirt a copy of the host's (with nothing set to
# autostart), /var/lib/libvirt, /var/cache/libvirt and /var/log/libvirt
# empty directories, /run/libvirt a tmpfs, and /etc/passwd and /etc/group
# copies with a libvirt-qemu entry (libvirt 9.0's qemu driver refuses to
# start when its compiled-in user does not resolve, even as root, and
# Debian creates it only with libvirt-daemon-system).  It gets a D-Bus
# address nobody listens on, and nothing on the host changes: the host's
# firewall ruleset is compared before and after.  Skips with a reason
# when libvirtd is not installed.
#
# Only intended differences are normalised away: each one is listed in
# NORMALISE below with its reason, and in modvirt-nodedevd(8).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

LIBVIRTD=/usr/sbin/libvirtd
if [ ! -x "$LIBVIRTD" ]; then
    echo "1..0 # SKIP $LIBVIRTD is not installed (Debian's libvirt-daemon)"
    exit 0
fi
# once, as root: again in a mount namespace of our own (propagation
# private: nothing mounted here reaches the host, and it all goes with us)
if [ "$(id -u)" -eq 0 ] && [ -z "${MV_NDL_NS:-}" ]; then
    MV_NDL_NS=1 exec unshare -m --propagation private bash "$0" "$@"
fi

MV_DAEMON=$top_builddir/nodedevd/modvirt-nodedevd
mv_init 7

# ---- the intended differences ----
# Each: a sed expression, a tab and why, applied to both sides' output.
# Keep this list and "Differences from libvirt" in man/modvirt-nodedevd.8
# alike.  None is needed for what this script compares: on this host the
# lists, the tree and the XML of every PCI and net device are libvirtd's
# byte for byte.  The intended differences modvirt-nodedevd(8) lists are
# in answers these outputs do not contain (case 6 checks the first two):
#  - an unknown WWN in LOOKUP_SCSI_HOST_BY_WWN: VIR_ERR_NO_NODE_DEVICE with
#    a message that names both (libvirt 9.0 answers "An error occurred, but
#    the cause is unknown": its driver sets no error);
#  - a device name in an error is quoted, escaped and cut after 64 bytes
#    (libvirt repeats whatever the client sent, control characters and all);
#  - lists come sorted by name (libvirt's in hash table order; virsh sorts
#    both the same way, which is why the outputs here agree).
NORMALISE=(
)
normalise() {
    local e args=()
    for e in "${NORMALISE[@]}"; do
        args+=(-e "${e%%	*}")
    done
    if [ ${#args[@]} -eq 0 ]; then cat; else sed "${args[@]}"; fi
}

# ---- libvirtd in this namespace ----
lv=$mv_tmp/libvirt
mkdir -p "$lv/etc" "$lv/lib" "$lv/cache" "$lv/log"
[ -d /etc/libvirt ] && cp -a /etc/libvirt/. "$lv/etc/"
# nothing of the host's definitions may start: no network, pool or guest
find "$lv/etc" -depth -type d -name autostart -exec rm -rf {} + 2>/dev/null
cat >"$lv/etc/libvirtd.conf" <<EOF
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
EOF
cp /etc/passwd "$lv/passwd"
cp /etc/group "$lv/group"
grep -q '^libvirt-qemu:' "$lv/passwd" ||
    echo 'libvirt-qemu:x:64055:64055:Libvirt Qemu (test namespace only):/var/lib/libvirt:/usr/sbin/nologin' >>"$lv/passwd"
grep -q '^libvirt-qemu:' "$lv/group" || echo 'libvirt-qemu:x:64055:' >>"$lv/group"

# bind DIR-OR-FILE SOURCE: mounted here only; a directory the host lacks
# is made for the mount and removed again at exit
bind() {
    if [ ! -e "$1" ]; then
        mkdir -p "$1" || { echo "Bail out! cannot make the mount point $1"; exit 1; }
        at_exit "rmdir '$1'"
    fi
    mount --bind "$2" "$1" || { echo "Bail out! cannot bind $2 on $1"; exit 1; }
    at_exit "umount -l '$1'"
}
bind /etc/passwd "$lv/passwd"
bind /etc/group "$lv/group"
bind /etc/libvirt "$lv/etc"
bind /var/lib/libvirt "$lv/lib"
bind /var/cache/libvirt "$lv/cache"
bind /var/log/libvirt "$lv/log"
mount -t tmpfs mvndl-run /run/libvirt || { echo "Bail out! cannot mount a tmpfs on /run/libvirt"; exit 1; }
at_exit "umount -l /run/libvirt"

firewall() { { nft list ruleset 2>/dev/null; iptables-save 2>/dev/null | grep -v '^#'; } | sort; }
firewall >"$mv_tmp/firewall.before"

env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME="$mv_tmp/home" \
    DBUS_SYSTEM_BUS_ADDRESS="unix:path=$mv_tmp/no-such-bus" NOTIFY_SOCKET="$MV_NOTIFY" \
    "$LIBVIRTD" -f /etc/libvirt/libvirtd.conf -p "$lv/libvirtd.pid" >"$lv/libvirtd.out" 2>&1 &
lv_pid=$!
kill_at_exit $lv_pid
if ! wait_ready $lv_pid 60; then
    echo "Bail out! libvirtd (pid $lv_pid) did not say READY=1 within 60 s"
    sed 's/^/#   /' "$lv/libvirtd.out" "$lv/log/libvirtd.log" 2>/dev/null | tail -n 40
    exit 1
fi

# lvsh ARGS...: Debian's virsh against that libvirtd (run's variables)
lvsh() {
    run env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME="$mv_tmp/home" \
        XDG_CONFIG_HOME="$mv_tmp/home/.config" XDG_CACHE_HOME="$mv_tmp/home/.cache" \
        XDG_RUNTIME_DIR="$mv_tmp/home/run" timeout 60 virsh -c qemu:///system "$@"
}

# ---- modvirt-nodedevd ----
MV_ROOT=$mv_tmp/root
MV_LOG=$mv_tmp/nodedevd.log
MV_RW=$MV_ROOT/run/modvirt/nodedevd-sock
MV_URI="nodedev:///system?socket=$MV_RW"
if ! try_start_daemon; then
    echo "Bail out! modvirt-nodedevd (pid $MV_PID) did not become ready within $MV_READY_S s"
    sed 's/^/#   /' "$MV_LOG"
    exit 1
fi
mv_log_mark

# same WHAT LIBVIRT-OUT MODVIRT-OUT: equal once normalised, else the diff
same() {
    printf '%s\n' "$2" | normalise >"$mv_tmp/a"
    printf '%s\n' "$3" | normalise >"$mv_tmp/b"
    if ! cmp -s "$mv_tmp/a" "$mv_tmp/b"; then
        expect_fail "$1 differs (- libvirtd, + modvirt):"$'\n'"$(diff -u "$mv_tmp/a" "$mv_tmp/b" | tail -n +3 | head -n 60)"
    fi
}

# 1: the flat list
lvsh nodedev-list
lv_list=$out
[ "$rc" -eq 0 ] || expect_fail "libvirtd: virsh nodedev-list: $(run_evidence)"
vsh nodedev-list
[ "$rc" -eq 0 ] || expect_fail "modvirt: virsh nodedev-list: $(run_evidence)"
same "nodedev-list" "$lv_list" "$out"
diag "libvirtd lists $(printf '%s\n' "$lv_list" | grep -c .) devices"
verdict "virsh nodedev-list: the same devices by the same names"

# 2: per capability
for cap in system pci usb_device usb net scsi_host scsi_target scsi storage fc_host vports scsi_generic drm \
           mdev_types mdev ccw css vdpa ap_card ap_queue ap_matrix vpd; do
    lvsh nodedev-list --cap "$cap"
    lv_out=$out
    vsh nodedev-list --cap "$cap"
    same "nodedev-list --cap $cap" "$lv_out" "$out"
done
verdict "virsh nodedev-list --cap C: the same devices for every capability"

# 3: the tree
lvsh nodedev-list --tree
lv_tree=$out
vsh nodedev-list --tree
same "nodedev-list --tree" "$lv_tree" "$out"
verdict "virsh nodedev-list --tree: the same tree"

# dumpxml_all CAP: nodedev-dumpxml of each of libvirtd's devices with CAP
dumpxml_all() {
    local names d lv_xml
    lvsh nodedev-list --cap "$1"
    names=$out
    [ -n "$names" ] || expect_fail "libvirtd lists no $1 device"
    for d in $names; do
        lvsh nodedev-dumpxml "$d"
        lv_xml=$out
        [ "$rc" -eq 0 ] || expect_fail "libvirtd: nodedev-dumpxml $d: $(run_evidence)"
        vsh nodedev-dumpxml "$d"
        [ "$rc" -eq 0 ] || { expect_fail "modvirt: nodedev-dumpxml $d: $err"; continue; }
        same "nodedev-dumpxml $d" "$lv_xml" "$out"
    done
    n_dumped=$(printf '%s\n' "$names" | grep -c .)
}

# 4-5: the XML of every PCI and network device
dumpxml_all pci
verdict "virsh nodedev-dumpxml: the same XML for each of the $n_dumped PCI devices"
dumpxml_all net
verdict "virsh nodedev-dumpxml: the same XML for each of the $n_dumped network devices"

# 6: the intended differences in errors, as modvirt-nodedevd(8) states them
WWN_PY='
import sys, libvirt
libvirt.registerErrorHandler(lambda *a: None, None)
c = libvirt.openReadOnly(sys.argv[1])
for label, f in (("WWN", lambda: c.nodeDeviceLookupSCSIHostByWWN("20000000c9831b4b", "10000000c9831b4b", 0)),
                 ("NAME", lambda: c.nodeDeviceLookupByName("a\x1bb"))):
    try:
        f()
        print(label, "found")
    except libvirt.libvirtError as e:
        m = e.get_error_message()
        # the escape character itself, or the four characters \x1b
        print(label, e.get_error_code(), m if label == "WWN" else "ESC" if "\x1b" in m else
              "ESCAPED" if "\\x1b" in m else m)'
run env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME="$mv_tmp/home" timeout 60 "$MV_PY" -c "$WWN_PY" qemu:///system
lv_out=$out
[ "$rc" -eq 0 ] || expect_fail "python against libvirtd: $(run_evidence)"
py - "$MV_URI" <<<"$WWN_PY"
[ "$rc" -eq 0 ] || expect_fail "python against modvirt: $(run_evidence)"
diag "libvirtd: $lv_out" "modvirt: $out"
expect_eq "libvirtd's unknown WWN" "WWN 1 An error occurred, but the cause is unknown" "$(printf '%s\n' "$lv_out" | grep ^WWN)"
expect_eq "modvirt's unknown WWN" \
    "WWN 53 Node device not found: no SCSI host with matching wwnn '20000000c9831b4b' and wwpn '10000000c9831b4b'" \
    "$(printf '%s\n' "$out" | grep ^WWN)"
expect_eq "libvirtd's name with ESC" "NAME 53 ESC" "$(printf '%s\n' "$lv_out" | grep ^NAME)"
expect_eq "modvirt's name with ESC" "NAME 53 ESCAPED" "$(printf '%s\n' "$out" | grep ^NAME)"
verdict "the intended differences in errors: an unknown WWN has a message, a name's control characters are escaped"

# 7: libvirtd changed nothing on the host we can see: its firewall
stop_pid $lv_pid 10
firewall >"$mv_tmp/firewall.after"
cmp -s "$mv_tmp/firewall.before" "$mv_tmp/firewall.after" ||
    expect_fail "the host's firewall changed: $(diff "$mv_tmp/firewall.before" "$mv_tmp/firewall.after" | head -n 20)"
expect_daemon_alive
verdict "libvirtd stopped, the host's firewall ruleset as before, modvirt-nodedevd still running"

mv_done
