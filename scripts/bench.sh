#!/usr/bin/env bash
# Benchmark, native release build on real files in offline mode, for a small and a large
# SoftwareDistribution: the folder step of `wufix reset` (rename: should not grow with the file
# count), `wufix reset --method clear` (deletes every file, each relative to its open folder),
# `wufix status` and `wufix diagnose` (both count every file; target: diagnose of 100,000 files
# under 2 s). Usage: scripts/bench.sh [LARGE_FILE_COUNT]   (default 100000).
# Prints a Markdown table; the numbers kept in the repo are in bench/RESULTS.md.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$WUFIX_ROOT"
large=${1:-100000}
runs=5

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release --locked -q
exe="$WUFIX_ROOT/target/release/wufix"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

make_volume() { # DIR COUNT: a mounted-Windows layout whose SoftwareDistribution holds COUNT files
    mkdir -p "$1/Windows/System32/catroot2" "$1/Windows/SoftwareDistribution"
    python3 - "$1/Windows/SoftwareDistribution" "$2" <<'PY'
import os, sys
root, count = sys.argv[1], int(sys.argv[2])
for i in range(count):
    d = os.path.join(root, "Download", f"{i // 1000:04d}")
    if i % 1000 == 0:
        os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i}.cab"), "wb") as f:
        f.write(b"x" * 100)
PY
}

echo "| files in SoftwareDistribution | \`reset --only software-distribution\` (rename) | \`reset --method clear\` (same folder) | \`clear\` peak memory | \`status\` | \`diagnose\` | \`diagnose\` peak memory |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for count in 10 "$large"; do
    vol="$work/vol$count"
    make_volume "$vol" "$count"
    win="$vol/Windows"
    # Put the folder back between runs (a rename, as cheap as the step measured).
    restore="for b in \"$win\"/SoftwareDistribution.wufix-*.bak; do [ -e \"\$b\" ] && rm -rf \"$win/SoftwareDistribution\" && mv \"\$b\" \"$win/SoftwareDistribution\"; done; true"
    reset_ms=$(prep=$restore median_ms "$exe" reset --yes --only software-distribution --windows-dir "$vol")
    eval "$restore"
    # Clearing consumes the tree: each run starts from a copy (made untimed).
    cp -a "$win/SoftwareDistribution" "$work/template$count"
    refill="rm -rf \"$win/SoftwareDistribution\" && cp -a \"$work/template$count\" \"$win/SoftwareDistribution\""
    clear_ms=$(prep=$refill median_ms "$exe" reset --yes --method clear --only software-distribution --windows-dir "$vol")
    eval "$refill"
    clear_kb=$(peak_kb "$exe" reset --yes --method clear --only software-distribution --windows-dir "$vol")
    eval "$refill"
    status_ms=$(median_ms "$exe" status --windows-dir "$vol")
    diagnose_ms=$(median_ms "$exe" diagnose --windows-dir "$vol")
    diagnose_kb=$(peak_kb "$exe" diagnose --windows-dir "$vol")
    echo "| $count | $reset_ms ms | $clear_ms ms | $((clear_kb / 1024)) MiB | $status_ms ms | $diagnose_ms ms | $((diagnose_kb / 1024)) MiB |"
done
echo
echo "Median of $runs runs each, $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d)."
