#!/usr/bin/env bash
# The quick start: ingest the sample hospital into data/, make fresh demo tokens (older demo tokens are
# revoked: a secret is shown only once), print the URL and the tokens, and serve until Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=target/release/cited
CONFIG=config/cited.toml
# The audit trail's signing key lives outside the data directory (keys/ is git-ignored).
[ -f keys/audit.key ] || $BIN --config $CONFIG audit keygen --out keys/audit.key > /dev/null
export CITED_AUDIT_SIGNING_KEY=$PWD/keys/audit.key
$BIN --config $CONFIG ingest corpus/ || [ $? -eq 3 ]
$BIN --config $CONFIG token list --json | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["user_id"].startswith("demo-") and not t.get("revoked_at"):
        print(t["token_id"])' | while read -r id; do $BIN --config $CONFIG token revoke "$id" > /dev/null; done
addr=$(sed -n 's/^addr = "\(.*\)"$/\1/p' $CONFIG | head -1)
addr=${CITED_SERVER_ADDR:-${addr:-127.0.0.1:8080}}
echo
echo "Cited serves the web UI and the API on http://$addr/"
echo "Sign in with one of these demo tokens (API: Authorization: Bearer <token>):"
for spec in clinician:clinician: oncology-nurse:clinician:oncology reviewer:reviewer,clinician: compliance:compliance: admin:admin:; do
    IFS=: read -r user roles groups <<< "$spec"
    secret=$($BIN --config $CONFIG token create --user "demo-$user" --roles "$roles" ${groups:+--groups "$groups"} | tail -1)
    printf '  %-15s %s\n' "$user" "$secret"
done
echo "(the oncology nurse also sees the oncology-only Chemotherapy Extravasation protocol)"
echo
echo "Try: curl -s -H \"Authorization: Bearer <clinician token>\" -H 'content-type: application/json' \\"
echo "       -d '{\"question\": \"How soon must antibiotics be given in sepsis?\"}' http://$addr/v1/ask"
echo
exec $BIN --config $CONFIG serve
