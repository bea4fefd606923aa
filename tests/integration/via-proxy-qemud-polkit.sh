#!/bin/sh
# qemud-polkit.sh with its clients going through modvirt-proxyd's
# libvirt-sock (lib.sh: MV_VIA_PROXY): the proxy asks polkit for non-root
# clients of its rw socket, as the daemon does, and forwards the identity it
# let in; the same users are allowed, refused or challenged.
MV_VIA_PROXY=1 exec bash "$(dirname "$0")/qemud-polkit.sh" "$@"
