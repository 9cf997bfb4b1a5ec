//! The run's event, through `reset` on the fake platform: which runs write one, what it holds,
//! and that a log that refuses it costs the run nothing.
use std::fs;

use super::session::Session;
use crate::catalog::Folder;
use crate::clock::FakeClock;
use crate::exit::Exit;
use crate::folders::Layout;
use crate::machine::{Machine, Mode};
use crate::printer::Printer;
use crate::request::output::Output;
use crate::request::{Method, ResetRequest};
use crate::sys::fake::FakePlatform;
use crate::sys::{EventLevel, ServiceState, StartType};

/// The skeleton's usual reset of catroot2, by rename so that undo could put it back.
fn request(dry_run: bool) -> ResetRequest {
    ResetRequest {
        method: Method::Rename,
        dry_run,
        ..super::tests::clear_catroot2()
    }
}

struct Machine_ {
    _dir: tempfile::TempDir,
    layout: Layout,
    copy: std::path::PathBuf,
}

/// A Windows with catroot2, and wufix's stable copy in place (so no test copies its own exe).
fn windows() -> Machine_ {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::online(dir.path().join("Windows"));
    fs::create_dir_all(layout.path(Folder::Catroot2)).unwrap();
    let copy = dir
        .path()
        .join("ProgramData")
        .join("wufix")
        .join("bin")
        .join("wufix.exe");
    fs::create_dir_all(copy.parent().unwrap()).unwrap();
    fs::write(&copy, b"MZ").unwrap();
    Machine_ {
        _dir: dir,
        layout,
        copy,
    }
}

fn reset(req: &ResetRequest, sys: &FakePlatform, at: &Machine_, printer: &Printer) -> Exit {
    super::reset::run(
        req,
        &Session::new(
            Machine::new(sys, &FakeClock::new()),
            &at.layout,
            Mode::Online,
            printer,
        ),
    )
}

fn cryptsvc() -> FakePlatform {
    FakePlatform::new()
        .service("cryptsvc", ServiceState::Running, StartType::Auto)
        .event_log()
}

#[test]
fn a_reset_that_changed_something_writes_one_success_event_with_its_summary_and_report() {
    let at = windows();
    let sys = cryptsvc();
    let printer = Printer::new(true);
    assert_eq!(reset(&request(false), &sys, &at, &printer), Exit::Ok);
    let events = sys.written_events();
    assert_eq!(events.len(), 1, "{events:?}");
    let event = &events[0];
    assert_eq!((event.source.as_str(), event.id), ("wufix", 1000));
    assert_eq!(event.level, EventLevel::Information);
    assert!(
        event.message.starts_with("wufix reset: "),
        "{}",
        event.message
    );
    assert!(
        event.message.contains("| exit 0 (success)"),
        "{}",
        event.message
    );
    let data: serde_json::Value = serde_json::from_slice(&event.data).unwrap();
    assert_eq!(data["command"], "reset");
    assert_eq!(data["exit_code"], 0);
    assert!(data["steps"].as_array().is_some_and(|s| !s.is_empty()));
    // Registered with the protected copy as its message file.
    let file = crate::sys::Platform::registry(&sys)
        .value(crate::eventlog::SOURCE_KEY, "EventMessageFile")
        .unwrap()
        .unwrap();
    assert_eq!(
        file,
        crate::sys::RegValue::expand_string(&at.copy.display().to_string())
    );
}

#[test]
fn a_dry_run_and_no_event_log_write_none() {
    let at = windows();
    let sys = cryptsvc();
    assert_eq!(
        reset(&request(true), &sys, &at, &Printer::new(true)),
        Exit::Ok
    );
    let quiet = Printer::new(true).with_output(Output {
        no_event_log: true,
        ..Output::default()
    });
    assert_eq!(reset(&request(false), &sys, &at, &quiet), Exit::Ok);
    assert!(
        sys.written_events().is_empty(),
        "{:?}",
        sys.written_events()
    );
    // The second run did change something: the event was turned off, not missed.
    assert!(!at.layout.path(Folder::Catroot2).exists());
}

#[test]
fn a_run_refused_for_safety_writes_a_refusal_and_a_busy_or_unelevated_run_writes_none() {
    let at = windows();
    let winsxs = at.layout.windows_dir.join("WinSxS");
    fs::create_dir_all(&winsxs).unwrap();
    fs::write(winsxs.join("pending.xml"), b"<xml/>").unwrap();
    let sys = cryptsvc();
    assert_eq!(
        reset(&request(false), &sys, &at, &Printer::new(true)),
        Exit::Refused
    );
    let events = sys.written_events();
    assert_eq!(events.iter().map(|e| e.id).collect::<Vec<_>>(), [1002]);
    assert_eq!(events[0].level, EventLevel::Warning);
    // Refused before the lock: wufix's folder was not secured, so nothing was registered
    // with a file in it.
    let registered = crate::sys::Platform::registry(&sys)
        .value(crate::eventlog::SOURCE_KEY, "EventMessageFile")
        .unwrap();
    assert_eq!(registered, None);
    fs::remove_file(winsxs.join("pending.xml")).unwrap();

    let busy = cryptsvc().locked();
    assert_eq!(
        reset(&request(false), &busy, &at, &Printer::new(true)),
        Exit::Failed
    );
    let unelevated = cryptsvc().not_elevated();
    assert_eq!(
        reset(&request(false), &unelevated, &at, &Printer::new(true)),
        Exit::NotElevated
    );
    assert!(busy.written_events().is_empty());
    assert!(unelevated.written_events().is_empty());
}

#[test]
fn a_log_that_refuses_the_event_is_a_warning_in_the_report_and_the_run_still_succeeds() {
    let at = windows();
    let sys = cryptsvc().events_fail();
    let printer = Printer::new(true);
    assert_eq!(reset(&request(false), &sys, &at, &printer), Exit::Ok);
    let (_, json) = printer.event_text(Exit::Ok);
    let doc: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(doc["ok"], true);
    let warnings = doc["warnings"].as_array().unwrap();
    assert!(
        warnings[0]
            .as_str()
            .unwrap()
            .contains("no event was written"),
        "{warnings:?}"
    );
}
