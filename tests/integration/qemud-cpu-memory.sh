#!/bin/bash
# <cpu> and guest memory under modvirt-qemud and the real QEMU (TCG):
# 1. the test guest with two NUMA cells in shared memfd memory (what
#    virtiofs needs), a topology with dies, CPU features and <numatune> on
#    the host's node 0 boots; the guest kernel reports two NUMA nodes on its
#    serial log, and QEMU holds two shared 128 MiB memfd mappings (its
#    /proc maps: qemud has no qemu-monitor-command to ask query-memdev);
# 2. its live XML keeps <memoryBacking>, <numatune> and the cells;
# 3. what the host cannot give is refused at start, naming it, with nothing
#    left running: a <numatune> node the host lacks, huge pages when no
#    pool has free pages (skipped on a host that has some);
# 4. an unknown CPU feature is refused at define, naming it;
# 5. file-backed RAM goes to "ram" in the domain's directory
#    (<rundir>/qemu/UUID.d, 0700), which the destroy removes.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 xmllint"
BOOT_S=120
guest_test_init 5
start_daemon

xp() { printf '%s\n' "$out" | xmllint --xpath "$1" - 2>/dev/null; }
# shared mappings of a memfd backend of SIZE bytes in PID's address space
memfd_maps() {
    local n=0 range perms path _
    while read -r range perms _ _ _ path _; do
        [ "$perms" = rw-s ] && [ "$path" = /memfd:memory-backend-memfd ] &&
            [ $((0x${range#*-} - 0x${range%-*})) -eq "$2" ] && n=$((n + 1))
    done <"/proc/$1/maps"
    echo "$n"
}

# the test guest with 2 vCPUs in two cells of shared memfd memory, NUMATUNE
# after <vcpu>, a custom CPU after </os> (enforced, with an optional feature
# TCG has and one it has not: the start resolves them)
numa_xml() {    # NAME LOG NUMATUNE
    guest_domain_xml "$1" "$2" | sed \
        -e "s|<vcpu>1</vcpu>|<vcpu>2</vcpu><memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>$3|" \
        -e "s|</os>|</os><cpu mode='custom' check='full'><model>Nehalem</model><topology sockets='1' dies='2' cores='1' threads='1'/><feature policy='require' name='pdpe1gb'/><feature policy='disable' name='vme'/><feature policy='optional' name='lahf_lm'/><feature policy='optional' name='avx512f'/><numa><cell id='0' cpus='0' memory='128' unit='MiB'/><cell id='1' cpus='1' memory='128' unit='MiB'><distances><sibling id='0' value='20'/></distances></cell></numa></cpu>|"
}

# 1
log=$mv_tmp/n1.serial
GUEST_APPEND="loglevel=7" numa_xml n1 "$log" "<numatune><memory mode='strict' nodeset='0'/></numatune>" >"$mv_tmp/n1.xml"
vsh define "$mv_tmp/n1.xml"
expect_eq "define ($err)" 0 "$rc"
vsh start n1
expect_eq "start ($err)" 0 "$rc"
guest_wait_log "$log" GUEST-BOOTED-OK $BOOT_S || expect_fail "no GUEST-BOOTED-OK on the serial log"
expect_match "guest sees NUMA node 1" "Initmem setup node 1 " "$(cat "$log" 2>/dev/null)"
pid=$(our_qemu n1)
if [ -n "$pid" ]; then
    expect_eq "shared memfd mappings of 128 MiB" 2 "$(memfd_maps "$pid" 134217728)"
    args=$(tr '\0' ' ' <"/proc/$pid/cmdline")
    # optional: on where TCG can emulate it, off where it cannot (the daemon's probe)
    expect_match "-cpu" "-cpu Nehalem,pdpe1gb=on,vme=off,lahf-lm=on,avx512f=off,enforce=on " "$args"
    expect_match "-smp" "-smp 2,maxcpus=2,sockets=1,dies=2,cores=1,threads=1 " "$args"
    expect_match "cell 1 backend" "memory-backend-memfd,id=ram-node1,share=on,size=134217728,host-nodes=0,policy=bind " "$args"
else
    expect_fail "no QEMU of ours runs for n1"
fi
verdict "a NUMA guest in shared memfd memory boots; the guest sees node 1, QEMU maps the cells shared"

# 2
vsh dumpxml n1
expect_eq "live memfd" memfd "$(xp 'string(//memoryBacking/source/@type)')"
expect_eq "live access" shared "$(xp 'string(//memoryBacking/access/@mode)')"
expect_eq "live numatune" 0 "$(xp 'string(//numatune/memory/@nodeset)')"
expect_eq "live cell 1 cpus" 1 "$(xp 'string(//cpu/numa/cell[@id="1"]/@cpus)')"
expect_eq "live dies" 2 "$(xp 'string(//cpu/topology/@dies)')"
vsh destroy n1
expect_eq "destroy" 0 "$rc"
vsh undefine n1
verdict "the live XML keeps memoryBacking, numatune, topology and the cells"

# 3
missing=$(( $(sed 's/.*[,-]//' /sys/devices/system/node/online 2>/dev/null || echo 0) + 1 ))
numa_xml n2 "$mv_tmp/n2.serial" "<numatune><memory mode='strict' nodeset='$missing'/></numatune>" >"$mv_tmp/n2.xml"
vsh define "$mv_tmp/n2.xml"
vsh start n2
expect_eq "start refused" 1 "$rc"
expect_match "message" "names host NUMA node $missing, which does not exist on this host" "$err"
expect_eq "nothing running" "" "$(our_qemu n2)"
vsh domstate n2
expect_eq "state" "shut off" "$out"
vsh undefine n2
free=$(cat /sys/kernel/mm/hugepages/*/free_hugepages 2>/dev/null | awk '{ n += $1 } END { print n + 0 }')
if [ "$free" -eq 0 ]; then
    guest_domain_xml h1 "$mv_tmp/h1.serial" | sed "s|<vcpu>|<memoryBacking><hugepages/></memoryBacking><vcpu>|" >"$mv_tmp/h1.xml"
    vsh define "$mv_tmp/h1.xml"
    vsh start h1
    expect_eq "hugepages: start refused" 1 "$rc"
    expect_match "hugepages: message" "huge pages" "$err"
    expect_eq "hugepages: nothing running" "" "$(our_qemu h1)"
    vsh undefine h1
    verdict "a host NUMA node or huge pages the host lacks are refused at start, naming them"
else
    diag "this host has $free free huge pages: the refusal is not tried"
    verdict "a host NUMA node the host lacks is refused at start, naming it"
fi

# 4
guest_domain_xml f1 "$mv_tmp/f1.serial" | sed "s|</os>|</os><cpu><model>qemu64</model><feature policy='require' name='avx9000'/></cpu>|" >"$mv_tmp/f1.xml"
vsh define "$mv_tmp/f1.xml"
expect_eq "define refused" 1 "$rc"
expect_match "message" "unknown CPU feature 'avx9000'" "$err"
vsh list --all --name
expect_nomatch "not defined" "^f1$" "$out"
verdict "an unknown CPU feature is refused at define, naming it"

# 5
guest_domain_xml r1 "$mv_tmp/r1.serial" |
    sed "s|<vcpu>|<memoryBacking><source type='file'/><access mode='shared'/></memoryBacking><vcpu>|" >"$mv_tmp/r1.xml"
vsh define "$mv_tmp/r1.xml"
expect_eq "define ($err)" 0 "$rc"
vsh domuuid r1
ruuid=$out
domdir=$MV_ROOT/run/modvirt/qemu/$ruuid.d
vsh start --paused r1
expect_eq "start ($err)" 0 "$rc"
pid=$(our_qemu r1)
if [ -n "$pid" ]; then
    expect_match "mem-path" "memory-backend-file,.*mem-path=$domdir/ram[, ]" "$(tr '\0' ' ' <"/proc/$pid/cmdline")"
    # QEMU made its file there and unlinked it at once: its mapping says so
    expect_match "RAM mapped from the domain's directory" "rw-s .* $domdir/ram/" "$(cat "/proc/$pid/maps")"
else
    expect_fail "no QEMU of ours runs for r1"
fi
expect_eq "the domain's directory is private" 700 "$(stat -c %a "$domdir" 2>&1)"
vsh destroy r1
expect_eq "destroy" 0 "$rc"
expect_eq "the domain's directory removed" no "$([ -e "$domdir" ] && echo yes || echo no)"
vsh undefine r1
verdict "file-backed RAM is in the domain's directory, which goes with the domain's run"

mv_done
