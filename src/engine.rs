//! Runs a plan: the only place that sequences side effects. Every step ends in a record; a
//! failing step never ends the run early, so the services stopped at the start are always started
//! again at the end.

use std::fs;
use std::io;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};

use crate::catalog::Folder;
use crate::clock::Clock;
use crate::folders::backup;
use crate::folders::remove::{self, Failure};
use crate::plan::{self, Change, FolderStep, Plan, ServiceActionKind, Step};
use crate::report::{
    BackupEvent, BackupRecord, EntryError, Outcome, ResetReport, ServicesReport, StepRecord, count,
};
use crate::services;
use crate::sys::Platform;

/// Run `plan`, telling `progress` about each record as it is made. Once `cancel` is set (Ctrl+C),
/// every step still to come is skipped except starting the services again.
pub fn run(
    plan: &Plan,
    sys: &dyn Platform,
    clock: &dyn Clock,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&StepRecord),
) -> ResetReport {
    let mut run = Run {
        plan,
        sys,
        clock,
        records: Vec::new(),
        backups: Vec::new(),
        not_stopped: Vec::new(),
        stopped: Vec::new(),
        renamed: Vec::new(),
        progress,
    };
    let mut interrupted = false;
    for step in &plan.steps {
        interrupted |= cancel.load(Ordering::SeqCst);
        if interrupted && !matches!(step, Step::StartServices(_)) {
            for mut record in step.describe() {
                record.outcome = Outcome::Skipped;
                record.detail =
                    "interrupted (Ctrl+C) before this step; nothing was changed".to_string();
                run.push(record);
            }
            continue;
        }
        match step {
            Step::StopServices(actions) => run.stop_services(actions),
            Step::Folder(folder) => run.folder(folder),
            Step::PruneBackups { folder, path, keep } => run.prune(*folder, path, *keep),
            Step::StartServices(names) => run.start_services(names),
            Step::RestartWindows => run.restart_windows(),
        }
    }
    let after = if plan.online {
        let names: Vec<String> = plan
            .services_before
            .iter()
            .map(|s| s.name.clone())
            .collect();
        services::snapshot(sys, &names)
    } else {
        Vec::new()
    };
    let ok = !interrupted && run.records.iter().all(|r| r.outcome != Outcome::Failed);
    let reboot_recommended = run
        .records
        .iter()
        .any(|r| matches!(r.action, plan::RENAME | plan::CLEAR) && r.outcome == Outcome::Done);
    let message = summary(&run.records, reboot_recommended, interrupted);
    ResetReport {
        ok,
        command: "reset",
        mode: if plan.online { "online" } else { "offline" },
        windows_dir: plan.windows_dir.display().to_string(),
        method: plan.method,
        dry_run: false,
        steps: run.records,
        services: ServicesReport {
            before: plan.services_before.clone(),
            after,
        },
        backups: run.backups,
        reboot_recommended,
        message,
    }
}

struct Run<'a> {
    plan: &'a Plan,
    sys: &'a dyn Platform,
    clock: &'a dyn Clock,
    records: Vec<StepRecord>,
    backups: Vec<BackupRecord>,
    /// Services that were meant to stop and did not: the folders they guard stay untouched.
    not_stopped: Vec<String>,
    /// Services this run stopped.
    stopped: Vec<String>,
    renamed: Vec<Folder>,
    progress: &'a mut dyn FnMut(&StepRecord),
}

impl Run<'_> {
    fn push(&mut self, record: StepRecord) {
        (self.progress)(&record);
        self.records.push(record);
    }

    fn stop_services(&mut self, actions: &[plan::ServiceAction]) {
        let mut to_stop = Vec::new();
        for action in actions {
            match &action.kind {
                ServiceActionKind::Stop { .. } => to_stop.push(action.name.clone()),
                ServiceActionKind::Unknown(_) => self.not_stopped.push(action.name.clone()),
                ServiceActionKind::Absent | ServiceActionKind::NotRunning(_) => {}
            }
            if let Some(record) = action.skip_record() {
                self.push(record);
            }
        }
        self.stop(&to_stop, "stopped");
    }

    /// Stop `names` and record each: `done` with `verb`, or `failed` (the folders it guards will
    /// be left alone).
    fn stop(&mut self, names: &[String], verb: &str) {
        for driven in services::stop_all(self.sys, self.clock, names, self.plan.timeout) {
            let record = match driven.result {
                Ok(took) => {
                    self.stopped.push(driven.name.clone());
                    StepRecord::new(
                        plan::STOP,
                        &driven.name,
                        Outcome::Done,
                        format!("{verb} in {:.1} s", took.as_secs_f64()),
                    )
                }
                Err(why) => {
                    self.not_stopped.push(driven.name.clone());
                    StepRecord::new(plan::STOP, &driven.name, Outcome::Failed, why)
                }
            };
            self.push(record);
        }
    }

    /// A guard this run stopped may have been started again since (usosvc restarts wuauserv; a
    /// trigger starts bits): stop it once more before its folder is touched.
    fn stop_restarted_guards(&mut self, step: &FolderStep) {
        let restarted: Vec<String> = step
            .guards
            .iter()
            .filter(|g| self.stopped.contains(g))
            .filter(|g| {
                self.sys
                    .service_status(g)
                    .is_ok_and(|s| s.state.is_active())
            })
            .cloned()
            .collect();
        if !restarted.is_empty() {
            self.stopped.retain(|s| !restarted.contains(s));
            self.stop(&restarted, "started again by Windows; stopped again");
        }
    }

    fn folder(&mut self, step: &FolderStep) {
        self.stop_restarted_guards(step);
        let target = step.path.display().to_string();
        let blockers: Vec<&str> = step
            .guards
            .iter()
            .filter(|g| self.not_stopped.iter().any(|n| n.eq_ignore_ascii_case(g)))
            .map(String::as_str)
            .collect();
        if !blockers.is_empty() {
            let detail = format!("left untouched: {} did not stop", blockers.join(", "));
            return self.push(StepRecord::new(
                step.action(),
                target,
                Outcome::Skipped,
                detail,
            ));
        }
        let record = match fs::symlink_metadata(&step.path) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => StepRecord::new(
                step.action(),
                target,
                Outcome::Skipped,
                "not present; nothing to do",
            ),
            Err(err) => failed(step.action(), target, &step.path, err),
            Ok(meta) if meta.file_type().is_symlink() => StepRecord::new(
                step.action(),
                target,
                Outcome::Failed,
                "is a link or junction to another place; wufix does not follow it (move the target back, then reset)",
            ),
            Ok(meta) if !meta.is_dir() => {
                StepRecord::new(step.action(), target, Outcome::Failed, "is not a folder")
            }
            Ok(_) => match &step.change {
                Change::RenameTo(to) => self.rename(step.folder, &step.path, to),
                Change::Clear => self.clear(&step.path),
            },
        };
        self.push(record);
    }

    fn rename(&mut self, folder: Folder, from: &Path, to: &Path) -> StepRecord {
        let target = from.display().to_string();
        match backup::rename_aside(from, to, self.clock, self.plan.retry_for) {
            Ok(()) => {
                self.renamed.push(folder);
                self.backups.push(BackupRecord {
                    folder,
                    path: to.display().to_string(),
                    event: BackupEvent::Created,
                    size: None,
                });
                StepRecord::new(
                    plan::RENAME,
                    target,
                    Outcome::Done,
                    format!("renamed to {}", to.display()),
                )
            }
            Err(err) => failed(plan::RENAME, target, from, err),
        }
    }

    fn clear(&mut self, path: &Path) -> StepRecord {
        let removal = remove::clear_contents(path, self.clock, self.plan.retry_for);
        let target = path.display().to_string();
        if removal.failures.is_empty() {
            let detail = format!(
                "removed {}; the folder stays",
                count(removal.removed, "entry", "entries")
            );
            return StepRecord::new(plan::CLEAR, target, Outcome::Done, detail).irreversible();
        }
        let detail = format!(
            "removed {}; {} could not be removed",
            count(removal.removed, "entry", "entries"),
            removal.failures.len()
        );
        let mut record =
            StepRecord::new(plan::CLEAR, target, Outcome::Failed, detail).irreversible();
        record.errors = removal.failures.iter().map(entry_error).collect();
        record
    }

    fn prune(&mut self, folder: Folder, path: &Path, keep: usize) {
        let target = path.display().to_string();
        if !self.renamed.contains(&folder) {
            return self.push(
                StepRecord::new(
                    plan::PRUNE,
                    target,
                    Outcome::Skipped,
                    "no new backup was made",
                )
                .irreversible(),
            );
        }
        let existing = match backup::list(path) {
            Ok(list) => list,
            Err(err) => return self.push(failed(plan::PRUNE, target, path, err).irreversible()),
        };
        let doomed = backup::beyond(&existing, keep);
        let mut errors = Vec::new();
        let mut pruned = 0;
        for old in doomed {
            let removal = remove::remove_tree(&old.path, self.clock, self.plan.retry_for);
            if removal.failures.is_empty() {
                pruned += 1;
                self.backups.push(BackupRecord {
                    folder,
                    path: old.path.display().to_string(),
                    event: BackupEvent::Pruned,
                    size: None,
                });
            } else {
                errors.extend(removal.failures.iter().map(entry_error));
            }
        }
        for kept in existing.iter().take(keep).skip(1) {
            self.backups.push(BackupRecord {
                folder,
                path: kept.path.display().to_string(),
                event: BackupEvent::Kept,
                size: None,
            });
        }
        let (outcome, detail) = match (doomed.len(), errors.is_empty()) {
            (0, _) => (
                Outcome::Skipped,
                format!(
                    "{}, keeping up to {keep}; none to delete",
                    count(existing.len() as u64, "wufix backup", "wufix backups")
                ),
            ),
            (_, true) => (
                Outcome::Done,
                format!(
                    "deleted {}; kept the newest {keep}",
                    count(pruned as u64, "old wufix backup", "old wufix backups")
                ),
            ),
            (_, false) => (
                Outcome::Failed,
                format!(
                    "deleted {pruned} of {}",
                    count(doomed.len() as u64, "old wufix backup", "old wufix backups")
                ),
            ),
        };
        let mut record = StepRecord::new(plan::PRUNE, target, outcome, detail).irreversible();
        record.errors = errors;
        self.push(record);
    }

    fn start_services(&mut self, names: &[String]) {
        for driven in services::start_all(self.sys, self.clock, names, self.plan.timeout) {
            let record = match driven.result {
                // Running without being asked: it never stopped (it would not, or Ctrl+C came
                // first), or something else started it again.
                Ok(_) if !driven.requested => StepRecord::new(
                    plan::START,
                    &driven.name,
                    Outcome::Skipped,
                    "already running; nothing to start",
                ),
                Ok(took) => StepRecord::new(
                    plan::START,
                    &driven.name,
                    Outcome::Done,
                    format!("running again after {:.1} s", took.as_secs_f64()),
                ),
                Err(why) => StepRecord::new(plan::START, &driven.name, Outcome::Failed, why),
            };
            self.push(record);
        }
    }

    fn restart_windows(&mut self) {
        let record = if self.records.iter().any(|r| r.outcome == Outcome::Failed) {
            StepRecord::new(
                plan::RESTART,
                "this computer",
                Outcome::Skipped,
                "not restarting: a step failed",
            )
        } else {
            match self.sys.restart_windows() {
                Ok(()) => StepRecord::new(
                    plan::RESTART,
                    "this computer",
                    Outcome::Done,
                    "Windows restarts in 30 s",
                ),
                Err(err) => StepRecord::new(
                    plan::RESTART,
                    "this computer",
                    Outcome::Failed,
                    format!("could not restart: {err}"),
                ),
            }
        };
        self.push(record);
    }
}

fn entry_error(failure: &Failure) -> EntryError {
    EntryError {
        path: failure.path.display().to_string(),
        error: failure.error.to_string(),
        code: failure.error.raw_os_error(),
    }
}

fn failed(action: &'static str, target: String, path: &Path, err: io::Error) -> StepRecord {
    let mut record = StepRecord::new(action, target, Outcome::Failed, err.to_string());
    record.errors.push(EntryError {
        path: path.display().to_string(),
        error: err.to_string(),
        code: err.raw_os_error(),
    });
    record
}

/// The end of the run in a sentence or two, naming whatever failed.
fn summary(records: &[StepRecord], reboot_recommended: bool, interrupted: bool) -> String {
    let failures: Vec<String> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .map(|r| format!("{} {}: {}", r.action, r.target, r.detail))
        .collect();
    let failed = (!failures.is_empty()).then(|| format!("Failed: {}.", failures.join("; ")));
    if interrupted {
        let done = "Interrupted by Ctrl+C: the remaining steps were skipped and the services started again.";
        return failed.map_or(done.to_string(), |f| format!("{done} {f}"));
    }
    match (failed, reboot_recommended) {
        (Some(f), _) => format!("Reset incomplete. {f}"),
        (None, true) => {
            "Reset complete. Restart Windows to finish the repair (or run wufix reset --reboot)."
                .to_string()
        }
        (None, false) => "Nothing needed resetting; nothing was changed.".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::time::Duration;

    use super::*;
    use crate::clock::FakeClock;
    use crate::folders::Layout;
    use crate::request::{Location, Method, ResetRequest};
    use crate::sys::fake::{FakePlatform, OnStop};
    use crate::sys::{ServiceState, StartType};

    struct Machine {
        _dir: tempfile::TempDir,
        layout: Layout,
    }

    fn machine() -> Machine {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::online(dir.path().to_path_buf());
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
        }
    }

    fn reset(m: &Machine, sys: &FakePlatform, req: &ResetRequest) -> ResetReport {
        let plan = Plan::build(req, &m.layout, sys, "2026-11-25T23:15:00Z".parse().unwrap());
        run(
            &plan,
            sys,
            &FakeClock::new(),
            &AtomicBool::new(false),
            &mut |_| {},
        )
    }

    fn outcome(report: &ResetReport, action: &str, target: &str) -> Outcome {
        record(report, action, target).outcome
    }

    fn record<'a>(report: &'a ResetReport, action: &str, target: &str) -> &'a StepRecord {
        report
            .steps
            .iter()
            .find(|r| r.action == action && r.target.ends_with(target))
            .unwrap_or_else(|| panic!("no {action} {target} in {:#?}", report.steps))
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
        let actions: Vec<&str> = report.steps.iter().map(|r| r.action).collect();
        let last_stop = actions.iter().rposition(|a| *a == plan::STOP).unwrap();
        let first_rename = actions.iter().position(|a| *a == plan::RENAME).unwrap();
        let first_start = actions.iter().position(|a| *a == plan::START).unwrap();
        assert!(
            last_stop < first_rename && first_rename < first_start,
            "{actions:?}"
        );
        assert_eq!(outcome(&report, plan::STOP, "usosvc"), Outcome::Skipped);
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
        assert_eq!(outcome(&report, plan::STOP, "cryptsvc"), Outcome::Failed);
        assert_eq!(outcome(&report, plan::CLEAR, "catroot2"), Outcome::Skipped);
        assert!(m.layout.path(Folder::Catroot2).join("data").exists());
        assert_eq!(
            outcome(&report, plan::CLEAR, "SoftwareDistribution"),
            Outcome::Done
        );
        assert_eq!(outcome(&report, plan::START, "cryptsvc"), Outcome::Skipped);
        assert_eq!(outcome(&report, plan::START, "bits"), Outcome::Done);
        assert!(report.message.contains("cryptsvc"), "{}", report.message);
        // --reboot never fires after a failure.
        assert_eq!(
            outcome(&report, plan::RESTART, "this computer"),
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
            .service("appidsvc", ServiceState::Running, StartType::Demand)
            .dependent("cryptsvc", "appidsvc");
        let report = reset(&m, &sys, &request(Method::Rename, false));
        assert!(report.ok, "{:#?}", report.steps);
        assert_eq!(outcome(&report, plan::STOP, "appidsvc"), Outcome::Done);
        assert_eq!(outcome(&report, plan::START, "appidsvc"), Outcome::Done);
        assert_eq!(sys.state("appidsvc"), ServiceState::Running);
        // Whichever request arrived first, cryptsvc stopped: refused while appidsvc ran, it is
        // asked again once appidsvc has stopped.
        assert_eq!(outcome(&report, plan::STOP, "cryptsvc"), Outcome::Done);
        assert!(report.services.before.iter().any(|s| s.name == "appidsvc"));
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
        let report = run(&plan, &sys, &FakeClock::new(), &cancel, &mut |record| {
            if record.action == plan::STOP {
                cancel.store(true, Ordering::SeqCst);
            }
        });
        assert!(!report.ok);
        assert!(
            report.message.starts_with("Interrupted"),
            "{}",
            report.message
        );
        assert_eq!(outcome(&report, plan::CLEAR, "catroot2"), Outcome::Skipped);
        assert!(m.layout.path(Folder::Catroot2).join("data").exists());
        assert!(
            m.layout
                .path(Folder::SoftwareDistribution)
                .join("data")
                .exists()
        );
        assert_eq!(
            outcome(&report, plan::RESTART, "this computer"),
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
            &sys,
            &FakeClock::new(),
            &AtomicBool::new(true),
            &mut |_| {},
        );
        assert!(!report.ok);
        assert!(sys.requests().is_empty(), "{:?}", sys.requests());
        assert_eq!(outcome(&report, plan::START, "bits"), Outcome::Skipped);
        assert_eq!(outcome(&report, plan::STOP, "bits"), Outcome::Skipped);
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
            .filter(|r| r.action == plan::STOP && r.target == "wuauserv")
            .collect();
        assert_eq!(stops.len(), 2);
        assert!(
            stops[1]
                .detail
                .starts_with("started again by Windows; stopped again"),
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
        let second_stop = report
            .steps
            .iter()
            .position(|r| std::ptr::eq(r, stops[1]))
            .unwrap();
        let rename = report
            .steps
            .iter()
            .position(|r| r.action == plan::RENAME)
            .unwrap();
        assert!(second_stop < rename);
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
            outcome(&report, plan::RENAME, "SoftwareDistribution"),
            Outcome::Skipped
        );
        assert_eq!(
            outcome(&report, plan::PRUNE, "SoftwareDistribution"),
            Outcome::Skipped
        );
        assert_eq!(backup::list(&sd).unwrap().len(), 3);
    }
}
