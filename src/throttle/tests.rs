//! Which earlier runs hold a scheduled one back, and the durations a fleet tool writes.

use jiff::{SignedDuration, Timestamp};

use super::{parse, recent};
use crate::journal::{Op, Record, Run, Start, VERSION};
use crate::machine::Mode;

fn run(command: &str, started: &str, changes: &[(Op, bool)], finished: Option<bool>) -> Run {
    let mut records = vec![Record::Start(Start {
        version: VERSION,
        started: started.into(),
        command: command.into(),
        mode: Mode::Online,
        windows_dir: r"C:\Windows".into(),
        pid: 1,
        services_before: Vec::new(),
        undoes: None,
        process_started: None,
        recovers: Vec::new(),
        machine: None,
    })];
    for (op, ok) in changes {
        records.push(Record::Intent { change: op.clone() });
        records.push(Record::Outcome {
            change: op.clone(),
            ok: *ok,
            detail: String::new(),
        });
    }
    if let Some(ok) = finished {
        records.push(Record::Finished {
            at: started.into(),
            ok,
            undone: Vec::new(),
        });
    }
    Run::from_records("j".into(), records).unwrap()
}

fn value() -> Op {
    Op::RegistryValue {
        key: r"SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate".into(),
        name: "WUServer".into(),
        before: None,
        after: None,
    }
}

fn stop() -> Op {
    Op::StopService {
        name: "wuauserv".into(),
    }
}

#[test]
fn only_a_finished_reset_or_repair_that_changed_something_holds_a_run_back() {
    let now: Timestamp = "2026-12-02T12:00:00Z".parse().unwrap();
    let day = SignedDuration::from_hours(24);
    let done = run(
        "repair",
        "2026-12-02T08:00:00Z",
        &[(value(), true)],
        Some(true),
    );
    assert!(recent(std::slice::from_ref(&done), now, day).is_some());
    for (why, other) in [
        (
            "failed",
            run(
                "repair",
                "2026-12-02T08:00:00Z",
                &[(value(), true)],
                Some(false),
            ),
        ),
        (
            "interrupted",
            run("reset", "2026-12-02T08:00:00Z", &[(value(), true)], None),
        ),
        (
            "an undo",
            run(
                "undo",
                "2026-12-02T08:00:00Z",
                &[(value(), true)],
                Some(true),
            ),
        ),
        (
            "services only",
            run(
                "reset",
                "2026-12-02T08:00:00Z",
                &[(stop(), true)],
                Some(true),
            ),
        ),
        (
            "a change that failed",
            run(
                "reset",
                "2026-12-02T08:00:00Z",
                &[(value(), false)],
                Some(true),
            ),
        ),
        (
            "too long ago",
            run(
                "reset",
                "2026-11-30T08:00:00Z",
                &[(value(), true)],
                Some(true),
            ),
        ),
        (
            "a clock far ahead",
            run(
                "reset",
                "2027-06-01T08:00:00Z",
                &[(value(), true)],
                Some(true),
            ),
        ),
        (
            "an unreadable time",
            run("reset", "yesterday", &[(value(), true)], Some(true)),
        ),
    ] {
        assert!(
            recent(std::slice::from_ref(&other), now, day).is_none(),
            "{why}"
        );
    }
    // A clock a little ahead still counts: within the window either side.
    let ahead = run(
        "reset",
        "2026-12-02T14:00:00Z",
        &[(value(), true)],
        Some(true),
    );
    assert!(recent(std::slice::from_ref(&ahead), now, day).is_some());
}

#[test]
fn durations_as_a_fleet_tool_writes_them() {
    assert_eq!(parse("24h").unwrap(), SignedDuration::from_hours(24));
    assert_eq!(parse("7d").unwrap(), SignedDuration::from_hours(168));
    assert_eq!(parse("90m").unwrap(), SignedDuration::from_mins(90));
    assert_eq!(parse("PT2H").unwrap(), SignedDuration::from_hours(2));
    for bad in ["", "0s", "-1h", "abc", "400d", "1 day"] {
        assert!(parse(bad).is_err(), "{bad:?}");
    }
}
