#!/usr/bin/env bash
# Load on the HTTP API: the NCD corpus, the extractive answerer, `wrk` (Debian) posting the ncd-dev
# questions to /v1/ask in turn, at 8 and 32 connections. Prints throughput, latency percentiles and
# non-2xx counts for each run after a 15 s warm-up, and the server's peak RSS. Needs `make build models deps`.
# Usage: scripts/load.sh [SECONDS]   (default 60)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-60}
SHARED=${SHARED:-../shared/data}
BIN=target/release/cited
command -v wrk >/dev/null 2>&1 || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
}
DATA=$(mktemp -d)
WORK=$(mktemp -d)
PORT=${PORT:-18089}
trap 'if [ -n "${SERVER:-}" ]; then pkill -P "$SERVER" 2>/dev/null || true; fi; rm -rf "$DATA" "$WORK"' EXIT
export CITED_DATA_DIR=$DATA CITED_SERVER_ADDR=127.0.0.1:$PORT CITED_AUDIT_SIGNING_KEY=$WORK/audit.key
$BIN audit keygen --out "$WORK/audit.key" > /dev/null
$BIN ingest "$SHARED/ncd" > /dev/null
TOKEN=$($BIN token create --user load --roles staff | tail -1)
# One request body per ncd-dev question, sent in turn by each connection.
python3 - "$SHARED/evals/ncd-dev.jsonl" > "$WORK/ask.lua" <<'PY'
import json, sys
bodies = [json.dumps({"question": json.loads(l)["query"]}) for l in open(sys.argv[1]) if l.strip()]
print("local bodies = {" + ",".join(json.dumps(b) for b in bodies) + "}")
print('local i = 0\nwrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"')
print('request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, "/v1/ask", nil, bodies[i])\nend')
PY
/usr/bin/time -f '%M' -o "$WORK/rss" $BIN serve > "$WORK/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
# Warm-up, not measured: the first time a passage's sentences are seen, their vectors are computed (about
# 200 ms at p95); a serving process has seen them. 15 s covers every ncd-dev question several times.
wrk -t 1 -c 4 -d 15s -H "Authorization: Bearer $TOKEN" -s "$WORK/ask.lua" "http://127.0.0.1:$PORT" > /dev/null
for c in 8 32; do
  echo "== $c connections, ${SECONDS_EACH}s"
  wrk -t 2 -c "$c" -d "${SECONDS_EACH}s" --latency -H "Authorization: Bearer $TOKEN" \
    -s "$WORK/ask.lua" "http://127.0.0.1:$PORT" | grep -E "Requests/sec|Non-2xx|Socket errors|50%|99%|requests in"
done
echo "server's own count of /v1/ask responses:"
curl -s "http://127.0.0.1:$PORT/metrics" | grep 'cited_http_requests_total{route="/v1/ask"' || true
pkill -TERM -P $SERVER; wait $SERVER 2>/dev/null || true  # SIGTERM to the server itself, then time reports
echo "server peak RSS: $(( $(cat "$WORK/rss") / 1024 )) MiB"
# Every answered ask left exactly one audit record, and the trail verifies.
echo "audit records of asks: $($BIN audit list --action ask | wc -l)"
$BIN audit verify
