#!/bin/bash
# The domain capabilities agree with what starting accepts: virsh
# domcapabilities validates against libvirt's domaincaps.rng (for pc and
# q35), then domcaps_walk.py tries every value the capabilities offer, one
# minimal guest each, under the real QEMU (defined, started paused, paused,
# destroyed, undefined): firmware and loaders, CPU modes and usable models,
# memory backing sources, disk buses and devices, graphics, video, rng,
# filesystem drivers, TPM models/backends/versions, redirdev buses, channel,
# panic, console and sound (where listed), the <features>.  Every one must
# start, except <hostdev>, whose start must fail naming vfio.  A value that
# does not is a failure naming it.  One verdict per kind, both machines.
#
# The daemon runs in a network namespace of the test's own: SPICE and VNC
# listen on TCP.  No guest boots.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

KINDS="os-firmware os-loader cpu-mode cpu-custom memoryBacking disk-bus disk-device graphics video hostdev rng filesystem tpm redirdev channel panic console sound features"
PLAN=$((2 + $(wc -w <<<"$KINDS") + 1))
MV_NEEDS="qemu-system-x86_64 virt-xml-validate ip"
mv_init $PLAN
use_root root

mv_netns_new mvdw
mv_start_daemon_in_netns "$NS"

# 1, 2
for m in pc q35; do
    vsh domcapabilities --machine $m --virttype qemu
    expect_eq "$m: exit status" 0 "$rc"
    printf '%s\n' "$out" >"$mv_tmp/caps-$m.xml"
    run virt-xml-validate "$mv_tmp/caps-$m.xml" domaincaps
    expect_eq "$m: virt-xml-validate domaincaps" 0 "$rc"
    [ "$rc" -eq 0 ] || diag "$out" "$err"
    verdict "$m: virsh domcapabilities validates against domaincaps.rng"
done

# The walk, both machines, each value's outcome a line "KIND VALUE RESULT"
mkdir -p "$mv_tmp/work"
: >"$mv_tmp/walk.out"
for m in pc q35; do
    MV_CLIENT_TIMEOUT=600 py "$MV_HELPERS/domcaps_walk.py" "$MV_URI" "$m" "$mv_tmp/work"
    [ "$rc" -eq 0 ] || echo "walk $m FAIL domcaps_walk.py: $(run_evidence)" >>"$mv_tmp/walk.out"
    printf '%s\n' "$out" | sed "s/^/$m /" >>"$mv_tmp/walk.out"
done

# 3..: one verdict per kind
for kind in $KINDS; do
    lines=$(awk -v k="$kind" '$2 == k' "$mv_tmp/walk.out")
    if [ -z "$lines" ] || ! grep -qv ' - none$' <<<"$lines"; then
        skip "$kind: the capabilities list no value to try"
        continue
    fi
    while read -r m _ value result; do
        case $result in
        ok*) ;;
        *) expect_fail "$m: $kind '$value': $result" ;;
        esac
    done <<<"$lines"
    diag "$kind: $(awk '$4 ~ /^ok/ { print $1 ":" $3 }' <<<"$lines" | tr '\n' ' ')"
    verdict "$kind: every value the capabilities offer starts paused under QEMU$([ "$kind" = hostdev ] && echo ' (hostdev: fails naming vfio)')"
done

# last
while read -r line; do expect_fail "$line"; done < <(grep '^walk ' "$mv_tmp/walk.out")
vsh list --all --name
expect_eq "no domain left" "" "$out"
expect_daemon_alive
verdict "the walk ran to its end on both machines; nothing left defined; the daemon serves on"
mv_done
