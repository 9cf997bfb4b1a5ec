//! The facts of Windows Update that a reset acts on: which folders, where, and which services
//! hold each one open.

use serde::Serialize;

/// A folder wufix can reset.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Folder {
    /// `%windir%\SoftwareDistribution`: the update agent's download cache and history database.
    SoftwareDistribution,
    /// `%windir%\System32\catroot2`: CryptSvc's catalog database.
    Catroot2,
}

impl Folder {
    pub const ALL: [Folder; 2] = [Folder::SoftwareDistribution, Folder::Catroot2];

    /// The name used on the command line and in reports.
    pub fn id(self) -> &'static str {
        match self {
            Folder::SoftwareDistribution => "software-distribution",
            Folder::Catroot2 => "catroot2",
        }
    }

    /// Path below the Windows directory, one component each.
    pub fn relative_path(self) -> &'static [&'static str] {
        match self {
            Folder::SoftwareDistribution => &["SoftwareDistribution"],
            Folder::Catroot2 => &["System32", "catroot2"],
        }
    }

    /// The folder's own name, the stem of its backups' names.
    pub fn dir_name(self) -> &'static str {
        let path = self.relative_path();
        path[path.len() - 1]
    }

    /// Services that keep files in the folder open, or restart one that does. All must be
    /// stopped before the folder is touched. dosvc and usosvc exist only on Windows 10 and later.
    pub fn guards(self) -> &'static [&'static str] {
        match self {
            // usosvc restarts wuauserv and dosvc holds files in the cache: both go first.
            Folder::SoftwareDistribution => &["usosvc", "dosvc", "wuauserv", "bits"],
            Folder::Catroot2 => &["cryptsvc"],
        }
    }
}

/// Stopped by a full reset although it guards no folder, as the standard procedure does.
pub const FULL_RESET_EXTRA: &[&str] = &["msiserver"];

/// Every service wufix reports on, in the order it lists them.
pub fn all_services() -> Vec<&'static str> {
    let mut names: Vec<&'static str> = Vec::new();
    for name in Folder::ALL
        .iter()
        .flat_map(|f| f.guards())
        .chain(FULL_RESET_EXTRA)
    {
        if !names.contains(name) {
            names.push(name);
        }
    }
    names
}

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
    fn dir_name_is_the_last_component() {
        assert_eq!(Folder::Catroot2.dir_name(), "catroot2");
        assert_eq!(
            Folder::SoftwareDistribution.dir_name(),
            "SoftwareDistribution"
        );
    }
}
