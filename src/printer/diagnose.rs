//! `diagnose` as text: the verdict first, the problems with what to do, the rest folded into a
//! line each; with `--verbose`, every finding with its evidence.

use std::fmt::Write as _;

use anstyle::Style;

use super::{GREEN, Printer, RED, YELLOW, clean, paint};
use crate::diagnose::verdict::verdict;
use crate::diagnose::{DiagnoseReport, Finding, Severity};

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
        if self.verbose {
            findings(&mut text, &report.findings);
            self.out(&text);
            return;
        }
        // The verdict first, then the problems with what fixes each, the rest folded.
        let v = verdict(&report.findings);
        let _ = writeln!(text, "{}\n{}", clean(&v.wrong), clean(&v.reset));
        let mut problems: Vec<&Finding> = report
            .findings
            .iter()
            .filter(|f| f.available && f.needs_attention())
            .collect();
        problems.sort_by_key(|f| std::cmp::Reverse(f.severity));
        if !problems.is_empty() {
            text.push('\n');
        }
        for f in &problems {
            let label = format!("{:<6}", f.severity.as_str().to_uppercase());
            let style = if f.severity == Severity::Error {
                RED
            } else {
                YELLOW
            };
            let _ = writeln!(text, "  {} {}", paint(&label, style), clean(&f.summary));
            if let Some(remedy) = &f.remedy {
                let _ = writeln!(text, "         What to do: {}", clean(remedy));
            }
        }
        let fine: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.available && f.severity == Severity::Ok)
            .map(|f| f.summary.as_str())
            .collect();
        let noted: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| f.available && f.severity == Severity::Info)
            .map(|f| f.summary.as_str())
            .collect();
        let unread: Vec<&str> = report
            .findings
            .iter()
            .filter(|f| !f.available)
            .map(|f| f.summary.trim_start_matches("unavailable: "))
            .collect();
        text.push('\n');
        for (label, style, items) in [
            ("Fine", GREEN, &fine),
            ("Also noted", Style::new(), &noted),
            ("Could not check", Style::new(), &unread),
        ] {
            if !items.is_empty() {
                let _ = writeln!(
                    text,
                    "{}: {}.",
                    paint(label, style),
                    clean(&items.join("; "))
                );
            }
        }
        let _ = writeln!(
            text,
            "(The evidence for each: add --verbose, or --json for the whole report.)"
        );
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
