#!/usr/bin/env bash
# The end-to-end demo on the embedded RocksDB default: append a scripted workflow history,
# print it, and verify the hash chain. Usage: scripts/demo.sh KAKITOME_BINARY DATA_DIR
set -euo pipefail
kakitome=${1:-build/kakitome}
data=${2:-var/demo}

echo "== kakitome demo: data directory $data"
"$kakitome" demo --data "$data"
echo
echo "== kakitome verify --data $data"
"$kakitome" verify --data "$data"
