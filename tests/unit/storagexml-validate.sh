#!/bin/bash
# Every expected output in tests/storagexml against libvirt's RelaxNG schema
# for its kind (pool-* storagepool, vol-* storagevol, secret-* secret), with
# virt-xml-validate from libvirt-clients: what modvirt writes, libvirt and
# its tools must accept.  One TAP line per NAME.out.xml.
[ -n "${BASH_VERSION:-}" ] || exec bash "$0" "$@"
set -u
dir="${top_srcdir:?run from make check}/tests/storagexml"

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
    base=$(basename "$f")
    case $base in
    pool-*) schema=storagepool ;;
    vol-*) schema=storagevol ;;
    secret-*) schema=secret ;;
    *) echo "not ok $n - $base: no schema for its prefix"; continue ;;
    esac
    if out=$(virt-xml-validate "$f" "$schema" 2>&1); then
        echo "ok $n - $base validates against $schema.rng"
    else
        echo "not ok $n - $base does not validate against $schema.rng"
        printf '%s\n' "$out" | sed 's/^/# /'
    fi
done
