#!/bin/bash
# qemu+ssh:// to modvirt: Debian's virsh through a real sshd (Debian's
# openssh-server, /usr/sbin/sshd) on a random loopback port, with a host key
# and a client key made here, into modvirt-proxyd's libvirt-sock in front of
# modvirt-qemud, -netd (in a network namespace of this script's own) and
# -storaged.  A domain, a network and a pool are defined through the proxy's
# socket first; then virsh lists them over ssh, both with libvirt's
# "nc -U" helper (proxy=netcat, socket= naming the proxy's socket under
# --root) and with virt-ssh-helper (proxy=native and the unmodified URI
# qemu+ssh://root@127.0.0.1:PORT/system), changes them over ssh, and a
# read-only connection is read-only.  A key sshd does not know and a host
# key the client does not know fail at once with ssh's reason.  And what
# modvirt-remote(7) says of libvirt 9.0's client: socket= alone selects
# nc -U, proxy=native ignores socket=, and a stale virtqemud-sock on the
# remote side sends virt-ssh-helper (not nc) to a dead socket.
#
# Where things live:
#  - sshd runs in a private mount namespace whose /run is a tmpfs holding
#    /run/sshd (its privilege separation directory, which this machine need
#    not have) and /run/libvirt, a bind of the proxy's $PROOT/run/libvirt:
#    the remote side of the test is a host where the proxy serves libvirt's
#    own socket, and nothing of the machine's /run is touched.  Its config,
#    host key, authorized_keys and pid file are in the temp dir.
#  - ssh finds ~/.ssh through the passwd entry (root's /root), not $HOME:
#    every client runs in a mount namespace where /root is a directory of
#    the temp dir, so the machine's /root/.ssh is never read or written.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_PROXYD=$top_builddir/proxyd/modvirt-proxyd
MV_QEMUD=$top_builddir/qemud/modvirt-qemud
MV_NETD=$top_builddir/netd/modvirt-netd
MV_STORAGED=$top_builddir/storaged/modvirt-storaged
MV_DAEMON=$MV_PROXYD
MV_NEEDS="ip nft /usr/sbin/dnsmasq /usr/sbin/sshd ssh ssh-keygen nc virt-ssh-helper"
mv_init 11
for d in "$MV_QEMUD" "$MV_NETD" "$MV_STORAGED"; do
    [ -x "$d" ] && continue
    for i in $(seq 11); do skip "$d is not built"; done
    exit 0
done

# ---- the daemons: one root for the daemons, another for the proxy ----

. "$top_srcdir/tests/integration/proxy-daemons.sh"
PSOCK=$PROOT/run/libvirt/libvirt-sock
proxy_daemons mvssh$$
start proxyd "$MV_PROXYD" "$PROOT"
proxyd_pid=$started_pid
MV_PID=$proxyd_pid
MV_LOG=$mv_tmp/proxyd.log
MV_URI="qemu:///system?socket=$PSOCK"
mv_log_mark

# 1: the objects the ssh clients will look for, made on the proxy's socket
cat >"$mv_tmp/dom.xml" <<EOF
<domain type='qemu'>
  <name>sshdom</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
</domain>
EOF
mkdir -p "$mv_tmp/pool"
vsh "define $mv_tmp/dom.xml ; pool-define-as sshpool dir --target $mv_tmp/pool ; pool-start sshpool ; net-define /dev/stdin" <<EOF
<network><name>sshnet</name><bridge name='sshbr0'/></network>
EOF
expect_eq "exit status" 0 "$rc"
expect_eq "stderr" "" "$err"
expect_eq "qemud's definition" yes "$([ -f "$DROOT/etc/modvirt/qemu/sshdom.xml" ] && echo yes)"
expect_eq "netd's definition" yes "$([ -f "$DROOT/etc/modvirt/network/sshnet.xml" ] && echo yes)"
verdict "a domain, a network and a pool defined through the proxy's local socket"

# ---- sshd ----

SSHD_DIR=$mv_tmp/sshd
mkdir -p "$SSHD_DIR"
keygen() { ssh-keygen -q -t ed25519 -N '' -C "$2" -f "$1" </dev/null || { echo "Bail out! ssh-keygen $1 failed"; exit 1; }; }
keygen "$SSHD_DIR/host_key" mvtest-host
keygen "$mv_tmp/good_key" mvtest-good
keygen "$mv_tmp/other_key" mvtest-other
cp "$mv_tmp/good_key.pub" "$SSHD_DIR/authorized_keys"
GOOD_FP=$(ssh-keygen -l -f "$mv_tmp/good_key.pub" | awk '{ print $2 }')
SSHD_LOG=$mv_tmp/sshd.log
SSHD_PID=
PORT=

# free_port: a loopback TCP port nobody listens on now (sshd_start retries
# if someone takes it before sshd binds it)
free_port() {
    "$MV_PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# sshd_try PORT: sshd -D -e on 127.0.0.1:PORT in its mount namespace
# (see the top); 0 once it logs that it listens, 1 if it exits first (its
# log then says why) or has not within $MV_READY_S s.
sshd_try() {
    local i
    cat >"$SSHD_DIR/sshd_config" <<EOF
ListenAddress 127.0.0.1:$1
HostKey $SSHD_DIR/host_key
PidFile $SSHD_DIR/sshd.pid
AuthorizedKeysFile $SSHD_DIR/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
# the temp dir is under /tmp (mode 1777), which StrictModes refuses
StrictModes no
AllowTcpForwarding no
X11Forwarding no
PrintMotd no
LogLevel VERBOSE
EOF
    : >"$SSHD_LOG"
    # unshare execs sh, which execs sshd: $! is sshd's pid
    # shellcheck disable=SC2016  # expanded by that sh
    unshare -m --propagation private sh -c '
        mount -t tmpfs mvssh-run /run &&
        mkdir -m 0755 /run/sshd /run/libvirt &&
        mount --bind "$1" /run/libvirt &&
        exec /usr/sbin/sshd -D -e -f "$2"' _ "$PROOT/run/libvirt" "$SSHD_DIR/sshd_config" \
        >>"$SSHD_LOG" 2>&1 </dev/null &
    SSHD_PID=$!
    kill_at_exit $SSHD_PID
    for ((i = 0; i < MV_READY_S * 20; i++)); do
        grep -q "^Server listening on 127.0.0.1 port $1\." "$SSHD_LOG" && return 0
        kill -0 $SSHD_PID 2>/dev/null || return 1
        sleep 0.05
    done
    return 1
}

for _ in 1 2 3 4 5; do
    PORT=$(free_port)
    sshd_try "$PORT" && break
    stop_pid $SSHD_PID
    grep -q 'Address already in use' "$SSHD_LOG" && continue
    echo "Bail out! sshd on 127.0.0.1:$PORT did not start"
    sed 's/^/#   /' "$SSHD_LOG"
    exit 1
done
grep -q "^Server listening on 127.0.0.1 port $PORT\." "$SSHD_LOG" ||
    { echo "Bail out! no free port for sshd after 5 tries"; exit 1; }

# Client homes, each mounted on /root for the client (ssh's ~): "known" has
# the good key as its default identity and sshd's host key in known_hosts;
# "empty" (case 2, 6) and "fresh" (case 7) start with nothing, so only what
# the URI says counts.
mkhome() { mkdir -p "$mv_tmp/$1/.ssh" && chmod 700 "$mv_tmp/$1" "$mv_tmp/$1/.ssh"; }
mkhome known
mkhome empty
mkhome fresh
cp "$mv_tmp/good_key" "$mv_tmp/known/.ssh/id_ed25519"
printf '[127.0.0.1]:%s %s\n' "$PORT" "$(cut -d' ' -f1,2 "$SSHD_DIR/host_key.pub")" >"$mv_tmp/known/.ssh/known_hosts"

SSH_URI="qemu+ssh://root@127.0.0.1:$PORT/system"
SSH_TIMEOUT=20

# ssh_vsh HOME URI VIRSH-ARGS...: virsh -c URI in the clients' namespace
# (lib.sh's isolated) with $mv_tmp/HOME mounted on /root; run's variables,
# and the time it took in secs.
ssh_vsh() {
    local home=$mv_tmp/$1 uri=$2 t0
    shift 2
    t0=$(date +%s)
    # shellcheck disable=SC2016  # expanded by that sh
    MV_CLIENT_TIMEOUT=$SSH_TIMEOUT MV_HOME=$home run isolated sh -c \
        'mount --bind "$1" /root && shift && exec virsh -c "$@"' _ "$home" "$uri" "$@"
    secs=$(($(date +%s) - t0))
}

# sessions_gone: every ssh session has ended on the server side (sshd has
# no child left: no nc or virt-ssh-helper lingers), waited for up to 10 s
sessions_gone() {
    local i
    for ((i = 0; i < 200; i++)); do
        [ -z "$(pgrep -P "$SSHD_PID")" ] && return 0
        sleep 0.05
    done
    expect_fail "sshd still has children: $(pgrep -a -P "$SSHD_PID")"
}

# expect_listing: run's output shows the objects of case 1
expect_listing() {
    expect_eq "exit status" 0 "$rc"
    expect_eq "stderr" "" "$err"
    expect_match "the domain" "^ -  +sshdom +shut off" "$out"
    expect_match "the network" "^ sshnet +inactive" "$out"
    expect_match "netd's default network" "^ default +active" "$out"
    expect_match "the pool" "^ sshpool +active" "$out"
}

LIST="list --all ; net-list --all ; pool-list --all"

# 2: the brief's URI: nc -U on the proxy's socket named by socket=, key by
# keyfile=, host key not checked (no_verify=1), nothing in ~/.ssh
accepted=$(grep -c "Accepted publickey for root from 127.0.0.1 port [0-9]* ssh2: ED25519 $GOOD_FP" "$SSHD_LOG")
ssh_vsh empty "$SSH_URI?keyfile=$mv_tmp/good_key&no_verify=1&socket=$PSOCK&proxy=netcat" "$LIST"
expect_listing
expect_eq "sshd accepted the good key once more" $((accepted + 1)) \
    "$(grep -c "Accepted publickey for root from 127.0.0.1 port [0-9]* ssh2: ED25519 $GOOD_FP" "$SSHD_LOG")"
# StrictHostKeyChecking=no still records the key: in ~/.ssh/known_hosts of
# the passwd entry's home, which is why every client here gets its own /root
# (hashed: Debian's ssh_config says HashKnownHosts yes)
expect_match "no_verify=1 wrote ~/.ssh/known_hosts" "^# Host \[127\.0\.0\.1\]:$PORT found" \
    "$(ssh-keygen -F "[127.0.0.1]:$PORT" -f "$mv_tmp/empty/.ssh/known_hosts" 2>&1)"
sessions_gone
verdict "qemu+ssh with proxy=netcat, socket=, keyfile=, no_verify=1: virsh lists the domain, networks and pool"

# 3: the same through virt-ssh-helper (proxy=native); it knows only
# libvirt's own socket paths, the proxy's socket on the remote side's
# /run/libvirt; the host key is checked against known_hosts, the key is ~'s
ssh_vsh known "$SSH_URI?proxy=native&no_tty=1" "$LIST"
expect_listing
sessions_gone
verdict "qemu+ssh with proxy=native (virt-ssh-helper on /run/libvirt/libvirt-sock), host key verified"

# 4: the URI a user types: no parameter at all (virsh picks virt-ssh-helper
# when the remote side has it), and changes made over ssh reach the daemons
ssh_vsh known "$SSH_URI" "$LIST ; undefine sshdom ; net-undefine sshnet ; pool-destroy sshpool ; pool-undefine sshpool ; list --all --name"
expect_eq "exit status" 0 "$rc"
expect_eq "stderr" "" "$err"
expect_match "the domain listed" "^ -  +sshdom +shut off" "$out"
expect_match "the network listed" "^ sshnet +inactive" "$out"
expect_match "undefined" "^Domain 'sshdom' has been undefined" "$out"
expect_match "network undefined" "^Network sshnet has been undefined" "$out"
expect_match "pool undefined" "^Pool sshpool has been undefined" "$out"
expect_eq "qemud's definition removed" no "$([ -e "$DROOT/etc/modvirt/qemu/sshdom.xml" ] && echo yes || echo no)"
expect_eq "netd's definition removed" no "$([ -e "$DROOT/etc/modvirt/network/sshnet.xml" ] && echo yes || echo no)"
sessions_gone
verdict "qemu+ssh://root@127.0.0.1:PORT/system unmodified: listing, then undefine, net-undefine, pool-undefine reach the daemons"

# 5: virsh -r: virt-ssh-helper -r on libvirt-sock-ro; the proxy refuses changes
ssh_vsh known "$SSH_URI" -r "net-list --all ; net-define /dev/stdin" <<EOF
<network><name>sshro</name><bridge name='sshbr1'/></network>
EOF
expect_match "listing works" "^ default +active" "$out"
expect_match "define refused" "read only access prevents virNetworkDefineXML" "$err"
expect_eq "not defined" no "$([ -e "$DROOT/etc/modvirt/network/sshro.xml" ] && echo yes || echo no)"
expect_match "the proxy's client was read-only, its leg on netd-sock-ro" \
    "leg to modvirt-netd \($DROOT/run/modvirt/netd-sock-ro\) ready" "$(tail -n +$((case_log_mark + 1)) "$MV_LOG")"
expect_match "the proxy's client was read-only" "client [0-9]+ connected: pid [0-9]+ uid 0 \(read-only\)" \
    "$(tail -n +$((case_log_mark + 1)) "$MV_LOG")"
sessions_gone
verdict "virsh -r over ssh: virt-ssh-helper -r reaches the read-only socket, changes are refused"

# 6: a key sshd does not know
ssh_vsh empty "$SSH_URI?keyfile=$mv_tmp/other_key&no_verify=1&no_tty=1&socket=$PSOCK&proxy=netcat" list --all
expect_nomatch "exit status (0 = connected, 124 = timed out)" '^(0|124|137)$' "$rc"
expect_match "ssh's reason" "Permission denied \(publickey\)" "$err"
expect_match "virsh's error" "failed to connect to the hypervisor" "$err"
[ "$secs" -lt 10 ] || expect_fail "took $secs s to fail"
sessions_gone
verdict "a key not in authorized_keys: virsh fails at once with ssh's 'Permission denied (publickey)'"

# 7: a host key the client does not know, in batch mode (no_tty=1): ssh
# refuses to go on rather than asking
ssh_vsh fresh "$SSH_URI?keyfile=$mv_tmp/good_key&no_tty=1" list --all
expect_nomatch "exit status (0 = connected, 124 = timed out)" '^(0|124|137)$' "$rc"
expect_match "ssh's reason" "Host key verification failed" "$err"
[ "$secs" -lt 10 ] || expect_fail "took $secs s to fail"
sessions_gone
verdict "an unknown host key with no_tty=1: virsh fails at once with 'Host key verification failed'"

# 8: socket= alone (no proxy=) makes virsh use nc -U on that path (virsh
# does not give virt-ssh-helper a socket); a path with no socket gives nc's
# reason at once
ssh_vsh known "$SSH_URI?socket=$PSOCK" "net-list --all"
expect_eq "exit status" 0 "$rc"
expect_match "the proxy's socket named by socket=" "^ default +active" "$out"
ssh_vsh known "$SSH_URI?socket=$PROOT/run/libvirt/no-such-sock" list --all
expect_nomatch "no socket: exit status (0 = connected, 124 = timed out)" '^(0|124|137)$' "$rc"
expect_match "no socket: nc's reason, through virsh" \
    "nc: $PROOT/run/libvirt/no-such-sock: No such file or directory" "$err"
[ "$secs" -lt 10 ] || expect_fail "took $secs s to fail"
sessions_gone
verdict "socket= alone selects nc -U on that path; one with no socket fails at once with nc's reason"

# 9: proxy=native with socket=: virt-ssh-helper opens libvirt's own path
# and silently ignores socket= (libvirt 9.0), so this reaches the proxy
ssh_vsh known "$SSH_URI?socket=$PROOT/run/libvirt/no-such-sock&proxy=native" "net-list --all"
expect_eq "exit status" 0 "$rc"
expect_match "reached /run/libvirt/libvirt-sock anyway" "^ default +active" "$out"
sessions_gone
verdict "proxy=native ignores socket=: virt-ssh-helper uses /run/libvirt/libvirt-sock"

# 10: a virtqemud-sock that nobody listens on (left by a stopped libvirt)
# next to the proxy's socket: virt-ssh-helper prefers it whenever the file
# exists, and fails; nc -U on libvirt's legacy path still reaches the proxy
"$MV_PY" -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
    "$PROOT/run/libvirt/virtqemud-sock"
ssh_vsh known "$SSH_URI" list --all
expect_nomatch "helper: exit status (0 = connected, 124 = timed out)" '^(0|124|137)$' "$rc"
expect_match "virt-ssh-helper's reason" \
    "virt-ssh-helper: cannot connect to '/var/run/libvirt/virtqemud-sock'" "$err"
ssh_vsh known "$SSH_URI?proxy=netcat" "net-list --all"
expect_eq "nc: exit status" 0 "$rc"
expect_match "nc: the proxy answers" "^ default +active" "$out"
rm -f "$PROOT/run/libvirt/virtqemud-sock"
sessions_gone
verdict "a stale /run/libvirt/virtqemud-sock: virt-ssh-helper fails naming it, proxy=netcat still works"

# 11
stop_pid "$SSHD_PID"
expect_eq "sshd gone" "" "$(ps -o pid= -p "$SSHD_PID" 2>/dev/null)"
stop_pid "$proxyd_pid"
expect_eq "proxyd exit status" 0 "$stop_status"
verdict "sshd and proxyd stop"

mv_done
