//! A mounted Windows's own registry: SYSTEM and SOFTWARE hives made at test time (an empty regf
//! written by `tests/hive/make_hive.py`, filled by Debian's hivex — an independent writer), read
//! by the real binary through `--windows-dir`. Linux only: the hives are made by Python here.
#![cfg(unix)]

mod common;

use std::fs;
use std::path::Path;
use std::process::Command;

use common::volume::Volume;
use common::{json, text, wufix};
use serde_json::{Value, json};

fn hive(dir: &Path, name: &str, spec: &Value) {
    let spec_path = dir.join(format!("{name}.json"));
    fs::write(&spec_path, spec.to_string()).unwrap();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/hive/make_hive.py");
    let out = Command::new("/usr/bin/python3")
        .arg(script)
        .arg(dir.join(name))
        .arg(&spec_path)
        .output()
        .expect(
            "/usr/bin/python3 runs (scripts/install-windows-toolchain.sh installs python3-hivex)",
        );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::remove_file(spec_path).unwrap();
}

/// A volume whose hives hold a Windows 10 22H2, a pending restart, a disabled wuauserv and a
/// blank WSUS server.
fn volume() -> Volume {
    let vol = Volume::new(0);
    let config = vol.windows().join("System32").join("config");
    fs::create_dir_all(&config).unwrap();
    hive(
        &config,
        "SYSTEM",
        &json!({
            "Select": {"Current": ["dword", 2]},
            // The current set is 002: a 001 that says otherwise must not be read.
            "ControlSet001\\Services\\wuauserv": {"Start": ["dword", 3]},
            "ControlSet002\\Services\\wuauserv": {"Start": ["dword", 4]},
            "ControlSet002\\Services\\bits": {"Start": ["dword", 3]},
            "ControlSet002\\Services\\cryptsvc": {"Start": ["dword", 2]},
            "ControlSet002\\Services\\AppReadiness": {"Start": ["dword", 4]},
            "ControlSet002\\Services\\usosvc": {"Start": ["dword", 2], "DelayedAutostart": ["dword", 1]},
            "ControlSet002\\Control\\Session Manager": {"PendingFileRenameOperations": ["multi_sz", ["\\??\\C:\\Windows\\temp\\old.dll", ""]]},
        }),
    );
    hive(
        &config,
        "SOFTWARE",
        &json!({
            "Microsoft\\Windows NT\\CurrentVersion": {
                "ProductName": ["sz", "Windows 10 Pro"],
                "DisplayVersion": ["sz", "22H2"],
                "CurrentBuild": ["sz", "19045"],
                "UBR": ["dword", 5131],
            },
            "Microsoft\\Windows\\CurrentVersion\\Component Based Servicing\\RebootPending": {},
            "Policies\\Microsoft\\Windows\\WindowsUpdate": {"WUServer": ["sz", " "], "WUStatusServer": ["sz", " "]},
            "Policies\\Microsoft\\Windows\\WindowsUpdate\\AU": {"UseWUServer": ["dword", 1]},
        }),
    );
    // The scan task disabled, as its own file says (UTF-16, as Windows writes them).
    let tasks = vol
        .windows()
        .join("System32/Tasks/Microsoft/Windows/WindowsUpdate");
    fs::create_dir_all(&tasks).unwrap();
    let xml = "<?xml version=\"1.0\" encoding=\"UTF-16\"?>\r\n<Task><Settings><Enabled>false</Enabled></Settings></Task>";
    let bytes: Vec<u8> = [0xFF, 0xFE]
        .into_iter()
        .chain(xml.encode_utf16().flat_map(u16::to_le_bytes))
        .collect();
    fs::write(tasks.join("Scheduled Start"), bytes).unwrap();
    vol
}

fn finding<'a>(report: &'a Value, id: &str) -> &'a Value {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == id)
        .unwrap_or_else(|| panic!("no {id} in {report:#}"))
}

#[test]
fn every_registry_check_reads_the_disk_s_own_hives() {
    let vol = volume();
    let out = wufix(&["diagnose", "--json", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    let version = finding(&report, "windows-version");
    assert_eq!(
        version["summary"], "Windows 10 Pro 22H2, build 19045.5131",
        "{version:#}"
    );
    // What the answers came from is said at the top, file by file.
    let read: Vec<&str> = report["read"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert!(read[0].ends_with("config/SYSTEM: read"), "{read:?}");
    assert!(read[1].ends_with("config/SOFTWARE: read"), "{read:?}");
    assert!(
        read[2].starts_with("not read: ") && read[2].contains("System.evtx"),
        "{read:?}"
    );
    let shown = text(&wufix(&["diagnose", "--windows-dir", vol.arg()]));
    assert!(shown.contains("config/SOFTWARE: read"), "{shown}");
    let pending = finding(&report, "pending-reboot");
    assert_eq!(pending["severity"], "warn", "{pending:#}");
    let evidence = pending["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("RebootPending") && evidence.contains("PendingFileRenameOperations"),
        "{evidence}"
    );
    let wuauserv = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "service" && f["service"] == "wuauserv")
        .unwrap();
    assert_eq!(
        wuauserv["severity"], "error",
        "the current set is 002: {wuauserv:#}"
    );
    let remedy = wuauserv["remedy"].as_str().unwrap();
    assert!(
        remedy.contains(r"`reg load HKLM\WUFIX_SYSTEM D:\Windows\System32\config\SYSTEM`"),
        "{remedy}"
    );
    // In the control set the disk's own Select\Current names (002 here), never a guessed 001.
    assert!(
        remedy.contains(
            r#"`reg add "HKLM\WUFIX_SYSTEM\ControlSet002\Services\wuauserv" /v Start /t REG_DWORD /d 3 /f`"#
        ),
        "{remedy}"
    );
    let uso = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "service" && f["service"] == "usosvc")
        .unwrap();
    assert!(
        uso["evidence"].as_str().unwrap().contains("auto-delayed"),
        "{uso:#}"
    );
    let wsus = finding(&report, "wsus");
    assert_eq!(
        wsus["severity"], "warn",
        "a blank server is no organisation's: {wsus:#}"
    );
    // What a blocker left, read from the hives: the fake server and a disabled AppReadiness
    // (wuauserv's own finding already says it is disabled: not said twice).
    let residue: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "residue")
        .map(|f| f["rule"].as_str().unwrap())
        .collect();
    assert_eq!(
        residue,
        ["service-disabled", "fake-wsus", "update-task-disabled"],
        "{report:#}"
    );
    // Offline nothing is written: each says the Windows PE commands, the disk's own hive loaded
    // under a name of wufix's, the value put back there, the hive unloaded.
    let remedies: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "residue")
        .map(|f| {
            assert!(f["fixed_by"].is_null(), "{f:#}");
            f["remedy"].as_str().unwrap()
        })
        .collect();
    assert!(
        remedies[2].contains(
            r#"`schtasks /Change /TN "\Microsoft\Windows\WindowsUpdate\Scheduled Start" /ENABLE`"#
        ),
        "{}",
        remedies[2]
    );
    for (remedy, parts) in remedies.iter().zip([
        [
            r"`reg load HKLM\WUFIX_SYSTEM D:\Windows\System32\config\SYSTEM`",
            r#"`reg add "HKLM\WUFIX_SYSTEM\ControlSet002\Services\AppReadiness" /v Start /t REG_DWORD /d 3 /f`"#,
            r"`reg unload HKLM\WUFIX_SYSTEM`",
        ],
        [
            r"`reg load HKLM\WUFIX_SOFTWARE D:\Windows\System32\config\SOFTWARE`",
            r#"`reg delete "HKLM\WUFIX_SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate" /v WUServer /f`"#,
            r"`reg unload HKLM\WUFIX_SOFTWARE`",
        ],
    ]) {
        for part in parts {
            assert!(remedy.contains(part), "{part} not in {remedy}");
        }
    }
}

#[test]
fn the_offline_servicing_gate_sees_the_hive_s_pending_restart() {
    let vol = volume();
    let out = wufix(&["reset", "--yes", "--json", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(vol.sd().exists(), "nothing was renamed");
}

#[test]
fn a_missing_damaged_or_foreign_hive_is_said_never_guessed() {
    let vol = volume();
    let software = vol.windows().join("System32/config/SOFTWARE");
    let whole = fs::read(&software).unwrap();
    for (what, bytes, says) in [
        ("cut", whole[..0x1100].to_vec(), "a damaged registry hive"),
        (
            "foreign",
            b"MZ this is an exe".to_vec(),
            "not a registry hive",
        ),
    ] {
        fs::write(&software, &bytes).unwrap();
        let report = json(&wufix(&["diagnose", "--json", "--windows-dir", vol.arg()]));
        let version = finding(&report, "windows-version");
        assert_eq!(version["available"], false, "{what}: {version:#}");
        assert!(
            version["reason"].as_str().unwrap().contains(says),
            "{what}: {version:#}"
        );
        assert!(
            version["reason"].as_str().unwrap().contains("SOFTWARE"),
            "{what}: {version:#}"
        );
    }
    fs::remove_file(&software).unwrap();
    let report = json(&wufix(&["diagnose", "--json", "--windows-dir", vol.arg()]));
    let said = report["read"][1].as_str().unwrap();
    assert!(
        said.starts_with("not read: ") && said.ends_with("SOFTWARE is absent"),
        "{said}"
    );
    let version = finding(&report, "windows-version");
    assert!(
        version["reason"]
            .as_str()
            .unwrap()
            .ends_with("SOFTWARE is absent"),
        "{version:#}"
    );
    // SYSTEM still answers for the services.
    let wuauserv = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "service" && f["service"] == "wuauserv")
        .unwrap();
    assert_eq!(wuauserv["severity"], "error");
}

#[test]
fn repair_of_a_mounted_windows_prints_the_windows_pe_commands_and_writes_nothing() {
    let vol = volume();
    let config = vol.windows().join("System32/config");
    let before: Vec<Vec<u8>> = ["SYSTEM", "SOFTWARE"]
        .iter()
        .map(|h| fs::read(config.join(h)).unwrap())
        .collect();
    for args in [
        &["repair", "--json", "--windows-dir", vol.arg()][..],
        &[
            "repair",
            "--from",
            "residue",
            "--up-to",
            "residue",
            "--json",
            "--windows-dir",
            vol.arg(),
        ][..],
    ] {
        let out = wufix(args);
        assert_eq!(out.status.code(), Some(0), "{}", text(&out));
        let report = json(&out);
        assert_eq!(report["verify"], false, "no scan offline: {report:#}");
        let script: Vec<&str> = report["script"]
            .as_array()
            .unwrap_or_else(|| panic!("a script: {report:#}"))
            .iter()
            .map(|l| l.as_str().unwrap())
            .collect();
        assert_eq!(
            script,
            [
                r"reg load HKLM\WUFIX_SYSTEM D:\Windows\System32\config\SYSTEM",
                r"reg load HKLM\WUFIX_SOFTWARE D:\Windows\System32\config\SOFTWARE",
                r#"reg add "HKLM\WUFIX_SYSTEM\ControlSet002\Services\wuauserv" /v Start /t REG_DWORD /d 3 /f"#,
                r#"reg add "HKLM\WUFIX_SYSTEM\ControlSet002\Services\AppReadiness" /v Start /t REG_DWORD /d 3 /f"#,
                r#"reg delete "HKLM\WUFIX_SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate" /v WUServer /f"#,
                r#"reg delete "HKLM\WUFIX_SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU" /v UseWUServer /f"#,
                r"reg unload HKLM\WUFIX_SYSTEM",
                r"reg unload HKLM\WUFIX_SOFTWARE",
            ],
            "{report:#}"
        );
        assert!(
            report["message"]
                .as_str()
                .unwrap()
                .starts_with("Nothing was written")
        );
    }
    let shown = text(&wufix(&["repair", "--windows-dir", vol.arg()]));
    assert!(
        shown.contains("From Windows PE, as administrator:"),
        "{shown}"
    );
    // Every other rung stops services or runs the disk's programs: refused before anything.
    let out = wufix(&["repair", "--up-to", "full", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    assert!(
        text(&out).contains("--from residue --up-to residue"),
        "{}",
        text(&out)
    );
    for (hive, bytes) in ["SYSTEM", "SOFTWARE"].iter().zip(&before) {
        assert_eq!(
            &fs::read(config.join(hive)).unwrap(),
            bytes,
            "{hive} untouched"
        );
    }
    // Hives that cannot be read: not "nothing found", but why not.
    fs::remove_file(config.join("SOFTWARE")).unwrap();
    let out = wufix(&["repair", "--json", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let message = json(&out)["message"].as_str().unwrap().to_string();
    assert!(message.contains("SOFTWARE is absent"), "{message}");
}
