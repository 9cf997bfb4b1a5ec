//! The double-click menu: the quick fixes a home user expects, each running the same code as its
//! command line (`reset --only …`, `diagnose`, `explain`, `status`, `undo`, `repair`), then back
//! to the menu. The
//! window closes only when the person chooses Q.

use crate::catalog::Folder;
use crate::exit::Exit;
use crate::printer::Printer;
use crate::request::{
    Command, DEFAULT_KEEP, DEFAULT_TIMEOUT_SECS, DiagnoseRequest, ExplainRequest, Location,
    RepairArgs, RepairRequest, ResetArgs, ResetRequest, StatusRequest, UndoRequest,
};

pub const MENU: &str = "\
wufix — repair Windows Update
  1  Reset Windows Update (both folders, recommended)
  2  Reset the update cache only (SoftwareDistribution)
  3  Reset the signature catalog only (catroot2)
  4  Diagnose: what is wrong here?
  5  Explain an error code
  6  Show status and backups
  7  Undo the last reset or repair (put things back)
  8  Repair step by step, when a reset is not enough
  Q  Quit
";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Reset(&'static [Folder]),
    Diagnose,
    Explain,
    Status,
    Undo,
    Repair,
    Quit,
}

/// What a typed answer chooses; `None` when it is not one of the entries.
pub fn parse(answer: &str) -> Option<Choice> {
    Some(match answer.trim().to_ascii_lowercase().as_str() {
        "1" => Choice::Reset(&Folder::ALL),
        "2" => Choice::Reset(&[Folder::SoftwareDistribution]),
        "3" => Choice::Reset(&[Folder::Catroot2]),
        "4" => Choice::Diagnose,
        "5" => Choice::Explain,
        "6" => Choice::Status,
        "7" => Choice::Undo,
        "8" => Choice::Repair,
        "q" | "quit" | "exit" => Choice::Quit,
        _ => return None,
    })
}

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

/// The repair an entry stands for: where the evidence points, up to the full rung, each rung
/// verified by a scan, asked before it acts.
pub fn repair_from_evidence() -> RepairRequest {
    RepairRequest::from_args(RepairArgs {
        timeout_secs: DEFAULT_TIMEOUT_SECS,
        ..RepairArgs::default()
    })
    .expect("the defaults are valid")
}

/// Run the menu until Q (or the end of input). The exit code is the last action's.
pub fn run(printer: &Printer, run_command: impl Fn(Command, &Printer) -> Exit) -> Exit {
    let mut last = Exit::Ok;
    loop {
        printer.note(&format!("\n{MENU}"));
        let Some(answer) = printer.read_line("Choose 1-8, or Q to quit: ") else {
            return last;
        };
        let command = match parse(&answer) {
            None => {
                printer.note("Type a number from 1 to 8, or Q.");
                continue;
            }
            Some(Choice::Quit) => return last,
            Some(Choice::Reset(folders)) => Command::Reset(reset_of(folders)),
            Some(Choice::Diagnose) => Command::Diagnose(DiagnoseRequest {
                location: Location::Online,
                exit_code: false,
            }),
            Some(Choice::Status) => Command::Status(StatusRequest {
                location: Location::Online,
            }),
            Some(Choice::Undo) => Command::Undo(undo_of_all()),
            Some(Choice::Repair) => Command::Repair(repair_from_evidence()),
            Some(Choice::Explain) => {
                let code = printer
                    .read_line("Error code (for example 0x800f0922): ")
                    .unwrap_or_default();
                match ExplainRequest::from_args(vec![code]) {
                    Ok(req) => Command::Explain(req),
                    Err(err) => {
                        printer.error("explain", &err.0);
                        continue;
                    }
                }
            }
        };
        last = run_command(command, printer);
        printer.pause("Press Enter to return to the menu.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_entry_chooses_its_fix_and_anything_else_is_asked_again() {
        assert_eq!(parse(" 1 "), Some(Choice::Reset(&Folder::ALL)));
        assert_eq!(
            parse("2"),
            Some(Choice::Reset(&[Folder::SoftwareDistribution]))
        );
        assert_eq!(parse("3"), Some(Choice::Reset(&[Folder::Catroot2])));
        assert_eq!(parse("4"), Some(Choice::Diagnose));
        assert_eq!(parse("5"), Some(Choice::Explain));
        assert_eq!(parse("6"), Some(Choice::Status));
        assert_eq!(parse("7"), Some(Choice::Undo));
        assert_eq!(parse("8"), Some(Choice::Repair));
        assert_eq!(parse("Q"), Some(Choice::Quit));
        for other in ["", "0", "9", "12", "y", "reset"] {
            assert_eq!(parse(other), None, "{other:?}");
        }
    }

    #[test]
    fn a_reset_entry_is_the_command_line_reset_asked_first() {
        let cache = reset_of(&[Folder::SoftwareDistribution]);
        assert_eq!(cache.folders, [Folder::SoftwareDistribution]);
        assert!(!cache.assume_yes && !cache.dry_run && !cache.force);
        assert_eq!(cache.location, Location::Online);
        assert_eq!(
            cache.to_args(),
            ["reset", "--only", "software-distribution"]
        );
        assert_eq!(reset_of(&Folder::ALL).to_args(), ["reset"]);
        // The undo entry asks first, like the command line without --yes.
        assert_eq!(undo_of_all().to_args(), ["undo"]);
        // So does the repair entry, which starts where the evidence points and verifies each rung.
        let repair = repair_from_evidence();
        assert_eq!(repair.to_args(), ["repair"]);
        assert!(repair.verify && !repair.network);
    }
}
