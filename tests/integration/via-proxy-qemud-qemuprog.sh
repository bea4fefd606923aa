#!/bin/sh
# qemud-qemuprog.sh with its clients going through modvirt-proxyd's
# libvirt-sock (lib.sh: MV_VIA_PROXY): the QEMU program's calls and its
# monitor events routed to modvirt-qemud, their callback ids the proxy's.
MV_VIA_PROXY=1 exec bash "$(dirname "$0")/qemud-qemuprog.sh" "$@"
