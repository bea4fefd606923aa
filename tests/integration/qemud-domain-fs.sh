#!/bin/bash
# Shared directories: <filesystem type='mount'> over 9p (QEMU's own
# -fsdev local) booted in the test guest, which mounts each share named in
# guest.fs=TYPE:TAG, prints the first line of its file "guest-fs" and
# whether it can write there (tests/guest/README.md).  The generic Debian
# kernel (flavour amd64): the cloud kernel has no 9p.
#   1  9p passthrough: the guest reads the host's file and writes one the
#      host sees; the live XML names the share and its alias
#   2  9p mapped, read-only, a comma in the source path: read, not written
#   3  a source directory that does not exist or is a file: the start fails
#      naming the filesystem and the path; no QEMU left
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64"
BOOT_S=120
PLAN=3
guest_test_init $PLAN amd64
start_daemon

rundir=$MV_ROOT/run/modvirt/qemu
# qemu_pid NAME: the QEMU of guest NAME of this test's qemud, if any
qemu_pid() { pgrep -a -f -- "$rundir/" | grep -- "guest=$1," | cut -d' ' -f1; }
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
expect_match "and wrote to it" "GUEST-FS-WRITE s9share ok" "$(tr -d '\r' <"$mv_tmp/p9.serial")"
expect_eq "the host sees the guest's file" "written by the guest" "$(cat "$mv_tmp/s9/from-guest" 2>&1)"
vsh dumpxml p9
expect_match "live XML" "<filesystem type=.mount. accessmode=.passthrough.>" "$out"
expect_match "its alias" "<alias name=.fs0./>" "$out"
expect_match "its source" "<source dir=.$mv_tmp/s9./>" "$out"
gone p9
verdict "9p passthrough: the guest reads '$token' from the share and writes a file the host sees"

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

mv_done
