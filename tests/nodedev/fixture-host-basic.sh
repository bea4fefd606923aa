# host-basic: a small PC like the VM these tests run on: a host bridge, a
# virtio disk (vda, with a partition nobody lists) and a virtio NIC (eth0)
# on PCI, lo, and DMI present.  Debian's libvirtd reads it exactly as
# modvirt does (nodedevd-fixtures-libvirt.sh).
. "$(dirname "${BASH_SOURCE[0]}")/pci-config.sh"

fixture_host_basic() {
    local root=$1 blk net
    fx_init "$root"
    fx_dmi product_name="Standard PC (Q35 + ICH9, 2009)" sys_vendor=QEMU product_version=pc-q35-7.2 \
        product_uuid=5d8e0a2c-6f0b-4f5e-9c1a-2b3c4d5e6f70 bios_vendor="SeaBIOS" \
        bios_version=1.16.2-debian-1.16.2-1 bios_date=04/01/2014
    fx_pci_root 0000:00
    # config spaces as this VM's: the host bridge's is 4096 bytes with no
    # capability list, the virtio functions' 256
    fx_pci devices/pci0000:00 0000:00:00.0 0x8086 0x29c0 0x060000 subsys=0x1af4:0x1100
    fx_pci_config "$FX_DEV" 4096
    fx_pci devices/pci0000:00 0000:00:02.0 0x1af4 0x1042 0x010000 driver=virtio-pci iommu_group=1 revision=0x01
    blk=$FX_DEV
    fx_pci_config "$blk" 256
    fx_virtio "$blk" virtio1 2 virtio_blk
    fx_block "$FX_DEV" vda 254:0 41943040 attr:serial=
    # a partition: libvirt lists disks only
    fx_block "$FX_DEV" vda1 254:1 41940992 devtype=partition attr:partition=1 attr:start=2048
    fx_pci devices/pci0000:00 0000:00:03.0 0x1af4 0x1041 0x020000 driver=virtio-pci iommu_group=2 revision=0x01
    net=$FX_DEV
    fx_pci_config "$net" 256
    fx_virtio "$net" virtio2 1 virtio_net
    fx_net "$FX_DEV" eth0 52:54:00:12:34:56 ifindex=2
    fx_net devices/virtual lo 00:00:00:00:00:00 ifindex=1 operstate=unknown type=772 mtu=65536
}
