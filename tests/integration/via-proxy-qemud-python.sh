#!/bin/sh
# qemud-python.sh with its clients going through modvirt-proxyd's libvirt-sock
# (lib.sh: MV_VIA_PROXY): the same cases; one expects what the proxy says
# of a network call, modvirt-netd not running (the script runs qemud only).
MV_VIA_PROXY=1 exec bash "$(dirname "$0")/qemud-python.sh" "$@"
