#!/bin/bash
# Domain statistics of real guests under modvirt-qemud, through Debian's
# virsh and python3-libvirt: virsh domstats (the groups state, cpu-total,
# balloon, vcpu, interface and block, with the keys libvirtd 9.0 prints for
# the same guest), values that move (CPU time, the guest's disk reads, the
# balloon's guest statistics), domblkstat, domifstat, dommemstat (and its
# period), domblkinfo, cpu-stats, vcpuinfo, getAllDomainStats over several
# domains with the state filters and ENFORCE_STATS, and the named errors.
#
# libvirtd's keys: tests/data/domstats/libvirtd-9.0-*.txt, recorded once on
# this guest (tests/data/domstats/README says how).  The key sets are
# compared, never the values.  Intended differences, each with its reason:
#  - dirtyrate.*: libvirt adds the "dirtyrate" group when no group is asked
#    for; modvirt-qemud supports the six groups above only (stats=0 means
#    those), so they are taken out of libvirtd's set;
#  - a shut-off domain's cpu.*: libvirt 9.0 reports CPU times there,
#    although no QEMU runs (not the guest's); modvirt reports none.
#
# The guest's tap, the bridge it is on and the daemon live in a private
# network namespace (nothing touches the host's network).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 ip"
CLI=$top_builddir/client/modvirt
BOOT_S=90
PLAN=13
REC=$top_srcdir/tests/data/domstats
guest_test_init $PLAN
[ -c /dev/net/tun ] || { for i in $(seq $PLAN); do skip "no /dev/net/tun"; done; exit 0; }

mv_netns_new mvst
ip -n "$NS" link add br0 type bridge stp_state 0 forward_delay 0 && ip -n "$NS" link set br0 up ||
    { echo "Bail out! cannot set up bridge br0 in netns $NS"; exit 1; }
mv_start_daemon_in_netns "$NS"

# g1: a raw disk the guest reads at boot, a tap on br0, a virtio balloon
# reporting every second; g2, g3: plain guests; off1: never started
img=$mv_tmp/g1.img
truncate -s 16M "$img" && printf 'hello-stats' | dd of="$img" conv=notrunc status=none
g1_devices="<disk type='file' device='disk'>
  <driver name='qemu' type='raw'/>
  <source file='$img'/>
  <target dev='vda' bus='virtio'/>
</disk>
<interface type='bridge'>
  <source bridge='br0'/>
  <model type='virtio'/>
</interface>"
balloon() { sed "s|<memballoon model='none'/>|<memballoon model='virtio'><stats period='1'/></memballoon>|"; }
GUEST_APPEND="guest.readdisk=/dev/vda,0,11" guest_domain_xml g1 "$mv_tmp/g1.serial" "$g1_devices" | balloon \
    >"$mv_tmp/g1.xml"
guest_domain_xml off1 "$mv_tmp/off1.serial" "$g1_devices" | balloon >"$mv_tmp/off1.xml"
for n in g2 g3; do guest_domain_xml $n "$mv_tmp/$n.serial" >"$mv_tmp/$n.xml"; done
grep -q "<memballoon model='virtio'>" "$mv_tmp/g1.xml" || { echo "Bail out! cannot make g1.xml"; exit 1; }

# keys: the KEY of each "  KEY=VALUE" line of virsh domstats output, sorted
keys() { printf '%s\n' "$1" | sed -n 's/^  \([^=]*\)=.*/\1/p' | sort; }
# same_keys WHAT LIBVIRTD-KEYS MODVIRT-KEYS
same_keys() {
    [ "$2" = "$3" ] ||
        expect_fail "$1: key sets differ (- libvirtd, + modvirt):"$'\n'"$(diff <(printf '%s\n' "$2") <(printf '%s\n' "$3") | grep '^[<>]')"
}
stat_of() { printf '%s\n' "${2-$out}" | sed -n "s/^  $1=//p" | head -n 1; }

for n in g1 g2 g3 off1; do vsh define "$mv_tmp/$n.xml" || true; done
for n in g1 g2 g3; do
    vsh start $n
    [ "$rc" -eq 0 ] || { echo "Bail out! cannot start $n: $err"; exit 1; }
done
for n in g1 g2 g3; do
    guest_wait_log "$mv_tmp/$n.serial" GUEST-READY $BOOT_S || { echo "Bail out! $n did not boot"; exit 1; }
done

# 1
vsh domstats g1
s1=$out
expect_eq "domstats status" 0 "$rc"
for k in state.state cpu.time balloon.current balloon.rss vcpu.0.time net.0.name block.0.rd.reqs block.0.capacity; do
    [ -n "$(stat_of $k "$s1")" ] || expect_fail "no $k in: $s1"
done
expect_eq "state" 1 "$(stat_of state.state "$s1")"
expect_eq "balloon.maximum" 262144 "$(stat_of balloon.maximum "$s1")"
expect_eq "block.0.path" "$img" "$(stat_of block.0.path "$s1")"
expect_eq "block.0.capacity" 16777216 "$(stat_of block.0.capacity "$s1")"
tap=$(stat_of net.0.name "$s1")
[ -n "$tap" ] && ip -n "$NS" link show "$tap" >/dev/null 2>&1 || expect_fail "net.0.name '$tap' is no interface in $NS"
verdict "virsh domstats prints every group of a running guest"

# 2: the key set, against libvirtd's (the balloon's guest part needs a report first)
end=$(($(date +%s) + 30))
while :; do
    vsh domstats g1
    [ "$(stat_of balloon.last-update)" != "" ] && [ "$(stat_of balloon.last-update)" != 0 ] && break
    [ "$(date +%s)" -lt $end ] || { expect_fail "no balloon.last-update after 30 s: $out"; break; }
    sleep 0.2
done
same_keys "domstats (all groups)" "$(keys "$(grep -v '^  dirtyrate\.' "$REC/libvirtd-9.0-running.txt")")" "$(keys "$out")"
vsh domstats --state --cpu-total --balloon --vcpu --interface --block g1
same_keys "domstats with the six groups" "$(keys "$(grep -v '^  dirtyrate\.' "$REC/libvirtd-9.0-running.txt")")" \
    "$(keys "$out")"
vsh domstats off1
same_keys "domstats of a shut-off guest" "$(keys "$(grep -v '^  cpu\.' "$REC/libvirtd-9.0-shutoff.txt")")" \
    "$(keys "$out")"
expect_eq "shut-off state" 5 "$(stat_of state.state)"
verdict "virsh domstats prints the keys libvirtd 9.0 prints for the same guest, running and shut off"

# 3: values move
guest_wait_log "$mv_tmp/g1.serial" "GUEST-DISK 68656c6c6f2d7374617473" 30 || expect_fail "the guest did not read its disk"
vsh domstats --block --cpu-total g1
rd=$(stat_of block.0.rd.reqs)
[ "${rd:-0}" -gt 0 ] || expect_fail "block.0.rd.reqs is '$rd' after the guest read its disk"
[ "$(stat_of block.0.rd.bytes)" -gt 0 ] 2>/dev/null || expect_fail "block.0.rd.bytes: $out"
t0=$(stat_of cpu.time "$s1")
end=$(($(date +%s) + 30))
while :; do
    vsh domstats --cpu-total --vcpu g1
    [ "$(stat_of cpu.time)" -gt "${t0:-0}" ] 2>/dev/null && break
    [ "$(date +%s)" -lt $end ] || { expect_fail "cpu.time did not grow past $t0 in 30 s: $out"; break; }
    sleep 0.2
done
[ "$(stat_of vcpu.0.time)" -gt 0 ] 2>/dev/null || expect_fail "vcpu.0.time: $out"
verdict "values move: cpu.time grows, block.0.rd.reqs counts the guest's reads"

# 4
vsh domblkstat g1 vda
expect_eq "domblkstat status" 0 "$rc"
[ "$(printf '%s\n' "$out" | sed -n 's/^vda rd_req //p')" -gt 0 ] 2>/dev/null || expect_fail "domblkstat: $out"
expect_eq "domblkstat fields" "$(grep . "$REC/libvirtd-9.0-domblkstat.txt" | cut -d' ' -f2 | sort)" \
    "$(printf '%s\n' "$out" | grep . | cut -d' ' -f2 | sort)"
vsh domblkstat g1 vdz
expect_eq "missing disk status" 1 "$rc"
expect_match "missing disk error" "no disk 'vdz' in domain 'g1'" "$err"
verdict "virsh domblkstat, and a missing disk named in the error"

# 5
vsh domifstat g1 "$tap"
expect_eq "domifstat status" 0 "$rc"
expect_eq "domifstat fields" "$(grep . "$REC/libvirtd-9.0-domifstat.txt" | cut -d' ' -f2 | sort)" \
    "$(printf '%s\n' "$out" | grep . | cut -d' ' -f2 | sort)"
# what the tap sent the guest received
host_tx=$(ip netns exec "$NS" cat "/sys/class/net/$tap/statistics/tx_bytes")
rx=$(printf '%s\n' "$out" | sed -n "s/^$tap rx_bytes //p")
[ -n "$rx" ] && [ "$rx" -le "$host_tx" ] || expect_fail "rx_bytes $rx vs the tap's tx_bytes $host_tx"
vsh domifstat g1 vnet99
expect_eq "missing interface status" 1 "$rc"
expect_match "missing interface error" "no interface 'vnet99' in domain 'g1'" "$err"
verdict "virsh domifstat (the guest's view of its tap), and a missing interface named"

# 6
vsh dommemstat g1
expect_eq "dommemstat status" 0 "$rc"
expect_eq "dommemstat keys" "$(grep . "$REC/libvirtd-9.0-dommemstat.txt" | cut -d' ' -f1 | sort)" \
    "$(printf '%s\n' "$out" | grep . | cut -d' ' -f1 | sort)"
expect_eq "actual" 262144 "$(printf '%s\n' "$out" | sed -n 's/^actual //p')"
vsh dommemstat g1 --period 3 --live
expect_eq "period status" 0 "$rc"
vsh dumpxml g1
expect_match "live period" "<stats period=.3./>" "$out"
vsh dommemstat g2 --period 3 --live
expect_eq "no balloon status" 1 "$rc"
expect_match "no balloon error" "domain 'g2' has no virtio memory balloon" "$err"
vsh dommemstat off1
expect_eq "shut off status" 1 "$rc"
expect_match "shut off error" "domain 'off1' is not running" "$err"
vsh dommemstat off1 --period 5 --config
expect_eq "config period status" 0 "$rc"
vsh dumpxml --inactive off1
expect_match "config period" "<stats period=.5./>" "$out"
# a config change to a running domain: the next boot differs, isUpdated says so
updated() { py - "$MV_URI" <<'EOF2'
import sys, libvirt
print("updated=%d" % libvirt.open(sys.argv[1]).lookupByName("g1").isUpdated())
EOF2
}
updated
expect_eq "g1 not updated before" 0 "$(kv updated)"
vsh dommemstat g1 --period 7 --config
expect_eq "running config period status" 0 "$rc"
vsh dumpxml --inactive g1
expect_match "running config period" "<stats period=.7./>" "$out"
updated
expect_eq "g1 updated after --config" 1 "$(kv updated)"
verdict "virsh dommemstat and its period (live, config, config of a running domain), and the errors"

# 7
vsh domblkinfo g1 vda
expect_eq "domblkinfo status" 0 "$rc"
expect_match "capacity" "Capacity: +16777216" "$out"
expect_match "physical" "Physical: +16777216" "$out"
vsh domblkinfo off1 vda
expect_match "capacity (shut off)" "Capacity: +16777216" "$out"
vsh domblkinfo g1 vdz
expect_match "missing disk" "no disk 'vdz' in domain 'g1'" "$err"
verdict "virsh domblkinfo of a running and a shut-off guest"

# 8
vsh cpu-stats --total g1
expect_eq "cpu-stats status" 0 "$rc"
expect_match "cpu_time" "cpu_time +[0-9]+\.[0-9]+ seconds" "$out"
vsh vcpuinfo g1
expect_eq "vcpuinfo status" 0 "$rc"
expect_match "vcpu" "^VCPU: +0" "$out"
expect_match "running" "^State: +running" "$out"
expect_match "affinity" "^CPU Affinity: +[-y]+" "$out"
verdict "virsh cpu-stats --total and vcpuinfo"

# 9-12: python3-libvirt, several domains at once
vsh suspend g3
MV_CLIENT_TIMEOUT=120 py - "$MV_URI" <<'EOF'
import sys, libvirt
from mvlibvirt import out, step, error_of

c = libvirt.open(sys.argv[1])
def names(recs):
    return ",".join(sorted(d.name() for d, _ in recs))
recs = c.getAllDomainStats()
out("all", names(recs))
byname = {d.name(): s for d, s in recs}
out("g1_keys", len(byname["g1"]))
out("g2_block", byname["g2"].get("block.count"))
out("off1_state", byname["off1"].get("state.state"))
out("active", names(c.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE, libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE)))
out("inactive", names(c.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE, libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_INACTIVE)))
out("paused", names(c.getAllDomainStats(0, libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_PAUSED)))
out("running", names(c.getAllDomainStats(0, libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_RUNNING)))
doms = [c.lookupByName("g1"), c.lookupByName("off1")]
recs = c.domainListGetStats(doms, libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_VCPU)
out("list", names(recs))
out("list_keys", ",".join(sorted(set(k.split(".")[0] for _, s in recs for k in s))))
out("nowait", names(c.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE,
                                        libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT |
                                        libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_BACKING)))
out("perf_ignored", names(c.getAllDomainStats(libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_PERF)))
out("enforce", error_of(lambda: c.getAllDomainStats(
    libvirt.VIR_DOMAIN_STATS_STATE | libvirt.VIR_DOMAIN_STATS_PERF,
    libvirt.VIR_CONNECT_GET_ALL_DOMAINS_STATS_ENFORCE_STATS)))
out("badflags", error_of(lambda: c.getAllDomainStats(0, 1 << 20)))
g1 = c.lookupByName("g1")
step("blockstats", lambda: g1.blockStats("vda")[0] > 0)
step("blockstatsflags", lambda: sorted(g1.blockStatsFlags("vda").keys()))
step("memstats", lambda: sorted(g1.memoryStats().keys()))
step("cpustats", lambda: sorted(g1.getCPUStats(True)[0].keys()))
step("blockinfo", lambda: g1.blockInfo("vda")[0])
EOF
expect_eq "all domains" "g1,g2,g3,off1" "$(kv all)"
[ "$(kv g1_keys)" -gt 40 ] 2>/dev/null || expect_fail "g1 has only $(kv g1_keys) stats"
expect_eq "g2 has no disk" 0 "$(kv g2_block)"
expect_eq "off1 shut off" 5 "$(kv off1_state)"
verdict "python getAllDomainStats: every domain, each with its own statistics"

# 10
expect_eq "active filter" "g1,g2,g3" "$(kv active)"
expect_eq "inactive filter" "off1" "$(kv inactive)"
expect_eq "paused filter" "g3" "$(kv paused)"
expect_eq "running filter" "g1,g2" "$(kv running)"
expect_eq "NOWAIT and BACKING accepted" "g1,g2,g3,off1" "$(kv nowait)"
verdict "python getAllDomainStats: the state filters, NOWAIT and BACKING"

# 11
expect_eq "domainListGetStats" "g1,off1" "$(kv list)"
expect_eq "only the groups asked for" "state,vcpu" "$(kv list_keys)"
expect_eq "unsupported group ignored" "g1,g2,g3,off1" "$(kv perf_ignored)"
expect_match "ENFORCE_STATS" "^EXC 74 .*statistics group 'perf' is not supported" "$(kv enforce)"
expect_match "bad flags" "^EXC 8 .*unsupported flags \(0x100000\)" "$(kv badflags)"
verdict "python domainListGetStats; ENFORCE_STATS names the unsupported group; unknown flags refused"

# 12
expect_eq "blockStats" True "$(kv blockstats)"
expect_eq "blockStatsFlags" "['flush_operations', 'flush_total_times', 'rd_bytes', 'rd_operations', 'rd_total_times', 'wr_bytes', 'wr_operations', 'wr_total_times']" "$(kv blockstatsflags)"
expect_match "memoryStats" "'actual'.*'last_update'.*'rss'" "$(kv memstats)"
expect_eq "getCPUStats" "['cpu_time', 'system_time', 'user_time']" "$(kv cpustats)"
expect_eq "blockInfo" 16777216 "$(kv blockinfo)"
verdict "python blockStats, blockStatsFlags, memoryStats, getCPUStats, blockInfo"

# 13: modvirt domstats, the same keys as virsh's, and --json
mvcli() { run timeout -k 2 60 "$CLI" -c "qemu:///system?socket=$MV_RW" "$@"; }
vsh domstats g1 g2
v_out=$out
mvcli domstats g1 g2
expect_eq "modvirt domstats status" 0 "$rc"
expect_eq "the same domains" "$(printf '%s\n' "$v_out" | grep '^Domain:')" "$(printf '%s\n' "$out" | grep '^Domain:')"
same_keys "modvirt domstats" "$(keys "$v_out")" "$(keys "$out")"
mvcli --json domstats --stats state,block --list-paused
expect_eq "json" "g3 3 0" "$(printf '%s' "$out" | python3 -c 'import json,sys; r=json.load(sys.stdin); print(r[0]["name"], r[0]["stats"]["state.state"], r[0]["stats"]["block.count"])' 2>&1)"
mvcli domstats --stats perf --enforce g1
expect_eq "enforce status" 1 "$rc"
expect_match "enforce error" "statistics group 'perf' is not supported" "$err"
mvcli domstats --stats bogus
expect_eq "unknown group status" 2 "$rc"
verdict "modvirt domstats prints virsh's keys; --json, --stats, --list-paused, --enforce"

for n in g1 g2 g3; do vsh destroy $n; done
mv_done
