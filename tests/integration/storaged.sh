# Shared by tests/integration/storaged-*.sh (bash; sourced after lib.sh).
#
#  - st_private_ns: the script re-runs itself in a private mount namespace,
#    so its FUSE, loop and ext4 mounts are nobody else's and die with it
#  - st_start: modvirt-storaged under $mv_tmp/root (config lines optional)
#  - start_storaged: modvirt-storaged where the script's MV_ROOT says
#  - pool_xml / vol_xml: the definitions the scripts feed virsh
#  - wait_for: poll a condition (every 0.1 s) up to a deadline

MV_DAEMON=$top_builddir/storaged/modvirt-storaged

# st_private_ns "$@": once, as root, exec the script again in a mount
# namespace of its own (propagation private: nothing mounted here reaches
# the host).  Without root mv_init skips as usual.
st_private_ns() {
    [ "$(id -u)" -eq 0 ] || return 0
    [ -n "${MV_ST_NS:-}" ] && return 0
    MV_ST_NS=1 exec unshare -m --propagation private bash "$0" "$@"
}

# use_storaged: MV_ROOT, MV_LOG, MV_RW, MV_RO, MV_URI and MV_URI_RO for
# storaged under $mv_tmp/root (as lib.sh's use_root does for qemud).
use_storaged() {
    MV_ROOT=$mv_tmp/root
    MV_LOG=$mv_tmp/storaged.log
    MV_RW=$MV_ROOT/run/modvirt/storaged-sock
    MV_RO=$MV_ROOT/run/modvirt/storaged-sock-ro
    MV_URI="storage:///system?socket=$MV_RW"
    MV_URI_RO="storage:///system?socket=$MV_RO"
}

# st_config LINES...: $MV_ROOT/etc/modvirt/modvirt-storaged.conf
st_config() {
    mkdir -p "$MV_ROOT/etc/modvirt"
    printf '%s\n' "$@" >"$MV_ROOT/etc/modvirt/modvirt-storaged.conf"
}

# st_start: storaged (use_storaged's instance), ready, or bail out.
st_start() {
    [ -n "$MV_ROOT" ] || use_storaged
    start_daemon
}

# start_storaged: storaged in $MV_ROOT (the script's own variables), ready,
# or bail out with its log; lib.sh's start_daemon would name qemud.
start_storaged() {
    if ! try_start_daemon; then
        echo "Bail out! modvirt-storaged (pid $MV_PID) did not become ready within $MV_READY_S s"
        sed 's/^/#   /' "$MV_LOG"
        exit 1
    fi
    mv_log_mark
}

# wait_for SECS CMD...: 0 once CMD succeeds (polled every 0.1 s), 1 if it
# has not within SECS.
wait_for() {
    local secs=$1 i
    shift
    for ((i = 0; i < secs * 10; i++)); do
        "$@" && return 0
        sleep 0.1
    done
    "$@"
}

# pool_xml TYPE NAME TARGET [SOURCE-XML]: a pool definition
pool_xml() {
    printf "<pool type='%s'>\n  <name>%s</name>\n" "$1" "$2"
    [ -n "${4:-}" ] && printf '  <source>%s</source>\n' "$4"
    printf '  <target><path>%s</path></target>\n</pool>\n' "$3"
}

# vol_xml NAME CAPACITY-BYTES FORMAT [EXTRA]: a volume definition
vol_xml() {
    printf "<volume>\n  <name>%s</name>\n  <capacity unit='bytes'>%s</capacity>\n" "$1" "$2"
    printf "  <target><format type='%s'/></target>%s\n</volume>\n" "$3" "${4:-}"
}

# st_pool NAME TYPE TARGET [SOURCE-XML]: define, build and start a pool
# (virsh), or record why not.
st_pool() {
    pool_xml "$2" "$1" "$3" "${4:-}" >"$mv_tmp/pool-$1.xml"
    vsh pool-define "$mv_tmp/pool-$1.xml"
    [ "$rc" -eq 0 ] || { expect_fail "pool-define $1: $(run_evidence)"; return 1; }
    vsh pool-build "$1"
    [ "$rc" -eq 0 ] || { expect_fail "pool-build $1: $(run_evidence)"; return 1; }
    vsh pool-start "$1"
    [ "$rc" -eq 0 ] || { expect_fail "pool-start $1: $(run_evidence)"; return 1; }
}

# st_vol POOL NAME CAPACITY FORMAT [EXTRA]: vol-create from vol_xml (run's
# variables say how it went)
st_vol_n=0
st_vol() {
    st_vol_n=$((st_vol_n + 1))
    vol_xml "$2" "$3" "$4" "${5:-}" >"$mv_tmp/vol$st_vol_n.xml"
    vsh vol-create "$1" "$mv_tmp/vol$st_vol_n.xml"
}
