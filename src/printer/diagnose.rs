//! `diagnose` as text: each finding with its evidence and fix, then what to do first.

use std::fmt::Write as _;

use anstyle::Style;

use super::{GREEN, Printer, RED, YELLOW, clean, paint};
use crate::diagnose::{DiagnoseReport, Severity};

impl Printer {
    pub fn diagnose(&self, report: &DiagnoseReport) {
        if self.json {
            return self.json_out(report);
        }
        let mut text = format!(
            "Windows: {} ({})\n",
            clean(&report.windows_dir),
            report.mode.as_str()
        );
        for line in &report.read {
            let _ = writeln!(text, "  {}", clean(line));
        }
        text.push('\n');
        findings(&mut text, &report.findings);
        let attention = report
            .findings
            .iter()
            .filter(|f| f.needs_attention())
            .count();
        let _ = match &report.next_step {
            Some(step) => writeln!(
                text,
                "\n{} need attention. First: {step}",
                crate::record::count(attention as u64, "finding", "findings")
            ),
            None => writeln!(text, "\nNothing needs remediation."),
        };
        self.out(&text);
    }
}

/// Each finding with its evidence and fix, as `diagnose` and `logs` print them.
pub(super) fn findings(text: &mut String, findings: &[crate::diagnose::Finding]) {
    for finding in findings {
        let label = format!("{:<6}", finding.severity.as_str().to_uppercase());
        let style = match finding.severity {
            Severity::Ok => GREEN,
            Severity::Info => Style::new(),
            Severity::Warn => YELLOW,
            Severity::Error => RED,
        };
        let _ = writeln!(
            text,
            "  {} {}",
            paint(&label, style),
            clean(&finding.summary)
        );
        let _ = writeln!(text, "         {}", clean(&finding.evidence));
        if let (true, Some(remedy)) = (finding.severity > Severity::Ok, &finding.remedy) {
            // Offline remedies hold the mounted volume's path: cleaned like any name.
            let _ = writeln!(text, "         fix: {}", clean(remedy));
        }
    }
}
