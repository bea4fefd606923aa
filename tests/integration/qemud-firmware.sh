#!/bin/bash
# Guest firmware and SMBIOS under modvirt-qemud, with Debian's ovmf and the
# test guest: <os firmware='efi'> is chosen at start from the firmware
# descriptors (libvirt 9.0: the configuration keeps firmware='efi', the live
# XML names the loader and the variable store); the guest boots under OVMF
# (the kernel reports "efi: EFI v... by EDK II" on the serial console) and
# sees the <sysinfo> strings (the kernel's "DMI:" line); the store is created
# at the first start, kept across starts, and undefine treats it as libvirt
# does (refused without --nvram / --keep-nvram).  The secure-boot firmware
# (the default on q35) starts with SMM and secure flash.  What cannot work
# is refused by name: secure boot on an i440fx pc, a loader that is not
# there, host SMBIOS on a host without DMI.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 virt-xml-validate xmllint virt-install ip"
BOOT_S=240      # OVMF under TCG: ~30 s on an idle machine
guest_test_init 9
[ -f /usr/share/qemu/firmware/60-edk2-x86_64.json ] || {
    for i in $(seq 9); do skip "Debian's ovmf is not installed (no /usr/share/qemu/firmware)"; done
    exit 0
}
# in a network namespace of its own: case 8's SPICE display (virt-install's
# default for Windows 11) listens on TCP, never on the host's loopback
mv_netns_new mvfw
mv_start_daemon_in_netns "$NS"

nvdir=$MV_ROOT/var/lib/modvirt/qemu/nvram
qlog() { cat "$MV_ROOT/var/log/modvirt/qemu/$1.log" 2>/dev/null; }
xp() { printf '%s\n' "$2" | xmllint --xpath "$1" - 2>/dev/null; }
mtime_inode() { stat -c '%Y %i' "$1" 2>/dev/null; }

# fw_xml NAME LOG OS-ATTRS OS-EXTRA [TOP-EXTRA] [MACHINE]: the test guest
# with firmware settings
fw_xml() {
    guest_domain_xml "$1" "$2" |
        sed -e "s|<os>|<os$3>|" -e "s|<type arch='x86_64'>|<type arch='x86_64' machine='${6:-q35}'>|" \
            -e "s|</os>|$4</os>|" -e "s|<os\\b|${5:-}<os|"
}

sysinfo="<sysinfo type='smbios'><bios><entry name='vendor'>modvirt</entry><entry name='version'>1.0</entry><entry name='date'>12/07/2026</entry></bios><system><entry name='manufacturer'>Example</entry><entry name='product'>VirtBox</entry></system><baseBoard><entry name='product'>Board1</entry></baseBoard><oemStrings><entry>fw-test</entry></oemStrings></sysinfo>"

# 1
log=$mv_tmp/fw1.serial
fw_xml fw1 "$log" " firmware='efi'" \
    "<firmware><feature enabled='no' name='secure-boot'/></firmware><smbios mode='sysinfo'/>" \
    "$sysinfo" >"$mv_tmp/fw1.xml"
vsh define "$mv_tmp/fw1.xml"
expect_eq "define" 0 "$rc"
vsh dumpxml --inactive fw1
expect_eq "configuration keeps firmware='efi'" efi "$(xp 'string(/domain/os/@firmware)' "$out")"
expect_eq "configuration names no loader" "" "$(xp 'string(/domain/os/loader)' "$out")"
vsh start fw1
expect_eq "start" 0 "$rc"
guest_wait_log "$log" "GUEST-BOOTED-OK" "$BOOT_S" || expect_fail "the guest did not boot under OVMF"
expect_match "booted by OVMF" "efi: EFI v[0-9.]+ by EDK II" "$(tr -d '\r' <"$log")"
expect_match "the guest sees the sysinfo strings" "DMI: Example VirtBox/Board1, BIOS 1.0 12/07/2026" \
    "$(tr -d '\r' <"$log")"
vsh dumpxml fw1
printf '%s\n' "$out" >"$mv_tmp/fw1-live.xml"
expect_eq "live loader" /usr/share/OVMF/OVMF_CODE_4M.fd "$(xp 'string(/domain/os/loader)' "$out")"
expect_eq "live loader type" pflash "$(xp 'string(/domain/os/loader/@type)' "$out")"
expect_eq "live nvram" "$nvdir/fw1_VARS.fd" "$(xp 'string(/domain/os/nvram)' "$out")"
expect_eq "live nvram template" /usr/share/OVMF/OVMF_VARS_4M.fd "$(xp 'string(/domain/os/nvram/@template)' "$out")"
run virt-xml-validate "$mv_tmp/fw1-live.xml" domain
expect_eq "live XML valid" 0 "$rc"
expect_eq "variable store created" yes "$([ -s "$nvdir/fw1_VARS.fd" ] && echo yes)"
expect_match "QEMU got pflash0 and pflash1" "pflash0=pflash0-format,pflash1=pflash1-format" "$(qlog fw1)"
vsh destroy fw1
expect_eq "destroy" 0 "$rc"
verdict "firmware='efi' chosen at start: OVMF boots the guest, which sees the <sysinfo>; store created"

# 2: a second start keeps the store (its content is the guest's)
touch -d @1000000000 "$nvdir/fw1_VARS.fd"
before=$(mtime_inode "$nvdir/fw1_VARS.fd")
vsh start --paused fw1
expect_eq "start --paused" 0 "$rc"
expect_eq "store untouched (mtime, inode)" "$before" "$(mtime_inode "$nvdir/fw1_VARS.fd")"
vsh destroy fw1
expect_eq "destroy" 0 "$rc"
verdict "the variable store is kept across starts"

# 3: undefine as libvirt: refused while the store exists, unless told
vsh undefine fw1
expect_eq "plain undefine fails" 1 "$rc"
expect_match "named" "cannot undefine domain with nvram" "$err"
vsh undefine --nvram --keep-nvram fw1
expect_eq "both flags fail" 1 "$rc"
vsh domstate fw1
expect_eq "still defined" "shut off" "$out"
vsh undefine --keep-nvram fw1
expect_eq "undefine --keep-nvram" 0 "$rc"
expect_eq "store kept" yes "$([ -f "$nvdir/fw1_VARS.fd" ] && echo yes)"
vsh define "$mv_tmp/fw1.xml"
vsh undefine --nvram fw1
expect_eq "undefine --nvram" 0 "$rc"
expect_eq "store removed" gone "$([ -e "$nvdir/fw1_VARS.fd" ] && echo present || echo gone)"
expect_eq "nothing left aside" "" "$(ls "$nvdir" 2>/dev/null)"
# the definition goes first, the store after: one that cannot be removed
# (here a non-empty directory in its place) stays, and the log says so
vsh define "$mv_tmp/fw1.xml"
mkdir -p "$nvdir/fw1_VARS.fd/keep"
vsh undefine --nvram fw1
expect_eq "undefine --nvram, store not removable" 0 "$rc"
vsh domstate fw1
expect_eq "undefined" 1 "$rc"
expect_eq "store left" yes "$([ -d "$nvdir/fw1_VARS.fd/keep" ] && echo yes)"
expect_match "reported" "domain 'fw1' is undefined, but its nvram '$nvdir/fw1_VARS.fd' could not be removed" \
    "$(cat "$MV_LOG")"
rm -rf "${nvdir:?}/fw1_VARS.fd"
verdict "undefine: refused with a store, --keep-nvram keeps it, --nvram removes it (after the definition)"

# 4: the default UEFI on q35 is Debian's secure boot build with MS keys: SMM, secure flash
fw_xml fw2 "$mv_tmp/fw2.serial" " firmware='efi'" "" >"$mv_tmp/fw2.xml"
vsh define "$mv_tmp/fw2.xml"
vsh start --paused fw2
expect_eq "start --paused" 0 "$rc"
vsh dumpxml fw2
expect_eq "live loader" /usr/share/OVMF/OVMF_CODE_4M.ms.fd "$(xp 'string(/domain/os/loader)' "$out")"
expect_eq "secure flash" yes "$(xp 'string(/domain/os/loader/@secure)' "$out")"
expect_eq "SMM on" on "$(xp 'string(/domain/features/smm/@state)' "$out")"
expect_eq "enrolled template" /usr/share/OVMF/OVMF_VARS_4M.ms.fd "$(xp 'string(/domain/os/nvram/@template)' "$out")"
expect_match "QEMU: smm=on" "smm=on" "$(qlog fw2)"
expect_match "QEMU: secure flash" "driver=cfi.pflash01,property=secure,value=on" "$(qlog fw2)"
vsh destroy fw2
vsh undefine --nvram fw2
expect_eq "undefine --nvram" 0 "$rc"
verdict "q35's default UEFI is the secure-boot build: SMM on, flash secure, MS keys"

# 5: a named loader (virt-install's way without domcaps): the store named at define
fw_xml fw3 "$mv_tmp/fw3.serial" "" "<loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>" \
    >"$mv_tmp/fw3.xml"
vsh define "$mv_tmp/fw3.xml"
vsh dumpxml --inactive fw3
expect_eq "store named at define" "$nvdir/fw3_VARS.fd" "$(xp 'string(/domain/os/nvram)' "$out")"
vsh start --paused fw3
expect_eq "start --paused" 0 "$rc"
vsh dumpxml fw3
expect_eq "template from the descriptor" /usr/share/OVMF/OVMF_VARS_4M.fd \
    "$(xp 'string(/domain/os/nvram/@template)' "$out")"
vsh destroy fw3
vsh undefine --nvram fw3
expect_eq "undefine --nvram" 0 "$rc"
verdict "a named pflash loader: store named at define, template found from the descriptors at start"

# 6: refused by name
fw_xml bad1 "$mv_tmp/bad1.serial" " firmware='efi'" \
    "<firmware><feature enabled='yes' name='secure-boot'/></firmware>" "" pc >"$mv_tmp/bad1.xml"
vsh define "$mv_tmp/bad1.xml"
expect_eq "secure boot on pc: define fails" 1 "$rc"
expect_match "named" "secure boot .* needs a q35 machine.*machine 'pc'" "$err"
fw_xml bad2 "$mv_tmp/bad2.serial" "" "<loader readonly='yes' type='pflash'>$mv_tmp/no-such-code.fd</loader>" \
    >"$mv_tmp/bad2.xml"
vsh define "$mv_tmp/bad2.xml"
expect_eq "missing loader: define" 0 "$rc"
vsh start bad2
expect_eq "missing loader: start fails" 1 "$rc"
expect_match "named" "loader '$mv_tmp/no-such-code.fd' of domain 'bad2' cannot be read" "$err"
vsh domstate bad2
expect_eq "left shut off" "shut off" "$out"
vsh undefine bad2
expect_eq "no store was made: plain undefine" 0 "$rc"
fw_xml bad3 "$mv_tmp/bad3.serial" "" "<nvram template='/usr/share/OVMF/OVMF_VARS_4M.fd'/>" >"$mv_tmp/bad3.xml"
vsh define "$mv_tmp/bad3.xml"
expect_eq "nvram without loader: define fails" 1 "$rc"
expect_match "named" "<os><nvram> needs a <loader>" "$err"
verdict "secure boot on pc, a missing loader, nvram without loader: refused by name"

# 7: <smbios mode='host'>: the host's DMI facts, or refused by name without them
fw_xml fw4 "$mv_tmp/fw4.serial" "" "<smbios mode='host'/>" "" pc >"$mv_tmp/fw4.xml"
vsh define "$mv_tmp/fw4.xml"
vsh start --paused fw4
if [ -d /sys/class/dmi/id ]; then
    expect_eq "start --paused" 0 "$rc"
    expect_match "QEMU got the host's vendor" "type=1,manufacturer=" "$(qlog fw4)"
    vsh destroy fw4
else
    expect_eq "start fails" 1 "$rc"
    expect_match "named" "host SMBIOS information is not available" "$err"
fi
vsh undefine fw4
verdict "<smbios mode='host'> gives the host's strings (or is refused where the host has none)"

# 8: virt-install reads the domain capabilities: Windows 11 gets UEFI by
# firmware='efi' (as on libvirt with ovmf), which starts
run isolated virt-install --connect "$MV_URI" --print-xml --import --disk none --network none \
    --osinfo win11 --name fw-win11 --memory 512
expect_eq "virt-install" 0 "$rc"
expect_eq "firmware='efi'" efi "$(xp 'string(/domain/os/@firmware)' "$out")"
printf '%s\n' "$out" >"$mv_tmp/win11.xml"
vsh define "$mv_tmp/win11.xml"
expect_eq "define" 0 "$rc"
vsh start --paused fw-win11
expect_eq "start --paused" 0 "$rc"
vsh dumpxml fw-win11
expect_eq "live loader" /usr/share/OVMF/OVMF_CODE_4M.ms.fd "$(xp 'string(/domain/os/loader)' "$out")"
vsh destroy fw-win11
vsh undefine --nvram fw-win11
expect_eq "undefine --nvram" 0 "$rc"
verdict "virt-install's Windows 11 gets firmware='efi' from the capabilities and starts (secure boot build)"

# 9
vsh list --all --name
expect_eq "no domain left" "" "$out"
expect_daemon_alive
verdict "nothing left defined; the daemon serves on"
mv_done
