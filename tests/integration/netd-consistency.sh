#!/bin/bash
# modvirt-netd keeps what clients see, what it stores and what dnsmasq
# serves in step when a change races another or fails half-way:
#  1. two clients undefine and define the same network in a loop while a
#     third listens for its lifecycle events: UNDEFINED never follows
#     UNDEFINED, and the last event says what the final state is;
#  2. a live net-update whose status file cannot be written (the run
#     directory read-only in netd's own mount namespace) fails, and
#     dnsmasq's hosts file, the live XML and the status keep the old hosts;
#  3. one whose dnsmasq hosts files cannot be written fails likewise, and
#     the status written before it is put back;
#  4. a port whose file cannot be removed (its directory read-only) is not
#     deleted: the call fails naming it, the port stays listed and on disk,
#     and a later delete works;
#  5. dnsmasq writes its own log lines to <logdir>/network/NAME-dnsmasq.log.
# The read-only bind mounts exist only in netd's mount namespace (ip netns
# exec gives it one of its own); nothing is made read-only for anyone else.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns.sh"

MV_DAEMON=$MV_NETD
MV_NEEDS="ip nft nsenter mount umount /usr/sbin/dnsmasq"
mv_init 6
nt_init
MV_ROOT=$mv_tmp/root
RUNDIR=$MV_ROOT/run/modvirt/network
LOGDIR=$MV_ROOT/var/log/modvirt/network
nt_no_default
MV_RW=$MV_ROOT/run/modvirt/netd-sock
MV_URI=$(nt_netd_uri)
nt_netd_up

# in_netd CMD...: CMD in netd's mount namespace
in_netd() { nsenter -t "$MV_PID" -m "$@"; }
# ro_dir DIR [KEEP]: DIR read-only for netd; KEEP, a directory below it,
# stays writable (bound first, so the recursive bind carries it along and
# the remount, which is not recursive, leaves it alone)
ro_dir() {
    local keep=${2:-}
    { [ -z "$keep" ] || in_netd mount --bind "$keep" "$keep"; } &&
        in_netd mount --rbind "$1" "$1" && in_netd mount -o remount,bind,ro "$1"
}
# rw_dir DIR [KEEP]: undoes ro_dir
rw_dir() {
    in_netd umount -R "$1" && { [ -z "${2:-}" ] || in_netd umount "$2"; }
}

# 1
py - "$MV_URI" <<'EOF'
import sys, threading, time, libvirt
from mvlibvirt import out
uri = sys.argv[1]
XML = "<network><name>r1</name><uuid>6a1f0d54-9c3b-4f57-8f0e-33b1c2a4d001</uuid><bridge name='mvr1'/></network>"
MARK = "<network><name>rmark</name><bridge name='mvrmark'/></network>"
libvirt.virEventRegisterDefaultImpl()
listener = libvirt.open(uri)
events, lock, marked = [], threading.Lock(), threading.Event()
def on_event(conn, net, event, detail, opaque):
    with lock:
        if net.name() == "r1":
            events.append(event)
        elif net.name() == "rmark" and event == libvirt.VIR_NETWORK_EVENT_UNDEFINED:
            marked.set()
listener.networkEventRegisterAny(None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE, on_event, None)
stop = False
def loop():
    while not stop:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=loop, daemon=True).start()
def worker(fn):
    c = libvirt.open(uri)
    for _ in range(400):
        try:
            fn(c)
        except libvirt.libvirtError:
            pass        # the other side won this round
definer = threading.Thread(target=worker, args=(lambda c: c.networkDefineXML(XML),))
undefiner = threading.Thread(target=worker, args=(lambda c: c.networkLookupByName("r1").undefine(),))
definer.start(); undefiner.start(); definer.join(); undefiner.join()
c = libvirt.open(uri)
try:
    c.networkLookupByName("r1")
    final = libvirt.VIR_NETWORK_EVENT_DEFINED
except libvirt.libvirtError:
    final = libvirt.VIR_NETWORK_EVENT_UNDEFINED
# one ordered stream per client: once the marker's UNDEFINED is here, so is every r1 event
c.networkDefineXML(MARK).undefine()
out("marked", marked.wait(20))
with lock:
    seq = list(events)
out("events", len(seq))
out("double_undefined", any(a == b == libvirt.VIR_NETWORK_EVENT_UNDEFINED for a, b in zip(seq, seq[1:])))
out("last_matches", bool(seq) and seq[-1] == final)
out("final", final)
try:
    c.networkLookupByName("r1").undefine()
except libvirt.libvirtError:
    pass
stop = True
EOF
[ -z "$err" ] || expect_fail "python: $err"
expect_eq "the marker's event arrived" True "$(kv marked)"
expect_eq "UNDEFINED twice in a row" False "$(kv double_undefined)"
expect_eq "the last event of r1 matches its final state ($(kv final), $(kv events) events)" True "$(kv last_matches)"
verdict "racing undefine and define: the events of a name follow its states"

# a running network with DHCP, for the updates and ports
cat >"$mv_tmp/u1.xml" <<'EOF'
<network>
  <name>u1</name>
  <bridge name='mvu1'/>
  <ip address='10.79.1.1' netmask='255.255.255.0'>
    <dhcp><range start='10.79.1.10' end='10.79.1.99'/></dhcp>
  </ip>
</network>
EOF
nvsh_ok net-define "$mv_tmp/u1.xml"
nvsh_ok net-start u1
mv_log_mark
host1="<host mac='52:54:00:00:07:01' name='h1' ip='10.79.1.41'/>"
host2="<host mac='52:54:00:00:07:02' name='h2' ip='10.79.1.42'/>"
# nothing_of MAC: the hosts file, live XML and status of u1 do not know MAC
nothing_of() {
    expect_nomatch "hosts file" "$1" "$(cat "$RUNDIR/dnsmasq/u1.hostsfile")"
    expect_nomatch "status file" "$1" "$(cat "$RUNDIR/u1.xml")"
    nvsh net-dumpxml u1
    expect_nomatch "live XML" "$1" "$out"
}

# 2
if ro_dir "$RUNDIR" "$RUNDIR/dnsmasq"; then
    nvsh net-update u1 add ip-dhcp-host "$host1" --live
    rw_dir "$RUNDIR" "$RUNDIR/dnsmasq" || expect_fail "cannot undo the read-only bind of $RUNDIR"
    expect_eq "exit status" 1 "$rc"
    expect_match "error" "u1.*Read-only file system" "$err"
    nothing_of 52:54:00:00:07:01
else
    expect_fail "cannot bind $RUNDIR read-only in netd's mount namespace"
fi
verdict "a live update whose status cannot be written leaves dnsmasq's hosts, the live XML and the status alone"

# 3
if ro_dir "$RUNDIR/dnsmasq"; then
    nvsh net-update u1 add ip-dhcp-host "$host2" --live
    rw_dir "$RUNDIR/dnsmasq" || expect_fail "cannot undo the read-only bind of $RUNDIR/dnsmasq"
    expect_eq "exit status" 1 "$rc"
    expect_match "error" "u1.*Read-only file system" "$err"
    nothing_of 52:54:00:00:07:02
else
    expect_fail "cannot bind $RUNDIR/dnsmasq read-only in netd's mount namespace"
fi
nvsh net-update u1 add ip-dhcp-host "$host2" --live
expect_eq "the same update afterwards" 0 "$rc"
expect_match "then in the hosts file" "52:54:00:00:07:02" "$(cat "$RUNDIR/dnsmasq/u1.hostsfile")"
expect_match "and in the status" "52:54:00:00:07:02" "$(cat "$RUNDIR/u1.xml")"
verdict "a live update whose hosts files cannot be written puts the status back"

# 4
portxml="<networkport><owner><uuid>c7a5fdbd-edaf-9455-926a-d65c16db1871</uuid><name>vm1</name></owner><mac address='52:54:00:ab:07:01'/></networkport>"
py - "$MV_URI" "$portxml" <<'EOF'
import sys, libvirt
print("port=%s" % libvirt.open(sys.argv[1]).networkLookupByName("u1").portCreateXML(sys.argv[2]).UUIDString())
EOF
port=$(kv port)
[ -n "$port" ] || { echo "Bail out! cannot create a port on u1: $(run_evidence)"; exit 1; }
# port_delete: python3-libvirt deletes the port (virsh's message would hide the daemon's)
port_delete() {
    py - "$MV_URI" "$port" <<'EOF'
import sys, libvirt
from mvlibvirt import out, error_of
c = libvirt.open(sys.argv[1])
out("delete", error_of(c.networkLookupByName("u1").portLookupByUUIDString(sys.argv[2]).delete))
EOF
}
if ro_dir "$RUNDIR/ports"; then
    port_delete
    rw_dir "$RUNDIR/ports" || expect_fail "cannot undo the read-only bind of $RUNDIR/ports"
    expect_match "error" "^EXC 38 19 cannot remove the file '[^']*' of port $port of network 'u1': Read-only file system\$" \
        "$(kv delete)"
    nvsh net-port-list u1 --uuid
    expect_eq "still listed" "$port" "$out"
    expect_eq "its file" yes "$([ -f "$RUNDIR/ports/$port.xml" ] && echo yes || echo no)"
else
    expect_fail "cannot bind $RUNDIR/ports read-only in netd's mount namespace"
fi
port_delete
expect_eq "a delete afterwards" "no error" "$(kv delete)"
nvsh net-port-list u1 --uuid
expect_eq "then not listed" "" "$out"
expect_eq "nor on disk" no "$([ -f "$RUNDIR/ports/$port.xml" ] && echo yes || echo no)"
verdict "a port whose file cannot be removed stays, and the delete fails naming it"

# 5
log=$LOGDIR/u1-dnsmasq.log
nt_wait 10 grep -q "started" "$log" || expect_fail "no 'started' line from dnsmasq in $log"
expect_eq "owner" "$(stat -c %U "/proc/$(sed -n "s/.*<dnsmasq pid='\([0-9]*\)'.*/\1/p" "$RUNDIR/u1.xml")")" \
    "$(stat -c %U "$log" 2>/dev/null)"
verdict "dnsmasq logs to $log, a file of its own user"

# 6
nvsh net-destroy u1
nvsh net-undefine u1
expect_daemon_alive
bad=$(grep -E ': (error|critical):' "$MV_LOG")
expect_eq "errors in the daemon log" "" "$bad"
verdict "the daemon is running and logged no error"

mv_done
