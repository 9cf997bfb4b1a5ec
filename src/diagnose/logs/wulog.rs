//! The text `Get-WindowsUpdateLog` writes: `2026/11/20 08:15:00.1234567 1234  5678  Agent  …`.
//! A failure is a code the agent logged (`resultMapped`, `*FAILED* [8024402C]`, `Exit code =`);
//! the mapped code is what the user saw, `resultUnMapped` the error beneath it. Statuses that are
//! not failures (0x00240006, 0x80242014 "post-reboot still pending", any success) never count,
//! and a failure followed by a successful search or install is history.

use crate::diagnose::{Finding, Severity, code_text};

const SHOWN: usize = 8;

#[derive(Default)]
struct Group {
    code: u32,
    unmapped: Option<u32>,
    attempts: usize,
    first: String,
    last: String,
}

#[derive(Default)]
pub struct Reader {
    groups: Vec<Group>,
    last_success: Option<String>,
    pub lines: usize,
}

/// The hex number after `key` in `text` (`resultMapped=8024402c`, `ResultMapped: 0x8024402C`).
fn hex_after(text: &str, key: &str) -> Option<u32> {
    let lower = text.to_ascii_lowercase();
    let at = lower.find(&key.to_ascii_lowercase())? + key.len();
    let rest = text[at..].trim_start_matches([' ', '=', ':', '\t', '[']);
    let rest = rest
        .strip_prefix("0x")
        .or_else(|| rest.strip_prefix("0X"))
        .unwrap_or(rest);
    let digits = rest.bytes().take_while(u8::is_ascii_hexdigit).count();
    (1..=8)
        .contains(&digits)
        .then(|| u32::from_str_radix(&rest[..digits], 16).ok())
        .flatten()
}

fn not_a_failure(code: u32) -> bool {
    code == 0 || code == 0x0024_0006 || code == 0x8024_2014 || crate::explain::is_success(code)
}

impl Reader {
    pub fn line(&mut self, raw: &str) {
        let text = raw.trim_start();
        if !super::kind::is_wu_line(text) {
            return;
        }
        self.lines += 1;
        let time = format!("{} {}", text[..10].replace('/', "-"), &text[11..19]);
        let mapped = hex_after(text, "resultMapped")
            .or_else(|| hex_after(text, "*FAILED*"))
            .or_else(|| hex_after(text, "Exit code ="));
        let Some(code) = mapped else {
            return;
        };
        if not_a_failure(code) {
            if text.contains("* END *") || code == 0 {
                self.last_success = Some(time);
            }
            return;
        }
        let unmapped = hex_after(text, "resultUnMapped").filter(|&u| u != code);
        let group = match self.groups.iter_mut().position(|g| g.code == code) {
            Some(i) => &mut self.groups[i],
            None => {
                self.groups.push(Group {
                    code,
                    first: time.clone(),
                    ..Group::default()
                });
                self.groups.last_mut().expect("just pushed")
            }
        };
        group.attempts += 1;
        group.unmapped = unmapped.or(group.unmapped);
        group.last = time;
    }

    pub fn findings(mut self, path: &str) -> Vec<Finding> {
        self.groups.sort_by(|a, b| b.last.cmp(&a.last));
        if self.groups.is_empty() {
            return vec![Finding::new(
                "update-agent",
                Severity::Ok,
                "the Windows Update log holds no failure",
                path,
            )];
        }
        self.groups
            .iter()
            .take(SHOWN)
            .map(|g| {
                let explained = crate::explain::explain("", g.code);
                let name = explained
                    .names
                    .first()
                    .map(|n| format!(" {}", n.name))
                    .unwrap_or_default();
                let mut summary = format!(
                    "Windows Update failed with {}{name} ({}, last at {})",
                    code_text(g.code),
                    crate::record::count(g.attempts as u64, "time", "times"),
                    g.last
                );
                if let Some(u) = g.unmapped {
                    summary.push_str(&format!("; beneath it: {}", code_text(u)));
                }
                let resolved = self.last_success.as_ref().is_some_and(|s| *s > g.last);
                let severity = if resolved {
                    summary.push_str("; a later search or install succeeded");
                    Severity::Info
                } else {
                    Severity::Warn
                };
                let mut f =
                    Finding::new("update-agent", severity, summary, path).with_code(Some(g.code));
                f.remedy = Some(explained.fix.map_or_else(
                    || format!("Run `wufix explain {}`", code_text(g.code)),
                    str::to_string,
                ));
                f.facts.remapped_from = g.unmapped.map(code_text);
                f.facts.attempts = Some(g.attempts);
                f.facts.first_at = Some(g.first.clone());
                f.facts.last_at = Some(g.last.clone());
                f.facts.path = Some(path.to_string());
                f
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(lines: &[&str]) -> Vec<Finding> {
        let mut r = Reader::default();
        for l in lines {
            r.line(l);
        }
        r.findings("WindowsUpdate.log")
    }

    #[test]
    fn the_mapped_code_is_the_failure_and_the_unmapped_one_is_said_beneath_it() {
        let found = read(&[
            "2026/11/20 08:15:00.1234567 1234  5678  Agent           * START * Finding updates",
            "2026/11/20 08:15:05.1234567 1234  5678  ProtocolTalker  SyncUpdates round trip: resultMapped=8024402c resultUnMapped=80072ee7",
            "2026/11/20 09:15:05.1234567 1234  5678  ProtocolTalker  SyncUpdates round trip: resultMapped=8024402c resultUnMapped=80072ee7",
            "2026/11/20 09:20:00.1234567 1234  5678  Handler         Post-reboot status: resultMapped=80242014",
            "2026/11/20 09:21:00.1234567 1234  5678  Agent           Update status: resultMapped=00240006",
        ]);
        assert_eq!(found.len(), 1, "{found:?}");
        let f = &found[0];
        assert_eq!(f.severity, Severity::Warn);
        assert_eq!(f.facts.code.as_deref(), Some("0x8024402C"));
        assert_eq!(f.facts.remapped_from.as_deref(), Some("0x80072EE7"));
        assert_eq!(f.facts.attempts, Some(2));
        assert_eq!(f.facts.last_at.as_deref(), Some("2026-11-20 09:15:05"));
    }

    #[test]
    fn a_later_success_makes_a_failure_history() {
        let found = read(&[
            "2026/11/20 08:15:05.1 1 2 Agent *FAILED* [80240022] Method failed [AgentCheckForUpdates]",
            "2026/11/21 08:15:05.1 1 2 Agent * END * Finding updates, Exit code = 0x00000000",
        ]);
        assert_eq!(found[0].severity, Severity::Info, "{}", found[0].summary);
        assert!(
            read(&["2026/11/21 08:15:05.1 1 2 Agent nothing here"])[0].severity == Severity::Ok
        );
    }
}
