//! One servicing log line read for its structure: `2026-11-20 08:15:00, Error  CBS  message`.
//! CBS.log and dism.log share this shape; a line without the date continues the one before it.

use crate::explain;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Line<'a> {
    /// `2026-11-20 08:15:00`: local time as the log writes it; such times sort as text.
    pub time: &'a str,
    pub level: Level,
    /// `CBS`, `CSI`, `DISM`, `SQM`, …
    pub component: &'a str,
    pub message: &'a str,
}

/// The line's parts, or `None` for a continuation line (no date in front).
pub fn parse(line: &str) -> Option<Line<'_>> {
    if !is_dated(line) {
        return None;
    }
    let (level, rest) = word(&line[20..]);
    let (component, message) = word(rest);
    let level = match level {
        "Info" => Level::Info,
        "Warning" => Level::Warning,
        "Error" => Level::Error,
        _ => Level::Other,
    };
    Some(Line {
        time: &line[..19],
        level,
        component,
        message,
    })
}

/// Whether a line starts with `2026-11-20 08:15:00,` (and so starts a record).
pub fn is_dated(line: &str) -> bool {
    let b = line.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    b.len() > 20
        && digits(0..4)
        && b[4] == b'-'
        && digits(5..7)
        && b[7] == b'-'
        && digits(8..10)
        && b[10] == b' '
        && digits(11..13)
        && b[13] == b':'
        && digits(14..16)
        && b[16] == b':'
        && digits(17..19)
        && b[19] == b','
}

/// The first word and what follows it, both without the spaces and tabs around them. Bytes, not
/// chars: the logs pad their columns with ASCII spaces, and this runs on every line.
fn word(text: &str) -> (&str, &str) {
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let skip = |s: &str| s.bytes().take_while(blank).count();
    let text = &text[skip(text)..];
    let end = text.bytes().position(|c| blank(&c)).unwrap_or(text.len());
    let rest = &text[end..];
    (&text[..end], &rest[skip(rest)..])
}

/// A CSI message without its sequence number (`0000013d `, `00000001@2026/11/20:08:15:00.123 `).
pub fn csi_body(message: &str) -> &str {
    let hex = message.bytes().take_while(u8::is_ascii_hexdigit).count();
    if hex == 8 { word(message).1 } else { message }
}

/// The status a line reports, in any of the forms servicing logs write: `HRESULT = 0x…`,
/// `with HRESULT 0x…`, `HRESULT_FROM_WIN32(1168)` or `(ERROR_NOT_FOUND)`, DISM's `hr:0x…`,
/// `status: 0x…`, `Operation result: 0x…`, and last `[gle=0x…]` (the thread's last error, the
/// weakest evidence). Win32 numbers come back as the HRESULT that wraps them.
pub fn status(text: &str) -> Option<u32> {
    let mut search = text;
    while let Some(at) = search.find("HRESULT") {
        let after = &search[at + "HRESULT".len()..];
        let value = after.trim_start_matches([' ', '=', ':']);
        if let Some(code) = hex(value) {
            return Some(code);
        }
        if let Some(inner) = value.strip_prefix("_FROM_WIN32(") {
            return from_win32(inner);
        }
        search = after;
    }
    for marker in ["hr:", "status: ", "result: ", "gle="] {
        if let Some(code) = text
            .find(marker)
            .and_then(|at| hex(&text[at + marker.len()..]))
        {
            return Some(code);
        }
    }
    None
}

/// `0x800f0922…` → 0x800F0922.
fn hex(text: &str) -> Option<u32> {
    let digits = text
        .strip_prefix("0x")
        .or_else(|| text.strip_prefix("0X"))?;
    let len = digits
        .bytes()
        .take(8)
        .take_while(u8::is_ascii_hexdigit)
        .count();
    u32::from_str_radix(&digits[..len], 16).ok()
}

/// The inside of `HRESULT_FROM_WIN32(…)`: a decimal or hex number, or an `ERROR_*` name.
fn from_win32(inner: &str) -> Option<u32> {
    let arg = inner.split(')').next()?.trim();
    let win32 = if let Some(code) = hex(arg) {
        code
    } else if arg.bytes().all(|c| c.is_ascii_digit()) && !arg.is_empty() {
        arg.parse().ok()?
    } else {
        return explain::code_of(arg);
    };
    Some(if win32 == 0 || win32 & 0x8000_0000 != 0 {
        win32
    } else {
        0x8007_0000 | (win32 & 0xFFFF)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_splits_into_time_level_component_and_message() {
        let line =
            parse("2026-11-20 08:15:00, Error                 CBS    Failed to x [HRESULT = 0x1]")
                .unwrap();
        assert_eq!(line.time, "2026-11-20 08:15:00");
        assert_eq!(line.level, Level::Error);
        assert_eq!(line.component, "CBS");
        assert_eq!(line.message, "Failed to x [HRESULT = 0x1]");
        assert_eq!(parse("    Process output: x"), None);
        assert_eq!(parse("2026-11-20 08:15:00"), None);
        assert_eq!(parse("2026-11-20T08:15:00, Info CBS x"), None);
        assert_eq!(
            csi_body("0000013d (F) Failed execution"),
            "(F) Failed execution"
        );
        assert_eq!(csi_body("00000001@2026/11/20:08:15:00.123 Wcp"), "Wcp");
        assert_eq!(csi_body("[SR] Verify complete"), "[SR] Verify complete");
    }

    #[test]
    fn every_status_form_is_read() {
        let cases: [(&str, u32); 11] = [
            (
                "Failed [HRESULT = 0x800f0922 - CBS_E_INSTALLERS_FAILED]",
                0x800F0922,
            ),
            (
                "with HRESULT 0x80070005.  Failure will not be ignored",
                0x80070005,
            ),
            (
                "with HRESULT HRESULT_FROM_WIN32(1168).  Failure",
                0x80070490,
            ),
            ("returned HRESULT_FROM_WIN32(ERROR_NOT_FOUND)", 0x80070490),
            ("HRESULT_FROM_WIN32(0x2)", 0x80070002),
            (
                "- CPackageManagerCLIHandler::ExecuteCmdLine(hr:0x800f081f)",
                0x800F081F,
            ),
            (
                "WER: report for package: P, status: 0x800f0922, failure",
                0x800F0922,
            ),
            ("Operation result: 0x0", 0),
            ("Process output: x[gle=0x80004005]", 0x80004005),
            ("[HRESULT = 0x00000000 - S_OK]", 0),
            // The HRESULT wins over the thread's last error.
            ("HRESULT_FROM_WIN32(5) x [gle=0x80004005]", 0x80070005),
        ];
        for (text, code) in cases {
            assert_eq!(status(text), Some(code), "{text}");
        }
        assert_eq!(status("Failed to get next package, HRESULT = zz"), None);
        assert_eq!(status("nothing here"), None);
    }
}
