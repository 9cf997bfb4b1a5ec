//! The servicing log, `%windir%\Logs\CBS\CBS.log`: the last failing HRESULTs it names. It is a
//! plain file, so this check works offline too (a technician's mounted disk).

use std::fs::OpenOptions;
use std::io::{self, Read, Seek, SeekFrom};

/// The open flags std does not name.
#[cfg(unix)]
mod libc_flags {
    pub const NONBLOCK: i32 = rustix::fs::OFlags::NONBLOCK.bits() as i32;
    pub const NOFOLLOW: i32 = rustix::fs::OFlags::NOFOLLOW.bits() as i32;
}
use std::path::{Path, PathBuf};

use super::{Finding, Severity};
use crate::explain;
use crate::folders::Layout;
use crate::folders::layout::find_child;
use crate::report::count;

/// Only the end of the log is read: it can grow to hundreds of megabytes.
const TAIL: u64 = 4 * 1024 * 1024;
const MAX_CODES: usize = 5;

/// One failing code as the log shows it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LoggedError {
    pub code: u32,
    /// `2026-11-20 08:15:00`, from the last line naming the code.
    pub last_seen: String,
    pub times: usize,
}

pub fn check(layout: &Layout) -> Vec<Finding> {
    let Some(path) = log_path(&layout.windows_dir) else {
        return vec![Finding::new(
            "cbs-log",
            Severity::Info,
            "no CBS.log to read",
            r"Logs\CBS\CBS.log is absent",
        )];
    };
    let text = match read_tail(&path) {
        Ok(text) => text,
        Err(err) => {
            return vec![Finding::unavailable(
                "cbs-log",
                "CBS.log",
                format!("{}: {err}", path.display()),
            )];
        }
    };
    let errors = failing_codes(&text);
    if errors.is_empty() {
        return vec![Finding::new(
            "cbs-log",
            Severity::Ok,
            "no servicing errors at the end of CBS.log",
            path.display().to_string(),
        )];
    }
    errors
        .iter()
        .map(|e| {
            let explained = explain::explain("", e.code);
            let name = explained
                .names
                .first()
                .map(|n| format!(" {}", n.name))
                .unwrap_or_default();
            // A past servicing error is a lead, not proof of a present fault: info, not warn.
            let mut finding = Finding::new(
                format!("cbs-log-0x{:08X}", e.code),
                Severity::Info,
                format!(
                    "CBS.log: 0x{:08X}{name}, {}, last at {}",
                    e.code,
                    count(e.times as u64, "time", "times"),
                    e.last_seen
                ),
                path.display().to_string(),
            );
            finding.remedy = Some(
                explained
                    .fix
                    .map(str::to_string)
                    .unwrap_or_else(|| format!("Run `wufix explain 0x{:08X}`", e.code)),
            );
            finding
        })
        .collect()
}

fn log_path(windows_dir: &Path) -> Option<PathBuf> {
    let logs = find_child(windows_dir, "Logs")?;
    let cbs = find_child(&logs, "CBS")?;
    find_child(&cbs, "CBS.log")
}

/// The end of the log, read only from a regular file: a link is not followed, and a FIFO or
/// device (a rescue system can hold anything under that name) is neither opened for blocking
/// reads nor read without bound.
fn read_tail(path: &Path) -> io::Result<String> {
    let not_regular = || io::Error::other("not a regular file; not read");
    if !std::fs::symlink_metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let mut options = OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        // Swapped for a FIFO or a link since the check: never block, never follow.
        options.custom_flags(libc_flags::NONBLOCK | libc_flags::NOFOLLOW);
    }
    let mut file = options.open(path)?;
    let meta = file.metadata()?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    let len = meta.len();
    file.seek(SeekFrom::Start(len.saturating_sub(TAIL)))?;
    let mut bytes = Vec::new();
    file.take(TAIL).read_to_end(&mut bytes)?;
    let text = String::from_utf8_lossy(&bytes);
    // Started mid-file: the first line is a fragment.
    let whole = if len > TAIL {
        text.split_once('\n').map_or("", |(_, rest)| rest)
    } else {
        &text
    };
    Ok(whole.to_string())
}

/// Failing HRESULTs (`[HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]`), newest first.
pub fn failing_codes(text: &str) -> Vec<LoggedError> {
    let mut found: Vec<LoggedError> = Vec::new();
    for line in text.lines() {
        let Some(at) = line.find("HRESULT = 0x") else {
            continue;
        };
        let hex: String = line[at + "HRESULT = 0x".len()..]
            .chars()
            .take_while(char::is_ascii_hexdigit)
            .collect();
        let Ok(code) = u32::from_str_radix(&hex, 16) else {
            continue;
        };
        // Success statuses (S_OK, ERROR_SUCCESS_REBOOT_REQUIRED wrapped as 0x80070BC2) are not
        // failures.
        if explain::explain("", code).success {
            continue;
        }
        let when = line
            .get(..19)
            .filter(|t| t.as_bytes().first().is_some_and(u8::is_ascii_digit))
            .unwrap_or("")
            .to_string();
        match found.iter_mut().find(|e| e.code == code) {
            Some(entry) => {
                entry.times += 1;
                entry.last_seen = when;
            }
            None => found.push(LoggedError {
                code,
                last_seen: when,
                times: 1,
            }),
        }
    }
    found.sort_by(|a, b| b.last_seen.cmp(&a.last_seen));
    found.truncate(MAX_CODES);
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
2026-11-19 10:00:00, Info                  CBS    Exec: Processing complete. [HRESULT = 0x00000000 - S_OK]
2026-11-19 10:01:00, Info                  CBS    Exec: Reboot required. [HRESULT = 0x80070bc2 - ERROR_SUCCESS_REBOOT_REQUIRED]
2026-11-19 10:05:00, Error                 CBS    Failed to resolve package [HRESULT = 0x800f0831 - CBS_E_STORE_CORRUPTION]
2026-11-20 08:15:00, Error                 CBS    Startup: Failed to process advanced operation queue [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]
2026-11-20 08:16:00, Error                 CBS    Failed to execute [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]
garbage line HRESULT = 0xZZ
";

    #[test]
    fn failing_codes_are_counted_and_sorted_newest_first() {
        assert_eq!(
            failing_codes(SAMPLE),
            [
                LoggedError {
                    code: 0x800F0922,
                    last_seen: "2026-11-20 08:16:00".into(),
                    times: 2
                },
                LoggedError {
                    code: 0x800F0831,
                    last_seen: "2026-11-19 10:05:00".into(),
                    times: 1
                },
            ]
        );
    }

    #[test]
    fn the_log_is_found_ignoring_case_and_explained() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("System32")).unwrap();
        std::fs::create_dir_all(dir.path().join("logs/cbs")).unwrap();
        std::fs::write(dir.path().join("logs/cbs/CBS.log"), SAMPLE).unwrap();
        let findings = check(&Layout::offline(dir.path()).unwrap());
        assert_eq!(findings.len(), 2);
        assert!(
            findings[0].summary.starts_with(
                "CBS.log: 0x800F0922 CBS_E_INSTALLERS_FAILED, 2 times, last at 2026-11-20 08:16:00"
            ),
            "{}",
            findings[0].summary
        );
        assert!(findings[0].remedy.as_deref().unwrap().contains("DISM"));
        assert!(
            findings
                .iter()
                .all(|f| !f.needs_attention() && !f.reset_helps)
        );
    }
}
