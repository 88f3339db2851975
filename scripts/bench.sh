#!/usr/bin/env bash
# Measures the figures in README "Measured": NCD ingest (with embedding) and its peak RSS, re-ingest of the
# unchanged corpus, hybrid search latency over 200 queries in one warm process, ask latency over the ncd-dev
# questions (3 rounds in one process: round 1 meets every passage sentence for the first time, later rounds
# are served from the vector cache) next to the hybrid search inside the same run, and a fresh process to
# its first result. Writes evals/bench.json. Needs `make build models deps`.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared/data}
BIN=target/release/cited
DATA=$(mktemp -d)
trap 'rm -rf "$DATA"' EXIT
export CITED_DATA_DIR=$DATA

rss_and_time() { /usr/bin/time -f '%e %M' "$@" 2>&1 >/dev/null | tail -1; }

read -r ingest_s ingest_kb < <(rss_and_time $BIN ingest "$SHARED/ncd" --json)
chunks=$($BIN docs list --json >/dev/null; $BIN check --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["catalog_chunks"])')
read -r reingest_s reingest_kb < <(rss_and_time $BIN ingest "$SHARED/ncd" --json)
search_json=$($BIN bench search --questions "$SHARED/evals/medquad-questions.tsv" --n 200 --json)
ask_json=$($BIN bench ask --questions "$SHARED/evals/ncd-dev.jsonl" --rounds 3 --json)
read -r first_s first_kb < <(rss_and_time $BIN search "home oxygen therapy coverage" --k 5 --json)
redact_json=$($BIN bench redact --cases evals/phi/check.jsonl --bytes 2048 --runs 2000 --json)

python3 - "$ingest_s" "$ingest_kb" "$chunks" "$reingest_s" "$first_s" "$search_json" "$ask_json" "$redact_json" <<'PY' | tee evals/bench.json
import json, sys
ingest_s, ingest_kb, chunks, reingest_s, first_s, search, ask, redact = sys.argv[1:]
ingest_s = float(ingest_s); chunks = int(chunks)
print(json.dumps({
    "ncd_ingest_s": ingest_s,
    "ncd_chunks": chunks,
    "ncd_chunks_per_s": round(chunks / ingest_s, 1),
    "ncd_ingest_peak_rss_mib": round(int(ingest_kb) / 1024),
    "ncd_reingest_unchanged_s": float(reingest_s),
    "fresh_process_first_result_s": float(first_s),
    "hybrid_search": json.loads(search),
    "ask_ncd_dev": json.loads(ask),
    "redact_2kb": json.loads(redact),
}, indent=2))
PY
