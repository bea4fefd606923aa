#!/bin/sh
# rpc/gen-procs.awk against remote_protocol.x and against broken copies of
# it: the build must stop, naming the line, when the enum and the
# annotations disagree.  One TAP line per case.
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

echo "1..9"
good
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
