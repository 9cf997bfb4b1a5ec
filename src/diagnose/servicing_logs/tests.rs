use super::*;

/// Operations read from CBS.log text.
fn cbs_evidence(text: &str) -> Evidence {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("CBS.log");
    std::fs::write(&path, text).unwrap();
    let mut evidence = Evidence::default();
    let mut reader = cbs::CbsReader::new(0);
    read_records(&path, |line| reader.feed(line, &mut evidence)).unwrap();
    reader.finish(&mut evidence);
    evidence
}

#[test]
fn a_status_split_over_two_lines_is_read_and_a_log_cut_mid_session_still_counts() {
    let e = cbs_evidence(
        "2026-11-20 03:10:00, Info                  CBS    Exec: Processing started.  Client: WindowsUpdateAgent, Session: 1_1, Package: Package_for_KB5046613~31bf3856ad364e35~amd64~~1.0\n\
         2026-11-20 03:10:01, Error                 CBS    Exec: Processing complete.  Session: 1_1, Package: Package_for_KB5046613~31bf3856ad364e35~amd64~~1.0 [HRESULT =\n\
         0x800f0922 - CBS_E_INSTALLERS_FAILED]\n",
    );
    let verdicts = e.verdicts();
    assert_eq!(verdicts.len(), 1);
    assert_eq!(verdicts[0].1.code, Some(0x800F0922));
    assert_eq!(
        verdicts[0].1.subject,
        "update KB5046613 (Package_for_KB5046613 1.0)"
    );
}

#[test]
fn a_session_that_only_checked_applicability_is_no_evidence_either_way() {
    let e = cbs_evidence(
        "2026-11-20 03:10:00, Info                  CBS    Session: 1_1 initialized by client WindowsUpdateAgent, external staging directory: (null)\n\
         2026-11-20 03:10:00, Error                 CBS    Failed to get next package to re-evaluate [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]\n\
         2026-11-20 03:10:01, Info                  CBS    Session: 1_1 finalized. Reboot required: no [HRESULT = 0x800f0805 - CBS_E_INVALID_PACKAGE]\n",
    );
    assert_eq!(e.operations, 0);
    assert!(e.verdicts().is_empty());
}

#[test]
fn open_sessions_stay_bounded_in_a_log_that_never_restarts_trustedinstaller() {
    let mut text = String::new();
    for n in 0..5000 {
        text.push_str(&format!(
            "2026-11-20 03:10:00, Info                  CBS    Exec: Processing started.  Client: X, Session: {n}_1, Package: P{n}~a~b~~1\n"
        ));
    }
    text.push_str("2026-11-20 03:10:01, Error                 CBS    Failed to perform operation.  [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]\n");
    let e = cbs_evidence(&text);
    // The last session is the one that failed; the thousands before it never ended.
    let verdicts = e.verdicts();
    assert_eq!(verdicts.len(), 1);
    assert_eq!(verdicts[0].1.key, "P4999");
}

#[test]
fn offline_remedies_name_the_mounted_volume() {
    let windows = Path::new("/mnt/win/Windows");
    let text = offline(
        r"Check C:\Windows\System32\spp (`icacls C:\Windows\System32\spp`), then `DISM /Online /Cleanup-Image /RestoreHealth` and `sfc /scannow`.",
        windows,
    );
    let spp = windows.join("System32").join("spp").display().to_string();
    assert!(
        text.contains(&format!("Check {spp} (`icacls {spp}`)")),
        "{text}"
    );
    assert!(
        text.contains("DISM /Image:/mnt/win /Cleanup-Image"),
        "{text}"
    );
    assert!(
        text.contains("sfc /scannow /offbootdir=/mnt/win /offwindir=/mnt/win/Windows"),
        "{text}"
    );
    assert!(
        !text.contains(r"C:\Windows") && !text.contains("/Online"),
        "{text}"
    );
}
