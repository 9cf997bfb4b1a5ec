//! The commands, one file each, and the dispatch from a validated request to them. The admin
//! commands (reset, undo, repair) run through one skeleton, `session`; the readers (status,
//! diagnose, explain) need no rights; the menu runs the others. Nothing below this folder
//! imports it.

mod diagnose;
mod event;
mod explain;
mod install;
mod logs;
pub mod menu;
mod repair;
mod reset;
mod rights;
mod session;
mod stable_copy;
mod status;
mod target;
mod undo;
mod verify_scan;

use crate::clock::SystemClock;
use crate::exit::Exit;
use crate::machine::Machine;
use crate::printer::Printer;
use crate::request::{Command, Location};
use session::Session;
use target::Target;

/// Run one command to its end and say how it went.
pub fn run(command: Command, printer: &Printer) -> Exit {
    match command {
        Command::Status(req) => status::run(&req, printer),
        Command::Diagnose(req) => diagnose::run(&req, printer),
        Command::Logs(req) => logs::run(&req, printer),
        Command::Explain(req) => explain::run(&req, printer),
        Command::Reset(req) => admin(&req.location, "reset", printer, |s| reset::run(&req, s)),
        Command::Undo(req) => admin(&req.location, "undo", printer, |s| undo::run(&req, s)),
        // A mounted Windows's registry is written only from Windows PE (its hives loaded);
        // elsewhere, and in a dry run, the Windows PE commands are printed and nothing written.
        Command::Repair(req) if repair::prints_script(&req) => repair::run_offline(&req, printer),
        Command::Repair(req) => admin(&req.location, "repair", printer, |s| repair::run(&req, s)),
        Command::Install(req) => admin(&Location::Online, "install", printer, |s| {
            install::run(&req, s)
        }),
        Command::VerifyScan(req) => verify_scan::run(&req),
        Command::Menu => menu::run(printer, run),
    }
}

/// `--not-within`: a reset or repair that finished and changed this installation within
/// `window` holds this one back: said as the command's own report, exit 0. `None`: go on.
pub fn held_back(
    command: &Command,
    window: jiff::SignedDuration,
    printer: &Printer,
) -> Option<Exit> {
    let location = match command {
        Command::Reset(r) => &r.location,
        Command::Repair(r) => &r.location,
        _ => return None,
    };
    let target = Target::quietly(location)?;
    let store = crate::journal::Store::for_windows(&target.layout.windows_dir, target.mode);
    let listing = store.read().ok()?;
    let run = crate::throttle::recent(&listing.runs, jiff::Timestamp::now(), window)?;
    let when = run
        .start
        .started
        .parse::<jiff::Timestamp>()
        .map(|t| t.strftime("%Y-%m-%d %H:%M UTC").to_string())
        .unwrap_or_else(|_| run.start.started.clone());
    let message = format!(
        "Nothing was done: the {} of {when} changed this installation less than {window:#} ago (--not-within).",
        run.start.command
    );
    let machine = Machine::new(&*target.sys, &SystemClock);
    let s = Session::new(machine, &target.layout, target.mode, printer);
    match command {
        Command::Repair(r) => repair::report_held_back(r, &s, message),
        _ => reset::report_held_back(&s, message),
    }
    Some(Exit::Ok)
}

/// A command that changes the machine: find its installation, then hand it a session.
fn admin(
    location: &Location,
    command: &'static str,
    printer: &Printer,
    act: impl FnOnce(&Session) -> Exit,
) -> Exit {
    let Some(target) = Target::find(location, command, printer) else {
        return Exit::Usage;
    };
    let machine = Machine::new(&*target.sys, &SystemClock);
    act(&Session::new(machine, &target.layout, target.mode, printer))
}

#[cfg(test)]
mod event_tests;
#[cfg(test)]
mod fault_tests;
#[cfg(test)]
mod tests;
