//! `wufix explain` through the real binary (Linux, and under Wine).

mod common;

use common::{json, text, wufix};

#[test]
fn every_input_form_names_the_same_code() {
    let forms = [
        "0x800F0922",
        "800f0922",
        "0X800F0922",
        "-2146498270",
        "2148469026",
        "CBS_E_INSTALLERS_FAILED",
    ];
    let mut args = vec!["explain", "--json"];
    args.extend(forms);
    let out = wufix(&args);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    let codes = report["codes"].as_array().unwrap();
    assert_eq!(codes.len(), forms.len());
    for (entry, form) in codes.iter().zip(forms) {
        assert_eq!(entry["input"], form);
        assert_eq!(entry["code"], "0x800F0922");
        assert_eq!(entry["hresult"], -2146498270);
        assert_eq!(entry["reset_helps"], "no");
        assert_eq!(entry["names"][0]["name"], "CBS_E_INSTALLERS_FAILED");
        assert!(entry["fix"].as_str().unwrap().contains("DISM"));
    }
}

#[test]
fn a_code_wufix_can_fix_names_the_wufix_command() {
    let out = wufix(&["explain", "0x80242006"]);
    assert_eq!(out.status.code(), Some(0));
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("WU_E_UH_INVALIDMETADATA"), "{shown}");
    assert!(shown.contains("wufix reset"), "{shown}");
}

#[test]
fn a_header_only_code_has_its_name_and_an_unknown_one_its_anatomy() {
    let report = json(&wufix(&["explain", "--json", "0x80240001", "0x8007ABCD"]));
    let named = &report["codes"][0];
    assert_eq!(named["names"][0]["name"], "WU_E_NO_SERVICE");
    assert_eq!(named["names"][0]["source"], "wuerror.h");
    assert_eq!(named["known"], true);
    let unknown = &report["codes"][1];
    assert_eq!(unknown["known"], false);
    assert_eq!(unknown["anatomy"]["facility"], 7);
    assert_eq!(unknown["anatomy"]["win32_error"], 0xABCD);
    let human = text(&wufix(&["explain", "0x8007ABCD"]));
    assert!(
        human.contains("not in wufix's database") && human.contains("Win32 error 43981"),
        "{human}"
    );
}

#[test]
fn an_input_that_is_not_a_code_is_named_in_its_entry_and_fails_only_when_none_is() {
    for bad in [
        "0xZZZZ",
        "NOT_A_CODE_NAME",
        "12.5",
        "0x123456789",
        "99999999999",
        "20250512",
    ] {
        // Beside a good code: the good one explained, the bad one's entry says why; exit 0.
        let out = wufix(&["explain", "--json", "0x80070002", bad]);
        assert_eq!(out.status.code(), Some(0), "{bad}: {}", text(&out));
        let report = json(&out);
        assert_eq!(report["codes"][0]["code"], "0x80070002");
        assert_eq!(report["codes"][1]["input"], bad);
        assert!(
            report["codes"][1]["error"].as_str().unwrap().contains(bad),
            "{report:#}"
        );
        // Alone: nothing to explain, a usage error naming it.
        let out = wufix(&["explain", bad]);
        assert_eq!(out.status.code(), Some(2), "{bad}: {}", text(&out));
        assert!(text(&out).contains(bad), "{bad}: {}", text(&out));
        assert!(
            out.stdout.is_empty() || json_is_error(&out.stdout),
            "{bad} printed a result"
        );
    }
    assert_eq!(wufix(&["explain"]).status.code(), Some(2));
    // With --json, stdout still carries exactly one document, naming the command.
    let out = wufix(&["explain", "--json", "0xZZZZ"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stderr.is_empty());
    let error = json(&out);
    assert_eq!(
        (error["ok"].clone(), error["command"].clone()),
        (false.into(), "explain".into())
    );
}

#[test]
fn pasted_text_is_read_for_the_code_in_it_and_the_other_words_are_ignored() {
    let out = wufix(&[
        "explain",
        "--json",
        "Error",
        "code:",
        "0x800F0922",
        "(0x80070002)",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    let codes: Vec<&str> = report["codes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["0x800F0922", "0x80070002"]);
    assert_eq!(report["ignored"], serde_json::json!(["Error", "code:"]));
    // One argument of pasted text, and a bare Win32 number shown as the HRESULT that wraps it.
    let report = json(&wufix(&[
        "explain",
        "--json",
        "Error code: 0x800F0922",
        "5",
    ]));
    assert_eq!(report["codes"][0]["code"], "0x800F0922");
    assert_eq!(report["codes"][1]["code"], "0x80070005");
    assert_eq!(report["codes"][1]["names"][0]["name"], "E_ACCESSDENIED");
    assert_eq!(
        report["codes"][1]["repair"]["command"],
        "wufix repair --for 0x80070005"
    );
}

fn json_is_error(stdout: &[u8]) -> bool {
    serde_json::from_slice::<serde_json::Value>(stdout).is_ok_and(|v| v["ok"] == false)
}

#[cfg(windows)]
#[test]
fn on_windows_the_system_message_is_included() {
    let report = json(&wufix(&["explain", "--json", "0x80070005"]));
    let message = report["codes"][0]["system_message"]
        .as_str()
        .unwrap_or_default();
    assert!(!message.is_empty(), "{report:#}");
}

/// The text users read, kept as a snapshot so a change to it is a reviewed change. Windows adds
/// the system's own message line, so the snapshot is the non-Windows output.
#[cfg(not(windows))]
#[test]
fn explain_text_reads_as_reviewed() {
    let out = wufix(&["explain", "0x80242006", "0x8007ABCD"]);
    insta::assert_snapshot!(String::from_utf8_lossy(&out.stdout));
}

#[test]
fn each_code_says_where_a_repair_starts_or_that_wufix_cannot_repair_it() {
    let report = json(&wufix(&[
        "explain",
        "--json",
        "0x800f081f",
        "0x8024402c",
        "0x80070070",
        "0x80070002",
    ]));
    let hint = |i: usize| &report["codes"][i]["repair"];
    assert_eq!(hint(0)["starts_at"], "deep");
    assert_eq!(
        hint(0)["command"],
        "wufix repair --for 0x800F081F --up-to deep"
    );
    assert_eq!(hint(1)["starts_at"], "network");
    assert!(hint(1)["command"].as_str().unwrap().ends_with("--network"));
    assert_eq!(hint(2)["starts_at"], "none");
    assert!(hint(2)["command"].is_null());
    assert_eq!(hint(3)["starts_at"], "light");
    let text = text(&wufix(&["explain", "0x800f081f"]));
    assert!(
        text.contains(
            "Repair         wufix repair --for 0x800F081F --up-to deep starts at the deep rung"
        ),
        "{text}"
    );
}
