#!/usr/bin/env bash
# Installs the system packages Cited needs, if missing: poppler-utils (pdftotext, for PDFs), wamerican
# (/usr/share/dict/words: ordinary English words in questions) and time (for scripts/bench.sh).
# Idempotent; uses sudo when not root.
set -euo pipefail
missing=()
command -v pdftotext >/dev/null 2>&1 || missing+=(poppler-utils)
[ -f /usr/share/dict/words ] || missing+=(wamerican)
[ -x /usr/bin/time ] || missing+=(time) # scripts/bench.sh measures peak memory with it
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"
echo "installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
