#!/usr/bin/env bash
# Runs every cargo-fuzz target for N seconds each (default 60; `make fuzz` runs longer).
# The fuzz crate builds with the stable toolchain: RUSTC_BOOTSTRAP lets cargo-fuzz pass its
# flags, and the targets run without a sanitizer (safe Rust; the checks are the assertions in
# the targets). A crash stops the run with the input saved under fuzz/artifacts/.
set -euo pipefail
seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root/fuzz"
export RUSTC_BOOTSTRAP=1
cargo fuzz build --sanitizer none -O
for target in $(cargo fuzz list); do
  mkdir -p "corpus/$target"
  cargo fuzz run --sanitizer none -O "$target" "corpus/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 2>&1 | tail -n 3
  echo "fuzz target $target passed (${seconds} s)"
done
