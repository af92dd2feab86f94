#!/usr/bin/env bash
# The replicated mode (docs/replication.md) on one machine: a 3-node NATS JetStream cluster and
# two `kakitome serve` nodes, a and b, on 127.0.0.1. Node a takes the lease and writes; b follows
# as a standby. Commands go to a; then a is killed (kill -9) and the script times how long it
# takes until b acknowledges a command; the old primary comes back as a standby; both logs
# verify. Usage: scripts/replicated-demo.sh [KAKITOME_BINARY]   (needs nats-server, curl)
set -euo pipefail
kakitome=$(realpath "${1:-build/kakitome}")
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now_ms() { date +%s%3N; }

echo "== three nats-server nodes (JetStream, clustered) in $work/nats"
declare -a client route monitor
for i in 0 1 2; do client[$i]=$(free_port); route[$i]=$(free_port); monitor[$i]=$(free_port); done
for i in 0 1 2; do
  routes=""
  for j in 0 1 2; do [ "$j" != "$i" ] && routes="$routes${routes:+, }nats-route://127.0.0.1:${route[$j]}"; done
  mkdir -p "$work/nats"
  cat > "$work/nats/n$i.conf" <<CONF
server_name: n$i
listen: 127.0.0.1:${client[$i]}
http: 127.0.0.1:${monitor[$i]}
max_payload: 8MB
jetstream { store_dir: "$work/nats/js$i" }
cluster { name: kakitome-demo, listen: 127.0.0.1:${route[$i]}, routes: [$routes] }
CONF
  /usr/sbin/nats-server -c "$work/nats/n$i.conf" > "$work/nats/n$i.log" 2>&1 &
  pids+=($!)
done
for i in 0 1 2; do
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:${monitor[$i]}/healthz" >/dev/null && continue 2; sleep 0.2; done
  echo "nats-server n$i did not become healthy:"; cat "$work/nats/n$i.log"; exit 1
done
servers="\"nats://127.0.0.1:${client[0]}\", \"nats://127.0.0.1:${client[1]}\", \"nats://127.0.0.1:${client[2]}\""

declare -A port pid_of
start_node() {  # name
  local name=$1
  mkdir -p "$work/$name"
  cat > "$work/$name/kakitome.json" <<CONF
{"campaign": {"usage_period_first": "2025-05-19", "usage_period_last": "2027-03-31"},
 "replication": {"mode": "replicated", "servers": [$servers], "node": "$name", "lease_ms": 2000}}
CONF
  local extra=()
  [ "$name" = a ] && [ ! -e "$work/admin.token" ] && extra=(--admin-token-file "$work/admin.token")
  "$kakitome" serve --demo --data "$work/$name/data" --config "$work/$name/kakitome.json" \
    --listen "127.0.0.1:${port[$name]}" "${extra[@]}" > "$work/$name/stdout" 2> "$work/$name/stderr" &
  pid_of[$name]=$!
  pids+=($!)
  for _ in $(seq 200); do curl -s "http://127.0.0.1:${port[$name]}/healthz" >/dev/null && return; sleep 0.05; done
  echo "node $name did not start:"; cat "$work/$name/stderr"; exit 1
}
role() { curl -s "http://127.0.0.1:${port[$1]}/readyz" | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["checks"]["replication"]; print(r["role"], "(primary:", r["primary"] + ", applied:", str(r["applied"]) + ")")'; }
create() {  # node name → HTTP status
  curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:${port[$1]}/v1/tokens" \
    -H "Authorization: Bearer $(cat "$work/admin.token")" -H 'Content-Type: application/json' \
    -d "{\"name\": \"$2\", \"role\": \"auditor\"}" || true
}

port[a]=$(free_port); port[b]=$(free_port)
echo "== node a, then node b"
start_node a
# Every node of a cluster has the same master key (the data keys and blobs beside the log are
# sealed with it) and the same ledger key (the log has one identity for auditors and witnesses).
mkdir -m 700 -p "$work/b/data" && cp "$work/a/data/master.key" "$work/a/data/ledger.key" "$work/b/data/"
start_node b
echo "a: $(role a)"
echo "b: $(role b)"
echo "== ten commands on a; a write sent to b is refused by the standby"
for n in $(seq 10); do create a "staff-$n" >/dev/null; done
curl -s -X POST "http://127.0.0.1:${port[b]}/v1/tokens" -H "Authorization: Bearer $(cat "$work/admin.token")" \
  -H 'Content-Type: application/json' -d '{"name": "on-b", "role": "auditor"}'; echo
sleep 0.5
echo "b: $(role b)"

echo "== kill -9 node a; commands go to b until it takes over"
kill -9 "${pid_of[a]}"
killed=$(now_ms)
wait "${pid_of[a]}" 2>/dev/null || true
until [ "$(create b after-failover)" = 201 ]; do sleep 0.05; done
echo "b acknowledged its first command $(( $(now_ms) - killed )) ms after the primary was killed (lease 2000 ms)"
echo "b: $(role b)"

echo "== node a comes back: it catches up and stays a standby"
start_node a
echo "a: $(role a)"
echo "a refuses a write: $(curl -s -X POST "http://127.0.0.1:${port[a]}/v1/tokens" -H "Authorization: Bearer $(cat "$work/admin.token")" -H 'Content-Type: application/json' -d '{"name": "x", "role": "auditor"}')"

echo "== both stopped; both logs verify"
kill -TERM "${pid_of[a]}" "${pid_of[b]}"; wait "${pid_of[a]}" "${pid_of[b]}" 2>/dev/null || true
for node in a b; do echo "$node: $("$kakitome" verify --data "$work/$node/data" | head -1)"; done
