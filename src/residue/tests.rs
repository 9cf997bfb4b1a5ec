use super::*;
use crate::sys::fake::FakePlatform;
use crate::sys::registry::RegValue;

fn now() -> jiff::Timestamp {
    "2026-12-02T12:00:00Z".parse().unwrap()
}

fn kinds(found: &[Residue]) -> Vec<&str> {
    found.iter().map(|r| r.kind).collect()
}

fn detect_on(sys: &FakePlatform) -> Vec<Residue> {
    let dir = tempfile::tempdir().unwrap();
    detect(sys, dir.path(), &management(sys), now())
}

#[test]
fn a_blocked_machine_shows_each_item_and_names_wumgr_only_for_its_combination() {
    let svc = |n: &str| format!(r"SYSTEM\CurrentControlSet\Services\{n}");
    let mut none = vec![0u8; 20];
    none[12] = 2;
    none.extend_from_slice(&[0; 16]);
    let sys = FakePlatform::new()
        .registry_value(&svc("wuauserv"), "Start", RegValue::dword(4))
        .registry_value(&svc("UsoSvc"), "Start", RegValue::dword(4))
        .registry_value(&svc("BITS"), "Start", RegValue::dword(3))
        .registry_value(&svc("wuauserv"), "FailureActions", RegValue::binary(none))
        .registry_value(WU_POLICY, "WUServer", RegValue::string(" "))
        .registry_value(AU_POLICY, "UseWUServer", RegValue::dword(1))
        .registry_value(
            WU_POLICY,
            "DoNotConnectToWindowsUpdateInternetLocations",
            RegValue::dword(1),
        )
        .registry_value(
            EXPLORER_POLICY,
            "SettingsPageVisibility",
            RegValue::string("hide:windowsupdate;windowsupdate-options"),
        )
        .registry_value(
            UX_SETTINGS,
            "PauseUpdatesExpiryTime",
            RegValue::string("2099-12-31T00:00:00Z"),
        )
        .registry_value(
            UX_SETTINGS,
            "PauseFeatureUpdatesEndTime",
            RegValue::string("2026-12-20T00:00:00Z"),
        )
        .registry_value(AU_POLICY, "NoAutoUpdate", RegValue::dword(1));
    let found = detect_on(&sys);
    assert_eq!(
        kinds(&found),
        [
            "service-disabled",
            "failure-actions-emptied",
            "service-disabled",
            "fake-wsus",
            "wu-access-blocked",
            "settings-page-hidden",
            "auto-update-off",
            "pause-far-ahead",
        ],
        "{found:#?}"
    );
    assert_eq!(found[2].usual.as_deref(), Some("2 (automatic, delayed)"));
    assert_eq!(
        found[3].tool,
        Some("WuMgr (\"Block access to WU servers\")")
    );
    // A blank server alone (no DoNotConnect…) is residue, but not WuMgr's signature.
    let sys = FakePlatform::new()
        .registry_value(WU_POLICY, "WUServer", RegValue::string("127.0.0.1"))
        .registry_value(AU_POLICY, "UseWUServer", RegValue::dword(1));
    let found = detect_on(&sys);
    assert_eq!(kinds(&found), ["fake-wsus"]);
    assert_eq!(found[0].tool, None);
}

#[test]
fn an_organisation_s_policies_are_never_residue_and_a_fake_server_does_not_make_one() {
    let policies = |sys: FakePlatform| {
        sys.registry_value(AU_POLICY, "NoAutoUpdate", RegValue::dword(1))
            .registry_value(
                WU_POLICY,
                "DoNotConnectToWindowsUpdateInternetLocations",
                RegValue::dword(1),
            )
    };
    for sys in [
        policies(FakePlatform::new().joined_to("CONTOSO")),
        policies(FakePlatform::new().registry_key(r"SOFTWARE\Microsoft\CCM")),
        policies(FakePlatform::new())
            .registry_value(
                WU_POLICY,
                "WUServer",
                RegValue::string("https://wsus.contoso.com:8531"),
            )
            .registry_value(AU_POLICY, "UseWUServer", RegValue::dword(1)),
    ] {
        let m = management(&sys);
        assert!(m.is_managed(), "{m:?}");
        assert!(detect_on(&sys).is_empty(), "{:?}", m.by);
    }
    // A blank WUServer is no organisation's.
    let sys = policies(FakePlatform::new())
        .registry_value(WU_POLICY, "WUServer", RegValue::string("   "))
        .registry_value(AU_POLICY, "UseWUServer", RegValue::dword(1));
    assert!(!management(&sys).is_managed());
    // But a disabled service is residue whoever manages the machine.
    let sys = FakePlatform::new().joined_to("CONTOSO").registry_value(
        r"SYSTEM\CurrentControlSet\Services\wuauserv",
        "Start",
        RegValue::dword(4),
    );
    assert_eq!(kinds(&detect_on(&sys)), ["service-disabled"]);
}

#[test]
fn servers_an_organisation_could_run() {
    for good in [
        "http://wsus:8530",
        "https://wsus.contoso.com:8531/",
        "HTTP://10.0.0.5",
    ] {
        assert!(is_real_server(good), "{good}");
    }
    for bad in [
        "",
        " ",
        "127.0.0.1",
        "http://127.0.0.1:8530",
        "http://localhost",
        "wsus.contoso.com",
        "http://",
        "http:// x",
        "https://0.0.0.0",
    ] {
        assert!(!is_real_server(bad), "{bad:?}");
    }
}

#[test]
fn hosts_lines_that_send_update_names_nowhere() {
    let dir = tempfile::tempdir().unwrap();
    let etc = dir.path().join("System32/drivers/etc");
    std::fs::create_dir_all(&etc).unwrap();
    std::fs::write(
        etc.join("hosts"),
        "# comment 0.0.0.0 windowsupdate.com\r\n127.0.0.1 localhost\r\n0.0.0.0 fe2.update.microsoft.com sls.update.microsoft.com\r\n0.0.0.0\tdownload.windowsupdate.com # blocked\r\n10.0.0.1 fe3.delivery.mp.microsoft.com\r\n0.0.0.0 example.com\r\n",
    )
    .unwrap();
    let found = hosts::check(dir.path());
    assert_eq!(found.len(), 1);
    assert!(
        found[0].found.starts_with("3 of Windows Update's names"),
        "{}",
        found[0].found
    );
    // An address that goes somewhere (a proxy, a cache) is not a block.
    assert!(!found[0].found.contains("fe3.delivery"));
    let domains = hosts::domains_for_tests();
    assert!(hosts::is_update_host(
        "x.dl.delivery.mp.microsoft.com",
        &domains
    ));
    assert!(!hosts::is_update_host("notwindowsupdate.com", &domains));
}

#[test]
fn a_renamed_service_dll_is_found_and_wu10man_named_by_its_prefix() {
    let dir = tempfile::tempdir().unwrap();
    let windows = dir.path().join("Windows");
    let system32 = windows.join("System32");
    let winsxs = windows
        .join("WinSxS")
        .join("amd64_microsoft-windows-wuaueng");
    std::fs::create_dir_all(&system32).unwrap();
    std::fs::create_dir_all(&winsxs).unwrap();
    std::fs::write(winsxs.join("wuaueng.dll"), b"MZ").unwrap();
    // Renamed in place: still a hard link of WinSxS's copy.
    std::fs::hard_link(
        winsxs.join("wuaueng.dll"),
        system32.join("Wu10Man_wuaueng.dll"),
    )
    .unwrap();
    let params = |svc: &str| format!(r"SYSTEM\CurrentControlSet\Services\{svc}\Parameters");
    let sys = FakePlatform::new()
        .registry_value(
            &params("wuauserv"),
            "ServiceDll",
            RegValue::expand_string(r"%SystemRoot%\system32\wuaueng.dll"),
        )
        // Present under its name: not residue.
        .registry_value(
            &params("UsoSvc"),
            "ServiceDll",
            RegValue::expand_string(r"%systemroot%\system32\usosvc.dll"),
        );
    std::fs::write(system32.join("usosvc.dll"), b"MZ").unwrap();
    let found = detect(&sys, &windows, &management(&sys), now());
    assert_eq!(kinds(&found), ["service-dll-renamed"], "{found:#?}");
    let r = &found[0];
    assert_eq!(r.tool, Some("Wu10Man"));
    assert!(r.found.contains("Wu10Man_wuaueng.dll"), "{}", r.found);
    #[cfg(unix)]
    assert!(
        r.found.contains("a hard link of Windows' own copy"),
        "{}",
        r.found
    );
    // A generic _BAK name names no tool: several blockers use it.
    std::fs::rename(
        system32.join("Wu10Man_wuaueng.dll"),
        system32.join("wuaueng_BAK.dll"),
    )
    .unwrap();
    let found = detect(&sys, &windows, &management(&sys), now());
    assert_eq!(found[0].tool, None);
    assert!(found[0].found.contains("wuaueng_BAK.dll"));
}

#[test]
fn emptied_failure_actions_are_put_back_to_restarts_that_read_as_such() {
    let key = r"SYSTEM\CurrentControlSet\Services\BITS";
    // Three actions, each "take no action": the blockers' way.
    let mut none = vec![0u8; 20];
    none[12] = 3;
    none[16] = 20;
    none.extend_from_slice(&[0; 24]);
    let sys = FakePlatform::new().registry_value(key, "FailureActions", RegValue::binary(none));
    let found = detect_on(&sys);
    assert_eq!(kinds(&found), ["failure-actions-emptied"]);
    let Put::Value(fix) = &found[0].fixes[0] else {
        panic!("a value to write: {found:#?}");
    };
    assert_eq!(
        (fix.key.as_str(), fix.name.as_str()),
        (key, "FailureActions")
    );
    assert!(catalogued(&fix.key, &fix.name));
    // What is written back is not itself found emptied, and restarts twice.
    let written = fix.write.clone().unwrap();
    assert_eq!(written.data.len(), 44);
    assert_eq!(&written.data[20..24], &1u32.to_le_bytes());
    let sys = FakePlatform::new().registry_value(key, "FailureActions", written);
    assert!(detect_on(&sys).is_empty());
}

#[test]
fn the_hosts_lines_are_commented_and_uncommented_byte_for_byte() {
    let text = b"# keep\r\n0.0.0.0 fe2.update.microsoft.com\r\n127.0.0.1 localhost\n0.0.0.0 ads.example\n::1 download.windowsupdate.com";
    let (indexes, names) = hosts::blocking(text);
    assert_eq!(indexes, [1, 4]);
    assert_eq!(
        names,
        ["fe2.update.microsoft.com", "download.windowsupdate.com"]
    );
    let after = hosts::commented(text, &indexes);
    assert!(hosts::blocking(&after).0.is_empty(), "nothing blocks after");
    let lines = hosts::lines(text);
    let saved: Vec<(usize, String)> = indexes
        .iter()
        .map(|&i| (i, String::from_utf8(lines[i].to_vec()).unwrap()))
        .collect();
    assert_eq!(hosts::uncommented(&after, &saved).unwrap(), text);
    // A marked line edited since: nothing is taken back.
    let edited = String::from_utf8(after.clone())
        .unwrap()
        .replace("fe2.update", "fe9.update");
    assert_eq!(hosts::uncommented(edited.as_bytes(), &saved), None);
    // A line that is not there any more: neither.
    assert_eq!(hosts::uncommented(b"# short\n", &saved), None);
}

proptest::proptest! {
    #[test]
    fn any_hosts_file_comes_back_whole(lines in proptest::collection::vec(
        proptest::prop_oneof![
            "[ -~]{0,30}",
            "0\\.0\\.0\\.0 [a-z]{1,6}\\.update\\.microsoft\\.com",
            "127\\.0\\.0\\.1\t(download\\.)?windowsupdate\\.com( # x)?",
        ],
        0..12,
    ), crlf in proptest::bool::ANY, last_end in proptest::bool::ANY) {
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = lines.join(end);
        if last_end {
            text.push_str(end);
        }
        let bytes = text.as_bytes();
        let (indexes, _) = hosts::blocking(bytes);
        let all = hosts::lines(bytes);
        let saved: Vec<(usize, String)> = indexes
            .iter()
            .map(|&i| (i, String::from_utf8(all[i].to_vec()).unwrap()))
            .collect();
        let after = hosts::commented(bytes, &indexes);
        proptest::prop_assert!(hosts::blocking(&after).0.is_empty());
        proptest::prop_assert_eq!(hosts::uncommented(&after, &saved).unwrap(), bytes.to_vec());
    }
}

#[test]
fn a_deleted_update_task_is_told_only_where_its_folder_still_stands() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(
        dir.path()
            .join("System32/Tasks/Microsoft/Windows/UpdateOrchestrator"),
    )
    .unwrap();
    // No task at all: the UpdateOrchestrator ones are deleted (their folder is there); the
    // WindowsUpdate one is not named (no folder: a build or an imitation without it).
    let sys = FakePlatform::new();
    let found = detect(&sys, dir.path(), &management(&sys), now());
    assert_eq!(
        kinds(&found),
        ["update-task-deleted", "update-task-deleted"]
    );
    assert!(found.iter().all(|r| r.fixes.is_empty()));
    assert!(
        found[0]
            .target
            .ends_with(r"UpdateOrchestrator\Schedule Scan")
    );
    // Enabled tasks are nothing to report.
    let sys = tasks::TASKS
        .iter()
        .fold(FakePlatform::new(), |sys, t| sys.task(t, true));
    assert!(detect(&sys, dir.path(), &management(&sys), now()).is_empty());
}
