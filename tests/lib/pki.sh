# A throwaway x509 PKI for the remote-access tests and bench/tls.sh (bash;
# sourced, not run): tests/data/tls/mkpki.sh makes it, laid out here by role.
#
# pki_make DIR: in DIR
#   ca/cacert.pem ca/cakey.pem          the CA
#   ca/cacrl.pem                        its CRL: revoked/'s certificate
#   server/{servercert,serverkey}.pem   CN=127.0.0.1, SANs 127.0.0.1, ::1, localhost
#   server2/...                         the same server re-issued (another key)
#   server-expired/...                  a server certificate that expired
#   good/     cacert.pem clientcert.pem clientkey.pem   DN $PKI_GOOD_DN
#   rogue/    the same DN, signed by another CA (cacert.pem: ours)
#   expired/  the same DN, ours, expired in 2002
#   intruder/ CN=intruder, ours, valid: only its DN is wrong
#   revoked/  the same DN as good/, ours, valid, revoked by ca/cacrl.pem
#   (each client dir is a flat ?pkipath= directory, as libvirt's client wants)
# pki_install_server DIR ROOT [NAME]: NAME's (default server) cert and key,
#   the CA and its CRL into ROOT's libvirt layout (ROOT/etc/pki/CA/cacert.pem
#   and cacrl.pem, ROOT/etc/pki/libvirt/servercert.pem,
#   .../private/serverkey.pem 0600)
#
# The client DN (RFC 4514 order; libvirt's compat order is the reverse):
PKI_GOOD_DN="CN=client1,O=modvirt test,L=London,ST=London,C=GB"
PKI_INTRUDER_DN="CN=intruder,O=modvirt test,L=London,ST=London,C=GB"
# globs that let client1 in (either order) and keep intruder out
PKI_ALLOWED_DN_LIST='["CN=client1,*", "C=GB,ST=London,L=London,O=modvirt test,CN=client1"]'

# the one generator of the test PKI (the unit tests use it as it is)
PKI_MKPKI=$(cd "$(dirname "${BASH_SOURCE[0]}")/../data/tls" && pwd)/mkpki.sh

# _pki_role DIR ROLE FLAT PREFIX: ROLE's flat pkipath dir from mkpki's
# PREFIXcert.pem / PREFIXkey.pem (our CA as cacert.pem)
_pki_role() {
    mkdir -p "$1/$2" &&
        cp "$3/cacert.pem" "$1/$2/cacert.pem" &&
        cp "$3/${4}cert.pem" "$1/$2/clientcert.pem" &&
        cp "$3/${4}key.pem" "$1/$2/clientkey.pem"
}

pki_make() {
    local d=$1 f=$1/flat
    sh "$PKI_MKPKI" "$f" >/dev/null || return 1
    mkdir -p "$d/ca" "$d/rogue-ca" "$d/server" "$d/server2" "$d/server-expired" || return 1
    cp "$f/cacert.pem" "$f/cakey.pem" "$f/cacrl.pem" "$d/ca/" &&
        cp "$f/rogue-cacert.pem" "$d/rogue-ca/cacert.pem" &&
        cp "$f/servercert.pem" "$f/serverkey.pem" "$d/server/" &&
        cp "$f/server2cert.pem" "$d/server2/servercert.pem" &&
        cp "$f/server2key.pem" "$d/server2/serverkey.pem" &&
        cp "$f/expired-servercert.pem" "$d/server-expired/servercert.pem" &&
        cp "$f/serverkey.pem" "$d/server-expired/serverkey.pem" || return 1
    _pki_role "$d" good "$f" client && _pki_role "$d" rogue "$f" rogue-client &&
        _pki_role "$d" expired "$f" expired-client && _pki_role "$d" intruder "$f" other-client &&
        _pki_role "$d" revoked "$f" revoked-client
}

pki_install_server() {
    local d=$1 root=$2 name=${3:-server}
    mkdir -p "$root/etc/pki/CA" "$root/etc/pki/libvirt/private"
    cp "$d/ca/cacert.pem" "$root/etc/pki/CA/cacert.pem"
    cp "$d/ca/cacrl.pem" "$root/etc/pki/CA/cacrl.pem"
    cp "$d/$name/servercert.pem" "$root/etc/pki/libvirt/servercert.pem"
    install -m 0600 "$d/$name/serverkey.pem" "$root/etc/pki/libvirt/private/serverkey.pem"
}

# pki_dn CERT: the certificate's subject as certtool prints it
pki_dn() { certtool -i --infile "$1" 2>/dev/null | sed -n 's/^[[:space:]]*Subject: //p'; }

# free_tcp_port: a port nothing listens on now, on 127.0.0.1
free_tcp_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
