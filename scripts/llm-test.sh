#!/usr/bin/env bash
# Builds (once) and starts llama-server with SmolLM2-135M on 127.0.0.1, runs the real-LLM test against it,
# measures generation speed, and stops the server. `make llm-test` calls this.
set -euo pipefail
cd "$(dirname "$0")/.."
port=${LLM_PORT:-8091}
scripts/llm-server.sh
scripts/llm-server.sh start "$port" > target/llm-server.log 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
for _ in $(seq 1 100); do
  curl -sf "http://127.0.0.1:$port/health" >/dev/null 2>&1 && break
  sleep 0.2
done
CITED_TEST_LLM_URL="http://127.0.0.1:$port/v1" cargo test --release --locked -p cited-engine --test llm_real -- --ignored --nocapture
curl -s "http://127.0.0.1:$port/v1/chat/completions" -H 'Content-Type: application/json' \
  -d '{"model":"local","max_tokens":128,"temperature":0,"messages":[{"role":"user","content":"List five hospital departments."}]}' |
  python3 -c 'import json,sys; t=json.load(sys.stdin).get("timings",{}); print("llm generation: %.1f tokens/s, prompt: %.1f tokens/s" % (t.get("predicted_per_second",0), t.get("prompt_per_second",0)))'
