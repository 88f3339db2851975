#!/usr/bin/env bash
# Measures hybrid retrieval under several fusion settings on the NCD dev questions and SciFact train, reusing
# the eval data directories of `make eval` (nothing is re-embedded). Writes evals/fusion-sweep.json.
set -euo pipefail
cd "$(dirname "$0")/.."
SHARED=${SHARED:-../shared/data}
EVAL_DATA=${EVAL_DATA:-target/eval-data}
BIN=target/release/cited
settings=("rrf 60 0.5" "rrf 20 0.5" "rrf 60 0.6" "rrf 60 0.4" "convex 0 0.5" "convex 0 0.6" "convex 0 0.4" "convex 0 0.3")
{
  echo "["
  first=1
  for s in "${settings[@]}"; do
    read -r fusion k w <<<"$s"
    export CITED_SEARCH_FUSION=$fusion CITED_SEARCH_DENSE_WEIGHT=$w
    [ "$fusion" = rrf ] && export CITED_SEARCH_RRF_K=$k
    ncd=$($BIN --data-dir "$EVAL_DATA/ncd" eval retrieval --questions "$SHARED/evals/ncd-dev.jsonl" --json)
    sci=$($BIN --data-dir "$EVAL_DATA/scifact" eval retrieval --beir "$SHARED/scifact" --split train --json 2>/dev/null)
    [ $first -eq 1 ] || echo ","
    first=0
    python3 - "$fusion" "$k" "$w" "$ncd" "$sci" <<'PY'
import json, sys
fusion, k, w, ncd, sci = sys.argv[1:]
ncd, sci = json.loads(ncd)["hybrid"], json.loads(sci)["hybrid"]
print(json.dumps({"fusion": fusion, "rrf_k": float(k) if fusion == "rrf" else None, "dense_weight": float(w),
                  "ncd_dev": {k: ncd[k] for k in ("ndcg@10", "hit@5", "passage@5", "mrr@10")},
                  "scifact_train": {k: sci[k] for k in ("ndcg@10", "recall@10", "mrr@10")}}))
PY
  done
  echo "]"
} > evals/fusion-sweep.json
cat evals/fusion-sweep.json
