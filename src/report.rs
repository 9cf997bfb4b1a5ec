//! What wufix found and did, as data: the printer turns it into text or one JSON document.

use serde::Serialize;

use crate::catalog::Folder;
use crate::folders::stats::Size;
use crate::request::Method;
use crate::sys::{ServiceState, StartType};

/// `1 file`, `2 files`: a count with its noun, for report text.
pub fn count(n: u64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// How a step ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Outcome {
    Done,
    Skipped,
    Failed,
    /// `--dry-run`: this would run.
    Planned,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Done => "done",
            Outcome::Skipped => "skipped",
            Outcome::Failed => "failed",
            Outcome::Planned => "planned",
        }
    }
}

/// An entry a step could not handle, with the OS error.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct EntryError {
    pub path: String,
    pub error: String,
    /// The raw OS error code, when there is one (32 = sharing violation on Windows).
    pub code: Option<i32>,
}

/// One line of the report: what was done to what, and how it went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepRecord {
    /// `stop-service`, `rename-folder`, `clear-folder`, `prune-backups`, `start-service`,
    /// `restart-windows`.
    pub action: &'static str,
    pub target: String,
    pub outcome: Outcome,
    pub detail: String,
    /// Whether the change can be undone (a rename can; a delete cannot).
    pub reversible: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<EntryError>,
}

impl StepRecord {
    pub fn new(
        action: &'static str,
        target: impl Into<String>,
        outcome: Outcome,
        detail: impl Into<String>,
    ) -> Self {
        StepRecord {
            action,
            target: target.into(),
            outcome,
            detail: detail.into(),
            reversible: true,
            errors: Vec::new(),
        }
    }

    pub fn irreversible(mut self) -> Self {
        self.reversible = false;
        self
    }
}

/// One service as seen at one moment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServiceSnapshot {
    pub name: String,
    pub exists: bool,
    pub state: Option<ServiceState>,
    pub start_type: Option<StartType>,
    pub pid: Option<u32>,
    /// Why the service could not be queried, when it could not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl ServiceSnapshot {
    pub fn is_active(&self) -> bool {
        self.state.is_some_and(ServiceState::is_active)
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ServicesReport {
    pub before: Vec<ServiceSnapshot>,
    pub after: Vec<ServiceSnapshot>,
}

/// What happened to a backup during this run (or, for `status`, that it exists).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BackupEvent {
    Created,
    Planned,
    Kept,
    Pruned,
    Present,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct BackupRecord {
    pub folder: Folder,
    pub path: String,
    pub event: BackupEvent,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
}

/// The result of `wufix reset`.
#[derive(Clone, Debug, Serialize)]
pub struct ResetReport {
    pub ok: bool,
    pub command: &'static str,
    pub mode: &'static str,
    pub windows_dir: String,
    pub method: Method,
    pub dry_run: bool,
    pub steps: Vec<StepRecord>,
    pub services: ServicesReport,
    pub backups: Vec<BackupRecord>,
    pub reboot_recommended: bool,
    pub message: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FolderStatus {
    pub folder: Folder,
    pub path: String,
    pub exists: bool,
    /// True when the folder is itself a link or junction (wufix will not reset it).
    pub is_link: bool,
    #[serde(flatten)]
    pub size: Size,
}

/// The result of `wufix status`.
#[derive(Clone, Debug, Serialize)]
pub struct StatusReport {
    pub ok: bool,
    pub command: &'static str,
    pub mode: &'static str,
    pub windows_dir: String,
    /// Empty offline, where there is no service manager to ask.
    pub services: Vec<ServiceSnapshot>,
    pub folders: Vec<FolderStatus>,
    pub backups: Vec<BackupRecord>,
}

/// A command that stopped before doing anything (refused, not elevated).
#[derive(Clone, Debug, Serialize)]
pub struct ErrorReport {
    pub ok: bool,
    pub command: &'static str,
    pub error: String,
}
