#!/bin/bash
# modvirt-proxyd in front of modvirt-qemud, -netd (in a network namespace
# of this script's own) and -storaged, driven by Debian's virsh and
# python3-libvirt through the proxy's socket: one connection sees domains,
# networks and pools; definitions reach their daemons; the test guest
# starts and boots; errors come back from the daemon that owns the object;
# the read-only socket is read-only at both ends; each leg carries its
# client's identity; a daemon that is down fails only its own calls, with a
# message naming it; malformed frames close only their own connection and
# never reach a daemon.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_PROXYD=$top_builddir/proxyd/modvirt-proxyd
MV_QEMUD=$top_builddir/qemud/modvirt-qemud
MV_NETD=$top_builddir/netd/modvirt-netd
MV_STORAGED=$top_builddir/storaged/modvirt-storaged
MV_DAEMON=$MV_PROXYD
MV_NEEDS="ip nft /usr/sbin/dnsmasq"
mv_init 13

# ---- the daemons: one root for the daemons, another for the proxy ----

. "$top_srcdir/tests/integration/proxy-daemons.sh"
proxy_daemons mvpxy$$
start proxyd "$MV_PROXYD" "$PROOT"
proxyd_pid=$started_pid
MV_PID=$proxyd_pid
MV_LOG=$mv_tmp/proxyd.log
MV_URI="qemu:///system?socket=$PROOT/run/libvirt/libvirt-sock"
MV_URI_RO="qemu:///system?socket=$PROOT/run/libvirt/libvirt-sock-ro"
mv_log_mark

# daemon_log_count NAME ERE: lines of NAME's log matching ERE
daemon_log_count() { grep -Ec -- "$2" "$mv_tmp/$1.log"; }

# 1
vsh "list --all ; net-list --all ; pool-list --all ; uri"
expect_eq "exit status" 0 "$rc"
expect_match "domain list header" "Id +Name +State" "$out"
expect_match "the default network (netd's)" "^ default +active" "$out"
expect_match "pool list header" "Name +State +Autostart" "$out"
expect_match "uri" "^qemu:///system" "$out"
expect_eq "stderr" "" "$err"
verdict "one virsh connection through the proxy lists domains, networks and pools"

# 2
cat >"$mv_tmp/d1.xml" <<EOF
<domain type='qemu'>
  <name>px1</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
</domain>
EOF
mkdir -p "$mv_tmp/pool1"
vsh "define $mv_tmp/d1.xml ; pool-define-as px-pool dir --target $mv_tmp/pool1 ; pool-start px-pool ; vol-create-as px-pool v1 1M ; net-define /dev/stdin" <<EOF
<network><name>pxnet</name><bridge name='pxbr0'/></network>
EOF
expect_eq "exit status" 0 "$rc"
expect_eq "stderr" "" "$err"
expect_eq "qemud's definition" yes "$([ -f "$DROOT/etc/modvirt/qemu/px1.xml" ] && echo yes)"
expect_eq "the volume" yes "$([ -f "$mv_tmp/pool1/v1" ] && echo yes)"
vsh "dominfo px1 ; vol-list px-pool ; net-info pxnet"
expect_match "domain" "^Name: +px1" "$out"
expect_match "volume" "^ v1 " "$out"
expect_match "network" "^Name: +pxnet" "$out"
verdict "definitions and a volume made through the proxy reach their daemons"

# 3: the test guest started, booted and destroyed through the proxy
guest_build 2>"$mv_tmp/guest.err"
case $? in
0)
    guest_domain_xml pxg "$mv_tmp/pxg.serial" >"$mv_tmp/pxg.xml"
    vsh "define $mv_tmp/pxg.xml ; start pxg"
    expect_eq "exit status" 0 "$rc"
    expect_match "started" "^Domain 'pxg' started" "$out"
    guest_wait_log "$mv_tmp/pxg.serial" GUEST-BOOTED-OK 90 || expect_fail "no GUEST-BOOTED-OK on the serial log"
    vsh "domstate pxg ; destroy pxg ; undefine pxg"
    expect_eq "exit status" 0 "$rc"
    expect_match "running before destroy" "^running" "$out"
    verdict "a domain defined and started through the proxy boots (GUEST-BOOTED-OK), then destroy and undefine"
    ;;
2) skip "cannot build the test guest: $(tail -n 1 "$mv_tmp/guest.err")" ;;
*) expect_fail "tests/guest/make-test-guest.sh failed: $(tail -n 3 "$mv_tmp/guest.err")"
   verdict "a domain defined and started through the proxy boots" ;;
esac

# 4 (python: virsh prints only "failed to get domain")
cat >"$mv_tmp/notfound.py" <<'EOF'
import sys, libvirt
c = libvirt.open(sys.argv[1])
for what, lookup in [("domain", c.lookupByName), ("network", c.networkLookupByName),
                     ("pool", c.storagePoolLookupByName)]:
    try:
        lookup("nosuch")
    except libvirt.libvirtError as e:
        print(what, e.get_error_code(), e.get_error_domain(), e.get_error_message())
EOF
py "$mv_tmp/notfound.py" "$MV_URI"
expect_eq "exit status" 0 "$rc"
expect_eq "errors" "domain 42 10 Domain not found: no domain with matching name 'nosuch'
network 43 19 Network not found: no network with matching name 'nosuch'
pool 49 18 Storage pool not found: no storage pool with matching name 'nosuch'" "$out"
verdict "errors come back from the daemon that owns the object, as it words them"

# 5
n_ro=$(daemon_log_count netd 'connected: .*\(read-only\)')
run isolated virsh -c "$MV_URI_RO" "net-list --all ; net-undefine pxnet"
expect_match "read-only listing works" "^ default +active" "$out"
expect_match "undefine refused" "read only access prevents virNetworkUndefine" "$err"
expect_eq "network still defined" yes "$([ -f "$DROOT/etc/modvirt/network/pxnet.xml" ] && echo yes)"
expect_eq "netd saw one more read-only client (the proxy's leg on netd-sock-ro)" \
    $((n_ro + 1)) "$(daemon_log_count netd 'connected: .*\(read-only\)')"
expect_match "the leg is on the ro socket" "leg to modvirt-netd \($DROOT/run/modvirt/netd-sock-ro\) ready" \
    "$(cat "$MV_LOG")"
verdict "a client of the read-only socket gets legs on the daemons' read-only sockets"

# 6
run isolated setpriv --reuid=65534 --regid=65534 --clear-groups virsh -c "$MV_URI_RO" net-list --all
expect_match "nobody lists networks" "^ default +active" "$out"
expect_match "netd runs the calls as the client" \
    "its root peer forwards the identity uid 65534 \([^)]*\) gid 65534 \([^)]*\) pid [0-9]+" \
    "$(grep 'forwards the identity' "$mv_tmp/netd.log")"
verdict "a leg carries its client's identity (CONNECT_SET_IDENTITY): netd sees uid 65534, not the proxy's root"

# 7: python3-libvirt, one connection while storaged goes away
cat >"$mv_tmp/down.py" <<'EOF'
import os, sys, time, libvirt
uri, pid = sys.argv[1], int(sys.argv[2])
c = libvirt.open(uri)
print("pools", len(c.listAllStoragePools()))
os.kill(pid, 15)
# the proxy notices the end of its leg; wait (bounded) until storaged is gone
for _ in range(200):
    try:
        os.kill(pid, 0)
        time.sleep(0.05)
    except ProcessLookupError:
        break
try:
    c.listAllStoragePools()
    print("pools after stop: no error")
except libvirt.libvirtError as e:
    print("pool error:", e.get_error_message())
print("domains", [d.name() for d in c.listAllDomains()])
print("networks", sorted(n.name() for n in c.listAllNetworks()))
try:
    c.listAllStoragePools()
except libvirt.libvirtError as e:
    print("pool error again:", e.get_error_message())
c.close()
EOF
py "$mv_tmp/down.py" "$MV_URI" "$storaged_pid"
wait "$storaged_pid" 2>/dev/null
expect_eq "exit status" 0 "$rc"
expect_match "pools before" "^pools 1$" "$out"
expect_match "named failure" "^pool error: modvirt-storaged (closed the connection|is not running) \(socket $DROOT/run/modvirt/storaged-sock\)" "$out"
expect_match "domains still answer" "^domains \['px1'\]$" "$out"
expect_match "networks still answer" "^networks \['default', 'pxnet'\]$" "$out"
expect_match "next call: not running" "^pool error again: modvirt-storaged is not running \(socket $DROOT/run/modvirt/storaged-sock\)" "$out"
verdict "storaged down: its calls fail naming it, domains and networks keep answering"

# 8
start storaged "$MV_STORAGED" "$DROOT"
vsh "pool-list --all"
expect_match "the pool is back" "^ px-pool +active" "$out"
verdict "storaged back: the next connection reaches it again"

# 9: malformed frames: only that connection closes, no daemon sees them
cat >"$mv_tmp/bad.py" <<'EOF'
import struct, sys, mvrpc
path = sys.argv[1]
good = mvrpc.Conn(path).handshake()
print("hostname", good.hostname() != "")
for name, data in [("short length", struct.pack(">I", 8) + b"\0" * 4),
                   ("huge length", struct.pack(">I", 0x7fffffff))]:
    bad = mvrpc.Conn(path).handshake()
    bad.send_raw(data)
    t = bad.wait_closed(10)
    print(name, "closed" if t is not None else "still open")
    print("other client still answers", good.hostname() != "")
# a well-framed packet of no known type is dropped, as libvirt does: the
# connection goes on
odd = mvrpc.Conn(path).handshake()
odd.send_raw(struct.pack(">I", 28) + b"\xff" * 24)
print("unknown type dropped, connection answers", odd.hostname() != "")
EOF
n_qemud=$(daemon_log_count qemud 'connected: ')
py "$mv_tmp/bad.py" "$PROOT/run/libvirt/libvirt-sock"
expect_eq "exit status" 0 "$rc"
expect_eq "answers" "hostname True
short length closed
other client still answers True
huge length closed
other client still answers True
unknown type dropped, connection answers True" "$out"
expect_eq "qemud connections (the good and the odd client's legs)" $((n_qemud + 2)) \
    "$(daemon_log_count qemud 'connected: ')"
expect_eq "qemud saw no malformed packet" 0 "$(daemon_log_count qemud 'malformed')"
expect_eq "proxyd logged them" 2 "$(grep -c 'malformed packet' "$MV_LOG")"
verdict "malformed frames close only their connection at the proxy and never reach a daemon"

# 10: framing is checked at the proxy, arguments at the daemon: a
# well-framed CALL whose arguments do not decode reaches netd, which answers
# it, and the leg (one netd connection) goes on serving the client
cat >"$mv_tmp/badargs.py" <<'EOF'
import struct, sys, mvrpc
c = mvrpc.Conn(sys.argv[1]).handshake()
# NETWORK_LOOKUP_BY_NAME (46) whose name claims 4 GiB
p = c.call(46, struct.pack(">I", 0xfffffff0))
print("status=%d" % p.status)
print("message=%s" % p.error()["message"])
p = c.call(52)      # CONNECT_NUM_OF_NETWORKS, on the same leg
print("next=%d" % p.status)
EOF
n_netd=$(daemon_log_count netd 'connected: ')
py "$mv_tmp/badargs.py" "$PROOT/run/libvirt/libvirt-sock"
expect_eq "exit status" 0 "$rc"
expect_eq "status" 1 "$(kv status)"
expect_match "netd's words" "^cannot decode the arguments of procedure " "$(kv message)"
expect_eq "the leg goes on" 0 "$(kv next)"
expect_eq "netd connections (one leg)" $((n_netd + 1)) "$(daemon_log_count netd 'connected: ')"
verdict "a CALL with undecodable arguments: the daemon answers it, the leg keeps working"

# 11: a root client's CONNECT_SET_IDENTITY after a forwarded call is
# refused (the legs keep the identity they were given); before any, taken
cat >"$mv_tmp/lateid.py" <<'EOF'
import sys, mvrpc
ident = mvrpc.identity_params(65534, 65534, 1)
c = mvrpc.Conn(sys.argv[1]).handshake()
print("early=%d" % c.set_identity(ident).status)
c = mvrpc.Conn(sys.argv[1]).handshake()
print("forwarded=%d" % c.call(52).status)
p = c.set_identity(ident)
print("late=%d" % p.status)
print("message=%s" % (p.error()["message"] if p.status else ""))
EOF
py "$mv_tmp/lateid.py" "$PROOT/run/libvirt/libvirt-sock"
expect_eq "exit status" 0 "$rc"
expect_eq "before any call" 0 "$(kv early)"
expect_eq "a forwarded call" 0 "$(kv forwarded)"
expect_eq "after it" 1 "$(kv late)"
expect_match "the cause named" "modvirt-proxyd: virConnectSetIdentity after calls were forwarded" "$(kv message)"
verdict "CONNECT_SET_IDENTITY after calls were forwarded is refused, naming the cause"

# 12: clean up through the proxy
vsh "undefine px1 ; vol-delete v1 --pool px-pool ; pool-destroy px-pool ; pool-undefine px-pool ; net-undefine pxnet"
expect_eq "exit status" 0 "$rc"
expect_eq "stderr" "" "$err"
verdict "undefine, vol-delete, pool-destroy/undefine through the proxy"

# 13
stop_pid "$proxyd_pid"
expect_eq "proxyd exit status" 0 "$stop_status"
expect_eq "sockets removed" "" "$(ls "$PROOT/run/libvirt" 2>/dev/null)"
verdict "proxyd stops on SIGTERM and removes its sockets"

mv_done
