#!/bin/sh
# storaged-secrets.sh with its clients going through modvirt-proxyd's
# libvirt-sock (lib.sh: MV_VIA_PROXY): the same cases, the same
# expectations; a private secret's value stays refused to a client whose
# identity the proxy forwards (CONNECT_SET_IDENTITY).
MV_VIA_PROXY=1 exec bash "$(dirname "$0")/storaged-secrets.sh" "$@"
