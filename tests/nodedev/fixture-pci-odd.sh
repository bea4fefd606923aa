# pci-odd: PCI functions whose sysfs a reader must survive, and what
# nodedevd makes of them (libvirt drops most of these devices, loops on
# one, or writes "(null)"; nodedevd lists each without the part it cannot
# read):
#   00:02.0  a capability list that loops (0x40 -> 0x50 -> 0x40) in a
#            256-byte config: no PCI Express, no hang
#   00:03.0  a VF whose physfn link dangles, sriov_totalvfs that is no
#            number, virtfn0 and virtfn2 but no virtfn1: no phys_function,
#            virt_functions with virtfn0 only and no maxCount
#   00:04.0  no PCI_CLASS in its uevent, an iommu_group link to a group that
#            is no number, numa_node that is no number: no <class>,
#            <iommuGroup> or <numa>
#   00:05.0  no config file: no header type, no PCI Express
#   00:06.0  a header type outside libvirt's three: an endpoint
#   00:07.0  a CardBus bridge; its link speed code (9) has no name: no speed
#   00:08.0  a vendor whose name has a quote (pci.ids 1565), unknown device
# and DRM minors: controlD64 (control), and minor 300 (no DRM range: not
# listed) below 00:02.0.
. "$(dirname "${BASH_SOURCE[0]}")/pci-config.sh"

fixture_pci_odd() {
    local r=devices/pci0000:00 fn node
    fx_init "$1"
    fx_pci_root 0000:00
    fx_pci "$r" 0000:00:02.0 0x1af4 0x1041 0x020000 driver=virtio-pci
    fn=$FX_DEV
    fx_pci_config "$fn" 256 byte=0x06:0x10 byte=0x34:0x40 byte=0x40:0x09 byte=0x41:0x50 \
        byte=0x50:0x05 byte=0x51:0x40
    for node in controlD64:64 card300:300; do
        fx_device "$fn/drm/${node%%:*}" class drm "MAJOR=226" "MINOR=${node#*:}" \
            "DEVNAME=dri/${node%%:*}" "DEVTYPE=drm_minor"
    done

    fx_pci "$r" 0000:00:03.0 0x8086 0x10ca 0x020000 attr:sriov_totalvfs=many
    fn=$FX_DEV
    fx_pci_config "$fn" 4096 exp=0:0:0:0:0:0
    fx_link "$r/0000:00:1f.7" "$fn/physfn"
    fx_link "$r/0000:00:02.0" "$fn/virtfn0"
    fx_link "$r/0000:00:04.0" "$fn/virtfn2"

    fx_pci "$r" 0000:00:04.0 0x8086 0x10d3 0x020000 numa_node=near
    fn=$FX_DEV
    fx_pci_config "$fn" 256
    sed -i '/^PCI_CLASS=/d' "$FX_ROOT/$fn/uevent"
    mkdir -p "$FX_ROOT/kernel/iommu_groups/none/devices"
    fx_link "kernel/iommu_groups/none" "$fn/iommu_group"

    fx_pci "$r" 0000:00:05.0 0x8086 0x10d3 0x020000

    fx_pci "$r" 0000:00:06.0 0x8086 0x10d3 0x020000
    fx_pci_config "$FX_DEV" 256 hdr=0x7f

    fx_pci "$r" 0000:00:07.0 0x1180 0x0476 0x060700
    fx_pci_config "$FX_DEV" 4096 hdr=2 exp=0:3:9:1:9:1

    fx_pci "$r" 0000:00:08.0 0x1565 0x5409 0x0c0320
    fx_pci_config "$FX_DEV" 256
}
