//! `wufix repair`'s input checked before any work (natively and under Wine): each mistake is
//! exit 2 with a clear message, and nothing runs.

mod common;

use common::{json, text, wufix};

fn refused(args: &[&str], says: &str) {
    let out = wufix(args);
    assert_eq!(out.status.code(), Some(2), "{args:?}: {}", text(&out));
    assert!(
        text(&out).contains(says),
        "{args:?} should say {says:?}: {}",
        text(&out)
    );
}

#[test]
fn bad_repair_input_is_refused_before_any_work() {
    let dir = tempfile::tempdir().unwrap();
    let wim = dir.path().join("install.wim");
    std::fs::write(&wim, b"x").unwrap();
    let wim = wim.display().to_string();
    refused(&["repair", "--source", &wim], "--source is for DISM");
    let missing = dir.path().join("missing.wim").display().to_string();
    refused(
        &["repair", "--up-to", "deep", "--source", &missing],
        "no such file",
    );
    let iso = dir.path().join("win.iso");
    std::fs::write(&iso, b"x").unwrap();
    refused(
        &[
            "repair",
            "--up-to",
            "deep",
            "--source",
            &iso.display().to_string(),
        ],
        "install.wim or install.esd",
    );
    refused(
        &["repair", "--up-to", "deep", "--source", &format!("{wim}:0")],
        "start at 1",
    );
    refused(&["repair", "--for", "not-a-code"], "--for");
    refused(
        &["repair", "--for", "0x80070002", "--from", "light"],
        "--for and --from",
    );
    refused(
        &["repair", "--from", "deep", "--up-to", "light"],
        "above --up-to",
    );
    refused(&["repair", "--up-to", "deeper"], "deeper");
    refused(&["repair", "--timeout", "0"], "--timeout");
}

#[test]
fn a_rejected_repair_with_json_still_prints_one_document() {
    let out = wufix(&["repair", "--json", "--from", "sideways"]);
    assert_eq!(out.status.code(), Some(2));
    let report = json(&out);
    assert_eq!(report["ok"], false);
    assert_eq!(report["command"], "repair");
}

#[cfg(not(windows))]
#[test]
fn repair_needs_the_running_windows() {
    let out = wufix(&["repair", "--yes", "--json"]);
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
    let report = json(&out);
    assert!(
        report["error"]
            .as_str()
            .unwrap()
            .contains("no running Windows"),
        "{report:#}"
    );
}
