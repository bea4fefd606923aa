# shellcheck shell=bash disable=SC2154  # bench/run sets the variables
# The proxy suite of bench/run (sourced by it, not run): the same calls
# through Debian's libvirt client, in one rpcbench process, three ways:
#
#   direct    modvirt-qemud's own socket             run/modvirt/qemud-sock
#   proxyd    modvirt-proxyd in front of that qemud  run/libvirt/libvirt-sock
#   libvirtd  the peer (shared/libvirtd-peer)        /run/libvirt/libvirt-sock
#
# with the targets taking turns block by block (rpcbench -b), so a change
# of the machine's load lands on all three alike.  The phases, in order:
#   floor     rpcbench raw and raw-relay: a round trip of the same bytes
#             with no protocol, straight and through a blocking relay
#             process (the least a hop can cost)
#   rtt       CONNECT_GET_LIB_VERSION (proxyd answers it itself),
#             CONNECT_GET_HOSTNAME and DOMAIN_LOOKUP_BY_NAME (forwarded to
#             qemud): N timed calls per target after W
#   nodeinfo  NODE_GET_INFO (forwarded; qemud reads sysfs and /proc for it:
#             a call with work behind it): N/10 timed calls
#   listall   CONNECT_LIST_ALL_DOMAINS with BENCH_PROXY_DOMAINS (1000)
#             domains defined: BENCH_PROXY_LISTS (200) timed calls
#   conns     BENCH_PROXY_CONNS (8) connections per target, each in a thread
#             of its own, DOMAIN_LOOKUP_BY_NAME all at once: calls/s
# With each figure, the CPU time per call of the client, proxyd and the
# daemon (from /proc/PID/task/*/schedstat): where the hop's time goes.
#
#   proxy_suite    starts qemud, proxyd and the peer, defines the domains, measures
#   proxy_table    prints the table; sets rc=1 if the direct or proxyd column failed
#   proxy_cleanup  for the EXIT trap: our domains in the peer, proxyd
#
# rpcbench runs in the machine's mount namespace (it must reach the peer's
# /run/libvirt/libvirt-sock): every URI names its socket, so libvirt's
# client connects to exactly that path and to no system daemon.
# Uses bench/run's build, top, tmp, pin, n, warmup, child, start_qemud,
# stop_qemud, start_peer, stop_peer, settle, stop_pid.

proxyd_bin=$build/proxyd/modvirt-proxyd
proxy_domains=${BENCH_PROXY_DOMAINS:-1000}
proxy_lists=${BENCH_PROXY_LISTS:-200}
proxy_conns=${BENCH_PROXY_CONNS:-8}
proxy_cols=(direct proxyd peer)
declare -A pres     # pres[column.call.key] = value, from rpcbench's output lines
declare -A pwhy     # pwhy[column] = reason a column is n/a
declare -A pfailed  # pfailed[column] = 1: n/a because something broke
proxyd_pid=
proxy_peer_used=

# start_proxyd ROOT: modvirt-proxyd in front of the daemons under ROOT,
# settled; sets proxyd_pid, or returns 1 with the reason in pwhy[proxyd].
start_proxyd() {
    local root=$1 sock=$1/run/libvirt/libvirt-sock _
    if [ ! -x "$proxyd_bin" ]; then
        pwhy[proxyd]="$proxyd_bin not built"
        return 1
    fi
    "${pin[@]}" "$proxyd_bin" --root "$root" >"$tmp/proxyd.log" 2>&1 &
    proxyd_pid=$!
    for _ in $(seq 1 100); do
        [ -S "$sock" ] && break
        kill -0 "$proxyd_pid" 2>/dev/null || break
        sleep 0.1
    done
    if [ -S "$sock" ]; then
        settle "$proxyd_pid"
        return 0
    fi
    pwhy[proxyd]="modvirt-proxyd did not start: $(tail -1 "$tmp/proxyd.log")"
    pfailed[proxyd]=1
    stop_proxyd
    return 1
}
stop_proxyd() {
    [ -n "$proxyd_pid" ] && stop_pid "$proxyd_pid"
    proxyd_pid=
}

# proxy_xml: the smallest domain both daemons define (list-all returns
# names, UUIDs and ids: what else a definition holds does not matter)
proxy_xml() {
    cat <<'EOF'
<domain type='qemu'>
  <name>@NAME@</name>
  <memory unit='MiB'>128</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
</domain>
EOF
}

# proxy_define URI LOG: BENCH_PROXY_DOMAINS domains dombench-NNNN
proxy_define() {
    echo "bench/run: proxy: defining $proxy_domains domains ($2) ..." >&2
    "$dombench" -d "$proxy_domains" define "$1" "$tmp/proxy-dom.xml" >>"$tmp/proxy-$2.define" 2>&1
}

# proxy_measure TAG RPCBENCH-ARGS...: runs rpcbench over the columns in
# proxy_live (its targets, in order) and parses its lines into pres[].  A
# target that fails (rpcbench names it last) is dropped with its reason and
# the phase runs again without it: one broken column never hides the others.
proxy_measure() {
    local tag=$1 rc line kv call col k
    shift
    while [ ${#proxy_live[@]} -gt 0 ]; do
        echo "bench/run: proxy: $tag ..." >&2
        "${pin[@]}" "$rpcbench" "$@" "${proxy_targets[@]}" >"$tmp/proxy-$tag.out" 2>"$tmp/proxy-$tag.err" &
        child=$!
        wait "$child"
        rc=$?
        child=
        [ $rc -eq 0 ] && break
        k=$(tail -1 "$tmp/proxy-$tag.err" | sed -n 's/^rpcbench: target=\([0-9]*\) .*/\1/p')
        if [ -z "$k" ]; then
            for col in "${proxy_live[@]}"; do
                pwhy[$col]="rpcbench ($tag) failed: $(tail -1 "$tmp/proxy-$tag.err")"
                [ "$col" = peer ] || pfailed[$col]=1
            done
            proxy_live=()
            return 1
        fi
        col=${proxy_live[$k]}
        pwhy[$col]="rpcbench ($tag): $(grep -v '^rpcbench: target=' "$tmp/proxy-$tag.err" | tail -1)"
        [ "$col" = peer ] || pfailed[$col]=1
        proxy_live=("${proxy_live[@]:0:k}" "${proxy_live[@]:k+1}")
        proxy_targets=("${proxy_targets[@]:0:3*k}" "${proxy_targets[@]:3*k+3}")
    done
    while read -r line; do
        call=$(sed -n 's/.*\bcall=\([a-z]*\).*/\1/p' <<<"$line")
        col=${proxy_live[$(sed -n 's/.*\btarget=\([0-9]*\).*/\1/p' <<<"$line")]}
        [ "$tag" = conns ] && call=conns
        for kv in $line; do pres[$col.$call.${kv%%=*}]=${kv#*=}; done
    done <"$tmp/proxy-$tag.out"
    [ ${#proxy_live[@]} -gt 0 ]
}

# proxy_floor: the raw round trip, straight and through a relay process
proxy_floor() {
    local line kv col
    echo "bench/run: proxy: floor ..." >&2
    "${pin[@]}" "$rpcbench" -n "$n" -w "$warmup" -c hostname raw raw-relay >"$tmp/proxy-floor.out" 2>"$tmp/proxy-floor.err" || return 0
    while read -r line; do
        col=$(sed -n 's/.*\bmode=\([a-z-]*\).*/\1/p' <<<"$line")
        for kv in $line; do pres[$col.hostname.${kv%%=*}]=${kv#*=}; done
    done <"$tmp/proxy-floor.out"
}

# proxy_targets_add COLUMN URI PIDS: one more rpcbench target
proxy_targets_add() {
    proxy_live+=("$1")
    proxy_targets+=(libvirt "$2" "pids=$3")
}

proxy_suite() {
    local root=$tmp/proot peer_uri_p
    proxy_t_start=$(date +%s)
    proxy_live=()
    proxy_targets=()
    if ! "$rpcbench" -L || [ ! -x "$dombench" ]; then
        for col in "${proxy_cols[@]}"; do pwhy[$col]="rpcbench and dombench built without libvirt (configure found no libvirt >= 9.0)"; done
        return
    fi
    proxy_xml >"$tmp/proxy-dom.xml"
    if ! start_qemud proot; then
        pwhy[direct]=$qemud_why
        pwhy[proxyd]=$qemud_why
        pfailed[direct]=1
    elif ! proxy_define "$qemud_uri" modvirt; then
        pwhy[direct]="defining the domains failed: $(tail -1 "$tmp/proxy-modvirt.define")"
        pwhy[proxyd]=${pwhy[direct]}
        pfailed[direct]=1
    else
        proxy_targets_add direct "$qemud_uri" "qemud:$qemud_pid"
        if start_proxyd "$root"; then
            proxy_targets_add proxyd "qemu:///system?socket=$root/run/libvirt/libvirt-sock" \
                "proxyd:$proxyd_pid,qemud:$qemud_pid"
        fi
    fi
    if start_peer; then
        proxy_peer_used=1
        peer_uri_p=$peer_uri
        # leftovers of an interrupted earlier run
        "$dombench" cleanup "$peer_uri_p" >>"$tmp/peer.log" 2>&1
        if proxy_define "$peer_uri_p" peer; then
            proxy_targets_add peer "$peer_uri_p" "libvirtd:$peer_pid"
        else
            pwhy[peer]="defining the domains failed: $(tail -1 "$tmp/proxy-peer.define")"
        fi
    else
        pwhy[peer]=$peer_why
    fi
    proxy_floor
    if [ ${#proxy_live[@]} -gt 0 ]; then
        [ -n "$qemud_pid" ] && settle "$qemud_pid"
        [ -n "$proxyd_pid" ] && settle "$proxyd_pid"
        [ -n "$proxy_peer_used" ] && settle "$peer_pid"
        proxy_measure rtt -n "$n" -w "$warmup" -c libversion,hostname,lookup -d dombench-0000 &&
            proxy_measure nodeinfo -n $((n / 10 + 1)) -w $((warmup / 10)) -c nodeinfo &&
            proxy_measure listall -n "$proxy_lists" -w 5 -c listall &&
            proxy_measure conns -n $((2 * n)) -w 100 -P "$proxy_conns" -c lookup -d dombench-0000
    fi
    proxy_cleanup
    stop_proxyd
    stop_qemud
    stop_peer
}

# shellcheck disable=SC2317  # called from bench/run's EXIT trap
proxy_cleanup() {
    if [ -n "$proxy_peer_used" ] && peer_running; then
        echo "bench/run: proxy: undefining the peer's domains ..." >&2
        "$dombench" cleanup "$peer_uri" >>"$tmp/peer.log" 2>&1
    fi
    proxy_peer_used=
    stop_proxyd
}

# proxy_cell COL CALL KEY [DIV DECIMALS]: the value (divided by DIV), or n/a
proxy_cell() {
    local v=${pres[$1.$2.$3]:-}
    if [ -z "$v" ]; then printf 'n/a'
    elif [ -z "${4:-}" ]; then printf '%s' "$v"
    else awk -v v="$v" -v d="$4" -v p="$5" 'BEGIN { printf "%.*f", p, v / d }'; fi
}
# proxy_hop CALL KEY: what proxyd adds to the direct figure, in percent
proxy_hop() {
    local d=${pres[direct.$1.$2]:-} p=${pres[proxyd.$1.$2]:-}
    if [ -z "$d" ] || [ -z "$p" ] || [ "$d" = 0 ]; then printf -- '-'
    else awk -v d="$d" -v p="$p" 'BEGIN { printf "%+.0f%%", (p - d) * 100 / d }'; fi
}

proxy_table() {
    local row label what call key div dec col title
    local -a rows=(
        "CONNECT_GET_LIB_VERSION|median (µs)|libversion|median_us"
        "  proxyd answers it|p90 (µs)|libversion|p90_us"
        "|p99 (µs)|libversion|p99_us"
        "|p99.9 (µs)|libversion|p999_us"
        "|calls/s|libversion|calls_per_s"
        "CONNECT_GET_HOSTNAME|median (µs)|hostname|median_us"
        "  forwarded to qemud|p90 (µs)|hostname|p90_us"
        "|p99 (µs)|hostname|p99_us"
        "|p99.9 (µs)|hostname|p999_us"
        "|calls/s|hostname|calls_per_s"
        "DOMAIN_LOOKUP_BY_NAME|median (µs)|lookup|median_us"
        "  forwarded to qemud|p90 (µs)|lookup|p90_us"
        "|p99 (µs)|lookup|p99_us"
        "|p99.9 (µs)|lookup|p999_us"
        "|calls/s|lookup|calls_per_s"
        "  CPU per call (µs)|client|lookup|cpu_client_us"
        "|proxyd|lookup|cpu_proxyd_us"
        "|daemon|lookup|cpu_daemon_us"
        "NODE_GET_INFO|median (µs)|nodeinfo|median_us"
        "  forwarded, reads sysfs|p99 (µs)|nodeinfo|p99_us"
        "$proxy_conns connections, LOOKUP|calls/s|conns|calls_per_s"
        "  all calling at once|median (µs)|conns|median_us"
        "|p99 (µs)|conns|p99_us"
        "|CPU/call, all (µs)|conns|cpu_all_us"
        "LIST_ALL_DOMAINS|median (ms)|listall|median_us|1000|2"
        "  $proxy_domains domains|p90 (ms)|listall|p90_us|1000|2"
        "|p99 (ms)|listall|p99_us|1000|2"
        "|CPU/call, all (ms)|listall|cpu_all_us|1000|2"
    )
    proxy_cpu_sums
    echo
    echo "proxy: Debian's libvirt $(pkg-config --modversion libvirt 2>/dev/null || echo 9.0) client, the targets taking turns in 10 blocks; $n timed calls per cell after $warmup ($((n / 10 + 1)) NODE_GET_INFO, $((2 * n)) on $proxy_conns connections, $proxy_lists list-alls)"
    echo "host: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $([ "$cpu" = none ] && echo "no CPU pinning" || echo "clients and daemons on CPU $cpu"); took $(($(date +%s) - proxy_t_start)) s"
    echo "direct: libvirt -> qemud; proxyd: libvirt -> modvirt-proxyd -> qemud; hop: what proxyd adds to direct"
    echo
    printf '%-26s%-20s%12s%12s%8s%12s\n' "" "" "direct" "proxyd" "hop" "libvirtd"
    for row in "${rows[@]}"; do
        IFS='|' read -r label what call key div dec <<<"$row"
        printf '%-26s%-20s%12s%12s%8s%12s\n' "$label" "$what" \
            "$(proxy_cell direct "$call" "$key" "$div" "$dec")" "$(proxy_cell proxyd "$call" "$key" "$div" "$dec")" \
            "$(proxy_hop "$call" "$key")" "$(proxy_cell peer "$call" "$key" "$div" "$dec")"
    done
    echo
    if [ -n "${pres[raw.hostname.median_us]:-}" ] && [ -n "${pres[raw-relay.hostname.median_us]:-}" ]; then
        echo "floor (the same 28/36 bytes, no protocol): ${pres[raw.hostname.median_us]} µs straight, ${pres[raw-relay.hostname.median_us]} µs through a relay process (median; p99 ${pres[raw.hostname.p99_us]} and ${pres[raw-relay.hostname.p99_us]})"
        echo "  CPU per call (µs): straight client ${pres[raw.hostname.cpu_client_us]}, echo ${pres[raw.hostname.cpu_echo_us]:-n/a}; relayed client ${pres[raw-relay.hostname.cpu_client_us]}, relay ${pres[raw-relay.hostname.cpu_relay_us]:-n/a}, echo ${pres[raw-relay.hostname.cpu_echo_us]:-n/a}"
    fi
    for col in direct proxyd peer; do
        [ -n "${pres[$col.lookup.median_us]:-}" ] || continue
        echo "$col, scheduled per lookup: proxyd ${pres[$col.lookup.runs_proxyd]:-0}, daemon ${pres[$col.lookup.runs_daemon]:-n/a}"
    done
    [ -n "${why_note:-}" ] && echo "libvirtd: $why_note"
    for col in "${proxy_cols[@]}"; do
        [ -n "${pwhy[$col]:-}" ] || continue
        title=$col
        [ "$col" = peer ] && title=libvirtd
        echo "$title: n/a: ${pwhy[$col]}"
        [ "$col" != peer ] && [ -n "${pfailed[$col]:-}" ] && rc=1
    done
    return 0
}

# proxy_cpu_sums: cpu_daemon_us/runs_daemon (qemud or libvirtd, whichever
# the column reached) and cpu_all_us (client + proxyd + daemon) per cell
proxy_cpu_sums() {
    local col call d
    for col in "${proxy_cols[@]}"; do
        [ "$col" = peer ] && d=libvirtd || d=qemud
        for call in libversion hostname lookup conns listall; do
            [ -n "${pres[$col.$call.cpu_client_us]:-}" ] || continue
            pres[$col.$call.cpu_daemon_us]=${pres[$col.$call.cpu_${d}_us]:-}
            pres[$col.$call.runs_daemon]=${pres[$col.$call.runs_$d]:-}
            pres[$col.$call.cpu_all_us]=$(awk -v c="${pres[$col.$call.cpu_client_us]}" \
                -v p="${pres[$col.$call.cpu_proxyd_us]:-0}" -v d="${pres[$col.$call.cpu_${d}_us]:-0}" \
                'BEGIN { printf "%.1f", c + p + d }')
        done
    done
}
