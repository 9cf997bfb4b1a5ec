//! `wufix repair` as text: where it started, each rung's steps and scan, the outcome and what
//! to try next; or as one JSON document.

use std::fmt::Write as _;

use super::{GREEN, Printer, RED, YELLOW, clean, paint, step_line};
use crate::report::RepairReport;

impl Printer {
    pub fn repair(&self, report: &RepairReport) {
        // Kept in text too: the run's event carries it (`Printer::event_text`).
        self.json_out_report(report);
        if self.json {
            return;
        }
        let mut text = super::servicing_lines(&report.servicing, report.forced);
        if report.refused.is_none() && !report.start.rung.is_empty() {
            let code = report
                .start
                .code
                .as_deref()
                .map(|c| format!(" for {c}"))
                .unwrap_or_default();
            let _ = writeln!(
                text,
                "Repair{code} of {}: starts at {} ({}); climbs up to {}.",
                clean(&report.windows_dir),
                report.start.rung,
                clean(&report.start.why),
                report.up_to.as_str()
            );
        }
        for rung in &report.rungs {
            let _ = writeln!(text, "\nRung {}: {}", rung.rung.as_str(), rung.summary);
            // A run's steps were shown as they happened; a dry run says each rung in words
            // (every step with --verbose; a mounted disk's plan is the technician's script).
            if report.dry_run && !self.verbose && report.script.is_empty() {
                for line in super::summary::summary(&rung.steps) {
                    let _ = writeln!(text, "  {}", clean(&line));
                }
            } else if report.dry_run {
                for record in &rung.steps {
                    let reversible = if record.reversible {
                        ""
                    } else {
                        "  [cannot be undone]"
                    };
                    let _ = writeln!(
                        text,
                        "{}{reversible}{}",
                        step_line(record),
                        super::risk_line(record)
                    );
                }
            }
            for backup in &rung.backups {
                let _ = writeln!(text, "  backup   {}", clean(&backup.path));
            }
            if let Some(scan) = &rung.scan {
                let style = if scan.succeeded { GREEN } else { YELLOW };
                let _ = writeln!(
                    text,
                    "  {} {}",
                    paint("scan    ", style),
                    clean(&scan.describe())
                );
            }
        }
        if !report.script.is_empty() {
            let _ = writeln!(text, "\nFrom Windows PE, as administrator:");
            for line in &report.script {
                let _ = writeln!(text, "  {}", clean(line));
            }
        }
        if !report.managed.note.is_empty() {
            let _ = writeln!(text, "\n{}", clean(&report.managed.note));
        }
        let style = if report.ok { GREEN } else { RED };
        let _ = writeln!(text, "\n{}", paint(&clean(&report.message), style));
        if let Some(next) = &report.next_step {
            let _ = writeln!(text, "Next: {}", clean(next));
        }
        if !report.dry_run
            && report
                .rungs
                .iter()
                .any(|r| r.rung == crate::ladder::Rung::Deep)
        {
            let _ = writeln!(text, "Logs: {}", clean(&report.logs.join(", ")));
        }
        self.report_out(&text);
    }
}
