#!/usr/bin/env bash
# Installs the Debian packages kakitome needs, and only those that are missing, so that
# `make demo` and `make test` work on a fresh Debian 12 machine. Safe to run repeatedly.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libboost-all-dev librocksdb-dev libssl-dev nlohmann-json3-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgmime-3.0-dev libzip-dev libpugixml-dev libcurl4-openssl-dev libicu-dev libxml2-dev
  libcsv-dev zlib1g-dev
  # Independent tools the tests cross-check against (see docs/testing.md).
  python3 python3-msoffcrypto-tool python3-openpyxl dovecot-imapd python3-botocore python3-aiosmtpd
  nginx-light wrk
  # The console's tests run in a real browser; a Japanese font makes their screenshots legible.
  chromium chromium-driver python3-selenium fonts-ipafont-gothic
)

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
