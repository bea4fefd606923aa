#!/bin/bash
# modvirt-storaged driven by our own CLI (modvirt, through libmodvirt): a
# dir pool's life (pool-define, -build, -start, -info, -refresh,
# -autostart, -destroy, -delete, -undefine) and its volumes (vol-create,
# -list, -info, -dumpxml, -resize, -clone, -wipe, -delete), each table and
# message compared with Debian's virsh on the same daemon; --json outputs
# parsed with python3; the progress bar drawn on a terminal (script(1)
# gives one) and never in a pipe or with --json; errors that name the
# object and the cause, also with storaged down.
#
# The pool lives in the script's temp dir; storaged runs with --root there.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/storaged.sh"

MV_DAEMON=$top_builddir/storaged/modvirt-storaged
MV_NEEDS="qemu-img script"
CLI=$top_builddir/client/modvirt
mv_init 17

MV_ROOT=$mv_tmp/root
MV_LOG=$mv_tmp/storaged.log
MV_RW=$MV_ROOT/run/modvirt/storaged-sock
MV_URI="storage:///system?socket=$MV_RW"
# modvirt finds storaged's socket under the root by itself, as under /run
MURI="qemu:///system?root=$MV_ROOT"
P1=$mv_tmp/pools/p1

# mvc ARGS...: modvirt against storaged, run's variables
mvc() { run isolated "$CLI" -c "$MURI" "$@"; }
# json EXPR [FILE]: EXPR evaluated by python3 on the JSON document in $out
# (as j), or in FILE (a terminal's bytes: its carriage returns dropped)
json() {
    if [ $# -gt 1 ]; then tr -d '\r' <"$2"; else printf '%s' "$out"; fi |
        "$MV_PY" -c "import json, sys; j = json.load(sys.stdin); print($1)" 2>&1 | tail -n 1
}
# raw CLIENT ARGS...: stdout with its trailing newlines kept (run drops
# them), an "x" after it: the blank line virsh ends with counts
raw() {
    local client=$1
    shift
    if [ "$client" = virsh ]; then
        isolated virsh -c "$MV_URI" "$@"
    else
        isolated "$CLI" -c "$MURI" "$@"
    fi 2>/dev/null
    echo x
}
# same_as_virsh ARGS...: modvirt ARGS prints exactly what virsh ARGS does
same_as_virsh() {
    expect_eq "modvirt $* equals virsh" "$(raw virsh "$@")" "$(raw modvirt "$@")"
}
# on_tty FILE ARGS...: modvirt ARGS with stdout on a terminal (script(1));
# the terminal's bytes in FILE
on_tty() {
    local file=$1 cmd
    shift
    printf -v cmd '%q ' "$CLI" -c "$MURI" "$@"
    isolated script -qefc "$cmd" /dev/null >"$file" 2>&1
}
# has_bar FILE: "yes" if FILE has a carriage return not ending a line: a
# line redrawn in place (a terminal's own CRLF does not count)
has_bar() { "$MV_PY" -c 'import re, sys; print("yes" if re.search(rb"\r(?!\n)", open(sys.argv[1], "rb").read()) else "no")' "$1"; }

cat >"$mv_tmp/p1.xml" <<EOF
<pool type='dir'>
  <name>p1</name>
  <target><path>$P1</path></target>
</pool>
EOF
cat >"$mv_tmp/base.xml" <<'EOF'
<volume>
  <name>base.raw</name>
  <capacity unit='MiB'>64</capacity>
  <target><format type='raw'/></target>
</volume>
EOF
cat >"$mv_tmp/top.xml" <<EOF
<volume>
  <name>top.qcow2</name>
  <capacity unit='MiB'>64</capacity>
  <target><format type='qcow2'/></target>
  <backingStore><path>$P1/base.raw</path><format type='raw'/></backingStore>
</volume>
EOF

start_storaged

# 1
mvc pool-define "$mv_tmp/p1.xml"
expect_eq "exit status" 0 "$rc"
expect_eq "message" "Pool p1 defined from $mv_tmp/p1.xml" "$out"
same_as_virsh pool-list --all
same_as_virsh pool-list --inactive
same_as_virsh pool-info p1
verdict "pool-define; pool-list --all, --inactive and pool-info of an inactive pool as virsh prints them"

# 2
mvc pool-build p1
expect_eq "build" "0 Pool p1 built" "$rc $out"
expect_eq "directory" yes "$([ -d "$P1" ] && echo yes)"
mvc pool-start p1
expect_eq "start" "0 Pool p1 started" "$rc $out"
same_as_virsh pool-list
same_as_virsh pool-list --all
same_as_virsh pool-info p1
mvc pool-info p1
expect_match "human sizes" "^Capacity:       [0-9]+\.[0-9]{2} (B|KiB|MiB|GiB|TiB)$" "$out"
verdict "pool-build and pool-start; the running pool's list and info (human sizes) as virsh's"

# 3
mvc --json pool-list --all
expect_eq "json list" "p1 running True" "$(json '" ".join(str(x) for x in (j[0]["name"], j[0]["state"], j[0]["active"]))')"
mvc --json pool-info p1
expect_eq "json sizes" "True" "$(json 'all(isinstance(j[k], int) and j[k] >= 0 for k in ("capacity", "allocation", "available")) and j["capacity"] > 0')"
expect_eq "json persistent/autostart" "True False" "$(json 'str(j["persistent"]) + " " + str(j["autostart"])')"
verdict "pool-list --json and pool-info --json parse, with the facts of the table"

# 4
mvc pool-autostart p1
expect_eq "autostart" "0 Pool p1 marked as autostarted" "$rc $out"
same_as_virsh pool-info p1
mvc pool-autostart p1 --disable
expect_eq "disable" "0 Pool p1 unmarked as autostarted" "$rc $out"
mvc pool-refresh p1
expect_eq "refresh" "0 Pool p1 refreshed" "$rc $out"
verdict "pool-autostart (and --disable), pool-refresh: virsh's messages"

# 5
mvc vol-create p1 "$mv_tmp/base.xml"
expect_eq "create raw" "0 Vol base.raw created from $mv_tmp/base.xml" "$rc $out"
mvc vol-create p1 "$mv_tmp/top.xml"
expect_eq "create qcow2" "0 Vol top.qcow2 created from $mv_tmp/top.xml" "$rc $out"
mvc vol-create p1 "$mv_tmp/base.xml"
expect_eq "again: status" 1 "$rc"
expect_match "again: error" "^modvirt: error: failed to create vol in pool 'p1' from $mv_tmp/base.xml: .*base\.raw" "$err"
same_as_virsh vol-list p1
same_as_virsh vol-list p1 --details
mvc --json vol-list p1
expect_eq "json" "base.raw file 67108864 $P1/base.raw | top.qcow2 file 67108864 $P1/top.qcow2" \
    "$(json '" | ".join(" ".join(str(v[k]) for k in ("name", "type", "capacity", "path")) for v in j)')"
verdict "vol-create (raw, and qcow2 on it; an existing name refused); vol-list and --details as virsh's; --json"

# 6
same_as_virsh vol-info base.raw --pool p1
same_as_virsh vol-info "$P1/top.qcow2"
# the XML itself; virsh adds an empty line after it, modvirt (as its
# net-dumpxml) ends it with exactly one newline, for parsers
vsh vol-dumpxml top.qcow2 --pool p1
mine=$out
mvc vol-dumpxml top.qcow2 --pool p1
expect_eq "vol-dumpxml's XML equals virsh's" "$mine" "$out"
mvc --json vol-info top.qcow2 --pool p1
expect_eq "json" "top.qcow2 p1 67108864" "$(json 'j["name"] + " " + j["pool"] + " " + str(j["capacity"])')"
verdict "vol-info (by name and pool, by path) and vol-dumpxml as virsh's; vol-info --json"

# 7
mvc vol-resize base.raw 128M --pool p1
expect_eq "grow" "0 Size of volume 'base.raw' successfully changed to 128M" "$rc $out"
expect_eq "file size" 134217728 "$(stat -c %s "$P1/base.raw")"
mvc vol-resize base.raw +64MiB --pool p1
expect_eq "grow by" "0 Size of volume 'base.raw' successfully changed by 64MiB" "$rc $out"
# "--": a negative size is not an option (as with virsh)
mvc vol-resize base.raw --pool p1 -- -1M
expect_eq "shrink without --shrink" "2" "$rc"
expect_eq "its message" "modvirt: error: negative size '-1M' requires --shrink" "$err"
mvc vol-resize base.raw 12Q --pool p1
expect_eq "bad size" "2 modvirt: error: invalid size '12Q' (a number of bytes, or with a suffix such as KiB, M, G)" "$rc $err"
expect_eq "unchanged" 201326592 "$(stat -c %s "$P1/base.raw")"
verdict "vol-resize: virsh's message, suffixes, +SIZE; a shrink needs --shrink; bad sizes refused"

# 8
head -c 3000000 /dev/urandom | dd of="$P1/base.raw" conv=notrunc status=none
mvc pool-refresh p1
# run's stdout is a file: no terminal
mvc vol-clone base.raw copy.raw --pool p1
expect_eq "clone" "0 Vol copy.raw cloned from base.raw" "$rc $out"
expect_eq "same data" same "$(cmp -s "$P1/base.raw" "$P1/copy.raw" && echo same)"
expect_eq "no bar in a pipe" no "$(printf '%s' "$out" | grep -c $'\r' | sed 's/^0$/no/')"
on_tty "$mv_tmp/clone.tty" vol-clone base.raw tty.raw --pool p1
expect_eq "bar on a terminal" yes "$(has_bar "$mv_tmp/clone.tty")"
expect_match "bar's content" "Cloning tty\.raw \[#+\] 100%  [0-9.]+ MiB / [0-9.]+ MiB  [0-9.]+ [KMG]?i?B/s  in [0-9]+:[0-9]{2}" \
    "$(tr '\r' '\n' <"$mv_tmp/clone.tty")"
expect_match "then the message" "Vol tty\.raw cloned from base\.raw" "$(cat "$mv_tmp/clone.tty")"
on_tty "$mv_tmp/clonej.tty" --json vol-clone base.raw json.raw --pool p1
expect_eq "no bar with --json" no "$(has_bar "$mv_tmp/clonej.tty")"
expect_eq "json parses" "clone json.raw" "$(json 'j["action"] + " " + j["name"]' "$mv_tmp/clonej.tty")"
verdict "vol-clone: same data, virsh's message; a progress bar on a terminal only, never with --json"

# 9
on_tty "$mv_tmp/wipe.tty" vol-wipe tty.raw --pool p1
expect_eq "bar on a terminal" yes "$(has_bar "$mv_tmp/wipe.tty")"
expect_match "time spent" "Wiping tty\.raw  done in [0-9]+:[0-9]{2}" "$(tr '\r' '\n' <"$mv_tmp/wipe.tty")"
expect_eq "zeros" zeros "$(cmp -s "$P1/tty.raw" <(head -c "$(stat -c %s "$P1/tty.raw")" /dev/zero) && echo zeros)"
mvc vol-wipe copy.raw --pool p1
expect_eq "piped" "0 Vol copy.raw wiped" "$rc $out"
verdict "vol-wipe zeroes; the time spent on a terminal, virsh's message alone in a pipe"

# 10
# a 64 MiB image with 1 MiB of data at 8 MiB, the rest holes
img=$mv_tmp/sparse.img
truncate -s 64M "$img"
head -c 1048576 /dev/urandom | dd of="$img" bs=1M seek=8 conv=notrunc status=none
cat >"$mv_tmp/up.xml" <<'EOF'
<volume>
  <name>up.raw</name>
  <capacity unit='MiB'>64</capacity>
  <target><format type='raw'/></target>
</volume>
EOF
mvc vol-create p1 "$mv_tmp/up.xml"
mvc vol-upload up.raw "$img" --pool p1
expect_eq "upload: silent as virsh" "0  " "$rc $out $err"
expect_eq "volume = image" same "$(cmp -s "$img" "$P1/up.raw" && echo same)"
mvc vol-download up.raw "$mv_tmp/down.img" --pool p1 --sparse
expect_eq "download --sparse" "0  " "$rc $out $err"
expect_eq "download = image" same "$(cmp -s "$img" "$mv_tmp/down.img" && echo same)"
expect_eq "still sparse (< 4 MiB allocated)" yes "$([ "$(stat -c %b "$mv_tmp/down.img")" -lt 8192 ] && echo yes)"
mvc vol-download nosuch "$mv_tmp/none.img" --pool p1
expect_eq "unknown volume" 1 "$rc"
expect_match "its error" "^modvirt: error: failed to get vol 'nosuch'" "$err"
expect_eq "no file made" no "$([ -e "$mv_tmp/none.img" ] && echo yes || echo no)"
verdict "vol-upload, and vol-download --sparse: byte-identical, still sparse, silent; an unknown volume leaves no file"

# 11
mvc vol-wipe up.raw --pool p1
mvc vol-upload up.raw "$img" --pool p1 --sparse
expect_eq "upload --sparse" "0  " "$rc $out $err"
expect_eq "volume = image" same "$(cmp -s "$img" "$P1/up.raw" && echo same)"
expect_eq "sparse (< 4 MiB allocated)" yes "$([ "$(stat -c %b "$P1/up.raw")" -lt 8192 ] && echo yes)"
verdict "vol-upload --sparse: byte-identical and sparse"

# 12
on_tty "$mv_tmp/up.tty" vol-upload up.raw "$img" --pool p1
expect_eq "upload bar" yes "$(has_bar "$mv_tmp/up.tty")"
expect_match "its content" "Uploading up\.raw \[#+\] 100%  64\.00 MiB / 64\.00 MiB  [0-9.]+ [KMG]?i?B/s  in [0-9]+:[0-9]{2}" \
    "$(tr '\r' '\n' <"$mv_tmp/up.tty")"
on_tty "$mv_tmp/down.tty" vol-download up.raw "$mv_tmp/down2.img" --pool p1
expect_eq "download bar" yes "$(has_bar "$mv_tmp/down.tty")"
expect_match "its content" "Downloading up\.raw \[#+\] 100%" "$(tr '\r' '\n' <"$mv_tmp/down.tty")"
expect_eq "dense download = image" same "$(cmp -s "$img" "$mv_tmp/down2.img" && echo same)"
on_tty "$mv_tmp/downj.tty" --json vol-download up.raw "$mv_tmp/down3.img" --pool p1
expect_eq "no bar with --json" no "$(has_bar "$mv_tmp/downj.tty")"
expect_eq "json" "download up.raw" "$(json 'j["action"] + " " + j["name"]' "$mv_tmp/downj.tty")"
verdict "vol-upload and vol-download: a progress bar on a terminal only, never with --json"

# 13
mvc vol-delete up.raw --pool p1
mvc vol-delete json.raw --pool p1
expect_eq "delete" "0 Vol json.raw deleted" "$rc $out"
expect_eq "file gone" gone "$([ -e "$P1/json.raw" ] || echo gone)"
same_as_virsh vol-list p1 --details
for v in tty.raw copy.raw top.qcow2 base.raw; do
    mvc vol-delete "$P1/$v"
    expect_eq "delete $v by path" "0 Vol $v deleted" "$rc $out"
done
same_as_virsh vol-list p1
verdict "vol-delete (by name and pool, by path); the lists after it as virsh's"

# 14
mvc pool-info nosuch
expect_eq "status" 1 "$rc"
expect_match "pool" "^modvirt: error: failed to get pool 'nosuch': .*nosuch" "$err"
mvc vol-info nosuch --pool p1
expect_eq "status" 1 "$rc"
expect_match "vol" "^modvirt: error: failed to get vol 'nosuch': .*'nosuch'" "$err"
mvc pool-define "$mv_tmp/none.xml"
expect_eq "no file" "2 modvirt: error: cannot read '$mv_tmp/none.xml': No such file or directory" "$rc $err"
verdict "unknown pool and volume, a missing file: errors naming object and cause"

# 15
mvc pool-destroy p1
expect_eq "destroy" "0 Pool p1 destroyed" "$rc $out"
same_as_virsh pool-list --all
mvc vol-list p1
expect_eq "inactive pool" 1 "$rc"
expect_match "says so" "^modvirt: error: failed to list the volumes of pool 'p1': .*p1" "$err"
verdict "pool-destroy; volumes of an inactive pool: an error naming it"

# 16
mvc pool-delete p1
expect_eq "delete" "0 Pool p1 deleted " "$rc $out $err"
expect_eq "directory gone" gone "$([ -e "$P1" ] || echo gone)"
mvc pool-undefine p1
expect_eq "undefine" "0 Pool p1 has been undefined" "$rc $out"
same_as_virsh pool-list --all
verdict "pool-delete, pool-undefine: virsh's messages; nothing listed after"

# 17
stop_pid "$MV_PID"
mvc pool-list --all
expect_eq "status" 3 "$rc"
expect_match "socket" "storaged-sock" "$err"
verdict "storaged down: exit status 3, the message names its socket"

mv_done
