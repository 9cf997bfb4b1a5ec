//! The run's event, under Wine: the Windows build registers the source `wufix` with its copy in
//! `C:\ProgramData\wufix\bin` and calls `ReportEventW` with the summary line. Wine keeps no
//! Application log (its `ReportEventW` only prints the strings on the `eventlog` debug channel),
//! so this one test turns that channel on and reads the call there. The message table itself is
//! read back in `wine_exe`. Runs on the Linux side; `scripts/test.sh` sets `WUFIX_WINE_EXE` once
//! the Wine prefix is up.
#![cfg(unix)]

mod common;

use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use common::text;

fn wine64() -> String {
    std::env::var("WUFIX_WINE64").unwrap_or_else(|_| "/usr/lib/wine/wine64".to_string())
}

/// wufix under Wine with the `eventlog` channel on.
fn traced(exe: &str, args: &[&str]) -> Output {
    common::output(
        Command::new(wine64())
            .arg(exe)
            .args(args)
            .env("WINEDEBUG", "-all,+eventlog,fixme+advapi")
            .stdin(Stdio::null()),
    )
    .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

const SOURCE_KEY: &str = r"HKLM\SYSTEM\CurrentControlSet\Services\EventLog\Application\wufix";

#[test]
fn a_reset_reports_its_summary_line_as_an_event_and_a_dry_run_or_no_event_log_does_not() {
    let Ok(exe) = std::env::var("WUFIX_WINE_EXE") else {
        eprintln!("not run here: WUFIX_WINE_EXE is unset (scripts/test.sh sets it under Wine)");
        return;
    };
    let prefix =
        PathBuf::from(std::env::var("WINEPREFIX").expect("scripts/env.sh sets WINEPREFIX"));
    let catroot2 = prefix.join("drive_c/windows/system32/catroot2");
    std::fs::create_dir_all(&catroot2).unwrap();
    std::fs::write(catroot2.join("event-log.txt"), "x").unwrap();

    let dry = traced(
        &exe,
        &["reset", "--only", "catroot2", "--dry-run", "--summary"],
    );
    assert_eq!(dry.status.code(), Some(0), "{}", text(&dry));
    assert!(!stderr(&dry).contains("ReportEventW"), "{}", stderr(&dry));

    let off = traced(
        &exe,
        &[
            "reset",
            "--only",
            "catroot2",
            "--yes",
            "--summary",
            "--no-event-log",
        ],
    );
    assert_eq!(off.status.code(), Some(0), "{}", text(&off));
    assert!(!stderr(&off).contains("ReportEventW"), "{}", stderr(&off));
    assert!(
        !catroot2.join("event-log.txt").exists(),
        "the run itself happened"
    );

    let undo = traced(&exe, &["undo", "--yes", "--summary"]);
    assert_eq!(undo.status.code(), Some(0), "{}", text(&undo));
    let line = String::from_utf8_lossy(&undo.stdout).trim().to_string();
    assert!(line.starts_with("wufix undo: "), "{line}");
    let trace = stderr(&undo);
    // The FIXME names the call: information (4), category 0, event 1000.
    assert!(
        trace.contains("ReportEventW") && trace.contains("0x0004,0x0000,0x000003e8"),
        "{trace}"
    );
    // The message's one string is the summary line (the trace shows its start).
    let start: String = line.chars().take(40).collect();
    assert!(
        trace
            .lines()
            .any(|l| l.contains(":eventlog:") && l.contains(&start)),
        "{start}\n{trace}"
    );
    assert_eq!(
        std::fs::read_to_string(catroot2.join("event-log.txt")).unwrap(),
        "x",
        "undone"
    );
    std::fs::remove_file(catroot2.join("event-log.txt")).unwrap();

    // Registered with the stable copy, which exists.
    let query = common::output(
        Command::new(wine64())
            .args(["reg", "query", SOURCE_KEY, "/v", "EventMessageFile"])
            .stdin(Stdio::null()),
    )
    .unwrap();
    let shown = String::from_utf8_lossy(&query.stdout);
    assert!(
        shown.contains(r"C:\ProgramData\wufix\bin\wufix.exe"),
        "{}",
        text(&query)
    );
    assert!(
        prefix
            .join("drive_c/ProgramData/wufix/bin/wufix.exe")
            .is_file()
    );
}
