# shellcheck shell=bash disable=SC2154  # bench/run sets the variables
# The compute suite of bench/run (sourced by it, not run): issue 15's
# benchmark, save + restore, disk attach + detach, bulk stats of many paused
# guests and internal snapshots, modvirt-qemud next to libvirtd, both
# through Debian's libvirt client (bench/compbench.py, python3-libvirt), on
# the test guest under TCG.  The daemons take turns (modvirt first), each
# with the whole of compbench.py; a part modvirt refuses is reported as
# "not supported" with the daemon's message, so the suite runs whatever
# modvirt implements.
#
#   compute_suite    compbench.py against each daemon
#   compute_table    prints the table; sets rc=1 if modvirt's run broke
#                    (a refused part does not)
#   compute_cleanup  for the EXIT trap: our domains in the peer, our QEMUs
#
# Uses bench/run's build, top, tmp, pin, child, start_qemud, stop_qemud,
# start_peer, stop_peer, settle, isolated, stop_pid, peer_uri, peer_running.
# Every guest file (kernel, initrd, disks, save images, serial logs) is under
# $tmp/compute, and so every QEMU this suite starts names $tmp on its
# command line.

declare -A cres     # cres[column.key] = value, from compbench.py's lines
declare -A cwhy     # cwhy[column] = reason a whole column is n/a
declare -A cfailed  # cfailed[column] = 1: n/a because something broke
cm_peer_used=
cm_prefix=cmbench-

# cm_guest: the kernel and initrd under $tmp/compute (world-readable,
# whichever user a daemon runs QEMU as), one work directory per column
# (world-writable: serial logs, disks, save images) and the XML template
# (guest_domain_xml with guest.tick=1, guest.watch=1 for the hotplug
# markers, @NAME@ and a <!--@DEVICES@--> slot).  Builds the guest first
# if needed, as the tests do.
cm_guest() {
    (
        export top_builddir=$build top_srcdir=$top
        # shellcheck source=tests/integration/guest.sh
        . "$top/tests/integration/guest.sh"
        guest_build || exit
        g=$tmp/compute
        mkdir -p "$g/modvirt" "$g/peer" || exit
        chmod 711 "$tmp" && chmod 755 "$g" && chmod 1777 "$g/modvirt" "$g/peer" || exit
        install -m 644 "$GUEST_KERNEL" "$g/vmlinuz" || exit
        install -m 644 "$GUEST_INITRD" "$g/initrd.img" || exit
        GUEST_KERNEL=$g/vmlinuz GUEST_INITRD=$g/initrd.img
        export GUEST_APPEND="guest.tick=1 guest.watch=1"
        for col in modvirt peer; do
            guest_domain_xml @NAME@ "$g/$col/@NAME@.log" "<!--@DEVICES@-->" >"$g/$col.xml" || exit
        done
    ) >>"$tmp/guest.log" 2>&1
}

# cm_measure COLUMN COMMAND...: runs compbench.py, parses its lines
cm_measure() {
    local col=$1 rc line
    shift
    echo "bench/run: compute, $col ..." >&2
    "$@" >"$tmp/cm-$col.out" 2>"$tmp/cm-$col.err" &
    child=$!
    wait "$child"
    rc=$?
    child=
    while read -r line; do
        case $line in
        *=*) cres[$col.${line%%=*}]=${line#*=} ;;
        esac
    done <"$tmp/cm-$col.out"
    if [ $rc -ne 0 ]; then
        cwhy[$col]="compbench.py failed (exit $rc): $(tail -1 "$tmp/cm-$col.err")"
        cfailed[$col]=1
        return 1
    fi
}

compute_suite() {
    local g=$tmp/compute bench
    cm_t_start=$(date +%s)
    if ! /usr/bin/python3 -c 'import libvirt' 2>/dev/null; then
        cwhy[modvirt]="python3-libvirt not installed"
        cwhy[peer]=${cwhy[modvirt]}
        return
    fi
    if ! command -v qemu-system-x86_64 >/dev/null || ! command -v qemu-img >/dev/null; then
        cwhy[modvirt]="qemu-system-x86_64 or qemu-img not installed"
        cwhy[peer]=${cwhy[modvirt]}
        return
    fi
    echo "bench/run: compute: the test guest ..." >&2
    if ! cm_guest; then
        cwhy[modvirt]="no test guest: $(tail -1 "$tmp/guest.log")"
        cwhy[peer]=${cwhy[modvirt]}
        return
    fi
    bench=("${pin[@]}" /usr/bin/python3 "$top/bench/compbench.py")

    if ! start_qemud cmroot; then
        cwhy[modvirt]=$qemud_why
        cfailed[modvirt]=1
    elif ! isolated true 2>/dev/null; then
        cwhy[modvirt]="cannot make a private mount namespace (unshare -m)"
    else
        cm_measure modvirt isolated "${bench[@]}" "$qemud_uri" "$g/modvirt.xml" "$g/modvirt" "$cm_prefix"
    fi
    stop_qemud
    cm_kill_qemus modvirt

    if start_peer; then
        cm_peer_used=1
        cm_measure peer "${bench[@]}" "$peer_uri" "$g/peer.xml" "$g/peer" "$cm_prefix"
        compute_cleanup
    else
        cwhy[peer]=$peer_why
    fi
    stop_peer
}

# cm_kill_qemus [COLUMN]: QEMUs whose command line names a file under
# $tmp/compute(/COLUMN) (modvirt's guests outlive their daemon by design)
cm_kill_qemus() {
    local p dir=$tmp/compute/${1:-}
    for p in /proc/[0-9]*; do
        case $(readlink "$p/exe" 2>/dev/null) in */qemu-system-*) ;; *) continue ;; esac
        tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qF "$dir" && kill -KILL "${p#/proc/}" 2>/dev/null
    done
    return 0
}

# shellcheck disable=SC2317  # called from bench/run's EXIT trap
compute_cleanup() {
    if [ -n "$cm_peer_used" ] && peer_running; then
        /usr/bin/python3 - "$peer_uri" "$cm_prefix" <<'PY' >>"$tmp/peer.log" 2>&1
import sys, libvirt
c = libvirt.open(sys.argv[1])
for d in c.listAllDomains():
    if d.name().startswith(sys.argv[2]):
        if d.isActive():
            d.destroy()
        d.undefineFlags(libvirt.VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
                        libvirt.VIR_DOMAIN_UNDEFINE_MANAGED_SAVE)
PY
    fi
    cm_peer_used=
    [ -d "$tmp/compute" ] && cm_kill_qemus
    return 0
}

# cm_cell COL PART KEY: the value, or the part's error in short, or n/a
cm_cell() {
    local v=${cres[$1.$3]:-}
    if [ -n "$v" ]; then printf '%s' "$v"
    elif [ -n "${cres[$1.$2_error]:-}" ]; then cm_refused "$1" "$2" short
    else printf 'n/a'; fi
}
# cm_refused COL PART [short]: "not supported" when the daemon said so
# (libvirt's VIR_ERR_NO_SUPPORT 3, OPERATION_UNSUPPORTED 84), else "failed"
cm_refused() {
    case ${cres[$1.$2_error_code]:-0} in
    3|84) printf 'not supported' ;;
    *) printf 'failed' ;;
    esac
    [ "${3:-}" = short ] || printf ' (%s)' "${cres[$1.$2_error]}"
}
cm_ratio() {
    local m=${cres[modvirt.$1]:-} l=${cres[peer.$1]:-}
    if [ -z "$m" ] || [ -z "$l" ] || [ "$l" = 0 ] || [ "$l" = 0.0 ]; then printf -- '-'
    else awk -v m="$m" -v l="$l" 'BEGIN { printf "%.2f", m / l }'; fi
}

# cm_keys_diff: the stats keys of one domain that only one daemon reports
cm_keys_diff() {
    local m=${cres[modvirt.stats_keynames]:-} l=${cres[peer.stats_keynames]:-} only
    [ -n "$m" ] && [ -n "$l" ] || return 0
    only=$(LC_ALL=C comm -23 <(tr , '\n' <<<"$m") <(tr , '\n' <<<"$l") | paste -sd' ')
    [ -z "$only" ] || echo "stats keys only modvirt reports: $only"
    only=$(LC_ALL=C comm -13 <(tr , '\n' <<<"$m") <(tr , '\n' <<<"$l") | paste -sd' ')
    [ -z "$only" ] || echo "stats keys only libvirtd reports: $only"
    return 0
}

compute_table() {
    local row label what part key col title
    local -a rows=(
        "save, 256 MiB guest|median (ms)|save|save_save_median_ms"
        "  (running)|p90 (ms)|save|save_save_p90_ms"
        "  image size|MiB|save|save_image_mib"
        "restore|median (ms)|save|save_restore_median_ms"
        "|p90 (ms)|save|save_restore_p90_ms"
        "  to the next guest tick|median (ms)|save|save_tick_median_ms"
        "attach-device, raw disk|median (ms)|hotplug|hotplug_attach_median_ms"
        "|p90 (ms)|hotplug|hotplug_attach_p90_ms"
        "  until the guest has it|median (ms)|hotplug|hotplug_seen_median_ms"
        "detach-device|median (ms)|hotplug|hotplug_detach_median_ms"
        "|p90 (ms)|hotplug|hotplug_detach_p90_ms"
        "  until gone from live XML|median (ms)|hotplug|hotplug_gone_median_ms"
        "start ${BENCH_CM_GUESTS:-50} guests paused|total (s)|stats|stats_start_all_s"
        "getAllDomainStats|median (ms)|stats|stats_all_median_ms"
        "  ${BENCH_CM_GUESTS:-50} paused guests|p90 (ms)|stats|stats_all_p90_ms"
        "  stats per domain|keys|stats|stats_keys"
        "snapshot-create, internal|median (ms)|snapshot|snap_create_median_ms"
        "  (running, qcow2)|p90 (ms)|snapshot|snap_create_p90_ms"
        "snapshot-revert|median (ms)|snapshot|snap_revert_median_ms"
        "|p90 (ms)|snapshot|snap_revert_p90_ms"
        "snapshot-delete|median (ms)|snapshot|snap_delete_median_ms"
    )
    echo
    echo "compute: the test guest under TCG (1 vCPU, guest.tick=1), through Debian's libvirt client (python3-libvirt); save ${BENCH_CM_SAVES:-3} rounds, hotplug ${BENCH_CM_HOTPLUG:-10}, stats ${BENCH_CM_STATS:-20} calls over ${BENCH_CM_GUESTS:-50} guests of 64 MiB, snapshots ${BENCH_CM_SNAPS:-3}"
    echo "host: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $([ "$cpu" = none ] && echo "no CPU pinning" || echo "clients and daemons on CPU $cpu"); took $(($(date +%s) - cm_t_start)) s"
    echo "guest QEMU on CPUs: modvirt ${cres[modvirt.qemu_cpus]:-n/a}, libvirtd ${cres[peer.qemu_cpus]:-n/a}; ratio = modvirt / libvirtd"
    echo
    printf '%-30s%-14s%16s%16s%8s\n' "" "" "modvirt" "libvirtd" "ratio"
    for row in "${rows[@]}"; do
        IFS='|' read -r label what part key <<<"$row"
        printf '%-30s%-14s%16s%16s%8s\n' "$label" "$what" \
            "$(cm_cell modvirt "$part" "$key")" "$(cm_cell peer "$part" "$key")" "$(cm_ratio "$key")"
    done
    echo
    for col in modvirt peer; do
        [ $col = modvirt ] && title=modvirt || title=libvirtd
        for part in save hotplug stats snapshot; do
            [ -n "${cres[$col.${part}_error]:-}" ] && echo "$title: $part: $(cm_refused "$col" "$part")"
        done
        for key in save_save hotplug_attach hotplug_detach snap_create snap_revert; do
            [ -n "${cres[$col.${key}_samples_ms]:-}" ] &&
                echo "$title ${key//_/ } samples (ms): ${cres[$col.${key}_samples_ms]//,/ }"
        done
    done
    cm_keys_diff
    [ -n "${why_note:-}" ] && echo "libvirtd: $why_note"
    for col in modvirt peer; do
        [ -n "${cwhy[$col]:-}" ] || continue
        [ $col = modvirt ] && title=modvirt || title=libvirtd
        echo "$title: n/a: ${cwhy[$col]}"
        # shellcheck disable=SC2034  # bench/run's exit status
        [ $col = modvirt ] && [ -n "${cfailed[$col]:-}" ] && rc=1
    done
    return 0
}
