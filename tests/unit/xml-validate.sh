#!/bin/bash
# Every expected output in tests/KINDxml against libvirt's RelaxNG schema for
# KIND (network or domain), with virt-xml-validate from libvirt-clients: what
# modvirt writes, libvirt and its tools must accept.  One TAP line per
# NAME.out.xml.  Run through networkxml-validate.sh and domainxml-validate.sh.
#
# A network's <title> and <description> are taken out first: libvirt added
# them to networks in 9.7, after the 9.0 schema Debian 12 ships, which
# refuses them.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
kind=${1:?usage: xml-validate.sh network|domain}
dir="${top_srcdir:?run from make check}/tests/${kind}xml"

if ! command -v virt-xml-validate >/dev/null 2>&1; then
    echo "1..0 # SKIP virt-xml-validate not installed (libvirt-clients)"
    exit 0
fi
shopt -s nullglob
files=("$dir"/*.out.xml)
if [ ${#files[@]} -eq 0 ]; then
    # a lost fixture directory must not look like success
    echo "1..1"
    echo "not ok 1 - no *.out.xml in $dir"
    exit 0
fi
tmp=$(mktemp -d "/tmp/${kind}xml-validate.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
echo "1..${#files[@]}"
n=0
for f in "${files[@]}"; do
    n=$((n + 1))
    in=$f
    if [ "$kind" = network ]; then
        # the formatter writes each on one line (a <title> is one line by rule)
        sed -e '/^  <title>.*<\/title>$/d' -e '/^  <description>.*<\/description>$/d' "$f" >"$tmp/in.xml"
        in=$tmp/in.xml
    fi
    if out=$(virt-xml-validate "$in" "$kind" 2>&1); then
        echo "ok $n - $(basename "$f") validates against $kind.rng"
    else
        echo "not ok $n - $(basename "$f") does not validate against $kind.rng"
        printf '%s\n' "$out" | sed 's/^/# /'
    fi
done
