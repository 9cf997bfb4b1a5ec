//! What each rung of the ladder changes beyond the folders, built from a read-only look at the
//! machine, and what could go wrong with each kind of step.

use std::path::Path;
use std::sync::Arc;

use super::tools::{self, Source};
use super::{
    Dism, DllRename, Fix, HostsBlock, KeySecurity, ProxyReset, RegisterDlls, ResidueStart,
    ResidueValue, ServiceDacl, Sfc, TaskEnable, WinsockReset, WsusIdentity,
};
use crate::catalog::WU_POLICY;
use crate::ladder::Rung;
use crate::record::Action;
use crate::residue::Put;
use crate::sddl;
use crate::sys::{Platform, SysError};

/// What a rung asks for beyond the machine's state.
#[derive(Clone, Debug, Default)]
pub struct Options {
    pub network: bool,
    pub network_only: bool,
    pub source: Option<Source>,
}

/// The fixes of `rung`, in the order they run. Reads the machine; changes nothing.
pub fn build(
    rung: Rung,
    opts: &Options,
    sys: &dyn Platform,
    windows_dir: &Path,
) -> Vec<Arc<dyn Fix>> {
    let mut fixes: Vec<Arc<dyn Fix>> = Vec::new();
    match rung {
        Rung::Residue => {
            // Online only; the organisation's policies are never residue (`residue::detect`).
            let managed = crate::residue::management(sys);
            for item in crate::residue::detect(sys, windows_dir, &managed, jiff::Timestamp::now()) {
                for put in &item.fixes {
                    let why = item.why.clone();
                    fixes.push(match put {
                        Put::Value(fix) => Arc::new(ResidueValue {
                            fix: fix.clone(),
                            why,
                        }),
                        Put::Start { service, start } => Arc::new(ResidueStart {
                            service,
                            start: *start,
                            why,
                        }),
                        Put::Task { path } => Arc::new(TaskEnable { path, why }),
                        Put::Rename { from, to } => Arc::new(DllRename {
                            from: from.clone(),
                            to: to.clone(),
                            why,
                        }),
                        Put::KeySecurity { key } => Arc::new(KeySecurity {
                            key: key.clone(),
                            why,
                        }),
                        Put::Hosts { path } => Arc::new(HostsBlock {
                            path: path.clone(),
                            why,
                        }),
                    });
                }
            }
        }
        Rung::Light => {}
        Rung::Full => {
            if !opts.network_only {
                for (service, _) in sddl::DEFAULTS {
                    fixes.push(Arc::new(ServiceDacl {
                        service: service.to_string(),
                        seen: sys.service_dacl(service).map_err(|e| match e {
                            SysError::NoSuchService => "not installed on this machine".to_string(),
                            SysError::AccessDenied => super::permissions::locked(service),
                            other => format!("cannot read its permissions: {other}"),
                        }),
                    }));
                }
                if let Ok(Some(server)) = sys.registry().value(WU_POLICY, "WUServer") {
                    if let Some(server) = server.as_text().filter(|s| !s.trim().is_empty()) {
                        fixes.push(Arc::new(WsusIdentity { server }));
                    }
                }
                let system32 = tools::system32(windows_dir, "");
                let dlls = tools::UPDATE_DLLS
                    .iter()
                    .map(|d| system32.join(d))
                    .filter(|p| p.is_file())
                    .collect();
                fixes.push(Arc::new(RegisterDlls {
                    regsvr32: tools::system32(windows_dir, "regsvr32.exe"),
                    dlls,
                    modern: modern_build(sys),
                }));
            }
            if opts.network {
                fixes.push(Arc::new(WinsockReset {
                    netsh: tools::system32(windows_dir, "netsh.exe"),
                }));
                fixes.push(Arc::new(ProxyReset));
            }
        }
        Rung::Deep => {
            fixes.push(Arc::new(Dism {
                exe: tools::system32(windows_dir, "dism.exe"),
                args: tools::dism_args(opts.source.as_ref()),
            }));
            fixes.push(Arc::new(Sfc {
                exe: tools::system32(windows_dir, "sfc.exe"),
                cbs_log: windows_dir.join("Logs").join("CBS").join("CBS.log"),
            }));
        }
    }
    fixes
}

/// Windows 10 (build 10240) and later, Server 2016 (14393) included: the build, as text. A
/// build that cannot be read counts as modern: the step is only right on older Windows.
fn modern_build(sys: &dyn Platform) -> Option<String> {
    const CURRENT_VERSION: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";
    let build = ["CurrentBuild", "CurrentBuildNumber"]
        .iter()
        .find_map(|name| {
            let value = sys.registry().value(CURRENT_VERSION, name).ok()??;
            value.as_text().and_then(|t| t.trim().parse::<u32>().ok())
        });
    match build {
        Some(n) if n < 10240 => None,
        Some(n) => Some(n.to_string()),
        None => Some("unknown".to_string()),
    }
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
        Action::Residue => {
            "low: Windows' own value back where a blocker changed it; undo puts the blocker's value back"
        }
        Action::RestartWindows => "low: save your work first",
        Action::Install => "low: a copy of wufix in its own protected folder",
    }
}
