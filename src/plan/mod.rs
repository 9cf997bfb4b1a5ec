//! A reset as an ordered list of steps, built from the request and a snapshot of the machine
//! before anything changes. `--dry-run` prints it; the engine runs it. Both judge a folder with the
//! same preflight and a prune with the same decision, so the dry run shows what the run would do.

mod describe;
mod services;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

pub use services::{ServiceAction, ServiceActionKind};

use crate::catalog::{self, Folder, Guard, GuardKind};
use crate::fixes::{Fix, PutBack};
use crate::folders::{Layout, backup};
use crate::journal::{self, Op};
use crate::machine::Mode;
use crate::request::{Location, Method, ResetRequest};
use crate::services::{ServiceSnapshot, snapshot};
use crate::sys::Platform;

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
    /// A change beyond folders and services (a repair's permissions, registry values and
    /// programs, or undo putting a setting back): it describes and runs itself.
    Fix(Arc<dyn Fix>),
    /// Start again the services that were running before and were stopped.
    StartServices(Vec<String>),
    RestartWindows,
}

#[derive(Clone, Debug)]
pub struct FolderStep {
    pub folder: Folder,
    pub path: PathBuf,
    pub change: FolderChange,
    /// Services that must be stopped (hard) or should be (best-effort) before the folder is touched.
    pub guards: Vec<Guard>,
    /// `undo`: once the folder is out of the way (renamed aside, or absent), rename this backup
    /// back to it.
    pub restore: Option<PathBuf>,
}

/// What happens to a folder: renamed aside to a backup, or its contents deleted.
#[derive(Clone, Debug)]
pub enum FolderChange {
    RenameTo(PathBuf),
    Clear,
}

impl Plan {
    /// Where this run's journal is written (shown with the plan: it is a write too).
    pub fn journal_dir(&self) -> String {
        crate::journal::Store::for_windows(&self.layout.windows_dir, self.mode)
            .dir()
            .display()
            .to_string()
    }

    /// An undo: the reset plan for the same folders (stop the guards, set the folder Windows
    /// made since aside as a normal backup, start again what ran), with no pruning, and each
    /// folder's `backup` renamed back once its place is free.
    pub fn undo(
        req: &ResetRequest,
        layout: &Layout,
        sys: &dyn Platform,
        now: jiff::Timestamp,
        restores: &[(Folder, PathBuf)],
        settings: &[Op],
    ) -> Plan {
        let reverts = settings
            .iter()
            .map(|op| Step::Fix(Arc::new(PutBack(op.clone()))))
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
            services_before = snapshot(sys, &names);
            let mut actions: Vec<ServiceAction> = services_before
                .iter()
                .map(|snap| ServiceAction {
                    name: snap.name.clone(),
                    kind: services::action_for(snap),
                    guards: guard_kind(&snap.name),
                })
                .collect();
            services::add_dependents(sys, &mut actions, &mut services_before);
            steps.push(Step::StopServices(actions));
        }

        let stamp = backup::stamp(now);
        for &folder in &req.folders {
            let path = layout.path(folder).to_path_buf();
            let change = match req.method {
                Method::Rename => FolderChange::RenameTo(backup::new_backup_path(&path, &stamp)),
                Method::Clear => FolderChange::Clear,
            };
            let guards = if mode == Mode::Online {
                folder.guards().to_vec()
            } else {
                Vec::new()
            };
            if let FolderChange::RenameTo(created) = &change {
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
            steps.push(Step::StartServices(services::restart_list(&steps)));
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
    /// The journal's first record for a run of this plan by `command` (`undoes`: the journal of
    /// the run an undo reverses).
    pub fn start_record(&self, command: &str, undoes: Option<String>) -> journal::Start {
        journal::Start {
            undoes,
            version: journal::VERSION,
            started: jiff::Timestamp::now().to_string(),
            command: command.to_string(),
            mode: self.mode,
            windows_dir: self.layout.windows_dir.display().to_string(),
            pid: std::process::id(),
            process_started: crate::sys::process_started(),
            recovers: Vec::new(),
            machine: None,
            services_before: self
                .services_before
                .iter()
                .filter(|s| s.exists)
                .map(|s| journal::ServiceBefore {
                    name: s.name.clone(),
                    state: s.state,
                    start_type: s.start_type,
                })
                .collect(),
        }
    }
}
