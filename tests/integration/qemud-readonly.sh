#!/bin/bash
# Read-only access to modvirt-qemud: the -ro socket, and the read-only flag
# of CONNECT_OPEN (virsh -r) on the rw socket.  Reads work, changes are
# refused with libvirt's "operation forbidden" error.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_NEEDS="hostname"
mv_init 8
start_daemon

host_name=$(hostname)
cat >"$mv_tmp/dom.xml" <<'EOF'
<domain type='qemu'>
  <name>mvinteg-ro</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64'>hvm</type></os>
</domain>
EOF
denied="error: operation forbidden: read only access prevents virDomainDefineXML"

# 1
run isolated virsh -r -c "$MV_URI_RO" hostname
expect_eq "exit status" 0 "$rc"
expect_eq "hostname" "$host_name" "$out"
verdict "virsh -r on the ro socket: hostname works"

# 2: every read virsh does for these commands is allowed
for cmd in version nodeinfo capabilities "list --all" nodememstats freecell; do
    run isolated virsh -r -c "$MV_URI_RO" $cmd
    [ "$rc" -eq 0 ] || expect_fail "virsh -r $cmd: $(run_evidence)"
done
verdict "virsh -r on the ro socket: version, nodeinfo, capabilities, list, nodememstats, freecell"

# 3
run isolated virsh -r -c "$MV_URI_RO" define "$mv_tmp/dom.xml"
expect_eq "exit status" 1 "$rc"
expect_match "stderr" "^${denied}\$" "$err"
verdict "virsh -r define on the ro socket: operation forbidden"

# 4: the socket decides, whatever the client's flags say
run isolated virsh -c "$MV_URI_RO" define "$mv_tmp/dom.xml"
expect_eq "exit status" 1 "$rc"
expect_match "stderr" "^${denied}\$" "$err"
verdict "define on the ro socket without -r: still read-only"

# 5: the read-only open flag on the rw socket
run isolated virsh -r -c "$MV_URI" define "$mv_tmp/dom.xml"
expect_eq "exit status" 1 "$rc"
expect_match "stderr" "^${denied}\$" "$err"
run isolated virsh -r -c "$MV_URI" hostname
expect_eq "virsh -r hostname on rw" "$host_name" "$out"
verdict "virsh -r on the rw socket: reads work, define is forbidden"

# 6: a read-write connection is not refused as read-only (define itself may
# not exist yet: then the daemon says "unknown procedure")
run isolated virsh -c "$MV_URI" define "$mv_tmp/dom.xml"
expect_nomatch "stderr" "read only" "$err"
if [ "$rc" -ne 0 ]; then
    expect_match "stderr" '^error: unknown procedure: 11$' "$err"
fi
verdict "define on the rw socket is not refused as read-only"

# 7
expect_eq "ro socket mode" 666 "$(stat -c %a "$MV_RO")"
expect_eq "ro socket type" socket "$(stat -c %F "$MV_RO")"
verdict "the ro socket is world-connectable (0666)"

# 8
expect_daemon_alive
bad=$(grep -E ': (warning|warn|error|critical):' "$MV_LOG")
expect_eq "warnings or errors in the daemon log" "" "$bad"
verdict "the daemon is running and logged no warning"

mv_done
