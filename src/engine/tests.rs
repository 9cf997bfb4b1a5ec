//! The engine against the fake platform and real temporary folders.

use std::fs;
use std::time::Duration;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::AtomicU64;

use super::*;
use crate::clock::FakeClock;
use crate::folders::Layout;
use crate::folders::backup;
use crate::folders::inventory::BackupEvent;
use crate::journal::Op as Entry;
use crate::request::{Location, Method, ResetRequest};
use crate::sys::fake::{FakePlatform, OnStop, SysKind};
use crate::sys::{ServiceState, StartType};

struct Machine {
    _dir: tempfile::TempDir,
    layout: Layout,
}

fn machine() -> Machine {
    let dir = tempfile::tempdir().unwrap();
    let layout = Layout::online(dir.path().join("Windows"));
    for folder in Folder::ALL {
        fs::create_dir_all(layout.path(folder)).unwrap();
        fs::write(layout.path(folder).join("data"), "x").unwrap();
    }
    Machine { _dir: dir, layout }
}

fn all_running() -> FakePlatform {
    ["wuauserv", "bits", "cryptsvc", "msiserver"]
        .iter()
        .fold(FakePlatform::new(), |sys, name| {
            sys.service(name, ServiceState::Running, StartType::Demand)
        })
}

fn request(method: Method, reboot: bool) -> ResetRequest {
    ResetRequest {
        location: Location::Online,
        method,
        folders: Folder::ALL.to_vec(),
        dry_run: false,
        assume_yes: true,
        timeout: Duration::from_secs(10),
        keep: 3,
        reboot,
        force: false,
        no_elevate: false,
        elevated_child: false,
    }
}

fn reset(m: &Machine, sys: &FakePlatform, req: &ResetRequest) -> ResetReport {
    let plan = Plan::build(req, &m.layout, sys, "2026-11-25T23:15:00Z".parse().unwrap());
    run(
        &plan,
        crate::machine::Machine::new(sys, &FakeClock::new()),
        &AtomicBool::new(false),
        &mut |_| {},
    )
}

/// Where the first record matching `is` stands in the report.
fn index(report: &ResetReport, is: impl Fn(&StepRecord) -> bool) -> usize {
    report
        .steps
        .iter()
        .position(is)
        .unwrap_or_else(|| panic!("no such record in {:#?}", report.steps))
}

fn outcome(report: &ResetReport, action: Action, target: &str) -> Outcome {
    record(report, action, target).outcome
}

fn record<'a>(report: &'a ResetReport, action: Action, target: &str) -> &'a StepRecord {
    report
        .steps
        .iter()
        .find(|r| r.action == action && r.target.ends_with(target))
        .unwrap_or_else(|| panic!("no {action:?} {target} in {:#?}", report.steps))
}

#[test]
fn the_services_to_stop_are_the_running_ones_only() {
    let m = machine();
    let sys = FakePlatform::new()
        .service("wuauserv", ServiceState::Running, StartType::Demand)
        .service("bits", ServiceState::Stopped, StartType::Demand)
        .service("cryptsvc", ServiceState::Running, StartType::Auto);
    let plan = Plan::build(
        &request(Method::Rename, false),
        &m.layout,
        &sys,
        "2026-11-25T23:15:00Z".parse().unwrap(),
    );
    // bits is stopped, msiserver, dosvc and usosvc are not installed.
    assert_eq!(plan.services_to_stop(), ["wuauserv", "cryptsvc"]);
}

#[test]
fn a_full_reset_stops_renames_then_starts_what_ran_before() {
    let m = machine();
    let sys = all_running();
    let report = reset(&m, &sys, &request(Method::Rename, false));
    assert!(report.ok, "{:#?}", report.steps);
    let actions: Vec<Action> = report.steps.iter().map(|r| r.action).collect();
    let last_stop = actions
        .iter()
        .rposition(|a| *a == Action::StopService)
        .unwrap();
    let first_rename = actions
        .iter()
        .position(|a| *a == Action::RenameFolder)
        .unwrap();
    let first_start = actions
        .iter()
        .position(|a| *a == Action::StartService)
        .unwrap();
    assert!(
        last_stop < first_rename && first_rename < first_start,
        "{actions:?}"
    );
    assert_eq!(
        outcome(&report, Action::StopService, "usosvc"),
        Outcome::Skipped
    );
    for name in ["wuauserv", "bits", "cryptsvc", "msiserver"] {
        assert_eq!(sys.state(name), ServiceState::Running);
    }
    assert!(!m.layout.path(Folder::Catroot2).exists());
    assert_eq!(report.backups.len(), 2);
    assert!(
        report.backups[0]
            .path
            .ends_with("SoftwareDistribution.wufix-20261125T231500Z.bak")
    );
    assert!(report.reboot_recommended);
}

#[test]
fn a_service_that_will_not_stop_protects_its_folder_and_the_rest_is_restored() {
    let m = machine();
    let sys = all_running().on_stop("cryptsvc", OnStop::Ignore);
    let report = reset(&m, &sys, &request(Method::Clear, true));
    assert!(!report.ok);
    assert_eq!(
        outcome(&report, Action::StopService, "cryptsvc"),
        Outcome::Failed
    );
    assert_eq!(
        outcome(&report, Action::ClearFolder, "catroot2"),
        Outcome::Skipped
    );
    assert!(m.layout.path(Folder::Catroot2).join("data").exists());
    assert_eq!(
        outcome(&report, Action::ClearFolder, "SoftwareDistribution"),
        Outcome::Done
    );
    assert_eq!(
        outcome(&report, Action::StartService, "cryptsvc"),
        Outcome::Skipped
    );
    assert_eq!(
        outcome(&report, Action::StartService, "bits"),
        Outcome::Done
    );
    assert!(report.message.contains("cryptsvc"), "{}", report.message);
    // --reboot never fires after a failure.
    assert_eq!(
        outcome(&report, Action::RestartWindows, "this computer"),
        Outcome::Skipped
    );
    assert_eq!(sys.restarts(), 0);
}

#[test]
fn restart_follows_a_successful_reset() {
    let m = machine();
    let sys = all_running();
    let report = reset(&m, &sys, &request(Method::Rename, true));
    assert!(report.ok);
    assert_eq!(sys.restarts(), 1);
}

#[test]
fn stopped_and_disabled_services_stay_as_they_were() {
    let m = machine();
    let sys = all_running()
        .service("wuauserv", ServiceState::Stopped, StartType::Disabled)
        .service("msiserver", ServiceState::Stopped, StartType::Demand);
    let report = reset(&m, &sys, &request(Method::Rename, false));
    assert!(report.ok);
    assert_eq!(sys.state("wuauserv"), ServiceState::Stopped);
    assert_eq!(sys.state("msiserver"), ServiceState::Stopped);
    assert!(
        !sys.requests()
            .iter()
            .any(|r| r.ends_with("wuauserv") || r.ends_with("msiserver"))
    );
}

#[test]
fn a_running_dependent_stops_first_and_starts_again() {
    let m = machine();
    let sys = all_running()
        .service("catdependent", ServiceState::Running, StartType::Demand)
        .dependent("cryptsvc", "catdependent");
    let report = reset(&m, &sys, &request(Method::Rename, false));
    assert!(report.ok, "{:#?}", report.steps);
    assert_eq!(
        outcome(&report, Action::StopService, "catdependent"),
        Outcome::Done
    );
    assert_eq!(
        outcome(&report, Action::StartService, "catdependent"),
        Outcome::Done
    );
    assert_eq!(sys.state("catdependent"), ServiceState::Running);
    // Whichever request arrived first, cryptsvc stopped: refused while its dependent ran, it
    // is asked again once the dependent has stopped.
    assert_eq!(
        outcome(&report, Action::StopService, "cryptsvc"),
        Outcome::Done
    );
    assert!(
        report
            .services
            .as_ref()
            .unwrap()
            .before
            .iter()
            .any(|s| s.name == "catdependent")
    );
}

#[test]
fn ctrl_c_after_the_stops_skips_the_folders_and_still_restores_the_services() {
    let m = machine();
    let sys = all_running();
    let req = request(Method::Clear, true);
    let plan = Plan::build(
        &req,
        &m.layout,
        &sys,
        "2026-11-25T23:15:00Z".parse().unwrap(),
    );
    let cancel = AtomicBool::new(false);
    // Ctrl+C arrives while the services are being stopped.
    let report = run(
        &plan,
        crate::machine::Machine::new(&sys, &FakeClock::new()),
        &cancel,
        &mut |record| {
            if record.action == Action::StopService {
                cancel.store(true, Ordering::SeqCst);
            }
        },
    );
    assert!(!report.ok);
    assert!(
        report.message.starts_with("Interrupted"),
        "{}",
        report.message
    );
    assert_eq!(
        outcome(&report, Action::ClearFolder, "catroot2"),
        Outcome::Skipped
    );
    assert!(m.layout.path(Folder::Catroot2).join("data").exists());
    assert!(
        m.layout
            .path(Folder::SoftwareDistribution)
            .join("data")
            .exists()
    );
    assert_eq!(
        outcome(&report, Action::RestartWindows, "this computer"),
        Outcome::Skipped
    );
    assert_eq!(sys.restarts(), 0);
    for name in ["wuauserv", "bits", "cryptsvc", "msiserver"] {
        assert_eq!(sys.state(name), ServiceState::Running, "{name}");
    }
}

#[test]
fn ctrl_c_before_anything_ran_changes_nothing() {
    let m = machine();
    let sys = all_running();
    let plan = Plan::build(
        &request(Method::Rename, false),
        &m.layout,
        &sys,
        "2026-11-25T23:15:00Z".parse().unwrap(),
    );
    let report = run(
        &plan,
        crate::machine::Machine::new(&sys, &FakeClock::new()),
        &AtomicBool::new(true),
        &mut |_| {},
    );
    assert!(!report.ok);
    assert!(sys.requests().is_empty(), "{:?}", sys.requests());
    assert_eq!(
        outcome(&report, Action::StartService, "bits"),
        Outcome::Skipped
    );
    assert_eq!(
        outcome(&report, Action::StopService, "bits"),
        Outcome::Skipped
    );
    assert!(m.layout.path(Folder::SoftwareDistribution).exists());
}

#[test]
fn a_guard_started_again_after_the_stops_is_stopped_again_before_its_folder() {
    let m = machine();
    let sys = all_running().revives("wuauserv", 1);
    let report = reset(&m, &sys, &request(Method::Rename, false));
    assert!(report.ok, "{:#?}", report.steps);
    let stops: Vec<&StepRecord> = report
        .steps
        .iter()
        .filter(|r| r.action == Action::StopService && r.target == "wuauserv")
        .collect();
    assert_eq!(stops.len(), 2);
    assert!(
        stops[1]
            .detail
            .starts_with("started again since (by a trigger or another service); stopped again"),
        "{}",
        stops[1].detail
    );
    assert_eq!(
        sys.requests()
            .iter()
            .filter(|r| *r == "stop wuauserv")
            .count(),
        2
    );
    // The rename came after the second stop, and wuauserv runs again at the end.
    assert!(
        index(&report, |r| std::ptr::eq(r, stops[1]))
            < index(&report, |r| r.action == Action::RenameFolder)
    );
    assert_eq!(sys.state("wuauserv"), ServiceState::Running);
}

#[test]
fn prune_runs_only_after_a_successful_rename() {
    let m = machine();
    let sd = m.layout.path(Folder::SoftwareDistribution).to_path_buf();
    for stamp in ["20200101T000000Z", "20210101T000000Z", "20220101T000000Z"] {
        fs::create_dir(sd.with_file_name(format!("SoftwareDistribution.wufix-{stamp}.bak")))
            .unwrap();
    }
    let sys = all_running().on_stop("bits", OnStop::Ignore);
    let report = reset(&m, &sys, &request(Method::Rename, false));
    assert_eq!(
        outcome(&report, Action::RenameFolder, "SoftwareDistribution"),
        Outcome::Skipped
    );
    assert_eq!(
        outcome(&report, Action::PruneBackups, "SoftwareDistribution"),
        Outcome::Skipped
    );
    assert_eq!(backup::list(&sd).unwrap().len(), 3);
}

fn run_with(
    m: &Machine,
    sys: &FakePlatform,
    req: &ResetRequest,
    on_record: &mut dyn FnMut(&StepRecord),
) -> ResetReport {
    let plan = Plan::build(req, &m.layout, sys, "2026-11-25T23:15:00Z".parse().unwrap());
    run(
        &plan,
        crate::machine::Machine::new(sys, &FakeClock::new()),
        &AtomicBool::new(false),
        on_record,
    )
}

#[test]
fn a_file_held_open_is_reported_with_who_holds_it_and_a_failed_lookup_changes_nothing() {
    let held = |code| {
        let mut record = StepRecord::new(
            Action::ClearFolder,
            "C:\\Windows\\SoftwareDistribution",
            Outcome::Failed,
            "removed 3 entries; 1 could not be removed",
        );
        record.errors.push(EntryError {
            path: "C:\\Windows\\SoftwareDistribution\\DataStore\\DataStore.edb".into(),
            error: "in use".into(),
            code: Some(code),
        });
        record
    };
    let defender = Holder {
        pid: 3120,
        name: "Microsoft Defender Antivirus Service".into(),
        service: Some("WinDefend".into()),
    };
    let sys = FakePlatform::new().held_by(
        Path::new("C:\\Windows\\SoftwareDistribution\\DataStore\\DataStore.edb"),
        defender.clone(),
    );
    let named = name_holders(held(32), &sys);
    assert_eq!(named.holders, [defender]);
    assert!(
        named.detail.ends_with(
            "; held by Microsoft Defender Antivirus Service (pid 3120, service WinDefend)"
        ),
        "{}",
        named.detail
    );
    // Not a "held" error (file not found): nobody is asked.
    assert_eq!(name_holders(held(2), &sys), held(2));
    // Nobody found, or the lookup fails (Wine's stub, offline): the plain error stands.
    assert_eq!(name_holders(held(32), &FakePlatform::new()), held(32));
    let offline = crate::sys::offline::Offline::new(PathBuf::from("w"));
    assert_eq!(name_holders(held(33), &offline), held(33));
}

/// A meter that writes down what it was told.
#[derive(Default)]
struct Recorded {
    events: std::sync::Mutex<Vec<String>>,
    counters: std::sync::Mutex<Vec<(u64, Arc<AtomicU64>)>>,
}

impl Meter for Recorded {
    fn services(&self, verb: &str, pending: &[&str]) {
        let event = format!("{verb} {}", pending.join(","));
        let mut events = self.events.lock().unwrap();
        if events.last() != Some(&event) {
            events.push(event);
        }
    }
    fn watching(&self) -> bool {
        true
    }
    fn clearing(&self, folder: &Path, total: u64, removed: Arc<AtomicU64>) {
        let name = folder.file_name().unwrap().to_string_lossy();
        self.events
            .lock()
            .unwrap()
            .push(format!("clearing {name} of {total}"));
        self.counters.lock().unwrap().push((total, removed));
    }
    fn done(&self) {
        self.events.lock().unwrap().push("done".into());
    }
}

/// A journal in memory; it can refuse to write one kind of change.
#[derive(Default)]
struct Notes {
    lines: Vec<String>,
    refuse: Option<&'static str>,
}

impl Recorder for Notes {
    fn intent(&mut self, change: &Entry) -> Result<(), String> {
        let text = format!("{change:?}");
        if self.refuse.is_some_and(|r| text.starts_with(r)) {
            return Err("the disk is full".into());
        }
        self.lines.push(format!("intent {text}"));
        Ok(())
    }
    fn outcome(&mut self, change: &Entry, ok: bool, _detail: &str) {
        self.lines.push(format!("outcome {ok} {change:?}"));
    }
}

fn journaled(m: &Machine, sys: &FakePlatform, notes: &mut Notes) -> ResetReport {
    let plan = Plan::build(
        &request(Method::Rename, false),
        &m.layout,
        sys,
        "2026-11-25T23:15:00Z".parse().unwrap(),
    );
    run_hooked(
        &plan,
        crate::machine::Machine::new(sys, &FakeClock::new()),
        &AtomicBool::new(false),
        Hooks {
            progress: &mut |_| {},
            meter: &Quiet,
            journal: notes,
        },
    )
}

#[test]
fn every_change_is_written_down_before_it_is_made_and_its_outcome_after() {
    let m = machine();
    let sys = all_running();
    let mut notes = Notes::default();
    let report = journaled(&m, &sys, &mut notes);
    assert!(report.ok);
    let lines = &notes.lines;
    let at = |prefix: &str| {
        lines
            .iter()
            .position(|l| l.starts_with(prefix))
            .unwrap_or_else(|| panic!("no {prefix:?} in {lines:#?}"))
    };
    for name in ["wuauserv", "bits", "cryptsvc", "msiserver"] {
        let stop = format!("StopService {{ name: \"{name}\" }}");
        assert!(at(&format!("intent {stop}")) < at(&format!("outcome true {stop}")));
        let start = format!("StartService {{ name: \"{name}\" }}");
        assert!(at(&format!("outcome true {stop}")) < at(&format!("intent {start}")));
        assert!(at(&format!("intent {start}")) < at(&format!("outcome true {start}")));
    }
    let rename = at("intent Rename { folder: SoftwareDistribution");
    assert!(at("outcome true StopService { name: \"wuauserv\" }") < rename);
    assert!(rename < at("outcome true Rename { folder: SoftwareDistribution"));
}

#[test]
fn a_change_the_journal_cannot_record_is_not_made() {
    let m = machine();
    let sys = all_running();
    let mut notes = Notes {
        refuse: Some("Rename"),
        ..Notes::default()
    };
    let report = journaled(&m, &sys, &mut notes);
    assert!(!report.ok);
    for folder in Folder::ALL {
        assert!(
            m.layout.path(folder).join("data").exists(),
            "{folder:?} untouched"
        );
    }
    let failed = report
        .steps
        .iter()
        .find(|s| s.action == Action::RenameFolder)
        .unwrap();
    assert_eq!(failed.outcome, Outcome::Failed);
    assert!(
        failed.detail.contains("the disk is full"),
        "{}",
        failed.detail
    );
    // The services still come back.
    assert_eq!(sys.state("wuauserv"), ServiceState::Running);

    // A stop it cannot record is not sent: that service keeps running, its folder untouched.
    let m = machine();
    let sys = all_running();
    let mut notes = Notes {
        refuse: Some("StopService { name: \"cryptsvc\""),
        ..Notes::default()
    };
    journaled(&m, &sys, &mut notes);
    assert!(
        !sys.requests().iter().any(|r| r.contains("stop cryptsvc")),
        "{:?}",
        sys.requests()
    );
    assert!(m.layout.path(Folder::Catroot2).join("data").exists());
}

#[test]
fn a_person_watching_sees_the_services_still_on_their_way_and_every_entry_cleared() {
    let m = machine();
    let sd = m.layout.path(Folder::SoftwareDistribution);
    fs::create_dir_all(sd.join("Download/a")).unwrap();
    fs::write(sd.join("Download/a/f.cab"), "x").unwrap();
    // cryptsvc takes a few polls to stop: the others are done before it.
    let sys = all_running().on_stop(
        "cryptsvc",
        OnStop::Pending {
            polls: 3,
            wait_hint: Duration::from_millis(100),
        },
    );
    let plan = Plan::build(
        &request(Method::Clear, false),
        &m.layout,
        &sys,
        "2026-11-25T23:15:00Z".parse().unwrap(),
    );
    let meter = Recorded::default();
    run_hooked(
        &plan,
        crate::machine::Machine::new(&sys, &FakeClock::new()),
        &AtomicBool::new(false),
        Hooks {
            progress: &mut |_| {},
            meter: &meter,
            journal: &mut Unrecorded,
        },
    );
    let events = meter.events.lock().unwrap().clone();
    let first = events.first().unwrap();
    assert!(
        first.starts_with("stopping ") && first.contains("cryptsvc"),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e == "stopping cryptsvc"),
        "the names shrink to the one still stopping: {events:?}"
    );
    // SoftwareDistribution: data, Download, Download/a, Download/a/f.cab.
    assert!(
        events.contains(&"clearing SoftwareDistribution of 4".to_string()),
        "{events:?}"
    );
    assert!(
        events.iter().any(|e| e.starts_with("starting ")),
        "{events:?}"
    );
    assert_eq!(events.last().unwrap(), "done");
    for (total, removed) in meter.counters.lock().unwrap().iter() {
        assert_eq!(
            removed.load(Ordering::Relaxed),
            *total,
            "every counted entry removed"
        );
    }
}

#[test]
fn a_guard_stopped_at_the_start_and_started_since_is_stopped_before_its_folder() {
    let m = machine();
    // wuauserv is trigger-started: stopped at the snapshot, running by the time of the clear.
    let sys = all_running().service("wuauserv", ServiceState::Stopped, StartType::Demand);
    let mut req = request(Method::Clear, false);
    req.folders = vec![Folder::SoftwareDistribution];
    let mut started_it = false;
    let report = run_with(&m, &sys, &req, &mut |record| {
        if record.action == Action::StopService && !started_it {
            started_it = true;
            sys.set_state("wuauserv", ServiceState::Running);
        }
    });
    assert!(report.ok, "{:#?}", report.steps);
    let stops: Vec<&StepRecord> = report
        .steps
        .iter()
        .filter(|r| r.action == Action::StopService && r.target == "wuauserv")
        .collect();
    assert_eq!(stops.len(), 2, "{:#?}", report.steps);
    assert!(
        stops[1].detail.contains("started since"),
        "{}",
        stops[1].detail
    );
    assert!(
        index(&report, |r| std::ptr::eq(r, stops[1]))
            < index(&report, |r| r.action == Action::ClearFolder)
    );
    // It was stopped before the reset, so it is left stopped: exactly as it was.
    assert_eq!(sys.state("wuauserv"), ServiceState::Stopped);
    assert!(!sys.requests().contains(&"start wuauserv".to_string()));
}

#[test]
fn a_start_pending_guard_at_the_folder_is_stopped_once_it_runs() {
    let m = machine();
    let sys = all_running();
    let mut req = request(Method::Clear, false);
    req.folders = vec![Folder::Catroot2];
    let mut done = false;
    let report = run_with(&m, &sys, &req, &mut |record| {
        if record.action == Action::StopService && !done {
            done = true;
            sys.set_state("cryptsvc", ServiceState::StartPending);
        }
    });
    assert!(report.ok, "{:#?}", report.steps);
    assert_eq!(
        sys.requests()
            .iter()
            .filter(|r| *r == "stop cryptsvc")
            .count(),
        2
    );
    assert_eq!(sys.state("cryptsvc"), ServiceState::Running);
}

#[test]
fn a_launch_protected_hard_guard_is_never_sent_stop_and_its_folder_stays() {
    let m = machine();
    let sys = all_running().protected("cryptsvc");
    let report = reset(&m, &sys, &request(Method::Clear, false));
    assert!(!report.ok);
    let stop = record(&report, Action::StopService, "cryptsvc");
    assert_eq!(stop.outcome, Outcome::Failed);
    assert!(stop.detail.contains("launch-protected"), "{}", stop.detail);
    assert!(!sys.requests().iter().any(|r| r.ends_with("cryptsvc")));
    assert_eq!(
        outcome(&report, Action::ClearFolder, "catroot2"),
        Outcome::Skipped
    );
    assert!(m.layout.path(Folder::Catroot2).join("data").exists());
    assert_eq!(
        outcome(&report, Action::ClearFolder, "SoftwareDistribution"),
        Outcome::Done
    );
}

#[test]
fn a_protected_dependent_keeps_cryptsvc_running_and_the_report_says_so() {
    let m = machine();
    let sys = all_running()
        .service("appidsvc", ServiceState::Running, StartType::Demand)
        .dependent("cryptsvc", "appidsvc");
    // AppIDSvc is never stopped, whatever its protection query says (it answered "none" here).
    let report = reset(&m, &sys, &request(Method::Rename, false));
    assert!(!report.ok);
    let crypt = record(&report, Action::StopService, "cryptsvc");
    assert_eq!(crypt.outcome, Outcome::Failed);
    assert!(
        crypt.detail.contains("appidsvc") && crypt.detail.contains("launch-protected"),
        "{}",
        crypt.detail
    );
    assert!(
        !sys.requests()
            .iter()
            .any(|r| r.ends_with("cryptsvc") || r.ends_with("appidsvc")),
        "{:?}",
        sys.requests()
    );
    assert!(m.layout.path(Folder::Catroot2).exists());
    assert!(!m.layout.path(Folder::SoftwareDistribution).exists());
    assert!(report.message.contains("appidsvc"), "{}", report.message);
}

#[test]
fn a_best_effort_guard_that_refuses_does_not_keep_its_folder() {
    let m = machine();
    let sys = all_running()
        .service("usosvc", ServiceState::Running, StartType::Auto)
        .refuse_stop("usosvc", SysKind::AccessDenied);
    let report = reset(&m, &sys, &request(Method::Rename, false));
    assert!(report.ok, "{:#?}", report.steps);
    let uso = record(&report, Action::StopService, "usosvc");
    assert_eq!(uso.outcome, Outcome::Skipped);
    assert!(
        uso.detail.contains("access denied") && uso.detail.contains("still attempted"),
        "{}",
        uso.detail
    );
    assert_eq!(
        outcome(&report, Action::RenameFolder, "SoftwareDistribution"),
        Outcome::Done
    );
    // Asked once: access denied is final.
    assert_eq!(
        sys.requests()
            .iter()
            .filter(|r| *r == "stop usosvc")
            .count(),
        1
    );
}

#[test]
fn a_hard_guard_denied_keeps_its_folder_and_is_asked_only_once() {
    let m = machine();
    let sys = all_running().refuse_stop("bits", SysKind::AccessDenied);
    let report = reset(&m, &sys, &request(Method::Clear, false));
    assert!(!report.ok);
    let bits = record(&report, Action::StopService, "bits");
    assert_eq!(bits.outcome, Outcome::Failed);
    assert!(bits.detail.contains("access denied"), "{}", bits.detail);
    assert_eq!(
        outcome(&report, Action::ClearFolder, "SoftwareDistribution"),
        Outcome::Skipped
    );
    assert!(
        m.layout
            .path(Folder::SoftwareDistribution)
            .join("data")
            .exists()
    );
    assert_eq!(
        sys.requests().iter().filter(|r| *r == "stop bits").count(),
        1
    );
}

#[test]
fn the_backup_just_made_survives_a_later_stamped_one_and_the_dry_run_said_so() {
    let m = machine();
    let sd = m.layout.path(Folder::SoftwareDistribution).to_path_buf();
    // Made by a machine whose clock was ahead (or local time read as UTC).
    let future = sd.with_file_name("SoftwareDistribution.wufix-20991231T000000Z.bak");
    fs::create_dir(&future).unwrap();
    let sys = all_running();
    let mut req = request(Method::Rename, false);
    req.keep = 1;
    let plan = Plan::build(
        &req,
        &m.layout,
        &sys,
        "2026-11-25T23:15:00Z".parse().unwrap(),
    );
    let planned = plan
        .describe()
        .into_iter()
        .find(|r| r.action == Action::PruneBackups && r.target.ends_with("SoftwareDistribution"))
        .unwrap();
    assert_eq!(planned.outcome, Outcome::Planned);
    assert!(
        planned.detail.contains("20991231T000000Z"),
        "{}",
        planned.detail
    );
    let report = run(
        &plan,
        crate::machine::Machine::new(&sys, &FakeClock::new()),
        &AtomicBool::new(false),
        &mut |_| {},
    );
    assert!(report.ok, "{:#?}", report.steps);
    let left = backup::list(&sd).unwrap();
    assert_eq!(left.len(), 1);
    assert!(
        left[0]
            .path
            .ends_with("SoftwareDistribution.wufix-20261125T231500Z.bak")
    );
    assert!(
        left[0].path.join("data").exists(),
        "the new backup keeps the data"
    );
    let pruned: Vec<&str> = report
        .backups
        .iter()
        .filter(|b| b.event == BackupEvent::Pruned)
        .map(|b| b.path.as_str())
        .collect();
    assert_eq!(pruned, [future.display().to_string()]);
}

#[test]
fn three_resets_in_one_second_keep_the_newest() {
    let m = machine();
    let sys = all_running();
    let mut req = request(Method::Rename, false);
    req.folders = vec![Folder::Catroot2];
    req.keep = 1;
    let cat = m.layout.path(Folder::Catroot2).to_path_buf();
    for round in 0..3 {
        fs::create_dir_all(&cat).unwrap();
        fs::write(cat.join("round"), round.to_string()).unwrap();
        let report = reset(&m, &sys, &req);
        assert!(report.ok, "{:#?}", report.steps);
    }
    let left = backup::list(&cat).unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(fs::read_to_string(left[0].path.join("round")).unwrap(), "2");
}

/// A clock that sets the interrupt flag at its `after`-th sleep: a console close arriving in the
/// middle of a wait.
struct CloseDuringWait<'a> {
    fake: FakeClock,
    flag: &'a AtomicBool,
    sleeps: std::sync::atomic::AtomicU32,
    after: u32,
}

impl crate::clock::Clock for CloseDuringWait<'_> {
    fn now(&self) -> std::time::Instant {
        self.fake.now()
    }
    fn sleep(&self, duration: Duration) {
        if self.sleeps.fetch_add(1, Ordering::SeqCst) + 1 == self.after {
            self.flag.store(true, Ordering::SeqCst);
        }
        self.fake.sleep(duration);
    }
}

#[test]
fn a_close_during_a_long_stop_wait_abandons_it_and_starts_what_was_stopped() {
    let m = machine();
    // cryptsvc stays stop-pending for a long time: the wait would last until --timeout.
    let sys = all_running().on_stop(
        "cryptsvc",
        OnStop::Pending {
            polls: 100_000,
            wait_hint: Duration::from_secs(30),
        },
    );
    let plan = Plan::build(
        &request(Method::Rename, false),
        &m.layout,
        &sys,
        "2026-11-25T23:15:00Z".parse().unwrap(),
    );
    let cancel = AtomicBool::new(false);
    let clock = CloseDuringWait {
        fake: FakeClock::new(),
        flag: &cancel,
        sleeps: Default::default(),
        after: 3,
    };
    let report = run(
        &plan,
        crate::machine::Machine::new(&sys, &clock),
        &cancel,
        &mut |_| {},
    );
    assert!(!report.ok);
    // The wait for it to stop is abandoned at the close (the time left goes to starting the
    // others), not run out to the 60-second deadline.
    assert!(
        report.steps.iter().any(|r| r.action == Action::StopService
            && r.detail.contains("interrupted while it was stopping")),
        "{:#?}",
        report.steps
    );
    assert!(
        clock.fake.elapsed() < Duration::from_secs(30),
        "{:?}",
        clock.fake.elapsed()
    );
    assert!(
        m.layout
            .path(Folder::SoftwareDistribution)
            .join("data")
            .exists(),
        "no folder was touched"
    );
    for name in ["wuauserv", "bits", "msiserver"] {
        assert_eq!(sys.state(name), ServiceState::Running, "{name}");
    }
}

#[test]
fn a_close_during_a_clear_stops_before_the_next_entry_and_starts_the_services() {
    let m = machine();
    let sd = m.layout.path(Folder::SoftwareDistribution).to_path_buf();
    for i in 0..200 {
        fs::write(sd.join(format!("f{i}")), "x").unwrap();
    }
    let sys = all_running();
    let plan = Plan::build(
        &request(Method::Clear, false),
        &m.layout,
        &sys,
        "2026-11-25T23:15:00Z".parse().unwrap(),
    );
    let cancel = AtomicBool::new(false);
    // The interrupt arrives as the clear begins: it stops before the next entry.
    let report = run_hooked(
        &plan,
        crate::machine::Machine::new(&sys, &FakeClock::new()),
        &cancel,
        Hooks {
            progress: &mut |_| {},
            meter: &FirstEntryCloses(&cancel),
            journal: &mut Unrecorded,
        },
    );
    assert!(!report.ok);
    let left = fs::read_dir(&sd).unwrap().count();
    assert!(left > 150, "the clear stopped early: {left} entries left");
    for name in ["wuauserv", "bits", "cryptsvc", "msiserver"] {
        assert_eq!(sys.state(name), ServiceState::Running, "{name}");
    }
}

/// A meter that sets the interrupt flag as a clear begins: a console close arriving then.
struct FirstEntryCloses<'a>(&'a AtomicBool);

impl crate::progress::Meter for FirstEntryCloses<'_> {
    fn watching(&self) -> bool {
        true
    }
    fn clearing(&self, _folder: &Path, _total: u64, _removed: Arc<AtomicU64>) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[test]
fn msiserver_that_will_not_stop_does_not_fail_the_reset() {
    let m = machine();
    let sys = all_running().refuse_stop("msiserver", SysKind::AccessDenied);
    let report = reset(&m, &sys, &request(Method::Rename, false));
    assert!(report.ok, "{:#?}", report.steps);
    assert_eq!(
        outcome(&report, Action::StopService, "msiserver"),
        Outcome::Skipped
    );
    assert_eq!(
        outcome(&report, Action::RenameFolder, "catroot2"),
        Outcome::Done
    );
}

/// A reset of `m` on `sys`, interrupted at the `sleeps`-th wait.
fn interrupted_after(m: &Machine, sys: &FakePlatform, sleeps: u32) -> crate::report::ResetReport {
    let plan = Plan::build(
        &request(Method::Rename, false),
        &m.layout,
        sys,
        "2026-11-25T23:15:00Z".parse().unwrap(),
    );
    let cancel = AtomicBool::new(false);
    let clock = CloseDuringWait {
        fake: FakeClock::new(),
        flag: &cancel,
        sleeps: Default::default(),
        after: sleeps,
    };
    run(
        &plan,
        crate::machine::Machine::new(sys, &clock),
        &cancel,
        &mut |_| {},
    )
}

/// The start step of `name` in `report`.
fn started<'r>(report: &'r crate::report::ResetReport, name: &str) -> &'r StepRecord {
    report
        .steps
        .iter()
        .find(|r| r.action == Action::StartService && r.target == name)
        .unwrap_or_else(|| panic!("{:#?}", report.steps))
}

/// Interrupted while a busy handler was still taking STOP (the service still running): that
/// stop lands after the interrupt, so the start pass waits for its answer instead of taking
/// "running" for "running" — and starts the service once it has stopped. (Wine's slow cryptsvc
/// showed it: the run said "already running", then cryptsvc stopped and stayed stopped.)
#[test]
fn a_stop_that_lands_after_the_interrupt_is_waited_for_and_the_service_started_again() {
    let m = machine();
    let sys = all_running().stops_late("cryptsvc", 50);
    let report = interrupted_after(&m, &sys, 3);
    let start = started(&report, "cryptsvc");
    assert_eq!(start.outcome, Outcome::Done, "{start:#?}");
    // Time goes on: no stop is left to land.
    for _ in 0..60 {
        let _ = crate::sys::Platform::service_status(&sys, "cryptsvc");
    }
    assert_eq!(sys.state("cryptsvc"), ServiceState::Running);
    for name in ["wuauserv", "bits", "msiserver"] {
        assert_eq!(sys.state(name), ServiceState::Running, "{name}");
    }
}

/// The same, with a handler that answers STOP at once and only signals its worker: the service
/// says "running" a moment longer (Wine's test service, and many real ones). An accepted stop
/// is given a moment to show before "running" is believed.
#[test]
fn an_accepted_stop_still_running_at_the_interrupt_is_started_again_once_stopped() {
    let m = machine();
    let sys = all_running().accepts_then_stops("cryptsvc", 5);
    let report = interrupted_after(&m, &sys, 2);
    let start = started(&report, "cryptsvc");
    assert_eq!(start.outcome, Outcome::Done, "{:#?}", report.steps);
    for _ in 0..60 {
        let _ = crate::sys::Platform::service_status(&sys, "cryptsvc");
    }
    assert_eq!(sys.state("cryptsvc"), ServiceState::Running);
}
