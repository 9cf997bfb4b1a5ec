#!/usr/bin/env bash
# Benchmark the servicing-log reader: `wufix diagnose` (native release build, offline mode) over a
# generated CBS.log of SIZE_MB megabytes (default 200): one failed update install at the start,
# then routine Windows Update sessions, CSI lines and SFC batches, as a busy machine writes them;
# then the same text saved as UTF-16 LE (a file of the same size holding half the lines).
# Target (issue 7): a 200 MB log read whole in well under a second, memory bounded. It also checks
# that the failure at the start is still found. Usage: scripts/bench-logs.sh [SIZE_MB]
# Prints a Markdown table; the numbers kept in the repo are in bench/RESULTS.md.
set -euo pipefail
. "$(dirname "$0")/env.sh"
cd "$WUFIX_ROOT"
size_mb=${1:-200}
runs=5

command -v /usr/bin/time >/dev/null || { apt-get update -qq && apt-get install -y -qq time >/dev/null; }
cargo build --release --locked -q
exe="$WUFIX_ROOT/target/release/wufix"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

empty="$work/empty"
mkdir -p "$empty/Windows/System32" "$empty/Windows/SoftwareDistribution"
vol="$work/vol"
mkdir -p "$vol/Windows/System32" "$vol/Windows/SoftwareDistribution" "$vol/Windows/Logs/CBS"
python3 - "$vol/Windows/Logs/CBS/CBS.log" "$size_mb" <<'PY'
import sys
path, size = sys.argv[1], int(sys.argv[2]) << 20
def line(t, level, comp, msg):
    return f"{t}, {level:<22}{comp:<7}{msg}\r\n"
pkg = "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5131.1.10"
t = "2026-11-01 03:10:00"
head = [
    line(t, "Info", "CBS", "Starting TrustedInstaller initialization."),
    line(t, "Info", "CBS", f"Exec: Processing started.  Client: WindowsUpdateAgent, Session: 1_1, Package: {pkg}, Rebid: 0"),
    line(t, "Error", "CSI", "00000a13 (F) Failed execution of queue item Installer: Network Drivers ({0f2b5a3a}) with HRESULT HRESULT_FROM_WIN32(1168).  Failure will not be ignored: A rollback will be initiated after all the operations in the installer queue are completed; installer is reliable"),
    line(t, "Error", "CBS", f"Exec: Processing complete.  Session: 1_1, Package: {pkg}, Identifier: KB5046613 [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]"),
    line(t, "Info", "CBS", "Session: 1_1 finalized. Reboot required: no [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]"),
    line(t, "Info", "CBS", "Ending TrustedInstaller finalization."),
]
block = []
for n in range(20):
    t = f"2026-11-02 04:{n:02}:00"
    block += [
        line(t, "Info", "CBS", f"Session: 2_{n} initialized by client WindowsUpdateAgent, external staging directory: (null), external registry directory: (null)"),
        line(t, "Info", "CBS", f"Appl: detect Parent, Package: {pkg}, Parent: Microsoft-Windows-Client-Features-Package~31bf3856ad364e35~amd64~~10.0.19041.5131, Disposition = Detect, VersionComp: EQ, ServiceComp: GE, BuildComp: GE, DistributionComp: GE, RevisionComp: GE, Exist: present"),
        line(t, "Info", "CBS", "Failed to get next package to re-evaluate [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]"),
        line(t, "Info", "CSI", f"0000{n:04x} [SR] Verifying 100 components"),
        line(t, "Info", "CSI", f"0000{n:04x} [SR] Verify complete"),
        line(t, "Info", "SQM", "Failed to start standard sample upload. [HRESULT = 0x80004005 - E_FAIL]"),
        line(t, "Info", "CBS", f"Session: 2_{n} finalized. Reboot required: no [HRESULT = 0x00000000 - S_OK]"),
    ]
block = "".join(block).encode()
with open(path, "wb") as f:
    f.write("".join(head).encode())
    written = 0
    while written < size:
        f.write(block)
        written += len(block)
PY
# The two shapes that were quadratic (issue 16): tens of thousands of advanced-installer failures
# in one TrustedInstaller lifetime (long names too), and tens of thousands of distinct failing
# packages. Each about a tenth of SIZE_MB, the long names as large as SIZE_MB.
shapes() {  # shapes DIR KIND SIZE_MB
python3 - "$@" <<'PY'
import sys
out, kind, size = sys.argv[1], sys.argv[2], int(sys.argv[3]) << 20
def L(msg, lvl="Info", comp="CBS"):
    return "2026-11-20 03:10:00, %-21s %-6s %s\r\n" % (lvl, comp, msg)
pkg = "Package_for_KB1~31bf3856ad364e35~amd64~~1.1.1.1"
with open(out, "w", newline="") as f:
    written = 0
    if kind in ("installers", "long-names"):
        pad = "x" * (16000 if kind == "long-names" else 8)
        f.write(L("Starting TrustedInstaller initialization."))
        f.write(L(f"Exec: Processing started.  Client: WindowsUpdateAgent, Session: 1_1, Package: {pkg}, Rebid: 0"))
        i = 0
        while written < size:
            line = L("0000000c (F) Failed execution of queue item Installer: Inst%08d%s ({b2f0ec7a}) with HRESULT HRESULT_FROM_WIN32(1168)." % (i, pad), "Error", "CSI")
            f.write(line); written += len(line); i += 1
        f.write(L(f"Exec: Processing complete.  Session: 1_1, Package: {pkg}, Identifier: KB1 [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]", "Error"))
    else:
        i = 0
        while written < size:
            if i % 200 == 0:
                f.write(L("Starting TrustedInstaller initialization."))
            p = "Package_for_KB%07d~31bf3856ad364e35~amd64~~19041.%d.1.1" % (i, i)
            lines = L("Session: %d_1 initialized by client WindowsUpdateAgent, x" % i) \
                + L("Exec: Processing started.  Client: WindowsUpdateAgent, Session: %d_1, Package: %s, Rebid: 0" % (i, p)) \
                + L("Exec: Processing complete.  Session: %d_1, Package: %s, Identifier: KB%07d [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]" % (i, p, i), "Error")
            f.write(lines); written += len(lines); i += 1
PY
}
for kind in installers packages long-names; do
    mkdir -p "$work/$kind/Windows/System32" "$work/$kind/Windows/Logs/CBS"
    mb=$((size_mb / 10 + 1))
    [ "$kind" = long-names ] && mb=$size_mb
    shapes "$work/$kind/Windows/Logs/CBS/CBS.log" "$kind" "$mb"
done

vol16="$work/vol16"
mkdir -p "$vol16/Windows/System32" "$vol16/Windows/Logs/CBS"
log="$vol/Windows/Logs/CBS/CBS.log"
bytes=$(stat -c %s "$log")
{ printf '\xff\xfe'; head -c $((bytes / 2)) "$log" | iconv -f UTF-8 -t UTF-16LE; } >"$vol16/Windows/Logs/CBS/CBS.log"
for v in "$vol" "$vol16"; do
    "$exe" diagnose --json --windows-dir "$v" | grep -q '"code": "0x800F0922"' \
        || { echo "the failure at the start of $v's log was not found" >&2; exit 1; }
done


base_ms=$(median_ms "$exe" diagnose --windows-dir "$empty")
base_kb=$(peak_kb "$exe" diagnose --windows-dir "$empty")
echo "| CBS.log | \`diagnose\` with the log | without logs | read rate | peak memory with / without |"
echo "|---|---:|---:|---:|---:|"
for v in "$vol" "$vol16"; do
    size=$(stat -c %s "$v/Windows/Logs/CBS/CBS.log")
    what="$((size / 1048576)) MiB, UTF-8"
    [ "$v" = "$vol16" ] && what="$((size / 1048576)) MiB, UTF-16 LE"
    log_ms=$(median_ms "$exe" diagnose --windows-dir "$v")
    log_kb=$(peak_kb "$exe" diagnose --windows-dir "$v")
    echo "| $what | $log_ms ms | $base_ms ms | $((size / 1048576 * 1000 / (log_ms - base_ms + 1))) MiB/s | $((log_kb / 1024)) / $((base_kb / 1024)) MiB |"
done
for kind in installers packages long-names; do
    v="$work/$kind"
    size=$(stat -c %s "$v/Windows/Logs/CBS/CBS.log")
    case $kind in
        installers) what="$((size / 1048576)) MiB, advanced-installer failures in one lifetime" ;;
        packages) what="$((size / 1048576)) MiB, distinct failing packages" ;;
        long-names) what="$((size / 1048576)) MiB, installer names of 16 kB" ;;
    esac
    log_ms=$(median_ms "$exe" diagnose --windows-dir "$v")
    log_kb=$(peak_kb "$exe" diagnose --windows-dir "$v")
    echo "| $what | $log_ms ms | $base_ms ms | $((size / 1048576 * 1000 / (log_ms - base_ms + 1))) MiB/s | $((log_kb / 1024)) / $((base_kb / 1024)) MiB |"
done

# Handed logs (issue 18): `wufix logs` on a setupact.log of SIZE_MB (a successful upgrade's noise,
# then a rollback at the end, which must be found) and on the same CBS.log as above.
python3 - "$work/setupact.log" "$size_mb" <<'PY'
import sys
path, size = sys.argv[1], int(sys.argv[2]) << 20
line = lambda t, lvl, comp, msg: f"{t}, {lvl:<22}{comp:<7}{msg}\r\n"
block = "".join(
    line(f"2026-05-14 10:{i % 60:02}:00", "Error" if i % 3 == 0 else "Info", "SP" if i % 2 else "MIG",
         f"Operation failed: gather file C:\\Program Files\\App{i}\\data{i}.bin [0x80070002]")
    for i in range(200)).encode()
with open(path, "wb") as f:
    written = 0
    while written < size:
        f.write(block); written += len(block)
    f.write(line("2026-05-14 11:31:06", "Error", "MOUPG", "Setup failed: 0xC1900101 - 0x20017").encode())
    f.write(line("2026-05-14 11:31:07", "Info", "MOUPG", "SetupHost::Execute(513): Result = 0xC1900101").encode())
PY
"$exe" logs --json "$work/setupact.log" | grep -q '"setup_code": "0xC1900101-0x20017"' \
    || { echo "the rollback at the end of setupact.log was not found" >&2; exit 1; }
echo
echo "| handed log | \`logs\` | read rate | peak memory |"
echo "|---|---:|---:|---:|"
for f in "$work/setupact.log" "$vol/Windows/Logs/CBS/CBS.log"; do
    size=$(stat -c %s "$f")
    log_ms=$(median_ms "$exe" logs "$f")
    log_kb=$(peak_kb "$exe" logs "$f")
    echo "| $(basename "$f"), $((size / 1048576)) MiB | $log_ms ms | $((size / 1048576 * 1000 / (log_ms + 1))) MiB/s | $((log_kb / 1024)) MiB |"
done
echo
echo "Median of $runs runs, $(nproc) cores, $(uname -sr), $(date -u +%Y-%m-%d); the failure in each log was found."
