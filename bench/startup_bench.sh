#!/usr/bin/env bash
# Start-up and memory of `kakitome serve` on a log of N events (docs/performance.md).
#   bench/startup_bench.sh BINARY EVENTS [PORT]
#   KAKITOME_STARTUP_STORE=DIR bench/startup_bench.sh BINARY EVENTS   (a log kept by
#     `kakitome bench incident --keep` earlier, instead of building one; it is not removed)
# Builds the log with `kakitome bench incident --keep` (half PiiDisclosed), then starts serve on
# it three times and prints one JSON line per start: milliseconds until it prints "listening",
# until /healthz answers 200 and until /readyz does (its worker has folded the log into the read
# models: minutes on a log whose projections are not stored yet), its resident memory at each of
# those, 20 s after ready, and its peak (VmHWM). Baseline in the same run: the same starts on an empty data directory, so the ratio is
# what the log's size adds to a start.
set -euo pipefail
binary=${1:?binary}
events=${2:?events}
port=${3:-18655}
work=$(mktemp -d /tmp/kakitome-startup-XXXXXX)
trap 'rm -rf "$work"' EXIT

now_ms() { date +%s%3N; }
rss_kib() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }
peak_kib() { awk '/^VmHWM/ {print $2}' "/proc/$1/status"; }

# measure LABEL DATA_DIR COUNT
measure() {
  local label=$1 data=$2 count=$3 run log started pid listening healthy rss_start rss_later
  local ready rss_ready rss_peak
  for run in 1 2 3; do
    log="$work/serve-$label-$run.log"
    started=$(now_ms)
    "$binary" serve --data "$data" --demo --listen "127.0.0.1:$port" >"$log" 2>&1 &
    pid=$!
    until grep -q '"listening"' "$log" 2>/dev/null; do
      kill -0 "$pid" 2>/dev/null || { echo "serve exited:" >&2; cat "$log" >&2; exit 1; }
      sleep 0.005
    done
    listening=$(now_ms)
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/healthz")" = 200 ]; do
      sleep 0.005
    done
    healthy=$(now_ms)
    rss_start=$(rss_kib "$pid")
    until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")" = 200 ]; do
      kill -0 "$pid" 2>/dev/null || { echo "serve exited:" >&2; cat "$log" >&2; exit 1; }
      sleep 0.05
    done
    ready=$(now_ms)
    rss_ready=$(rss_kib "$pid")
    sleep 20
    rss_later=$(rss_kib "$pid")
    rss_peak=$(peak_kib "$pid")
    kill -TERM "$pid"
    wait "$pid" || true
    printf '{"benchmark":"startup","store":"%s","events":%s,"run":%s,"listening_ms":%s,"healthz_ms":%s,"ready_ms":%s,"rss_start_mib":%s,"rss_ready_mib":%s,"rss_20s_after_ready_mib":%s,"rss_peak_mib":%s}\n' \
      "$label" "$count" "$run" $((listening - started)) $((healthy - started)) \
      $((ready - started)) $((rss_start / 1024)) $((rss_ready / 1024)) $((rss_later / 1024)) \
      $((rss_peak / 1024))
  done
}

measure empty "$work/empty" 0
if [ -n "${KAKITOME_STARTUP_STORE:-}" ]; then
  measure log "$KAKITOME_STARTUP_STORE" "$events"
else
  echo "building $events events" >&2
  "$binary" bench incident --events "$events" --scratch "$work/log" --keep >"$work/figures.json" 2>/dev/null
  measure log "$work/log" "$events"
fi
