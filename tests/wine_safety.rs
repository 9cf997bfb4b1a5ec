//! The safety promises that need a real service manager, proven with the real wufix.exe under
//! Wine: guards checked right before each folder, best-effort guards, a start that fails, a hung
//! control handler against the one deadline, the servicing gate (exit 4), and `--windows-dir`
//! pointed at the running Windows.
//!
//! Every test takes `serial()` first: the services and folders are the machine's, shared by all.
#![cfg(windows)]

mod common;

use std::fs;
use std::time::{Duration, Instant};

use common::wine::*;
use common::{json, steps, text, tree, wufix};

fn detail_of(report: &serde_json::Value, action: &str, target: &str, nth: usize) -> String {
    steps(report, action)
        .into_iter()
        .filter(|s| s["target"].as_str().unwrap().eq_ignore_ascii_case(target))
        .nth(nth)
        .unwrap_or_else(|| panic!("no {action} #{nth} for {target} in {report:#}"))["detail"]
        .as_str()
        .unwrap()
        .to_string()
}

#[test]
fn a_guard_stopped_at_the_start_and_started_by_a_trigger_is_stopped_before_its_folder() {
    let _machine = serial();
    // wuauserv is stopped when the reset looks; stopping cryptsvc then starts it, as a trigger
    // (UsoSvc, Defender, a scan) would. A clear must not run under it.
    ctl("stop", "wuauserv");
    set_on_stop("cryptsvc", "start wuauserv");
    let out = wufix(&["reset", "--yes", "--json", "--method", "clear"]);
    set_on_stop("cryptsvc", "obey");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert!(detail_of(&report, "stop-service", "wuauserv", 0).starts_with("already stopped"));
    let again = detail_of(&report, "stop-service", "wuauserv", 1);
    assert!(again.contains("started since"), "{again}");
    let order: Vec<(String, String)> = report["steps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["action"].as_str().unwrap().to_string(),
                s["target"].as_str().unwrap().to_ascii_lowercase(),
            )
        })
        .collect();
    let second_stop = order
        .iter()
        .rposition(|(a, t)| a == "stop-service" && t == "wuauserv")
        .unwrap();
    let clear = order
        .iter()
        .position(|(a, t)| a == "clear-folder" && t.ends_with("softwaredistribution"))
        .unwrap();
    assert!(second_stop < clear, "{order:?}");
    // It was stopped before the reset: it is left stopped, as it was.
    assert_eq!(query("wuauserv").0, "Stopped");
    assert!(tree(&sd()).is_empty());
}

#[test]
fn a_best_effort_guard_that_will_not_stop_does_not_keep_its_folder() {
    let _machine = serial();
    let _dosvc = ExtraService::register("dosvc");
    ctl("start", "dosvc");
    set_on_stop("dosvc", "ignore");
    let out = wufix(&["reset", "--yes", "--json", "--timeout", "3"]);
    set_on_stop("dosvc", "obey");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    assert_eq!(outcome_of(&report, "stop-service", "dosvc"), "skipped");
    assert!(detail_of(&report, "stop-service", "dosvc", 0).contains("still attempted"));
    assert!(!sd().exists(), "the folder was still renamed");
    assert_all_running();
}

#[test]
fn a_service_that_fails_to_start_is_reported_at_once_with_its_code() {
    let _machine = serial();
    fs::write(r"C:\wufix-test\cryptsvc.onstart", "fail 42").unwrap();
    let began = Instant::now();
    let out = wufix(&[
        "reset",
        "--yes",
        "--json",
        "--only",
        "catroot2",
        "--timeout",
        "30",
    ]);
    let took = began.elapsed();
    fs::remove_file(r"C:\wufix-test\cryptsvc.onstart").unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    let report = json(&out);
    assert_eq!(outcome_of(&report, "start-service", "cryptsvc"), "failed");
    let why = detail_of(&report, "start-service", "cryptsvc", 0);
    assert!(why.contains("service-specific error 42"), "{why}");
    assert!(
        took < Duration::from_secs(15),
        "waited for the timeout: {took:?}"
    );
}

/// Run last, by `scripts/test.sh` (`--ignored`): in Wine 8, a client that exits while its
/// ControlService call waits on a hung handler leaves that service refusing every later control
/// (1061) until the wineserver restarts. Real Windows does not; see DEVELOPERS.md.
#[test]
#[ignore = "leaves cryptsvc uncontrollable in Wine: scripts/test.sh runs it after everything else"]
fn a_hung_control_handler_does_not_outlast_the_timeout() {
    let _machine = serial();
    // cryptsvc's control handler blocks for 8 s: ControlService does not return meanwhile.
    set_on_stop("cryptsvc", "hang 8");
    let before = tree(&catroot2());
    let began = Instant::now();
    let out = wufix(&[
        "reset",
        "--yes",
        "--json",
        "--only",
        "catroot2",
        "--timeout",
        "2",
    ]);
    let took = began.elapsed();
    // Let the handler return before anything can fail, so later tests find it obeying.
    std::thread::sleep(Duration::from_secs(8).saturating_sub(took));
    set_on_stop("cryptsvc", "obey");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out));
    // The stop phase ends within --timeout plus a second; the rest is Wine starting processes.
    assert!(took < Duration::from_secs(6), "took {took:?}");
    let report = json(&out);
    assert_eq!(outcome_of(&report, "stop-service", "cryptsvc"), "failed");
    assert_eq!(tree(&catroot2()), before);
}

#[test]
fn a_pending_servicing_restart_refuses_the_reset_with_exit_4_unless_forced() {
    let _machine = serial();
    let _cleanup = RegistryCleanup;
    reg(&["add", CBS_PENDING, "/f"]);
    let disk = (tree(&sd()), tree(&catroot2()));
    let services: Vec<_> = SERVICES.iter().map(|s| query(s)).collect();
    let out = wufix(&["reset", "--yes", "--json"]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let report = json(&out);
    assert_eq!(report["refused"]["checks"][0], "cbs-reboot-pending");
    assert_eq!((tree(&sd()), tree(&catroot2())), disk);
    assert_eq!(
        SERVICES.iter().map(|s| query(s)).collect::<Vec<_>>(),
        services
    );

    let forced = wufix(&["reset", "--yes", "--json", "--force"]);
    assert_eq!(forced.status.code(), Some(0), "{}", text(&forced));
    assert_eq!(json(&forced)["forced"], true);
    assert!(!sd().exists());
    assert_all_running();
}

#[test]
fn the_windows_update_restart_flag_only_warns() {
    let _machine = serial();
    let _cleanup = RegistryCleanup;
    reg(&["add", WU_REQUIRED, "/f"]);
    let out = wufix(&["reset", "--yes", "--json", "--only", "catroot2"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    let check = report["servicing"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "wu-reboot-required")
        .unwrap();
    assert_eq!(
        (check["found"].as_bool(), check["blocks"].as_bool()),
        (Some(true), Some(false))
    );
}

/// A servicing operation refuses the reset only on evidence: TrustedInstaller merely running
/// (every scan starts it) is a warning and the reset goes on; `ExecuteState` set while a process
/// named TiWorker.exe runs (the test helper under that name) refuses it; so does pending.xml.
#[test]
fn only_evidence_of_servicing_refuses_the_reset_and_trusted_installer_alone_warns() {
    let _machine = serial();
    let disk = (tree(&sd()), tree(&catroot2()));
    ctl("start", "TrustedInstaller");
    let out = wufix(&["reset", "--dry-run", "--json"]);
    ctl("stop", "TrustedInstaller");
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let report = json(&out);
    let check = report["servicing"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["id"] == "trusted-installer")
        .cloned()
        .unwrap_or_else(|| panic!("{report:#}"));
    assert_eq!(
        (check["found"].as_bool(), check["blocks"].as_bool()),
        (Some(true), Some(false))
    );

    const CBS: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing";
    let worker = std::path::Path::new(r"C:\wufix-test\TiWorker.exe");
    fs::copy(HELPER, worker).unwrap();
    let mut held = common::spawn(
        std::process::Command::new(worker)
            .args(["hold", r"C:\wufix-test\tiworker.lock"])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped()),
    )
    .unwrap();
    let mut line = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(held.stdout.as_mut().unwrap()),
        &mut line,
    )
    .unwrap();
    assert_eq!(line.trim(), "holding");
    let set = |hex: &str| {
        let out = helper(&["regset", CBS, "ExecuteState", "4", hex]);
        assert!(out.status.success(), "{}", text(&out));
    };
    set("02000000");
    let out = wufix(&["reset", "--yes", "--json"]);
    set("ffffffff");
    drop(held.stdin.take());
    let _ = held.wait();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert_eq!(json(&out)["refused"]["checks"][0], "cbs-operation");

    fs::create_dir_all(windows().join("winsxs")).unwrap();
    fs::write(windows().join(r"winsxs\pending.xml"), "<pending/>").unwrap();
    let out = wufix(&["reset", "--yes", "--json"]);
    fs::remove_file(windows().join(r"winsxs\pending.xml")).unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert_eq!(json(&out)["refused"]["checks"][0], "pending-xml");
    assert_eq!((tree(&sd()), tree(&catroot2())), disk);
}

#[test]
fn windows_dir_pointing_at_the_running_windows_is_refused() {
    let _machine = serial();
    let disk = (tree(&sd()), tree(&catroot2()));
    let services: Vec<_> = SERVICES.iter().map(|s| query(s)).collect();
    let mut paths = vec![r"C:\".to_string(), r"c:\WINDOWS\".to_string()];
    // The same folder through Wine's Z: drive (the Unix root): a different path, the same folder.
    if let Ok(prefix) = std::env::var("WINEPREFIX") {
        paths.push(format!(r"Z:{}\drive_c\windows", prefix.replace('/', r"\")));
    }
    for path in &paths {
        let out = wufix(&[
            "reset",
            "--yes",
            "--json",
            "--method",
            "clear",
            "--windows-dir",
            path,
        ]);
        assert_eq!(out.status.code(), Some(2), "{path}: {}", text(&out));
        assert!(
            json(&out)["error"]
                .as_str()
                .unwrap()
                .contains("running Windows"),
            "{path}: {}",
            text(&out)
        );
    }
    assert_eq!((tree(&sd()), tree(&catroot2())), disk);
    assert_eq!(
        SERVICES.iter().map(|s| query(s)).collect::<Vec<_>>(),
        services
    );
}
