#!/bin/bash
# Debian's virt-install, run at test time against modvirt-qemud, as a new
# user would: `--import --disk none --network none --osinfo OS --print-xml`
# (and --memory 512: FreeBSD's entry has no default) with no --graphics (its defaults: SPICE, sound, USB redirection as the OS
# entry and our domain capabilities make it choose), for two Linux
# distributions, Alpine, Windows 10, Windows 11 and FreeBSD.  Each
# definition is checked for what virt-install chose from the capabilities
# (Windows 11: UEFI, and a TPM on the emulator backend when swtpm is
# installed), then defined, started paused and looked at: state paused and
# a QEMU command line with a device for every device of the definition
# (SPICE, sound, video, TPM, redirection, ...).  Destroyed and undefined
# (--nvram / --tpm as the definition needs), nothing of it may be left
# running: no QEMU, swtpm or virtiofsd naming this test's directory.
#
# The daemon runs in a network namespace of the test's own: SPICE listens
# on TCP, and its ports must never meet the host's.  No guest boots.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

OSES="ubuntu22.04 fedora37 alpinelinux3.17 debian11 win10 win11 freebsd13.1"
PLAN=9
MV_NEEDS="qemu-system-x86_64 virt-install xmllint ip"
mv_init $PLAN
use_root root

mv_netns_new mvvo
mv_start_daemon_in_netns "$NS"

xp() { printf '%s\n' "$2" | xmllint --xpath "$1" - 2>/dev/null; }

# expected_devices XMLFILE: one line per device of the definition, "WHAT
# ERE": what QEMU's command line (its arguments one per line) must have for it
expected_devices() {
    "$MV_PY" - "$1" <<'EOF'
import sys, xml.etree.ElementTree as ET
d = ET.parse(sys.argv[1]).getroot().find("devices")
video = {"qxl": "qxl-vga", "virtio": "virtio-vga", "vga": "VGA", "bochs": "bochs-display",
         "cirrus": "cirrus-vga", "ramfb": "ramfb"}
sound = {"ich9": "ich9-intel-hda", "ich6": "intel-hda", "ac97": "AC97", "es1370": "ES1370",
         "sb16": "sb16", "usb": "usb-audio"}
usb = {"qemu-xhci": "qemu-xhci", "nec-xhci": "nec-usb-xhci", "piix3-uhci": "piix3-usb-uhci",
       "ich9-ehci1": "ich9-usb-ehci1", "ich9-uhci1": "ich9-usb-uhci1",
       "ich9-uhci2": "ich9-usb-uhci2", "ich9-uhci3": "ich9-usb-uhci3"}
for g in d.findall("graphics"):
    print("graphics %s ^-%s$" % (g.get("type"), g.get("type")))
for i, v in enumerate(d.findall("video/model")):
    m = v.get("type")
    drv = video.get(m, m)
    if i > 0 and m in ("qxl", "virtio"):        # secondary heads are not VGA
        drv = {"qxl": "qxl", "virtio": "virtio-gpu-pci"}[m]
    print("video %s ^%s,id=video%d" % (m, drv, i))
for s in d.findall("sound"):
    m = s.get("model")
    print("sound %s ^%s,id=sound" % (m, sound.get(m, m)))
for t in d.findall("tpm"):
    m = t.get("model", "tpm-tis")
    print("tpm %s ^%s,tpmdev=" % (m, m))
    b = t.find("backend")
    if b is not None and b.get("type") == "emulator":
        print("tpm-backend emulator ^emulator,id=tpm-")
for r in d.findall("redirdev"):
    print("redirdev %s ^usb-redir,chardev=charredir" % r.get("bus"))
for c in d.findall("channel"):
    t = c.find("target")
    print("channel %s ^virtserialport,.*name=%s$" % (c.get("type"), t.get("name").replace(".", "\\.")))
for r in d.findall("rng"):
    print("rng %s ^virtio-rng-pci,rng=" % r.get("model"))
for i in d.findall("input"):
    if i.get("bus") == "usb":
        print("input %s ^usb-%s," % (i.get("type"), i.get("type")))
for c in d.findall("controller"):
    if c.get("type") == "usb" and c.get("model") in usb:
        print("controller usb-%s ^%s," % (c.get("model"), usb[c.get("model")]))
for m in d.findall("memballoon"):
    if m.get("model") == "virtio":
        print("memballoon virtio ^virtio-balloon-pci,id=balloon0")
EOF
}

# try_os OS: virt-install's definition for OS in $mv_tmp/NAME.xml, checked
# by check_OS (if any), defined, started paused, its QEMU's devices
# compared with the definition's, destroyed, undefined; nothing left.
vo_name() { printf 'vo-%s' "${1//./-}"; }
try_os() {
    local os=$1 name pid args what ere xml check flags=
    name=$(vo_name "$os")
    run isolated virt-install --connect "$MV_URI" --print-xml --import --disk none --network none \
        --osinfo "$os" --name "$name" --memory 512
    [ "$rc" -eq 0 ] || { expect_fail "virt-install --osinfo $os: $(run_evidence)"; return; }
    xml=$out
    printf '%s\n' "$xml" >"$mv_tmp/$name.xml"
    expect_match "$os: its graphics (default: SPICE, from the capabilities)" "<graphics type=.spice." "$xml"
    check=check_${os//./_}
    ! declare -F "$check" >/dev/null || "$check" "$xml"
    vsh define "$mv_tmp/$name.xml"
    [ "$rc" -eq 0 ] || { expect_fail "$os: define: $err"; return; }
    vsh start --paused "$name"
    if [ "$rc" -ne 0 ]; then
        expect_fail "$os: start --paused: $err"
    else
        vsh domstate "$name"
        expect_eq "$os: state" paused "$out"
        pid=$(our_qemu "$name")
        if [ -z "$pid" ]; then
            expect_fail "$os: no QEMU of $name found by its status file"
        else
            args=$(tr '\0' '\n' <"/proc/$pid/cmdline")
            while read -r what _ ere; do
                expect_match "$os: QEMU's command line for <$what>" "$ere" "$args"
            done < <(expected_devices "$mv_tmp/$name.xml")
            diag "$os: QEMU has $(printf '%s\n' "$args" | grep -c '^-device$') devices;" \
                 "  $(expected_devices "$mv_tmp/$name.xml" | cut -d' ' -f1,2 | tr '\n' ';')"
        fi
        vsh destroy "$name"
        expect_eq "$os: destroy" 0 "$rc"
    fi
    vsh dumpxml --inactive "$name"
    # a UEFI guest has a variable store by now (firmware='efi' names none in
    # its inactive XML); --nvram is harmless without one
    flags=" --nvram"
    case $out in *"<tpm "*) flags+=" --tpm" ;; esac
    # shellcheck disable=SC2086  # the flags are words
    vsh undefine "$name" $flags
    expect_eq "$os: undefine$flags" 0 "$rc"
    [ "$rc" -eq 0 ] || diag "$err"
    wait_none_ours 10 || expect_fail "$os: left running: $(ours | tr '\n' ' ')"
    expect_daemon_alive
}

# ---- what virt-install chose, per OS ----
# Linux (libosinfo knows virtio for these): q35, an rng, HDA sound; Fedora virtio video
check_linux() {
    expect_match "$1: q35" "machine=.(q35|pc-q35-[0-9.]+)." "$2"
    expect_match "$1: virtio rng" "<rng model=.virtio." "$2"
    expect_match "$1: sound" "<sound model=.ich9." "$2"
}
check_ubuntu22_04() { check_linux ubuntu22.04 "$1"; }
check_fedora37() {
    check_linux fedora37 "$1"
    expect_match "fedora37: virtio video" "<model type=.virtio." "$1"
}
check_windows() {
    expect_match "$1: hyperv" "<hyperv" "$2"
    expect_match "$1: qxl video" "<model type=.qxl." "$2"
}
check_win10() { check_windows win10 "$1"; }
check_win11() {
    local fw tpm
    check_windows win11 "$1"
    fw=$(xp 'string(/domain/os/@firmware)' "$1")
    [ "$fw" = efi ] || expect_match "win11: UEFI (firmware='efi' or an OVMF loader)" \
        "<loader[^>]*>/usr/share/OVMF/OVMF_CODE" "$1"
    tpm=$(xp 'string(/domain/devices/tpm/backend/@type)' "$1")
    if command -v swtpm >/dev/null && command -v swtpm_setup >/dev/null; then
        expect_eq "win11: a TPM on the emulator backend (swtpm is installed)" emulator "$tpm"
        expect_eq "win11: TPM model" tpm-crb "$(xp 'string(/domain/devices/tpm/@model)' "$1")"
    else
        diag "win11: swtpm is not installed (tools/install-deps installs it): the capabilities offer no" \
             "emulated TPM, so virt-install adds none; the TPM check is skipped"
    fi
}

# 1
vsh domcapabilities --machine q35
caps=$out
expect_match "graphics spice offered" spice "$(xp "//graphics[@supported='yes']/enum[@name='type']/value/text()" "$caps")"
expect_match "firmware efi offered" efi "$(xp "//os[@supported='yes']/enum[@name='firmware']/value/text()" "$caps")"
if command -v swtpm >/dev/null && command -v swtpm_setup >/dev/null; then
    expect_match "tpm emulator offered" emulator \
        "$(xp "//tpm[@supported='yes']/enum[@name='backendModel']/value/text()" "$caps")"
else
    diag "swtpm is not installed (tools/install-deps installs it): no emulated TPM to offer"
fi
verdict "the domain capabilities offer what virt-install picks from: SPICE, EFI, an emulated TPM (with swtpm)"

# 2..8
for os in $OSES; do
    try_os "$os"
    verdict "virt-install --osinfo $os --print-xml (default graphics): defines, starts paused with its devices on QEMU's command line, destroys, undefines; nothing left"
done

# 9
vsh list --all --name
expect_eq "no domain left" "" "$out"
expect_eq "no process of ours left" "" "$(ours)"
expect_daemon_alive
verdict "nothing left defined or running; the daemon serves on"
mv_done
