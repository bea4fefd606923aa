# bench/storage.sh: the storage suite of bench/run (sourced; bash).
# modvirt-storaged next to the peer (Debian's libvirtd), the same
# operations on a dir pool of each on the same disk, and the cp floor:
#   refresh      BENCH_ST_VOLS (1000) qcow2 volumes: cold is pool-start (a
#                dir pool's start is its refresh) of the pool, defined but
#                inactive, right after the daemon (re)started: the first
#                refresh since the start; warm a pool-refresh right after
#   create       vol-create of a 1 GiB qcow2, median of BENCH_ST_REPS (10)
#   clone        vol-create-from of a 1 GiB raw volume of random data (dense),
#                median of 3; floor: cp --sparse=always of the same file
#   up/down      vol-upload and vol-download (virsh, with and without
#                --sparse) of a 4 GiB raw image holding 64 MiB of data in
#                16 pieces, and of 1 GiB of random data; floor: cp
#                --sparse=always of the same file on the same disk.  Every
#                transfer is checked (cmp) and its result's allocation kept.
# Timed calls: refresh, create and clone in one python3-libvirt process
# (bench/stbench.py: the call's own time), transfers as whole virsh runs
# (their start-up is noise next to seconds).  Each timed step starts after
# a sync, so no step pays for the previous one's writeback.  The page cache
# is not dropped (that would disturb everything else on the machine): cold
# means storaged's own caches are cold, not the kernel's.

st_bin=$build/storaged/modvirt-storaged
st_py=$top/bench/stbench.py
st_vols=${BENCH_ST_VOLS:-1000}
st_reps=${BENCH_ST_REPS:-10}
st_dir=                  # the suite's files, on the disk under $tmp
st_pid=
st_peer_used=
declare -A sres          # sres[column.key] = value (ms)
declare -A swhy          # swhy[column] = reason it is n/a
declare -A sfailed

st_now() { date +%s%N; }
# st_why COL TEXT: one more reason COL has n/a cells (the other steps go on)
st_why() { swhy[$1]="${swhy[$1]:+${swhy[$1]}; }$2"; }
# st_time COL KEY CMD...: CMD's wall time in ms into sres[COL.KEY]; 1 if it failed
st_time() {
    local col=$1 key=$2 t0 t1 rc
    shift 2
    sync
    t0=$(st_now)
    "$@" >>"$tmp/st-$col.log" 2>&1
    rc=$?
    t1=$(st_now)
    if [ $rc -ne 0 ]; then
        st_why "$col" "$key failed: $(tail -1 "$tmp/st-$col.log")"
        return 1
    fi
    sres[$col.$key]=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", (b - a) / 1e6 }')
}

# st_files: the images every column uses, and the cp floor
st_files() {
    local i
    st_dir=$tmp/stor
    mkdir -p "$st_dir"
    echo "bench/run: storage: images (1 GiB random, 4 GiB sparse) ..." >&2
    head -c $((1 << 30)) /dev/urandom >"$st_dir/dense.raw" || return 1
    truncate -s 4G "$st_dir/sparse.raw"
    for ((i = 0; i < 16; i++)); do
        dd if="$st_dir/dense.raw" of="$st_dir/sparse.raw" bs=4M count=1 skip=$i seek=$((i * 64)) \
            conv=notrunc status=none || return 1
    done
    qemu-img create -q -f qcow2 "$st_dir/template.qcow2" 1G || return 1
    st_time floor dense cp --sparse=always "$st_dir/dense.raw" "$st_dir/cp.out" && rm -f "$st_dir/cp.out"
    st_time floor sparse cp --sparse=always "$st_dir/sparse.raw" "$st_dir/cp.out" && rm -f "$st_dir/cp.out"
    sres[floor.sparse_alloc_mib]=$(($(stat -c %b "$st_dir/sparse.raw") / 2048))
}

# st_pool_dir COL: COL's pool directory with the 1000 qcow2 volumes in it
st_pool_dir() {
    local d=$st_dir/$1/pool i
    mkdir -p "$d"
    for ((i = 0; i < st_vols; i++)); do cp "$st_dir/template.qcow2" "$(printf '%s/v%04d.qcow2' "$d" "$i")"; done
    echo "$d"
}

# st_transfer COL VIRSH: uploads and downloads, each checked
st_transfer() {
    local col=$1 virsh=$2 d=$st_dir/$1 v
    local -a cases=("sparse_up_s|up|sparse.raw|--sparse" "sparse_up|up|sparse.raw|"
                    "sparse_down_s|down|sparse.raw|--sparse" "sparse_down|down|sparse.raw|"
                    "dense_up|up|dense.raw|" "dense_down|down|dense.raw|")
    local c key dir src flag
    for c in "${cases[@]}"; do
        IFS='|' read -r key dir src flag <<<"$c"
        echo "bench/run: storage, $col: vol-$([ "$dir" = up ] && echo upload || echo download)${flag:+ $flag} of $src ..." >&2
        v=x$key.raw
        if [ "$dir" = up ]; then
            $virsh vol-create-as benchstor "$v" "$(stat -c %s "$st_dir/$src")" --format raw \
                >>"$tmp/st-$col.log" 2>&1 || { st_why "$col" "vol-create-as $v failed"; continue; }
            if st_time "$col" "$key" $virsh vol-upload "$v" "$st_dir/$src" --pool benchstor $flag; then
                cmp -s "$st_dir/$src" "$d/pool/$v" || sres[$col.$key.bad]=1
                sres[$col.$key.alloc_mib]=$(($(stat -c %b "$d/pool/$v") / 2048))
            fi
        else
            cp --sparse=always "$st_dir/$src" "$d/pool/$v"
            $virsh pool-refresh benchstor >>"$tmp/st-$col.log" 2>&1
            if st_time "$col" "$key" $virsh vol-download "$v" "$d/dl.raw" --pool benchstor $flag; then
                cmp -s "$st_dir/$src" "$d/dl.raw" || sres[$col.$key.bad]=1
                sres[$col.$key.alloc_mib]=$(($(stat -c %b "$d/dl.raw") / 2048))
            fi
            rm -f "$d/dl.raw"
        fi
        $virsh vol-delete "$v" --pool benchstor >>"$tmp/st-$col.log" 2>&1
    done
}

# st_py_measure COL OP PYRUN URI ARGS...: stbench.py OP's key=value lines into sres
st_py_measure() {
    local col=$1 op=$2 pyrun=$3 uri=$4 line kv
    shift 4
    # shellcheck disable=SC2086  # PYRUN: a command and its arguments, or nothing
    line=$($pyrun "$st_py" "$uri" "$op" "$@" 2>>"$tmp/st-$col.log") ||
        { st_why "$col" "$op failed: $(tail -1 "$tmp/st-$col.log")"; return 1; }
    for kv in $line; do sres[$col.${kv%%=*}]=${kv#*=}; done
}

# st_phases COL URI VIRSH RESTART PYRUN: the whole suite on one daemon;
# RESTART restarts it (pool active), PYRUN runs python in the right place
st_phases() {
    local col=$1 uri=$2 virsh=$3 restart=$4 pyrun=$5 d
    echo "bench/run: storage, $col: $st_vols qcow2 volumes ..." >&2
    d=$(st_pool_dir "$col")
    printf "<pool type='dir'><name>benchstor</name><target><path>%s</path></target></pool>\n" "$d" >"$st_dir/$col/pool.xml"
    # defined, not started: a daemon (re)started with the pool active would
    # refresh it at once, before anything could time it
    $virsh pool-define "$st_dir/$col/pool.xml" >>"$tmp/st-$col.log" 2>&1 ||
        { st_why "$col" "cannot define pool benchstor: $(tail -1 "$tmp/st-$col.log")"; return 1; }
    $restart || { st_why "$col" "restart failed: $(tail -1 "$tmp/st-$col.log")"; return 1; }
    echo "bench/run: storage, $col: refresh cold and warm, create, clone ..." >&2
    st_py_measure "$col" refresh "$pyrun" "$uri" benchstor
    st_py_measure "$col" create "$pyrun" "$uri" benchstor "$st_reps" $((1 << 30))
    rm -f "$d"/v*.qcow2
    cp "$st_dir/dense.raw" "$d/src.raw"
    $virsh pool-refresh benchstor >>"$tmp/st-$col.log" 2>&1
    st_py_measure "$col" clone "$pyrun" "$uri" benchstor 3 src.raw
    rm -f "$d/src.raw"
    $virsh pool-refresh benchstor >>"$tmp/st-$col.log" 2>&1
    st_transfer "$col" "$virsh"
}

# ---- modvirt-storaged under $tmp/sroot ----
st_sock() { echo "$tmp/sroot/run/modvirt/storaged-sock"; }
st_virsh_modvirt() { isolated virsh -q -c "storage:///system?socket=$(st_sock)" "$@"; }
st_start_modvirt() {
    local i
    mkdir -p "$tmp/sroot"
    rm -f "$(st_sock)"
    "${pin[@]}" "$st_bin" --root "$tmp/sroot" >>"$tmp/storaged.log" 2>&1 &
    st_pid=$!
    for ((i = 0; i < 100; i++)); do
        [ -S "$(st_sock)" ] && break
        kill -0 "$st_pid" 2>/dev/null || break
        sleep 0.1
    done
    [ -S "$(st_sock)" ] || { echo "modvirt-storaged did not start: $(tail -1 "$tmp/storaged.log")" >>"$tmp/st-modvirt.log"; return 1; }
    settle "$st_pid"
}
st_stop_modvirt() { [ -n "$st_pid" ] && stop_pid "$st_pid"; st_pid=; }
st_restart_modvirt() { st_stop_modvirt; st_start_modvirt; }

st_modvirt_column() {
    if [ ! -x "$st_bin" ]; then swhy[modvirt]="$st_bin not built"; sfailed[modvirt]=1; return; fi
    if ! st_start_modvirt; then swhy[modvirt]=$(tail -1 "$tmp/st-modvirt.log"); sfailed[modvirt]=1; return; fi
    st_phases modvirt "storage:///system?socket=$(st_sock)" st_virsh_modvirt st_restart_modvirt "isolated ${pin[*]}"
    [ -n "${swhy[modvirt]:-}" ] && sfailed[modvirt]=1
    sres[modvirt.rss_kib]=$(awk '/^VmRSS:/ { print $2 }' "/proc/$st_pid/status" 2>/dev/null)
    st_stop_modvirt
}

# ---- the peer ----
st_virsh_peer() { virsh -q -c "$peer_uri" "$@"; }
st_restart_peer() { stop_peer; start_peer; }
st_peer_column() {
    if start_peer; then
        st_peer_used=1
        storage_cleanup
        st_peer_used=1
        st_phases peer "$peer_uri" st_virsh_peer st_restart_peer "${pin[*]}" || true
        sres[peer.rss_kib]=$(awk '/^VmRSS:/ { print $2 }' "/proc/$peer_pid/status" 2>/dev/null)
        storage_cleanup
    else
        swhy[peer]=$peer_why
    fi
    stop_peer
}

storage_suite() {
    st_t_start=$(date +%s)
    if ! st_files; then swhy[modvirt]="cannot write the images under $tmp"; sfailed[modvirt]=1; return; fi
    st_modvirt_column
    st_peer_column
    rm -rf "$st_dir"
}

# shellcheck disable=SC2317  # called from bench/run's EXIT trap
storage_cleanup() {
    [ -n "$st_pid" ] && stop_pid "$st_pid"
    st_pid=
    if [ -n "$st_peer_used" ] && peer_running; then
        st_virsh_peer pool-destroy benchstor >/dev/null 2>&1
        st_virsh_peer pool-undefine benchstor >/dev/null 2>&1
    fi
    st_peer_used=
}

st_cell() { local v=${sres[$1.$2]:-}; [ -n "$v" ] && printf '%s' "$v" || printf 'n/a'; }
st_ratio() {
    local a=${sres[$1.$3]:-} b=${sres[$2.$3]:-}
    if [ -z "$a" ] || [ -z "$b" ] || [ "$b" = 0 ]; then printf -- '-'
    else awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }'; fi
}

# st_floor_ratio KEY FLOOR: modvirt's KEY over the cp floor's FLOOR
st_floor_ratio() {
    local a=${sres[modvirt.$1]:-} b=${sres[floor.$2]:-}
    if [ -z "$a" ] || [ -z "$b" ] || [ "$b" = 0 ]; then printf -- '-'
    else awk -v a="$a" -v b="$b" 'BEGIN { printf "%.2f", a / b }'; fi
}

storage_table() {
    local row label key floor col title
    local -a rows=(
        "pool-start, $st_vols qcow2 (cold refresh)|refresh_cold_ms|"
        "pool-refresh, $st_vols qcow2 (warm)|refresh_warm_ms|"
        "vol-create qcow2 1 GiB (median of $st_reps)|create_median_ms|"
        "vol-clone 1 GiB raw, dense (median of 3)|clone_median_ms|dense"
        "vol-upload 4 GiB sparse, --sparse|sparse_up_s|sparse"
        "vol-upload 4 GiB sparse|sparse_up|sparse"
        "vol-download 4 GiB sparse, --sparse|sparse_down_s|sparse"
        "vol-download 4 GiB sparse|sparse_down|sparse"
        "vol-upload 1 GiB dense|dense_up|dense"
        "vol-download 1 GiB dense|dense_down|dense"
    )
    echo
    echo "storage: a dir pool of each daemon on the same disk ($(df -T "$tmp" | awk 'NR == 2 { print $2 " on " $1 }')), Debian's libvirt $(pkg-config --modversion libvirt 2>/dev/null || echo 9.0) clients"
    echo "host: $(nproc) CPUs, $(uname -r), load $(cut -d' ' -f1-3 /proc/loadavg); took $(($(date +%s) - st_t_start)) s; times in ms"
    echo "floor: cp --sparse=always of the same file: 4 GiB sparse (${sres[floor.sparse_alloc_mib]:-?} MiB data) $(st_cell floor sparse) ms, 1 GiB dense $(st_cell floor dense) ms"
    echo
    printf '%-42s%10s%10s%8s%10s%10s\n' "" "modvirt" "libvirtd" "ratio" "cp floor" "mv/floor"
    for row in "${rows[@]}"; do
        IFS='|' read -r label key floor <<<"$row"
        printf '%-42s%10s%10s%8s%10s%10s\n' "$label" "$(st_cell modvirt "$key")" "$(st_cell peer "$key")" \
            "$(st_ratio modvirt peer "$key")" "${floor:+$(st_cell floor "$floor")}" \
            "$([ -n "$floor" ] && st_floor_ratio "$key" "$floor")"
    done
    echo
    for col in modvirt peer; do
        [ $col = modvirt ] && title=modvirt || title=libvirtd
        local k allocs=
        for k in sparse_up_s sparse_up sparse_down_s sparse_down; do
            allocs+=" $k=${sres[$col.$k.alloc_mib]:-?}"
            [ -n "${sres[$col.$k.bad]:-}" ] && echo "$title: $k: the result DIFFERS from its source"
        done
        echo "$title: allocation of the 4 GiB results (MiB):$allocs"
    done
    [ -n "${sres[modvirt.rss_kib]:-}${sres[peer.rss_kib]:-}" ] &&
        echo "daemon RSS at the end (KiB): modvirt-storaged ${sres[modvirt.rss_kib]:-n/a}, libvirtd (all drivers) ${sres[peer.rss_kib]:-n/a}"
    for col in modvirt peer; do
        [ -n "${swhy[$col]:-}" ] || continue
        [ $col = modvirt ] && title=modvirt || title=libvirtd
        echo "$title: n/a: ${swhy[$col]}"
        [ $col = modvirt ] && [ -n "${sfailed[$col]:-}" ] && rc=1
    done
    return 0
}
