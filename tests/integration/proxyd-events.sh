#!/bin/bash
# Events through modvirt-proxyd: qemud, netd, storaged and the proxy on one
# --root, in network namespaces of the test's own (netns.sh).
#   - at the wire: the callback ids one client gets from three daemons (each
#     numbering its own from 1) are distinct; an id the client does not hold
#     is refused as libvirt's daemon words it;
#   - one python3-libvirt connection through the proxy socket gets domain,
#     network and storage pool lifecycle events together;
#   - kill -9 qemud and start it again: the proxy re-registers the client's
#     callbacks, so the same python callbacks and a `virsh event --loop --all`
#     running across the restart keep getting domain events, and network
#     events never stopped;
#   - a callback deregistered after that replay is gone (the proxy sent the
#     new daemon's id), the others stay; deregistering all at the end works.
# Every wait has a deadline: the event a step waits for, or a marker event
# behind it in the same ordered stream.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"
. "$top_srcdir/tests/integration/netns.sh"

MV_PROXYD=$top_builddir/proxyd/modvirt-proxyd
MV_STORAGED=$top_builddir/storaged/modvirt-storaged
MV_NEEDS="qemu-system-x86_64 ip nft $MV_NETD $MV_STORAGED $MV_PROXYD"
PLAN=6
EVENT_S=20                      # an event a step caused must arrive within this
LISTEN_S=600                    # the background listeners' own limit

guest_test_init $PLAN
nt_init

QLOG=$mv_tmp/qemud.log
start_in_host() {               # NAME BINARY LOG: started and ready in "host"; pid in spawned_pid
    nt_spawn "$2" "$3"
    nt_ready "$1" "$spawned_pid" "$3"
}
start_in_host modvirt-netd "$MV_NETD" "$mv_tmp/netd.log"
start_in_host modvirt-storaged "$MV_STORAGED" "$mv_tmp/storaged.log"
start_in_host modvirt-qemud "$MV_QEMUD" "$QLOG"
QEMUD_PID=$spawned_pid
start_in_host modvirt-proxyd "$MV_PROXYD" "$mv_tmp/proxyd.log"
# the verdicts show the proxy's log and watch the proxy
MV_PID=$spawned_pid
MV_LOG=$mv_tmp/proxyd.log
mv_log_mark

PROXY_SOCK=$MV_ROOT/run/libvirt/libvirt-sock
PROXY_URI="qemu:///system?socket=$PROXY_SOCK"
pvsh() { run isolated virsh -c "$PROXY_URI" "$@"; }
pvsh_ok() { pvsh "$@"; [ "$rc" -eq 0 ] || expect_fail "virsh $* through the proxy: $(run_evidence)"; }

# has FILE TEXT: FILE has a line containing TEXT
has() { grep -qF -- "$2" "$1"; }
# wait_line FILE TEXT: the line shows up within EVENT_S, or the case fails
wait_line() {
    nt_wait "$EVENT_S" has "$1" "$2" ||
        expect_fail "no line '$2' in $1 within $EVENT_S s; it has: $(tail -n 12 "$1" | tr '\n' '|')"
}
# mark_files: remember how long the listeners' outputs are; since FILE
# prints what came after, wait_new FILE TEXT waits for TEXT there
declare -A marks
mark_files() { local f; for f in "$PYL" "$VEV"; do marks[$f]=$(wc -l <"$f"); done; }
since() { tail -n +$((${marks[$1]} + 1)) "$1"; }
has_new() { since "$1" | grep -qF -- "$2"; }
wait_new() {
    nt_wait "$EVENT_S" has_new "$1" "$2" ||
        expect_fail "no new line '$2' in $1 within $EVENT_S s; since the mark: $(since "$1" | tail -n 12 | tr '\n' '|')"
}

guest_domain_xml d1 "$mv_tmp/d1.log" >"$mv_tmp/d1.xml"
printf "<domain type='qemu'><name>d2</name><memory>65536</memory><os><type arch='x86_64'>hvm</type></os></domain>\n" \
    >"$mv_tmp/d2.xml"
printf "<network><name>n1</name><bridge name='evbr%s'/><ip address='192.168.151.1' netmask='255.255.255.0'/></network>\n" \
    "$NT_N" >"$mv_tmp/n1.xml"
pool_dir=$mv_tmp/p1
printf "<pool type='dir'><name>p1</name><target><path>%s</path></target></pool>\n" "$pool_dir" >"$mv_tmp/p1.xml"
# d1 exists before the listener: one of its callbacks is for d1 alone
vsh define "$mv_tmp/d1.xml"
[ "$rc" -eq 0 ] || { echo "Bail out! define d1 at qemud: $(run_evidence)"; exit 1; }

# 1
py - "$PROXY_SOCK" <<'EOF'
import struct, sys, mvrpc
c = mvrpc.Conn(sys.argv[1]).handshake(keepalive=True)
def register(proc):
    p = c.call(proc, struct.pack(">iI", 0, 0))      # eventID 0, no object filter
    return struct.unpack(">i", p.body[:4])[0] if p.status == mvrpc.OK else "ERR %r" % (p.error(),)
ids = {"dom": register(316), "net": register(313), "pool": register(368)}
for k, v in ids.items():
    print("%s=%s" % (k, v))
print("distinct=%d" % len(set(ids.values())))
e = c.call(314, struct.pack(">i", 4242))
print("unknown=%s" % ("%d %d %s" % (e.error()["code"], e.error()["domain"], e.error()["message"])
                      if e.status != mvrpc.OK else "accepted"))
for k, proc in (("dom", 317), ("net", 314), ("pool", 369)):
    p = c.call(proc, struct.pack(">i", ids[k]))
    print("dereg_%s=%s" % (k, "ok" if p.status == mvrpc.OK else p.error()["message"]))
EOF
[ "$rc" -eq 0 ] || expect_fail "the raw client failed: $(run_evidence)"
expect_eq "distinct callback ids of domain, network, pool ($(kv dom) $(kv net) $(kv pool))" 3 "$(kv distinct)"
expect_eq "an unknown id" "39 7 network event callback 4242 not registered" "$(kv unknown)"
for k in dom net pool; do expect_eq "deregister $k" ok "$(kv "dereg_$k")"; done
verdict "at the wire: one client's callback ids from three daemons are distinct; an unknown id is refused as libvirt does"

# The listener: one python3-libvirt connection through the proxy.  It
# registers (and drops) a reboot callback first, so qemud's ids for the
# lifecycle ones are 2 and 3 before qemud's restart and 1 and 2 after the
# replay: a deregistration after it only works with the new daemon's ids.
# Commands are files in $cmd (polled from the event loop).
cmd=$mv_tmp/cmd
mkdir -p "$cmd"
PYL=$mv_tmp/python.out
VEV=$mv_tmp/virsh-event.out
cat >"$mv_tmp/listener.py" <<'EOF'
import os, sys, time, libvirt
uri, cmddir, limit = sys.argv[1], sys.argv[2], float(sys.argv[3])
libvirt.registerErrorHandler(lambda ctx, err: None, None)
libvirt.virEventRegisterDefaultImpl()
conn = libvirt.open(uri)
def out(line):
    print(line, flush=True)
def dom_cb(tag):
    return lambda c, d, ev, det, o: out("dom %s '%s' %d %d" % (tag, d.name(), ev, det))
dummy = conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, lambda *a: None, None)
conn.domainEventDeregisterAny(dummy)
cbs = {
    "A": ("dom", conn.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, dom_cb("A"), None)),
    "B": ("dom", conn.domainEventRegisterAny(conn.lookupByName("d1"), libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE,
                                             dom_cb("B"), None)),
    "net": ("net", conn.networkEventRegisterAny(
        None, libvirt.VIR_NETWORK_EVENT_ID_LIFECYCLE,
        lambda c, n, ev, det, o: out("net '%s' %d %d" % (n.name(), ev, det)), None)),
    "pool": ("pool", conn.storagePoolEventRegisterAny(
        None, libvirt.VIR_STORAGE_POOL_EVENT_ID_LIFECYCLE,
        lambda c, p, ev, det, o: out("pool '%s' %d %d" % (p.name(), ev, det)), None)),
}
dereg = {"dom": conn.domainEventDeregisterAny, "net": conn.networkEventDeregisterAny,
         "pool": conn.storagePoolEventDeregisterAny}
state = {"quit": False}
def drop(tag):
    kind, cid = cbs.pop(tag)
    try:
        dereg[kind](cid)
        out("DEREG %s ok" % tag)
    except libvirt.libvirtError as e:
        out("DEREG %s EXC %s" % (tag, e.get_error_message()))
def poll(timer, opaque):
    for name in sorted(os.listdir(cmddir)):
        os.unlink(os.path.join(cmddir, name))
        if name.startswith("dereg-"):
            drop(name[len("dereg-"):])
        elif name == "quit":
            for tag in sorted(cbs):
                drop(tag)
            state["quit"] = True
libvirt.virEventAddTimeout(100, poll, None)
out("READY")
end = time.monotonic() + limit
while not state["quit"] and time.monotonic() < end:
    libvirt.virEventRunDefaultImpl()
conn.close()
out("BYE")
EOF
MV_CLIENT_TIMEOUT=$LISTEN_S isolated env PYTHONDONTWRITEBYTECODE=1 "$MV_PY" "$mv_tmp/listener.py" \
    "$PROXY_URI" "$cmd" "$LISTEN_S" >"$PYL" 2>"$mv_tmp/python.err" &
PY_BG=$!
at_exit "stop_bg $PY_BG"
MV_CLIENT_TIMEOUT=$LISTEN_S isolated virsh -c "$PROXY_URI" event --loop --all >"$VEV" 2>"$mv_tmp/virsh-event.err" &
VEV_BG=$!
at_exit "stop_bg $VEV_BG"
nt_wait "$EVENT_S" has "$PYL" READY ||
    { echo "Bail out! the python listener did not start: $(cat "$mv_tmp/python.err")"; exit 1; }
event_marker "$VEV"

# 2
pvsh_ok define "$mv_tmp/d2.xml"
pvsh_ok start d1
pvsh_ok net-define "$mv_tmp/n1.xml"
pvsh_ok net-start n1
pvsh_ok pool-define "$mv_tmp/p1.xml"
wait_line "$PYL" "dom A 'd2' 0 "          # defined
wait_line "$PYL" "dom A 'd1' 2 "          # started
wait_line "$PYL" "dom B 'd1' 2 "
wait_line "$PYL" "net 'n1' 0 "            # defined
wait_line "$PYL" "net 'n1' 2 "            # started
wait_line "$PYL" "pool 'p1' 0 "           # defined
wait_line "$VEV" "for domain 'd1': Started"
has "$PYL" "dom B 'd2'" && expect_fail "d1's own callback got d2's event"
verdict "one python3-libvirt connection through the proxy gets domain, network and pool events together"

# 3
kill -9 "$QEMUD_PID"
wait_exit "$QEMUD_PID" 10 || expect_fail "qemud (pid $QEMUD_PID) did not die of SIGKILL"
py - "$PROXY_URI" <<'EOF2'
import sys, libvirt
from mvlibvirt import out, error_of
conn = libvirt.open(sys.argv[1])
out("away", error_of(lambda: conn.lookupByName("d1")))
EOF2
expect_match "a domain call while qemud is away" "modvirt-qemud is not running" "$(kv away)"
pvsh_ok net-info n1
expect_match "netd still answers through the proxy" "^Active:[[:space:]]+yes" "$out"
start_in_host modvirt-qemud "$MV_QEMUD" "$QLOG"
QEMUD_PID=$spawned_pid
# the proxy reconnects and replays on its own: markers (defined and
# undefined at qemud until the listener reports them) show when it did
event_marker "$PYL"
event_marker "$VEV"
pvsh_ok destroy d1
wait_line "$PYL" "dom A 'd1' 5 "          # stopped
wait_line "$PYL" "dom B 'd1' 5 "
wait_line "$VEV" "for domain 'd1': Stopped"
pvsh_ok net-destroy n1
wait_line "$PYL" "net 'n1' 3 "
grep -q "re-registering" "$MV_LOG" || expect_fail "the proxy's log does not show the replay"
verdict "kill -9 qemud and restart: the same python callbacks and virsh event --loop keep getting events"

# 4
touch "$cmd/dereg-A"
wait_line "$PYL" "DEREG A"
expect_eq "deregistering A after the replay" "DEREG A ok" "$(grep '^DEREG A' "$PYL")"
mark_files
pvsh_ok start d1
wait_new "$PYL" "dom B 'd1' 2 "
wait_new "$VEV" "for domain 'd1': Started"
pvsh_ok destroy d1
# B's stop comes after every copy of the start event in qemud's ordered
# stream: had A stayed registered at qemud, its start line would be there
wait_new "$PYL" "dom B 'd1' 5 "
wait_new "$VEV" "for domain 'd1': Stopped"
expect_nomatch "A after its deregistration" "^dom A " "$(since "$PYL")"
verdict "a callback deregistered after the replay gets nothing more; the other callbacks and virsh keep theirs"

# 5
touch "$cmd/quit"
nt_wait "$EVENT_S" has "$PYL" BYE || expect_fail "the listener did not finish: $(tail -n 5 "$PYL" | tr '\n' '|')"
for tag in B net pool; do
    expect_eq "deregistering $tag at the end" "DEREG $tag ok" "$(grep "^DEREG $tag " "$PYL")"
done
wait "$PY_BG"
expect_eq "the listener's exit status" 0 "$?"
[ -s "$mv_tmp/python.err" ] && expect_fail "the listener wrote to stderr: $(cat "$mv_tmp/python.err")"
verdict "every callback deregisters at the end through the proxy"

# 6
stop_bg "$VEV_BG"
pvsh_ok undefine d2
pvsh_ok undefine d1
pvsh_ok pool-undefine p1
pvsh_ok net-undefine n1
expect_daemon_alive
verdict "the proxy outlives all of it and still answers"

mv_done
