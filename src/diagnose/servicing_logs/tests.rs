use super::*;

/// Operations read from CBS.log text.
fn cbs_evidence(text: &str) -> Evidence {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("CBS.log");
    std::fs::write(&path, text).unwrap();
    let mut evidence = Evidence::default();
    let mut reader = cbs::CbsReader::new(0);
    read_records(&path, None, |line| reader.feed(line, &mut evidence)).unwrap();
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
    let text = crate::diagnose::windows_pe::remedy(&on_mounted(
        r"Check C:\Windows\System32\spp (`icacls C:\Windows\System32\spp`), then `DISM /Online /Cleanup-Image /RestoreHealth` and `sfc /scannow`.",
        windows,
    ));
    let spp = windows.join("System32").join("spp").display().to_string();
    // The paths to look at are the mounted volume's; the commands are Windows PE's, on D:.
    assert!(
        text.contains(&format!("Check {spp} (`icacls {spp}`)")),
        "{text}"
    );
    assert!(
        text.contains("This Windows (/mnt/win) is not running"),
        "{text}"
    );
    assert!(
        text.contains("DISM /Image:D:\\ /Cleanup-Image /RestoreHealth /Source:WIM:E:"),
        "{text}"
    );
    assert!(
        text.contains("sfc /scannow /offbootdir=D:\\ /offwindir=D:\\Windows"),
        "{text}"
    );
    assert!(
        !text.contains(r"C:\Windows") && !text.contains("/Online") && !text.contains("/Image:/"),
        "{text}"
    );
}

fn cbs_line(level: &str, component: &str, message: &str) -> String {
    format!("2026-11-20 03:10:00, {level:<21} {component:<6} {message}\r\n")
}

/// A volume whose `Windows\Logs\CBS\CBS.log` holds `text`.
fn volume_with_cbs(text: &str) -> (tempfile::TempDir, Layout) {
    let dir = tempfile::tempdir().unwrap();
    let cbs = dir.path().join("Windows").join("Logs").join("CBS");
    std::fs::create_dir_all(&cbs).unwrap();
    std::fs::create_dir_all(dir.path().join("Windows").join("System32")).unwrap();
    std::fs::write(cbs.join("CBS.log"), text).unwrap();
    let layout = Layout::offline(&dir.path().join("Windows")).unwrap();
    (dir, layout)
}

fn failed_update(kb: u32) -> String {
    let package = format!("Package_for_KB{kb}~31bf3856ad364e35~amd64~~1.0");
    cbs_line(
        "Info",
        "CBS",
        &format!(
            "Exec: Processing started.  Client: WindowsUpdateAgent, Session: {kb}_1, Package: {package}, Rebid: 0"
        ),
    ) + &cbs_line(
        "Error",
        "CBS",
        &format!(
            "Exec: Processing complete.  Session: {kb}_1, Package: {package}, Identifier: KB{kb} [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]"
        ),
    )
}

#[test]
fn thousands_of_installer_failures_give_a_few_words_and_the_rollback_is_never_lost() {
    let mut text = cbs_line("Info", "CBS", "Starting TrustedInstaller initialization.");
    for n in 0..5000 {
        text += &cbs_line(
            "Error",
            "CSI",
            &format!(
                "0000000c (F) Failed execution of queue item Installer: Inst{n:05}{} ({{b2f0ec7a}}) with HRESULT HRESULT_FROM_WIN32(1168).",
                "x".repeat(500)
            ),
        );
    }
    text += &cbs_line(
        "Error",
        "CSI",
        "0000000d (F) Failed execution of queue item Installer: Last ({b2f0ec7a}) with HRESULT HRESULT_FROM_WIN32(1168).  Failure will not be ignored: A rollback will be initiated after all the operations in the installer queue are completed",
    );
    text += &failed_update(5046613);
    let e = cbs_evidence(&text);
    let verdicts = e.verdicts();
    assert_eq!(verdicts.len(), 1);
    let details = &verdicts[0].1.details;
    assert!(details.len() <= 8, "{details:?}");
    assert!(
        details.iter().any(|d| d.contains("Inst00000")),
        "{details:?}"
    );
    assert!(
        details.iter().any(|d| d.contains("rolled back")),
        "{details:?}"
    );
    assert!(
        details.iter().all(|d| d.chars().count() <= 161),
        "{details:?}"
    );
}

#[test]
fn tens_of_thousands_of_distinct_failures_keep_the_newest_and_count_the_rest() {
    let mut text = String::new();
    for kb in 0..5000u32 {
        if kb % 200 == 0 {
            text += &cbs_line("Info", "CBS", "Starting TrustedInstaller initialization.");
        }
        text += &failed_update(1_000_000 + kb);
    }
    let e = cbs_evidence(&text);
    let verdicts = e.verdicts();
    assert!(e.forgotten > 0);
    assert_eq!(
        verdicts.len() + e.forgotten,
        5000,
        "every failure kept or counted"
    );
    assert!(
        verdicts
            .iter()
            .any(|(_, g)| g.subject.contains("KB1004999")),
        "the newest is kept"
    );
}

#[test]
fn a_future_dated_dism_log_leaves_a_standing_failure_standing() {
    let mut text = cbs_line("Info", "CBS", "Starting TrustedInstaller initialization.");
    text += &failed_update(5046613);
    let (dir, layout) = volume_with_cbs(&text);
    let dism = dir.path().join("Windows").join("Logs").join("DISM");
    std::fs::create_dir_all(&dism).unwrap();
    std::fs::write(
        dism.join("dism.log"),
        "2031-01-01 00:00:00, Info                  DISM   DISM.EXE: <----- Starting Dism.exe session ----->\r\n",
    )
    .unwrap();
    let findings = check(&layout, Mode::Offline, None);
    let failure = findings
        .iter()
        .find(|f| f.id.starts_with("servicing-package"))
        .unwrap_or_else(|| panic!("{findings:#?}"));
    assert_eq!(failure.severity, Severity::Warn, "{failure:#?}");
}

#[cfg(unix)]
#[test]
fn logs_behind_a_linked_folder_are_not_read_and_case_twins_are_named() {
    let mut text = cbs_line("Info", "CBS", "Starting TrustedInstaller initialization.");
    text += &failed_update(5046613);
    // Windows\Logs is a link to another machine's logs.
    let (dir, _) = volume_with_cbs(&text);
    let windows = dir.path().join("Windows");
    let elsewhere = dir.path().join("other-machine");
    std::fs::rename(windows.join("Logs"), &elsewhere).unwrap();
    std::os::unix::fs::symlink(&elsewhere, windows.join("Logs")).unwrap();
    let layout = Layout::offline(&windows).unwrap();
    let findings = check(&layout, Mode::Offline, None);
    assert!(
        !findings.iter().any(|f| f.summary.contains("KB5046613")),
        "{findings:#?}"
    );
    assert!(findings[0].evidence.contains("is a link"), "{findings:#?}");

    // CBS.log and cbs.log side by side: named, not "absent".
    let (dir, layout) = volume_with_cbs(&text);
    let cbs = dir.path().join("Windows").join("Logs").join("CBS");
    std::fs::copy(cbs.join("CBS.log"), cbs.join("cbs.log")).unwrap();
    let findings = check(&layout, Mode::Offline, None);
    assert!(
        findings[0].evidence.contains("differing only in case"),
        "{findings:#?}"
    );
    assert!(!findings[0].evidence.contains("absent"), "{findings:#?}");
}
