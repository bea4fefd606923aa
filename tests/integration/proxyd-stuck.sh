#!/bin/bash
# modvirt-proxyd in front of modvirt-qemud and modvirt-netd (one --root;
# netd in a network namespace of the script's own), driven by
# python3-libvirt through the proxy's libvirt-sock, while netd misbehaves
# behind the proxy's back:
#
#  - netd stopped (SIGSTOP): a network call that reached netd hangs, and
#    meanwhile domain calls on the same connection and on others complete;
#    the hung calls then fail (after upstream_timeout) with "modvirt-netd is
#    not answering (socket ...)", on the old leg and on a new connection;
#  - netd continued: network calls work again on the same connections;
#  - netd killed: network calls fail at once with "modvirt-netd is not
#    running (socket ...)" (no wait for a timeout: that is the other
#    message), domain calls keep answering, virsh shows the message;
#  - netd restarted: network calls work again on the same connections.
#
# One python process keeps its connections across all of it (libvirt ones,
# and a raw one for several calls in flight on one connection, which the
# libvirt client does not do reliably); the script changes netd between its
# steps (SYNC lines and a FIFO).  Every ordering is asserted by events: the
# call seen in netd's socket queue, its reply not yet come when other calls'
# replies came (one ordered stream per connection); never by a clock.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_QEMUD=$top_builddir/qemud/modvirt-qemud
MV_DAEMON=$top_builddir/netd/modvirt-netd
MV_NEEDS="ip ss"
MV_NEEDS_PROXY=yes
MV_VIA_PROXY=0      # the script starts its proxy itself
# seconds the proxy waits for a daemon's answer before declaring it stuck
UPSTREAM_S=10
mv_init 7

# ---- netd (the daemon of the verdicts' diagnostics), qemud, the proxy ----

use_netd_ns mvpst$$
NETD_SOCK=$MV_ROOT/run/modvirt/netd-sock
# no "default" network: nothing of netd's but its sockets is needed here
mkdir -p "$MV_ROOT/var/lib/modvirt/network" && touch "$MV_ROOT/var/lib/modvirt/network/default-defined"
netd_start
MV_DAEMON=$MV_QEMUD spawn_daemon "$MV_ROOT" "$mv_tmp/qemud.log"
QEMUD_PID=$spawned_pid
wait_ready "$QEMUD_PID" "$MV_READY_S" ||
    { echo "Bail out! modvirt-qemud did not become ready"; sed 's/^/#   /' "$mv_tmp/qemud.log"; exit 1; }
proxy_config "$MV_ROOT" "upstream_timeout = $UPSTREAM_S"
proxy_start "$MV_ROOT"
PROXY_PID_0=$MV_PROXY_PID
URI=$(proxy_uri "$MV_ROOT")
mv_log_mark

# a network and a domain to look up (defined directly, not through the proxy)
printf '%s\n' "<network><name>n1</name><ip address='10.87.1.1' prefix='24'/></network>" >"$mv_tmp/n1.xml"
run isolated virsh -c "$MV_URI" net-define "$mv_tmp/n1.xml"
[ "$rc" -eq 0 ] || { echo "Bail out! net-define n1: $(run_evidence)"; exit 1; }
printf '%s\n' "<domain type='qemu'><name>d1</name><memory>65536</memory><os><type arch='x86_64'>hvm</type></os></domain>" >"$mv_tmp/d1.xml"
run isolated virsh -c "qemu:///system?socket=$MV_ROOT/run/modvirt/qemud-sock" define "$mv_tmp/d1.xml"
[ "$rc" -eq 0 ] || { echo "Bail out! define d1: $(run_evidence)"; exit 1; }

# netd_queued: bytes queued unread on netd's connections (the proxy's legs).
# A unix socket accepted by netd lives in its client's network namespace,
# the proxy's, which is this one.
netd_queued() {
    ss -x -p -H state established 2>/dev/null |
        awk -v p="pid=$MV_PID," -v s="$NETD_SOCK" 'index($0, p) && $4 == s { q += $2 } END { print q + 0 }'
}

# ---- the python client, driven step by step ----

cat >"$mv_tmp/stuck.py" <<'EOF'
import struct, sys, threading, libvirt, mvrpc
from mvlibvirt import out, exc, step, error_of

uri, sock = sys.argv[1], sys.argv[2]

def sync(name):
    """Tell the script where we are; go on once it has done its part (its
    steps come on stdin, a FIFO; at its end the script is gone: so are we)."""
    out("SYNC", name)
    if not sys.stdin.readline():
        sys.exit(3)

class Background:
    """A call in a thread of its own: pending() while it has not returned."""
    def __init__(self, fn):
        self.result = None
        self.thread = threading.Thread(target=self.run, args=(fn,), daemon=True)
        self.thread.start()
    def run(self, fn):
        try:
            self.result = "OK %s" % (fn(),)
        except libvirt.libvirtError as e:
            self.result = exc(e)

def nets(c):
    return " ".join(sorted(n.name() for n in c.listAllNetworks()))
def domain_calls(c):
    """A lookup and two calls on the domain: qemud's alone."""
    d = c.lookupByName("d1")
    return "%s %s %s" % (d.name(), d.info()[0], d.isPersistent())

# R: the same calls as raw packets.  A libvirt client (9.0) does not send a
# thread's call while another thread of the same connection waits for its
# reply (often until that reply comes), so several calls in flight on one
# connection are only seen from a raw one.
LIST_NETWORKS, LOOKUP_DOMAIN = 283, 23
hung_replies = []
def raw(proc, body, on_other=None):
    p = R.reply_to(R.call_async(proc, body), timeout=120, on_other=on_other)
    if p.status == mvrpc.OK:
        return "OK"
    e = p.error()
    return "ERR %d %d %s" % (e["code"], e["domain"], e["message"])
def raw_nets():
    return raw(LIST_NETWORKS, struct.pack(">iI", 1, 0))
def raw_domain():
    def keep(p):
        if p.type == mvrpc.REPLY and p.serial == hung_serial:
            hung_replies.append(p)
    return raw(LOOKUP_DOMAIN, mvrpc.xdr_string(b"d1"), keep)

A = libvirt.open(uri)
B = libvirt.open(uri)
R = mvrpc.Conn(sock, timeout=120).handshake()
step("up_nets", lambda: nets(A))
step("up_doms", lambda: " ".join(sorted(d.name() for d in A.listAllDomains())))
step("up_raw", raw_nets)            # R's netd leg is open

sync("stopped")
hung_serial = R.call_async(LIST_NETWORKS, struct.pack(">iI", 1, 0))
sync("sent")            # the script saw the call in netd's queue
C = libvirt.open(uri)   # a connection made while netd is stopped
done = {"R": 0, "B": 0, "C": 0}
wrong = []
for i in range(20):
    for name, call in (("R", raw_domain), ("B", lambda: domain_calls(B)), ("C", lambda: domain_calls(C))):
        try:
            got = call()
        except libvirt.libvirtError as e:
            got = exc(e)
        if got in ("OK", "d1 5 1"):
            done[name] += 1
        else:
            wrong.append("%s: %s" % (name, got))
out("during", "R=%(R)d B=%(B)d C=%(C)d" % done)
out("during_wrong", wrong)
# one more on R: its reply comes after the hung call's, had that one been
# answered meanwhile (one ordered stream): then it was pending throughout
raw_domain()
out("still_pending", not hung_replies)
# a network call on a connection with no netd leg yet: its handshake hangs
D = libvirt.open(uri)
hung_new = Background(lambda: nets(D))
def hung_result():
    p = hung_replies[0] if hung_replies else R.reply_to(hung_serial, timeout=300)
    e = p.error() if p.status != mvrpc.OK else None
    return "ERR %d %d %s" % (e["code"], e["domain"], e["message"]) if e else "OK"
step("hung_old_leg", hung_result)
hung_new.thread.join(300)
out("hung_new_leg", hung_new.result)
step("hung_after_dom", raw_domain)

sync("continued")
step("cont_a", lambda: A.networkLookupByName("n1").name())
step("cont_r", raw_nets)
step("cont_d", lambda: nets(D))
step("cont_new", lambda: nets(libvirt.open(uri)))

sync("killed")
step("killed_a_net", lambda: error_of(lambda: A.networkLookupByName("n1")))
step("killed_a_net2", lambda: error_of(lambda: nets(A)))
step("killed_r_net", raw_nets)
step("killed_a_dom", lambda: domain_calls(A))
E = libvirt.open(uri)
step("killed_e_net", lambda: error_of(lambda: nets(E)))
step("killed_e_dom", lambda: domain_calls(E))

sync("restarted")
step("back_a", lambda: A.networkLookupByName("n1").name())
step("back_e", lambda: nets(E))
step("back_r", raw_nets)
step("back_dom", lambda: domain_calls(B))
out("END", 1)
EOF
mkfifo "$mv_tmp/steps"
: >"$mv_tmp/py.out"
MV_CLIENT_TIMEOUT=600 isolated env PYTHONPATH="$MV_HELPERS" PYTHONDONTWRITEBYTECODE=1 "$MV_PY" "$mv_tmp/stuck.py" "$URI" "$(proxy_sock "$MV_ROOT")" \
    <"$mv_tmp/steps" >"$mv_tmp/py.out" 2>"$mv_tmp/py.err" &
py_pid=$!
kill_at_exit $py_pid
exec 7>"$mv_tmp/steps"
at_exit "exec 7>&-"
py_out() { cat "$mv_tmp/py.out"; }
k() { kv "$1" "$(py_out)"; }

# py_at NAME: 0 once the client says SYNC=NAME; 1 (evidence recorded) if it
# exits first or takes more than 5 minutes (it may wait out stuck calls)
py_at() {
    local i
    for ((i = 0; i < 3000; i++)); do
        grep -qx "SYNC=$1" "$mv_tmp/py.out" && return 0
        kill -0 $py_pid 2>/dev/null || break
        sleep 0.1
    done
    grep -qx "SYNC=$1" "$mv_tmp/py.out" && return 0
    expect_fail "the client never reached step $1; its output: $(py_out | tr '\n' ' ') stderr: $(cat "$mv_tmp/py.err")"
    return 1
}
py_go() { echo go >&7; }
# bail_out WHY: the steps after this one make no sense
bail_out() { verdict "$1"; echo "Bail out! $1"; exit 1; }

# 1
py_at stopped || bail_out "the client did not start"
expect_eq "networks" n1 "$(k up_nets)"
expect_eq "domains" d1 "$(k up_doms)"
expect_eq "raw network call" OK "$(k up_raw)"
verdict "one connection through the proxy lists networks (netd) and domains (qemud)"

# 2: SIGSTOP; the call must be seen in netd's queue before the domain calls
# start, so they provably run while it hangs at netd
kill -STOP "$MV_PID"
base=$(netd_queued)
py_go
# the call packet is at least 36 bytes (header and name); a keepalive ping 28
sent=no
for ((i = 0; i < 300; i++)); do
    [ "$(netd_queued)" -ge $((base + 36)) ] && { sent=yes; break; }
    sleep 0.1
done
expect_eq "the network call queued at the stopped netd (bytes $base -> $(netd_queued))" yes "$sent"
py_at sent && py_go
py_at continued || bail_out "the client is stuck with netd stopped"
expect_eq "domain calls answered while the network call hung (on its connection, another, a new one)" \
    "R=20 B=20 C=20" "$(k during)"
expect_eq "domain calls that went wrong" "[]" "$(k during_wrong)"
expect_eq "the network call still hung after them" True "$(k still_pending)"
verdict "netd stopped: a network call hangs at netd while domain calls on its connection and on others complete"

# 3: code 68 VIR_ERR_OPERATION_TIMEOUT, domain 7 VIR_FROM_RPC
msg="modvirt-netd is not answering \\(socket $NETD_SOCK\\)"
expect_match "the hung call on the open leg" "^ERR 68 7 $msg\$" "$(k hung_old_leg)"
expect_match "a network call on a new connection" "^EXC 68 7 $msg\$" "$(k hung_new_leg)"
expect_eq "domain calls afterwards" OK "$(k hung_after_dom)"
verdict "after upstream_timeout the hung network calls fail naming modvirt-netd and its socket"

# 4
kill -CONT "$MV_PID"
py_go
py_at killed || bail_out "the client is stuck after netd continued"
expect_eq "the same connection" n1 "$(k cont_a)"
expect_eq "the connection whose call hung" OK "$(k cont_r)"
expect_eq "the connection whose first network call hung" n1 "$(k cont_d)"
expect_eq "a new connection" n1 "$(k cont_new)"
verdict "netd continued: network calls work again on the same connections"

# 5: kill -9: the socket file stays, a connect is refused.  Code 38
# VIR_ERR_SYSTEM_ERROR, domain 7 VIR_FROM_RPC, as libvirt's own client
# reports a daemon it cannot connect to
{ kill -9 "$MV_PID"; wait_exit "$MV_PID" 10; } 2>/dev/null
py_go
py_at restarted || bail_out "the client is stuck after netd was killed"
msg="modvirt-netd is not running \\(socket $NETD_SOCK\\)"
# the first call on a leg netd had may race the proxy's noticing that the
# leg closed
closed="modvirt-netd closed the connection \\(socket $NETD_SOCK\\)(: .*)?"
expect_match "the first network call on the old connection" "^EXC 38 7 ($msg|$closed)\$" "$(k killed_a_net)"
expect_match "the next one" "^EXC 38 7 $msg\$" "$(k killed_a_net2)"
expect_match "another old connection's" "^ERR 38 7 ($msg|$closed)\$" "$(k killed_r_net)"
expect_match "a new connection's" "^EXC 38 7 $msg\$" "$(k killed_e_net)"
expect_eq "domain calls on the old connection" "d1 5 1" "$(k killed_a_dom)"
expect_eq "domain calls on the new one" "d1 5 1" "$(k killed_e_dom)"
run isolated virsh -c "$URI" net-list --all
expect_eq "virsh net-list exit status" 1 "$rc"
expect_match "virsh net-list's error" "error: $msg" "$err"
run isolated virsh -c "$URI" list --all --name
expect_eq "virsh list" d1 "$out"
verdict "netd killed: network calls fail at once with 'modvirt-netd is not running (socket ...)'; domain calls answer"

# 6
netd_start
py_go
wait_exit $py_pid 120 || expect_fail "the client did not finish"
expect_eq "the old connection" n1 "$(k back_a)"
expect_eq "the connection made while netd was down" n1 "$(k back_e)"
expect_eq "another old connection" OK "$(k back_r)"
expect_eq "domain calls" "d1 5 1" "$(k back_dom)"
expect_eq "client finished" 1 "$(k END)"
expect_eq "client exit status" 0 "${wait_status:-none}"
verdict "netd restarted: network calls work again on the same connections"

# 7
proxy_alive || expect_fail "modvirt-proxyd (pid $MV_PROXY_PID) is not running"
expect_eq "the proxy that started is the one running" "$PROXY_PID_0" "$MV_PROXY_PID"
kill -0 "$QEMUD_PID" 2>/dev/null || expect_fail "modvirt-qemud (pid $QEMUD_PID) is not running"
stop_pid "$MV_PROXY_PID" 10
expect_eq "the proxy exits cleanly on SIGTERM" 0 "$stop_status"
verdict "the proxy and qemud ran throughout; the proxy exits cleanly"

mv_done
