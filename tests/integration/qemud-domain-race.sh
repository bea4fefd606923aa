#!/bin/bash
# Objects under concurrent clients, and what a killed daemon leaves on disk.
#  1. temp files of a killed write ('.NAME.xml.XXXXXX') are removed at start
#     and the definitions beside them load (issue 7 defect 13)
#  2. four clients define, start, destroy and undefine three names, and
#     create and destroy a transient fourth, at once for RACE_S seconds:
#     every error is "no domain" (42), "operation invalid" (55), the
#     busy-job timeout (68) or, for a create-xml of a name that runs,
#     "already exists" (9), never an internal error
#     such as "Cannot allocate memory" for a start that lost a race with an
#     undefine (defect 10), and the daemon survives
#  3. afterwards the registry and the disk agree: a name is defined exactly
#     when its NAME.xml exists (a define racing an undefine can neither lose
#     its file nor leave one behind: defect 2)
# The guests are a bare BIOS with no disk: cheap to start, never booted.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_NEEDS="qemu-system-x86_64"
RACE_S=${MV_RACE_S:-20}
PLAN=3
mv_init $PLAN
use_root root
at_exit "pkill -9 -f -- '$MV_ROOT/run/modvirt/qemu/'"
cfgdir=$MV_ROOT/etc/modvirt/qemu

race_xml() {
    cat <<EOF
<domain type='qemu'>
  <name>$1</name>
  <uuid>$2</uuid>
  <memory unit='MiB'>32</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><memballoon model='none'/></devices>
</domain>
EOF
}

# ---- 1. stale temp files ---------------------------------------------------
mkdir -p "$cfgdir/autostart" "$MV_ROOT/run/modvirt/qemu"
race_xml keep 6b3c1f0e-0d1a-4f5e-9a51-0c7d1e2f3a40 >"$cfgdir/keep.xml"
printf '<domain type=' >"$cfgdir/.keep.xml.Ab3dEf"
printf '<domain type=' >"$cfgdir/.gone.xml.x1Y2z3"
printf '<domstat' >"$MV_ROOT/run/modvirt/qemu/.keep.xml.Qq1Ww2"
start_daemon
for f in "$cfgdir/.keep.xml.Ab3dEf" "$cfgdir/.gone.xml.x1Y2z3" "$MV_ROOT/run/modvirt/qemu/.keep.xml.Qq1Ww2"; do
    [ ! -e "$f" ] || expect_fail "$f is still there after the daemon started"
done
vsh domstate keep
expect_eq "keep beside its temp file loads" "shut off" "$out"
verdict "temp files of a killed write are removed at start"

# ---- 2. the race -----------------------------------------------------------
for n in r1 r2 r3 t1; do
    race_xml "$n" "$(cat /proc/sys/kernel/random/uuid)" >"$mv_tmp/$n.xml"
done
MV_CLIENT_TIMEOUT=$((RACE_S + 120)) py - "$MV_URI" "$mv_tmp" "$RACE_S" <<'EOF'
import os, random, sys, threading, time, libvirt
from mvlibvirt import out

uri, tmp, race_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
names = ["r1", "r2", "r3"]
xml = {n: open(os.path.join(tmp, n + ".xml")).read() for n in names + ["t1"]}
# no domain, operation invalid, busy with a job: what losing a race may answer
ALLOWED = {libvirt.VIR_ERR_NO_DOMAIN, libvirt.VIR_ERR_OPERATION_INVALID, libvirt.VIR_ERR_OPERATION_TIMEOUT}
lock = threading.Lock()
counts = {"ok": 0, "lost": 0}
bad = []

def transient(conn, rng):
    if rng.random() < 0.5:
        try:
            conn.createXML(xml["t1"])
        except libvirt.libvirtError as e:
            # the transient t1 runs already
            if e.get_error_code() != libvirt.VIR_ERR_OPERATION_FAILED or "already exists" not in e.get_error_message():
                raise
    else:
        conn.lookupByName("t1").destroy()

def op(conn, rng):
    name = rng.choice(names)
    what = rng.choice(["define", "start", "start", "destroy", "undefine", "transient"])
    if what == "transient":
        transient(conn, rng)
        return
    if what == "define":
        conn.defineXML(xml[name])
        return
    dom = conn.lookupByName(name)
    if what == "start":
        dom.create()
    elif what == "destroy":
        dom.destroy()
    else:
        dom.undefine()

def client(seed):
    rng = random.Random(seed)
    try:
        conn = libvirt.open(uri)
    except libvirt.libvirtError as e:
        with lock:
            bad.append("open: %s" % e.get_error_message())
        return
    end = time.monotonic() + race_s
    while time.monotonic() < end:
        try:
            op(conn, rng)
            key = "ok"
        except libvirt.libvirtError as e:
            if e.get_error_code() not in ALLOWED:
                with lock:
                    bad.append("%d %s" % (e.get_error_code(), e.get_error_message()))
                if e.get_error_code() in (libvirt.VIR_ERR_SYSTEM_ERROR, libvirt.VIR_ERR_RPC):
                    return      # the connection is gone (the daemon died?)
            key = "lost"
        with lock:
            counts[key] += 1
    conn.close()

threads = [threading.Thread(target=client, args=(i,)) for i in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
out("OK", counts["ok"])
out("LOST", counts["lost"])
out("BAD", len(bad))
for b in sorted(set(bad))[:10]:
    out("BADMSG", "%d x %s" % (bad.count(b), b))
EOF
diag "race: $(kv OK) calls succeeded, $(kv LOST) lost a race; $(kv BAD) wrong errors"
expect_race_outcome 20
expect_daemon_alive
verdict "4 clients racing define/start/destroy/undefine get only 'no domain', 'invalid' or 'busy'"

# ---- 3. registry and disk agree -------------------------------------------
vsh destroy t1
vsh domstate t1
expect_match "the transient t1 is gone once destroyed" "failed to get domain|Domain not found" "$err"
for n in r1 r2 r3; do
    vsh destroy "$n"
    vsh domstate "$n"
    if [ "$rc" -eq 0 ]; then
        [ -f "$cfgdir/$n.xml" ] || expect_fail "$n is defined ($out) but $cfgdir/$n.xml is missing"
        vsh dumpxml --inactive "$n"
        expect_match "$n persistent XML" "<name>$n</name>" "$out"
    else
        [ ! -f "$cfgdir/$n.xml" ] || expect_fail "$n is not defined but $cfgdir/$n.xml exists"
    fi
done
expect_daemon_alive
verdict "after the race every name is defined exactly when its file exists"
mv_done
