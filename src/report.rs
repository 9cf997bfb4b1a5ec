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

/// `1234 files, 5.6 MB`.
pub fn size_text(files: u64, bytes: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KB", "MB", "GB", "TB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit < UNITS.len() - 1 {
        value /= 1024.0;
        unit += 1;
    }
    let amount = if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    };
    format!("{}, {amount}", count(files, "file", "files"))
}

/// Whether a command acts on the running Windows or on a mounted one.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    Online,
    Offline,
}

impl Mode {
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Online => "online",
            Mode::Offline => "offline",
        }
    }
}

/// What a step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Action {
    StopService,
    RenameFolder,
    ClearFolder,
    PruneBackups,
    /// `undo`: a backup renamed back to its folder.
    RestoreFolder,
    StartService,
    RestartWindows,
    /// `repair`: a service's permissions compared with Windows' default (and restored).
    ServicePermissions,
    /// `repair`: the WSUS client identity reset.
    WsusIdentity,
    /// `repair`: the update DLLs re-registered.
    RegisterDlls,
    /// `repair --network`: the Winsock catalogue reset.
    WinsockReset,
    /// `repair --network`: the WinHTTP proxy reset to direct access.
    ProxyReset,
    /// `repair`: DISM /RestoreHealth.
    Dism,
    /// `repair`: sfc /scannow.
    Sfc,
    /// `undo`: a setting a repair changed, put back.
    RestoreSetting,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::StopService => "stop-service",
            Action::RenameFolder => "rename-folder",
            Action::ClearFolder => "clear-folder",
            Action::PruneBackups => "prune-backups",
            Action::StartService => "start-service",
            Action::RestartWindows => "restart-windows",
            Action::RestoreFolder => "restore-folder",
            Action::ServicePermissions => "service-permissions",
            Action::WsusIdentity => "wsus-identity",
            Action::RegisterDlls => "register-dlls",
            Action::WinsockReset => "winsock-reset",
            Action::ProxyReset => "proxy-reset",
            Action::Dism => "dism",
            Action::Sfc => "sfc",
            Action::RestoreSetting => "restore-setting",
        }
    }

    /// A step that changes a folder.
    pub fn touches_folder(self) -> bool {
        matches!(
            self,
            Action::RenameFolder | Action::ClearFolder | Action::RestoreFolder
        )
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

/// A process that holds a file open, as the Restart Manager names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Holder {
    pub pid: u32,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

impl Holder {
    /// `Microsoft Defender Antivirus Service (pid 3120, service WinDefend)`.
    pub fn describe(&self) -> String {
        match &self.service {
            Some(service) => format!("{} (pid {}, service {service})", self.name, self.pid),
            None => format!("{} (pid {})", self.name, self.pid),
        }
    }
}

/// One line of the report: what was done to what, and how it went.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StepRecord {
    pub action: Action,
    pub target: String,
    pub outcome: Outcome,
    pub detail: String,
    /// Whether the change can be undone (a rename can; a delete cannot).
    pub reversible: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<EntryError>,
    /// Who holds the files that could not be renamed or deleted, when Windows can tell.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub holders: Vec<Holder>,
    /// The last lines a program printed (DISM, sfc, netsh), for the report.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub output: Vec<String>,
    /// A repair's plan: what could go wrong with this step, in a few words.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub risk: Option<&'static str>,
}

impl StepRecord {
    pub fn new(
        action: Action,
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
            holders: Vec::new(),
            output: Vec::new(),
            risk: None,
        }
    }

    pub fn irreversible(mut self) -> Self {
        self.reversible = false;
        self
    }

    pub fn with_risk(mut self, risk: &'static str) -> Self {
        self.risk = Some(risk);
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
    /// Launch-protected: no program may stop it, so wufix never tries.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub protected: bool,
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
    /// `undo` renamed it back to its folder.
    Restored,
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
    /// A link (or junction) named like a backup: not a backup, never entered nor pruned.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub is_link: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
}

/// The result of `wufix reset`.
#[derive(Clone, Debug, Serialize)]
pub struct ResetReport {
    pub ok: bool,
    pub command: &'static str,
    pub mode: Mode,
    pub windows_dir: String,
    pub method: Method,
    pub dry_run: bool,
    pub steps: Vec<StepRecord>,
    pub services: ServicesReport,
    pub backups: Vec<BackupRecord>,
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

/// One check of "is Windows in the middle of servicing?".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ServicingCheck {
    pub id: &'static str,
    /// Whether the condition holds now.
    pub found: bool,
    /// Whether, found, it refuses a reset (otherwise it only warns).
    pub blocks: bool,
    pub detail: String,
}

/// Why a reset was refused before it touched anything.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Refusal {
    pub reason: String,
    /// The ids of the checks that refused.
    pub checks: Vec<&'static str>,
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
    pub mode: Mode,
    pub windows_dir: String,
    /// Empty offline, where there is no service manager to ask.
    pub services: Vec<ServiceSnapshot>,
    pub folders: Vec<FolderStatus>,
    pub backups: Vec<BackupRecord>,
    /// The last run, an interrupted one, and journal files set aside.
    #[serde(flatten)]
    pub journal: crate::recovery::JournalView,
}

/// A command that stopped before doing anything (refused, not elevated).
#[derive(Clone, Debug, Serialize)]
pub struct ErrorReport {
    pub ok: bool,
    pub command: &'static str,
    pub error: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size_text(3, 512), "3 files, 512 B");
        assert_eq!(size_text(1, 1536), "1 file, 1.5 KB");
        assert_eq!(size_text(0, 5 * 1024 * 1024 * 1024), "0 files, 5.0 GB");
    }

    #[test]
    fn actions_and_modes_serialise_to_their_names() {
        for action in [
            Action::StopService,
            Action::RenameFolder,
            Action::ClearFolder,
            Action::PruneBackups,
            Action::StartService,
            Action::RestartWindows,
        ] {
            assert_eq!(
                serde_json::to_value(action).unwrap(),
                serde_json::Value::from(action.as_str())
            );
        }
        assert_eq!(serde_json::to_value(Mode::Offline).unwrap(), "offline");
    }
}
