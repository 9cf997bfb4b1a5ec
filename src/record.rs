//! The record of one step: what was done to what, and how it went. Every command's report is
//! made of these; the engine, recovery and the fixes write them, the printer shows them.

use serde::Serialize;

use crate::sys::Holder;

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

/// What a step does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// `repair`'s residue rung: a value an update blocker left, put back to Windows' own.
    Residue,
    /// `install`: this exe copied into wufix's protected folder, where the kit runs it from.
    Install,
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
            Action::Residue => "residue",
            Action::Install => "install",
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct EntryError {
    pub path: String,
    pub error: String,
    /// The raw OS error code, when there is one (32 = sharing violation on Windows).
    pub code: Option<i32>,
}

/// One line of the report: what was done to what, and how it went.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
    /// How long it took, where that is worth knowing (a service stopping or starting).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seconds: Option<f64>,
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
            seconds: None,
        }
    }

    /// How long the step took, to the millisecond.
    pub fn took(mut self, duration: std::time::Duration) -> Self {
        self.seconds = Some((duration.as_secs_f64() * 1000.0).round() / 1000.0);
        self
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
    fn actions_serialise_to_their_names() {
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
    }
}
