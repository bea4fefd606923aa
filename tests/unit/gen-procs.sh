#!/bin/sh
# rpc/gen-procs.awk against remote_protocol.x (with qemu_protocol.x, the
# second program) and against broken copies of them: the build must stop,
# naming the line, when the enum and the annotations disagree.  One TAP
# line per case.
set -u
src="${top_srcdir:?run from make check}/rpc"
awk="${AWK:-awk}"
tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT
n=0

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); echo "not ok $n - $1"; sed 's/^/# /' "$tmp/err"; }

# The unmodified file: all three outputs, nothing on stderr.
good() {
    for what in facts handlers invoke; do
        if ! "$awk" -v what=$what -f "$src/gen-procs.awk" "$src/remote_protocol.x" >"$tmp/out" 2>"$tmp/err" ||
           [ -s "$tmp/err" ] || [ ! -s "$tmp/out" ]; then
            not_ok "remote_protocol.x generates $what"
            return
        fi
    done
    ok "remote_protocol.x generates facts, handlers and invoke"
}

# broken DESCRIPTION SED-SCRIPT EXPECTED: the edited .x must fail with EXPECTED.
broken() {
    sed "$2" "$src/remote_protocol.x" >"$tmp/bad.x"
    if cmp -s "$tmp/bad.x" "$src/remote_protocol.x"; then
        echo "edit did not apply" >"$tmp/err"
        not_ok "$1"
    elif "$awk" -v what=facts -f "$src/gen-procs.awk" "$tmp/bad.x" >"$tmp/out" 2>"$tmp/err"; then
        not_ok "$1 (the generator accepted it)"
    elif ! grep -q "bad.x:[0-9]*: .*$3" "$tmp/err"; then
        not_ok "$1 (wrong message, expected '$3')"
    else
        ok "$1"
    fi
}

# The two programs together: one table each, the qemu program's procedures
# under their own prefix in the handler union and the switch.
two_programs() {
    for what in facts handlers invoke; do
        if ! "$awk" -v what=$what -f "$src/gen-procs.awk" "$src/remote_protocol.x" "$src/qemu_protocol.x" \
             >"$tmp/$what" 2>"$tmp/err" || [ -s "$tmp/err" ]; then
            not_ok "remote_protocol.x and qemu_protocol.x generate $what"
            return
        fi
    done
    if ! grep -q '^const struct mv_proc_info mv_qemu_proc_facts\[\]' "$tmp/facts" ||
       ! grep -q '{ MV_QEMU_PROGRAM, MV_QEMU_VERSION, "qemu", mv_qemu_proc_facts' "$tmp/facts" ||
       ! grep -q 'mv_handler_QEMU_DOMAIN_MONITOR_COMMAND_fn \*QEMU_DOMAIN_MONITOR_COMMAND;' "$tmp/handlers" ||
       ! grep -q 'case MV_QEMU_PROC_DOMAIN_MONITOR_COMMAND:' "$tmp/invoke"; then
        echo "the qemu program's table, union member or case is missing" >"$tmp/err"
        not_ok "remote_protocol.x and qemu_protocol.x generate two programs"
        return
    fi
    ok "remote_protocol.x and qemu_protocol.x generate two programs"
}

# broken_qemu DESCRIPTION SED-SCRIPT EXPECTED: the same for qemu_protocol.x.
broken_qemu() {
    sed "$2" "$src/qemu_protocol.x" >"$tmp/badq.x"
    if cmp -s "$tmp/badq.x" "$src/qemu_protocol.x"; then
        echo "edit did not apply" >"$tmp/err"
        not_ok "$1"
    elif "$awk" -v what=facts -f "$src/gen-procs.awk" "$src/remote_protocol.x" "$tmp/badq.x" >"$tmp/out" 2>"$tmp/err"; then
        not_ok "$1 (the generator accepted it)"
    elif ! grep -q "badq.x:[0-9]*: .*$3" "$tmp/err"; then
        not_ok "$1 (wrong message, expected '$3')"
    else
        ok "$1"
    fi
}

echo "1..12"
good
two_programs
broken_qemu "a qemu entry with the remote program's prefix" \
    's/^    MV_QEMU_PROC_DOMAIN_ATTACH = 2,$/    MV_PROC_DOMAIN_ATTACH = 2,/' "must be MV_QEMU_PROC_<NAME>"
broken_qemu "a qemu message without its type" \
    's/^struct mv_qemu_domain_monitor_event_msg {$/struct mv_qemu_domain_monitor_evt_msg {/' \
    "type mv_qemu_domain_monitor_event_msg is not declared"
broken "an entry without annotation" \
    '/^    \/\* @ qemu ro inline virDomainLookupByName \*\/$/d' "DOMAIN_LOOKUP_BY_NAME has no annotation"
broken "a type the .x does not declare" \
    's/@ qemu ro inline virDomainGetInfo args=mv_domain_args/@ qemu ro inline virDomainGetInfo args=mv_domain_info_args/' \
    "type mv_domain_info_args is not declared"
broken "an unknown word" \
    's/@ qemu ro inline virDomainGetInfo/@ qemu ro inline priority:high virDomainGetInfo/' "unknown annotation word"
broken "neither inline nor worker" \
    's/@ qemu ro inline virDomainGetInfo/@ qemu ro virDomainGetInfo/' "neither inline nor worker"
broken "a stream on a worker" \
    's/@ qemu rw inline stream virDomainOpenConsole/@ qemu rw worker stream virDomainOpenConsole/' \
    "must be inline"
broken "an annotation without its entry" \
    '/^    MV_PROC_DOMAIN_GET_INFO = 16,$/d' "is not followed by an entry"
broken "a number used twice" \
    's/^    MV_PROC_DOMAIN_GET_INFO = 16,$/    MV_PROC_DOMAIN_GET_INFO = 17,/' "number 17 used twice"
broken "no API name" \
    's/@ qemu ro inline virDomainGetInfo/@ qemu ro inline/' "names no virXxx API"
exit 0
