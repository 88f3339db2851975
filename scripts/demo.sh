#!/usr/bin/env bash
# The quick start: ingest the sample hospital into data/, make fresh demo tokens (older demo tokens are
# revoked: a secret is shown only once), print the URL and the tokens, and serve until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release/cited
CONFIG=config/cited.toml
$BIN --config $CONFIG ingest corpus/ || [ $? -eq 3 ]
$BIN --config $CONFIG token list --json | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["user_id"].startswith("demo-") and not t.get("revoked_at"):
        print(t["token_id"])' | while read -r id; do $BIN --config $CONFIG token revoke "$id" > /dev/null; done
echo
echo "Demo tokens (Authorization: Bearer <token>):"
for pair in clinician:clinician reviewer:reviewer,clinician admin:admin; do
    user=${pair%%:*}; roles=${pair#*:}
    secret=$($BIN --config $CONFIG token create --user "demo-$user" --roles "$roles" | tail -1)
    printf '  %-10s %s\n' "$user" "$secret"
done
echo
echo "Try: curl -s -H \"Authorization: Bearer <clinician token>\" -H 'content-type: application/json' \\"
echo "       -d '{\"question\": \"How soon must antibiotics be given in sepsis?\"}' http://127.0.0.1:8080/v1/ask"
echo
exec $BIN --config $CONFIG serve
