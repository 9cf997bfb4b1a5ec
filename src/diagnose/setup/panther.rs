//! Windows Setup's own log (`setupact.log`, in Panther folders) read for its verdict: the last
//! result Setup logged (`Result = 0x…`), the two-part code, a code Setup remapped "for telemetry",
//! and what its error lines name. A successful upgrade leaves hundreds of Error lines: they are
//! noise once the last result is success. A user's cancel (0x800704C7) is not a failure.

use super::code::{self, SetupCode};
use crate::diagnose::servicing_logs::line::{self, Level};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    Succeeded,
    Failed,
    Cancelled,
    /// The log holds no result line (Setup still running, or cut off).
    Unknown,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Verdict {
    pub outcome: Outcome,
    pub code: Option<SetupCode>,
    /// (the real error, what Setup reported instead).
    pub remapped: Option<(u32, u32)>,
    /// When the result was logged (the log's local time).
    pub at: Option<String>,
    /// Drivers, programs and files the error lines of a failed run name.
    pub named: Vec<String>,
    pub error_lines: usize,
}

const NAMED_LIMIT: usize = 5;

/// Whether `text` holds `marker`: a searcher built once per marker, not per line (a setupact.log
/// has millions of lines).
macro_rules! has {
    ($text:expr, $marker:literal) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($marker));
        FINDER.find($text.as_bytes()).is_some()
    }};
}

#[derive(Default)]
pub struct Reader {
    result: Option<(SetupCode, String)>,
    two_part: Option<SetupCode>,
    remapped: Option<(u32, u32)>,
    named: Vec<String>,
    error_lines: usize,
    last_time: String,
}

impl Reader {
    pub fn line(&mut self, text: &str) {
        let (time, level, message) = match line::parse(text) {
            Some(l) => (Some(l.time), l.level, l.message),
            None => (None, Level::Other, text),
        };
        if let Some(time) = time {
            // Reused, not reallocated: a setupact.log has millions of lines.
            self.last_time.clear();
            self.last_time.push_str(time);
        }
        if !has!(message, "0x") && !has!(message, "0X") {
            if level == Level::Error {
                self.error(message);
            }
            return;
        }
        if has!(message, "Remapping") {
            if let Some(pair) = code::remap(message) {
                self.remapped = Some(pair);
            }
        }
        if has!(message, "-0x") || has!(message, "- 0x") || has!(message, "-0X") {
            if let Some(found) = code::find(message).filter(|c| c.extended.is_some()) {
                self.two_part = Some(found);
            }
        }
        let result = has!(message, "esult = ")
            .then(|| {
                message
                    .find("Result = ")
                    .or_else(|| message.find("result = "))
            })
            .flatten();
        if let Some(at) = result {
            if let Some(found) = code::find(&message[at..]).or_else(|| zero(&message[at + 9..])) {
                // A new run's result: what came before belonged to the previous one.
                if found.is_success() {
                    self.named.clear();
                    self.remapped = None;
                    self.two_part = None;
                }
                self.result = Some((found, self.last_time.clone()));
            }
        }
        if level == Level::Error {
            self.error(message);
        }
    }

    fn error(&mut self, message: &str) {
        self.error_lines += 1;
        if self.named.len() < NAMED_LIMIT {
            for name in names_in(message) {
                if !self.named.iter().any(|n| n == name) && self.named.len() < NAMED_LIMIT {
                    self.named.push(name.to_string());
                }
            }
        }
    }

    pub fn finish(self) -> Verdict {
        let Some((mut found, at)) = self.result else {
            return Verdict {
                outcome: Outcome::Unknown,
                code: self.two_part,
                remapped: self.remapped,
                at: None,
                named: self.named,
                error_lines: self.error_lines,
            };
        };
        if found.extended.is_none() {
            if let Some(two) = self.two_part.filter(|t| t.result == found.result) {
                found = two;
            }
        }
        let outcome = if found.is_success() {
            Outcome::Succeeded
        } else if found.is_cancel() {
            Outcome::Cancelled
        } else {
            Outcome::Failed
        };
        let failed = outcome == Outcome::Failed;
        Verdict {
            outcome,
            code: Some(found),
            remapped: self.remapped.filter(|_| failed),
            at: Some(at).filter(|t| !t.is_empty()),
            named: if failed { self.named } else { Vec::new() },
            error_lines: self.error_lines,
        }
    }
}

/// `Result = 0x0` (and `0x00000000`): success, written short.
fn zero(text: &str) -> Option<SetupCode> {
    let text = text.trim_start();
    let digits = text.strip_prefix("0x")?;
    let run = digits.bytes().take_while(u8::is_ascii_hexdigit).count();
    (run > 0 && digits[..run].bytes().all(|b| b == b'0')).then_some(SetupCode {
        result: 0,
        extended: None,
    })
}

/// The driver, program and file names in an error line: `oem12.inf`, `C:\…\foo.sys` → `foo.sys`.
/// Whether `message` holds `.sys`, `.inf`, `.exe` or `.dll` at all: most error lines name none,
/// and this is one pass over the bytes.
fn may_name(message: &str) -> bool {
    memchr::memchr_iter(b'.', message.as_bytes()).any(|at| {
        message.as_bytes().get(at + 1..at + 4).is_some_and(|ext| {
            [b"sys", b"inf", b"exe", b"dll"]
                .iter()
                .any(|e| ext.eq_ignore_ascii_case(*e))
        })
    })
}

fn names_in(message: &str) -> impl Iterator<Item = &str> {
    let message = if may_name(message) { message } else { "" };
    message
        .split(|c: char| c.is_whitespace() || "[](),;'\"".contains(c))
        .filter_map(|word| {
            let word = word.trim_end_matches(['.', ':']);
            let file = word.rsplit(['\\', '/']).next()?;
            let ext = file.len().checked_sub(4).and_then(|at| file.get(at..))?;
            let known = [".sys", ".inf", ".exe", ".dll"]
                .iter()
                .any(|e| ext.eq_ignore_ascii_case(e));
            (known && file.len() > 4).then_some(file)
        })
}

pub fn read(text: &str) -> Verdict {
    let mut reader = Reader::default();
    for l in text.lines() {
        reader.line(l);
    }
    reader.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_upgrade_gives_its_two_part_code_phase_remap_and_driver() {
        let log = "\
2026-05-14 10:20:00, Info                  MOUPG  SetupHost::Initialize: CmdLine = [/Install /Media]
2026-05-14 10:31:00, Error                 SP     Driver install failed for C:\\Windows\\System32\\drivers\\oldvpn.sys [0x80070005]
2026-05-14 10:31:05, Error                 MOUPG  Remapping install error [0x80070005] -> [0xC1900101]
2026-05-14 10:31:06, Error                 MOUPG  Setup failed: 0xC1900101 - 0x20017
2026-05-14 10:31:07, Info                  MOUPG  SetupHost::Execute(513): Result = 0xC1900101
";
        let v = read(log);
        assert_eq!(v.outcome, Outcome::Failed);
        assert_eq!(v.code.unwrap().text(), "0xC1900101-0x20017");
        assert_eq!(v.remapped, Some((0x80070005, 0xC1900101)));
        assert_eq!(v.at.as_deref(), Some("2026-05-14 10:31:07"));
        assert_eq!(v.named, ["oldvpn.sys"]);
    }

    #[test]
    fn a_successful_upgrade_s_error_lines_are_noise_and_a_cancel_is_not_a_failure() {
        let mut log = String::from(
            "2026-05-14 09:00:00, Info                  MOUPG  SetupHost::Execute(400): Result = 0xC1900101\n",
        );
        for i in 0..300 {
            log.push_str(&format!(
                "2026-05-14 10:{:02}:00, Error                 SP     Operation failed for thing{i}.dll: 0x80070002\n",
                i % 60
            ));
        }
        log.push_str("2026-05-14 11:00:00, Info                  MOUPG  SetupHost::Execute(513): Result = 0x0\n");
        let v = read(&log);
        assert_eq!(v.outcome, Outcome::Succeeded);
        assert!(v.named.is_empty() && v.remapped.is_none());
        assert_eq!(v.error_lines, 300);

        let cancel = read(
            "2026-05-14 11:00:00, Info   MOUPG  SetupHost::Execute(513): Result = 0x800704C7\n",
        );
        assert_eq!(cancel.outcome, Outcome::Cancelled);
        // A log that stops before any result says so rather than guessing.
        let cut = read("2026-05-14 11:00:00, Error   SP     something failed in x.sys\n");
        assert_eq!(cut.outcome, Outcome::Unknown);
    }
}
