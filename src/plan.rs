//! A reset as an ordered list of steps, built from the request and a snapshot of the machine
//! before anything changes. `--dry-run` prints it; the engine runs it. Both judge a folder with the
//! same preflight and a prune with the same decision, so the dry run shows what the run would do.

use std::path::PathBuf;
use std::time::Duration;

use crate::catalog::{self, Folder, Guard, GuardKind};
use crate::folders::{Layout, Preflight, backup};
use crate::report::{Action, EntryError, Mode, Outcome, ServiceSnapshot, StepRecord};
use crate::request::{Location, Method, ResetRequest};
use crate::services;
use crate::sys::{Platform, ServiceState};

/// How long a locked file or folder is retried before it is reported.
pub const FILE_RETRY: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct Plan {
    pub method: Method,
    pub mode: Mode,
    pub layout: Layout,
    /// One budget for stopping services over the whole run, and one for starting them again.
    pub timeout: Duration,
    pub retry_for: Duration,
    /// Every service the reset considers, as it was before anything changed.
    pub services_before: Vec<ServiceSnapshot>,
    pub steps: Vec<Step>,
}

#[derive(Clone, Debug)]
pub enum Step {
    /// Stop these services, all at once, under one deadline.
    StopServices(Vec<ServiceAction>),
    Folder(FolderStep),
    /// After a successful rename to `created`, delete wufix's oldest backups of `folder` so that
    /// `keep` remain, never `created` itself.
    PruneBackups {
        folder: Folder,
        path: PathBuf,
        created: PathBuf,
        keep: usize,
    },
    /// A `repair` step beyond folders and services (permissions, registry, programs), or an
    /// undo of one.
    Repair(crate::repair::RepairStep),
    /// Start again the services that were running before and were stopped.
    StartServices(Vec<String>),
    RestartWindows,
}

#[derive(Clone, Debug)]
pub struct ServiceAction {
    pub name: String,
    pub kind: ServiceActionKind,
    /// How much a folder being reset depends on it; `None` for msiserver and dependents.
    pub guards: Option<GuardKind>,
}

#[derive(Clone, Debug)]
pub enum ServiceActionKind {
    /// Running: stop it, and start it again at the end.
    Stop { dependent_of: Option<String> },
    /// Not installed on this machine.
    Absent,
    /// Already stopped (or stopping): leave it, and leave it stopped.
    NotRunning(ServiceState),
    /// Could not be queried: the folders it guards are left alone.
    Unknown(String),
    /// Launch-protected: Windows refuses every program's STOP, so none is sent.
    Protected,
    /// Running, and a launch-protected service that depends on it runs too, so it cannot stop.
    Blocked { by: String },
}

#[derive(Clone, Debug)]
pub struct FolderStep {
    pub folder: Folder,
    pub path: PathBuf,
    pub change: Change,
    /// Services that must be stopped (hard) or should be (best-effort) before the folder is touched.
    pub guards: Vec<Guard>,
    /// `undo`: once the folder is out of the way (renamed aside, or absent), rename this backup
    /// back to it.
    pub restore: Option<PathBuf>,
}

#[derive(Clone, Debug)]
pub enum Change {
    RenameTo(PathBuf),
    Clear,
}

impl Plan {
    /// An undo: the reset plan for the same folders (stop the guards, set the folder Windows
    /// made since aside as a normal backup, start again what ran), with no pruning, and each
    /// folder's `backup` renamed back once its place is free.
    pub fn undo(
        req: &ResetRequest,
        layout: &Layout,
        sys: &dyn Platform,
        now: jiff::Timestamp,
        restores: &[(Folder, PathBuf)],
        settings: &[crate::journal::Change],
    ) -> Plan {
        let reverts = settings
            .iter()
            .map(|c| Step::Repair(crate::repair::RepairStep::Revert(c.clone())))
            .collect();
        let services = catalog::services_for(&req.folders);
        let mut plan = Plan::build_with(req, layout, sys, now, &services, reverts);
        plan.steps
            .retain(|s| !matches!(s, Step::PruneBackups { .. }));
        for step in &mut plan.steps {
            if let Step::Folder(f) = step {
                f.restore = restores
                    .iter()
                    .find(|(folder, _)| *folder == f.folder)
                    .map(|(_, backup)| backup.clone());
            }
        }
        plan
    }

    /// Build the plan. Online, this queries the services (read-only); it changes nothing.
    pub fn build(
        req: &ResetRequest,
        layout: &Layout,
        sys: &dyn Platform,
        now: jiff::Timestamp,
    ) -> Plan {
        let services = catalog::services_for(&req.folders);
        Plan::build_with(req, layout, sys, now, &services, Vec::new())
    }

    /// [`Plan::build`] stopping `services` (in order) and running `extra` after the folders,
    /// before the services start again.
    pub fn build_with(
        req: &ResetRequest,
        layout: &Layout,
        sys: &dyn Platform,
        now: jiff::Timestamp,
        services: &[&str],
        extra: Vec<Step>,
    ) -> Plan {
        let mode = match req.location {
            Location::Online => Mode::Online,
            Location::Offline(_) => Mode::Offline,
        };
        let mut steps = Vec::new();
        let mut services_before = Vec::new();
        let guard_kind = |name: &str| {
            let kinds = req
                .folders
                .iter()
                .flat_map(|f| f.guards())
                .filter(|g| g.name.eq_ignore_ascii_case(name))
                .map(|g| g.kind);
            // A service hard for one folder is hard for the run.
            kinds.min_by_key(|k| *k != GuardKind::Hard)
        };

        if mode == Mode::Online {
            let names: Vec<String> = services.iter().map(|s| s.to_string()).collect();
            services_before = services::snapshot(sys, &names);
            let mut actions: Vec<ServiceAction> = services_before
                .iter()
                .map(|snap| ServiceAction {
                    name: snap.name.clone(),
                    kind: action_for(snap),
                    guards: guard_kind(&snap.name),
                })
                .collect();
            add_dependents(sys, &mut actions, &mut services_before);
            steps.push(Step::StopServices(actions));
        }

        let stamp = backup::stamp(now);
        for &folder in &req.folders {
            let path = layout.path(folder).to_path_buf();
            let change = match req.method {
                Method::Rename => Change::RenameTo(backup::new_backup_path(&path, &stamp)),
                Method::Clear => Change::Clear,
            };
            let guards = if mode == Mode::Online {
                folder.guards().to_vec()
            } else {
                Vec::new()
            };
            if let Change::RenameTo(created) = &change {
                steps.push(Step::Folder(FolderStep {
                    folder,
                    path: path.clone(),
                    change: change.clone(),
                    guards,
                    restore: None,
                }));
                steps.push(Step::PruneBackups {
                    folder,
                    path,
                    created: created.clone(),
                    keep: req.keep,
                });
            } else {
                steps.push(Step::Folder(FolderStep {
                    folder,
                    path,
                    change,
                    guards,
                    restore: None,
                }));
            }
        }

        steps.extend(extra);
        if mode == Mode::Online {
            steps.push(Step::StartServices(restart_list(&steps)));
        }
        if req.reboot {
            steps.push(Step::RestartWindows);
        }

        Plan {
            method: req.method,
            mode,
            layout: layout.clone(),
            timeout: req.timeout,
            retry_for: FILE_RETRY,
            services_before,
            steps,
        }
    }

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
                                Change::RenameTo(to) => StepRecord::new(
                                    action,
                                    target,
                                    Outcome::Planned,
                                    format!("rename to {}", to.display()),
                                ),
                                Change::Clear => StepRecord::new(
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
            Step::Repair(step) => vec![step.describe()],
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

/// Running dependents must stop first (Windows refuses otherwise) and start again after. A
/// launch-protected dependent cannot be stopped by anyone, so neither can its parent: the parent is
/// marked blocked, and none of its dependents is stopped for nothing.
fn add_dependents(
    sys: &dyn Platform,
    actions: &mut Vec<ServiceAction>,
    services_before: &mut Vec<ServiceSnapshot>,
) {
    let parents: Vec<String> = actions
        .iter()
        .filter(|a| matches!(a.kind, ServiceActionKind::Stop { .. }))
        .map(|a| a.name.clone())
        .collect();
    for parent in parents {
        let mut snaps = Vec::new();
        for dependent in sys.active_dependents(&parent).unwrap_or_default() {
            let known = services_before
                .iter()
                .chain(&snaps)
                .any(|s| s.name.eq_ignore_ascii_case(&dependent));
            if !known {
                snaps.push(services::snapshot(sys, std::slice::from_ref(&dependent)).remove(0));
            }
        }
        let protected = snaps.iter().find(|s| s.protected).map(|s| s.name.clone());
        if let Some(by) = &protected {
            if let Some(action) = actions.iter_mut().find(|a| a.name == parent) {
                action.kind = ServiceActionKind::Blocked { by: by.clone() };
            }
        }
        for snap in snaps {
            let kind = match (&protected, action_for(&snap)) {
                (None, ServiceActionKind::Stop { .. }) => ServiceActionKind::Stop {
                    dependent_of: Some(parent.clone()),
                },
                // The parent stays up anyway: leave its other dependents running too.
                (Some(_), ServiceActionKind::Stop { .. }) => {
                    ServiceActionKind::NotRunning(ServiceState::Running)
                }
                (_, other) => other,
            };
            actions.push(ServiceAction {
                name: snap.name.clone(),
                kind,
                guards: None,
            });
            services_before.push(snap);
        }
    }
}

/// The services the run stops, which it starts again at the end.
fn restart_list(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|step| match step {
            Step::StopServices(actions) => Some(actions),
            _ => None,
        })
        .flatten()
        .filter(|a| matches!(a.kind, ServiceActionKind::Stop { .. }))
        .map(|a| a.name.clone())
        .collect()
}

fn action_for(snap: &ServiceSnapshot) -> ServiceActionKind {
    match (&snap.error, snap.exists, snap.state) {
        (Some(err), _, _) => ServiceActionKind::Unknown(err.clone()),
        (None, false, _) => ServiceActionKind::Absent,
        (None, true, Some(state)) if state.is_active() && snap.protected => {
            ServiceActionKind::Protected
        }
        (None, true, Some(state)) if state.is_active() => {
            ServiceActionKind::Stop { dependent_of: None }
        }
        (None, true, state) => {
            ServiceActionKind::NotRunning(state.unwrap_or(ServiceState::Stopped))
        }
    }
}

impl ServiceAction {
    /// The report line for a service that is not stopped: the same in a plan and in a run.
    pub fn skip_record(&self) -> Option<StepRecord> {
        let hard = self.guards == Some(GuardKind::Hard);
        let (outcome, detail) = match &self.kind {
            ServiceActionKind::Stop { .. } => return None,
            ServiceActionKind::Absent => (
                Outcome::Skipped,
                "not installed on this machine".to_string(),
            ),
            ServiceActionKind::NotRunning(ServiceState::Running) => (
                Outcome::Skipped,
                "left running: the service it depends on cannot stop".to_string(),
            ),
            ServiceActionKind::NotRunning(ServiceState::StopPending) => (
                Outcome::Skipped,
                "already stopping; waited out before its folder is touched".to_string(),
            ),
            ServiceActionKind::NotRunning(state) => (
                Outcome::Skipped,
                format!("already {}; left as it is", state.as_str()),
            ),
            ServiceActionKind::Unknown(err) => (Outcome::Failed, format!("cannot query it: {err}")),
            ServiceActionKind::Protected => {
                let why =
                    "launch-protected: Windows lets no program stop it, so wufix does not try";
                if hard {
                    (
                        Outcome::Failed,
                        format!("{why}; the folder it guards is left untouched"),
                    )
                } else {
                    (Outcome::Skipped, format!("{why}; left running"))
                }
            }
            ServiceActionKind::Blocked { by } => {
                let why = format!(
                    "cannot stop while {by} runs: {by} depends on it and is launch-protected (it runs where AppLocker is used)"
                );
                if hard {
                    (
                        Outcome::Failed,
                        format!("{why}; the folder it guards is left untouched"),
                    )
                } else {
                    (Outcome::Skipped, format!("{why}; left running"))
                }
            }
        };
        Some(StepRecord::new(
            Action::StopService,
            &self.name,
            outcome,
            detail,
        ))
    }
}

impl FolderStep {
    pub fn action(&self) -> Action {
        match self.change {
            Change::RenameTo(_) => Action::RenameFolder,
            Change::Clear => Action::ClearFolder,
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
    pub fn preview(&self) -> crate::report::ResetReport {
        use crate::report::{BackupEvent, BackupRecord, ResetReport, ServicesReport};
        let steps = self.describe();
        let backups = self
            .steps
            .iter()
            .filter_map(|step| match step {
                Step::Folder(
                    f @ FolderStep {
                        change: Change::RenameTo(to),
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
            services: ServicesReport {
                before: self.services_before.clone(),
                after: Vec::new(),
            },
            backups,
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
