//! `logs` as text: what each file was taken for, the findings as `diagnose` prints them, and
//! what to do first.

use std::fmt::Write as _;

use super::{Printer, clean};
use crate::diagnose::logs::{LogKind, LogsReport};

fn kind_name(kind: LogKind) -> &'static str {
    match kind {
        LogKind::Cbs => "CBS log",
        LogKind::Dism => "DISM log",
        LogKind::Setup => "Setup log",
        LogKind::Sysprep => "sysprep log",
        LogKind::Setupdiag => "SetupDiag results",
        LogKind::WindowsUpdate => "Windows Update log",
        LogKind::Unrecognised => "not recognised",
    }
}

impl Printer {
    pub fn logs(&self, report: &LogsReport) {
        if self.json {
            return self.json_out(report);
        }
        let mut text = String::new();
        for input in &report.inputs {
            let _ = write!(text, "{}: {}", kind_name(input.kind), clean(&input.path));
            if let Some(why) = &input.unread {
                let _ = write!(text, " (not read: {})", clean(why));
            }
            text.push('\n');
        }
        if report.skipped > 0 {
            let _ = writeln!(
                text,
                "({} in the folders are not logs wufix reads: skipped)",
                crate::record::count(report.skipped as u64, "other file", "other files")
            );
        }
        for refused in &report.refused {
            let _ = writeln!(text, "(not read: {})", clean(refused));
        }
        text.push('\n');
        super::diagnose::findings(&mut text, &report.findings);
        let _ = match &report.next_step {
            Some(step) => writeln!(text, "\nFirst: {}", clean(step)),
            None => writeln!(text, "\nNo failure stands in these logs."),
        };
        self.out(&text);
    }
}
