# mdev: a GPU offering two mediated device types, with one mdev of the
# first type already made (as the kernel shows an Intel GVT-g parent):
#   0000:00:02.0  VGA 8086:3e92 on i915, IOMMU group 0, with
#                 mdev_supported_types/i915-GVTg_V5_4 (2 instances left) and
#                 i915-GVTg_V5_8 (1 left): name, device_api, available_instances,
#                 description, create, devices/
#   0000:00:02.0/8d1e5b2a-3f6c-4e7d-9a0b-1c2d3e4f5a6b  an mdev of type
#                 i915-GVTg_V5_4 on vfio_mdev, IOMMU group 12, with remove
# tests/nodedev/fakekernel_mdev.py plays the kernel on it: a UUID written to
# a type's create makes an mdev like the one here, a 1 written to an mdev's
# remove takes it away.  The functions have config spaces, so Debian's
# libvirtd reads the tree as modvirt does (nodedevd-fixtures-libvirt.sh).
. "$(dirname "${BASH_SOURCE[0]}")/pci-config.sh"

# _fm_type GPU ID NAME AVAIL: the mdev type ID of the parent GPU.
_fm_type() {
    local t=$1/mdev_supported_types/$2
    fx_attr "$t" name "$3" && fx_attr "$t" device_api vfio-pci && fx_attr "$t" available_instances "$4" &&
        fx_attr "$t" description "low_gm_size: 128MB, high_gm_size: 512MB, fence: 4" || return 1
    : > "$FX_ROOT/$t/create" && mkdir -p "$FX_ROOT/$t/devices"
}

# fixture_mdev_child GPU TYPE UUID GROUP: the mdev UUID of type TYPE below
# the parent GPU (shared with fakekernel_mdev.py's idea of an mdev).
fixture_mdev_child() {
    local gpu=$1 type=$2 uuid=$3 group=$4 path=$1/$3
    fx_device "$path" bus mdev "MDEV_TYPE=$type" || return 1
    fx_driver "$path" mdev vfio_mdev || return 1
    fx_link "$gpu/mdev_supported_types/$type" "$path/mdev_type" || return 1
    fx_link "$path" "$gpu/mdev_supported_types/$type/devices/$uuid" || return 1
    fx_iommu_group "$path" "$group" || return 1
    : > "$FX_ROOT/$path/remove"
    # vfio_ap's attribute, here for every mdev: what <attr> writes to
    : > "$FX_ROOT/$path/assign_domain"
    FX_DEV=$path
}

fixture_mdev() {
    local gpu
    fx_init "$1"
    fx_pci_root 0000:00
    fx_pci devices/pci0000:00 0000:00:00.0 0x8086 0x3e30 0x060000
    fx_pci_config "$FX_DEV" 256
    fx_pci devices/pci0000:00 0000:00:02.0 0x8086 0x3e92 0x030000 driver=i915 iommu_group=0 revision=0x02
    gpu=$FX_DEV
    fx_pci_config "$gpu" 256
    _fm_type "$gpu" i915-GVTg_V5_4 GVTg_V5_4 2
    _fm_type "$gpu" i915-GVTg_V5_8 GVTg_V5_8 1
    mkdir -p "$FX_ROOT/bus/mdev/drivers/vfio_mdev"
    fixture_mdev_child "$gpu" i915-GVTg_V5_4 8d1e5b2a-3f6c-4e7d-9a0b-1c2d3e4f5a6b 12
}
