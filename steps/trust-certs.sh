#!/bin/sh
# Trusts the CA certificates in $1 (certs/ and PROXY_CERT_PATH, collected by +proxy-certs) in an
# Alpine-based helper stage, so its downloads pass a TLS-inspecting proxy. update-ca-certificates
# reads only *.crt, so PEM files are installed under that name; anything else (a README) is left.
set -eu

dir=${1:?usage: trust-certs.sh DIR}
store=/usr/local/share/ca-certificates
found=0
for cert in "$dir"/*.crt "$dir"/*.pem; do
    [ -f "$cert" ] || continue
    mkdir -p "$store"
    name=$(basename "$cert")
    cp "$cert" "$store/canvos-${name%.*}.crt"
    found=1
done
if [ "$found" = 1 ] && command -v update-ca-certificates >/dev/null 2>&1; then
    update-ca-certificates
fi
