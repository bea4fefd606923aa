#!/bin/bash
# modvirt-qemud driven by python3-libvirt (Debian's, libvirt 9.0), the way
# scripts and virt-manager use it: no event loop, so no keepalive; errors
# checked by code and domain, not only by text.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_NEEDS="xmllint qemu-system-x86_64 hostname getconf"
MV_LOG_ALL=yes
mv_init 15
start_daemon

host_facts

# One python process does every call and prints KEY=VALUE lines; a call
# that raises prints KEY=EXC code domain message.
py - "$MV_URI" "$MV_URI_RO" "$mv_tmp/caps.xml" <<'EOF'
import sys, threading, libvirt
from mvlibvirt import out, step, error_of

rw_uri, ro_uri, caps_path = sys.argv[1:4]

conn = libvirt.open(rw_uri)
step("hostname", conn.getHostname)
step("info", lambda: " ".join(str(x) for x in conn.getInfo()))
step("version", conn.getVersion)
step("libversion", conn.getLibVersion)
step("type", conn.getType)
step("secure", conn.isSecure)

def caps():
    x = conn.getCapabilities()
    with open(caps_path, "w") as f:
        f.write(x)
    return len(x)
step("caps", caps)
step("domains", lambda: "%r %r %r" % (conn.listAllDomains(), conn.numOfDomains(),
                                        conn.listDefinedDomains()))
step("lookup", lambda: error_of(lambda: conn.lookupByName("x")))
step("nosupport", lambda: error_of(lambda: conn.networkLookupByName("x")))
step("memstats", lambda: conn.getMemoryStats(libvirt.VIR_NODE_MEMORY_STATS_ALL_CELLS)["total"])

# 8 threads share the connection; each checks every answer, so a reply
# matched to the wrong call shows up as a wrong value or a client error.
# getInfo()[3] is the clock, which moves on a host with cpufreq: not compared.
def info_fixed():
    i = conn.getInfo()
    return i[:3] + i[4:]
expected = {"hostname": conn.getHostname(), "info": info_fixed(), "lib": conn.getLibVersion()}
results = []
lock = threading.Lock()
def worker(n):
    good = bad = 0
    first = None
    for i in range(50):
        try:
            if (n + i) % 5 == 3:
                ok = info_fixed() == expected["info"]
            elif (n + i) % 5 == 4:
                ok = conn.getLibVersion() == expected["lib"]
            else:
                ok = conn.getHostname() == expected["hostname"]
        except Exception as e:
            ok, first = False, first or repr(e)
        if ok:
            good += 1
        else:
            bad += 1
    with lock:
        results.append((good, bad, first))
threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
for t in threads:
    t.start()
for t in threads:
    t.join(60)
alive = sum(t.is_alive() for t in threads)
out("threads", "%d good %d bad %d stuck %s" % (sum(r[0] for r in results), sum(r[1] for r in results),
                                             alive, next((r[2] for r in results if r[2]), "")))
step("close", conn.close)

ro = libvirt.openReadOnly(ro_uri)
step("ro_hostname", ro.getHostname)
step("ro_define", lambda: error_of(lambda: ro.defineXML(
    "<domain type='qemu'><name>t</name><memory>65536</memory>"
    "<os><type arch='x86_64'>hvm</type></os></domain>")))
step("ro_close", ro.close)
EOF
py_rc=$rc
py_out=$out
py_err=$err

if [ "$py_rc" -ne 0 ]; then
    diag "python exited with $py_rc; stderr:" "$py_err"
fi

# 1
expect_eq "getHostname()" "$host_name" "$(kv hostname "$py_out")"
verdict "libvirt.open(): getHostname() equals hostname(1)"

# 2
expect_eq "getInfo() [model, MiB, cpus, -, nodes]" \
    "$host_arch $((host_mem_kib / 1024)) $host_cpus $host_cells" \
    "$(kv info "$py_out" | cut -d' ' -f1-3,5)"
expect_mhz "getInfo() MHz (/proc/cpuinfo, as libvirt reads it)" "$host_mhz" "$(kv info "$py_out" | cut -d' ' -f4)"
read -r _ _ _ _ n s c t <<<"$(kv info "$py_out")"
expect_eq "nodes x sockets x cores x threads" "$host_cpus" "$(( ${n:-0} * ${s:-0} * ${c:-0} * ${t:-0} ))"
verdict "getInfo() matches /proc and /sys"

# 3
expect_eq "getVersion() (QEMU $qemu_ver)" "$qemu_num" "$(kv version "$py_out")"
verdict "getVersion() is the real QEMU version ($qemu_num)"

# 4
expect_eq "getLibVersion()" 9000000 "$(kv libversion "$py_out")"
expect_eq "getType()" QEMU "$(kv type "$py_out")"
expect_eq "isSecure()" 1 "$(kv secure "$py_out")"
verdict "getLibVersion() 9000000, getType() QEMU, isSecure() 1"

# 5
if [[ $(kv caps "$py_out") =~ ^[0-9]+$ ]]; then
    xmllint --noout --relaxng /usr/share/libvirt/schemas/capability.rng "$mv_tmp/caps.xml" \
        >"$mv_tmp/xmllint.out" 2>&1 || expect_fail "xmllint: $(tail -n 5 "$mv_tmp/xmllint.out")"
else
    expect_fail "getCapabilities(): $(kv caps "$py_out")"
fi
verdict "getCapabilities() validates against capability.rng"

# 6
expect_eq "listAllDomains() numOfDomains() listDefinedDomains()" "[] 0 []" "$(kv domains "$py_out")"
verdict "no domains: listAllDomains() == []"

# 7: code 42 VIR_ERR_NO_DOMAIN, domain 10 VIR_FROM_QEMU
expect_eq "lookupByName('x')" "EXC 42 10 Domain not found: no domain with matching name 'x'" "$(kv lookup "$py_out")"
verdict "lookupByName('x') raises VIR_ERR_NO_DOMAIN with libvirt's message"

# 8: the daemon answers "unknown procedure" (RPC, 39); the client makes it NO_SUPPORT (3)
if via_proxy; then
    # the proxy sends network calls to modvirt-netd, which this script does not run
    expect_match "networkLookupByName('x')" \
        "^EXC 38 7 modvirt-netd is not running \(socket $MV_ROOT/run/modvirt/netd-sock\)\$" \
        "$(kv nosupport "$py_out")"
    verdict "through the proxy, a network call without modvirt-netd fails naming it"
else
    expect_eq "networkLookupByName('x')" "EXC 3 7 unknown procedure: 46" "$(kv nosupport "$py_out")"
    verdict "an API the daemon lacks raises VIR_ERR_NO_SUPPORT (unknown procedure)"
fi

# 9
expect_eq "getMemoryStats(ALL_CELLS)['total'] (MemTotal)" "$host_mem_kib" "$(kv memstats "$py_out")"
verdict "getMemoryStats() total equals MemTotal"

# 10
expect_match "8 threads x 50 calls" '^400 good 0 bad 0 stuck' "$(kv threads "$py_out")"
verdict "8 threads x 50 calls on one connection all get their own answers"

# 11
expect_eq "close()" 0 "$(kv close "$py_out")"
verdict "close() on the rw connection returns 0"

# 12
expect_eq "openReadOnly(): getHostname()" "$host_name" "$(kv ro_hostname "$py_out")"
verdict "libvirt.openReadOnly() on the ro socket works"

# 13: code 29 VIR_ERR_OPERATION_DENIED, domain 20 VIR_FROM_DOMAIN
expect_eq "read-only defineXML()" \
    "EXC 29 20 operation forbidden: read only access prevents virDomainDefineXML" "$(kv ro_define "$py_out")"
expect_eq "ro close()" 0 "$(kv ro_close "$py_out")"
verdict "defineXML() on the read-only connection raises VIR_ERR_OPERATION_DENIED"

# 14
expect_eq "python exit status" 0 "$py_rc"
expect_daemon_alive
bad=$(grep -E ': (warning|warn|error|critical):' "$MV_LOG")
expect_eq "warnings or errors in the daemon log" "" "$bad"
verdict "python exited cleanly; the daemon is running and logged no warning"

# 15: NODE_GET_CELLS_FREE_MEMORY with a start cell at INT_MAX (startCell +
# maxCells - 1 overflowed), through libvirt and as raw calls no client sends
highest=0
[ -r /sys/devices/system/node/online ] && highest=$(sed 's/.*[-,]//' /sys/devices/system/node/online)
py - "$MV_URI" "$MV_RW" <<'EOF'
import struct, sys, libvirt, mvrpc
from mvlibvirt import out, step, error_of
conn = libvirt.open(sys.argv[1])
step("cells_all", lambda: len(conn.getCellsFreeMemory(0, 1024)))
step("cells_intmax", lambda: error_of(lambda: conn.getCellsFreeMemory(2147483647, 2)))
step("cells_intmax_1", lambda: error_of(lambda: conn.getCellsFreeMemory(2147483647, 1)))
c = mvrpc.Conn(sys.argv[2]).handshake()
for key, start, n in (("raw_intmax_big", 2147483647, 1024), ("raw_neg", -2147483648, 1),
                      ("raw_zero", 0, 0), ("raw_intmin", 0, -2147483648), ("raw_too_many", 2147483647, 1025)):
    p = c.call(101, struct.pack(">ii", start, n))
    e = p.error() if p.status == mvrpc.ERROR else None
    out(key, "%d %d %s" % (e["code"], e["domain"], e["message"]) if e else "OK")
out("raw_hostname", c.hostname())
EOF
expect_eq "getCellsFreeMemory(0, 1024): cells 0..highest ($highest)" $((highest + 1)) "$(kv cells_all)"
expect_eq "getCellsFreeMemory(2147483647, 2)" \
    "EXC 1 0 internal error: start cell 2147483647 out of range (0-$highest)" "$(kv cells_intmax)"
expect_eq "getCellsFreeMemory(2147483647, 1)" \
    "EXC 1 0 internal error: start cell 2147483647 out of range (0-$highest)" "$(kv cells_intmax_1)"
expect_eq "raw (INT_MAX, 1024)" "1 0 internal error: start cell 2147483647 out of range (0-$highest)" "$(kv raw_intmax_big)"
expect_eq "raw (INT_MIN, 1)" \
    "8 0 invalid argument: startCell in virNodeGetCellsFreeMemory must be zero or greater" "$(kv raw_neg)"
expect_eq "raw (0, 0)" \
    "8 0 invalid argument: maxCells in virNodeGetCellsFreeMemory must be greater than zero" "$(kv raw_zero)"
expect_eq "raw (0, INT_MIN)" \
    "8 0 invalid argument: maxCells in virNodeGetCellsFreeMemory must be greater than zero" "$(kv raw_intmin)"
expect_eq "raw (INT_MAX, 1025)" "39 7 maxCells > REMOTE_NODE_MAX_CELLS" "$(kv raw_too_many)"
expect_eq "hostname afterwards" "$host_name" "$(kv raw_hostname)"
expect_daemon_alive
bad=$(grep -E 'runtime error|: (warning|warn|error|critical):' "$MV_LOG")
expect_eq "UBSan reports or warnings in the daemon log" "" "$bad"
verdict "NODE_GET_CELLS_FREE_MEMORY at startCell INT_MAX: libvirt's 'start cell out of range' error, no overflow"

mv_done
