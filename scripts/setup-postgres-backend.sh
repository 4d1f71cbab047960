#!/usr/bin/env bash
# Provisions TEMPORAL_BACKEND=postgres into .tools/bin: a real Temporal server and its SQL schema tool built from
# the Go module go.temporal.io/server, Temporal's UI server built from github.com/temporalio/ui-server/v2, and
# PostgreSQL's binaries (Debian's postgresql-15, installed with apt-get where missing and we are root).
# Called by setup.sh when TEMPORAL_BACKEND=postgres and by the postgres backend's tests. Idempotent: a second run
# checks version stamps only. The first build takes about 15 minutes on two busy cores (Go's build cache keeps
# the objects, so a rebuild after a fresh clone links in seconds). The schemas are embedded in the SQL tool.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS="$ROOT/.tools"
BIN="$TOOLS/bin"
LOGS="$TOOLS/logs"
# The same server release as the CLI's dev server (Worker Deployment Versioning with upgrade on continue-as-new);
# later patch releases ask for a newer Go than this machine's 1.26.8.
TEMPORAL_SERVER_VERSION=v1.32.0
# The newest UI server whose go.mod this machine's Go (1.26.8) accepts; later ones ask for 1.26.9+.
TEMPORAL_UI_SERVER_VERSION=v2.55.0
POSTGRES_MAJOR=15

mkdir -p "$BIN" "$LOGS"

say() { printf '[setup] %s\n' "$*" >&2; }

fail() {
  printf '\n[setup] FAILED at step: %s\n[setup]   command: %s\n[setup]   log: %s\n[setup]   what to do: %s\n' \
    "$1" "$2" "$LOGS/$1.log" "$3" >&2
  tail -n 20 "$LOGS/$1.log" >&2 2>/dev/null || true
  exit 1
}

# go_tool STEP MODULE_PATH VERSION NAME...: `go install`s MODULE_PATH's commands at VERSION into a staging folder
# and moves each (Go names them after their folder: both servers are `server`) to .tools/bin/NAME.
go_tool() {
  local step=$1 module=$2 version=$3
  shift 3
  local stamp="$TOOLS/$step.version" staging="$TOOLS/go-staging/$step"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$version" ]]; then
    local name missing=false
    for name in "${@##*=}"; do [[ -x "$BIN/$name" ]] || missing=true; done
    $missing || return 0
  fi
  command -v go >/dev/null || fail "$step" "go install $module@$version" "install Go 1.24+ and run this again"
  local packages=() pair
  for pair in "$@"; do packages+=("$module/${pair%%=*}@$version"); done
  say "$step: go install ${packages[*]} (the first build takes minutes, the server about 15 on two busy cores; later ones seconds)"
  rm -rf "$staging"
  mkdir -p "$staging"
  env GOBIN="$staging" GOFLAGS=-buildvcs=false go install "${packages[@]}" >"$LOGS/$step.log" 2>&1 ||
    fail "$step" "go install ${packages[*]}" "see the log; the docker-compose path in docs/production.md needs no build"
  for pair in "$@"; do
    local dir=${pair%%=*}
    mv -f "$staging/${dir##*/}" "$BIN/${pair##*=}"
  done
  rm -rf "$staging"
  printf '%s' "$version" >"$stamp"
}

# PostgreSQL's server binaries, linked into .tools/bin: from PATH, else Debian's folder, else installed with apt-get.
postgres_binaries() {
  local dir="" tool
  if command -v postgres >/dev/null && command -v initdb >/dev/null; then
    dir=$(dirname "$(readlink -f "$(command -v postgres)")")
  elif [[ -x /usr/lib/postgresql/$POSTGRES_MAJOR/bin/postgres ]]; then
    dir=/usr/lib/postgresql/$POSTGRES_MAJOR/bin
  elif [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
    say "postgresql: apt-get install postgresql-$POSTGRES_MAJOR"
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "postgresql-$POSTGRES_MAJOR"; } \
      >"$LOGS/postgresql.log" 2>&1 ||
      fail postgresql "apt-get install postgresql-$POSTGRES_MAJOR" "check that Debian's package archive is reachable"
    dir=/usr/lib/postgresql/$POSTGRES_MAJOR/bin
  else
    printf '\n[setup] FAILED at step: postgresql\n[setup]   PostgreSQL is not installed and this is not root, so setup cannot install it.\n[setup]   what to do: sudo apt-get install postgresql-%s (or put postgres and initdb on PATH), then run this again\n' \
      "$POSTGRES_MAJOR" >&2
    exit 1
  fi
  for tool in postgres initdb pg_isready psql; do
    [[ -x "$dir/$tool" ]] || fail postgresql "ls $dir/$tool" "install PostgreSQL's server package (postgres, initdb, pg_isready, psql)"
    ln -sfn "$dir/$tool" "$BIN/$tool"
  done
  # PostgreSQL refuses to run as root: the stack runs it as the postgres user, which the package creates.
  if [[ $(id -u) -eq 0 ]] && ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/false postgres >"$LOGS/postgresql.log" 2>&1 ||
      fail postgresql "useradd postgres" "create a postgres user: PostgreSQL cannot run as root"
  fi
}

go_tool temporal-server go.temporal.io/server "$TEMPORAL_SERVER_VERSION" \
  cmd/server=temporal-server cmd/tools/sql=temporal-sql-tool
go_tool temporal-ui-server github.com/temporalio/ui-server/v2 "$TEMPORAL_UI_SERVER_VERSION" cmd/server=temporal-ui-server
postgres_binaries
