# shellcheck shell=bash disable=SC2154  # bench/run sets the variables
# The network suite of bench/run (sourced by it, not run): bench/netbench
# against modvirt-netd (with modvirt-qemud for the guests) and against the
# libvirtd peer, both through Debian's libvirt client, and the table
# modvirt | libvirtd | ratio.
#
#   networks_suite       each column in a network namespace of its own
#   networks_table       prints the table; sets rc=1 if the modvirt column failed
#   networks_cleanup     for the EXIT trap: our networks in the peer, our QEMUs
#   networks_cleanup_ns  for the EXIT trap, after the peer stopped: the namespaces
#
# Both daemons' network drivers make bridges, run dnsmasq and load firewall
# rules: each runs in a namespace the suite makes (mvbnPID for modvirt,
# mvbpPID for the peer, whose start.sh and stop.sh run there through
# bench/run's peer_wrap), never in the machine's own.  A peer that was
# already running before bench/run is in the machine's namespace: the
# libvirtd column is then n/a.
#
# The phases, the same for both columns:
#   lifecycle   BENCH_NET_REPS (10) rounds of define, start, destroy,
#               undefine of a nat network (benchnat, 192.168.150.0/24)
#   leases      GET_DHCP_LEASES on a running network holding 250 leases
#               (benchlease): 200 timed calls after 20
#   firstlease  BENCH_NET_BOOTS (5) transient test guests on benchboot, each
#               timed from virDomainCreateXML to its lease in GET_DHCP_LEASES
#
# The 250 leases are written into the daemon's lease store before the
# network starts, in that daemon's own format: dnsmasq's lease file for
# modvirt (run/modvirt/network/dnsmasq/benchlease.leases under its root),
# libvirt's leaseshelper status file for libvirtd (dnsmasq/BRIDGE.status in
# its state tree).  Each dnsmasq then starts with them as its own leases, as
# after a restart of a busy network; 250 real DHCP clients would cost
# minutes (dnsmasq pings each new address for 3 s, one at a time, with
# libvirt's configuration).

netbench=$build/bench/netbench
netd_bin=$build/netd/modvirt-netd
net_reps=${BENCH_NET_REPS:-10}
net_boots=${BENCH_NET_BOOTS:-5}
net_leases=250
declare -A nres     # nres[column.key] = value, from netbench's output lines
declare -A nwhy     # nwhy[column] = reason a column is n/a
declare -A nfailed  # nfailed[column] = 1: n/a because something broke
net_ns=()           # namespaces made, deleted at exit
net_peer_used=
netd_pid=

# net_make_ns NAME: a namespace with lo up (and nothing else: a nat network
# needs no uplink to start), deleted at exit.
net_make_ns() {
    ip netns add "$1" || return 1
    net_ns+=("$1")
    ip -n "$1" link set lo up
}

# net_xml NAME BRIDGE THIRD-OCTET: a nat network with DHCP over .2-.254
net_xml() {
    cat <<EOF
<network>
  <name>$1</name>
  <forward mode='nat'/>
  <bridge name='$2' stp='on' delay='0'/>
  <ip address='192.168.$3.1' netmask='255.255.255.0'>
    <dhcp>
      <range start='192.168.$3.2' end='192.168.$3.254'/>
    </dhcp>
  </ip>
</network>
EOF
}

# net_lease_rows THIRD-OCTET: "expiry mac ip hostname clientid" for the
# preloaded leases, valid for an hour
net_lease_rows() {
    local exp i
    exp=$(($(date +%s) + 3600))
    for ((i = 0; i < net_leases; i++)); do
        printf '%s 52:54:00:aa:%02x:%02x 192.168.%s.%d bench%d 01:52:54:00:aa:%02x:%02x\n' \
            "$exp" $((i / 256)) $((i % 256)) "$1" $((i + 2)) "$i" $((i / 256)) $((i % 256))
    done
}

# net_preload_modvirt ROOT NAME THIRD-OCTET: dnsmasq's own lease file format
net_preload_modvirt() {
    local dir=$1/run/modvirt/network/dnsmasq
    mkdir -p "$dir" && net_lease_rows "$3" >"$dir/$2.leases"
}

# net_preload_peer BRIDGE THIRD-OCTET: libvirt's leaseshelper status file
net_preload_peer() {
    local f
    f=$(peer_env ANC)/lib/dnsmasq/$1.status
    mkdir -p "${f%/*}" &&
    net_lease_rows "$2" | awk '
        BEGIN { print "[" }
        NR > 1 { print "  }," }
        { print "  {"
          printf "    \"ip-address\": \"%s\",\n    \"mac-address\": \"%s\",\n", $3, $2
          printf "    \"hostname\": \"%s\",\n    \"client-id\": \"%s\",\n", $4, $5
          printf "    \"expiry-time\": %s\n", $1 }
        END { print "  }"; print "]" }' >"$f"
}

# net_templates: the test guest (domains.sh's dom_guest) and, per column, a
# domain template on benchboot with @NAME@ and @MAC@ for netbench
net_templates() {
    dom_guest || return 1
    (
        export top_builddir=$build top_srcdir=$top
        # shellcheck source=tests/integration/guest.sh
        . "$top/tests/integration/guest.sh"
        g=$tmp/guest
        GUEST_KERNEL=$g/vmlinuz GUEST_INITRD=$g/initrd.img GUEST_APPEND=guest.net=dhcp
        for col in modvirt peer; do
            guest_domain_xml @NAME@ "$g/$col/@NAME@.log" "<interface type='network'>
  <mac address='@MAC@'/>
  <source network='benchboot'/>
  <model type='virtio'/>
</interface>" >"$g/$col-net.xml" || exit
        done
    ) >>"$tmp/guest.log" 2>&1
}

# net_measure COLUMN COMMAND...: runs netbench, parses its key=value lines
net_measure() {
    local col=$1 rc line kv
    shift
    "$@" >"$tmp/net-$col.out" 2> >(tee -a "$tmp/net-$col.err" | sed -u "s/^/  [$col] /" >&2) &
    child=$!
    wait "$child"
    rc=$?
    child=
    if [ $rc -ne 0 ]; then
        nwhy[$col]="netbench failed (exit $rc): $(tail -1 "$tmp/net-$col.err")"
        nfailed[$col]=1
        return 1
    fi
    while read -r line; do
        for kv in $line; do nres[$col.${kv%%=*}]=${kv#*=}; done
    done <"$tmp/net-$col.out"
}

# net_phases COLUMN NETURI DOMURI VIRSH PRELOAD...: the three phases;
# VIRSH is how to run virsh for this column, PRELOAD the command that
# writes benchlease's leases (its last argument the third octet).
net_phases() {
    local col=$1 nuri=$2 duri=$3 virsh=$4 d=$tmp/net
    shift 4
    mkdir -p "$d"
    net_xml benchnat mvbench0 150 >"$d/benchnat.xml"
    net_xml benchlease mvbench1 151 >"$d/benchlease.xml"
    net_xml benchboot mvbench2 152 >"$d/benchboot.xml"
    echo "bench/run: networks, $col: define/start/destroy ..." >&2
    net_measure "$col" "${pin[@]}" "$netbench" -r "$net_reps" lifecycle "$nuri" "$d/benchnat.xml" || return 1
    echo "bench/run: networks, $col: GET_DHCP_LEASES with $net_leases leases ..." >&2
    $virsh net-define "$d/benchlease.xml" >>"$tmp/net-$col.err" 2>&1 &&
        "$@" 151 && $virsh net-start benchlease >>"$tmp/net-$col.err" 2>&1 ||
        { nwhy[$col]="cannot start benchlease: $(tail -1 "$tmp/net-$col.err")"; nfailed[$col]=1; return 1; }
    net_measure "$col" "${pin[@]}" "$netbench" leases "$nuri" benchlease || return 1
    echo "bench/run: networks, $col: guest start to first lease ..." >&2
    $virsh net-define "$d/benchboot.xml" >>"$tmp/net-$col.err" 2>&1 &&
        $virsh net-start benchboot >>"$tmp/net-$col.err" 2>&1 ||
        { nwhy[$col]="cannot start benchboot: $(tail -1 "$tmp/net-$col.err")"; nfailed[$col]=1; return 1; }
    net_measure "$col" "${pin[@]}" "$netbench" -b "$net_boots" firstlease "$nuri" benchboot "$duri" \
        "$tmp/guest/$col-net.xml"
}

# net_drop VIRSH: our networks (and leftovers of an interrupted run) gone
net_drop() {
    local n
    for n in benchnat benchlease benchboot; do
        $1 net-destroy "$n" >/dev/null 2>&1
        $1 net-undefine "$n" >/dev/null 2>&1
    done
    return 0
}

# ---- modvirt: netd and qemud under $tmp/nroot in mvbnPID ----
net_virsh_modvirt() { isolated virsh -q -c "network:///system?socket=$tmp/nroot/run/modvirt/netd-sock" "$@"; }

# net_start_modvirt NS: netd, then qemud, both pinned, in NS; settled
net_start_modvirt() {
    local root=$tmp/nroot sock i
    mkdir -p "$root"
    ip netns exec "$1" "${pin[@]}" "$netd_bin" --root "$root" >"$tmp/netd.log" 2>&1 &
    netd_pid=$!             # ip netns exec and taskset exec: netd's own pid
    sock=$root/run/modvirt/netd-sock
    for ((i = 0; i < 100; i++)); do
        [ -S "$sock" ] && break
        kill -0 "$netd_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -S "$sock" ] || { nwhy[modvirt]="modvirt-netd did not start: $(tail -1 "$tmp/netd.log")"; return 1; }
    ip netns exec "$1" "${pin[@]}" "$qemud" --root "$root" >"$tmp/nqemud.log" 2>&1 &
    qemud_pid=$!
    for ((i = 0; i < 100; i++)); do
        [ -S "$root/run/modvirt/qemud-sock" ] && break
        kill -0 "$qemud_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -S "$root/run/modvirt/qemud-sock" ] ||
        { nwhy[modvirt]="modvirt-qemud did not start: $(tail -1 "$tmp/nqemud.log")"; return 1; }
    settle "$netd_pid"
    settle "$qemud_pid"
}

net_modvirt_column() {
    local ns=mvbn$$ root=$tmp/nroot
    if [ ! -x "$netd_bin" ]; then
        nwhy[modvirt]="$netd_bin not built"
        nfailed[modvirt]=1
        return
    fi
    if ! net_make_ns "$ns"; then
        nwhy[modvirt]="cannot make network namespace $ns"
        nfailed[modvirt]=1
        return
    fi
    if net_start_modvirt "$ns"; then
        # netd defines and starts "default" on its first start: not ours to time
        net_drop net_virsh_modvirt
        net_virsh_modvirt net-destroy default >/dev/null 2>&1
        net_phases modvirt "network:///system?socket=$root/run/modvirt/netd-sock" \
            "qemu:///system?socket=$root/run/modvirt/qemud-sock" net_virsh_modvirt \
            net_preload_modvirt "$root" benchlease
        nres[modvirt.rss_kib]=$(awk '/^VmRSS:/ { print $2 }' "/proc/$netd_pid/status" 2>/dev/null)
        net_drop net_virsh_modvirt
    else
        nfailed[modvirt]=1
    fi
    stop_qemud
    [ -n "$netd_pid" ] && stop_pid "$netd_pid"
    netd_pid=
    dom_kill_qemus
}

# ---- the peer: libvirtd in mvbpPID ----
net_virsh_peer() { virsh -q -c "$peer_uri" "$@"; }

net_peer_column() {
    local ns=mvbp$$
    if [ "$peer_mode" != no ] && peer_running; then
        nwhy[peer]="the peer was already running in this machine's network namespace: its network driver would change the machine's network"
        return
    fi
    if ! net_make_ns "$ns"; then
        nwhy[peer]="cannot make network namespace $ns"
        return
    fi
    peer_wrap=(ip netns exec "$ns")
    if start_peer; then
        net_peer_used=1
        net_drop net_virsh_peer
        net_phases peer "$peer_uri" "$peer_uri" net_virsh_peer net_preload_peer mvbench1
        nres[peer.rss_kib]=$(awk '/^VmRSS:/ { print $2 }' "/proc/$peer_pid/status" 2>/dev/null)
        networks_cleanup
    else
        nwhy[peer]=$peer_why
    fi
    stop_peer
    peer_wrap=()
}

networks_suite() {
    net_t_start=$(date +%s)
    if [ ! -x "$netbench" ]; then
        nwhy[modvirt]="$netbench not built (configure found no libvirt >= 9.0)"
        nwhy[peer]=${nwhy[modvirt]}
        return
    fi
    echo "bench/run: networks: the test guest ..." >&2
    if ! net_templates; then
        nwhy[modvirt]="no test guest: $(tail -1 "$tmp/guest.log")"
        nwhy[peer]=${nwhy[modvirt]}
        return
    fi
    net_modvirt_column
    net_peer_column
    networks_cleanup_ns
}

# shellcheck disable=SC2317  # called from bench/run's EXIT trap
networks_cleanup() {
    if [ -n "$net_peer_used" ] && peer_running; then
        net_drop net_virsh_peer
        dom_kill_qemus
    fi
    net_peer_used=
}

# Every process still in our namespaces (a dnsmasq helper, a QEMU) is ours;
# then the namespaces go, and every bridge and rule in them.
# shellcheck disable=SC2317  # called from bench/run's EXIT trap
networks_cleanup_ns() {
    local ns
    for ns in "${net_ns[@]}"; do
        ip netns pids "$ns" 2>/dev/null | xargs -r kill -9 2>/dev/null
        ip netns del "$ns" 2>/dev/null
    done
    net_ns=()
}

# net_cell COL KEY DECIMALS / net_ratio KEY: as domains.sh's
net_cell() {
    local v=${nres[$1.$2]:-}
    if [ -z "$v" ]; then printf 'n/a'; else awk -v v="$v" -v p="$3" 'BEGIN { printf "%.*f", p, v }'; fi
}
net_mib() { local v=${nres[$1.rss_kib]:-}; if [ -z "$v" ]; then printf 'n/a'; else awk -v v="$v" 'BEGIN { printf "%.1f", v / 1024 }'; fi; }
net_ratio() {
    local m=${nres[modvirt.$1]:-} l=${nres[peer.$1]:-}
    if [ -z "$m" ] || [ -z "$l" ] || [ "$l" = 0 ]; then printf -- '-'
    else awk -v m="$m" -v l="$l" 'BEGIN { printf "%.2f", m / l }'; fi
}

networks_table() {
    local row label what key dec col title
    local -a rows=(
        "net-define (nat)|median of $net_reps (ms)|define_median_ms|2"
        "net-start|median of $net_reps (ms)|start_median_ms|1"
        "net-destroy|median of $net_reps (ms)|destroy_median_ms|1"
        "net-undefine|median of $net_reps (ms)|undefine_median_ms|2"
        "GET_DHCP_LEASES, $net_leases leases|median of 200 (ms)|leases_median_ms|3"
        "|p99 (ms)|leases_p99_ms|3"
        "guest start to first lease|median of $net_boots (ms)|firstlease_median_ms|0"
        "  virDomainCreateXML|median of $net_boots (ms)|create_median_ms|0"
    )
    echo
    echo "netbench: Debian's libvirt $(pkg-config --modversion libvirt 2>/dev/null || echo 9.0) client against each daemon, each in a network namespace of its own"
    echo "host: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $([ "$cpu" = none ] && echo "no CPU pinning" || echo "clients and daemons on CPU $cpu"); took $(($(date +%s) - net_t_start)) s"
    echo "guest QEMU on CPUs: modvirt ${nres[modvirt.qemu_cpus]:-n/a}, libvirtd ${nres[peer.qemu_cpus]:-n/a}; ratio = modvirt / libvirtd"
    echo
    printf '%-32s%-22s%12s%12s%8s\n' "" "" "modvirt" "libvirtd" "ratio"
    for row in "${rows[@]}"; do
        IFS='|' read -r label what key dec <<<"$row"
        printf '%-32s%-22s%12s%12s%8s\n' "$label" "$what" \
            "$(net_cell modvirt "$key" "$dec")" "$(net_cell peer "$key" "$dec")" "$(net_ratio "$key")"
    done
    echo
    for col in modvirt peer; do
        [ $col = modvirt ] && title=modvirt || title=libvirtd
        [ -n "${nres[$col.start_all_ms]:-}" ] &&
            printf '%-9s net-start (ms): %s; net-destroy: %s\n' "$title" \
                "${nres[$col.start_all_ms]//,/ }" "${nres[$col.destroy_all_ms]//,/ }"
        [ -n "${nres[$col.firstlease_all_ms]:-}" ] &&
            printf '%-9s first lease (ms): %s\n' "$title" "${nres[$col.firstlease_all_ms]//,/ }"
        [ -n "${nres[$col.leases]:-}" ] && [ "${nres[$col.leases]}" != "$net_leases" ] &&
            echo "$title: GET_DHCP_LEASES returned ${nres[$col.leases]} leases, not $net_leases"
    done
    [ -n "${nres[modvirt.rss_kib]:-}${nres[peer.rss_kib]:-}" ] &&
        echo "daemon RSS at the end (MiB): modvirt-netd $(net_mib modvirt), libvirtd (all drivers) $(net_mib peer)"
    for col in modvirt peer; do
        [ -n "${nwhy[$col]:-}" ] || continue
        [ $col = modvirt ] && title=modvirt || title=libvirtd
        echo "$title: n/a: ${nwhy[$col]}"
        [ $col = modvirt ] && [ -n "${nfailed[$col]:-}" ] && rc=1
    done
    return 0
}
