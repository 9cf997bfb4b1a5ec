//! The run's one event in the Application log, written by the session once the command has
//! acted or been refused (never for a dry run, a declined question or bad input; the running
//! Windows only). The message file is wufix's copy in its protected `bin\`, made first when it
//! is not there. A failure to log never fails the run: it is a warning.

use crate::eventlog::{self, Event, EventId};
use crate::exit::Exit;
use crate::home::Home;
use crate::printer::Printer;
use crate::record::Outcome;
use crate::sys::Platform;

/// Log how the run on the running Windows ended, `home` being wufix's folder there:
/// `recovered` when it first put right a dead run; `secured` once the lock has protected the
/// folder (before that, no copy is made there and the registration is left as it is).
pub fn log(
    sys: &dyn Platform,
    home: &Home,
    printer: &Printer,
    exit: Exit,
    recovered: bool,
    secured: bool,
) {
    if printer.event_log_off() || !sys.has_event_log() {
        return;
    }
    let Some(id) = EventId::of(exit, printer.said_reason(), recovered) else {
        return;
    };
    let bin = home.stable_exe();
    // The stable copy the source's text is read from (the session's lock protects `bin\`).
    let message_file = if secured { Some(bin.as_path()) } else { None };
    if secured && !bin.is_file() {
        let copied = super::stable_copy::copy_self(&bin);
        if copied.outcome == Outcome::Failed {
            printer.warn(&format!(
                "no event was written to the Application log: the copy its text is read from \
                 could not be made ({})",
                copied.detail
            ));
            return;
        }
    }
    let (message, json) = printer.event_text(exit);
    let event = Event {
        id,
        message,
        data: eventlog::data(&json),
    };
    if let Err(err) = eventlog::write(sys, message_file, &event) {
        printer.warn(&format!(
            "no event was written to the Application log ({err}); the run itself is unaffected"
        ));
    }
}
