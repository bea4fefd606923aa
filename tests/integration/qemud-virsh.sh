#!/bin/bash
# modvirt-qemud driven by Debian's unmodified virsh (libvirt 9.0 client):
# every answer is compared with what the host itself says.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_NEEDS="xmllint qemu-system-x86_64 hostname getconf"
mv_init 20
start_daemon

# ---- what the host says ----
host_facts
schema=/usr/share/libvirt/schemas/capability.rng

# meminfo FILE KEY: the value in KiB
meminfo() { awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k ":") print $(i + 1) }' "$1"; }
# free_kib_now [FILE]: MemFree of /proc/meminfo (or a node's meminfo) in KiB
free_kib_now() { meminfo "${1:-/proc/meminfo}" MemFree; }
# near_free WHAT FILE CMD...: runs CMD (which sets $got to the KiB it reports)
# between two readings of MemFree in FILE and demands it lie between them,
# give or take 1% of MemTotal (virsh and the daemon allocate while they run).
# Free memory moves under load, so a miss is retried (5 tries) before it counts.
near_free() {
    local what=$1 file=$2 b a lo hi slack try
    shift 2
    slack=$(( $(meminfo /proc/meminfo MemTotal) / 100 ))
    for try in 1 2 3 4 5; do
        b=$(free_kib_now "$file"); "$@"; a=$(free_kib_now "$file")
        lo=$(( (b < a ? b : a) - slack )); hi=$(( (b > a ? b : a) + slack ))
        [[ $got =~ ^[0-9]+$ ]] && [ "$got" -ge "$lo" ] && [ "$got" -le "$hi" ] && return 0
    done
    expect_fail "$what: '${got:-none}' KiB is not between MemFree readings $b and $a KiB (+-$slack), 5 tries"
}
# a line "KEY: VALUE" of virsh's table output
field() { printf '%s\n' "$out" | sed -n "s/^$1:[[:space:]]*//p" | head -n 1; }

# 1
vsh version
expect_eq "exit status" 0 "$rc"
expect_match "hypervisor line (qemu-system-x86_64 --version says $qemu_ver)" \
    "^Running hypervisor: QEMU ${qemu_ver//./\\.}\$" "$out"
expect_match "API line (connection type)" '^Using API: QEMU 9\.0\.0$' "$out"
verdict "virsh version reports the real QEMU version ($qemu_ver)"

# 2: the URI given is echoed by the client; no daemon call is involved
vsh uri
expect_eq "exit status" 0 "$rc"
expect_eq "uri" "$MV_URI" "$out"
verdict "virsh uri with ?socket= prints the URI it was given"

# 3: with no URI at all the client asks the daemon (CONNECT_GET_URI); the
# daemon (through the proxy: the proxy, which answers it itself) sits at
# the legacy path inside the private namespace only
legacy=$MV_RW
via_proxy && legacy=$(proxy_sock "$MV_ROOT")
run timeout -k 2 30 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME="$mv_tmp/home" \
    unshare -m --propagation private sh -c \
    'mount -t tmpfs mvinteg-empty /run/libvirt && ln -s "$1" /run/libvirt/libvirt-sock && shift && exec "$@"' \
    _ "$legacy" virsh uri
expect_eq "exit status" 0 "$rc"
expect_eq "uri" "qemu:///system" "$out"
verdict "virsh uri with no URI (probe, CONNECT_GET_URI) says qemu:///system"

# 4
vsh hostname
expect_eq "exit status" 0 "$rc"
expect_eq "hostname" "$host_name" "$out"
verdict "virsh hostname equals hostname(1)"

# 5
host_mhz=$(cpuinfo_mhz)
vsh nodeinfo
expect_eq "exit status" 0 "$rc"
expect_eq "CPU(s) (online CPUs)" "$host_cpus" "$(field 'CPU(s)')"
expect_eq "Memory size (MemTotal)" "$host_mem_kib KiB" "$(field 'Memory size')"
expect_eq "CPU model (uname -m)" "$host_arch" "$(field 'CPU model')"
expect_mhz "CPU frequency (/proc/cpuinfo, as libvirt reads it)" "$host_mhz" "$(field 'CPU frequency' | sed 's/ MHz$//')"
expect_eq "NUMA cell(s)" "$host_cells" "$(field 'NUMA cell(s)')"
s=$(field 'CPU socket(s)'); c=$(field 'Core(s) per socket'); t=$(field 'Thread(s) per core'); n=$(field 'NUMA cell(s)')
topo=$(( ${s:-0} * ${c:-0} * ${t:-0} * ${n:-0} ))
expect_eq "sockets x cores x threads x cells" "$host_cpus" "$topo"
verdict "virsh nodeinfo matches /proc and /sys (CPUs $host_cpus, memory $host_mem_kib KiB)"

# 6-8: capabilities
vsh capabilities
printf '%s\n' "$out" >"$mv_tmp/caps.xml"
caps_rc=$rc
expect_eq "exit status" 0 "$caps_rc"
if ! xmllint --noout --relaxng "$schema" "$mv_tmp/caps.xml" >"$mv_tmp/xmllint.out" 2>&1; then
    expect_fail "xmllint --relaxng $schema: $(tail -n 5 "$mv_tmp/xmllint.out")"
fi
verdict "virsh capabilities validates against libvirt's capability.rng"

xp() { xmllint --xpath "$1" "$mv_tmp/caps.xml" 2>/dev/null; }
expect_eq "host cpu arch" "$host_arch" "$(xp 'string(/capabilities/host/cpu/arch)')"
expect_eq "NUMA cells" "$host_cells" "$(xp 'string(/capabilities/host/topology/cells/@num)')"
expect_eq "CPUs in the topology" "$host_cpus" "$(xp 'count(/capabilities/host/topology/cells/cell/cpus/cpu)')"
expect_eq "guest emulator" "$qemu_bin" "$(xp 'string(/capabilities/guest[arch/@name="x86_64"]/arch/emulator)')"
expect_eq "domain type qemu" 1 "$(xp 'count(/capabilities/guest/arch[@name="x86_64"]/domain[@type="qemu"])')"
expect_eq "os_type" hvm "$(xp 'string(/capabilities/guest/os_type)')"
verdict "capabilities describe this host and offer <domain type='qemu'/> with $qemu_bin"

# <domain type='kvm'/> only where KVM really runs guests (host_kvm says why)
kvm=$(host_kvm)
n_kvm=$(xp 'count(//domain[@type="kvm"])')
case $kvm in
    yes) expect_eq "domain type kvm entries (x86_64)" 1 "$(xp 'count(/capabilities/guest/arch[@name="x86_64"]/domain[@type="kvm"])')" ;;
    no) expect_eq "domain type kvm entries" 0 "$n_kvm" ;;
    *) [[ $n_kvm = [01] ]] || expect_fail "domain type kvm entries: $n_kvm" ;;
esac
verdict "capabilities offer a kvm domain type only if KVM can run guests here (host_kvm: $kvm)"

# 9
vsh list --all
expect_eq "exit status" 0 "$rc"
expect_eq "table" " Id   Name   State"$'\n'"--------------------" "$out"
expect_eq "stderr" "" "$err"
verdict "virsh list --all prints an empty table"

# 10: no DMI tables in this VM
if [ -d /sys/class/dmi/id ]; then
    vsh sysinfo
    expect_eq "exit status" 0 "$rc"
    expect_match "sysinfo" "<sysinfo type=.smbios.>" "$out"
    verdict "virsh sysinfo returns SMBIOS data (this host has /sys/class/dmi)"
else
    vsh sysinfo
    expect_eq "exit status" 1 "$rc"
    expect_match "stderr" '^error: unsupported configuration: Host SMBIOS information is not available$' "$err"
    expect_daemon_alive
    verdict "virsh sysinfo without DMI fails cleanly with libvirt's SMBIOS error"
fi

# 11: virsh replaces the lookup error by its own line (vshResetLibvirtError);
# the daemon's "Domain not found" text is checked in qemud-python.sh
vsh dominfo nosuch
expect_eq "exit status" 1 "$rc"
expect_eq "stderr" "error: failed to get domain 'nosuch'" "$err"
expect_daemon_alive
verdict "virsh dominfo nosuch fails: no such domain"

# 12
nodememstats() { vsh nodememstats; got=$(field 'free *' | sed 's/ KiB$//'); }
near_free "free" /proc/meminfo nodememstats
expect_eq "exit status" 0 "$rc"
expect_eq "total (MemTotal)" "$host_mem_kib KiB" "$(field 'total *')"
for f in buffers cached; do
    printf '%s\n' "$(field "$f *")" | grep -Eq '^[0-9]+ KiB$' || expect_fail "$f: '$(field "$f *")' is not a size"
done
verdict "virsh nodememstats matches /proc/meminfo"

# 13: the daemon's counters lie between two samples of /proc/stat
tck=$(getconf CLK_TCK)
# user+nice, system+irq+softirq, idle, iowait in ns (bash: 64-bit integers)
cpustat() {
    local _ usr nic sys idl iow irq sirq
    read -r _ usr nic sys idl iow irq sirq _ </proc/stat
    echo "$(( (usr + nic) * 1000000000 / tck )) $(( (sys + irq + sirq) * 1000000000 / tck ))" \
         "$(( idl * 1000000000 / tck )) $(( iow * 1000000000 / tck ))"
}
before=$(cpustat)
vsh nodecpustats
after=$(cpustat)
expect_eq "exit status" 0 "$rc"
i=0
for f in user system idle iowait; do
    i=$((i + 1))
    v=$(field "$f")
    lo=$(echo "$before" | cut -d' ' -f$i)
    hi=$(echo "$after" | cut -d' ' -f$i)
    if ! [[ $v =~ ^[0-9]+$ ]] || [ "$v" -lt "$lo" ] || [ "$v" -gt "$hi" ]; then
        expect_fail "$f: '$v' ns is not between /proc/stat samples $lo and $hi"
    fi
done
verdict "virsh nodecpustats agrees with /proc/stat (user, system, idle, iowait)"

# 14: plain freecell asks NODE_GET_FREE_MEMORY, --all asks per cell
freecell() { vsh freecell; got=$(printf '%s\n' "$out" | sed -n 's/^Total: *\([0-9]*\) KiB$/\1/p'); }
near_free "Total" /proc/meminfo freecell
expect_eq "exit status" 0 "$rc"
node0=/sys/devices/system/node/node0/meminfo
freecell_all() { vsh freecell --all; got=$(printf '%s\n' "$out" | sed -n 's/^ *0: *\([0-9]*\) KiB$/\1/p'); }
if [ -f "$node0" ]; then
    near_free "cell 0 (node0 MemFree)" "$node0" freecell_all
else
    freecell_all
fi
expect_eq "exit status (--all)" 0 "$rc"
verdict "virsh freecell matches MemFree (host and NUMA cell 0)"

# 15
vsh maxvcpus --type qemu
expect_eq "exit status" 0 "$rc"
[[ $out =~ ^[0-9]+$ ]] && [ "$out" -ge 1 ] && [ "$out" -le 16384 ] ||
    expect_fail "maxvcpus: '$out' is not a vCPU count"
verdict "virsh maxvcpus --type qemu is a number ($out)"

# 16-17: procedures the daemon does not serve.  virsh shows the server's
# "unknown procedure: N" text; the client turned it into VIR_ERR_NO_SUPPORT,
# which is why net-list fell back from CONNECT_LIST_ALL_NETWORKS (283) to
# CONNECT_NUM_OF_NETWORKS (52) before giving up.
vsh net-list
expect_eq "exit status" 1 "$rc"
if via_proxy; then
    # the proxy sends network calls to modvirt-netd, which this script does not run
    expect_match "stderr" "^error: modvirt-netd is not running \(socket $MV_ROOT/run/modvirt/netd-sock\)\$" "$err"
    expect_daemon_alive
    verdict "virsh net-list through the proxy: modvirt-netd is not running (socket named)"
else
    expect_match "stderr" '^error: unknown procedure: 52$' "$err"
    expect_daemon_alive
    verdict "virsh net-list: unknown procedure, after virsh's NO_SUPPORT fallback"
fi

vsh cpu-models x86_64
expect_eq "exit status" 1 "$rc"
expect_match "stderr" '^error: unknown procedure: 312$' "$err"
vsh hostname
expect_eq "hostname afterwards" "$host_name" "$out"
expect_daemon_alive
verdict "virsh cpu-models: unknown procedure 312, daemon keeps serving"

# 18: an unmodified URI reaches the daemon through the direct-mode path
run timeout -k 2 30 env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME="$mv_tmp/home" \
    unshare -m --propagation private sh -c \
    'mount -t tmpfs mvinteg-empty /run/libvirt && ln -s "$1" /run/libvirt/virtqemud-sock && shift && exec "$@"' \
    _ "$MV_RW" virsh -c qemu:///system hostname
expect_eq "exit status" 0 "$rc"
expect_eq "hostname" "$host_name" "$out"
verdict "virsh -c qemu:///system (no socket=) reaches the daemon as virtqemud-sock"

# 19: several virsh processes at once
pids=
for i in 1 2 3 4 5 6 7 8; do
    isolated virsh -c "$MV_URI" hostname >"$mv_tmp/par.$i" 2>&1 &
    pids="$pids $!"
done
for p in $pids; do wait "$p"; done
for i in 1 2 3 4 5 6 7 8; do
    expect_eq "virsh #$i" "$host_name" "$(cat "$mv_tmp/par.$i")"
done
verdict "8 virsh processes at once all get the hostname"

# 20: nothing above deserved a warning
bad=$(grep -E ': (warning|warn|error|critical):' "$MV_LOG")
expect_eq "warnings or errors in the daemon log" "" "$bad"
expect_daemon_alive
verdict "the daemon logged no warning or error and is still running"

mv_done
