#!/bin/sh
# nodedevd-basic.sh with its clients going through modvirt-proxyd's libvirt-sock
# (lib.sh: MV_VIA_PROXY): the same cases, the same expectations.
MV_VIA_PROXY=1 exec bash "$(dirname "$0")/nodedevd-basic.sh" "$@"
