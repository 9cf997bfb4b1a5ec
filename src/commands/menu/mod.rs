//! The double-click menu. It opens with the quick checks and their verdict — what is wrong, and
//! whether resetting the folders will fix it — and offers what the evidence recommends; each
//! entry runs the same code as its command line (`diagnose`, `repair`, `reset --only …`,
//! `explain`, `status`, `undo`), asked before it changes anything, then back to the menu. No
//! entry ends by sending the person to a command line: where more is needed, it is asked in
//! place. The window closes only when the person chooses Q.

mod entries;

use super::target::Target;
use crate::catalog::Folder;
use crate::diagnose::verdict::{self, Verdict};
use crate::exit::{Exit, Reason};
use crate::ladder::{Rung, Start};
use crate::machine::Mode;
use crate::printer::Printer;
use crate::request::{
    Command, DEFAULT_KEEP, DEFAULT_TIMEOUT_SECS, DiagnoseRequest, ExplainRequest, Location,
    RepairArgs, RepairRequest, ResetArgs, ResetRequest, StatusRequest, UndoRequest,
};
pub use entries::Choice;
use entries::{entries, parse, prompt, render};

/// What to do after a change, in words: never a command (`reset --reboot` would reset again).
pub const RESTART: &str =
    "Restart your PC (Start → Power → Restart) before you try Windows Update again.";

/// The reset an entry stands for: the command line's defaults, asked before it acts.
pub fn reset_of(folders: &[Folder]) -> ResetRequest {
    ResetRequest::from_args(ResetArgs {
        only: folders.to_vec(),
        timeout_secs: DEFAULT_TIMEOUT_SECS,
        keep: DEFAULT_KEEP,
        ..ResetArgs::default()
    })
    .expect("the defaults are valid")
}

/// The undo an entry stands for: every folder, asked before it acts.
pub fn undo_of_all() -> UndoRequest {
    UndoRequest {
        location: Location::Online,
        folders: Folder::EVERY.to_vec(),
        settings: true,
        dry_run: false,
        assume_yes: false,
        timeout: std::time::Duration::from_secs(DEFAULT_TIMEOUT_SECS),
        no_elevate: false,
        elevated_child: false,
    }
}

/// A repair the menu runs, asked before it acts: from the evidence up to `up_to`, or the residue
/// rung alone.
pub fn repair_of(from: Option<Rung>, up_to: Rung, network: bool) -> RepairRequest {
    RepairRequest::from_args(RepairArgs {
        from,
        // The ladder's own top unless more is asked: then residue found by the evidence stops
        // the repair there, as on the command line.
        up_to: (up_to != Rung::Full).then_some(up_to),
        network,
        timeout_secs: DEFAULT_TIMEOUT_SECS,
        ..RepairArgs::default()
    })
    .expect("the menu's repairs are valid")
}

/// The quick checks on the running Windows: the verdict, and whether a blocker's change stands.
fn look() -> (Verdict, bool) {
    let Ok(target) = Target::online() else {
        let v = verdict::verdict(&[crate::diagnose::Finding::unavailable(
            "windows",
            "Windows",
            "there is no running Windows here",
        )]);
        return (v, false);
    };
    let findings = verdict::quick(&target.layout, &*target.sys, Mode::Online);
    let residue = findings
        .iter()
        .any(|f| f.needs_attention() && verdict::is_residue(f));
    (verdict::verdict(&findings), residue)
}

/// The repair the evidence calls for, with a question in place of a command line when it is
/// the long one or the network one; `None` when the person says no.
fn repair_asked(printer: &Printer) -> Option<RepairRequest> {
    let start = Target::online()
        .ok()
        .map(|t| super::repair::evidence_start(&t.layout, &*t.sys));
    let (question, req) = match start {
        Some(Start::At(Rung::Deep)) => (
            "This needs the long repair: DISM repairs the component store, then sfc the system files. It takes 15 to 60 minutes and the PC stays usable. Run it now?",
            repair_of(None, Rung::Deep, false),
        ),
        Some(Start::Network) => (
            "This needs the network repair: Windows' network settings for updates (Winsock and the update proxy) are reset. Run it now?",
            repair_of(None, Rung::Full, true),
        ),
        _ => return Some(repair_of(None, Rung::Full, false)),
    };
    matches!(printer.ask(question), Ok(true)).then_some(req)
}

/// An error code, asked until one is understood or the line is empty.
fn code_asked(printer: &Printer) -> Option<ExplainRequest> {
    loop {
        let code = printer.read_line(
            "Error code, as Windows shows it (for example 0x800f0922), or Enter to go back: ",
        )?;
        if code.trim().is_empty() {
            return None;
        }
        match ExplainRequest::from_args(vec![code]) {
            Ok(req) => return Some(req),
            Err(err) => printer.note(&format!("{} Try again.", err.0)),
        }
    }
}

/// Whether the menu offers, as it opens, to reopen itself as administrator: only when this
/// process is known not to be elevated and a person is there to answer.
pub fn offers_elevation(elevated: Result<bool, crate::sys::SysError>, can_ask: bool) -> bool {
    matches!(elevated, Ok(false)) && can_ask
}

/// Administrator rights once, for the whole menu: one UAC prompt as it opens, and this window
/// hands over to the elevated one. `true` when it did (this menu then ends).
fn handed_over(printer: &Printer) -> bool {
    let Ok(target) = Target::online() else {
        return false;
    };
    if !offers_elevation(target.sys.is_elevated(), printer.can_ask()) {
        return false;
    }
    let question = "Changing anything needs administrator rights. Reopen wufix as administrator now (one Windows prompt; this window then closes)?";
    if !matches!(printer.ask(question), Ok(true)) {
        printer
            .note("wufix goes on without them: each change asks Windows for them when it starts.");
        return false;
    }
    match target.sys.reopen_elevated(&[]) {
        Ok(()) => {
            printer.note("wufix goes on in the administrator window.");
            true
        }
        Err(err) => {
            printer.note(&format!(
                "wufix could not reopen as administrator ({err}); it goes on here, and each change asks for the rights when it starts."
            ));
            false
        }
    }
}

/// Run the menu until Q (or the end of input). The exit code is the last action's.
pub fn run(printer: &Printer, run_command: impl Fn(Command, &Printer) -> Exit) -> Exit {
    let mut last = Exit::Ok;
    let mut changed = false;
    printer.speak_as_menu(entries::COMMANDS);
    if handed_over(printer) {
        return Exit::Ok;
    }
    loop {
        let (verdict, residue) = look();
        let list = entries(&verdict, residue);
        printer.note(&format!("\n{}", render(&verdict, &list)));
        let Some(answer) = printer.read_line(&prompt(&list)) else {
            return last;
        };
        let Some(choice) = parse(&answer, &list) else {
            printer.note(&format!("Type a number from 1 to {}, or Q.", list.len()));
            continue;
        };
        let command = match choice {
            Choice::Quit => {
                if changed {
                    printer.note(RESTART);
                }
                return last;
            }
            Choice::Reset(folders) => {
                if verdict.reset_helps == Some(false) {
                    let question = format!(
                        "Resetting the folders will not fix this: {}\nReset anyway?",
                        verdict.wrong.trim_start_matches("What is wrong: ")
                    );
                    if !matches!(printer.ask(&question), Ok(true)) {
                        continue;
                    }
                }
                Command::Reset(reset_of(folders))
            }
            Choice::TurnBackOn => {
                Command::Repair(repair_of(Some(Rung::Residue), Rung::Residue, false))
            }
            Choice::Repair => match repair_asked(printer) {
                Some(req) => Command::Repair(req),
                None => continue,
            },
            Choice::Diagnose => Command::Diagnose(DiagnoseRequest {
                location: Location::Online,
                exit_code: false,
            }),
            Choice::Status => Command::Status(StatusRequest {
                location: Location::Online,
            }),
            Choice::Undo => Command::Undo(undo_of_all()),
            Choice::Explain => match code_asked(printer) {
                Some(req) => Command::Explain(req),
                None => continue,
            },
        };
        let changes = matches!(command, Command::Reset(_) | Command::Repair(_));
        let _ = printer.take_reason();
        last = run_command(command, printer);
        // Changed, or may have: done, or begun and then failed, not fixed or interrupted.
        let begun = matches!(
            printer.take_reason(),
            Some(Reason::StepFailed | Reason::NotFixed | Reason::NotVerified | Reason::Interrupted)
        );
        if changes && (last == Exit::Ok || begun) {
            changed = true;
            printer.note(&format!(
                "\n{RESTART}\nTo put things back: choose \"{}\".",
                entries::UNDO
            ));
        }
        printer.pause("Press Enter to return to the menu.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_entry_is_the_command_line_asked_first() {
        let cache = reset_of(&[Folder::SoftwareDistribution]);
        assert_eq!(cache.folders, [Folder::SoftwareDistribution]);
        assert!(!cache.assume_yes && !cache.dry_run && !cache.force);
        assert_eq!(cache.location, Location::Online);
        assert_eq!(
            cache.to_args(),
            ["reset", "--only", "software-distribution"]
        );
        assert_eq!(reset_of(&Folder::ALL).to_args(), ["reset"]);
        assert_eq!(undo_of_all().to_args(), ["undo"]);
        // The repair from the evidence verifies each rung; turning Windows Update back on is the
        // residue rung alone; the long repair reaches the deep rung only when asked.
        let repair = repair_of(None, Rung::Full, false);
        assert!(repair.verify && !repair.network && !repair.assume_yes);
        assert_eq!(repair.to_args(), ["repair"]);
        let back_on = repair_of(Some(Rung::Residue), Rung::Residue, false);
        assert_eq!(
            back_on.to_args(),
            ["repair", "--from", "residue", "--up-to", "residue"]
        );
        assert_eq!(repair_of(None, Rung::Deep, false).up_to, Rung::Deep);
        assert!(repair_of(None, Rung::Full, true).network);
    }

    #[test]
    fn the_menu_offers_administrator_rights_once_only_to_a_person_without_them() {
        use crate::sys::SysError;
        assert!(offers_elevation(Ok(false), true));
        assert!(!offers_elevation(Ok(true), true), "elevated already");
        assert!(!offers_elevation(Ok(false), false), "nobody to answer");
        assert!(
            !offers_elevation(Err(SysError::AccessDenied), true),
            "unknown: each change asks for itself"
        );
    }

    #[test]
    fn after_a_change_the_advice_is_a_restart_never_a_command() {
        assert!(!RESTART.contains("wufix") && !RESTART.contains('`'));
        assert!(RESTART.contains("Restart"));
    }
}
