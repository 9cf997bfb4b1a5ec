//! Runs a plan: the only place that sequences side effects. Every step ends in a record; a
//! failing step never ends the run early, so the services stopped at the start are always started
//! again at the end.
//!
//! A folder is touched only while its hard guards are really stopped: right before it, every
//! installed guard is queried again, and any that runs (a trigger started it), is starting or is
//! stopping is stopped or waited out under what is left of the one stop budget.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use crate::catalog::{Folder, GuardKind};
use crate::clock::Clock;
use crate::folders::backup;
use crate::folders::remove::{self, Failure};
use crate::journal::{Change as Entry, Recorder, Unrecorded};
use crate::plan::{Change, FolderStep, Plan, ServiceAction, ServiceActionKind, Step};
use crate::progress::{Meter, Quiet};
use crate::report::{
    Action, BackupEvent, BackupRecord, EntryError, Holder, Mode, Outcome, ResetReport,
    ServicesReport, StepRecord, count,
};
use crate::services;
use crate::sys::{Platform, ServiceState};

/// Run `plan`, telling `progress` about each record as it is made. Once `cancel` is set (Ctrl+C,
/// the console window closing, logoff, shutdown), every step still to come is skipped except
/// starting the services again.
pub fn run(
    plan: &Plan,
    sys: &dyn Platform,
    clock: &dyn Clock,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&StepRecord),
) -> ResetReport {
    run_hooked(
        plan,
        sys,
        clock,
        cancel,
        Hooks {
            progress,
            meter: &Quiet,
            journal: &mut Unrecorded,
        },
    )
}

/// Who hears of a run as it goes: each record as it is made (the printer), what a person waits on
/// (services still on their way, entries cleared so far), and the journal, which gets every change
/// before it is made.
pub struct Hooks<'a> {
    pub progress: &'a mut dyn FnMut(&StepRecord),
    pub meter: &'a dyn Meter,
    pub journal: &'a mut dyn Recorder,
}

/// [`run`], with every hook.
pub fn run_hooked(
    plan: &Plan,
    sys: &dyn Platform,
    clock: &dyn Clock,
    cancel: &AtomicBool,
    hooks: Hooks,
) -> ResetReport {
    let Hooks {
        progress,
        meter,
        journal,
    } = hooks;
    let mut run = Run {
        plan,
        sys,
        clock,
        records: Vec::new(),
        backups: Vec::new(),
        unstoppable: Vec::new(),
        stopped: Vec::new(),
        renamed: Vec::new(),
        stop_budget: plan.timeout,
        progress,
        meter,
        journal,
    };
    let mut interrupted = false;
    for step in &plan.steps {
        interrupted |= cancel.load(Ordering::SeqCst);
        if interrupted && !matches!(step, Step::StartServices(_)) {
            for mut record in plan.describe_one(step) {
                record.outcome = Outcome::Skipped;
                record.detail = "interrupted before this step; nothing was changed".to_string();
                run.push(record);
            }
            continue;
        }
        match step {
            Step::StopServices(actions) => run.stop_services(actions),
            Step::Folder(folder) => run.folder(folder),
            Step::PruneBackups {
                folder,
                path,
                created,
                keep,
            } => run.prune(*folder, path, created, *keep),
            Step::Repair(step) => {
                let record = crate::repair::exec::run(
                    step,
                    &mut crate::repair::exec::Context {
                        sys,
                        journal: &mut *run.journal,
                        meter: run.meter,
                    },
                );
                run.push(record);
            }
            Step::StartServices(names) => run.start_services(names),
            Step::RestartWindows => run.restart_windows(),
        }
    }
    let after = if plan.mode == Mode::Online {
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
        .any(|r| r.action.touches_folder() && r.outcome == Outcome::Done);
    let message = summary(&run.records, reboot_recommended, interrupted, plan.mode);
    ResetReport {
        ok,
        command: "reset",
        mode: plan.mode,
        windows_dir: plan.layout.windows_dir.display().to_string(),
        method: plan.method,
        dry_run: false,
        steps: run.records,
        services: ServicesReport {
            before: plan.services_before.clone(),
            after,
        },
        backups: run.backups,
        servicing: Vec::new(),
        refused: None,
        forced: false,
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
    /// Services that were meant to stop and could not, with why. A hard guard among them keeps
    /// its folder untouched; none of them is sent STOP again.
    unstoppable: Vec<(String, String)>,
    /// Services this run stopped.
    stopped: Vec<String>,
    renamed: Vec<Folder>,
    /// What is left of `--timeout` for stopping services, over the whole run.
    stop_budget: Duration,
    progress: &'a mut dyn FnMut(&StepRecord),
    meter: &'a dyn Meter,
    journal: &'a mut dyn Recorder,
}

/// Why a batch of services is being stopped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// The stop step at the start.
    First,
    /// Right before a folder: guards found running (or starting, or stopping) again.
    BeforeFolder,
}

/// Windows errors that mean "something holds a file open": access denied, sharing and lock
/// violations. (Elsewhere the platform has no one to ask, and the lookup fails harmlessly.)
fn is_held(code: i32) -> bool {
    matches!(code, 5 | 32 | 33)
}

/// Files the Restart Manager is asked about at most, for a folder that would not rename.
const MAX_ASKED: usize = 256;

/// A failed rename or delete, with who holds its files when Windows can tell: "held by
/// Microsoft Defender Antivirus Service (pid 3120, service WinDefend)". A failed lookup leaves the
/// record as it was.
fn name_holders(mut record: StepRecord, sys: &dyn Platform) -> StepRecord {
    if record.outcome != Outcome::Failed || !record.action.touches_folder() {
        return record;
    }
    let held: Vec<&EntryError> = record
        .errors
        .iter()
        .filter(|e| e.code.is_some_and(is_held))
        .collect();
    if held.is_empty() {
        return record;
    }
    let paths: Vec<PathBuf> = match record.action {
        // A folder that would not move: any file inside it may be the one held.
        Action::RenameFolder | Action::RestoreFolder => {
            crate::folders::stats::files_below(Path::new(&held[0].path), MAX_ASKED)
        }
        _ => held
            .iter()
            .take(MAX_ASKED)
            .map(|e| PathBuf::from(&e.path))
            .collect(),
    };
    if let Ok(holders) = sys.holders(&paths) {
        if !holders.is_empty() {
            let names: Vec<String> = holders.iter().map(Holder::describe).collect();
            record.detail = format!("{}; held by {}", record.detail, names.join(", "));
            record.holders = holders;
        }
    }
    record
}

impl Run<'_> {
    fn push(&mut self, record: StepRecord) {
        let record = name_holders(record, self.sys);
        (self.progress)(&record);
        self.records.push(record);
    }

    fn unstoppable_reason(&self, name: &str) -> Option<&str> {
        self.unstoppable
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, why)| why.as_str())
    }

    fn stop_services(&mut self, actions: &[ServiceAction]) {
        let mut to_stop = Vec::new();
        for action in actions {
            let why = match &action.kind {
                ServiceActionKind::Stop { .. } => {
                    to_stop.push(action.name.clone());
                    None
                }
                ServiceActionKind::Unknown(err) => Some(format!("cannot query it: {err}")),
                ServiceActionKind::Protected => Some("launch-protected".to_string()),
                ServiceActionKind::Blocked { by } => {
                    Some(format!("{by}, launch-protected, depends on it and runs"))
                }
                ServiceActionKind::Absent | ServiceActionKind::NotRunning(_) => None,
            };
            if let Some(why) = why {
                self.unstoppable.push((action.name.clone(), why));
            }
            if let Some(record) = action.skip_record() {
                self.push(record);
            }
        }
        self.stop(&to_stop, Pass::First);
    }

    /// Stop `names` under what is left of the stop budget, and record each.
    fn stop(&mut self, names: &[String], pass: Pass) {
        if names.is_empty() {
            return;
        }
        // Written down first; a stop the journal could not record is not sent.
        let mut announced = Vec::new();
        for name in names {
            match self
                .journal
                .intent(&Entry::StopService { name: name.clone() })
            {
                Ok(()) => announced.push(name.clone()),
                Err(why) => {
                    self.unstoppable.push((name.clone(), why.clone()));
                    self.push(StepRecord::new(
                        Action::StopService,
                        name,
                        Outcome::Failed,
                        format!("{why}; not stopped"),
                    ));
                }
            }
        }
        let names = &announced[..];
        let began = self.clock.now();
        let results =
            services::stop_all_shown(self.sys, self.clock, names, self.stop_budget, self.meter);
        let spent = self.clock.now().saturating_duration_since(began);
        self.stop_budget = self.stop_budget.saturating_sub(spent);
        for driven in results {
            let name = driven.name;
            self.journal.outcome(
                &Entry::StopService { name: name.clone() },
                driven.result.is_ok(),
                driven.result.as_ref().err().map_or("", |e| e.as_str()),
            );
            let record = match driven.result {
                Ok(took) => {
                    let secs = took.as_secs_f64();
                    let detail = match (pass, self.stopped.contains(&name), driven.requested) {
                        (Pass::First, _, _) => format!("stopped in {secs:.1} s"),
                        (Pass::BeforeFolder, _, false) => {
                            format!(
                                "was stopping; waited {secs:.1} s until it stopped, before touching its folder"
                            )
                        }
                        (Pass::BeforeFolder, true, true) => format!(
                            "started again since (by a trigger or another service); stopped again in {secs:.1} s"
                        ),
                        (Pass::BeforeFolder, false, true) => format!(
                            "was not running at the start, started since (by a trigger or another service); stopped in {secs:.1} s before touching its folder"
                        ),
                    };
                    if !self.stopped.contains(&name) {
                        self.stopped.push(name.clone());
                    }
                    StepRecord::new(Action::StopService, &name, Outcome::Done, detail)
                }
                Err(why) => {
                    let record = if self.plan.guard_kind(&name) == Some(GuardKind::BestEffort) {
                        StepRecord::new(
                            Action::StopService,
                            &name,
                            Outcome::Skipped,
                            format!("{why}; it only helps, so its folder is still attempted"),
                        )
                    } else {
                        StepRecord::new(Action::StopService, &name, Outcome::Failed, &why)
                    };
                    self.unstoppable.push((name, why));
                    record
                }
            };
            self.push(record);
        }
    }

    /// Query every installed guard of `step` again and stop (or wait out) any that is not
    /// stopped. Returns the hard guards that are still not stopped, each with why.
    fn ensure_guards_stopped(&mut self, step: &FolderStep) -> Vec<String> {
        let mut to_stop = Vec::new();
        let mut blockers = Vec::new();
        for guard in &step.guards {
            let hard = guard.kind == GuardKind::Hard;
            if let Some(why) = self.unstoppable_reason(guard.name) {
                if hard {
                    blockers.push(format!("{} ({why})", guard.name));
                }
                continue;
            }
            match self.sys.query_service(guard.name) {
                Ok(None) => {}
                Err(err) if hard => {
                    blockers.push(format!("{} (cannot query it: {err})", guard.name))
                }
                Err(_) => {}
                Ok(Some(info)) if services::is_protected(guard.name, &info) => {
                    if hard {
                        blockers.push(format!("{} (launch-protected)", guard.name));
                    }
                }
                Ok(Some(info)) if info.status.state == ServiceState::Stopped => {}
                Ok(Some(_)) => to_stop.push(guard.name.to_string()),
            }
        }
        self.stop(&to_stop, Pass::BeforeFolder);
        for name in &to_stop {
            let hard = step
                .guards
                .iter()
                .any(|g| g.kind == GuardKind::Hard && g.name == name);
            if let (true, Some(why)) = (hard, self.unstoppable_reason(name)) {
                blockers.push(format!("{name} ({why})"));
            }
        }
        blockers
    }

    fn folder(&mut self, step: &FolderStep) {
        let not_ready = step.not_ready(&self.plan.layout);
        // An undo restores into an absent folder too (Windows has not made it again yet).
        let absent = not_ready
            .as_ref()
            .is_some_and(|r| r.outcome == Outcome::Skipped);
        if let Some(record) = not_ready {
            self.push(record);
            if !absent {
                return self.skip_restore(step, "its place is not safe to act on");
            }
            if step.restore.is_none() {
                return;
            }
        }
        let target = step.path.display().to_string();
        let action = step.action();
        let blockers = self.ensure_guards_stopped(step);
        if !blockers.is_empty() {
            let detail = format!("left untouched: {} not stopped", blockers.join(", "));
            if !absent {
                self.push(StepRecord::new(action, target, Outcome::Skipped, &detail));
            }
            return self.skip_restore(step, &detail);
        }
        if !absent {
            let record = match &step.change {
                Change::RenameTo(to) => self.rename(step.folder, &step.path, to),
                Change::Clear => self.clear(step.folder, &step.path),
            };
            let moved = record.outcome == Outcome::Done;
            self.push(record);
            if !moved {
                return self.skip_restore(step, "the folder could not be set aside");
            }
        }
        if let Some(backup) = &step.restore {
            let record = self.restore(step.folder, backup, &step.path);
            self.push(record);
        }
    }

    fn skip_restore(&mut self, step: &FolderStep, why: &str) {
        if let Some(backup) = &step.restore {
            self.push(StepRecord::new(
                Action::RestoreFolder,
                backup.display().to_string(),
                Outcome::Skipped,
                format!("{why}; the backup is left as it is"),
            ));
        }
    }

    /// `undo`: rename `backup` back to `path`, which must be free.
    fn restore(&mut self, folder: Folder, backup: &Path, path: &Path) -> StepRecord {
        let target = backup.display().to_string();
        if fs::symlink_metadata(path).is_ok() {
            return StepRecord::new(
                Action::RestoreFolder,
                target,
                Outcome::Failed,
                format!(
                    "{} is there again; the backup is left as it is",
                    path.display()
                ),
            );
        }
        if let Err(record) = self.move_folder(Action::RestoreFolder, folder, backup, path) {
            return record;
        }
        self.backups.push(BackupRecord {
            folder,
            path: target.clone(),
            event: BackupEvent::Restored,
            is_link: false,
            size: None,
        });
        StepRecord::new(
            Action::RestoreFolder,
            target,
            Outcome::Done,
            format!("renamed back to {}", path.display()),
        )
    }

    /// Rename `from` to `to`, written down first and its outcome after; `Err` is the failed step.
    // The error is the step's whole record, made once per folder: its size costs nothing here.
    #[allow(clippy::result_large_err)]
    fn move_folder(
        &mut self,
        action: Action,
        folder: Folder,
        from: &Path,
        to: &Path,
    ) -> Result<(), StepRecord> {
        let target = from.display().to_string();
        let entry = Entry::Rename {
            folder,
            from: from.to_path_buf(),
            to: to.to_path_buf(),
        };
        if let Err(why) = self.journal.intent(&entry) {
            return Err(StepRecord::new(action, target, Outcome::Failed, why));
        }
        let result = backup::rename_aside(from, to, self.clock, self.plan.retry_for);
        let detail = result
            .as_ref()
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        self.journal.outcome(&entry, result.is_ok(), &detail);
        result.map_err(|err| failed(action, target, from, err))
    }

    fn rename(&mut self, folder: Folder, from: &Path, to: &Path) -> StepRecord {
        if let Err(record) = self.move_folder(Action::RenameFolder, folder, from, to) {
            return record;
        }
        self.renamed.push(folder);
        self.backups.push(BackupRecord {
            folder,
            path: to.display().to_string(),
            event: BackupEvent::Created,
            is_link: false,
            size: None,
        });
        StepRecord::new(
            Action::RenameFolder,
            from.display().to_string(),
            Outcome::Done,
            format!("renamed to {}", to.display()),
        )
    }

    fn clear(&mut self, folder: Folder, path: &Path) -> StepRecord {
        let entry = Entry::Clear {
            folder,
            path: path.to_path_buf(),
        };
        if let Err(why) = self.journal.intent(&entry) {
            let target = path.display().to_string();
            return StepRecord::new(Action::ClearFolder, target, Outcome::Failed, why);
        }
        let record = self.clear_now(path);
        self.journal
            .outcome(&entry, record.outcome == Outcome::Done, &record.detail);
        record
    }

    fn clear_now(&mut self, path: &Path) -> StepRecord {
        // A bar with a total needs the entries counted first: a quick read-only walk, done only
        // when someone watches.
        let counter = self.meter.watching().then(|| {
            let counter = Arc::new(AtomicU64::new(0));
            let total = crate::folders::stats::entries(path);
            self.meter.clearing(path, total, Arc::clone(&counter));
            counter
        });
        let watched = counter.is_some();
        let removal =
            remove::clear_contents_counted(path, self.clock, self.plan.retry_for, counter);
        if watched {
            self.meter.done();
        }
        let target = path.display().to_string();
        if removal.failures.is_empty() {
            let detail = format!(
                "removed {}; the folder stays",
                count(removal.removed, "entry", "entries")
            );
            return StepRecord::new(Action::ClearFolder, target, Outcome::Done, detail)
                .irreversible();
        }
        let detail = format!(
            "removed {}; {} could not be removed",
            count(removal.removed, "entry", "entries"),
            removal.failures.len()
        );
        let mut record =
            StepRecord::new(Action::ClearFolder, target, Outcome::Failed, detail).irreversible();
        record.errors = removal.failures.iter().map(entry_error).collect();
        record
    }

    fn prune(&mut self, folder: Folder, path: &Path, created: &Path, keep: usize) {
        let target = path.display().to_string();
        if !self.renamed.contains(&folder) {
            return self.push(
                StepRecord::new(
                    Action::PruneBackups,
                    target,
                    Outcome::Skipped,
                    "no new backup was made",
                )
                .irreversible(),
            );
        }
        let existing = match backup::list(path) {
            Ok(list) => list,
            Err(err) => {
                return self.push(failed(Action::PruneBackups, target, path, err).irreversible());
            }
        };
        let doomed = backup::to_prune(&existing, created, keep);
        let entry = Entry::Prune {
            folder,
            paths: doomed.iter().map(|d| d.path.clone()).collect(),
        };
        if doomed.is_empty() {
            // Nothing to delete: nothing to write down.
        } else if let Err(why) = self.journal.intent(&entry) {
            return self.push(
                StepRecord::new(Action::PruneBackups, target, Outcome::Failed, why).irreversible(),
            );
        }
        let mut errors = Vec::new();
        let mut pruned = 0;
        for old in &doomed {
            let removal = remove::remove_tree(&old.path, self.clock, self.plan.retry_for);
            if removal.failures.is_empty() {
                pruned += 1;
                self.backups.push(BackupRecord {
                    folder,
                    path: old.path.display().to_string(),
                    event: BackupEvent::Pruned,
                    is_link: false,
                    size: None,
                });
            } else {
                errors.extend(removal.failures.iter().map(entry_error));
            }
        }
        for kept in existing
            .iter()
            .filter(|b| b.path != created && !doomed.iter().any(|d| d.path == b.path))
        {
            self.backups.push(BackupRecord {
                folder,
                path: kept.path.display().to_string(),
                event: BackupEvent::Kept,
                is_link: false,
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
        let mut record =
            StepRecord::new(Action::PruneBackups, target, outcome, detail).irreversible();
        if !doomed.is_empty() {
            self.journal.outcome(&entry, errors.is_empty(), "");
        }
        record.errors = errors;
        self.push(record);
    }

    fn start_services(&mut self, names: &[String]) {
        // Putting services back is never held up by the journal: a failed write only loses the
        // note (recovery then finds them running, which is what it wants).
        for name in names {
            let _ = self
                .journal
                .intent(&Entry::StartService { name: name.clone() });
        }
        let results =
            services::start_all_shown(self.sys, self.clock, names, self.plan.timeout, self.meter);
        for driven in results {
            self.journal.outcome(
                &Entry::StartService {
                    name: driven.name.clone(),
                },
                driven.result.is_ok(),
                driven.result.as_ref().err().map_or("", |e| e.as_str()),
            );
            let record = match driven.result {
                // Running without being asked: it never stopped (it would not, or the run was
                // interrupted first), or something else started it again.
                Ok(_) if !driven.requested => StepRecord::new(
                    Action::StartService,
                    &driven.name,
                    Outcome::Skipped,
                    "already running; nothing to start",
                ),
                Ok(took) => StepRecord::new(
                    Action::StartService,
                    &driven.name,
                    Outcome::Done,
                    format!("running again after {:.1} s", took.as_secs_f64()),
                ),
                Err(why) => {
                    StepRecord::new(Action::StartService, &driven.name, Outcome::Failed, why)
                }
            };
            self.push(record);
        }
    }

    fn restart_windows(&mut self) {
        let record = if self.records.iter().any(|r| r.outcome == Outcome::Failed) {
            StepRecord::new(
                Action::RestartWindows,
                "this computer",
                Outcome::Skipped,
                "not restarting: a step failed",
            )
        } else {
            match self.sys.restart_windows() {
                Ok(()) => StepRecord::new(
                    Action::RestartWindows,
                    "this computer",
                    Outcome::Done,
                    "Windows restarts in 30 s",
                ),
                Err(err) => StepRecord::new(
                    Action::RestartWindows,
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

fn failed(action: Action, target: String, path: &Path, err: io::Error) -> StepRecord {
    let mut record = StepRecord::new(action, target, Outcome::Failed, err.to_string());
    record.errors.push(EntryError {
        path: path.display().to_string(),
        error: err.to_string(),
        code: err.raw_os_error(),
    });
    record
}

/// The end of the run in a sentence or two, naming whatever failed. Offline there are no
/// services and no `--reboot`: the messages say nothing of them.
fn summary(
    records: &[StepRecord],
    reboot_recommended: bool,
    interrupted: bool,
    mode: Mode,
) -> String {
    let failures: Vec<String> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .map(|r| format!("{} {}: {}", r.action.as_str(), r.target, r.detail))
        .collect();
    let failed = (!failures.is_empty()).then(|| format!("Failed: {}.", failures.join("; ")));
    if interrupted {
        let done = match mode {
            Mode::Online => {
                "Interrupted: the remaining steps were skipped and the services started again."
            }
            Mode::Offline => "Interrupted: the remaining steps were skipped.",
        };
        return failed.map_or(done.to_string(), |f| format!("{done} {f}"));
    }
    match (failed, reboot_recommended, mode) {
        (Some(f), _, _) => format!("Reset incomplete. {f}"),
        (None, true, Mode::Online) => {
            "Reset complete. Restart Windows to finish the repair (or run wufix reset --reboot)."
                .to_string()
        }
        (None, true, Mode::Offline) => {
            "Reset complete. Windows rebuilds the folders the next time it starts.".to_string()
        }
        (None, false, _) => "Nothing needed resetting; nothing was changed.".to_string(),
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
    use crate::sys::fake::{FakePlatform, OnStop, SysKind};
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
            force: false,
            no_elevate: false,
            elevated_child: false,
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
        let report = run(&plan, &sys, &FakeClock::new(), &cancel, &mut |record| {
            if record.action == Action::StopService {
                cancel.store(true, Ordering::SeqCst);
            }
        });
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
            &sys,
            &FakeClock::new(),
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
            stops[1].detail.starts_with(
                "started again since (by a trigger or another service); stopped again"
            ),
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
            sys,
            &FakeClock::new(),
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
        let offline = crate::sys::offline::Offline {
            windows_dir: PathBuf::from("w"),
        };
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
            sys,
            &FakeClock::new(),
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
            &sys,
            &FakeClock::new(),
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
            .find(|r| {
                r.action == Action::PruneBackups && r.target.ends_with("SoftwareDistribution")
            })
            .unwrap();
        assert_eq!(planned.outcome, Outcome::Planned);
        assert!(
            planned.detail.contains("20991231T000000Z"),
            "{}",
            planned.detail
        );
        let report = run(
            &plan,
            &sys,
            &FakeClock::new(),
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
}
