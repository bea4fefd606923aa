#!/bin/sh
# mkpki.sh DIR: a throw-away x509 PKI for the TLS tests and benchmarks, made
# with certtool (gnutls-bin) without prompts.  DIR must exist (or is made).
#
# Files written to DIR (keys mode 0600, everything else 0644):
#   cacert.pem cakey.pem                 the CA ("CN=modvirt test CA")
#   cacrl.pem                            a CRL of that CA revoking revoked-clientcert.pem
#   servercert.pem serverkey.pem         server: CN=127.0.0.1, SAN localhost, 127.0.0.1, ::1,
#                                        tls_www_server
#   server2cert.pem server2key.pem       the same server re-issued with another key
#   clientcert.pem clientkey.pem         the good client, tls_www_client; DN
#                                        RFC 4514: CN=client1,O=modvirt test,L=London,ST=London,C=GB
#                                        compat:   C=GB,ST=London,L=London,O=modvirt test,CN=client1
#   rogue-cacert.pem rogue-cakey.pem     another CA ("CN=rogue CA")
#   rogue-clientcert.pem rogue-clientkey.pem      client1's DN, signed by the rogue CA
#   expired-clientcert.pem expired-clientkey.pem  client1's DN, valid 2001-01-01 .. 2002-01-01
#   revoked-clientcert.pem revoked-clientkey.pem  client1's DN, listed in cacrl.pem
#   other-clientcert.pem other-clientkey.pem      a valid client outside the usual allowlist:
#                                        CN=intruder,O=modvirt test,L=London,ST=London,C=GB
#   expired-servercert.pem               the server's key (serverkey.pem), valid 2001 .. 2002
#   pkipath/{cacert,clientcert,clientkey}.pem     the good client in the flat layout of
#                                        virsh's ?pkipath=DIR (clientkey 0600)
#
# Keys are RSA (libvirt's client insists on the key encipherment usage, which
# certtool leaves out for ECDSA keys); MKPKI_KEY_TYPE=ecdsa makes ECDSA ones.
set -eu

dir=${1:?usage: mkpki.sh DIR}
keytype=${MKPKI_KEY_TYPE:-rsa}
mkdir -p "$dir"
cd "$dir"
umask 077

# RSA 2048 as libvirt's docs make them (certtool's default, 3072, doubles a
# handshake's cost for no test's benefit)
key() {
    if [ "$keytype" = rsa ]; then
        certtool --generate-privkey --key-type=rsa --bits=2048 --outfile "$1" >/dev/null 2>&1
    else
        certtool --generate-privkey --key-type="$keytype" --outfile "$1" >/dev/null 2>&1
    fi
}

# sign NAME ISSUER TEMPLATE-LINES...: NAME-cert.pem over NAME-key.pem, signed by ISSUER's CA
sign() {
    name=$1 issuer=$2
    shift 2
    printf '%s\n' "$@" > "$name.tmpl"
    certtool --generate-certificate --load-privkey "$name-key.pem" \
        --load-ca-certificate "${issuer}cacert.pem" --load-ca-privkey "${issuer}cakey.pem" \
        --template "$name.tmpl" --outfile "$name-cert.pem" >/dev/null 2>&1
    rm -f "$name.tmpl"
}

ca() {
    prefix=$1 cn=$2
    key "${prefix}cakey.pem"
    printf '%s\n' "cn = \"$cn\"" 'organization = "modvirt test"' ca cert_signing_key crl_signing_key \
        'expiration_days = 3650' > ca.tmpl
    certtool --generate-self-signed --load-privkey "${prefix}cakey.pem" --template ca.tmpl \
        --outfile "${prefix}cacert.pem" >/dev/null 2>&1
    rm -f ca.tmpl
}

client_dn() {
    printf '%s\n' "cn = \"$1\"" 'organization = "modvirt test"' 'locality = "London"' \
        'state = "London"' 'country = GB'
}

# client NAME CN ISSUER [EXTRA-TEMPLATE-LINES...]
client() {
    name=$1 cn=$2 issuer=$3
    shift 3
    key "$name-key.pem"
    sign "$name" "$issuer" "$(client_dn "$cn")" tls_www_client signing_key encryption_key "$@"
}

ca "" "modvirt test CA"
ca "rogue-" "rogue CA"

# server NAME: NAME-cert.pem over a new NAME-key.pem
server() {
    key "$1-key.pem"
    sign "$1" "" 'cn = "127.0.0.1"' 'organization = "modvirt test"' 'dns_name = "localhost"' \
        'ip_address = "127.0.0.1"' 'ip_address = "::1"' tls_www_server signing_key encryption_key \
        'expiration_days = 3650'
    mv "$1-cert.pem" "${1}cert.pem"
    mv "$1-key.pem" "${1}key.pem"
}
server server
server server2

cp serverkey.pem expired-server-key.pem
sign expired-server "" 'cn = "127.0.0.1"' 'organization = "modvirt test"' 'dns_name = "localhost"' \
    'ip_address = "127.0.0.1"' tls_www_server signing_key encryption_key \
    'activation_date = "2001-01-01 00:00:00 UTC"' 'expiration_date = "2002-01-01 00:00:00 UTC"'
mv expired-server-cert.pem expired-servercert.pem
rm -f expired-server-key.pem

client client client1 "" 'expiration_days = 3650'
client rogue-client client1 rogue- 'expiration_days = 3650'
client expired-client client1 "" 'activation_date = "2001-01-01 00:00:00 UTC"' \
    'expiration_date = "2002-01-01 00:00:00 UTC"'
client revoked-client client1 "" 'expiration_days = 3650'
client other-client intruder "" 'expiration_days = 3650'
for n in client rogue-client expired-client revoked-client other-client; do
    mv "$n-cert.pem" "${n}cert.pem"
    mv "$n-key.pem" "${n}key.pem"
done

printf '%s\n' 'crl_next_update = 3650' 'crl_number = 1' > crl.tmpl
certtool --generate-crl --load-ca-certificate cacert.pem --load-ca-privkey cakey.pem \
    --load-certificate revoked-clientcert.pem --template crl.tmpl --outfile cacrl.pem >/dev/null 2>&1
rm -f crl.tmpl

mkdir -p pkipath
cp cacert.pem clientcert.pem clientkey.pem pkipath/
chmod 0600 ./*key.pem pkipath/clientkey.pem
chmod 0644 ./*cert.pem cacrl.pem pkipath/cacert.pem pkipath/clientcert.pem
chmod 0755 pkipath
