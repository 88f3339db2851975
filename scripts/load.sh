#!/usr/bin/env bash
# Load on the HTTP API: the NCD corpus, the extractive answerer, `wrk` (Debian) posting the ncd-dev
# questions to /v1/ask in turn. Measures what the audit trail costs in one run: 8 connections with asks
# not recorded, with them recorded (then 32 connections), and not recorded again; then exports the trail,
# compares its ask records with the server's count of answered asks, and verifies it. Prints throughput,
# latency percentiles and non-2xx counts for each run (after a 15 s warm-up per server) and the server's
# peak RSS. Needs `make build models deps`.
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
start_server() {  # $1: record asks in the audit trail (true/false)
  CITED_AUDIT_RECORD_ASKS=$1 /usr/bin/time -f '%M' -o "$WORK/rss.$1" $BIN serve >> "$WORK/serve.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
  # Warm-up, not measured: the first time a passage's sentences are seen, their vectors are computed
  # (about 200 ms at p95); a serving process has seen them. 15 s covers every ncd-dev question often.
  wrk -t 1 -c 4 -d 15s -H "Authorization: Bearer $TOKEN" -s "$WORK/ask.lua" "http://127.0.0.1:$PORT" > /dev/null
}
stop_server() {
  pkill -TERM -P $SERVER; wait $SERVER 2>/dev/null || true  # SIGTERM to the server itself
  SERVER=
}
run_wrk() {  # $1 connections, $2 label
  echo "== $2: $1 connections, ${SECONDS_EACH}s"
  wrk -t 2 -c "$1" -d "${SECONDS_EACH}s" --latency -H "Authorization: Bearer $TOKEN" \
    -s "$WORK/ask.lua" "http://127.0.0.1:$PORT" | tee "$WORK/wrk.out" \
    | grep -E "Requests/sec|Non-2xx|Socket errors|50%|99%|requests in"
}
asks_answered() {  # 200 responses to /v1/ask so far, by the server's own count
  curl -s "http://127.0.0.1:$PORT/metrics" \
    | awk '/^cited_http_requests_total\{route="\/v1\/ask".*status="200"/ {n += $NF} END {print n + 0}'
}

# What the audit trail costs: the same questions without recording asks, with, and without again (the
# second "without" shows the run-to-run noise), each after its own warm-up.
start_server false; run_wrk 8 "audit off"; stop_server
start_server true
run_wrk 8 "audit on"
answered=$(asks_answered)
run_wrk 32 "audit on"
answered_all=$(asks_answered)
echo "server's own count of /v1/ask responses:"
curl -s "http://127.0.0.1:$PORT/metrics" | grep 'cited_http_requests_total{route="/v1/ask"' || true
stop_server
echo "server peak RSS (audit on): $(( $(cat "$WORK/rss.true") / 1024 )) MiB"
start_server false; run_wrk 8 "audit off again"; stop_server
# Every answered ask left exactly one audit record (asks whose client left as wrk stopped are answered
# and recorded but never counted by the server as delivered), and the whole trail verifies.
$BIN audit export > "$WORK/export.jsonl"
recorded=$(python3 -c 'import json,sys; print(sum(1 for l in open(sys.argv[1]) if json.loads(l).get("action") == "ask"))' "$WORK/export.jsonl")
echo "audit export: $(wc -l < "$WORK/export.jsonl") records, $recorded of them asks (answered with audit on: $answered_all by the server's count, $answered in the 8-connection run)"
$BIN audit verify
