//! The facts of Windows Update that a reset acts on: which folders, where, and which services
//! hold each one open.

use serde::Serialize;

/// A folder wufix can reset.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, serde::Deserialize,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum Folder {
    /// `%windir%\SoftwareDistribution`: the update agent's download cache and history database.
    SoftwareDistribution,
    /// `%windir%\System32\catroot2`: CryptSvc's catalog database.
    Catroot2,
    /// `%ProgramData%\Microsoft\Network\Downloader`: the BITS job queue (`qmgr.db` and its
    /// logs; `qmgr*.dat` on old builds). Set aside by `repair`, never by a plain `reset`.
    BitsQueue,
}

/// Where a folder's path starts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Base {
    /// The Windows folder.
    Windows,
    /// ProgramData (`%ALLUSERSPROFILE%`).
    ProgramData,
}

impl Folder {
    /// The folders a reset acts on.
    pub const ALL: [Folder; 2] = [Folder::SoftwareDistribution, Folder::Catroot2];
    /// Every folder wufix knows: a reset's, and the BITS queue that `repair` sets aside too.
    pub const EVERY: [Folder; 3] = [
        Folder::SoftwareDistribution,
        Folder::Catroot2,
        Folder::BitsQueue,
    ];

    /// The name used on the command line and in reports.
    pub fn id(self) -> &'static str {
        match self {
            Folder::SoftwareDistribution => "software-distribution",
            Folder::Catroot2 => "catroot2",
            Folder::BitsQueue => "bits-queue",
        }
    }

    /// Where [`Folder::relative_path`] starts.
    pub fn base(self) -> Base {
        match self {
            Folder::BitsQueue => Base::ProgramData,
            _ => Base::Windows,
        }
    }

    /// Path below its [`Folder::base`], one component each.
    pub fn relative_path(self) -> &'static [&'static str] {
        match self {
            Folder::SoftwareDistribution => &["SoftwareDistribution"],
            Folder::Catroot2 => &["System32", "catroot2"],
            Folder::BitsQueue => &["Microsoft", "Network", "Downloader"],
        }
    }

    /// The folder's own name, the stem of its backups' names.
    pub fn dir_name(self) -> &'static str {
        let path = self.relative_path();
        path[path.len() - 1]
    }

    /// What a person calls it, the same on every screen: "the update cache (SoftwareDistribution)".
    pub fn shown(self) -> String {
        let what = match self {
            Folder::SoftwareDistribution => "the update cache",
            Folder::Catroot2 => "the signature catalog",
            Folder::BitsQueue => "the BITS download queue",
        };
        format!("{what} ({})", self.dir_name())
    }

    /// Services that keep files in the folder open, or restart one that does, in the order they
    /// are stopped. dosvc and usosvc exist only on Windows 10 and later.
    pub fn guards(self) -> &'static [Guard] {
        // usosvc restarts wuauserv and dosvc holds files in the cache: both go first.
        const SOFTWARE_DISTRIBUTION: [Guard; 4] = [
            Guard::best_effort("usosvc"),
            Guard::best_effort("dosvc"),
            Guard::hard("wuauserv"),
            Guard::hard("bits"),
        ];
        const CATROOT2: [Guard; 1] = [Guard::hard("cryptsvc")];
        const BITS_QUEUE: [Guard; 1] = [Guard::hard("bits")];
        match self {
            Folder::SoftwareDistribution => &SOFTWARE_DISTRIBUTION,
            Folder::Catroot2 => &CATROOT2,
            Folder::BitsQueue => &BITS_QUEUE,
        }
    }
}

/// How much a folder depends on one of its services being stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum GuardKind {
    /// It holds the folder's databases open: if it cannot be stopped, the folder is not touched.
    Hard,
    /// It only helps (usosvc restarts wuauserv, dosvc may hold cache files). An administrator
    /// cannot always stop it on Windows 10/11; if it refuses, the folder is still attempted and
    /// the rename or clear itself is the final gate.
    BestEffort,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Guard {
    pub name: &'static str,
    pub kind: GuardKind,
}

impl Guard {
    const fn hard(name: &'static str) -> Guard {
        Guard {
            name,
            kind: GuardKind::Hard,
        }
    }
    const fn best_effort(name: &'static str) -> Guard {
        Guard {
            name,
            kind: GuardKind::BestEffort,
        }
    }
}

/// Stopped by a full reset although it guards no folder, as the standard procedure does.
pub const FULL_RESET_EXTRA: &[&str] = &["msiserver"];

/// Launch-protected services: Windows refuses every program's STOP (access denied), so wufix never
/// sends one, whatever their protection query says. AppIDSvc depends on CryptSvc where AppLocker
/// is used.
pub const NEVER_STOP: &[&str] = &["waasmedicsvc", "appidsvc"];

/// Whether `name` is one of [`NEVER_STOP`], ignoring case as the service manager does.
pub fn never_stop(name: &str) -> bool {
    NEVER_STOP.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// The services a reset of `folders` considers, each once, in the order they are stopped: the
/// guards of each folder, then msiserver for a full reset. Every command lists services from here.
pub fn services_for(folders: &[Folder]) -> Vec<&'static str> {
    let full = Folder::ALL.iter().all(|f| folders.contains(f));
    let extra = if full { FULL_RESET_EXTRA } else { &[] };
    let mut names: Vec<&'static str> = Vec::new();
    for name in folders
        .iter()
        .flat_map(|f| f.guards().iter().map(|g| g.name))
        .chain(extra.iter().copied())
    {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// Every service wufix reports on, in the order it lists them.
pub fn all_services() -> Vec<&'static str> {
    services_for(&Folder::ALL)
}

/// The service whose running means a servicing operation (an update install) is in progress.
pub const TRUSTED_INSTALLER: &str = "TrustedInstaller";

/// The name Windows shows a person for an update service (English Windows' display names; the
/// short name stays beside it, as a technician types it).
pub fn display_name(service: &str) -> Option<&'static str> {
    const NAMES: &[(&str, &str)] = &[
        ("wuauserv", "Windows Update"),
        ("bits", "Background Intelligent Transfer Service"),
        ("cryptsvc", "Cryptographic Services"),
        ("msiserver", "Windows Installer"),
        ("usosvc", "Update Orchestrator Service"),
        ("dosvc", "Delivery Optimization"),
        ("waasmedicsvc", "Windows Update Medic Service"),
        ("appreadiness", "App Readiness"),
        ("trustedinstaller", "Windows Modules Installer"),
        ("appidsvc", "Application Identity"),
    ];
    NAMES
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(service))
        .map(|(_, shown)| *shown)
}

/// `Windows Update (wuauserv)`: what a person knows it by, and what a technician types.
pub fn service_shown(service: &str) -> String {
    match display_name(service) {
        Some(shown) => format!("{shown} ({service})"),
        None => service.to_string(),
    }
}

/// Windows Update's policy key (WSUS: `WUServer`), below `HKEY_LOCAL_MACHINE`.
pub const WU_POLICY: &str = r"SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate";
/// Its automatic-update policy (`UseWUServer`, `NoAutoUpdate`).
pub const AU_POLICY: &str = r"SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU";
/// The update agent's own settings (the WSUS client identity).
pub const WU_CLIENT: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate";
/// The WSUS client identity: removed by `repair` so the computer registers afresh.
pub const WSUS_IDENTITY: [&str; 2] = ["SusClientId", "SusClientIDValidation"];
/// Where the machine-wide WinHTTP proxy is kept, and its value.
pub const CONNECTIONS: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections";
pub const PROXY_VALUE: &str = "WinHttpSettings";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn all_services_lists_each_update_service_once() {
        assert_eq!(
            all_services(),
            [
                "usosvc",
                "dosvc",
                "wuauserv",
                "bits",
                "cryptsvc",
                "msiserver"
            ]
        );
    }

    #[test]
    fn a_partial_reset_considers_only_its_folders_guards() {
        assert_eq!(services_for(&[Folder::Catroot2]), ["cryptsvc"]);
        assert!(!services_for(&[Folder::SoftwareDistribution]).contains(&"msiserver"));
        let hard: Vec<&str> = Folder::SoftwareDistribution
            .guards()
            .iter()
            .filter(|g| g.kind == GuardKind::Hard)
            .map(|g| g.name)
            .collect();
        assert_eq!(hard, ["wuauserv", "bits"]);
        assert!(never_stop("AppIDSvc") && never_stop("WaaSMedicSvc") && !never_stop("bits"));
    }

    #[test]
    fn dir_name_is_the_last_component() {
        assert_eq!(Folder::Catroot2.dir_name(), "catroot2");
        assert_eq!(
            Folder::SoftwareDistribution.dir_name(),
            "SoftwareDistribution"
        );
    }
}
