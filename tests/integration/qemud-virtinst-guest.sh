#!/bin/bash
# virt-install --import of the test guest with virt-install's DEFAULT
# graphics and sound (no --graphics, no --sound, no --controller): SPICE,
# HDA sound, USB redirection, a spicevmc channel, as it picks them from
# qemud's domain capabilities for linux2022 (q35).  The guest boots
# (GUEST-BOOTED-OK on its serial log).  Then virtinst's virt-xml edits the
# definition as a user would: adds a TPM (--tpm default: an emulated TPM
# 2.0 on CRB, Debian's swtpm) and changes the video model (virtio -> qxl);
# the edited guest boots again with both on QEMU's command line and swtpm
# beside it.  Undefined with --tpm, nothing of it is left running.
#
# The daemon runs in a network namespace of the test's own: SPICE listens
# on TCP, and its ports must never meet the host's.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 virt-install virt-xml xmllint ip swtpm swtpm_setup"
BOOT_S=150
PLAN=5
G=vg-default
guest_test_init $PLAN

mv_netns_new mvvg
mv_start_daemon_in_netns "$NS"

serial=$mv_tmp/$G.serial
xp() { printf '%s\n' "$out" | xmllint --xpath "$1" - 2>/dev/null; }
# qemu_args NAME: this daemon's QEMU for NAME, its arguments one per line
qemu_args() {
    local p
    p=$(our_qemu "$1") && tr '\0' '\n' <"/proc/$p/cmdline" 2>/dev/null
}
vxml() { run isolated virt-xml --connect "$MV_URI" "$@"; }

# 1
run isolated virt-install --connect "$MV_URI" --import --noautoconsole --name $G --memory 256 --vcpus 1 \
    --virt-type qemu --osinfo linux2022 --disk none --network none \
    --boot "kernel=$GUEST_KERNEL,initrd=$GUEST_INITRD,kernel_args=console=ttyS0 panic=-1" \
    --events on_reboot=destroy,on_crash=destroy --serial "pty,log.file=$serial"
expect_eq "virt-install: status" 0 "$rc"
expect_match "virt-install: stdout" "Domain creation completed" "$out"
[ "$rc" -eq 0 ] || diag "$(run_evidence)"
vsh dumpxml --inactive $G
expect_eq "graphics" spice "$(xp 'string(//devices/graphics/@type)')"
expect_eq "sound" ich9 "$(xp 'string(//devices/sound/@model)')"
expect_eq "video" virtio "$(xp 'string(//devices/video/model/@type)')"
expect_eq "USB redirection" 2 "$(xp 'count(//devices/redirdev[@type="spicevmc"])')"
expect_eq "spicevmc channel" 1 "$(xp 'count(//devices/channel[@type="spicevmc"])')"
verdict "virt-install --import (default graphics and sound) creates and starts $G: SPICE, ich9 sound, virtio video, USB redirection"

# 2
guest_wait_log "$serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "$G: no GUEST-BOOTED-OK within $BOOT_S s"
args=$(qemu_args $G)
expect_match "QEMU: -spice" "^-spice$" "$args"
expect_match "QEMU: ich9-intel-hda" "^ich9-intel-hda," "$args"
expect_match "QEMU: usb-redir" "^usb-redir," "$args"
verdict "$G boots (GUEST-BOOTED-OK) with SPICE, sound and USB redirection on QEMU's command line"

# 3
vsh destroy $G
expect_eq "destroy" 0 "$rc"
vxml $G --add-device --tpm default
expect_eq "virt-xml --add-device --tpm default: status" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$(run_evidence)"
vxml $G --edit --video model=qxl
expect_eq "virt-xml --edit --video model=qxl: status" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$(run_evidence)"
vsh dumpxml --inactive $G
expect_eq "the TPM virt-xml added: backend" emulator "$(xp 'string(//devices/tpm/backend/@type)')"
expect_eq "the TPM virt-xml added: model" tpm-crb "$(xp 'string(//devices/tpm/@model)')"
expect_eq "the video virt-xml changed" qxl "$(xp 'string(//devices/video/model/@type)')"
verdict "virt-xml adds a TPM (--tpm default: emulator, tpm-crb) and changes the video model to qxl"

# 4
rm -f "$serial"
vsh start $G
expect_eq "start of the edited $G" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$err"
guest_wait_log "$serial" GUEST-BOOTED-OK $BOOT_S || expect_fail "$G (edited): no GUEST-BOOTED-OK within $BOOT_S s"
args=$(qemu_args $G)
expect_match "QEMU: tpm-crb" "^tpm-crb,tpmdev=" "$args"
expect_match "QEMU: qxl-vga" "^qxl-vga,id=video0" "$args"
expect_match "swtpm beside it" "swtpm" "$(ours)"
verdict "the edited $G boots (GUEST-BOOTED-OK) with tpm-crb on swtpm and qxl-vga"

# 5
vsh destroy $G
expect_eq "destroy" 0 "$rc"
vsh undefine $G --tpm --nvram
expect_eq "undefine --tpm" 0 "$rc"
[ "$rc" -eq 0 ] || diag "$err"
wait_none_ours 10 || expect_fail "left running: $(ours | tr '\n' ' ')"
# (the daemon's own CA and swtpm_setup configuration stay beside the states)
expect_eq "its TPM state" "" "$(ls "$MV_ROOT/var/lib/modvirt/swtpm" 2>/dev/null |
    grep -Ev '^(localca|swtpm_setup\.conf|swtpm-localca\.(conf|options))$')"
vsh list --all --name
expect_eq "no domain left" "" "$out"
expect_daemon_alive
verdict "destroy, undefine --tpm: no domain, no QEMU, no swtpm, no TPM state left"
mv_done
