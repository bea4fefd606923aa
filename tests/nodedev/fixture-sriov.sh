# sriov: an SR-IOV NIC behind a PCI Express root port: physical function
# 0000:03:00.0 (82576, igb) with two virtual functions enabled (03:10.0 and
# 03:10.2, igbvf) and its second port 0000:03:00.1 with none enabled.  What
# the tree shows: <capability type='virt_functions' maxCount='7'> with the
# VFs' addresses on the first PF, an empty one on the second, <capability
# type='phys_function'> on each VF, the root port's pci-bridge capability,
# NUMA node 0 and the PCI Express links (a VF's link registers are reserved,
# so zero).
. "$(dirname "${BASH_SOURCE[0]}")/pci-config.sh"

fixture_sriov() {
    local rp pf pf2 vf i
    fx_init "$1"
    fx_pci_root 0000:00
    fx_pci devices/pci0000:00 0000:00:1c.0 0x8086 0x1d10 0x060400 driver=pcieport revision=0x07
    rp=$FX_DEV
    fx_pci_config "$rp" 4096 hdr=1 multi exp=4:1:2:4:1:4
    fx_pci "$rp" 0000:03:00.0 0x8086 0x10c9 0x020000 driver=igb numa_node=0 revision=0x01 \
        subsys=0x8086:0xa03c attr:sriov_totalvfs=7 attr:sriov_numvfs=2
    pf=$FX_DEV
    fx_pci_config "$pf" 4096 multi exp=0:0:2:4:2:4
    fx_pci "$rp" 0000:03:00.1 0x8086 0x10c9 0x020000 driver=igb numa_node=0 revision=0x01 \
        subsys=0x8086:0xa03c attr:sriov_totalvfs=7 attr:sriov_numvfs=0
    pf2=$FX_DEV
    fx_pci_config "$pf2" 4096 multi exp=0:0:2:4:2:4
    for i in 0 1; do
        fx_pci "$rp" "0000:03:10.$((i * 2))" 0x8086 0x10ca 0x020000 driver=igbvf numa_node=0 revision=0x01 \
            subsys=0x8086:0xa03c
        vf=$FX_DEV
        fx_pci_config "$vf" 4096 exp=0:0:0:0:0:0
        fx_link "$pf" "$vf/physfn"
        fx_link "$vf" "$pf/virtfn$i"
    done
}
