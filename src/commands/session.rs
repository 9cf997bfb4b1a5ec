//! The one skeleton every command that changes the machine runs through (reset, undo, repair):
//! rights → the servicing gate → the plan shown and asked (no lock held while a person thinks) →
//! the lock → recovery of a dead run → the gate again → the interrupt guard → the command acts
//! (its plans built afresh, each run of the engine journaled) → the guard let go once the
//! services are back → whatever comes after (a restart offer). Each command says only what
//! differs: its plan, its question, its report.

use std::sync::atomic::AtomicBool;
use std::time::Duration;

use super::rights::{self, Relaunch};
use crate::engine;
use crate::exit::{Exit, Reason};
use crate::folders::Layout;
use crate::journal::{self, Journal, Part, Record};
use crate::machine::{Machine, Mode};
use crate::plan::Plan;
use crate::printer::{NotInteractive, Printer};
use crate::record::{Outcome, StepRecord};
use crate::recovery;
use crate::report::ResetReport;
use crate::servicing::{self, Refusal, ServicingCheck};
use crate::sys::{self, InterruptGuard, ResetLock};

pub const ANOTHER_RESET: &str = "another wufix reset is running on this installation; nothing was \
changed. Wait for it to finish, then run wufix again.";

/// Why a command that asks first cannot run where nobody can answer.
pub fn not_interactive(command: &str) -> String {
    format!(
        "refusing to {command} without confirmation: standard input is not a terminal, so nothing \
         was changed. Pass --yes to run unattended, or --dry-run to see the plan."
    )
}

/// Where and through what a command acts, and who hears of it.
pub struct Session<'a> {
    pub machine: Machine<'a>,
    pub layout: &'a Layout,
    pub mode: Mode,
    pub printer: &'a Printer,
    /// wufix's folder on the installation: secured, and its lock taken, before a run writes.
    pub home: crate::home::Home,
    pub store: journal::Store,
}

/// What a command tells the skeleton about itself.
pub struct Settings {
    pub name: &'static str,
    pub dry_run: bool,
    pub assume_yes: bool,
    /// Act even while Windows is mid-servicing (the report says so).
    pub force: bool,
    /// The budget for stopping (and again for starting) services, recovery's too.
    pub timeout: Duration,
    /// Whether the servicing gate applies: undo only puts back what a run moved, and has none.
    pub gated: bool,
    /// On a mounted Windows, whether the run writes its registry (the hives are loaded first,
    /// on Windows PE) and, when they cannot be, what to do instead.
    pub hives: Option<String>,
}

/// What the servicing gate found: every check, and whether `--force` overrode a refusal.
#[derive(Clone, Debug, Default)]
pub struct Gate {
    pub checks: Vec<ServicingCheck>,
    pub forced: bool,
}

/// The gate refused: nothing may change (exit 4).
pub struct Refused {
    pub checks: Vec<ServicingCheck>,
    pub refusal: Refusal,
}

/// What a command wants before it acts, decided without the lock.
pub enum Prepared {
    /// Show these steps and ask (not with `--yes`).
    Ask {
        plan: Vec<StepRecord>,
        question: &'static str,
    },
    /// Ask this alone (not with `--yes`).
    AskOnly(&'static str),
    /// Act without asking.
    Go,
    /// Stop here (a dry run printed, nothing to do): this is the exit.
    Done(Exit),
}

/// A command that changes the machine, as the skeleton drives it.
pub trait AdminCommand {
    fn settings(&self) -> Settings;
    /// The same command for an elevated copy.
    fn relaunch(&self) -> Relaunch;
    /// The gate refused: say so in the command's report (`recovered`: what recovery did first,
    /// when the refusal came after the lock).
    fn refused(&mut self, s: &Session, refused: Refused, recovered: Vec<StepRecord>);
    /// Before the lock: print a dry run, or say what to ask.
    fn prepare(&mut self, s: &Session, gate: &Gate) -> Prepared;
    /// The lock held, dead runs recovered, the gate passed again: act.
    fn act(&mut self, cx: &mut Acting) -> Exit;
    /// Once the services are back and a held console close may end the process.
    fn after(&mut self, _s: &Session, _exit: Exit) {}
}

/// Drive `cmd` from its rights to its end.
pub fn run(cmd: &mut dyn AdminCommand, s: &Session) -> Exit {
    let set = cmd.settings();
    if s.mode == Mode::Online && !set.dry_run {
        if let Err(exit) = rights::ensure(&cmd.relaunch(), s.machine.sys, s.printer) {
            return exit;
        }
    }
    // A hibernated or read-only mounted volume: nothing may be written, the journal included;
    // said before anything is planned, the dry run too.
    if s.mode == Mode::Offline {
        if let Some(why) = crate::folders::volume::state(s.layout.root()).refusal() {
            s.printer.reason(Reason::VolumeNotWritable);
            s.printer.error(set.name, &why);
            return Exit::Failed;
        }
    }
    // Mid-servicing, a change does harm: refuse before anything is asked or touched.
    let gate = match s.gate(&set) {
        Ok(gate) => gate,
        Err(refused) => {
            cmd.refused(s, refused, Vec::new());
            if !set.dry_run {
                // Before the lock: wufix's folder is not yet known to be its own.
                s.log_event(Exit::Refused, false, false);
            }
            return Exit::Refused;
        }
    };
    match cmd.prepare(s, &gate) {
        Prepared::Done(exit) => return exit,
        Prepared::Go => {}
        Prepared::Ask { .. } | Prepared::AskOnly(_) if set.assume_yes => {}
        // The question may wait for minutes: no lock is held, and the plan is built again after.
        Prepared::Ask { plan, question } => {
            let answer = s.printer.confirm(&plan, question);
            if let Err(exit) = s.answered(set.name, answer) {
                return exit;
            }
        }
        Prepared::AskOnly(question) => {
            let answer = s.printer.ask(question);
            if let Err(exit) = s.answered(set.name, answer) {
                return exit;
            }
        }
    }
    let _lock = match s.take_lock(set.name) {
        Ok(lock) => lock,
        Err(exit) => return exit,
    };
    // A run killed before it finished comes first: start again what it left stopped.
    let recovered = s.recover_first(set.timeout, set.name);
    let recovered_any = !recovered.names.is_empty();
    // What the question showed may be stale: check again, now that the lock is held.
    let gate = match s.gate(&set) {
        Ok(gate) => gate,
        Err(refused) => {
            cmd.refused(s, refused, recovered.steps);
            s.log_event(Exit::Refused, recovered_any, true);
            return Exit::Refused;
        }
    };
    // The disk's hives loaded only now, when nothing is left to ask or refuse; unloaded by
    // the command before its report, and here again for any way out it did not take.
    if let (Mode::Offline, Some(instead)) = (s.mode, &set.hives) {
        if let Err(why) = s.machine.sys.open_registry_for_writing() {
            s.printer.error(
                set.name,
                &format!("cannot load the disk's registry to write it: {why}; nothing was changed. {instead}"),
            );
            return Exit::Failed;
        }
    }
    let guard = sys::catch_interrupts(note_interrupted);
    let exit = cmd.act(&mut Acting {
        session: s,
        recovered,
        gate,
        guard: &guard,
    });
    drop(guard);
    if let Err(why) = s.machine.sys.close_registry() {
        s.printer.error(set.name, &why);
    }
    // Still under the lock, which protects the copy the event's text is read from.
    s.log_event(exit, recovered_any, true);
    cmd.after(s, exit);
    exit
}

impl Session<'_> {
    /// The run's event in the running Windows's Application log (never a mounted one's).
    fn log_event(&self, exit: Exit, recovered: bool, secured: bool) {
        if self.mode == Mode::Online {
            super::event::log(
                self.machine.sys,
                &self.home,
                self.printer,
                exit,
                recovered,
                secured,
            );
        }
    }
}

/// What a command acts with: the session, what recovery did, the gate's checks, the guard.
pub struct Acting<'s, 'a> {
    pub session: &'s Session<'a>,
    pub recovered: Recovered,
    pub gate: Gate,
    guard: &'s InterruptGuard,
}

impl Acting<'_, '_> {
    /// The flag an interrupt sets.
    pub fn cancel(&self) -> &AtomicBool {
        self.guard.flag()
    }

    pub fn interrupted(&self) -> bool {
        self.guard.interrupted()
    }

    /// This run's journal, its start record on disk. Without one nothing may change: `Err` is
    /// the exit, the reason printed.
    pub fn open_journal(
        &self,
        command: &'static str,
        mut start: journal::Start,
    ) -> Result<Journal, Exit> {
        let s = self.session;
        start.recovers = self.recovered.names.clone();
        if s.mode == Mode::Online {
            start.machine = crate::managed::machine_guid(s.machine.sys);
        }
        s.store.create(start).map_err(|err| {
            s.printer.reason(Reason::JournalUnavailable);
            s.printer.error(
                command,
                &format!(
                    "cannot write the journal in {}: {err}; nothing was changed",
                    s.store.dir().display()
                ),
            );
            Exit::Failed
        })
    }

    /// Run `plan` with every change written to `journal` before it is made.
    pub fn run(&self, plan: &Plan, journal: &mut Journal) -> ResetReport {
        let printer = self.session.printer;
        let report = engine::run_hooked(
            plan,
            self.session.machine,
            self.cancel(),
            engine::Hooks {
                progress: &mut |record| printer.progress(record),
                meter: printer,
                journal,
            },
        );
        if self.interrupted() {
            printer.reason(Reason::Interrupted);
        }
        report
    }

    /// One plan, one journal: opened, run, marked finished (an undo names the parts it put back:
    /// `undone` reads them off the report).
    pub fn run_journaled(
        &self,
        command: &'static str,
        plan: &Plan,
        undoes: Option<String>,
        undone: impl FnOnce(&ResetReport) -> Vec<Part>,
    ) -> Result<ResetReport, Exit> {
        let mut journal = self.open_journal(command, plan.start_record(command, undoes))?;
        let mut report = self.run(plan, &mut journal);
        let parts = undone(&report);
        if let Some(why) = finish(&mut journal, report.ok, parts) {
            report.ok = false;
            report.message = format!("{} {why}", report.message);
        }
        Ok(report)
    }
}

/// The run ended on its own: say so in its journal. `Some` says, for the report, that the
/// journal stopped taking records (a full disk): the run then stopped changing things, is not
/// a success, and the next run treats it as interrupted and checks the services.
pub fn finish(journal: &mut Journal, ok: bool, undone: Vec<Part>) -> Option<String> {
    let written = journal.write(&Record::Finished {
        at: jiff::Timestamp::now().to_string(),
        ok,
        undone,
    });
    written.err().map(|err| {
        format!(
            "The journal {} stopped taking records ({err}): nothing was changed after that, and the next wufix run checks what this one left.",
            journal.path().display()
        )
    })
}

/// What recovering interrupted runs did.
#[derive(Default)]
pub struct Recovered {
    /// The services started again, as steps for the report.
    pub steps: Vec<StepRecord>,
    /// The interrupted runs' journals (their names), for the start record of this run's journal.
    pub names: Vec<String>,
}

impl Recovered {
    pub fn ok(&self) -> bool {
        self.steps.iter().all(|r| r.outcome != Outcome::Failed)
    }
}

impl<'a> Session<'a> {
    pub fn new(machine: Machine<'a>, layout: &'a Layout, mode: Mode, printer: &'a Printer) -> Self {
        Session {
            machine,
            layout,
            mode,
            printer,
            home: crate::home::Home::for_windows(&layout.windows_dir, mode),
            store: journal::Store::for_windows(&layout.windows_dir, mode),
        }
    }

    /// The servicing checks, unless the command has none; `Err` when they refuse and `--force`
    /// was not given.
    fn gate(&self, set: &Settings) -> Result<Gate, Refused> {
        if !set.gated {
            return Ok(Gate::default());
        }
        let checks = servicing::check(self.layout, self.machine.sys, self.mode);
        match (servicing::refusal_for(&checks, self.mode), set.force) {
            (Some(refusal), false) => Err(Refused { checks, refusal }),
            (refusal, _) => Ok(Gate {
                checks,
                forced: refusal.is_some(),
            }),
        }
    }

    /// A person's answer: `Err` carries the exit when it is no, or nobody could answer.
    fn answered(
        &self,
        command: &'static str,
        answer: Result<bool, NotInteractive>,
    ) -> Result<(), Exit> {
        match answer {
            Ok(true) => Ok(()),
            Ok(false) => {
                self.printer.reason(Reason::Declined);
                self.printer
                    .error(command, "cancelled; nothing was changed");
                Err(Exit::Failed)
            }
            Err(NotInteractive) => {
                self.printer.reason(Reason::NotConfirmed);
                self.printer.error(command, &not_interactive(command));
                Err(Exit::Usage)
            }
        }
    }

    /// One change at a time on an installation: a second run would snapshot the first one's
    /// half-stopped services and "restore" them wrongly.
    pub fn take_lock(&self, command: &'static str) -> Result<ResetLock, Exit> {
        let sys = self.machine.sys;
        // `status` and `diagnose` hold it for an instant when they look for a dead run: a second
        // is given before concluding another run goes on.
        let mut answer = sys.lock_reset(&self.home.dir);
        for _ in 0..10 {
            if !matches!(answer, Ok(None)) {
                break;
            }
            self.machine.clock.sleep(Duration::from_millis(100));
            answer = sys.lock_reset(&self.home.dir);
        }
        match answer {
            Ok(Some(lock)) => {
                for aside in &lock.set_aside {
                    self.printer.note(&format!(
                        "wufix: set aside {}: it stood where wufix keeps its files and was not wufix's (a link, or someone else's); nothing behind it was touched",
                        crate::printer::clean(&aside.display().to_string())
                    ));
                }
                Ok(lock)
            }
            Ok(None) => {
                self.printer.reason(Reason::Busy);
                self.printer.error(command, ANOTHER_RESET);
                Err(Exit::Failed)
            }
            Err(err) => {
                self.printer.error(
                    command,
                    &format!("cannot take the reset lock: {err}; nothing was changed"),
                );
                Err(Exit::Failed)
            }
        }
    }

    /// Recover what interrupted runs left (the lock is held), saying so; journals set aside on
    /// the way are named.
    pub fn recover_first(&self, timeout: Duration, by: &str) -> Recovered {
        let printer = self.printer;
        let listing = match self.store.read_locked() {
            Ok(listing) => listing,
            Err(err) => {
                printer.note(&format!(
                    "wufix: the journal in {} cannot be read ({err}); going on without it",
                    self.store.dir().display()
                ));
                return Recovered::default();
            }
        };
        for aside in &listing.set_aside {
            printer.note(&format!(
                "wufix: set aside a damaged journal: {} ({})",
                aside.path, aside.why
            ));
        }
        let pending: Vec<&journal::Run> =
            listing.runs.iter().filter(|r| r.needs_recovery()).collect();
        for run in &pending {
            let how = if run.interrupted() {
                "was interrupted"
            } else {
                "could not start everything again"
            };
            let then = match self.mode {
                Mode::Online => "putting back the services it left stopped",
                Mode::Offline => "offline there are no services to put back: marked recovered",
            };
            printer.note(&format!(
                "wufix: the {} started at {} {how}; {then}",
                crate::printer::clean(&run.start.command),
                crate::printer::clean(&run.start.started)
            ));
        }
        if pending.is_empty() {
            return Recovered::default();
        }
        let names = pending.iter().map(|r| r.name()).collect();
        let steps = recovery::recover(&self.store, &listing, self.machine, self.mode, timeout, by);
        for record in &steps {
            printer.progress(record);
        }
        Recovered { steps, names }
    }

    /// Ask a person who is there (no `--yes`, no `--json`, a console) whether to restart now.
    pub fn offer_restart(&self, assume_yes: bool) {
        let printer = self.printer;
        if assume_yes || printer.is_json() || !printer.can_ask() {
            return;
        }
        if let Ok(true) = printer.ask("Restart Windows now to finish?") {
            match self.machine.sys.restart_windows() {
                Ok(()) => printer.note("Windows will restart in 30 seconds; save your work."),
                Err(err) => printer.error("restart", &format!("could not restart Windows: {err}")),
            }
        }
    }
}

fn note_interrupted() {
    Printer::new(false)
        .note("wufix: interrupted; finishing the current step, then putting the services back");
}
