#!/bin/bash
# modvirt-proxyd's TLS listener (issue 13) in front of modvirt-qemud, -netd
# (in a network namespace of this script's own) and -storaged, on a random
# port of 127.0.0.1, with a PKI made here by certtool (tests/lib/pki.sh):
#   - Debian's virsh with the good client certificate lists domains,
#     networks and pools over qemu+tls://;
#   - a certificate from another CA, an expired one and one whose DN is not
#     in tls_allowed_dn_list are refused: virsh says why (its own check of
#     its files), and with that check off (no_sanity=1) the certificate
#     reaches proxyd, which refuses it and logs why; so is one the CA's CRL
#     revokes;
#   - garbage bytes, a handshake that stalls (closed after
#     tls_handshake_timeout), 200 handshakes at once and 200 stalled ones:
#     memory bounded, no descriptor left behind, a good client gets through;
#   - SIGHUP re-reads the certificate: a connection opened before keeps
#     working, a new one is served with the new certificate; a reload that
#     finds a broken pair keeps the old one;
#   - a key readable by others, a key that is not the certificate's, an
#     expired server certificate: proxyd exits 2 naming the file;
#   - python3-libvirt over TLS gets domain lifecycle events;
#   - an IPv6 listener, and a socket handed over as "tls" (socket activation);
#   - calls pipelined past max_client_requests in one TLS record all answered.
#   - listen_addr = "::1" serves qemu+tls://[::1]:PORT.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/lib/pki.sh"

MV_PROXYD=$top_builddir/proxyd/modvirt-proxyd
MV_QEMUD=$top_builddir/qemud/modvirt-qemud
MV_NETD=$top_builddir/netd/modvirt-netd
MV_STORAGED=$top_builddir/storaged/modvirt-storaged
MV_DAEMON=$MV_PROXYD
MV_NEEDS="ip nft /usr/sbin/dnsmasq certtool"
EVENT_S=20              # an event a step caused must arrive within this
mv_init 20

PKI=$mv_tmp/pki
pki_make "$PKI" || { echo "Bail out! certtool could not make the test PKI"; exit 1; }

# ---- the daemons: one root for the daemons, another for the proxy ----

. "$top_srcdir/tests/integration/proxy-daemons.sh"

# proxy_conf ROOT PORT: the proxy's config, TLS on 127.0.0.1:PORT
proxy_conf() {
    mkdir -p "$1/etc/modvirt"
    cat "$PROXY_CONF_BASE" - >"$1/etc/modvirt/modvirt-proxyd.conf" <<EOF
listen_tls = 1
listen_addr = "127.0.0.1"
tls_port = "$2"
tls_allowed_dn_list = $PKI_ALLOWED_DN_LIST
tls_handshake_timeout = 2
max_anonymous_clients = 20
EOF
}

proxy_daemons mvtls$$
PORT=$(free_tcp_port)
proxy_conf "$PROOT" "$PORT"
pki_install_server "$PKI" "$PROOT"
start proxyd "$MV_PROXYD" "$PROOT"
proxyd_pid=$started_pid
MV_PID=$proxyd_pid
MV_LOG=$mv_tmp/proxyd.log
mv_log_mark

# tls_uri CLIENT [EXTRA]: the qemu+tls URI with CLIENT's pkipath directory
tls_uri() { printf 'qemu+tls://127.0.0.1:%s/system?pkipath=%s%s' "$PORT" "$PKI/$1" "${2:+&$2}"; }
# tvsh CLIENT [EXTRA] -- ARGS...: virsh over TLS (run's variables)
tvsh() {
    local client=$1 extra=
    shift
    [ "$1" != -- ] && { extra=$1; shift; }
    shift
    run isolated virsh -c "$(tls_uri "$client" "$extra")" "$@"
}
probe() { py "$MV_HELPERS/tlsprobe.py" "$@"; }
rss() { awk '/^VmRSS:/ { print $2 }' "/proc/$proxyd_pid/status"; }
# wait_fds N SECS: proxyd holds at most N descriptors again within SECS
wait_fds() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do [ "$(fd_count "$proxyd_pid")" -le "$1" ] && return 0; sleep 0.05; done
    return 1
}
# rss_bounded BEFORE AFTER: AFTER is at most 64 MiB above BEFORE (KiB), except
# in an AddressSanitizer build, whose quarantine keeps freed memory
rss_bounded() {
    if ldd "$MV_PROXYD" 2>/dev/null | grep -q libasan; then
        diag "an AddressSanitizer build: its quarantine keeps freed memory, RSS is not bounded here"
    elif [ -z "$2" ] || [ $(($2 - $1)) -ge 65536 ]; then
        expect_fail "VmRSS grew from $1 to '$2' KiB"
    fi
}
expect_proxyd_alive() {
    kill -0 "$proxyd_pid" 2>/dev/null || expect_fail "modvirt-proxyd (pid $proxyd_pid) is not running"
}

# 1
tvsh good -- "list --all ; net-list --all ; pool-list --all ; uri"
expect_eq "exit status" 0 "$rc"
expect_match "domain list header" "Id +Name +State" "$out"
expect_match "the default network (netd's)" "^ default +active" "$out"
expect_match "pool list header" "Name +State +Autostart" "$out"
expect_match "uri" "^qemu\+tls://127.0.0.1:$PORT/system" "$out"
expect_eq "stderr" "" "$err"
expect_match "qemud gets the client's DN as its identity" "forwards a remote identity: x509 DN '[^']*CN=client1" \
    "$(grep 'forwards a remote identity' "$mv_tmp/qemud.log")"
verdict "virsh over qemu+tls:// with the good client certificate lists domains, networks and pools"

# refused CLIENT CLIENT-ERE LOG-ERE: CLIENT's certificate is refused; virsh
# names the cause from its own check, and with that off proxyd does
refused() {
    local client=$1
    tvsh "$client" -- list --all
    expect_eq "exit status (virsh's own check)" 1 "$rc"
    expect_match "virsh says why" "$2" "$err"
    tvsh "$client" no_sanity=1 -- list --all
    expect_eq "exit status (checked by proxyd)" 1 "$rc"
    expect_match "virsh fails at the TLS step, not a timeout" "TLS|certificate|confirmation|verification" "$err"
    expect_nomatch "no listing" "Id +Name" "$out"
    wait_log "$3" 5 || expect_fail "proxyd's log has no line matching /$3/; since the case: $(new_log | tail -n 5 | tr '\n' '|')"
    expect_match "proxyd names the certificate" "client1|intruder" "$(new_log | grep -E -- "$3")"
    expect_proxyd_alive
}

# 2
refused rogue "certificate $PKI/rogue/clientcert.pem failed validation .*known issuer" \
    "not signed|not trusted|untrusted|issuer|unknown CA|signer"
verdict "a client certificate from another CA is refused, and both ends say why"

# 3
refused expired "client certificate $PKI/expired/clientcert.pem has expired" "expired"
verdict "an expired client certificate is refused, and both ends say why"

# 4
tvsh revoked -- list --all
expect_eq "exit status" 1 "$rc"
expect_match "virsh fails at the TLS step" "TLS|certificate|confirmation|verification" "$err"
expect_nomatch "no listing" "Id +Name" "$out"
wait_log "revoked" 5 || expect_fail "proxyd's log does not say 'revoked': $(new_log | tail -n 5 | tr '\n' '|')"
expect_match "proxyd names the certificate" "client1" "$(new_log | grep revoked)"
expect_proxyd_alive
verdict "a client certificate the CA's CRL (etc/pki/CA/cacrl.pem) revokes is refused, proxyd says why"

# 5
tvsh intruder -- list --all
expect_eq "exit status" 1 "$rc"
expect_match "virsh fails at the confirmation" "TLS|confirmation|verification" "$err"
wait_log "tls_allowed_dn_list" 5 || expect_fail "proxyd's log does not name tls_allowed_dn_list: $(new_log | tail -n 5 | tr '\n' '|')"
expect_match "proxyd names the DN" "CN=intruder" "$(new_log | grep tls_allowed_dn_list)"
expect_proxyd_alive
verdict "a valid certificate whose DN is not in tls_allowed_dn_list is refused, proxyd says why"

fds0=$(fd_count "$proxyd_pid")

# 6
probe garbage "$PORT"
expect_eq "closed" 1 "$(kv closed)"
wait_log "not a TLS handshake|unexpected|TLS" 5 || expect_fail "proxyd logged nothing about the garbage"
tvsh good -- list --all
expect_eq "a good client after it" 0 "$rc"
expect_proxyd_alive
verdict "garbage bytes on the TLS port: that connection is closed, proxyd goes on"

# 7
probe stall "$PORT"
expect_eq "closed by proxyd" 1 "$(kv closed)"
awk -v s="$(kv secs)" 'BEGIN { exit !(s >= 1.5 && s <= 10) }' ||
    expect_fail "closed after $(kv secs) s, not after tls_handshake_timeout (2 s)"
wait_log "handshake|timed? ?out|timeout" 5 || expect_fail "proxyd logged nothing about the stalled handshake"
verdict "a handshake that stalls after the ClientHello is closed after tls_handshake_timeout (2 s)"

# 8
rss0=$(rss)
MV_CLIENT_TIMEOUT=120 probe many "$PORT" "$PKI/good" 200
expect_eq "exit status" 0 "$rc"
expect_eq "handshakes confirmed (0x01)" 200 "$(kv ok)"
[ "$(kv fail)" = 0 ] || expect_fail "$(kv fail) failed, the first: $(kv first_error)"
rss1=$(rss)
rss_bounded "$rss0" "$rss1"
wait_fds "$fds0" 10 || expect_fail "proxyd holds $(fd_count "$proxyd_pid") descriptors, $fds0 before"
tvsh good -- list --all
expect_eq "a good client after them" 0 "$rc"
diag "VmRSS $rss0 -> $rss1 KiB"
verdict "200 handshakes at once: all confirmed, memory bounded, no descriptor left"

# 9
rss0=$(rss)
MV_CLIENT_TIMEOUT=150 isolated env PYTHONDONTWRITEBYTECODE=1 "$MV_PY" "$MV_HELPERS/tlsprobe.py" stallmany "$PORT" 200 "$proxyd_pid" \
    >"$mv_tmp/stallmany.out" 2>&1 &
stallers=$!
for ((i = 0; i < 200; i++)); do grep -qs '^STARTED=1' "$mv_tmp/stallmany.out" && break; sleep 0.05; done
MV_CLIENT_TIMEOUT=90 tvsh good -- list --all
expect_eq "a good client while they stall" 0 "$rc"
[ "$rc" = 0 ] || diag "virsh: $(run_evidence)"
wait "$stallers"
out=$(cat "$mv_tmp/stallmany.out")
expect_eq "stalled connections closed by proxyd" 200 "$(kv closed)"
expect_match "the limit held them back" "max_anonymous_clients" "$(new_log)"
peak=$(kv peak_rss_kib)
rss_bounded "$rss0" "$peak"
wait_fds "$fds0" 10 || expect_fail "proxyd holds $(fd_count "$proxyd_pid") descriptors, $fds0 before"
diag "VmRSS $rss0 KiB, peak $peak KiB with 200 stalled handshakes"
verdict "200 stalled handshakes: all closed by the timeout, memory bounded, a good client gets through"

# 10: SIGHUP with a re-issued server certificate
cat >"$mv_tmp/hup.py" <<'EOF'
import os, sys, time, libvirt
uri, go = sys.argv[1], sys.argv[2]
c = libvirt.open(uri)
print("host_before=%s" % c.getHostname(), flush=True)
deadline = time.monotonic() + 60
while not os.path.exists(go) and time.monotonic() < deadline:
    time.sleep(0.05)
print("host_after=%s" % c.getHostname())
print("domains_after=%d" % len(c.listAllDomains()))
c.close()
EOF
isolated env PYTHONDONTWRITEBYTECODE=1 "$MV_PY" "$mv_tmp/hup.py" "$(tls_uri good)" "$mv_tmp/hup.go" \
    >"$mv_tmp/hup.out" 2>&1 &
hup_py=$!
for ((i = 0; i < 400; i++)); do grep -qs '^host_before=' "$mv_tmp/hup.out" && break; sleep 0.05; done
expect_match "connection opened before" "^host_before=." "$(cat "$mv_tmp/hup.out")"
cp "$PKI/server2/servercert.pem" "$PROOT/etc/pki/libvirt/servercert.pem"
install -m 0600 "$PKI/server2/serverkey.pem" "$PROOT/etc/pki/libvirt/private/serverkey.pem"
kill -HUP "$proxyd_pid"
same=0
for ((i = 0; i < 100; i++)); do
    probe cert "$PORT" "$PKI/good" "$PKI/server2/servercert.pem"
    same=$(kv same)
    [ "$same" = 1 ] && break
    sleep 0.1
done
expect_eq "new connections get the re-issued certificate" 1 "$same"
touch "$mv_tmp/hup.go"
wait "$hup_py"
out=$(cat "$mv_tmp/hup.out")
expect_match "the old connection still answers" "^host_after=." "$out"
expect_match "and lists" "^domains_after=[0-9]+$" "$out"
tvsh good -- list --all
expect_eq "a new virsh connection" 0 "$rc"
expect_proxyd_alive
verdict "SIGHUP re-reads the certificate: a connected client keeps working, new ones see the new one"

# 11: a SIGHUP that finds a broken pair (the first certificate, the second
# key) keeps what it had, says why, and serves on
cp "$PKI/server/servercert.pem" "$PROOT/etc/pki/libvirt/servercert.pem"
kill -HUP "$proxyd_pid"
wait_log "$PROOT/etc/pki/libvirt/(private/serverkey|servercert)\.pem" 5 ||
    expect_fail "proxyd's log does not name the files of the failed reload: $(new_log | tail -n 5 | tr '\n' '|')"
expect_proxyd_alive
probe cert "$PORT" "$PKI/good" "$PKI/server2/servercert.pem"
expect_eq "new connections still get the certificate loaded before" 1 "$(kv same)"
tvsh good -- list --all
expect_eq "a new virsh connection" 0 "$rc"
cp "$PKI/server2/servercert.pem" "$PROOT/etc/pki/libvirt/servercert.pem"
verdict "a SIGHUP that finds a key not matching its certificate keeps the loaded pair and logs why"

# bad_start NAME SETUP...: a second proxyd on a root whose PKI SETUP
# spoiled; it must exit 2 within 10 s (output in out, status in rc)
bad_start() {
    local root=$mv_tmp/$1
    shift
    proxy_conf "$root" "$(free_tcp_port)"
    pki_install_server "$PKI" "$root"
    "$@"
    run timeout -k 2 10 env NOTIFY_SOCKET= "$MV_PROXYD" --root "$root"
    out="$out$err"
    expect_eq "exit status" 2 "$rc"
}

# 12
bad_start badperm chmod 0644 "$mv_tmp/badperm/etc/pki/libvirt/private/serverkey.pem"
expect_match "names the key file" "$mv_tmp/badperm/etc/pki/libvirt/private/serverkey.pem" "$out"
expect_match "says what is wrong" "0644|permission|mode|readable" "$out"
verdict "a server key readable by others: proxyd exits 2 naming the file"

# 13
bad_start badkey cp "$PKI/server2/serverkey.pem" "$mv_tmp/badkey/etc/pki/libvirt/private/serverkey.pem"
expect_match "names the key or cert file" "$mv_tmp/badkey/etc/pki/libvirt/(private/serverkey|servercert).pem" "$out"
expect_match "says what is wrong" "match|not the key" "$out"
verdict "a key that is not the certificate's: proxyd exits 2 naming the file"

# 14
expired_server() {
    cp "$PKI/server-expired/servercert.pem" "$mv_tmp/badcert/etc/pki/libvirt/servercert.pem"
    install -m 0600 "$PKI/server-expired/serverkey.pem" "$mv_tmp/badcert/etc/pki/libvirt/private/serverkey.pem"
}
bad_start badcert expired_server
expect_match "names the certificate file" "$mv_tmp/badcert/etc/pki/libvirt/servercert.pem" "$out"
expect_match "says it expired" "expired" "$out"
verdict "an expired server certificate: proxyd exits 2 naming the file"

# 15
bad_start noca rm "$mv_tmp/noca/etc/pki/CA/cacert.pem"
expect_match "names the CA file" "$mv_tmp/noca/etc/pki/CA/cacert.pem" "$out"
verdict "no CA file: proxyd exits 2 naming it"

# 16: python3-libvirt over TLS with events
cat >"$mv_tmp/events.py" <<'EOF'
import sys, threading, time, libvirt
uri, xml, wait_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
libvirt.registerErrorHandler(lambda ctx, err: None, None)
libvirt.virEventRegisterDefaultImpl()
def loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=loop, daemon=True).start()
got, cond = [], threading.Condition()
def cb(conn, dom, event, detail, opaque):
    with cond:
        got.append((dom.name(), event))
        cond.notify_all()
def wait_for(name, event):
    deadline = time.monotonic() + wait_s
    with cond:
        while (name, event) not in got:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            cond.wait(left)
    return True
c = libvirt.open(uri)
print("secure=%d" % c.isSecure())
cid = c.domainEventRegisterAny(None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, cb, None)
other = libvirt.open(uri)
d = other.defineXML(open(xml).read())
print("defined_event=%s" % wait_for(d.name(), libvirt.VIR_DOMAIN_EVENT_DEFINED))
d.undefine()
print("undefined_event=%s" % wait_for(d.name(), libvirt.VIR_DOMAIN_EVENT_UNDEFINED))
c.domainEventDeregisterAny(cid)
other.close()
c.close()
EOF
printf '%s\n' "<domain type='qemu'><name>tlsev$$</name><memory unit='MiB'>64</memory><os><type arch='x86_64'>hvm</type></os></domain>" \
    >"$mv_tmp/ev.xml"
py "$mv_tmp/events.py" "$(tls_uri good)" "$mv_tmp/ev.xml" "$EVENT_S"
expect_eq "exit status" 0 "$rc"
expect_eq "events" "secure=1
defined_event=True
undefined_event=True" "$out"
[ "$rc" = 0 ] || diag "python: $err"
verdict "python3-libvirt over TLS: a domain's defined and undefined events arrive"

# 17: an IPv6 listener: a second proxy on ::1, in front of the same daemons
P6ROOT=$mv_tmp/proxy6
PORT6=$(free_tcp_port)
proxy_conf "$P6ROOT" "$PORT6"
sed -i 's/^listen_addr = .*/listen_addr = "::1"/' "$P6ROOT/etc/modvirt/modvirt-proxyd.conf"
pki_install_server "$PKI" "$P6ROOT"
start proxyd6 "$MV_PROXYD" "$P6ROOT"
proxyd6_pid=$started_pid
run isolated virsh -c "qemu+tls://[::1]:$PORT6/system?pkipath=$PKI/good" "list --all ; uri"
expect_eq "exit status" 0 "$rc"
expect_match "domain list header" "Id +Name +State" "$out"
expect_match "proxyd6 listens on ::1" "listening for TLS on ::1 port $PORT6|\[::1\]:$PORT6" "$(cat "$mv_tmp/proxyd6.log")"
stop_pid "$proxyd6_pid"
expect_eq "proxyd6 exit status" 0 "$stop_status"
verdict "listen_addr = \"::1\": virsh over qemu+tls://[::1]:PORT lists domains"

# 18: socket activation as modvirt-proxyd-tls.socket does it: a TCP
# socket handed over under the name "tls" (no listen_tls in the config);
# the daemon starts on the first connection and serves it over TLS
SAROOT=$mv_tmp/proxy-sa
SAPORT=$(free_tcp_port)
mkdir -p "$SAROOT/etc/modvirt"
cat "$PROXY_CONF_BASE" - >"$SAROOT/etc/modvirt/modvirt-proxyd.conf" <<EOF
tls_allowed_dn_list = $PKI_ALLOWED_DN_LIST
EOF
pki_install_server "$PKI" "$SAROOT"
start_activated proxyd-sa tls "$SAPORT" "$SAROOT" || expect_fail "systemd-socket-activate did not listen"
sa_pid=$activated_pid
run isolated virsh -c "qemu+tls://127.0.0.1:$SAPORT/system?pkipath=$PKI/good" "list --all ; uri"
expect_eq "exit status" 0 "$rc"
[ "$rc" = 0 ] || diag "virsh: $(run_evidence); log: $(tail -n 5 "$mv_tmp/proxyd-sa.log" | tr '\n' '|')"
expect_match "domain list header" "Id +Name +State" "$out"
expect_match "the activated socket served" "serving the activated TLS socket" "$(cat "$mv_tmp/proxyd-sa.log")"
expect_eq "no unix socket of its own" "" "$(ls "$SAROOT/run/libvirt" 2>/dev/null)"
stop_pid "$sa_pid"
verdict "socket activation: a TCP socket named tls (modvirt-proxyd-tls.socket) is served over TLS"

# 19: calls pipelined past max_client_requests (5) in one TLS record:
# gnutls holds the rest decoded while reading waits for request slots, and
# must hand them over when slots free up (epoll never reports those bytes)
cat >"$mv_tmp/pipeline.py" <<'EOF2'
import socket, ssl, sys, time, mvrpc
port, pki, n = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ctx.load_verify_locations(pki + "/cacert.pem")
ctx.load_cert_chain(pki + "/clientcert.pem", pki + "/clientkey.pem")
ctx.check_hostname = False
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", port), timeout=10))
print("confirm=%r" % s.recv(1))
c = mvrpc.Conn.__new__(mvrpc.Conn)
c.sock, c.timeout, c.serial = s, 10.0, 0
c.handshake()
first = c.serial
s.sendall(b"".join(mvrpc.frame(mvrpc.REMOTE_PROG, mvrpc.REMOTE_VERS, mvrpc.PROC_CONNECT_GET_HOSTNAME,
                               mvrpc.CALL, first + i, mvrpc.OK) for i in range(n)))
got = set()
try:
    while len(got) < n:
        p = c.recv(10)
        if p.type == mvrpc.REPLY and p.status == mvrpc.OK:
            got.add(p.serial)
except Exception as e:
    print("error=%s" % e)
print("replies=%d" % len(got))
EOF2
py "$mv_tmp/pipeline.py" "$PORT" "$PKI/good" 12
expect_eq "exit status" 0 "$rc"
[ "$rc" = 0 ] || diag "python: $(run_evidence)"
expect_eq "the confirmation byte" "b'\\x01'" "$(kv confirm)"
expect_eq "replies to 12 pipelined calls within 10 s" 12 "$(kv replies)"
verdict "12 calls pipelined in one TLS record (past max_client_requests): all answered"

# 20
stop_pid "$proxyd_pid"
expect_eq "proxyd exit status" 0 "$stop_status"
verdict "proxyd stops on SIGTERM"

mv_done
