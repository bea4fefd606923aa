#!/bin/bash
# Define (and create) refuse a host path no guest may have
# (qemud/guest_path_policy.c), naming the domain, the device, the path and
# the rule, with Debian's virsh: /etc/shadow as a disk, /dev/mem (or a node
# with its numbers) as a kernel, /proc/self/environ, a symlink to
# /etc/shadow, /tmp/../etc/shadow, the daemon's own directories, an entry
# of the path_denylist of the daemon's configuration (which adds to the
# defaults: /etc/passwd, /boot/ stay refused), a hard link to a denied
# file, an emulator or virtiofsd binary others than root could change; a
# plain file is accepted.  Nothing boots: every case is a define.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"

mv_init 13
use_root root
# the test's own files, outside the daemon's --root (which $mv_tmp holds)
files=$mv_tmp/files
mkdir -p "$files"
: >"$files/secret.key"
write_config "$MV_ROOT" "path_denylist = [ \"$files/private/\", \"$files/secret.key\" ]"
start_daemon

note='(path_denylist in modvirt-qemud.conf)'
proc_note='files under /proc and /sys are never given to a guest'
chr_note='is a character device, which a guest never gets as a disk, kernel or file'

# xml NAME OS DEVICES: a domain definition
xml() {
    printf "<domain type='qemu'><name>%s</name><memory unit='MiB'>64</memory><vcpu>1</vcpu>" "$1"
    printf "<os><type arch='x86_64'>hvm</type>%s</os><devices><memballoon model='none'/>%s</devices></domain>\n" \
        "$2" "$3"
}
disk() { printf "<disk type='file'><source file='%s'/><target dev='vda' bus='virtio'/></disk>" "$1"; }

# has WHAT TEXT GOT: GOT contains TEXT, word for word
has() { [[ "$3" == *"$2"* ]] || expect_fail "$1: expected '$2' in '$3'"; }

# refused NAME OS DEVICES MESSAGE: virsh define fails with MESSAGE and the
# domain does not exist afterwards
refused() {
    xml "$1" "$2" "$3" >"$mv_tmp/$1.xml"
    vsh define "$mv_tmp/$1.xml"
    expect_eq "$1: define exit status" 1 "$rc"
    has "$1: message" "error: unsupported configuration: $4" "$err"
    vsh dominfo "$1"
    expect_eq "$1: dominfo after the refused define" 1 "$rc"
}

# 1
refused ps1 "" "$(disk /etc/shadow)" "disk 'vda' of domain 'ps1': '/etc/shadow' is on the path denylist $note"
# create (a transient domain) is checked the same way
vsh create "$mv_tmp/ps1.xml"
expect_eq "create exit status" 1 "$rc"
has "create message" "disk 'vda' of domain 'ps1': '/etc/shadow' is on the path denylist $note" "$err"
verdict "/etc/shadow as a disk is refused at define and create, naming the domain, the disk, the path and the rule"

# 2
if [ -c /dev/mem ]; then
    mem=/dev/mem
else
    mem=$files/mem                  # /dev/mem's numbers, where the container has no /dev/mem
    mknod "$mem" c 1 1
fi
refused ps2 "<kernel>$mem</kernel>" "" "kernel of domain 'ps2': '$mem' $chr_note"
refused ps2b "" "$(disk /dev/kmsg)" "disk 'vda' of domain 'ps2b': '/dev/kmsg' $chr_note"
verdict "a character device ($mem as the kernel, /dev/kmsg as a disk) is refused"

# 3
refused ps3 "" "$(disk /proc/self/environ)" \
    "disk 'vda' of domain 'ps3': '/proc/self/environ' is under /proc: $proc_note"
refused ps3b "<kernel>$files/vmlinuz</kernel><initrd>/sys/kernel/notes</initrd>" "" \
    "initrd of domain 'ps3b': '/sys/kernel/notes' is under /sys: $proc_note"
verdict "files under /proc and /sys are refused"

# 4
ln -s /etc/shadow "$files/disk.img"
refused ps4 "" "$(disk "$files/disk.img")" \
    "disk 'vda' of domain 'ps4': '$files/disk.img' leads to '/etc/shadow', which is on the path denylist $note"
verdict "a symlink to /etc/shadow is refused, naming the link and where it leads"

# 5
refused ps5 "" "$(disk /tmp/../etc/shadow)" \
    "disk 'vda' of domain 'ps5': '/tmp/../etc/shadow' has a '..' component (write the path without one)"
refused ps5b "" "$(disk //etc//shadow)" \
    "disk 'vda' of domain 'ps5b': '//etc//shadow' leads to '/etc/shadow', which is on the path denylist $note"
verdict "'..' components and doubled slashes do not get around the denylist"

# 6
mkdir -p "$files/private"
: >"$files/private/key.img"
refused ps6 "" "$(disk "$files/private/key.img")" \
    "disk 'vda' of domain 'ps6': '$files/private/key.img' is under '$files/private/' on the path denylist $note"
refused ps6b "" "<serial type='file'><source path='$files/private/out.log'/></serial>" \
    "serial0 of domain 'ps6b': '$files/private/out.log' is under '$files/private/' on the path denylist $note"
verdict "an entry of path_denylist in the daemon's configuration is refused, a file or a tree (an output file too)"

# 7
refused ps7 "" "<filesystem type='mount'><source dir='/var'/><target dir='var'/></filesystem>" \
    "filesystem 'var' of domain 'ps7': '/var' holds '/var/spool/' of the path denylist $note"
verdict "a shared directory holding a denied path is refused"

# 8
: >"$files/plain.img"
mkdir -p "$files/privateer"
: >"$files/privateer/ok.img"
xml ok1 "" "$(disk "$files/plain.img")<disk type='file'><source file='$files/privateer/ok.img'/><target dev='vdb' bus='virtio'/></disk>
<rng model='virtio'><backend model='random'>/dev/urandom</backend></rng>" >"$mv_tmp/ok1.xml"
vsh define "$mv_tmp/ok1.xml"
expect_eq "define exit status" 0 "$rc"
expect_match "message" "^Domain 'ok1' defined from" "$out"
vsh dumpxml ok1
expect_match "its disk" "<source file=.$files/plain\\.img./>" "$out"
vsh undefine ok1
expect_eq "undefine exit status" 0 "$rc"
verdict "a plain file disk (and /dev/urandom as the rng, a namesake of a denied tree) is accepted"

# 9: the configured list names neither /etc/shadow nor /etc/: the defaults stay
refused ps9 "" "$(disk /etc/passwd)" "disk 'vda' of domain 'ps9': '/etc/passwd' is under '/etc/' on the path denylist $note"
refused ps9b "" "<serial type='file'><source path='/etc/cron.d/ps9b'/></serial>" \
    "serial0 of domain 'ps9b': '/etc/cron.d/ps9b' is under '/etc/' on the path denylist $note"
refused ps9c "<kernel>/boot/vmlinuz</kernel>" "" "kernel of domain 'ps9c': '/boot/vmlinuz' is under '/boot/' on the path denylist $note"
refused ps9d "" "$(disk /var/spool/cron/crontabs/root)" \
    "disk 'vda' of domain 'ps9d': '/var/spool/cron/crontabs/root' is under '/var/spool/' on the path denylist $note"
expect_eq "no cron file made" no "$([ -e /etc/cron.d/ps9b ] && echo yes || echo no)"
verdict "path_denylist adds to the defaults: /etc/passwd, a serial file in /etc/cron.d, /boot and /var/spool stay refused"

# 10
ln "$files/secret.key" "$files/innocent.img"
refused ps10 "" "$(disk "$files/innocent.img")" \
    "disk 'vda' of domain 'ps10': '$files/innocent.img' is the same file as '$files/secret.key' on the path denylist (a hard link to it; path_denylist in modvirt-qemud.conf)"
verdict "a hard link to a denied file is refused, naming both"

# 11
exec_note='(a program the daemon runs as root must be changeable by root alone)'
printf '#!/bin/sh\n' >"$files/emu"
chmod 0777 "$files/emu"
refused ps11 "" "<emulator>$files/emu</emulator>" "emulator of domain 'ps11': '$files/emu' is writable by group or others $exec_note"
mkdir -p "$files/pub"
chmod 0777 "$files/pub"
printf '#!/bin/sh\n' >"$files/pub/emu"
chmod 0755 "$files/pub/emu"
refused ps11b "" "<emulator>$files/pub/emu</emulator>" \
    "emulator of domain 'ps11b': '$files/pub/emu' is in '$files/pub', a directory writable by group or others $exec_note"
xml ok11 "" "<emulator>$(command -v qemu-system-x86_64)</emulator>" >"$mv_tmp/ok11.xml"
vsh define "$mv_tmp/ok11.xml"
expect_eq "the system's emulator: define exit status" 0 "$rc"
vsh undefine ok11
verdict "an emulator others than root could change (0777, or in a 0777 directory) is refused; the system's is accepted"

# 12
expect_daemon_alive
vsh list --all --name
expect_eq "no domain left" "" "$out"
verdict "the daemon is alive and no refused domain was kept"

# 13: a second daemon without path_denylist: the default, derived from its --root
use_root defaults
start_daemon
mkdir -p "$MV_ROOT/var/lib/modvirt/images"
: >"$MV_ROOT/var/lib/modvirt/images/user.img"
refused pd1 "" "$(disk /root/.bashrc)" "disk 'vda' of domain 'pd1': '/root/.bashrc' is under '/root/' on the path denylist $note"
refused pd2 "" "$(disk "$MV_ROOT/etc/modvirt/modvirt-qemud.conf")" \
    "disk 'vda' of domain 'pd2': '$MV_ROOT/etc/modvirt/modvirt-qemud.conf' is under '$MV_ROOT/etc/modvirt/' on the path denylist $note"
refused pd3 "" "$(disk "$MV_ROOT/var/lib/modvirt/secrets/x.value")" \
    "disk 'vda' of domain 'pd3': '$MV_ROOT/var/lib/modvirt/secrets/x.value' is under '$MV_ROOT/var/lib/modvirt/secrets/' on the path denylist $note"
refused pd4 "" "<serial type='unix'><source mode='connect' path='$MV_ROOT/run/modvirt/qemud-sock'/></serial>" \
    "serial0 of domain 'pd4': '$MV_ROOT/run/modvirt/qemud-sock' is under '$MV_ROOT/run/modvirt/' on the path denylist $note"
xml pd5 "" "$(disk "$MV_ROOT/var/lib/modvirt/images/user.img")" >"$mv_tmp/pd5.xml"
vsh define "$mv_tmp/pd5.xml"
expect_eq "an image in the state directory: define exit status" 0 "$rc"
vsh undefine pd5
verdict "without path_denylist: /root/, the daemon's own configuration, secrets and sockets are refused; an image elsewhere in its state directory is not"
mv_done
