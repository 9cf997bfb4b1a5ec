//! A restart Windows is waiting for: installing more updates before it usually fails.

use super::{Finding, Severity, why_unavailable};
use crate::folders::Layout;
use crate::machine::Mode;
use crate::sys::{Platform, SysError};

const CBS_REBOOT_PENDING: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending";
const WU_REBOOT_REQUIRED: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired";
const SESSION_MANAGER: &str = r"SYSTEM\CurrentControlSet\Control\Session Manager";
const PENDING_RENAMES: &str = "PendingFileRenameOperations";

pub fn check(sys: &dyn Platform, layout: &Layout, mode: Mode) -> Vec<Finding> {
    // `WinSxS\pending.xml` is a file: it answers even where the registry cannot be read.
    let pending_xml = crate::folders::layout::find_children(&layout.windows_dir, "WinSxS")
        .first()
        .map(|winsxs| crate::folders::layout::find_children(winsxs, "pending.xml"))
        .and_then(|found| found.first().cloned())
        .filter(|p| p.is_file());
    let mut flags = match pending_flags(sys) {
        Ok(flags) => flags,
        Err(err) if pending_xml.is_none() => {
            return vec![Finding::unavailable(
                "pending-reboot",
                "pending restart",
                why_unavailable(&err),
            )];
        }
        Err(err) => vec![format!(
            "the registry's flags not read: {}",
            why_unavailable(&err)
        )],
    };
    if let Some(path) = &pending_xml {
        flags.insert(
            0,
            format!(
                "{} exists: servicing operations wait for a restart",
                path.display()
            ),
        );
    }
    if mode == Mode::Offline
        && (pending_xml.is_some()
            || flags
                .iter()
                .any(|f| f.contains(" exists") || f.contains(" lists ")))
    {
        let root = layout.root().display().to_string();
        return vec![
            Finding::new("pending-reboot", Severity::Warn, "servicing waits for this Windows to start again", flags.join("; "))
                .remedy(format!("This Windows is not running: start it and let it finish (do not reset it first). If it cannot start, from Windows PE with this volume ({root}) as D: (`diskpart`, `list volume`): `DISM /Image:D:\\ /Cleanup-Image /RevertPendingActions`, then start it")),
        ];
    }
    if flags.is_empty() {
        return vec![Finding::new(
            "pending-reboot",
            Severity::Ok,
            "no restart is pending",
            "none of the three pending-restart flags is set",
        )];
    }
    vec![
        Finding::new(
            "pending-reboot",
            Severity::Warn,
            "a restart is pending",
            flags.join("; "),
        )
        .remedy("Restart Windows (`shutdown /r /t 0`), then try the update again"),
    ]
}

/// Each pending-restart flag that is set, described.
fn pending_flags(sys: &dyn Platform) -> Result<Vec<String>, SysError> {
    let mut flags = Vec::new();
    for key in [CBS_REBOOT_PENDING, WU_REBOOT_REQUIRED] {
        if sys.registry().key_exists(key)? {
            flags.push(format!(r"HKLM\{key} exists"));
        }
    }
    // A *value*, not a key: a list of files to move or delete at the next boot.
    if let Some(value) = sys.registry().value(SESSION_MANAGER, PENDING_RENAMES)? {
        match value.as_multi() {
            Some(entries) => {
                let listed = entries.iter().filter(|e| !e.is_empty()).count();
                if listed > 0 {
                    flags.push(format!(
                        r"HKLM\{SESSION_MANAGER}\{PENDING_RENAMES} lists {}",
                        crate::record::count(listed as u64, "entry", "entries")
                    ));
                }
            }
            None if value.as_text().is_none() && value.data.iter().any(|b| *b != 0) => {
                flags.push(format!(r"HKLM\{SESSION_MANAGER}\{PENDING_RENAMES} is set"))
            }
            None => {}
        }
    }
    Ok(flags)
}
