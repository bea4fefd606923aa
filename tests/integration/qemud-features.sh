#!/bin/bash
# <features> and <clock> as virt-install and virt-manager write them, under
# modvirt-qemud and the real QEMU (TCG on this machine):
# 1. virt-install's Windows 10 definition (tests/data/virtinst/win10.xml,
#    as virt-install 4.1 wrote it, with a fixed uuid: hyperv
#    relaxed/vapic/spinlocks, vmport off, hypervclock, SPICE) defines,
#    starts paused with hv-* on QEMU's -cpu, and its live XML keeps them.
# 2. every hyperv enlightenment virsh domcapabilities lists, and vmcoreinfo
#    when listed supported, starts paused (what the capabilities offer is
#    what starting accepts);
# 3. the switches virt-manager writes (vmport, smm, ioapic, kvm hidden,
#    pmu off) and panic/watchdog models start paused;
# 4. what QEMU cannot do under TCG is refused at start, naming the element,
#    and leaves nothing running.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_NEEDS="qemu-system-x86_64 xmllint ip"
mv_init 5
use_root root

# The daemon in a network namespace of its own: Windows 10's SPICE display
# listens on TCP, and its ports must never meet the host's.
mv_netns_new mvft
mv_start_daemon_in_netns "$NS"

qemu_arg() {    # PID FLAG: the argument after FLAG on that QEMU's command line
    tr '\0' '\n' <"/proc/$1/cmdline" | sed -n "/^$2\$/{n;p;q}"
}
xp() { printf '%s\n' "$out" | xmllint --xpath "$1" - 2>/dev/null; }

# try_guest NAME MACHINE FEATURES CLOCK DEVICES: define, start paused,
# destroy, undefine; failures named
try_guest() {
    cat >"$mv_tmp/$1.xml" <<XML
<domain type='qemu'><name>$1</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='$2'>hvm</type></os><features><acpi/>$3</features>
<clock offset='utc'>$4</clock><devices>$5<memballoon model='none'/></devices></domain>
XML
    try_paused "$1"
}

# 1
vsh define "$top_srcdir/tests/data/virtinst/win10.xml"
expect_eq "define: exit status ($err)" 0 "$rc"
vsh start --paused vi-win10
expect_eq "start --paused: exit status ($err)" 0 "$rc"
pid=$(our_qemu vi-win10)
if [ -n "$pid" ]; then
    expect_match "-cpu" ',hv-time=on,hv-relaxed=on,hv-vapic=on,hv-spinlocks=0x1fff$' "$(qemu_arg "$pid" -cpu)"
    expect_match "-machine" ',vmport=off' "$(qemu_arg "$pid" -machine)"
else
    expect_fail "no QEMU of ours runs for vi-win10"
fi
vsh dumpxml vi-win10
expect_eq "live spinlocks retries" 8191 "$(xp 'string(//features/hyperv/spinlocks[@state="on"]/@retries)')"
expect_eq "live vmport" off "$(xp 'string(//features/vmport/@state)')"
expect_eq "live hypervclock" yes "$(xp 'string(//clock/timer[@name="hypervclock"]/@present)')"
vsh destroy vi-win10
vsh undefine vi-win10
expect_eq "undefine" 0 "$rc"
verdict "virt-install's Windows 10 <features>/<clock> define and start paused with hv-* on -cpu"

# 2
vsh domcapabilities --machine q35 --virttype qemu
hv=$(printf '%s\n' "$out" | xmllint --xpath "//features/hyperv[@supported='yes']/enum[@name='features']/value/text()" - 2>/dev/null)
coreinfo=$(xp "string(//features/vmcoreinfo/@supported)")
[ -n "$hv" ] || expect_fail "no hyperv enlightenments listed in: $out"
for f in $hv; do
    case $f in
    spinlocks) x="<spinlocks state='on' retries='8191'/>" ;;
    vendor_id) x="<vendor_id state='on' value='modvirt'/>" ;;
    *) x="<$f state='on'/>" ;;
    esac
    try_guest "hv-$f" q35 "<hyperv>$x</hyperv>" "<timer name='hypervclock' present='yes'/>" ""
done
expect_eq "vmcoreinfo supported" yes "$coreinfo"
[ "$coreinfo" = yes ] && try_guest hv-vmcoreinfo q35 "<vmcoreinfo state='on'/>" "" ""
diag "hyperv enlightenments listed for TCG: $(echo $hv)"
verdict "every hyperv enlightenment and vmcoreinfo domcapabilities lists starts paused"

# 3
try_guest sw-q35 q35 "<apic/><kvm><hidden state='on'/></kvm><pmu state='off'/><vmport state='off'/>
<smm state='on'><tseg unit='MiB'>48</tseg></smm><ioapic driver='qemu'/>" \
    "<timer name='rtc' tickpolicy='catchup' track='guest'/><timer name='pit' tickpolicy='delay'/>
<timer name='hpet' present='no'/><timer name='kvmclock' present='no'/>" \
    "<watchdog model='itco' action='reset'/><panic model='isa'/><panic model='pvpanic'/><panic model='hyperv'/>"
try_guest sw-pc pc "<vmport state='on'/><smm state='off'/>" "" \
    "<watchdog model='i6300esb'/><panic model='pvpanic'/>"
verdict "vmport, smm with tseg, ioapic, kvm hidden, pmu off, timers, itco and every panic model start paused"

# 4: refused at start by name; nothing left running
refused() {     # NAME FEATURES CLOCK NAMED
    cat >"$mv_tmp/$1.xml" <<XML
<domain type='qemu'><name>$1</name><memory unit='MiB'>64</memory><os><type arch='x86_64' machine='q35'>hvm</type></os>
<features><acpi/>$2</features><clock offset='utc'>$3</clock><devices><memballoon model='none'/></devices></domain>
XML
    vsh define "$mv_tmp/$1.xml"
    [ "$rc" -eq 0 ] || { expect_fail "$1: define: $err"; return; }
    vsh start --paused "$1"
    expect_eq "$1: start exit status" 1 "$rc"
    expect_match "$1: message" "$4" "$err"
    expect_eq "$1: no QEMU" "" "$(our_qemu "$1")"
    vsh domstate "$1"
    expect_eq "$1: state" "shut off" "$out"
    vsh undefine "$1"
}
refused no-vpindex "<hyperv><vpindex state='on'/></hyperv>" "" "<features><hyperv><vpindex> needs KVM"
refused no-evmcs "<hyperv><vapic state='on'/><evmcs state='on'/></hyperv>" "" "<features><hyperv><evmcs> needs KVM"
refused no-hvpass "<hyperv mode='passthrough'/>" "" "<features><hyperv mode='passthrough'> needs KVM"
refused no-kvmclock "" "<timer name='kvmclock' present='yes'/>" "<timer name='kvmclock' present='yes'> needs KVM"
expect_daemon_alive
verdict "vpindex, evmcs, hyperv passthrough and kvmclock under TCG refused at start, by element"

# 5
vsh list --all --name
expect_eq "no domain left" "" "$out"
expect_daemon_alive
verdict "nothing left defined; the daemon serves on"
mv_done
