#!/bin/bash
# modvirt-netd under hostile input: arguments no libvirt client sends
# (truncated, oversized, negative counts, garbage filters), network XML
# that is huge, not well-formed or an entity bomb, names that are paths or
# too long for netd's files, bridge names no kernel takes, values that
# would inject dnsmasq options, port and update XML likewise; and read-only
# clients that register for every event and never read.  Each gets a clear
# error, the daemon keeps serving, and no file appears that should not:
# every write stays under --root, and the configuration holds only what was
# accepted.  Raw calls come from mvrpc / mvnetrpc (struct, not the daemon's
# codec).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns.sh"

MV_DAEMON=$MV_NETD
MV_NEEDS="ip nft sha256sum"
mv_init 19
nt_init
MV_ROOT=$mv_tmp/root
NETDIR=$MV_ROOT/etc/modvirt/network
RUNDIR=$MV_ROOT/run/modvirt/network
nt_no_default
MV_RW=$MV_ROOT/run/modvirt/netd-sock
MV_RO=$MV_ROOT/run/modvirt/netd-sock-ro
MV_URI=$(nt_netd_uri)
MV_URI_RO="network:///system?socket=$MV_RO"

nt_netd_up
shadow_sum=$(sha256sum /etc/shadow)
touch "$mv_tmp/marker"

vsh() { nvsh "$@"; }
# after_check: a fresh virsh still gets an answer and the daemon lives
after_check() {
    nvsh net-list --all --name
    expect_eq "a fresh virsh net-list afterwards" 0 "$rc"
    expect_daemon_alive
}
# define_err FILE: virsh net-define FILE must fail; its error line in err1
define_err() {
    nvsh net-define "$1"
    [ "$rc" -eq 1 ] || expect_fail "net-define $1 did not fail: $(run_evidence)"
    err1=$(printf '%s\n' "$err" | sed -n 's/^error: //p' | tail -n 1)
}

# a running network with a port, for the calls that name one
cat >"$mv_tmp/m1.xml" <<'EOF'
<network>
  <name>m1</name>
  <forward mode='nat'/>
  <bridge name='mvm1'/>
  <ip address='10.78.1.1' netmask='255.255.255.0'>
    <dhcp><range start='10.78.1.10' end='10.78.1.99'/></dhcp>
  </ip>
</network>
EOF
nvsh_ok net-define "$mv_tmp/m1.xml"
nvsh_ok net-start m1
uuid=$(isolated virsh -c "$MV_URI" net-uuid m1)
portxml="<networkport><owner><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1809</uuid><name>vm1</name></owner><mac address='52:54:00:ab:cd:01'/></networkport>"
py - "$MV_URI" "$portxml" <<'EOF'
import sys, libvirt
print("port=%s" % libvirt.open(sys.argv[1]).networkLookupByName("m1").portCreateXML(sys.argv[2]).UUIDString())
EOF
portuuid=$(kv port)
[ -n "$portuuid" ] || { echo "Bail out! cannot create a port on m1: $(run_evidence)"; exit 1; }
mv_log_mark

# 1
py - "$MV_RW" "$uuid" "$portuuid" <<'EOF'
import sys, mvnetrpc as m
sock, uuid, portuuid = sys.argv[1:]
c = m.connect(sock)
procs = sorted(set(m.RW_APIS) | set(m.RO_PROCS))
bad = []
n = 0
for proc in procs:
    args = m.args_for(proc, "m1", uuid, portuuid, "<network><name>t</name></network>")
    for cut in sorted({1, 3, 4, len(args) // 2, len(args) - 1}):
        if not 0 < cut < len(args):
            continue
        n += 1
        got = m.outcome(c.call(proc, args[:cut]))
        if not got.startswith("39 7 cannot decode the arguments of procedure "):
            bad.append("%d cut at %d: %s" % (proc, cut, got))
print("calls=%d" % n)
print("bad=%s" % "; ".join(bad[:5]))
print("after=%s" % m.outcome(c.call(m.LIST_ALL, m.args_for(m.LIST_ALL, "m1", uuid, portuuid))))
EOF
calls=$(kv calls)
[ "$calls" -gt 100 ] 2>/dev/null || expect_fail "too few truncated calls: $(run_evidence)"
expect_eq "answers other than 'cannot decode the arguments'" "" "$(kv bad)"
expect_eq "LIST_ALL_NETWORKS on the same connection" ok "$(kv after)"
[ -z "$err" ] || expect_fail "python: $err"
after_check
verdict "$calls truncated arguments of 30 network procedures: RPC error 'cannot decode', connection stays"

# 2
py - "$MV_RW" "$uuid" "$portuuid" <<'EOF'
import struct, sys, mvnetrpc as m
sock, uuid, portuuid = sys.argv[1:]
c = m.connect(sock, timeout=60)
over = m.u32(4194305) + b"a" * 4194308           # one byte over REMOTE_STRING_MAX
huge = m.u32(0xFFFFFFF0) + b"a" * 64              # a length word far beyond the packet
net = m.net("m1", uuid)
for word, s in (("over", over), ("huge", huge)):
    for name, proc, body in (("define", m.DEFINE_XML, s), ("create", m.CREATE_XML_FLAGS, s + m.u32(0)),
                             ("lookup", m.LOOKUP_BY_NAME, s),
                             ("update", m.UPDATE, net + m.u32(3) + m.u32(4) + m.i32(-1) + s + m.u32(0)),
                             ("leases", m.GET_DHCP_LEASES, net + m.u32(1) + s + m.i32(1) + m.u32(0)),
                             ("port", m.PORT_CREATE_XML, net + s + m.u32(0))):
        print("%s_%s=%s" % (word, name, m.outcome(c.call(proc, body))))
print("after=%s" % m.outcome(c.call(m.NUM_OF, b"")))
EOF
for w in over huge; do
    for p in define:NETWORK_DEFINE_XML create:NETWORK_CREATE_XML_FLAGS lookup:NETWORK_LOOKUP_BY_NAME \
        update:NETWORK_UPDATE leases:NETWORK_GET_DHCP_LEASES port:NETWORK_PORT_CREATE_XML; do
        expect_eq "${w}_${p%%:*}" "39 7 cannot decode the arguments of procedure ${p#*:}" "$(kv "${w}_${p%%:*}")"
    done
done
expect_eq "NUM_OF_NETWORKS on the same connection" ok "$(kv after)"
[ -z "$err" ] || expect_fail "python: $err"
after_check
verdict "strings over 4 MiB or with lengths beyond the packet: 'cannot decode', connection stays"

# 3-4: definitions around the 1 MiB netd stores (formatted: the input
# plus uuid, mac and indentation)
bigxml() {  # NAME DESCRIPTION-BYTES
    python3 -c 'import sys; print("<network><name>%s</name><description>%s</description></network>" % (sys.argv[1], "x" * int(sys.argv[2])))' "$1" "$2"
}
bigxml big-under $((1024 * 1024 - 1024)) >"$mv_tmp/big-under.xml"
bigxml big-over $((1024 * 1024)) >"$mv_tmp/big-over.xml"
nvsh net-define "$mv_tmp/big-under.xml"
expect_eq "net-define of $(stat -c %s "$mv_tmp/big-under.xml") bytes" 0 "$rc"
define_err "$mv_tmp/big-over.xml"
expect_match "net-define of $(stat -c %s "$mv_tmp/big-over.xml") bytes" \
    "^XML error: network 'big-over' is [0-9]+ bytes as XML, more than the 1048576 bytes netd stores$" "$err1"
nvsh net-create "$mv_tmp/big-over.xml"
expect_match "net-create of it" "network 'big-over' is [0-9]+ bytes as XML, more than the 1048576 bytes" "$err"
py - "$MV_RW" <<'EOF'
import sys, mvnetrpc as m
c = m.connect(sys.argv[1], timeout=60)
head, tail = "<network><name>big4</name><description>", "</description></network>"
xml = head + "x" * (4194304 - len(head) - len(tail)) + tail      # exactly REMOTE_STRING_MAX
print("len=%d" % len(xml))
print("define=%s" % m.outcome(c.call(m.DEFINE_XML, m.s(xml))))
EOF
expect_eq "the largest string the wire carries" 4194304 "$(kv len)"
expect_match "DEFINE_XML of it" "^27 19 XML error: network 'big4' is [0-9]+ bytes as XML, more than the 1048576" \
    "$(kv define)"
expect_eq "stored" "big-under.xml m1.xml" "$(cd "$NETDIR" && echo *.xml)"
verdict "a definition just under 1 MiB is stored; one just over, or of 4 MiB, is refused by name and size"

stop_pid "$MV_PID"
nt_netd_up
nvsh net-dumpxml big-under
expect_match "big-under after a restart" "<name>big-under</name>" "$out"
[ "${#out}" -gt $((1024 * 1024 - 1024)) ] || expect_fail "its XML is ${#out} bytes long"
nvsh net-undefine big-under
expect_eq "undefine" 0 "$rc"
nvsh net-info m1
expect_match "m1 re-adopted" "^Active:[[:space:]]+yes$" "$out"
verdict "the stored one loads again after a netd restart"

# 5: an update that would take a running network past the limit changes
# nothing: not the definitions, not what dnsmasq serves
bigrun() {  # DESCRIPTION-BYTES
    cat <<EOF
<network>
  <name>bigrun</name>
  <uuid>5d1c4c1e-8f0b-4bd6-9a3e-2f6f1d2b7c11</uuid>
  <description>$(head -c "$1" /dev/zero | tr '\0' x)</description>
  <forward mode='nat'/>
  <bridge name='mvbig'/>
  <ip address='10.78.3.1' netmask='255.255.255.0'>
    <dhcp><range start='10.78.3.10' end='10.78.3.99'/></dhcp>
  </ip>
</network>
EOF
}
bigrun $((1024 * 1024 - 2048)) >"$mv_tmp/bigrun.xml"
nvsh net-define "$mv_tmp/bigrun.xml"
# stored 40 bytes short of the limit: one more <host> line is too much
bigrun $((1024 * 1024 - 2048 + 1048576 - 40 - $(stat -c %s "$NETDIR/bigrun.xml"))) >"$mv_tmp/bigrun.xml"
nvsh net-define "$mv_tmp/bigrun.xml"
expect_eq "stored size" $((1048576 - 40)) "$(stat -c %s "$NETDIR/bigrun.xml")"
nvsh net-start bigrun
expect_eq "net-start bigrun" 0 "$rc"
hosts_before=$(cat "$RUNDIR/dnsmasq/bigrun.hostsfile" 2>/dev/null)
for how in --live --config "--live --config"; do
    nvsh net-update bigrun add ip-dhcp-host "<host mac='52:54:00:00:00:42' ip='10.78.3.42'/>" $how
    expect_eq "net-update $how: exit status" 1 "$rc"
    expect_match "net-update $how" \
        "^error: XML error: network 'bigrun' is [0-9]+ bytes as XML, more than the 1048576 bytes netd stores$" \
        "$(printf '%s\n' "$err" | tail -n 1)"
done
expect_eq "what dnsmasq serves" "$hosts_before" "$(cat "$RUNDIR/dnsmasq/bigrun.hostsfile" 2>/dev/null)"
nvsh net-dumpxml bigrun
expect_nomatch "live definition" "52:54:00:00:00:42" "$out"
nvsh net-dumpxml --inactive bigrun
expect_nomatch "persistent definition" "52:54:00:00:00:42" "$out"
nvsh net-destroy bigrun
nvsh net-undefine bigrun
verdict "an update that would take a running network past 1 MiB is refused and changes nothing"

# 6
py - "$MV_RW" "$uuid" "$portuuid" <<'EOF'
import struct, sys, mvnetrpc as m
sock, uuid, portuuid = sys.argv[1:]
c = m.connect(sock)
net = m.net("m1", uuid)
def count(p):       # the trailing "u32 ret" of a list reply
    return "%s/%d" % (m.outcome(p), struct.unpack(">I", p.body[-4:])[0] if p.status == 0 else -1)
for need in (0x7FFFFFFF, -5, 0):
    print("all%d=%s" % (need, count(c.call(m.LIST_ALL, m.i32(need) + m.u32(0)))))
    print("ports%d=%s" % (need, count(c.call(m.LIST_ALL_PORTS, net + m.i32(need) + m.u32(0)))))
    print("leases%d=%s" % (need, count(c.call(m.GET_DHCP_LEASES, net + m.u32(0) + m.i32(need) + m.u32(0)))))
for maxnames in (-1, -2**31, 16385, 16384, 0):
    print("list%d=%s" % (maxnames, m.outcome(c.call(m.LIST, m.i32(maxnames)))))
    print("defined%d=%s" % (maxnames, m.outcome(c.call(m.LIST_DEFINED, m.i32(maxnames)))))
# libvirt's client sends GET_PARAMETERS' nparams uninitialised: any value goes
port = m.port("m1", uuid, portuuid)
for i, nparams in enumerate((-1, 2**31 - 1, 17)):
    print("params%d=%s" % (i, m.outcome(c.call(m.PORT_GET_PARAMETERS, port + m.i32(nparams) + m.u32(0)))))
for i, mac in enumerate(("zz:zz", "", "5" * 300, "52:54:00:ab:cd:01\n", "%s%n%x", "\x01\x7f", "*")):
    p = c.call(m.GET_DHCP_LEASES, net + m.u32(1) + m.s(mac) + m.i32(1) + m.u32(0))
    print("mac%d=%s" % (i, count(p)))
EOF
for need in 2147483647 -5 0; do
    expect_eq "LIST_ALL_NETWORKS need_results=$need" "ok/1" "$(kv "all$need")"
    expect_eq "LIST_ALL_PORTS need_results=$need" "ok/1" "$(kv "ports$need")"
    expect_match "GET_DHCP_LEASES need_results=$need" "^ok/[0-9]+$" "$(kv "leases$need")"
done
for n in -1 -2147483648; do
    expect_eq "LIST_NETWORKS maxnames=$n" \
        "8 19 invalid argument: maxnames in virConnectListNetworks must not be negative, not $n" "$(kv "list$n")"
    expect_eq "LIST_DEFINED_NETWORKS maxnames=$n" \
        "8 19 invalid argument: maxnames in virConnectListDefinedNetworks must not be negative, not $n" \
        "$(kv "defined$n")"
done
expect_eq "LIST_NETWORKS maxnames=16385" "39 7 too many network names requested: 16385 > 16384" "$(kv list16385)"
expect_eq "LIST_NETWORKS maxnames=16384" ok "$(kv list16384)"
expect_eq "LIST_DEFINED_NETWORKS maxnames=0" ok "$(kv defined0)"
for i in 0 1 2; do
    expect_eq "NETWORK_PORT_GET_PARAMETERS with nparams #$i" ok "$(kv "params$i")"
done
for i in 0 1 2 3 4 5 6; do
    expect_eq "GET_DHCP_LEASES with garbage mac filter #$i" "ok/0" "$(kv "mac$i")"
done
[ -z "$err" ] || expect_fail "python: $err"
after_check
verdict "need_results and nparams of any value, negative or huge maxnames, garbage lease filters: answers or clear errors"

# 7: XML that is not a network
while read -r what xml; do
    printf '%s\n' "$xml" >"$mv_tmp/bad.xml"
    for cmd in net-define net-create; do
        nvsh $cmd "$mv_tmp/bad.xml"
        expect_eq "$cmd, $what: exit status" 1 "$rc"
        expect_match "$cmd, $what" "^error: (XML error|unsupported configuration)" "$(printf '%s\n' "$err" | tail -n 1)"
    done
done <<'EOF'
billion-laughs <?xml version="1.0"?><!DOCTYPE n [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><network><name>&c;</name></network>
external-entity <!DOCTYPE network [<!ENTITY s SYSTEM "file:///etc/shadow">]><network><name>x</name><description>&s;</description></network>
external-dtd <!DOCTYPE network SYSTEM "http://192.0.2.1/network.dtd"><network><name>x</name></network>
xinclude <network xmlns:xi="http://www.w3.org/2001/XInclude"><name>x</name><xi:include href="/etc/shadow" parse="text"/></network>
unclosed <network><name>x</name>
two-roots <network><name>x</name></network><network><name>y</name></network>
empty-name <network><name></name></network>
no-name <network><bridge name='x0'/></network>
two-names <network><name>x</name><name>y</name></network>
unknown-element <network><name>x</name><bandwidth><inbound average='1'/></bandwidth></network>
wrong-root <domain><name>x</name></domain>
namespace <network xmlns='http://example.com/'><name>x</name></network>
invalid-char <network><name>a&#1;b</name></network>
EOF
deep=$(python3 -c 'print("<network><name>deep</name><description>" + "<a>" * 100000 + "</a>" * 100000 + "</description></network>")')
printf '%s\n' "$deep" >"$mv_tmp/deep.xml"
define_err "$mv_tmp/deep.xml"
expect_match "100000 nested elements" "^XML error" "$err1"
python3 -c 'print("<network " + " ".join("a%d=\"1\"" % i for i in range(100000)) + "><name>attrs</name></network>")' \
    >"$mv_tmp/attrs.xml"
define_err "$mv_tmp/attrs.xml"
expect_eq "100000 attributes" "XML error in network definition: line 1: an element with more than 256 attributes" "$err1"
expect_eq "stored" "m1.xml" "$(cd "$NETDIR" && echo *.xml)"
after_check
verdict "entity bombs, external entities and DTDs, XInclude, broken, deep and wide XML: XML errors, nothing stored"

# 8: names
name_xml() { printf "<network><name>%s</name><forward mode='nat'/></network>\n" "$1"; }
while read -r what name want; do
    name_xml "$name" >"$mv_tmp/name.xml"
    define_err "$mv_tmp/name.xml"
    expect_match "$what" "^XML error.*$want" "$err1"
done <<'EOF'
dotdot ../x names must not contain '/'
absolute /etc/shadow names must not contain '/'
dot . names must not be '.' or '..'
dot-dot .. names must not be '.' or '..'
hidden .x names must not start with '.'
tab a&#9;b names must not contain control characters
del a&#x7f;b names must not contain control characters
c1 a&#x85;b names must not contain control characters
EOF
for len in 300 244; do
    name_xml "$(head -c $len /dev/zero | tr '\0' n)" >"$mv_tmp/name.xml"
    define_err "$mv_tmp/name.xml"
    expect_match "a $len-byte name" "^XML error: invalid network name 'n{64}\.\.\.': names must be at most 243 bytes" \
        "$err1"
done
name_xml "$(head -c 238 /dev/zero | tr '\0' n)" >"$mv_tmp/name.xml"
define_err "$mv_tmp/name.xml"
expect_match "a 238-byte name" "^XML error: invalid network name 'n{64}\.\.\.': names must be at most 237 bytes" \
    "$err1"
printf '%s' "<network><name>a" >"$mv_tmp/nul.xml"
printf '\0b</name></network>' >>"$mv_tmp/nul.xml"
define_err "$mv_tmp/nul.xml"
expect_match "a NUL in the name" "^XML error" "$err1"
expect_eq "stored" "m1.xml" "$(cd "$NETDIR" && echo *.xml)"
verdict "names that are paths, dots, control characters or too long for netd's files: refused by name"

# 9: the longest name netd takes has a full life; nothing of it stays
long=$(head -c 237 /dev/zero | tr '\0' l)
cat >"$mv_tmp/long.xml" <<EOF
<network>
  <name>$long</name>
  <forward mode='nat'/>
  <bridge name='mvlong'/>
  <ip address='10.78.2.1' netmask='255.255.255.0'>
    <dhcp><range start='10.78.2.10' end='10.78.2.99'/><host mac='52:54:00:00:00:02' ip='10.78.2.2'/></dhcp>
  </ip>
</network>
EOF
for cmd in "net-define $mv_tmp/long.xml" "net-start $long" "net-info $long" "net-destroy $long" "net-undefine $long"; do
    nvsh $cmd
    [ "$rc" -eq 0 ] || expect_fail "virsh ${cmd:0:40}...: $(run_evidence)"
done
# (dnsmasq's log stays, as logs do)
leftover=$(find "$MV_ROOT" -path "$MV_ROOT/var/log" -prune -o -name "*$long*" -print)
expect_eq "files left of it" "" "$leftover"
verdict "a network with a 237-byte name is defined, started, destroyed and undefined without a trace"

# 10: bridge names
while read -r what bridge; do
    printf "<network><name>b1</name><bridge name='%s'/></network>\n" "$bridge" >"$mv_tmp/br.xml"
    define_err "$mv_tmp/br.xml"
    expect_match "$what" "^XML error: invalid interface name '.*' in <bridge name=\.\.\.>: at most 15 bytes" "$err1"
done <<'EOF'
16-bytes 0123456789abcdef
slash a/b
dotdot ..
dot .
space a b
colon a:b
empty
EOF
printf "<network><name>b2</name><forward mode='bridge'/><bridge name='../br0'/></network>\n" >"$mv_tmp/br.xml"
define_err "$mv_tmp/br.xml"
expect_match "a host bridge with a slash" "^XML error: invalid interface name '\.\./br0'" "$err1"
printf "<network><name>b3</name><bridge name='eth0'/></network>\n" >"$mv_tmp/br.xml"
nvsh net-define "$mv_tmp/br.xml"
nvsh net-start b3
expect_eq "starting on the uplink's name: exit status" 1 "$rc"
expect_match "starting on the uplink's name" "eth0" "$err"
expect_eq "the uplink is untouched" "$NT_UPLINK/24" "$(nt_host ip -o -4 addr show dev eth0 | awk '{ print $4 }')"
expect_eq "no bridge" 0 "$(nt_host ip -o link show type bridge | grep -vc mvm1)"
nvsh net-undefine b3
expect_eq "stored" "m1.xml" "$(cd "$NETDIR" && echo *.xml)"
verdict "bridge names over 15 bytes, with '/' or otherwise invalid are refused; a device not ours is left alone"

# 11: port and update XML
py - "$MV_URI" <<'EOF'
import sys, libvirt
from mvlibvirt import out, error_of
c = libvirt.open(sys.argv[1])
n = c.networkLookupByName("m1")
owner = "<owner><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1810</uuid><name>%s</name></owner>"
ports = {
    "doctype": '<!DOCTYPE networkport [<!ENTITY s SYSTEM "file:///etc/shadow">]><networkport>'
               + owner % "&s;" + "<mac address='52:54:00:ab:cd:02'/></networkport>",
    "unclosed": "<networkport>" + owner % "vm2",
    "badmac": "<networkport>" + owner % "vm2" + "<mac address='zz:54:00:ab:cd:02'/></networkport>",
    "nomac": "<networkport>" + owner % "vm2" + "</networkport>",
    "pathowner": "<networkport>" + owner % "../../etc/shadow" + "<mac address='52:54:00:ab:cd:03'/></networkport>",
}
for k, x in ports.items():
    out("port_" + k, error_of(lambda: n.portCreateXML(x).UUIDString()))
U = libvirt
for k, (cmd, sec, xml) in {
    "doctype": (U.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, U.VIR_NETWORK_SECTION_IP_DHCP_HOST,
                '<!DOCTYPE host [<!ENTITY a "b">]><host mac="52:54:00:00:00:05" ip="10.78.1.5"/>'),
    "unclosed": (U.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, U.VIR_NETWORK_SECTION_IP_DHCP_HOST, "<host"),
    "outside": (U.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, U.VIR_NETWORK_SECTION_IP_DHCP_HOST,
                "<host mac='52:54:00:00:00:05' ip='192.0.2.5'/>"),
    "command99": (99, U.VIR_NETWORK_SECTION_IP_DHCP_HOST, "<host mac='52:54:00:00:00:05' ip='10.78.1.5'/>"),
    "section99": (U.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, 99, "<host mac='52:54:00:00:00:05' ip='10.78.1.5'/>"),
}.items():
    out("update_" + k, error_of(lambda: n.update(cmd, sec, -1, xml, 0)))
out("update_index", error_of(lambda: n.update(U.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST,
                                              U.VIR_NETWORK_SECTION_IP_DHCP_HOST, 2**31 - 1,
                                              "<host mac='52:54:00:00:00:05' ip='10.78.1.5'/>", 0)))
out("ports", len(n.listAllPorts()))
EOF
expect_match "port XML with a DOCTYPE" "^EXC 27 19 XML error.*DOCTYPE" "$(kv port_doctype)"
expect_match "port XML unclosed" "^EXC 27 19 XML error" "$(kv port_unclosed)"
expect_match "port XML with a bad MAC" "^EXC [0-9]+ 19 .*zz:54:00:ab:cd:02" "$(kv port_badmac)"
expect_match "port XML without a MAC" "^EXC 27 19 XML error: missing <mac>" "$(kv port_nomac)"
expect_match "port owned by a path" "^EXC 27 19 XML error: invalid domain name '\.\./\.\./etc/shadow'" "$(kv port_pathowner)"
expect_match "update XML with a DOCTYPE" "^EXC 27 19 XML error.*DOCTYPE" "$(kv update_doctype)"
expect_match "update XML unclosed" "^EXC 27 19 XML error" "$(kv update_unclosed)"
expect_match "update: a host outside the subnet" "^EXC [0-9]+ 19 .*192\.0\.2\.5" "$(kv update_outside)"
expect_match "update command 99" "^EXC [0-9]+ 19 .*99" "$(kv update_command99)"
expect_match "update section 99" "^EXC [0-9]+ 19 .*99" "$(kv update_section99)"
expect_match "update parentIndex 2^31-1" "^EXC [0-9]+ 19 " "$(kv update_index)"
expect_eq "ports of m1 (vm1's alone)" 1 "$(kv ports)"
expect_nomatch "update: nothing reached the definition" "52:54:00:00:00:05" "$(cat "$NETDIR/m1.xml")"
[ -z "$err" ] || expect_fail "python: $err"
after_check
verdict "port and update XML: DOCTYPEs, broken XML, bad MACs and addresses, unknown commands refused"

# 12: values that would break out of their line in dnsmasq's configuration
# (an option of our choosing: dhcp-script runs its program as root) or out
# of their field
inj=0
while read -r where xml; do
    inj=$((inj + 1))
    printf "<network><name>inj</name><forward mode='nat'/><bridge name='mvinj'/>%s<ip address='10.78.4.1' netmask='255.255.255.0'><dhcp><range start='10.78.4.10' end='10.78.4.99'/>%s</dhcp></ip></network>\n" \
        "$([ "$where" = net ] && echo "$xml")" "$([ "$where" = dhcp ] && echo "$xml")" >"$mv_tmp/inj.xml"
    nvsh net-create "$mv_tmp/inj.xml"
    expect_eq "injection #$inj: exit status" 1 "$rc"
    expect_match "injection #$inj" "^error: XML error: .*(invalid value|one line)" "$(printf '%s\n' "$err" | tail -n 1)"
done <<'EOF'
net <domain name='a.example&#10;dhcp-script=/bin/evil'/>
net <dns><txt name='t' value='x&#10;dhcp-script=/bin/evil'/></dns>
net <dns><txt name='t' value='x"&#10;dhcp-script=/bin/evil'/></dns>
net <dns><host ip='10.78.4.5'><hostname>h&#10;dhcp-script=/bin/evil</hostname></host></dns>
net <dns><srv service='s&#10;dhcp-script=/bin/evil' protocol='tcp'/></dns>
net <dns><srv service='s' protocol='tcp' target='t' domain='d&#13;dhcp-script=/bin/evil'/></dns>
net <dns><forwarder domain='d&#10;dhcp-script=/bin/evil' addr='192.0.2.53'/></dns>
dhcp <host mac='52:54:00:00:00:05' name='h&#10;dhcp-script=/bin/evil' ip='10.78.4.5'/>
dhcp <host mac='52:54:00:00:00:05' name='h,10.78.4.6' ip='10.78.4.5'/>
EOF
for sec in "ip-dhcp-host <host mac='52:54:00:00:00:05' name='h&#10;dhcp-script=/bin/evil' ip='10.78.1.5'/>" \
    "dns-host <host ip='10.78.1.6'><hostname>h&#10;dhcp-script=/bin/evil</hostname></host>"; do
    nvsh net-update m1 add "${sec%% *}" "${sec#* }" --live
    expect_match "net-update m1 add ${sec%% *} with a newline" "^error: XML error: invalid value" \
        "$(printf '%s\n' "$err" | tail -n 1)"
done
expect_eq "dnsmasq files" "" "$(grep -rl 'dhcp-script' "$RUNDIR/dnsmasq" 2>/dev/null)"
expect_eq "no network inj" "" "$(nt_host ip -o link show mvinj 2>/dev/null)"
verdict "newlines, quotes and commas that would inject dnsmasq options are refused by name"

# 13: a 32 MiB packet aimed at a network procedure is read whole and answered
py - "$MV_RW" <<'EOF'
import struct, sys, mvrpc, mvnetrpc as m
c = m.connect(sys.argv[1], timeout=60)
total = 0x02000004
c.send_raw(struct.pack(">I", total) + mvrpc.HEADER.pack(mvrpc.REMOTE_PROG, 1, m.DEFINE_XML, 0, 900, 0) +
           m.u32(total - 32) + b"a" * (total - 32))
print("reply=%s" % m.outcome(c.reply_to(900, timeout=60)))
print("after=%s" % m.outcome(c.call(m.NUM_OF, b"")))
EOF
expect_eq "DEFINE_XML in a 32 MiB packet" "39 7 cannot decode the arguments of procedure NETWORK_DEFINE_XML" \
    "$(kv reply)"
expect_eq "the same connection afterwards" ok "$(kv after)"
[ -z "$err" ] || expect_fail "python: $err"
after_check
verdict "a 32 MiB packet for NETWORK_DEFINE_XML: 'cannot decode', the connection stays"

# 14: seeded random arguments for every network procedure
py - "$MV_RW" <<'EOF'
import random, sys, mvnetrpc as m
r = random.Random(20261206)
procs = sorted(set(m.RW_APIS) | set(m.RO_PROCS) | {m.EVENT_DEREGISTER_ANY})
answered = sent = 0
problems = []
for _ in range(10):
    c = m.connect(sys.argv[1], timeout=15)
    for _ in range(30):
        proc = r.choice(procs)
        body = bytes(r.getrandbits(8) for _ in range(r.choice((0, 4, 8, 24, 40, 64, 200))))
        sent += 1
        try:
            p = c.call(proc, body)
            if p.proc == proc:
                answered += 1
        except Exception as e:
            problems.append("proc %d body %s: %r" % (proc, body.hex(), e))
            break
    c.close()
print("fuzz=%d of %d answered" % (answered, sent))
print("problems=%s" % "; ".join(problems[:3]))
EOF
expect_eq "random calls" "300 of 300 answered" "$(kv fuzz)"
expect_eq "problems" "" "$(kv problems)"
[ -z "$err" ] || expect_fail "python: $err"
after_check
verdict "300 seeded random calls to network procedures are each answered"

# 15-16: a read-only client registers 256 times, then stops reading while
# 240 events fire; the client reports over files
rss_kib() { sed -n "s/^VmRSS:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"; }
printf '%s\n' "<network><name>ev</name><bridge name='mvev'/></network>" >"$mv_tmp/ev.xml"
cmds=
for _ in $(seq 120); do cmds+="net-define $mv_tmp/ev.xml; net-undefine ev; "; done
rss0=$(rss_kib "$MV_PID")
MV_CLIENT_TIMEOUT=120 isolated env PYTHONPATH="$MV_HELPERS" PYTHONDONTWRITEBYTECODE=1 "$MV_PY" - \
    "$MV_RO" "$mv_tmp/ev" >"$mv_tmp/ev.out" 2>"$mv_tmp/ev.err" <<'EOF' &
import os, sys, time, mvnetrpc as m
c = m.connect(sys.argv[1], timeout=30)
ok, last = 0, "none"
for i in range(257):
    p = c.call(m.EVENT_REGISTER_ANY, m.i32(0) + m.u32(0))
    if p.status == 0:
        ok += 1
    else:
        last = m.outcome(p)
with open(sys.argv[2] + ".reg.tmp", "w") as f:
    f.write("registered=%d\nrefused=%s\n" % (ok, last))
os.rename(sys.argv[2] + ".reg.tmp", sys.argv[2] + ".reg")
while not os.path.exists(sys.argv[2] + ".go"):
    time.sleep(0.05)
t = c.wait_closed(20)
with open(sys.argv[2] + ".end", "w") as f:
    f.write("closed=%s\n" % ("yes" if t is not None else "no"))
EOF
evpid=$!
for _ in $(seq 1200); do [ -f "$mv_tmp/ev.reg" ] && break; sleep 0.05; done
reg=$(cat "$mv_tmp/ev.reg" 2>/dev/null)
expect_eq "registrations accepted" 256 "$(kv registered "$reg")"
expect_eq "the 257th" "9 19 operation failed: this connection already has 256 network event registrations, the most one connection may hold" \
    "$(kv refused "$reg")"
verdict "a read-only connection may hold 256 network event registrations; the 257th is refused clearly"

MV_CLIENT_TIMEOUT=120 run isolated virsh -c "$MV_URI" "$cmds"
expect_eq "virsh net-define/net-undefine x120" 0 "$rc"
rss1=$(rss_kib "$MV_PID")
touch "$mv_tmp/ev.go"
for _ in $(seq 600); do [ -f "$mv_tmp/ev.end" ] && break; sleep 0.05; done
wait $evpid
expect_eq "the read-only client that never reads" "closed=yes" "$(cat "$mv_tmp/ev.end" 2>/dev/null)"
[ -s "$mv_tmp/ev.err" ] && expect_fail "python: $(cat "$mv_tmp/ev.err")"
expect_match "daemon log" 'bytes of events unread \(limit 1048576\); closing the connection' "$(cat "$MV_LOG")"
diag "RSS before ${rss0} KiB, after 240 events x 256 registrations unread ${rss1} KiB"
if ldd "$MV_NETD" 2>/dev/null | grep -q libasan; then
    diag "an AddressSanitizer build: its quarantine keeps freed memory, RSS is not bounded here"
else
    [ $((rss1 - rss0)) -lt 16384 ] || expect_fail "RSS grew by $((rss1 - rss0)) KiB"
fi
after_check
verdict "a read-only client that never reads its events is dropped; RSS +$((rss1 - rss0)) KiB"

# 17: nothing outside --root, nothing unexpected inside
expect_eq "/etc/shadow" "$shadow_sum" "$(sha256sum /etc/shadow)"
stray=$(find "$mv_tmp" -newer "$mv_tmp/marker" -type f ! -path "$MV_ROOT/*" \
    ! -path "$mv_tmp/home/*" ! -name '*.xml' ! -name '*.log' ! -name 'run.*' ! -name 'ev.*' ! -name 'notify*' -print)
expect_eq "new files in the test's directory outside --root" "" "$stray"
for f in /x.xml /etc/shadow.xml /etc/shadow.conf "$MV_ROOT/etc/modvirt/x.xml" "$MV_ROOT/run/modvirt/x.xml" \
    "$RUNDIR/x.conf"; do
    [ -e "$f" ] && expect_fail "$f exists"
done
expect_eq "configuration" "autostart m1.xml" "$(ls "$NETDIR" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "status files" "m1.xml" "$(cd "$RUNDIR" && echo *.xml)"
expect_eq "dnsmasq files" "m1.addnhosts m1.conf m1.hostsfile m1.leases m1.pid" \
    "$(ls "$RUNDIR/dnsmasq" | tr '\n' ' ' | sed 's/ $//')"
expect_eq "bridges" "mvm1" "$(nt_host ip -o link show type bridge | awk -F': ' '{ print $2 }' | tr '\n' ' ' | sed 's/ $//')"
verdict "no file outside --root; the configuration, status and dnsmasq files are m1's alone"

# 18
grep -E ': (error|critical):' "$MV_LOG" >"$mv_tmp/errors" && expect_fail "errors logged: $(head -n 5 "$mv_tmp/errors")"
verdict "nothing was logged as an error"

# 19
nvsh net-destroy m1
expect_eq "net-destroy m1" 0 "$rc"
expect_daemon_alive
verdict "the daemon is still running and serving at the end"

mv_done
