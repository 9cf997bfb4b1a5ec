//! A reset killed half-way (TerminateProcess, as a crash, a power cut or an RMM timeout does it)
//! under Wine with the real exe: `status` shows what it left, and `undo` puts every service and
//! every folder back as they were before the reset. Windows build only.
#![cfg(windows)]

mod common;

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::wine::*;
use common::{digest, json, text, wufix};

/// `wufix reset --yes` in the background, its stderr collected as it comes.
fn reset_in_background() -> (std::process::Child, Arc<Mutex<String>>) {
    let mut child = common::spawn(
        Command::new(env!("CARGO_BIN_EXE_wufix"))
            .args(["reset", "--yes"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped()),
    )
    .expect("wufix starts");
    let seen = Arc::new(Mutex::new(String::new()));
    let sink = Arc::clone(&seen);
    let mut err = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        let mut buf = [0u8; 1024];
        while let Ok(n) = err.read(&mut buf) {
            if n == 0 {
                break;
            }
            sink.lock()
                .unwrap()
                .push_str(&String::from_utf8_lossy(&buf[..n]));
        }
    });
    (child, seen)
}

fn wait_until(what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(Instant::now() < deadline, "no {what} within {limit:?}");
        std::thread::sleep(Duration::from_millis(10));
    }
}

fn newest_journal() -> String {
    let mut files: Vec<_> = std::fs::read_dir(JOURNAL)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    files.sort();
    files
        .pop()
        .map(|p| std::fs::read_to_string(p).unwrap_or_default())
        .unwrap_or_default()
}

/// After the kill: status names the interruption; undo leaves every service as before the reset
/// and every folder with its contents.
fn status_then_undo(sd_before: &common::Tree, cat_before: &common::Tree) -> serde_json::Value {
    let status = json(&wufix(&["status", "--json"]));
    let interrupted = status["interrupted"].clone();
    assert_eq!(interrupted["command"], "reset", "{status:#}");
    let out = wufix(&["undo", "--yes", "--json"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    assert_all_running();
    assert_eq!(
        &digest(&sd()),
        sd_before,
        "SoftwareDistribution as before the reset"
    );
    assert_eq!(
        &digest(&catroot2()),
        cat_before,
        "catroot2 as before the reset"
    );
    let status = json(&wufix(&["status", "--json"]));
    assert!(status["interrupted"].is_null(), "recovered: {status:#}");
    interrupted
}

#[test]
fn a_reset_killed_while_services_stop_is_shown_and_undone() {
    let _machine = serial();
    let (sd_before, cat_before) = (digest(&sd()), digest(&catroot2()));
    // cryptsvc takes 5 s to stop: the kill lands while the stop phase waits for it.
    set_on_stop("cryptsvc", "delay 5");
    let (mut child, seen) = reset_in_background();
    wait_until("stop phase", Duration::from_secs(30), || {
        seen.lock().unwrap().contains("stopping ")
    });
    wait_until("wuauserv stopped", Duration::from_secs(30), || {
        query("wuauserv").0 == "Stopped"
    });
    child.kill().unwrap();
    let _ = child.wait();
    assert_eq!(
        query("wuauserv").0,
        "Stopped",
        "left stopped by the killed run"
    );
    set_on_stop("cryptsvc", "obey");
    let interrupted = status_then_undo(&sd_before, &cat_before);
    let stopped: Vec<&str> = interrupted["services_stopped"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v.as_str())
        .collect();
    assert!(stopped.contains(&"wuauserv"), "{interrupted:#}");
    assert!(
        interrupted["renamed"].as_array().unwrap().is_empty(),
        "{interrupted:#}"
    );
}

#[test]
fn a_reset_killed_right_after_a_rename_is_shown_and_undone() {
    let _machine = serial();
    let (sd_before, cat_before) = (digest(&sd()), digest(&catroot2()));
    // cryptsvc takes 3 s to start again: the run is still going when its first rename is written
    // down, whatever the machine's speed.
    std::fs::write(r"C:\wufix-test\cryptsvc.onstart", "delay 3").unwrap();
    let (mut child, _seen) = reset_in_background();
    wait_until("a rename in the journal", Duration::from_secs(60), || {
        newest_journal()
            .lines()
            .any(|l| l.contains(r#""record":"outcome","change":{"op":"rename""#))
    });
    child.kill().unwrap();
    let _ = child.wait();
    let _ = std::fs::remove_file(r"C:\wufix-test\cryptsvc.onstart");
    let interrupted = status_then_undo(&sd_before, &cat_before);
    let renamed = interrupted["renamed"].as_array().unwrap();
    assert!(!renamed.is_empty(), "{interrupted:#}");
    assert_eq!(renamed[0]["folder"], "software-distribution");
}
