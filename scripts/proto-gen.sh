#!/usr/bin/env bash
# Generates the static protobuf module and its typings from proto/ into src/generated/.
# With --check, generates into a temporary folder and fails if the committed files drifted.
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/generated
if [[ "${1:-}" == "--check" ]]; then out=$(mktemp -d); fi
mkdir -p "$out"
npx pbjs --target static-module --wrap commonjs --no-beautify --no-delimited --force-number \
  --path proto --out "$out/llm.js" proto/llm/v1/llm.proto
npx pbts --no-comments --out "$out/llm.d.ts" "$out/llm.js"
if [[ "${1:-}" == "--check" ]]; then
  # Both compared, and the status kept: under `set -e` a failing `diff` inside an `&&` list would not stop the script.
  drift=0
  diff -q "$out/llm.js" src/generated/llm.js || drift=1
  diff -q "$out/llm.d.ts" src/generated/llm.d.ts || drift=1
  rm -rf "$out"
  exit "$drift"
fi
