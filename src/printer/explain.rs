//! `explain` as text: each code's names, whether a reset helps, what it means, its cause and
//! fix, and where `wufix repair` would start (the anatomy is in the JSON).

use std::fmt::Write as _;

use super::Printer;
use super::clean;
use crate::explain::{Entry, ExplainReport};

impl Printer {
    pub fn explain(&self, report: &ExplainReport) {
        if self.json {
            return self.json_out(report);
        }
        let mut text = String::new();
        for (i, entry) in report.codes.iter().enumerate() {
            if i > 0 {
                text.push('\n');
            }
            let e = match entry {
                Entry::Explained(e) => e,
                Entry::Invalid { error, .. } => {
                    let _ = writeln!(text, "{}", clean(error));
                    continue;
                }
            };
            let names: Vec<&str> = e.names.iter().map(|n| n.name).collect();
            let title = if names.is_empty() && e.meaning.is_some() && e.family.is_none() {
                "(Microsoft publishes no name for it)".to_string()
            } else if names.is_empty() {
                "not in wufix's database".to_string()
            } else {
                names.join(" / ")
            };
            let status = if e.success {
                "  (a success status, not a failure)"
            } else {
                ""
            };
            let _ = writeln!(text, "{}  {title}{status}", e.code);
            if !e.success {
                let helps = match e.reset_helps {
                    "unknown" => "not known",
                    other => other,
                };
                let _ = writeln!(text, "  Does resetting the folders help? {helps}");
            }
            if let Some(family) = e.family {
                let _ = writeln!(
                    text,
                    "  {:<14} {family} (what follows is the family's)",
                    "Family"
                );
            }
            for (label, value) in [
                ("What it means", e.meaning),
                ("Likely cause", e.cause),
                ("What fixes it", e.fix),
            ] {
                if let Some(value) = value {
                    let _ = writeln!(text, "  {label:<14} {value}");
                }
            }
            // The anatomy only where it is all there is: a code wufix does not know.
            if e.meaning.is_none() {
                let _ = writeln!(text, "  {:<14} {}", "Anatomy", e.anatomy.describe());
            }
            if let Some(message) = &e.system_message {
                let _ = writeln!(text, "  {:<14} {message}", "Windows says");
            }
            if let Some(hint) = &e.repair {
                let _ = writeln!(text, "  {:<14} {}", "Repair", hint.note);
            }
            for issue in &e.known_issues {
                let updates = if issue.kbs.is_empty() {
                    String::new()
                } else {
                    format!(" [{}]", issue.kbs.join(", "))
                };
                let _ = writeln!(
                    text,
                    "  {:<14} {} (since {}){updates}: {}. Source: {}, {} (checked {})",
                    "Known issue",
                    issue.title,
                    issue.since,
                    issue.action.text,
                    issue.source.title,
                    issue.source.url,
                    issue.checked
                );
            }
        }
        if !report.ignored.is_empty() {
            let words: Vec<String> = report
                .ignored
                .iter()
                .map(|w| clean(w).into_owned())
                .collect();
            let _ = writeln!(text, "\n(ignored, no code in them: {})", words.join(" "));
        }
        self.out(&text);
    }
}
