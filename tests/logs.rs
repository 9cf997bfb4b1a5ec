//! `wufix logs`: logs handed over, read by the real binary natively and under Wine — folders of
//! the corpora, pasted excerpts, the Windows Update log's text, and what is not a log.

mod common;

use std::fs;
use std::path::{Path, PathBuf};

use common::{json, text, wufix};
use serde_json::Value;

fn corpus(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/corpus")
        .join(rel)
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

fn ids(report: &Value) -> Vec<String> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["id"].as_str().unwrap(),
                f["severity"].as_str().unwrap()
            )
        })
        .collect()
}

#[test]
fn folders_are_walked_for_the_known_logs_and_read_as_diagnose_reads_them() {
    let servicing = corpus("servicing/buried-failure");
    let setup = corpus("setup/setupdiag-verdict");
    let out = wufix(&["logs", "--json", arg(&servicing), arg(&setup)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["command"], "logs");
    let found = ids(&report);
    for want in [
        "servicing-package warn",
        "setup-diagnosis warn",
        "feature-update warn",
    ] {
        assert!(found.iter().any(|f| f == want), "{want} not in {found:?}");
    }
    // expected.json files are not logs: counted, not read.
    assert_eq!(report["skipped"], 2, "{report:#}");
    let kinds: Vec<&str> = report["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["cbs", "setupdiag", "setup"]);
    // A failure stands: --exit-code says so.
    let out = wufix(&["logs", "--exit-code", arg(&servicing)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let healthy = corpus("servicing/healthy-dism-sfc");
    let out = wufix(&["logs", "--exit-code", arg(&healthy)]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
}

#[test]
fn a_pasted_excerpt_counts_its_known_failure_lines_and_says_it_is_an_excerpt() {
    let dir = tempfile::tempdir().unwrap();
    let paste = dir.path().join("from the forum.txt");
    // Notepad++'s search results and a mail quote, years old: judged on their own timeline.
    fs::write(
        &paste,
        "Search \"corrupt\" (2 hits in 1 file)\r\n\
         \tLine 20418: 2019-03-02 10:00:01, Error                 CBS    Failed to resolve package 'Package_for_KB4489899~31bf3856ad364e35~amd64~~17763.379.1.7' [HRESULT = 0x800f0831 - CBS_E_STORE_CORRUPTION]\r\n\
         > Info                  CBS    Mark store corruption flag because of package: Package_for_KB4489899~31bf3856ad364e35~amd64~~17763.379.1.7\r\n\
         > Info                  CBS    Failed to get next package to re-evaluate [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]\r\n",
    )
    .unwrap();
    let out = wufix(&["logs", "--json", "--exit-code", arg(&paste)]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = json(&out);
    let store: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "servicing-store")
        .collect();
    assert_eq!(store.len(), 1, "{report:#}");
    assert_eq!(store[0]["severity"], "warn");
    assert_eq!(store[0]["basis"], "excerpt");
    assert_eq!(store[0]["code"], "0x800F0831");
    assert_eq!(store[0]["kb"], "KB4489899");
    assert!(
        store[0]["summary"]
            .as_str()
            .unwrap()
            .ends_with("[from an excerpt]")
    );
    // The routine probe beside it is still not a failure.
    assert!(!text(&out).contains("0x800F0805"), "{report:#}");
}

#[test]
fn a_whole_log_is_not_an_excerpt_and_its_lone_corruption_line_does_not_count_alone() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("CBS.log");
    fs::write(
        &log,
        "2026-11-20 08:00:00, Info                  CBS    TI: --- Initializing Trusted Installer ---\r\n\
         2026-11-20 08:00:01, Info                  CBS    Mark store corruption flag because of package: Package_for_KB5046613~31bf3856ad364e35~amd64~~19041.5131.1.10\r\n",
    )
    .unwrap();
    let report = json(&wufix(&["logs", "--json", arg(&log)]));
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["severity"] != "warn"),
        "{report:#}"
    );
}

#[test]
fn the_windows_update_log_text_is_recognised_by_its_lines() {
    let dir = tempfile::tempdir().unwrap();
    let wu = dir.path().join("wu.txt");
    fs::write(
        &wu,
        "2026/11/20 08:15:00.1234567 1234  5678  Agent           * START * Finding updates CallerId = UpdateOrchestrator\r\n\
         2026/11/20 08:15:05.1234567 1234  5678  ProtocolTalker  SyncUpdates round trip: resultMapped=8024402c resultUnMapped=80072ee7\r\n\
         2026/11/20 08:16:00.1234567 1234  5678  Handler         Post-reboot status: resultMapped=80242014\r\n",
    )
    .unwrap();
    let report = json(&wufix(&["logs", "--json", arg(&wu)]));
    assert_eq!(report["inputs"][0]["kind"], "windows-update");
    let agent: Vec<&Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["id"] == "update-agent")
        .collect();
    assert_eq!(agent.len(), 1, "{report:#}");
    assert_eq!(agent[0]["code"], "0x8024402C");
    assert_eq!(agent[0]["remapped_from"], "0x80072EE7");
}

#[test]
fn nothing_readable_is_a_usage_error_and_an_unknown_file_is_named() {
    let dir = tempfile::tempdir().unwrap();
    let notes = dir.path().join("notes.txt");
    fs::write(&notes, "my printer is broken\r\n").unwrap();
    let out = wufix(&["logs", "--json", arg(&notes)]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["ok"], false);
    assert_eq!(report["error_kind"], "nothing-readable");
    let missing = dir.path().join("missing.log");
    assert_eq!(wufix(&["logs", arg(&missing)]).status.code(), Some(2));
    // Beside a log it is named, not fatal.
    let log = corpus("setup/cancelled/volume/$WINDOWS.~BT/Sources/Panther/setupact.log");
    let report = json(&wufix(&["logs", "--json", arg(&notes), arg(&log)]));
    let unrecognised = ids(&report);
    assert!(
        unrecognised.contains(&"unrecognised-log info".to_string()),
        "{unrecognised:?}"
    );
    assert!(
        unrecognised.contains(&"feature-update info".to_string()),
        "{unrecognised:?}"
    );
    // A damaged archive is named as not read, and the rest is still read.
    let cab = dir.path().join("CbsPersist_20261120081500.cab");
    fs::write(&cab, b"MSCF\0\0\0\0").unwrap();
    fs::copy(&log, dir.path().join("setupact.log")).unwrap();
    let report = json(&wufix(&["logs", "--json", arg(dir.path())]));
    let servicing = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "servicing-logs")
        .unwrap();
    assert_eq!(servicing["available"], false, "{servicing:#}");
    assert!(
        servicing["evidence"]
            .as_str()
            .unwrap()
            .contains("CbsPersist_20261120081500.cab: ")
    );
    assert!(ids(&report).contains(&"feature-update info".to_string()));
}

/// A CbsPersist archive as Windows rotates it (MSZIP, written by gcab) is read in place: the
/// same failure as the log it holds. LZX rests on the cab crate's own tests: Debian's tools
/// write only MSZIP.
#[test]
fn a_rotated_cab_is_read_in_place() {
    let cab = corpus("cab/CbsPersist_20261120081500.cab");
    let report = json(&wufix(&["logs", "--json", arg(&cab)]));
    let package = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "servicing-package")
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(package["code"], "0x800F0922");
    assert_eq!(package["kb"], "KB5046613");
    assert_eq!(package["attempts"], 2);
    assert!(
        package["basis"].is_null(),
        "a whole log, not an excerpt: {package:#}"
    );
    // diagnose reads it beside the logs of a mounted Windows too.
    let vol = common::volume::Volume::new(0);
    let cbs = vol.windows().join("Logs").join("CBS");
    fs::create_dir_all(&cbs).unwrap();
    fs::copy(&cab, cbs.join("CbsPersist_20261120081500.cab")).unwrap();
    let report = json(&wufix(&["diagnose", "--json", "--windows-dir", vol.arg()]));
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "servicing-package" && f["code"] == "0x800F0922"),
        "{report:#}"
    );
}

/// A link inside a folder handed over leads to another machine's files: never followed.
#[cfg(unix)]
#[test]
fn links_inside_a_folder_are_not_followed() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = corpus("servicing/buried-failure/Logs");
    std::os::unix::fs::symlink(&elsewhere, dir.path().join("Logs")).unwrap();
    fs::write(dir.path().join("setupact.log"), "2026-06-01 12:00:00, Info                  MOUPG  SetupHost::Execute(513): Result = 0x0\r\n").unwrap();
    let report = json(&wufix(&["logs", "--json", arg(dir.path())]));
    assert!(
        !ids(&report)
            .iter()
            .any(|f| f.starts_with("servicing-package")),
        "{report:#}"
    );
    let refused = report["refused"].as_array().unwrap();
    assert!(
        refused
            .iter()
            .any(|r| r.as_str().unwrap().contains("is a link; not followed")),
        "{report:#}"
    );
}
