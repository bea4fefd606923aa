# shellcheck shell=bash disable=SC2154  # lib.sh sets top_builddir, mv_tmp and MV_*
# The network topology of the netd tests (bash; sourced after lib.sh, not
# run).  Two network namespaces per test run, never the machine's own
# interfaces, routes or firewall:
#
#   "host" ($NT_HOST)                       "outside" ($NT_OUT)
#   modvirt-netd, modvirt-qemud,            the uplink's far end and "the
#   their bridges, dnsmasq, nft rules,      internet": $NT_INET on lo
#   the guests' QEMUs
#   eth0 $NT_UPLINK/24  <---- veth ---->    eth0 $NT_GW/24
#   default via $NT_GW
#
# N (1-250) makes the names and the uplink subnet 10.N.0.0/24 unique per
# run, so tests run in parallel: mvhN / mvoN.  The "internet" address is on
# the outside's lo (this kernel has no dummy driver).  Everything goes at
# exit: the namespaces, and with them every device, route, rule and process
# in them (processes are killed first: a namespace lives on while a process
# is in it).
#
#   nt_init                      makes both namespaces (or bails out)
#   nt_host CMD... / nt_out CMD...  run CMD in one of them
#   nt_start_netd / nt_start_qemud  the daemons in "host", one --root
#   nt_netd_up                   nt_start_netd as the daemon of lib.sh's verdicts
#   nt_no_default                the next netd does not define "default"
#   nt_guest_setup PLAN          all of the above that a guest test needs
#   nt_netd_uri / nt_qemud_uri      client URIs for them
#   nvsh ARGS...                 virsh against netd (run's variables)
#   nvsh_ok ARGS...              nvsh, bailing out if it fails
#   nt_count_from OUT ADDR       the outside's counter of pings from ADDR
#
# Needs ip (iproute2) and nft; the callers list them in MV_NEEDS.

MV_NETD=$top_builddir/netd/modvirt-netd
MV_QEMUD=$top_builddir/qemud/modvirt-qemud

NT_N=
NT_HOST=
NT_OUT=
NT_UPLINK=
NT_GW=
NT_INET=198.51.100.1
NT_NETD_PID=
NT_QEMUD_PID=
NT_NETD_LOG=
NT_QEMUD_LOG=

nt_host() { ip netns exec "$NT_HOST" "$@"; }
nt_out() { ip netns exec "$NT_OUT" "$@"; }

# nt_kill_ns NS: every process in NS killed (and gone), then NS deleted.
nt_kill_ns() {
    local i
    ip netns pids "$1" 2>/dev/null | xargs -r kill -9 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        [ -z "$(ip netns pids "$1" 2>/dev/null)" ] && break
        sleep 0.05
    done
    ip netns del "$1" 2>/dev/null
}

# nt_init: both namespaces joined by the uplink veth, addressed and routed.
nt_init() {
    local i n
    for ((i = 0; i < 40; i++)); do
        n=$((RANDOM % 250 + 1))
        ip netns add "mvh$n" 2>/dev/null || continue
        if ip netns add "mvo$n" 2>/dev/null; then NT_N=$n; break; fi
        ip netns del "mvh$n"
    done
    [ -n "$NT_N" ] || { echo "Bail out! no free network namespace pair mvhN/mvoN"; exit 1; }
    NT_HOST=mvh$NT_N
    NT_OUT=mvo$NT_N
    at_exit "nt_kill_ns $NT_HOST; nt_kill_ns $NT_OUT"
    NT_UPLINK=10.$NT_N.0.1
    NT_GW=10.$NT_N.0.2
    # the veth is made in "host" and its far end moved: neither name ever
    # exists in the machine's own namespace
    ip -n "$NT_HOST" link add eth0 type veth peer name eth0 netns "$NT_OUT" &&
    ip -n "$NT_HOST" link set lo up &&
    ip -n "$NT_HOST" addr add "$NT_UPLINK/24" dev eth0 &&
    ip -n "$NT_HOST" link set eth0 up &&
    ip -n "$NT_HOST" route add default via "$NT_GW" &&
    ip -n "$NT_OUT" link set lo up &&
    ip -n "$NT_OUT" addr add "$NT_INET/32" dev lo &&
    ip -n "$NT_OUT" addr add "$NT_GW/24" dev eth0 &&
    ip -n "$NT_OUT" link set eth0 up ||
        { echo "Bail out! cannot set up the uplink $NT_HOST <-> $NT_OUT"; exit 1; }
    nt_out_counters
}

# The outside counts the pings it is sent by source address (nft counters
# in a table of its own, in its own namespace): how a test sees whether a
# guest's packets were masqueraded.
nt_out_counters() {
    nt_out nft -f - <<EOF || { echo "Bail out! cannot load the outside's counters"; exit 1; }
table ip outside {
    set sources { type ipv4_addr; flags dynamic; size 1024; counter; }
    chain input {
        type filter hook input priority 0; policy accept;
        icmp type echo-request add @sources { ip saddr }
    }
}
EOF
}

# nt_count_from ADDR: how many pings the outside got from ADDR (0 if none).
nt_count_from() {
    nt_out nft list set ip outside sources 2>/dev/null |
        tr ',{}' '\n\n\n' | awk -v a="$1" '$1 == a { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }' |
        head -n 1 | grep . || echo 0
}

# nt_sources: the addresses the outside got pings from, one a line.
nt_sources() {
    nt_out nft list set ip outside sources 2>/dev/null |
        tr ',{}' '\n\n\n' | awk '$1 ~ /^[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+$/ { print $1 }'
}

# nt_spawn BINARY LOG ARGS...: BINARY in "host" in the background, pid (the
# daemon's own: ip netns exec and env exec it) in spawned_pid, stopped at
# exit.  The daemon reports READY=1 to lib.sh's listener.
nt_spawn() {
    local bin=$1 log=$2 verbose=--verbose
    shift 2
    [ "${MV_VERBOSE:-yes}" = no ] && verbose=
    mkdir -p "$MV_ROOT"
    ip netns exec "$NT_HOST" env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$mv_tmp/no-such-bus" \
        NOTIFY_SOCKET="$MV_NOTIFY" "$bin" --root "$MV_ROOT" $verbose "$@" >>"$log" 2>&1 &
    spawned_pid=$!
    kill_at_exit $spawned_pid
}

# nt_ready NAME PID LOG: PID is NAME, ready and in "host", or bail out.
nt_ready() {
    if ! wait_ready "$2" "$MV_READY_S"; then
        echo "Bail out! $1 (pid $2) did not become ready within $MV_READY_S s"
        sed 's/^/#   /' "$3"
        exit 1
    fi
    if [ "$(ip netns identify "$2")" != "$NT_HOST" ]; then
        echo "Bail out! $1 (pid $2) is not in netns $NT_HOST"
        exit 1
    fi
}

# nt_start_netd [ARGS...]: modvirt-netd in "host" under $MV_ROOT; pid in
# NT_NETD_PID, log in NT_NETD_LOG (appended to across restarts).
nt_start_netd() {
    NT_NETD_LOG=$mv_tmp/netd.log
    nt_spawn "$MV_NETD" "$NT_NETD_LOG" "$@"
    NT_NETD_PID=$spawned_pid
    nt_ready modvirt-netd "$NT_NETD_PID" "$NT_NETD_LOG"
}

# nt_start_qemud [ARGS...]: modvirt-qemud likewise (MV_PID and MV_LOG too,
# for lib.sh's verdict diagnostics).
nt_start_qemud() {
    NT_QEMUD_LOG=$MV_LOG
    nt_spawn "$MV_QEMUD" "$NT_QEMUD_LOG" "$@"
    NT_QEMUD_PID=$spawned_pid
    MV_PID=$NT_QEMUD_PID
    nt_ready modvirt-qemud "$NT_QEMUD_PID" "$NT_QEMUD_LOG"
    mv_log_mark
}

# nt_netd_up [ARGS...]: nt_start_netd, as the daemon lib.sh's verdicts
# look at (MV_PID, MV_LOG), its log read from here on.
# shellcheck disable=SC2034  # MV_PID is lib.sh's
nt_netd_up() {
    nt_start_netd "$@"
    MV_PID=$NT_NETD_PID
    MV_LOG=$NT_NETD_LOG
    mv_log_mark
}

# nt_no_default: the marker of a netd that defined "default" once, under
# $MV_ROOT: the next netd does not define it.
nt_no_default() {
    mkdir -p "$MV_ROOT/var/lib/modvirt/network"
    touch "$MV_ROOT/var/lib/modvirt/network/default-defined"
}

# nt_guest_setup PLAN: what the tests that boot guests on netd's networks
# begin with: guest.sh's guest_test_init (sourced before this file), every
# case skipped without /dev/net/tun, both namespaces, netd and qemud in
# "host", and no "default" network.
nt_guest_setup() {
    local i
    guest_test_init "$1"
    [ -c /dev/net/tun ] || { for i in $(seq "$1"); do skip "no /dev/net/tun"; done; exit 0; }
    nt_init
    nt_start_netd
    nt_start_qemud
    nt_drop_default
}

nt_netd_uri() { echo "network:///system?socket=$MV_ROOT/run/modvirt/netd-sock"; }

# nvsh ARGS...: virsh against netd's rw socket (run's variables).
nvsh() { run isolated virsh -c "$(nt_netd_uri)" "$@"; }
# nvsh_ok ARGS...: nvsh, and bail out unless it succeeds (set-up steps).
nvsh_ok() { nvsh "$@"; [ "$rc" -eq 0 ] || { echo "Bail out! virsh $*: $(run_evidence)"; exit 1; }; }

# nt_wait SECS CMD...: 0 as soon as CMD succeeds, 1 if it has not within SECS.
nt_wait() {
    local end=$(($(date +%s) + $1))
    shift
    while :; do
        "$@" && return 0
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.1
    done
}

# nt_netd_log_diag: the tail of netd's log, as TAP comments.
nt_netd_log_diag() {
    [ -n "$NT_NETD_LOG" ] && [ -f "$NT_NETD_LOG" ] || return 0
    diag "  netd log ($NT_NETD_LOG), last lines:"
    tail -n 30 "$NT_NETD_LOG" | sed 's/^/#     /'
}

# nt_dnsmasq_pid NAME: the pid of network NAME's dnsmasq in "host" (the one
# whose command line names NAME.conf), nothing if none runs.  A dnsmasq
# with a dhcp-script forks a helper of the same name and command line: the
# child of a dnsmasq does not count.
nt_dnsmasq_pid() {
    local p pp
    for p in $(ip netns pids "$NT_HOST" 2>/dev/null); do
        [ "$(cat "/proc/$p/comm" 2>/dev/null)" = dnsmasq ] || continue
        pp=$(awk '/^PPid:/ { print $2 }' "/proc/$p/status" 2>/dev/null)
        [ "$(cat "/proc/$pp/comm" 2>/dev/null)" = dnsmasq ] && continue
        tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -q "/$1\.conf\$" && echo "$p"
    done
    return 0
}

# nt_drop_default: netd defines (and autostarts) "default" on its first
# start, as a packaged libvirt does; tests that count networks, tables or
# dnsmasqs remove it first.
nt_drop_default() {
    nvsh net-destroy default
    nvsh net-undefine default
}

# nt_fake_guest BRIDGE ADDR/PREFIX GATEWAY: a third namespace ($NT_FAKE,
# mvgN) plugged into BRIDGE in "host" by a veth, addressed statically and
# routed via GATEWAY: a guest without QEMU, for tests that only need
# packets through a network.  Run commands in it with nt_fake.
NT_FAKE=
nt_fake() { ip netns exec "$NT_FAKE" "$@"; }
nt_fake_guest() {
    NT_FAKE=mvg$NT_N
    ip netns add "$NT_FAKE" || { echo "Bail out! cannot create netns $NT_FAKE"; exit 1; }
    at_exit "nt_kill_ns $NT_FAKE"
    ip -n "$NT_HOST" link add "fg$NT_N" type veth peer name eth0 netns "$NT_FAKE" &&
    ip -n "$NT_HOST" link set "fg$NT_N" master "$1" up &&
    ip -n "$NT_FAKE" link set lo up &&
    ip -n "$NT_FAKE" addr add "$2" dev eth0 &&
    ip -n "$NT_FAKE" link set eth0 up &&
    ip -n "$NT_FAKE" route add default via "$3" ||
        { echo "Bail out! cannot plug the fake guest $NT_FAKE into $1"; exit 1; }
}
