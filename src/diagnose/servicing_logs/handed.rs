//! Logs handed over (`wufix logs`): the same readers, plus what pasted excerpts need. An excerpt
//! is a CBS log holding no TrustedInstaller start and no session-initialised line (a whole or
//! rotated log always has them); its lines may carry an editor's `Line 1234:` prefix, a quoting
//! `> `, or no date at all. In an excerpt a few known failure lines count by themselves, and
//! what they found is labelled `basis: excerpt`.

use std::borrow::Cow;
use std::path::PathBuf;

use super::evidence::{Evidence, Failure, Kind, Operation};
use super::line::{self, Line, status};
use super::{Finding, Read};

/// What a time-less excerpt line is dated with when no dated line came before it.
const NO_DATE: &str = "1601-01-01 00:00:00";

/// Read handed CBS logs (any order they were given) and dism.log files; their own timeline
/// judges staleness, never this machine's clock.
pub fn handed(cbs: &[PathBuf], dism: &[PathBuf], refused: &[String]) -> Vec<Finding> {
    Read {
        cbs,
        dism,
        refused,
        today: None,
        offline: None,
        excerpts: true,
    }
    .findings()
}

/// Turns a pasted line back into the line the log wrote.
#[derive(Default)]
pub struct Cleaner {
    last_time: Option<String>,
}

impl Cleaner {
    pub fn line<'a>(&mut self, raw: &'a str) -> Cow<'a, str> {
        let text = strip_prefixes(raw);
        if line::is_dated(text) {
            self.last_time = Some(text[..19].to_string());
            return Cow::Borrowed(text);
        }
        let level = text.split_whitespace().next().unwrap_or("");
        if matches!(level, "Info" | "Error" | "Warning" | "Perf") {
            let time = self.last_time.as_deref().unwrap_or(NO_DATE);
            return Cow::Owned(format!("{time}, {text}"));
        }
        Cow::Borrowed(text)
    }
}

/// `  Line 1234: `, `> `, `>> `, in any order, as editors and mail clients add them.
fn strip_prefixes(raw: &str) -> &str {
    let mut text = raw.trim_start();
    loop {
        if let Some(rest) = text.strip_prefix('>') {
            text = rest.trim_start();
            continue;
        }
        if let Some(rest) = text.strip_prefix("Line ") {
            let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
            let after = rest[digits..].trim_start();
            if digits > 0 && after.starts_with(':') {
                text = after[1..].trim_start();
                continue;
            }
        }
        return text;
    }
}

/// Watches one CBS file: whether it is an excerpt, and the known failure lines that count by
/// themselves if it is.
pub struct Watch {
    file: usize,
    started: bool,
    found: Vec<Operation>,
}

const FOUND_LIMIT: usize = 64;

impl Watch {
    pub fn new(file: usize) -> Self {
        Watch {
            file,
            started: false,
            found: Vec::new(),
        }
    }

    pub fn line(&mut self, line: &Line) {
        let msg = line.message;
        if msg.starts_with("TI: --- Initializing Trusted Installer")
            || msg.starts_with("Starting TrustedInstaller initialization")
            || (msg.starts_with("Session: ") && msg.contains("initialized by client"))
        {
            self.started = true;
            return;
        }
        if self.found.len() >= FOUND_LIMIT {
            return;
        }
        let store = if msg.starts_with("Failed to resolve package")
            && (msg.contains("CBS_E_STORE_CORRUPTION") || status(msg) == Some(0x800F_0831))
        {
            Some(0x800F_0831)
        } else if msg.starts_with("Mark store corruption flag") {
            Some(0x8007_3712)
        } else {
            None
        };
        let Some(code) = store else { return };
        // Both lines tell of one corruption: the second is a detail of the first.
        if let Some(Failure { details, .. }) =
            self.found.last_mut().and_then(|op| op.failure.as_mut())
        {
            if details.len() < 4 {
                details.push(super::words::cut(msg.to_string()));
            }
            return;
        }
        let package = msg
            .split_once("package: ")
            .or_else(|| msg.split_once("package "))
            .map(|(_, rest)| super::words::token(rest).to_string());
        self.found.push(Operation {
            kind: Kind::Store,
            key: "excerpt".into(),
            subject: "the component store".into(),
            failure: Some(Failure {
                code: Some(code),
                details: vec![super::words::cut(msg.to_string())],
                installer: None,
            }),
            time: line.time.to_string(),
            file: self.file,
            kb: package
                .as_deref()
                .and_then(super::words::kb_in)
                .map(str::to_string),
            package,
        });
    }

    pub fn is_excerpt(&self) -> bool {
        !self.started
    }

    pub fn commit(self, evidence: &mut Evidence) {
        for op in self.found {
            evidence.record(op);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pasted_lines_are_read_as_the_log_wrote_them() {
        let mut c = Cleaner::default();
        assert_eq!(
            c.line("\tLine 20418: 2026-11-20 08:15:01, Error                 CBS    Failed"),
            "2026-11-20 08:15:01, Error                 CBS    Failed"
        );
        assert_eq!(
            c.line("> Error   CBS    Mark store corruption flag"),
            "2026-11-20 08:15:01, Error   CBS    Mark store corruption flag"
        );
        assert_eq!(
            Cleaner::default().line(">> Info CBS x"),
            "1601-01-01 00:00:00, Info CBS x"
        );
        // Not a log line: left as it is (the readers ignore it).
        assert_eq!(c.line("Line 5 of my notes"), "Line 5 of my notes");
    }
}
