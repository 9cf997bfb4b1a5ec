//! The two lines a person reads first: what is wrong, and whether resetting the folders will fix
//! it — from the quick checks the menu runs as it opens (fast, none needing administrator
//! rights), never from a guess. The findings decide; the words are said here once.

use super::{Finding, Mode};
use crate::folders::Layout;
use crate::sys::Platform;

/// The checks the menu runs as it opens: the update services, a pending restart, the servicing
/// logs, what an update blocker left, and Microsoft's known issues among them. The slower ones
/// (the event log, partitions, Setup) wait for "Find out what is wrong".
pub fn quick(layout: &Layout, sys: &dyn Platform, mode: Mode) -> Vec<Finding> {
    let mut findings = Vec::new();
    findings.extend(super::services::check(sys, mode == Mode::Online));
    findings.extend(super::reboot::check(sys, layout, mode));
    let today = (mode == Mode::Online).then(|| {
        jiff::Timestamp::now()
            .to_zoned(crate::sys::local_zone())
            .date()
    });
    findings.extend(super::servicing_logs::check(layout, mode, today));
    findings.extend(super::residue::check(layout, sys, mode));
    if mode == Mode::Online {
        super::blocker_disabled(&mut findings);
    }
    super::known_issues(&mut findings, crate::known_issues::table());
    findings
}

/// What the evidence recommends doing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recommend {
    /// Put back what an update blocker left (the residue rung).
    TurnBackOn,
    /// Reset the folders.
    Reset,
    /// The step-by-step repair.
    Repair,
    /// Nothing wufix does: the remedy says what will.
    Nothing,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// What is wrong, in one line; or that nothing was found, or what could not be checked.
    pub wrong: String,
    /// Whether resetting the folders will fix it, in one line.
    pub reset: String,
    /// When nothing of wufix's fixes it: what will (the worst problem's remedy).
    pub what_will: Option<String>,
    /// `Some(false)` when a problem stands that a reset does not fix.
    pub reset_helps: Option<bool>,
    pub recommend: Recommend,
}

/// A blocker's residue the residue rung puts back.
pub fn is_residue(f: &Finding) -> bool {
    (f.id == "residue" || f.facts.rule.as_deref() == Some("service-disabled"))
        && f.fixed_by.is_some()
}

pub fn verdict(findings: &[Finding]) -> Verdict {
    let mut problems: Vec<&Finding> = findings
        .iter()
        .filter(|f| f.available && f.needs_attention())
        .collect();
    // Errors first; among equals, as the checks found them.
    problems.sort_by_key(|f| std::cmp::Reverse(f.severity));
    let Some(top) = problems.first() else {
        let checked = findings.iter().any(|f| f.available);
        let wrong = match findings.iter().find(|f| !f.available) {
            Some(f) if !checked => format!(
                "Nothing could be checked here: {}",
                f.reason.as_deref().unwrap_or(&f.summary)
            ),
            _ => "No problem found in what could be checked.".to_string(),
        };
        return Verdict {
            wrong,
            reset: "Nothing found needs a reset.".into(),
            what_will: None,
            reset_helps: None,
            recommend: Recommend::Nothing,
        };
    };
    let more = match problems.len() {
        1 => String::new(),
        2 => " (and 1 more problem)".to_string(),
        n => format!(" (and {} more problems)", n - 1),
    };
    let summary = top.summary.trim().trim_end_matches('.');
    let wrong = format!("What is wrong: {}", sentence(&format!("{summary}{more}")));
    let (reset, helps, recommend) = if problems.iter().any(|f| is_residue(f)) {
        (
            "Resetting the folders will not fix this: what an update blocker turned off must be turned back on first.".to_string(),
            false,
            Recommend::TurnBackOn,
        )
    } else if problems.iter().any(|f| f.reset_would_help) {
        (
            "Resetting the folders may fix this.".to_string(),
            true,
            Recommend::Reset,
        )
    } else if problems.iter().any(|f| f.fixed_by == Some("repair")) {
        (
            "Resetting the folders will not fix this; the step-by-step repair may.".to_string(),
            false,
            Recommend::Repair,
        )
    } else {
        (
            "Resetting the folders will not fix this.".to_string(),
            false,
            Recommend::Nothing,
        )
    };
    let what_will = (recommend == Recommend::Nothing)
        .then(|| top.remedy.as_deref().map(sentence))
        .flatten();
    Verdict {
        wrong,
        reset,
        what_will,
        reset_helps: Some(helps),
        recommend,
    }
}

/// A finding's words as a sentence: a capital first letter and a full stop.
fn sentence(text: &str) -> String {
    let text = text.trim();
    let mut out: String = match text.chars().next() {
        Some(first) => first.to_uppercase().chain(text.chars().skip(1)).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?']) {
        out.push('.');
    }
    out
}

#[cfg(test)]
mod tests;
