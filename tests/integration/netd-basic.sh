#!/bin/bash
# modvirt-netd driven by Debian's virsh and python3-libvirt: the default
# network of a first start, a network's life (define, start, info, dumpxml,
# autostart, destroy, undefine), transient networks, lifecycle events as
# virsh net-event prints them, a kill -9 of netd while a network runs (the
# next netd re-adopts it and a later destroy cleans up everything), a
# dnsmasq killed behind netd's back, and bad input with exact messages and
# nothing left behind.
#
# The daemon runs in a network namespace of this script's own, so its
# bridges, routes, nftables tables and dnsmasq never touch the host's.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_DAEMON=$top_builddir/netd/modvirt-netd
MV_NEEDS="ip nft /usr/sbin/dnsmasq"
mv_init 21

# ---- the daemon in its own network namespace ----

use_netd_ns mvnetd$$
NETDIR=$MV_ROOT/etc/modvirt/network
RUNDIR=$MV_ROOT/run/modvirt/network

inns() { ip netns exec "$NS" "$@"; }
link_exists() { inns ip link show dev "$1" >/dev/null 2>&1 && echo yes || echo no; }
link_addr() { inns ip -o -4 addr show dev "$1" 2>/dev/null | awk '{ print $4 }'; }
# the dnsmasq pid netd recorded in NAME's status file, if that process runs
status_pid() { sed -n "s/.*<dnsmasq pid='\([0-9]*\)'.*/\1/p" "$RUNDIR/$1.xml" 2>/dev/null; }
alive() { [ -n "$1" ] && [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null && echo yes || echo no; }
new_dnsmasq() { local p; p=$(status_pid "$1"); [ -n "$p" ] && [ "$p" != "$2" ] && [ "$(alive "$p")" = yes ]; }
nft_mentions() { inns nft list table inet modvirt 2>/dev/null | grep -c -- "$1"; }

# wait_for SECS CMD...: polls CMD (every 0.1 s) until it succeeds; 1 on timeout
wait_for() {
    local secs=$1 i
    shift
    for ((i = 0; i < secs * 10; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    "$@"
}
is_active() { vsh net-info "$1"; printf '%s\n' "$out" | grep -Eq '^Active:[[:space:]]+yes$'; }
net_xml() {     # NAME SUBNET-THIRD-OCTET [EXTRA]: a nat network on 10.88.N.0/24
    cat <<EOF
<network>
  <name>$1</name>
  <forward mode='nat'/>
  <ip address='10.88.$2.1' netmask='255.255.255.0'>
    <dhcp><range start='10.88.$2.10' end='10.88.$2.99'/></dhcp>
  </ip>${3:-}
</network>
EOF
}

netd_start

# events as virsh prints them; a listener lasts as long as its netd
listen_events() {
    MV_CLIENT_TIMEOUT=900 isolated virsh -c "$MV_URI" net-event --loop --timeout 900 --event lifecycle \
        >"$1" 2>&1 &
    kill_at_exit $!
}
events=$mv_tmp/events1
listen_events "$events"
# net_marker: define and undefine a marker network until the listener
# reports it (then it is registered, and every earlier event has arrived)
marker_n=0
net_marker() {
    local i name
    marker_n=$((marker_n + 1))
    name=evmark$marker_n
    net_xml "$name" 250 >"$mv_tmp/$name.xml"
    for ((i = 0; i < 50; i++)); do
        vsh net-define "$mv_tmp/$name.xml"
        vsh net-undefine "$name"
        grep -q "network $name:" "$events" && return 0
        sleep 0.2
    done
    expect_fail "the event listener never reported the marker network $name"
}

# 1
wait_for 20 is_active default || expect_fail "default did not become active: $(run_evidence)"
vsh net-list --all
expect_match "net-list" "^ default[[:space:]]+active[[:space:]]+yes[[:space:]]+yes$" "$out"
expect_eq "config" yes "$([ -f "$NETDIR/default.xml" ] && echo yes)"
expect_eq "autostart link" yes "$([ -L "$NETDIR/autostart/default.xml" ] && echo yes)"
expect_eq "virbr0 address" 192.168.122.1/24 "$(link_addr virbr0)"
expect_eq "dnsmasq" yes "$(alive "$(status_pid default)")"
vsh net-dumpxml default
expect_match "nat" "<forward mode=.nat./>" "$out"
expect_match "dhcp range" "<range start=.192\.168\.122\.2. end=.192\.168\.122\.254.[ /]" "$out"
verdict "the first start defines 'default' (nat, virbr0, 192.168.122.0/24) and autostarts it"

net_marker

# 2
net_xml n1 1 >"$mv_tmp/n1.xml"
vsh net-define "$mv_tmp/n1.xml"
expect_eq "exit status" 0 "$rc"
expect_match "message" "^Network n1 defined from " "$out"
expect_eq "config file" yes "$([ -f "$NETDIR/n1.xml" ] && echo yes)"
vsh net-list --all
expect_match "n1 inactive" "^ n1[[:space:]]+inactive[[:space:]]+no[[:space:]]+yes$" "$out"
vsh net-dumpxml n1
expect_match "bridge picked" "<bridge name=.virbr1." "$out"
expect_match "uuid" "<uuid>[0-9a-f-]{36}</uuid>" "$out"
verdict "net-define stores the definition with a bridge name picked (virbr1)"

# 3
vsh net-start n1
expect_eq "exit status" 0 "$rc"
expect_match "message" "^Network n1 started" "$out"
expect_eq "bridge address" 10.88.1.1/24 "$(link_addr virbr1)"
n1pid=$(status_pid n1)
expect_eq "dnsmasq runs" yes "$(alive "$n1pid")"
expect_match "dnsmasq's config" "$RUNDIR/dnsmasq/n1.conf" "$(tr '\0' ' ' </proc/$n1pid/cmdline 2>/dev/null)"
[ "$(nft_mentions virbr1)" -gt 0 ] || expect_fail "no nftables rules for virbr1"
vsh net-info n1
expect_match "active" "^Active:[[:space:]]+yes$" "$out"
expect_match "persistent" "^Persistent:[[:space:]]+yes$" "$out"
expect_match "autostart" "^Autostart:[[:space:]]+no$" "$out"
expect_match "bridge" "^Bridge:[[:space:]]+virbr1$" "$out"
verdict "net-start makes bridge, rules and dnsmasq; net-info shows them"

# 4
vsh net-start n1
expect_eq "exit status" 1 "$rc"
expect_match "message" "Requested operation is not valid: network is already active" "$err"
expect_eq "same dnsmasq" "$n1pid" "$(status_pid n1)"
verdict "starting an active network fails and changes nothing"

# 5
vsh net-autostart n1
expect_eq "exit status" 0 "$rc"
expect_eq "link" yes "$([ -L "$NETDIR/autostart/n1.xml" ] && echo yes)"
vsh net-info n1
expect_match "autostart" "^Autostart:[[:space:]]+yes$" "$out"
vsh net-autostart n1 --disable
expect_eq "link gone" no "$([ -e "$NETDIR/autostart/n1.xml" ] && echo yes || echo no)"
vsh net-list --autostart
expect_nomatch "not listed" "^ n1 " "$out"
verdict "net-autostart and --disable (link and net-list --autostart)"

# 5b
host="<host mac='52:54:00:00:00:42' name='fixed' ip='10.88.1.42'/>"
vsh net-update n1 add ip-dhcp-host "$host" --live --config
expect_eq "exit status" 0 "$rc"
expect_match "message" "^Updated network n1 persistent config and live state" "$out"
expect_match "hosts file" "^52:54:00:00:00:42,10\.88\.1\.42,fixed$" "$(cat "$RUNDIR/dnsmasq/n1.hostsfile" 2>/dev/null)"
vsh net-dumpxml n1
expect_match "live" "<host mac=.52:54:00:00:00:42. name=.fixed. ip=.10\.88\.1\.42./>" "$out"
vsh net-dumpxml n1 --inactive
expect_match "config" "<host mac=.52:54:00:00:00:42. name=.fixed. ip=.10\.88\.1\.42./>" "$out"
expect_match "status file" "52:54:00:00:00:42" "$(cat "$RUNDIR/n1.xml")"
expect_eq "same dnsmasq (re-read, not restarted)" "$n1pid" "$(status_pid n1)"
vsh net-update n1 add ip-dhcp-host "$host" --live
expect_eq "duplicate" 1 "$rc"
expect_match "message" "Requested operation is not valid: there is already a DHCP host with mac .52:54:00:00:00:42." "$err"
vsh net-update n1 delete ip-dhcp-host "<host mac='52:54:00:00:00:42'/>"
vsh net-dumpxml n1
expect_nomatch "current is live: gone" "52:54:00:00:00:42" "$out"
vsh net-dumpxml n1 --inactive
expect_match "config kept" "52:54:00:00:00:42" "$out"
vsh net-update n1 add dns-txt "<txt name='x' value='y'/>"
expect_match "refused by section" "unsupported configuration: can't update 'dns-txt' section" "$err"
verdict "net-update: live and config, dnsmasq re-reads its hosts, libvirt's errors"

# 5c: defines that race for bridge names, each on its own connection
py - "$MV_URI" <<'EOF'
import sys, threading, libvirt
errors = []
def define(i):
    try:
        c = libvirt.open(sys.argv[1])
        c.networkDefineXML("<network><name>race%d</name><ip address='10.89.%d.1' prefix='24'/></network>" % (i, i))
        c.close()
    except libvirt.libvirtError as e:
        errors.append(str(e))
threads = [threading.Thread(target=define, args=(i,)) for i in range(6)]
for t in threads: t.start()
for t in threads: t.join()
c = libvirt.open(sys.argv[1])
bridges = sorted(c.networkLookupByName("race%d" % i).bridgeName() for i in range(6))
print("errors=%d distinct=%d" % (len(errors), len(set(bridges))))
for i in range(6):
    c.networkLookupByName("race%d" % i).undefine()
EOF
expect_eq "six distinct bridges" "errors=0 distinct=6" "$out"
verdict "concurrent defines pick distinct bridge names"

# 6
sed 's|<uuid>.*</uuid>||' "$mv_tmp/n1.xml" >"$mv_tmp/n1-other-uuid.xml"
vsh net-define "$mv_tmp/n1-other-uuid.xml"
expect_eq "exit status" 1 "$rc"
expect_match "name taken" "operation failed: network 'n1' already exists with uuid [0-9a-f-]{36}" "$err"
uuid=$(isolated virsh -c "$MV_URI" net-uuid n1)
net_xml n1copy 2 "<uuid>$uuid</uuid>" >"$mv_tmp/n1copy.xml"
vsh net-define "$mv_tmp/n1copy.xml"
expect_eq "exit status" 1 "$rc"
expect_match "uuid taken" "operation failed: network 'n1' is already defined with uuid $uuid" "$err"
expect_eq "no config" no "$([ -e "$NETDIR/n1copy.xml" ] && echo yes || echo no)"
verdict "duplicate name or uuid: libvirt's messages, nothing stored"

# 7
net_xml ../x 3 >"$mv_tmp/bad-name.xml"
vsh net-define "$mv_tmp/bad-name.xml"
expect_eq "exit status" 1 "$rc"
expect_match "message" "network name '\.\./x'" "$err"
printf '<network><name>n9</name><bandwidth/></network>\n' >"$mv_tmp/unknown.xml"
vsh net-define "$mv_tmp/unknown.xml"
expect_eq "exit status" 1 "$rc"
expect_match "refused by name" "bandwidth" "$err"
vsh net-create "$mv_tmp/unknown.xml"
expect_eq "create refused" 1 "$rc"
expect_eq "nothing stored" "default.xml n1.xml" "$(cd "$NETDIR" && echo *.xml)"
expect_eq "no bridge" no "$(link_exists virbr2)"
verdict "bad names and unknown elements are refused, nothing left behind"

# 8
net_xml t1 4 >"$mv_tmp/t1.xml"
vsh net-create "$mv_tmp/t1.xml"
expect_eq "exit status" 0 "$rc"
expect_match "message" "^Network t1 created from " "$out"
vsh net-list --transient
expect_match "transient" "^ t1[[:space:]]+active[[:space:]]+no[[:space:]]+no$" "$out"
t1bridge=$(isolated virsh -c "$MV_URI" net-info t1 | sed -n 's/^Bridge:[[:space:]]*//p')
expect_eq "bridge up" yes "$(link_exists "$t1bridge")"
vsh net-destroy t1
expect_eq "destroy" 0 "$rc"
vsh net-info t1
expect_match "gone" "Network not found: no network with matching name 't1'" "$err"
expect_eq "bridge gone" no "$(link_exists "$t1bridge")"
expect_eq "status gone" no "$([ -e "$RUNDIR/t1.xml" ] && echo yes || echo no)"
verdict "net-create makes a transient network, net-destroy makes it disappear"

# 9
py - "$MV_URI" <<'EOF'
import sys, libvirt
c = libvirt.open(sys.argv[1])
n = c.networkLookupByName("n1")
print("active=%d persistent=%d autostart=%d bridge=%s" % (n.isActive(), n.isPersistent(), n.autostart(), n.bridgeName()))
print("all=" + ",".join(sorted(x.name() for x in c.listAllNetworks())))
print("inactive=" + ",".join(sorted(x.name() for x in c.listAllNetworks(libvirt.VIR_CONNECT_LIST_NETWORKS_INACTIVE))))
print("legacy=%d/%d" % (c.numOfNetworks(), c.numOfDefinedNetworks()))
print("byuuid=" + c.networkLookupByUUIDString(n.UUIDString()).name())
try:
    c.networkLookupByName("nosuch")
except libvirt.libvirtError as e:
    print("err=%d/%d %s" % (e.get_error_code(), e.get_error_domain(), e.get_error_message()))
EOF
expect_eq "exit status" 0 "$rc"
expect_match "flags" "^active=1 persistent=1 autostart=0 bridge=virbr1$" "$out"
expect_match "list" "^all=default,n1$" "$out"
expect_match "inactive" "^inactive=$" "$out"
expect_match "legacy" "^legacy=2/0$" "$out"
expect_match "by uuid" "^byuuid=n1$" "$out"
expect_match "not found" "^err=43/19 Network not found: no network with matching name 'nosuch'$" "$out"
verdict "python3-libvirt: lookups, flags, listAllNetworks and the legacy counts"

# 10
run isolated virsh -c "$MV_URI_RO" net-define "$mv_tmp/t1.xml"
expect_eq "exit status" 1 "$rc"
expect_match "denied" "read only access prevents virNetworkDefineXML" "$err"
run isolated virsh -r -c "$MV_URI_RO" net-dumpxml n1
expect_match "read allowed" "<name>n1</name>" "$out"
py - "$MV_URI_RO" "$(cat "$mv_tmp/t1.xml")" <<'EOF'
import sys, libvirt
c = libvirt.openReadOnly(sys.argv[1])
try:
    c.networkDefineXML(sys.argv[2])
except libvirt.libvirtError as e:
    print("err=%d/%d" % (e.get_error_code(), e.get_error_domain()))
EOF
expect_eq "code and domain" "err=29/19" "$out"
verdict "the read-only socket reads but refuses net-define"

# 11
kill -9 "$n1pid"
wait_for 20 new_dnsmasq n1 "$n1pid" || expect_fail "no new dnsmasq for n1 in its status file"
n1pid=$(status_pid n1)
expect_eq "new dnsmasq" yes "$(alive "$n1pid")"
grep -q "network 'n1': dnsmasq (pid [0-9]*) .*; restarting it" "$MV_LOG" ||
    expect_fail "no log line saying why dnsmasq was restarted"
verdict "a dnsmasq killed behind netd's back is restarted, and the log says why"

# 12
net_marker
expect_match "defined" "network n1: Defined" "$(cat "$events")"
expect_match "started" "network n1: Started" "$(cat "$events")"
expect_match "transient started" "network t1: Started" "$(cat "$events")"
expect_match "transient stopped" "network t1: Stopped" "$(cat "$events")"
verdict "virsh net-event prints the lifecycle events"

# 13
{ kill -9 "$MV_PID"; wait_exit "$MV_PID" 10; } 2>/dev/null     # no "Killed" from bash
expect_eq "dnsmasq survives" yes "$(alive "$n1pid")"
expect_eq "bridge survives" yes "$(link_exists virbr1)"
netd_start
events=$mv_tmp/events2
listen_events "$events"
net_marker
vsh net-info n1
expect_match "still active" "^Active:[[:space:]]+yes$" "$out"
expect_eq "same dnsmasq" "$n1pid" "$(status_pid n1)"
grep -q "network 'n1' re-adopted" "$MV_LOG" || expect_fail "no re-adoption logged"
verdict "kill -9 of netd: the next netd re-adopts the running network and its dnsmasq"

# 14
vsh net-destroy n1
expect_eq "exit status" 0 "$rc"
expect_match "message" "^Network n1 destroyed" "$out"
expect_eq "bridge gone" no "$(link_exists virbr1)"
expect_eq "dnsmasq gone" no "$(alive "$n1pid")"
expect_eq "rules gone" 0 "$(nft_mentions virbr1)"
expect_eq "status gone" no "$([ -e "$RUNDIR/n1.xml" ] && echo yes || echo no)"
expect_eq "leases gone" no "$([ -e "$RUNDIR/dnsmasq/n1.leases" ] && echo yes || echo no)"
vsh net-destroy n1
expect_match "inactive" "Requested operation is not valid: network 'n1' is not active" "$err"
verdict "net-destroy after the restart removes bridge, dnsmasq, rules, status and leases"

# 15
vsh net-start n1
vsh net-undefine n1
expect_eq "exit status" 0 "$rc"
vsh net-list --all
expect_match "transient now" "^ n1[[:space:]]+active[[:space:]]+no[[:space:]]+no$" "$out"
expect_eq "config gone" no "$([ -e "$NETDIR/n1.xml" ] && echo yes || echo no)"
vsh net-destroy n1
vsh net-list --all
expect_nomatch "gone" "^ n1 " "$out"
net_marker
expect_match "events" "network n1: Stopped.*network n1: Started.*network n1: Undefined.*network n1: Stopped" \
    "$(grep 'network n1:' "$events" | tr '\n' ' ')"
verdict "undefining an active network leaves it running as transient until destroyed"

# 16
vsh net-dumpxml nosuch
expect_match "not found" "Network not found: no network with matching name 'nosuch'" "$err"
vsh net-list --all --name
expect_eq "only default" "default" "$out"
expect_eq "one status file" "default.xml" "$(cd "$RUNDIR" && echo *.xml)"
expect_eq "only default's dnsmasq" "$(status_pid default)" "$(pgrep -f -- "$RUNDIR/dnsmasq/" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "bridges" "virbr0" "$(inns ip -o link show type bridge | awk -F': ' '{ print $2 }' | tr '\n' ' ' | sed 's/ $//')"
verdict "nothing is left of the other networks"

# 17
vsh net-destroy default
vsh net-undefine default
expect_eq "undefined" 0 "$rc"
stop_pid "$MV_PID"
expect_eq "exit" 0 "$stop_status"
netd_start
vsh net-list --all --name
expect_eq "default not again" "" "$out"
verdict "the default network is defined on the first start only"

# 18
expect_daemon_alive
verdict "the daemon is still running"

# 19: a first start where 192.168.122.0/24 is taken: a second namespace
# and root, the subnet on a veth's end in it
NS2=mvnetd2$$
ip netns add "$NS2" && at_exit "ip netns pids $NS2 | xargs -r kill -9; ip netns del $NS2"
ip -n "$NS2" link add taken type veth peer name taken2 &&
    ip -n "$NS2" addr add 192.168.122.5/24 dev taken && ip -n "$NS2" link set taken up ||
    expect_fail "cannot route 192.168.122.0/24 in $NS2"
NS=$NS2 MV_ROOT=$mv_tmp/root2 netd_start
run isolated virsh -c "network:///system?socket=$mv_tmp/root2/run/modvirt/netd-sock" net-dumpxml default
expect_match "next subnet" "<ip address=.192\.168\.123\.1. netmask=.255\.255\.255\.0.>" "$out"
expect_match "virbr0 still" "<bridge name=.virbr0." "$out"
verdict "with 192.168.122.0/24 taken, the default network gets 192.168.123.0/24"
mv_done
