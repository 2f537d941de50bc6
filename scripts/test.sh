#!/usr/bin/env bash
# `make test`: installs what is missing and runs every test: formatting and lints, unit tests,
# store tests on SQLite and PostgreSQL, HTTP tests against the real router, and the Playwright
# suite against a server started on a free port with a fresh database.
# With CI=true the PostgreSQL store tests are mandatory (they fail if it cannot be reached).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
logs="$(mktemp -d "${TMPDIR:-/tmp}/mayi-test.XXXXXX")"
started=$(date +%s)

step() { printf '\n==> %s (%ss)\n' "$1" "$(( $(date +%s) - started ))" >&2; }

step "installing what is missing"
scripts/install-deps.sh test

# A CI run builds everything once from cold: incremental compilation would only fill the disk
# (it once did: a CI run stopped with "No space left on device").
if [ "${CI:-}" = true ]; then
  export CARGO_INCREMENTAL=0
fi

export MAYI_TEST_POSTGRES_URL="${MAYI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"

step "formatting (cargo fmt --check)"
cargo fmt --all -- --check

step "unit, store (SQLite + PostgreSQL) and HTTP tests (cargo test)"
cargo test -p mayi-types -p identity -p app -p server --color never 2>&1 | tee "$logs/cargo.txt"

step "lints (clippy, each package on its own target)"
cargo clippy -p mayi-types -p identity -p app -p server -p xtask --all-targets -- -D warnings
cargo clippy -p frontend --target wasm32-unknown-unknown --target-dir target/front -- -D warnings

step "building the site (release front end) and the server"
cargo xtask build --release --front-only
# The application of the OpenID Connect browser test (end2end/tests/oidc.spec.ts).
cargo build -p server --bin mayi-id --example oidc_client

step "browser tests (Playwright + Debian's Chromium)"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
(cd end2end && E2E_PORT="$(free_port)" E2E_SMTP_PORT="$(free_port)" E2E_DELIVERY_PORT="$(free_port)" \
  E2E_RP_PORT="$(free_port)" npx playwright test) 2>&1 | tee "$logs/e2e.txt"

step "browser tests on PostgreSQL (signing in to an application: oidc.spec.ts)"
(cd end2end && E2E_DATABASE=postgres E2E_SEED=oidc E2E_PORT="$(free_port)" E2E_SMTP_PORT="$(free_port)" \
  E2E_DELIVERY_PORT="$(free_port)" E2E_RP_PORT="$(free_port)" npx playwright test oidc.spec.ts) 2>&1 \
  | tee "$logs/e2e-postgres.txt"

step "fuzz smoke runs (cargo fuzz, ${FUZZ_SECONDS:-60} s per target)"
scripts/fuzz.sh "${FUZZ_SECONDS:-60}" 2>&1 | tee "$logs/fuzz.txt"

# One closing line for the whole run, summed over the runners above.
passed=$(grep -hoE 'test result: [a-zA-Z]+\. [0-9]+ passed' "$logs/cargo.txt" | grep -oE '[0-9]+ passed' | awk '{s+=$1} END {print s+0}')
failed=$(grep -hoE '[0-9]+ failed' "$logs/cargo.txt" | awk '{s+=$1} END {print s+0}')
e2e_passed=$(grep -oE '^ *[0-9]+ passed' "$logs/e2e.txt" | tail -n1 | grep -oE '[0-9]+' || echo 0)
e2e_failed=$(grep -oE '^ *[0-9]+ failed' "$logs/e2e.txt" | tail -n1 | grep -oE '[0-9]+' || echo 0)
pg_passed=$(grep -oE '^ *[0-9]+ passed' "$logs/e2e-postgres.txt" | tail -n1 | grep -oE '[0-9]+' || echo 0)
e2e_passed=$((e2e_passed + pg_passed))
fuzz_passed=$(grep -c '^fuzz target .* passed' "$logs/fuzz.txt" || true)
step "done"
echo "all tests: $((passed + e2e_passed + fuzz_passed)) passed, $((failed + e2e_failed)) failed"
