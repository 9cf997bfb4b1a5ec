# Shared settings for wufix's scripts. Source it; it changes nothing on disk.
# shellcheck shell=bash

WUFIX_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export WUFIX_ROOT

# The Windows toolchain: Debian's rustc-web/cargo-web with their std sources, linked by mingw.
WIN_TARGET=x86_64-pc-windows-gnu
WIN_TARGET_DIR="$WUFIX_ROOT/target/windows"
WIN_OUT="$WIN_TARGET_DIR/$WIN_TARGET/debug"
WINE64=/usr/lib/wine/wine64
WINESERVER=/usr/lib/wine/wineserver

# The Wine prefix lives in target/ so a fresh checkout builds its own and `cargo clean` drops it.
export WINEPREFIX="${WUFIX_WINEPREFIX:-$WUFIX_ROOT/target/wine/prefix}"
export WINEARCH=win64
export WINEDEBUG=-all
# Wine writes file names in the locale's encoding: without a UTF-8 locale (CI's environment has
# none) a non-ASCII name cannot be created at all.
export LANG=C.UTF-8
unset LC_ALL
# No Mono or Gecko: there is no network to fetch them and wufix needs neither.
export WINEDLLOVERRIDES="mscoree,mshtml="
# Where the test helper lives inside the prefix (C:\wufix-test).
WUFIX_TEST_DIR="$WINEPREFIX/drive_c/wufix-test"

# cargo with Debian's toolchain for the Windows target; extra arguments follow.
win_cargo() {
    local sub=$1
    shift
    RUSTC_BOOTSTRAP=1 RUSTC=/usr/bin/rustc RUSTDOC=/usr/bin/rustdoc CARGO_TARGET_DIR="$WIN_TARGET_DIR" \
        /usr/bin/cargo "$sub" -Zbuild-std=std,panic_abort --target "$WIN_TARGET" \
        --config "target.$WIN_TARGET.linker=\"x86_64-w64-mingw32-gcc\"" \
        --config "target.$WIN_TARGET.runner=\"$WINE64\"" "$@"
}

log() { printf '==> %s\n' "$*" >&2; }

# Benchmarks: the median of `$runs` (default 5) timed runs of a command, in ms (`$prep`, when
# set, runs untimed before each), and its peak memory in KiB (GNU time; the bench scripts
# install it).
median_ms() {
    local times=() n=${runs:-5}
    for _ in $(seq "$n"); do
        eval "${prep:-:}"
        local t0 t1
        t0=$(date +%s%N)
        "$@" >/dev/null 2>&1
        t1=$(date +%s%N)
        times+=($(((t1 - t0) / 1000000)))
    done
    printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((n + 1) / 2))p"
}
peak_kb() { /usr/bin/time -f %M "$@" 2>&1 >/dev/null | tail -n 1; }
