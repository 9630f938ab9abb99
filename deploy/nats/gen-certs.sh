#!/usr/bin/env bash
# Makes a local certificate authority and a server certificate for nats-server on this machine
# (127.0.0.1, ::1 and localhost), with openssl: DIR/ca.pem, DIR/ca-key.pem, DIR/server-cert.pem,
# DIR/server-key.pem. Keys are ECDSA P-256 and readable by their owner only. Files that exist are
# kept (the CA is made once); delete DIR to start over.
#
# Usage: deploy/nats/gen-certs.sh DIR [EXTRA_DNS_NAME...]
#
# Clients trust DIR/ca.pem (TW_NATS_TLS_CA_FILE). Keep ca-key.pem and server-key.pem secret: with
# the CA's key anyone can impersonate the server to every client that trusts it.
set -euo pipefail
dir="${1:?usage: gen-certs.sh DIR [EXTRA_DNS_NAME...]}"
shift
mkdir -p "$dir"
umask 077
cd "$dir"

if [ ! -s ca.pem ] || [ ! -s ca-key.pem ]; then
  openssl ecparam -name prime256v1 -genkey -noout -out ca-key.pem
  openssl req -x509 -new -key ca-key.pem -sha256 -days 3650 -out ca.pem \
    -subj "/O=Tutorwatch/CN=Tutorwatch local NATS CA" \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -addext "subjectKeyIdentifier=hash" 2>/dev/null
  echo "made a local CA: $dir/ca.pem (its key: $dir/ca-key.pem)" >&2
fi

if [ ! -s server-cert.pem ] || [ ! -s server-key.pem ]; then
  san="IP:127.0.0.1,IP:::1,DNS:localhost"
  for name in "$@"; do san="$san,DNS:$name"; done
  openssl ecparam -name prime256v1 -genkey -noout -out server-key.pem
  openssl req -new -key server-key.pem -out server.csr -subj "/O=Tutorwatch/CN=localhost" 2>/dev/null
  printf '%s\n' \
    "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=serverAuth" \
    "subjectKeyIdentifier=hash" \
    "authorityKeyIdentifier=keyid" \
    "subjectAltName=$san" >server.ext
  openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial \
    -sha256 -days 825 -extfile server.ext -out server-cert.pem 2>/dev/null
  rm -f server.csr server.ext ca.srl
  echo "made a server certificate for $san: $dir/server-cert.pem" >&2
fi
chmod 0644 ca.pem server-cert.pem
