# Shared by tests/integration/qemud-*.sh (bash; sourced, not run).
#
#  - TAP: plan, expect_* (collect evidence for one case), verdict (ok/not ok
#    with the evidence and the daemon log lines written during the case), skip
#  - a fresh temp dir per script, removed with everything else at exit
#  - modvirt-qemud from the build tree with --root in the temp dir
#  - clients (virsh, python3-libvirt) only inside a private mount namespace
#    whose /run/libvirt is an empty tmpfs, so no real libvirtd is reachable
#  - MV_VIA_PROXY=1: the clients reach the daemon through a modvirt-proxyd
#    on the same --root (see "through modvirt-proxyd" below)
#  - for scripts that start no daemon (install-*.sh): mv_tmp_init (the
#    temp dir alone) and "make install DESTDIR=" into a tree
# Every wait is bounded.  Needs root (mount namespaces), top_builddir and
# top_srcdir (exported by "make check").

: "${top_builddir:?top_builddir must be set (run from make check)}"
: "${top_srcdir:?top_srcdir must be set (run from make check)}"

MV_DAEMON=$top_builddir/qemud/modvirt-qemud
MV_PROXYD=$top_builddir/proxyd/modvirt-proxyd
MV_HELPERS=$top_srcdir/tests/integration
MV_PY=/usr/bin/python3      # python3-libvirt lives here, not in a pyenv

tap_n=0
tap_failed=0
case_errs=
case_log_mark=0

# ---- cleanup ------------------------------------------------------------

mv_tmp=
mv_pids=                    # killed at exit (TERM, then KILL)
mv_exit_cmds=()             # run at exit, last first
mv_made_run_libvirt=no

at_exit() { mv_exit_cmds+=("$1"); }
kill_at_exit() { mv_pids="$mv_pids $1"; }

# stop_pid PID [SECS]: TERM, wait up to SECS (default 5), then KILL.
# Sets stop_status to the exit status (or "killed").
stop_pid() {
    local pid=$1 secs=${2:-5} i=0
    stop_status=gone
    kill -0 "$pid" 2>/dev/null || { wait "$pid" 2>/dev/null; stop_status=$?; return 0; }
    kill -TERM "$pid" 2>/dev/null
    while kill -0 "$pid" 2>/dev/null && [ $i -lt $((secs * 20)) ]; do
        sleep 0.05
        i=$((i + 1))
        # a reaped child of ours stops existing only after wait
        [ -d /proc/$pid ] && grep -q '^State:.*Z' /proc/$pid/status 2>/dev/null && break
    done
    if kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' /proc/$pid/status 2>/dev/null; then
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        stop_status=killed
        return 1
    fi
    wait "$pid" 2>/dev/null
    stop_status=$?
    return 0
}

mv_cleanup() {
    local i pid
    set +e
    for pid in $mv_pids; do stop_pid "$pid" 3 >/dev/null 2>&1; done
    for ((i = ${#mv_exit_cmds[@]} - 1; i >= 0; i--)); do eval "${mv_exit_cmds[$i]}" >/dev/null 2>&1; done
    [ -n "$mv_tmp" ] && rm -rf "$mv_tmp"
    [ $mv_made_run_libvirt = yes ] && rmdir /run/libvirt 2>/dev/null
    return 0
}

# mv_init PLAN: checks the prerequisites (or skips the whole script),
# makes the temp dir and prints the plan.
mv_init() {
    local why= cmd
    [ "$(id -u)" -eq 0 ] || why="needs root (private mount namespaces)"
    [ -x "$MV_DAEMON" ] || why=${why:-"$MV_DAEMON is not built"}
    if [ "${MV_VIA_PROXY:-0}" = 1 ] || [ "${MV_NEEDS_PROXY:-no}" = yes ]; then
        [ -x "$MV_PROXYD" ] || why=${why:-"$MV_PROXYD is not built"}
    fi
    for cmd in unshare virsh timeout $MV_PY ${MV_NEEDS:-}; do
        command -v "$cmd" >/dev/null 2>&1 || why=${why:-"$cmd is not installed"}
    done
    if [ -n "$why" ]; then
        echo "1..0 # SKIP $why"
        exit 0
    fi
    mv_tmp_init
    chmod 755 "$mv_tmp"     # other users (polkit test) must reach the sockets
    # the mount point of the private tmpfs; removed again (if empty) only
    # if this script created it
    if [ ! -d /run/libvirt ]; then
        mkdir -p /run/libvirt && mv_made_run_libvirt=yes
    fi
    mv_notify_listen
    echo "1..$1"
}

# mv_tmp_init: the exit traps and the script's temp dir, $mv_tmp (removed
# at exit with everything else); all a script that starts no daemon needs
mv_tmp_init() {
    trap 'mv_cleanup' EXIT
    trap 'exit 1' HUP INT TERM
    mv_tmp=$(mktemp -d "${TMPDIR:-/tmp}/mvinteg.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }
    mkdir -p "$mv_tmp/home"
}

# ---- TAP ------------------------------------------------------------------

diag() { printf '%s\n' "$@" | sed 's/^/# /'; }

# expect_eq WHAT EXPECTED GOT / expect_match WHAT ERE GOT / expect_nomatch:
# record a mismatch for the current case; verdict reports them.
expect_eq() {
    [ "$2" = "$3" ] || case_errs+="$1: expected '$2', got '$3'"$'\n'
}
expect_match() {
    printf '%s\n' "$3" | grep -Eq -- "$2" || case_errs+="$1: expected to match /$2/, got '$3'"$'\n'
}
expect_nomatch() {
    printf '%s\n' "$3" | grep -Eq -- "$2" && case_errs+="$1: expected no match for /$2/, got '$3'"$'\n'
    return 0
}
expect_fail() { case_errs+="$1"$'\n'; }

# verdict DESCRIPTION: ok/not ok for everything expected since the last one.
verdict() {
    tap_n=$((tap_n + 1))
    if [ -z "$case_errs" ]; then
        echo "ok $tap_n - $1"
    else
        tap_failed=$((tap_failed + 1))
        echo "not ok $tap_n - $1"
        printf '%s' "$case_errs" | sed 's/^/#   /'
        mv_log_diag
    fi
    case_errs=
    mv_log_mark
}

skip() { tap_n=$((tap_n + 1)); echo "ok $tap_n # SKIP $*"; case_errs=; mv_log_mark; }

mv_done() {
    [ $tap_failed -eq 0 ] && return 0
    diag "$tap_failed of $tap_n failed"
    exit 1
}

# ---- make install into a tree --------------------------------------------

# mv_make_dest TARGET DEST: "make TARGET DESTDIR=DEST" in the build tree,
# its output in DEST.TARGET.out
mv_make_dest() {
    make -s --no-print-directory -C "$top_builddir" "$1" DESTDIR="$2" >"$2.$1.out" 2>&1
}

bindir='' sbindir='' mandir='' sysconfdir='' runstatedir='' unitdir='' polkitdir='' tmpfilesdir=''

# mv_install_tree DEST: "make install DESTDIR=DEST", or bail out with make's
# last lines; then the build's installation directories, as make expands
# them, in bindir sbindir mandir sysconfdir runstatedir unitdir (systemd's
# system units) polkitdir tmpfilesdir
mv_install_tree() {
    local dirs
    if ! mv_make_dest install "$1"; then
        echo "Bail out! make install DESTDIR=$1 failed"
        tail -n 30 "$1.install.out" | sed 's/^/#   /'
        exit 1
    fi
    # shellcheck disable=SC2016  # $(...) here is make's, not the shell's
    printf 'mv-print-dirs:\n\t@echo "bindir=$(bindir) sbindir=$(sbindir) mandir=$(mandir) sysconfdir=$(sysconfdir) runstatedir=$(runstatedir) unitdir=$(systemdsystemunitdir) polkitdir=$(polkitactiondir) tmpfilesdir=$(tmpfilesdir)"\n' >"$1.print.mk"
    # not make check's jobserver: a make below it would warn on stdout
    dirs=$(MAKEFLAGS='' make -s --no-print-directory -C "$top_builddir" -f Makefile -f "$1.print.mk" mv-print-dirs) ||
        { echo "Bail out! cannot read the build's directories"; exit 1; }
    eval "$(printf '%s\n' "$dirs" | grep '^bindir=')"
}

# ---- the daemon -----------------------------------------------------------

MV_ROOT=
MV_LOG=
MV_PID=
MV_RW=
MV_RO=
MV_URI=
MV_URI_RO=

mv_log_mark() {
    case_log_mark=$( [ -n "$MV_LOG" ] && [ -f "$MV_LOG" ] && wc -l <"$MV_LOG" || echo 0)
    proxy_log_mark=$( [ -n "$MV_PROXY_LOG" ] && [ -f "$MV_PROXY_LOG" ] && wc -l <"$MV_PROXY_LOG" || echo 0)
}

# The daemon's log lines written since the last verdict (at most 60), or
# its last 60 lines with MV_LOG_ALL=yes.
mv_log_diag() {
    [ -n "$MV_LOG" ] && [ -f "$MV_LOG" ] || return 0
    if [ -n "$MV_PID" ] && ! kill -0 "$MV_PID" 2>/dev/null; then
        diag "  the daemon (pid $MV_PID) is not running"
    fi
    if [ "${MV_LOG_ALL:-no}" = yes ]; then
        # the scenarios ran before the first verdict: show the whole log
        diag "  daemon log ($MV_LOG):"
        tail -n 60 "$MV_LOG" | sed 's/^/#     /'
    else
        diag "  daemon log ($MV_LOG) since the previous case:"
        tail -n +$((case_log_mark + 1)) "$MV_LOG" | tail -n 60 | sed 's/^/#     /'
    fi
    proxy_log_diag
}

# ---- readiness ----
# The daemon says READY=1 through sd_notify(3) once it serves (its sockets
# listen and its start-up work is done), as it would to systemd.  The
# harness plays systemd: one listener per script (python, SO_PASSCRED)
# writes every notification to $MV_NOTIFY_LOG as "PID MESSAGE", the PID
# filled in by the kernel.  Waiting for THIS pid's READY=1 cannot be
# fooled by the socket files a SIGKILLed predecessor left behind, and
# needs no connection (which limits tests would count) and no log line
# (which log settings can redirect).
MV_NOTIFY=
MV_NOTIFY_LOG=

# mv_notify_listen: start the listener (once), or bail out.  A test that
# execs the daemon itself passes it NOTIFY_SOCKET=$MV_NOTIFY.
mv_notify_listen() {
    local i pid
    [ -n "$MV_NOTIFY" ] && return 0
    MV_NOTIFY=$mv_tmp/notify
    MV_NOTIFY_LOG=$mv_tmp/notify.log
    : >"$MV_NOTIFY_LOG"
    "$MV_PY" -c '
import socket, struct, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
s.bind(sys.argv[1])          # the socket file appears only once bound
out = open(sys.argv[2], "a", buffering=1)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(12))
    pid = 0
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            pid = struct.unpack("3i", data[:12])[0]
    for line in msg.decode(errors="replace").splitlines():
        out.write("%d %s\n" % (pid, line))
' "$MV_NOTIFY" "$MV_NOTIFY_LOG" </dev/null >>"$mv_tmp/notify.err" 2>&1 &
    pid=$!
    kill_at_exit $pid
    for ((i = 0; i < 200; i++)); do
        [ -S "$MV_NOTIFY" ] && return 0
        kill -0 $pid 2>/dev/null || break
        sleep 0.05
    done
    echo "Bail out! the sd_notify listener did not bind $MV_NOTIFY"
    sed 's/^/# /' "$mv_tmp/notify.err"
    exit 1
}

# wait_ready PID SECS: 0 once PID has sent READY=1; 1 if it exits first or
# has not within SECS.
wait_ready() {
    local pid=$1 i
    for ((i = 0; i < $2 * 20; i++)); do
        grep -q "^$pid READY=1\$" "$MV_NOTIFY_LOG" && return 0
        kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' /proc/$pid/status 2>/dev/null || break
        sleep 0.05
    done
    grep -q "^$pid READY=1\$" "$MV_NOTIFY_LOG"
}

# wait_exit PID SECS: 0 once PID has exited (status in wait_status), 1 on timeout.
wait_exit() {
    local pid=$1 i=0
    while kill -0 "$pid" 2>/dev/null && [ $i -lt $(($2 * 20)) ]; do sleep 0.05; i=$((i + 1)); done
    if kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' /proc/$pid/status 2>/dev/null; then
        return 1
    fi
    wait "$pid" 2>/dev/null
    wait_status=$?
    return 0
}

# spawn_daemon ROOT LOG [ARGS...]: start one in the background, pid in
# spawned_pid (killed at exit).  No waiting.  --verbose unless MV_VERBOSE=no.
# The daemon gets a D-Bus system bus address nobody listens on unless the
# test sets MV_DBUS, so it can never reach the host's polkit.
spawn_daemon() {
    local root=$1 log=$2 verbose=--verbose
    shift 2
    [ "${MV_VERBOSE:-yes}" = no ] && verbose=
    mkdir -p "$root"
    mv_notify_listen
    # env execs the daemon: $! is the daemon's own pid (the one READY=1
    # comes from)
    # (so does "ip netns exec" when MV_DAEMON_NETNS is set)
    ${MV_DAEMON_NETNS:+ip netns exec "$MV_DAEMON_NETNS"} \
        env DBUS_SYSTEM_BUS_ADDRESS="${MV_DBUS:-unix:path=$mv_tmp/no-such-bus}" NOTIFY_SOCKET="$MV_NOTIFY" \
        "$MV_DAEMON" --root "$root" $verbose "$@" >>"$log" 2>&1 &
    spawned_pid=$!
    kill_at_exit $spawned_pid
}

# write_config ROOT LINES...: ROOT/etc/modvirt/modvirt-qemud.conf
write_config() {
    local root=$1
    shift
    mkdir -p "$root/etc/modvirt"
    printf '%s\n' "$@" >"$root/etc/modvirt/modvirt-qemud.conf"
}

# use_root NAME: point MV_ROOT, MV_LOG, MV_RW, MV_RO, MV_URI, MV_URI_RO at
# the daemon instance rooted in $mv_tmp/NAME (logging to $mv_tmp/NAME.log).
use_root() {
    MV_ROOT=$mv_tmp/$1
    MV_LOG=$mv_tmp/$1.log
    MV_RW=$MV_ROOT/run/modvirt/qemud-sock
    MV_RO=$MV_ROOT/run/modvirt/qemud-sock-ro
    MV_URI="qemu:///system?socket=$MV_RW"
    MV_URI_RO="qemu:///system?socket=$MV_RO"
}

# How long a daemon may take to become ready: generous, for a loaded machine.
MV_READY_S=${MV_READY_S:-30}

# try_start_daemon [ARGS...]: a daemon in $MV_ROOT (see use_root; config, if
# any, written before with write_config "$MV_ROOT" ...), pid in MV_PID;
# 1 if it exits or is not ready (READY=1) within $MV_READY_S s.
try_start_daemon() {
    [ -n "$MV_ROOT" ] || use_root root
    spawn_daemon "$MV_ROOT" "$MV_LOG" "$@"
    MV_PID=$spawned_pid
    wait_ready "$MV_PID" "$MV_READY_S" || return 1
    proxy_follow
}

# start_daemon [ARGS...]: try_start_daemon or bail out with the log.
start_daemon() {
    if ! try_start_daemon "$@"; then
        echo "Bail out! modvirt-qemud (pid $MV_PID) did not become ready within $MV_READY_S s"
        diag "daemon log:"
        sed 's/^/#   /' "$MV_LOG"
        exit 1
    fi
    mv_log_mark
}

# ---- the daemon in a network namespace ----
# For tests whose daemon listens on TCP (SPICE) or makes taps and bridges:
# they never meet the host's ports and interfaces, and parallel runs never
# meet each other's.

# mv_netns_add NAME [try]: network namespace NAME of the script's own, with
# lo up; or bail out.  With "try", a NAME that cannot be added (taken)
# returns 1 quietly instead.  At exit, after the pids in mv_pids are
# stopped, whatever still runs in it is ours (QEMUs of a failed run,
# dnsmasq) and is killed, then the namespace is deleted.
mv_netns_add() {
    local name=$1 try=${2:-}
    if [ "$try" = try ]; then
        ip netns add "$name" 2>/dev/null || return 1
    else
        ip netns add "$name" || { echo "Bail out! cannot create network namespace $name"; exit 1; }
    fi
    at_exit "ip netns pids $name | xargs -r kill -9; ip netns del $name"
    ip -n "$name" link set lo up || { echo "Bail out! cannot bring lo up in netns $name"; exit 1; }
}

# mv_netns_new PREFIX: mv_netns_add of PREFIX and four random digits, in NS;
# or bail out.
mv_netns_new() {
    local prefix=$1 cand i
    NS=
    for i in $(seq 20); do
        cand=$prefix$(printf '%04d' $((RANDOM % 10000)))
        if mv_netns_add "$cand" try; then NS=$cand; break; fi
    done
    [ -n "$NS" ] || { echo "Bail out! cannot create a network namespace ${prefix}NNNN"; exit 1; }
}

# mv_start_daemon_in_netns NS [ARGS...]: start_daemon, with the daemon (and
# so its QEMUs and taps) in network namespace NS.  "ip netns exec" execs it:
# MV_PID is the daemon's own pid, checked to be in NS.
mv_start_daemon_in_netns() {
    local ns=$1
    shift
    MV_DAEMON_NETNS=$ns start_daemon "$@"
    if [ "$(readlink /proc/$MV_PID/exe)" != "$(readlink -f "$MV_DAEMON")" ] ||
       [ "$(ip netns identify $MV_PID)" != "$ns" ]; then
        echo "Bail out! pid $MV_PID is not modvirt-qemud in netns $ns" \
             "(exe $(readlink /proc/$MV_PID/exe), netns '$(ip netns identify $MV_PID)')"
        exit 1
    fi
}

# use_netd_ns NS: netd's MV_ROOT, MV_LOG, MV_RW, MV_RO, MV_URI and MV_URI_RO
# (as use_root sets qemud's), and NS, a network namespace of the script's
# own for it.  dnsmasq outlives netd by design: whatever still runs in NS
# at exit goes with it.
use_netd_ns() {
    NS=$1
    mv_netns_add "$NS"
    MV_ROOT=$mv_tmp/root
    MV_LOG=$mv_tmp/netd.log
    MV_RW=$MV_ROOT/run/modvirt/netd-sock
    MV_RO=$MV_ROOT/run/modvirt/netd-sock-ro
    MV_URI="network:///system?socket=$MV_RW"
    MV_URI_RO="network:///system?socket=$MV_RO"
}

# start_in_ns NAME: $MV_DAEMON (modvirt-NAME) in $NS under $MV_ROOT (ip
# netns exec execs it: $! is its pid, the one READY=1 comes from), or bail
# out with its log.
start_in_ns() {
    mkdir -p "$MV_ROOT"
    ip netns exec "$NS" env DBUS_SYSTEM_BUS_ADDRESS="unix:path=$mv_tmp/no-such-bus" NOTIFY_SOCKET="$MV_NOTIFY" \
        "$MV_DAEMON" --root "$MV_ROOT" --verbose >>"$MV_LOG" 2>&1 &
    MV_PID=$!
    kill_at_exit "$MV_PID"
    if ! wait_ready "$MV_PID" "$MV_READY_S"; then
        echo "Bail out! modvirt-$1 (pid $MV_PID) did not become ready within $MV_READY_S s"
        sed 's/^/#   /' "$MV_LOG"
        exit 1
    fi
    proxy_follow
    mv_log_mark
}

# netd_start: start_in_ns for modvirt-netd
netd_start() { start_in_ns netd; }

daemon_alive() { [ -n "$MV_PID" ] && kill -0 "$MV_PID" 2>/dev/null && \
                 ! grep -q '^State:.*Z' /proc/$MV_PID/status 2>/dev/null; }

expect_daemon_alive() {
    daemon_alive || expect_fail "the daemon (pid $MV_PID) is not running"
    [ -z "$MV_PROXY_PID" ] || proxy_alive || expect_fail "modvirt-proxyd (pid $MV_PROXY_PID) is not running"
}

fd_count() { ls "/proc/$1/fd" 2>/dev/null | wc -l; }

# ---- this daemon's guests ----
# Found by pid from this daemon's status file or by this test's directory on
# their command line, never by a host-wide pgrep: other test runs start
# guests with the same names.

# our_qemu NAME: pid of this daemon's QEMU for NAME (from its status file)
our_qemu() {
    local p
    p=$(sed -n 's/.*<domstatus[^>]* pid="\([0-9]*\)".*/\1/p' "$MV_ROOT/run/modvirt/qemu/$1.xml" 2>/dev/null | head -n 1)
    [ -n "$p" ] && tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null | grep -q -- "^guest=$1," && echo "$p"
}

# ours: processes other than the daemon and lib.sh's own whose command line
# names this test's directory (QEMU, swtpm, virtiofsd of our domains), one
# "PID COMM" line each
ours() {
    local p
    for p in /proc/[0-9]*; do
        case " $MV_PID $mv_pids " in *" ${p#/proc/} "*) continue ;; esac
        tr '\0' ' ' <"$p/cmdline" 2>/dev/null | grep -qF -- "$mv_tmp/" || continue
        printf '%s %s\n' "${p#/proc/}" "$(cat "$p/comm" 2>/dev/null)"
    done
}

# wait_none_ours SECS: 0 once ours is empty (swtpm ends when QEMU's
# connection closes, a moment after QEMU), 1 if not within SECS
wait_none_ours() {
    local i
    for ((i = 0; i < $1 * 10; i++)); do [ -z "$(ours)" ] && return 0; sleep 0.1; done
    return 1
}

# try_paused NAME [UNDEFINE-ARGS...]: define $mv_tmp/NAME.xml, start it
# paused (domstate checked), destroy and undefine it; each failure an
# expect_fail naming NAME and virsh's error.
try_paused() {
    local name=$1
    shift
    vsh define "$mv_tmp/$name.xml"
    [ "$rc" -eq 0 ] || { expect_fail "$name: define: $err"; return; }
    vsh start --paused "$name"
    [ "$rc" -eq 0 ] || expect_fail "$name: start --paused: $err"
    [ "$rc" -eq 0 ] && { vsh domstate "$name"; expect_eq "$name: state" paused "$out"; vsh destroy "$name"; }
    vsh undefine "$@" "$name"
}

# ---- through modvirt-proxyd -------------------------------------------------
# With MV_VIA_PROXY=1 (the via-proxy-*.sh wrappers set it) a script's clients
# talk to its daemon the way an unmodified libvirt client on a modvirt
# machine does: through modvirt-proxyd's legacy socket.  Each time a daemon
# of the script becomes ready (try_start_daemon, netd_start), proxy_follow
# starts a proxy on the daemon's --root, if none runs there, and points
# MV_URI / MV_URI_RO at the proxy's libvirt-sock / libvirt-sock-ro
# (qemu:///system?socket=...); the proxy finds the daemon's socket by its
# default path under the same root.  The daemon's own URIs stay in
# MV_DIRECT_URI / MV_DIRECT_URI_RO; MV_RW / MV_RO still name its sockets
# (raw mvrpc.py calls go direct).  A daemon restarted by the script finds
# the same proxy still running: its clients' next calls open new legs.  A
# "reboot" that empties ROOT/run takes the proxy's sockets with it: the
# proxy is restarted then, as the machine would restart it.  Verdicts show
# the proxy's log lines too; expect_daemon_alive checks the proxy as well.
# Scripts may also drive a proxy themselves (proxy_start, proxy_uri).

MV_VIA_PROXY=${MV_VIA_PROXY:-0}
MV_PROXY_PID=
MV_PROXY_ROOT=
MV_PROXY_LOG=
MV_DIRECT_URI=
MV_DIRECT_URI_RO=
proxy_log_mark=0

# proxy_sock ROOT [ro]: the proxy's rw (or ro) socket under ROOT
proxy_sock() { printf '%s/run/libvirt/libvirt-sock%s' "$1" "${2:+-ro}"; }
# proxy_uri ROOT [ro]: the URI a client gives to reach the proxy under ROOT
proxy_uri() { printf 'qemu:///system?socket=%s' "$(proxy_sock "$1" "${2:-}")"; }

proxy_alive() {
    [ -n "$MV_PROXY_PID" ] && kill -0 "$MV_PROXY_PID" 2>/dev/null &&
        ! grep -q '^State:.*Z' "/proc/$MV_PROXY_PID/status" 2>/dev/null
}

# proxy_config ROOT LINES...: ROOT/etc/modvirt/modvirt-proxyd.conf
proxy_config() {
    local root=$1
    shift
    mkdir -p "$root/etc/modvirt"
    printf '%s\n' "$@" >"$root/etc/modvirt/modvirt-proxyd.conf"
}

# proxy_start ROOT [ARGS...]: modvirt-proxyd with --root ROOT (its config,
# if any, written before with proxy_config), ready (READY=1), pid in
# MV_PROXY_PID, log in MV_PROXY_LOG ($mv_tmp/proxyd.log, appended to across
# restarts); or bail out with its log.
proxy_start() {
    local root=$1
    shift
    MV_PROXY_LOG=$mv_tmp/proxyd.log
    MV_DAEMON=$MV_PROXYD spawn_daemon "$root" "$MV_PROXY_LOG" "$@"
    MV_PROXY_PID=$spawned_pid
    MV_PROXY_ROOT=$root
    if ! wait_ready "$MV_PROXY_PID" "$MV_READY_S"; then
        echo "Bail out! modvirt-proxyd (pid $MV_PROXY_PID) did not become ready within $MV_READY_S s"
        sed 's/^/#   /' "$MV_PROXY_LOG"
        exit 1
    fi
}

# proxy_follow: with MV_VIA_PROXY=1, route MV_URI / MV_URI_RO through the
# proxy on MV_ROOT (started if need be) when they name a daemon socket under
# MV_ROOT; a daemon the script reaches by a URI of its own stays direct.
proxy_follow() {
    [ "$MV_VIA_PROXY" = 1 ] || return 0
    case $MV_URI in
        "$(proxy_uri "$MV_ROOT")") ;;
        *"?socket=$MV_ROOT/run/modvirt/"*) MV_DIRECT_URI=$MV_URI MV_DIRECT_URI_RO=$MV_URI_RO ;;
        *) return 0 ;;
    esac
    if [ -n "$MV_PROXY_PID" ] && ! proxy_alive; then
        echo "Bail out! modvirt-proxyd (pid $MV_PROXY_PID) died"
        tail -n 60 "$MV_PROXY_LOG" | sed 's/^/#   /'
        exit 1
    fi
    if [ "$MV_PROXY_ROOT" != "$MV_ROOT" ] || [ ! -S "$(proxy_sock "$MV_ROOT")" ]; then
        [ -z "$MV_PROXY_PID" ] || stop_pid "$MV_PROXY_PID"
        proxy_start "$MV_ROOT"
    fi
    MV_URI=$(proxy_uri "$MV_ROOT")
    MV_URI_RO=$(proxy_uri "$MV_ROOT" ro)
}

# proxy_log_diag: the proxy's log lines since the last verdict (at most 40)
proxy_log_diag() {
    [ -n "$MV_PROXY_LOG" ] && [ -f "$MV_PROXY_LOG" ] || return 0
    proxy_alive || diag "  modvirt-proxyd (pid $MV_PROXY_PID) is not running"
    diag "  proxy log ($MV_PROXY_LOG) since the previous case:"
    tail -n +$((proxy_log_mark + 1)) "$MV_PROXY_LOG" | tail -n 40 | sed 's/^/#     /'
}

# via_proxy: true when the script's clients go through modvirt-proxyd (for
# the few expectations that differ, e.g. a call of another daemon's)
via_proxy() { [ "$MV_VIA_PROXY" = 1 ]; }

# ---- clients --------------------------------------------------------------

# isolated CMD...: CMD in a private mount namespace with an empty tmpfs on
# /run/libvirt, a clean C-locale environment and HOME in the temp dir;
# killed after ${MV_CLIENT_TIMEOUT:-30} s.  Extra environment in MV_ENV
# (e.g. MV_ENV="LIBVIRT_DEBUG=1").
isolated() {
    timeout -k 2 "${MV_CLIENT_TIMEOUT:-30}" \
        env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C HOME="${MV_HOME:-$mv_tmp/home}" \
        XDG_CONFIG_HOME="${MV_HOME:-$mv_tmp/home}/.config" XDG_CACHE_HOME="${MV_HOME:-$mv_tmp/home}/.cache" \
        XDG_RUNTIME_DIR="${MV_HOME:-$mv_tmp/home}/run" ${MV_ENV:-} \
        unshare -m --propagation private \
        sh -c 'mount -t tmpfs mvinteg-empty /run/libvirt && exec "$@"' _ "$@"
}

# run CMD...: sets out, err and rc (stdout/stderr without trailing newlines).
run() {
    "$@" >"$mv_tmp/run.out" 2>"$mv_tmp/run.err"
    rc=$?
    out=$(cat "$mv_tmp/run.out")
    err=$(cat "$mv_tmp/run.err")
}

# vsh ARGS...: virsh against the main daemon's rw socket (run's variables).
vsh() { run isolated virsh -c "$MV_URI" "$@"; }

# py FILE-OR-DASH ARGS...: /usr/bin/python3 in the namespace, helpers importable.
py() { run isolated env PYTHONPATH="$MV_HELPERS" PYTHONDONTWRITEBYTECODE=1 "$MV_PY" "$@"; }

# event_marker FILE: FILE is the output of an event listener that gets every
# domain's lifecycle events (virsh event --all --loop, modvirt events): a
# marker domain (a new name each call) is defined and undefined until it
# shows up in FILE (up to 10 s).  Then the listener has registered, and every
# event the daemon queued for it before the marker has arrived (one ordered
# stream per client): what a sleep before the first event, or before "no
# more events", could only hope for.
mv_marker_n=0
event_marker() {
    local i name
    mv_marker_n=$((mv_marker_n + 1))
    name=evmark$mv_marker_n
    printf '%s\n' "<domain type='qemu'><name>$name</name><memory>65536</memory><os><type arch='x86_64'>hvm</type></os></domain>" >"$mv_tmp/$name.xml"
    for ((i = 0; i < 50; i++)); do
        vsh define "$mv_tmp/$name.xml"
        vsh undefine "$name"
        grep -Eq "$name['\"]" "$1" && return 0
        sleep 0.2
    done
    expect_fail "the event listener writing $1 never reported the marker domain $name"
}

# Evidence for a client run, for expect_fail.
run_evidence() { printf 'rc=%s stdout=%q stderr=%q' "$rc" "$out" "$err"; }

# expect_race_outcome MIN: the outcome of a racing script run by run, which
# printed OK=, BAD= and BADMSG= lines: it ran, no call failed with an error
# a lost race cannot give (those are shown), and more than MIN succeeded.
expect_race_outcome() {
    [ "$rc" -eq 0 ] || expect_fail "the race script failed: $(run_evidence)"
    expect_eq "wrong errors" 0 "$(kv BAD)"
    [ "$(kv BAD)" = 0 ] || diag "$(printf '%s\n' "$out" | sed -n 's/^BADMSG=//p')"
    [ "$(kv OK)" -gt "$1" ] 2>/dev/null || expect_fail "too few calls succeeded to call it a race: $(kv OK)"
}

# kv KEY [TEXT]: the value of the first "KEY=value" line of TEXT (default $out).
kv() { printf '%s\n' "${2-$out}" | sed -n "s/^$1=//p" | head -n 1; }

# ---- the host, as the tests expect the daemon to report it ---------------

# cpuinfo_mhz: the clock as libvirt 9.0 reads it (virHostCPUParseFrequency), not
# as this machine happens to show it: the integer part (truncated, never
# rounded) of the LAST "cpu MHz" line on x86 ("clock" on ppc, "cpu MHz dynamic"
# on s390), a value that does not parse ending the scan; 0 on ARM and others.
cpuinfo_mhz() {
    local key
    case $(uname -m) in
        x86_64 | i?86) key='cpu MHz' ;;
        ppc*) key=clock ;;
        s390*) key='cpu MHz dynamic' ;;
        *) echo 0; return ;;
    esac
    awk -v k="$key" '
        index($0, k) == 1 {
            r = substr($0, length(k) + 1)
            if (r !~ /^[ \t]*:/) next
            sub(/^[ \t]*:[ \t]*/, "", r)
            if (r !~ /^[0-9]+([.[:space:]]|$)/) exit
            sub(/[^0-9].*$/, "", r)
            v = r
        }
        END { print v + 0 }' /proc/cpuinfo
}

# expect_mhz WHAT BEFORE GOT: GOT is the clock the daemon read between a
# cpuinfo_mhz of BEFORE and one now.  With cpufreq the clock moves, so only a
# steady clock (BEFORE = now) gives a value to compare with; a moving one
# only demands a number, and says so.
expect_mhz() {
    local now
    now=$(cpuinfo_mhz)
    if [ "$2" = "$now" ]; then
        expect_eq "$1" "$2" "$3"
    else
        diag "$1: the clock moved from $2 to $now MHz during the call; only checking it is a number"
        expect_match "$1" '^[0-9]+$' "$3"
    fi
}

# host_kvm: whether KVM can run QEMU guests here, found without asking the
# daemon: "no" without a /dev/kvm character device or on a kvm_pvm host
# (PVM emulates ordinary guests far too slowly to boot them), "yes" with
# hardware KVM (kvm_intel / kvm_amd) that QEMU accepts, else "unknown".
host_kvm() {
    [ -c /dev/kvm ] || { echo no; return; }
    [ -d /sys/module/kvm_pvm ] && { echo no; return; }
    if [ -d /sys/module/kvm_intel ] || [ -d /sys/module/kvm_amd ]; then
        echo quit | timeout -k 2 20 qemu-system-x86_64 -accel kvm -machine none -nodefaults \
            -display none -monitor stdio >/dev/null 2>&1 && { echo yes; return; }
        echo no
        return
    fi
    echo unknown
}

# host_facts: sets host_name, host_cpus (online), host_mem_kib (MemTotal),
# host_arch, host_mhz (cpuinfo_mhz), host_cells (NUMA nodes, at least 1), qemu_bin,
# qemu_ver ("7.2.22") and qemu_num (7002022), read from the host itself.
host_facts() {
    local qmaj qmin qmic
    host_name=$(hostname)
    host_cpus=$(getconf _NPROCESSORS_ONLN)
    host_mem_kib=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)
    host_arch=$(uname -m)
    host_mhz=$(cpuinfo_mhz)
    host_cells=$(ls -d /sys/devices/system/node/node[0-9]* 2>/dev/null | wc -l)
    [ "$host_cells" -gt 0 ] || host_cells=1
    qemu_bin=$(command -v qemu-system-x86_64)
    qemu_ver=$(qemu-system-x86_64 --version | sed -n '1s/^QEMU emulator version \([0-9][0-9.]*\).*/\1/p')
    IFS=. read -r qmaj qmin qmic <<<"$qemu_ver"
    qemu_num=$((qmaj * 1000000 + qmin * 1000 + ${qmic:-0}))
}
