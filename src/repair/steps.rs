//! The steps a repair adds to the engine's plan beyond folders and services: what each rung
//! changes, built from a look at the machine (read-only) and described the same way for a dry
//! run and a run.

use std::path::PathBuf;

use super::Rung;
use super::sddl;
use super::tools::{self, Source};
use crate::journal::Change;
use crate::report::{Action, Outcome, StepRecord};
use crate::sys::{Platform, RegValue};

pub const WU_POLICY: &str = r"SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate";
pub const WU_CLIENT: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate";
pub const CONNECTIONS: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections";
/// The WSUS client identity: removed so the computer registers afresh.
pub const WSUS_IDENTITY: [&str; 2] = ["SusClientId", "SusClientIDValidation"];
pub const PROXY_VALUE: &str = "WinHttpSettings";

/// One step of a repair rung (or of an undo of one).
#[derive(Clone, Debug)]
pub enum RepairStep {
    /// Compare a service's DACL with Windows' default; write the repaired one only if it differs.
    ServiceDacl {
        service: String,
        /// The DACL seen when the plan was built (or why it could not be read).
        seen: Result<String, String>,
    },
    /// A WSUS server is set: remove the client identity so the computer registers afresh.
    WsusIdentity { server: String },
    /// Re-register the update DLLs present on this Windows.
    RegisterDlls {
        regsvr32: PathBuf,
        dlls: Vec<PathBuf>,
    },
    /// `netsh winsock reset`, the catalogue saved first.
    WinsockReset { netsh: PathBuf },
    /// The WinHTTP proxy set to direct access, the old setting saved for undo.
    ProxyReset,
    /// DISM /Online /Cleanup-Image /RestoreHealth.
    Dism { exe: PathBuf, args: Vec<String> },
    /// sfc /scannow.
    Sfc { exe: PathBuf },
    /// `undo`: put back a setting a repair changed (a DACL or a registry value).
    Revert(Change),
}

/// What a rung asks for beyond the machine's state.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub network: bool,
    pub network_only: bool,
    pub source: Option<Source>,
}

/// The non-folder steps of `rung`. Reads the machine; changes nothing.
pub fn build(
    rung: Rung,
    opts: &Options,
    sys: &dyn Platform,
    windows_dir: &std::path::Path,
) -> Vec<RepairStep> {
    let mut steps = Vec::new();
    match rung {
        Rung::Light => {}
        Rung::Full => {
            if !opts.network_only {
                for (service, _) in sddl::DEFAULTS {
                    steps.push(RepairStep::ServiceDacl {
                        service: service.to_string(),
                        seen: sys.service_dacl(service).map_err(|e| match e {
                            crate::sys::SysError::NoSuchService => {
                                "not installed on this machine".to_string()
                            }
                            other => format!("cannot read its permissions: {other}"),
                        }),
                    });
                }
                if let Ok(Some(RegValue::String(server))) =
                    sys.registry_value(WU_POLICY, "WUServer")
                {
                    if !server.trim().is_empty() {
                        steps.push(RepairStep::WsusIdentity { server });
                    }
                }
                let system32 = tools::system32(windows_dir, "");
                let dlls = tools::UPDATE_DLLS
                    .iter()
                    .map(|d| system32.join(d))
                    .filter(|p| p.is_file())
                    .collect();
                steps.push(RepairStep::RegisterDlls {
                    regsvr32: tools::system32(windows_dir, "regsvr32.exe"),
                    dlls,
                });
            }
            if opts.network {
                steps.push(RepairStep::WinsockReset {
                    netsh: tools::system32(windows_dir, "netsh.exe"),
                });
                steps.push(RepairStep::ProxyReset);
            }
        }
        Rung::Deep => {
            steps.push(RepairStep::Dism {
                exe: tools::system32(windows_dir, "dism.exe"),
                args: tools::dism_args(opts.source.as_ref()),
            });
            steps.push(RepairStep::Sfc {
                exe: tools::system32(windows_dir, "sfc.exe"),
            });
        }
    }
    steps
}

/// What could go wrong with a step of a repair, for its dry run and its question.
pub fn risk_of(action: Action) -> &'static str {
    match action {
        Action::StopService | Action::StartService => {
            "low: the services are started again as they were"
        }
        Action::RenameFolder | Action::RestoreFolder => {
            "low: renamed, not deleted; undo puts it back (the first scan after is slow)"
        }
        Action::PruneBackups | Action::ClearFolder => "medium: what is deleted cannot come back",
        Action::ServicePermissions => {
            "medium: changes who may start and stop the service; undo puts the old permissions back"
        }
        Action::WsusIdentity => "low: the computer registers with its WSUS server again",
        Action::RegisterDlls => "low: writes only the DLLs' own registration",
        Action::WinsockReset => {
            "high: VPN clients and security software that add a Winsock provider may stop working until reinstalled"
        }
        Action::ProxyReset => {
            "medium: Windows Update's traffic goes direct; on a network that allows only the proxy it fails until undo"
        }
        Action::Dism => "low: repairs Windows' own files; 15 to 60 minutes",
        Action::Sfc => "low: repairs Windows' own files; 10 to 30 minutes",
        Action::RestoreSetting => "low: puts back what the repair changed",
        Action::RestartWindows => "low: save your work first",
    }
}

impl RepairStep {
    pub fn action(&self) -> Action {
        match self {
            RepairStep::ServiceDacl { .. } => Action::ServicePermissions,
            RepairStep::WsusIdentity { .. } => Action::WsusIdentity,
            RepairStep::RegisterDlls { .. } => Action::RegisterDlls,
            RepairStep::WinsockReset { .. } => Action::WinsockReset,
            RepairStep::ProxyReset => Action::ProxyReset,
            RepairStep::Dism { .. } => Action::Dism,
            RepairStep::Sfc { .. } => Action::Sfc,
            RepairStep::Revert(_) => Action::RestoreSetting,
        }
    }

    pub fn target(&self) -> String {
        match self {
            RepairStep::ServiceDacl { service, .. } => service.clone(),
            RepairStep::WsusIdentity { .. } => format!(r"HKLM\{WU_CLIENT}"),
            RepairStep::RegisterDlls { regsvr32, .. } => regsvr32.display().to_string(),
            RepairStep::WinsockReset { netsh } => netsh.display().to_string(),
            RepairStep::ProxyReset => format!(r"HKLM\{CONNECTIONS}\{PROXY_VALUE}"),
            RepairStep::Dism { exe, .. } => exe.display().to_string(),
            RepairStep::Sfc { exe } => exe.display().to_string(),
            RepairStep::Revert(change) => revert_target(change),
        }
    }

    /// The step before it runs: what it would do, its risk, and whether it can be undone.
    pub fn describe(&self) -> StepRecord {
        let planned = |detail: String| {
            StepRecord::new(self.action(), self.target(), Outcome::Planned, detail)
        };
        match self {
            RepairStep::ServiceDacl { service, seen } => match (sddl::default_for(service), seen) {
                (_, Err(why)) => StepRecord::new(self.action(), self.target(), Outcome::Skipped, why.clone()),
                (None, Ok(live)) => StepRecord::new(self.action(), self.target(), Outcome::Skipped, format!("Microsoft publishes no default for it: its permissions ({live}) are recorded and left as they are")),
                (Some(default), Ok(live)) => match sddl::assess(live, default) {
                    Err(err) => StepRecord::new(self.action(), self.target(), Outcome::Failed, format!("cannot read its permissions: {err}")),
                    Ok(a) if !a.differs() => StepRecord::new(self.action(), self.target(), Outcome::Skipped, "matches Windows' default; left as it is"),
                    Ok(a) => planned(format!("differs from Windows' default ({}): restore the default grants, keep the others (undo puts the old ones back)", a.describe())),
                },
            },
            RepairStep::WsusIdentity { server } => planned(format!(
                "WSUS-managed ({server}): remove {} so this computer registers with WSUS afresh at its next scan (undo puts them back; the WSUS policy itself is not touched)",
                WSUS_IDENTITY.join(" and ")
            )),
            RepairStep::RegisterDlls { dlls, .. } => planned(format!(
                "re-register the {} update DLLs present with regsvr32 /s (those with nothing to register are skipped); cannot be undone, and needs no undo",
                dlls.len()
            ))
            .irreversible(),
            RepairStep::WinsockReset { .. } => planned(
                "netsh winsock reset, after saving the catalogue in the journal; cannot be undone: VPN or security software that adds a Winsock provider may need reinstalling, and Windows must restart".into(),
            )
            .irreversible(),
            RepairStep::ProxyReset => planned("set the WinHTTP proxy to direct access if a proxy is set (undo puts the old one back)".into()),
            RepairStep::Dism { args, .. } => planned(format!(
                "DISM {}: repairs the component store (can take 15 to 60 minutes; progress is shown; log: %windir%\\Logs\\DISM\\dism.log); cannot be undone, and needs no undo",
                args.join(" ")
            ))
            .irreversible(),
            RepairStep::Sfc { .. } => planned(
                "sfc /scannow: checks and repairs system files (log: %windir%\\Logs\\CBS\\CBS.log); cannot be undone, and needs no undo".into(),
            )
            .irreversible(),
            RepairStep::Revert(change) => planned(revert_detail(change)),
        }
    }
}

fn revert_target(change: &Change) -> String {
    match change {
        Change::ServiceDacl { name, .. } => name.clone(),
        Change::RegistryValue { key, name, .. } => format!(r"HKLM\{key}\{name}"),
        _ => String::new(),
    }
}

fn revert_detail(change: &Change) -> String {
    match change {
        Change::ServiceDacl { before, .. } => format!("put its permissions back: {before}"),
        Change::RegistryValue { name, before, .. } if name == PROXY_VALUE => match before {
            Some(RegValue::Binary(blob)) => match crate::diagnose::decode_winhttp(blob) {
                Some(crate::diagnose::WinHttpProxy::Proxy { server, .. }) => {
                    format!("put the WinHTTP proxy back: {server}")
                }
                _ => "put the WinHTTP setting back: direct access".into(),
            },
            _ => "put the WinHTTP setting back: none".into(),
        },
        Change::RegistryValue {
            before: Some(_), ..
        } => "put the value back".into(),
        Change::RegistryValue { before: None, .. } => "remove the value again".into(),
        _ => String::new(),
    }
}

/// Whether a setting from a journal may be put back. The journal folder may be writable by
/// others than administrators, so only what a repair itself changes is trusted: the DACL of a
/// service wufix checks, and only if it lets no ordinary account take the service over; the
/// WSUS identity and WinHTTP values, and nothing else in the registry.
pub fn revert_allowed(change: &Change) -> Result<(), String> {
    match change {
        Change::ServiceDacl { name, before, .. } => {
            if !sddl::DEFAULTS
                .iter()
                .any(|(s, _)| s.eq_ignore_ascii_case(name))
            {
                return Err(format!("{name} is not a service wufix repairs"));
            }
            let aces = sddl::parse(before)?;
            let takeovers = sddl::takeover_grants(&aces);
            if takeovers.is_empty() {
                Ok(())
            } else {
                Err(format!(
                    "the saved permissions of {name} would let {} reconfigure it",
                    takeovers.join(", ")
                ))
            }
        }
        Change::RegistryValue { key, name, .. } => {
            let known = (key.eq_ignore_ascii_case(WU_CLIENT)
                && WSUS_IDENTITY.iter().any(|n| n.eq_ignore_ascii_case(name)))
                || (key.eq_ignore_ascii_case(CONNECTIONS)
                    && name.eq_ignore_ascii_case(PROXY_VALUE));
            if known {
                Ok(())
            } else {
                Err(format!(r"HKLM\{key}\{name} is not a value wufix changes"))
            }
        }
        _ => Err("not a setting".into()),
    }
}
