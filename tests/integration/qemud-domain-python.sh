#!/bin/bash
# Real guests under modvirt-qemud, driven by python3-libvirt (Debian's,
# libvirt 9.0) with a libvirt event loop: the domain API (define, create,
# lookups, info, state, XML, suspend/resume), error codes, lifecycle and
# reboot events, the serial console as a stream, transient domains, memory
# in the persistent config and the listing calls with their flags.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64"
BOOT_S=90
PLAN=13
guest_test_init $PLAN
start_daemon

for n in d1 c1 x1 m1; do
    guest_domain_xml $n "$mv_tmp/$n.serial" >"$mv_tmp/$n.xml"
done
# r1 reboots for real: on_reboot restart (the helper's default is destroy)
guest_domain_xml r1 "$mv_tmp/r1.serial" |
    sed -e 's|<on_reboot>destroy</on_reboot>|<on_reboot>restart</on_reboot>|' >"$mv_tmp/r1.xml"
grep -q '<on_reboot>restart</on_reboot>' "$mv_tmp/r1.xml" || { echo "Bail out! cannot make r1.xml"; exit 1; }

# One python process does everything and prints KEY=VALUE lines; a call
# that raises prints KEY=EXC code domain message.
MV_CLIENT_TIMEOUT=400 py - "$MV_URI" "$mv_tmp" "$BOOT_S" <<'EOF'
import os, re, sys, threading, time, libvirt
from mvlibvirt import out, exc, step, error_of

uri, tmp, boot_s = sys.argv[1], sys.argv[2], int(sys.argv[3])

def xml(name):
    with open(os.path.join(tmp, name + ".xml")) as f:
        return f.read()

def serial(name):
    try:
        with open(os.path.join(tmp, name + ".serial"), "rb") as f:
            return f.read()
    except OSError:
        return b""

def wait_for(cond, secs):
    end = time.monotonic() + secs
    while time.monotonic() < end:
        if cond():
            return True
        time.sleep(0.1)
    return cond()

def wait_serial(name, marker, count, secs):
    return wait_for(lambda: serial(name).count(marker) >= count, secs)

# ---- the event loop and the callbacks, before the connection opens ----
libvirt.virEventRegisterDefaultImpl()
def run_loop():
    while True:
        libvirt.virEventRunDefaultImpl()
threading.Thread(target=run_loop, daemon=True).start()

conn = libvirt.open(uri)
ev_lock = threading.Lock()
lifecycle = []          # (name, event, detail)
reboots = []            # name
def on_lifecycle(c, dom, event, detail, opaque):
    with ev_lock:
        lifecycle.append((dom.name(), event, detail))
def on_reboot(c, dom, opaque):
    with ev_lock:
        reboots.append(dom.name())
def events_of(name):
    with ev_lock:
        return [(e, d) for n, e, d in lifecycle if n == name]
step("register_lifecycle", lambda: conn.domainEventRegisterAny(
    None, libvirt.VIR_DOMAIN_EVENT_ID_LIFECYCLE, on_lifecycle, None) >= 0)
step("register_reboot", lambda: conn.domainEventRegisterAny(
    None, libvirt.VIR_DOMAIN_EVENT_ID_REBOOT, on_reboot, None) >= 0)

marker_n = [0]
def events_drained():
    """Defines and undefines a marker domain and waits for both its events:
    the daemon sends one client's events in order, so every event queued
    before them has arrived too.  What "no more events" checks wait for."""
    marker_n[0] += 1
    name = "evmark%d" % marker_n[0]
    conn.defineXML("<domain type='qemu'><name>%s</name><memory>65536</memory>"
                   "<os><type arch='x86_64'>hvm</type></os></domain>" % name).undefine()
    if not wait_for(lambda: len(events_of(name)) >= 2, 10):
        out("events_drained_" + name, "the marker's events never came")

# ---- d1: the domain API ----
d1 = None
def define_d1():
    global d1
    d1 = conn.defineXML(xml("d1"))
    return "%s %s %s %s" % (d1.name(), d1.ID(), d1.isActive(), d1.isPersistent())
step("d1_define", define_d1)
step("d1_state_off", lambda: d1.state())
step("d1_create", lambda: d1.create())
step("d1_active", lambda: "%s %s" % (d1.isActive(), d1.isPersistent()))
step("d1_id", lambda: d1.ID())
step("d1_uuid", lambda: d1.UUIDString())
step("d1_byname", lambda: "%s %s" % (conn.lookupByName("d1").UUIDString(), conn.lookupByName("d1").ID()))
step("d1_byuuid", lambda: conn.lookupByUUIDString(d1.UUIDString()).name())
step("d1_byid", lambda: conn.lookupByID(d1.ID()).name())
step("d1_info", lambda: " ".join(str(x) for x in d1.info()))
step("d1_state", lambda: d1.state())
def xmls():
    live, inactive = d1.XMLDesc(0), d1.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)
    with open(os.path.join(tmp, "d1.live.xml"), "w") as f:
        f.write(live)
    with open(os.path.join(tmp, "d1.inactive.xml"), "w") as f:
        f.write(inactive)
    return "ok"
step("d1_xml", xmls)
step("d1_start_running", lambda: error_of(d1.create))
step("d1_suspend", lambda: d1.suspend())
step("d1_state_suspended", lambda: d1.state())
step("d1_resume", lambda: d1.resume())
step("d1_state_resumed", lambda: d1.state())
step("d1_destroy", lambda: d1.destroy())
step("d1_state_destroyed", lambda: "%s %s %s" % (d1.state(), d1.ID(), d1.isActive()))
step("d1_destroy_inactive", lambda: error_of(d1.destroy))
step("nope", lambda: error_of(lambda: conn.lookupByName("nope")))
wait_for(lambda: len(events_of("d1")) >= 7, 10)
events_drained()        # anything extra has arrived by now
out("d1_events", events_of("d1"))

# ---- r1: reboot ----
r1 = None
def start_r1():
    global r1
    r1 = conn.defineXML(xml("r1"))
    r1.create()
    return wait_serial("r1", b"GUEST-READY", 1, boot_s)
step("r1_ready", start_r1)
with ev_lock:
    del reboots[:]
r1_events_before = len(events_of("r1"))
r1_id = r1.ID() if r1 else None
step("r1_reboot", lambda: r1.reboot(0))
step("r1_powerbutton", lambda: wait_serial("r1", b"GUEST-POWERBUTTON", 1, 30))
step("r1_booted_again", lambda: wait_serial("r1", b"GUEST-BOOTED-OK", 2, boot_s))
wait_for(lambda: len(reboots) >= 1, 10)
events_drained()
step("r1_reboot_events", lambda: list(reboots))
step("r1_after", lambda: "%s %s" % (r1.state(), r1.ID() == r1_id))
step("r1_lifecycle_during", lambda: events_of("r1")[r1_events_before:])

# ---- d1 again: reboot with on_reboot destroy ends the domain, as with libvirt ----
def start_d1_again():
    d1.create()
    return wait_serial("d1", b"GUEST-READY", 1, boot_s)
step("d1_ready", start_d1_again)
d1_events_before = len(events_of("d1"))
with ev_lock:
    del reboots[:]
step("d1_reboot", lambda: d1.reboot(0))
step("d1_powerbutton", lambda: wait_serial("d1", b"GUEST-POWERBUTTON", 1, 30))
step("d1_shut_off", lambda: wait_for(lambda: d1.state()[0] == libvirt.VIR_DOMAIN_SHUTOFF, 30))
wait_for(lambda: len(events_of("d1")) >= d1_events_before + 2, 10)
events_drained()
step("d1_reboot_state", lambda: d1.state())
step("d1_reboot_lifecycle", lambda: events_of("d1")[d1_events_before:])
step("d1_reboot_rebootevents", lambda: list(reboots))
step("d1_booted_once", lambda: serial("d1").count(b"GUEST-BOOTED-OK"))
if d1.isActive():
    d1.destroy()        # the cases after this one want d1 shut off either way

# ---- c1: the console ----
c1 = None
def start_c1():
    global c1
    c1 = conn.defineXML(xml("c1"))
    c1.createWithFlags(libvirt.VIR_DOMAIN_START_PAUSED)
    return c1.state()
step("c1_start_paused", start_c1)
def read_until(st, marker, secs):
    got = b""
    end = time.monotonic() + secs
    while marker not in got and time.monotonic() < end:
        data = st.recv(4096)
        if not isinstance(data, bytes) or not data:
            break       # -2 would block (not for a blocking stream), b"" EOF
        got += data
    return got
def console():
    st = conn.newStream(0)
    c1.openConsole(None, st, 0)
    time.sleep(1.5)     # QEMU notices a pty reader once a second
    c1.resume()
    got = read_until(st, b"GUEST-BOOTED-OK", boot_s)
    st.finish()
    return b"GUEST-BOOTED-OK" in got
step("c1_console", console)
step("c1_ready", lambda: wait_serial("c1", b"GUEST-READY", 1, boot_s))
sessions = {}
def second_console():
    sessions["a"] = conn.newStream(0)
    c1.openConsole(None, sessions["a"], 0)
    st = conn.newStream(0)
    e = error_of(lambda: c1.openConsole(None, st, 0))
    st.abort() if e == "no error" else None
    return e
step("c1_second", second_console)
def forced():
    sessions["b"] = conn.newStream(0)
    c1.openConsole(None, sessions["b"], libvirt.VIR_DOMAIN_CONSOLE_FORCE)
    return "ok"
step("c1_forced", forced)
def old_session():
    # the session taken over ends with an error (or at least an EOF)
    try:
        for _ in range(1000):
            data = sessions["a"].recv(4096)
            if not data:
                return "EOF"
    except libvirt.libvirtError as e:
        return exc(e)
    return "still open"
step("c1_old_session", old_session)
step("c1_forced_finish", lambda: sessions["b"].finish())
def third_console():
    st = conn.newStream(0)
    c1.openConsole(None, st, 0)
    st.finish()
    return "ok"
step("c1_after_finish", third_console)

# ---- x1 (transient), m1 (inactive), the listing calls ----
step("x1_create", lambda: conn.createXML(xml("x1"), 0).name())
m1 = None
def define_m1():
    global m1
    m1 = conn.defineXML(xml("m1"))
    return m1.isActive()
step("m1_define", define_m1)
def names(flags):
    return " ".join(sorted(d.name() for d in conn.listAllDomains(flags)))
F = libvirt
step("list_all", lambda: names(0))
step("list_active", lambda: names(F.VIR_CONNECT_LIST_DOMAINS_ACTIVE))
step("list_inactive", lambda: names(F.VIR_CONNECT_LIST_DOMAINS_INACTIVE))
step("list_persistent", lambda: names(F.VIR_CONNECT_LIST_DOMAINS_PERSISTENT))
step("list_transient", lambda: names(F.VIR_CONNECT_LIST_DOMAINS_TRANSIENT))
step("list_active_persistent", lambda: names(F.VIR_CONNECT_LIST_DOMAINS_ACTIVE |
                                             F.VIR_CONNECT_LIST_DOMAINS_PERSISTENT))
step("num_domains", lambda: conn.numOfDomains())
step("list_ids", lambda: " ".join(str(i) for i in sorted(conn.listDomainsID())))
step("active_ids", lambda: " ".join(str(i) for i in sorted(conn.lookupByName(n).ID()
                                                            for n in ("c1", "r1", "x1"))))
step("num_defined", lambda: conn.numOfDefinedDomains())
step("list_defined", lambda: " ".join(sorted(conn.listDefinedDomains())))
step("x1_persistent", lambda: conn.lookupByName("x1").isPersistent())
step("x1_destroy", lambda: conn.lookupByName("x1").destroy())
step("x1_gone", lambda: error_of(lambda: conn.lookupByName("x1")))
step("list_after_x1", lambda: names(0))
step("list_transient_after", lambda: names(F.VIR_CONNECT_LIST_DOMAINS_TRANSIENT))

# ---- m1: the maximum memory of the persistent config ----
def maxmem(x):
    m = re.search(r"<memory unit=[\"']KiB[\"']>(\d+)</memory>", x)
    c = re.search(r"<currentMemory unit=[\"']KiB[\"']>(\d+)</currentMemory>", x)
    return "%s %s" % (m.group(1) if m else "none", c.group(1) if c else "none")
step("m1_mem_before", lambda: maxmem(m1.XMLDesc(0)))
step("m1_setmem", lambda: m1.setMemoryFlags(196608, libvirt.VIR_DOMAIN_AFFECT_CONFIG |
                                            libvirt.VIR_DOMAIN_MEM_MAXIMUM))
step("m1_mem_after", lambda: maxmem(m1.XMLDesc(0)))
step("m1_mem_inactive", lambda: maxmem(m1.XMLDesc(libvirt.VIR_DOMAIN_XML_INACTIVE)))
step("m1_maxmemory", lambda: "%s %s" % (m1.maxMemory(), m1.info()[1]))

# ---- the end ----
for name in ("r1", "c1"):
    step(name + "_destroy", lambda: conn.lookupByName(name).destroy())
step("close", conn.close)
EOF
py_rc=$rc
py_out=$out
py_err=$err
[ "$py_rc" -eq 0 ] || diag "python exited with $py_rc; stderr:" "$py_err"
k() { kv "$1" "$py_out"; }

# 1
expect_eq "lifecycle callback" True "$(k register_lifecycle)"
expect_eq "reboot callback" True "$(k register_reboot)"
expect_eq "defineXML: name ID isActive isPersistent" "d1 -1 0 1" "$(k d1_define)"
expect_eq "state() shut off" "[5, 0]" "$(k d1_state_off)"
expect_eq "create()" 0 "$(k d1_create)"
expect_eq "isActive isPersistent" "1 1" "$(k d1_active)"
d1_id=$(k d1_id)
d1_uuid=$(k d1_uuid)
expect_match "ID()" '^[1-9][0-9]*$' "$d1_id"
expect_match "UUIDString()" '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' "$d1_uuid"
expect_eq "lookupByName: UUIDString ID" "$d1_uuid $d1_id" "$(k d1_byname)"
expect_eq "lookupByUUIDString" d1 "$(k d1_byuuid)"
expect_eq "lookupByID" d1 "$(k d1_byid)"
verdict "defineXML, create, isActive/isPersistent, ID, UUIDString and the three lookups"

# 2
read -r i_state i_max i_mem i_vcpu i_cpu <<<"$(k d1_info)"
expect_eq "info() state maxMem memory nrVirtCpu" "1 262144 262144 1" "${i_state:-} ${i_max:-} ${i_mem:-} ${i_vcpu:-}"
expect_match "info() cpuTime" '^[1-9][0-9]*$' "${i_cpu:-}"
expect_eq "state() running booted" "[1, 1]" "$(k d1_state)"
expect_eq "XMLDesc written" ok "$(k d1_xml)"
live=$(cat "$mv_tmp/d1.live.xml" 2>/dev/null)
inactive=$(cat "$mv_tmp/d1.inactive.xml" 2>/dev/null)
expect_match "XMLDesc(0) id" "^<domain type=[\"']qemu[\"'] id=[\"']$d1_id[\"']>" "$live"
expect_match "XMLDesc(0) uuid" "<uuid>$d1_uuid</uuid>" "$live"
expect_match "XMLDesc(0) pty" "<source path=[\"']/dev/pts/[0-9]+[\"']/>" "$live"
expect_match "XMLDesc(INACTIVE) no id" "^<domain type=[\"']qemu[\"']>" "$inactive"
expect_match "XMLDesc(INACTIVE) uuid" "<uuid>$d1_uuid</uuid>" "$inactive"
expect_nomatch "XMLDesc(INACTIVE) pty" "/dev/pts/" "$inactive"
verdict "info(), state() and XMLDesc(0) / XMLDesc(VIR_DOMAIN_XML_INACTIVE) of the running domain"

# 3
expect_eq "suspend()" 0 "$(k d1_suspend)"
expect_eq "state() paused user" "[3, 1]" "$(k d1_state_suspended)"
expect_eq "resume()" 0 "$(k d1_resume)"
expect_eq "state() running unpaused" "[1, 5]" "$(k d1_state_resumed)"
expect_eq "destroy()" 0 "$(k d1_destroy)"
expect_eq "state() ID() isActive() after destroy" "[5, 2] -1 0" "$(k d1_state_destroyed)"
verdict "suspend(), resume() and destroy() with the states and reasons they leave"

# 4: code 55 VIR_ERR_OPERATION_INVALID, 42 VIR_ERR_NO_DOMAIN
expect_match "create() of a running domain" "^EXC 55 " "$(k d1_start_running)"
expect_match "lookupByName('nope')" "^EXC 42 .*'nope'" "$(k nope)"
expect_match "destroy() of an inactive domain" "^EXC 55 .*not running" "$(k d1_destroy_inactive)"
verdict "error codes: start running (55), unknown name (42), destroy inactive (55)"

# 5: DEFINED ADDED, RESUMED UNPAUSED + STARTED BOOTED, SUSPENDED PAUSED,
# RESUMED UNPAUSED, SHUTDOWN FINISHED (QEMU's SIGTERM) + STOPPED DESTROYED
expect_eq "lifecycle events of d1" "[(0, 0), (4, 0), (2, 0), (3, 0), (4, 0), (6, 2), (5, 1)]" "$(k d1_events)"
verdict "the event loop delivers d1's lifecycle events in order"

# 6
expect_eq "r1 GUEST-READY" True "$(k r1_ready)"
expect_eq "reboot(0)" 0 "$(k r1_reboot)"
expect_eq "guest saw the power button" True "$(k r1_powerbutton)"
expect_eq "second GUEST-BOOTED-OK" True "$(k r1_booted_again)"
expect_eq "state running, same id" "[1, 1] True" "$(k r1_after)"
# QEMU reports a RESET for our system_reset and may add some of its own
# (the firmware resets again): one REBOOT event each, at least one
expect_match "REBOOT events" "^\['r1'(, 'r1')*\]$" "$(k r1_reboot_events)"
expect_eq "lifecycle events during the reboot" "[]" "$(k r1_lifecycle_during)"
verdict "reboot(0): power button, the guest boots again, the domain stays running, REBOOT events"

# 7
expect_eq "d1 GUEST-READY" True "$(k d1_ready)"
expect_eq "reboot(0)" 0 "$(k d1_reboot)"
expect_eq "guest saw the power button" True "$(k d1_powerbutton)"
expect_eq "shut off" True "$(k d1_shut_off)"
expect_eq "state() shut off, shutdown" "[5, 1]" "$(k d1_reboot_state)"
expect_eq "lifecycle events: SHUTDOWN FINISHED, STOPPED SHUTDOWN" "[(6, 2), (5, 0)]" "$(k d1_reboot_lifecycle)"
expect_eq "REBOOT events" "[]" "$(k d1_reboot_rebootevents)"
expect_eq "GUEST-BOOTED-OK lines" 1 "$(k d1_booted_once)"
verdict "reboot(0) of a domain with on_reboot destroy shuts it down (as libvirt does)"

# 8
expect_eq "createWithFlags(START_PAUSED) state" "[3, 1]" "$(k c1_start_paused)"
expect_eq "GUEST-BOOTED-OK read from the console stream" True "$(k c1_console)"
verdict "openConsole on a paused guest, resume, the boot is read from the stream; finish()"

# 9: code 9 VIR_ERR_OPERATION_FAILED
expect_eq "c1 GUEST-READY" True "$(k c1_ready)"
expect_match "second console without FORCE" "^EXC 9 .*Active console session exists" "$(k c1_second)"
expect_eq "second console with FORCE" ok "$(k c1_forced)"
expect_match "the session taken over" "^(EXC |EOF)" "$(k c1_old_session)"
diag "the session taken over: $(k c1_old_session)"
expect_eq "finish() of the forced session" 0 "$(k c1_forced_finish)"
expect_eq "a console after finish()" ok "$(k c1_after_finish)"
verdict "one console session: a second fails without FORCE, takes over with it"

# 10
expect_eq "createXML" x1 "$(k x1_create)"
expect_eq "x1 isPersistent" 0 "$(k x1_persistent)"
expect_eq "m1 defined inactive" 0 "$(k m1_define)"
expect_eq "listAllDomains(0)" "c1 d1 m1 r1 x1" "$(k list_all)"
expect_eq "ACTIVE" "c1 r1 x1" "$(k list_active)"
expect_eq "INACTIVE" "d1 m1" "$(k list_inactive)"
expect_eq "PERSISTENT" "c1 d1 m1 r1" "$(k list_persistent)"
expect_eq "TRANSIENT" "x1" "$(k list_transient)"
expect_eq "ACTIVE|PERSISTENT" "c1 r1" "$(k list_active_persistent)"
verdict "listAllDomains() with no flag, ACTIVE, INACTIVE, PERSISTENT, TRANSIENT and ACTIVE|PERSISTENT"

# 11
expect_eq "numOfDomains()" 3 "$(k num_domains)"
expect_eq "listDomainsID()" "$(k active_ids)" "$(k list_ids)"
expect_match "three ids" '^[0-9]+ [0-9]+ [0-9]+$' "$(k list_ids)"
expect_eq "numOfDefinedDomains()" 2 "$(k num_defined)"
expect_eq "listDefinedDomains()" "d1 m1" "$(k list_defined)"
verdict "the legacy calls numOfDomains, listDomainsID, numOfDefinedDomains, listDefinedDomains"

# 12
expect_eq "x1 destroy()" 0 "$(k x1_destroy)"
expect_match "x1 lookup after destroy" "^EXC 42 " "$(k x1_gone)"
expect_eq "listAllDomains(0)" "c1 d1 m1 r1" "$(k list_after_x1)"
expect_eq "TRANSIENT" "" "$(k list_transient_after)"
expect_eq "m1 before" "262144 262144" "$(k m1_mem_before)"
expect_eq "setMemoryFlags(CONFIG|MAXIMUM)" 0 "$(k m1_setmem)"
expect_eq "XMLDesc(0) memory currentMemory" "196608 196608" "$(k m1_mem_after)"
expect_eq "XMLDesc(INACTIVE)" "196608 196608" "$(k m1_mem_inactive)"
expect_eq "maxMemory() info()[1]" "196608 196608" "$(k m1_maxmemory)"
grep -Eq "<memory unit=[\"']KiB[\"']>196608</memory>" "$MV_ROOT/etc/modvirt/qemu/m1.xml" ||
    expect_fail "m1.xml on disk does not have the new maximum"
verdict "a transient domain is gone after destroy(); setMemoryFlags(CONFIG|MAXIMUM) on an inactive domain"

# 13
expect_eq "r1 destroy" 0 "$(k r1_destroy)"
expect_eq "c1 destroy" 0 "$(k c1_destroy)"
expect_match "close() (the references left)" '^[0-9]+$' "$(k close)"
expect_eq "python exit status" 0 "$py_rc"
expect_eq "event markers that never arrived" "" "$(grep '^events_drained_' <<<"$py_out")"
expect_eq "QEMUs left" "" "$(pgrep -f -- "$MV_ROOT/run/modvirt/qemu/" || true)"
expect_daemon_alive
verdict "python exited cleanly, every guest is destroyed, the daemon runs"
mv_done
