//! The Setup corpus (`tests/corpus/setup/*`): Panther and SetupDiag shapes written here from the
//! formats, laid on a fake mounted volume and read by the real binary through `diagnose
//! --windows-dir`, natively and under Wine; each case carries the answer it expects.

mod common;

use std::fs;
use std::path::Path;

use common::volume::Volume;
use common::{copy_tree, json, text, wufix};
use serde_json::Value;

const SETUP_IDS: [&str; 3] = ["feature-update", "setup-diagnosis", "sysprep"];

fn setup_findings(report: &Value) -> Vec<Value> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| SETUP_IDS.contains(&f["id"].as_str().unwrap()))
        .cloned()
        .collect()
}

fn check_case(case: &Path) {
    let name = case.file_name().unwrap().to_string_lossy().into_owned();
    let expected: Value =
        serde_json::from_str(&fs::read_to_string(case.join("expected.json")).unwrap()).unwrap();
    let vol = Volume::new(0);
    copy_tree(&case.join("volume"), vol.root.path());
    let out = wufix(&["diagnose", "--json", "--windows-dir", vol.arg()]);
    assert_eq!(out.status.code(), Some(0), "{name}: {}", text(&out));
    let report = json(&out);
    let found = setup_findings(&report);
    let want = expected["findings"].as_array().unwrap();
    assert_eq!(found.len(), want.len(), "{name}: {found:#?}");
    for want in want {
        let f = found
            .iter()
            .find(|f| f["id"] == want["id"])
            .unwrap_or_else(|| panic!("{name}: no {} in {found:#?}", want["id"]));
        assert_eq!(f["severity"], want["severity"], "{name}: {f:#}");
        for field in ["setup_code", "remapped_from", "named", "rule"] {
            if !want[field].is_null() {
                assert_eq!(f[field], want[field], "{name}: {field} in {f:#}");
            }
        }
        let summary = f["summary"].as_str().unwrap();
        for part in want["contains"].as_array().into_iter().flatten() {
            let part = part.as_str().unwrap();
            assert!(
                summary.contains(part),
                "{name}: {part:?} not in {summary:?}"
            );
        }
        let remedy = f["remedy"].as_str().unwrap_or("");
        for part in want["remedy_contains"].as_array().into_iter().flatten() {
            let part = part.as_str().unwrap();
            assert!(remedy.contains(part), "{name}: {part:?} not in {remedy:?}");
        }
        // Nothing Setup rolled back is a reset's to cure.
        assert_eq!(f["reset_would_help"], false, "{name}");
        assert!(f["fixed_by"].is_null(), "{name}: {f:#}");
    }
}

#[test]
fn every_setup_corpus_case_gets_the_expected_answer() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/setup");
    let mut cases: Vec<_> = fs::read_dir(corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("expected.json").is_file())
        .collect();
    cases.sort();
    assert!(cases.len() >= 5, "{cases:?}");
    for case in &cases {
        check_case(case);
    }
}

#[test]
fn a_volume_with_no_setup_logs_says_so() {
    let vol = Volume::new(0);
    let report = json(&wufix(&["diagnose", "--json", "--windows-dir", vol.arg()]));
    let found = setup_findings(&report);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!(found[0]["severity"], "info");
    assert!(
        found[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("no feature-update")
    );
}

/// A `$WINDOWS.~BT` that is a link to another disk's logs is that disk's story: not read.
#[cfg(unix)]
#[test]
fn a_linked_setup_folder_is_not_followed() {
    let vol = Volume::new(0);
    let elsewhere = tempfile::tempdir().unwrap();
    let case =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus/setup/rollback-safeos/volume");
    copy_tree(&case.join("$WINDOWS.~BT"), &elsewhere.path().join("bt"));
    std::os::unix::fs::symlink(
        elsewhere.path().join("bt"),
        vol.root.path().join("$WINDOWS.~BT"),
    )
    .unwrap();
    let report = json(&wufix(&["diagnose", "--json", "--windows-dir", vol.arg()]));
    let found = setup_findings(&report);
    assert!(found.iter().all(|f| f["severity"] != "warn"), "{found:#?}");
    let refused = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == "feature-update-logs")
        .expect("the refusal is said");
    assert!(
        refused["reason"]
            .as_str()
            .unwrap()
            .contains("is a link; not followed")
    );
}
