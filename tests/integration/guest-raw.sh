#!/bin/bash
# The test guest (tests/guest) booted by QEMU directly, without any daemon:
# proves the guest itself before the daemon tests rely on it.  It must
# announce itself, load its modules, shut down gracefully on the ACPI power
# button pressed over QMP, and honour the kernel arguments README.md
# documents (guest.mode=poweroff, guest.net=dhcp against QEMU's user-mode
# DHCP server).  TCG only, so it runs without /dev/kvm.  Prints TAP.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

QEMU=qemu-system-x86_64
PY=/usr/bin/python3
[ -x "$PY" ] || PY=python3
BOOT_S=60           # TCG on a busy CI machine: a boot takes ~2 s here

trap 'mv_cleanup' EXIT
trap 'exit 1' HUP INT TERM
for cmd in $QEMU "$PY" timeout flock; do
    command -v "$cmd" >/dev/null 2>&1 || { echo "1..0 # SKIP $cmd is not installed"; exit 0; }
done
mv_tmp=$(mktemp -d "${TMPDIR:-/tmp}/mvguest.XXXXXX") || { echo "Bail out! mktemp failed"; exit 1; }

guest_build 2>"$mv_tmp/build.err"
case $? in
0) ;;
2) echo "1..0 # SKIP cannot build the test guest: $(tail -n 1 "$mv_tmp/build.err")"; exit 0 ;;
*) echo "Bail out! tests/guest/make-test-guest.sh failed"; sed 's/^/# /' "$mv_tmp/build.err"; exit 1 ;;
esac

echo "1..10"

# boot_guest LOG APPEND [QEMU-ARGS...]: QEMU in the background with the
# guest's serial console in LOG and a QMP socket at $mv_tmp/qmp.sock; pid in
# qemu_pid.  -no-reboot: a panicking guest (panic=-1) ends QEMU at once.
boot_guest() {
    local log=$1 append=$2
    shift 2
    rm -f "$mv_tmp/qmp.sock"
    $QEMU -accel tcg -nodefaults -no-user-config -display none -no-reboot \
        -m 256 -smp 1 -serial "file:$log" \
        -qmp "unix:$mv_tmp/qmp.sock,server=on,wait=off" \
        -kernel "$GUEST_KERNEL" -initrd "$GUEST_INITRD" -append "console=ttyS0 panic=-1 $append" \
        "$@" >"$log.qemu" 2>&1 &
    qemu_pid=$!
    kill_at_exit $qemu_pid
}

# qmp COMMAND: runs one QMP command on $mv_tmp/qmp.sock and prints its
# "return" (or "error") as JSON; events in between are skipped.
qmp() {
    timeout 10 "$PY" - "$mv_tmp/qmp.sock" "$1" <<'PY'
import json, socket, sys, time
path, command = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX)
for _ in range(100):                      # QEMU may still be creating it
    try:
        s.connect(path)
        break
    except OSError:
        time.sleep(0.05)
f = s.makefile("rw")
def call(cmd):
    f.write(json.dumps({"execute": cmd}) + "\n"); f.flush()
    while True:
        msg = json.loads(f.readline())
        if "return" in msg or "error" in msg:
            return msg
json.loads(f.readline())                  # the greeting
call("qmp_capabilities")
print(json.dumps(call(command)))
PY
}

# guest_verdict DESCRIPTION LOG: verdict, plus the end of the serial log
# and QEMU's own output when the case failed
guest_verdict() {
    local failed=$tap_failed
    verdict "$1"
    [ $tap_failed -eq $failed ] && return 0
    diag "  serial log $2:"
    tr -d '\r' <"$2" 2>/dev/null | tail -n 20 | sed 's/^/#     /'
    [ -s "$2.qemu" ] && { diag "  QEMU:"; sed 's/^/#     /' "$2.qemu"; }
    return 0
}

# 1
before=$(stat -c %Y "$GUEST_KERNEL" "$GUEST_INITRD" 2>/dev/null)
guest_build 2>"$mv_tmp/build.err" || expect_fail "second guest_build failed: $(cat "$mv_tmp/build.err")"
expect_eq "kernel and initrd mtimes after a second build" "$before" \
    "$(stat -c %Y "$GUEST_KERNEL" "$GUEST_INITRD" 2>/dev/null)"
if [ ! -s "$GUEST_KERNEL" ] || [ ! -s "$GUEST_INITRD" ]; then
    expect_fail "$GUEST_KERNEL or $GUEST_INITRD is missing or empty"
fi
verdict "guest_build builds the guest once and sets GUEST_KERNEL and GUEST_INITRD"

# 2
log=$mv_tmp/boot.log
boot_guest "$log" ""
guest_wait_log "$log" '^GUEST-BOOTED-OK [0-9]' $BOOT_S 2>/dev/null ||
    expect_fail "no GUEST-BOOTED-OK within $BOOT_S s"
expect_eq "modules that failed to load" "" "$(grep -a '^GUEST-INSMOD-FAIL' "$log" | tr -d '\r')"
guest_verdict "the guest boots and loads its modules" "$log"

# 3
guest_wait_log "$log" '^GUEST-READY' $BOOT_S 2>/dev/null || expect_fail "no GUEST-READY within $BOOT_S s"
guest_verdict "the guest says GUEST-READY once it listens for the power button" "$log"

# 4
out=$(qmp system_powerdown 2>&1)
expect_eq "system_powerdown reply" '{"return": {}}' "$out"
guest_verdict "QMP system_powerdown is accepted" "$log"

# 5
guest_wait_log "$log" '^GUEST-POWERBUTTON' 30 2>/dev/null || expect_fail "no GUEST-POWERBUTTON within 30 s"
guest_verdict "the guest sees the ACPI power button" "$log"

# 6
if wait_exit "$qemu_pid" 30; then
    expect_eq "QEMU exit status" 0 "$wait_status"
else
    expect_fail "QEMU still runs 30 s after the power button"
fi
guest_verdict "the guest powers off and QEMU exits" "$log"

# 7
log=$mv_tmp/poweroff.log
boot_guest "$log" "guest.mode=poweroff"
if wait_exit "$qemu_pid" $BOOT_S; then
    expect_eq "QEMU exit status" 0 "$wait_status"
else
    expect_fail "QEMU still runs $BOOT_S s after starting a guest.mode=poweroff guest"
fi
expect_eq "GUEST-BOOTED-OK lines" 1 "$(grep -ac '^GUEST-BOOTED-OK' "$log")"
expect_eq "GUEST-READY lines" 0 "$(grep -ac '^GUEST-READY' "$log")"
guest_verdict "guest.mode=poweroff powers off right after booting" "$log"

# 8
log=$mv_tmp/dhcp.log
boot_guest "$log" "guest.net=dhcp" -netdev user,id=n0,net=10.0.2.0/24 \
    -device virtio-net-pci,netdev=n0,mac=52:54:00:6d:76:01
guest_wait_log "$log" '^GUEST-IP ' $BOOT_S 2>/dev/null || expect_fail "no GUEST-IP within $BOOT_S s"
expect_match "GUEST-IP line" '^GUEST-IP 10\.0\.2\.15' "$(grep -a '^GUEST-IP' "$log" | tr -d '\r')"
guest_verdict "guest.net=dhcp gets a lease from QEMU's user-mode DHCP and prints GUEST-IP" "$log"
stop_pid "$qemu_pid" 5

# 9
# The helper the daemon tests boot the guest with: libvirt's own schema
# accepts what it prints, and names and paths survive XML escaping.
if command -v virt-xml-validate >/dev/null 2>&1 && command -v xmllint >/dev/null 2>&1; then
    xml=$mv_tmp/dom.xml
    guest_domain_xml "g&<'1" "$mv_tmp/it's <log>" \
        "<interface type='bridge'><source bridge='br0'/></interface>" >"$xml"
    run virt-xml-validate "$xml" domain
    [ "$rc" -eq 0 ] || expect_fail "virt-xml-validate: $(run_evidence)"
    xq() { xmllint --xpath "string($1)" "$xml" 2>&1; }
    expect_eq "name" "g&<'1" "$(xq /domain/name)"
    expect_eq "serial log file" "$mv_tmp/it's <log>" "$(xq /domain/devices/serial/log/@file)"
    expect_eq "serial log append" off "$(xq /domain/devices/serial/log/@append)"
    expect_eq "memory" "256 MiB" "$(xq /domain/memory) $(xq /domain/memory/@unit)"
    expect_eq "kernel" "$GUEST_KERNEL" "$(xq /domain/os/kernel)"
    expect_eq "cmdline" "console=ttyS0 panic=-1" "$(xq /domain/os/cmdline)"
    expect_eq "console target" serial "$(xq /domain/devices/console/target/@type)"
    expect_eq "memballoon" none "$(xq /domain/devices/memballoon/@model)"
    expect_eq "disks" 0 "$(xq 'count(/domain/devices/disk)')"
    expect_eq "extra device" br0 "$(xq /domain/devices/interface/source/@bridge)"
    expect_eq "cmdline with GUEST_APPEND" "console=ttyS0 panic=-1 guest.net=dhcp" \
        "$(GUEST_APPEND=guest.net=dhcp guest_domain_xml g "$mv_tmp/l" | xmllint --xpath 'string(/domain/os/cmdline)' -)"
    verdict "guest_domain_xml prints valid domain XML for the guest"
else
    skip "virt-xml-validate or xmllint is not installed"
fi

# 10
printf 'line one\r\nGUEST-BOOTED-OK 6.1\r\n' >"$mv_tmp/fake.log"
guest_wait_log "$mv_tmp/fake.log" '^GUEST-BOOTED-OK' 1 2>"$mv_tmp/wait.err" ||
    expect_fail "guest_wait_log did not find a line that is there"
start=$(date +%s)
if guest_wait_log "$mv_tmp/fake.log" '^GUEST-READY' 1 2>"$mv_tmp/wait.err"; then
    expect_fail "guest_wait_log found a line that is not there"
fi
expect_match "time waited (s)" '^[12]$' "$(($(date +%s) - start))"
expect_match "stderr after a timeout" 'GUEST-BOOTED-OK 6\.1$' "$(cat "$mv_tmp/wait.err")"
verdict "guest_wait_log finds a marker, and times out showing the log's last lines"

mv_done
