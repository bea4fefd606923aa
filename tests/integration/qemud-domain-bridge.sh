#!/bin/bash
# <interface type='bridge'> end to end: a real guest gets its address by DHCP
# through a tap the daemon made and enslaved to a real bridge, answers ping,
# and the tap goes away with the guest.  A bridge that does not exist makes
# the start fail and leaves nothing behind.
#
# The ping needs a guest that puts its lease on eth0.  The test guest's /init
# runs "udhcpc -s /bin/true" (tests/guest/make-test-guest.sh): it prints the
# address but never configures it, so nothing could answer.  That case is
# skipped, saying why, for as long as the guest's /init does that.
#
# Nothing touches the host's network: the bridge br0 (192.168.213.1/24),
# dnsmasq and the daemon (so its taps and its QEMUs) all live in a private
# network namespace mvbrNNNN, deleted at exit.  virsh runs outside it; the
# daemon's sockets are filesystem paths, so it reaches them all the same.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

DNSMASQ=${DNSMASQ:-/usr/sbin/dnsmasq}
# iputils' ping if there is one, busybox's otherwise (both take -c and -W)
if command -v ping >/dev/null 2>&1; then PING=(ping)
elif command -v busybox >/dev/null 2>&1; then PING=(busybox ping)
else PING=(ping)                 # missing: mv_init skips
fi
MV_NEEDS="qemu-system-x86_64 ip $DNSMASQ ${PING[0]}"
BOOT_S=150                       # TCG boot plus DHCP (udhcpc retries)
BR=br0
BR_NET=192.168.213
MAC=52:54:00:aa:bb:01
TAP_MAC=fe:54:00:aa:bb:01        # the daemon's rule: the guest's MAC, first byte 0xfe
NO_BR=mvnobr$$                   # no such device anywhere
NO_BR=${NO_BR:0:15}

guest_test_init 6
[ -c /dev/net/tun ] || { for i in 1 2 3 4 5 6; do skip "no /dev/net/tun"; done; exit 0; }

# ---- the namespace: bridge, dnsmasq -------------------------------------

mv_netns_new mvbr
ns() { ip netns exec "$NS" "$@"; }
ip -n "$NS" link add $BR type bridge stp_state 0 forward_delay 0 &&
ip -n "$NS" addr add $BR_NET.1/24 dev $BR &&
ip -n "$NS" link set $BR up ||
    { echo "Bail out! cannot set up bridge $BR in netns $NS"; exit 1; }

# DHCP only (port=0: no DNS), logging every exchange to the temp dir.  Not
# through ns(): a backgrounded function is a subshell, and $! must be the
# pid "ip netns exec" becomes by exec'ing dnsmasq.
ip netns exec "$NS" "$DNSMASQ" --conf-file=/dev/null --keep-in-foreground --user=root --port=0 \
    --bind-dynamic --interface=$BR --except-interface=lo \
    --dhcp-range=$BR_NET.100,$BR_NET.200,255.255.255.0,1h --dhcp-authoritative --no-ping \
    --dhcp-leasefile="$mv_tmp/dnsmasq.leases" --pid-file="$mv_tmp/dnsmasq.pid" \
    --log-facility="$mv_tmp/dnsmasq.log" --log-dhcp >>"$mv_tmp/dnsmasq.out" 2>&1 &
dnsmasq_pid=$!
kill_at_exit $dnsmasq_pid
for i in $(seq 100); do [ -s "$mv_tmp/dnsmasq.pid" ] && break; sleep 0.05; done
if ! kill -0 $dnsmasq_pid 2>/dev/null || [ "$(cat "$mv_tmp/dnsmasq.pid" 2>/dev/null)" != $dnsmasq_pid ]; then
    echo "Bail out! dnsmasq did not start in netns $NS"
    sed 's/^/# /' "$mv_tmp/dnsmasq.out" "$mv_tmp/dnsmasq.log" 2>/dev/null
    exit 1
fi

# ---- the daemon, inside the namespace --------------------------------------

mv_start_daemon_in_netns "$NS"

# ---- helpers ----------------------------------------------------------------

state() { guest_state "$1"; }
# qemu_pids NAME: the QEMUs of domain NAME (all run in our namespace)
qemu_pids() {
    local p
    for p in $(ip netns pids "$NS"); do
        tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "guest=$1," && echo "$p"
    done
    return 0
}
ports() { ip -n "$NS" -o link show master $BR 2>&1; }
taps() { ip -n "$NS" -o link show type tun 2>&1; }
bridge_iface() {
    cat <<EOF
<interface type='bridge'>
  <mac address='$MAC'/>
  <source bridge='$1'/>
  <model type='virtio'/>
</interface>
EOF
}

log=$mv_tmp/br1.serial
GUEST_APPEND=guest.net=dhcp guest_domain_xml br1 "$log" "$(bridge_iface $BR)" >"$mv_tmp/br1.xml"

# 1
vsh define "$mv_tmp/br1.xml"
expect_eq "define status" 0 "$rc"
vsh start br1
expect_eq "start status" 0 "$rc"
expect_match "start message" "^Domain 'br1' started" "$out"
[ $rc -eq 0 ] || diag "start: $(run_evidence)"
guest_ip=
if [ $rc -ne 0 ]; then
    :                           # nothing to wait for
elif guest_wait_log "$log" "GUEST-IP " $BOOT_S; then
    line=$(grep -a -m 1 "GUEST-IP " "$log" | tr -d '\r')
    expect_match "the guest's address" "^GUEST-IP $BR_NET\.(1[0-9][0-9]|200)\$" "$line"
    guest_ip=$(printf '%s\n' "$line" | sed -n 's/^GUEST-IP \([0-9.]*\)$/\1/p')
    expect_match "dnsmasq's lease" " $MAC ${guest_ip:-none} " "$(cat "$mv_tmp/dnsmasq.leases" 2>&1)"
else
    expect_fail "no GUEST-IP on the serial log after $BOOT_S s"
fi
expect_eq "domstate" running "$(state br1)"
verdict "a guest with <interface type='bridge'> gets its address from dnsmasq on $BR (${guest_ip:-none})"

# 2
p=$(ports)
expect_eq "ports of $BR" 1 "$(printf '%s\n' "$p" | grep -c .)"
tap=$(printf '%s\n' "$p" | sed -n '1s/^[0-9]*: \([^:@]*\)[:@].*/\1/p')
expect_match "tap name" '^vnet[0-9]+$' "$tap"
expect_match "tap MAC" "link/ether $TAP_MAC " "$p"
expect_match "tap up" "<([A-Z_]+,)*UP(,[A-Z_]+)*>" "$p"
expect_match "tap kind" "tun type tap" "$(ip -n "$NS" -d -o link show dev "${tap:-none}" 2>&1)"
vsh dumpxml br1
expect_match "live <target dev>" "<target dev=['\"]${tap:-none}['\"]/>" "$out"
expect_match "live <source bridge>" "<source bridge=['\"]$BR['\"]/>" "$out"
# the guest's own frames came in through that tap (the bridge learnt its MAC there)
expect_match "bridge fdb: $MAC on ${tap:-?}" "^$MAC dev ${tap:-none} master $BR" \
    "$(bridge -n "$NS" fdb show br $BR 2>&1)"
verdict "the running guest's tap ${tap:-?} is up on $BR with MAC $TAP_MAC, carries the guest's frames, is named in dumpxml"

# 3
if gunzip -c "$GUEST_INITRD" 2>/dev/null | cpio -i --quiet --to-stdout init 2>/dev/null |
   grep -q 'udhcpc.*-s /bin/true'; then
    skip "the test guest never puts its DHCP lease on eth0 (udhcpc -s /bin/true in its /init)"
else
    if [ -n "$guest_ip" ]; then
        ok=no
        for i in 1 2 3; do
            ns "${PING[@]}" -c 1 -W 2 "$guest_ip" >"$mv_tmp/ping.out" 2>&1 && { ok=yes; break; }
        done
        expect_eq "ping $guest_ip from the netns" yes "$ok"
        [ $ok = yes ] || diag "$(cat "$mv_tmp/ping.out")"
    else
        expect_fail "no guest address to ping"
    fi
    verdict "the guest answers ping from the netns at ${guest_ip:-?}"
fi

# 4
qpids=$(qemu_pids br1)
expect_match "a QEMU for br1 before destroy" '^[0-9]+$' "$qpids"
vsh destroy br1
expect_eq "destroy status" 0 "$rc"
expect_eq "domstate" "shut off" "$(state br1)"
left=
for q in $qpids; do wait_exit "$q" 5 || left="$left $q"; done
expect_eq "QEMU still running" "" "$left"
expect_eq "ports of $BR" "" "$(ports)"
expect_eq "tun devices in the netns" "" "$(taps)"
[ -z "$tap" ] || expect_match "ip link show $tap" "does not exist" "$(ip -n "$NS" link show dev "$tap" 2>&1)"
verdict "destroy: QEMU exits and the tap ${tap:-?} is gone"

# 5
for b in "$NO_BR" lo; do
    GUEST_APPEND=guest.net=dhcp guest_domain_xml br2 "$mv_tmp/br2.serial" "$(bridge_iface "$b")" >"$mv_tmp/br2.xml"
    vsh define "$mv_tmp/br2.xml"
    expect_eq "define br2 on '$b'" 0 "$rc"
    vsh start br2
    expect_eq "start on '$b': status" 1 "$rc"
    expect_match "start on '$b': error names the bridge" "bridge '$b'|'$b': it is not a bridge" "$err"
    [ "$b" = lo ] && expect_match "start on lo: error" "not a bridge" "$err"
    expect_eq "start on '$b': QEMU" "" "$(qemu_pids br2)"
    expect_eq "start on '$b': tun devices in the netns" "" "$(taps)"
    expect_eq "start on '$b': ports of $BR" "" "$(ports)"
    expect_eq "start on '$b': domstate" "shut off" "$(state br2)"
    expect_eq "start on '$b': status file" no "$([ -f "$MV_ROOT/run/modvirt/qemu/br2.xml" ] && echo yes || echo no)"
    vsh undefine br2
    expect_eq "undefine br2 on '$b'" 0 "$rc"
done
verdict "a missing bridge ($NO_BR), or lo, fails the start naming it; no QEMU, no tap, shut off"

# 6
expect_daemon_alive
expect_eq "daemon's netns" "$NS" "$(ip netns identify "$MV_PID" 2>&1)"
verdict "the daemon is still running"
mv_done
