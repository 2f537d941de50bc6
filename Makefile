# MAYI ID's two everyday commands. Each installs whatever is missing first.
.PHONY: run test build
run: ## build in release mode, seed the demo data, serve at http://127.0.0.1:3000
	scripts/run.sh
test: ## every test: unit, store (SQLite + PostgreSQL), HTTP, lints, browser
	scripts/test.sh
build: ## build the site and the server in release mode, without running anything
	scripts/install-deps.sh run
	cargo xtask build --release

# Performance (issue 9): builds in release, starts MAYI ID on fresh databases (SQLite, then
# PostgreSQL) and prints one table. BENCH_ARGS="--signin-seconds 20 --rps-seconds 10" to change.
.PHONY: bench
bench: ## the performance table: sign-ins, server fn vs bare axum, pages, verifications, RSS, sizes
	scripts/install-deps.sh run
	cargo xtask build --release
	cargo bench -p server --bench suite -- $(BENCH_ARGS)
	scripts/install-deps.sh test
	cargo bench -p server --bench web

# Issue 15: each route's first visit in Chromium (bytes per file kind: raw, gzip, brotli, wire)
# and lab web vitals for /login and /emergency on a throttled phone, against the release build.
.PHONY: bench-web
bench-web: ## what a first visit to each route downloads, and LCP / interactive / CLS on a phone
	scripts/install-deps.sh test
	cargo xtask build --release
	cargo bench -p server --bench web -- $(BENCH_ARGS)

# Sign-in throughput (password + TOTP over HTTP on loopback, release build) against argon2's
# ceiling; BENCH_ARGS="--backend postgres --duration 20 --concurrency 4" to change.
.PHONY: bench-signin
bench-signin: ## sign-ins per second at concurrency 4 for 20 s on SQLite, vs cores ÷ argon2 time
	cargo bench -p server --bench signin -- $(BENCH_ARGS)

# Every fuzz target for FUZZ_SECONDS each (the test command runs them 60 s each).
.PHONY: fuzz
fuzz: ## run the cargo-fuzz targets longer (FUZZ_SECONDS=600 by default)
	scripts/install-deps.sh test
	scripts/fuzz.sh $${FUZZ_SECONDS:-600}

# Pictures of the real pages for the help center, into public/help/ (commit them).
.PHONY: help-pictures
help-pictures: ## regenerate public/help/*.png and public/help/cs/*.png from the running pages (phone and desktop)
	scripts/install-deps.sh test
	cargo xtask build --release --front-only
	cargo build -p server --bin mayi-id
	for lang in en cs; do \
	  (cd end2end && HELP_PICTURES=1 HELP_PICTURES_LANG=$$lang E2E_PORT=$${E2E_PORT:-3171} E2E_SMTP_PORT=$${E2E_SMTP_PORT:-3172} E2E_DELIVERY_PORT=$${E2E_DELIVERY_PORT:-3173} E2E_RP_PORT=$${E2E_RP_PORT:-3174} npx playwright test help-pictures.spec.ts --project=desktop) || exit 1; \
	done
	cargo xtask build --release --front-only
