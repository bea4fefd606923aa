# shellcheck shell=bash disable=SC2154  # bench/run sets the variables
# The tls suite of bench/run (sourced by it, not run): remote access over
# qemu+tls:// (issue 13), modvirt-proxyd (in front of modvirt-qemud and
# -storaged, one --root) next to the peer (Debian's libvirtd, its TLS
# listener turned on for the suite), both on 127.0.0.1 with the SAME
# certificates (tests/lib/pki.sh: RSA 2048, one CA and its CRL, the client
# DN checked against the same tls_allowed_dn_list).  bench/tlsbench.py, one
# python3-libvirt process, drives both, the two taking turns each round:
#   open      libvirt.open + close: connect, TLS handshake, confirmation
#             byte, CONNECT_OPEN and the client's own calls (ms)
#   rtt       getLibVersion (proxyd answers it) and getHostname (forwarded
#             to qemud) on one connection (µs)
#   download  a 1 GiB volume of random data through a stream (MiB/s)
# Medians over all samples of all rounds.
#
#   tls_suite    runs it          tls_table    prints the table; rc=1 if the
#   tls_cleanup  for the EXIT trap             modvirt column failed
#
# Uses bench/run's top, build, tmp, pin, start_qemud, stop_qemud, stop_pid,
# settle, start_peer, stop_peer, peer_running, peer_env, peer_dir.

tls_rounds=${BENCH_TLS_ROUNDS:-5}
tls_opens=${BENCH_TLS_OPENS:-20}
tls_calls=${BENCH_TLS_CALLS:-2000}
tls_dl=${BENCH_TLS_DL:-3}
tls_proxyd_bin=$build/proxyd/modvirt-proxyd
tls_storaged_bin=$build/storaged/modvirt-storaged
tls_storaged_pid=
tls_proxyd_pid=
tls_peer_conf=          # the peer's libvirtd.conf while the suite's copy is in place
declare -A tres         # tres[column.key] = value, from tlsbench.py's lines
declare -A twhy         # twhy[column] = why it is n/a
declare -A tfailed

# tls_session PORT: what gnutls-cli (the library libvirt's client uses, its
# default priority) negotiates with the good client certificate: "(TLS1.3)-
# (ECDHE-...)-(...)-(AES-256-GCM)"
tls_session() {
    timeout 10 gnutls-cli --x509cafile "$tmp/tlspki/ca/cacert.pem" --x509certfile "$tmp/tlspki/good/clientcert.pem" \
        --x509keyfile "$tmp/tlspki/good/clientkey.pem" -p "$1" 127.0.0.1 </dev/null 2>/dev/null |
        sed -n 's/^- Description: //p' | head -n 1
}

# tls_wait_port PORT PID: something listens on 127.0.0.1:PORT (10 s at most)
tls_wait_port() {
    local i
    for ((i = 0; i < 100; i++)); do
        (: <>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        kill -0 "$2" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}

# tls_start_modvirt PORT: qemud, storaged and proxyd (TLS on PORT) under
# $tmp/tlsroot; or 1 with the reason in twhy[modvirt]
tls_start_modvirt() {
    local root=$tmp/tlsroot port=$1 i sock
    for b in "$tls_proxyd_bin" "$tls_storaged_bin"; do
        [ -x "$b" ] || { twhy[modvirt]="$b not built"; return 1; }
    done
    start_qemud tlsroot || { twhy[modvirt]=$qemud_why; return 1; }
    "${pin[@]}" "$tls_storaged_bin" --root "$root" >"$tmp/tls-storaged.log" 2>&1 &
    tls_storaged_pid=$!
    sock=$root/run/modvirt/storaged-sock
    for ((i = 0; i < 100; i++)); do
        [ -S "$sock" ] && break
        kill -0 "$tls_storaged_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -S "$sock" ] || { twhy[modvirt]="modvirt-storaged did not start: $(tail -1 "$tmp/tls-storaged.log")"; return 1; }
    pki_install_server "$tmp/tlspki" "$root"
    cat >"$root/etc/modvirt/modvirt-proxyd.conf" <<EOF
listen_tls = 1
listen_addr = "127.0.0.1"
tls_port = "$port"
tls_allowed_dn_list = $PKI_ALLOWED_DN_LIST
EOF
    "${pin[@]}" "$tls_proxyd_bin" --root "$root" >"$tmp/tls-proxyd.log" 2>&1 &
    tls_proxyd_pid=$!
    tls_wait_port "$port" "$tls_proxyd_pid" ||
        { twhy[modvirt]="modvirt-proxyd does not listen on $port: $(tail -1 "$tmp/tls-proxyd.log")"; return 1; }
    settle "$tls_storaged_pid"
    settle "$tls_proxyd_pid"
}

# tls_peer_conf_set PORT: the peer's libvirtd.conf with a TLS listener on
# PORT and the suite's certificates (the original is put back by
# tls_peer_conf_restore); 1 if there is no state tree to put it in
tls_peer_conf_set() {
    local anc conf
    anc=$(peer_env ANC)
    [ -x "$anc/subreaper" ] || "$peer_dir/setup.sh" >>"$tmp/peer.log" 2>&1 || return 1
    conf=$anc/etc/libvirtd.conf
    [ -f "$conf" ] || return 1
    cp "$conf" "$conf.tlsbench-saved" || return 1
    tls_peer_conf=$conf
    {
        grep -vE '^[[:space:]]*(listen_tls|tls_port|ca_file|cert_file|key_file|crl_file|auth_tls|tls_allowed_dn_list)[[:space:]]*=' \
            "$conf.tlsbench-saved"
        echo "listen_tls = 1"
        echo "tls_port = \"$1\""
        echo "auth_tls = \"none\""
        echo "ca_file = \"$tmp/tlspki/ca/cacert.pem\""
        echo "cert_file = \"$tmp/tlspki/server/servercert.pem\""
        echo "key_file = \"$tmp/tlspki/server/serverkey.pem\""
        echo "crl_file = \"$tmp/tlspki/ca/cacrl.pem\""
        echo "tls_allowed_dn_list = $PKI_ALLOWED_DN_LIST"
    } >"$conf"
}
tls_peer_conf_restore() {
    [ -n "$tls_peer_conf" ] || return 0
    mv -f "$tls_peer_conf.tlsbench-saved" "$tls_peer_conf"
    tls_peer_conf=
}

# tls_measure TARGET...: tlsbench.py over the targets (NAME|URI|POOLDIR); a
# target it names as failed is dropped, with its reason, and the rest run
# again: one broken column never hides the other
tls_measure() {
    local line kv name bad
    local -a targets=("$@")
    while [ ${#targets[@]} -gt 0 ]; do
        echo "bench/run: tls: ${#targets[@]} target(s), $tls_rounds rounds ..." >&2
        "${pin[@]}" /usr/bin/python3 "$top/bench/tlsbench.py" "$tls_rounds" "$tls_opens" "$tls_calls" "$tls_dl" \
            "${targets[@]}" >"$tmp/tls.out" 2>"$tmp/tls.err" &
        child=$!
        wait "$child" && { child=; break; }
        child=
        bad=$(sed -n 's/^tlsbench: target=\([a-z]*\) .*/\1/p' "$tmp/tls.err" | tail -1)
        if [ -z "$bad" ]; then
            for t in "${targets[@]}"; do
                twhy[${t%%|*}]="tlsbench.py failed: $(tail -1 "$tmp/tls.err")"
                tfailed[${t%%|*}]=1
            done
            return 1
        fi
        twhy[$bad]=$(grep '^tlsbench: target=' "$tmp/tls.err" | tail -1 | sed 's/^tlsbench: target=[a-z]* //')
        tfailed[$bad]=1
        local -a rest=()
        for t in "${targets[@]}"; do [ "${t%%|*}" = "$bad" ] || rest+=("$t"); done
        targets=("${rest[@]}")
    done
    while read -r line; do
        name=$(sed -n 's/^name=\([a-z]*\) .*/\1/p' <<<"$line")
        [ -n "$name" ] || continue
        for kv in $line; do tres[$name.${kv%%=*}]=${kv#*=}; done
    done <"$tmp/tls.out"
}

tls_suite() {
    local port_m port_p data=$tmp/tlsdata col
    local -a targets=()
    tls_t_start=$(date +%s)
    if ! /usr/bin/python3 -c 'import libvirt' 2>/dev/null; then
        twhy[modvirt]="python3-libvirt not installed"; tfailed[modvirt]=1; twhy[peer]=${twhy[modvirt]}
        return
    fi
    # shellcheck source=tests/lib/pki.sh
    . "$top/tests/lib/pki.sh"
    echo "bench/run: tls: certificates, 1 GiB of random data ..." >&2
    if ! command -v certtool >/dev/null || ! pki_make "$tmp/tlspki"; then
        twhy[modvirt]="certtool (gnutls-bin) missing or failed"; tfailed[modvirt]=1; twhy[peer]=${twhy[modvirt]}
        return
    fi
    mkdir -p "$data" "$tmp/tlspool-modvirt" "$tmp/tlspool-peer"
    head -c $((1 << 30)) /dev/urandom >"$data/dense.raw"
    # one file, two pools: the same page-cache pages for both
    ln "$data/dense.raw" "$tmp/tlspool-modvirt/dense.raw"
    ln "$data/dense.raw" "$tmp/tlspool-peer/dense.raw"
    port_m=$(free_tcp_port)
    port_p=$(free_tcp_port)
    while [ "$port_p" = "$port_m" ]; do port_p=$(free_tcp_port); done

    if tls_start_modvirt "$port_m"; then
        targets+=("modvirt|qemu+tls://127.0.0.1:$port_m/system?pkipath=$tmp/tlspki/good|$tmp/tlspool-modvirt")
    else
        tfailed[modvirt]=1
    fi
    if peer_running; then
        twhy[peer]="the peer was already running: it has no TLS listener of this suite's"
    elif ! tls_peer_conf_set "$port_p"; then
        twhy[peer]="cannot write the peer's libvirtd.conf (see $peer_dir/setup.sh)"
    elif ! start_peer; then
        twhy[peer]=$peer_why
    elif ! tls_wait_port "$port_p" "$peer_pid"; then
        twhy[peer]="libvirtd does not listen on $port_p (TLS): $(tail -3 "$(peer_env ANC)/log/libvirtd.log" | tr '\n' ' ')"
    else
        targets+=("peer|qemu+tls://127.0.0.1:$port_p/system?pkipath=$tmp/tlspki/good|$tmp/tlspool-peer")
    fi
    for col in "${targets[@]}"; do
        command -v gnutls-cli >/dev/null || break
        [ "${col%%|*}" = modvirt ] && tres[modvirt.session]=$(tls_session "$port_m")
        [ "${col%%|*}" = peer ] && tres[peer.session]=$(tls_session "$port_p")
    done
    if [ ${#targets[@]} -gt 0 ]; then
        sync
        cat "$data/dense.raw" >/dev/null     # both read it from the page cache
        tls_measure "${targets[@]}"
    fi
    for col in modvirt peer; do
        [ -n "${tres[$col.open_median_ms]:-}" ] || [ -n "${twhy[$col]:-}" ] || twhy[$col]="not measured"
    done
    tls_cleanup
}

# shellcheck disable=SC2317  # called from bench/run's EXIT trap
tls_cleanup() {
    [ -n "$tls_proxyd_pid" ] && stop_pid "$tls_proxyd_pid"
    [ -n "$tls_storaged_pid" ] && stop_pid "$tls_storaged_pid"
    tls_proxyd_pid= tls_storaged_pid=
    if [ -n "$tls_peer_conf" ]; then
        stop_peer
        tls_peer_conf_restore
    fi
    [ -n "$qemud_pid" ] && stop_qemud
    rm -rf "$tmp/tlsdata" "$tmp/tlspool-modvirt" "$tmp/tlspool-peer"
}

# tls_cell COL KEY: the value or n/a
tls_cell() { printf '%s' "${tres[$1.$2]:-n/a}"; }
# tls_ratio KEY: modvirt / libvirtd
tls_ratio() {
    local m=${tres[modvirt.$1]:-} p=${tres[peer.$1]:-}
    if [ -z "$m" ] || [ -z "$p" ] || [ "$p" = 0 ]; then printf -- '-'
    else awk -v m="$m" -v p="$p" 'BEGIN { printf "%.2f", m / p }'; fi
}

tls_table() {
    local row label what key col
    echo
    echo "tls: python3-libvirt over qemu+tls://127.0.0.1, both daemons with the same certificates (RSA 2048, client certificate required, DN allowlist); $tls_rounds rounds, the two taking turns; per round and daemon $tls_opens opens, $tls_calls calls of each kind; $tls_dl downloads of 1 GiB"
    echo "host: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); $([ "$cpu" = none ] && echo "no CPU pinning" || echo "client and daemons on CPU $cpu"); took $(($(date +%s) - tls_t_start)) s"
    echo
    printf '%-26s%-16s%16s%12s%8s\n' "" "" "modvirt-proxyd" "libvirtd" "ratio"
    for row in "handshake + open|median (ms)|open_median_ms" "  + close|p90 (ms)|open_p90_ms" \
        "getLibVersion|median (µs)|libversion_median_us" "  proxyd answers|p90 (µs)|libversion_p90_us" \
        "getHostname|median (µs)|hostname_median_us" "  forwarded to qemud|p90 (µs)|hostname_p90_us" \
        "1 GiB vol download|MiB/s|download_mibs"; do
        IFS='|' read -r label what key <<<"$row"
        printf '%-26s%-16s%16s%12s%8s\n' "$label" "$what" "$(tls_cell modvirt "$key")" "$(tls_cell peer "$key")" \
            "$(tls_ratio "$key")"
    done
    echo
    for col in modvirt peer; do
        [ -n "${tres[$col.session]:-}" ] && echo "$col TLS session (gnutls-cli): ${tres[$col.session]}"
        [ -n "${tres[$col.download_samples]:-}" ] && echo "$col download samples (MiB/s): ${tres[$col.download_samples]}"
        [ -n "${twhy[$col]:-}" ] || continue
        echo "$([ "$col" = peer ] && echo libvirtd || echo modvirt-proxyd): n/a: ${twhy[$col]}"
    done
    # shellcheck disable=SC2034  # bench/run's exit status
    [ -z "${tfailed[modvirt]:-}" ] || rc=1
}
