#!/bin/bash
# virsh domcapabilities against modvirt-qemud: the XML validates against
# libvirt's domaincaps.rng and names the real QEMU, canonical machines and
# their vCPU limits; each argument it cannot serve is refused by name; and
# what the capabilities list is what starting accepts: for i440fx and q35,
# a guest with a disk on every bus listed, a cdrom, and one guest per video
# model listed, and one with the first firmware listed as its loader, each
# defined and started paused under the real QEMU (no guest boots).  Last, virt-install gets the capabilities (its --debug log
# has them, not the fetch error it had before).
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

MV_NEEDS="qemu-system-x86_64 virt-xml-validate xmllint virt-install"
mv_init 6
start_daemon
qemu=$(command -v qemu-system-x86_64)

# xp XPATH: the value XPATH selects in $out
xp() { printf '%s\n' "$out" | xmllint --xpath "$1" - 2>/dev/null; }
# values ENUM-PATH: the <value>s of an enum of $out, one per line
values() { printf '%s\n' "$out" | xmllint --xpath "$1/value/text()" - 2>/dev/null; }

# 1
vsh domcapabilities
expect_eq "exit status" 0 "$rc"
printf '%s\n' "$out" >"$mv_tmp/default.xml"
run virt-xml-validate "$mv_tmp/default.xml" domaincaps
expect_eq "virt-xml-validate domaincaps" 0 "$rc"
vsh domcapabilities
expect_eq "path" "$qemu" "$(xp 'string(/domainCapabilities/path)')"
dom=$(xp 'string(/domainCapabilities/domain)')
expect_match "domain: kvm when usable, else qemu" '^(kvm|qemu)$' "$dom"
[ "$(host_kvm)" = no ] && expect_eq "domain without a usable KVM" qemu "$dom"
expect_match "machine: QEMU's default, canonical" '^pc-i440fx-[0-9]+\.[0-9]+$' \
    "$(xp 'string(/domainCapabilities/machine)')"
vsh domcapabilities --machine q35 --virttype qemu --arch x86_64 --emulatorbin "$qemu"
q35=$(xp 'string(/domainCapabilities/machine)')
expect_match "q35 alias resolved" '^pc-q35-[0-9]+\.[0-9]+$' "$q35"
q35_max=$(xp 'string(/domainCapabilities/vcpu/@max)')
vsh capabilities
expect_eq "vcpu max = the machine's maxCpus in virsh capabilities" \
    "$(xp "string(//guest/arch/machine[text()='$q35']/@maxCpus)")" "$q35_max"
verdict "virsh domcapabilities validates; real QEMU, canonical machine, its vCPU limit"

# 2
refused() {     # WHAT NAMED ARGS...: the call fails and its message names NAMED
    vsh domcapabilities "${@:3}"
    expect_eq "$1: exit status" 1 "$rc"
    expect_match "$1: message" "'$2'" "$err"
}
refused "virttype" xen --virttype xen
refused "emulator" /usr/bin/true --emulatorbin /usr/bin/true
refused "machine" no-such-machine --machine no-such-machine
refused "arch" aarch64 --arch aarch64
expect_daemon_alive
verdict "unknown virttype, emulator, machine and arch refused by name"

# ---- the enums, tried under the real QEMU ----
# disk_xml BUS N: a disk on BUS, target N, an image of its own (QEMU locks images)
disk_xml() {
    truncate -s 1M "$mv_tmp/$2.raw"
    printf "<disk type='file' device='disk'><source file='%s'/><target dev='%s' bus='%s'/></disk>" \
        "$mv_tmp/$2.raw" "$2" "$1"
}
# try_guest NAME MACHINE DEVICES [OS] [TOP]: define, start paused, destroy, undefine; failures
# named.  TOP: more elements of <domain> (<memoryBacking>)
try_guest() {
    cat >"$mv_tmp/$1.xml" <<XML
<domain type='qemu'><name>$1</name><memory unit='MiB'>64</memory>${5:-}<vcpu>1</vcpu>
<os><type arch='x86_64' machine='$2'>hvm</type>${4:-}</os><devices>$3</devices></domain>
XML
    try_paused "$1" --nvram     # a loader guest has a variable store by now
}
# walk MACHINE: every disk bus and device, video model and filesystem driver its caps list
walk() {
    local m=$1 disks= t bus dev model
    vsh domcapabilities --machine "$m" --virttype qemu
    local buses devices models loader fsds fsd
    buses=$(values "//disk/enum[@name='bus']") devices=$(values "//disk/enum[@name='diskDevice']")
    models=$(values "//video/enum[@name='modelType']")
    fsds=$(values "//filesystem/enum[@name='driverType']")
    loader=$(printf '%s\n' "$out" | xmllint --xpath "string(//os/loader/value[1])" - 2>/dev/null)
    [ -n "$buses" ] && [ -n "$devices" ] && [ -n "$models" ] && [ -n "$fsds" ] || expect_fail "$m: no enums in: $out"
    for bus in $buses; do
        case $bus in virtio) t=vda ;; sata) t=sda ;; scsi) t=sdb ;; ide) t=hda ;; *) t=sdc ;; esac
        disks+=$(disk_xml "$bus" "$t")
    done
    for dev in $devices; do
        [ "$dev" = disk ] && continue    # every bus above has one
        disks+="<disk type='file' device='$dev'><target dev='sdz' bus='sata'/><readonly/></disk>"
    done
    try_guest "dc-$m-disks" "$m" "$disks"
    for model in $models; do
        try_guest "dc-$m-video-$model" "$m" "<video><model type='$model'/></video>"
    done
    # every filesystem driver, on the shared RAM virtiofs needs
    mkdir -p "$mv_tmp/share"
    for fsd in $fsds; do
        try_guest "dc-$m-fs-$fsd" "$m" "<filesystem type='mount'><driver type='$fsd'/><source dir='$mv_tmp/share'/><target dir='share'/></filesystem>" \
            "" "<memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>"
    done
    # the first firmware listed, as <loader> takes it (ovmf installed: tools/install-deps)
    if [ -n "$loader" ]; then
        try_guest "dc-$m-loader" "$m" "" "<loader type='pflash' readonly='yes'>$loader</loader>"
    else
        diag "$m: no firmware listed (is ovmf installed?)"
    fi
    diag "$m: loader ${loader:-none}, buses $(echo $buses), devices $(echo $devices), video $(echo $models), filesystem $(echo $fsds)"
}

# 3
walk pc
verdict "i440fx: every disk bus and device, video model, filesystem driver and the firmware listed define and start paused"

# 4
walk q35
verdict "q35: every disk bus and device, video model, filesystem driver and the firmware listed define and start paused"

# 5: virt-install fetches the capabilities (virtinst logs the fetch, or its failure) when
# it picks a video model, so this guest has graphics
run isolated virt-install --connect "$MV_URI" --print-xml --import --disk none \
    --network none --graphics vnc --osinfo linux2022 --name dc-vi --memory 256 --debug
expect_eq "exit status" 0 "$rc"
expect_match "capabilities fetched" "Fetched domain capabilities for" "$err"
expect_nomatch "no fetch error" "Error fetching domcapabilities" "$err"
verdict "virt-install --debug fetches the domain capabilities (no fetch error)"

# 6
vsh list --all --name
expect_eq "no domain left" "" "$out"
expect_daemon_alive
verdict "nothing left defined; the daemon serves on"
mv_done
