//! A restart Windows is waiting for: installing more updates before it usually fails.

use super::{Finding, Severity, why_unavailable};
use crate::sys::{Platform, SysError};

const CBS_REBOOT_PENDING: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\RebootPending";
const WU_REBOOT_REQUIRED: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\WindowsUpdate\Auto Update\RebootRequired";
const SESSION_MANAGER: &str = r"SYSTEM\CurrentControlSet\Control\Session Manager";
const PENDING_RENAMES: &str = "PendingFileRenameOperations";

pub fn check(sys: &dyn Platform) -> Vec<Finding> {
    let flags = match pending_flags(sys) {
        Ok(flags) => flags,
        Err(err) => {
            return vec![Finding::unavailable(
                "pending-reboot",
                "pending restart",
                why_unavailable(&err),
            )];
        }
    };
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
