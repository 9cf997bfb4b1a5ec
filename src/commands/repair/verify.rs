//! The scan after a rung, where the repair runs: here, or — from a network logon (WinRM, SSH),
//! where the agent refuses to search — as SYSTEM through a one-shot task that runs wufix's
//! stable copy (made now, under the lock, when `wufix install` has not). `crate::verify` decides
//! and builds the task; this is the command's side.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::super::session::Session;
use super::super::stable_copy;
use crate::record::Outcome;
use crate::report::ScanReport;
use crate::verify::{self, Verified, Where};

/// The scan after rung number `n` of this run, as the report keeps it.
pub fn scan(s: &Session, n: usize, timeout: Duration, cancel: &AtomicBool) -> ScanReport {
    let sys = s.machine.sys;
    let exe = s.home.stable_exe();
    if verify::choose(sys) == Where::AsSystem && !exe.is_file() {
        let copied = stable_copy::copy_self(&exe);
        if copied.outcome == Outcome::Failed {
            return ScanReport::cannot_verify(format!(
                "this is a network logon, from which Windows Update refuses to scan, and wufix's \
                 copy that would scan as SYSTEM could not be made ({})",
                copied.detail
            ));
        }
    }
    let id = format!("{}-{}", std::process::id(), n + 1);
    match verify::scan(sys, &exe, &s.home.dir.join("scan"), &id, timeout, cancel) {
        Verified::Scanned { scan, via_task } => ScanReport {
            ran_as: via_task.then_some("system-task"),
            ..ScanReport::of(&scan)
        },
        Verified::CannotVerify(why) => ScanReport::cannot_verify(format!(
            "this is a network logon, from which Windows Update refuses to scan, and {why}"
        )),
        Verified::Failed(err) => ScanReport::failed(err.to_string()),
    }
}
