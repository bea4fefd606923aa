# tests/nodedev/pci-config.sh: the "config" file (PCI configuration space)
# of a fixture's PCI function, for the fixtures whose functions show a
# header type or PCI Express facts (what cap_pci.c reads, as libvirt does).
# Sourced by a fixture file after lib.sh; bash.
#
# fx_pci_config DEVPATH SIZE [OPTION...]: writes DEVPATH/config, SIZE bytes
# (256 for a conventional function, 4096 for PCI Express), from the
# function's vendor, device, class and revision attributes (so after
# fx_pci).  OPTIONs:
#   hdr=N        header type: 0 endpoint (default), 1 PCI bridge, 2 CardBus
#   multi        the multi-function bit of the header type
#   exp=TYPE:PORT:CAP_SPEED:CAP_WIDTH:STA_SPEED:STA_WIDTH
#                a PCI Express capability at 0x40 (the only one in the
#                list): device/port type (0 endpoint, 4 root port, 9 root
#                complex integrated endpoint...), the link capabilities'
#                port number, speed code (1 2.5GT/s, 2 5, 3 8, 4 16...) and
#                width, and the link status' speed and width
#   byte=OFF:VAL one raw byte, written last (a broken capability list...)
# Without exp the capability list is empty (the status register says so).
fx_pci_config() {
    local path=$1 size=$2 hdr=0 multi=0 exp= opt i v d c r
    local -a b raw=()
    shift 2
    for opt in "$@"; do
        case $opt in
            hdr=*) hdr=${opt#hdr=} ;;
            multi) multi=1 ;;
            exp=*) exp=${opt#exp=} ;;
            byte=*:*) raw+=("${opt#byte=}") ;;
            *) fx_die "fx_pci_config: unknown option '$opt'"; return 1 ;;
        esac
    done
    [[ $size =~ ^(256|4096)$ ]] || { fx_die "fx_pci_config: size '$size' is neither 256 nor 4096"; return 1; }
    v=$(< "$FX_ROOT/$path/vendor") d=$(< "$FX_ROOT/$path/device") c=$(< "$FX_ROOT/$path/class") ||
        { fx_die "fx_pci_config: '$path' is no fx_pci function"; return 1; }
    r=$(< "$FX_ROOT/$path/revision")
    for ((i = 0; i < 256; i++)); do b[i]=0; done
    fx_cfg_put b 0x00 2 "$v"
    fx_cfg_put b 0x02 2 "$d"
    fx_cfg_put b 0x08 1 "$r"
    fx_cfg_put b 0x09 3 "$c"
    fx_cfg_put b 0x0e 1 $((hdr | multi << 7))
    if [ -n "$exp" ]; then
        local type port cs cw ss sw
        IFS=: read -r type port cs cw ss sw <<< "$exp"
        [ -n "$sw" ] || { fx_die "fx_pci_config: exp='$exp' needs 6 fields"; return 1; }
        fx_cfg_put b 0x06 2 0x0010                          # status: capability list
        fx_cfg_put b 0x34 1 0x40                            # first capability
        fx_cfg_put b 0x40 1 0x10                            # PCI Express, last in the list
        fx_cfg_put b 0x42 2 $((2 | type << 4))              # version 2, device/port type
        fx_cfg_put b 0x4c 4 $((cs | cw << 4 | port << 24))  # link capabilities
        fx_cfg_put b 0x52 2 $((ss | sw << 4))               # link status
    fi
    for opt in "${raw[@]}"; do
        fx_cfg_put b "${opt%%:*}" 1 "${opt#*:}"
    done
    printf "$(printf '\\x%02x' "${b[@]}")" > "$FX_ROOT/$path/config" &&
        truncate -s "$size" "$FX_ROOT/$path/config"
}

# fx_cfg_put ARRAY OFFSET LEN VALUE: VALUE little-endian into LEN bytes of
# the byte array named ARRAY at OFFSET.
fx_cfg_put() {
    local -n arr=$1
    local off=$(($2)) len=$3 val=$(($4)) i
    for ((i = 0; i < len; i++)); do
        arr[off + i]=$(((val >> (8 * i)) & 0xff))
    done
}
