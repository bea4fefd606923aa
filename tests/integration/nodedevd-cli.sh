#!/bin/bash
# modvirt-nodedevd driven by our own CLI (modvirt, through libmodvirt),
# against the truth of this machine's /sys: every PCI function, lo and every
# disk are listed, with the right parents, by nodedev-list (flat, --cap,
# --tree), nodedev-info and nodedev-dumpxml; the text is byte for byte what
# Debian's virsh prints for the same daemon; --json parsed by python3; the
# same through modvirt-proxyd (modvirt and virsh on the proxy's legacy
# socket); nodedev-events sees a veth pair come and go; bad input and an
# unreachable daemon give errors that name the device and the cause.
#
# The daemon runs in a network namespace of this script's own ("ip netns
# exec" mounts that namespace's sysfs): its net devices are lo and the
# veths this script makes, PCI and block devices are the host's.  Nothing
# is ever detached: detach and reattach are only tried with names that are
# no PCI device (tests/integration/nodedevd-detach.sh does the real thing on
# a fake sysfs tree).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_DAEMON=$top_builddir/nodedevd/modvirt-nodedevd
MV_NEEDS_PROXY=yes
MV_NEEDS="ip"
CLI=$top_builddir/client/modvirt
mv_init 14

mv_netns_new mvndc
MV_ROOT=$mv_tmp/root
MV_LOG=$mv_tmp/nodedevd.log
MV_RW=$MV_ROOT/run/modvirt/nodedevd-sock
MV_RO=$MV_ROOT/run/modvirt/nodedevd-sock-ro
MV_URI="qemu:///system?socket=$MV_RW"
MURI="qemu:///system?root=$MV_ROOT"

mvc() { run isolated "$CLI" -c "$MURI" "$@"; }
# json EXPR: EXPR evaluated by python3 on the JSON document in $out (as j);
# the last line of python's complaint if that fails
json() { printf '%s' "$out" | "$MV_PY" -c "import json, sys; j = json.load(sys.stdin); print($1)" 2>&1 | tail -n 1; }
# raw CLIENT URI ARGS...: standard output with its trailing newlines kept
# (run drops them), an "x" after it
raw() {
    local client=$1 uri=$2
    shift 2
    if [ "$client" = virsh ]; then isolated virsh -c "$uri" "$@"; else isolated "$CLI" -c "$uri" "$@"; fi 2>/dev/null
    echo x
}

# ---- the truth, from /sys ----

# pci_names: every PCI function as libvirt names it, sorted
pci_names() {
    local d
    for d in /sys/bus/pci/devices/*; do
        d=${d##*/}
        printf 'pci_%s\n' "$(printf '%s' "$d" | tr ':.' '__')"
    done | LC_ALL=C sort
}
# disks: the block devices libvirt lists (whole disks: no partitions, no
# loop or ram devices, no device-mapper), by kernel name
disks() {
    local d
    for d in /sys/block/*; do
        d=${d##*/}
        case $d in loop* | ram* | dm-* | zram* | sr* | md*) continue ;; esac
        echo "$d"
    done
}
# parent_of NAME: the parent in the --json listing in $listing
parent_of() { printf '%s' "$listing" | "$MV_PY" -c "import json, sys; print({d['name']: d['parent'] for d in json.load(sys.stdin)}.get(sys.argv[1], 'ABSENT'))" "$1"; }

# sysfs_name DIR: the name libvirt gives the device at sysfs DIR if it is
# a kind this machine can have above a disk (PCI function, SCSI host,
# target or device), else nothing
sysfs_name() {
    local b=${1##*/}
    case $b in
        [0-9a-f][0-9a-f][0-9a-f][0-9a-f]:[0-9a-f][0-9a-f]:[0-9a-f][0-9a-f].[0-7]) printf 'pci_%s' "$(printf '%s' "$b" | tr ':.' '__')" ;;
        host[0-9]*) printf 'scsi_%s' "$b" ;;
        target[0-9]*:*) printf 'scsi_%s' "$(printf '%s' "$b" | tr ':' '_')" ;;
        [0-9]*:[0-9]*:[0-9]*:[0-9]*) printf 'scsi_%s' "$(printf '%s' "$b" | tr ':' '_')" ;;
    esac
}
# listed_ancestor DIR: the nearest sysfs ancestor of DIR that the --json
# listing in $listing has (libvirt's parent rule), else computer
listed_ancestor() {
    local p=$1 n
    while p=$(dirname "$p"); [ "$p" != / ] && [ "$p" != /sys ]; do
        n=$(sysfs_name "$p")
        [ -n "$n" ] && [ "$(parent_of "$n")" != ABSENT ] && { echo "$n"; return; }
    done
    echo computer
}

nodedevd_start() { start_in_ns nodedevd; }
nodedevd_start

# ---- 1. the flat list: the truth of /sys, and virsh's text ----
mvc nodedev-list
names=$out
[ "$rc" -eq 0 ] || expect_fail "nodedev-list: $(run_evidence)"
expect_match "computer is listed" '^computer$' "$names"
for p in $(pci_names); do
    expect_match "PCI function $p is listed" "^$p\$" "$names"
done
expect_match "lo is listed with its MAC" '^net_lo_00_00_00_00_00_00$' "$names"
for d in $(disks); do
    expect_match "disk $d is listed" "^block_${d}(_.*)?\$" "$names"
done
expect_eq "sorted" "$(printf '%s\n' "$names" | LC_ALL=C sort -f)" "$names"
expect_eq "same as virsh nodedev-list" "$(raw virsh "$MV_URI" nodedev-list)" "$(raw mv "$MURI" nodedev-list)"
verdict "nodedev-list lists every PCI function, lo and disk of /sys, as virsh prints it"

# ---- 2. --cap ----
mvc nodedev-list --cap pci
expect_eq "--cap pci is exactly the PCI functions of /sys" "$(pci_names)" "$out"
expect_eq "--cap pci same as virsh" "$(raw virsh "$MV_URI" nodedev-list --cap pci)" "$(raw mv "$MURI" nodedev-list --cap pci)"
mvc nodedev-list --cap net,storage
expect_match "--cap net,storage has lo" '^net_lo_' "$out"
expect_nomatch "--cap net,storage has no PCI device" '^pci_' "$out"
for d in $(disks); do expect_match "--cap net,storage has $d" "^block_$d" "$out"; done
mvc nodedev-list --cap system
expect_eq "--cap system" computer "$out"
expect_eq "--cap usb_device same as virsh (maybe empty)" \
    "$(raw virsh "$MV_URI" nodedev-list --cap usb_device)" "$(raw mv "$MURI" nodedev-list --cap usb_device)"
verdict "nodedev-list --cap filters by capability as virsh does"

# ---- 3. --json: names, parents, capabilities ----
mvc --json nodedev-list
listing=$out
[ "$rc" -eq 0 ] || expect_fail "--json nodedev-list: $(run_evidence)"
expect_eq "--json names = text names" "$(printf '%s\n' "$names" | paste -sd ' ')" "$(json "' '.join(d['name'] for d in j)")"
expect_eq "computer has no parent" None "$(parent_of computer)"
expect_eq "lo's parent" computer "$(parent_of net_lo_00_00_00_00_00_00)"
for d in /sys/bus/pci/devices/*; do
    p=$(readlink -f "$d/..")
    p=${p##*/}
    case $p in
        *:*:*.*) want=pci_$(printf '%s' "$p" | tr ':.' '__') ;;
        *) want=computer ;;     # a root bus (pci0000:00) is no device
    esac
    name=pci_$(printf '%s' "${d##*/}" | tr ':.' '__')
    expect_eq "parent of $name" "$want" "$(parent_of "$name")"
done
for d in $(disks); do
    bname=$(printf '%s' "$listing" | "$MV_PY" -c "import json, sys; print([d['name'] for d in json.load(sys.stdin) if d['name'].startswith('block_$d')][0])" 2>/dev/null)
    expect_eq "parent of $bname" "$(listed_ancestor "$(readlink -f "/sys/block/$d")")" "$(parent_of "$bname")"
done
first_pci=$(pci_names | head -n 1)
expect_eq "$first_pci has the pci capability" True \
    "$(json "'pci' in [d for d in j if d['name'] == '$first_pci'][0]['capabilities']")"
expect_eq "computer has the system capability" "['system']" \
    "$(json "[d for d in j if d['name'] == 'computer'][0]['capabilities']")"
verdict "nodedev-list --json: names, the parents sysfs gives, capabilities"

# ---- 4. --tree ----
mvc nodedev-list --tree
tree=$out
expect_match "the tree starts at computer" '^computer$' "$(printf '%s\n' "$tree" | head -n 1)"
expect_eq "same as virsh nodedev-list --tree" "$(raw virsh "$MV_URI" nodedev-list --tree)" "$(raw mv "$MURI" nodedev-list --tree)"
for d in $(disks); do
    # the disk is drawn one level below a PCI function (or computer)
    expect_match "disk $d in the tree" "^  [| ]   \+- block_$d" "$tree"
done
mvc --json nodedev-list --tree
expect_eq "--json --tree: one root" "computer 1" "$(json "j[0]['name'], len(j)" | tr -d "(),'")"
expect_eq "--json --tree: every device once" "$(printf '%s\n' "$names" | wc -l)" \
    "$(json "(lambda f: f(f, j))(lambda f, l: sum(1 + f(f, d['children']) for d in l))")"
verdict "nodedev-list --tree: virsh's drawing, and the same tree as JSON"

# ---- 5. nodedev-dumpxml ----
mvc nodedev-dumpxml "$first_pci"
expect_match "dumpxml names the device" "<name>$first_pci</name>" "$out"
mine=$out
# virsh adds an empty line after the XML; modvirt ends it with exactly one
# newline, as its other dumpxml commands do (for piping to a parser)
expect_eq "dumpxml ends in one newline" "$mine"$'\n'x "$(raw mv "$MURI" nodedev-dumpxml "$first_pci")"
vsh nodedev-dumpxml "$first_pci"
expect_eq "dumpxml same as virsh" "$out" "$mine"
mvc --json nodedev-dumpxml net_lo_00_00_00_00_00_00
expect_eq "--json dumpxml: the XML in a string" True "$(json "'<interface>lo</interface>' in j['xml']")"
verdict "nodedev-dumpxml prints the daemon's XML as virsh does; --json wraps it"

# ---- 6. nodedev-info ----
sysp=$(readlink -f "/sys/bus/pci/devices/$(printf '%s' "$first_pci" | sed 's/^pci_\(....\)_\(..\)_\(..\)_\(.\)$/\1:\2:\3.\4/')")
drv=
[ -L "$sysp/driver" ] && drv=$(basename "$(readlink "$sysp/driver")")
mvc nodedev-info "$first_pci"
expect_match "info: name" "^Name: +$first_pci\$" "$out"
expect_match "info: parent" "^Parent: +(computer|pci_.*)\$" "$out"
expect_match "info: capabilities" "^Capabilities: +pci( .*)?\$" "$out"
expect_match "info: path" "^Path: +$sysp\$" "$out"
expect_match "info: driver" "^Driver: +${drv:--}\$" "$out"
expect_match "info: active" "^Active: +yes\$" "$out"
mvc --json nodedev-info "$first_pci"
expect_eq "--json info: path, driver, active" "$sysp ${drv:-None} True" "$(json "j['path'], j['driver'], j['active']" | tr -d "(),'")"
mvc --json nodedev-info computer
expect_eq "--json info of computer: no parent" "None ['system']" "$(json "j['parent'], j['capabilities']" | tr -d "(),")"
verdict "nodedev-info: parent, caps, the sysfs path and driver sysfs shows"

# ---- 7. errors: unknown names, usage, read-only, no daemon ----
mvc nodedev-dumpxml pci_9999_99_99_9
expect_eq "dumpxml of an unknown device: status" 1 "$rc"
expect_match "dumpxml of an unknown device: names it and the cause" \
    "node device 'pci_9999_99_99_9'.*no node device with matching name 'pci_9999_99_99_9'" "$err"
mvc nodedev-info 'bad name/../x'
expect_eq "info of a hostile name: status" 1 "$rc"
expect_match "info of a hostile name: names it" "node device 'bad name/../x'" "$err"
mvc nodedev-detach pci_9999_99_99_9
expect_eq "detach of an unknown device: status" 1 "$rc"
expect_match "detach of an unknown device: names it" "failed to detach node device 'pci_9999_99_99_9'.*matching name" "$err"
mvc nodedev-reattach pci_9999_99_99_9 --json
expect_eq "reattach of an unknown device: status" 1 "$rc"
expect_eq "reattach of an unknown device: nothing on stdout" "" "$out"
mvc nodedev-detach net_lo_00_00_00_00_00_00 --driver vfio
expect_eq "detach of a net device: refused" 1 "$rc"
expect_match "detach of a net device: names it" "node device 'net_lo_00_00_00_00_00_00'" "$err"
mvc nodedev-list --cap pcie
expect_eq "--cap with no such capability: usage" 2 "$rc"
expect_match "--cap: names the word" "invalid capability type 'pcie'" "$err"
mvc nodedev-list --tree --cap pci
expect_eq "--tree --cap: usage" 2 "$rc"
mvc nodedev-dumpxml
expect_eq "dumpxml without a name: usage" 2 "$rc"
# computer, no PCI function: nothing real is at stake should the check fail
run isolated "$CLI" -r -c "$MURI" nodedev-detach computer
expect_eq "detach on the read-only socket: refused" 1 "$rc"
expect_match "detach on the read-only socket: says so" "read.only" "$err"
run isolated "$CLI" -r -c "$MURI" nodedev-list --cap pci
expect_eq "listing on the read-only socket works" "$(pci_names)" "$out"
run isolated "$CLI" -c "qemu:///system?root=$mv_tmp/nobody" nodedev-list
expect_eq "no daemon: status 3" 3 "$rc"
expect_match "no daemon: names the socket" "nodedevd-sock" "$err"
expect_daemon_alive
verdict "errors name the device and the cause; usage 2, refused 1, unreachable 3"

# ---- 8. nodedev-events: a veth pair comes and goes ----
# (veth: this kernel has no dummy links)
evtext=$mv_tmp/events.txt
evjson=$mv_tmp/events.json
MV_CLIENT_TIMEOUT=60 isolated "$CLI" -c "$MURI" nodedev-events --loop --timeout 50 >"$evtext" 2>&1 &
evpid1=$!
kill_at_exit $evpid1
MV_CLIENT_TIMEOUT=60 isolated "$CLI" -c "$MURI" --json nodedev-events --loop --timeout 50 >"$evjson" 2>&1 &
evpid2=$!
kill_at_exit $evpid2
# wait_file FILE ERE SECS: FILE gets a line matching ERE within SECS
wait_file() {
    local i
    for ((i = 0; i < $3 * 20; i++)); do grep -Eq -- "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
    return 1
}
# the listeners have registered once they report a marker pair, made and
# removed until both saw it
registered=no
for ((k = 0; k < 20; k++)); do
    ip -n "$NS" link add mvmk${k}a type veth peer name mvmk${k}b 2>/dev/null
    ip -n "$NS" link del mvmk${k}a 2>/dev/null
    if wait_file "$evtext" "net_mvmk${k}a_" 1 && wait_file "$evjson" "net_mvmk${k}a_" 1; then
        registered=yes
        break
    fi
    grep -q 'error' "$evtext" && break
done
if [ $registered = no ]; then
    expect_fail "the listeners never reported a marker veth: $(head -c 400 "$evtext")"
else
    t0=$(date +%s%N)
    ip -n "$NS" link add mvev0 address 52:54:00:ab:cd:ef type veth peer name mvev1 address 52:54:00:ab:cd:f0
    wait_file "$evtext" "^event 'lifecycle' for node device net_mvev0_52_54_00_ab_cd_ef: Created\$" 5 ||
        expect_fail "no Created event in text: $(tail -n 5 "$evtext")"
    wait_file "$evjson" '"device":"net_mvev1_52_54_00_ab_cd_f0","type":"Created"' 5 ||
        expect_fail "no Created event in JSON: $(tail -n 5 "$evjson")"
    ms=$((($(date +%s%N) - t0) / 1000000))
    [ $ms -le 1000 ] || expect_fail "the Created events took $ms ms (more than a second)"
    mvc nodedev-list --cap net
    expect_match "the list follows" '^net_mvev0_52_54_00_ab_cd_ef$' "$out"
    ip -n "$NS" link del mvev0
    wait_file "$evtext" "^event 'lifecycle' for node device net_mvev0_52_54_00_ab_cd_ef: Deleted\$" 5 ||
        expect_fail "no Deleted event: $(tail -n 5 "$evtext")"
    wait_file "$evtext" "^event 'lifecycle' for node device net_mvev1_52_54_00_ab_cd_f0: Deleted\$" 5 ||
        expect_fail "no Deleted event for the peer: $(tail -n 5 "$evtext")"
    mvc nodedev-list --cap net
    expect_nomatch "the list follows the deletion" '^net_mvev' "$out"
    bad=$(grep -v '^{' "$evjson" | head -n 3)
    expect_eq "--json events: one object a line, nothing else" "" "$bad"
    expect_eq "--json events parse" ok "$(grep '^{' "$evjson" | "$MV_PY" -c 'import json, sys; [json.loads(l) for l in sys.stdin]; print("ok")' 2>&1 | tail -n 1)"
fi
# SIGTERM to modvirt itself (timeout's child; env, unshare and sh exec it)
kill -TERM $(pgrep -P $evpid1) $(pgrep -P $evpid2) 2>/dev/null
wait_exit $evpid1 5
st1=$wait_status
wait_exit $evpid2 5
expect_eq "interrupted listener with events: status 0" 0 "$st1"
expect_match "interrupted listener: virsh's summary" "^event loop interrupted" "$(grep -v "^event '" "$evtext")"
verdict "nodedev-events: Created and Deleted for a veth pair, within a second, text and JSON"

# ---- 9. nodedev-events without events ----
mvc nodedev-events --timeout 1
expect_eq "no event within the timeout: status 1" 1 "$rc"
expect_match "no event: virsh's words" "event loop timed out" "$out"
mvc nodedev-events --timeout 0
expect_eq "a zero timeout is a usage error" 2 "$rc"
verdict "nodedev-events: a timeout without events is status 1, a bad timeout 2"

# ---- through modvirt-proxyd ----
proxy_start "$MV_ROOT"
PURI=$(proxy_uri "$MV_ROOT")

# ---- 10. modvirt through the proxy ----
run isolated "$CLI" -c "$PURI" nodedev-list
expect_eq "through the proxy: the same list" "$names" "$out"
expect_eq "through the proxy: the same tree" "$(raw mv "$MURI" nodedev-list --tree)" "$(raw mv "$PURI" nodedev-list --tree)"
run isolated "$CLI" -c "$PURI" --json nodedev-info "$first_pci"
expect_eq "through the proxy: --json info" "$sysp ${drv:-None}" "$(json "j['path'], j['driver']" | tr -d "(),'")"
run isolated "$CLI" -c "$PURI" nodedev-dumpxml pci_9999_99_99_9
expect_eq "through the proxy: an unknown device" 1 "$rc"
expect_match "through the proxy: the daemon's words" "no node device with matching name 'pci_9999_99_99_9'" "$err"
verdict "modvirt through modvirt-proxyd: list, tree, info, errors as direct"

# ---- 11. virsh through the proxy ----
expect_eq "virsh via the proxy: list" "$(raw mv "$MURI" nodedev-list)" "$(raw virsh "$PURI" nodedev-list)"
expect_eq "virsh via the proxy: --tree" "$(raw mv "$MURI" nodedev-list --tree)" "$(raw virsh "$PURI" nodedev-list --tree)"
mvc nodedev-dumpxml computer
mine=$out
run isolated virsh -c "$PURI" nodedev-dumpxml computer
expect_eq "virsh via the proxy: dumpxml" "$mine" "$out"
verdict "virsh through modvirt-proxyd sees what modvirt sees"

# ---- 12. python3-libvirt through the proxy, against the JSON ----
mvc --json nodedev-list
listing=$out
run isolated "$MV_PY" -c '
import json, sys, libvirt
c = libvirt.open(sys.argv[1])
out = []
for d in c.listAllDevices(0):
    out.append({"name": d.name(), "parent": d.parent(), "capabilities": d.listCaps()})
print(json.dumps(sorted(out, key=lambda d: d["name"].lower())))
' "$PURI"
[ "$rc" -eq 0 ] || expect_fail "python3-libvirt via the proxy: $(run_evidence)"
expect_eq "python3-libvirt via the proxy = modvirt --json" \
    "$(printf '%s' "$listing" | "$MV_PY" -c 'import json, sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')" \
    "$(printf '%s' "$out" | "$MV_PY" -c 'import json, sys; print(json.dumps(json.load(sys.stdin), sort_keys=True))')"
verdict "python3-libvirt through the proxy: names, parents and caps equal modvirt --json"

# ---- 13. events through the proxy ----
evproxy=$mv_tmp/events.proxy
MV_CLIENT_TIMEOUT=30 isolated "$CLI" -c "$PURI" --json nodedev-events --timeout 20 >"$evproxy" 2>&1 &
evpid3=$!
kill_at_exit $evpid3
got=no
for ((k = 0; k < 20; k++)); do
    ip -n "$NS" link add mvpx${k}a type veth peer name mvpx${k}b 2>/dev/null
    ip -n "$NS" link del mvpx${k}a 2>/dev/null
    if wait_file "$evproxy" "net_mvpx${k}[ab]_" 1; then got=yes; break; fi
    kill -0 $evpid3 2>/dev/null || break
done
expect_eq "an event through the proxy" yes "$got"
wait_exit $evpid3 10
expect_eq "one-shot listener through the proxy: status 0" 0 "$wait_status"
verdict "nodedev-events through modvirt-proxyd"

# ---- 14. the daemon and the proxy are still fine ----
expect_daemon_alive
proxy_alive || expect_fail "modvirt-proxyd died"
expect_nomatch "no crash or assertion in the daemon's log" 'AddressSanitizer|assert|Segmentation' "$(cat "$MV_LOG")"
verdict "modvirt-nodedevd and modvirt-proxyd survived everything"

mv_done
