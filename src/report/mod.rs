//! The documents commands print: one per command (`reset` and `undo` share one), each made of
//! the facts the layers below produce. The printer turns them into text or one JSON document.

mod repair;

pub use repair::{RepairReport, RungReport, ScanReport, StartReport};

use serde::Serialize;

use crate::folders::inventory::{BackupRecord, FolderStatus};
use crate::machine::Mode;
use crate::record::StepRecord;
use crate::request::Method;
use crate::services::ServiceSnapshot;
use crate::servicing::{Refusal, ServicingCheck};

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ServicesReport {
    pub before: Vec<ServiceSnapshot>,
    pub after: Vec<ServiceSnapshot>,
}

/// The result of `wufix reset`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ResetReport {
    pub ok: bool,
    pub command: &'static str,
    pub mode: Mode,
    pub windows_dir: String,
    pub method: Method,
    pub dry_run: bool,
    pub steps: Vec<StepRecord>,
    /// `null` offline: a mounted installation has no services to inspect.
    pub services: Option<ServicesReport>,
    pub backups: Vec<BackupRecord>,
    /// The folder the run writes (a dry run: would write) its journal in, each change recorded
    /// there before it is made: offline, a write to the mounted disk like the renames.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub journal: Option<String>,
    /// What the servicing checks found before anything changed (online: registry, files,
    /// TrustedInstaller, setup; offline: the files).
    pub servicing: Vec<ServicingCheck>,
    /// Set when a servicing check refused the reset (exit 4): nothing was touched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refused: Option<Refusal>,
    /// `--force` overrode a servicing check that would have refused.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub forced: bool,
    pub reboot_recommended: bool,
    pub message: String,
}

/// The result of `wufix status`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StatusReport {
    pub ok: bool,
    pub command: &'static str,
    pub mode: Mode,
    pub windows_dir: String,
    /// `null` offline, where there is no service manager to ask.
    pub services: Option<Vec<ServiceSnapshot>>,
    pub folders: Vec<FolderStatus>,
    pub backups: Vec<BackupRecord>,
    /// The last run, an interrupted one, and journal files set aside.
    #[serde(flatten)]
    pub journal: crate::recovery::JournalView,
}

/// What every JSON document carries besides its own fields, written at the end of the command
/// (the printer's `finish`): between `ok`/`command` and the rest.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Envelope {
    pub wufix_version: String,
    /// Raised when a field's meaning changes.
    pub schema_version: u32,
    /// The NetBIOS name of the computer wufix ran on (a rescue system's, offline).
    pub computer: Option<String>,
    /// RFC 3339, UTC.
    pub started: String,
    pub finished: String,
    /// wufix's own exit code.
    pub exit_code: u8,
    /// With `--exit-codes msi`: the code the process exited with, for the installer host.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exit_code_mapped: Option<i32>,
    /// Why it is not ok; only when `ok` is false.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<crate::exit::Reason>,
    /// What went wrong beside the command's work without failing it (an event the Application
    /// log would not take).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// A command that stopped before doing anything (refused, not elevated, bad input).
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ErrorReport {
    pub ok: bool,
    pub command: &'static str,
    /// One sentence.
    pub error: String,
    /// For bad input: what kind (`unknown-argument`, `invalid-value`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_kind: Option<String>,
    /// For bad input: the argument it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub argument: Option<String>,
}
