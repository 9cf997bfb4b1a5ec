//! The skeleton through `reset`, against the fake platform: rights, the lock, recovery first.
use std::fs;
use std::time::Duration;

use super::rights::{Relaunch, without_rights};
use super::session::Session;
use crate::catalog::Folder;
use crate::clock::{Clock, FakeClock};
use crate::exit::Exit;
use crate::folders::Layout;
use crate::journal;
use crate::machine::{Machine, Mode};
use crate::printer::Printer;
use crate::recovery;
use crate::request::{Location, Method, ResetRequest};
use crate::sys::fake::FakePlatform;
use crate::sys::{Platform, ServiceState, StartType};

/// `wufix reset` of `layout` on `sys`, as the dispatch runs it.
fn reset_on(
    req: &ResetRequest,
    sys: &dyn Platform,
    layout: &Layout,
    printer: &Printer,
    clock: &dyn Clock,
) -> Exit {
    let mode = match req.location {
        Location::Online => Mode::Online,
        Location::Offline(_) => Mode::Offline,
    };
    super::reset::run(
        req,
        &Session::new(Machine::new(sys, clock), layout, mode, printer),
    )
}

/// What a reset asks of an elevated copy.
fn relaunch(req: &ResetRequest) -> Relaunch {
    Relaunch {
        command: "reset",
        args: req.to_args(),
        no_elevate: req.no_elevate,
        elevated_child: req.elevated_child,
    }
}

pub(super) fn clear_catroot2() -> ResetRequest {
    ResetRequest {
        location: Location::Online,
        method: Method::Clear,
        folders: vec![Folder::Catroot2],
        dry_run: false,
        assume_yes: true,
        timeout: Duration::from_secs(5),
        keep: 3,
        reboot: false,
        force: false,
        no_elevate: false,
        elevated_child: false,
    }
}

#[test]
fn without_administrator_rights_nothing_is_touched_and_the_exit_code_is_3() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::online(dir.path().join("Windows"));
    fs::create_dir_all(layout.path(Folder::Catroot2)).unwrap();
    let sys = FakePlatform::new()
        .service("cryptsvc", ServiceState::Running, StartType::Auto)
        .not_elevated();
    let exit = reset_on(
        &clear_catroot2(),
        &sys,
        &layout,
        &Printer::new(true),
        &FakeClock::new(),
    );
    assert_eq!(exit, Exit::NotElevated);
    assert!(layout.path(Folder::Catroot2).exists());
    assert!(sys.requests().is_empty(), "{:?}", sys.requests());
}

#[test]
fn without_rights_a_person_is_asked_through_an_elevated_copy_and_nobody_else_is() {
    let unelevated = || {
        FakePlatform::new()
            .service("cryptsvc", ServiceState::Running, StartType::Auto)
            .not_elevated()
    };
    let text = Printer::new(false);
    // A person at a console: one elevated copy, whose exit code becomes ours.
    for (code, exit) in [(0, Exit::Ok), (1, Exit::Failed), (4, Exit::Refused)] {
        let sys = unelevated().elevated_copy_exits_with(code);
        assert_eq!(
            without_rights(&relaunch(&clear_catroot2()), &sys, &text, true),
            exit
        );
        let relaunches = sys.relaunches();
        assert_eq!(relaunches.len(), 1);
        // The same reset, marked as the elevated copy, with a file for its report.
        assert_eq!(
            relaunches[0][..6],
            [
                "reset",
                "--method",
                "clear",
                "--only",
                "catroot2",
                "--timeout"
            ]
        );
        assert!(relaunches[0].ends_with(&["--elevated-child".to_string()]));
        assert!(sys.requests().is_empty(), "this process touches nothing");
    }
    // The prompt declined: exit 3, nothing touched, not asked again.
    let sys = unelevated();
    assert_eq!(
        without_rights(&relaunch(&clear_catroot2()), &sys, &text, true),
        Exit::NotElevated
    );
    assert_eq!(sys.relaunches().len(), 1);
    // Nobody to answer a prompt, or told not to, or already the elevated copy: exit 3 at once.
    let mut no_elevate = clear_catroot2();
    no_elevate.no_elevate = true;
    let mut child = clear_catroot2();
    child.elevated_child = true;
    let cases = [
        (clear_catroot2(), Printer::new(true), true),
        (clear_catroot2(), Printer::new(false), false),
        (no_elevate, Printer::new(false), true),
        (child, Printer::new(false), true),
    ];
    for (req, printer, can_ask) in cases {
        let sys = unelevated().elevated_copy_exits_with(0);
        assert_eq!(
            without_rights(&relaunch(&req), &sys, &printer, can_ask),
            Exit::NotElevated
        );
        assert!(sys.relaunches().is_empty(), "{req:?}");
    }
}

/// A journal as a reset killed mid-way leaves it: `service` (running before) stopped.
fn killed_run(layout: &Layout, service: &str) -> journal::Store {
    let store = journal::Store::for_windows(&layout.windows_dir, Mode::Online);
    let mut journal = store
        .create(journal::Start {
            version: journal::VERSION,
            started: "2026-11-26T10:00:00Z".into(),
            command: "reset".into(),
            mode: Mode::Online,
            windows_dir: layout.windows_dir.display().to_string(),
            pid: 1,
            services_before: vec![journal::ServiceBefore {
                name: service.into(),
                state: Some(ServiceState::Running),
                start_type: Some(StartType::Demand),
            }],
            undoes: None,
            process_started: None,
            recovers: Vec::new(),
            machine: None,
        })
        .unwrap();
    let stop = journal::Op::StopService {
        name: service.into(),
    };
    journal
        .write(&journal::Record::Intent {
            change: stop.clone(),
        })
        .unwrap();
    journal
        .write(&journal::Record::Outcome {
            change: stop,
            ok: true,
            detail: String::new(),
        })
        .unwrap();
    store
}

#[test]
fn a_killed_run_is_shown_and_the_next_reset_starts_what_it_left_stopped_first() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::online(dir.path().join("Windows"));
    fs::create_dir_all(layout.path(Folder::Catroot2)).unwrap();
    let store = killed_run(&layout, "wuauserv");
    let sys = FakePlatform::new()
        .service("wuauserv", ServiceState::Stopped, StartType::Demand)
        .service("cryptsvc", ServiceState::Running, StartType::Auto);

    let view = recovery::view(&store, &sys, Mode::Online, layout.root());
    let interrupted = view.interrupted.expect("shown as interrupted");
    assert_eq!(interrupted.services_stopped, ["wuauserv"]);
    assert_eq!(view.last_run.unwrap().outcome, "interrupted");

    let exit = reset_on(
        &clear_catroot2(),
        &sys,
        &layout,
        &Printer::new(true),
        &FakeClock::new(),
    );
    assert_eq!(exit, Exit::Ok);
    // Recovery came first, before any stop.
    assert_eq!(sys.requests()[0], "start wuauserv", "{:?}", sys.requests());
    assert_eq!(sys.state("wuauserv"), ServiceState::Running);
    // The killed run is marked recovered; this run finished.
    let listing = store.read().unwrap();
    assert!(listing.runs.iter().all(|r| !r.interrupted()));
    assert_eq!(
        recovery::view(&store, &sys, Mode::Online, layout.root())
            .last_run
            .unwrap()
            .outcome,
        "finished"
    );
}

#[test]
fn a_journal_cannot_make_recovery_start_a_service_wufix_does_not_manage() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::online(dir.path().join("Windows"));
    let store = killed_run(&layout, "RemoteRegistry");
    let sys =
        FakePlatform::new().service("RemoteRegistry", ServiceState::Stopped, StartType::Demand);
    let listing = store.read().unwrap();
    let steps = recovery::recover(
        &store,
        &listing,
        Machine::new(&sys, &FakeClock::new()),
        Mode::Online,
        Duration::from_secs(5),
        "reset",
    );
    // Named once as not wufix's to start, and never started.
    assert!(
        steps
            .iter()
            .all(|s| s.outcome == crate::record::Outcome::Skipped),
        "{steps:?}"
    );
    assert!(sys.requests().is_empty(), "{:?}", sys.requests());
}

#[test]
fn a_lock_held_for_an_instant_by_a_status_run_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::online(dir.path().join("Windows"));
    fs::create_dir_all(layout.path(Folder::Catroot2)).unwrap();
    let sys = FakePlatform::new()
        .service("cryptsvc", ServiceState::Running, StartType::Auto)
        .locked_for(3);
    let exit = reset_on(
        &clear_catroot2(),
        &sys,
        &layout,
        &Printer::new(true),
        &FakeClock::new(),
    );
    assert_eq!(exit, Exit::Ok);
}

#[test]
fn while_another_reset_runs_nothing_is_touched_and_the_exit_code_is_1() {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::online(dir.path().join("Windows"));
    fs::create_dir_all(layout.path(Folder::Catroot2)).unwrap();
    let sys = FakePlatform::new()
        .service("cryptsvc", ServiceState::Running, StartType::Auto)
        .locked();
    let mut req = clear_catroot2();
    let exit = reset_on(&req, &sys, &layout, &Printer::new(true), &FakeClock::new());
    assert_eq!(exit, Exit::Failed);
    assert!(layout.path(Folder::Catroot2).exists());
    assert!(sys.requests().is_empty(), "{:?}", sys.requests());
    // A dry run needs no lock.
    req.dry_run = true;
    assert_eq!(
        reset_on(&req, &sys, &layout, &Printer::new(true), &FakeClock::new()),
        Exit::Ok
    );
}
