#!/usr/bin/env bash
# Cross-build wufix.exe and the test helper (wufix-testsvc.exe) for x86_64-pc-windows-gnu.
# Usage: scripts/build-windows.sh [--release]
set -euo pipefail
. "$(dirname "$0")/env.sh"
"$WUFIX_ROOT/scripts/install-windows-toolchain.sh"
cd "$WUFIX_ROOT"
log "building wufix.exe and wufix-testsvc.exe"
win_cargo build --workspace "$@"
