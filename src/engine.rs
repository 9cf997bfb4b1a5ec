//! Runs a plan: the only place that sequences side effects. Every step ends in a record; a
//! failing step never ends the run early, so the services stopped at the start are always started
//! again at the end.

use std::fs;
use std::io;
use std::path::Path;

use crate::catalog::Folder;
use crate::clock::Clock;
use crate::folders::backup;
use crate::folders::remove::{self, Failure};
use crate::plan::{self, Change, FolderStep, Plan, ServiceActionKind, Step};
use crate::report::{
    BackupEvent, BackupRecord, EntryError, Outcome, ResetReport, ServicesReport, StepRecord,
};
use crate::services;
use crate::sys::Platform;

/// Run `plan`, telling `progress` about each record as it is made.
pub fn run(
    plan: &Plan,
    sys: &dyn Platform,
    clock: &dyn Clock,
    progress: &mut dyn FnMut(&StepRecord),
) -> ResetReport {
    let mut run = Run {
        plan,
        sys,
        clock,
        records: Vec::new(),
        backups: Vec::new(),
        not_stopped: Vec::new(),
        renamed: Vec::new(),
        progress,
    };
    for step in &plan.steps {
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
    let ok = run.records.iter().all(|r| r.outcome != Outcome::Failed);
    let reboot_recommended = run
        .records
        .iter()
        .any(|r| matches!(r.action, plan::RENAME | plan::CLEAR) && r.outcome == Outcome::Done);
    let message = summary(ok, &run.records, reboot_recommended);
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
        for driven in services::stop_all(self.sys, self.clock, &to_stop, self.plan.timeout) {
            let record = match driven.result {
                Ok(took) => StepRecord::new(
                    plan::STOP,
                    &driven.name,
                    Outcome::Done,
                    format!("stopped in {:.1} s", took.as_secs_f64()),
                ),
                Err(why) => {
                    self.not_stopped.push(driven.name.clone());
                    StepRecord::new(plan::STOP, &driven.name, Outcome::Failed, why)
                }
            };
            self.push(record);
        }
    }

    fn folder(&mut self, step: &FolderStep) {
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
            let detail = format!("removed {} entries; the folder stays", removal.removed);
            return StepRecord::new(plan::CLEAR, target, Outcome::Done, detail).irreversible();
        }
        let detail = format!(
            "removed {} entries; {} could not be removed",
            removal.removed,
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
                    "{} wufix backups, keeping up to {keep}; none to delete",
                    existing.len()
                ),
            ),
            (_, true) => (
                Outcome::Done,
                format!("deleted {pruned} old wufix backups; kept the newest {keep}"),
            ),
            (_, false) => (
                Outcome::Failed,
                format!("deleted {pruned} of {} old wufix backups", doomed.len()),
            ),
        };
        let mut record = StepRecord::new(plan::PRUNE, target, outcome, detail).irreversible();
        record.errors = errors;
        self.push(record);
    }

    fn start_services(&mut self, names: &[String]) {
        for driven in services::start_all(self.sys, self.clock, names, self.plan.timeout) {
            let never_stopped = self.not_stopped.iter().any(|n| n == &driven.name);
            let record = match driven.result {
                Ok(_) if never_stopped => StepRecord::new(
                    plan::START,
                    &driven.name,
                    Outcome::Skipped,
                    "it never stopped; still running",
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

/// One sentence for the end of the run, naming whatever failed.
fn summary(ok: bool, records: &[StepRecord], reboot_recommended: bool) -> String {
    if ok {
        return if reboot_recommended {
            "Reset complete. Restart Windows to finish the repair (or run wufix reset --reboot)."
                .to_string()
        } else {
            "Nothing needed resetting; nothing was changed.".to_string()
        };
    }
    let failures: Vec<String> = records
        .iter()
        .filter(|r| r.outcome == Outcome::Failed)
        .map(|r| format!("{} {}: {}", r.action, r.target, r.detail))
        .collect();
    format!("Reset incomplete. Failed: {}.", failures.join("; "))
}
