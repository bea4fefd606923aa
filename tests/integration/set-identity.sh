#!/bin/bash
# CONNECT_SET_IDENTITY (419) at the wire, against modvirt-storaged (every
# daemon answers it through rpc/conn_procs.c): what modvirt-proxyd sends
# for each client it forwards.
#  - a root peer sets an identity and it takes effect: the connection's
#    uid/gid/pid are the forwarded ones (the daemon logs them), and a
#    forwarded identity never unlocks what only modvirt-qemud may have (a
#    private secret's value), not even when the forwarded pid IS a process
#    running an executable named modvirt-qemud;
#  - on the read-only socket a root peer may set it too, and the
#    connection stays read-only;
#  - a non-root peer is refused ("operation forbidden");
#  - bad parameters (unknown name, wrong type, missing, doubled, flags)
#    are refused by name, and the connection keeps its identity.
# The clients are python (mvrpc.py); storaged runs with --root in the
# script's temp dir.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/storaged.sh"

MV_DAEMON=$top_builddir/storaged/modvirt-storaged
MV_NEEDS="setpriv base64"
mv_init 5

use_storaged
U_PRIV=6a0e7b52-7c3e-4b8e-9d2a-1e6f3c4b5a02
VALUE="identity-test-$$-$RANDOM"
start_storaged

# A python interpreter whose /proc/PID/exe is named modvirt-qemud: the one
# executable storaged trusts with private values.  A copy (a symlink would
# resolve to python3); its standard library found through PYTHONHOME.
mkdir -p "$mv_tmp/bin"
cp "$(readlink -f "$MV_PY")" "$mv_tmp/bin/modvirt-qemud"
as_qemud() {
    run isolated env PYTHONHOME=/usr PYTHONPATH="$MV_HELPERS" PYTHONDONTWRITEBYTECODE=1 \
        "$mv_tmp/bin/modvirt-qemud" "$@"
}

cat >"$mv_tmp/secret.xml" <<EOF
<secret ephemeral='no' private='yes'>
  <uuid>$U_PRIV</uuid>
  <usage type='volume'><volume>/var/lib/images/identity.img</volume></usage>
</secret>
EOF
vsh secret-define "$mv_tmp/secret.xml"
[ "$rc" -eq 0 ] || { echo "Bail out! secret-define failed: $err"; exit 1; }
vsh secret-set-value "$U_PRIV" --base64 "$(printf '%s' "$VALUE" | base64 -w0)"
[ "$rc" -eq 0 ] || { echo "Bail out! secret-set-value failed: $err"; exit 1; }

# The python side, shared by the cases: connect, optionally set an
# identity, then read the private value; prints KEY=status/code message.
cat >"$mv_tmp/ident.py" <<'EOF'
import os, struct, sys, uuid, mvrpc

def start_time(pid):
    with open("/proc/%d/stat" % pid) as f:
        return int(f.read().rsplit(")", 1)[1].split()[19])

def get_value(c, u):
    body = uuid.UUID(u).bytes + struct.pack(">i", 0) + mvrpc.xdr_string("") + struct.pack(">I", 0)
    return c.call(145, body)

def show(key, p):
    if p.status == mvrpc.OK:
        print("%s=ok" % key)
    else:
        e = p.error()
        print("%s=%d %s" % (key, e["code"], e["message"]))
EOF

# 1: the root peer's identity replaced; the daemon logs the forwarded one
py - "$MV_RW" <<'EOF'
import os, sys, mvrpc
c = mvrpc.Conn(sys.argv[1]).handshake(open_uri="storage:///system")
p = c.set_identity(mvrpc.identity_params(4321, 4322, 1, 12345, "idtest-user", "idtest-group"))
print("SET=%d" % p.status)
p = c.call(mvrpc.PROC_CONNECT_GET_TYPE)
print("AFTER=%d" % p.status)
EOF
expect_eq "SET_IDENTITY from root" 0 "$(kv SET)"
expect_eq "a call after it" 0 "$(kv AFTER)"
expect_match "logged" "forwards the identity uid 4321 \(idtest-user\) gid 4322 \(idtest-group\) pid 1" \
    "$(tail -n +$((case_log_mark + 1)) "$MV_LOG")"
verdict "a root peer forwards an identity: accepted, the daemon logs uid, gid, names and pid"

# 2: a process named modvirt-qemud reads the private value directly; the
# same process forwarding its own pid as an identity does not
as_qemud - "$MV_RW" "$U_PRIV" "$mv_tmp/ident.py" <<'EOF'
import os, sys, mvrpc
exec(open(sys.argv[3]).read())
c = mvrpc.Conn(sys.argv[1]).handshake(open_uri="storage:///system")
show("DIRECT", get_value(c, sys.argv[2]))
c = mvrpc.Conn(sys.argv[1]).handshake(open_uri="storage:///system")
show("SET", c.set_identity(mvrpc.identity_params(0, 0, os.getpid(), start_time(os.getpid()),
                                                 "root", "root")))
show("FORWARDED", get_value(c, sys.argv[2]))
EOF
expect_eq "modvirt-qemud's own connection" ok "$(kv DIRECT)"
expect_eq "identity set" ok "$(kv SET)"
expect_eq "the same pid, forwarded" "65 Invalid secret: secret '$U_PRIV' is private" "$(kv FORWARDED)"
[ -z "$err" ] || expect_fail "python: $err"
verdict "a forwarded identity never unlocks a private secret, even naming a modvirt-qemud process"

# 3: on the read-only socket, root may set it, and read-only stays
py - "$MV_RO" "$mv_tmp/ident.py" <<'EOF'
import os, sys, mvrpc
exec(open(sys.argv[2]).read())
c = mvrpc.Conn(sys.argv[1]).handshake(open_uri="storage:///system", flags=1)
show("SET", c.set_identity(mvrpc.identity_params(0, 0, os.getpid(), start_time(os.getpid()))))
show("DEFINE", c.call(142, mvrpc.xdr_string("<secret/>") + b"\0\0\0\0"))
EOF
expect_eq "identity set on ro" ok "$(kv SET)"
expect_eq "still read-only" "29 operation forbidden: read only access prevents virSecretDefineXML" "$(kv DEFINE)"
[ -z "$err" ] || expect_fail "python: $err"
verdict "the read-only socket: a root peer sets the identity, the connection stays read-only"

# 4: a non-root peer is refused (read-only socket: no polkit step)
chmod 644 "$mv_tmp/ident.py"
cp "$MV_HELPERS/mvrpc.py" "$mv_tmp/mvrpc.py" && chmod 644 "$mv_tmp/mvrpc.py"
run isolated setpriv --reuid=nobody --regid=nogroup --clear-groups \
    env PYTHONPATH="$mv_tmp" PYTHONDONTWRITEBYTECODE=1 "$MV_PY" - "$MV_RO" "$mv_tmp/ident.py" <<'EOF'
import os, sys, mvrpc
exec(open(sys.argv[2]).read())
c = mvrpc.Conn(sys.argv[1]).handshake(open_uri="storage:///system", flags=1)
show("SET", c.set_identity(mvrpc.identity_params(0, 0, 1)))
show("TYPE", c.call(mvrpc.PROC_CONNECT_GET_TYPE))
EOF
nobody_uid=$(id -u nobody)
expect_eq "non-root SET_IDENTITY" \
    "29 operation forbidden: virConnectSetIdentity is only accepted from root (this client is uid $nobody_uid)" \
    "$(kv SET)"
expect_eq "the connection keeps working" ok "$(kv TYPE)"
[ -z "$err" ] || expect_fail "python: $err"
verdict "a non-root peer is refused: operation forbidden"

# 5: bad parameters, each refused naming what is wrong; none changes the
# identity (the daemon logs no forwarded identity for them)
py - "$MV_RW" "$mv_tmp/ident.py" <<'EOF'
import os, sys, mvrpc
exec(open(sys.argv[2]).read())
T = mvrpc
good = mvrpc.identity_params(1000, 1000, 1)
c = mvrpc.Conn(sys.argv[1]).handshake(open_uri="storage:///system")
show("UNKNOWN", c.set_identity(good + [("unix-user-name", T.TP_STRING, "x")]))
show("TYPE", c.set_identity([("unix-user-id", T.TP_STRING, "0")] + good[1:]))
show("MISSING", c.set_identity(good[:2]))
show("TWICE", c.set_identity(good + [("unix-user-id", T.TP_ULLONG, 0)]))
show("FLAGS", c.set_identity(good, flags=1))
show("RANGE", c.set_identity([("unix-user-id", T.TP_ULLONG, 2**32 - 1)] + good[1:]))
EOF
api="virConnectSetIdentity"
expect_eq "unknown name" "74 argument unsupported: $api: unknown identity parameter 'unix-user-name'" "$(kv UNKNOWN)"
expect_eq "wrong type" "8 invalid argument: $api: parameter 'unix-user-id' must be of type ullong, not string" "$(kv TYPE)"
expect_eq "missing" "8 invalid argument: $api: parameter 'process-id' is required" "$(kv MISSING)"
expect_eq "twice" "8 invalid argument: $api: parameter 'unix-user-id' is given twice" "$(kv TWICE)"
expect_eq "flags" "8 invalid argument: unsupported flags (0x1) in function $api" "$(kv FLAGS)"
expect_eq "range" "8 invalid argument: $api: parameter 'unix-user-id' is out of range for a unix id" "$(kv RANGE)"
tail -n +$((case_log_mark + 1)) "$MV_LOG" | grep -q "forwards the identity" &&
    expect_fail "a refused identity was logged as forwarded"
[ -z "$err" ] || expect_fail "python: $err"
verdict "bad identity parameters are refused by name; nothing is taken"

mv_done
