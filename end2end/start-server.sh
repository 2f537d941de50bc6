#!/usr/bin/env bash
# Starts MAYI ID for the browser tests: a fresh SQLite database and key in a temporary
# directory, the test accounts from fixtures.ts, on 127.0.0.1:$E2E_PORT.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
bin="${MAYI_BIN:-$here/../target/debug/mayi-id}"
dir="$(mktemp -d "${TMPDIR:-/tmp}/mayi-e2e.XXXXXX")"
trap 'rm -rf "$dir"' EXIT

export MAYI_DATABASE_URL="sqlite://$dir/e2e.db"
export MAYI_SEED_KEY_FILE="$dir/seed.key"
export MAYI_LISTEN="127.0.0.1:${E2E_PORT:?E2E_PORT is not set}"
export MAYI_PUBLIC_URL="http://127.0.0.1:${E2E_PORT}"
export MAYI_DEV=true
export MAYI_SITE_ROOT="${MAYI_SITE_ROOT:-$here/../target/site}"

"$bin" migrate
# Keep in step with tests/fixtures.ts: one account per test that signs in, per project.
for name in e2e-user signin-js signin-nojs replay; do
  for project in "" -phone -desktop; do
    username="$name$project"
    [ "$name" = e2e-user ] && [ -n "$project" ] && continue
    printf '%s\n' 'e2e sign-in passphrase' | "$bin" user create \
      --username "$username" --display-name "Erin Example" --recovery-email "$username@example.org"
    "$bin" token import --username "$username" --kind totp \
      --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --label "Authenticator app" --device "Pixel 7"
  done
done
"$bin" serve
