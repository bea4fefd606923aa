#!/bin/bash
# Writes the fake /proc and /sys trees used by tests/unit/check_qemud_*.c (see README.md).
# Rerun after changing it, then regenerate the golden XML: MV_REGENERATE=1 make check.
set -e
D=$(cd "$(dirname "$0")" && pwd)
rm -rf "$D/numa2" "$D/simple" "$D/invalid-online" "$D/invalid-meminfo" "$D/invalid-siblings"
w() { mkdir -p "$(dirname "$1")"; printf '%s\n' "$2" > "$1"; }

# ---------- numa2: 2 NUMA nodes with CPUs + a memory-only node, 1 socket x 2 cores x 2 threads per node, cpu8 offline
R=$D/numa2
w $R/proc/sys/kernel/arch x86_64
cat > $R/proc/meminfo <<'EOF'
MemTotal:       16326524 kB
MemFree:        12004568 kB
MemAvailable:   14110232 kB
Buffers:           20480 kB
Cached:          1048576 kB
SwapCached:            0 kB
Active:           900112 kB
Inactive:         700000 kB
EOF
cat > $R/proc/stat <<'EOF'
cpu  8000 800 2400 720000 1600 80 160 0 0 0
cpu0 1000 100 300 90000 200 10 20 0 0 0
cpu1 1000 100 300 90000 200 10 20 0 0 0
cpu2 1000 100 300 90000 200 10 20 0 0 0
cpu3 1000 100 300 90000 200 10 20 0 0 0
cpu4 1000 100 300 90000 200 10 20 0 0 0
cpu5 1000 100 300 90000 200 10 20 0 0 0
cpu6 1000 100 300 90000 200 10 20 0 0 0
cpu7 1000 100 300 90000 200 10 20 0 0 0
intr 12345 0 0
ctxt 67890
btime 1700000000
processes 4242
procs_running 1
procs_blocked 0
EOF
: > $R/proc/cpuinfo
for c in 0 1 2 3 4 5 6 7; do
  node=$((c / 4)); core=$(( c % 2 )); 
  cat >> $R/proc/cpuinfo <<EOF
processor	: $c
vendor_id	: GenuineIntel
cpu family	: 6
model		: 85
model name	: Intel(R) Xeon(R) Gold 6230 CPU @ 2.10GHz
stepping	: 7
microcode	: 0x5003604
cpu MHz		: 2100.000
cache size	: 28160 KB
physical id	: $node
siblings	: 4
core id		: $core
cpu cores	: 2
flags		: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush mmx fxsr sse sse2 ss ht syscall nx lm vmx

EOF
done
S=$R/sys/devices/system
w $S/cpu/online 0-7
w $S/cpu/present 0-8
w $S/cpu/possible 0-8
for c in 0 1 2 3 4 5 6 7; do
  node=$((c / 4)); base=$((node * 4)); core=$(( c % 2 ))
  sib="$((base + core)),$((base + core + 2))"
  T=$S/cpu/cpu$c/topology
  w $T/physical_package_id $node
  w $T/die_id 0
  w $T/core_id $core
  w $T/thread_siblings_list $sib
  w $T/core_siblings_list $base-$((base + 3))
done
w $S/cpu/cpu8/online 0
w $S/cpu/cpu0/cpufreq/cpuinfo_max_freq 3900000
w $S/node/online 0-2
w $S/node/possible 0-2
w $S/node/node0/cpulist 0-3
w $S/node/node1/cpulist 4-8
w $S/node/node2/cpulist ""
w $S/node/node0/distance "10 21 31"
w $S/node/node1/distance "21 10 31"
w $S/node/node2/distance "31 31 10"
for n in 0 1 2; do
  case $n in 0) t=8163262 f=6000000;; 1) t=7114110 f=5004568;; 2) t=1048576 f=1000000;; esac
  cat > $S/node/node$n/meminfo <<EOF
Node $n MemTotal:       $t kB
Node $n MemFree:        $f kB
Node $n MemUsed:        $((t - f)) kB
Node $n Active:          300000 kB
Node $n FilePages:       400000 kB
EOF
done
w $R/sys/kernel/iommu_groups/0/type DMA
w $R/sys/kernel/iommu_groups/1/type DMA
M=$R/sys/class/dmi/id
w $M/bios_vendor "American Megatrends Inc."
w $M/bios_version "3.4"
w $M/bios_date "06/22/2021"
w $M/bios_release "5.14"
w $M/sys_vendor "Supermicro"
w $M/product_name "SYS-1029P-WTR & <Test> \"rev\""
w $M/product_version "0123456789"
w $M/product_serial "S12345678901"
w $M/product_uuid "00000000-0000-0000-0000-ac1f6b0a1b2c"
w $M/product_family "Family"
w $M/board_vendor "Supermicro"
w $M/board_name "X11DDW-L"
w $M/board_version "1.10"
w $M/board_asset_tag "Default string"
w $M/chassis_vendor "Supermicro"
w $M/chassis_type "17"
w $M/chassis_asset_tag ""
# a value with a control character and invalid UTF-8 (the firmware wrote garbage)
printf 'Ver\x01sion \xff1.0\n' > $M/chassis_version
# product_sku, board_serial, chassis_serial absent: omitted from the XML

# ---------- simple: no NUMA in sysfs, no cpufreq, no DMI, no IOMMU, cpu3 offline, odd topology;
# the CPUs run at different clocks and the last one listed has a fraction above .5
R=$D/simple; mkdir -p $R/proc
w $R/proc/sys/kernel/arch x86_64
cat > $R/proc/meminfo <<'EOF'
MemTotal:        4030464 kB
MemFree:         3021312 kB
MemAvailable:    3500000 kB
Buffers:            4096 kB
Cached:           262144 kB
EOF
cat > $R/proc/stat <<'EOF'
cpu  300 30 90 27000 60 3 6 0 0 0
cpu0 100 10 30 9000 20 1 2 0 0 0
cpu1 100 10 30 9000 20 1 2 0 0 0
cpu2 100 10 30 9000 20 1 2 0 0 0
intr 100
EOF
: > $R/proc/cpuinfo
for c in 0 1 2; do
case $c in 2) mhz=2694.860;; *) mhz=2999.600;; esac
cat >> $R/proc/cpuinfo <<EOF
processor	: $c
vendor_id	: AuthenticAMD
cpu family	: 25
model		: 1
model name	: AMD EPYC 7313 16-Core Processor
stepping	: 1
cpu MHz		: $mhz

EOF
done
S=$R/sys/devices/system
w $S/cpu/online 0-2
w $S/cpu/present 0-3
w $S/cpu/cpu3/online 0
for c in 0 1 2; do
  T=$S/cpu/cpu$c/topology
  w $T/physical_package_id 0
  w $T/core_id $(( c / 2 ))
  if [ $c -lt 2 ]; then w $T/thread_siblings_list 0-1; else w $T/thread_siblings_list 2; fi
done

# ---------- invalid trees: must fail
R=$D/invalid-online
w $R/proc/meminfo "MemTotal:        4030464 kB"
w $R/sys/devices/system/cpu/online "0-x"
R=$D/invalid-meminfo
w $R/proc/meminfo "MemFree:         3021312 kB"
w $R/sys/devices/system/cpu/online "0"
w $R/sys/devices/system/cpu/cpu0/topology/core_id 0
R=$D/invalid-siblings
w $R/proc/meminfo "MemTotal:        4030464 kB"
w $R/sys/devices/system/cpu/online "0"
w $R/sys/devices/system/cpu/cpu0/topology/core_id 0
w $R/sys/devices/system/cpu/cpu0/topology/thread_siblings_list "1-0"
