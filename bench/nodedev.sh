# shellcheck shell=bash disable=SC2154  # bench/run sets the variables
# The nodedev suite of bench/run (sourced by it, not run): modvirt-nodedevd
# next to Debian's libvirtd (the peer, which lists node devices too), both
# reading this machine's real /sys and both asked through Debian's libvirt
# client (bench/nodebench.py, python3-libvirt):
#   cold start     from starting the daemon to the first listing that has
#                  every device (CONNECT_LIST_ALL_NODE_DEVICES polled every
#                  ms; the count must then stay put for 300 ms); median of
#                  BENCH_ND_COLD (3) starts.  modvirt-nodedevd is started
#                  alone; the peer through its start.sh (virtlogd and every
#                  libvirtd driver: what a host with libvirtd starts)
#   list-all       CONNECT_LIST_ALL_NODE_DEVICES round trip, median and
#                  p99 of BENCH_ND_N (5000)
#   list + XML     one listing and NODE_DEVICE_GET_XML_DESC of every
#                  device (virsh nodedev-list, then nodedev-dumpxml of
#                  each), median and p99 of BENCH_ND_N/10 rounds
#   RSS            the daemon's VmRSS after all of that (the whole tree
#                  read and formatted); libvirtd's includes every other
#                  driver it hosts
#
#   nodedev_suite    both columns
#   nodedev_table    prints the table; sets rc=1 if the modvirt column failed
#   nodedev_cleanup  for the EXIT trap: a modvirt-nodedevd still running
#
# Uses bench/run's top, build, tmp, pin, cpu, start_peer, stop_peer,
# peer_running, peer_env, peer_dir, peer_wrap, peer_sock, peer_mode, stop_pid.

nd_bin=$build/nodedevd/modvirt-nodedevd
nd_py=$top/bench/nodebench.py
nd_cold_n=${BENCH_ND_COLD:-3}
nd_n=${BENCH_ND_N:-5000}
nd_pid=
declare -A ndres    # ndres[column.key] = value
declare -A ndwhy    # ndwhy[column] = reason a column is n/a
declare -A ndfailed

# nd_kv COL KEY=VALUE...: into ndres (cold runs: KEY.i for the i-th)
nd_kv() {
    local col=$1 sfx=$2 kv
    shift 2
    for kv in "$@"; do ndres[$col.${kv%%=*}$sfx]=${kv#*=}; done
}

# nd_median COL KEY N: the median of ndres[COL.KEY.1..N] into ndres[COL.KEY]
nd_median() {
    local col=$1 key=$2 i
    ndres[$col.$key]=$(for ((i = 1; i <= $3; i++)); do echo "${ndres[$col.$key.$i]:-}"; done |
        grep . | sort -n | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }')
    ndres[$col.${key}_all]=$(for ((i = 1; i <= $3; i++)); do printf '%s ' "${ndres[$col.$key.$i]:-?}"; done)
}

# nd_cold COL I URI CMD...: one cold start of COL (the I-th), measured
nd_cold() {
    local col=$1 i=$2 uri=$3 out
    shift 3
    echo "bench/run: nodedev, $col cold start $i ..." >&2
    if ! out=$("${pin[@]}" /usr/bin/python3 "$nd_py" cold "$uri" 300 "$@" 2>"$tmp/nd-$col.err"); then
        ndwhy[$col]="cold start failed: $(tail -1 "$tmp/nd-$col.err")"
        ndfailed[$col]=1
        return 1
    fi
    # shellcheck disable=SC2086  # the key=value words
    nd_kv "$col" ".$i" $out
}

# nd_run COL URI PID: the warm measurements against a running daemon
nd_run() {
    local col=$1 out
    echo "bench/run: nodedev, $col list-all and XML ..." >&2
    if ! out=$("${pin[@]}" /usr/bin/python3 "$nd_py" run "$2" "$nd_n" "$3" 2>"$tmp/nd-$col.err"); then
        ndwhy[$col]="list-all failed: $(tail -1 "$tmp/nd-$col.err")"
        ndfailed[$col]=1
        return 1
    fi
    # shellcheck disable=SC2086
    nd_kv "$col" "" $out
}

nd_stop() {
    [ -n "$nd_pid" ] && stop_pid "$nd_pid"
    nd_pid=
}

nd_modvirt() {
    local root=$tmp/ndroot i
    local uri="qemu:///system?socket=$root/run/modvirt/nodedevd-sock"
    if [ ! -x "$nd_bin" ]; then
        ndwhy[modvirt]="$nd_bin not built"
        ndfailed[modvirt]=1
        return
    fi
    for ((i = 1; i <= nd_cold_n; i++)); do
        nd_stop
        rm -rf "$root"
        mkdir -p "$root"
        # the daemon logs to stderr: to a file, as a service's journal
        # shellcheck disable=SC2016  # $0.. are the inner shell's
        nd_cold modvirt "$i" "$uri" /bin/sh -c 'exec "$0" --root "$1" 2>>"$2"' \
            "$nd_bin" "$root" "$tmp/nd-modvirt.log" || { nd_pid=$(pgrep -f -- "--root $root\$"); nd_stop; return; }
        nd_pid=${ndres[modvirt.spawn_pid.$i]}
    done
    nd_median modvirt cold_full_ms "$nd_cold_n"
    nd_median modvirt cold_first_ms "$nd_cold_n"
    settle "$nd_pid"
    nd_run modvirt "$uri" "$nd_pid"
    nd_stop
}

nd_peer() {
    local i
    if ! start_peer; then
        ndwhy[peer]=$peer_why
        return
    fi
    # a cold start needs a stopped peer; one this run did not start is
    # measured warm only
    if [ -z "$peer_started" ]; then
        ndwhy[peer]="the peer was already running: no cold start"
    else
        for ((i = 1; i <= nd_cold_n; i++)); do
            stop_peer
            peer_started=1
            nd_cold peer "$i" "$peer_uri" "${peer_wrap[@]}" "$peer_dir/start.sh" || break
        done
        nd_median peer cold_full_ms "$nd_cold_n"
        nd_median peer cold_first_ms "$nd_cold_n"
        peer_running || { ndwhy[peer]="the peer is not running after its cold starts"; stop_peer; return; }
        peer_pid=$(cat "$(peer_env LIBVIRTD_PIDFILE)")
        settle "$peer_pid"
    fi
    nd_run peer "$peer_uri" "$peer_pid"
    stop_peer
}

nodedev_suite() {
    nd_t_start=$(date +%s)
    if ! /usr/bin/python3 -c 'import libvirt' 2>/dev/null; then
        ndwhy[modvirt]="python3-libvirt not installed"
        ndwhy[peer]=${ndwhy[modvirt]}
        return
    fi
    nd_modvirt
    nd_peer
}

# shellcheck disable=SC2317  # called from bench/run's EXIT trap
nodedev_cleanup() {
    nd_stop
}

nd_cell() { printf '%s' "${ndres[$1.$2]:-n/a}"; }
nd_ratio() {
    local m=${ndres[modvirt.$1]:-} l=${ndres[peer.$1]:-}
    if [ -z "$m" ] || [ -z "$l" ]; then printf -- '-'
    else awk -v m="$m" -v l="$l" 'BEGIN { printf "%.2f", m / l }'; fi
}

nodedev_table() {
    local row label what key col
    echo
    echo "nodedev: this machine's /sys (${ndres[modvirt.devices]:-?} devices for modvirt, ${ndres[peer.devices]:-?} for libvirtd), through Debian's libvirt client (python3-libvirt)"
    echo "host: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $([ "$cpu" = none ] && echo "no CPU pinning" || echo "clients and daemons on CPU $cpu"); took $(($(date +%s) - nd_t_start)) s"
    echo
    printf '%-28s%-12s%14s%14s%10s\n' "" "" "modvirt" "libvirtd" "ratio"
    for row in "cold start to full list|median (ms)|cold_full_ms" \
               "  (first answer)|median (ms)|cold_first_ms" \
               "list-all|median (us)|list_median_us" "|p99 (us)|list_p99_us" \
               "list + XML of each|median (ms)|dump_median_ms" "|p99 (ms)|dump_p99_ms" \
               "daemon RSS, whole tree|KiB|rss_kib"; do
        IFS='|' read -r label what key <<<"$row"
        printf '%-28s%-12s%14s%14s%10s\n' "$label" "$what" "$(nd_cell modvirt "$key")" "$(nd_cell peer "$key")" "$(nd_ratio "$key")"
    done
    for col in modvirt peer; do
        [ -n "${ndres[$col.cold_full_ms_all]:-}" ] && echo "$col cold starts (ms): ${ndres[$col.cold_full_ms_all]}"
        [ -n "${ndwhy[$col]:-}" ] && echo "$col: n/a: ${ndwhy[$col]}"
    done
    # shellcheck disable=SC2034  # bench/run's exit status
    [ -z "${ndfailed[modvirt]:-}" ] || rc=1
}
