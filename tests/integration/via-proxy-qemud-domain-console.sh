#!/bin/sh
# qemud-domain-console.sh with its clients going through modvirt-proxyd's
# libvirt-sock (lib.sh: MV_VIA_PROXY): a paste into a guest that does not
# read it waits at the proxy too (the proxy stops reading the client while
# 4 MiB wait for qemud), other clients' calls keep being answered.  The
# paste is four times longer, beyond what the proxy may queue.
MV_VIA_PROXY=1 exec bash "$(dirname "$0")/qemud-domain-console.sh" "$@"
