//! Administrator rights for a command that changes the running Windows: go on when it has them;
//! otherwise ask Windows for them through an elevated copy when a person is at a console to
//! answer the prompt (the decision is `elevation::decide`), or stop with exit 3.

use crate::elevation;
use crate::exit::Exit;
use crate::printer::Printer;
use crate::sys::Platform;

/// Why `command` stopped without administrator rights, naming the command refused.
pub fn not_elevated(command: &str) -> String {
    format!(
        "wufix {command} needs administrator rights, and nothing was changed. \
Right-click wufix.exe and choose \"Run as administrator\", or run it from an elevated terminal \
(Win+X, then \"Terminal (Admin)\")."
    )
}

/// What an elevated copy would be asked to do, and whether asking is allowed.
pub struct Relaunch {
    pub command: &'static str,
    /// The same command line (after the program name), as the request rebuilds it.
    pub args: Vec<String>,
    pub no_elevate: bool,
    pub elevated_child: bool,
}

/// Go on only with administrator rights: `Err` carries the exit when this process must stop
/// (refused, or an elevated copy did the work).
pub fn ensure(ask: &Relaunch, sys: &dyn Platform, printer: &Printer) -> Result<(), Exit> {
    match sys.is_elevated() {
        Ok(true) => Ok(()),
        Ok(false) => Err(without_rights(ask, sys, printer, printer.can_ask())),
        Err(err) => {
            printer.error(
                ask.command,
                &format!(
                    "cannot tell whether wufix runs as administrator ({err}); {}",
                    not_elevated(ask.command)
                ),
            );
            Err(Exit::NotElevated)
        }
    }
}

/// Without administrator rights: ask Windows for them through an elevated copy when a person is
/// there to answer the prompt, else stop with exit 3.
pub fn without_rights(
    ask: &Relaunch,
    sys: &dyn Platform,
    printer: &Printer,
    can_ask: bool,
) -> Exit {
    let command = ask.command;
    let context = elevation::Context {
        elevated: false,
        json: printer.is_json(),
        no_elevate: ask.no_elevate,
        elevated_child: ask.elevated_child,
        can_ask,
    };
    let why = match elevation::decide(context) {
        elevation::Elevation::Relaunch => return relaunch(ask, sys, printer),
        elevation::Elevation::Refuse(why) => why,
        elevation::Elevation::Proceed => return Exit::Ok,
    };
    let message = match why {
        elevation::Why::StillNotElevated => format!(
            "the copy of wufix started through the Windows prompt still has no administrator rights; {}",
            not_elevated(command)
        ),
        _ => not_elevated(command),
    };
    printer.error(command, &message);
    Exit::NotElevated
}

/// Start the elevated copy (a UAC prompt), wait for it and pass its exit code on.
fn relaunch(ask: &Relaunch, sys: &dyn Platform, printer: &Printer) -> Exit {
    let command = ask.command;
    printer.note(&format!(
        "wufix needs administrator rights: asking Windows for them (a UAC prompt)... \
         The {command} runs in the window that opens, and shows its result there."
    ));
    let mut args = ask.args.clone();
    args.push("--elevated-child".to_string());
    if printer.event_log_off() {
        args.push("--no-event-log".to_string());
    }
    match sys.relaunch_elevated(&args) {
        Ok(done) => {
            let code = done.code;
            let exit = Exit::from_code(code);
            let report = match &done.report {
                Some(text) if !text.trim().is_empty() => {
                    format!(
                        " What it reported:\n\n{}",
                        crate::printer::clean_report(text)
                    )
                }
                _ => " It handed no report back.".to_string(),
            };
            printer.note(&format!(
                "The administrator window finished with exit code {code}{}.{report}",
                if exit == Exit::Ok { " (success)" } else { "" }
            ));
            exit
        }
        Err(err) if err.is_cancelled() => {
            printer.error(
                command,
                "administrator rights were declined at the Windows prompt; nothing was changed",
            );
            Exit::NotElevated
        }
        Err(err) => {
            printer.error(
                command,
                &format!(
                    "could not start wufix as administrator ({err}); {}",
                    not_elevated(command)
                ),
            );
            Exit::NotElevated
        }
    }
}
