# A throwaway x509 PKI for the remote-access tests and bench/tls.sh (bash;
# sourced, not run).  certtool (gnutls-bin) with templates, no prompts.
#
# pki_make DIR: in DIR
#   ca/cacert.pem ca/cakey.pem          the CA
#   ca/cacrl.pem                        its CRL: revoked/'s certificate
#   server/{servercert,serverkey}.pem   CN=127.0.0.1, SANs 127.0.0.1, ::1, localhost
#   server2/...                         the same server re-issued (another key)
#   server-expired/...                  a server certificate that expired
#   good/     cacert.pem clientcert.pem clientkey.pem   DN $PKI_GOOD_DN
#   rogue/    the same DN, signed by another CA (cacert.pem: ours)
#   expired/  the same DN, ours, expired in 2020
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

# _pki_key FILE: a private key (RSA 2048, as libvirt's docs make them), 0600
_pki_key() {
    (umask 077 && certtool --generate-privkey --key-type=rsa --bits=2048 --outfile "$1") >/dev/null 2>&1
}

# _pki_cert OUT KEY TEMPLATE CADIR: OUT signed by the CA in CADIR
_pki_cert() {
    certtool --generate-certificate --load-privkey "$2" --template "$3" \
        --load-ca-certificate "$4/cacert.pem" --load-ca-privkey "$4/cakey.pem" \
        --outfile "$1" >/dev/null 2>&1
}

# _pki_ca DIR NAME: a self-signed CA in DIR/cacert.pem, DIR/cakey.pem
_pki_ca() {
    mkdir -p "$1"
    printf 'cn = %s\nca\ncert_signing_key\ncrl_signing_key\nexpiration_days = 3650\n' "$2" >"$1/ca.info"
    _pki_key "$1/cakey.pem" &&
        certtool --generate-self-signed --load-privkey "$1/cakey.pem" --template "$1/ca.info" \
            --outfile "$1/cacert.pem" >/dev/null 2>&1
}

# _pki_server DIR CADIR [DATES]: servercert.pem/serverkey.pem in DIR
_pki_server() {
    mkdir -p "$1"
    {
        printf 'organization = modvirt test\ncn = 127.0.0.1\ndns_name = localhost\n'
        printf 'ip_address = 127.0.0.1\nip_address = ::1\ntls_www_server\nencryption_key\nsigning_key\n'
        printf '%s\n' "${3:-expiration_days = 365}"
    } >"$1/server.info"
    _pki_key "$1/serverkey.pem" && _pki_cert "$1/servercert.pem" "$1/serverkey.pem" "$1/server.info" "$2"
}

# _pki_client DIR CADIR CN [DATES]: a flat pkipath dir (our CA as cacert.pem)
_pki_client() {
    mkdir -p "$1"
    {
        printf 'country = GB\nstate = London\nlocality = London\norganization = modvirt test\n'
        printf 'cn = %s\ntls_www_client\nencryption_key\nsigning_key\n' "$3"
        printf '%s\n' "${4:-expiration_days = 365}"
    } >"$1/client.info"
    _pki_key "$1/clientkey.pem" && _pki_cert "$1/clientcert.pem" "$1/clientkey.pem" "$1/client.info" "$2"
}

pki_make() {
    local d=$1 old='activation_date = "2019-01-01 00:00:00"
expiration_date = "2020-01-01 00:00:00"' c
    mkdir -p "$d"
    _pki_ca "$d/ca" "modvirt test CA" || return 1
    _pki_ca "$d/rogue-ca" "modvirt test CA" || return 1    # same name, other key
    _pki_server "$d/server" "$d/ca" || return 1
    _pki_server "$d/server2" "$d/ca" || return 1
    _pki_server "$d/server-expired" "$d/ca" "$old" || return 1
    _pki_client "$d/good" "$d/ca" client1 || return 1
    _pki_client "$d/rogue" "$d/rogue-ca" client1 || return 1
    _pki_client "$d/expired" "$d/ca" client1 "$old" || return 1
    _pki_client "$d/intruder" "$d/ca" intruder || return 1
    _pki_client "$d/revoked" "$d/ca" client1 || return 1
    printf 'crl_next_update = 365\ncrl_number = 1\n' >"$d/ca/crl.info"
    certtool --generate-crl --load-ca-privkey "$d/ca/cakey.pem" --load-ca-certificate "$d/ca/cacert.pem" \
        --load-certificate "$d/revoked/clientcert.pem" --template "$d/ca/crl.info" \
        --outfile "$d/ca/cacrl.pem" >/dev/null 2>&1 || return 1
    # the clients get no CRL: the server is the one that must refuse revoked/
    for c in good rogue expired intruder revoked; do cp "$d/ca/cacert.pem" "$d/$c/cacert.pem"; done
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
