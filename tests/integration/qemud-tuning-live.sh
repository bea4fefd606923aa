#!/bin/bash
# Live tuning through virsh on a running test guest, and the same calls on
# a definition: vcpupin (the kernel's affinity of QEMU's vCPU thread, and
# vcpupin/vcpuinfo reading it back), setvcpus --live up to <vcpu>'s
# maximum with the guest seeing each CPU come and go (guest.cpus=1), setmem
# through a virtio balloon, schedinfo, numatune, migrate-setspeed/getspeed;
# every bad value and wrong state refused with a named error; shutdown and
# reboot methods nobody implements refused by name; <log append='off'/>
# kept.  cgroup-dependent live values (schedinfo, numatune --live) are
# checked where the domain's cgroup has the controller, and must fail by
# name where it has not.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64"
BOOT_S=90
CPU_S=30
G=tl
D=tdef
guest_test_init 14
start_daemon

online=$(cat /sys/devices/system/cpu/online)
first=$(printf '%s' "$online" | sed 's/[-,].*//')
last=$(printf '%s' "$online" | sed 's/.*[-,]//')
serial=$mv_tmp/$G.serial
CLI=$top_builddir/client/modvirt
mvc() { run isolated "$CLI" -c "$MV_URI" "$@"; }
# allowed PID COMM: Cpus_allowed_list of PID's thread named COMM
allowed() {
    local t
    for t in /proc/"$1"/task/*; do
        [ "$(cat "$t/comm" 2>/dev/null)" = "$2" ] || continue
        sed -n 's/^Cpus_allowed_list:[[:space:]]*//p' "$t/status"
        return
    done
    echo "no thread '$2'"
}
# wait_cpus LIST: the guest reports LIST as its online CPUs
wait_cpus() { guest_wait_log "$serial" "^GUEST-CPUS $1"$'\r'"?\$" $CPU_S; }
# xml ARGS...: virsh dumpxml ARGS, attributes in single quotes
xml() { vsh dumpxml "$@"; out=$(printf '%s' "$out" | tr '"' "'"); }
# guest_cg: the cgroup directory of $G's QEMU named by the domain's UUID
# (QEMU may sit in a group below it), empty if it has none
guest_cg() {
    local uuid=${G_UUID:-none} dir
    dir=/sys/fs/cgroup$(sed -n 's/^0:://p' "/proc/${qpid:-0}/cgroup" 2>/dev/null)
    while [ "$dir" != /sys/fs/cgroup ] && [ "${dir##*/}" != "$uuid" ]; do dir=${dir%/*}; done
    [ "${dir##*/}" = "$uuid" ] && printf '%s' "$dir"
    return 0
}
# has_cg FILE: the guest's cgroup has FILE (its controller is enabled there)
has_cg() { local d; d=$(guest_cg); [ -n "$d" ] && [ -e "$d/$1" ]; }
# refused WHAT ERE: the last virsh call failed with ERE in its error
refused() {
    [ "$rc" -ne 0 ] || expect_fail "$1: succeeded: $(run_evidence)"
    expect_match "$1" "$2" "$err"
}

# a guest with 1 of 3 vCPUs online, a virtio balloon, CPUs reported
GUEST_APPEND=guest.cpus=1 guest_domain_xml $G "$serial" |
    sed -e "s|<vcpu>1</vcpu>|<vcpu current='1'>3</vcpu>|" \
        -e "s|<memballoon model='none'/>|<memballoon model='virtio'/>|" >"$mv_tmp/$G.xml"
guest_domain_xml $D "$mv_tmp/$D.serial" | sed "s|<vcpu>1</vcpu>|<vcpu>2</vcpu>|" >"$mv_tmp/$D.xml"

# 1
vsh define "$mv_tmp/$G.xml"
expect_eq "define" 0 "$rc"
vsh define "$mv_tmp/$D.xml"
expect_eq "define $D" 0 "$rc"
vsh start $G
expect_eq "start" 0 "$rc"
vsh domuuid $G
G_UUID=$out
guest_wait_log "$serial" GUEST-READY $BOOT_S || expect_fail "the guest did not boot"
wait_cpus 0 || expect_fail "the guest did not report CPU 0 alone"
vsh vcpucount $G --live --active
expect_eq "vcpucount --live --active" 1 "$out"
xml $G
expect_match "log append='off' kept" "<log file='[^']*' append='off'/>" "$out"
xml --inactive $G
expect_match "log append='off' kept in the definition" "<log file='[^']*' append='off'/>" "$out"
verdict "a guest with 1 of 3 vCPUs boots and reports CPU 0; <log append='off'/> stays in both XMLs"

# 2
qpid=$(our_qemu $G)
vsh vcpupin $G 0 "$last" --live
expect_eq "vcpupin --live" 0 "$rc"
expect_eq "vCPU 0 thread" "$last" "$(allowed "${qpid:-0}" "CPU 0/TCG")"
vsh vcpupin $G --live
expect_match "vcpupin shows it" "^ *0 +$last\$" "$out"
xml $G
expect_match "live XML" "<vcpupin vcpu='0' cpuset='$last'/>" "$out"
xml --inactive $G
expect_nomatch "not in the definition" "<vcpupin" "$out"
# python3-libvirt (virt-manager's way): NODE_GET_CPU_MAP, then GET_VCPU_PIN_INFO
py - "$MV_URI" "$G" <<'PY'
import sys, libvirt
c = libvirt.open(sys.argv[1])
n, cpus, online = c.getCPUMap()
print("ncpus=%d\nonline=%d" % (n, online))
print("vcpu0=" + "".join("y" if b else "-" for b in c.lookupByName(sys.argv[2]).vcpuPinInfo(libvirt.VIR_DOMAIN_AFFECT_LIVE)[0]))
PY
expect_eq "python getCPUMap: CPUs" "$((last + 1))" "$(kv ncpus)"
expect_eq "python vcpuPinInfo: vCPU 0 on $last" \
    "$(for ((i = 0; i <= last; i++)); do [ $i -eq "$last" ] && printf y || printf -- -; done)" "$(kv vcpu0)"
[ "$rc" -eq 0 ] || diag "python: $(run_evidence)"
vsh vcpuinfo $G
if [ "$rc" -eq 0 ]; then
    expect_match "vcpuinfo affinity" "CPU Affinity: +[-y]*y" "$out"
else
    diag "virsh vcpuinfo on a running domain needs GET_VCPUS (the stats part): $err"
fi
vsh vcpupin $G 1 "$first" --config
expect_eq "vcpupin --config" 0 "$rc"
xml --inactive $G
expect_match "definition" "<vcpupin vcpu='1' cpuset='$first'/>" "$out"
vsh vcpupin $G --config
expect_match "vcpupin --config shows it" "^ *1 +$first\$" "$out"
verdict "vcpupin --live moves vCPU 0's thread to CPU $last (Cpus_allowed_list); virsh vcpupin and python's vcpuPinInfo show it; --config goes to the definition only"

# 3
vsh vcpupin $G 2 "$first" --live
refused "pin an offline vCPU" "vCPU 2 of domain '$G'.*not online"
vsh vcpupin $G 5 "$first" --config
refused "pin beyond the maximum" "vCPU 5 is out of range of the 3 vCPUs of domain '$G'"
vsh vcpupin $G --live --config
refused "pin info live and config" "mutually exclusive|are mutually exclusive"
vsh vcpupin $D 0 "$first" --live
refused "vcpupin --live on a shut-off domain" "domain is not running|is not running"
verdict "vcpupin: offline vCPU, vCPU beyond the maximum, --live on a shut-off domain refused by name"

# 4
vsh setvcpus $G 2 --live
expect_eq "setvcpus 2 --live" 0 "$rc"
wait_cpus 0-1 || expect_fail "the guest did not see CPU 1"
vsh setvcpus $G 3
expect_eq "setvcpus 3 (current: live)" 0 "$rc"
wait_cpus 0-2 || expect_fail "the guest did not see CPU 2"
expect_nomatch "QEMU has a thread for vCPU 2" "no thread" "$(allowed "${qpid:-0}" "CPU 2/TCG")"
vsh vcpucount $G --live --active
expect_eq "vcpucount --live --active" 3 "$out"
vsh vcpucount $G --config --active
expect_eq "vcpucount --config --active unchanged" 1 "$out"
verdict "setvcpus --live 1 -> 2 -> 3: each vCPU is plugged and the guest brings it online (GUEST-CPUS 0-1, 0-2)"

# 5
vsh setvcpus $G 2 --live
expect_eq "setvcpus 2 --live (unplug)" 0 "$rc"
wait_cpus 0-1 || expect_fail "the guest still shows CPU 2"
vsh vcpucount $G --live --active
expect_eq "vcpucount after the unplug" 2 "$out"
expect_eq "QEMU has no thread for vCPU 2" "no thread 'CPU 2/TCG'" "$(allowed "${qpid:-0}" "CPU 2/TCG")"
vsh setvcpus $G 1 --live
expect_eq "setvcpus 1 --live (unplug)" 0 "$rc"
wait_cpus 0 || expect_fail "the guest still shows CPU 1"
vsh setvcpus $G 4 --live
refused "beyond the maximum" "requested vcpus is greater than max allowable vcpus for the live domain '$G': 4 > 3"
vsh setvcpus $G 3 --live --maximum
refused "live maximum (virsh itself)" "--config is required by option --maximum"
vsh setvcpus $G 1 --guest
refused "--guest" "guest agent"
vsh setvcpus $D 1 --live
refused "--live on a shut-off domain" "is not running"
verdict "setvcpus --live 3 -> 2 -> 1 unplugs vCPUs 2 and 1 (the guest sees them go); beyond the maximum, --maximum --live, --guest and a shut-off domain refused by name"

# 6
vsh setmem $G 200M --live
expect_eq "setmem --live" 0 "$rc"
vsh dominfo $G
expect_match "used memory" "Used memory: +204800 KiB" "$out"
vsh setmem $G 512M --live
refused "setmem above the maximum" "higher than its maximum \\(262144 KiB\\)"
vsh setmaxmem $G 300M
refused "setmaxmem of a running domain" "cannot resize the maximum memory of running domain '$G'"
vsh setmem $D 100M --live
refused "setmem --live on a shut-off domain" "is not running"
vsh setmem $D 100M --config
expect_eq "setmem --config of $D" 0 "$rc"
xml --inactive $D
expect_match "currentMemory" "<currentMemory unit='KiB'>102400</currentMemory>" "$out"
verdict "setmem --live through the balloon (dominfo 204800 KiB); above the maximum, setmaxmem live and a shut-off domain refused by name; --config"

# 7
vsh schedinfo $G --config --set cpu_shares=512
expect_eq "schedinfo --config --set" 0 "$rc"
vsh schedinfo $G --config
expect_match "cpu_shares" "cpu_shares +: 512" "$out"
xml --inactive $G
expect_match "<shares>" "<shares>512</shares>" "$out"
vsh schedinfo $D --config --set vcpu_period=10
refused "period too short" "vcpu_period 10 is not 1000 to 1000000"
vsh schedinfo $D --config --set cpu_shares=0
refused "shares 0" "cpu_shares 0 is not 1 to"
vsh schedinfo $D --set cpu_shares=100 --live
refused "--live on a shut-off domain" "is not running"
vsh schedinfo $G --live
if ! has_cg cpu.weight; then
    expect_match "no cpu controller: named" "cgroup CPU controller is not available for domain '$G'" "$err"
fi
verdict "schedinfo: --config sets <shares> and reads it back; bad values and a shut-off --live refused; live refused by name without the cpu controller"

# 7b: where the guest's cgroup has the cpu controller
if has_cg cpu.weight; then
    expect_eq "schedinfo --live" 0 "$rc"
    vsh schedinfo $G --live --set cpu_shares=300
    expect_eq "live set" 0 "$rc"
    vsh schedinfo $G --live
    expect_match "live cpu_shares" "cpu_shares +: 300" "$out"
    verdict "schedinfo --live: cpu_shares set through the guest's cpu.weight and read back"
else
    skip "schedinfo --live: the guest's cgroup ($(d=$(guest_cg); echo "${d:-none}")) has no cpu controller"
fi

# 8
vsh numatune $G --live
expect_match "live numatune" "numa_mode +: strict" "$out"
vsh numatune $G --live --mode interleave
refused "mode change live" "can't change numatune mode for running domain '$G'"
vsh numatune $G --live --nodeset 0
nodeset_rc=$rc nodeset_err=$err
has_cg cpuset.mems ||
    expect_match "nodeset live: named" "cgroup cpuset controller is not available for domain '$G'" "$err"
vsh numatune $D --config --mode interleave --nodeset 0
expect_eq "numatune --config" 0 "$rc"
vsh numatune $D --config
expect_match "mode" "numa_mode +: interleave" "$out"
expect_match "nodeset" "numa_nodeset +: 0" "$out"
xml --inactive $D
expect_match "<numatune>" "<memory mode='interleave' nodeset='0'/>" "$out"
vsh numatune $D --config --nodeset 99
refused "a node the host lacks" "NUMA node 99 is unavailable on this host"
vsh numatune $D --config --nodeset 'x-'
refused "bad nodeset" "Invalid nodeset of 'x-' for numatune"
verdict "numatune: live mode change refused, live nodeset refused by name without the cpuset controller; --config mode and nodeset kept; bad nodesets refused"

# 8b: where the guest's cgroup has the cpuset controller
if has_cg cpuset.mems; then
    expect_eq "numatune --live --nodeset 0: $nodeset_err" 0 "$nodeset_rc"
    expect_eq "cpuset.mems" 0 "$(cat "$(guest_cg)/cpuset.mems" 2>&1)"
    verdict "numatune --live --nodeset 0: written to the guest's cpuset.mems"
else
    skip "numatune --live --nodeset: the guest's cgroup ($(d=$(guest_cg); echo "${d:-none}")) has no cpuset controller"
fi

# 9
vsh migrate-setspeed $G 100
expect_eq "migrate-setspeed" 0 "$rc"
vsh migrate-getspeed $G
expect_eq "migrate-getspeed" 100 "$out"
vsh migrate-setspeed $G 8796093022208
refused "too fast" "bandwidth must be less than 8796093022208"
vsh migrate-getspeed $D
refused "getspeed of a shut-off domain" "is not running"
verdict "migrate-setspeed 100 MiB/s, migrate-getspeed 100; a bandwidth beyond QEMU's and a shut-off domain refused by name"

# 10: the same through modvirt's own CLI (libmodvirt)
# QEMU 7.2 under TCG dies plugging a vCPU again after an unplug: refused by name
mvc setvcpus $G 2 --live
expect_eq "modvirt setvcpus 2 --live: refused" 1 "$rc"
expect_match "named" "vCPU 1 of domain '$G' was unplugged in this run, and QEMU under TCG cannot plug a vCPU again" "$err"
vsh domstate $G
expect_eq "QEMU lives on" running "$out"
mvc vcpupin $G 0 "$first" --live
expect_eq "modvirt vcpupin" "0:" "$rc:$out"
expect_eq "vCPU 0 thread" "$first" "$(allowed "${qpid:-0}" "CPU 0/TCG")"
mvc setmem $G 180000 --live
expect_eq "modvirt setmem" 0 "$rc"
vsh dominfo $G
expect_match "used memory" "Used memory: +180000 KiB" "$out"
mvc migrate-setspeed $G 50
expect_eq "modvirt migrate-setspeed" 0 "$rc"
mvc migrate-getspeed $G
expect_eq "modvirt migrate-getspeed" 50 "$out"
mvc --json migrate-getspeed $G
expect_match "--json" '"bandwidth_mib": *50' "$out"
mvc setvcpus $G 9 --live
expect_eq "beyond the maximum: status 1" 1 "$rc"
expect_match "named" "failed to set the vCPUs of domain '$G'.*9 > 3" "$err"
mvc vcpupin $G 0 'x-1'
expect_eq "a bad cpulist is a usage error" 2 "$rc"
verdict "modvirt vcpupin/setmem/migrate-setspeed/getspeed through libmodvirt; setvcpus refuses a re-plug under TCG by name; errors name the domain and cause"

# 11
vsh shutdown $G --mode initctl
refused "initctl" "initctl method is not supported"
vsh reboot $G --mode signal
refused "signal" "signal method is not supported"
vsh shutdown $G --mode agent
refused "agent" "agent"
vsh domstate $G
expect_eq "still running" running "$out"
verdict "shutdown --mode initctl, reboot --mode signal, --mode agent refused by name; the guest runs on"

# 12: the config changes reach the next start
vsh destroy $G
expect_eq "destroy" 0 "$rc"
vsh setvcpus $G 2 --config
expect_eq "setvcpus --config" 0 "$rc"
# shut off, vcpuinfo shows the current vCPUs' pins (GET_VCPU_PIN_INFO)
want=$(for ((i = 0; i <= last; i++)); do [ $i -eq "$first" ] && printf y || printf -- -; done)
vsh vcpuinfo $G
expect_eq "vcpuinfo of the shut-off domain: vCPU 1's pin" "$want" \
    "$(printf '%s\n' "$out" | awk '/^VCPU:/ { v = $2 } /^CPU Affinity:/ && v == 1 { print $3 }')"
[ "$rc" -eq 0 ] || diag "vcpuinfo: $(run_evidence)"
vsh setvcpus $G 2 --config --maximum
expect_eq "setvcpus --config --maximum" 0 "$rc"
vsh vcpucount $G --config --maximum
expect_eq "maximum" 2 "$out"
xml --inactive $G
expect_match "vcpu" "<vcpu placement='static'>2</vcpu>|<vcpu>2</vcpu>" "$out"
# the <shares> of case 7 at the next start: in the guest's cgroup, or refused by name
vsh start $G
if [ "$rc" -eq 0 ]; then
    vsh schedinfo $G --live
    expect_match "cpu_shares in the new run's cgroup" "cpu_shares +: 512" "$out"
    vsh destroy $G
else
    expect_match "start refused by name" "<cputune><shares> needs a cgroup with the cpu controller" "$err"
    expect_eq "still shut off" "shut off" "$(guest_state $G)"
fi
vsh undefine $D
verdict "shut off: vcpuinfo reads the pins back; setvcpus --config and --config --maximum; <shares> applied at start or refused by name"

mv_done
