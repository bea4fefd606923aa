#!/bin/bash
# modvirt-proxyd's SASL authentication (issue 13) in front of
# modvirt-qemud, on random ports of 127.0.0.1: auth_tls = "sasl" (TLS with
# the good client certificate of tests/lib/pki.sh, then SCRAM-SHA-256) and
# auth_tcp = "sasl" (plain TCP: only a mechanism with a security layer,
# DIGEST-MD5, is good enough), users in a sasldb made by saslpasswd2, and
# sasl_allowed_username_list.  Debian's virsh answers its credential prompt
# from an auth file (the authfile= URI parameter, libvirt's auth.conf
# format).
#   - the right password lists domains, over TLS and over TCP;
#   - a wrong password and a user outside the allowlist are refused
#     ("authentication failed"), and proxyd's log says why;
#   - SCRAM-SHA-256 on plain TCP (no security layer) is refused: by virsh
#     (proxyd offers only DIGEST-MD5 there) and, sent raw, by proxyd; no
#     call goes through before SASL;
#   - auth_tcp = "none" works, with a warning at start;
#   - a socket handed over as "tcp" (socket activation) gets SASL too.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/pki.sh"

MV_PROXYD=$top_builddir/proxyd/modvirt-proxyd
MV_QEMUD=$top_builddir/qemud/modvirt-qemud
MV_DAEMON=$MV_PROXYD
MV_NEEDS="certtool saslpasswd2 sasldblistusers2"
mv_init 12

PKI=$mv_tmp/pki
pki_make "$PKI" || { echo "Bail out! certtool could not make the test PKI"; exit 1; }

. "$top_srcdir/tests/integration/proxy-daemons.sh"

# ---- SASL: libvirt.conf and a sasldb under the proxy's root ----
mkdir -p "$PROOT/etc/sasl2"
cat >"$PROOT/etc/sasl2/libvirt.conf" <<EOF
mech_list: scram-sha-256 digest-md5
sasldb_path: $PROOT/etc/sasl2/passwd.db
EOF
# user PASSWORD: one sasldb entry
add_user() {
    printf '%s' "$2" | saslpasswd2 -f "$PROOT/etc/sasl2/passwd.db" -a libvirt -c -p "$1" ||
        { echo "Bail out! saslpasswd2 could not add $1"; exit 1; }
}
add_user alice 'alice-Secret1'
add_user admin7 'admin-Secret7'
add_user bob 'bob-Secret2'      # a real user, not in the allowlist
sasldblistusers2 -f "$PROOT/etc/sasl2/passwd.db" | grep -q '^bob@' ||
    { echo "Bail out! the sasldb has no bob"; exit 1; }

# authfile NAME USER PASSWORD: libvirt's auth.conf for host 127.0.0.1
authfile() {
    printf '[credentials-t]\nauthname=%s\npassword=%s\n\n[auth-libvirt-127.0.0.1]\ncredentials=t\n' \
        "$2" "$3" >"$mv_tmp/$1.auth"
}
authfile alice alice 'alice-Secret1'
authfile admin7 admin7 'admin-Secret7'
authfile wrong alice 'not-her-password'
authfile bob bob 'bob-Secret2'

TLS_PORT=$(free_tcp_port)
TCP_PORT=$(free_tcp_port)
while [ "$TCP_PORT" = "$TLS_PORT" ]; do TCP_PORT=$(free_tcp_port); done
mkdir -p "$PROOT/etc/modvirt"
cat >"$PROOT/etc/modvirt/modvirt-proxyd.conf" <<EOF
qemud_socket = "$DROOT/run/modvirt/qemud-sock"
netd_socket = "$DROOT/run/modvirt/netd-sock"
storaged_socket = "$DROOT/run/modvirt/storaged-sock"
upstream_timeout = 5
listen_addr = "127.0.0.1"
listen_tls = 1
tls_port = "$TLS_PORT"
auth_tls = "sasl"
listen_tcp = 1
tcp_port = "$TCP_PORT"
auth_tcp = "sasl"
sasl_allowed_username_list = ["alice", "adm*"]
EOF
pki_install_server "$PKI" "$PROOT"

start qemud "$MV_QEMUD" "$DROOT"
start proxyd "$MV_PROXYD" "$PROOT"
proxyd_pid=$started_pid
MV_PID=$proxyd_pid
MV_LOG=$mv_tmp/proxyd.log
mv_log_mark

# svsh tls|tcp AUTH [MECH] -- ARGS...: virsh with the auth file AUTH (and
# the mechanism MECH forced by auth=sasl.MECH)
svsh() {
    local kind=$1 auth=$2 mech= uri
    shift 2
    [ "$1" != -- ] && { mech=$1; shift; }
    shift
    if [ "$kind" = tls ]; then
        uri="qemu+tls://127.0.0.1:$TLS_PORT/system?pkipath=$PKI/good&authfile=$mv_tmp/$auth.auth"
    else
        uri="qemu+tcp://127.0.0.1:$TCP_PORT/system?authfile=$mv_tmp/$auth.auth"
    fi
    [ -n "$mech" ] && uri="$uri&auth=sasl.$mech"
    run isolated virsh -c "$uri" "$@"
}
expect_log() {
    wait_log "$2" 5 || expect_fail "$1: no line matching /$2/ in proxyd's log; since the case: $(new_log | tail -n 5 | tr '\n' '|')"
}
expect_refused() {
    expect_eq "exit status" 1 "$rc"
    expect_match "virsh's error" "authentication failed" "$err"
    expect_nomatch "no listing" "Id +Name" "$out"
    kill -0 "$proxyd_pid" 2>/dev/null || expect_fail "modvirt-proxyd (pid $proxyd_pid) is not running"
}

# 1
svsh tls alice SCRAM-SHA-256 -- "list --all ; uri"
expect_eq "exit status" 0 "$rc"
expect_match "domain list header" "Id +Name +State" "$out"
expect_eq "stderr" "" "$err"
expect_log "the user named" "alice"
expect_match "qemud gets the DN and the SASL user as the identity" "x509 DN '[^']*CN=client1[^']*', SASL user 'alice'" \
    "$(grep 'forwards a remote identity' "$mv_tmp/qemud.log")"
verdict "TLS + SASL SCRAM-SHA-256, the right password: virsh lists domains"

# 2
svsh tls admin7 -- list --all
expect_eq "exit status" 0 "$rc"
expect_match "domain list header" "Id +Name +State" "$out"
verdict "TLS + SASL, the mechanism virsh picks, a user matching the glob adm*: allowed"

# 3
svsh tls wrong SCRAM-SHA-256 -- list --all
expect_refused
expect_log "the user named" "alice"
verdict "TLS + SASL, a wrong password: authentication failed"

# 4
svsh tls bob SCRAM-SHA-256 -- list --all
expect_refused
expect_log "the user and the allowlist named" "bob.*sasl_allowed_username_list|sasl_allowed_username_list.*bob"
verdict "TLS + SASL, a user with the right password but not in sasl_allowed_username_list: refused"

# 5
svsh tcp alice DIGEST-MD5 -- "list --all ; uri"
expect_eq "exit status" 0 "$rc"
expect_match "domain list header" "Id +Name +State" "$out"
expect_eq "stderr" "" "$err"
verdict "plain TCP + SASL DIGEST-MD5 (a security layer): virsh lists domains"

# 6
svsh tcp wrong DIGEST-MD5 -- list --all
expect_refused
verdict "plain TCP + SASL DIGEST-MD5, a wrong password: authentication failed"

# 7
svsh tcp alice SCRAM-SHA-256 -- list --all
expect_eq "exit status" 1 "$rc"
expect_match "virsh's error" "authentication failed|not supported|SSF|too weak|mechanism" "$err"
expect_nomatch "no listing" "Id +Name" "$out"
verdict "plain TCP + SASL SCRAM-SHA-256 (no security layer, SSF too weak): refused"

# 8
svsh tcp bob DIGEST-MD5 -- list --all
expect_refused
verdict "plain TCP + SASL, a user not in sasl_allowed_username_list: refused"

# 9: at the wire, on plain TCP: what proxyd itself refuses (virsh's own
# checks stop it before), with mvrpc.py over a TCP socket
cat >"$mv_tmp/raw.py" <<'EOF2'
import socket, struct, sys, mvrpc
def conn(port):
    c = mvrpc.Conn.__new__(mvrpc.Conn)      # mvrpc's calls, a TCP socket
    c.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
    c.timeout, c.serial = 10.0, 0
    return c
def chars(b):                                # XDR char<>: 4 bytes a byte
    return struct.pack(">I", len(b)) + b"".join(struct.pack(">i", x) for x in b)
def err(p):
    return "ok" if p.status == mvrpc.OK else "%d %s" % (p.error()["code"], p.error()["message"])
c = conn(int(sys.argv[1]))
p = c.call(mvrpc.PROC_AUTH_LIST)
n = struct.unpack(">I", p.body[:4])[0]
print("auth_list=%s" % list(struct.unpack(">%di" % n, p.body[4:4 + 4 * n])))
print("open_before_auth=%s" % err(c.call(mvrpc.PROC_CONNECT_OPEN, mvrpc.xdr_opt_string("qemu:///system") + struct.pack(">I", 0))))
print("hostname_before_auth=%s" % err(c.call(mvrpc.PROC_CONNECT_GET_HOSTNAME)))
p = c.call(67)                               # AUTH_SASL_INIT
print("mechlist=%s" % (p.string() if p.status == mvrpc.OK else err(p)))
scram = b"n,,n=alice,r=0123456789abcdef"     # SCRAM's client-first message
p = c.call(68, mvrpc.xdr_string("SCRAM-SHA-256") + struct.pack(">i", 0) + chars(scram))
print("scram_start=%s" % err(p))
# two more failed exchanges (a mechanism nobody offers): the third failure
# on the connection closes it once its error reply is out
for n in (2, 3):
    c.call(67)
    p = c.call(68, mvrpc.xdr_string("NO-SUCH-MECH") + struct.pack(">i", 1) + struct.pack(">I", 0))
    print("failure%d=%s" % (n, err(p)))
t = c.wait_closed(10)
print("closed_after_3=%s" % ("no" if t is None else "yes"))
EOF2
py "$mv_tmp/raw.py" "$TCP_PORT"
expect_eq "exit status" 0 "$rc"
[ "$rc" = 0 ] || diag "python: $err"
expect_eq "AUTH_LIST offers SASL (1) alone" "[1]" "$(kv auth_list)"
expect_match "CONNECT_OPEN before authentication" "^[0-9]+ .*(auth|denied|forbidden)" "$(kv open_before_auth)"
expect_match "a forwarded call before authentication" "^[0-9]+ .*(auth|denied|forbidden)" "$(kv hostname_before_auth)"
expect_eq "mechanisms on plain TCP: only one with a security layer" "DIGEST-MD5" "$(kv mechlist)"
expect_match "SCRAM-SHA-256 refused by proxyd" "^45 authentication failed" "$(kv scram_start)"
expect_log "proxyd says why" "SCRAM-SHA-256.*too weak"
expect_match "a second failed exchange is answered" "^45 authentication failed" "$(kv failure2)"
expect_match "so is the third" "^45 authentication failed" "$(kv failure3)"
expect_eq "then proxyd closes the connection" yes "$(kv closed_after_3)"
expect_log "and says why" "3 failed SASL logins; closing the connection"
verdict "plain TCP at the wire: no call before SASL, only DIGEST-MD5 offered, SCRAM-SHA-256 refused by proxyd itself, the third failed login closes the connection"

# 10: auth_tcp = "none": a warning at start, and no credentials asked
NROOT=$mv_tmp/noauth
NPORT=$(free_tcp_port)
mkdir -p "$NROOT/etc/modvirt"
cat >"$NROOT/etc/modvirt/modvirt-proxyd.conf" <<EOF
qemud_socket = "$DROOT/run/modvirt/qemud-sock"
upstream_timeout = 5
listen_addr = "127.0.0.1"
listen_tcp = 1
tcp_port = "$NPORT"
auth_tcp = "none"
EOF
start noauth "$MV_PROXYD" "$NROOT"
noauth_pid=$started_pid
expect_match "a warning naming auth_tcp" "auth_tcp" "$(grep -iE 'warn' "$mv_tmp/noauth.log")"
run isolated virsh -c "qemu+tcp://127.0.0.1:$NPORT/system" list --all
expect_eq "exit status" 0 "$rc"
[ "$rc" = 0 ] || diag "virsh: $(run_evidence)"
expect_match "domain list header" "Id +Name +State" "$out"
stop_pid "$noauth_pid"
verdict "auth_tcp = \"none\": proxyd warns at start, plain TCP needs no credentials"

# 11: socket activation as modvirt-proxyd-tcp.socket does it: a TCP socket
# handed over as "tcp", no listen_tcp in the config, auth_tcp left at its
# default (sasl): SASL must be ready for it all the same
AROOT=$mv_tmp/activated
APORT=$(free_tcp_port)
mkdir -p "$AROOT/etc/modvirt" "$AROOT/etc/sasl2"
cp "$PROOT/etc/sasl2/libvirt.conf" "$AROOT/etc/sasl2/libvirt.conf"
cat >"$AROOT/etc/modvirt/modvirt-proxyd.conf" <<EOF
qemud_socket = "$DROOT/run/modvirt/qemud-sock"
upstream_timeout = 5
sasl_allowed_username_list = ["alice"]
EOF
start_activated activated tcp "$APORT" "$AROOT" || expect_fail "systemd-socket-activate did not listen"
act_pid=$activated_pid
run isolated virsh -c "qemu+tcp://127.0.0.1:$APORT/system?authfile=$mv_tmp/alice.auth&auth=sasl.DIGEST-MD5" \
    "list --all ; uri"
expect_eq "exit status" 0 "$rc"
[ "$rc" = 0 ] || diag "virsh: $(run_evidence); log: $(tail -n 5 "$mv_tmp/activated.log" | tr '\n' '|')"
expect_match "domain list header" "Id +Name +State" "$out"
run isolated virsh -c "qemu+tcp://127.0.0.1:$APORT/system?authfile=$mv_tmp/bob.auth&auth=sasl.DIGEST-MD5" list
expect_refused
stop_pid "$act_pid"
verdict "socket activation: a TCP socket named tcp gets SASL and its allowlist without listen_tcp"

# 12
stop_pid "$proxyd_pid"
expect_eq "proxyd exit status" 0 "$stop_status"
verdict "proxyd stops on SIGTERM"

mv_done
