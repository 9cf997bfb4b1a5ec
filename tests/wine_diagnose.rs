//! The real wufix.exe diagnosing under Wine: services, the registry and the folders as a real
//! Win32 API shows them. Built only for Windows; see wine_reset.rs for how the suite runs.
#![cfg(windows)]

mod common;

use common::wine::*;
use common::{json, text, wufix};

#[test]
fn diagnose_on_a_clean_prefix_needs_nothing_and_exits_0() {
    let _machine = serial();
    // Whatever an earlier run left in the registry goes first.
    drop(RegistryCleanup);
    let out = wufix(&["diagnose", "--json", "--exit-code"]);
    let report = json(&out);
    // The prefix's C: is the test machine's disk: a nearly full one needs attention, but a reset
    // would not cure it, so the detection contract still says 0.
    let low_disk = finding(&report, "free-space")["severity"] == "warn";
    assert_eq!(report["person_needed"], low_disk, "{report:#}");
    assert_eq!(report["repair_would_fix"], false, "{report:#}");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_eq!(finding(&report, "pending-reboot")["severity"], "ok");
    assert_eq!(service_finding(&report, "wuauserv")["severity"], "ok");
    // Wine keeps no Windows Update event log: said, not hidden.
    let events = finding(&report, "update-failures");
    assert_eq!(events["severity"], "info");
    assert_eq!(events["available"], false);
    // Wine has no partitions: the partition findings say so, and guess nothing.
    for id in ["system-partition", "recovery-partition"] {
        let f = finding(&report, id);
        assert_eq!(f["available"], false, "{f}");
        assert!(f["free_bytes"].is_null(), "{f}");
    }
    assert!(
        events["summary"]
            .as_str()
            .unwrap()
            .starts_with("unavailable")
    );
}

#[test]
fn diagnose_reports_every_pending_restart_flag_without_asking_for_a_reset() {
    let _machine = serial();
    let _cleanup = RegistryCleanup;
    reg(&["add", CBS_PENDING, "/f"]);
    reg(&["add", WU_REQUIRED, "/f"]);
    reg(&[
        "add",
        SESSION_MANAGER,
        "/v",
        "PendingFileRenameOperations",
        "/t",
        "REG_MULTI_SZ",
        "/d",
        r"\??\C:\windows\temp\old.dll",
        "/f",
    ]);

    let out = wufix(&["diagnose", "--json", "--exit-code"]);
    // A restart is what is needed, not a reset: an Intune detection must not trigger one.
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["repair_would_fix"], false);
    assert_eq!(report["person_needed"], true);
    let pending = finding(&report, "pending-reboot");
    assert_eq!(pending["severity"], "warn");
    let evidence = pending["evidence"].as_str().unwrap();
    assert!(
        evidence.contains("RebootPending") && evidence.contains("RebootRequired"),
        "{evidence}"
    );
    assert!(
        evidence.contains("PendingFileRenameOperations"),
        "{evidence}"
    );
    assert!(pending["remedy"].as_str().unwrap().contains("Restart"));
    assert_eq!(report["next_step"], pending["remedy"]);
}

#[test]
fn diagnose_names_a_disabled_wuauserv_as_an_error_with_its_fix() {
    let _machine = serial();
    ctl("stop", "wuauserv");
    ctl("disable", "wuauserv");
    let out = wufix(&["diagnose", "--json", "--exit-code"]);
    ctl("demand", "wuauserv");
    // A blocker's signature: the residue rung sets it back, so the detection contract says 1.
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["repair_would_fix"], true);
    let wuauserv = service_finding(&report, "wuauserv");
    assert_eq!(wuauserv["severity"], "error");
    assert_eq!(wuauserv["fixed_by"], "repair");
    assert_eq!(wuauserv["rule"], "service-disabled");
    assert!(wuauserv["summary"].as_str().unwrap().contains("0x80070422"));
    assert!(
        wuauserv["remedy"]
            .as_str()
            .unwrap()
            .contains("sc config wuauserv start= demand")
    );
    // It is also the first thing to do.
    assert!(
        report["next_step"]
            .as_str()
            .unwrap()
            .contains("sc config wuauserv"),
        "{report:#}"
    );
}

#[test]
fn diagnose_counts_software_distribution_exactly() {
    let _machine = serial();
    let expected_bytes: usize = (0..40).map(|i| format!("contents of file {i}").len()).sum();
    let report = json(&wufix(&["diagnose", "--json"]));
    let sd = finding(&report, "folder-software-distribution");
    let evidence = sd["evidence"].as_str().unwrap();
    assert!(
        evidence.ends_with(&format!(": 40 files, {expected_bytes} bytes")),
        "{evidence}"
    );
    let cat = finding(&report, "folder-catroot2");
    assert!(
        cat["evidence"].as_str().unwrap().contains(": 10 files, "),
        "{cat}"
    );
}

#[test]
fn diagnose_reads_the_winhttp_proxy_from_the_registry() {
    let _machine = serial();
    let _cleanup = RegistryCleanup;
    // version 0x28, counter 1, flags 3 (proxy), "proxy.corp:8080", bypass "<local>".
    let mut blob = String::new();
    for n in [0x28u32, 1, 3, 15] {
        blob.push_str(
            &n.to_le_bytes()
                .iter()
                .map(|b| format!("{b:02x}"))
                .collect::<String>(),
        );
    }
    blob.push_str(
        &"proxy.corp:8080"
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    );
    blob.push_str("07000000");
    blob.push_str(
        &"<local>"
            .bytes()
            .map(|b| format!("{b:02x}"))
            .collect::<String>(),
    );
    reg(&[
        "add",
        CONNECTIONS,
        "/v",
        "WinHttpSettings",
        "/t",
        "REG_BINARY",
        "/d",
        &blob,
        "/f",
    ]);

    let report = json(&wufix(&["diagnose", "--json"]));
    let proxy = finding(&report, "winhttp-proxy");
    assert_eq!(
        proxy["summary"],
        "WinHTTP proxy: proxy.corp:8080 (bypass: <local>)"
    );
}

#[test]
fn diagnose_names_the_servicing_operation_cbs_log_says_failed() {
    let _machine = serial();
    let dir = windows().join("Logs").join("CBS");
    std::fs::create_dir_all(&dir).unwrap();
    let log = dir.join("CBS.log");
    // UTF-16 LE with a BOM, as some tools save it: the Windows build decodes it the same way.
    let text = "2026-11-20 08:15:00, Info                  CBS    Exec: Processing started.  Client: WindowsUpdateAgent, Session: 1_1, Package: Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5131.1.10\r\n\
        2026-11-20 08:15:01, Error                 CBS    Exec: Processing complete.  Session: 1_1, Package: Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.5131.1.10, Identifier: KB5046613 [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]\r\n\
        2026-11-20 08:16:00, Info                  CBS    Failed to get next package to re-evaluate [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]\r\n";
    let mut bytes = vec![0xFF, 0xFE];
    bytes.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    std::fs::write(&log, bytes).unwrap();
    let report = json(&wufix(&["diagnose", "--json"]));
    std::fs::remove_file(&log).unwrap();
    let cbs = finding(&report, "servicing-package");
    assert_eq!(cbs["severity"], "warn");
    assert_eq!(cbs["code"], "0x800F0922");
    assert_eq!(cbs["kb"], "KB5046613");
    assert!(
        cbs["summary"]
            .as_str()
            .unwrap()
            .starts_with("update KB5046613 (Package_for_RollupFix 19041.5131.1.10) failed with 0x800F0922 CBS_E_INSTALLERS_FAILED"),
        "{cbs}"
    );
    assert!(cbs["remedy"].as_str().unwrap().contains("DISM /Online"));
    // The routine probe after it is not a failure.
    let codes: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            let id = f["id"].as_str().unwrap();
            id.starts_with("servicing-") && id != "servicing-logs"
        })
        .map(|f| f["code"].as_str().unwrap_or("none"))
        .collect();
    assert_eq!(codes, ["0x800F0922"]);
}

#[test]
fn diagnose_reads_setupdiag_s_verdict_from_the_registry() {
    const RESULTS: &str = r"HKLM\SYSTEM\Setup\SetupDiag\Results";
    let _machine = serial();
    struct Gone;
    impl Drop for Gone {
        fn drop(&mut self) {
            let _ = std::process::Command::new("reg")
                .args(["delete", r"HKLM\SYSTEM\Setup\SetupDiag", "/f"])
                .output();
        }
    }
    let _gone = Gone;
    for (name, value) in [
        ("ProfileName", "FindRollbackFailure"),
        (
            "FailureDetails",
            "Error: 0xC1900101 - 0x4000D, rollback after OOBE",
        ),
        (
            "Remediation",
            "Update the display driver named in the rollback logs.",
        ),
    ] {
        reg(&[
            "add", RESULTS, "/v", name, "/t", "REG_SZ", "/d", value, "/f",
        ]);
    }
    let report = json(&wufix(&["diagnose", "--json"]));
    let diag = finding(&report, "setup-diagnosis");
    assert_eq!(diag["severity"], "warn");
    assert_eq!(diag["rule"], "FindRollbackFailure");
    assert_eq!(diag["setup_code"], "0xC1900101-0x4000D");
    assert!(diag["phase"].as_str().unwrap().contains("OOBE"), "{diag}");
    assert!(
        diag["remedy"]
            .as_str()
            .unwrap()
            .starts_with("Update the display driver")
    );
    assert_eq!(diag["evidence"], r"HKLM\SYSTEM\Setup\SetupDiag\Results");
}
