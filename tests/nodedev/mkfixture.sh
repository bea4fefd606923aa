#!/bin/bash
# mkfixture.sh NAME DIR: builds the fake sysfs tree NAME (defined by
# fixture-NAME.sh next to this script, with the helpers of lib.sh) into DIR,
# which is made and must be empty.  Mount DIR on /sys in a mount namespace
# of your own to show it to sd-device (nodedevd's sysfs_root does that).
set -euo pipefail

usage() {
    echo "usage: $0 NAME DIR (fixtures: $(cd "$here" && ls fixture-*.sh | sed 's/^fixture-//; s/\.sh$//' | tr '\n' ' '))" >&2
    exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
[ $# -eq 2 ] || usage
name=$1 dir=$2
[[ $name =~ ^[a-z0-9][a-z0-9-]*$ ]] || { echo "$0: bad fixture name '$name'" >&2; exit 2; }
[ -f "$here/fixture-$name.sh" ] || { echo "$0: no fixture '$name' ($here/fixture-$name.sh)" >&2; usage; }

. "$here/lib.sh"
. "$here/fixture-$name.sh"
fn=fixture_${name//-/_}
declare -F "$fn" > /dev/null || { echo "$0: fixture-$name.sh defines no $fn" >&2; exit 1; }
"$fn" "$dir"
