#!/bin/bash
# libvirt-fixture.sh FIXTURE OUTDIR: what Debian's libvirtd 9.0 says about
# fixture FIXTURE: OUTDIR/NAME.xml (virsh nodedev-dumpxml of each device),
# OUTDIR/list.txt ("name parent" a line, sorted, as the goldens'
# list.txt), OUTDIR/tree.txt (nodedev-list --tree), OUTDIR/libvirtd.log.
# Diff OUTDIR with tests/nodedevxml/FIXTURE to see where modvirt and libvirt
# differ on a device this machine lacks.
#
# libvirtd runs with its nodedev driver alone (the connection-driver
# directory is a bind mount holding only it), with the fixture on /sys, in
# mount, network and PID namespaces of its own: when this script ends,
# however it ends, the namespace's processes end with it.  Its config,
# sockets, state and log live in a temporary directory.  Needs root,
# libvirtd and virsh; exits 77 without them.
#
# What libvirt needs of a fixture to list what modvirt lists: a PCI
# function's config file (fx_pci_config), else it drops the function (and
# its children go to computer); USB devices need udev's ID_VENDOR_ID /
# ID_MODEL_ID properties, which no uevent file has, so libvirt without
# udevd (as here) lists no usb_device at all.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
drivers=/usr/lib/x86_64-linux-gnu/libvirt/connection-driver
[ $# -eq 2 ] || { echo "usage: $0 FIXTURE OUTDIR" >&2; exit 2; }
fixture=$1 out=$2
if [ "$(id -u)" != 0 ] || ! command -v libvirtd virsh > /dev/null || [ ! -f "$drivers/libvirt_driver_nodedev.so" ]; then
    echo "$0: needs root, libvirtd, virsh and libvirt's nodedev driver" >&2
    exit 77
fi

w=$(mktemp -d /tmp/nodedev-libvirt.XXXXXX)
trap 'rm -rf "$w"' EXIT
"$here/mkfixture.sh" "$fixture" "$w/sys"
mkdir -p "$w/drivers" "$w/run" "$w/etc" "$w/lib" "$out"
cp "$drivers/libvirt_driver_nodedev.so" "$w/drivers/"
cat > "$w/libvirtd.conf" <<EOC
unix_sock_dir = "$w/run"
auth_unix_rw = "none"
auth_unix_ro = "none"
log_outputs = "3:file:$w/libvirtd.log"
EOC

# inside: PID 1 of the new PID namespace; its exit ends libvirtd too
inner() {
    local w=$1 out=$2 drivers=$3 uri pid i
    mount --make-rprivate /
    mount --bind "$w/drivers" "$drivers"
    mkdir -p /run/libvirt && mount -t tmpfs tmpfs /run/libvirt
    mount --bind "$w/etc" /etc/libvirt
    mount --bind "$w/lib" /var/lib/libvirt
    mount --bind "$w/sys" /sys
    # libudev is sd-device: the fixture is no real sysfs
    export SYSTEMD_DEVICE_VERIFY_SYSFS=0
    libvirtd -f "$w/libvirtd.conf" --pid-file "$w/libvirtd.pid" &
    pid=$!
    # the socket, within 10 s
    for ((i = 0; i < 200; i++)); do
        [ -S "$w/run/libvirt-sock" ] && break
        kill -0 "$pid" 2> /dev/null || { echo "libvirtd exited" >&2; return 1; }
        sleep 0.05
    done
    uri="nodedev:///system?socket=$w/run/libvirt-sock"
    # virsh waits for libvirt's enumeration to finish before it answers
    virsh -q -c "$uri" nodedev-list > "$w/names"
    virsh -q -c "$uri" nodedev-list --tree > "$out/tree.txt"
    while read -r name; do
        [ -n "$name" ] || continue
        # virsh adds an empty line after the document
        virsh -c "$uri" nodedev-dumpxml "$name" | sed -e '${/^$/d}' > "$out/$name.xml"
    done < "$w/names"
    kill "$pid"
    wait "$pid" || true
}

unshare --mount --net --pid --fork --mount-proc bash -c "$(declare -f inner); set -euo pipefail; inner \"\$@\"" \
    inner "$w" "$out" "$drivers"
cp "$w/libvirtd.log" "$out/libvirtd.log" 2> /dev/null || : > "$out/libvirtd.log"
# "name parent" of every device, as check_nodedevd_fixtures writes list.txt
for f in "$out"/*.xml; do
    [ -e "$f" ] || continue
    name=$(sed -n 's|^  <name>\(.*\)</name>$|\1|p' "$f")
    parent=$(sed -n 's|^  <parent>\(.*\)</parent>$|\1|p' "$f")
    echo "$name${parent:+ $parent}"
done | LC_ALL=C sort > "$out/list.txt"
