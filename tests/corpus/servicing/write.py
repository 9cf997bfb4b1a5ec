#!/usr/bin/env python3
"""Writes the servicing-log corpus: compact line specs laid out as real CBS.log and dism.log lines
(date, level, component, message), in the encodings and line ends each case needs, with the
answer each case expects. Usage: python3 tests/corpus/servicing/write.py tests/corpus/servicing"""
import os, sys, json
OUT = sys.argv[1]

def fmt(spec):
    out = []
    for raw in spec.strip("\n").split("\n"):
        if raw.startswith(">"):
            out.append(raw[1:])
            continue
        t, level, comp, msg = raw.split("|", 3)
        out.append(f"{t}, {level:<22}{comp:<7}{msg}")
    return out

def write(case, rel, spec, encoding="utf-8", eol="\r\n", bom=False):
    path = os.path.join(OUT, case, *rel.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    text = eol.join(fmt(spec)) + eol
    data = text.encode(encoding)
    if bom:
        data = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}[encoding] + data
    open(path, "wb").write(data)

def expect(case, value):
    path = os.path.join(OUT, case, "expected.json")
    open(path, "w").write(json.dumps(value, indent=2) + "\n")

def ti_start(t):
    return f"""{t}|Info|CBS|TI: --- Initializing Trusted Installer ---
{t}|Info|CBS|TI: Last boot time: {t}.500
{t}|Info|CBS|Starting TrustedInstaller initialization.
{t}|Info|CBS|Lock: New lock added: CCbsPublicSessionClassFactory, level: 30, total lock:4
{t}|Info|CBS|Loaded Servicing Stack v10.0.19041.5072 with Core: C:\\Windows\\winsxs\\amd64_microsoft-windows-servicingstack_31bf3856ad364e35_10.0.19041.5072_none_7e7c3b3ad4c0d1a2\\cbscore.dll
{t}|Info|CSI|00000001@{t[:4]}/{int(t[5:7])}/{int(t[8:10])}:{t[11:]}.117 WcpInitialize: wcp.dll version 0.0.0.6 (bl=0)
{t}|Info|CBS|Ending TrustedInstaller initialization.
{t}|Info|CBS|Starting the TrustedInstaller main loop.
{t}|Info|CBS|TrustedInstaller service starts successfully."""

def ti_end(t):
    return f"""{t}|Info|CBS|Trusted installer is shutting down because: SHUTDOWN_REASON_AUTOSTOP
{t}|Info|CBS|TiWorker signaled for shutdown, going to exit.
{t}|Info|CBS|Starting TrustedInstaller finalization.
{t}|Info|CBS|Ending TrustedInstaller finalization."""

def scan_session(t, sid, n=0):
    """A Windows Update applicability scan: probes that fail on purpose, nothing installed."""
    return f"""{t}|Info|CBS|Session: {sid} initialized by client WindowsUpdateAgent, external staging directory: (null), external registry directory: (null)
{t}|Info|CBS|Appl: detect Parent, Package: Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5131.1.10, Parent: Microsoft-Windows-Client-Features-Package~31bf3856ad364e35~amd64~~10.0.19041.5131, Disposition = Detect, VersionComp: EQ, ServiceComp: GE, BuildComp: GE, DistributionComp: GE, RevisionComp: GE, Exist: present
{t}|Info|CBS|Failed to get next package to re-evaluate [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]
{t}|Info|CBS|Not able to read the registry value of PackageDetect for package: Package_{n}_for_KB5046613~31bf3856ad364e35~amd64~~19041.5131.1.10 [HRESULT = 0x80070002 - ERROR_FILE_NOT_FOUND]
{t}|Error|CBS|Failed to open package for reading: Package_for_KB4589208~31bf3856ad364e35~amd64~~10.0.1.0 [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]
{t}|Info|CBS|Failed to get internal update for package Package_for_KB5005716~31bf3856ad364e35~amd64~~19041.1220.1.1 [HRESULT = 0x80070490 - ERROR_NOT_FOUND]
{t}|Info|SQM|Failed to start upload with file pattern: C:\\Windows\\servicing\\sqm\\*_std.sqm, flags: 0x2 [HRESULT = 0x80004005 - E_FAIL]
{t}|Info|SQM|Failed to start standard sample upload. [HRESULT = 0x80004005 - E_FAIL]
{t}|Warning|CBS|Current tick count: 0x5a1c2f04 is earlier than the last stored tick count: 0x5a1c3000; the clock moved backwards [HRESULT = 0x80004005 - E_FAIL]
{t}|Info|CBS|Session: {sid} finalized. Reboot required: no [HRESULT = 0x00000000 - S_OK]"""

def install_ok(t, sid, pkg, kb):
    return f"""{t}|Info|CBS|Session: {sid} initialized by client WindowsUpdateAgent, external staging directory: (null), external registry directory: (null)
{t}|Info|CBS|Exec: Processing started.  Client: WindowsUpdateAgent, Session: {sid}, Package: {pkg}, Rebid: 0, RebootRequired: 0
{t}|Info|CBS|Exec: Installing Package: {pkg}, Update: {kb}, InstallDeployment: amd64_{kb.lower()}_31bf3856ad364e35_10.0.1.0_none
{t}|Info|CBS|Exec: Processing complete.  Session: {sid}, Package: {pkg}, Identifier: {kb} [HRESULT = 0x80070bc2 - ERROR_SUCCESS_REBOOT_REQUIRED]
{t}|Info|CBS|Session: {sid} finalized. Reboot required: yes [HRESULT = 0x00000000 - S_OK]"""

def summary(t, op, result, detected, repaired):
    rows = ["CBS Manifest", "CBS Metadata", "CSI Manifest", "CSI Metadata", "CSI Payload"]
    lines = [f"{t}|Info|CBS|Repr: CBS Store check completes", f"{t}|Info|CBS|Summary:",
             f"{t}|Info|CBS|Operation: {op} ", f"{t}|Info|CBS|Operation result: {result}",
             f"{t}|Info|CBS|Last Successful Step: Entire operation completes.",
             f"{t}|Info|CBS|Total Detected Corruption:\t{detected}"]
    lines += [f"{t}|Info|CBS|\t{r} Corruption:\t{detected if r == 'CSI Payload' else 0}" for r in rows]
    lines += [f"{t}|Info|CBS|Total Repaired Corruption:\t{repaired}"]
    lines += [f"{t}|Info|CBS|\t{r} Repaired:\t{repaired if r == 'CSI Payload' else 0}" for r in rows]
    lines += [f"{t}|Info|CBS|Staged Packages:", f"{t}|Info|CBS|Total Staged Packages Repaired:\t0",
              f"{t}|Info|CBS|Ensure CBS corruption flag is clear: Success"]
    return "\n".join(lines)

def repair(t, sid, op, result, name, detected, repaired):
    body = f"""{t}|Info|CBS|Session: {sid} initialized by client DISM Package Manager Provider, external staging directory: (null), external registry directory: (null)
{t}|Info|CBS|Exec: Processing started, session(Corruption Repairing): {sid}
{t}|Info|CBS|Repr: Store corruption found in: CSI Payload
{summary(t, op, result, detected, repaired)}"""
    if op == "Detect and Repair":
        body += f"\n{t}|Info|CBS|Exec: Processing complete, session(Corruption Repairing): {sid} [HRESULT = {result if result != '0x0' else '0x00000000'} - {name}]"
    body += f"\n{t}|Info|CBS|Session: {sid} finalized. Reboot required: no [HRESULT = 0x00000000 - S_OK]"
    return body

def sfc(t, cannot=()):
    out = [f"{t}|Info|CSI|00000006 [SR] Verifying 100 components",
           f"{t}|Info|CSI|00000007 [SR] Beginning Verify and Repair transaction",
           f"{t}|Info|CSI|00000009 [SR] Verify complete",
           f"{t}|Info|CSI|0000000a [SR] Verifying 100 components",
           f"{t}|Info|CSI|0000000b [SR] Beginning Verify and Repair transaction"]
    for i, (name, comp) in enumerate(cannot):
        out.append(f"{t}|Info|CSI|0000002{i} [SR] Cannot repair member file [l:{len(name)}]'{name}' of {comp}, version 10.0.19041.1, arch amd64, nonSxS, pkt {{l:8 b:31bf3856ad364e35}} in the store, hash mismatch")
    out += [f"{t}|Info|CSI|00000031 [SR] Verify complete",
            f"{t}|Info|CSI|00000032 [SR] Repairing {len(cannot)} components",
            f"{t}|Info|CSI|00000033 [SR] Beginning Verify and Repair transaction"]
    for i, (name, comp) in enumerate(cannot):
        out.append(f"{t}|Info|CSI|0000004{i} [SR] Cannot repair member file [l:{len(name)}]'{name}' of {comp}, version 10.0.19041.1, arch amd64, nonSxS, pkt {{l:8 b:31bf3856ad364e35}} in the store, hash mismatch")
    out.append(f"{t}|Info|CSI|00000050 [SR] Repair complete")
    return "\n".join(out)

def dism_session(t, cmd, hr=None, pid=6120):
    p = f"PID={pid} TID={pid+4}"
    out = [f"{t}|Info|DISM|{p} Scratch directory set to 'C:\\Users\\ana\\AppData\\Local\\Temp\\'. - CDISMManager::put_ScratchDir",
           f"{t}|Info|DISM|{p} DismCore.dll version: 10.0.19041.3636 - CDISMManager::FinalConstruct",
           f"{t}|Info|DISM|DISM Provider Store: {p} Found and Initialized the DISM Logger. - CDISMProviderStore::Internal_InitializeLogger",
           f"{t}|Warning|DISM|DISM Provider Store: {p} Failed to load the provider: C:\\Windows\\System32\\Dism\\SiloedPackageProvider.dll. - CDISMProviderStore::Internal_GetProvider(hr:0x8007007e)",
           f"{t}|Error|DISM|DISM Provider Store: {p} Failed to get the IDismObject Interface - CDISMProviderStore::Internal_LoadProvider(hr:0x80004002)",
           f"{t}|Info|DISM|DISM.EXE: ",
           f"{t}|Info|DISM|DISM.EXE: <----- Starting Dism.exe session ----->",
           f"{t}|Info|DISM|DISM.EXE: ",
           f"{t}|Info|DISM|DISM.EXE: Host machine information: OS Version=10.0.19045, Running architecture=amd64, Number of processors=4",
           f"{t}|Info|DISM|DISM.EXE: Executing command line: {cmd}",
           f"{t}|Info|DISM|DISM Package Manager: {p} Processing the top level command token(cleanup-image). - CPackageManagerCLIHandler::Private_ValidateCmdLine",
           f"{t}|Error|DISM|DISM Package Manager: {p} Failed to get the underlying cbs package. - CDISMPackageManager::OpenPackageByName(hr:0x800f0805)"]
    if hr:
        out += [f"{t}|Error|DISM|DISM Package Manager: {p} Failed to restore the image health. - CPackageManagerCLIHandler::ProcessCmdLine_CleanupImage(hr:{hr})",
                f"{t}|Error|DISM|DISM Package Manager: {p} Failed while processing command cleanup-image. - CPackageManagerCLIHandler::ExecuteCmdLine(hr:{hr})"]
    out += [f"{t}|Info|DISM|DISM Package Manager: {p} Further logs for online package providers can be found at C:\\Windows\\Logs\\CBS\\cbs.log - CPackageManagerCLIHandler::ExecuteCmdLine",
            f"{t}|Info|DISM|DISM.EXE: Image session has been closed. Reboot required=no.",
            f"{t}|Info|DISM|DISM.EXE: ",
            f"{t}|Info|DISM|DISM.EXE: <----- Ending Dism.exe session ----->"]
    return "\n".join(out)

RF = "Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5131.1.10"

def failed_install(t, sid, split=False):
    end = "[HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]"
    if split:
        end = "[HRESULT = 0x800f0922 - \n>CBS_E_INSTALLERS_FAILED]"
    return f"""{t}|Info|CBS|Session: {sid} initialized by client WindowsUpdateAgent, external staging directory: (null), external registry directory: (null)
{t}|Info|CBS|Exec: Processing started.  Client: WindowsUpdateAgent, Session: {sid}, Package: {RF}, Rebid: 0, RebootRequired: 0
{t}|Info|CBS|Exec: Installing Package: {RF}, Update: KB5046613, InstallDeployment: amd64_rollupfix_31bf3856ad364e35_10.0.19041.5131_none
{t}|Info|CSI|00000a12 Begin executing advanced installer phase 38 index 112 (sequence 151)
{t}|Error|CSI|00000a13 (F) Failed execution of queue item Installer: Network Drivers ({{0f2b5a3a-6c3b-4e8d-9b2a-1c5d2e7f8a90}}) with HRESULT HRESULT_FROM_WIN32(1168).  Failure will not be ignored: A rollback will be initiated after all the operations in the installer queue are completed; installer is reliable[gle=0x80004005]
{t}|Info|CBS|Failed to query DisableWerReporting flag.  Assuming not set... [HRESULT = 0x80070002 - ERROR_FILE_NOT_FOUND]
{t}|Error|CBS|Exec: Processing complete.  Session: {sid}, Package: {RF}, Identifier: KB5046613 {end}
{t}|Error|CBS|Failed to perform operation.  [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]
{t}|Info|CBS|WER: Generating failure report for package: {RF}, status: 0x800f0922, failure source: Execute, start state: Staged, target state: Installed, client id: WindowsUpdateAgent
{t}|Info|CBS|Session: {sid} finalized. Reboot required: no [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]"""

# 1. A clean DISM RestoreHealth and SFC run.
write("healthy-dism-sfc", "Logs/CBS/CBS.log", "\n".join([
    ti_start("2026-11-18 09:00:01"),
    repair("2026-11-18 09:12:40", "31112233_4001", "Detect and Repair", "0x0", "S_OK", 0, 0),
    ti_end("2026-11-18 09:12:45"),
    ti_start("2026-11-18 09:20:00"),
    sfc("2026-11-18 09:26:10"),
    ti_end("2026-11-18 09:26:12")]), bom=True)
write("healthy-dism-sfc", "Logs/DISM/dism.log",
      dism_session("2026-11-18 09:00:00", "dism  /online /cleanup-image /restorehealth"))
expect("healthy-dism-sfc", {"about": "A clean DISM /RestoreHealth and sfc /scannow: nothing failed.",
                            "failures": [], "summary": "no failed servicing operation stands"})

# 2. Routine applicability scans and installs that succeed.
write("applicability-noise", "Logs/CBS/CBS.log", "\n".join(
    [ti_start("2026-11-20 07:00:00")]
    + [scan_session(f"2026-11-20 07:{m:02}:10", f"3111240{m}_900{m}", m) for m in range(1, 6)]
    + [install_ok("2026-11-20 07:30:00", "31112410_9100", "Package_for_KB5043935~31bf3856ad364e35~amd64~~19041.4950.1.0", "KB5043935"),
       # A session that only checked applicability ends with a probe's status: not an operation.
       """2026-11-20 07:40:00|Info|CBS|Session: 31112420_9200 initialized by client UpdateAgentLCU, external staging directory: (null), external registry directory: (null)
2026-11-20 07:40:01|Info|CBS|Session: 31112420_9200 finalized. Reboot required: no [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]""",
       ti_end("2026-11-20 07:45:00")]), eol="\n")
expect("applicability-noise", {"about": "Windows Update scans: probes fail on purpose (0x800F0805, Info 'Failed to get', SQM, tick count); nothing failed.",
                               "failures": [], "summary": "no failed servicing operation stands"})

# 3. A corrupt store, a repair that failed, then one that worked.
write("repaired-later", "Logs/CBS/CBS.log", "\n".join([
    ti_start("2026-11-15 10:00:00"),
    repair("2026-11-15 10:05:00", "31110000_1", "Detect only", "0x0", "S_OK", 3, 0),
    ti_end("2026-11-15 10:06:00"),
    ti_start("2026-11-15 10:30:00"),
    repair("2026-11-15 10:40:00", "31110000_2", "Detect and Repair", "0x800f081f", "CBS_E_SOURCE_MISSING", 3, 0),
    """2026-11-15 10:40:00|Error|CBS|Failed to repair store. [HRESULT = 0x800f081f - CBS_E_SOURCE_MISSING]""",
    ti_end("2026-11-15 10:41:00"),
    ti_start("2026-11-16 08:00:00"),
    repair("2026-11-16 08:20:00", "31110000_3", "Detect and Repair", "0x0", "S_OK", 3, 3),
    ti_end("2026-11-16 08:21:00")]))
write("repaired-later", "Logs/DISM/dism.log", "\n".join([
    dism_session("2026-11-15 10:04:00", "dism /online /cleanup-image /scanhealth"),
    dism_session("2026-11-15 10:40:01", "dism /online /cleanup-image /restorehealth", hr="0x800f081f"),
    dism_session("2026-11-16 08:20:01", "dism /online /cleanup-image /restorehealth /source:wim:D:\\sources\\install.wim:1 /limitaccess")]))
expect("repaired-later", {"about": "ScanHealth found corruption, RestoreHealth failed (both logs say so: one attempt), a later RestoreHealth repaired it: history only.",
    "failures": [
        {"id": "servicing-store", "code": "0x800F081F", "severity": "info", "contains": ["CBS_E_SOURCE_MISSING", "1 failed attempt", "history: it succeeded at 2026-11-16 08:20"]},
        {"id": "servicing-store", "severity": "info", "contains": ["3 corruptions found, 0 repaired", "history"]}],
    "summary": "no failed servicing operation stands"})

# 4. A real failure, twice, buried under routine sessions (the test adds megabytes more).
noise = "\n".join([ti_start("2026-11-21 06:00:00")]
                  + [scan_session(f"2026-11-21 06:{m:02}:00", f"3111300{m}_1{m}", m) for m in range(0, 40)]
                  + [ti_end("2026-11-21 06:59:00")])
write("buried-failure", "Logs/CBS/CBS.log", "\n".join([
    ti_start("2026-11-19 03:00:00"), failed_install("2026-11-19 03:10:00", "31112900_11"), ti_end("2026-11-19 03:20:00"),
    ti_start("2026-11-20 03:00:00"), failed_install("2026-11-20 03:10:00", "31113000_12", split=True), ti_end("2026-11-20 03:20:00"),
    noise]))
expect("buried-failure", {"about": "KB5046613 failed twice (an advanced installer, rolled back), then megabytes of routine scans.",
    "pad_mb": 6,
    "failures": [{"id": "servicing-package", "code": "0x800F0922", "severity": "warn",
                  "contains": ["update KB5046613 (Package_for_RollupFix 19041.5131.1.10) failed with 0x800F0922 CBS_E_INSTALLERS_FAILED",
                               "advanced installer Network Drivers failed with 0x80070490 ERROR_NOT_FOUND",
                               "the update was rolled back", "2 failed attempts", "last at 2026-11-20 03:10:00"],
                  "remedy_contains": ["/Image:"]}],
    "summary": "1 failure still standing"})

# 5. The boot-time phase failed after a restart; the package is named only by WER.
write("startup-failure", "Logs/CBS/CBS.log", "\n".join([
    ti_start("2026-11-22 08:00:00"),
    """2026-11-22 08:00:01|Info|CBS|Startup: Processing advanced operation queue, startupPhase: 0
2026-11-22 08:00:05|Error|CSI|0000000c (F) Failed execution of queue item Installer: Secure Boot Update ({b2f0ec7a-3c1d-4f0b-a6a8-7d1e5c9b0f11}) with HRESULT HRESULT_FROM_WIN32(ERROR_INVALID_DATA).  Failure will not be ignored: A rollback will be initiated after all the operations in the installer queue are completed; installer is reliable
2026-11-22 08:00:09|Error|CBS|Startup: Failed to process advanced operation queue, startupPhase: 0.  A rollback transaction will be created. [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]
2026-11-22 08:00:09|Info|CBS|WER: Generating failure report for package: Package_for_KB5012170~31bf3856ad364e35~amd64~~19041.1880.1.1, status: 0x800f0922, failure source: AI, start state: Staged, target state: Installed, client id: WindowsUpdateAgent""",
    ti_end("2026-11-22 08:05:00"),
    ti_start("2026-11-22 09:00:00"),
    install_ok("2026-11-22 09:10:00", "31113300_1", "Package_for_KB5043935~31bf3856ad364e35~amd64~~19041.4950.1.0", "KB5043935"),
    ti_end("2026-11-22 09:20:00")]))
expect("startup-failure", {"about": "After the restart the boot-time installers failed and were rolled back; only WER names the package. Another package installing later supersedes nothing.",
    "failures": [{"id": "servicing-package", "code": "0x800F0922", "severity": "warn",
                  "contains": ["update KB5012170", "failed while Windows started", "advanced installer Secure Boot Update failed with 0x8007000D ERROR_INVALID_DATA", "the update was rolled back", "1 failed attempt"]}],
    "summary": "1 failure still standing"})

# 6. Saved as UTF-16 LE with a BOM (CRLF): a store too damaged to install.
write("utf16le", "Logs/CBS/CBS.log", "\n".join([
    ti_start("2026-11-23 11:00:00"),
    f"""2026-11-23 11:05:00|Info|CBS|Session: 31113400_7 initialized by client WindowsUpdateAgent, external staging directory: (null), external registry directory: (null)
2026-11-23 11:05:00|Info|CBS|Exec: Processing started.  Client: WindowsUpdateAgent, Session: 31113400_7, Package: Package_for_ServicingStack_5131~31bf3856ad364e35~amd64~~19041.5131.1.2, Rebid: 0, RebootRequired: 0
2026-11-23 11:05:09|Error|CSI|00000020@2026/11/23:11:05:09.221 (F) onecore\\base\\wcp\\componentstore\\csd_locking.cpp(95): Error STATUS_SXS_COMPONENT_STORE_CORRUPT originated in function CCSDirectTransaction::Lock expression: (null)
2026-11-23 11:05:09|Error|CBS|Exec: Processing complete.  Session: 31113400_7, Package: Package_for_ServicingStack_5131~31bf3856ad364e35~amd64~~19041.5131.1.2, Identifier: KB5047486 [HRESULT = 0x80073712 - ERROR_SXS_COMPONENT_STORE_CORRUPT]
2026-11-23 11:05:09|Info|CBS|Session: 31113400_7 finalized. Reboot required: no [HRESULT = 0x80073712 - ERROR_SXS_COMPONENT_STORE_CORRUPT]""",
    ti_end("2026-11-23 11:06:00")]), encoding="utf-16-le", bom=True)
expect("utf16le", {"about": "A CBS.log saved as UTF-16 LE with a BOM.",
    "failures": [{"id": "servicing-package", "code": "0x80073712", "severity": "warn", "contains": ["update KB5047486", "ERROR_SXS_COMPONENT_STORE_CORRUPT"]}],
    "summary": "1 failure still standing"})

# 7. UTF-16 BE with a BOM and bare CR line ends: SFC could not repair two files.
write("utf16be-sfc", "Logs/CBS/CBS.log", "\n".join([
    ti_start("2026-11-24 14:00:00"),
    sfc("2026-11-24 14:09:30", [("opencl.dll", "Microsoft-Windows-OpenCL"), ("bthudtask.exe", "Microsoft-Windows-Bluetooth-Config")]),
    ti_end("2026-11-24 14:10:00")]), encoding="utf-16-be", bom=True, eol="\r")
expect("utf16be-sfc", {"about": "UTF-16 BE, CR line ends; sfc /scannow could not repair two files.",
    "failures": [{"id": "servicing-sfc", "severity": "warn", "contains": ["System File Checker", "could not repair 2 files (opencl.dll, bthudtask.exe)"]}],
    "summary": "1 failure still standing"})

# 8. The failure is in the rotated log; an older one is stale; a damaged .cab is named as not read.
write("rotated", "Logs/CBS/CbsPersist_20261101093000.log", "\n".join([
    ti_start("2026-09-15 09:00:00"),
    """2026-09-15 09:10:00|Info|CBS|Session: 30900000_1 initialized by client WindowsUpdateAgent, external staging directory: (null), external registry directory: (null)
2026-09-15 09:10:00|Info|CBS|Exec: Processing started.  Client: WindowsUpdateAgent, Session: 30900000_1, Package: Package_for_KB5005565~31bf3856ad364e35~amd64~~19041.1237.1.3, Rebid: 0, RebootRequired: 0
2026-09-15 09:10:05|Error|CBS|Failed to perform operation.  [HRESULT = 0x800f0988 - PSFX_E_INVALID_DELTA_COMBINATION]
2026-09-15 09:10:05|Info|CBS|Session: 30900000_1 finalized. Reboot required: no [HRESULT = 0x800f0988 - PSFX_E_INVALID_DELTA_COMBINATION]""",
    ti_end("2026-09-15 09:11:00"),
    ti_start("2026-11-01 09:00:00"),
    """2026-11-01 09:10:00|Info|CBS|Session: 31100000_2 initialized by client WindowsUpdateAgent, external staging directory: (null), external registry directory: (null)
2026-11-01 09:10:00|Info|CBS|Exec: Processing started.  Client: WindowsUpdateAgent, Session: 31100000_2, Package: Package_for_KB5044273~31bf3856ad364e35~amd64~~19041.5011.1.6, Rebid: 0, RebootRequired: 0
2026-11-01 09:10:07|Error|CBS|Exec: Processing complete.  Session: 31100000_2, Package: Package_for_KB5044273~31bf3856ad364e35~amd64~~19041.5011.1.6, Identifier: KB5044273 [HRESULT = 0x800f0831 - CBS_E_STORE_CORRUPTION]
2026-11-01 09:10:07|Info|CBS|Session: 31100000_2 finalized. Reboot required: no [HRESULT = 0x800f0831 - CBS_E_STORE_CORRUPTION]""",
    ti_end("2026-11-01 09:11:00")]))
write("rotated", "Logs/CBS/CBS.log", "\n".join([
    ti_start("2026-11-20 10:00:00"),
    scan_session("2026-11-20 10:01:00", "31120000_1"),
    ti_end("2026-11-20 10:02:00")]))
os.makedirs(os.path.join(OUT, "rotated/Logs/CBS"), exist_ok=True)
open(os.path.join(OUT, "rotated/Logs/CBS/CbsPersist_20261020000000.cab"), "wb").write(b"MSCF\0\0\0\0")
expect("rotated", {"about": "Only the rotated CbsPersist log holds the failure; a September failure is stale; a damaged .cab is named as not read.",
    "failures": [{"id": "servicing-package", "code": "0x800F0831", "severity": "warn", "contains": ["update KB5044273", "CBS_E_STORE_CORRUPTION"]},
                 {"id": "servicing-package", "code": "0x800F0988", "severity": "info", "contains": ["more than 30 days before the logs end"]}],
    "summary": "1 failure still standing", "evidence_contains": ["CbsPersist_20261101093000.log", "not read: ", "CbsPersist_20261020000000.cab: "]})

# 9. Only dism.log: RestoreHealth could not find its source.
write("dism-only", "Logs/DISM/dism.log", "\n".join([
    dism_session("2026-11-25 16:00:00", "C:\\Windows\\system32\\Dism.exe /Online /Cleanup-Image /RestoreHealth", hr="0x800f081f"),
    dism_session("2026-11-25 16:30:00", "dism /online /get-packages /format:table", pid=7000)]), eol="\n")
expect("dism-only", {"about": "dism.log alone: RestoreHealth failed (its provider probes are not failures); a later /Get-Packages changes nothing.",
    "failures": [{"id": "servicing-store", "code": "0x800F081F", "severity": "warn", "contains": ["DISM /Online /Cleanup-Image /RestoreHealth failed with 0x800F081F CBS_E_SOURCE_MISSING"]}],
    "summary": "1 failure still standing"})
