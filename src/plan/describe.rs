//! How a plan describes itself before it runs: each step as report lines (`planned`, or
//! `skipped`/`failed` where the outcome is already visible), judged by the same preflight and
//! prune decision the run uses, so the dry run shows what the run would do.

use super::{FolderChange, FolderStep, Plan, ServiceAction, ServiceActionKind, Step};
use crate::catalog::GuardKind;
use crate::folders::inventory::{BackupEvent, BackupRecord};
use crate::folders::{Layout, Preflight, backup};
use crate::record::{Action, EntryError, Outcome, StepRecord};
use crate::report::{ResetReport, ServicesReport};

impl Plan {
    /// The plan as report lines, each `planned` (or `skipped`, or `failed` where the run would
    /// fail for a reason already visible).
    pub fn describe(&self) -> Vec<StepRecord> {
        self.steps
            .iter()
            .flat_map(|step| self.describe_one(step))
            .collect()
    }

    /// The services the first step will stop, in plan order.
    pub fn services_to_stop(&self) -> Vec<&str> {
        self.stop_actions()
            .filter(|a| matches!(a.kind, ServiceActionKind::Stop { .. }))
            .map(|a| a.name.as_str())
            .collect()
    }

    fn stop_actions(&self) -> impl Iterator<Item = &ServiceAction> {
        self.steps
            .iter()
            .filter_map(|step| match step {
                Step::StopServices(actions) => Some(actions),
                _ => None,
            })
            .flatten()
    }

    /// Hard guards of `step` that the plan already knows cannot be stopped.
    fn known_blockers(&self, step: &FolderStep) -> Vec<String> {
        self.stop_actions()
            .filter(|a| {
                step.guards
                    .iter()
                    .any(|g| g.kind == GuardKind::Hard && g.name.eq_ignore_ascii_case(&a.name))
            })
            .filter(|a| {
                matches!(
                    a.kind,
                    ServiceActionKind::Protected
                        | ServiceActionKind::Blocked { .. }
                        | ServiceActionKind::Unknown(_)
                )
            })
            .map(|a| a.name.clone())
            .collect()
    }

    /// One step as report lines, before it runs.
    pub fn describe_one(&self, step: &Step) -> Vec<StepRecord> {
        match step {
            Step::StopServices(actions) => actions
                .iter()
                .map(|a| {
                    a.skip_record().unwrap_or_else(|| {
                        let detail = match &a.kind {
                            ServiceActionKind::Stop { dependent_of: Some(parent) } => {
                                format!("running; depends on {parent}, so it stops first and starts again after")
                            }
                            _ => "running; will be stopped and started again after".to_string(),
                        };
                        StepRecord::new(Action::StopService, &a.name, Outcome::Planned, detail)
                    })
                })
                .collect(),
            Step::Folder(f) => {
                let target = f.path.display().to_string();
                let action = f.action();
                let record = match f.not_ready(&self.layout) {
                    Some(record) => record,
                    None => {
                        let blockers = self.known_blockers(f);
                        if !blockers.is_empty() {
                            StepRecord::new(
                                action,
                                target,
                                Outcome::Skipped,
                                format!("left untouched: {} cannot be stopped", blockers.join(", ")),
                            )
                        } else {
                            match &f.change {
                                FolderChange::RenameTo(to) => StepRecord::new(
                                    action,
                                    target,
                                    Outcome::Planned,
                                    format!("rename to {}", to.display()),
                                ),
                                FolderChange::Clear => StepRecord::new(
                                    action,
                                    target,
                                    Outcome::Planned,
                                    "delete everything inside, keep the folder (cannot be undone)",
                                )
                                .irreversible(),
                            }
                        }
                    }
                };
                let mut records = vec![record];
                if let Some(backup) = &f.restore {
                    records.push(StepRecord::new(
                        Action::RestoreFolder,
                        backup.display().to_string(),
                        Outcome::Planned,
                        format!("rename back to {}", f.path.display()),
                    ));
                }
                records
            }
            Step::PruneBackups {
                folder,
                path,
                created,
                keep,
            } => {
                let target = path.display().to_string();
                let renames = matches!(self.layout.preflight(*folder), Preflight::Ready);
                let record = if !renames {
                    StepRecord::new(Action::PruneBackups, target, Outcome::Skipped, "no new backup would be made")
                } else {
                    let existing = backup::list(path).unwrap_or_default();
                    let doomed: Vec<String> = backup::to_prune(&existing, created, *keep)
                        .iter()
                        .map(|b| b.path.display().to_string())
                        .collect();
                    if doomed.is_empty() {
                        StepRecord::new(
                            Action::PruneBackups,
                            target,
                            Outcome::Skipped,
                            format!("keep the newest {keep} wufix backups; none to delete"),
                        )
                    } else {
                        StepRecord::new(
                            Action::PruneBackups,
                            target,
                            Outcome::Planned,
                            format!("keep the newest {keep} wufix backups; delete {}", doomed.join(", ")),
                        )
                    }
                };
                vec![record.irreversible()]
            }
            Step::Fix(fix) => vec![fix.describe()],
            Step::StartServices(names) => names
                .iter()
                .map(|n| {
                    StepRecord::new(Action::StartService, n, Outcome::Planned, "was running before; start it again")
                })
                .collect(),
            Step::RestartWindows => vec![StepRecord::new(
                Action::RestartWindows,
                "this computer",
                Outcome::Planned,
                "restart Windows after a successful reset",
            )],
        }
    }

    /// The kind of guard `name` is for the folders this plan resets.
    pub fn guard_kind(&self, name: &str) -> Option<GuardKind> {
        self.stop_actions()
            .find(|a| a.name.eq_ignore_ascii_case(name))
            .and_then(|a| a.guards)
    }
}

impl FolderStep {
    pub fn action(&self) -> Action {
        match self.change {
            FolderChange::RenameTo(_) => Action::RenameFolder,
            FolderChange::Clear => Action::ClearFolder,
        }
    }

    /// The record of a folder that cannot be acted on now (absent, refused, unreadable), or `None`
    /// when it is ready. The dry run and the run both judge a folder here, so they cannot differ.
    pub fn not_ready(&self, layout: &Layout) -> Option<StepRecord> {
        let target = self.path.display().to_string();
        let action = self.action();
        match layout.preflight(self.folder) {
            Preflight::Ready => None,
            Preflight::Absent => Some(StepRecord::new(
                action,
                target,
                Outcome::Skipped,
                "not present; nothing to do",
            )),
            Preflight::Refused(why) => Some(StepRecord::new(action, target, Outcome::Failed, why)),
            Preflight::Error(err) => {
                let mut record = StepRecord::new(
                    action,
                    target,
                    Outcome::Failed,
                    format!("cannot examine it: {err}"),
                );
                record.errors.push(EntryError {
                    path: self.path.display().to_string(),
                    error: err.to_string(),
                    code: err.raw_os_error(),
                });
                Some(record)
            }
        }
    }
}

impl Plan {
    /// The report of a dry run: the plan itself, with nothing done. `ok` is false when the run
    /// would fail a step for a reason already visible.
    pub fn preview(&self) -> ResetReport {
        let steps = self.describe();
        let backups = self
            .steps
            .iter()
            .filter_map(|step| match step {
                Step::Folder(
                    f @ FolderStep {
                        change: FolderChange::RenameTo(to),
                        ..
                    },
                ) if steps.iter().any(|r| {
                    r.action == Action::RenameFolder
                        && r.outcome == Outcome::Planned
                        && r.target == f.path.display().to_string()
                }) =>
                {
                    Some(BackupRecord {
                        folder: f.folder,
                        path: to.display().to_string(),
                        event: BackupEvent::Planned,
                        is_link: false,
                        size: None,
                    })
                }
                _ => None,
            })
            .collect();
        let ok = steps.iter().all(|s| s.outcome != Outcome::Failed);
        ResetReport {
            ok,
            command: "reset",
            mode: self.mode,
            windows_dir: self.layout.windows_dir.display().to_string(),
            method: self.method,
            dry_run: true,
            steps,
            services: (self.mode == crate::machine::Mode::Online).then(|| ServicesReport {
                before: self.services_before.clone(),
                after: Vec::new(),
            }),
            backups,
            journal: Some(self.journal_dir()),
            servicing: Vec::new(),
            refused: None,
            forced: false,
            reboot_recommended: false,
            message: if ok {
                "Dry run: nothing was changed.".to_string()
            } else {
                "Dry run: nothing was changed. The reset would fail a step, shown as failed above."
                    .to_string()
            },
        }
    }
}
