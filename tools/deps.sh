#!/bin/bash
# Installs the Debian 12 packages modelreg builds with, if any is missing.
# Every dependency is a Debian package: nng, protobuf-c, RocksDB, zstd,
# OpenSSL's libcrypto (SHA-256), json-c (the CLI's JSON), cmocka (tests).
# The wire-protocol test speaks to modelregd from Debian's Python (protoc and
# python3-protobuf); the TLS tests make their certificates with openssl.
set -euo pipefail

PACKAGES=(
	gcc make cmake pkg-config
	protobuf-c-compiler libprotobuf-c-dev
	libnng-dev librocksdb-dev libzstd-dev libssl-dev
	libjson-c-dev libyaml-dev libcmocka-dev
	protobuf-compiler python3-protobuf openssl
)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
		missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "tools/deps.sh: installing ${missing[*]}" >&2
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
