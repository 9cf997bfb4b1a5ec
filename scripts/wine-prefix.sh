#!/usr/bin/env bash
# Prepare the Wine prefix for wufix: first boot, the ProcessPrng shim, the test helper, a
# `cryptsvc` service (Wine has none), and a persistent wineserver with services started.
# Usage: scripts/wine-prefix.sh up | down
# Needs the Windows build (scripts/build-windows.sh) first. Idempotent.
set -euo pipefail
. "$(dirname "$0")/env.sh"

up() {
    local shim="$WIN_TARGET_DIR/bcryptprimitives.dll"
    if [ ! -f "$shim" ] || [ "$WUFIX_ROOT/scripts/wine/processprng.c" -nt "$shim" ]; then
        log "building the ProcessPrng shim"
        mkdir -p "$WIN_TARGET_DIR"
        x86_64-w64-mingw32-gcc -shared -O2 -o "$shim" "$WUFIX_ROOT/scripts/wine/processprng.c" -ladvapi32
    fi
    if [ ! -f "$WINEPREFIX/.wufix-booted" ]; then
        log "creating the Wine prefix at $WINEPREFIX"
        rm -rf "$WINEPREFIX"
        mkdir -p "$WINEPREFIX"
        "$WINE64" wineboot -i </dev/null >/dev/null 2>&1
        # The first boot must finish before any service starts, or StartService fails with 1053.
        "$WINESERVER" -w
        touch "$WINEPREFIX/.wufix-booted"
    fi
    cp "$shim" "$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
    mkdir -p "$WUFIX_TEST_DIR"
    # Every test service obeys STOP and starts normally until a test says otherwise.
    rm -f "$WUFIX_TEST_DIR"/*.onstop "$WUFIX_TEST_DIR"/*.onstart
    # Replace, never overwrite in place: a running cryptsvc maps the old file.
    cp "$WIN_OUT/wufix-testsvc.exe" "$WUFIX_TEST_DIR/testsvc.exe.new"
    mv -f "$WUFIX_TEST_DIR/testsvc.exe.new" "$WUFIX_TEST_DIR/testsvc.exe"

    # A persistent server, and services.exe started with its output on /dev/null: otherwise the
    # first Wine process's stdout is inherited by services and a pipe reading it never ends. Any
    # server already running is ended first: one a command started in passing exits when idle,
    # and Wine keeps key descriptors (given below) only while its server runs.
    "$WINESERVER" -k </dev/null >/dev/null 2>&1 || true
    "$WINESERVER" -w </dev/null >/dev/null 2>&1 || true
    "$WINESERVER" -p </dev/null >/dev/null 2>&1 || true
    "$WINE64" wineboot </dev/null >/dev/null 2>&1
    if ! "$WINE64" 'C:\wufix-test\testsvc.exe' ctl query cryptsvc </dev/null >/dev/null 2>&1; then
        log "registering the test service as cryptsvc"
        "$WINE64" sc create cryptsvc binPath= 'C:\wufix-test\testsvc.exe run cryptsvc' type= own start= demand </dev/null >/dev/null 2>&1
    fi
    "$WINE64" 'C:\wufix-test\testsvc.exe' ctl query cryptsvc </dev/null >/dev/null
    # TrustedInstaller (Windows Modules Installer) running means servicing is in progress; Wine
    # has none. Registered stopped: the servicing-gate tests start it.
    if ! "$WINE64" 'C:\wufix-test\testsvc.exe' ctl query TrustedInstaller </dev/null >/dev/null 2>&1; then
        log "registering the test service as TrustedInstaller"
        "$WINE64" sc create TrustedInstaller binPath= 'C:\wufix-test\testsvc.exe run TrustedInstaller' type= own start= demand </dev/null >/dev/null 2>&1
    fi
    # Wine has no Windows Update tasks: a test that made one and died leaves none behind.
    rm -rf "$WINEPREFIX/drive_c/windows/system32/tasks/Microsoft/Windows/WindowsUpdate"
    # Wine's keys grant SYSTEM nothing; Windows' service keys give SYSTEM and Administrators full
    # control. The update services' keys are given Windows' own descriptor — each time: Wine keeps
    # key descriptors only while its server runs (a restart brings its defaults back), and a test
    # that planted a blocker's lock and died leaves none behind.
    for svc in wuauserv BITS CryptSvc msiserver; do
        "$WINE64" 'C:\wufix-test\testsvc.exe' regsd 'SYSTEM\CurrentControlSet\Services\'"$svc" \
            'O:SYD:AI(A;CI;KR;;;BU)(A;CI;KA;;;BA)(A;CI;KA;;;SY)' </dev/null
    done
}

down() {
    if [ -d "$WINEPREFIX" ]; then
        "$WINESERVER" -k 2>/dev/null || true
        "$WINESERVER" -w 2>/dev/null || true
    fi
}

case "${1:-up}" in
    up) up ;;
    down) down ;;
    *) echo "usage: $0 up|down" >&2; exit 2 ;;
esac
