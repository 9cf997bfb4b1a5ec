#!/usr/bin/env bash
# Every unsafe block carries a `// SAFETY:` comment within the three lines before it, and unsafe
# code lives only in src/sys/windows (and the test helper tools/testsvc). Prints offenders.
set -euo pipefail
cd "$(dirname "$0")/.."
status=0
while IFS= read -r file; do
    awk -v file="$file" '
        { line[NR] = $0 }
        /unsafe[[:space:]]*\{/ && $0 !~ /^[[:space:]]*\/\// {
            ok = 0
            for (i = NR - 3; i <= NR; i++) if (i > 0 && line[i] ~ /SAFETY:/) ok = 1
            if (!ok) { printf "%s:%d: unsafe block without a // SAFETY: comment\n", file, NR; bad = 1 }
        }
        END { exit bad }
    ' "$file" || status=1
done < <(git ls-files 'src/*.rs' 'tools/*.rs')
outside=$(git grep -lE 'unsafe[[:space:]]*(\{|fn)' -- 'src/*.rs' ':!src/sys/windows/*' || true)
if [ -n "$outside" ]; then
    echo "unsafe code outside src/sys/windows: $outside"
    status=1
fi
exit $status
