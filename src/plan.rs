//! A reset as an ordered list of steps, built from the request and a snapshot of the machine
//! before anything changes. `--dry-run` prints it; the engine runs it.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use crate::catalog::{self, Folder};
use crate::folders::{Layout, backup};
use crate::report::{Outcome, ServiceSnapshot, StepRecord};
use crate::request::{Location, Method, ResetRequest};
use crate::services;
use crate::sys::{Platform, ServiceState};

/// How long a locked file or folder is retried before it is reported.
pub const FILE_RETRY: Duration = Duration::from_secs(5);

#[derive(Clone, Debug)]
pub struct Plan {
    pub method: Method,
    pub online: bool,
    pub windows_dir: PathBuf,
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
    /// After a successful rename, delete wufix's oldest backups of `folder` beyond `keep`.
    PruneBackups {
        folder: Folder,
        path: PathBuf,
        keep: usize,
    },
    /// Start again the services that were running before.
    StartServices(Vec<String>),
    RestartWindows,
}

#[derive(Clone, Debug)]
pub struct ServiceAction {
    pub name: String,
    pub kind: ServiceActionKind,
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
}

#[derive(Clone, Debug)]
pub struct FolderStep {
    pub folder: Folder,
    pub path: PathBuf,
    pub change: Change,
    /// Services that must have stopped before the folder is touched.
    pub guards: Vec<String>,
}

#[derive(Clone, Debug)]
pub enum Change {
    RenameTo(PathBuf),
    Clear,
}

impl Plan {
    /// Build the plan. Online, this queries the services (read-only); it changes nothing.
    pub fn build(
        req: &ResetRequest,
        layout: &Layout,
        sys: &dyn Platform,
        now: jiff::Timestamp,
    ) -> Plan {
        let online = req.location == Location::Online;
        let mut steps = Vec::new();
        let mut services_before = Vec::new();

        if online {
            let mut names: Vec<String> = Vec::new();
            let wanted = req.folders.iter().flat_map(|f| f.guards().iter());
            let extra = if req.is_full() {
                catalog::FULL_RESET_EXTRA
            } else {
                &[]
            };
            for name in wanted.chain(extra) {
                if !names.iter().any(|n| n == name) {
                    names.push(name.to_string());
                }
            }
            services_before = services::snapshot(sys, &names);
            let mut actions: Vec<ServiceAction> = services_before.iter().map(action_for).collect();

            // Running dependents must stop first (Windows refuses otherwise) and start again after.
            let parents: Vec<String> = services_before
                .iter()
                .filter(|s| s.is_active())
                .map(|s| s.name.clone())
                .collect();
            for parent in parents {
                for dependent in sys.active_dependents(&parent).unwrap_or_default() {
                    if services_before
                        .iter()
                        .any(|s| s.name.eq_ignore_ascii_case(&dependent))
                    {
                        continue;
                    }
                    let snap = services::snapshot(sys, std::slice::from_ref(&dependent)).remove(0);
                    let mut action = action_for(&snap);
                    if let ServiceActionKind::Stop { dependent_of } = &mut action.kind {
                        *dependent_of = Some(parent.clone());
                    }
                    actions.push(action);
                    services_before.push(snap);
                }
            }
            steps.push(Step::StopServices(actions));
        }

        let stamp = backup::stamp(now);
        for &folder in &req.folders {
            let path = layout.path(folder).to_path_buf();
            let change = match req.method {
                Method::Rename => Change::RenameTo(backup::new_backup_path(&path, &stamp)),
                Method::Clear => Change::Clear,
            };
            let guards = if online {
                folder.guards().iter().map(|g| g.to_string()).collect()
            } else {
                Vec::new()
            };
            steps.push(Step::Folder(FolderStep {
                folder,
                path: path.clone(),
                change,
                guards,
            }));
            if req.method == Method::Rename {
                steps.push(Step::PruneBackups {
                    folder,
                    path,
                    keep: req.keep,
                });
            }
        }

        if online {
            let restart: Vec<String> = services_before
                .iter()
                .filter(|s| s.is_active())
                .map(|s| s.name.clone())
                .collect();
            steps.push(Step::StartServices(restart));
        }
        if req.reboot {
            steps.push(Step::RestartWindows);
        }

        Plan {
            method: req.method,
            online,
            windows_dir: layout.windows_dir.clone(),
            timeout: req.timeout,
            retry_for: FILE_RETRY,
            services_before,
            steps,
        }
    }

    /// The plan as report lines, each `planned` (or `skipped` where there is nothing to do).
    pub fn describe(&self) -> Vec<StepRecord> {
        self.steps.iter().flat_map(|step| step.describe()).collect()
    }

    /// The services the first step will stop, in plan order.
    pub fn services_to_stop(&self) -> Vec<&str> {
        self.steps
            .iter()
            .filter_map(|step| match step {
                Step::StopServices(actions) => Some(actions),
                _ => None,
            })
            .flatten()
            .filter(|a| matches!(a.kind, ServiceActionKind::Stop { .. }))
            .map(|a| a.name.as_str())
            .collect()
    }
}

fn action_for(snap: &ServiceSnapshot) -> ServiceAction {
    let kind = match (&snap.error, snap.exists, snap.state) {
        (Some(err), _, _) => ServiceActionKind::Unknown(err.clone()),
        (None, false, _) => ServiceActionKind::Absent,
        (None, true, Some(state)) if state.is_active() => {
            ServiceActionKind::Stop { dependent_of: None }
        }
        (None, true, state) => {
            ServiceActionKind::NotRunning(state.unwrap_or(ServiceState::Stopped))
        }
    };
    ServiceAction {
        name: snap.name.clone(),
        kind,
    }
}

pub const STOP: &str = "stop-service";
pub const START: &str = "start-service";
pub const RENAME: &str = "rename-folder";
pub const CLEAR: &str = "clear-folder";
pub const PRUNE: &str = "prune-backups";
pub const RESTART: &str = "restart-windows";

impl ServiceAction {
    /// The report line for a service that is not stopped: the same in a plan and in a run.
    pub fn skip_record(&self) -> Option<StepRecord> {
        let (outcome, detail) = match &self.kind {
            ServiceActionKind::Stop { .. } => return None,
            ServiceActionKind::Absent => (
                Outcome::Skipped,
                "not installed on this machine".to_string(),
            ),
            ServiceActionKind::NotRunning(state) => (
                Outcome::Skipped,
                format!("already {}; left as it is", state.as_str()),
            ),
            ServiceActionKind::Unknown(err) => (Outcome::Failed, format!("cannot query it: {err}")),
        };
        Some(StepRecord::new(STOP, &self.name, outcome, detail))
    }
}

impl FolderStep {
    pub fn action(&self) -> &'static str {
        match self.change {
            Change::RenameTo(_) => RENAME,
            Change::Clear => CLEAR,
        }
    }
}

impl Step {
    /// The step as report lines, before it runs.
    pub fn describe(&self) -> Vec<StepRecord> {
        match self {
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
                        StepRecord::new(STOP, &a.name, Outcome::Planned, detail)
                    })
                })
                .collect(),
            Step::Folder(f) => {
                let target = f.path.display().to_string();
                let present = fs::symlink_metadata(&f.path).is_ok();
                let record = match (&f.change, present) {
                    (_, false) => StepRecord::new(f.action(), target, Outcome::Skipped, "not present; nothing to do"),
                    (Change::RenameTo(to), true) => {
                        StepRecord::new(RENAME, target, Outcome::Planned, format!("rename to {}", to.display()))
                    }
                    (Change::Clear, true) => StepRecord::new(
                        CLEAR,
                        target,
                        Outcome::Planned,
                        "delete everything inside, keep the folder (cannot be undone)",
                    )
                    .irreversible(),
                };
                vec![record]
            }
            Step::PruneBackups { path, keep, .. } => {
                // The run adds one backup, so the existing ones beyond keep-1 would go.
                let existing = backup::list(path).unwrap_or_default();
                let doomed: Vec<String> = backup::beyond(&existing, keep.saturating_sub(1))
                    .iter()
                    .map(|b| b.path.display().to_string())
                    .collect();
                let detail = if doomed.is_empty() {
                    format!("keep the newest {keep} wufix backups; none to delete")
                } else {
                    format!("keep the newest {keep} wufix backups; delete {}", doomed.join(", "))
                };
                let outcome = if doomed.is_empty() { Outcome::Skipped } else { Outcome::Planned };
                vec![StepRecord::new(PRUNE, path.display().to_string(), outcome, detail).irreversible()]
            }
            Step::StartServices(names) => names
                .iter()
                .map(|n| StepRecord::new(START, n, Outcome::Planned, "was running before; start it again"))
                .collect(),
            Step::RestartWindows => vec![StepRecord::new(
                RESTART,
                "this computer",
                Outcome::Planned,
                "restart Windows after a successful reset",
            )],
        }
    }
}

impl Plan {
    /// The report of a dry run: the plan itself, with nothing done.
    pub fn preview(&self) -> crate::report::ResetReport {
        use crate::report::{BackupEvent, BackupRecord, ResetReport, ServicesReport};
        let steps = self.describe();
        let backups = self
            .steps
            .iter()
            .filter_map(|step| match step {
                Step::Folder(FolderStep {
                    folder,
                    path,
                    change: Change::RenameTo(to),
                    ..
                }) if path.exists() => Some(BackupRecord {
                    folder: *folder,
                    path: to.display().to_string(),
                    event: BackupEvent::Planned,
                    size: None,
                }),
                _ => None,
            })
            .collect();
        ResetReport {
            ok: steps.iter().all(|s| s.outcome != Outcome::Failed),
            command: "reset",
            mode: if self.online { "online" } else { "offline" },
            windows_dir: self.windows_dir.display().to_string(),
            method: self.method,
            dry_run: true,
            steps,
            services: ServicesReport {
                before: self.services_before.clone(),
                after: Vec::new(),
            },
            backups,
            reboot_recommended: false,
            message: "Dry run: nothing was changed.".to_string(),
        }
    }
}
