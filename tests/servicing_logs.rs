//! The servicing-log corpus (`tests/corpus/servicing/*`): logs written here in the real CBS.log
//! and dism.log formats, each with the answer an expert would give (`expected.json`). Each case
//! is laid on a fake mounted volume and read by the real binary through `diagnose
//! --windows-dir`, natively and under Wine.

mod common;

use std::fs;
use std::path::Path;

use common::volume::Volume;
use common::{copy_tree, json, text, wufix};
use serde_json::Value;

fn corpus() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/servicing")
}

/// Routine Windows Update scans appended to a UTF-8 log until it has grown by `megabytes`:
/// the failure before them must still be found.
fn pad(log: &Path, megabytes: usize) {
    let mut noise = String::new();
    let mut n = 0;
    while noise.len() < megabytes << 20 {
        n += 1;
        noise.push_str(&format!(
            "2026-11-21 07:00:00, Info                  CBS    Session: 3111{n:06}_1 initialized by client WindowsUpdateAgent, external staging directory: (null), external registry directory: (null)\r\n\
             2026-11-21 07:00:00, Info                  CBS    Failed to get next package to re-evaluate [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]\r\n\
             2026-11-21 07:00:00, Info                  SQM    Failed to start standard sample upload. [HRESULT = 0x80004005 - E_FAIL]\r\n\
             2026-11-21 07:00:00, Info                  CBS    Session: 3111{n:06}_1 finalized. Reboot required: no [HRESULT = 0x00000000 - S_OK]\r\n"
        ));
    }
    let mut bytes = fs::read(log).unwrap();
    bytes.extend_from_slice(noise.as_bytes());
    fs::write(log, bytes).unwrap();
}

fn strings(value: &Value) -> Vec<&str> {
    value
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

fn check_case(case: &Path) {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let expected: Value =
        serde_json::from_str(&fs::read_to_string(case.join("expected.json")).unwrap()).unwrap();
    let vol = Volume::new(0);
    copy_tree(&case.join("Logs"), &vol.windows().join("Logs"));
    if let Some(mb) = expected["pad_mb"].as_u64() {
        pad(&vol.windows().join("Logs/CBS/CBS.log"), mb as usize);
    }
    let out = wufix(&["diagnose", "--json", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out));
    let report = json(&out);
    let findings = report["findings"].as_array().unwrap();
    let servicing: Vec<&Value> = findings
        .iter()
        .filter(|f| {
            let id = f["id"].as_str().unwrap();
            id.starts_with("servicing-") && id != "servicing-logs"
        })
        .collect();
    // A finding is its kind and its code (the id names the kind only).
    let key = |f: &Value| {
        format!(
            "{} {}",
            f["id"].as_str().unwrap(),
            f["code"].as_str().unwrap_or("")
        )
    };
    let mut got: Vec<String> = servicing.iter().map(|f| key(f)).collect();
    let mut want: Vec<String> = expected["failures"]
        .as_array()
        .unwrap()
        .iter()
        .map(key)
        .collect();
    got.sort_unstable();
    want.sort_unstable();
    assert_eq!(
        got,
        want,
        "{name}: {:#}",
        Value::Array(servicing.iter().map(|v| (*v).clone()).collect())
    );

    for want in expected["failures"].as_array().unwrap() {
        let found = findings
            .iter()
            .find(|f| {
                f["id"] == want["id"] && (want["code"].is_null() || f["code"] == want["code"])
            })
            .unwrap_or_else(|| panic!("{name}: no {want:#} in {findings:#?}"));
        let summary = found["summary"].as_str().unwrap();
        assert_eq!(found["severity"], want["severity"], "{name}: {found:#}");
        for part in strings(&want["contains"]) {
            assert!(
                summary.contains(part),
                "{name}: {part:?} not in {summary:?}"
            );
        }
        let remedy = found["remedy"].as_str().unwrap_or("");
        if found["severity"] == "warn" {
            // Offline: the remedy is aimed at the mounted volume, never at the running C:.
            assert!(remedy.contains(vol.arg()), "{name}: {remedy}");
            assert!(!remedy.contains(r"C:\Windows"), "{name}: {remedy}");
            // And in commands that run on a disk: Windows PE's, never the running system's.
            assert!(!remedy.contains("/Online"), "{name}: {remedy}");
            assert!(
                !remedy.contains("sfc /scannow") || remedy.contains("/offwindir="),
                "{name}: {remedy}"
            );
        }
        for part in strings(&want["remedy_contains"]) {
            assert!(remedy.contains(part), "{name}: {part:?} not in {remedy:?}");
        }
        assert_eq!(found["reset_would_help"], false, "{name}: {found:#}");
    }

    let logs = findings
        .iter()
        .find(|f| f["id"] == "servicing-logs")
        .unwrap();
    let standing = expected["failures"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["severity"] == "warn");
    assert_eq!(
        logs["severity"],
        if standing { "info" } else { "ok" },
        "{name}: {logs:#}"
    );
    let summary = logs["summary"].as_str().unwrap();
    assert!(
        summary.contains(expected["summary"].as_str().unwrap()),
        "{name}: {summary}"
    );
    for part in strings(&expected["evidence_contains"]) {
        assert!(
            logs["evidence"].as_str().unwrap().contains(part),
            "{name}: {logs:#}"
        );
    }
    // A healthy log never sends anyone to reset or repair.
    let next = report["next_step"].as_str().unwrap_or("");
    assert!(!next.contains("wufix reset"), "{name}: {next}");
    if !standing {
        assert!(
            !next.contains("DISM") && !next.contains("sfc"),
            "{name}: {next}"
        );
        assert!(servicing.iter().all(|f| f["severity"] != "warn"), "{name}");
    }
}

#[test]
fn every_corpus_case_gets_the_expected_answer() {
    let mut cases: Vec<_> = fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 9, "{cases:?}");
    for case in &cases {
        check_case(case);
    }
}

/// `diagnose --exit-code`: 1 only when a finding is one `wufix repair --yes` fixes unattended.
#[test]
fn the_exit_code_is_one_only_for_what_an_unattended_repair_fixes() {
    let line =
        |level: &str, msg: &str| format!("2026-11-20 03:10:00, {level:<21} CBS    {msg}\r\n");
    let failed = |code: &str, name: &str| {
        let package = "Package_for_KB5046613~31bf3856ad364e35~amd64~~19041.5131.1.10";
        line("Info", "Starting TrustedInstaller initialization.")
            + &line(
                "Info",
                &format!(
                    "Exec: Processing started.  Client: WindowsUpdateAgent, Session: 1_1, Package: {package}, Rebid: 0"
                ),
            )
            + &line(
                "Error",
                &format!(
                    "Exec: Processing complete.  Session: 1_1, Package: {package}, Identifier: KB5046613 [HRESULT = {code} - {name}]"
                ),
            )
    };
    for (log, code, exit) in [
        // A cache failure: the light rung's.
        (
            failed("0x80070002", "ERROR_FILE_NOT_FOUND"),
            Some("0x80070002"),
            1,
        ),
        // The component store: the deep rung's, which an unattended repair does not climb to.
        (
            failed("0x800f0922", "CBS_E_INSTALLERS_FAILED"),
            Some("0x800F0922"),
            0,
        ),
        // Nothing wrong.
        (
            line("Info", "Starting TrustedInstaller initialization."),
            None,
            0,
        ),
    ] {
        let vol = Volume::new(0);
        let cbs = vol.windows().join("Logs").join("CBS");
        fs::create_dir_all(&cbs).unwrap();
        fs::write(cbs.join("CBS.log"), &log).unwrap();
        let out = wufix(&[
            "diagnose",
            "--exit-code",
            "--json",
            "--windows-dir",
            vol.arg(),
        ]);
        assert_eq!(out.status.code(), Some(exit), "{}", common::text(&out));
        let report = json(&out);
        assert_eq!(report["ok"], true);
        assert_eq!(report["repair_would_fix"], exit == 1, "{report:#}");
        if let Some(code) = code {
            let finding = report["findings"]
                .as_array()
                .unwrap()
                .iter()
                .find(|f| f["id"] == "servicing-package")
                .unwrap_or_else(|| panic!("{report:#}"));
            assert_eq!(finding["code"], code, "listed either way");
            assert_eq!(report["person_needed"], exit == 0, "{report:#}");
        }
    }
}
