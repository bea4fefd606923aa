# shellcheck shell=bash disable=SC2154  # bench/run sets the variables
# The virtinst suite of bench/run (sourced by it, not run): define + start
# (paused) of virt-install's Linux default, modvirt-qemud next to libvirtd,
# both through Debian's libvirt client (bench/vibench.py, python3-libvirt).
# The XML is virt-install 4.1's --print-xml for fedora37 as checked in
# (tests/data/virtinst/fedora37.xml: q35, SPICE with its spicevmc channel
# and USB redirection, ich9 sound, virtio video, guest agent channel, rng,
# balloon, 512 MiB, 2 vCPUs, no disk or NIC): the same file for both
# daemons.  One QEMU runs at a time (each is destroyed before the next
# start); SPICE listens on 127.0.0.1 ports the daemons choose.
#
#   virtinst_suite    vibench.py against each daemon
#   virtinst_table    prints the table; sets rc=1 if the modvirt column failed
#   virtinst_cleanup  for the EXIT trap: our domains in the peer
#
# Uses bench/run's top, tmp, pin, start_qemud, stop_qemud, start_peer,
# stop_peer, peer_uri, isolated.

vi_xml=$top/tests/data/virtinst/fedora37.xml
vi_n=${BENCH_VI_N:-20}
declare -A vres     # vres[column.key] = value
declare -A vwhy     # vwhy[column] = reason a column is n/a
declare -A vfailed
vi_peer_used=

# vi_measure COLUMN COMMAND...: runs vibench.py, parses its key=value lines
vi_measure() {
    local col=$1 line kv
    shift
    echo "bench/run: virtinst, $col ..." >&2
    if ! "$@" >"$tmp/vi-$col.out" 2>"$tmp/vi-$col.err"; then
        vwhy[$col]="vibench.py failed: $(tail -1 "$tmp/vi-$col.err")"
        vfailed[$col]=1
        return 1
    fi
    while read -r line; do
        for kv in $line; do vres[$col.${kv%%=*}]=${kv#*=}; done
    done <"$tmp/vi-$col.out"
}

virtinst_suite() {
    local bench=("${pin[@]}" /usr/bin/python3 "$top/bench/vibench.py")
    vi_t_start=$(date +%s)
    if ! /usr/bin/python3 -c 'import libvirt' 2>/dev/null; then
        vwhy[modvirt]="python3-libvirt not installed"
        vwhy[peer]=${vwhy[modvirt]}
        return
    fi
    if start_qemud viroot; then
        vi_measure modvirt isolated "${bench[@]}" "$qemud_uri" "$vi_xml" "$vi_n" vibench-
    else
        vwhy[modvirt]=$qemud_why
        vfailed[modvirt]=1
    fi
    stop_qemud
    if start_peer; then
        vi_peer_used=1
        vi_measure peer "${bench[@]}" "$peer_uri" "$vi_xml" "$vi_n" vibench-
        virtinst_cleanup
    else
        vwhy[peer]=$peer_why
    fi
    stop_peer
}

# shellcheck disable=SC2317  # called from bench/run's EXIT trap
virtinst_cleanup() {
    [ -n "$vi_peer_used" ] && peer_running || return 0
    /usr/bin/python3 - "$peer_uri" <<'PY' >>"$tmp/peer.log" 2>&1
import sys, libvirt
c = libvirt.open(sys.argv[1])
for d in c.listAllDomains():
    if d.name().startswith("vibench-"):
        if d.isActive():
            d.destroy()
        d.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_NVRAM | libvirt.VIR_DOMAIN_UNDEFINE_TPM)
PY
    vi_peer_used=
}

vi_cell() { printf '%s' "${vres[$1.$2]:-n/a}"; }
vi_ratio() {
    local m=${vres[modvirt.$1]:-} l=${vres[peer.$1]:-}
    if [ -z "$m" ] || [ -z "$l" ]; then printf -- '-'
    else awk -v m="$m" -v l="$l" 'BEGIN { printf "%.2f", m / l }'; fi
}

virtinst_table() {
    local row label what key col
    echo
    echo "virtinst: define + start (paused) of virt-install's fedora37 default (tests/data/virtinst/fedora37.xml), $vi_n domains, through Debian's libvirt client"
    echo "host: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $([ "$cpu" = none ] && echo "no CPU pinning" || echo "clients and daemons on CPU $cpu"); took $(($(date +%s) - vi_t_start)) s"
    echo
    printf '%-24s%-12s%14s%14s%10s\n' "" "" "modvirt" "libvirtd" "ratio"
    for row in "define|median (ms)|define_median_ms" "|p90 (ms)|define_p90_ms" \
               "start --paused|median (ms)|start_median_ms" "|p90 (ms)|start_p90_ms" \
               "destroy|median (ms)|destroy_median_ms" "|p90 (ms)|destroy_p90_ms"; do
        IFS='|' read -r label what key <<<"$row"
        printf '%-24s%-12s%14s%14s%10s\n' "$label" "$what" "$(vi_cell modvirt "$key")" "$(vi_cell peer "$key")" "$(vi_ratio "$key")"
    done
    for col in modvirt peer; do
        if [ -n "${vwhy[$col]:-}" ]; then echo "$col: n/a: ${vwhy[$col]}"
        else echo "$col start samples (ms): $(vi_cell "$col" start_samples_ms)"; fi
    done
    # shellcheck disable=SC2034  # bench/run's exit status
    [ -z "${vfailed[modvirt]:-}" ] || rc=1
}
