#!/usr/bin/env bash
# `make run`: installs what is missing, builds MAYI ID in release mode, seeds the demo data into
# a SQLite database under ./data/ and serves it at http://127.0.0.1:3000 (MAYI_LISTEN to change).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"

scripts/install-deps.sh run
cargo xtask build --release

mkdir -p data
export MAYI_DEV="${MAYI_DEV:-true}"
export MAYI_DATABASE_URL="${MAYI_DATABASE_URL:-sqlite://data/mayi-id.db}"
export MAYI_SEED_KEY_FILE="${MAYI_SEED_KEY_FILE:-data/seed.key}"
export MAYI_LISTEN="${MAYI_LISTEN:-127.0.0.1:3000}"
# The demo lets you try Emergency Access from this browser at once; a real installation keeps the
# 24-hour wait for codes asked for from a browser that never signed in to the account.
export MAYI_EMERGENCY_WAIT_MINUTES_UNKNOWN="${MAYI_EMERGENCY_WAIT_MINUTES_UNKNOWN:-0}"

target/release/mayi-id demo
echo "==> MAYI ID: open http://${MAYI_LISTEN} (Ctrl-C stops it). Demo accounts: see README.md." >&2
exec target/release/mayi-id serve
