#!/usr/bin/env bash
# A release of wufix: the release exe built with Debian's toolchain, a reproducible zip of it
# with README, the licences and contrib/ (the same bytes for the same commit), its SHA-256, and
# the winget and Scoop manifests filled with the version, the release URL and the hash.
#
#   scripts/release.sh [--out DIR] [--check]
#
# --out DIR   where the zip, its .sha256 and the filled manifests go (target/release-out)
# --check     also prove it: the manifests validate against the vendored schemas (and broken
#             copies do not), the zip made again from touched files has the same bytes, the exe
#             is under 2 MB and carries no link time stamp. scripts/test.sh runs this.
#
# WUFIX_RELEASE_URL is the download URL's template ({version}, {file}); the default is the
# GitHub release the repository would have. Files come from the worktree as git tracks them, with
# fixed times (the commit's), order and permissions.
set -euo pipefail
. "$(dirname "$0")/env.sh"

out="$WUFIX_ROOT/target/release-out"
check=false
while [ $# -gt 0 ]; do
    case "$1" in
    --out) out=$2; shift 2 ;;
    --check) check=true; shift ;;
    *) echo "usage: scripts/release.sh [--out DIR] [--check]" >&2; exit 2 ;;
    esac
done
cd "$WUFIX_ROOT"

version=$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -n 1)
default_url='https://github.com/wufix/wufix/releases/download/v{version}/{file}'
url_template=${WUFIX_RELEASE_URL:-$default_url}
homepage=${WUFIX_HOMEPAGE:-https://github.com/wufix/wufix}
name="wufix-$version-x86_64-pc-windows-gnu.zip"
if [ -n "$(git status --porcelain)" ]; then
    log "the worktree differs from HEAD: this zip is not the commit's release"
fi
# The commit's own time: the zip's entries carry it, so the same commit gives the same bytes.
epoch=$(git log -1 --format=%ct)

log "the shipped build (x86_64-pc-windows-gnu, profile dist)"
# Small: the dist profile (opt-level z), std built for size without backtrace symbolization (a
# panic still prints its message), and no source locations in panic messages — which also keeps
# this checkout's path out of the exe. No path goes into RUSTFLAGS: cargo hashes them into every
# crate's metadata, and two checkouts would link different exes (measured).
export RUSTFLAGS="-Zlocation-detail=none"
# One target folder whatever the checkout's path: GNU ld orders the import tables by the path of
# each input file (`SORT(*)(.idata$2)`), so a checkout under /tmp and one under /work linked the
# system libraries' imports in different orders (measured).
dist_target=${WUFIX_DIST_TARGET:-/tmp/wufix-dist-target}
# /tmp is everyone's: a folder someone else made or may write would let them plant what gets
# linked into the exe fleets run as SYSTEM.
if [ -e "$dist_target" ] || [ -L "$dist_target" ]; then
    if [ -L "$dist_target" ] || [ ! -d "$dist_target" ] || [ ! -O "$dist_target" ] ||
        [ -n "$(find "$dist_target" -maxdepth 0 -perm /022)" ]; then
        echo "$dist_target is not a folder only this user may write: remove it, or set WUFIX_DIST_TARGET" >&2
        exit 1
    fi
else
    mkdir -m 700 "$dist_target"
fi
win_cargo build --profile dist --locked --bin wufix -Zbuild-std-features=optimize_for_size --target-dir "$dist_target"
exe="$dist_target/$WIN_TARGET/dist/wufix.exe"

rm -rf "$out"
mkdir -p "$out"
files=(README.md LICENSE-MIT LICENSE-APACHE)
mapfile -t contrib < <(git ls-files contrib)
/usr/bin/python3 "$WUFIX_ROOT/scripts/release-zip.py" "$out/$name" "$epoch" "$exe" "${files[@]}" "${contrib[@]}"
(cd "$out" && sha256sum "$name" > "$name.sha256")
sha=$(cut -d' ' -f1 < "$out/$name.sha256")
url=$(sed -e "s|{version}|$version|g" -e "s|{file}|$name|g" <<<"$url_template")
date=$(date -u -d "@$epoch" +%Y-%m-%d)

mkdir -p "$out/winget" "$out/scoop"
fill() {
    sed -e "s|@VERSION@|$version|g" -e "s|@URL@|$url|g" -e "s|@SHA256@|$sha|g" \
        -e "s|@DATE@|$date|g" -e "s|@HOMEPAGE@|$homepage|g" "$1" > "$2"
}
for manifest in packaging/winget/*.yaml; do
    fill "$manifest" "$out/winget/$(basename "$manifest")"
done
fill packaging/scoop/wufix.json "$out/scoop/wufix.json"
size=$(stat -c %s "$exe")
log "$name: $(stat -c %s "$out/$name") bytes, sha256 $sha; wufix.exe $size bytes"

if grep -q -a -F "$WUFIX_ROOT" "$exe"; then
    echo "wufix.exe holds this checkout's path ($WUFIX_ROOT): another checkout would differ"
    exit 1
fi

if $check; then
    log "the manifests validate against the formats' own schemas (and broken copies do not)"
    /usr/bin/python3 "$WUFIX_ROOT/scripts/validate-manifests.py" "$WUFIX_ROOT/packaging" "$out"
    log "the zip holds the exe, the README, both licences and contrib/"
    listed=$(/usr/bin/python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$out/$name")
    for want in wufix.exe README.md LICENSE-MIT LICENSE-APACHE contrib/intune/remediate.ps1 contrib/ansible/wufix.yml; do
        grep -qx "$want" <<<"$listed" || { echo "the zip lacks $want"; exit 1; }
    done
    log "the same files, touched, give the same zip"
    again=$(mktemp -d)
    trap 'rm -rf "$again"' EXIT
    cp "$exe" "$again/wufix.exe"
    for f in "${files[@]}" "${contrib[@]}"; do
        mkdir -p "$again/files/$(dirname "$f")"
        cp "$f" "$again/files/$f"
    done
    # Other times, and the copies made in reverse order: nothing of that may reach the zip.
    find "$again" -type f -exec touch -d '2001-02-03 04:05' {} +
    mapfile -t reversed < <(printf '%s\n' "${files[@]}" "${contrib[@]}" | sort -r)
    (cd "$again/files" && /usr/bin/python3 "$WUFIX_ROOT/scripts/release-zip.py" "$again/$name" "$epoch" "$again/wufix.exe" "${reversed[@]}")
    cmp "$out/$name" "$again/$name" || { echo "the zip is not reproducible"; exit 1; }
    log "the release exe is under 2 MB and carries no link time stamp"
    # 2 MB as a person reads it: 2,000,000 bytes (1.91 MiB).
    [ "$size" -lt 2000000 ] || { echo "wufix.exe is $size bytes: over 2 MB"; exit 1; }
    /usr/bin/python3 - "$exe" <<'PY'
import struct, sys
data = open(sys.argv[1], "rb").read(4096)
pe = struct.unpack_from("<I", data, 0x3C)[0]
assert data[pe:pe + 4] == b"PE\0\0", "not a PE file"
stamp = struct.unpack_from("<I", data, pe + 8)[0]
sys.exit(f"the PE header carries the link time {stamp}" if stamp else 0)
PY
fi
