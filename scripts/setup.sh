#!/usr/bin/env bash
# Installs the Debian packages kakitome needs, and only those that are missing, so that
# `make demo` and `make test` work on a fresh Debian 12 machine. Safe to run repeatedly.
set -euo pipefail

packages=(
  build-essential cmake ninja-build ccache lld pkg-config clang-format
  libboost-all-dev librocksdb-dev libssl-dev nlohmann-json3-dev libsimdjson-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  libgmime-3.0-dev libzip-dev libpugixml-dev libcurl4-openssl-dev libicu-dev libxml2-dev
  libcsv-dev zlib1g-dev libsystemd-dev
  # The Debian package: its man page and the checks of it (docs/operations.md, "Installing").
  help2man lintian debootstrap curl
  # The peer `kakitome bench append` measures beside kakitome: PostgreSQL as an event store, in a
  # temporary cluster the benchmark starts (docs/performance.md).
  postgresql libpq-dev
  # The replicated log (docs/replication.md): the NATS C client, and the servers its tests and
  # scripts/replicated-demo.sh start on 127.0.0.1.
  libnats-dev nats-server
  # Independent tools the tests cross-check against (see docs/testing.md).
  python3 python3-msoffcrypto-tool python3-openpyxl dovecot-imapd python3-botocore python3-aiosmtpd
  nginx-light wrk
  # The console's tests run in a real browser; a Japanese font makes their screenshots legible.
  chromium chromium-driver python3-selenium fonts-ipafont-gothic
  # docs/openapi.yaml judged by implementations that share nothing with the server: answers
  # validated with jsonschema; the linter and a generated client come from npm (below).
  python3-jsonschema python3-yaml
)
# Node.js for the contract tools (tests/contract/package.json): the machine's own when it is
# new enough (Redocly CLI 2 needs 20.19 or later), else Debian's.
if ! command -v npm >/dev/null 2>&1; then packages+=(nodejs npm); fi

missing=()
for package in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$package")
  fi
done

# The contract tools, exactly as package-lock.json pins them (npm ci: nothing else is fetched,
# and nothing at run time). Installed again only when the lock file changed.
install_contract_tools() {
  local contract node_version
  contract="$(cd "$(dirname "$0")/../tests/contract" && pwd)"
  # Redocly CLI 2 runs on Node.js 20.19+ (Debian 12's own nodejs is 18): say so now rather than
  # let a test fail later for an unclear reason.
  node_version="$(node -p 'process.versions.node' 2>/dev/null || echo 0)"
  if ! node -e 'const [a, b] = process.versions.node.split(".").map(Number);
                process.exit(a > 20 || (a === 20 && b >= 19) ? 0 : 1)' 2>/dev/null; then
    echo "setup: Node.js $node_version is too old for the contract tools (need 20.19 or later," \
         "e.g. from NodeSource); docs/testing.md" >&2
    exit 1
  fi
  if [ ! -f "$contract/node_modules/.package-lock.json" ] ||
     ! cmp -s "$contract/package-lock.json" "$contract/node_modules/.installed-lock.json"; then
    echo "setup: installing the contract tools (npm ci in tests/contract)" >&2
    (cd "$contract" && npm ci --no-audit --no-fund --loglevel=error >/dev/null &&
      cp package-lock.json node_modules/.installed-lock.json)
  fi
}

if [ ${#missing[@]} -eq 0 ]; then
  install_contract_tools
  exit 0
fi

echo "setup: installing ${missing[*]}" >&2
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
export DEBIAN_FRONTEND=noninteractive
"${sudo_cmd[@]}" apt-get update -qq
"${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
install_contract_tools
