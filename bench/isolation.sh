# shellcheck shell=bash disable=SC2154  # bench/run sets the variables
# The isolation suite of bench/run (sourced by it, not run): what issue 12's
# guest isolation costs the virtinst rows (define, start paused, destroy).
# Two modvirt-qemud of the same build run at once: A with the default
# configuration (each QEMU as its own uid, in its own mount namespace, with
# ACL grants), B with user = "root" (isolation off).  One bench/vibench.py
# drives both, the daemons taking turns in every round, so a burst of load
# on this shared machine falls on both columns alike.
#
#   isolation_suite    vibench.py against A and B
#   isolation_table    prints the table; sets rc=1 if it failed
#   isolation_cleanup  for the EXIT trap: daemon A (B is qemud_pid)
#
# Uses bench/run's top, tmp, pin, start_qemud, stop_qemud, stop_pid,
# isolated, and virtinst.sh's vi_xml, vi_n, vi_measure, vres, vwhy, vfailed.

iso_n=${BENCH_ISO_N:-$vi_n}
iso_pid_a=

isolation_suite() {
    local uri_a
    iso_t_start=$(date +%s)
    if ! /usr/bin/python3 -c 'import libvirt' 2>/dev/null; then
        vwhy[iso]="python3-libvirt not installed"
        vfailed[iso]=1
        return
    fi
    if ! start_qemud isoroot-a; then
        vwhy[iso]="A: $qemud_why"
        vfailed[iso]=1
        return
    fi
    iso_pid_a=$qemud_pid uri_a=$qemud_uri qemud_pid=
    if start_qemud isoroot-b 'user = "root"'; then
        vi_measure iso isolated "${pin[@]}" /usr/bin/python3 "$top/bench/vibench.py" \
            "$uri_a,$qemud_uri" "$vi_xml" "$iso_n" isobench-
    else
        vwhy[iso]="B: $qemud_why"
        vfailed[iso]=1
    fi
    stop_qemud
    isolation_cleanup
}

# shellcheck disable=SC2317  # called from bench/run's EXIT trap
isolation_cleanup() {
    [ -n "$iso_pid_a" ] && stop_pid "$iso_pid_a"
    iso_pid_a=
}

isolation_table() {
    local row label what key
    echo
    echo "isolation: the virtinst rows, $iso_n domains per daemon, A: modvirt-qemud as configured by default (guest isolation on), B: the same binary with user = \"root\" (off), taking turns each round"
    echo "host: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $([ "$cpu" = none ] && echo "no CPU pinning" || echo "clients and daemons on CPU $cpu"); took $(($(date +%s) - iso_t_start)) s"
    echo
    printf '%-24s%-12s%14s%14s%14s\n' "" "" "A: isolated" "B: root" "A-B paired"
    for row in "define|median (ms)|define" "start --paused|median (ms)|start" "destroy|median (ms)|destroy"; do
        IFS='|' read -r label what key <<<"$row"
        printf '%-24s%-12s%14s%14s%14s\n' "$label" "$what" "$(vi_cell iso "A_${key}_median_ms")" \
            "$(vi_cell iso "B_${key}_median_ms")" "$(vi_cell iso "diff_${key}_median_ms")"
        printf '%-24s%-12s%14s%14s\n' "" "p90 (ms)" "$(vi_cell iso "A_${key}_p90_ms")" "$(vi_cell iso "B_${key}_p90_ms")"
    done
    if [ -n "${vwhy[iso]:-}" ]; then
        echo "isolation: n/a: ${vwhy[iso]}"
    else
        echo "A start samples (ms): $(vi_cell iso A_start_samples_ms)"
        echo "B start samples (ms): $(vi_cell iso B_start_samples_ms)"
    fi
    # shellcheck disable=SC2034  # bench/run's exit status
    [ -z "${vfailed[iso]:-}" ] || rc=1
}
