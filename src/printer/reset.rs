//! `reset` and `undo` as text: the servicing checks, a dry run's plan, the services before and
//! after, the backups, the outcome, and after a reset what to expect and how to undo it.

use std::fmt::Write as _;

use super::{Printer, clean, servicing_lines, step_line};
use crate::folders::inventory::BackupEvent;
use crate::machine::Mode;
use crate::report::ResetReport;
use crate::services::ServiceSnapshot;

impl Printer {
    pub fn reset(&self, report: &ResetReport) {
        // Kept in text too: the run's event carries it (`Printer::event_text`).
        self.json_out_report(report);
        if self.json {
            return;
        }
        let mut text = servicing_lines(&report.servicing, report.forced);
        if report.dry_run && report.refused.is_none() {
            let what = match report.command {
                "reset" => format!("reset ({})", method_name(report)),
                other => other.to_string(),
            };
            let _ = writeln!(
                text,
                "Dry run: nothing will be changed. wufix {what} on {} would:",
                clean(&report.windows_dir)
            );
            for record in &report.steps {
                let reversible = if record.reversible {
                    ""
                } else {
                    "  [cannot be undone]"
                };
                let _ = writeln!(text, "{}{reversible}", step_line(record));
            }
        }
        let services = report.services.clone().unwrap_or_default();
        if !services.before.is_empty() {
            let _ = writeln!(
                text,
                "\nServices{}",
                if report.dry_run {
                    ""
                } else {
                    " (before → after)"
                }
            );
            for before in &services.before {
                let after = services.after.iter().find(|a| a.name == before.name);
                let _ = writeln!(
                    text,
                    "  {:<10} {}",
                    before.name,
                    service_change(before, after)
                );
            }
        }
        if !report.backups.is_empty() {
            let _ = writeln!(text, "\nBackups");
            for backup in &report.backups {
                let _ = writeln!(
                    text,
                    "  {:<8} {}",
                    backup_event(backup.event),
                    clean(&backup.path)
                );
            }
        }
        // Offline the journal is written to the customer's disk: shown with the plan.
        if let (Some(journal), true) = (&report.journal, report.dry_run) {
            let _ = writeln!(
                text,
                "\nJournal\n  planned  {} (each change written down there before it is made; what undo reads)",
                clean(journal)
            );
        }
        let _ = writeln!(text, "\n{}", clean(&report.message));
        if report.command == "reset" && !report.dry_run && report.ok && report.reboot_recommended {
            text.push_str(&after_reset(report));
        }
        self.report_out(&text);
    }
}

fn method_name(report: &ResetReport) -> &'static str {
    match report.method {
        crate::request::Method::Rename => "rename",
        crate::request::Method::Clear => "clear",
    }
}

/// What a person sees next, after a reset that changed something, and how to undo it.
fn after_reset(report: &ResetReport) -> String {
    let mut text = String::from(
        "\nWhat to expect: Settings → Windows Update → Update history looks empty until Windows \
         scans again (installed updates are still listed under \"Uninstall updates\"), and that \
         first check for updates takes longer than usual.\n",
    );
    let made: Vec<String> = report
        .backups
        .iter()
        .filter(|b| b.event == BackupEvent::Created)
        .map(|b| format!("  {}", clean(&b.path)))
        .collect();
    if made.is_empty() {
        return text;
    }
    let target = match report.mode {
        Mode::Online => String::new(),
        Mode::Offline => format!(" --windows-dir \"{}\"", clean(&report.windows_dir)),
    };
    let _ = writeln!(
        text,
        "To undo: `wufix undo{target}` puts these backups back (what Windows made meanwhile is kept as a backup):\n{}",
        made.join("\n")
    );
    text
}

pub(super) fn service_state(snapshot: &ServiceSnapshot) -> String {
    match (&snapshot.error, snapshot.exists, snapshot.state) {
        (Some(err), _, _) => format!("unknown ({err})"),
        (None, false, _) => "not installed".to_string(),
        (None, true, Some(state)) => state.as_str().to_string(),
        (None, true, None) => "unknown".to_string(),
    }
}

pub(super) fn service_row(snapshot: &ServiceSnapshot) -> String {
    if !snapshot.exists {
        return service_state(snapshot);
    }
    let start = snapshot.start_type.map(|s| s.as_str()).unwrap_or("?");
    let pid = snapshot.pid.map(|p| p.to_string()).unwrap_or_default();
    format!("{:<14} {:<13} {pid}", service_state(snapshot), start)
}

fn service_change(before: &ServiceSnapshot, after: Option<&ServiceSnapshot>) -> String {
    let start = before
        .start_type
        .map(|s| format!(", {}", s.as_str()))
        .unwrap_or_default();
    match after {
        Some(after) if before.exists => format!(
            "{} → {}{start}",
            service_state(before),
            service_state(after)
        ),
        _ => format!("{}{start}", service_state(before)),
    }
}

fn backup_event(event: BackupEvent) -> &'static str {
    match event {
        BackupEvent::Created => "created",
        BackupEvent::Planned => "planned",
        BackupEvent::Kept => "kept",
        BackupEvent::Pruned => "deleted",
        BackupEvent::Present => "present",
        BackupEvent::Restored => "restored",
        BackupEvent::Incomplete => "half-deleted",
    }
}
