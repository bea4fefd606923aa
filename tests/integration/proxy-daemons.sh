# Sourced (after lib.sh) by the scripts that put modvirt-proxyd in front of
# the daemons: one root for the daemons ($DROOT), another for the proxy
# ($PROOT), each daemon started, waited for and logged the same way.

DROOT=$mv_tmp/daemons
PROOT=$mv_tmp/proxy

# start NAME BINARY ROOT [PREFIX...]: the daemon (run under PREFIX, e.g.
# ip netns exec NS), ready, pid in started_pid, log in $mv_tmp/NAME.log;
# or bail out with its log.
start() {
    local name=$1 bin=$2 root=$3 pid
    shift 3
    mkdir -p "$root"
    "$@" env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$mv_tmp/no-such-bus" NOTIFY_SOCKET="$MV_NOTIFY" \
        "$bin" --root "$root" --verbose >>"$mv_tmp/$name.log" 2>&1 &
    pid=$!
    kill_at_exit $pid
    if ! wait_ready "$pid" "$MV_READY_S"; then
        echo "Bail out! modvirt-$name (pid $pid) did not become ready within $MV_READY_S s"
        sed 's/^/#   /' "$mv_tmp/$name.log"
        exit 1
    fi
    started_pid=$pid
}

# proxy_daemons NS: qemud, netd (in a network namespace NS of the script's
# own) and storaged under $DROOT (storaged's pid in storaged_pid), and the
# proxy's config naming their sockets, in $PROOT and in $PROXY_CONF_BASE
# (for other proxies' roots); the caller appends its own settings and
# starts the proxy.
proxy_daemons() {
    NS=$1
    ip netns add "$NS" || { echo "Bail out! cannot create network namespace $NS"; exit 1; }
    at_exit "ip netns pids $NS | xargs -r kill -9; ip netns del $NS"
    ip netns exec "$NS" ip link set lo up
    start qemud "$MV_QEMUD" "$DROOT"
    # guests outlive their daemon by design: none of these scripts' do
    at_exit "pkill -9 -f -- '$DROOT/run/modvirt/qemu/'"
    start netd "$MV_NETD" "$DROOT" ip netns exec "$NS"
    start storaged "$MV_STORAGED" "$DROOT"
    storaged_pid=$started_pid
    PROXY_CONF_BASE=$mv_tmp/proxyd-base.conf
    cat >"$PROXY_CONF_BASE" <<EOC
qemud_socket = "$DROOT/run/modvirt/qemud-sock"
netd_socket = "$DROOT/run/modvirt/netd-sock"
storaged_socket = "$DROOT/run/modvirt/storaged-sock"
upstream_timeout = 5
EOC
    mkdir -p "$PROOT/etc/modvirt"
    cp "$PROXY_CONF_BASE" "$PROOT/etc/modvirt/modvirt-proxyd.conf"
}

# new_log: the proxy's log lines ($MV_LOG) since the last verdict
new_log() { tail -n +$((case_log_mark + 1)) "$MV_LOG"; }
# wait_log ERE SECS: the proxy logs a line matching ERE (since the last
# verdict) within SECS
wait_log() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do new_log | grep -Eq -- "$1" && return 0; sleep 0.05; done
    return 1
}

# start_activated NAME FDNAME PORT ROOT: modvirt-proxyd under ROOT behind
# systemd-socket-activate, listening on 127.0.0.1:PORT with a socket named
# FDNAME (what the -tls/-tcp .socket units hand over); pid in
# activated_pid, log in $mv_tmp/NAME.log; returns once the socket listens
start_activated() {
    local i
    systemd-socket-activate -l "127.0.0.1:$3" --fdname="$2" \
        env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$mv_tmp/no-such-bus" \
        "$MV_PROXYD" --root "$4" --verbose >>"$mv_tmp/$1.log" 2>&1 &
    activated_pid=$!
    kill_at_exit $activated_pid
    for ((i = 0; i < MV_READY_S * 20; i++)); do
        grep -q "Listening on 127.0.0.1:$3" "$mv_tmp/$1.log" && return 0
        sleep 0.05
    done
    return 1
}
