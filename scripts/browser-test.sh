#!/usr/bin/env bash
# Browser tests of the web UI: installs Chromium (Debian's package) if missing and the test packages
# (playwright-core, axe-core, pinned in tests/browser/package-lock.json), then runs tests/browser/run.mjs
# against the release binary (target/release/cited, or CITED_BIN). Idempotent; uses sudo when not root.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -x /usr/bin/chromium ] && [ -z "${CHROMIUM:-}" ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing chromium"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
(cd tests/browser && npm ci --no-audit --no-fund --loglevel=error)
exec node tests/browser/run.mjs
