#!/usr/bin/env bash
# Load on the cluster configuration: two `cited serve` nodes with data directories of their own, sharing a
# PostgreSQL catalog (a fresh database on the server of CITED_TEST_POSTGRES_URL) and a Qdrant server for
# vectors and BM25 (QDRANT_URL, fresh collections). Ingests the NCD corpus through a third process, checks
# that both nodes give the same answer to every ncd-dev question, then measures /v1/ask with `wrk`: one
# node alone (8 connections), both nodes at once (8 connections each, one wrk per node), and exports and
# verifies the audit trail both nodes appended to. Cleans up the database and the collections.
# Needs `make build models deps` and a Qdrant server (QDRANT_URL, its REST port in QDRANT_REST_URL).
# Usage: QDRANT_URL=http://127.0.0.1:6334 scripts/load-cluster.sh [SECONDS]   (default 30)
set -euo pipefail
cd "$(dirname "$0")/.."
SECONDS_EACH=${1:-30}
SHARED=${SHARED:-../shared/data}
BIN=target/release/cited
QDRANT_URL=${QDRANT_URL:?set QDRANT_URL to the gRPC URL of a Qdrant server, e.g. http://127.0.0.1:6334}
QDRANT_REST_URL=${QDRANT_REST_URL:-${QDRANT_URL%:*}:6333}
PG_SERVER=${CITED_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}
command -v wrk >/dev/null 2>&1 || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq wrk >/dev/null
}
NAME=cited_load_$$_$(date +%s)
WORK=$(mktemp -d)
PORTS=(18091 18092)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do pkill -TERM -P "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  psql -q "$PG_SERVER" -c "DROP DATABASE IF EXISTS $NAME WITH (FORCE)" >/dev/null 2>&1 || true
  for kind in dense bm25; do
    curl -s -X DELETE ${QDRANT_API_KEY:+-H "api-key: $QDRANT_API_KEY"} \
      "$QDRANT_REST_URL/collections/${NAME}_$kind" >/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT
psql -q "$PG_SERVER" -c "CREATE DATABASE $NAME" >/dev/null
export CITED_STORAGE_CATALOG=postgres CITED_POSTGRES_URL="${PG_SERVER%/*}/$NAME"
export CITED_STORAGE_VECTORS=qdrant CITED_STORAGE_LEXICAL=qdrant CITED_QDRANT_URL="$QDRANT_URL"
export CITED_QDRANT_COLLECTION=$NAME CITED_AUDIT_SIGNING_KEY=$WORK/audit.key
export CITED_QDRANT_API_KEY=${CITED_QDRANT_API_KEY:-${QDRANT_API_KEY:-}}
$BIN audit keygen --out "$WORK/audit.key" > /dev/null
CITED_DATA_DIR=$WORK/cli $BIN ingest "$SHARED/ncd" > /dev/null
TOKEN=$(CITED_DATA_DIR=$WORK/cli $BIN token create --user load --roles staff | tail -1)
python3 - "$SHARED/evals/ncd-dev.jsonl" > "$WORK/ask.lua" <<'PY'
import json, sys
bodies = [json.dumps({"question": json.loads(l)["query"]}) for l in open(sys.argv[1]) if l.strip()]
print("local bodies = {" + ",".join(json.dumps(b) for b in bodies) + "}")
print('local i = 0\nwrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"')
print('request = function()\n  i = i % #bodies + 1\n  return wrk.format(nil, "/v1/ask", nil, bodies[i])\nend')
PY
for n in 0 1; do
  CITED_DATA_DIR=$WORK/node$n CITED_SERVER_ADDR=127.0.0.1:${PORTS[$n]} \
    /usr/bin/time -f '%M' -o "$WORK/rss.$n" $BIN serve >> "$WORK/serve.$n.log" 2>&1 &
  PIDS+=($!)
done
for port in "${PORTS[@]}"; do
  for _ in $(seq 150); do curl -sf "http://127.0.0.1:$port/readyz" >/dev/null && break; sleep 0.2; done
  curl -sf "http://127.0.0.1:$port/readyz" >/dev/null || { cat "$WORK"/serve.*.log; exit 1; }
done

# Every ncd-dev question, to both nodes: the same answer (status, sentences, citations, confidence).
python3 - "$SHARED/evals/ncd-dev.jsonl" "$TOKEN" "${PORTS[@]}" <<'PY'
import json, sys, urllib.request
path, token, ports = sys.argv[1], sys.argv[2], sys.argv[3:]
def ask(port, q):
    req = urllib.request.Request(f"http://127.0.0.1:{port}/v1/ask", data=json.dumps({"question": q}).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"})
    body = json.load(urllib.request.urlopen(req, timeout=60))
    for varying in ("review_id", "took_ms", "trace", "request_id"):
        body.pop(varying, None)
    return body
qs = [json.loads(l)["query"] for l in open(path) if l.strip()]
differ = [q for q in qs if ask(ports[0], q) != ask(ports[1], q)]
print(f"answers: {len(qs) - len(differ)} of {len(qs)} ncd-dev questions identical on both nodes")
for q in differ:
    print("  differs:", q)
sys.exit(1 if differ else 0)
PY

for port in "${PORTS[@]}"; do  # warm-up, not measured
  wrk -t 1 -c 4 -d 10s -H "Authorization: Bearer $TOKEN" -s "$WORK/ask.lua" "http://127.0.0.1:$port" > /dev/null
done
run_wrk() {  # $1 port, $2 output file
  wrk -t 1 -c 8 -d "${SECONDS_EACH}s" --latency -H "Authorization: Bearer $TOKEN" \
    -s "$WORK/ask.lua" "http://127.0.0.1:$1" > "$2"
}
summary() {  # $1 label, $2.. wrk outputs
  local label=$1; shift
  python3 - "$label" "$@" <<'PY'
import re, sys
label, files = sys.argv[1], sys.argv[2:]
total, errors = 0.0, 0
for f in files:
    text = open(f).read()
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    p50 = re.search(r"50%\s+(\S+)", text).group(1)
    p99 = re.search(r"99%\s+(\S+)", text).group(1)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: (.*)", text)
    errors += int(non2xx.group(1)) if non2xx else 0
    total += rps
    print(f"  {f.rsplit('/', 1)[-1]}: {rps:.1f} asks/s, p50 {p50}, p99 {p99}"
          + (f", socket errors: {sock.group(1)}" if sock else ""))
print(f"== {label}: {total:.1f} asks/s in all, {errors} non-2xx")
PY
}
echo "== one node, 8 connections, ${SECONDS_EACH}s"
run_wrk "${PORTS[0]}" "$WORK/one.node0"
summary "one node" "$WORK/one.node0"
echo "== two nodes, 8 connections each, ${SECONDS_EACH}s"
run_wrk "${PORTS[0]}" "$WORK/two.node0" & A=$!
run_wrk "${PORTS[1]}" "$WORK/two.node1" & B=$!
wait $A $B
summary "two nodes" "$WORK/two.node0" "$WORK/two.node1"
for n in 0 1; do
  pkill -TERM -P "${PIDS[$n]}" 2>/dev/null || true; wait "${PIDS[$n]}" 2>/dev/null || true
  echo "node $n peak RSS: $(( $(cat "$WORK/rss.$n") / 1024 )) MiB"
done
PIDS=()
CITED_DATA_DIR=$WORK/cli $BIN audit export > "$WORK/export.jsonl"
echo "audit export: $(wc -l < "$WORK/export.jsonl") records from both nodes"
CITED_DATA_DIR=$WORK/cli $BIN audit verify
