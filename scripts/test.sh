#!/usr/bin/env bash
# The whole test suite: static checks, then unit, integration and end-to-end tests (tools from npm run setup).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "[test] typecheck, lint, import graph (no circles, no upward imports)"
npx tsc --noEmit
npx eslint .
npx prettier --check . >/dev/null || { npx prettier --check .; exit 1; }
npx depcruise src lambda --config .dependency-cruiser.cjs
echo "[test] unit + integration"
npx jest --selectProjects unit integration
echo "[test] end to end (real Temporal dev server, real Ollama with ${OLLAMA_MODEL:-gemma3:270m})"
npx jest --selectProjects e2e --runInBand
