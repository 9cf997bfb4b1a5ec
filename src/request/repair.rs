//! `wufix repair`, validated: where the ladder starts, how high it may climb, and the options
//! every change command shares.

use std::time::Duration;

use super::{
    DEFAULT_KEEP, DEFAULT_TIMEOUT_SECS, Location, MAX_TIMEOUT_SECS, Method, ResetRequest,
    UsageError,
};
use crate::catalog::Folder;
use crate::fixes::tools::Source;
use crate::ladder::Rung;

/// What picks the first rung.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// `--for CODE`: the code as typed, and its value.
    Code(String, u32),
    /// `--from RUNG`: the user's choice, whatever the evidence says.
    Rung(Rung),
    /// Neither: the newest failure `diagnose` finds.
    Evidence,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RepairRequest {
    /// Online; or a mounted Windows, for which only the residue rung is printed as a Windows
    /// PE script (nothing is written to its hives from here).
    pub location: Location,
    pub origin: Origin,
    /// The highest rung the ladder may climb to.
    pub up_to: Rung,
    /// `--up-to` was given: a repair the evidence starts at the residue rung climbs on only then.
    pub up_to_given: bool,
    pub source: Option<Source>,
    /// Winsock and the WinHTTP proxy too (never by default: it can break VPN clients).
    pub network: bool,
    pub dry_run: bool,
    pub assume_yes: bool,
    /// Scan with the Windows Update Agent after each rung and stop at the first that works.
    pub verify: bool,
    pub timeout: Duration,
    pub force: bool,
    pub no_elevate: bool,
    pub elevated_child: bool,
}

/// Arguments as the command line gives them, before validation.
#[derive(Clone, Debug, Default)]
pub struct RepairArgs {
    pub windows_dir: Option<std::path::PathBuf>,
    pub for_code: Option<String>,
    pub from: Option<Rung>,
    pub up_to: Option<Rung>,
    pub source: Option<String>,
    pub network: bool,
    pub dry_run: bool,
    pub yes: bool,
    pub no_verify: bool,
    pub timeout_secs: u64,
    pub force: bool,
    pub no_elevate: bool,
    pub elevated_child: bool,
}

/// On a mounted Windows, the residue rung alone: the others stop services or run its programs.
fn offline_only_residue(
    origin: &Origin,
    up_to: Option<Rung>,
    network: bool,
    source: &Option<String>,
) -> Result<(), UsageError> {
    let residue_only = matches!(origin, Origin::Rung(Rung::Residue) | Origin::Evidence)
        && up_to.is_none_or(|r| r == Rung::Residue);
    if !residue_only || network || source.is_some() {
        return Err(UsageError(
            "with --windows-dir, repair does only the residue rung (it prints the Windows PE commands that put back what a blocker left): use --from residue --up-to residue"
                .into(),
        ));
    }
    Ok(())
}

impl RepairRequest {
    pub fn from_args(args: RepairArgs) -> Result<Self, UsageError> {
        if args.timeout_secs == 0 || args.timeout_secs > MAX_TIMEOUT_SECS {
            return Err(UsageError(format!(
                "--timeout must be between 1 and {MAX_TIMEOUT_SECS} seconds, not {}",
                args.timeout_secs
            )));
        }
        let origin = match (args.for_code, args.from) {
            (Some(_), Some(_)) => {
                return Err(UsageError(
                    "--for and --from both pick the first rung: give one".into(),
                ));
            }
            (Some(text), None) => {
                let code =
                    crate::explain::parse(&text).map_err(|e| UsageError(format!("--for: {e}")))?;
                Origin::Code(text, code)
            }
            (None, Some(rung)) => Origin::Rung(rung),
            (None, None) => Origin::Evidence,
        };
        let up_to = args.up_to.unwrap_or(Rung::Full);
        if let Origin::Rung(from) = origin {
            if from > up_to {
                return Err(UsageError(format!(
                    "--from {} is above --up-to {}: raise --up-to",
                    from.as_str(),
                    up_to.as_str()
                )));
            }
        }
        let location = match args.windows_dir {
            None => Location::Online,
            Some(dir) => {
                offline_only_residue(&origin, args.up_to, args.network, &args.source)?;
                Location::Offline(dir)
            }
        };
        let source = match args.source {
            Some(_) if up_to < Rung::Deep => {
                return Err(UsageError(
                    "--source is for DISM, on the deep rung: add --up-to deep".into(),
                ));
            }
            Some(text) => Some(Source::parse(&text).map_err(UsageError)?),
            None => None,
        };
        let offline = matches!(location, Location::Offline(_));
        let (origin, up_to) = if offline {
            (Origin::Rung(Rung::Residue), Rung::Residue)
        } else {
            (origin, up_to)
        };
        Ok(RepairRequest {
            location,
            origin,
            up_to,
            up_to_given: args.up_to.is_some(),
            source,
            network: args.network,
            dry_run: args.dry_run,
            assume_yes: args.yes,
            // No scan can run on a Windows that is not running: implied offline, and said.
            verify: !args.no_verify && !offline,
            timeout: Duration::from_secs(args.timeout_secs),
            force: args.force,
            no_elevate: args.no_elevate,
            elevated_child: args.elevated_child,
        })
    }

    /// The reset the light rung is, and whose checks (the servicing gate) every rung passes.
    pub fn as_reset(&self) -> ResetRequest {
        ResetRequest {
            location: Location::Online,
            method: Method::Rename,
            folders: Folder::EVERY.to_vec(),
            dry_run: self.dry_run,
            assume_yes: self.assume_yes,
            timeout: self.timeout,
            keep: DEFAULT_KEEP,
            reboot: false,
            force: self.force,
            no_elevate: self.no_elevate,
            elevated_child: self.elevated_child,
        }
    }

    /// The command line for this same repair (the elevated copy's).
    pub fn to_args(&self) -> Vec<String> {
        let mut args = vec!["repair".to_string()];
        match &self.origin {
            Origin::Code(text, _) => args.extend(["--for".into(), text.clone()]),
            Origin::Rung(rung) => args.extend(["--from".into(), rung.as_str().into()]),
            Origin::Evidence => {}
        }
        if self.up_to_given || self.up_to != Rung::Full {
            args.extend(["--up-to".into(), self.up_to.as_str().into()]);
        }
        if let Some(source) = &self.source {
            args.extend([
                "--source".into(),
                format!("{}:{}", source.path.display(), source.index),
            ]);
        }
        if self.timeout != Duration::from_secs(DEFAULT_TIMEOUT_SECS) {
            args.extend(["--timeout".into(), self.timeout.as_secs().to_string()]);
        }
        for (set, flag) in [
            (self.network, "--network"),
            (self.assume_yes, "--yes"),
            (!self.verify, "--no-verify"),
            (self.force, "--force"),
        ] {
            if set {
                args.push(flag.into());
            }
        }
        args
    }
}
