#!/usr/bin/env python3
"""Writes the Setup corpus: Panther setupact.log and SetupDiagResults.xml shapes laid out where
Windows puts them on a volume (`Windows/…` and the root's `$WINDOWS.~BT/…`), each with the answer
it expects. Written here from the formats, none copied.
Usage: python3 tests/corpus/setup/write.py tests/corpus/setup"""
import json, os, sys
OUT = sys.argv[1]

def line(t, level, comp, msg):
    return f"{t}, {level:<22}{comp:<7}{msg}"

def write(case, rel, text, encoding="utf-8", bom=b""):
    path = os.path.join(OUT, case, *rel.split("/"))
    os.makedirs(os.path.dirname(path), exist_ok=True)
    open(path, "wb").write(bom + text.encode(encoding))

def expect(case, value):
    open(os.path.join(OUT, case, "expected.json"), "w").write(json.dumps(value, indent=2) + "\n")

def setupact(lines):
    return "\r\n".join(line(*l) for l in lines) + "\r\n"

START = ("2026-05-14 10:00:00", "Info", "MOUPG", "SetupHost::Initialize: CmdLine = [/Install /Media /InstallFile C:\\$WINDOWS.~BT\\Sources\\Setup.exe]")

# A rollback in the Safe OS phase: a driver named, the real error remapped for telemetry.
noise = [("2026-05-14 10:05:%02d" % (i % 60), "Error", "SP", f"Operation failed: gather file C:\\Program Files\\App{i}\\data{i}.bin [0x80070002]") for i in range(40)]
write("rollback-safeos", "volume/$WINDOWS.~BT/Sources/Panther/setupact.log", setupact([START] + noise + [
    ("2026-05-14 10:31:00", "Error", "SP", "Driver install failed for C:\\Windows\\System32\\drivers\\oldvpn.sys [0x80070005]"),
    ("2026-05-14 10:31:05", "Error", "MOUPG", "Remapping install error [0x80070005] -> [0xC1900101]"),
    ("2026-05-14 10:31:06", "Error", "MOUPG", "Setup failed: 0xC1900101 - 0x20017"),
    ("2026-05-14 10:31:07", "Info", "MOUPG", "SetupHost::Execute(513): Result = 0xC1900101"),
]))
expect("rollback-safeos", {
    "about": "A feature update rolled back in Safe OS; a driver named; the real error remapped.",
    "findings": [{"id": "feature-update", "severity": "warn", "setup_code": "0xC1900101-0x20017",
                  "remapped_from": "0x80070005", "named": ["oldvpn.sys"],
                  "contains": ["failed at 2026-05-14 10:31:07 with 0xC1900101-0x20017", "Safe OS", "remapped"]}],
})

# A successful upgrade: hundreds of error lines, none of them a failure.
many = [("2026-05-20 09:%02d:00" % (i % 60), "Error", "SP", f"CMigrationPlugin: failed to load plugin{i}.dll [0x8007007E]") for i in range(400)]
write("success-with-noise", "volume/Windows/Panther/setupact.log", setupact([START] + many + [
    ("2026-05-20 11:00:00", "Info", "MOUPG", "SetupHost::Execute(513): Result = 0x0"),
]))
expect("success-with-noise", {
    "about": "A successful upgrade's hundreds of Error lines are noise.",
    "findings": [{"id": "feature-update", "severity": "ok", "contains": ["succeeded at 2026-05-20 11:00:00"]}],
})

# The user cancelled: info, not a failure.
write("cancelled", "volume/$WINDOWS.~BT/Sources/Panther/setupact.log", setupact([START,
    ("2026-06-01 12:00:00", "Info", "MOUPG", "SetupHost::Execute(513): Result = 0x800704C7"),
]), encoding="utf-16-le", bom=b"\xff\xfe")
expect("cancelled", {
    "about": "A user's cancel, in a UTF-16 log: not a failure.",
    "findings": [{"id": "feature-update", "severity": "info", "contains": ["cancelled", "not a failure"]}],
})

# SetupDiag already said what it was (UTF-16, as Setup writes it), and the Panther log agrees.
xml = """<?xml version="1.0" encoding="utf-16"?>
<SetupDiag xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns="https://docs.microsoft.com/windows/deployment/upgrade/setupdiag">
  <Version>1.7.0.0</Version>
  <ProfileName>InsufficientSystemPartitionDiskSpaceHardblock</ProfileName>
  <ProfileGuid>3A43F3BE-6C4C-4C2B-8D9E-1B0C2B1E6C3A</ProfileGuid>
  <DateTime>2026-07-02T08:15:00</DateTime>
  <FailureDetails>Error: 0xC1900200 - 0x20008, the system partition has too little free space</FailureDetails>
  <Remediation><Data>Free space on the system partition (the EFI or System Reserved partition) and retry the upgrade.</Data></Remediation>
  <SetupPhaseInfo><PhaseName>Downlevel</PhaseName><OperationName>Compatibility scan</OperationName></SetupPhaseInfo>
</SetupDiag>
"""
write("setupdiag-verdict", "volume/Windows/Logs/SetupDiag/SetupDiagResults.xml", xml.replace("\n", "\r\n"), encoding="utf-16-le", bom=b"\xff\xfe")
write("setupdiag-verdict", "volume/Windows/Panther/setupact.log", setupact([START,
    ("2026-07-02 08:14:00", "Info", "MOUPG", "SetupHost::Execute(513): Result = 0xC1900200"),
]))
expect("setupdiag-verdict", {
    "about": "SetupDiag's own verdict, UTF-16, with its remediation; the Panther log's result beside it.",
    "findings": [
        {"id": "setup-diagnosis", "severity": "warn", "rule": "InsufficientSystemPartitionDiskSpaceHardblock",
         "setup_code": "0xC1900200-0x20008", "contains": ["SetupDiag rule InsufficientSystemPartitionDiskSpaceHardblock"],
         "remedy_contains": ["Free space on the system partition"]},
        {"id": "feature-update", "severity": "warn", "setup_code": "0xC1900200", "contains": ["failed at 2026-07-02 08:14:00"]},
    ],
})

# SetupDiag's verdict stays after the upgrade later succeeded: history, not a failure.
write("setupdiag-then-success", "volume/Windows/Logs/SetupDiag/SetupDiagResults.xml", xml.replace("\n", "\r\n"), encoding="utf-16-le", bom=b"\xff\xfe")
write("setupdiag-then-success", "volume/Windows/Panther/setupact.log", setupact([START,
    ("2026-08-01 09:00:00", "Info", "MOUPG", "SetupHost::Execute(513): Result = 0x0"),
]))
expect("setupdiag-then-success", {
    "about": "SetupDiag's July verdict, then an upgrade that succeeded in August.",
    "findings": [
        {"id": "setup-diagnosis", "severity": "info", "rule": "InsufficientSystemPartitionDiskSpaceHardblock",
         "contains": ["a later feature update succeeded"]},
        {"id": "feature-update", "severity": "ok", "contains": ["succeeded at 2026-08-01 09:00:00"]},
    ],
})

# Sysprep's own log, and no upgrade ever.
write("sysprep-failed", "volume/Windows/System32/Sysprep/Panther/setupact.log", setupact([
    ("2026-08-01 09:00:00", "Info", "SYSPRP", "========================================================"),
    ("2026-08-01 09:00:01", "Error", "SYSPRP", "Package Contoso.App_1.0.0.0_x64 was installed for a user, but not provisioned for all users."),
    ("2026-08-01 09:00:02", "Error", "SYSPRP", "ActionListManager::ExecuteSysprepActions: Result = 0x80073CF2"),
]))
expect("sysprep-failed", {
    "about": "Sysprep failed on an app installed for one user only.",
    "findings": [{"id": "sysprep", "severity": "warn", "contains": ["the last sysprep failed", "0x80073CF2"]}],
})
