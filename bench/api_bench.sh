#!/usr/bin/env bash
# REST API load benchmark (issue: wrk against GET /v1/queue and GET /v1/applications/{id} while
# one writer appends commands). Baseline in the same run: nginx serving a static file of the
# same size as the queue page, on the same machine and the same wrk settings — the ceiling of
# this machine's HTTP stack. Prints a Markdown table for docs/performance.md.
# Usage: bench/api_bench.sh [BINARY] [SECONDS] [CONNECTIONS]
set -euo pipefail
kakitome=$(realpath "${1:-build/kakitome}")
seconds=${2:-30}
connections=${3:-32}
work=$(mktemp -d)
data=$work/data
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
fixtures=$(cd "$(dirname "$0")/.." && pwd)/tests/data/fixtures

# 40 applications, each a form mail and a password mail from its own sender.
mkdir -p "$work/mail"
"$kakitome" encrypt --password 'bench-pass' --spin-count 1000 "$fixtures/forms/valid_basic.xlsx" "$work/form.xlsx" >/dev/null
for i in $(seq 1 40); do
  { printf 'From: bench%d@example.jp\r\nSubject: PR =?UTF-8?B?5YuV55S75Yip55So55Sz6KuL?=\r\nMessage-ID: <bf%d@bench>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\nContent-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename="form.xlsx"\r\n\r\n' "$i" "$i"
    base64 -w 76 "$work/form.xlsx" | sed 's/$/\r/'; printf -- '--b--\r\n'; } > "$work/mail/$i-1.eml"
  printf 'From: bench%d@example.jp\r\nSubject: PR =?UTF-8?B?5YuV55S75Yip55So55Sz6KuL?=\r\nMessage-ID: <bp%d@bench>\r\nContent-Type: text/plain\r\n\r\nbench-pass\r\n' "$i" "$i" > "$work/mail/$i-2.eml"
done
"$kakitome" ingest --data "$data" "$work/mail" > /dev/null
token=$("$kakitome" token create --data "$data" --role operator --name bench | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
"$kakitome" token create --data "$data" --role operator --name bench-second > /dev/null  # the writer's other assignee
port=$(free_port)
"$kakitome" serve --data "$data" --demo --listen "127.0.0.1:$port" > "$work/serve.log" 2>&1 &
pids+=($!)
serve_pid=$!
# serve's resident memory in MiB: field VmRSS (now) or VmHWM (the peak so far) of its status.
serve_memory() { awk -v field="$1:" '$1 == field {printf "%.0f", $2 / 1024}' "/proc/$serve_pid/status"; }
for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$port") 2>/dev/null && break; sleep 0.1; done
sleep 1.5  # the worker's first pass publishes the queue
base="http://127.0.0.1:$port"
application=$(curl -s -H "Authorization: Bearer $token" "$base/v1/queue?limit=1" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["application"])')
writer_target=$(curl -s -H "Authorization: Bearer $token" "$base/v1/queue?limit=2" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][1]["application"])')

# One writer: a wrk connection posting assign commands back to back, each with the ETag the
# previous answer returned (a Lua script; no process per request to skew the machine). The
# assignee alternates between two active operators (an assignee must be one), so every command
# changes the application and appends. How far its version moved is reported, so a writer that
# was refused throughout cannot pass unnoticed.
etag=$(curl -s -D - -o /dev/null -H "Authorization: Bearer $token" "$base/v1/applications/$writer_target" | tr -d '\r' | sed -n 's/^ETag: //Ip')
version_before=$(curl -s -H "Authorization: Bearer $token" "$base/v1/applications/$writer_target" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
cat > "$work/writer.lua" <<LUA
local etag = '$etag'
local n = 0
request = function()
  n = n + 1
  local assignee = (n % 2 == 0) and "bench" or "bench-second"
  return wrk.format("POST", "/v1/applications/$writer_target/commands/assign",
    {["Authorization"] = "Bearer $token", ["If-Match"] = etag, ["Content-Type"] = "application/json"},
    '{"assignee":"' .. assignee .. '"}')
end
response = function(status, headers, body)
  if headers["ETag"] then etag = headers["ETag"] end
end
LUA
[ -n "${NO_WRITER:-}" ] || wrk -t1 -c1 -d"$((seconds * 3 + 10))s" -s "$work/writer.lua" "$base" > "$work/writer.out" &
pids+=($!)

# Baseline: nginx serving a static file of the same size as the queue page.
curl -s -H "Authorization: Bearer $token" "$base/v1/queue" > "$work/static.json"
nginx_port=$(free_port)
mkdir -p "$work/nginx"
nginx_user=""
[ "$(id -u)" = 0 ] && nginx_user="user root;"
cat > "$work/nginx/nginx.conf" <<CONF
$nginx_user
worker_processes 2;
daemon off;
pid $work/nginx/nginx.pid;
error_log $work/nginx/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $work/nginx/body; proxy_temp_path $work/nginx/proxy;
  fastcgi_temp_path $work/nginx/fastcgi; uwsgi_temp_path $work/nginx/uwsgi; scgi_temp_path $work/nginx/scgi;
  server { listen 127.0.0.1:$nginx_port; root $work; location / { default_type application/json; } }
}
CONF
/usr/sbin/nginx -c "$work/nginx/nginx.conf" -p "$work/nginx" &
pids+=($!)
for _ in $(seq 100); do (echo > "/dev/tcp/127.0.0.1/$nginx_port") 2>/dev/null && break; sleep 0.1; done

run_wrk() {  # label url [auth]
  local out
  out=$(wrk -t2 -c"$connections" -d"${seconds}s" --latency ${3:+-H "Authorization: Bearer $3"} "$2")
  local rps p99 errors
  rps=$(printf '%s\n' "$out" | awk '/Requests\/sec/ {print $2}')
  p99=$(printf '%s\n' "$out" | awk '$1 == "99%" {print $2}')
  errors=$(printf '%s\n' "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
  printf '%s|%s|%s|%s|%s\n' "$1" "$rps" "$p99" "${errors:-none}" "$(serve_memory VmRSS)"
}
rss_before=$(serve_memory VmRSS)
results=()
results+=("$(run_wrk 'nginx static file (baseline)' "http://127.0.0.1:$nginx_port/static.json")")
results+=("$(run_wrk 'GET /v1/queue' "$base/v1/queue" "$token")")
results+=("$(run_wrk 'GET /v1/applications/{id} (+ PiiDisclosed append each)' "$base/v1/applications/$application" "$token")")
baseline=$(printf '%s\n' "${results[0]}" | cut -d'|' -f2)
writes=$(curl -s -H "Authorization: Bearer $token" "$base/v1/applications/$writer_target" | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["version"])')
echo "| endpoint | req/s | ratio to nginx | p99 | errors | serve's RSS after it |"
echo "| --- | --- | --- | --- | --- | --- |"
for row in "${results[@]}"; do
  IFS='|' read -r label rps p99 errors rss <<< "$row"
  ratio=$(/usr/bin/python3 -c "print(f'{float(\"$rps\")/float(\"$baseline\"):.2f}×')")
  echo "| $label | $rps | $ratio | $p99 | $errors | $rss MiB |"
done
echo
echo "serve's resident memory: $rss_before MiB before the load, $(serve_memory VmRSS) MiB after it, peak $(serve_memory VmHWM) MiB (each GET /v1/applications/{id} appended a PiiDisclosed event)."
writer_summary="no writer (NO_WRITER set)"
[ -n "${NO_WRITER:-}" ] || writer_summary="one writer appended $((writes - version_before)) assign commands meanwhile"
echo "wrk -t2 -c$connections -d${seconds}s --latency; $writer_summary; $(nproc) cores."
