#!/bin/bash
# virt-install (Debian's virtinst), a client nobody here wrote, creates and
# boots the test guest through modvirt-proxyd as a user would run it: no
# -c/--connect and no socket parameter, so it opens libvirt's default URI
# (qemu:///system) on /run/libvirt/libvirt-sock.  The client runs in a
# private mount namespace whose /run/libvirt is the proxy's
# ($MV_ROOT/run/libvirt): the only libvirt it can reach is modvirt.
#
# modvirt-netd, -storaged, -qemud and -proxyd run under one private --root,
# in a network namespace of the test's own (the guest's bridge, dnsmasq and
# taps live there).  Everything the guests use is made through the proxy
# too: a network (virsh net-define), a dir pool and a volume (virsh
# pool-define, vol-create).  Verified from the guest's side: its console
# log says GUEST-BOOTED-OK and the address it leased, which the network
# lists; and from each daemon's own socket: the domain, its port, its
# volume.  A third guest is installed with --graphics none and its
# text console attached, as virt-install does then (virsh console, a stream through the proxy): the
# guest's boot shows there.  Then virtinst's virt-xml edits the first guest
# and virt-clone copies it with its volume.
#
# virt-install's defaults are taken as they are (issue 11): no --graphics
# or --controller flags for the first two guests, so they get what
# virt-install picks from qemud's domain capabilities: SPICE with its
# spicevmc channel and USB redirection, sound, and, for --osinfo generic
# (i440fx, no USB3), USB2 companion controllers (ich9-ehci1 + ich9-uhci1..3
# with <master startport=/>); for linux2022 q35, qemu-xhci,
# pcie-root-ports, a guest agent channel, virtio video, rng and balloon.
# The third guest says --graphics none on purpose: a lone text console for
# virt-install to attach to.  SPICE listens on TCP inside the test's
# network namespace.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 qemu-img ip virt-install"
PLAN=9
BOOT_S=150                      # TCG boot plus DHCP
NET=vinet
BR=vibr0
SUB=192.168.151
POOL=vp
G1=vi-generic
G2=vi-linux
G3=vi-console
MAC1=52:54:00:51:00:01
MAC2=52:54:00:51:00:02
NS=

guest_test_init $PLAN
for d in netd storaged proxyd; do
    [ -x "$top_builddir/$d/modvirt-$d" ] && continue
    for i in $(seq $PLAN); do skip "$top_builddir/$d/modvirt-$d is not built"; done
    exit 0
done
[ -c /dev/net/tun ] || { for i in $(seq $PLAN); do skip "no /dev/net/tun"; done; exit 0; }

# ---- the daemons ---------------------------------------------------------------

NS=mvvi$$
ip netns add "$NS" || { echo "Bail out! cannot create network namespace $NS"; exit 1; }
# dnsmasq and the QEMUs outlive their daemons by design: whatever runs in
# the namespace goes with it
at_exit "ip netns pids $NS | xargs -r kill -9; ip netns del $NS"
ip -n "$NS" link set lo up

# vi_start NAME: modvirt-NAME in $NS under $MV_ROOT, ready (READY=1), its
# pid in PID_NAME, log $mv_tmp/NAME.log; or bail out with the log.
vi_start() {
    local log=$mv_tmp/$1.log pid
    ip netns exec "$NS" env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$mv_tmp/no-such-bus" NOTIFY_SOCKET="$MV_NOTIFY" \
        "$top_builddir/$1/modvirt-$1" --root "$MV_ROOT" --verbose >>"$log" 2>&1 &
    pid=$!
    kill_at_exit $pid
    if ! wait_ready $pid "$MV_READY_S"; then
        echo "Bail out! modvirt-$1 (pid $pid) did not become ready within $MV_READY_S s"
        sed 's/^/#   /' "$log"
        exit 1
    fi
    printf -v "PID_$1" %s $pid
}

mkdir -p "$MV_ROOT/var/lib/modvirt/network"
touch "$MV_ROOT/var/lib/modvirt/network/default-defined"    # no "default": the test makes its own
vi_start netd
vi_start storaged
vi_start qemud
proxy_start "$MV_ROOT"          # lib.sh's: verdicts show its log too
MV_PID=$PID_qemud               # and qemud's
MV_LOG=$mv_tmp/qemud.log
mv_log_mark
PROXY_RUN=$MV_ROOT/run/libvirt

# ---- clients -------------------------------------------------------------------

# default_client CMD...: CMD as lib.sh's isolated runs it (clean
# environment, HOME in the temp dir, time-limited), but with the proxy's
# run/libvirt bound on /run/libvirt: libvirt's default URI reaches
# modvirt-proxyd.
default_client() {
    timeout -k 2 "${MV_CLIENT_TIMEOUT:-120}" \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME="$mv_tmp/home" \
        XDG_CONFIG_HOME="$mv_tmp/home/.config" XDG_CACHE_HOME="$mv_tmp/home/.cache" \
        XDG_RUNTIME_DIR="$mv_tmp/home/run" \
        unshare -m --propagation private \
        sh -c 'mount --bind "$0" /run/libvirt && exec "$@"' "$PROXY_RUN" "$@"
}
# pvsh ARGS...: plain virsh (no -c) through the proxy (run's variables)
pvsh() { run default_client virsh "$@"; }
pvsh_ok() { pvsh "$@"; [ "$rc" -eq 0 ] || expect_fail "virsh $*: $(run_evidence)"; }
# dvsh SCHEME DAEMON ARGS...: virsh on one daemon's own socket, past the proxy
dvsh() {
    local uri="$1:///system?socket=$MV_ROOT/run/modvirt/$2-sock"
    shift 2
    run isolated virsh -c "$uri" "$@"
}
# vinstall NAME MAC ARGS...: virt-install of the test guest NAME with a NIC
# (MAC) on $NET, its serial console logged to $mv_tmp/NAME.serial; no
# --connect: the default URI
vinstall() {
    local name=$1 mac=$2
    shift 2
    run default_client virt-install --import --noautoconsole --name "$name" --memory 256 --vcpus 1 \
        --virt-type qemu \
        --boot "kernel=$GUEST_KERNEL,initrd=$GUEST_INITRD,kernel_args=console=ttyS0 panic=-1 guest.net=dhcp" \
        --events on_reboot=destroy,on_crash=destroy \
        --network "network=$NET,mac=$mac,model=virtio" \
        --serial "pty,log.file=$mv_tmp/$name.serial" "$@"
}
# expect_installed NAME: virt-install succeeded, and its own log says which
# URI it opened: the default one
expect_installed() {
    expect_eq "virt-install $1: status" 0 "$rc"
    expect_match "virt-install $1: stdout" "Domain creation completed" "$out"
    [ "$rc" -eq 0 ] || diag "$(run_evidence)"
    expect_match "virt-install $1: the URI it opened" "Received libvirt URI qemu:///system\$" \
        "$(grep -a 'Received libvirt URI' "$mv_tmp/home/.cache/virt-manager/virt-install.log" 2>&1 | tail -n 1)"
}
# expect_booted NAME MAC: the guest's console says it booted and leased an
# address on $NET; the network lists that lease for MAC
expect_booted() {
    local log=$mv_tmp/$1.serial ip=
    guest_wait_log "$log" GUEST-BOOTED-OK $BOOT_S || expect_fail "$1: no GUEST-BOOTED-OK within $BOOT_S s"
    if guest_wait_log "$log" "GUEST-IP " $BOOT_S; then
        ip=$(grep -a -m 1 "GUEST-IP " "$log" | tr -d '\r' | sed -n 's/^GUEST-IP \([0-9.]*\)$/\1/p')
        expect_match "$1: the address it leased" "^$SUB\.(1[0-9][0-9]|200)\$" "${ip:-none}"
    else
        expect_fail "$1: no GUEST-IP within $BOOT_S s"
    fi
    pvsh net-dhcp-leases $NET
    expect_match "$1: net-dhcp-leases $NET" "$2 +ipv4 +${ip:-none}/24 " "$out"
    booted_ip=${ip:-?}
}

# ---- 1: a network, a pool and a volume, made through the proxy --------------------
cat >"$mv_tmp/net.xml" <<EOF
<network>
  <name>$NET</name>
  <bridge name='$BR' stp='off' delay='0'/>
  <ip address='$SUB.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='$SUB.100' end='$SUB.200'/>
    </dhcp>
  </ip>
</network>
EOF
cat >"$mv_tmp/pool.xml" <<EOF
<pool type='dir'>
  <name>$POOL</name>
  <target><path>$mv_tmp/pools/$POOL</path></target>
</pool>
EOF
cat >"$mv_tmp/vol.xml" <<'EOF'
<volume>
  <name>disk1.qcow2</name>
  <capacity unit='MiB'>32</capacity>
  <target><format type='qcow2'/></target>
</volume>
EOF
pvsh_ok net-define "$mv_tmp/net.xml"
pvsh_ok net-start $NET
pvsh_ok pool-define "$mv_tmp/pool.xml"
pvsh_ok pool-build $POOL
pvsh_ok pool-start $POOL
pvsh_ok vol-create $POOL "$mv_tmp/vol.xml"
pvsh uri
expect_eq "virsh uri (no -c)" "qemu:///system" "$out"
dvsh network netd net-list --name
expect_eq "netd's networks" "$NET" "$out"
dvsh storage storaged vol-list $POOL --details
expect_match "storaged's volumes" "^ disk1\.qcow2 +$mv_tmp/pools/$POOL/disk1\.qcow2 +file +32\.00 MiB" "$out"
[ -z "$case_errs" ] || { verdict "plain virsh makes network $NET, pool $POOL and volume disk1.qcow2 through the proxy"; echo "Bail out! the set-up failed"; exit 1; }
verdict "plain virsh makes network $NET, pool $POOL and volume disk1.qcow2 through the proxy"

# ---- 2: virt-install, generic OS, the volume as its disk ---------------------------
vinstall $G1 $MAC1 --osinfo detect=off,name=generic \
    --disk "source.pool=$POOL,source.volume=disk1.qcow2,bus=virtio"
expect_installed $G1
verdict "virt-install --import --noautoconsole (default URI, --osinfo generic) creates $G1 on volume $POOL/disk1.qcow2"

# ---- 3: it boots and leases -----------------------------------------------------------
expect_booted $G1 $MAC1
verdict "$G1 boots (GUEST-BOOTED-OK) and leases $booted_ip on $NET, listed by net-dhcp-leases"

# ---- 4: what virt-install made, as each daemon sees it -------------------------------------
pvsh dominfo $G1
expect_match "dominfo: state" "^State: +running$" "$out"
expect_match "dominfo: persistent" "^Persistent: +yes$" "$out"
pvsh dumpxml $G1
expect_match "disk: the pool's volume" "<source pool=.$POOL. volume=.disk1\.qcow2./>" "$out"
expect_match "virt-install's default graphics" "<graphics type=.spice." "$out"
expect_match "USB2 companions" "<controller type=.usb. index=.0. model=.ich9-uhci1.>" "$out"
expect_match "NIC: a port on $NET" "<source network=.$NET. portid=.[0-9a-f-]{36}. bridge=.$BR./>" "$out"
portid=$(printf '%s\n' "$out" | sed -n "s/.*<source network=.$NET. portid=.\([0-9a-f-]*\).*/\1/p")
dvsh qemu qemud list --all --name
expect_eq "qemud's own domains" "$G1" "$out"
dvsh network netd net-port-list $NET
expect_match "netd's port of $G1" "^ ${portid:-none}\$" "$out"
dvsh qemu qemud domblklist $G1 --details
expect_match "domblklist" "^ volume +disk +vda +disk1\.qcow2$" "$out"
verdict "$G1 is running and persistent with SPICE and USB2 companions; qemud has it, netd its port ${portid:-?}, its disk is the volume"

# ---- 5: virt-install, an accurate OS, a volume it creates in the pool ----------------------
vinstall $G2 $MAC2 --osinfo linux2022 --disk "pool=$POOL,size=0.0625,format=qcow2,bus=virtio"
expect_installed $G2
dvsh storage storaged vol-list $POOL --details
expect_match "the volume virt-install made" "^ $G2\.qcow2 +$mv_tmp/pools/$POOL/$G2\.qcow2 +file +64\.00 MiB" "$out"
pvsh dumpxml $G2
expect_match "q35" "machine=.(q35|pc-q35-[0-9.]+)." "$out"
expect_match "its disk" "<source file=.$mv_tmp/pools/$POOL/$G2\.qcow2./>" "$out"
expect_match "virt-install's default graphics" "<graphics type=.spice." "$out"
expect_match "virt-install's default sound" "<sound model=.ich9." "$out"
expect_match "the guest agent channel" "<target type=.virtio. name=.org\.qemu\.guest_agent\.0./>" "$out"
verdict "virt-install --osinfo linux2022 (q35, xhci, agent channel, rng, SPICE, sound) creates $G2 on a volume it makes in $POOL"

# ---- 6: it boots and leases -----------------------------------------------------------
expect_booted $G2 $MAC2
verdict "$G2 boots (GUEST-BOOTED-OK) and leases $booted_ip on $NET, listed by net-dhcp-leases"

# ---- 7: virt-install's own console ---------------------------------------------------------
# --graphics none without --serial: a lone <console type='pty'/>, and
# virt-install attaches to it (virsh console) until it is left with
# Ctrl-].  on_pty.py runs it on a pseudo-terminal, sends Ctrl-] once
# GUEST-READY went by, and kills it at a deadline (liveness only).
cat >"$mv_tmp/on_pty.py" <<'EOF'
import os, pty, select, signal, sys, time
marker, end = sys.argv[1].encode(), time.monotonic() + float(sys.argv[2])
pid, fd = pty.fork()
if pid == 0:
    os.execvp(sys.argv[3], sys.argv[3:])
seen, left_console = b"", False
while True:
    wait = end - time.monotonic()
    if wait <= 0 or not select.select([fd], [], [], wait)[0]:
        os.kill(pid, signal.SIGKILL)
        os.waitpid(pid, 0)
        sys.exit("on_pty.py: %s did not end within %s s" % (sys.argv[3], sys.argv[2]))
    try:
        data = os.read(fd, 4096)
    except OSError:         # EIO: the child closed the terminal
        break
    if not data:
        break
    sys.stdout.buffer.write(data)
    seen = (seen + data)[-4096:]
    if not left_console and marker in seen:
        os.write(fd, b"\x1d")
        left_console = True
sys.exit(os.waitstatus_to_exitcode(os.waitpid(pid, 0)[1]))
EOF
MV_CLIENT_TIMEOUT=$((BOOT_S + 30)) run default_client /usr/bin/python3 "$mv_tmp/on_pty.py" GUEST-READY $BOOT_S \
    virt-install --import --name $G3 --memory 256 --vcpus 1 --virt-type qemu --osinfo linux2022 \
    --boot "kernel=$GUEST_KERNEL,initrd=$GUEST_INITRD,kernel_args=console=ttyS0 panic=-1" \
    --events on_reboot=destroy,on_crash=destroy \
    --disk "pool=$POOL,size=0.0625,format=qcow2,bus=virtio" --network none --graphics none
out=$(printf '%s\n' "$out" | tr -d '\r')
expect_installed $G3
expect_match "virt-install attached the console" "^Connected to domain '?$G3'?" "$out"
expect_match "the guest's boot on it" "^GUEST-BOOTED-OK " "$out"
pvsh dumpxml $G3
expect_match "the console's pty" "<console type=.pty.[^>]*> *<source path=./dev/pts/[0-9]+./>" "$(printf '%s' "$out" | tr -s '\n ' ' ')"
verdict "virt-install's own text console (a lone <console type='pty'/>) shows $G3 booting, through the proxy"

# ---- 8: virt-xml and virt-clone, virtinst's other two ----------------------------------------
pvsh_ok destroy $G1
run default_client virt-xml $G1 --edit --memory 320
expect_eq "virt-xml --edit: status" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$(run_evidence)"
pvsh dumpxml --inactive $G1
expect_match "the memory virt-xml set" "<memory unit=.KiB.>327680</memory>" "$out"
run default_client virt-clone --original $G1 --auto-clone
expect_eq "virt-clone: status" 0 "$rc"
expect_match "virt-clone: stdout" "Clone '$G1-clone' created successfully" "$out"
[ "$rc" -eq 0 ] || diag "$(run_evidence)"
dvsh storage storaged vol-list $POOL
expect_match "the volume virt-clone made" "^ disk1-clone\.qcow2 " "$out"
pvsh dumpxml --inactive $G1-clone
# virt-clone writes the new volume's path (a file disk), as it does on libvirt
expect_match "the clone's disk" "<source file=.$mv_tmp/pools/$POOL/disk1-clone\.qcow2./>" "$out"
verdict "virt-xml --edit changes $G1's memory; virt-clone copies it with its volume (disk1-clone.qcow2)"

# ---- 9: gone again, through the proxy ------------------------------------------------------
pvsh_ok undefine $G1
pvsh_ok undefine $G1-clone --remove-all-storage
pvsh_ok destroy $G2
pvsh_ok undefine $G2 --remove-all-storage
pvsh_ok destroy $G3
pvsh_ok undefine $G3 --remove-all-storage
dvsh qemu qemud list --all --name
expect_eq "qemud's domains" "" "$out"
dvsh network netd net-port-list $NET
expect_nomatch "netd's ports" "[0-9a-f]{8}-" "$out"
dvsh storage storaged vol-list $POOL
expect_nomatch "$G2's, $G3's and the clone's volumes" "$G2\.qcow2|$G3\.qcow2|disk1-clone" "$out"
expect_match "disk1.qcow2 stays" "disk1\.qcow2" "$out"
dvsh storage storaged pool-list --all --name
expect_eq "storaged's pools (virt-install made none of its own)" "$POOL" "${out// /}"     # virsh pads the names
expect_daemon_alive
verdict "destroy, undefine (--remove-all-storage) through the proxy: no domain, no port; the volumes of $G2, $G3 and the clone deleted"
mv_done
