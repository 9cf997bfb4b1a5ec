//! Is Windows in the middle of servicing? Resetting then makes things worse: Windows Update loses
//! its record of "installed, pending restart" and re-offers or re-downloads updates. A reset is
//! refused (exit 4, nothing touched) while any blocking check holds, unless `--force`; the others
//! only warn. Reads only: the registry, the service manager, the process list and the files.

use crate::catalog;
use crate::folders::Layout;
use crate::folders::layout::find_child;
use crate::machine::Mode;
use crate::sys::Platform;
use serde::Serialize;

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

const CBS_REBOOT_PENDING: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending";
const WU_REBOOT_REQUIRED: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired";
const SESSION_MANAGER: &str = r"SYSTEM\CurrentControlSet\Control\Session Manager";
/// The executables of Windows Setup while it installs a feature update.
const SETUP_PROCESSES: &[&str] = &["SetupHost.exe", "SetupPrep.exe"];

/// Run every check that can run here (offline: the files only).
pub fn check(layout: &Layout, sys: &dyn Platform, mode: Mode) -> Vec<ServicingCheck> {
    let mut checks = vec![pending_xml(layout)];
    if mode == Mode::Offline {
        return checks;
    }
    checks.push(registry_key(
        sys,
        "cbs-reboot-pending",
        true,
        CBS_REBOOT_PENDING,
        "installed updates are waiting for a restart to finish",
    ));
    checks.push(trusted_installer(sys));
    checks.push(feature_update(layout, sys));
    checks.push(registry_key(
        sys,
        "wu-reboot-required",
        false,
        WU_REBOOT_REQUIRED,
        "Windows Update asks for a restart",
    ));
    checks.push(pending_renames(sys));
    checks
}

/// The refusal the checks amount to, if any blocks.
pub fn refusal(checks: &[ServicingCheck]) -> Option<Refusal> {
    let blocking: Vec<&ServicingCheck> = checks.iter().filter(|c| c.found && c.blocks).collect();
    if blocking.is_empty() {
        return None;
    }
    let installing = blocking
        .iter()
        .any(|c| matches!(c.id, "trusted-installer" | "feature-update"));
    let todo = if installing {
        "Let the installation finish (or restart Windows), then run wufix again"
    } else {
        "Restart Windows first, then run wufix again if updates still fail"
    };
    let found: Vec<&str> = blocking.iter().map(|c| c.detail.as_str()).collect();
    Some(Refusal {
        reason: format!(
            "Windows is in the middle of servicing ({}). A reset now can make Windows Update lose track of what is installed. {todo}; --force resets anyway.",
            found.join("; ")
        ),
        checks: blocking.iter().map(|c| c.id).collect(),
    })
}

fn pending_xml(layout: &Layout) -> ServicingCheck {
    let path = find_child(&layout.windows_dir, "WinSxS")
        .and_then(|winsxs| find_child(&winsxs, "pending.xml"));
    let found = path.as_ref().is_some_and(|p| p.is_file());
    ServicingCheck {
        id: "pending-xml",
        found,
        blocks: true,
        detail: match path {
            Some(p) if found => format!(
                "{} exists: servicing operations wait for a restart",
                p.display()
            ),
            _ => r"WinSxS\pending.xml is absent".to_string(),
        },
    }
}

fn registry_key(
    sys: &dyn Platform,
    id: &'static str,
    blocks: bool,
    key: &str,
    meaning: &str,
) -> ServicingCheck {
    let (found, detail) = match sys.registry().key_exists(key) {
        Ok(true) => (true, format!(r"HKLM\{key} exists: {meaning}")),
        Ok(false) => (false, format!(r"HKLM\{key} is absent")),
        Err(err) => (false, format!(r"HKLM\{key} could not be read: {err}")),
    };
    ServicingCheck {
        id,
        found,
        blocks,
        detail,
    }
}

fn pending_renames(sys: &dyn Platform) -> ServicingCheck {
    let value = sys
        .registry()
        .value(SESSION_MANAGER, "PendingFileRenameOperations");
    let found = match &value {
        Ok(Some(value)) => value
            .as_multi()
            .is_none_or(|items| items.iter().any(|i| !i.is_empty())),
        _ => false,
    };
    ServicingCheck {
        id: "pending-file-renames",
        found,
        blocks: false,
        detail: if found {
            "files wait to be replaced at the next restart (PendingFileRenameOperations)"
                .to_string()
        } else {
            "no file renames are pending".to_string()
        },
    }
}

fn trusted_installer(sys: &dyn Platform) -> ServicingCheck {
    let state = sys
        .query_service(catalog::TRUSTED_INSTALLER)
        .ok()
        .flatten()
        .map(|info| info.status.state);
    let found = state.is_some_and(|s| s.is_active());
    ServicingCheck {
        id: "trusted-installer",
        found,
        blocks: true,
        detail: match state {
            Some(s) if found => format!(
                "TrustedInstaller (Windows Modules Installer) is {}: an update is being installed or removed",
                s.as_str()
            ),
            Some(s) => format!("TrustedInstaller is {}", s.as_str()),
            None => "TrustedInstaller is not installed or cannot be queried".to_string(),
        },
    }
}

fn feature_update(layout: &Layout, sys: &dyn Platform) -> ServicingCheck {
    let staged = layout
        .windows_dir
        .parent()
        .and_then(|volume| find_child(volume, "$WINDOWS.~BT"));
    let setup = match &staged {
        Some(_) => sys.running_processes(SETUP_PROCESSES).unwrap_or_default(),
        None => Vec::new(),
    };
    let found = staged.is_some() && !setup.is_empty();
    ServicingCheck {
        id: "feature-update",
        found,
        blocks: true,
        detail: match staged {
            Some(dir) if found => format!(
                "{} exists and Windows Setup ({}) is running: a feature update is being installed",
                dir.display(),
                setup.join(", ")
            ),
            Some(dir) => format!(
                "{} exists (a feature update was staged) but Windows Setup is not running",
                dir.display()
            ),
            None => r"no $WINDOWS.~BT folder".to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use std::fs;

    use super::*;
    use crate::sys::RegValue;
    use crate::sys::fake::FakePlatform;
    use crate::sys::{ServiceState, StartType};

    fn ids(checks: &[ServicingCheck]) -> Vec<&str> {
        checks
            .iter()
            .filter(|c| c.found && c.blocks)
            .map(|c| c.id)
            .collect()
    }

    #[test]
    fn each_sign_of_servicing_in_progress_blocks_and_the_restart_flags_only_warn() {
        let volume = tempfile::tempdir().unwrap();
        let windows = volume.path().join("Windows");
        fs::create_dir_all(windows.join("WinSxS")).unwrap();
        let layout = Layout::online(windows.clone());
        let quiet = FakePlatform::new()
            .registry_key(WU_REBOOT_REQUIRED)
            .registry_value(
                SESSION_MANAGER,
                "PendingFileRenameOperations",
                RegValue::multi_string(&[r"\??\C:\x", ""]),
            );
        let checks = check(&layout, &quiet, Mode::Online);
        assert!(ids(&checks).is_empty(), "{checks:#?}");
        assert!(refusal(&checks).is_none());
        let warned: Vec<&str> = checks.iter().filter(|c| c.found).map(|c| c.id).collect();
        assert_eq!(warned, ["wu-reboot-required", "pending-file-renames"]);

        fs::write(windows.join("WinSxS/pending.xml"), "<x/>").unwrap();
        fs::create_dir(volume.path().join("$WINDOWS.~BT")).unwrap();
        let busy = FakePlatform::new()
            .registry_key(CBS_REBOOT_PENDING)
            .service("TrustedInstaller", ServiceState::Running, StartType::Demand)
            .process("SETUPHOST.EXE");
        let checks = check(&layout, &busy, Mode::Online);
        assert_eq!(
            ids(&checks),
            [
                "pending-xml",
                "cbs-reboot-pending",
                "trusted-installer",
                "feature-update"
            ]
        );
        let refused = refusal(&checks).unwrap();
        assert_eq!(refused.checks.len(), 4);
        assert!(refused.reason.contains("--force"), "{}", refused.reason);
    }

    #[test]
    fn a_staged_feature_update_without_setup_running_does_not_block() {
        let volume = tempfile::tempdir().unwrap();
        let windows = volume.path().join("Windows");
        fs::create_dir_all(&windows).unwrap();
        fs::create_dir(volume.path().join("$WINDOWS.~BT")).unwrap();
        let checks = check(&Layout::online(windows), &FakePlatform::new(), Mode::Online);
        assert!(ids(&checks).is_empty(), "{checks:#?}");
    }

    #[test]
    fn offline_only_the_files_are_checked() {
        let volume = tempfile::tempdir().unwrap();
        fs::create_dir_all(volume.path().join("windows/system32")).unwrap();
        fs::create_dir_all(volume.path().join("windows/winsxs")).unwrap();
        fs::write(volume.path().join("windows/winsxs/Pending.xml"), "<x/>").unwrap();
        let layout = Layout::offline(volume.path()).unwrap();
        let checks = check(&layout, &FakePlatform::new(), Mode::Offline);
        assert_eq!(ids(&checks), ["pending-xml"]);
        assert_eq!(checks.len(), 1);
    }
}
