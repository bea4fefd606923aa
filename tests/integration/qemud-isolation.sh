#!/bin/bash
# Guest isolation (issue 12), checked on booting guests from the outside:
# /proc, nsenter into QEMU's mount namespace and setpriv as its uid.
#
# Coverage:
#  1. a guest whose disk, kernel, initrd and serial log lie in a 0700 root
#     directory (mode 0600) boots and reads its disk; its QEMU runs as a uid
#     and gid of the configured guest_uid_range (all four ids), with no
#     capabilities (effective, permitted, inheritable, ambient, bounding),
#     NoNewPrivs 1, seccomp filter mode 2, in a mount namespace of its own
#     whose /dev holds only null zero full random urandom ptmx pts shm, with
#     no /etc/shadow and no /root content; it holds the writable disk open
#     read-write; and it is in the cgroup modvirt-HASH/UUID (HASH: its daemon instance) when a writable
#     cgroup2 hierarchy exists
#  2. <seclabel type='dynamic' model='dac'/>: the live XML's label and
#     imagelabel are +UID:+GID of the running QEMU
#  3. two guests get different uids; A's uid cannot read B's disk, neither
#     inside A's namespace (also not through /proc/BPID/root) nor on the
#     host (where B's directory is traversable: only the ACL decides), while
#     B's uid can (in B's namespace and on the host); A's uid cannot list
#     B's run directory (B's can) nor signal B's QEMU
#  4. the files handed to a guest (disks, kernel, initrd, serial log) get
#     ACL entries user:UID recorded in the status file, and their owner,
#     group, mode and ACL are exactly as before after a destroy; after kill
#     -9 of the daemon + restart + destroy; and after kill -9 of the daemon,
#     kill -9 of QEMU while it is down, and a restart (no destroy)
#  5. a <readonly/> disk (and the kernel and initrd) are granted r only:
#     getfacl shows user:UID:r--, writing it as the guest's uid in its
#     namespace fails while writing the writable disk works, and QEMU holds
#     no writable fd on it
#  6. user = "root" in qemud.conf: QEMU runs as uid 0 and no ACL is added
#  7. nothing of this test is left running
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 nsenter setpriv getfacl stat"
BOOT_S=90
GONE_S=15
PLAN=7
guest_test_init $PLAN

# a uid range of this run's own (16 ids at a random place below the
# default range), so parallel test runs never hand out the same uid
uid_lo=$((2000000000 + ((RANDOM << 15 | RANDOM) % 8000000) * 16))
uid_hi=$((uid_lo + 15))
write_config "$MV_ROOT" "guest_uid_range = \"$uid_lo-$uid_hi\""
start_daemon

rundir=$MV_ROOT/run/modvirt/qemu

# ---- helpers -------------------------------------------------------------

restart_daemon() {
    try_start_daemon && return 0
    echo "Bail out! the restarted modvirt-qemud is not ready after $MV_READY_S s"
    tail -n 40 "$MV_LOG" | sed 's/^/#   /'
    exit 1
}
kill_daemon() {
    { kill -KILL "$MV_PID"; wait_exit "$MV_PID" 5; } 2>/dev/null || expect_fail "the daemon survived SIGKILL"
}

# status_field PID FIELD: the value of FIELD: in /proc/PID/status, tabs as spaces
status_field() { sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null | tr '\t' ' '; }
# uid_of PID / gid_of PID: the real uid / gid
uid_of() { status_field "$1" Uid | awk '{ print $1 }'; }
gid_of() { status_field "$1" Gid | awk '{ print $1 }'; }

# as ID PID CMD...: CMD as uid and gid ID, no supplementary groups, inside
# PID's mount namespace (PID "-": on the host); run's variables
as() {
    local id=$1 pid=$2
    shift 2
    if [ "$pid" = - ]; then
        run timeout 10 setpriv --reuid="$id" --regid="$id" --clear-groups "$@"
    else
        run timeout 10 nsenter -t "$pid" -m setpriv --reuid="$id" --regid="$id" --clear-groups "$@"
    fi
}

# snap FILES...: owner, group, mode and the full ACL (numeric) of each
snap() {
    local f
    for f; do
        printf '%s %s\n' "$f" "$(stat -c '%u %g %a' "$f" 2>&1)"
        getfacl -pn "$f" 2>&1
    done
}

# acl_entry FILE UID: the permissions of FILE's named user entry for UID
# (e.g. "rw-"), empty without one
acl_entry() { getfacl -pn "$1" 2>/dev/null | sed -n "s/^user:$2:\([rwx-]*\).*/\1/p"; }

# fd_modes PID FILE: the access modes (0 read, 1 write, 2 read-write) of
# PID's fds on FILE, matched by its name (a path seen from QEMU's own root
# reads the same), sorted and unique
fd_modes() {
    local fd flags
    for fd in /proc/$1/fd/*; do
        case $(readlink "$fd" 2>/dev/null) in
            */"${2##*/}") ;;
            *) continue ;;
        esac
        flags=$(sed -n 's/^flags:[[:space:]]*//p' "/proc/$1/fdinfo/${fd##*/}" 2>/dev/null)
        [ -n "$flags" ] && echo $((8#$flags & 3))
    done | sort -u | tr '\n' ' '
}

# wait_pid_gone PID SECS: 0 once PID (not our child) has gone
wait_pid_gone() {
    local i
    for ((i = 0; i < $2 * 20; i++)); do
        [ -d "/proc/$1" ] || return 0
        grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null && return 0
        sleep 0.05
    done
    return 1
}

# wait_same WHAT SECS FILES...: 0 once snap FILES is $WHAT (bounded: a
# clean-up that runs after the daemon's READY=1 gets SECS to finish)
wait_same() {
    local want=$1 secs=$2 i
    shift 2
    for ((i = 0; i < secs * 10; i++)); do
        [ "$(snap "$@")" = "$want" ] && return 0
        sleep 0.1
    done
    [ "$(snap "$@")" = "$want" ]
}
expect_same() {
    local what=$1 want=$2
    shift 2
    wait_same "$want" "$GONE_S" "$@" ||
        expect_fail "$what: owners, modes or ACLs differ from before the start:$(diff <(printf '%s\n' "$want") <(snap "$@") | sed 's/^/\n    /')"
}

hexof() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

# disk_xml FILE DEV [EXTRA]: a raw virtio disk, EXTRA (e.g. <readonly/>) inside
disk_xml() {
    printf "<disk type='file' device='disk'>\n  <driver name='qemu' type='raw'/>\n  <source file='%s'/>\n  <target dev='%s' bus='virtio'/>\n" "$1" "$2"
    [ -z "${3:-}" ] || printf '  %s\n' "$3"
    printf '</disk>'
}
seclabel() { sed "s|^</domain>$|  <seclabel type='dynamic' model='dac'/>\n</domain>|"; }

# ---- the files ------------------------------------------------------------

# priv: what guest A needs, in a directory only root may enter; its own
# copies of the kernel and initrd (0600), so they need a grant too and no
# other test's guest shares them
priv=$mv_tmp/priv
mkdir -m 0700 "$priv"
install -m 0600 "$GUEST_KERNEL" "$priv/vmlinuz"
install -m 0600 "$GUEST_INITRD" "$priv/initrd.img"
marker_a=ISO12-A-$(printf '%08d' $((RANDOM * RANDOM % 100000000)))
for f in a.img ro.img; do
    truncate -s 1M "$priv/$f"
    chmod 0600 "$priv/$f"
done
printf '%s' "$marker_a" | dd of="$priv/a.img" conv=notrunc status=none
: >"$priv/a.serial"
chmod 0600 "$priv/a.serial"
# shared: guest B's disk, in a directory everyone may traverse, so only the
# ACL entry decides who reads it
shared=$mv_tmp/shared
mkdir -m 0711 "$shared"
marker_b=ISO12-B-$(printf '%08d' $((RANDOM * RANDOM % 100000000)))
truncate -s 1M "$shared/b.img"
chmod 0600 "$shared/b.img"
printf '%s' "$marker_b" | dd of="$shared/b.img" conv=notrunc status=none

# A's kernel is named through a symlink elsewhere: QEMU opens the path as
# written, so the private root must hold the file there too
mkdir "$mv_tmp/links"
ln -s "$priv/vmlinuz" "$mv_tmp/links/kernel"
GUEST_KERNEL=$mv_tmp/links/kernel GUEST_INITRD=$priv/initrd.img GUEST_APPEND="guest.readdisk=/dev/vda,0,16" \
    guest_domain_xml iso-a "$priv/a.serial" \
    "$(disk_xml "$priv/a.img" vda; echo; disk_xml "$priv/ro.img" vdb "<readonly/>")" | seclabel >"$mv_tmp/iso-a.xml"
GUEST_APPEND="guest.readdisk=/dev/vda,0,16" guest_domain_xml iso-b "$mv_tmp/b.serial" \
    "$(disk_xml "$shared/b.img" vda)" >"$mv_tmp/iso-b.xml"

a_files=("$priv/a.img" "$priv/ro.img" "$priv/vmlinuz" "$priv/initrd.img" "$priv/a.serial")
b_files=("$shared/b.img")
a_before=$(snap "${a_files[@]}")
b_before=$(snap "${b_files[@]}")

# ---- 1: the confined QEMU ----------------------------------------------------
vsh define "$mv_tmp/iso-a.xml"
expect_eq "define iso-a" 0 "$rc"
[ "$rc" -eq 0 ] || diag "define: $err"
vsh start iso-a
expect_eq "start iso-a" 0 "$rc"
[ "$rc" -eq 0 ] || diag "start: $err"
guest_wait_log "$priv/a.serial" '^GUEST-BOOTED-OK' $BOOT_S || expect_fail "iso-a did not boot"
guest_wait_log "$priv/a.serial" '^GUEST-DISK ' $BOOT_S || expect_fail "iso-a did not read its disk"
expect_eq "iso-a reads its disk" "GUEST-DISK $(hexof "$marker_a")" \
    "$(grep -a '^GUEST-DISK ' "$priv/a.serial" | tr -d '\r' | head -n 1)"
apid=$(our_qemu iso-a)
expect_match "QEMU of iso-a" '^[0-9]+$' "$apid"
auid=$(uid_of "${apid:-0}")
agid=$(gid_of "${apid:-0}")
diag "iso-a: QEMU pid ${apid:-?}, uid ${auid:-?}, gid ${agid:-?}"
expect_eq "uid in guest_uid_range $uid_lo-$uid_hi" yes \
    "$([ -n "$auid" ] && [ "$auid" -ge $uid_lo ] && [ "$auid" -le $uid_hi ] && echo yes || echo "no ($auid)")"
expect_eq "Uid (real, effective, saved, fs)" "$auid $auid $auid $auid" "$(status_field "${apid:-0}" Uid)"
expect_eq "Gid (real, effective, saved, fs)" "$agid $agid $agid $agid" "$(status_field "${apid:-0}" Gid)"
[ "${auid:-0}" != 0 ] || expect_fail "QEMU runs as uid 0"
[ "${agid:-0}" != 0 ] || expect_fail "QEMU runs as gid 0"
expect_nomatch "supplementary groups without root's" '(^| )0( |$)' "$(status_field "${apid:-0}" Groups)"
for cap in CapInh CapPrm CapEff CapBnd CapAmb; do
    expect_eq "$cap" 0000000000000000 "$(status_field "${apid:-0}" $cap)"
done
expect_eq "NoNewPrivs" 1 "$(status_field "${apid:-0}" NoNewPrivs)"
expect_eq "Seccomp" 2 "$(status_field "${apid:-0}" Seccomp)"
host_mnt=$(readlink /proc/self/ns/mnt)
a_mnt=$(readlink "/proc/${apid:-0}/ns/mnt")
expect_match "QEMU's mount namespace" '^mnt:\[[0-9]+\]$' "$a_mnt"
[ "$a_mnt" != "$host_mnt" ] || expect_fail "QEMU shares the host's mount namespace $host_mnt"
expect_eq "/dev of QEMU" "full null ptmx pts random shm urandom zero" \
    "$(ls "/proc/${apid:-0}/root/dev" 2>&1 | sort | tr '\n' ' ' | sed 's/ $//')"
[ -e /etc/shadow ] && [ -e "/proc/${apid:-0}/root/etc/shadow" ] && expect_fail "/etc/shadow is in QEMU's root"
expect_eq "/root in QEMU's root (absent or empty)" "" "$(ls -A "/proc/${apid:-0}/root/root" 2>/dev/null)"
expect_eq "the disk is in QEMU's root" yes "$([ -f "/proc/${apid:-0}/root$priv/a.img" ] && echo yes || echo no)"
expect_match "QEMU holds the writable disk read-write" '(^| )2( |$)' "$(fd_modes "${apid:-0}" "$priv/a.img")"
if awk '$3 == "cgroup2" { print $2 }' /proc/self/mounts | while read -r m; do [ -w "$m" ] && exit 0; done; then
    vsh domuuid iso-a
    a_uuid=$(printf '%s' "$out" | tr -d ' \n')
    expect_match "QEMU's cgroup (its daemon instance's parent)" "^0::/modvirt-[0-9a-f]{8}/$a_uuid\$" "$(grep '^0::' "/proc/${apid:-0}/cgroup")"
else
    diag "no writable cgroup2 mount: QEMU's cgroup not checked"
fi
verdict "QEMU runs as a guest uid without capabilities, NoNewPrivs, seccomp, in its own mount namespace with a minimal /dev"

# ---- 2: the DAC label ----------------------------------------------------------
[ -n "$auid" ] && [ "$auid" != 0 ] || expect_fail "QEMU's uid is '$auid': no guest uid to find in the label"
vsh dumpxml iso-a
expect_match "seclabel" "<seclabel type=.dynamic. model=.dac." "$out"
expect_match "label" "<label>\+$auid:\+$agid</label>" "$out"
expect_match "imagelabel" "<imagelabel>\+$auid:\+$agid</imagelabel>" "$out"
vsh dumpxml --inactive iso-a
expect_nomatch "no label in the inactive XML" "<label>" "$out"
verdict "the live XML's DAC label is the uid:gid QEMU runs as"

# ---- 3: two guests ---------------------------------------------------------------
vsh define "$mv_tmp/iso-b.xml"
expect_eq "define iso-b" 0 "$rc"
vsh start iso-b
expect_eq "start iso-b" 0 "$rc"
[ "$rc" -eq 0 ] || diag "start: $err"
guest_wait_log "$mv_tmp/b.serial" '^GUEST-DISK ' $BOOT_S || expect_fail "iso-b did not read its disk"
expect_eq "iso-b reads its disk" "GUEST-DISK $(hexof "$marker_b")" \
    "$(grep -a '^GUEST-DISK ' "$mv_tmp/b.serial" | tr -d '\r' | head -n 1)"
bpid=$(our_qemu iso-b)
expect_match "QEMU of iso-b" '^[0-9]+$' "$bpid"
buid=$(uid_of "${bpid:-0}")
diag "iso-b: QEMU pid ${bpid:-?}, uid ${buid:-?}"
[ -n "$buid" ] && [ "$buid" != 0 ] || expect_fail "iso-b's QEMU runs as uid '${buid:-?}'"
[ "${buid:-x}" != "${auid:-y}" ] || expect_fail "iso-a and iso-b share uid $auid"
[ "$(readlink "/proc/${bpid:-0}/ns/mnt")" != "$a_mnt" ] || expect_fail "iso-a and iso-b share a mount namespace"
# the positive controls: B's uid reads B's disk (so the refusals below are A's)
as "${buid:-65534}" "${bpid:-0}" head -c 16 "$shared/b.img"
expect_eq "B's uid reads B's disk in B's namespace" "0 $marker_b" "$rc $out"
as "${buid:-65534}" - head -c 16 "$shared/b.img"
expect_eq "B's uid reads B's disk on the host" "0 $marker_b" "$rc $out"
as "${auid:-65534}" "${apid:-0}" head -c 16 "$shared/b.img"
[ "$rc" -ne 0 ] || expect_fail "A's uid read B's disk in A's namespace: $out"
as "${auid:-65534}" "${apid:-0}" head -c 16 "/proc/${bpid:-0}/root$shared/b.img"
[ "$rc" -ne 0 ] || expect_fail "A's uid read B's disk through /proc/$bpid/root in A's namespace: $out"
as "${auid:-65534}" - head -c 16 "$shared/b.img"
[ "$rc" -ne 0 ] || expect_fail "A's uid read B's disk on the host: $out"
expect_match "refused on the host" "Permission denied" "$err"
# B's own directory (its sockets): B's uid only
vsh domuuid iso-b
bdir=$rundir/$out.d
expect_eq "B's run directory: owner and mode" "$buid 700" "$(stat -c '%u %a' "$bdir" 2>&1)"
as "${buid:-65534}" "${bpid:-0}" ls "$bdir"
expect_match "B's uid lists its run directory in its namespace" "^0 .*monitor\.sock" "$rc $(echo $out)"
as "${auid:-65534}" - ls "$bdir"
[ "$rc" -ne 0 ] || expect_fail "A's uid lists B's run directory $bdir on the host: $out"
as "${auid:-65534}" "${apid:-0}" ls "$bdir"
[ "$rc" -ne 0 ] || expect_fail "A's uid lists B's run directory $bdir in A's namespace: $out"
# nor B's process
as "${auid:-65534}" - sh -c 'kill -0 "$1"' _ "${bpid:-0}"
[ "$rc" -ne 0 ] || expect_fail "A's uid may signal B's QEMU $bpid"
verdict "two guests get different uids; A's uid cannot read B's disk, B's can"

# ---- 5 (while A runs): read-only grants ------------------------------------------
# (reported as case 5 below; measured now, while iso-a still runs)
case5_errs=
expect_eq "ACL of the writable disk" rw- "$(acl_entry "$priv/a.img" "${auid:-x}")"
expect_eq "ACL of the read-only disk" r-- "$(acl_entry "$priv/ro.img" "${auid:-x}")"
expect_eq "ACL of the kernel" r-- "$(acl_entry "$priv/vmlinuz" "${auid:-x}")"
expect_eq "ACL of the initrd" r-- "$(acl_entry "$priv/initrd.img" "${auid:-x}")"
as "${auid:-65534}" "${apid:-0}" dd if=/dev/null of="$priv/ro.img" conv=notrunc status=none
[ "$rc" -ne 0 ] || expect_fail "A's uid opened the read-only disk for writing in its namespace"
as "${auid:-65534}" "${apid:-0}" dd if=/dev/null of="$priv/a.img" conv=notrunc status=none
expect_eq "A's uid opens its writable disk for writing (control)" "0 " "$rc $err"
expect_match "QEMU's fds on the read-only disk" '^0 $' "$(fd_modes "${apid:-0}" "$priv/ro.img")"
case5_errs=$case_errs
case_errs=

# ---- 4: everything given back ------------------------------------------------------
# the status file records the identity and the grants (the restarted
# daemon's clean-up below has nothing else to go by)
status=$(grep -o '<isolation[^>]*>\|<grant [^>]*>' "$rundir/iso-a.xml" 2>/dev/null)
expect_match "status file: the identity" "<isolation[^>]* uid=\"$auid\"" "$status"
for f in "$priv/a.img" "$priv/ro.img" "$priv/vmlinuz" "$priv/initrd.img"; do
    expect_match "status file: the grant of $f" "<grant[^>]* path=\"$f\"" "$status"
done
vsh destroy iso-a
expect_eq "destroy iso-a" 0 "$rc"
vsh destroy iso-b
expect_eq "destroy iso-b" 0 "$rc"
expect_same "after destroy (iso-a)" "$a_before" "${a_files[@]}"
expect_same "after destroy (iso-b)" "$b_before" "${b_files[@]}"

# kill -9 of the daemon, restart, destroy
vsh start iso-a
expect_eq "start iso-a again" 0 "$rc"
apid=$(our_qemu iso-a)
auid=$(uid_of "${apid:-0}")
expect_eq "granted again" rw- "$(acl_entry "$priv/a.img" "${auid:-x}")"
kill_daemon
restart_daemon
expect_daemon_alive
expect_eq "iso-a runs after the restart" running "$(guest_state iso-a)"
expect_eq "the same QEMU" "$apid" "$(our_qemu iso-a)"
expect_eq "still granted after the restart" rw- "$(acl_entry "$priv/a.img" "${auid:-x}")"
vsh destroy iso-a
expect_eq "destroy after the restart" 0 "$rc"
expect_same "after kill -9 of the daemon, restart and destroy" "$a_before" "${a_files[@]}"

# kill -9 of the daemon, kill -9 of QEMU while it is away, restart
vsh start iso-a
expect_eq "start iso-a a third time" 0 "$rc"
apid=$(our_qemu iso-a)
auid=$(uid_of "${apid:-0}")
expect_eq "granted a third time" rw- "$(acl_entry "$priv/a.img" "${auid:-x}")"
kill_daemon
[ -n "$apid" ] && kill -KILL "$apid"
wait_pid_gone "${apid:-0}" 10 || expect_fail "QEMU $apid survived SIGKILL"
restart_daemon
expect_daemon_alive
guest_wait_state iso-a "shut off" $GONE_S || expect_fail "iso-a is '$(guest_state iso-a)' after its QEMU died"
expect_same "after kill -9 of the daemon and of QEMU, restart" "$a_before" "${a_files[@]}"
expect_eq "status file removed" no "$([ -e "$rundir/iso-a.xml" ] && echo yes || echo no)"
verdict "owners, modes and ACLs come back after destroy, after kill -9 of the daemon, and after QEMU died while it was away"

# ---- 5 ------------------------------------------------------------------------------
case_errs=$case5_errs
verdict "a read-only disk, the kernel and the initrd are granted r only; the guest's uid cannot write them"

# ---- 6: user = "root" -----------------------------------------------------------------
use_root rootmode
at_exit "pkill -9 -f -- '$MV_ROOT/run/modvirt/qemu/'"
write_config "$MV_ROOT" 'user = "root"'
start_daemon
rdir=$mv_tmp/rpriv
mkdir -m 0700 "$rdir"
truncate -s 1M "$rdir/r.img"
chmod 0600 "$rdir/r.img"
r_before=$(snap "$rdir/r.img")
guest_domain_xml iso-r "$mv_tmp/r.serial" "$(disk_xml "$rdir/r.img" vda)" >"$mv_tmp/iso-r.xml"
vsh define "$mv_tmp/iso-r.xml"
vsh start --paused iso-r
expect_eq "start iso-r" 0 "$rc"
[ "$rc" -eq 0 ] || diag "start: $err"
rpid=$(our_qemu iso-r)
expect_match "QEMU of iso-r" '^[0-9]+$' "$rpid"
expect_eq "Uid with user = root" "0 0 0 0" "$(status_field "${rpid:-0}" Uid)"
expect_eq "no ACL change with user = root" "$r_before" "$(snap "$rdir/r.img")"
vsh destroy iso-r
expect_eq "destroy iso-r" 0 "$rc"
verdict "user = \"root\" turns isolation off: QEMU runs as uid 0, no ACL is added"

# ---- 7 ------------------------------------------------------------------------------------
wait_none_ours 10 || expect_fail "still running: $(ours | tr '\n' ' ')"
verdict "no QEMU of this test is left"
mv_done
