#!/bin/bash
# The modvirt CLI (through libmodvirt) against a real modvirt-qemud: the
# same facts virsh shows, JSON output, read-only access and exit codes.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_NEEDS="hostname python3"
CLI=${top_builddir}/client/modvirt
mv_init 9
start_daemon
host_facts
uri="qemu:///system?root=$MV_ROOT"
json_get() { python3 -c 'import json,sys; d=json.load(sys.stdin); print(d[sys.argv[1]])' "$1"; }

# 1
run "$CLI" -c "$uri" hostname
expect_eq "exit status" 0 "$rc"
expect_eq "hostname" "$host_name" "$out"
verdict "modvirt hostname equals hostname(1)"

# 2: same figures as virsh prints, byte for byte
run "$CLI" -c "$uri" nodeinfo
cli_out=$out cli_rc=$rc
vsh nodeinfo
expect_eq "exit status" 0 "$cli_rc"
expect_eq "nodeinfo" "$out" "$cli_out"
verdict "modvirt nodeinfo is identical to virsh nodeinfo"

# 3
run "$CLI" -c "$uri" --json nodeinfo
expect_eq "exit status" 0 "$rc"
expect_eq "cpus" "$host_cpus" "$(printf '%s' "$out" | json_get cpus)"
expect_eq "memory" "$host_mem_kib" "$(printf '%s' "$out" | json_get memory_kib)"
verdict "modvirt --json nodeinfo: cpus and memory_kib from the host"

# 4
run "$CLI" -c "$uri" version
expect_eq "exit status" 0 "$rc"
expect_match "hypervisor line" "^Running hypervisor: QEMU ${qemu_ver//./\\.}\$" "$out"
verdict "modvirt version names the installed QEMU ($qemu_ver)"

# 5
run "$CLI" -c "$uri" capabilities
printf '%s\n' "$out" >"$mv_tmp/caps.xml"
expect_eq "exit status" 0 "$rc"
xmllint --noout --relaxng /usr/share/libvirt/schemas/capability.rng "$mv_tmp/caps.xml" 2>"$mv_tmp/rng.err" ||
    expect_fail "capabilities do not validate: $(cat "$mv_tmp/rng.err")"
verdict "modvirt capabilities validate against libvirt's schema"

# 6
run "$CLI" -c "$uri" --json list --all
expect_eq "exit status" 0 "$rc"
expect_eq "domains" "[]" "$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d if isinstance(d, list) else d.get("domains"))')"
verdict "modvirt --json list --all: no domains"

# 7
run "$CLI" -r -c "$uri" hostname
expect_eq "exit status" 0 "$rc"
expect_eq "hostname" "$host_name" "$out"
verdict "modvirt -r works through the read-only socket"

# 8: exit codes: usage 2, cannot connect 3
run "$CLI" -c "$uri" no-such-command
expect_eq "unknown command status" 2 "$rc"
run "$CLI" -c "qemu:///system?root=$mv_tmp/nowhere" hostname
expect_eq "no daemon status" 3 "$rc"
expect_match "no daemon message" "^modvirt: error: .*$mv_tmp/nowhere" "$err"
run "$CLI" -c "bogus:///x" hostname
expect_eq "bad URI status" 2 "$rc"
verdict "modvirt exit codes: 2 for usage, 3 when no daemon answers"

# 9
expect_daemon_alive
verdict "the daemon is still running"
mv_done
