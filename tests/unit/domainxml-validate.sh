#!/bin/bash
# Every expected output in tests/domainxml against libvirt's RelaxNG schema
# (virt-xml-validate from libvirt-clients): what modvirt writes, libvirt and
# its tools must accept.  One TAP line per NAME.out.xml.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
dir="${top_srcdir:?run from make check}/tests/domainxml"

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
echo "1..${#files[@]}"
n=0
for f in "${files[@]}"; do
    n=$((n + 1))
    if out=$(virt-xml-validate "$f" domain 2>&1); then
        echo "ok $n - $(basename "$f") validates against domain.rng"
    else
        echo "not ok $n - $(basename "$f") does not validate against domain.rng"
        printf '%s\n' "$out" | sed 's/^/# /'
    fi
done
