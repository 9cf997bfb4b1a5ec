//! What the user asked for, validated: the only input the core accepts. The command-line
//! layer builds it; nothing here knows about clap.

use std::path::PathBuf;
use std::time::Duration;

use serde::Serialize;

use crate::catalog::Folder;

pub mod output;
mod repair;
pub use repair::{Origin, RepairArgs, RepairRequest};

/// Where the Windows installation is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Location {
    /// The running Windows, with its services.
    Online,
    /// A mounted installation (from WinPE or a rescue system): files only.
    Offline(PathBuf),
}

/// How a folder is reset.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Method {
    /// Rename to a timestamped backup: reversible.
    #[default]
    Rename,
    /// Delete the contents, keep the folder: not reversible.
    Clear,
}

#[derive(Clone, Debug)]
pub struct StatusRequest {
    pub location: Location,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ResetRequest {
    pub location: Location,
    pub method: Method,
    /// The folders to reset, each once, in catalog order.
    pub folders: Vec<Folder>,
    pub dry_run: bool,
    pub assume_yes: bool,
    /// One deadline for stopping all services, and one for starting them again.
    pub timeout: Duration,
    /// How many wufix backups to keep per folder after a rename.
    pub keep: usize,
    pub reboot: bool,
    /// Reset even while Windows is mid-servicing (the report says it was overridden).
    pub force: bool,
    /// Never ask for administrator rights (UAC); exit 3 without them.
    pub no_elevate: bool,
    /// This is the copy another wufix started elevated: it never asks again.
    pub elevated_child: bool,
}

impl ResetRequest {
    /// A full reset (both folders) also stops msiserver, as the standard procedure does.
    pub fn is_full(&self) -> bool {
        Folder::ALL.iter().all(|f| self.folders.contains(f))
    }

    /// The command line (after the program name) that asks for this same reset of the running
    /// Windows: what the elevated copy is started with.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec!["reset".to_string()];
        if self.method == Method::Clear {
            args.extend(["--method".into(), "clear".into()]);
        }
        if !self.is_full() {
            for folder in &self.folders {
                args.extend(["--only".into(), folder_arg(*folder).into()]);
            }
        }
        if self.timeout != Duration::from_secs(DEFAULT_TIMEOUT_SECS) {
            args.extend(["--timeout".into(), self.timeout.as_secs().to_string()]);
        }
        if self.keep != DEFAULT_KEEP {
            args.extend(["--keep".into(), self.keep.to_string()]);
        }
        for (set, flag) in [
            (self.assume_yes, "--yes"),
            (self.reboot, "--reboot"),
            (self.force, "--force"),
        ] {
            if set {
                args.push(flag.into());
            }
        }
        args
    }
}

/// A folder as `--only` names it.
pub fn folder_arg(folder: Folder) -> &'static str {
    match folder {
        Folder::SoftwareDistribution => "software-distribution",
        Folder::Catroot2 => "catroot2",
        Folder::BitsQueue => "bits-queue",
    }
}

/// `wufix diagnose`.
#[derive(Clone, Debug)]
pub struct DiagnoseRequest {
    pub location: Location,
    /// Exit 1 when something needs remediation (an Intune detection script's contract).
    pub exit_code: bool,
}

/// `wufix logs`: handed logs, read wherever they are.
#[derive(Clone, Debug)]
pub struct LogsRequest {
    pub paths: Vec<std::path::PathBuf>,
    /// Exit 1 when a failure stands in them.
    pub exit_code: bool,
}

/// `wufix explain`: each input as given and what was read from it: a code, or why none (a
/// word with no code in it at all is `NoCode`, to be listed as ignored when another input gave
/// one).
#[derive(Clone, Debug)]
pub struct ExplainRequest {
    pub inputs: Vec<(String, crate::explain::Read)>,
}

impl ExplainRequest {
    /// Read every input (a code, a name, or pasted text holding one); usage error only when
    /// none gave a code.
    pub fn from_args(inputs: Vec<String>) -> Result<Self, UsageError> {
        let read: Vec<(String, crate::explain::Read)> = inputs
            .into_iter()
            .map(|input| {
                let r = crate::explain::read(&input);
                (input, r)
            })
            .collect();
        if !read
            .iter()
            .any(|(_, r)| matches!(r, crate::explain::Read::Code(_)))
        {
            let why: Vec<String> = read
                .iter()
                .map(|(input, r)| match r {
                    crate::explain::Read::Invalid(why) => why.clone(),
                    _ => format!("'{input}' holds no error code"),
                })
                .collect();
            return Err(UsageError(if why.is_empty() {
                "name at least one error code".to_string()
            } else {
                why.join("; ")
            }));
        }
        Ok(ExplainRequest { inputs: read })
    }
}

/// `wufix verify-scan` (hidden): one scan, written to `result_file` for the repair that waits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VerifyScanRequest {
    pub result_file: std::path::PathBuf,
    pub timeout: std::time::Duration,
}

/// `wufix install`: this exe into `%ProgramData%\wufix\bin`, after wufix has protected that
/// folder: the one place the deployment kit runs it from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InstallRequest {
    pub no_elevate: bool,
    pub elevated_child: bool,
}

impl InstallRequest {
    /// The command line an elevated copy is given.
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec!["install".to_string()];
        if self.no_elevate {
            args.push("--no-elevate".into());
        }
        args
    }
}

/// `wufix undo`: put back what the last reset or repair changed, part by part.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UndoRequest {
    pub location: Location,
    /// The folders to put back, each once, in catalog order.
    pub folders: Vec<Folder>,
    /// The settings a repair changed too (without `--only`, or with `--only settings`).
    pub settings: bool,
    pub dry_run: bool,
    pub assume_yes: bool,
    pub timeout: Duration,
    pub no_elevate: bool,
    pub elevated_child: bool,
}

impl UndoRequest {
    /// The reset whose plan an undo reuses: the same folders renamed aside (the folder Windows
    /// made since becomes a normal backup), never pruned, services put back.
    pub fn as_reset(&self) -> ResetRequest {
        ResetRequest {
            location: self.location.clone(),
            method: Method::Rename,
            folders: self.folders.clone(),
            dry_run: self.dry_run,
            assume_yes: self.assume_yes,
            timeout: self.timeout,
            keep: MAX_KEEP,
            reboot: false,
            force: false,
            no_elevate: self.no_elevate,
            elevated_child: self.elevated_child,
        }
    }

    /// The command line for this same undo (the elevated copy's).
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec!["undo".to_string()];
        if self.folders.len() != Folder::EVERY.len() || !self.settings {
            for folder in &self.folders {
                args.extend(["--only".into(), folder_arg(*folder).into()]);
            }
            if self.settings {
                args.extend(["--only".into(), "settings".into()]);
            }
        }
        if self.timeout != Duration::from_secs(DEFAULT_TIMEOUT_SECS) {
            args.extend(["--timeout".into(), self.timeout.as_secs().to_string()]);
        }
        if self.assume_yes {
            args.push("--yes".into());
        }
        args
    }
}

#[derive(Clone, Debug)]
pub enum Command {
    Status(StatusRequest),
    Reset(ResetRequest),
    Explain(ExplainRequest),
    Diagnose(DiagnoseRequest),
    Undo(UndoRequest),
    Repair(RepairRequest),
    Logs(LogsRequest),
    Install(InstallRequest),
    VerifyScan(VerifyScanRequest),
    /// The double-click menu of quick fixes.
    Menu,
}

#[derive(Clone, Debug)]
pub struct Request {
    pub command: Command,
    pub json: bool,
    /// Wait for Enter before exiting, so a window opened by a double-click stays readable.
    pub pause_at_end: bool,
    /// Also write the report here (the elevated copy, for the window that started it).
    /// The pipe the elevated copy hands its report back through.
    pub report_copy: Option<String>,
    /// One line, a report file, installers' exit codes (`--summary`, `--json-file`,
    /// `--exit-codes`).
    pub output: output::Output,
    /// `--not-within`: do nothing when a change this recent is in the journal.
    pub not_within: Option<jiff::SignedDuration>,
}

impl Request {
    /// What a double-click does: the menu of quick fixes, until the person chooses Q.
    pub fn double_clicked() -> Request {
        Request {
            command: Command::Menu,
            json: false,
            pause_at_end: false,
            report_copy: None,
            output: output::Output::default(),
            not_within: None,
        }
    }
}

/// Input that is wrong before any work starts: exit 2, nothing touched.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct UsageError(pub String);

pub const MAX_TIMEOUT_SECS: u64 = 3600;
pub const MAX_KEEP: usize = 100;

/// Arguments as the command line gives them, before validation.
#[derive(Clone, Debug, Default)]
pub struct ResetArgs {
    pub windows_dir: Option<PathBuf>,
    pub method: Method,
    pub only: Vec<Folder>,
    pub dry_run: bool,
    pub yes: bool,
    pub timeout_secs: u64,
    pub keep: usize,
    pub reboot: bool,
    pub force: bool,
    pub no_elevate: bool,
    pub elevated_child: bool,
}

impl ResetRequest {
    pub fn from_args(args: ResetArgs) -> Result<Self, UsageError> {
        if args.timeout_secs == 0 || args.timeout_secs > MAX_TIMEOUT_SECS {
            return Err(UsageError(format!(
                "--timeout must be between 1 and {MAX_TIMEOUT_SECS} seconds, not {}",
                args.timeout_secs
            )));
        }
        if args.keep == 0 || args.keep > MAX_KEEP {
            return Err(UsageError(format!(
                "--keep must be between 1 and {MAX_KEEP}, not {} (to keep no backup, use --method clear)",
                args.keep
            )));
        }
        let location = match args.windows_dir {
            Some(dir) => Location::Offline(dir),
            None => Location::Online,
        };
        if args.reboot && location != Location::Online {
            return Err(UsageError(
                "--reboot restarts the running Windows; it cannot be used with --windows-dir"
                    .into(),
            ));
        }
        let folders = if args.only.is_empty() {
            Folder::ALL.to_vec()
        } else {
            let mut only = args.only;
            only.sort();
            only.dedup();
            only
        };
        Ok(ResetRequest {
            location,
            method: args.method,
            folders,
            dry_run: args.dry_run,
            assume_yes: args.yes,
            timeout: Duration::from_secs(args.timeout_secs),
            keep: args.keep,
            reboot: args.reboot,
            force: args.force,
            no_elevate: args.no_elevate,
            elevated_child: args.elevated_child,
        })
    }
}

pub const DEFAULT_KEEP: usize = 3;
pub const DEFAULT_TIMEOUT_SECS: u64 = 60;

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> ResetArgs {
        ResetArgs {
            timeout_secs: DEFAULT_TIMEOUT_SECS,
            keep: DEFAULT_KEEP,
            ..ResetArgs::default()
        }
    }

    #[test]
    fn defaults_are_a_full_online_rename() {
        let req = ResetRequest::from_args(args()).unwrap();
        assert_eq!(req.method, Method::Rename);
        assert_eq!(req.location, Location::Online);
        assert!(req.is_full());
        assert_eq!(req.timeout, Duration::from_secs(60));
    }

    #[test]
    fn only_is_deduplicated_and_narrows() {
        let req = ResetRequest::from_args(ResetArgs {
            only: vec![Folder::Catroot2, Folder::Catroot2],
            ..args()
        })
        .unwrap();
        assert_eq!(req.folders, [Folder::Catroot2]);
        assert!(!req.is_full());
    }

    #[test]
    fn out_of_range_numbers_are_usage_errors() {
        for bad in [
            ResetArgs {
                timeout_secs: 0,
                ..args()
            },
            ResetArgs { keep: 0, ..args() },
        ] {
            assert!(ResetRequest::from_args(bad).is_err());
        }
    }

    #[test]
    fn a_double_click_opens_the_menu_which_ends_only_on_quit() {
        let req = Request::double_clicked();
        assert!(matches!(req.command, Command::Menu));
        assert!(!req.json && req.report_copy.is_none());
        // The menu keeps the window open itself: no extra pause after Q.
        assert!(!req.pause_at_end);
    }

    #[test]
    fn reboot_needs_the_running_windows() {
        let err = ResetRequest::from_args(ResetArgs {
            windows_dir: Some("/mnt/win".into()),
            reboot: true,
            ..args()
        })
        .unwrap_err();
        assert!(err.0.contains("--reboot"));
    }
}
