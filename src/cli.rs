//! The command line: clap types, and their translation into a validated request. The core never
//! sees these types.

use std::path::PathBuf;

use clap::{Args, CommandFactory, Parser, Subcommand, ValueEnum};
use wufix::catalog::Folder;
use wufix::ladder::Rung;
use wufix::request::output::{ExitCodes, Output};
use wufix::request::{
    self, Command, DiagnoseRequest, ExplainRequest, InstallRequest, Location, LogsRequest, Method,
    RepairArgs, RepairRequest, Request, ResetArgs, ResetRequest, StatusRequest, UndoRequest,
    UsageError, VerifyScanRequest,
};

#[derive(Parser, Debug)]
#[command(
    name = "wufix",
    version,
    about = "Repairs Windows Update: stops the update services, renames (or clears) \
SoftwareDistribution and catroot2, and puts every service back as it was.",
    after_help = "Exit codes: 0 ok, 1 a step failed (services restored), a repair did not make Windows \
Update work, nothing to undo, another run holds the lock, or a mounted volume is hibernated or \
read-only; with diagnose --exit-code, a finding `wufix repair --yes` would fix; with logs \
--exit-code, a failure standing in the logs. 2 usage error, nothing readable for logs, or no --yes \
where nobody can be asked (nothing touched), 3 not running as administrator (nothing touched), 4 refused for safety: Windows is in \
the middle of servicing (nothing touched; restart Windows first, or pass --force). With --json: \
one document on stdout, nothing on stderr, and `reason` says why when it is not ok."
)]
pub struct Cli {
    /// Without a command: a double-click runs a guided reset; a terminal gets this help.
    #[command(subcommand)]
    command: Option<CliCommand>,
    /// Show every step and every piece of evidence, not only what matters.
    #[arg(long, global = true)]
    verbose: bool,
    /// For a fleet tool: print exactly one line (ASCII, at most 2,000 characters) on stdout,
    /// nothing on stderr.
    #[arg(long, global = true)]
    summary: bool,
    /// Write the full JSON report to PATH, whole (written beside it, then renamed over; never
    /// through a link). Without --json it implies --summary.
    #[arg(long, global = true, value_name = "PATH")]
    json_file: Option<PathBuf>,
    /// msi: exit with the codes Intune Win32 apps and ConfigMgr read (0, 3010, 1618, 1639,
    /// 1603); the report's exit_code stays wufix's own.
    #[arg(long, global = true, value_enum, value_name = "CODES", default_value_t = CliExitCodes::Wufix)]
    exit_codes: CliExitCodes,
    /// Write no event to the Application log (a run that changes something, or is refused,
    /// writes one under the source "wufix").
    #[arg(long, global = true)]
    no_event_log: bool,
}

/// `--not-within`, the schedule's throttle, for the commands that change something.
#[derive(Args, Debug)]
struct Throttle {
    /// Do nothing (and say so, exit 0) when a reset or repair that finished and changed
    /// something ran on this installation within DURATION (24h, 90m, 7d).
    #[arg(long, value_name = "DURATION")]
    not_within: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum CliExitCodes {
    Wufix,
    Msi,
}

#[derive(Subcommand, Debug)]
enum CliCommand {
    /// Show the update services, the update folders and wufix's backups.
    Status(StatusCli),
    /// Stop the update services, reset the folders, start the services again.
    Reset(ResetCli),
    /// Explain Windows Update error codes: what they mean and what fixes them.
    Explain(ExplainCli),
    /// Check what is wrong before resetting: services, pending restart, disk, folders, recent
    /// failures, WSUS and proxy.
    Diagnose(DiagnoseCli),
    /// Put back the folders the last reset renamed (from the journal, or the newest wufix
    /// backups), setting aside what Windows made since.
    Undo(UndoCli),
    /// Repair step by step when a reset is not enough: light (the folders and the BITS queue),
    /// full (service permissions, the WSUS identity, the update DLLs; Winsock and the proxy with
    /// --network), deep (DISM, sfc). A Windows Update scan after each rung decides whether to
    /// climb. With --windows-dir, only the residue rung of a mounted Windows.
    Repair(RepairCli),
    /// Read logs handed over from another machine (files or folders: CBS.log, dism.log,
    /// setupact.log, SetupDiagResults.xml, WindowsUpdate.log, pasted excerpts) and report what
    /// they show, as diagnose does. Recognised by content; folders walked without following links.
    Logs(LogsCli),
    /// Copy this wufix.exe into %ProgramData%\wufix\bin once wufix has protected that folder
    /// (only SYSTEM and Administrators may write there): where the deployment kit runs it from.
    Install(InstallCli),
    /// One Windows Update scan, its result written to a file: what the one-shot task a repair
    /// from a network logon makes runs as SYSTEM. Not for people.
    #[command(hide = true)]
    VerifyScan(VerifyScanCli),
}

#[derive(Args, Debug)]
struct VerifyScanCli {
    #[arg(long, value_name = "PATH")]
    result_file: PathBuf,
    #[arg(long, value_name = "SECONDS", value_parser = clap::value_parser!(u64).range(1..=3600))]
    timeout: u64,
}

#[derive(Args, Debug)]
struct InstallCli {
    /// Print one JSON document on stdout instead of text.
    #[arg(long)]
    json: bool,
    /// Without administrator rights, stop with exit 3 instead of asking Windows for them.
    #[arg(long)]
    no_elevate: bool,
    #[arg(long, hide = true)]
    elevated_child: bool,
    #[arg(long, hide = true, value_name = "PIPE", value_parser = report_pipe)]
    report_pipe: Option<String>,
}

#[derive(Args, Debug)]
struct LogsCli {
    /// Log files or folders holding them.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Print one JSON document on stdout instead of text.
    #[arg(long)]
    json: bool,
    /// Exit 1 when a failure stands in the logs, 0 otherwise.
    #[arg(long)]
    exit_code: bool,
}

#[derive(Args, Debug)]
struct RepairCli {
    #[command(flatten)]
    throttle: Throttle,
    /// Start where this error code points (wufix explain shows where).
    #[arg(long = "for", value_name = "CODE", allow_hyphen_values = true)]
    for_code: Option<String>,
    /// Start at this rung, whatever the evidence says.
    #[arg(long, value_enum, value_name = "RUNG")]
    from: Option<CliRung>,
    /// The highest rung to climb to. deep runs DISM and sfc, which take long: it must be asked for.
    /// (Default: full; residue when the evidence starts there.)
    #[arg(long, value_enum, value_name = "RUNG")]
    up_to: Option<CliRung>,
    /// For DISM: an install.wim or install.esd of the same Windows build (a mounted ISO), as
    /// PATH or PATH:INDEX; Windows Update is then not asked for files.
    #[arg(long, value_name = "PATH[:INDEX]")]
    source: Option<String>,
    /// Also reset Winsock and the WinHTTP proxy (can break VPN clients; the proxy is saved for undo).
    #[arg(long)]
    network: bool,
    /// Print every rung's plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Print one JSON document on stdout instead of text.
    #[arg(long)]
    json: bool,
    /// A mounted Windows: put back what an update blocker left in its registry (the residue
    /// rung only). On Windows PE its hives are loaded and written, journaled; on Linux, or with
    /// --dry-run, the Windows PE commands are printed and nothing is written.
    #[arg(long, value_name = "DIR")]
    windows_dir: Option<PathBuf>,
    /// Do not scan between rungs: run every rung from the first to --up-to.
    #[arg(long)]
    no_verify: bool,
    /// Seconds to wait for the services to stop (and again to start), per rung.
    #[arg(long, value_name = "SECS", default_value_t = request::DEFAULT_TIMEOUT_SECS)]
    timeout: u64,
    /// Repair even while Windows is in the middle of servicing.
    #[arg(long)]
    force: bool,
    /// Without administrator rights, stop with exit 3 instead of asking Windows for them.
    #[arg(long)]
    no_elevate: bool,
    #[arg(long, hide = true)]
    elevated_child: bool,
    #[arg(long, hide = true, value_name = "PIPE", value_parser = report_pipe)]
    report_pipe: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CliRung {
    Residue,
    Light,
    Full,
    Deep,
}

impl CliRung {
    fn rung(self) -> Rung {
        match self {
            CliRung::Residue => Rung::Residue,
            CliRung::Light => Rung::Light,
            CliRung::Full => Rung::Full,
            CliRung::Deep => Rung::Deep,
        }
    }
}

#[derive(Args, Debug)]
struct UndoCli {
    #[command(flatten)]
    common: Common,
    /// Put back only this folder (repeatable; the names the screens show work too, in any case).
    #[arg(long, value_enum, value_name = "FOLDER", ignore_case = true)]
    only: Vec<UndoFolder>,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long)]
    yes: bool,
    /// Seconds to wait for the services to stop, and again to start.
    #[arg(long, value_name = "SECS", default_value_t = request::DEFAULT_TIMEOUT_SECS)]
    timeout: u64,
    /// Without administrator rights, stop with exit 3 instead of asking Windows for them.
    #[arg(long)]
    no_elevate: bool,
    #[arg(long, hide = true)]
    elevated_child: bool,
    #[arg(long, hide = true, value_name = "PIPE", value_parser = report_pipe)]
    report_pipe: Option<String>,
}

#[derive(Args, Debug)]
struct DiagnoseCli {
    #[command(flatten)]
    common: Common,
    /// Exit 1 when a finding would be fixed by `wufix repair --yes` run unattended (evidence
    /// picks the rung, up to full), 0 otherwise; what needs more is listed, never a trigger.
    /// For detection scripts, paired with `repair --yes` as the remediation.
    #[arg(long)]
    exit_code: bool,
}

#[derive(Args, Debug)]
#[command(allow_negative_numbers = true)]
struct ExplainCli {
    /// Codes as hex (0x800F0922, 800f0922), decimal (-2146498270, 2148469026) or names
    /// (CBS_E_INSTALLERS_FAILED).
    #[arg(required = true, value_name = "CODE")]
    codes: Vec<String>,
    /// Print one JSON document on stdout instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
struct Common {
    /// Print one JSON document on stdout instead of text.
    #[arg(long)]
    json: bool,
    /// Work on a mounted Windows installation (its Windows folder, or the volume holding it)
    /// instead of the running one. No services are touched.
    #[arg(long, value_name = "DIR")]
    windows_dir: Option<PathBuf>,
}

#[derive(Args, Debug)]
struct StatusCli {
    #[command(flatten)]
    common: Common,
}

#[derive(Args, Debug)]
struct ResetCli {
    #[command(flatten)]
    common: Common,
    #[command(flatten)]
    throttle: Throttle,
    /// rename: move each folder to a timestamped backup (reversible). clear: delete its contents.
    #[arg(long, value_enum, default_value_t = CliMethod::Rename)]
    method: CliMethod,
    /// Reset only this folder (repeatable; the names the screens show work too, in any case);
    /// its services are the only ones stopped.
    #[arg(long, value_enum, value_name = "FOLDER", ignore_case = true)]
    only: Vec<CliFolder>,
    /// Print the plan and change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Do not ask for confirmation.
    #[arg(long, short = 'y')]
    yes: bool,
    /// Seconds to wait for all services to stop (and again to start).
    #[arg(long, value_name = "SECS", default_value_t = request::DEFAULT_TIMEOUT_SECS)]
    timeout: u64,
    /// wufix backups to keep per folder after a rename; older ones are deleted.
    #[arg(long, value_name = "N", default_value_t = request::DEFAULT_KEEP)]
    keep: usize,
    /// Restart Windows after a successful reset.
    #[arg(long)]
    reboot: bool,
    /// Reset even while Windows is in the middle of servicing (a pending restart of installed
    /// updates, an install in progress). The report says the check was overridden.
    #[arg(long)]
    force: bool,
    /// Without administrator rights, stop with exit 3 instead of asking Windows for them (a UAC
    /// prompt). Implied by --json, and whenever there is no console to ask on.
    #[arg(long)]
    no_elevate: bool,
    /// Set by wufix on the copy it starts elevated: never ask again, keep the window open.
    #[arg(long, hide = true)]
    elevated_child: bool,
    /// Set by wufix on the copy it starts elevated: where the first window finds the report.
    #[arg(long, hide = true, value_name = "PIPE", value_parser = report_pipe)]
    report_pipe: Option<String>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CliMethod {
    Rename,
    Clear,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum CliFolder {
    #[value(alias = "softwaredistribution", alias = "update-cache")]
    SoftwareDistribution,
    Catroot2,
}

/// What `undo` can put back: a reset's folders, the BITS queue `repair` sets aside, and the
/// settings a repair changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum UndoFolder {
    #[value(alias = "softwaredistribution", alias = "update-cache")]
    SoftwareDistribution,
    Catroot2,
    #[value(alias = "downloader")]
    BitsQueue,
    Settings,
}

impl UndoFolder {
    fn folder(self) -> Option<Folder> {
        match self {
            UndoFolder::SoftwareDistribution => Some(Folder::SoftwareDistribution),
            UndoFolder::Catroot2 => Some(Folder::Catroot2),
            UndoFolder::BitsQueue => Some(Folder::BitsQueue),
            UndoFolder::Settings => None,
        }
    }
}

impl CliFolder {
    fn folder(self) -> Folder {
        match self {
            CliFolder::SoftwareDistribution => Folder::SoftwareDistribution,
            CliFolder::Catroot2 => Folder::Catroot2,
        }
    }
}

impl Cli {
    pub fn json(&self) -> bool {
        match &self.command {
            None => false,
            Some(CliCommand::Status(s)) => s.common.json,
            Some(CliCommand::Reset(r)) => r.common.json,
            Some(CliCommand::Explain(e)) => e.json,
            Some(CliCommand::Diagnose(d)) => d.common.json,
            Some(CliCommand::Undo(u)) => u.common.json,
            Some(CliCommand::Repair(r)) => r.json,
            Some(CliCommand::Logs(l)) => l.json,
            Some(CliCommand::Install(i)) => i.json,
            Some(CliCommand::VerifyScan(_)) => false,
        }
    }

    pub fn verbose(&self) -> bool {
        self.verbose
    }

    /// How the run reports to the tool that started it.
    pub fn output(&self) -> Result<Output, UsageError> {
        let exit_codes = match self.exit_codes {
            CliExitCodes::Wufix => ExitCodes::Wufix,
            // A Unix exit status has 8 bits: 3010 would arrive as 194.
            CliExitCodes::Msi if !cfg!(windows) => {
                return Err(UsageError(
                    "--exit-codes msi is for Windows' installer hosts; this system's exit codes have 8 bits".into(),
                ));
            }
            CliExitCodes::Msi => ExitCodes::Msi,
        };
        Ok(Output {
            summary: self.summary,
            json_file: self.json_file.clone(),
            exit_codes,
            no_event_log: self.no_event_log,
        })
    }

    /// The subcommand's name, for reports about a request that could not be built.
    pub fn command_name(&self) -> &'static str {
        self.command.as_ref().map_or("wufix", CliCommand::name)
    }
}

impl CliCommand {
    fn name(&self) -> &'static str {
        match self {
            CliCommand::Status(_) => "status",
            CliCommand::Reset(_) => "reset",
            CliCommand::Explain(_) => "explain",
            CliCommand::Diagnose(_) => "diagnose",
            CliCommand::Undo(_) => "undo",
            CliCommand::Repair(_) => "repair",
            CliCommand::Logs(_) => "logs",
            CliCommand::Install(_) => "install",
            CliCommand::VerifyScan(_) => "verify-scan",
        }
    }
}

/// What a command line that clap rejected gets: help and version as clap prints them; any other
/// error as one JSON document on stdout when `--json` was among the arguments (a fleet tool reads
/// stdout), as clap's text otherwise. Exit 2 for errors, nothing touched.
pub fn rejected(err: clap::Error, args: &[std::ffi::OsString]) -> i32 {
    use clap::error::ErrorKind;
    if matches!(
        err.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
    ) {
        let _ = err.print();
        return 0;
    }
    let given = |flag: &str| {
        args.iter()
            .skip(1)
            .filter_map(|a| a.to_str())
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    // A fleet tool asked for one line (or a report file): it gets the line, nothing on stderr.
    let summary = !given("--json") && (given("--summary") || given("--json-file"));
    if !given("--json") && !summary {
        let _ = err.print();
        return 2;
    }
    let command = args
        .iter()
        .skip(1)
        .filter_map(|a| a.to_str())
        .find_map(|a| {
            [
                "status", "reset", "explain", "diagnose", "undo", "repair", "logs", "install",
            ]
            .into_iter()
            .find(|name| *name == a)
        })
        .unwrap_or("wufix");
    let message = err.render().to_string();
    let message = message.trim().trim_start_matches("error: ");
    let kind = match err.kind() {
        ErrorKind::UnknownArgument => "unknown-argument",
        ErrorKind::InvalidSubcommand => "unknown-command",
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => "invalid-value",
        ErrorKind::MissingRequiredArgument => "missing-argument",
        ErrorKind::MissingSubcommand | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            "missing-command"
        }
        ErrorKind::ArgumentConflict => "conflicting-arguments",
        ErrorKind::TooManyValues | ErrorKind::TooFewValues | ErrorKind::WrongNumberOfValues => {
            "wrong-number-of-values"
        }
        _ => "invalid-input",
    };
    let argument = match err.get(clap::error::ContextKind::InvalidArg) {
        Some(clap::error::ContextValue::String(arg)) => Some(arg.clone()),
        _ => None,
    };
    let msi = cfg!(windows)
        && (args
            .windows(2)
            .any(|w| w[0] == "--exit-codes" && w[1] == "msi")
            || given("--exit-codes=msi"));
    let output = Output {
        summary,
        json_file: None,
        no_event_log: true,
        exit_codes: if msi {
            ExitCodes::Msi
        } else {
            ExitCodes::Wufix
        },
    };
    let printer = wufix::printer::Printer::new(!summary).with_output(output);
    printer.usage(command, message, Some(kind.to_string()), argument);
    printer.finish(wufix::Exit::Usage)
}

impl Cli {
    pub fn into_request(self) -> Result<Request, UsageError> {
        let json = self.json();
        let output = self.output()?;
        let Some(command) = self.command else {
            if wufix::sys::console_is_ours() {
                return Ok(Request::double_clicked());
            }
            return Err(UsageError(format!(
                "a command is needed\n\n{}",
                Cli::command().render_help()
            )));
        };
        let mut report_copy = None;
        let mut not_within = None;
        let command = match command {
            CliCommand::Explain(e) => Command::Explain(ExplainRequest::from_args(e.codes)?),
            CliCommand::Install(i) => {
                report_copy = i.report_pipe.clone();
                Command::Install(InstallRequest {
                    no_elevate: i.no_elevate,
                    elevated_child: i.elevated_child,
                })
            }
            CliCommand::VerifyScan(v) => Command::VerifyScan(VerifyScanRequest {
                result_file: v.result_file,
                timeout: std::time::Duration::from_secs(v.timeout),
            }),
            CliCommand::Logs(l) => Command::Logs(LogsRequest {
                paths: l.paths,
                exit_code: l.exit_code,
            }),
            CliCommand::Diagnose(d) => Command::Diagnose(DiagnoseRequest {
                location: d
                    .common
                    .windows_dir
                    .map_or(Location::Online, Location::Offline),
                exit_code: d.exit_code,
            }),
            CliCommand::Undo(u) => {
                report_copy = u.report_pipe.clone();
                let every = u.only.is_empty();
                let settings = every || u.only.contains(&UndoFolder::Settings);
                let only_settings = !every && u.only.iter().all(|o| *o == UndoFolder::Settings);
                // Validated as a reset of the same folders would be.
                let reset = ResetRequest::from_args(ResetArgs {
                    windows_dir: u.common.windows_dir,
                    only: u.only.into_iter().filter_map(UndoFolder::folder).collect(),
                    dry_run: u.dry_run,
                    yes: u.yes,
                    timeout_secs: u.timeout,
                    keep: request::DEFAULT_KEEP,
                    no_elevate: u.no_elevate,
                    elevated_child: u.elevated_child,
                    ..ResetArgs::default()
                })?;
                Command::Undo(UndoRequest {
                    location: reset.location,
                    folders: if every {
                        Folder::EVERY.to_vec()
                    } else if only_settings {
                        Vec::new()
                    } else {
                        reset.folders
                    },
                    settings,
                    dry_run: reset.dry_run,
                    assume_yes: reset.assume_yes,
                    timeout: reset.timeout,
                    no_elevate: reset.no_elevate,
                    elevated_child: reset.elevated_child,
                })
            }
            CliCommand::Repair(r) => {
                report_copy = r.report_pipe.clone();
                not_within = r.throttle.not_within.clone();
                Command::Repair(RepairRequest::from_args(RepairArgs {
                    windows_dir: r.windows_dir,
                    for_code: r.for_code,
                    from: r.from.map(CliRung::rung),
                    up_to: r.up_to.map(CliRung::rung),
                    source: r.source,
                    network: r.network,
                    dry_run: r.dry_run,
                    yes: r.yes,
                    no_verify: r.no_verify,
                    timeout_secs: r.timeout,
                    force: r.force,
                    no_elevate: r.no_elevate,
                    elevated_child: r.elevated_child,
                })?)
            }
            CliCommand::Status(s) => Command::Status(StatusRequest {
                location: s
                    .common
                    .windows_dir
                    .map_or(Location::Online, Location::Offline),
            }),
            CliCommand::Reset(r) => {
                report_copy = r.report_pipe.clone();
                not_within = r.throttle.not_within.clone();
                Command::Reset(ResetRequest::from_args(ResetArgs {
                    windows_dir: r.common.windows_dir,
                    method: match r.method {
                        CliMethod::Rename => Method::Rename,
                        CliMethod::Clear => Method::Clear,
                    },
                    only: r.only.into_iter().map(CliFolder::folder).collect(),
                    dry_run: r.dry_run,
                    yes: r.yes,
                    timeout_secs: r.timeout,
                    keep: r.keep,
                    reboot: r.reboot,
                    force: r.force,
                    no_elevate: r.no_elevate,
                    elevated_child: r.elevated_child,
                })?)
            }
        };
        // The elevated copy has a window of its own: it stays open until Enter.
        let pause_at_end = match &command {
            Command::Reset(r) => r.elevated_child,
            Command::Undo(u) => u.elevated_child,
            Command::Repair(r) => r.elevated_child,
            Command::Install(i) => i.elevated_child,
            _ => false,
        };
        let not_within = not_within
            .map(|text| wufix::throttle::parse(&text))
            .transpose()
            .map_err(UsageError)?;
        Ok(Request {
            command,
            json,
            pause_at_end,
            report_copy,
            output,
            not_within,
        })
    }
}

/// The elevated copy writes its report only to a pipe of wufix's own naming, never to a path.
fn report_pipe(name: &str) -> Result<String, String> {
    if wufix::sys::cmdline::is_report_pipe(name) {
        Ok(name.to_string())
    } else {
        Err("not a wufix report pipe".into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn reset(args: &[String]) -> ResetRequest {
        let argv = std::iter::once("wufix".to_string()).chain(args.iter().cloned());
        match Cli::try_parse_from(argv)
            .unwrap()
            .into_request()
            .unwrap()
            .command
        {
            Command::Reset(r) => r,
            other => panic!("not a reset: {other:?}"),
        }
    }

    #[test]
    fn only_takes_the_names_the_screens_show_in_any_case() {
        for name in [
            "SoftwareDistribution",
            "softwaredistribution",
            "Update-Cache",
            "software-distribution",
        ] {
            let r = reset(&["reset".into(), "--only".into(), name.into()]);
            assert_eq!(r.folders, [Folder::SoftwareDistribution], "{name}");
        }
        let r = reset(&["reset".into(), "--only".into(), "CatRoot2".into()]);
        assert_eq!(r.folders, [Folder::Catroot2]);
        let undo = Cli::try_parse_from(["wufix", "undo", "--only", "Downloader"])
            .unwrap()
            .into_request()
            .unwrap()
            .command;
        assert!(matches!(undo, Command::Undo(u) if u.folders == [Folder::BitsQueue]));
        assert!(Cli::try_parse_from(["wufix", "reset", "--only", "Windows"]).is_err());
    }

    fn token() -> impl Strategy<Value = String> {
        prop_oneof![
            proptest::sample::select(vec![
                "reset",
                "undo",
                "explain",
                "diagnose",
                "status",
                "--only",
                "catroot2",
                "software-distribution",
                "--timeout",
                "0",
                "3601",
                "60",
                "--keep",
                "101",
                "--windows-dir",
                "/",
                "--method",
                "clear",
                "rename",
                "--json",
                "--yes",
                "--dry-run",
                "--force",
                "--no-elevate",
                "--reboot",
                "--exit-code",
                "0x800f0922",
                "--",
                "-1",
                "--help",
                "repair",
                "--for",
                "--from",
                "--up-to",
                "deep",
                "--source",
                "--network",
                "--no-verify",
            ])
            .prop_map(String::from),
            "\\PC{0,12}",
        ]
    }

    proptest! {
        /// Any command line is accepted or refused with an error: never a panic.
        #[test]
        fn any_command_line_is_accepted_or_refused_never_a_panic(
            args in proptest::collection::vec(token(), 0..7),
        ) {
            let argv = std::iter::once("wufix".to_string()).chain(args);
            if let Ok(cli) = Cli::try_parse_from(argv) {
                let _ = cli.into_request();
            }
        }

        /// The elevated copy is started with `to_args()`: it must ask for exactly the same reset.
        #[test]
        fn the_elevated_copy_gets_the_same_reset(
            clear: bool,
            only in proptest::sample::subsequence(Folder::ALL.to_vec(), 0..=2),
            timeout in 1..=request::MAX_TIMEOUT_SECS,
            keep in 1..=request::MAX_KEEP,
            yes: bool,
            reboot: bool,
            force: bool,
        ) {
            let mut args: Vec<String> = vec!["reset".into(), "--timeout".into(), timeout.to_string(), "--keep".into(), keep.to_string()];
            if clear {
                args.extend(["--method".into(), "clear".into()]);
            }
            for folder in &only {
                args.extend(["--only".into(), request::folder_arg(*folder).into()]);
            }
            for (set, flag) in [(yes, "--yes"), (reboot, "--reboot"), (force, "--force")] {
                if set {
                    args.push(flag.into());
                }
            }
            let original = reset(&args);
            prop_assert_eq!(reset(&original.to_args()), original);
        }

        /// And the same repair.
        #[test]
        fn the_elevated_copy_gets_the_same_repair(
            origin in 0..3u8,
            from in 0..3usize,
            up_to in 0..3usize,
            timeout in 1..=request::MAX_TIMEOUT_SECS,
            network: bool,
            yes: bool,
            no_verify: bool,
            force: bool,
        ) {
            let rungs = ["light", "full", "deep"];
            let mut args: Vec<String> = vec!["repair".into(), "--up-to".into(), rungs[up_to.max(from)].into(), "--timeout".into(), timeout.to_string()];
            match origin {
                0 => args.extend(["--for".into(), "-2146498270".into()]),
                1 => args.extend(["--from".into(), rungs[from].into()]),
                _ => {}
            }
            for (set, flag) in [(network, "--network"), (yes, "--yes"), (no_verify, "--no-verify"), (force, "--force")] {
                if set {
                    args.push(flag.into());
                }
            }
            let original = repair(&args);
            prop_assert_eq!(repair(&original.to_args()), original);
        }
    }

    fn repair(args: &[String]) -> RepairRequest {
        let argv = std::iter::once("wufix".to_string()).chain(args.iter().cloned());
        match Cli::try_parse_from(argv)
            .unwrap()
            .into_request()
            .unwrap()
            .command
        {
            Command::Repair(r) => r,
            other => panic!("not a repair: {other:?}"),
        }
    }
}
