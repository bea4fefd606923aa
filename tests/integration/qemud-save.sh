#!/bin/bash
# Save, restore and managed save under modvirt-qemud with the test guest
# counting seconds in its memory (guest.tick=1 prints GUEST-TICK N): a
# restored guest goes on counting from where it was saved, not from 1.
# virsh save/restore (--paused, --xml, save-image-dumpxml/-define),
# managedsave + start (and --force-boot), managedsave-remove, undefine
# refused with a managed image unless --managed-save, list --with-managed-save;
# a truncated or foreign image fails restore naming the file, with no
# domain left; domjobinfo while a (throttled) save runs, and domjobabort
# leaving the guest running and no image; python3-libvirt's save/restore.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
. "${top_srcdir:?run from make check}/tests/integration/lib.sh"
. "$top_srcdir/tests/integration/guest.sh"

MV_NEEDS="qemu-system-x86_64 xmllint"
BOOT_S=60
guest_test_init 9
start_daemon

GUEST_APPEND=guest.tick=1
savedir=$mv_tmp/saves
mkdir -p "$savedir"
mdir=$MV_ROOT/var/lib/modvirt/qemu/save
xp() { printf '%s\n' "$2" | xmllint --xpath "$1" - 2>/dev/null; }

# last_tick LOG: the last GUEST-TICK number in LOG (0 if none)
last_tick() { tr -d '\r' <"$1" 2>/dev/null | sed -n 's/^GUEST-TICK \([0-9]*\)$/\1/p' | tail -n 1 | grep . || echo 0; }
# first_tick LOG: the first one
first_tick() { tr -d '\r' <"$1" 2>/dev/null | sed -n 's/^GUEST-TICK \([0-9]*\)$/\1/p' | head -n 1; }
# wait_ticks LOG N: until LOG shows tick N or later (30 s)
wait_ticks() {
    local end=$(($(date +%s) + 30))
    while [ "$(last_tick "$1")" -lt "$2" ]; do
        [ "$(date +%s)" -lt "$end" ] || return 1
        sleep 0.1
    done
}
# new_ticks LOG: waits for the first tick in LOG (rewritten by the restored QEMU)
new_ticks() { guest_wait_log "$1" "^GUEST-TICK [0-9]+" 30; }
# temp files of an unfinished image left in DIR
leftovers() { ls -A "$1" | grep -c 'mvtmp' || true; }

boot() {    # boot NAME: defined and running, ticking
    guest_domain_xml "$1" "$mv_tmp/$1.serial" >"$mv_tmp/$1.xml"
    vsh define "$mv_tmp/$1.xml"
    vsh start "$1"
    expect_eq "start $1" 0 "$rc"
    guest_wait_log "$mv_tmp/$1.serial" "GUEST-TICK 2" "$BOOT_S" || expect_fail "$1 did not tick"
}

# 1: save and restore keep the guest's counter going
boot s1
vsh save s1 "$savedir/s1.img"
expect_eq "save" 0 "$rc"
before=$(last_tick "$mv_tmp/s1.serial")
vsh domstate --reason s1
expect_eq "shut off by the save" "shut off (saved)" "$out"
expect_eq "image written" yes "$([ -s "$savedir/s1.img" ] && echo yes)"
expect_eq "no temp file left" 0 "$(leftovers "$savedir")"
vsh restore "$savedir/s1.img"
expect_eq "restore" 0 "$rc"
vsh domstate --reason s1
expect_eq "running restored" "running (restored)" "$out"
new_ticks "$mv_tmp/s1.serial" || expect_fail "no tick after restore"
after=$(first_tick "$mv_tmp/s1.serial")
[ "${after:-0}" -gt "$before" ] || expect_fail "first tick after restore ($after) not after the last before save ($before)"
expect_nomatch "no new boot" "GUEST-BOOTED-OK" "$(cat "$mv_tmp/s1.serial")"
verdict "save + restore: the guest goes on counting ($before, then $after)"

# 2: --paused, and the image's XML: dumpxml, define, save --xml
vsh save s1 "$savedir/s1b.img" --paused
expect_eq "save --paused" 0 "$rc"
vsh save-image-dumpxml "$savedir/s1b.img"
expect_eq "save-image-dumpxml" s1 "$(xp 'string(/domain/name)' "$out")"
vsh restore "$savedir/s1b.img"
expect_eq "restore" 0 "$rc"
vsh domstate s1
expect_eq "restored paused (saved with --paused)" paused "$out"
vsh destroy s1
vsh domuuid s1
uuid=$out
sed "s|<name>s1</name>|<name>s1</name><uuid>$uuid</uuid><description>edited image</description>|" "$mv_tmp/s1.xml" \
    >"$mv_tmp/s1-desc.xml"
vsh save-image-define "$savedir/s1b.img" "$mv_tmp/s1-desc.xml" --running
expect_eq "save-image-define --running ($err)" 0 "$rc"
vsh restore "$savedir/s1b.img"
expect_eq "restore of the edited image" 0 "$rc"
vsh domstate s1
expect_eq "running, as defined" running "$out"
vsh dumpxml s1
expect_eq "restored with the edited XML" "edited image" "$(xp 'string(/domain/description)' "$out")"
sed "s|<name>s1</name>|<name>s1</name><uuid>$uuid</uuid><description>from save --xml</description>|" "$mv_tmp/s1.xml" \
    >"$mv_tmp/s1-xml.xml"
vsh save s1 "$savedir/s1c.img" --xml "$mv_tmp/s1-xml.xml"
expect_eq "save --xml ($err)" 0 "$rc"
vsh restore "$savedir/s1c.img" --paused
expect_eq "restore --paused" 0 "$rc"
vsh domstate s1
expect_eq "paused by restore --paused" paused "$out"
vsh dumpxml s1
expect_eq "save --xml changed the config" "from save --xml" "$(xp 'string(/domain/description)' "$out")"
sed 's|<name>s1</name>|<name>other</name>|' "$mv_tmp/s1.xml" >"$mv_tmp/other.xml"
vsh save s1 "$savedir/bad.img" --xml "$mv_tmp/other.xml"
expect_eq "save --xml of another domain fails" 1 "$rc"
expect_match "named" "must describe domain 's1'" "$err"
vsh destroy s1
verdict "restore --paused / save --paused; save-image-dumpxml, save-image-define, save --xml"

# 3: managed save, then start restores it
vsh start s1
guest_wait_log "$mv_tmp/s1.serial" "GUEST-TICK 2" "$BOOT_S" || expect_fail "s1 did not tick"
vsh managedsave s1
expect_eq "managedsave" 0 "$rc"
before=$(last_tick "$mv_tmp/s1.serial")
expect_eq "image in the state dir" yes "$([ -s "$mdir/s1.save" ] && echo yes)"
vsh dominfo s1
expect_match "dominfo says so" "Managed save: +yes" "$out"
vsh list --all --name --with-managed-save
expect_eq "listed with --with-managed-save" s1 "$out"
vsh list --all --name --without-managed-save
expect_nomatch "not listed without" "^s1$" "$out"
vsh start s1
expect_eq "start" 0 "$rc"
vsh domstate --reason s1
expect_eq "running restored" "running (restored)" "$out"
new_ticks "$mv_tmp/s1.serial" || expect_fail "no tick after start"
after=$(first_tick "$mv_tmp/s1.serial")
[ "${after:-0}" -gt "$before" ] || expect_fail "first tick after start ($after) not after managedsave ($before)"
expect_eq "image gone once restored" gone "$([ -e "$mdir/s1.save" ] && echo present || echo gone)"
verdict "managedsave, then start restores it ($before, then $after) and removes the image"

# 4: managedsave-remove, and start --force-boot discards the image
vsh managedsave s1
vsh managedsave-remove s1
expect_eq "managedsave-remove" 0 "$rc"
expect_eq "image removed" gone "$([ -e "$mdir/s1.save" ] && echo present || echo gone)"
vsh start s1
expect_eq "start" 0 "$rc"
guest_wait_log "$mv_tmp/s1.serial" "GUEST-BOOTED-OK" "$BOOT_S" || expect_fail "no fresh boot"
vsh domstate --reason s1
expect_eq "booted" "running (booted)" "$out"
guest_wait_log "$mv_tmp/s1.serial" "GUEST-TICK 1" "$BOOT_S" || expect_fail "no tick"
vsh managedsave s1
vsh start --force-boot s1
expect_eq "start --force-boot" 0 "$rc"
guest_wait_log "$mv_tmp/s1.serial" "GUEST-BOOTED-OK" "$BOOT_S" || expect_fail "--force-boot did not boot"
expect_eq "--force-boot discarded the image" gone "$([ -e "$mdir/s1.save" ] && echo present || echo gone)"
verdict "managedsave-remove; start --force-boot boots afresh and drops the image"

# 5: undefine refuses a domain with a managed image unless --managed-save
guest_wait_log "$mv_tmp/s1.serial" "GUEST-TICK 1" "$BOOT_S" || expect_fail "no tick"
vsh managedsave s1
vsh undefine s1
expect_eq "plain undefine fails" 1 "$rc"
expect_match "named" "Refusing to undefine while domain managed save image exists" "$err"
vsh domstate s1
expect_eq "still defined" "shut off" "$out"
vsh undefine --managed-save s1
expect_eq "undefine --managed-save" 0 "$rc"
expect_eq "image removed" gone "$([ -e "$mdir/s1.save" ] && echo present || echo gone)"
vsh managedsave s1
expect_eq "managedsave of an unknown domain fails" 1 "$rc"
verdict "undefine refused with a managed image; --managed-save removes it"

# 6: truncated and foreign images fail restore by name and leave no domain
sz=$(stat -c %s "$savedir/s1.img")
head -c $((sz - 4096)) "$savedir/s1.img" >"$savedir/cut.img"
vsh restore "$savedir/cut.img"
expect_eq "truncated image fails" 1 "$rc"
expect_match "named, and why" "cannot restore from '$savedir/cut.img': save image is truncated" "$err"
vsh list --all --name
expect_nomatch "no domain left" "s1" "$out"
printf 'LibvirtQemudSave%01000d' 0 >"$savedir/foreign.img"
vsh restore "$savedir/foreign.img"
expect_eq "foreign image fails" 1 "$rc"
expect_match "named, and why" "cannot restore from '$savedir/foreign.img': not a modvirt save image" "$err"
vsh restore "$savedir/missing.img"
expect_eq "missing image fails" 1 "$rc"
expect_match "named" "cannot open save image '$savedir/missing.img'" "$err"
vsh list --all --name
expect_eq "no domain at all" "" "$out"
expect_eq "no QEMU left" "" "$(ours)"
verdict "truncated, foreign and missing images fail restore clearly; nothing left"

# 7: a restore whose stream is corrupt (a whole file, QEMU refuses its
# state): the QEMU started for it goes, and so does the transient domain
cp "$savedir/s1.img" "$savedir/corrupt.img"
dd if=/dev/urandom of="$savedir/corrupt.img" bs=4096 seek=$((sz / 4096 / 2)) count=64 conv=notrunc status=none
vsh restore "$savedir/corrupt.img"
expect_eq "corrupt stream fails" 1 "$rc"
expect_match "named" "cannot restore domain 's1' from '$savedir/corrupt.img': QEMU could not load its state" "$err"
vsh list --all --name
expect_eq "no domain left" "" "$out"
wait_none_ours 10 || expect_fail "a QEMU outlived the failed restore: $(ours)"
verdict "a corrupt stream fails restore in QEMU; QEMU and domain gone"

# 8: domjobinfo during a save, domjobabort: the guest runs on, no image
boot s3
# a save at 1 MiB/s takes tens of seconds: the guest's kernel alone is more
if vsh migrate-setspeed s3 1 && [ "$rc" = 0 ]; then throttled=1
else
    vsh qemu-monitor-command s3 '{"execute":"migrate-set-parameters","arguments":{"max-bandwidth":1048576}}'
    [ "$rc" = 0 ] && throttled=1 || throttled=0
fi
if [ "$throttled" = 0 ]; then
    skip "no way to throttle QEMU's migration here (neither migrate-setspeed nor qemu-monitor-command)"
else
    isolated virsh -c "$MV_URI" save s3 "$savedir/s3.img" >"$mv_tmp/save3.out" 2>&1 &
    savepid=$!
    end=$(($(date +%s) + 30))
    while :; do
        vsh domjobinfo s3
        printf '%s\n' "$out" | grep -Eq "^Job type: +Unbounded" &&
            printf '%s\n' "$out" | grep -Eq "^Memory processed: +[1-9]" && break
        [ "$(date +%s)" -lt "$end" ] || { expect_fail "no job with progress seen: $out"; break; }
        sleep 0.2
    done
    expect_match "operation" "^Operation: +Save" "$out"
    vsh domjobinfo s3
    expect_match "data grows" "^Data processed: +[0-9.]+ [KMG]iB" "$out"
    vsh domstate --reason s3
    expect_eq "paused for the save" "paused (saving)" "$out"
    vsh domjobabort s3
    expect_eq "domjobabort" 0 "$rc"
    wait "$savepid"
    expect_eq "the save fails" 1 "$?"
    expect_match "aborted, named" "operation aborted: save of domain 's3'" "$(cat "$mv_tmp/save3.out")"
    vsh domstate s3
    expect_eq "running again" running "$out"
    expect_eq "no image" gone "$([ -e "$savedir/s3.img" ] && echo present || echo gone)"
    expect_eq "no temp file" 0 "$(leftovers "$savedir")"
    t=$(last_tick "$mv_tmp/s3.serial")
    wait_ticks "$mv_tmp/s3.serial" $((t + 2)) || expect_fail "the guest does not tick after the abort"
    vsh domjobinfo s3
    expect_match "no job now" "^Job type: +None" "$out"
    vsh domjobabort s3
    expect_eq "abort without a job fails" 1 "$rc"
    expect_match "named" "no job is active on domain 's3'" "$err"
    verdict "domjobinfo while a save runs; domjobabort: running, no image"
fi
vsh destroy s3

# 9: python3-libvirt: save / restore / managedSave / hasManagedSaveImage / create
vsh start s3
guest_wait_log "$mv_tmp/s3.serial" "GUEST-TICK 1" "$BOOT_S" || expect_fail "s3 did not tick"
py - "$MV_URI" "$savedir/py.img" <<'EOF'
import sys, libvirt
from mvlibvirt import out, step
uri, path = sys.argv[1], sys.argv[2]
c = libvirt.open(uri)
d = c.lookupByName("s3")
step("save", lambda: d.save(path))
step("state_saved", lambda: d.state())
step("restore", lambda: c.restore(path))
step("state_restored", lambda: d.state())
step("managed_save", lambda: d.managedSave(0))
step("has_image", lambda: d.hasManagedSaveImage(0))
step("create", lambda: d.create())
step("state_started", lambda: d.state())
step("has_image_after", lambda: d.hasManagedSaveImage(0))
step("job", lambda: d.jobInfo()[0])
EOF
expect_eq "python rc" 0 "$rc"
expect_eq "save" 0 "$(kv save)"
expect_eq "shut off, saved" "[5, 5]" "$(kv state_saved)"
expect_eq "restore" 0 "$(kv restore)"
expect_eq "running, restored" "[1, 3]" "$(kv state_restored)"
expect_eq "managedSave" 0 "$(kv managed_save)"
expect_eq "hasManagedSaveImage" 1 "$(kv has_image)"
expect_eq "running, restored by create" "[1, 3]" "$(kv state_started)"
expect_eq "image gone" 0 "$(kv has_image_after)"
expect_eq "no job" 0 "$(kv job)"
vsh destroy s3
vsh undefine s3
expect_daemon_alive
verdict "python3-libvirt: save, restore, managedSave, hasManagedSaveImage, create restores"

mv_done
