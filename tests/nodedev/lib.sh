# tests/nodedev/lib.sh: helpers that build a fake sysfs tree (a "fixture")
# that nodedevd and its tests mount on /sys in a mount namespace of their
# own (plans/nodedev14-plan.md, "Fake trees").  Sourced by mkfixture.sh;
# bash.
#
# What libsystemd's sd-device needs from such a tree, and so what these
# helpers make:
#   - a device is a directory under devices/ holding a "uevent" file
#     (KEY=VALUE lines: the kernel's uevent properties) and a "subsystem"
#     symlink to bus/NAME or class/NAME (its last component is the
#     subsystem);
#   - the enumerator finds devices through bus/NAME/devices/SYSNAME and
#     class/NAME/SYSNAME symlinks to them;
#   - the bound driver is a "driver" symlink to bus/BUS/drivers/DRIVER;
#   - attributes are plain files in the device directory (sd-device strips
#     one trailing newline); symlink attributes (iommu_group, device) are
#     read as their last component.
# sd-device also checks (statfs) that a device's directory is on a sysfs:
# whoever mounts a fixture on /sys must run with SYSTEMD_DEVICE_VERIFY_SYSFS=0
# in the environment (sd-device's documented switch; nodedev_fixture_enter()
# and nodedevd's sysfs_root set it), or only the computer is found.
# Every symlink is relative, so the tree reads the same where it is built
# and once mounted on /sys.
#
# Paths given to and printed by the helpers are relative to the fixture
# root (no leading /): "devices/pci0000:00/0000:00:03.0".  Each helper that
# makes a device sets FX_DEV to that path, so calls chain:
#
#     fx_init "$dir"
#     fx_pci_root 0000:00
#     fx_pci devices/pci0000:00 0000:00:03.0 0x1af4 0x1041 0x020000 driver=virtio-pci iommu_group=3
#     pci=$FX_DEV
#     fx_virtio "$pci" virtio2 1 virtio_net
#     fx_net "$FX_DEV" eth0 02:fc:00:00:00:01
#
# The helpers (each documented where it is defined):
#   fx_init DIR                          start a tree (first)
#   fx_device DEVPATH bus|class SUBSYS [K=V...]   any device: uevent, subsystem, bus/class link
#   fx_dir DEVPATH [K=V...]              a directory with a uevent and no subsystem
#   fx_attr DEVPATH NAME VALUE           an attribute file
#   fx_uevent_add DEVPATH K=V...         more uevent properties (DEVTYPE=usb_device...)
#   fx_driver DEVPATH BUS DRIVER         bind to a driver
#   fx_link TARGET LINK                  a relative symlink inside the tree
#   fx_pci_root 0000:00                  the host bridge directory
#   fx_pci PARENT ADDR VENDOR DEVICE CLASS [driver= iommu_group= subsys= ...]
#   fx_pci_config DEVPATH SIZE [...]     binary config space: pci-config.sh (source it)
#   fx_iommu_group DEVPATH N             IOMMU group membership
#   fx_virtio PARENT virtioN ID [DRIVER] a virtio bus device below a PCI function
#   fx_net PARENT IFNAME MAC [...]       a network interface (PARENT devices/virtual: virtual)
#   fx_block PARENT NAME MAJ:MIN SECTORS [...]    a disk (or devtype=partition)
#   fx_dmi KEY=VALUE...                  DMI (absent unless called)
# Devices of other families (usb, scsi, drm, mdev) are fx_device + fx_attr
# + fx_uevent_add calls, e.g. a USB device:
#     fx_device devices/pci0000:00/0000:00:1d.0/usb2/2-1 bus usb DEVTYPE=usb_device \
#         DEVNAME=bus/usb/002/002 BUSNUM=002 DEVNUM=002 PRODUCT=46d/c52b/1211
#     fx_attr "$FX_DEV" idVendor 046d
#
# A fixture is a file fixture-NAME.sh here defining fixture_NAME (with '-'
# in NAME made '_'), which gets the root directory as $1 and builds the tree
# with these helpers (fx_init first).  tests/nodedev/mkfixture.sh NAME DIR
# runs it; tests/nodedev/fixtures.list names the fixtures that
# check_nodedevd_fixtures compares with their goldens in
# tests/nodedevxml/NAME/ (MV_REGEN=1 rewrites those), naming PCI vendors
# and products from tests/nodedev/pci.ids: a fixture with new PCI ids adds
# their lines from /usr/share/misc/pci.ids there.
#
# Helpers fail (return non-zero, with a message on stderr) on a bad call;
# mkfixture.sh runs with set -e, so a broken fixture stops there.

# The fixture root, set by fx_init.
FX_ROOT=
# The path of the device the last helper made.
FX_DEV=

fx_die() {
    echo "nodedev fixture: $*" >&2
    return 1
}

# fx_init DIR: starts a tree in DIR (made if missing, must be empty) with
# the directories sd-device walks: devices/, bus/, class/, block/,
# kernel/iommu_groups/.
fx_init() {
    [ -n "$1" ] || { fx_die "fx_init: no directory"; return 1; }
    mkdir -p "$1" || return 1
    [ -z "$(ls -A "$1")" ] || { fx_die "fx_init: '$1' is not empty"; return 1; }
    FX_ROOT=$(cd "$1" && pwd) || return 1
    mkdir -p "$FX_ROOT/devices/virtual" "$FX_ROOT/bus" "$FX_ROOT/class" "$FX_ROOT/block" \
        "$FX_ROOT/kernel/iommu_groups" "$FX_ROOT/dev/block" "$FX_ROOT/dev/char"
}

# fx_link TARGET LINK: LINK -> TARGET as a relative symlink (both paths
# relative to the root); LINK's directory is made.
fx_link() {
    local dir
    [ -n "$FX_ROOT" ] || { fx_die "fx_link: fx_init first"; return 1; }
    dir=$(dirname "$FX_ROOT/$2")
    mkdir -p "$dir" || return 1
    ln -sfn "$(realpath -m --relative-to="$dir" "$FX_ROOT/$1")" "$FX_ROOT/$2"
}

# fx_attr DEVPATH NAME VALUE: writes attribute NAME (may hold '/', e.g.
# queue/logical_block_size) of the device with VALUE and a newline, as
# sysfs shows it.
fx_attr() {
    mkdir -p "$(dirname "$FX_ROOT/$1/$2")" || return 1
    printf '%s\n' "$3" > "$FX_ROOT/$1/$2"
}

# fx_uevent_add DEVPATH KEY=VALUE...: appends properties to the device's
# uevent file.
fx_uevent_add() {
    local path=$1
    shift
    for kv in "$@"; do
        case $kv in
            *=*) printf '%s\n' "$kv" >> "$FX_ROOT/$path/uevent" ;;
            *) fx_die "fx_uevent_add: '$kv' is not KEY=VALUE"; return 1 ;;
        esac
    done
}

# fx_dir DEVPATH [KEY=VALUE...]: a directory with a uevent file but no
# subsystem (a PCI host bridge "pci0000:00", a "virtual" parent): sd-device
# sees it as a device, libvirt lists nothing for it, children walk through it.
fx_dir() {
    local path=$1
    shift
    mkdir -p "$FX_ROOT/$path" || return 1
    : > "$FX_ROOT/$path/uevent"
    fx_uevent_add "$path" "$@" || return 1
    FX_DEV=$path
}

# fx_device DEVPATH bus|class SUBSYSTEM [KEY=VALUE...]: the device at
# devices/... with a uevent file holding the properties, its subsystem
# symlink, and the enumerator's link: bus/SUBSYSTEM/devices/SYSNAME (a bus
# device: pci, usb, virtio, scsi, mdev) or class/SUBSYSTEM/SYSNAME (a class
# device: net, block, drm, scsi_host, dmi).
fx_device() {
    local path=$1 kind=$2 subsys=$3 sysname
    shift 3
    case $path in devices/*) ;; *) fx_die "fx_device: '$path' is not under devices/"; return 1 ;; esac
    sysname=${path##*/}
    fx_dir "$path" "$@" || return 1
    case $kind in
        bus)
            mkdir -p "$FX_ROOT/bus/$subsys/devices" "$FX_ROOT/bus/$subsys/drivers" || return 1
            fx_link "bus/$subsys" "$path/subsystem" || return 1
            fx_link "$path" "bus/$subsys/devices/$sysname" || return 1
            ;;
        class)
            mkdir -p "$FX_ROOT/class/$subsys" || return 1
            fx_link "class/$subsys" "$path/subsystem" || return 1
            fx_link "$path" "class/$subsys/$sysname" || return 1
            ;;
        *) fx_die "fx_device: kind '$kind' is neither bus nor class"; return 1 ;;
    esac
    FX_DEV=$path
}

# fx_driver DEVPATH BUS DRIVER: binds the device to DRIVER: the driver
# symlink, the driver directory's link back to the device, DRIVER= in
# uevent (the kernel says both).
fx_driver() {
    local path=$1 bus=$2 driver=$3
    mkdir -p "$FX_ROOT/bus/$bus/drivers/$driver" || return 1
    fx_link "bus/$bus/drivers/$driver" "$path/driver" || return 1
    fx_link "$path" "bus/$bus/drivers/$driver/${path##*/}" || return 1
    fx_uevent_add "$path" "DRIVER=$driver"
}

# fx_pci_root DOMAIN:BUS: the host bridge directory devices/pciDOMAIN:BUS
# ("0000:00") that the root bus's functions sit in; FX_DEV is its path.
fx_pci_root() {
    fx_dir "devices/pci$1"
}

# fx_pci PARENT ADDR VENDOR DEVICE CLASS [OPTION...]: a PCI function ADDR
# ("0000:00:03.0") below PARENT (a root from fx_pci_root, or a bridge
# function for a function behind it) with attributes vendor, device, class
# ("0x8086" "0x0d57" "0x060000", as sysfs writes them), subsystem_vendor,
# subsystem_device, revision, numa_node, enable, and uevent's PCI_CLASS,
# PCI_ID, PCI_SUBSYS_ID, PCI_SLOT_NAME, MODALIAS.  OPTIONs:
#   driver=NAME          bound to NAME (fx_driver)
#   iommu_group=N        in IOMMU group N (fx_iommu_group)
#   subsys=VENDOR:DEVICE subsystem ids (default: VENDOR:DEVICE)
#   revision=0xNN        (default 0x00)
#   numa_node=N          (default -1)
#   attr:NAME=VALUE      any other attribute (sriov_totalvfs, ...)
fx_pci() {
    local parent=$1 addr=$2 vendor=$3 device=$4 class=$5 path opt
    local driver= group= subsys= revision=0x00 numa=-1 sv sd v d c
    shift 5
    [[ $addr =~ ^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7]$ ]] || { fx_die "fx_pci: bad address '$addr'"; return 1; }
    for v in "$vendor" "$device"; do
        [[ $v =~ ^0x[0-9a-f]{4}$ ]] || { fx_die "fx_pci: bad id '$v' (0x and 4 lower-case hex digits)"; return 1; }
    done
    [[ $class =~ ^0x[0-9a-f]{6}$ ]] || { fx_die "fx_pci: bad class '$class' (0x and 6 hex digits)"; return 1; }
    path=$parent/$addr
    for opt in "$@"; do
        case $opt in
            driver=*) driver=${opt#driver=} ;;
            iommu_group=*) group=${opt#iommu_group=} ;;
            subsys=*) subsys=${opt#subsys=} ;;
            revision=*) revision=${opt#revision=} ;;
            numa_node=*) numa=${opt#numa_node=} ;;
            attr:*=*) ;;
            *) fx_die "fx_pci: unknown option '$opt'"; return 1 ;;
        esac
    done
    [ -n "$subsys" ] || subsys=$vendor:$device
    sv=${subsys%%:*} sd=${subsys#*:}
    v=${vendor#0x} d=${device#0x} c=${class#0x}
    fx_device "$path" bus pci \
        "PCI_CLASS=$(printf '%X' $((16#$c)))" \
        "PCI_ID=${v^^}:${d^^}" \
        "PCI_SUBSYS_ID=${sv#0x}:${sd#0x}" \
        "PCI_SLOT_NAME=$addr" \
        "MODALIAS=pci:v0000${v^^}d0000${d^^}sv0000${sv#0x}sd0000${sd#0x}bc${c:0:2}sc${c:2:2}i${c:4:2}" || return 1
    # the kernel writes PCI_SUBSYS_ID and MODALIAS in upper case too
    sed -i -e "s/^PCI_SUBSYS_ID=.*/\U&/" -e "s/^\(MODALIAS=pci:\)\(.*\)/\1\U\2/" \
        -e "s/^\(MODALIAS=pci:\)V\(.*\)D\(.*\)SV\(.*\)SD\(.*\)BC\(.*\)SC\(.*\)I/\1v\2d\3sv\4sd\5bc\6sc\7i/" \
        "$FX_ROOT/$path/uevent" || return 1
    fx_attr "$path" vendor "$vendor" && fx_attr "$path" device "$device" && fx_attr "$path" class "$class" &&
        fx_attr "$path" subsystem_vendor "$sv" && fx_attr "$path" subsystem_device "$sd" &&
        fx_attr "$path" revision "$revision" && fx_attr "$path" numa_node "$numa" &&
        fx_attr "$path" enable 1 && fx_attr "$path" driver_override "(null)" || return 1
    for opt in "$@"; do
        case $opt in attr:*=*) opt=${opt#attr:}; fx_attr "$path" "${opt%%=*}" "${opt#*=}" || return 1 ;; esac
    done
    if [ -n "$driver" ]; then fx_driver "$path" pci "$driver" || return 1; fi
    if [ -n "$group" ]; then fx_iommu_group "$path" "$group" || return 1; fi
    FX_DEV=$path
}

# fx_iommu_group DEVPATH N: puts the device in IOMMU group N:
# kernel/iommu_groups/N/devices/SYSNAME and DEVPATH/iommu_group -> the group.
fx_iommu_group() {
    mkdir -p "$FX_ROOT/kernel/iommu_groups/$2/devices" || return 1
    fx_link "$1" "kernel/iommu_groups/$2/devices/${1##*/}" || return 1
    fx_link "kernel/iommu_groups/$2" "$1/iommu_group"
}

# fx_virtio PARENT NAME DEVICE_ID [DRIVER]: the virtio bus device NAME
# ("virtio2") of a virtio PCI function PARENT; DEVICE_ID is virtio's (1
# net, 2 block), its vendor is 0x1af4.  DRIVER: virtio_net, virtio_blk...
fx_virtio() {
    local path=$1/$2
    fx_device "$path" bus virtio "MODALIAS=virtio:d$(printf '%08d' "$3")v00001AF4" || return 1
    fx_attr "$path" device "$(printf '0x%04x' "$3")" && fx_attr "$path" vendor 0x1af4 || return 1
    if [ -n "$4" ]; then fx_driver "$path" virtio "$4" || return 1; fi
    FX_DEV=$path
}

# fx_net PARENT IFNAME MAC [OPTION...]: network interface IFNAME at
# PARENT/net/IFNAME (PARENT "devices/virtual" for a virtual link such as lo
# or a bridge), class net, uevent INTERFACE and IFINDEX, attributes
# address, addr_len, type, mtu, operstate, carrier, speed, flags, ifindex,
# and the "device" link to PARENT for a physical one.  OPTIONs:
#   ifindex=N (default: 1 + the number of interfaces so far)
#   operstate=up|down|unknown (default up)   speed=MBITS (default -1)
#   type=N (ARPHRD, default 1)               mtu=N (default 1500)
#   attr:NAME=VALUE any other attribute
fx_net() {
    local parent=$1 ifname=$2 mac=$3 path opt
    local ifindex operstate=up speed=-1 type=1 mtu=1500
    shift 3
    path=$parent/net/$ifname
    mkdir -p "$FX_ROOT/class/net" || return 1
    ifindex=$(find "$FX_ROOT/class/net" -mindepth 1 -maxdepth 1 | wc -l)
    ifindex=$((ifindex + 1))
    for opt in "$@"; do
        case $opt in
            ifindex=*) ifindex=${opt#*=} ;;
            operstate=*) operstate=${opt#*=} ;;
            speed=*) speed=${opt#*=} ;;
            type=*) type=${opt#*=} ;;
            mtu=*) mtu=${opt#*=} ;;
            attr:*=*) ;;
            *) fx_die "fx_net: unknown option '$opt'"; return 1 ;;
        esac
    done
    fx_device "$path" class net "INTERFACE=$ifname" "IFINDEX=$ifindex" || return 1
    fx_attr "$path" address "$mac" && fx_attr "$path" addr_len 6 && fx_attr "$path" type "$type" &&
        fx_attr "$path" mtu "$mtu" && fx_attr "$path" operstate "$operstate" &&
        fx_attr "$path" carrier "$([ "$operstate" = up ] && echo 1 || echo 0)" &&
        fx_attr "$path" speed "$speed" && fx_attr "$path" flags 0x1003 &&
        fx_attr "$path" ifindex "$ifindex" && fx_attr "$path" dev_id 0x0 || return 1
    for opt in "$@"; do
        case $opt in attr:*=*) opt=${opt#attr:}; fx_attr "$path" "${opt%%=*}" "${opt#*=}" || return 1 ;; esac
    done
    case $parent in devices/virtual*) ;; *) fx_link "$parent" "$path/device" || return 1 ;; esac
    FX_DEV=$path
}

# fx_block PARENT NAME MAJOR:MINOR SECTORS [OPTION...]: disk NAME at
# PARENT/block/NAME, class block (and block/NAME), uevent MAJOR, MINOR,
# DEVNAME, DEVTYPE=disk, attributes dev, size (512-byte sectors), removable,
# ro, queue/logical_block_size, the "device" link to PARENT.  OPTIONs:
#   removable=0|1 (default 0)     ro=0|1 (default 0)
#   block_size=N (logical, default 512)
#   devtype=partition             a partition instead (PARENT: its disk)
#   attr:NAME=VALUE any other attribute (serial, device/model...)
fx_block() {
    local parent=$1 name=$2 majmin=$3 sectors=$4 path opt
    local removable=0 ro=0 bs=512 devtype=disk
    shift 4
    [[ $majmin =~ ^[0-9]+:[0-9]+$ ]] || { fx_die "fx_block: bad MAJOR:MINOR '$majmin'"; return 1; }
    for opt in "$@"; do
        case $opt in
            removable=*) removable=${opt#*=} ;;
            ro=*) ro=${opt#*=} ;;
            block_size=*) bs=${opt#*=} ;;
            devtype=*) devtype=${opt#*=} ;;
            attr:*=*) ;;
            *) fx_die "fx_block: unknown option '$opt'"; return 1 ;;
        esac
    done
    if [ "$devtype" = partition ]; then path=$parent/$name; else path=$parent/block/$name; fi
    fx_device "$path" class block "MAJOR=${majmin%:*}" "MINOR=${majmin#*:}" "DEVNAME=$name" \
        "DEVTYPE=$devtype" || return 1
    fx_attr "$path" dev "$majmin" && fx_attr "$path" size "$sectors" || return 1
    if [ "$devtype" = disk ]; then
        fx_attr "$path" removable "$removable" && fx_attr "$path" ro "$ro" &&
            fx_attr "$path" queue/logical_block_size "$bs" && fx_link "$parent" "$path/device" &&
            fx_link "$path" "block/$name" || return 1
    fi
    for opt in "$@"; do
        case $opt in attr:*=*) opt=${opt#attr:}; fx_attr "$path" "${opt%%=*}" "${opt#*=}" || return 1 ;; esac
    done
    fx_link "$path" "dev/block/$majmin" || return 1
    FX_DEV=$path
}

# fx_dmi KEY=VALUE...: the DMI class device devices/virtual/dmi/id
# (class/dmi/id) with one attribute per KEY: product_name, sys_vendor,
# product_version, product_serial, product_uuid, bios_vendor, bios_version,
# bios_date, board_vendor...  Without fx_dmi the machine has no DMI.
fx_dmi() {
    local kv path=devices/virtual/dmi/id
    fx_device "$path" class dmi "MODALIAS=dmi:fixture" || return 1
    for kv in "$@"; do
        case $kv in
            *=*) fx_attr "$path" "${kv%%=*}" "${kv#*=}" || return 1 ;;
            *) fx_die "fx_dmi: '$kv' is not KEY=VALUE"; return 1 ;;
        esac
    done
    FX_DEV=$path
}
