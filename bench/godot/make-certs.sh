#!/usr/bin/env bash
# Makes the benchmark's self-signed certificates (CN and SAN "localhost") in DIR with the openssl CLI:
# ecdsa.key/ecdsa.crt (P-256) and rsa.key/rsa.crt (RSA-2048). Usage: make-certs.sh DIR
set -euo pipefail

dir="${1:?usage: make-certs.sh DIR}"
mkdir -p "$dir"
command -v openssl >/dev/null || { echo "make-certs: the openssl command is needed" >&2; exit 1; }

make_cert() { # name, then the -newkey arguments
    local name="$1"; shift
    openssl req -x509 -nodes -days 30 -subj "/CN=localhost/O=openssl_dtls bench" \
        -addext "subjectAltName=DNS:localhost" "$@" \
        -keyout "$dir/$name.key" -out "$dir/$name.crt" 2>/dev/null
}
make_cert ecdsa -newkey ec -pkeyopt ec_paramgen_curve:P-256
make_cert rsa -newkey rsa:2048
