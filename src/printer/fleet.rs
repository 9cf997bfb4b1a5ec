//! What a fleet tool gets: the report written whole to a file, and one ASCII line for a console
//! that keeps 2,048 characters at most (Intune) and reads anything on stderr as an error.

use serde_json::Value;

use super::text::{clean, for_stream};
use super::{ErrorReport, ExitCodes, Printer, SCHEMA_VERSION, to_ascii_json};
use crate::exit::{Exit, Reason};
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

/// What every JSON document carries, around the command's own fields: `ok` and `command` first,
/// then the [`crate::report::Envelope`] (the version, the schema, the computer, the times, the
/// exit code and, when not ok, the reason), then the rest of the document.
pub(super) fn envelope(
    document: serde_json::Value,
    started: jiff::Timestamp,
    exit_code: u8,
    reason: Option<Reason>,
    exit_code_mapped: Option<i32>,
    warnings: Vec<String>,
) -> serde_json::Value {
    use serde_json::{Map, Value};
    let mut fields = match document {
        Value::Object(fields) => fields,
        other => {
            let mut fields = Map::new();
            fields.insert("document".into(), other);
            fields
        }
    };
    let mut out = Map::new();
    for key in ["ok", "command"] {
        if let Some(value) = fields.shift_remove(key) {
            out.insert(key.into(), value);
        }
    }
    let envelope = crate::report::Envelope {
        wufix_version: env!("CARGO_PKG_VERSION").to_string(),
        schema_version: SCHEMA_VERSION,
        computer: crate::sys::computer_name(),
        started: started.to_string(),
        finished: jiff::Timestamp::now().to_string(),
        exit_code,
        exit_code_mapped,
        reason,
        warnings,
    };
    if let Ok(Value::Object(carried)) = serde_json::to_value(envelope) {
        out.extend(carried);
    }
    fields.shift_remove("reason");
    out.extend(fields);
    Value::Object(out)
}

impl Printer {
    /// The command's document in its envelope, and the installer host's exit code when mapped.
    pub(super) fn composed(
        &self,
        document: Option<serde_json::Value>,
        exit: Exit,
    ) -> (serde_json::Value, Option<i32>) {
        let document = document.unwrap_or_else(|| {
            serde_json::to_value(ErrorReport {
                ok: exit == Exit::Ok,
                command: "wufix",
                error: String::new(),
                error_kind: None,
                argument: None,
            })
            .unwrap_or_default()
        });
        let ok = document
            .get("ok")
            .and_then(|v| v.as_bool())
            .unwrap_or(exit == Exit::Ok);
        let reason = if ok {
            None
        } else {
            let said = *self.reason.lock().unwrap_or_else(|p| p.into_inner());
            said.or_else(|| Reason::of_exit(exit))
        };
        let restart = document.get("reboot_recommended").and_then(|v| v.as_bool()) == Some(true);
        let mapped = (self.output.exit_codes == ExitCodes::Msi)
            .then(|| crate::request::output::msi_code(exit, reason, restart));
        (
            envelope(
                document,
                self.started,
                exit as u8,
                reason,
                mapped,
                self.warnings
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone(),
            ),
            mapped,
        )
    }

    /// The run's event for the Application log as it ends with `exit`: the summary line and the
    /// full JSON report, from the document kept so far (it still goes out at the end).
    pub fn event_text(&self, exit: Exit) -> (String, String) {
        let document = self
            .document
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        let (envelope, mapped) = self.composed(document, exit);
        let json = to_ascii_json(&envelope).unwrap_or_default();
        let line = summary_line(
            &envelope,
            exit,
            mapped,
            "the full report is this event's data",
        );
        (line, json)
    }

    /// `--no-event-log`: the run writes no event.
    pub fn event_log_off(&self) -> bool {
        self.output.no_event_log
    }
}

#[cfg(test)]
mod tests;
