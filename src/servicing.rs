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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
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
const CBS: &str = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing";
const SESSIONS_PENDING: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\SessionsPending";
/// The worker that carries out CBS's operations; TrustedInstaller itself only waits for work.
const TIWORKER: &str = "TiWorker.exe";
/// The executables of Windows Setup while it installs a feature update.
const SETUP_PROCESSES: &[&str] = &["SetupHost.exe", "SetupPrep.exe"];

/// Run every check that can run here (offline: the files, and CBS's flag in the disk's own
/// SOFTWARE hive; nothing runs there, so no process or operation is looked for).
pub fn check(layout: &Layout, sys: &dyn Platform, mode: Mode) -> Vec<ServicingCheck> {
    let mut checks = vec![
        pending_xml(layout),
        registry_key(
            sys,
            "cbs-reboot-pending",
            true,
            CBS_REBOOT_PENDING,
            "installed updates are waiting for a restart to finish",
        ),
    ];
    if mode == Mode::Offline {
        return checks;
    }
    checks.extend(cbs_operation(sys));
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

/// The refusal the checks amount to, if any blocks (for the running Windows).
pub fn refusal(checks: &[ServicingCheck]) -> Option<Refusal> {
    refusal_for(checks, Mode::Online)
}

/// The refusal, worded for where it is: a mounted Windows is started, not restarted, and one that
/// cannot start has its pending actions reverted from Windows PE.
pub fn refusal_for(checks: &[ServicingCheck], mode: Mode) -> Option<Refusal> {
    let blocking: Vec<&ServicingCheck> = checks.iter().filter(|c| c.found && c.blocks).collect();
    if blocking.is_empty() {
        return None;
    }
    let installing = blocking
        .iter()
        .any(|c| matches!(c.id, "cbs-operation" | "feature-update"));
    let todo = if mode == Mode::Offline {
        "This Windows is not running: start it and let it finish, then run wufix again. If it cannot start, revert its pending actions from Windows PE (`DISM /Image:D:\\ /Cleanup-Image /RevertPendingActions`, D: being this volume there)"
    } else if installing {
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

/// A servicing operation in progress, on evidence: CBS marks an exclusive session
/// (`SessionsPending\Exclusive`) or an executing transaction (`ExecuteState`), and its worker,
/// TiWorker, runs. TrustedInstaller merely running is no evidence — every applicability scan
/// starts it and it idles for minutes, exactly when people reach for wufix — so it only warns.
/// `Exclusive` can stay set after a restart with nothing running (updates that then never
/// finish): without TiWorker that is a warning that names the flag, never a refusal. Its start
/// type set to Automatic is CBS's own doing before a transaction finishes at restart (KB 968440):
/// reported, never "restored".
fn cbs_operation(sys: &dyn Platform) -> Vec<ServicingCheck> {
    let registry = sys.registry();
    let dword = |key: &str, name: &str| {
        registry
            .value(key, name)
            .ok()
            .flatten()
            .and_then(|v| v.as_dword())
    };
    let exclusive = dword(SESSIONS_PENDING, "Exclusive").filter(|n| *n != 0);
    // Absent, 0 or 0xFFFFFFFF when nothing executes.
    let executing = dword(CBS, "ExecuteState").filter(|n| *n != 0 && *n != u32::MAX);
    let worker = sys
        .running_processes(&[TIWORKER])
        .is_ok_and(|found| !found.is_empty());
    let mut marks = Vec::new();
    if let Some(n) = exclusive {
        marks.push(format!("SessionsPending\\Exclusive is {n}"));
    }
    if let Some(n) = executing {
        marks.push(format!("ExecuteState is 0x{n:X}"));
    }
    let in_progress = worker && !marks.is_empty();
    let mut checks = vec![ServicingCheck {
        id: "cbs-operation",
        found: in_progress,
        blocks: true,
        detail: if in_progress {
            format!(
                "an update is being installed or removed now ({} and {TIWORKER} runs)",
                marks.join(", ")
            )
        } else if marks.is_empty() {
            "no servicing operation is marked in progress".to_string()
        } else {
            format!("{} but {TIWORKER} is not running", marks.join(", "))
        },
    }];
    if let (Some(n), false) = (exclusive, worker) {
        checks.push(ServicingCheck {
            id: "cbs-exclusive-stuck",
            found: true,
            blocks: false,
            detail: format!(
                "HKLM\\{SESSIONS_PENDING} Exclusive is {n} while no servicing runs: the flag may be stuck from an earlier operation, which keeps updates from ever finishing. Restart Windows; if it stays set with nothing installing, it is the known cause"
            ),
        });
    }
    let trusted = sys.query_service(catalog::TRUSTED_INSTALLER).ok().flatten();
    let running = trusted
        .as_ref()
        .is_some_and(|info| info.status.state.is_active());
    checks.push(ServicingCheck {
        id: "trusted-installer",
        found: running,
        blocks: false,
        detail: match &trusted {
            Some(info) if running => format!(
                "TrustedInstaller (Windows Modules Installer) is {}: Windows starts it for every update scan and it idles for minutes, so this alone is no sign of an installation",
                info.status.state.as_str()
            ),
            Some(info) => format!("TrustedInstaller is {}", info.status.state.as_str()),
            None => "TrustedInstaller is not installed or cannot be queried".to_string(),
        },
    });
    if trusted.is_some_and(|i| i.start_type == crate::sys::StartType::Auto) {
        checks.push(ServicingCheck {
            id: "trusted-installer-automatic",
            found: true,
            blocks: false,
            detail: "TrustedInstaller starts automatically: servicing sets this itself before an operation that finishes at the next restart (it is evidence, and wufix leaves it as it is)".to_string(),
        });
    }
    checks
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
            .registry_value(SESSIONS_PENDING, "Exclusive", RegValue::dword(1))
            .service("TrustedInstaller", ServiceState::Running, StartType::Demand)
            .process("TIWORKER.EXE")
            .process("SETUPHOST.EXE");
        let checks = check(&layout, &busy, Mode::Online);
        assert_eq!(
            ids(&checks),
            [
                "pending-xml",
                "cbs-reboot-pending",
                "cbs-operation",
                "feature-update"
            ]
        );
        let refused = refusal(&checks).unwrap();
        assert_eq!(refused.checks.len(), 4);
        assert!(refused.reason.contains("--force"), "{}", refused.reason);
    }

    #[test]
    fn trusted_installer_running_or_a_stuck_flag_only_warns_the_worker_with_a_mark_blocks() {
        let volume = tempfile::tempdir().unwrap();
        let layout = Layout::online(volume.path().join("Windows"));
        let found = |checks: &[ServicingCheck]| -> Vec<(&str, bool)> {
            checks
                .iter()
                .filter(|c| c.found)
                .map(|c| (c.id, c.blocks))
                .collect()
        };
        // TrustedInstaller up after a scan, set to start automatically by CBS: warnings only.
        let idle =
            FakePlatform::new().service("TrustedInstaller", ServiceState::Running, StartType::Auto);
        let checks = check(&layout, &idle, Mode::Online);
        assert!(refusal(&checks).is_none(), "{checks:#?}");
        assert_eq!(
            found(&checks),
            [
                ("trusted-installer", false),
                ("trusted-installer-automatic", false)
            ]
        );
        // Exclusive stuck at 1 after a restart, nothing running: named, not refused.
        let stuck =
            FakePlatform::new().registry_value(SESSIONS_PENDING, "Exclusive", RegValue::dword(1));
        let checks = check(&layout, &stuck, Mode::Online);
        assert!(refusal(&checks).is_none(), "{checks:#?}");
        assert_eq!(found(&checks), [("cbs-exclusive-stuck", false)]);
        // The worker alone (a scan's applicability check) is no operation either.
        let worker = FakePlatform::new().process("TiWorker.exe");
        assert!(refusal(&check(&layout, &worker, Mode::Online)).is_none());
        // ExecuteState set while the worker runs: an operation in progress.
        for state in [0u32, u32::MAX] {
            let quiet = FakePlatform::new().process("TiWorker.exe").registry_value(
                CBS,
                "ExecuteState",
                RegValue::dword(state),
            );
            assert!(
                refusal(&check(&layout, &quiet, Mode::Online)).is_none(),
                "{state:x}"
            );
        }
        let busy = FakePlatform::new().process("TiWorker.exe").registry_value(
            CBS,
            "ExecuteState",
            RegValue::dword(2),
        );
        let refused = refusal(&check(&layout, &busy, Mode::Online)).unwrap();
        assert_eq!(refused.checks, ["cbs-operation"]);
        assert!(
            refused.reason.contains("ExecuteState is 0x2"),
            "{}",
            refused.reason
        );
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
        // The disk's own CBS flag is read too (from its SOFTWARE hive; absent here).
        assert_eq!(checks.len(), 2);
        assert_eq!(checks[1].id, "cbs-reboot-pending");
    }
}
