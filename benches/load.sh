#!/usr/bin/env bash
# Load test: tickets filed per second over HTTP against a release build with SQLite, with
# p50/p99 latency and the server's resident memory idle and at peak.
#
#   bash benches/load.sh                 # 20000 filings, 32 connections
#   N=50000 C=64 bash benches/load.sh
#
# Needs `oha` (cargo install oha --locked); installs it if missing. Loopback only.
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-20000}
C=${C:-32}

command -v oha >/dev/null || cargo install oha --locked
cargo build --release --quiet

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
JIESU_LOG=warn ./target/release/jiesu serve --bind 127.0.0.1:0 \
    --database "sqlite://$work/load.db" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
    grep -q "listening on" "$work/out" 2>/dev/null && break
    sleep 0.1
done
base=$(sed -n 's/^jiesu listening on //p' "$work/out" | head -1)
[ -n "$base" ] || { cat "$work/err"; exit 1; }

rss() { awk -v k="$1" '$1 == k":" { printf "%.1f MB", $2 / 1024 }' "/proc/$pid/status"; }
echo "server $base (pid $pid), $(nproc) cores"
echo "idle RSS: $(rss VmRSS)"

body='{"jurisdiction":"anshan","channel":"phone","category":"complaint","topic":"noise","area":"tiedong","content":"夜间施工噪音","requester":{"name":"张三","phone":"13800000000"},"received_at":"2025-09-30T10:00:00+08:00"}'
oha --no-tui -n "$N" -c "$C" -m POST -T application/json -d "$body" "$base/api/v1/tickets" \
    | grep -E "Success rate|Total:|Requests/sec|Slowest|Fastest|Average|50.00%|90.00%|99.00%|99.90%|\[2[0-9][0-9]\]|\[[45][0-9][0-9]\]"
echo "RSS after load: $(rss VmRSS), peak (VmHWM): $(rss VmHWM)"
stored=$(curl -s "$base/api/v1/tickets?limit=1" | grep -c '"id"' || true)
echo "database: $(du -h "$work/load.db" | cut -f1) (+WAL $(du -h "$work/load.db-wal" 2>/dev/null | cut -f1))"
