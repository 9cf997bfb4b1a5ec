//! `wufix undo`: put back what the last reset or repair changed, the same way a reset works (the
//! session's skeleton: rights, the plan shown and asked, one run at a time, recovery first, the
//! journal, every step reported). What is reversed is chosen by `reversal::select`.

use super::reset::bare_report;
use super::rights::Relaunch;
use super::session::{self, Acting, AdminCommand, Gate, Prepared, Refused, Session, Settings};
use crate::exit::Exit;
use crate::folders::inventory::BackupEvent;
use crate::journal::{self, Op, Part};
use crate::plan::Plan;
use crate::record::{Action, Outcome, StepRecord, count};
use crate::report::ResetReport;
use crate::request::UndoRequest;
use crate::reversal::{self, Selection};

pub fn run(req: &UndoRequest, s: &Session) -> Exit {
    session::run(
        &mut Undo {
            req,
            restart: false,
        },
        s,
    )
}

struct Undo<'r> {
    req: &'r UndoRequest,
    /// Folders were put back on the running Windows: a restart finishes it.
    restart: bool,
}

impl Undo<'_> {
    /// What to undo; a repair's settings only from a journal an administrator wrote.
    fn choose(&self, s: &Session, listing: &journal::Listing) -> Result<Selection, String> {
        let mut pick = reversal::select(listing, s.layout, &self.req.folders, self.req.settings)?;
        if let Some(note) = reversal::keep_trusted_settings(&mut pick, s.machine.sys) {
            s.printer.note(&note);
            if pick.restores.is_empty() {
                return Err("there is nothing else to undo".to_string());
            }
        }
        Ok(pick)
    }

    /// Only the folders being put back are touched, and only their services stopped.
    fn plan(&self, s: &Session, pick: &Selection) -> Plan {
        let mut reset = self.req.as_reset();
        reset.folders = pick.restores.iter().map(|(folder, _)| *folder).collect();
        Plan::undo(
            &reset,
            s.layout,
            s.machine.sys,
            jiff::Timestamp::now(),
            &pick.restores,
            &pick.settings,
        )
    }
}

impl AdminCommand for Undo<'_> {
    fn settings(&self) -> Settings {
        Settings {
            name: "undo",
            dry_run: self.req.dry_run,
            assume_yes: self.req.assume_yes,
            force: false,
            timeout: self.req.timeout,
            gated: false,
            hives: None,
        }
    }

    fn relaunch(&self) -> Relaunch {
        Relaunch {
            command: "undo",
            args: self.req.to_args(),
            no_elevate: self.req.no_elevate,
            elevated_child: self.req.elevated_child,
        }
    }

    fn refused(&mut self, _s: &Session, _refused: Refused, _recovered: Vec<StepRecord>) {
        unreachable!("undo has no servicing gate")
    }

    fn prepare(&mut self, s: &Session, _gate: &Gate) -> Prepared {
        if !self.req.dry_run && self.req.assume_yes {
            return Prepared::Go;
        }
        let listing = s.store.read().unwrap_or_default();
        match self.choose(s, &listing) {
            Ok(pick) if self.req.dry_run => {
                let mut report = self.plan(s, &pick).preview();
                report.command = "undo";
                s.printer.reset(&report);
                Prepared::Done(Exit::of(report.ok))
            }
            Ok(pick) => Prepared::Ask {
                plan: self.plan(s, &pick).describe(),
                question: "Proceed?",
            },
            // No folder to put back, but a dead run left services stopped: that is the undo.
            Err(_)
                if !self.req.dry_run
                    && s.mode == crate::machine::Mode::Online
                    && listing
                        .runs
                        .iter()
                        .any(|r| r.needs_recovery() && !r.left_stopped().is_empty()) =>
            {
                Prepared::AskOnly(
                    "No folder to put back, but an interrupted wufix run left services stopped. Start them again?",
                )
            }
            Err(why) => {
                s.printer.reason(undo_reason(&why));
                s.printer
                    .error("undo", &format!("{why}; nothing was changed"));
                Prepared::Done(Exit::Failed)
            }
        }
    }

    fn act(&mut self, cx: &mut Acting) -> Exit {
        let s = cx.session;
        // Chosen again under the lock: another run may have changed what there is to undo.
        let listing = s.store.read().unwrap_or_default();
        let pick = match self.choose(s, &listing) {
            Ok(pick) => pick,
            // An interrupted run that moved no folder: putting its services back was the whole
            // undo. (Offline there are none: then there was nothing to undo, and it says so.)
            Err(why) if !cx.recovered.steps.is_empty() => {
                let ok = cx.recovered.ok();
                let mut report = bare_report("undo", s, std::mem::take(&mut cx.recovered.steps));
                report.ok = ok;
                report.message = format!(
                    "The interrupted run is recovered: the services it had stopped are running again. No folder to put back ({why})."
                );
                s.printer.reset(&report);
                return Exit::of(ok);
            }
            Err(why) => {
                s.printer.reason(undo_reason(&why));
                s.printer
                    .error("undo", &format!("{why}; nothing was changed"));
                return Exit::Failed;
            }
        };
        // A repair of a mounted Windows wrote its registry: loaded again to put it back
        // (Windows PE); where it cannot be, those steps fail and say so, the folders still come back.
        if s.mode == crate::machine::Mode::Offline && !pick.settings.is_empty() {
            if let Err(why) = s.machine.sys.open_registry_for_writing() {
                s.printer.note(&format!(
                    "wufix: the disk's registry cannot be loaded to be written ({why}): its settings are not put back from here"
                ));
            }
        }
        if pick.journal.is_none() {
            s.printer.note("wufix: no journal names a reset to undo; putting back the newest wufix backup of each folder");
        }
        // What that run pruned is gone for good: say so rather than let it seem restored.
        let pruned: usize = listing
            .runs
            .iter()
            .filter(|r| pick.journal.as_ref() == Some(&r.path))
            .flat_map(|r| &r.changes)
            .filter_map(|(op, ok)| match op {
                Op::Prune { paths, .. } if *ok == Some(true) => Some(paths.len()),
                _ => None,
            })
            .sum();
        if pruned > 0 {
            s.printer.note(&format!(
                "wufix: that run also deleted {} of older wufix backups; those cannot come back",
                count(pruned as u64, "folder", "folders")
            ));
        }
        let plan = self.plan(s, &pick);
        let undoes = pick
            .journal
            .as_ref()
            .and_then(|p| p.file_name())
            .map(|n| n.to_string_lossy().into_owned());
        let mut report =
            match cx.run_journaled("undo", &plan, undoes, |report| undone_parts(&pick, report)) {
                Ok(report) => report,
                Err(exit) => return exit,
            };
        report.command = "undo";
        let unloaded = s.machine.sys.close_registry();
        report
            .steps
            .splice(0..0, std::mem::take(&mut cx.recovered.steps));
        report.ok &= report.steps.iter().all(|r| r.outcome != Outcome::Failed);
        let set_aside = report
            .backups
            .iter()
            .any(|b| b.event == BackupEvent::Created);
        report.message = if report.ok && pick.restores.is_empty() {
            "Undo complete: the settings the repair changed are back as they were.".to_string()
        } else if report.ok {
            format!(
                "Undo complete: the folders{} are back as they were before the {}{}. Restart Windows to finish.",
                if pick.settings.is_empty() {
                    ""
                } else {
                    " and settings"
                },
                reversed_command(&listing, &pick),
                if set_aside {
                    "; what Windows had made since is kept as a wufix backup"
                } else {
                    ""
                }
            )
        } else {
            report.message.replacen("Reset", "Undo", 1)
        };
        if let Err(why) = unloaded {
            report.message = format!("{} {why}", report.message);
        }
        self.restart =
            report.ok && !pick.restores.is_empty() && s.mode == crate::machine::Mode::Online;
        s.printer.reset(&report);
        Exit::of(report.ok)
    }

    /// As after a reset: the folders are back, and a restart finishes it; offered, never forced.
    fn after(&mut self, s: &Session, exit: Exit) {
        if exit == Exit::Ok && self.restart {
            s.offer_restart(self.req.assume_yes);
        }
    }
}

/// The parts this undo put back, as its report shows: each folder whose backup was renamed back,
/// and the settings when none failed to be put back.
fn undone_parts(pick: &Selection, report: &ResetReport) -> Vec<Part> {
    let mut parts: Vec<Part> = pick
        .restores
        .iter()
        .filter(|(_, backup)| {
            report.steps.iter().any(|s| {
                s.action == Action::RestoreFolder
                    && s.outcome == Outcome::Done
                    && s.target == backup.display().to_string()
            })
        })
        .map(|(folder, _)| Part::Folder(*folder))
        .collect();
    let settings_failed = report
        .steps
        .iter()
        .any(|s| s.action == Action::RestoreSetting && s.outcome == Outcome::Failed);
    if !pick.settings.is_empty() && !settings_failed {
        parts.push(Part::Settings);
    }
    parts
}

/// The command of the run an undo reverses (`reset`, `repair`, `undo`); `reset` without a journal.
fn reversed_command<'a>(listing: &'a journal::Listing, pick: &Selection) -> &'a str {
    listing
        .runs
        .iter()
        .find(|r| pick.journal.as_ref() == Some(&r.path))
        .map_or("reset", |r| r.start.command.as_str())
}

/// What an undo's refusal amounts to, for its report: nothing there at all, or something there
/// that cannot be put back (a clear, a backup gone or not trusted).
fn undo_reason(why: &str) -> crate::exit::Reason {
    if why.contains("nothing to undo") || why.contains("nothing else to undo") {
        crate::exit::Reason::NothingToUndo
    } else {
        crate::exit::Reason::CannotUndo
    }
}
