#!/bin/bash
# modvirt-netd driven by our own CLI (modvirt, through libmodvirt): a
# network's whole life (net-define, net-start, net-info, net-dumpxml,
# net-autostart, net-update, net-dhcp-leases, net-destroy, net-undefine) by
# name and by UUID; its tables compared with Debian's virsh for the same
# daemon; --json outputs parsed; bad input and an unreachable netd give
# errors that name the object and the cause.
#
# netd runs in a network namespace of this script's own; a lease comes from
# busybox's udhcpc in a second namespace, joined to the network's bridge by
# a veth: nothing touches the host's interfaces, routes or firewall.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_DAEMON=$top_builddir/netd/modvirt-netd
MV_NEEDS="ip nft /usr/sbin/dnsmasq"
CLI=$top_builddir/client/modvirt
mv_init 15

# ---- the daemon in its own network namespace ----

CNS=mvnclc$$    # the DHCP client's
use_netd_ns mvncli$$
# modvirt finds netd's socket under the root by itself, as it would under /run
MURI="qemu:///system?root=$MV_ROOT"

# mv ARGS...: modvirt in the same clean environment as virsh (so that both
# print lease times in the same time zone); run's variables
mv() { run isolated "$CLI" -c "$MURI" "$@"; }
mv_ro() { run isolated "$CLI" -r -c "$MURI" "$@"; }
inns() { ip netns exec "$NS" "$@"; }
link_exists() { inns ip link show dev "$1" >/dev/null 2>&1 && echo yes || echo no; }
# json EXPR: EXPR evaluated by python3 on the JSON document in $out (as j);
# the last line of python's complaint if that fails
json() { printf '%s' "$out" | "$MV_PY" -c "import json, sys; j = json.load(sys.stdin); print($1)" 2>&1 | tail -n 1; }

# raw CLIENT ARGS...: the standard output of modvirt or virsh with its
# trailing newlines kept (run drops them), an "x" after it
raw() {
    local client=$1
    shift
    if [ "$client" = virsh ]; then
        isolated virsh -c "$MV_URI" "$@"
    else
        isolated "$CLI" -c "$MURI" "$@"
    fi 2>/dev/null
    echo x
}

# same_as_virsh WHAT VIRSH-ARGS...: modvirt's output (in $mine) equals
# virsh's for the same command
same_as_virsh() {
    local what=$1
    shift
    vsh "$@"
    expect_eq "$what equals virsh $*" "$out" "$mine"
}

cat >"$mv_tmp/n1.xml" <<'EOF'
<network>
  <name>n1</name>
  <forward mode='nat'/>
  <bridge name='mvcli0'/>
  <ip address='10.77.1.1' netmask='255.255.255.0'>
    <dhcp><range start='10.77.1.10' end='10.77.1.99'/></dhcp>
  </ip>
</network>
EOF

netd_start

# Event listeners for the whole run: modvirt net-event (text and --json)
# and virsh net-event, each as long as this netd lives.
mvev=$mv_tmp/events.modvirt
mvjev=$mv_tmp/events.json
vsev=$mv_tmp/events.virsh
MV_CLIENT_TIMEOUT=900 isolated "$CLI" -c "$MURI" net-event --loop --timeout 800 >"$mvev" 2>&1 &
kill_at_exit $!
MV_CLIENT_TIMEOUT=900 isolated "$CLI" -c "$MURI" --json net-event --loop --timeout 800 >"$mvjev" 2>&1 &
kill_at_exit $!
MV_CLIENT_TIMEOUT=900 isolated virsh -c "$MV_URI" net-event --loop --timeout 800 --event lifecycle >"$vsev" 2>&1 &
kill_at_exit $!
# net_marker: define and undefine a marker network until every listener
# reports it: then all are registered, and every event sent before the
# marker has arrived (one ordered stream per client)
marker_n=0
net_marker() {
    local i name
    marker_n=$((marker_n + 1))
    name=evmark$marker_n
    printf '<network><name>%s</name><bridge name="mvmark0"/></network>\n' "$name" >"$mv_tmp/$name.xml"
    for ((i = 0; i < 50; i++)); do
        mv net-define "$mv_tmp/$name.xml"
        mv net-undefine "$name"
        grep -q "network $name: Undefined" "$mvev" && grep -q "network $name: Undefined" "$vsev" &&
            grep -q "\"network\":\"$name\",.*\"type\":\"Undefined\"" "$mvjev" && return 0
        sleep 0.2
    done
    expect_fail "the event listeners never reported the marker network $name"
}
net_marker

# 1
mv net-define "$mv_tmp/n1.xml"
expect_eq "exit status" 0 "$rc"
expect_eq "message" "Network n1 defined from $mv_tmp/n1.xml" "$out"
mine_define=$out
uuid=$(isolated virsh -c "$MV_URI" net-uuid n1)
expect_match "uuid" '^[0-9a-f-]{36}$' "$uuid"
mv net-list --all
mine=$out
same_as_virsh "net-list --all" net-list --all
expect_match "n1 listed inactive" "^ n1[[:space:]]+inactive[[:space:]]+no[[:space:]]+yes$" "$mine"
expect_eq "net-list --all, blank lines too" "$(raw virsh net-list --all)" "$(raw modvirt net-list --all)"
verdict "net-define prints virsh's message; net-list --all equals virsh's"

# 2
mv net-info n1
mine=$out
same_as_virsh "net-info (inactive)" net-info n1
expect_match "bridge" "^Bridge:[[:space:]]+mvcli0$" "$mine"
mv net-info "$uuid"
expect_eq "by UUID" "$mine" "$out"
mv --json net-info n1
expect_eq "json" "n1 $uuid False True False mvcli0" \
    "$(json 'j["name"], j["uuid"], j["active"], j["persistent"], j["autostart"], j["bridge"]')"
mv net-list
mine=$out
same_as_virsh "net-list (n1 inactive)" net-list
expect_nomatch "n1 not among the running" "^ n1 " "$mine"
verdict "net-info by name and UUID equals virsh's, --json parses"

# 3
mv net-start n1
expect_eq "exit status" 0 "$rc"
expect_eq "message" "Network n1 started" "$out"
expect_eq "bridge up" yes "$(link_exists mvcli0)"
mv net-info n1
mine=$out
same_as_virsh "net-info (active)" net-info n1
mv net-list
mine=$out
same_as_virsh "net-list" net-list
mv --json net-list --all
n1_json='next(n for n in j if n["name"] == "n1")'
expect_eq "json list" "True False True $uuid" \
    "$(json "*[$n1_json[k] for k in ('active', 'autostart', 'persistent', 'uuid')]")"
mv_ro net-list --all
mine=$out
same_as_virsh "net-list --all through the read-only socket" net-list --all
verdict "net-start prints virsh's message; net-info and net-list of a running network equal virsh's"

# 4
mv net-autostart n1
expect_eq "exit status" 0 "$rc"
expect_eq "message" "Network n1 marked as autostarted" "$out"
mv net-info n1
mine=$out
same_as_virsh "net-info (autostart)" net-info n1
expect_match "autostart" "^Autostart:[[:space:]]+yes$" "$mine"
for opts in "--all --autostart --name" "--all --no-autostart --uuid" "--persistent"; do
    # shellcheck disable=SC2086 # the options are words
    expect_eq "net-list $opts equals virsh's" "$(raw virsh net-list $opts)" "$(raw modvirt net-list $opts)"
done
expect_match "n1 by --autostart --name" "^n1$" "$(raw modvirt net-list --all --autostart --name)"
mv net-autostart "$uuid" --disable
expect_eq "message" "Network n1 unmarked as autostarted" "$out"
mv net-list --all
mine=$out
same_as_virsh "net-list --all (autostart off)" net-list --all
verdict "net-autostart and --disable; net-list --autostart, --no-autostart, --persistent, --name, --uuid as virsh's"

# 5
mv net-dumpxml n1
mine=$out
same_as_virsh "net-dumpxml" net-dumpxml n1
expect_match "live uuid" "<uuid>$uuid</uuid>" "$mine"
mv net-dumpxml --inactive n1
mine=$out
same_as_virsh "net-dumpxml --inactive" net-dumpxml --inactive n1
mv --json net-dumpxml n1
expect_eq "json xml" "n1" "$(printf '%s' "$out" | "$MV_PY" -c '
import json, sys, xml.etree.ElementTree as ET
print(ET.fromstring(json.load(sys.stdin)["xml"]).findtext("name"))' 2>&1)"
verdict "net-dumpxml (live, --inactive) equals virsh's; --json carries the XML"

# 6
host="<host mac='52:54:00:c1:1c:02' name='fixed' ip='10.77.1.50'/>"
mv net-update n1 add ip-dhcp-host "$host" --live --config
expect_eq "exit status" 0 "$rc"
expect_eq "message" "Updated network n1 persistent config and live state" "$out"
mv net-dumpxml n1
expect_match "live host" "<host mac=.52:54:00:c1:1c:02. name=.fixed. ip=.10\.77\.1\.50./>" "$out"
mv net-dumpxml --inactive n1
expect_match "config host" "<host mac=.52:54:00:c1:1c:02. name=.fixed. ip=.10\.77\.1\.50./>" "$out"
printf '%s\n' "$host" >"$mv_tmp/host.xml"
mv net-update n1 delete ip-dhcp-host "$mv_tmp/host.xml" --config --parent-index 0
expect_eq "delete from a file" "Updated network n1 persistent config" "$out"
mv net-dumpxml --inactive n1
expect_nomatch "config host gone" "52:54:00:c1:1c:02" "$out"
mv net-dumpxml n1
expect_match "live host kept" "52:54:00:c1:1c:02" "$out"
mv net-update n1 delete ip-dhcp-host "$host"
mine=$out
expect_eq "--current on a running network" "Updated network n1 live state" "$mine"
dnshost="<host ip='10.77.1.60'><hostname>dnsname</hostname></host>"
expect_eq "the same message as virsh's, byte for byte" "$(raw virsh net-update n1 add dns-host "$dnshost")" \
    "$(raw modvirt net-update n1 delete dns-host "$dnshost")"
mv net-dumpxml n1
expect_nomatch "dns host gone" "dnsname" "$out"
verdict "net-update add/delete ip-dhcp-host and dns-host, live/config/current, XML inline or from a file"

# 7: a real lease, from busybox udhcpc on a veth in a namespace of its own
lease_case() {
    local mac=52:54:00:c1:1c:01 i
    if ! command -v busybox >/dev/null 2>&1 || ! busybox udhcpc --help >/dev/null 2>&1; then
        skip "busybox udhcpc is not installed"
        return
    fi
    ip netns add "$CNS" || { expect_fail "cannot create namespace $CNS"; verdict "net-dhcp-leases"; return; }
    at_exit "ip netns pids $CNS | xargs -r kill -9; ip netns del $CNS"
    if ! { ip -n "$NS" link add vcli0 type veth peer name eth0 netns "$CNS" &&
           ip -n "$NS" link set vcli0 master mvcli0 up &&
           ip -n "$CNS" link set eth0 address "$mac" up; }; then
        expect_fail "cannot plug a veth into mvcli0"
        verdict "net-dhcp-leases"
        return
    fi
    # -q: exit once leased; -n: give up after -t tries, -T s apart
    run timeout -k 2 60 ip netns exec "$CNS" busybox udhcpc -f -q -n -t 20 -T 1 -i eth0 -s /bin/true \
        -x hostname:clihost
    expect_eq "udhcpc got a lease" 0 "$rc"
    # dnsmasq tells netd of the lease after its reply: wait until it is listed
    for ((i = 0; i < 100; i++)); do
        vsh net-dhcp-leases n1
        printf '%s\n' "$out" | grep -q "$mac" && break
        sleep 0.1
    done
    mv net-dhcp-leases n1
    mine=$out
    same_as_virsh "net-dhcp-leases" net-dhcp-leases n1
    expect_match "lease row" "^ [0-9]{4}-[0-9]{2}-[0-9]{2} [0-9:]{8} +$mac +ipv4 +10\.77\.1\.[0-9]+/24 +clihost +" "$mine"
    mv --json net-dhcp-leases n1
    expect_eq "json" "$mac ipv4 24 clihost mvcli0 True" \
        "$(json 'j[0]["mac"], j[0]["protocol"], j[0]["prefix"], j[0]["hostname"], j[0]["interface"], j[0]["ip"].startswith("10.77.1.")')"
    mv net-dhcp-leases n1 --mac "$mac"
    mine=$out
    same_as_virsh "net-dhcp-leases --mac" net-dhcp-leases n1 --mac "$mac"
    mv --json net-dhcp-leases n1 --mac 52:54:00:00:00:99
    expect_eq "other mac: none" "0" "$(json 'len(j)')"
    verdict "net-dhcp-leases (table, --mac, --json) shows udhcpc's lease as virsh does"
}
lease_case

# 8
mv net-info nosuch
expect_eq "exit status" 1 "$rc"
expect_eq "unknown network" "modvirt: error: failed to get network 'nosuch': Network not found: no network with matching name 'nosuch'" "$err"
mv net-start 00000000-0000-0000-0000-00000000abcd
expect_eq "unknown uuid status" 1 "$rc"
expect_match "unknown uuid" "failed to get network '00000000-0000-0000-0000-00000000abcd': Network not found" "$err"
mv net-start n1
expect_eq "start twice" 1 "$rc"
expect_match "already active" "^modvirt: error: failed to start network 'n1': Requested operation is not valid: .*already active" "$err"
verdict "unknown networks and starting an active one: errors naming the network and the cause"

# 9
printf '<network><name>bad1</name><bandwidth/></network>\n' >"$mv_tmp/bad1.xml"
mv net-define "$mv_tmp/bad1.xml"
expect_eq "unknown element status" 1 "$rc"
expect_match "unknown element" "^modvirt: error: failed to define network from $mv_tmp/bad1.xml: .*bandwidth" "$err"
printf '<network><name>bad2</name>\n' >"$mv_tmp/bad2.xml"
mv net-define "$mv_tmp/bad2.xml"
expect_eq "broken XML status" 1 "$rc"
expect_match "broken XML" "^modvirt: error: failed to define network from $mv_tmp/bad2.xml: " "$err"
mv net-define "$mv_tmp/no-such-file.xml"
expect_eq "missing file status" 2 "$rc"
expect_match "missing file" "cannot read '$mv_tmp/no-such-file.xml': No such file or directory" "$err"
mv net-list --all --name
expect_nomatch "nothing defined" "bad1|bad2" "$out"
verdict "bad XML is refused with the daemon's reason, an unreadable file is a usage error"

# 10
mv net-update n1 append ip-dhcp-host "$host"
expect_eq "bad command status" 2 "$rc"
expect_match "bad command" "unknown net-update command 'append'" "$err"
mv net-update n1 add ip-dhcp-hosts "$host"
expect_eq "bad section status" 2 "$rc"
expect_match "bad section" "unknown net-update section 'ip-dhcp-hosts'" "$err"
mv net-update n1 add ip-dhcp-host "$host" --current --live
expect_eq "current and live" 2 "$rc"
mv net-update n1 add ip-dhcp-host "$host" --parent-index x
expect_eq "bad index" 2 "$rc"
mv net-update n1 add ip-dhcp-host "<host mac='nonsense' ip='10.77.1.51'/>" --live
expect_eq "bad host status" 1 "$rc"
expect_match "bad host" "^modvirt: error: failed to update network 'n1': " "$err"
mv_ro net-destroy n1
expect_eq "read-only status" 1 "$rc"
expect_match "read-only" "failed to destroy network 'n1': .*read only access" "$err"
expect_eq "still running" yes "$(link_exists mvcli0)"
verdict "bad net-update words are usage errors; the daemon's refusals name the network"

# 11
# virsh too ends this message with a blank line
expect_eq "message" "$(printf 'Network n1 destroyed\n\nx')" "$(raw modvirt net-destroy n1)"
expect_eq "bridge gone" no "$(link_exists mvcli0)"
# as with libvirt, an inactive network has no leases, and that is no error
mv net-dhcp-leases n1
mine=$out
same_as_virsh "net-dhcp-leases (inactive)" net-dhcp-leases n1
expect_nomatch "no lease left" "52:54:00:c1:1c:01" "$mine"
mv net-list --all
mine=$out
same_as_virsh "net-list --all (destroyed)" net-list --all
mv net-undefine "$uuid"
expect_eq "exit status" 0 "$rc"
expect_eq "message" "Network n1 has been undefined" "$out"
mv net-list --all
mine=$out
same_as_virsh "net-list --all (undefined)" net-list --all
expect_nomatch "n1 gone" "^ n1 " "$mine"
mv net-info n1
expect_match "gone" "no network with matching name 'n1'" "$err"
verdict "net-destroy and net-undefine (by UUID) print virsh's messages; n1 is gone"

# 12
mv net-create "$mv_tmp/n1.xml"
expect_eq "exit status" 0 "$rc"
expect_eq "message" "Network n1 created from $mv_tmp/n1.xml" "$out"
mv --json net-info n1
expect_eq "transient" "True False" "$(json 'j["active"], j["persistent"]')"
expect_eq "net-list --transient equals virsh's" "$(raw virsh net-list --transient)" \
    "$(raw modvirt net-list --transient)"
expect_match "n1 listed transient" "^ n1[[:space:]]+active[[:space:]]+no[[:space:]]+no$" "$(raw modvirt net-list --transient)"
mv net-list --name --uuid
expect_eq "--name with --uuid" 2 "$rc"
mv --json net-destroy n1
expect_eq "json action" "n1 destroy" "$(json 'j["name"], j["action"]')"
mv net-list --all --name
expect_nomatch "transient gone" "^n1$" "$out"
verdict "net-create makes a transient network (net-list --transient as virsh's); --json on an action names it"

# 13
net_marker
expect_eq "modvirt's events equal virsh's" "$(grep ' n1:' "$vsev")" "$(grep ' n1:' "$mvev")"
expect_match "the life of n1" "Defined.*Started.*Stopped.*Undefined.*Started.*Stopped" \
    "$(sed -n "s/^event 'lifecycle' for network n1: //p" "$mvev" | tr '\n' ' ')"
expect_eq "json" "Defined Started" "$("$MV_PY" -c '
import json, sys
types = [e["type"] for e in map(json.loads, open(sys.argv[1])) if e["network"] == "n1"]
print(*types[:2])' "$mvjev" 2>&1 | tail -n 1)"
verdict "net-event (text and --json) reports n1's life as virsh net-event does"

# 14: netd gone, or never there
stop_pid "$MV_PID"
mv net-list
expect_eq "netd stopped: status" 3 "$rc"
expect_match "names the socket" "$MV_RW" "$err"
run isolated "$CLI" -c "qemu:///system?root=$mv_tmp/nowhere" net-info n1
expect_eq "no netd: status" 3 "$rc"
expect_match "no netd" "$mv_tmp/nowhere/run/modvirt/netd-sock" "$err"
verdict "no netd to talk to: exit status 3, the message names netd's socket"

# 15
netd_start
mv net-list --all
mine=$out
same_as_virsh "net-list --all after a restart" net-list --all
expect_daemon_alive
verdict "a restarted netd answers as before"
mv_done
