#!/bin/sh
# Builds the tiny test guest the integration tests boot: Debian's cloud
# kernel and an initramfs holding only a static busybox, a handful of virtio
# and input modules and an /init that reports its progress on the serial
# console.  See tests/guest/README.md for what the guest prints and the
# kernel arguments it understands.
#
# Usage: make-test-guest.sh OUTDIR [FLAVOUR]  -> OUTDIR/vmlinuz, OUTDIR/initrd.img
#
# FLAVOUR is the Debian kernel flavour: "cloud" (the default: small, boots
# fastest) or "amd64", the generic kernel, for what the cloud kernel leaves
# out (9p: Debian builds no 9p into the cloud flavour).
#
# Nothing is done when both files exist and are newer than this script, so
# every test can call it; changing the script rebuilds the guest.  Missing
# busybox-static or cpio are installed with apt-get (root only), and the
# newest kernel package of the flavour is fetched with "apt-get download"
# into apt's package cache (/var/cache/apt/archives, as tools/install-deps
# does), where the next build, of this or another build tree, finds it.
# Only the kernel image and the modules below are unpacked from it.
# Debian's qemu-guest-agent is fetched the same way; its qemu-ga, the
# libraries ldd names for it and the dynamic loader go into the initramfs
# (the host is the Debian release the package is built for), and the guest
# runs it with guest.agent=1.  Without the package the guest is built
# without it and prints GUEST-AGENT-MISSING when asked for it.
#
# Exit status: 0 built (or up to date), 2 a prerequisite is unavailable
# (not root, no package, no download: callers may skip), 1 anything else.
set -eu

die() { echo "make-test-guest: $*" >&2; exit 1; }
unavailable() { echo "make-test-guest: $*" >&2; exit 2; }

[ $# -eq 1 ] || [ $# -eq 2 ] || die "usage: make-test-guest.sh OUTDIR [cloud|amd64]"
self=$(realpath "$0")
out=$(realpath -m "$1")
flavour=${2:-cloud}
case $flavour in
cloud) kernel_re='^linux-image-[0-9.-]+-cloud-amd64-unsigned$' ;;
amd64) kernel_re='^linux-image-[0-9.-]+-amd64-unsigned$' ;;
*) die "unknown kernel flavour '$flavour' (cloud or amd64)" ;;
esac

# FILE exists and is newer than this script (POSIX sh has no test -nt)
fresh() { [ -n "$(find "$1" -prune -newer "$self" 2>/dev/null)" ]; }

if fresh "$out/vmlinuz" && fresh "$out/initrd.img"; then
    exit 0
fi

# Modules the cloud kernel builds as modules but the guest needs: virtio
# (PCI transport, net, block, console, the memory balloon, whose statistics
# the stats tests read) and the ACPI power button with its
# evdev node, on which /init waits for a graceful shutdown.  Listed in load
# order (/init reads the list from /etc/modules): busybox insmod does not
# resolve dependencies, and virtio needs virtio_ring, virtio_net needs
# net_failover, which needs failover; SCSI disks (virtio-scsi) need
# scsi_common, scsi_mod and sd_mod; shared directories: 9p needs 9pnet,
# netfs and fscache, virtiofs needs fuse.  A module the flavour does not
# build is left out (the cloud kernel has no 9p).
MODULES="virtio_ring virtio virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci
         failover net_failover virtio_net virtio_blk scsi_common scsi_mod sd_mod virtio_scsi
         virtio_console virtio_balloon button evdev
         netfs fscache 9pnet 9pnet_virtio 9p fuse virtiofs"

# The initramfs runs busybox with no libraries next to it: it must be the
# static build (Debian's plain "busybox" package is dynamic).
static_busybox() {
    for bb in /bin/busybox /usr/bin/busybox; do
        [ -x "$bb" ] && ! ldd "$bb" >/dev/null 2>&1 && { echo "$bb"; return 0; }
    done
    return 1
}

install_tools() {
    static_busybox >/dev/null && command -v cpio >/dev/null && return 0
    [ "$(id -u)" -eq 0 ] || unavailable "busybox-static and cpio are needed (apt-get install busybox-static cpio, as root)"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static cpio >/dev/null ||
        unavailable "cannot install busybox-static and cpio"
    static_busybox >/dev/null || die "no static busybox after installing busybox-static"
}

# The newest kernel package of the flavour, as $pkg, and its .deb as $deb.
fetch_kernel() {
    pkg=$(apt-cache search --names-only "$kernel_re" | awk '{ print $1 }' | sort -V | tail -n 1)
    [ -n "$pkg" ] || unavailable "no package matching $kernel_re in the apt lists (apt-get update?)"
    fetch_deb "$pkg" || unavailable "cannot download $pkg"
}

# fetch_deb PKG: its .deb as $deb: the one in apt's cache when its checksum
# is the one the apt lists give, else downloaded (and kept in the cache
# when we may write there).  1 if it cannot be had.
fetch_deb() {
    info=$(apt-cache show --no-all-versions "$1" 2>/dev/null) || return 1
    ver=$(echo "$info" | sed -n 's/^Version: //p')
    sum=$(echo "$info" | sed -n 's/^SHA256: //p')
    if [ -z "$ver" ] || [ -z "$sum" ]; then
        die "apt-cache show $1 gives no Version or SHA256"
    fi
    # apt's file name: the version's epoch colon is written %3a
    name=${1}_$(echo "$ver" | sed 's/:/%3a/g')_amd64.deb
    cache=/var/cache/apt/archives
    deb=$cache/$name
    if [ -f "$deb" ] && echo "$sum  $deb" | sha256sum -c --status; then
        return 0
    fi
    # stderr: apt warns that a download into a root-only directory runs
    # unsandboxed; the exit status says whether it worked
    apt-get download "$1=$ver" >download.log 2>&1 || {
        cat download.log >&2
        return 1
    }
    deb=$PWD/$name
    [ -f "$deb" ] || die "apt-get download $1=$ver left no $name"
    # into the cache by rename from a temporary name beside it, so that a
    # build tree building at the same time never reads a partial file
    if [ -w "$cache" ] && cp "$deb" "$cache/.$name.$$" && mv -f "$cache/.$name.$$" "$cache/$name"; then
        deb=$cache/$name
    else
        rm -f "$cache/.$name.$$"
    fi
}

# Unpacks from $deb into ./k the kernel image and the modules of MODULES
# (the package is 400 MB unpacked; the guest needs a few MB of it).  tar
# reports each module the flavour does not build as "Not found in
# archive" and exits 2; any other message is a failure.
unpack_kernel() {
    set -- './boot/vmlinuz-*'
    for m in $MODULES; do
        set -- "$@" "*/$m.ko"
    done
    mkdir k
    dpkg-deb --fsys-tarfile "$deb" 2>dpkg.err | tar -x -C k --wildcards -f - "$@" 2>tar.err || :
    [ -s dpkg.err ] && die "dpkg-deb --fsys-tarfile $deb: $(cat dpkg.err)"
    if grep -v -e ': Not found in archive$' -e '^tar: Exiting with failure status due to previous errors$' tar.err >&2; then
        die "cannot unpack the kernel and its modules from $deb"
    fi
    [ -n "$(find k/boot -name 'vmlinuz-*' 2>/dev/null)" ] || die "no boot/vmlinuz-* in $deb"
}

copy_modules() {
    for m in $MODULES; do
        f=$(find k -name "$m.ko" | head -n 1)
        [ -n "$f" ] && cp "$f" r/lib/modules/
    done
    # shellcheck disable=SC2086 # unquoted: one line, single spaces
    echo $MODULES >r/etc/modules
}

# Debian's qemu-ga into ./r with what it links against (the host's copies:
# the same release), or nothing if the package cannot be had.  Nothing is
# installed on the host: the .deb is unpacked here.
install_agent() {
    fetch_deb qemu-guest-agent || { echo "make-test-guest: no qemu-guest-agent package: the guest has no agent" >&2; return 0; }
    mkdir qga
    dpkg-deb -x "$deb" qga || die "cannot unpack $deb"
    [ -x qga/usr/sbin/qemu-ga ] || die "no usr/sbin/qemu-ga in $deb"
    if ldd qga/usr/sbin/qemu-ga | grep -q 'not found'; then
        echo "make-test-guest: the host lacks libraries qemu-ga needs: the guest has no agent" >&2
        return 0
    fi
    mkdir -p r/usr/sbin
    cp qga/usr/sbin/qemu-ga r/usr/sbin/
    # "lib.so => /path (addr)" and the loader's "/path (addr)": the paths
    for lib in $(ldd qga/usr/sbin/qemu-ga | sed -n -e 's/.*=> \(\/[^ ]*\) .*/\1/p' -e 's/^[[:space:]]*\(\/[^ ]*\) .*/\1/p'); do
        mkdir -p "r${lib%/*}"
        cp -L "$lib" "r$lib"
    done
}

# /init: the markers are what the tests wait for; see README.md.
write_init() {
    cat >r/init <<'INIT'
#!/bin/busybox sh
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
hostname mvguest
for m in $(cat /etc/modules); do
    [ -f /lib/modules/$m.ko ] && { insmod /lib/modules/$m.ko 2>/dev/null || echo "GUEST-INSMOD-FAIL $m"; }
done
echo "GUEST-BOOTED-OK $(uname -r)"
cmdline=" $(cat /proc/cmdline) "
case $cmdline in *" guest.mode=poweroff "*) poweroff -f;; esac
case $cmdline in *" guest.net=dhcp "*)
    ip link set eth0 up
    udhcpc -i eth0 -n -q -t 10 -s /bin/dhcp-bound >/tmp/dhcp.log 2>&1
    ip=$(sed -n 's/.*lease of \([0-9.]*\) obtained.*/\1/p' /tmp/dhcp.log)
    echo "GUEST-IP ${ip:-none}";;
esac
# guest.ping=A[,B...]: ping each address once a second for as long as the
# guest runs, one line per try, numbered, so a test can wait for a success
# after a given moment (a daemon killed, a network restarted)
pings=$(echo "$cmdline" | sed -n 's/.* guest\.ping=\([^ ]*\) .*/\1/p' | tr , ' ')
[ -n "$pings" ] && {
    n=0
    while true; do
        n=$((n + 1))
        for a in $pings; do
            if ping -c 1 -W 1 "$a" >/dev/null 2>&1; then echo "GUEST-PING-OK $a $n"
            else echo "GUEST-PING-FAIL $a $n"; fi
        done
        sleep 1
    done &
}
# guest.fs=TYPE:TAG[,TYPE:TAG...]: mount each shared directory (TYPE 9p
# or virtiofs) at /mnt/N, print the first line of its file "guest-fs" and
# whether a file can be written there
n=0
for fs in $(echo "$cmdline" | sed -n 's/.* guest\.fs=\([^ ]*\) .*/\1/p' | tr , ' '); do
    n=$((n + 1))
    type=${fs%%:*} tag=${fs#*:}
    opts=
    [ "$type" = 9p ] && opts="-o trans=virtio,version=9p2000.L"
    mkdir -p /mnt/$n
    # shellcheck disable=SC2086 # $opts: none, or two words
    if mount -t "$type" $opts "$tag" /mnt/$n 2>/tmp/mount.err; then
        echo "GUEST-FS $tag $(head -n 1 /mnt/$n/guest-fs 2>&1)"
        if echo "written by the guest" >/mnt/$n/from-guest 2>/dev/null; then
            echo "GUEST-FS-WRITE $tag ok"
        else
            echo "GUEST-FS-WRITE $tag refused"
        fi
    else
        echo "GUEST-FS-FAIL $tag $(cat /tmp/mount.err)"
    fi
done
disks=$(ls /sys/block | grep vd | tr '\n' ' ')
[ -n "$disks" ] && echo "GUEST-DISKS $disks"
# guest.readdisk=DEV,OFFSET,LEN: LEN bytes of DEV at OFFSET, in hex, so a
# test can see what QEMU reads from a disk (through a backing chain)
rd=$(echo "$cmdline" | sed -n 's/.* guest\.readdisk=\([^ ]*\) .*/\1/p' | tr , ' ')
[ -n "$rd" ] && {
    set -- $rd
    echo "GUEST-DISK $(dd if="$1" bs=1 skip="$2" count="$3" 2>/dev/null | od -An -tx1 | tr -d ' \n')"
}
# guest.tick=1: a counter kept in the guest's memory, printed once a second
# ("GUEST-TICK N"): after a save and restore it goes on from where it was,
# after a snapshot revert it goes back to the snapshot's value
case $cmdline in *" guest.tick=1 "*)
    (t=0; while true; do t=$((t + 1)); echo "GUEST-TICK $t"; sleep 1; done) &;;
esac
# guest.cpus=1: hot-plugged vCPUs are brought online (no udev does it here)
# and the online set is printed whenever it changes ("GUEST-CPUS 0-1"),
# first at once
case $cmdline in *" guest.cpus=1 "*)
    (last=; while true; do
        for c in /sys/devices/system/cpu/cpu[0-9]*; do
            [ "$(cat $c/online 2>/dev/null)" = 0 ] && echo 1 >$c/online 2>/dev/null
        done
        now=$(cat /sys/devices/system/cpu/online)
        [ "$now" = "$last" ] || echo "GUEST-CPUS $now"
        last=$now
        sleep 0.2
    done) &;;
esac
# guest.watch=1: report block devices (vd*, sd*) and network interfaces
# that appear or go while the guest runs (hotplug), one line each:
# "GUEST-HOTPLUG add disk vdb", "GUEST-HOTPLUG remove net eth1".  What is
# there now is the baseline, taken before GUEST-READY.
devices_now() {
    echo "- -"                  # never empty: busybox grep -f takes an empty file as no match at all
    for d in /sys/block/vd* /sys/block/sd*; do [ -e "$d" ] && echo "disk ${d##*/}"; done
    for n in /sys/class/net/*; do [ "${n##*/}" != lo ] && [ -e "$n" ] && echo "net ${n##*/}"; done
}
case $cmdline in *" guest.watch=1 "*)
    devices_now >/tmp/devices
    (while true; do
        devices_now >/tmp/devices.new
        grep -vxF -f /tmp/devices /tmp/devices.new | while read -r kind name; do
            echo "GUEST-HOTPLUG add $kind $name"; done
        grep -vxF -f /tmp/devices.new /tmp/devices | while read -r kind name; do
            echo "GUEST-HOTPLUG remove $kind $name"; done
        mv /tmp/devices.new /tmp/devices
        sleep 0.2
    done) &;;
esac
# guest.agent=1: Debian's qemu-ga on the virtio-serial port named
# org.qemu.guest_agent.0; its shutdown and chpasswd are the scripts in
# /sbin, which report on the console.  guest.agent=hang: the port is held
# open and never read, a hung agent
case $cmdline in *" guest.agent=hang "*)
    for p in /sys/class/virtio-ports/*; do
        [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] &&
            { (exec 3<>"/dev/${p##*/}"; echo "GUEST-AGENT-HUNG ${p##*/}"; while true; do sleep 3600; done) & }
    done;;
esac
case $cmdline in *" guest.agent=1 "*)
    port=
    for p in /sys/class/virtio-ports/*; do
        [ "$(cat "$p/name" 2>/dev/null)" = org.qemu.guest_agent.0 ] && port=${p##*/}
    done
    if [ ! -x /usr/sbin/qemu-ga ]; then echo "GUEST-AGENT-MISSING"
    elif [ -z "$port" ]; then echo "GUEST-AGENT-NOPORT"
    else
        PATH=/sbin:/bin /usr/sbin/qemu-ga -m virtio-serial -p "/dev/$port" -l /tmp/qga.log -f /tmp/qga.pid \
            -t /tmp </dev/null >/dev/null 2>&1 &
        echo "GUEST-AGENT-STARTED $port"
    fi;;
esac
# The ACPI power button is an input device: the first event on it (QEMU's
# system_powerdown) powers the guest off, as a graceful shutdown would.
for e in /sys/class/input/event*; do
    [ "$(cat $e/device/name 2>/dev/null)" = "Power Button" ] &&
        { (head -c 1 /dev/input/${e##*/} >/dev/null; echo GUEST-POWERBUTTON; poweroff -f) & }
done
# let the listener open the event device before announcing it
sleep 0.2
echo "GUEST-READY"
while true; do sleep 3600; done
INIT
    chmod 755 r/init
    # udhcpc's hook: put the lease on the interface, so the guest answers
    # on the network it got its address from
    cat >r/bin/dhcp-bound <<'HOOK'
#!/bin/busybox sh
# and its router as the default route, so the guest reaches beyond its
# network (NAT, routed networks)
case $1 in bound|renew)
    ip addr add "$ip/${mask:-24}" dev "$interface"
    for r in $router; do ip route replace default via "$r" dev "$interface"; break; done;;
esac
HOOK
    chmod 755 r/bin/dhcp-bound
    # what qemu-ga runs: /sbin/shutdown -h -P|-H|-r +0 MESSAGE (its
    # stdout is /dev/null, hence the console), and chpasswd with
    # "user:password" on stdin (-e: already crypted)
    cat >r/sbin/shutdown <<'SHUTDOWN'
#!/bin/busybox sh
case " $* " in
*" -r "*) echo "GUEST-AGENT-SHUTDOWN reboot" >/dev/console; (reboot -f) & ;;
*) echo "GUEST-AGENT-SHUTDOWN powerdown" >/dev/console; (poweroff -f) & ;;
esac
exit 0
SHUTDOWN
    # (busybox has no chpasswd applet: mkpasswd hashes, sed writes /etc/shadow)
    cat >r/sbin/chpasswd <<'CHPASSWD'
#!/bin/busybox sh
read -r line
user=${line%%:*} pw=${line#*:}
kind=plain
if [ "${1:-}" = -e ]; then kind=crypted hash=$pw; else hash=$(mkpasswd -m sha512 "$pw") || exit 1; fi
grep -q "^$user:" /etc/shadow || { echo "chpasswd: unknown user '$user'" >&2; exit 1; }
sed -i "s|^$user:[^:]*:|$user:$hash:|" /etc/shadow || exit 1
echo "GUEST-PASSWD $kind $line" >/dev/console
CHPASSWD
    chmod 755 r/sbin/shutdown r/sbin/chpasswd
    echo "root:x:0:0:root:/root:/bin/sh" >r/etc/passwd
    echo "root:*:19000:0:99999:7:::" >r/etc/shadow
    chmod 600 r/etc/shadow
    printf '%s\n' 'ID=mvguest' 'NAME="modvirt test guest"' 'VERSION_ID=1' \
        'PRETTY_NAME="modvirt test guest 1"' >r/etc/os-release
}

install_tools
work=$(mktemp -d "${TMPDIR:-/tmp}/mvguest.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
fetch_kernel
unpack_kernel
mkdir -p r/bin r/sbin r/proc r/sys r/dev r/lib/modules r/etc r/tmp r/mnt
cp "$(static_busybox)" r/bin/busybox
copy_modules
install_agent
write_init
(cd r && find . | cpio -o -H newc 2>/dev/null | gzip -9) >initrd.img

# Into place by rename: a build cut short never leaves a partial file under
# a final name, where the freshness check above would take it for done.
mkdir -p "$out"
cp k/boot/vmlinuz-* "$out/.vmlinuz.tmp"
cp initrd.img "$out/.initrd.img.tmp"
mv -f "$out/.vmlinuz.tmp" "$out/vmlinuz"
mv -f "$out/.initrd.img.tmp" "$out/initrd.img"
echo "guest: $out/vmlinuz $out/initrd.img (from $pkg)"
