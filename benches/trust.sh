#!/usr/bin/env bash
# The trust figures of issue 12, against a release build with SQLite and a signing key:
# filings per second with the signed ledger, `jiesu verify --public-key` throughput over
# everything filed, and the server's peak memory while it streams a trails export.
#
#   bash benches/trust.sh                  # 2 × 40 s of filings (anshan, then hohhot)
#   SECS=20 bash benches/trust.sh
#   BIN=/path/to/jiesu bash benches/trust.sh
#
# Needs `wrk` (Debian's package; installed if missing) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${SECS:-40}
C=${C:-32}
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=./target/release/jiesu
fi
work=$(mktemp -d)
pid=
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$BIN" keygen --out "$work/ledger.key" >/dev/null
db="sqlite://$work/trust.db"

start() {
    JIESU_LOG=warn "$BIN" serve --dev --bind 127.0.0.1:0 --signing-key "$work/ledger.key" \
        --sweep-interval 0 --database "$db" >"$work/out" 2>"$work/err" &
    pid=$!
    for _ in $(seq 100); do
        grep -q "listening on" "$work/out" 2>/dev/null && break
        sleep 0.1
    done
    base=$(sed -n 's/^jiesu listening on //p' "$work/out" | head -1)
    [ -n "$base" ] || { cat "$work/err"; exit 1; }
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; : >"$work/out"; }
kib() { awk -v k="$1" '$1 == k":" { print $2 }' "/proc/$pid/status"; }

start
for jurisdiction in anshan hohhot; do
    cat >"$work/file.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"jurisdiction":"$jurisdiction","channel":"phone","category":"complaint","topic":"noise","content":"夜间施工噪音","requester":{"name":"张三","phone":"13800000000"}}'
wrk.headers["Content-Type"] = "application/json"
LUA
    echo "== filings, $jurisdiction, $C connections, ${SECS}s (signed ledger)"
    wrk -t2 -c"$C" -d"${SECS}s" --latency -s "$work/file.lua" "$base/api/v1/tickets" |
        awk '/Latency Distribution/ {d=1} d && /50%|99%/ {print "  p" $1 " " $2} /Requests\/sec/ {print "  " $0} /Non-2xx/ {print "  " $0}'
done
from=$(date -u -d '-1 day' +%Y-%m-%dT%H:%M:%SZ)
to=$(date -u -d '+1 day' +%Y-%m-%dT%H:%M:%SZ)
before=$(kib VmHWM)
lines=$(curl -s "$base/api/v1/exports/trails?jurisdiction=anshan&from=$from&to=$to" | tee "$work/export.jsonl" | wc -l)
after=$(kib VmHWM)
echo "== export of $lines anshan trails ($(du -m "$work/export.jsonl" | cut -f1) MiB): peak RSS $((before / 1024)) → $((after / 1024)) MiB"
rm -f "$work/export.jsonl"
stop

echo "== jiesu verify --public-key"
start_ns=$(date +%s%N)
"$BIN" verify --database "$db" --public-key "$work/ledger.key.pub" | tail -1
end_ns=$(date +%s%N)
ms=$(((end_ns - start_ns) / 1000000))
echo "  ${ms} ms"
