#!/usr/bin/env bash
# Benchmark reading a mounted Windows's hives (issue 19): `wufix diagnose --windows-dir` (native
# release build) on a volume whose SOFTWARE hive is SIZE_MB megabytes (default 100: a thousand
# keys holding large binary values, made by tests/hive/make_hive.py with Debian's hivex) against
# the same volume without hives. Target: the hives add well under 100 ms. Prints a Markdown table;
# the numbers kept in the repo are in bench/RESULTS.md. Usage: scripts/bench-hive.sh [SIZE_MB]
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$WUFIX_ROOT"
size_mb=${1:-100}
runs=5
"$WUFIX_ROOT/scripts/install-windows-toolchain.sh" >/dev/null
command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release --locked -q
exe="$WUFIX_ROOT/target/release/wufix"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for v in with without; do
    mkdir -p "$work/$v/Windows/System32/config" "$work/$v/Windows/SoftwareDistribution"
done
/usr/bin/python3 - "$work/software.json" "$work/system.json" "$size_mb" <<'PY'
import json, sys
software, system, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
blob = ("ab" * (100 * 1024))  # 100 KiB of hex: 100 KiB... as bytes, 100 KiB each
keys = {f"Classes\\Filler{i:05}": {"Blob": ["binary", blob]} for i in range(size * 10)}
keys["Microsoft\\Windows NT\\CurrentVersion"] = {"ProductName": ["sz", "Windows 11 Pro"], "CurrentBuild": ["sz", "26100"], "UBR": ["dword", 4061]}
keys["Policies\\Microsoft\\Windows\\WindowsUpdate"] = {"WUServer": ["sz", " "]}
json.dump(keys, open(software, "w"))
json.dump({"Select": {"Current": ["dword", 1]}, "ControlSet001\\Services\\wuauserv": {"Start": ["dword", 4]}}, open(system, "w"))
PY
/usr/bin/python3 tests/hive/make_hive.py "$work/with/Windows/System32/config/SOFTWARE" "$work/software.json"
/usr/bin/python3 tests/hive/make_hive.py "$work/with/Windows/System32/config/SYSTEM" "$work/system.json"
"$exe" diagnose --json --windows-dir "$work/with" | grep -q '"summary": "Windows 11 Pro, build 26100.4061"' \
    || { echo "the version was not read from the hive" >&2; exit 1; }
size=$(stat -c %s "$work/with/Windows/System32/config/SOFTWARE")
echo "| SOFTWARE hive | \`diagnose\` with hives | without | hives add | peak memory with / without |"
echo "|---|---:|---:|---:|---:|"
with=$(median_ms "$exe" diagnose --windows-dir "$work/with")
without=$(median_ms "$exe" diagnose --windows-dir "$work/without")
echo "| $((size / 1048576)) MiB | $with ms | $without ms | $((with - without)) ms | $(($(peak_kb "$exe" diagnose --windows-dir "$work/with") / 1024)) / $(($(peak_kb "$exe" diagnose --windows-dir "$work/without") / 1024)) MiB |"
echo
echo "Median of $runs runs, $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d); the version was read from the hive."
