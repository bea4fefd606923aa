# scsi: SCSI hosts and what hangs off them.  A Fibre Channel HBA (lpfc,
# host5) with its fc_host (WWNs, fabric, NPIV: vport_create) and a remote
# port whose target holds a disk (sdb, with a partition libvirt does not
# list) and its sg node; an NPIV virtual port of it (host6: fc_host without
# vport_ops); a virtio-scsi host (host0, no FC) with a CD-ROM holding a
# medium (sr0) and an empty one (sr1).  And the disks around them that
# libvirt's rule lists (an NVMe namespace) or does not (loop0, zram0).

# fx_scsi_host PARENT N UNIQUE_ID: hostN (bus scsi, devtype scsi_host) and
# its scsi_host class device holding unique_id.
fx_scsi_host() {
    local path=$1/host$2
    fx_device "$path" bus scsi DEVTYPE=scsi_host || return 1
    fx_device "$path/scsi_host/host$2" class scsi_host || return 1
    fx_attr "$path/scsi_host/host$2" unique_id "$3" || return 1
    FX_DEV=$path
}

# fx_fc_host HOST N WWNN WWPN FABRIC [MAX_VPORTS INUSE]: the fc_host class
# device of HOST; with the vport counts, an NPIV-capable port (vport_create).
fx_fc_host() {
    local path=$1/fc_host/host$2
    fx_device "$path" class fc_host || return 1
    fx_attr "$path" node_name "$3" && fx_attr "$path" port_name "$4" &&
        fx_attr "$path" fabric_name "$5" && fx_attr "$path" port_state Online || return 1
    if [ -n "${6:-}" ]; then
        fx_attr "$path" max_npiv_vports "$6" && fx_attr "$path" npiv_vports_inuse "$7" &&
            : > "$FX_ROOT/$path/vport_create" && : > "$FX_ROOT/$path/vport_delete" || return 1
    fi
}

# fx_scsi_target PARENT H:B:T: targetH:B:T (bus scsi, devtype scsi_target)
fx_scsi_target() {
    fx_device "$1/target$2" bus scsi DEVTYPE=scsi_target
}

# fx_scsi_lun TARGET H:B:T:L TYPE VENDOR MODEL DRIVER: a logical unit (bus
# scsi, devtype scsi_device) with INQUIRY's fixed-width vendor and model,
# and its scsi_device class device (not a node device).
fx_scsi_lun() {
    local path=$1/$2
    fx_device "$path" bus scsi DEVTYPE=scsi_device "MODALIAS=scsi:t-0x$(printf '%02x' "$3")" || return 1
    fx_attr "$path" type "$3" && fx_attr "$path" vendor "$4" && fx_attr "$path" model "$5" &&
        fx_attr "$path" rev 2.5+ && fx_attr "$path" state running || return 1
    fx_driver "$path" scsi "$6" || return 1
    fx_device "$path/scsi_device/$2" class scsi_device || return 1
    FX_DEV=$path
}

# fx_sg LUN N: the generic node sgN of LUN (class scsi_generic, char 21:N)
fx_sg() {
    fx_device "$1/scsi_generic/sg$2" class scsi_generic MAJOR=21 "MINOR=$2" "DEVNAME=sg$2" || return 1
    fx_attr "$FX_DEV" dev "21:$2"
}

fixture_scsi() {
    local root=$1 hba host rport lun vscsi
    fx_init "$root"
    fx_pci_root 0000:00
    fx_pci devices/pci0000:00 0000:00:05.0 0x10df 0xe200 0x0c0400 driver=lpfc iommu_group=5 revision=0x03
    hba=$FX_DEV
    fx_scsi_host "$hba" 5 1
    host=$FX_DEV
    fx_fc_host "$host" 5 0x20000000c9848140 0x10000000c9848140 0x2002000573de9a81 255 1
    fx_dir "$host/rport-5:0-0"
    rport=$FX_DEV
    fx_device "$rport/fc_remote_ports/rport-5:0-0" class fc_remote_ports
    fx_attr "$FX_DEV" port_name 0x50050768014052b4
    fx_attr "$FX_DEV" node_name 0x50050768010052b4
    fx_attr "$FX_DEV" roles "FCP Target"
    fx_scsi_target "$rport" 5:0:0
    fx_scsi_lun "$FX_DEV" 5:0:0:0 0 "IBM     " "2145            " sd
    lun=$FX_DEV
    fx_block "$lun" sdb 8:16 20971520
    fx_block "$FX_DEV" sdb1 8:17 2048 devtype=partition
    fx_sg "$lun" 1
    # the NPIV port created on host5
    fx_dir "$host/vport-5:0-0"
    fx_scsi_host "$FX_DEV" 6 2
    fx_fc_host "$FX_DEV" 6 0x5001a4a000000001 0x5001a4a000000002 0x2002000573de9a81

    fx_pci devices/pci0000:00 0000:00:06.0 0x1af4 0x1048 0x010000 driver=virtio-pci iommu_group=6 revision=0x01
    fx_virtio "$FX_DEV" virtio3 8 virtio_scsi
    vscsi=$FX_DEV
    fx_scsi_host "$vscsi" 0 0
    host=$FX_DEV
    fx_scsi_target "$host" 0:0:0
    fx_scsi_lun "$FX_DEV" 0:0:0:0 5 "QEMU    " "QEMU CD-ROM     " sr
    lun=$FX_DEV
    fx_block "$lun" sr0 11:0 1228800 removable=1 block_size=2048
    fx_sg "$lun" 0
    fx_scsi_target "$host" 0:0:1
    fx_scsi_lun "$FX_DEV" 0:0:1:0 5 "QEMU    " "QEMU CD-ROM     " sr
    lun=$FX_DEV
    fx_block "$lun" sr1 11:1 0 removable=1 block_size=2048
    fx_sg "$lun" 2

    fx_pci devices/pci0000:00 0000:00:07.0 0x1b36 0x0010 0x010802 driver=nvme iommu_group=7 revision=0x02
    fx_device "$FX_DEV/nvme/nvme0" class nvme MAJOR=241 MINOR=0 DEVNAME=nvme0
    fx_attr "$FX_DEV" model "QEMU NVMe Ctrl"
    fx_attr "$FX_DEV" serial "deadbeef"
    # a namespace sits right in its controller (no block/ directory)
    fx_device "$FX_DEV/nvme0n1" class block MAJOR=259 MINOR=0 DEVNAME=nvme0n1 DEVTYPE=disk
    fx_attr "$FX_DEV" size 8388608
    fx_attr "$FX_DEV" removable 0
    fx_attr "$FX_DEV" queue/logical_block_size 4096
    fx_link "${FX_DEV%/*}" "$FX_DEV/device"
    fx_link "$FX_DEV" block/nvme0n1
    fx_link "$FX_DEV" dev/block/259:0
    # virtual disks have no device behind them
    fx_block devices/virtual loop0 7:0 0
    rm "$FX_ROOT/$FX_DEV/device"
    fx_block devices/virtual zram0 253:0 2097152
    rm "$FX_ROOT/$FX_DEV/device"
}
