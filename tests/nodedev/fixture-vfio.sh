# Fixture "vfio": a small PC whose PCI functions a detach can be tried on
# (tests/integration/nodedevd-detach.sh, with tests/nodedev/fakekernel.py
# playing the kernel's part).  Sourced by tests/nodedev/mkfixture.sh (after
# lib.sh); defines fixture_vfio DIR.
#   0000:00:03.0  NIC 8086:10d3 on e1000e, interface enp0s3 (no addresses), IOMMU group 7
#   0000:00:04.0  virtio-blk 1af4:1001 on virtio-pci, disk vda (252:0) below it, IOMMU group 8
#   0000:00:05.0  NIC 8086:10d3 on e1000e, interface enp0s5, IOMMU group 9
#   0000:00:06.0  NIC 8086:10d3 on no driver, IOMMU group 10
# and the drivers e1000e, virtio-pci and vfio-pci (the vfio-pci module is
# loaded), with their bind/unbind files and drivers_probe.  Attribute files
# hold what the kernel shows; the writable ones (driver_override, bind,
# unbind, drivers_probe, reset) start empty or as the kernel shows them.

. "$(dirname "${BASH_SOURCE[0]}")/pci-config.sh"

# _fv_ln ROOT TARGET LINK: LINK -> TARGET (both relative to ROOT), as a relative link like sysfs'.
_fv_ln() {
    mkdir -p "$(dirname "$1/$3")"
    ln -sfn "$(realpath -m --relative-to="$(dirname "$1/$3")" "$1/$2")" "$1/$3"
}

# _fv_file PATH CONTENT...: PATH holds the lines CONTENT.
_fv_file() {
    local p=$1
    shift
    mkdir -p "$(dirname "$p")"
    printf '%s\n' "$@" > "$p"
}

# _fv_driver ROOT BUS NAME: an empty driver directory with its control files.
_fv_driver() {
    local d=$1/bus/$2/drivers/$3
    mkdir -p "$d"
    : > "$d/bind"; : > "$d/unbind"; : > "$d/uevent"
    [ "$2" = pci ] && { : > "$d/new_id"; : > "$d/remove_id"; }
    return 0
}

# _fv_pci ROOT ADDR VENDOR DEVICE CLASS DRIVER GROUP: a PCI function on pci0000:00.
_fv_pci() {
    local root=$1 addr=$2 ven=$3 dev=$4 class=$5 drv=$6 group=$7
    local rel=devices/pci0000:00/$addr d=$1/devices/pci0000:00/$addr
    mkdir -p "$d"
    _fv_file "$d/uevent" "PCI_CLASS=${class#0x}" "PCI_ID=${ven#0x}:${dev#0x}" \
        "PCI_SUBSYS_ID=${ven#0x}:0000" "PCI_SLOT_NAME=$addr" \
        "MODALIAS=pci:v0000${ven#0x}d0000${dev#0x}sv0000${ven#0x}sd00000000bc${class:2:2}sc${class:4:2}i${class:6:2}"
    _fv_file "$d/vendor" "$ven"
    _fv_file "$d/device" "$dev"
    _fv_file "$d/class" "$class"
    _fv_file "$d/subsystem_vendor" "$ven"
    _fv_file "$d/subsystem_device" 0x0000
    _fv_file "$d/revision" 0x00
    _fv_file "$d/numa_node" -1
    _fv_file "$d/enable" 1
    _fv_file "$d/driver_override" "(null)"
    : > "$d/reset"
    # libvirt lists no PCI function without its config space
    FX_ROOT=$root fx_pci_config "$rel" 256
    _fv_ln "$root" bus/pci "$rel/subsystem"
    _fv_ln "$root" "$rel" "bus/pci/devices/$addr"
    _fv_ln "$root" "kernel/iommu_groups/$group" "$rel/iommu_group"
    _fv_ln "$root" "$rel" "kernel/iommu_groups/$group/devices/$addr"
    if [ -n "$drv" ]; then
        _fv_ln "$root" "bus/pci/drivers/$drv" "$rel/driver"
        _fv_ln "$root" "$rel" "bus/pci/drivers/$drv/$addr"
    fi
}

# _fv_net ROOT PCIREL IFNAME IFINDEX MAC: a network interface below a function.
_fv_net() {
    local rel=$2/net/$3 d=$1/$2/net/$3
    mkdir -p "$d"
    _fv_file "$d/uevent" "INTERFACE=$3" "IFINDEX=$4"
    _fv_file "$d/ifindex" "$4"
    _fv_file "$d/address" "$5"
    _fv_file "$d/operstate" down
    _fv_file "$d/mtu" 1500
    _fv_file "$d/type" 1
    _fv_ln "$1" class/net "$rel/subsystem"
    _fv_ln "$1" "$rel" "class/net/$3"
}

# _fv_virtio_disk ROOT PCIREL VIRTIO NAME MAJ:MIN: a virtio device with a disk.
_fv_virtio_disk() {
    local root=$1 vrel=$2/$3 brel=$2/$3/block/$4
    mkdir -p "$root/$brel"
    _fv_file "$root/$vrel/uevent" DRIVER=virtio_blk "MODALIAS=virtio:d00000002v00001AF4"
    _fv_file "$root/$vrel/device" 0x0002
    _fv_file "$root/$vrel/vendor" 0x1af4
    _fv_ln "$root" bus/virtio "$vrel/subsystem"
    _fv_ln "$root" "$vrel" "bus/virtio/devices/$3"
    _fv_ln "$root" bus/virtio/drivers/virtio_blk "$vrel/driver"
    _fv_file "$root/$brel/uevent" "MAJOR=${5%:*}" "MINOR=${5#*:}" "DEVNAME=$4" DEVTYPE=disk
    _fv_file "$root/$brel/dev" "$5"
    _fv_file "$root/$brel/size" 2097152
    _fv_file "$root/$brel/removable" 0
    _fv_file "$root/$brel/ro" 0
    _fv_file "$root/$brel/queue/logical_block_size" 512
    _fv_ln "$root" "$vrel" "$brel/device"
    mkdir -p "$root/$brel/holders"
    _fv_ln "$root" class/block "$brel/subsystem"
    _fv_ln "$root" "$brel" "class/block/$4"
}

fixture_vfio() {
    local root=$1
    mkdir -p "$root/devices/pci0000:00" "$root/bus/pci/devices" "$root/class/net" "$root/class/block" \
        "$root/bus/virtio/devices" "$root/kernel/iommu_groups"
    _fv_file "$root/devices/pci0000:00/uevent"
    : > "$root/bus/pci/drivers_probe"
    _fv_file "$root/bus/pci/drivers_autoprobe" 1
    _fv_driver "$root" pci e1000e
    _fv_driver "$root" pci virtio-pci
    _fv_driver "$root" pci vfio-pci
    _fv_driver "$root" virtio virtio_blk
    _fv_pci "$root" 0000:00:03.0 0x8086 0x10d3 0x020000 e1000e 7
    _fv_net "$root" devices/pci0000:00/0000:00:03.0 enp0s3 2 52:54:00:00:03:00
    _fv_pci "$root" 0000:00:04.0 0x1af4 0x1001 0x010000 virtio-pci 8
    _fv_virtio_disk "$root" devices/pci0000:00/0000:00:04.0 virtio1 vda 252:0
    _fv_pci "$root" 0000:00:05.0 0x8086 0x10d3 0x020000 e1000e 9
    _fv_net "$root" devices/pci0000:00/0000:00:05.0 enp0s5 3 52:54:00:00:05:00
    _fv_pci "$root" 0000:00:06.0 0x8086 0x10d3 0x020000 "" 10
}
