#!/usr/bin/env bash
# The main job, end to end: build wufix.exe, prepare a Wine prefix with the update services
# running and both update folders populated, then run `wufix status`, `wufix reset --yes`,
# `wufix undo --yes`, `wufix explain` and `wufix repair --dry-run`, each showing its report.
# Installs what it needs. Usage: scripts/demo.sh [extra reset flags]
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$WUFIX_ROOT"

"$WUFIX_ROOT/scripts/build-windows.sh"
trap '"$WUFIX_ROOT/scripts/wine-prefix.sh" down' EXIT
"$WUFIX_ROOT/scripts/wine-prefix.sh" up

log "starting the update services"
for service in wuauserv bits cryptsvc msiserver; do
    "$WINE64" 'C:\wufix-test\testsvc.exe' ctl start "$service" </dev/null
done
log "populating SoftwareDistribution and catroot2"
windir="$WINEPREFIX/drive_c/windows"
# Start from known contents: drop what earlier runs (or the test suite) left.
rm -rf "$windir"/SoftwareDistribution* "$windir"/system32/catroot2* "$WINEPREFIX/drive_c/ProgramData/wufix"
mkdir -p "$windir/SoftwareDistribution/DataStore/Logs" "$windir/SoftwareDistribution/Download/0a1b" \
    "$windir/system32/catroot2/{F750E6C3-38EE-11D1-85E5-00C04FC295EE}"
head -c 65536 /dev/urandom >"$windir/SoftwareDistribution/DataStore/DataStore.edb"
echo "log" >"$windir/SoftwareDistribution/DataStore/Logs/edb.log"
head -c 200000 /dev/urandom >"$windir/SoftwareDistribution/Download/0a1b/update.cab"
head -c 32768 /dev/urandom >"$windir/system32/catroot2/{F750E6C3-38EE-11D1-85E5-00C04FC295EE}/catdb"
echo "log" >"$windir/system32/catroot2/edb.log"

log "wufix status"
"$WINE64" "$WIN_OUT/wufix.exe" status </dev/null
log "wufix reset --yes $*"
"$WINE64" "$WIN_OUT/wufix.exe" reset --yes "$@" </dev/null
log "wufix undo --yes (puts the folders back from the journal)"
"$WINE64" "$WIN_OUT/wufix.exe" undo --yes </dev/null
log "wufix explain 0x800f081f (where a repair for it starts)"
"$WINE64" "$WIN_OUT/wufix.exe" explain 0x800f081f </dev/null
log "wufix repair --dry-run --up-to deep --network (every rung's plan; nothing changed)"
"$WINE64" "$WIN_OUT/wufix.exe" repair --dry-run --from light --up-to deep --network </dev/null
