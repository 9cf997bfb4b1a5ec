//! How a run reports to the tool that started it (Intune, ConfigMgr, a script): one line on the
//! console, the full report in a file, and exit codes as installers' hosts read them.

use std::path::PathBuf;

use crate::exit::{Exit, Reason};

/// Which exit codes the process ends with.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ExitCodes {
    /// wufix's own (0–4, README's table).
    #[default]
    Wufix,
    /// What Intune Win32 apps and ConfigMgr deployment types read (`--exit-codes msi`).
    Msi,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Output {
    /// `--summary`: exactly one ASCII line on stdout, nothing on stderr.
    pub summary: bool,
    /// `--json-file`: the full report, written whole (never through a link).
    pub json_file: Option<PathBuf>,
    pub exit_codes: ExitCodes,
    /// `--no-event-log`: no event in the Application log.
    pub no_event_log: bool,
}

impl Output {
    /// Whether the report is kept as a document (printed as JSON, summarised, or filed).
    pub fn keeps_document(&self) -> bool {
        self.summary || self.json_file.is_some()
    }
}

/// wufix's outcome as installers' hosts read it: success 0; success that needs a restart 3010;
/// refused for safety or another run in progress 1618 (retry later); bad input 1639; not
/// elevated and any failure 1603.
pub fn msi_code(exit: Exit, reason: Option<Reason>, restart: bool) -> i32 {
    match (exit, reason) {
        (Exit::Ok, _) if restart => 3010,
        (Exit::Ok, _) => 0,
        (Exit::Refused, _) | (_, Some(Reason::Busy)) => 1618,
        (Exit::Usage, _) => 1639,
        (Exit::NotElevated | Exit::Failed, _) => 1603,
    }
}

/// What an exit code of wufix's means, in a few words (the summary line says it).
pub fn meaning(exit: Exit) -> &'static str {
    match exit {
        Exit::Ok => "success",
        Exit::Failed => "failed, or something needs attention",
        Exit::Usage => "bad input or nobody to ask; nothing touched",
        Exit::NotElevated => "needs administrator rights; nothing touched",
        Exit::Refused => "refused for safety (Windows is mid-servicing); nothing touched",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_outcome_maps_onto_the_installer_codes() {
        assert_eq!(msi_code(Exit::Ok, None, false), 0);
        assert_eq!(msi_code(Exit::Ok, None, true), 3010);
        assert_eq!(msi_code(Exit::Refused, Some(Reason::Refused), false), 1618);
        assert_eq!(msi_code(Exit::Failed, Some(Reason::Busy), false), 1618);
        assert_eq!(msi_code(Exit::Usage, Some(Reason::Usage), false), 1639);
        assert_eq!(msi_code(Exit::NotElevated, None, false), 1603);
        assert_eq!(msi_code(Exit::Failed, Some(Reason::StepFailed), true), 1603);
        assert_eq!(msi_code(Exit::Failed, Some(Reason::NotFixed), false), 1603);
    }
}
