#!/usr/bin/env bash
# Run every test: formatting and lints, the native suite (Linux), then the Windows build's whole
# suite (unit tests, offline tests and the Wine scenarios) under Wine against a prepared prefix.
# Installs what it needs. Usage: scripts/test.sh
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$WUFIX_ROOT"

log "format and lints"
cargo fmt --all -- --check
cargo clippy --all-targets --locked -- -D warnings

log "native tests (Linux)"
cargo test --locked

log "Windows build"
"$WUFIX_ROOT/scripts/install-windows-toolchain.sh"
win_cargo test --workspace --locked --no-run
win_cargo build --workspace --locked

log "Wine prefix"
trap '"$WUFIX_ROOT/scripts/wine-prefix.sh" down' EXIT
"$WUFIX_ROOT/scripts/wine-prefix.sh" up

log "Windows tests under Wine"
win_cargo test --workspace --locked
