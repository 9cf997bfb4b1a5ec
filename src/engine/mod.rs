//! Runs a plan: the only place that sequences side effects. Every step ends in a record; a
//! failing step never ends the run early, so the services stopped at the start are always started
//! again at the end.
//!
//! A folder is touched only while its hard guards are really stopped: right before it, every
//! installed guard is queried again, and any that runs (a trigger started it), is starting or is
//! stopping is stopped or waited out under what is left of the one stop budget.

mod folders;
mod services;

use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::catalog::Folder;
use crate::fixes;
use crate::folders::inventory::BackupRecord;
use crate::folders::remove::Failure;
use crate::journal::{Recorder, Unrecorded};
use crate::machine::{Machine, Mode};
use crate::plan::{Plan, Step};
use crate::progress::{Meter, Quiet};
use crate::record::{Action, EntryError, Outcome, StepRecord};
use crate::report::{ResetReport, ServicesReport};
use crate::sys::Holder;

/// Run `plan`, telling `progress` about each record as it is made. Once `cancel` is set (Ctrl+C,
/// the console window closing), the step under way stops where it is (its waits and walks see the
/// flag through the clock) and every step still to come is skipped except starting the services
/// again. Logoff and shutdown never reach a console program: the journal covers them.
pub fn run(
    plan: &Plan,
    machine: Machine,
    cancel: &AtomicBool,
    progress: &mut dyn FnMut(&StepRecord),
) -> ResetReport {
    run_hooked(
        plan,
        machine,
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
pub fn run_hooked(plan: &Plan, machine: Machine, cancel: &AtomicBool, hooks: Hooks) -> ResetReport {
    let Hooks {
        progress,
        meter,
        journal,
    } = hooks;
    // Every wait and walk of every step sees the interrupt, not only the loop between steps.
    let clock = crate::clock::Interruptible {
        inner: machine.clock,
        flag: cancel,
    };
    let machine = Machine {
        sys: machine.sys,
        clock: &clock,
    };
    let mut run = Run {
        plan,
        machine,
        records: Vec::new(),
        backups: Vec::new(),
        unstoppable: Vec::new(),
        stopped: Vec::new(),
        renamed: Vec::new(),
        stop_budget: plan.timeout,
        pending_stops: Vec::new(),
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
            Step::Fix(fix) => {
                let record = fix.run(&mut fixes::Context {
                    sys: machine.sys,
                    journal: &mut *run.journal,
                    meter: run.meter,
                });
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
        crate::services::snapshot(machine.sys, &names)
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
        services: (plan.mode == Mode::Online).then(|| ServicesReport {
            before: plan.services_before.clone(),
            after,
        }),
        backups: run.backups,
        journal: Some(plan.journal_dir()),
        servicing: Vec::new(),
        refused: None,
        forced: false,
        reboot_recommended,
        message,
    }
}

struct Run<'a> {
    plan: &'a Plan,
    machine: Machine<'a>,
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
    /// Stops still in flight when an interrupt abandoned the wait: the start pass waits for them.
    pending_stops: crate::services::PendingStops,
    progress: &'a mut dyn FnMut(&StepRecord),
    meter: &'a dyn Meter,
    journal: &'a mut dyn Recorder,
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
fn name_holders(mut record: StepRecord, sys: &dyn crate::sys::Platform) -> StepRecord {
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
        let record = name_holders(record, self.machine.sys);
        (self.progress)(&record);
        self.records.push(record);
    }

    fn unstoppable_reason(&self, name: &str) -> Option<&str> {
        self.unstoppable
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, why)| why.as_str())
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
            match self.machine.sys.restart_windows() {
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
            // Never a command: `wufix reset --reboot` would reset a second time.
            "Reset complete. Restart your PC (Start → Power → Restart) before you try Windows Update again."
                .to_string()
        }
        (None, true, Mode::Offline) => {
            "Reset complete. Windows rebuilds the folders the next time it starts.".to_string()
        }
        (None, false, _) => "Nothing needed resetting; nothing was changed.".to_string(),
    }
}

#[cfg(test)]
mod tests;
