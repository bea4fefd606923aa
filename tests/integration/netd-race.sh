#!/bin/bash
# modvirt-netd under concurrent clients.
#  1-3. one change per network at a time: while a start waits for its
#     dnsmasq (held at a gate, see below), a second change to that network
#     fails after job_wait_timeout with "network 'g1' is busy with job
#     'start'" (code 68), while other networks are defined, created and
#     read as usual;
#  4. several clients define, start, destroy and undefine the same and
#     different networks, create and destroy a transient one, update their
#     DHCP hosts and create and delete ports, at once for RACE_S seconds:
#     every error is one that losing a race may give (no network, not
#     active / already active, busy, no port, already exists), never an
#     internal or system error, and the daemon survives;
#  5-6. afterwards netd and the namespace agree: every bridge, dnsmasq,
#     nftables chain and map element, status file and port file belongs
#     to an active network, every configuration file to a persistent one;
#     and destroying everything leaves nothing behind;
#  7. the same after netd was killed in the middle of a start;
#  8. two networks on the same subnet started at the same moment from two
#     clients, 20 times: exactly one starts each time, and the other's
#     error names the winner (network or bridge) and the subnet.
# The gate: netd's dnsmasq binary (config key "dnsmasq") is a script that
# marks its start in GATE/waiting.PID and, while GATE/closed exists, waits
# (at most 30 s) for it to go before it execs the real dnsmasq.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/netns.sh"

MV_DAEMON=$MV_NETD
MV_NEEDS="ip nft /usr/sbin/dnsmasq"
RACE_S=${MV_RACE_S:-20}
mv_init 8
nt_init
MV_ROOT=$mv_tmp/root
NETDIR=$MV_ROOT/etc/modvirt/network
RUNDIR=$MV_ROOT/run/modvirt/network
MV_RW=$MV_ROOT/run/modvirt/netd-sock
MV_URI=$(nt_netd_uri)

GATE=$mv_tmp/gate
mkdir -p "$GATE" "$MV_ROOT/etc/modvirt" "$MV_ROOT/var/lib/modvirt/network"
cat >"$mv_tmp/dnsmasq-gate" <<EOF
#!/bin/sh
: >"$GATE/waiting.\$\$"
i=0
while [ -e "$GATE/closed" ] && [ \$i -lt 600 ]; do sleep 0.05; i=\$((i + 1)); done
exec /usr/sbin/dnsmasq "\$@"
EOF
chmod 755 "$mv_tmp/dnsmasq-gate"
printf '%s\n' "dnsmasq = \"$mv_tmp/dnsmasq-gate\"" "job_wait_timeout = 1" >"$MV_ROOT/etc/modvirt/modvirt-netd.conf"
nt_no_default
nt_netd_up

# net_xml NAME N [EXTRA]: a nat network on bridge mvN, 10.66.N.0/24, DHCP
net_xml() {
    cat <<EOF
<network>
  <name>$1</name>
  <forward mode='nat'/>
  <bridge name='mv$1'/>
  <ip address='10.66.$2.1' netmask='255.255.255.0'>
    <dhcp><range start='10.66.$2.10' end='10.66.$2.99'/></dhcp>
  </ip>${3:-}
</network>
EOF
}
# gate_wait: until a dnsmasq start reached the gate (up to 10 s)
gate_wait() {
    local i
    for ((i = 0; i < 200; i++)); do
        compgen -G "$GATE/waiting.*" >/dev/null && return 0
        sleep 0.05
    done
    expect_fail "no dnsmasq start reached the gate within 10 s"
    return 1
}
# bg_virsh NAME ARGS...: virsh in the background, output in $mv_tmp/NAME.{out,err,rc}
bg_virsh() {
    local name=$1
    shift
    (isolated virsh -c "$MV_URI" "$@" >"$mv_tmp/$name.out" 2>"$mv_tmp/$name.err"; echo $? >"$mv_tmp/$name.rc.tmp";
     mv "$mv_tmp/$name.rc.tmp" "$mv_tmp/$name.rc") &
}
# bg_wait NAME SECS: 0 once the background virsh NAME has exited
bg_wait() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        [ -f "$mv_tmp/$1.rc" ] && return 0
        sleep 0.05
    done
    return 1
}

# 1
net_xml g1 1 >"$mv_tmp/g1.xml"
nvsh_ok net-define "$mv_tmp/g1.xml"
: >"$GATE/closed"
bg_virsh start-g1 net-start g1
gate_wait
busy="Timed out during operation: network 'g1' is busy with job 'start'"
for cmd in net-destroy net-undefine net-autostart; do
    nvsh $cmd g1
    expect_eq "$cmd g1 during its start: exit status" 1 "$rc"
    expect_match "$cmd g1 during its start" "^error: $busy\$" "$(printf '%s\n' "$err" | tail -n 1)"
done
py - "$MV_URI" <<'EOF'
import sys, libvirt
from mvlibvirt import out, error_of
c = libvirt.open(sys.argv[1])
out("destroy", error_of(c.networkLookupByName("g1").destroy))
EOF
expect_eq "python3-libvirt destroy" "EXC 68 19 $busy" "$(kv destroy)"
verdict "a change to a network whose start runs fails after job_wait_timeout, naming the network and the job"

# 2: meanwhile the others are served
net_xml g2 2 >"$mv_tmp/g2.xml"
printf '%s\n' "<network><name>t2</name><bridge name='mvt2'/></network>" >"$mv_tmp/t2.xml"
nvsh net-define "$mv_tmp/g2.xml"
expect_eq "net-define g2 during g1's start" 0 "$rc"
nvsh net-create "$mv_tmp/t2.xml"
expect_eq "net-create t2 (no dnsmasq) during g1's start" 0 "$rc"
nvsh net-destroy t2
nvsh net-list --all
expect_match "net-list during g1's start" "^ g1[[:space:]]+inactive" "$out"
nvsh net-info g1
expect_match "net-info g1 during its start" "^Active:[[:space:]]+no$" "$out"
rm -f "$GATE/closed"
bg_wait start-g1 30 || expect_fail "net-start g1 did not return within 30 s of the gate opening"
expect_eq "net-start g1 once dnsmasq ran" 0 "$(cat "$mv_tmp/start-g1.rc" 2>/dev/null)"
nvsh net-info g1
expect_match "g1 active" "^Active:[[:space:]]+yes$" "$out"
verdict "meanwhile other networks are defined, created and listed; the start completes when dnsmasq runs"

# 3: a transient network's start holds no other network's define, and
# the bridge it is being started on is taken meanwhile
rm -f "$GATE"/waiting.*
: >"$GATE/closed"
net_xml t3 3 >"$mv_tmp/t3.xml"
bg_virsh create-t3 net-create "$mv_tmp/t3.xml"
gate_wait
net_xml g4 4 >"$mv_tmp/g4.xml"
bg_virsh define-g4 net-define "$mv_tmp/g4.xml"
if bg_wait define-g4 5; then
    expect_eq "net-define g4 while t3 is created" 0 "$(cat "$mv_tmp/define-g4.rc")"
else
    expect_fail "net-define g4 waited more than 5 s for the creation of t3 (its dnsmasq held at the gate)"
fi
printf '%s\n' "<network><name>g5</name><bridge name='mvt3'/></network>" >"$mv_tmp/g5.xml"
nvsh net-define "$mv_tmp/g5.xml"
expect_match "net-define g5 on t3's bridge while t3 is created" \
    "^error: operation failed: bridge name 'mvt3' is already used by network 't3'$" "$(printf '%s\n' "$err" | tail -n 1)"
rm -f "$GATE/closed"
bg_wait create-t3 30 || expect_fail "net-create t3 did not return within 30 s of the gate opening"
bg_wait define-g4 30
expect_eq "net-create t3" 0 "$(cat "$mv_tmp/create-t3.rc" 2>/dev/null)"
for n in t3 g1; do nvsh net-destroy $n; done
for n in g1 g2 g4; do nvsh net-undefine $n; done
verdict "defining a network does not wait for another network's creation, nor takes the bridge it claims"

# 4: the race
for n in 1 2 3; do net_xml "r$n" $((10 + n)) "<uuid>$(cat /proc/sys/kernel/random/uuid)</uuid>" >"$mv_tmp/r$n.xml"; done
net_xml t1 20 >"$mv_tmp/t1.xml"
mv_log_mark
MV_CLIENT_TIMEOUT=$((RACE_S + 120)) py - "$MV_URI" "$mv_tmp" "$RACE_S" <<'EOF'
import os, random, re, sys, threading, time, libvirt
from mvlibvirt import out

uri, tmp, race_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
names = ["r1", "r2", "r3"]
xml = {n: open(os.path.join(tmp, n + ".xml")).read() for n in names + ["t1"]}
L = libvirt
# what losing a race may answer
ALLOWED = {L.VIR_ERR_NO_NETWORK, L.VIR_ERR_OPERATION_INVALID, L.VIR_ERR_NO_NETWORK_PORT}
BUSY = re.compile(r"^Timed out during operation: network '(r[123]|t1)' is busy with job '[a-z-]+'$")
EXISTS = re.compile(r"^operation failed: network 't1' already exists with uuid ")
lock = threading.Lock()
counts = {"ok": 0, "lost": 0, "busy": 0}
bad = []

def host(tid):
    return "<host mac='52:54:00:99:00:%02x' ip='10.66.%%d.%d'/>" % (tid, 100 + tid)

def op(conn, rng, tid, ports):
    name = rng.choice(names)
    what = rng.choice(["define", "start", "start", "destroy", "undefine", "create-t1", "destroy-t1",
                       "port", "port", "unport", "update"])
    if what == "define":
        conn.networkDefineXML(xml[name])
    elif what == "create-t1":
        conn.networkCreateXML(xml["t1"])
    elif what == "destroy-t1":
        conn.networkLookupByName("t1").destroy()
    else:
        net = conn.networkLookupByName(name)
        if what == "start":
            net.create()
        elif what == "destroy":
            net.destroy()
        elif what == "undefine":
            net.undefine()
        elif what == "port":
            mac = "52:54:00:%02x:%02x:%02x" % (tid, names.index(name), rng.randrange(256))
            p = net.portCreateXML("<networkport><owner><uuid>c7a5fdbd-edaf-9455-926a-d65c16db18%02x</uuid>"
                                  "<name>vm%d</name></owner><mac address='%s'/></networkport>" % (tid, tid, mac))
            ports.append((name, p.UUIDString()))
        elif what == "unport" and ports:
            pname, puuid = ports.pop(rng.randrange(len(ports)))
            conn.networkLookupByName(pname).portLookupByUUIDString(puuid).delete()
        elif what == "update":
            cmd = rng.choice([L.VIR_NETWORK_UPDATE_COMMAND_ADD_LAST, L.VIR_NETWORK_UPDATE_COMMAND_DELETE])
            net.update(cmd, L.VIR_NETWORK_SECTION_IP_DHCP_HOST, -1, host(tid) % (10 + names.index(name) + 1),
                       L.VIR_NETWORK_UPDATE_AFFECT_CURRENT)

def client(tid):
    rng = random.Random(tid)
    ports = []
    try:
        conn = libvirt.open(uri)
    except libvirt.libvirtError as e:
        with lock:
            bad.append("open: %s" % e.get_error_message())
        return
    end = time.monotonic() + race_s
    while time.monotonic() < end:
        key = "ok"
        try:
            op(conn, rng, tid, ports)
        except libvirt.libvirtError as e:
            code, msg = e.get_error_code(), e.get_error_message()
            if code == L.VIR_ERR_OPERATION_TIMEOUT and BUSY.match(msg):
                key = "busy"
            elif code in ALLOWED or (code == L.VIR_ERR_OPERATION_FAILED and EXISTS.match(msg)):
                key = "lost"
            else:
                with lock:
                    bad.append("%d %s" % (code, msg))
                if code in (L.VIR_ERR_SYSTEM_ERROR, L.VIR_ERR_RPC):
                    return      # the connection is gone (the daemon died?)
                key = "bad"
        with lock:
            counts[key] = counts.get(key, 0) + 1
    conn.close()

threads = [threading.Thread(target=client, args=(i,)) for i in range(1, 6)]
for t in threads:
    t.start()
for t in threads:
    t.join()
out("OK", counts["ok"])
out("LOST", counts["lost"])
out("BUSY", counts["busy"])
out("BAD", len(bad))
for b in sorted(set(bad))[:10]:
    out("BADMSG", "%d x %s" % (bad.count(b), b))
EOF
diag "race: $(kv OK) calls succeeded, $(kv LOST) lost a race, $(kv BUSY) found the network busy; $(kv BAD) wrong errors"
expect_race_outcome 50
expect_daemon_alive
verdict "5 clients racing on 3 networks, a transient one, ports and updates get only the errors of a lost race"

# ---- 5: netd and the namespace agree ----
# what netd says: the active networks' bridges and dnsmasq pids, the
# persistent networks, the ports of each active network
py - "$MV_URI" <<'EOF'
import sys, libvirt
from mvlibvirt import out
c = libvirt.open(sys.argv[1])
nets = c.listAllNetworks()
act = [n for n in nets if n.isActive()]
out("ACTIVE", " ".join(sorted(n.name() for n in act)))
out("BRIDGES", " ".join(sorted(n.bridgeName() for n in act)))
out("PERSISTENT", " ".join(sorted(n.name() for n in nets if n.isPersistent())))
out("PORTS", " ".join(sorted(p.UUIDString() for n in act for p in n.listAllPorts())))
EOF
active=$(kv ACTIVE) bridges=$(kv BRIDGES) persistent=$(kv PERSISTENT) ports=$(kv PORTS)
diag "after the race: active '$active', persistent '$persistent', $(wc -w <<<"$ports") ports"
sorted() { tr ' ' '\n' | sed '/^$/d' | sort | tr '\n' ' ' | sed 's/ $//'; }
host_bridges() { nt_host ip -o link show type bridge | awk -F': ' '{ print $2 }' | sorted; }
status_pids() { for n in $active; do sed -n "s/.*<dnsmasq pid='\([0-9]*\)'.*/\1/p" "$RUNDIR/$n.xml"; done | sorted; }
# every dnsmasq in the namespace, its children (helpers) aside
ns_dnsmasqs() {
    local p pp
    for p in $(ip netns pids "$NT_HOST"); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = dnsmasq ] || continue
        pp=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
        [ "$(cat "/proc/$pp/comm" 2>/dev/null)" = dnsmasq ] && continue
        echo "$p"
    done | sorted
}
# the bridges named by our table's chains (in_BR, to_BR, from_BR, nat_BR)
nft_bridges() {
    nt_host nft list table inet modvirt 2>/dev/null | sed -n 's/^[[:space:]]*chain \(in\|to\|from\|nat\)_\([^ ]*\) {.*/\2/p' |
        sort -u | tr '\n' ' ' | sed 's/ $//'
}
check_agree() {
    expect_eq "$1: bridges in the namespace" "$bridges" "$(host_bridges)"
    expect_eq "$1: dnsmasq processes" "$(status_pids)" "$(ns_dnsmasqs)"
    expect_eq "$1: bridges in our nftables table" "$bridges" "$(nft_bridges)"
    expect_eq "$1: status files" "$(for n in $active; do echo "$n.xml"; done | sorted)" \
        "$(cd "$RUNDIR" && ls *.xml 2>/dev/null | sorted)"
    expect_eq "$1: configuration files" "$(for n in $persistent; do echo "$n.xml"; done | sorted)" \
        "$(cd "$NETDIR" && ls *.xml 2>/dev/null | sorted)"
    expect_eq "$1: dnsmasq configurations" "$(for n in $active; do echo "$n.conf"; done | sorted)" \
        "$(cd "$RUNDIR/dnsmasq" && ls *.conf 2>/dev/null | sorted)"
    expect_eq "$1: port files" "$(for p in $ports; do echo "$p.xml"; done | sorted)" \
        "$(cd "$RUNDIR/ports" && ls 2>/dev/null | sorted)"
}
check_agree "after the race"
# a dnsmasq in a status file runs with that network's configuration
for n in $active; do
    p=$(sed -n "s/.*<dnsmasq pid='\([0-9]*\)'.*/\1/p" "$RUNDIR/$n.xml")
    tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -q "/$n\.conf\$" ||
        expect_fail "network $n: dnsmasq $p does not run $n.conf"
done
verdict "after the race every bridge, dnsmasq, nftables chain, status, configuration and port file is an active or persistent network's"

# 6
for n in $active; do nvsh net-destroy "$n"; done
for n in $persistent; do nvsh net-undefine "$n"; done
active= bridges= persistent= ports=
check_agree "after destroying everything"
expect_eq "our nftables table" "" "$(nt_host nft list table inet modvirt 2>/dev/null)"
expect_daemon_alive
grep -E ': critical:|AddressSanitizer|runtime error' "$MV_LOG" >"$mv_tmp/bad" && expect_fail "$(head -n 5 "$mv_tmp/bad")"
verdict "destroying and undefining everything leaves no bridge, dnsmasq, rule or file; the daemon is alive"

# 7: netd killed in the middle of a start (bridge and rules made, dnsmasq
# at the gate): the launcher goes on, dnsmasq comes up behind nobody's back.
# The next netd must own all of that, or remove it: a start it was never
# told of completes, or nothing of it stays
net_xml k1 30 >"$mv_tmp/k1.xml"
nvsh net-define "$mv_tmp/k1.xml"
rm -f "$GATE"/waiting.*
: >"$GATE/closed"
bg_virsh start-k1 net-start k1
gate_wait
kill -9 "$MV_PID"
wait_exit "$MV_PID" 10 || expect_fail "netd (pid $MV_PID) did not die of SIGKILL"
rm -f "$GATE/closed"
# the orphaned launcher execs dnsmasq, which writes its pid file and stays
for _ in $(seq 200); do [ -s "$RUNDIR/dnsmasq/k1.pid" ] && [ -n "$(ns_dnsmasqs)" ] && break; sleep 0.05; done
[ -n "$(ns_dnsmasqs)" ] || expect_fail "the orphaned dnsmasq of k1 did not come up within 10 s"
bg_wait start-k1 30
diag "net-start k1 when netd died: $(cat "$mv_tmp/start-k1.err" 2>/dev/null | tail -n 1)"
nt_start_netd
MV_PID=$NT_NETD_PID
nvsh net-info k1
if printf '%s\n' "$out" | grep -Eq '^Active:[[:space:]]+yes$'; then
    active=k1 bridges=mvk1
else
    active= bridges=
fi
diag "after the restart k1 is $([ -n "$active" ] && echo active || echo inactive)"
expect_match "netd's log" "network 'k1' was being started when netd stopped: removing what that start made" \
    "$(cat "$MV_LOG")"
persistent=k1 ports=
check_agree "after a kill -9 mid-start and a restart"
nvsh net-destroy k1
nvsh net-start k1
expect_eq "net-start k1 afterwards" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$err"
nvsh net-destroy k1
nvsh net-undefine k1
active= bridges= persistent=
check_agree "after k1 is gone"
verdict "netd killed mid-start: the next netd owns or removes the bridge, rules and dnsmasq it left; k1 starts again"

# 8: two networks on one subnet started at once: the check of the subnet
# and the creation of the bridge are one step across networks, so exactly
# one of them may start, every time
net_xml s1 40 >"$mv_tmp/s1.xml"
net_xml s2 40 >"$mv_tmp/s2.xml"
nvsh net-define "$mv_tmp/s1.xml"
nvsh net-define "$mv_tmp/s2.xml"
MV_CLIENT_TIMEOUT=300 py - "$MV_URI" <<'EOF'
import re, sys, threading, libvirt
from mvlibvirt import out
uri = sys.argv[1]
conns = {n: libvirt.open(uri) for n in ("s1", "s2")}
other = {"s1": "s2", "s2": "s1"}
bad = []
for rnd in range(20):
    barrier = threading.Barrier(2)
    res = {}
    def start(name):
        net = conns[name].networkLookupByName(name)
        barrier.wait()
        try:
            net.create()
            res[name] = None
        except libvirt.libvirtError as e:
            res[name] = e.get_error_message()
    ts = [threading.Thread(target=start, args=(n,)) for n in ("s1", "s2")]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    won = [n for n in res if res[n] is None]
    if len(won) != 1:
        bad.append("round %d: %d started (%s)" % (rnd, len(won), "; ".join("%s: %s" % kv for kv in sorted(res.items()))))
    for n in won:
        conns[n].networkLookupByName(n).destroy()
    if len(won) == 1:
        w = won[0]
        msg = res[other[w]]
        pat = r"network '%s' subnet 10\.66\.40\.0/24 .*(network '%s'|interface mv%s)" % (other[w], w, w)
        if rnd == 0:
            out("SAMPLE", msg)
        if not re.search(pat, msg):
            bad.append("round %d: the loser's error does not name %s and the subnet: %s" % (rnd, w, msg))
out("BAD", len(bad))
for b in bad[:5]:
    out("BADMSG", b)
EOF
[ "$rc" -eq 0 ] || expect_fail "the start race script failed: $(run_evidence)"
expect_eq "rounds where not exactly one network started, or the loser's error was vague" 0 "$(kv BAD)"
[ "$(kv BAD)" = 0 ] || diag "$(printf '%s\n' "$out" | sed -n 's/^BADMSG=//p')"
diag "the loser of the first round: $(kv SAMPLE)"
nvsh net-undefine s1
nvsh net-undefine s2
active= bridges= persistent= ports=
check_agree "after the same-subnet starts"
verdict "two networks on one subnet started at once: exactly one starts, 20 times, the other's error names it and the subnet"

mv_done
