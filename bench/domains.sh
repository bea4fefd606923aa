# shellcheck shell=bash disable=SC2154  # bench/run sets the variables
# The domain suite of bench/run (sourced by it, not run): bench/dombench
# against modvirt-qemud and against the libvirtd peer, both through Debian's
# libvirt client, and the table modvirt | libvirtd | ratio.
#
#   domains_suite    the test guest, then dombench for each daemon
#   domains_table    prints the table; sets rc=1 if the modvirt column failed
#   domains_cleanup  for the EXIT trap: our domains in the peer, our QEMUs
#
# Uses bench/run's build, top, tmp, pin, child, start_qemud, stop_qemud,
# start_peer, stop_peer, settle, isolated, stop_pid.  Every guest file
# (kernel, initrd, serial logs) is under $tmp/guest, and so every QEMU this
# suite starts, raw or through a daemon, names $tmp on its command line.

dombench=$build/bench/dombench
declare -A dres     # dres[column.key] = value, from dombench's output lines
declare -A dwhy     # dwhy[column] = reason a column is n/a
declare -A dfailed  # dfailed[column] = 1: n/a because something broke
dom_peer_used=

# dom_guest: the guest's kernel and initrd under $tmp/guest (world-readable,
# whichever user the peer's qemu.conf runs QEMU as), one serial-log
# directory and one XML template per column (guest_domain_xml with the name
# @NAME@).  Builds the guest first if needed, as the tests do.
dom_guest() {
    (
        export top_builddir=$build top_srcdir=$top
        # shellcheck source=tests/integration/guest.sh
        . "$top/tests/integration/guest.sh"
        guest_build || exit
        g=$tmp/guest
        mkdir -p "$g/modvirt" "$g/peer" || exit
        chmod 711 "$tmp" && chmod 755 "$g" && chmod 1777 "$g/modvirt" "$g/peer" || exit
        install -m 644 "$GUEST_KERNEL" "$g/vmlinuz" || exit
        install -m 644 "$GUEST_INITRD" "$g/initrd.img" || exit
        GUEST_KERNEL=$g/vmlinuz GUEST_INITRD=$g/initrd.img
        for col in modvirt peer; do
            guest_domain_xml @NAME@ "$g/$col/@NAME@.log" >"$g/$col.xml" || exit
        done
    ) >>"$tmp/guest.log" 2>&1
}

# dom_measure COLUMN COMMAND...: runs dombench, its progress on stderr,
# parses its key=value lines into dres[]
dom_measure() {
    local col=$1 rc line kv
    shift
    echo "bench/run: domains, $col ..." >&2
    "$@" >"$tmp/dom-$col.out" 2> >(tee "$tmp/dom-$col.err" | sed -u "s/^/  [$col] /" >&2) &
    child=$!
    wait "$child"
    rc=$?
    child=
    sleep 0.2       # let tee write the last lines
    if [ $rc -ne 0 ]; then
        dwhy[$col]="dombench failed (exit $rc): $(grep -v '^dombench: undefin' "$tmp/dom-$col.err" | tail -1)"
        dfailed[$col]=1
        return 1
    fi
    while read -r line; do
        for kv in $line; do dres[$col.${kv%%=*}]=${kv#*=}; done
    done <"$tmp/dom-$col.out"
}

domains_suite() {
    local g=$tmp/guest opts
    dom_t_start=$(date +%s)
    if [ ! -x "$dombench" ]; then
        dwhy[modvirt]="$dombench not built (configure found no libvirt >= 9.0)"
        dwhy[peer]=${dwhy[modvirt]}
        return
    fi
    if ! command -v qemu-system-x86_64 >/dev/null; then
        dwhy[modvirt]="qemu-system-x86_64 not installed"
        dwhy[peer]=${dwhy[modvirt]}
        return
    fi
    echo "bench/run: domains: the test guest ..." >&2
    if ! dom_guest; then
        dwhy[modvirt]="no test guest: $(tail -1 "$tmp/guest.log")"
        dwhy[peer]=${dwhy[modvirt]}
        return
    fi
    opts=(-k "$g/vmlinuz" -i "$g/initrd.img")

    # modvirt-qemud: a fresh private instance
    if ! start_qemud droot; then
        dwhy[modvirt]=$qemud_why
        dfailed[modvirt]=1
    elif ! isolated true 2>/dev/null; then
        dwhy[modvirt]="cannot make a private mount namespace (unshare -m)"
    else
        dom_measure modvirt isolated "${pin[@]}" "$dombench" "${opts[@]}" -p "$qemud_pid" \
            run "$qemud_uri" "$g/modvirt.xml" "$g/modvirt/@NAME@.log"
    fi
    stop_qemud

    # the peer: fresh too, unless it was running before bench/run
    if start_peer; then
        dom_peer_used=1
        # leftovers of an interrupted earlier run (dombench refuses to start)
        "$dombench" cleanup "$peer_uri" >>"$tmp/peer.log" 2>&1
        settle "$peer_pid"
        dom_measure peer "${pin[@]}" "$dombench" "${opts[@]}" -p "$peer_pid" \
            run "$peer_uri" "$g/peer.xml" "$g/peer/@NAME@.log"
        domains_cleanup     # dombench cleans up after itself; make sure
    else
        dwhy[peer]=$peer_why
    fi
    stop_peer
}

# QEMUs whose command line names a file under $tmp: ours, whoever started
# them (modvirt's guests outlive their daemon by design).
dom_kill_qemus() {
    local p
    for p in /proc/[0-9]*; do
        case $(readlink "$p/exe" 2>/dev/null) in */qemu-system-*) ;; *) continue ;; esac
        tr '\0' '\n' <"$p/cmdline" 2>/dev/null | grep -qF "$tmp/" && kill -KILL "${p#/proc/}" 2>/dev/null
    done
    return 0
}

# shellcheck disable=SC2317  # called from bench/run's EXIT trap
domains_cleanup() {
    if [ -n "$dom_peer_used" ] && [ -x "$dombench" ] && peer_running; then
        "$dombench" cleanup "$peer_uri" >>"$tmp/peer.log" 2>&1
    fi
    dom_peer_used=
    dom_kill_qemus
}

# dom_cell COL KEY DIV DECIMALS: the value divided by DIV, or n/a
dom_cell() {
    local v=${dres[$1.$2]:-}
    if [ -z "$v" ]; then printf 'n/a'; else awk -v v="$v" -v d="$3" -v p="$4" 'BEGIN { printf "%.*f", p, v / d }'; fi
}
# dom_ratio KEY: modvirt / libvirtd
dom_ratio() {
    local m=${dres[modvirt.$1]:-} l=${dres[peer.$1]:-}
    if [ -z "$m" ] || [ -z "$l" ] || [ "$l" = 0 ]; then printf -- '-'
    else awk -v m="$m" -v l="$l" 'BEGIN { printf "%.2f", m / l }'; fi
}

domains_table() {
    local row label what key div dec col titles
    local -a rows=(
        "lookup-by-name + get-info|median of 2000 (µs)|lookup_median_us|1|1"
        "|p99 (µs)|lookup_p99_us|1|1"
        "list-all, 1000 domains|median of 50 (ms)|listall_median_ms|1|2"
        "define|median of 1000 (ms)|define_median_ms|1|2"
        "start: virDomainCreate|median of 5 (ms)|create_median_ms|1|0"
        "start: to GUEST-BOOTED-OK|median of 5 (ms)|booted_median_ms|1|0"
        "  raw QEMU, same CPUs|median of 5 (ms)|raw_booted_median_ms|1|0"
        "destroy (running guest)|median of 5 (ms)|destroy_median_ms|1|1"
        "daemon RSS|idle (MiB)|rss_idle_kib|1024|1"
        "|1000 domains (MiB)|rss_defined_kib|1024|1"
    )
    echo
    echo "dombench: Debian's libvirt $(pkg-config --modversion libvirt 2>/dev/null || echo 9.0) client against each daemon; test guest under TCG, 256 MiB, 1 vCPU"
    echo "host: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $([ "$cpu" = none ] && echo "no CPU pinning" || echo "clients and daemons on CPU $cpu"); took $(($(date +%s) - dom_t_start)) s"
    echo "guest QEMU on CPUs: modvirt ${dres[modvirt.qemu_cpus]:-n/a}, libvirtd ${dres[peer.qemu_cpus]:-n/a} (each raw QEMU row uses its column's); ratio = modvirt / libvirtd"
    echo
    printf '%-28s%-22s%12s%12s%8s\n' "" "" "modvirt" "libvirtd" "ratio"
    for row in "${rows[@]}"; do
        IFS='|' read -r label what key div dec <<<"$row"
        printf '%-28s%-22s%12s%12s%8s\n' "$label" "$what" \
            "$(dom_cell modvirt "$key" "$div" "$dec")" "$(dom_cell peer "$key" "$div" "$dec")" \
            "$(dom_ratio "$key")"
    done
    echo
    for col in modvirt peer; do
        [ -n "${dres[$col.create_all_ms]:-}" ] || continue
        [ $col = modvirt ] && titles=modvirt || titles=libvirtd
        printf '%-9s boots (ms): create %s; booted %s; raw %s; destroy %s\n' "$titles" \
            "${dres[$col.create_all_ms]//,/ }" "${dres[$col.booted_all_ms]//,/ }" \
            "$(tr , ' ' <<<"${dres[$col.raw_booted_all_ms]:-n/a}")" "${dres[$col.destroy_all_ms]//,/ }"
    done
    [ "${dres[modvirt.listall_domains]:-1000}" = 1000 ] && [ "${dres[peer.listall_domains]:-1000}" = 1000 ] ||
        echo "note: list-all returned ${dres[modvirt.listall_domains]:-n/a} (modvirt) and ${dres[peer.listall_domains]:-n/a} (libvirtd) domains"
    [ -n "${why_note:-}" ] && echo "libvirtd: $why_note"
    for col in modvirt peer; do
        [ -n "${dwhy[$col]:-}" ] || continue
        [ $col = modvirt ] && titles=modvirt || titles=libvirtd
        echo "$titles: n/a: ${dwhy[$col]}"
        [ $col = modvirt ] && [ -n "${dfailed[$col]:-}" ] && rc=1
    done
    return 0
}
