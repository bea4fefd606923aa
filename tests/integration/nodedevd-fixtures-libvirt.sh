#!/bin/bash
# The fixtures' goldens (tests/nodedevxml/FIXTURE/, what modvirt's library
# writes) against what Debian's libvirtd 9.0 says about the same fake sysfs
# tree (tests/nodedev/libvirt-fixture.sh: its nodedev driver alone, the
# fixture on /sys, in namespaces of its own).  The fixtures of SAME must
# match device for device, byte for byte, with the same parents; the
# others are compared too, their differences only reported (# lines): they
# hold devices libvirt cannot read without udevd (USB devices need udev's
# ID_VENDOR_ID) or on a fixture (PCI functions without a config file).
. "$top_srcdir/tests/integration/lib.sh"

SAME="host-basic sriov mdev vfio"
# pci-odd's malformed attributes keep libvirtd's enumeration from ending
UNREADABLE="pci-odd"
tool=$top_srcdir/tests/nodedev/libvirt-fixture.sh
fixtures=$(sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$top_srcdir/tests/nodedev/fixtures.list")

if [ "$(id -u)" != 0 ] || ! command -v libvirtd > /dev/null || ! command -v virsh > /dev/null; then
    echo "1..0 # SKIP needs root, libvirtd and virsh"
    exit 0
fi
mv_tmp_init
echo "1..$(printf '%s\n' $fixtures | wc -l)"

for fx in $fixtures; do
    out=$mv_tmp/$fx gold=$top_srcdir/tests/nodedevxml/$fx
    case " $UNREADABLE " in *" $fx "*) skip "$fx: libvirtd cannot read it"; continue ;; esac
    if ! timeout 30 "$tool" "$fx" "$out" > "$mv_tmp/$fx.out" 2>&1; then
        expect_fail "$tool $fx failed: $(tail -n 5 "$mv_tmp/$fx.out")"
        verdict "$fx: libvirtd on the fixture"
        continue
    fi
    differences=$(diff -r -x libvirtd.log -x tree.txt "$out" "$gold" || :)
    case " $SAME " in
        *" $fx "*)
            [ -z "$differences" ] || expect_fail "libvirt ($out) and tests/nodedevxml/$fx differ:"$'\n'"$differences"
            verdict "$fx: every device as libvirt writes it"
            ;;
        *)
            diag "$fx: libvirt and modvirt differ in $(printf '%s' "$differences" | grep -c '^[<>]') lines:"
            printf '%s\n' "$differences" | grep -E '^(Only in|diff|[<>])' | head -n 40 | sed 's/^/#   /'
            verdict "$fx: libvirtd read the fixture (differences reported above)"
            ;;
    esac
done
mv_done
