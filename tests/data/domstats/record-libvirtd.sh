#!/bin/bash
# How libvirtd-9.0-*.txt were recorded (once; tests/integration/qemud-stats.sh
# compares modvirt's key sets with them).  Runs Debian's libvirtd in private
# mount and network namespaces, so nothing of the host changes:
#
#   unshare -m -n --propagation private tests/data/domstats/record-libvirtd.sh DIR
#
# DIR holds dom.xml (guest.xml here, with DIR's paths), the test guest's
# vmlinuz and initrd.img (tests/guest/make-test-guest.sh) and disk.img (16
# MiB, "hello-stats" at offset 0); the outputs land there.
set -u
T=${1:?usage: record-libvirtd.sh DIR}
lv=$T/libvirt
rm -rf $lv; mkdir -p "$lv/etc" "$lv/lib" "$lv/cache" "$lv/log" "$lv/home"
cp -a /etc/libvirt/. "$lv/etc/"
find "$lv/etc" -depth -type d -name autostart -exec rm -rf {} + 2>/dev/null
echo 'log_outputs = "3:file:/var/log/libvirt/libvirtd.log"' >"$lv/etc/libvirtd.conf"
printf 'user = "root"\ngroup = "root"\nstdio_handler = "file"\n' >"$lv/etc/qemu.conf"
cp /etc/passwd "$lv/passwd"; cp /etc/group "$lv/group"
grep -q '^libvirt-qemu:' "$lv/passwd" || echo 'libvirt-qemu:x:64055:64055:x:/var/lib/libvirt:/usr/sbin/nologin' >>"$lv/passwd"
grep -q '^libvirt-qemu:' "$lv/group" || echo 'libvirt-qemu:x:64055:' >>"$lv/group"
for b in /etc/passwd:$lv/passwd /etc/group:$lv/group /etc/libvirt:$lv/etc /var/lib/libvirt:$lv/lib /var/cache/libvirt:$lv/cache /var/log/libvirt:$lv/log; do
  mkdir -p "${b%%:*}" 2>/dev/null; mount --bind "${b#*:}" "${b%%:*}" || exit 1
done
mount -t tmpfs x /run/libvirt
ip link set lo up
env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME=$lv/home DBUS_SYSTEM_BUS_ADDRESS=unix:path=$lv/nobus \
  /usr/sbin/libvirtd -f /etc/libvirt/libvirtd.conf -p $lv/pid >$lv/out 2>&1 &
pid=$!
lvsh() { env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME=$lv/home XDG_RUNTIME_DIR=$lv/home/run timeout 60 virsh -c qemu:///system "$@"; }
for i in $(seq 300); do lvsh version >/dev/null 2>&1 && break; sleep 0.1; done
lvsh version
lvsh create $T/dom.xml
for i in $(seq 300); do grep -q GUEST-READY $T/serial.log 2>/dev/null && break; sleep 0.1; done
sleep 3
lvsh domstats mvstats-rec > $T/all.txt
lvsh domstats --state --cpu-total --balloon --vcpu --interface --block mvstats-rec > $T/six.txt
lvsh domstats --raw --state --cpu-total --balloon --vcpu --interface --block mvstats-rec > $T/six-raw.txt
lvsh domblkstat mvstats-rec vda > $T/domblkstat.txt 2>&1
lvsh domifstat mvstats-rec vnet0 > $T/domifstat.txt 2>&1
lvsh dommemstat mvstats-rec > $T/dommemstat.txt 2>&1
lvsh domblkinfo mvstats-rec vda > $T/domblkinfo.txt 2>&1
lvsh cpu-stats mvstats-rec > $T/cpustats.txt 2>&1
lvsh cpu-stats --total mvstats-rec > $T/cpustats-total.txt 2>&1
lvsh vcpuinfo mvstats-rec > $T/vcpuinfo.txt 2>&1
lvsh domblkstat mvstats-rec vdz > $T/err-disk.txt 2>&1
lvsh domifstat mvstats-rec vnet9 > $T/err-if.txt 2>&1
lvsh destroy mvstats-rec
lvsh define $T/dom.xml
lvsh domstats mvstats-rec > $T/shutoff.txt 2>&1
lvsh dommemstat mvstats-rec > $T/err-mem-off.txt 2>&1
lvsh undefine mvstats-rec
kill $pid; wait $pid
