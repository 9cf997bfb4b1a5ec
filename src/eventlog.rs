//! The run's one event in the Application log, where a fleet's tooling looks: which event a run
//! gets, its data cut to what the log keeps, and the source registered so Event Viewer finds the
//! text. The message file is wufix's stable copy in its protected folder (`bin\wufix.exe`): the
//! exe a person ran moves or is deleted, and old events would lose their text with it.

use std::path::Path;

use crate::exit::{Exit, Reason};
use crate::sys::{EventLevel as Level, Platform, RegValue, SysError};

/// The source's key (under HKLM): Event Viewer reads `EventMessageFile` for the text.
pub const SOURCE_KEY: &str = r"SYSTEM\CurrentControlSet\Services\EventLog\Application\wufix";
pub const SOURCE: &str = "wufix";
/// Error, warning and information (`EVENTLOG_*_TYPE`).
const TYPES_SUPPORTED: u32 = 7;
/// The event data's limit: ReportEventW's insertion strings and data stop near 32 K, and the log
/// truncates silently. Above it the JSON is cut, with a marker that says so.
pub const MAX_DATA: usize = 31_000;

/// The events, by what happened (their IDs are the message table's, `assets/wufix.mc`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventId {
    /// The run changed what it set out to, every step done.
    Success = 1000,
    /// A step failed (or the repair did not fix Windows Update).
    StepFailed = 1001,
    /// Refused for safety (Windows is mid-servicing): nothing changed.
    Refused = 1002,
    /// An interrupted run put right: this one after Ctrl+C or a closed window, or a dead
    /// run's services started again first.
    InterruptedRecovered = 1003,
}

impl EventId {
    pub fn level(self) -> Level {
        match self {
            EventId::Success => Level::Information,
            EventId::StepFailed => Level::Error,
            EventId::Refused | EventId::InterruptedRecovered => Level::Warning,
        }
    }

    /// The event of a run that acted (or was refused): `interrupted` when this run was, and
    /// `recovered` when it first put right what a dead run left. `None` for outcomes that write
    /// none (nothing was changed: another run held the lock, no rights, bad input).
    pub fn of(exit: Exit, reason: Option<Reason>, recovered: bool) -> Option<EventId> {
        match (exit, reason) {
            (Exit::Refused, _) => Some(EventId::Refused),
            (_, Some(Reason::Interrupted)) => Some(EventId::InterruptedRecovered),
            (_, Some(Reason::Busy | Reason::Declined | Reason::NotConfirmed)) => None,
            (Exit::Usage | Exit::NotElevated, _) => None,
            (Exit::Failed, _) => Some(EventId::StepFailed),
            (Exit::Ok, _) if recovered => Some(EventId::InterruptedRecovered),
            (Exit::Ok, _) => Some(EventId::Success),
        }
    }
}

/// One event as it is written.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub id: EventId,
    /// The one-line summary (`--summary`'s line): the message's only insertion.
    pub message: String,
    /// The JSON report, cut at [`MAX_DATA`] with a marker.
    pub data: String,
}

/// `json` as the event's data: whole when it fits, else cut at a character boundary and marked
/// (a reader sees that the rest is in `--json-file` or the journal, not that the run said less).
pub fn data(json: &str) -> String {
    if json.len() <= MAX_DATA {
        return json.to_string();
    }
    let marker = format!(
        "\n[wufix: the report is cut here; whole, it was {} characters]",
        json.len()
    );
    let room = MAX_DATA - marker.len();
    let at = (0..=room)
        .rev()
        .find(|i| json.is_char_boundary(*i))
        .unwrap_or(0);
    format!("{}{}", &json[..at], marker)
}

/// Register the source (only what differs is written) so its events show their text from
/// `message_file`, then write `event`. Without a message file the registration is left as it
/// is: the event still carries its summary line and report.
pub fn write(
    sys: &dyn Platform,
    message_file: Option<&Path>,
    event: &Event,
) -> Result<(), SysError> {
    if let Some(message_file) = message_file {
        let registry = sys.registry();
        let file = message_file.display().to_string();
        let wanted = [
            ("EventMessageFile", RegValue::expand_string(&file)),
            ("TypesSupported", RegValue::dword(TYPES_SUPPORTED)),
        ];
        for (name, value) in wanted {
            if registry.value(SOURCE_KEY, name)?.as_ref() != Some(&value) {
                registry.set_value(SOURCE_KEY, name, Some(&value))?;
            }
        }
    }
    sys.report_event(
        SOURCE,
        event.id as u32,
        event.id.level(),
        &event.message,
        event.data.as_bytes(),
    )
}

#[cfg(test)]
mod tests;
