#!/usr/bin/env bash
# Install what the Windows build and the Wine suite need, if missing. Idempotent.
set -euo pipefail
. "$(dirname "$0")/env.sh"

packages=(rustc-web cargo-web rust-web-src gcc-mingw-w64-x86-64 binutils-mingw-w64-x86-64 mingw-w64-common wine64 wine)
missing=()
for pkg in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi
# The published JSON Schema is checked against real reports with Python's jsonschema.
if ! python3 -c 'import jsonschema' 2>/dev/null; then
    log "installing python3-jsonschema"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-jsonschema >/dev/null
fi
# The Linux toolchain (rustup's cargo) is expected on PATH already.
command -v cargo >/dev/null || { echo "rustup's cargo is not on PATH" >&2; exit 1; }
