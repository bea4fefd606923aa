# usb: a USB tree behind an xHCI controller: the root hub usb1 with its hub
# interface, a QEMU tablet (1-1: ids and names in usb.ids), a device whose
# vendor usb.ids knows but not its product (1-2: the product string the
# device reports is shown) and one usb.ids does not know and that reports
# no strings (1-3: ids only), each with an interface.

# fx_usb_device PARENT SYSNAME BUS DEV VENDOR PRODUCT CLASS [attr:NAME=VALUE...]:
# a usb_device (bus usb, driver usb) as the kernel shows it: uevent
# DEVTYPE, PRODUCT, TYPE, BUSNUM, DEVNUM and its node bus/usb/BBB/DDD;
# attributes idVendor, idProduct, bcdDevice, busnum, devnum, bDeviceClass,
# speed.  VENDOR, PRODUCT: 4 hex digits; CLASS: 2.
fx_usb_device() {
    local parent=$1 sysname=$2 bus=$3 dev=$4 vendor=$5 product=$6 class=$7 path opt
    shift 7
    path=$parent/$sysname
    fx_device "$path" bus usb "MAJOR=189" "MINOR=$(( (bus - 1) * 128 + dev - 1 ))" \
        "DEVNAME=$(printf 'bus/usb/%03d/%03d' "$bus" "$dev")" DEVTYPE=usb_device \
        "PRODUCT=$(printf '%x/%x/100' "$((16#$vendor))" "$((16#$product))")" "TYPE=$((16#$class))/0/0" \
        "BUSNUM=$(printf '%03d' "$bus")" "DEVNUM=$(printf '%03d' "$dev")" || return 1
    fx_attr "$path" idVendor "$vendor" && fx_attr "$path" idProduct "$product" &&
        fx_attr "$path" bcdDevice 0100 && fx_attr "$path" busnum "$bus" &&
        fx_attr "$path" devnum "$dev" && fx_attr "$path" bDeviceClass "$class" &&
        fx_attr "$path" speed 480 || return 1
    for opt in "$@"; do
        case $opt in
            attr:*=*) opt=${opt#attr:}; fx_attr "$path" "${opt%%=*}" "${opt#*=}" || return 1 ;;
            *) fx_die "fx_usb_device: unknown option '$opt'"; return 1 ;;
        esac
    done
    fx_driver "$path" usb usb || return 1
    FX_DEV=$path
}

# fx_usb_interface DEVICE SYSNAME CLASS SUBCLASS PROTOCOL [DRIVER]: interface
# SYSNAME ("1-1:1.0": configuration 1, interface 0) of DEVICE, devtype
# usb_interface; the descriptor fields in hex as sysfs writes them.
fx_usb_interface() {
    local path=$1/$2 number=${2##*.} class=$3 subclass=$4 protocol=$5
    fx_device "$path" bus usb DEVTYPE=usb_interface \
        "INTERFACE=$((16#$class))/$((16#$subclass))/$((16#$protocol))" || return 1
    fx_attr "$path" bInterfaceNumber "$(printf '%02x' "$number")" &&
        fx_attr "$path" bAlternateSetting " 0" && fx_attr "$path" bNumEndpoints 01 &&
        fx_attr "$path" bInterfaceClass "$class" && fx_attr "$path" bInterfaceSubClass "$subclass" &&
        fx_attr "$path" bInterfaceProtocol "$protocol" || return 1
    if [ -n "${6:-}" ]; then fx_driver "$path" usb "$6" || return 1; fi
    FX_DEV=$path
}

fixture_usb() {
    local root=$1 xhci hub dev
    fx_init "$root"
    fx_pci_root 0000:00
    fx_pci devices/pci0000:00 0000:00:04.0 0x1b36 0x000d 0x0c0330 driver=xhci_hcd iommu_group=4 revision=0x01
    xhci=$FX_DEV
    fx_usb_device "$xhci" usb1 1 1 1d6b 0002 09 "attr:manufacturer=Linux 6.1.0-18-amd64 xhci-hcd" \
        "attr:product=xHCI Host Controller" attr:serial=0000:00:04.0
    hub=$FX_DEV
    fx_usb_interface "$hub" 1-0:1.0 09 00 00 hub
    fx_usb_device "$hub" 1-1 1 2 0627 0001 00 attr:manufacturer=QEMU "attr:product=QEMU USB Tablet" \
        attr:serial=28754-0000:00:04.0-1
    fx_usb_interface "$FX_DEV" 1-1:1.0 03 00 00 usbhid
    fx_usb_device "$hub" 1-2 1 3 0627 0fff ef "attr:manufacturer=Fixture & Co" \
        "attr:product=Fixture <Serial> Adapter"
    dev=$FX_DEV
    fx_usb_interface "$dev" 1-2:1.0 02 02 01
    fx_usb_interface "$dev" 1-2:1.1 0a 00 00
    fx_usb_device "$hub" 1-3 1 4 f1f0 0001 ff
    fx_usb_interface "$FX_DEV" 1-3:1.0 ff 01 02
}
