#!/bin/bash
# The live XML of a running domain carries what libvirt adds: an <alias> on
# every device (= the id QEMU has for it), the PCI and drive addresses the
# define chose, the controllers QEMU has without being asked; the inactive
# XML has the same but for the aliases (user aliases stay).  dumpxml of the running guest,
# renamed and defined, starts the same machine; virsh domblklist and virsh
# console --devname ALIAS work from it.  A definition stored without
# addresses (by a qemud from before define gave them) gets them when the
# daemon loads it, saved once; one the pass refuses stays as it was stored.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_NEEDS="qemu-system-x86_64 qemu-img virt-xml-validate"
mv_init 6
use_root root

# stored as a qemud from before define gave addresses left them: "old" gets
# them at load; "dup" (two disks at one drive address) is kept as stored
cfgdir=$MV_ROOT/etc/modvirt/qemu
mkdir -p "$cfgdir"
stored() {  # NAME UUID DEVICES
    printf '%s\n' "<domain type='qemu'><name>$1</name><uuid>$2</uuid><memory unit='MiB'>128</memory>" \
        "<os><type arch='x86_64' machine='q35'>hvm</type></os><devices>$3</devices></domain>" >"$cfgdir/$1.xml"
}
stored old 5b0f9c54-8a51-4f4e-9a43-3d1c1e8f0a01 \
    "<interface type='user'><mac address='52:54:00:00:00:31'/><model type='virtio'/></interface>"
stored dup 5b0f9c54-8a51-4f4e-9a43-3d1c1e8f0a02 \
    "<disk type='file'><source file='/nonexistent/a.img'/><target dev='sda' bus='sata'/></disk>
     <disk type='file'><source file='/nonexistent/b.img'/><target dev='sdb' bus='sata'/>
     <address type='drive' controller='0' bus='0' target='0' unit='0'/></disk>"
dup_stored=$(cat "$cfgdir/dup.xml")
start_daemon

rundir=$MV_ROOT/run/modvirt/qemu
qemu-img create -q -f qcow2 "$mv_tmp/root.qcow2" 16M
qemu-img create -q -f raw "$mv_tmp/data.img" 1M
qemu-img create -q -f raw "$mv_tmp/scratch.img" 1M

cat >"$mv_tmp/l1.xml" <<EOF
<domain type='qemu'>
  <name>l1</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os>
    <type arch='x86_64' machine='q35'>hvm</type>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2'/>
      <source file='$mv_tmp/root.qcow2'/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type='file' device='disk'>
      <source file='$mv_tmp/data.img'/>
      <target dev='sdb' bus='scsi'/>
      <alias name='ua-data'/>
    </disk>
    <disk type='file' device='cdrom'>
      <target dev='sdc' bus='sata'/>
      <readonly/>
    </disk>
    <controller type='pci' index='1' model='pcie-root-port'/>
    <interface type='user'>
      <model type='virtio'/>
      <alias name='net7'/>
    </interface>
    <serial type='pty'/>
    <console type='pty'>
      <target type='virtio'/>
    </console>
    <channel type='unix'>
      <target type='virtio' name='org.qemu.guest_agent.0'/>
    </channel>
    <input type='tablet' bus='usb'/>
    <video>
      <model type='vga'/>
    </video>
    <rng model='virtio'>
      <backend model='random'>/dev/urandom</backend>
    </rng>
  </devices>
</domain>
EOF

# pid of this daemon's QEMU for NAME, from its status file
our_qemu() { sed -n 's/.*<domstatus[^>]* pid="\([0-9]*\)".*/\1/p' "$rundir/$1.xml" 2>/dev/null | head -n 1; }
# the -device arguments of NAME's QEMU, one a line
qemu_devices() { tr '\0' '\n' <"/proc/$(our_qemu "$1")/cmdline" | sed -n '/^-device$/{n;p}'; }
# "ALIAS SLOT" of every device at function 0 of a root-bus slot in the XML
# on stdin (the machine's own SATA at 0x1f.2 is no -device)
alias_slots() {
    tr -d '\n' | sed 's|<alias name="|\n&|g' |
        sed -n 's|^<alias name="\([^"]*\)"/> *<address type="pci" domain="0x0000" bus="0x00" slot="0x0*\([0-9a-f][0-9a-f]*\)" function="0x0"/>.*|\1 \2|p'
}

# 1
vsh define "$mv_tmp/l1.xml"
expect_eq "define" 0 "$rc"
vsh start --paused l1
expect_eq "start --paused" 0 "$rc"
vsh dumpxml l1
live=$out
printf '%s\n' "$live" >"$mv_tmp/l1.live.xml"
for a in vda ua-data sdc pcie.0 pci.1 ide usb scsi0 virtio-serial0 net0 serial0 console0 channel0 \
         input0 video0 rng0 balloon0; do
    expect_match "alias $a" "<alias name=\"$a\"/>" "$live"
done
expect_nomatch "the daemon's own alias given in the config" 'alias name="net7"' "$live"
expect_match "sdb's drive address" '<address type="drive" controller="0" bus="0" target="0" unit="1"/>' "$live"
expect_match "the q35 SATA at its fixed slot" 'slot="0x1f" function="0x2"' "$live"
expect_eq "aliases" 17 "$(grep -c '<alias name=' "$mv_tmp/l1.live.xml")"
run virt-xml-validate "$mv_tmp/l1.live.xml" domain
expect_eq "live XML validates ($out $err)" 0 "$rc"
vsh dumpxml --inactive l1
inactive=$out
expect_eq "inactive XML: only the user alias" '<alias name="ua-data"/>' "$(printf '%s\n' "$inactive" | grep -o '<alias[^>]*>')"
# as libvirt: the definition has its addresses and implicit controllers
# from the define on, so that an edit never moves a device
addrs_ctls() { grep -o '<address [^>]*>\|<controller [^>]*>' | sed 's|/>$|>|'; }
expect_eq "inactive XML: the live one's addresses and controllers" \
    "$(addrs_ctls <"$mv_tmp/l1.live.xml")" "$(printf '%s\n' "$inactive" | addrs_ctls)"
verdict "the live XML has an alias on every device, their addresses and the implicit controllers; the config all but the aliases"

# 2
devices=$(qemu_devices l1)
for a in vda ua-data sdc net0 serial0 console0 channel0 input0 video0 rng0 balloon0 usb scsi0 virtio-serial0 pci.1; do
    expect_match "QEMU id $a" "(^|,)id=$a(,|\$)" "$devices"
done
while read -r a slot; do
    expect_match "$a at slot 0x$slot" "addr=0x$slot\\.0.*id=$a(,|\$)|id=$a,.*addr=0x$slot\\.0" "$devices"
done < <(alias_slots <"$mv_tmp/l1.live.xml")
[ "$(alias_slots <"$mv_tmp/l1.live.xml" | grep -c .)" -eq 9 ] ||
    expect_fail "too few PCI devices found in the live XML: $(alias_slots <"$mv_tmp/l1.live.xml" | tr '\n' ' ')"
verdict "each alias is the QEMU device id, each PCI address the one QEMU has"

# 3
# its own copies of the images: QEMU locks them
for f in root.qcow2 data.img; do cp "$mv_tmp/$f" "$mv_tmp/2-$f"; done
sed -e 's|<name>l1</name>|<name>l2</name>|' -e '/<uuid>/d' -e "s|$mv_tmp/root.qcow2|$mv_tmp/2-root.qcow2|" \
    -e "s|$mv_tmp/data.img|$mv_tmp/2-data.img|" \
    "$mv_tmp/l1.live.xml" >"$mv_tmp/l2.xml"
vsh define "$mv_tmp/l2.xml"
expect_eq "define of the renamed dumpxml ($err)" 0 "$rc"
vsh start --paused l2
expect_eq "start of l2 ($err)" 0 "$rc"
vsh dumpxml l2
printf '%s\n' "$out" >"$mv_tmp/l2.live.xml"
expect_eq "same aliases and PCI slots" "$(alias_slots <"$mv_tmp/l1.live.xml")" "$(alias_slots <"$mv_tmp/l2.live.xml")"
expect_eq "same QEMU devices" "$(qemu_devices l1)" "$(qemu_devices l2)"
chan_path() { sed -n 's|.*<source mode="bind" path="\([^"]*channel0.sock\)"/>.*|\1|p' "$1"; }
uuid2=$(sed -n 's|.*<uuid>\(.*\)</uuid>.*|\1|p' "$mv_tmp/l2.live.xml")
expect_eq "l2's channel socket is its own" "$rundir/$uuid2.d/channel0.sock" "$(chan_path "$mv_tmp/l2.live.xml")"
expect_match "l1's channel socket is still there" "^$rundir/.*channel0.sock\$" "$(chan_path "$mv_tmp/l1.live.xml")"
[ -S "$(chan_path "$mv_tmp/l1.live.xml")" ] || expect_fail "l1's channel socket is gone"
verdict "dumpxml of a running domain, renamed, defines and starts the same machine"

# 4
vsh domblklist l2
expect_match "vda" "^ *vda +$mv_tmp/2-root.qcow2\$" "$out"
expect_match "sdb" "^ *sdb +$mv_tmp/2-data.img\$" "$out"
expect_match "sdc, empty" "^ *sdc +-\$" "$out"
verdict "virsh domblklist of the redefined domain"

# 5: a console by its alias (virsh console --devname ALIAS)
cat >"$mv_tmp/console.py" <<'EOF'
import sys, libvirt
conn = libvirt.open(sys.argv[1])
dom = conn.lookupByName("l1")
for dev in sys.argv[2:]:
    st = conn.newStream(0)
    try:
        dom.openConsole(dev, st, libvirt.VIR_DOMAIN_CONSOLE_FORCE)
        print(dev, "open")
        st.abort()
    except libvirt.libvirtError as e:
        print(dev, "error", e.get_error_message())
EOF
py "$mv_tmp/console.py" "$MV_URI" serial0 console0 channel0 nosuch0
expect_match "serial0" "^serial0 open\$" "$out"
expect_match "console0" "^console0 open\$" "$out"
expect_match "a channel is no PTY" "^channel0 error .*not using a PTY" "$out"
expect_match "unknown" "^nosuch0 error .*cannot find character device nosuch0" "$out"
verdict "consoles are found by their alias"

vsh destroy l1
vsh destroy l2
for d in l1 l2; do vsh undefine "$d"; done

# 6
vsh dumpxml --inactive old
expect_match "old: the interface's slot" '<address type="pci" domain="0x0000" bus="0x00" slot="0x01" function="0x0"/>' "$out"
expect_match "old: the root bus listed" '<controller type="pci" index="0" model="pcie-root"' "$out"
expect_match "old: saved with them" 'slot="0x01"' "$(cat "$cfgdir/old.xml")"
expect_eq "dup: the stored file untouched" "$dup_stored" "$(cat "$cfgdir/dup.xml")"
vsh dumpxml --inactive dup
expect_eq "dup: still defined" 0 "$rc"
expect_match "dup: the daemon says why it has no addresses" "dup.xml' keeps no device addresses: .*disks 'sda' and 'sdb'" \
    "$(cat "$MV_LOG")"
vsh start --paused dup
expect_match "dup: its start names both disks" "disks 'sda' and 'sdb' both have drive address" "$err"
old_inode=$(stat -c %i "$cfgdir/old.xml")
stop_pid "$MV_PID"
start_daemon
expect_eq "old: not written again at the next load" "$old_inode" "$(stat -c %i "$cfgdir/old.xml")"
verdict "a definition stored without addresses gets them at load, saved once; one the pass refuses stays as stored"
for d in old dup; do vsh undefine "$d"; done
mv_done
