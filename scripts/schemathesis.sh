#!/usr/bin/env bash
# Property-based tests of the HTTP API against its own /openapi.json with schemathesis (PyPI), on the NCD
# corpus, as an admin (every route reachable). Fails on any 5xx, or a response whose status, content type
# or body the schema does not allow. Needs `make build models deps`.
# Usage: scripts/schemathesis.sh [MAX_EXAMPLES [st run options...]]   (default 100 per operation)
set -euo pipefail
cd "$(dirname "$0")/.."
MAX_EXAMPLES=${1:-100}
SHARED=${SHARED:-../shared/data}
BIN=${CITED_BIN:-target/release/cited}
VENV=target/schemathesis-venv
[ -x "$VENV/bin/st" ] || {
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install --quiet --disable-pip-version-check 'schemathesis==4.32.5'
}
DATA=$(mktemp -d)
PORT=${PORT:-18090}
trap 'if [ -n "${SERVER:-}" ]; then kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; fi; rm -rf "$DATA" "$KEYS"' EXIT
KEYS=$(mktemp -d)
export CITED_DATA_DIR=$DATA CITED_SERVER_ADDR=127.0.0.1:$PORT CITED_AUDIT_SIGNING_KEY=$KEYS/audit.key
$BIN audit keygen --out "$KEYS/audit.key" > /dev/null
$BIN ingest "$SHARED/ncd" > /dev/null
TOKEN=$($BIN token create --user schemathesis --roles admin | tail -1)
$BIN serve > "$DATA/serve.log" 2>&1 &
SERVER=$!
for _ in $(seq 150); do curl -sf "http://127.0.0.1:$PORT/readyz" >/dev/null && break; sleep 0.2; done
"$VENV/bin/st" run "http://127.0.0.1:$PORT/openapi.json" \
  --header "Authorization: Bearer $TOKEN" \
  --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
  --generation-with-security-parameters false \
  --max-examples "$MAX_EXAMPLES" --workers 2 --request-timeout 60 \
  "${@:2}"
