//! `status` as text: the services, the folders and their sizes, wufix's backups, and the journal
//! (the last run, an interrupted one, journals set aside).

use std::fmt::Write as _;

use super::reset::service_row;
use super::{Printer, RED, clean, paint};
use crate::machine::Mode;
use crate::record::size_text;
use crate::report::StatusReport;

impl Printer {
    pub fn status(&self, report: &StatusReport) {
        if self.json {
            return self.json_out(report);
        }
        let mut text = format!(
            "Windows: {} ({})\n",
            clean(&report.windows_dir),
            report.mode.as_str()
        );
        if report.mode == Mode::Online {
            let _ = writeln!(
                text,
                "\nServices\n  {:<10} {:<14} {:<13} PID",
                "NAME", "STATE", "START TYPE"
            );
            for service in report.services.iter().flatten() {
                let _ = writeln!(text, "  {:<10} {}", service.name, service_row(service));
            }
        } else {
            let _ = writeln!(
                text,
                "\nServices: not inspected (an offline installation has no running services)"
            );
        }
        let _ = writeln!(text, "\nFolders");
        for folder in &report.folders {
            let what = if !folder.exists {
                "not present (Windows makes it again at its next check)".to_string()
            } else if folder.is_link {
                "a link or junction (wufix will not reset it)".to_string()
            } else {
                size_text(folder.size.files, folder.size.bytes)
            };
            let _ = writeln!(text, "  {}: {what}", folder.folder.shown());
            if self.verbose {
                let _ = writeln!(text, "    {}", clean(&folder.path));
            }
        }
        let _ = writeln!(text, "\nBackups made by wufix");
        if report.backups.is_empty() {
            let _ = writeln!(text, "  none");
        }
        for backup in &report.backups {
            let size = match backup.size {
                _ if backup.is_link => {
                    "a link or junction named like a backup: not a backup, never entered".into()
                }
                _ if backup.event == crate::folders::inventory::BackupEvent::Incomplete => {
                    "half-deleted: an earlier prune was cut short; not a backup, the next reset deletes the rest".into()
                }
                Some(s) => size_text(s.files, s.bytes),
                None => String::new(),
            };
            let _ = writeln!(text, "  {}  {size}", clean(&backup.path));
        }
        text.push_str(&journal_text(&report.journal, report.mode == Mode::Offline));
        self.out(&text);
    }
}

/// The last run, an interrupted one, and journals set aside, as `status` words them.
fn journal_text(view: &crate::recovery::JournalView, offline: bool) -> String {
    let mut text = String::from("\nLast run\n");
    match &view.last_run {
        Some(run) => {
            let _ = writeln!(
                text,
                "  {} {}: {}",
                clean(&super::when::shown(&run.started, offline)),
                clean(&run.command),
                run.outcome
            );
        }
        None => text.push_str("  none recorded\n"),
    }
    if let Some(run) = &view.interrupted {
        let _ = writeln!(
            text,
            "{}",
            paint(
                &format!(
                    "  INTERRUPTED: the {} started {} did not finish",
                    clean(&run.command),
                    clean(&super::when::shown(&run.started, offline))
                ),
                RED
            )
        );
        if !run.services_stopped.is_empty() {
            let _ = writeln!(
                text,
                "    left stopped: {}",
                clean(&run.services_stopped.join(", "))
            );
        }
        for r in &run.renamed {
            let _ = writeln!(
                text,
                "    {} {} -> {}",
                if r.done { "renamed" } else { "was renaming" },
                clean(&r.from),
                clean(&r.to)
            );
        }
        let _ = writeln!(text, "    fix: `wufix undo` puts everything back");
    }
    for aside in &view.set_aside {
        let _ = writeln!(
            text,
            "  journal set aside: {} ({})",
            clean(&aside.path),
            clean(&aside.why)
        );
    }
    for damaged in &view.damaged {
        let _ = writeln!(
            text,
            "  journal damaged: {} ({}); the next reset, undo or repair sets it aside",
            clean(&damaged.path),
            clean(&damaged.why)
        );
    }
    for skipped in &view.skipped {
        let _ = writeln!(
            text,
            "  journal skipped: {} ({})",
            clean(&skipped.path),
            clean(&skipped.why)
        );
    }
    for empty in &view.empty {
        let _ = writeln!(
            text,
            "  journal empty: {} (a run killed before it changed anything, or one starting now)",
            clean(empty)
        );
    }
    if let Some(err) = &view.error {
        let _ = writeln!(text, "  journal not readable: {}", clean(err));
    }
    text
}
