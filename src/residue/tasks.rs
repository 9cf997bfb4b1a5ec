//! The scheduled tasks that start Windows Update's scans, disabled or deleted by a blocker. Read
//! through the Task Scheduler on a running Windows (it keeps a task's state in its own cache, not
//! only the task's XML file), from the XML files in `System32\Tasks` of a mounted one. Only tasks
//! Windows 10 and 11 ship enabled are named: others (the restart tasks) Windows itself keeps
//! disabled on some builds, and re-enabling those would be wufix's mistake.

use std::path::Path;

use super::{Put, Residue};
use crate::sys::Platform;

/// Enabled on every Windows 10 (1709 and later) and 11.
pub const TASKS: &[&str] = &[
    r"\Microsoft\Windows\WindowsUpdate\Scheduled Start",
    r"\Microsoft\Windows\UpdateOrchestrator\Schedule Scan",
    r"\Microsoft\Windows\UpdateOrchestrator\Schedule Scan Static Task",
];

pub fn check(sys: &dyn Platform, windows_dir: &Path, out: &mut Vec<Residue>) {
    for &path in TASKS {
        match sys.task_enabled(path) {
            Ok(Some(false)) => out.push(Residue {
                kind: "update-task-disabled",
                target: format!("task {path}"),
                found: "disabled".into(),
                usual: Some("enabled".into()),
                why: "Windows Update's scheduled scans do not start; blockers disable this task"
                    .into(),
                tool: None,
                fixes: vec![Put::Task { path }],
            }),
            // Gone while its folder is still there (beside the tasks no blocker touches): taken
            // out by hand or by a script. A folder that is not there at all says nothing (a
            // build without it, or a Windows the tests imitate).
            Ok(None)
                if crate::sys::task_file::path(windows_dir, path)
                    .parent()
                    .is_some_and(|dir| dir.is_dir()) =>
            {
                out.push(Residue {
                    kind: "update-task-deleted",
                    target: format!("task {path}"),
                    found: "deleted".into(),
                    usual: Some("present and enabled".into()),
                    why:
                        "Windows Update's scheduled scans do not start; a script deleted this task"
                            .into(),
                    tool: None,
                    fixes: Vec::new(),
                });
            }
            // Not readable (denied, or no task service to ask): not guessed.
            _ => {}
        }
    }
}
