#!/usr/bin/env bash
# Installs what MAYI ID needs on a fresh machine, and nothing that is already there.
# Idempotent: each step checks before it acts. Usage: scripts/install-deps.sh [run|test]
#   run  - what building and serving needs (wasm target, npm's binaryen for wasm-opt)
#   test - also Debian's Chromium and the Playwright test runner
set -euo pipefail
what="${1:-run}"
root="$(cd "$(dirname "$0")/.." && pwd)"

log() { printf '==> %s\n' "$*" >&2; }

if ! command -v cargo >/dev/null 2>&1; then
  echo "cargo is not installed: MAYI ID needs a stable Rust toolchain (rustup)." >&2
  exit 1
fi

if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown; then
  log "adding the wasm32-unknown-unknown Rust target"
  rustup target add wasm32-unknown-unknown
fi

if ! command -v npm >/dev/null 2>&1; then
  log "installing Node.js and npm from Debian"
  apt_updated=1
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm
fi

# npm packages (binaryen's wasm-opt, Playwright) live in end2end/node_modules, locked by
# end2end/package-lock.json. Debian's wasm-opt is too old and breaks hydration: never use it.
stamp="$root/end2end/node_modules/.install-stamp"
if [ ! -f "$stamp" ] || [ "$root/end2end/package-lock.json" -nt "$stamp" ]; then
  log "installing npm packages in end2end/ (npm ci)"
  (cd "$root/end2end" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error)
  touch "$stamp"
fi

if [ "$what" = "test" ]; then
  if [ ! -x /usr/bin/chromium ]; then
    log "installing Debian's Chromium for the browser tests"
    if [ -z "${apt_updated:-}" ]; then apt-get update -qq; fi
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
fi
if [ "$what" = "test" ] && ! command -v psql >/dev/null 2>&1; then
  # The PostgreSQL run of the browser tests makes a database of its own (end2end/start-server.sh).
  log "installing Debian's PostgreSQL client (psql)"
  if [ -z "${apt_updated:-}" ]; then apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql-client >/dev/null
fi
if [ "$what" = "test" ] && ! cargo fuzz --version >/dev/null 2>&1; then
  log "installing cargo-fuzz (the fuzz smoke runs)"
  cargo install cargo-fuzz --locked --version 0.13.2 --quiet
fi
log "dependencies are in place ($what)"
