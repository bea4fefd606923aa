# gpu: a graphics card behind a PCI Express root port, its four functions
# (VGA, HDMI audio, USB 3.1, USB-C UCSI of a TU104) in one IOMMU group and
# its DRM nodes card0 and renderD128 (a connector, card0-HDMI-A-1, that
# libvirt does not list), and a root complex integrated endpoint (PCI
# Express without link registers).  What the tree shows: <iommuGroup> with
# the group's members in the order the kernel lists the group's directory
# (a hash of the names, not the names' order), PCI Express links at their
# capability and current speed, drm_card0 and drm_renderD128 below the GPU.
. "$(dirname "${BASH_SOURCE[0]}")/pci-config.sh"

fixture_gpu() {
    local rp gpu fn i dev class drv minor node
    fx_init "$1"
    fx_pci_root 0000:00
    fx_pci devices/pci0000:00 0000:00:01.0 0x8086 0x1901 0x060400 driver=pcieport iommu_group=1 revision=0x0d
    rp=$FX_DEV
    fx_pci_config "$rp" 4096 hdr=1 exp=4:2:3:16:3:16
    fx_pci devices/pci0000:00 0000:00:1f.3 0x8086 0xa348 0x040380 driver=snd_hda_intel iommu_group=12 \
        revision=0x10 subsys=0x1028:0x0869
    fx_pci_config "$FX_DEV" 4096 exp=9:0:0:0:0:0
    for fn in 0:0x1e87:0x030000:nouveau 1:0x10f8:0x040300:snd_hda_intel \
              2:0x1ad8:0x0c0330:xhci_hcd 3:0x1ad9:0x0c8000:nvidia-gpu; do
        IFS=: read -r i dev class drv <<< "$fn"
        fx_pci "$rp" "0000:01:00.$i" 0x10de "$dev" "$class" driver="$drv" iommu_group=15 revision=0xa1 \
            subsys=0x1458:0x37a8
        fx_pci_config "$FX_DEV" 4096 multi exp=0:0:3:16:1:16
    done
    gpu=$rp/0000:01:00.0
    for node in card0:0 renderD128:128; do
        minor=${node#*:}
        fx_device "$gpu/drm/${node%%:*}" class drm "MAJOR=226" "MINOR=$minor" "DEVNAME=dri/${node%%:*}" \
            "DEVTYPE=drm_minor"
        fx_attr "$FX_DEV" dev "226:$minor"
        fx_link "$FX_DEV" "dev/char/226:$minor"
    done
    fx_device "$gpu/drm/card0/card0-HDMI-A-1" class drm "DEVTYPE=drm_connector"
    fx_attr "$FX_DEV" status disconnected
}
