#!/bin/bash
# Shared directories: <filesystem type='mount'> over 9p (QEMU's own
# -fsdev local) booted in the test guest, which mounts each share named in
# guest.fs=TYPE:TAG, prints the first line of its file "guest-fs" and
# whether it can write there (tests/guest/README.md).  The generic Debian
# kernel (flavour amd64): the cloud kernel has no 9p.
#   1  9p passthrough: the guest reads the host's file; creating one is
#      refused, QEMU running unprivileged (it cannot give the file the owner
#      the guest asks for); the live XML names the share and its alias
#   2  9p mapped, read-only, a comma in the source path: read, not written
#   3  a source directory that does not exist or is a file: the start fails
#      naming the filesystem and the path; no QEMU left
#   4  virtiofs on shared memfd RAM: qemud runs virtiofsd beside QEMU (its
#      socket in the run directory); the guest reads and writes the share
#   5  a qemud restart adopts the virtiofsd with its QEMU; destroy then
#      stops both: no virtiofsd, no socket left
#   6  virtiofs without shared memory, or with a virtiofsd that is not
#      there: the start fails by name, no virtiofsd or QEMU left
#   7  domcapabilities lists the filesystem drivers path and virtiofs
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 /usr/lib/qemu/virtiofsd"
BOOT_S=120
PLAN=7
guest_test_init $PLAN amd64
start_daemon

rundir=$MV_ROOT/run/modvirt/qemu
# qemu_pid NAME: the QEMU of guest NAME of this test's qemud, if any
qemu_pid() { pgrep -a -f -- "$rundir/" | grep -- "guest=$1," | cut -d' ' -f1; }
# virtiofsd_pids: the virtiofsd processes of this test's qemud (with its
# sandbox, each is two: the one qemud runs and its child in new namespaces)
virtiofsd_pids() { pgrep -f -- "--socket-path=$rundir/" | sort; }
# shared_ram: the guest's RAM as virtiofs needs it, into <domain> (stdin to stdout)
shared_ram() {
    sed "s|^  <vcpu>|  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>\n  <vcpu>|"
}
# share DIR CONTENT: a directory holding guest-fs with CONTENT
share() { mkdir -p "$1" && printf '%s\n' "$2" >"$1/guest-fs"; }
# fs_xml DIR TAG [ATTRS] [CHILDREN]: a <filesystem> of DIR mounted as TAG
fs_xml() {
    printf "<filesystem type='mount'%s><source dir='%s'/><target dir='%s'/>%s</filesystem>" \
        "${3:+ $3}" "$(guest_xml_escape "$1")" "$2" "${4:-}"
}
# boot NAME: define and start NAME from $mv_tmp/NAME.xml, wait for its /init
boot() {
    vsh define "$mv_tmp/$1.xml"
    expect_eq "define $1" 0 "$rc"
    vsh start "$1"
    expect_eq "start $1" 0 "$rc"
    expect_eq "start $1: stderr" "" "$err"
    guest_wait_log "$mv_tmp/$1.serial" GUEST-READY $BOOT_S || expect_fail "$1 did not boot"
}
# gone NAME: destroy NAME and wait for its QEMU to exit
gone() {
    local pid
    pid=$(qemu_pid "$1")
    vsh destroy "$1"
    expect_eq "destroy $1" 0 "$rc"
    [ -z "$pid" ] || wait_exit "$pid" 10 || expect_fail "QEMU $pid of $1 still runs"
}

# 1
token=9p-$RANDOM-$$
share "$mv_tmp/s9" "$token"
GUEST_APPEND="guest.fs=9p:s9share" guest_domain_xml p9 "$mv_tmp/p9.serial" \
    "$(fs_xml "$mv_tmp/s9" s9share "accessmode='passthrough'")" >"$mv_tmp/p9.xml"
boot p9
expect_match "the guest read the share" "GUEST-FS s9share $token" "$(tr -d '\r' <"$mv_tmp/p9.serial")"
# QEMU runs as the guest's own unprivileged uid (guest isolation): in
# passthrough mode it must give a new file the owner the guest asks for,
# which an unprivileged process cannot, so creating one is refused (as
# under libvirt's qemu user); mapped mode or virtiofs write
expect_match "and its write was refused" "GUEST-FS-WRITE s9share refused" "$(tr -d '\r' <"$mv_tmp/p9.serial")"
expect_eq "nothing reached the host" no "$([ -e "$mv_tmp/s9/from-guest" ] && echo yes || echo no)"
vsh dumpxml p9
expect_match "live XML" "<filesystem type=.mount. accessmode=.passthrough.>" "$out"
expect_match "its alias" "<alias name=.fs0./>" "$out"
expect_match "its source" "<source dir=.$mv_tmp/s9./>" "$out"
gone p9
verdict "9p passthrough: the guest reads '$token' from the share; creating a file is refused (QEMU is unprivileged)"

# 2
share "$mv_tmp/r,o" "read-only $token"
GUEST_APPEND="guest.fs=9p:ro" guest_domain_xml p9ro "$mv_tmp/p9ro.serial" \
    "$(fs_xml "$mv_tmp/r,o" ro "accessmode='mapped'" "<readonly/>")" >"$mv_tmp/p9ro.xml"
boot p9ro
expect_match "the guest read the share" "GUEST-FS ro read-only $token" "$(tr -d '\r' <"$mv_tmp/p9ro.serial")"
expect_match "but could not write" "GUEST-FS-WRITE ro refused" "$(tr -d '\r' <"$mv_tmp/p9ro.serial")"
expect_eq "nothing written" no "$([ -e "$mv_tmp/r,o/from-guest" ] && echo yes || echo no)"
gone p9ro
verdict "9p mapped and read-only, a comma in the path: the guest reads the share and cannot write"

# 3
guest_domain_xml nodir "$mv_tmp/nodir.serial" "$(fs_xml "$mv_tmp/nosuch" gone)" >"$mv_tmp/nodir.xml"
vsh define "$mv_tmp/nodir.xml"
vsh start nodir
expect_eq "status" 1 "$rc"
expect_eq "error" "error: Failed to start domain 'nodir'
error: operation failed: cannot start domain 'nodir': source directory '$mv_tmp/nosuch' of filesystem 'gone': No such file or directory" "$err"
expect_eq "no QEMU" "" "$(qemu_pid nodir)"
: >"$mv_tmp/afile"
guest_domain_xml isfile "$mv_tmp/isfile.serial" "$(fs_xml "$mv_tmp/afile" f)" >"$mv_tmp/isfile.xml"
vsh define "$mv_tmp/isfile.xml"
vsh start isfile
expect_eq "status" 1 "$rc"
expect_match "error" "source '$mv_tmp/afile' of filesystem 'f' is not a directory" "$err"
expect_eq "no QEMU" "" "$(qemu_pid isfile)"
expect_daemon_alive
verdict "a missing source directory, or a file, fails the start naming filesystem and path; no QEMU"

# 4
token=vfs-$RANDOM-$$
share "$mv_tmp/v,fs" "$token"
GUEST_APPEND="guest.fs=virtiofs:vshare" guest_domain_xml vf "$mv_tmp/vf.serial" \
    "$(fs_xml "$mv_tmp/v,fs" vshare "" "<driver type='virtiofs' queue='1024'/><binary><cache mode='none'/></binary>")" |
    shared_ram >"$mv_tmp/vf.xml"
boot vf
expect_match "the guest read the share" "GUEST-FS vshare $token" "$(tr -d '\r' <"$mv_tmp/vf.serial")"
expect_match "and wrote to it" "GUEST-FS-WRITE vshare ok" "$(tr -d '\r' <"$mv_tmp/vf.serial")"
expect_eq "the host sees the guest's file" "written by the guest" "$(cat "$mv_tmp/v,fs/from-guest" 2>&1)"
vfs_all=$(virtiofsd_pids)
vfs_pid=$(pgrep -P "$MV_PID" -f -- "--socket-path=$rundir/")
expect_match "one virtiofsd, qemud's child" "^[0-9]+$" "$vfs_pid"
args=$(tr '\0' ' ' <"/proc/${vfs_pid:-0}/cmdline" 2>/dev/null)
expect_match "its source (comma escaped for its -o)" "-o source=$mv_tmp/v\\\\,fs,cache=none" "$args"
expect_match "QEMU connects to its socket" "chardev=chr-vu-fs0" "$(cat /proc/"$(qemu_pid vf)"/cmdline 2>/dev/null | tr '\0' ' ')"
vsh dumpxml vf
expect_match "live XML" "<driver type=.virtiofs. queue=.1024./>" "$out"
verdict "virtiofs: virtiofsd (pid ${vfs_pid:-?}) serves the share; the guest reads '$token' and writes"

# 5
stop_pid "$MV_PID" 10
start_daemon
vsh domstate vf
expect_eq "still running" running "$out"
expect_eq "the same virtiofsd" "$vfs_all" "$(virtiofsd_pids)"
expect_match "recorded in the status file" "<sidecar id=\"fs0\" prog=\"/usr/lib/qemu/virtiofsd\"" \
    "$(cat "$rundir/vf.xml" 2>/dev/null)"
gone vf
[ -z "$vfs_pid" ] || wait_exit "$vfs_pid" 10 || expect_fail "virtiofsd $vfs_pid still runs"
expect_eq "no virtiofsd" "" "$(virtiofsd_pids)"
expect_eq "no socket left" "" "$(find "$rundir" -name '*.sock' ! -name monitor.sock)"
verdict "a qemud restart adopts virtiofsd with its guest; destroy stops both, nothing left"

# 6
guest_domain_xml vnoshm "$mv_tmp/vnoshm.serial" \
    "$(fs_xml "$mv_tmp/v,fs" vshare "" "<driver type='virtiofs'/>")" >"$mv_tmp/vnoshm.xml"
vsh define "$mv_tmp/vnoshm.xml"
vsh start vnoshm
expect_eq "status" 1 "$rc"
expect_match "error" "unsupported configuration: filesystem 'vshare': virtiofs requires shared memory" "$err"
guest_domain_xml vnobin "$mv_tmp/vnobin.serial" \
    "$(fs_xml "$mv_tmp/v,fs" vshare "" "<driver type='virtiofs'/><binary path='$mv_tmp/no-virtiofsd'/>")" |
    shared_ram >"$mv_tmp/vnobin.xml"
vsh define "$mv_tmp/vnobin.xml"
vsh start vnobin
expect_eq "status" 1 "$rc"
expect_match "error" "virtiofsd '$mv_tmp/no-virtiofsd' of filesystem 'vshare' cannot be run: No such file or directory" "$err"
expect_eq "no virtiofsd" "" "$(virtiofsd_pids)"
expect_eq "no QEMU" "" "$(qemu_pid vnoshm)$(qemu_pid vnobin)"
expect_eq "no socket left" "" "$(find "$rundir" -name '*.sock' ! -name monitor.sock)"
expect_daemon_alive
verdict "virtiofs without shared memory, or without its virtiofsd, fails by name; nothing left"

# 7
vsh domcapabilities --virttype qemu
expect_match "filesystem drivers" "<filesystem supported=.yes.> *<enum name=.driverType.> *<value>path</value> *<value>virtiofs</value>" \
    "$(printf '%s' "$out" | tr -s '\n ' ' ')"
verdict "domcapabilities: filesystem driverType path and virtiofs"

mv_done
