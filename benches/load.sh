#!/usr/bin/env bash
# Load test over HTTP against a release build with SQLite: filings per second, then actions
# per second on the filed tickets, each with p50/p99 latency, and the server's resident
# memory idle and at peak. Loopback only; every run is bounded in time.
#
#   bash benches/load.sh                       # 20 s of filings, 20 s of actions, 32 connections
#   SECS=30 C=64 JURISDICTION=hohhot bash benches/load.sh
#   BIN=/path/to/jiesu bash benches/load.sh    # measure another build (e.g. the previous one)
#   SERVE_ARGS="--policies DIR --plugins DIR"  # …with the policies it shipped with
#   DEV_FLAG= BIN=…                            # a build from before `serve --dev`
#
# Needs `wrk` (Debian's package; installed if missing) and curl.
set -euo pipefail
cd "$(dirname "$0")/.."
SECS=${SECS:-20}
C=${C:-32}
JURISDICTION=${JURISDICTION:-anshan}
TICKETS=${TICKETS:-2000}

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
if [ -z "${BIN:-}" ]; then
    cargo build --release --quiet
    BIN=./target/release/jiesu
fi

work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
# shellcheck disable=SC2086 # SERVE_ARGS is a list of flags
JIESU_LOG=warn "$BIN" serve ${DEV_FLAG---dev} --bind 127.0.0.1:0 ${SERVE_ARGS:-} \
    --database "sqlite://$work/load.db" >"$work/out" 2>"$work/err" &
pid=$!
for _ in $(seq 100); do
    grep -q "listening on" "$work/out" 2>/dev/null && break
    sleep 0.1
done
base=$(sed -n 's/^jiesu listening on //p' "$work/out" | head -1)
[ -n "$base" ] || { cat "$work/err"; exit 1; }

rss() { awk -v k="$1" '$1 == k":" { printf "%.1f MB", $2 / 1024 }' "/proc/$pid/status"; }
echo "server $base (pid $pid), $(nproc) cores, $JURISDICTION, $C connections, ${SECS}s each"
echo "idle RSS: $(rss VmRSS)"

topic=noise
[ "$JURISDICTION" = hohhot ] && topic=noise
body="{\"jurisdiction\":\"$JURISDICTION\",\"channel\":\"phone\",\"category\":\"complaint\",\"topic\":\"$topic\",\"content\":\"夜间施工噪音\",\"requester\":{\"name\":\"张三\",\"phone\":\"13800000000\"}}"
cat >"$work/file.lua" <<LUA
wrk.method = "POST"
wrk.body = '$body'
wrk.headers["Content-Type"] = "application/json"
LUA
report() {
    awk '/Latency Distribution/ {d=1} d && /50%|99%/ {print "  p" $1 " " $2} /Requests\/sec/ {print "  " $0} /Non-2xx/ {print "  " $0}'
}
echo "== filings"
wrk -t2 -c"$C" -d"${SECS}s" --latency -s "$work/file.lua" "$base/api/v1/tickets" | report

# Actions: contacts by the lead on tickets it has signed, each a decision-free event with
# clocks settled, the same work a unit's progress report costs.
ids=$(curl -s "$base/api/v1/tickets?limit=500&jurisdiction=$JURISDICTION" | grep -o '"id":"[0-9a-f-]*"' | cut -d'"' -f4 | head -"$TICKETS")
: >"$work/ids"
for id in $ids; do
    curl -s -o /dev/null -XPOST "$base/api/v1/tickets/$id/actions" -H 'Content-Type: application/json' -d '{"action":"sign"}'
    echo "$id" >>"$work/ids"
done
cat >"$work/act.lua" <<'LUA'
local ids = {}
for line in io.lines(os.getenv("IDS")) do ids[#ids + 1] = line end
local i = 0
request = function()
    i = i + 1
    local id = ids[(i % #ids) + 1]
    return wrk.format("POST", "/api/v1/tickets/" .. id .. "/actions",
        {["Content-Type"] = "application/json"}, '{"action":"contact"}')
end
LUA
echo "== actions (contact) on $(wc -l <"$work/ids") signed tickets"
IDS="$work/ids" wrk -t2 -c"$C" -d"${SECS}s" --latency -s "$work/act.lua" "$base" | report
echo "RSS after load: $(rss VmRSS), peak (VmHWM): $(rss VmHWM)"
echo "database: $(du -h "$work/load.db" | cut -f1) (+WAL $(du -h "$work/load.db-wal" 2>/dev/null | cut -f1))"
