//! What a fleet tool gets: the report written whole to a file, and one ASCII line for a console
//! that keeps 2,048 characters at most (Intune) and reads anything on stderr as an error.

use serde_json::Value;

use super::text::{clean, for_stream};
use crate::exit::Exit;
use crate::request::output::meaning;

/// The line's length limit, below Intune's 2,048.
pub const MAX_LINE: usize = 2000;

/// What the run found or did, in a few words, from its document.
fn what(doc: &Value) -> String {
    let text = |key: &str| {
        doc.get(key)
            .and_then(Value::as_str)
            .filter(|s| !s.is_empty())
    };
    if let Some(message) = text("message") {
        return message.to_string();
    }
    if let Some(error) = text("error") {
        return format!("error: {error}");
    }
    if let Some(findings) = doc.get("findings").and_then(Value::as_array) {
        let problems: Vec<&str> = findings
            .iter()
            .filter(|f| {
                f.get("available").and_then(Value::as_bool) != Some(false)
                    && matches!(
                        f.get("severity").and_then(Value::as_str),
                        Some("warn" | "error")
                    )
            })
            .filter_map(|f| f.get("summary").and_then(Value::as_str))
            .collect();
        return match problems.as_slice() {
            [] => "no problem found".to_string(),
            [one] => format!("1 problem: {one}"),
            [first, rest @ ..] => format!("{} problems: {first}; ...", rest.len() + 1),
        };
    }
    if let Some(codes) = doc.get("codes").and_then(Value::as_array) {
        let said: Vec<String> = codes
            .iter()
            .filter_map(|c| {
                let code = c.get("code")?.as_str()?;
                let helps = c
                    .get("reset_helps")
                    .and_then(Value::as_str)
                    .unwrap_or("unknown");
                Some(format!("{code} (does a reset help? {helps})"))
            })
            .collect();
        if !said.is_empty() {
            return said.join("; ");
        }
    }
    "done".to_string()
}

/// Any character outside ASCII as `\u{…}`; control characters as `clean` shows them.
fn ascii(text: &str) -> String {
    let text = clean(&for_stream(text, false)).into_owned();
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if c.is_ascii() {
            out.push(c);
        } else {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        }
    }
    out
}

/// The one line: `wufix COMMAND: WHAT | exit N (MEANING)[, mapped M] | WHERE THE REPORT IS`.
pub fn summary_line(doc: &Value, exit: Exit, mapped: Option<i32>, saved: &str) -> String {
    let command = doc
        .get("command")
        .and_then(Value::as_str)
        .unwrap_or("wufix");
    let code = exit as u8;
    let mapped = mapped
        .map(|m| format!(", {m} for the installer host"))
        .unwrap_or_default();
    let tail = ascii(&format!(
        " | exit {code} ({}){mapped} | {saved}",
        meaning(exit)
    ));
    let head = ascii(&format!("wufix {command}: "));
    let mut what = ascii(&what(doc));
    let room = MAX_LINE.saturating_sub(head.len() + tail.len());
    if what.len() > room {
        let cut = room.saturating_sub(3);
        let at = (0..=cut)
            .rev()
            .find(|i| what.is_char_boundary(*i))
            .unwrap_or(0);
        what.truncate(at);
        what.push_str("...");
    }
    let mut line = format!("{head}{what}{tail}");
    line.truncate(MAX_LINE);
    line
}

#[cfg(test)]
mod tests;
