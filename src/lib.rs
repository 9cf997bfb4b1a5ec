//! wufix: repairs Windows Update by resetting its cache folders safely.
//!
//! The way a reset travels: a validated [`request::Request`] → the [`servicing`] gate → a
//! [`plan::Plan`] built from a snapshot of the machine → the [`engine`] runs it against the
//! [`sys`] boundary → a [`report`] → the [`printer`] → an [`Exit`] code. See ARCHITECTURE.md.

pub mod catalog;
pub mod clock;
pub mod diagnose;
pub mod elevation;
pub mod engine;
pub mod explain;
pub mod folders;
pub mod journal;
pub mod menu;
pub mod plan;
pub mod printer;
pub mod progress;
pub mod recovery;
pub mod repair;
pub mod report;
pub mod request;
pub mod services;
pub mod servicing;
pub mod status;
pub mod sys;
pub mod undo;

use clock::{Clock, SystemClock};
use folders::Layout;
use plan::Plan;
use printer::{NotInteractive, Printer};
use report::{Mode, ResetReport, ServicesReport};
use request::{
    Command, DiagnoseRequest, Location, Request, ResetRequest, StatusRequest, UndoRequest,
    UsageError,
};
use sys::{Platform, ResetLock};

/// The process exit codes, documented in the README and in `--help`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Exit {
    /// Everything asked for was done (or there was nothing to do).
    Ok = 0,
    /// A step failed; the services were put back as they were.
    Failed = 1,
    /// Bad input, or a question that could not be asked: nothing was touched.
    Usage = 2,
    /// A reset of the running Windows needs administrator rights: nothing was touched.
    NotElevated = 3,
    /// Refused for safety (Windows is mid-servicing): nothing was touched.
    Refused = 4,
}

impl Exit {
    /// The exit a process reported, as this program's own (an elevated copy's, say): unknown
    /// codes are failures.
    pub fn from_code(code: u32) -> Exit {
        match code {
            0 => Exit::Ok,
            2 => Exit::Usage,
            3 => Exit::NotElevated,
            4 => Exit::Refused,
            _ => Exit::Failed,
        }
    }
}

pub const NOT_ELEVATED: &str = "wufix reset needs administrator rights, and nothing was changed. \
Right-click wufix.exe and choose \"Run as administrator\", or run it from an elevated terminal \
(Win+X, then \"Terminal (Admin)\").";

pub const ANOTHER_RESET: &str = "another wufix reset is running on this installation; nothing was \
changed. Wait for it to finish, then run wufix again.";

pub const NOT_INTERACTIVE: &str = "refusing to reset without confirmation: standard input is not a \
terminal, so nothing was changed. Pass --yes to run unattended, or --dry-run to see the plan.";

/// Run a validated request to the end and say how it went.
pub fn run(request: Request, printer: &Printer) -> Exit {
    let pause = request.pause_at_end;
    let exit = run_command(request.command, printer);
    if pause {
        printer.pause("Press Enter to close this window.");
    }
    exit
}

fn run_command(command: Command, printer: &Printer) -> Exit {
    match command {
        Command::Status(req) => run_status(&req, printer),
        Command::Reset(req) => run_reset(&req, printer),
        Command::Diagnose(req) => run_diagnose(&req, printer),
        Command::Undo(req) => run_undo(&req, printer),
        Command::Repair(req) => run_repair(&req, printer),
        Command::Menu => menu::run(printer, run_command),
        Command::Explain(req) => {
            let codes = req
                .codes
                .iter()
                .map(|(input, code)| explain::explain(input, *code))
                .collect();
            printer.explain(&explain::ExplainReport {
                ok: true,
                command: "explain",
                codes,
            });
            Exit::Ok
        }
    }
}

/// The installation a command acts on.
struct Target {
    sys: Box<dyn Platform>,
    layout: Layout,
}

fn resolve(location: &Location) -> Result<Target, UsageError> {
    match location {
        Location::Offline(dir) => {
            let layout = Layout::offline(dir).map_err(UsageError)?;
            refuse_running_windows(dir, &layout)?;
            Ok(Target {
                sys: Box::new(sys::offline::Offline {
                    windows_dir: layout.windows_dir.clone(),
                }),
                layout,
            })
        }
        Location::Online => match sys::online() {
            Some((sys, windows_dir)) => Ok(Target {
                sys,
                layout: Layout::online(windows_dir),
            }),
            None => Err(UsageError(
                "there is no running Windows here to repair; pass --windows-dir DIR to work on a mounted Windows installation"
                    .into(),
            )),
        },
    }
}

/// `--windows-dir` names a mounted installation. Pointed at the Windows that is running, offline
/// mode would skip the services, the elevation check and the lock and cut under live services:
/// refused. Compared by file identity, so `C:\`, `c:\windows\` or another path to it all count.
fn refuse_running_windows(dir: &std::path::Path, layout: &Layout) -> Result<(), UsageError> {
    let Some(running) = sys::running_windows_dir() else {
        return Ok(());
    };
    if same_file::is_same_file(&layout.windows_dir, &running).unwrap_or(false) {
        return Err(UsageError(format!(
            "--windows-dir {} is the running Windows ({}); run wufix without --windows-dir to reset it with its services stopped",
            dir.display(),
            running.display()
        )));
    }
    Ok(())
}

/// The installation `command` acts on; when there is none, say why (a usage error).
fn target_for(location: &Location, command: &'static str, printer: &Printer) -> Option<Target> {
    resolve(location)
        .map_err(|err| printer.error(command, &err.0))
        .ok()
}

fn mode_of(location: &Location) -> Mode {
    match location {
        Location::Online => Mode::Online,
        Location::Offline(_) => Mode::Offline,
    }
}

fn run_status(req: &StatusRequest, printer: &Printer) -> Exit {
    let Some(target) = target_for(&req.location, "status", printer) else {
        return Exit::Usage;
    };
    printer.status(&status::snapshot(
        &target.layout,
        &*target.sys,
        mode_of(&req.location),
    ));
    Exit::Ok
}

fn run_diagnose(req: &DiagnoseRequest, printer: &Printer) -> Exit {
    let Some(target) = target_for(&req.location, "diagnose", printer) else {
        return Exit::Usage;
    };
    let report = diagnose::diagnose(&target.layout, &*target.sys, mode_of(&req.location));
    printer.diagnose(&report);
    if req.exit_code && report.needs_remediation {
        Exit::Failed
    } else {
        Exit::Ok
    }
}

fn run_reset(req: &ResetRequest, printer: &Printer) -> Exit {
    let Some(target) = target_for(&req.location, "reset", printer) else {
        return Exit::Usage;
    };
    reset_on(req, &*target.sys, &target.layout, printer, &SystemClock)
}

fn run_repair(req: &request::RepairRequest, printer: &Printer) -> Exit {
    let Some(target) = target_for(&Location::Online, "repair", printer) else {
        return Exit::Usage;
    };
    repair::run::repair_on(req, &*target.sys, &target.layout, printer, &SystemClock)
}

fn run_undo(req: &UndoRequest, printer: &Printer) -> Exit {
    let Some(target) = target_for(&req.location, "undo", printer) else {
        return Exit::Usage;
    };
    undo_on(req, &*target.sys, &target.layout, printer, &SystemClock)
}

/// `wufix undo`: put back the folders the last reset renamed, the same way a reset works (rights,
/// the plan shown and asked, one run at a time, recovery first, the journal, every step reported).
fn undo_on(
    req: &UndoRequest,
    sys: &dyn Platform,
    layout: &Layout,
    printer: &Printer,
    clock: &dyn Clock,
) -> Exit {
    let mode = mode_of(&req.location);
    if mode == Mode::Online && !req.dry_run {
        if let Err(exit) = ensure_rights(&Relaunch::undo(req), sys, printer) {
            return exit;
        }
    }
    let store = journal::Store::for_windows(&layout.windows_dir, mode);
    let reset = req.as_reset();
    // Only the folders being put back are touched, and only their services stopped.
    let plan_for = |pick: &undo::Selection| {
        let mut reset = reset.clone();
        reset.folders = pick.restores.iter().map(|(folder, _)| *folder).collect();
        Plan::undo(
            &reset,
            layout,
            sys,
            jiff::Timestamp::now(),
            &pick.restores,
            &pick.settings,
        )
    };
    // A repair's settings only from a journal an administrator wrote.
    let choose = |listing: &journal::Listing| {
        let mut pick = undo::select(listing, layout, &req.folders)?;
        if let Some(note) = undo::keep_trusted_settings(&mut pick, sys) {
            printer.note(&note);
            if pick.restores.is_empty() {
                return Err("there is nothing else to undo".to_string());
            }
        }
        Ok(pick)
    };
    if req.dry_run || !req.assume_yes {
        let listing = store.list().unwrap_or_default();
        match choose(&listing) {
            Ok(pick) if req.dry_run => {
                let mut report = plan_for(&pick).preview();
                report.command = "undo";
                let ok = report.ok;
                printer.reset(&report);
                return if ok { Exit::Ok } else { Exit::Failed };
            }
            Ok(pick) => {
                if let Err(exit) = ask_first("undo", &plan_for(&pick), printer) {
                    return exit;
                }
            }
            // No folder to put back, but a dead run left services stopped: that is the undo.
            Err(_) if !req.dry_run && listing.runs.iter().any(|r| r.needs_recovery()) => {
                match printer.ask(
                    "No folder to put back, but an interrupted wufix run left services stopped. Start them again?",
                ) {
                    Ok(true) => {}
                    Ok(false) => {
                        printer.error("undo", "cancelled; nothing was changed");
                        return Exit::Failed;
                    }
                    Err(NotInteractive) => {
                        printer.error("undo", NOT_INTERACTIVE);
                        return Exit::Usage;
                    }
                }
            }
            Err(why) => {
                printer.error("undo", &format!("{why}; nothing was changed"));
                return Exit::Failed;
            }
        }
    }
    let _lock = match take_lock("undo", sys, printer, clock) {
        Ok(lock) => lock,
        Err(exit) => return exit,
    };
    let recovered = recover_first(&store, sys, clock, req.timeout, printer, "undo");
    // Chosen again under the lock: another run may have changed what there is to undo.
    let listing = store.list().unwrap_or_default();
    let pick = match choose(&listing) {
        Ok(pick) => pick,
        // An interrupted run that moved no folder: putting its services back was the whole undo.
        Err(why) if recovered.runs > 0 => {
            let ok = recovered
                .steps
                .iter()
                .all(|r| r.outcome != report::Outcome::Failed);
            let mut report = bare_report("undo", layout, mode, recovered.steps);
            report.ok = ok;
            report.message = format!(
                "The interrupted run is recovered: the services it had stopped are running again. No folder to put back ({why})."
            );
            printer.reset(&report);
            return if ok { Exit::Ok } else { Exit::Failed };
        }
        Err(why) => {
            printer.error("undo", &format!("{why}; nothing was changed"));
            return Exit::Failed;
        }
    };
    if pick.journal.is_none() {
        printer.note("wufix: no journal names a reset to undo; putting back the newest wufix backup of each folder");
    }
    // What that run pruned is gone for good: say so rather than let it seem restored.
    let pruned: usize = listing
        .runs
        .iter()
        .filter(|r| pick.journal.as_ref() == Some(&r.path))
        .flat_map(|r| &r.changes)
        .filter_map(|(change, ok)| match change {
            journal::Change::Prune { paths, .. } if *ok == Some(true) => Some(paths.len()),
            _ => None,
        })
        .sum();
    if pruned > 0 {
        printer.note(&format!(
            "wufix: that run also deleted {} of older wufix backups; those cannot come back",
            report::count(pruned as u64, "folder", "folders")
        ));
    }
    let plan = plan_for(&pick);
    let cancel = sys::catch_interrupts(note_interrupted);
    let undoes = pick.journal.as_ref().map(|p| p.display().to_string());
    let mut report = match journaled_run("undo", &plan, undoes, &store, sys, clock, cancel, printer)
    {
        Ok(report) => report,
        Err(exit) => return exit,
    };
    report.command = "undo";
    report.steps.splice(0..0, recovered.steps);
    report.ok &= report
        .steps
        .iter()
        .all(|r| r.outcome != report::Outcome::Failed);
    let set_aside = report
        .backups
        .iter()
        .any(|b| b.event == report::BackupEvent::Created);
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
            pick_command(&listing, &pick),
            if set_aside {
                "; what Windows had made since is kept as a wufix backup"
            } else {
                ""
            }
        )
    } else {
        report.message.replacen("Reset", "Undo", 1)
    };
    printer.reset(&report);
    sys::interrupts_finished();
    if report.ok { Exit::Ok } else { Exit::Failed }
}

/// The command of the run an undo reverses (`reset`, `repair`, `undo`); `reset` without a journal.
fn pick_command<'a>(listing: &'a journal::Listing, pick: &undo::Selection) -> &'a str {
    listing
        .runs
        .iter()
        .find(|r| pick.journal.as_ref() == Some(&r.path))
        .map_or("reset", |r| r.start.command.as_str())
}

/// A report for a reset refused before anything was touched.
fn refused_report(
    req: &ResetRequest,
    layout: &Layout,
    servicing: Vec<report::ServicingCheck>,
    refusal: report::Refusal,
) -> ResetReport {
    ResetReport {
        ok: false,
        command: "reset",
        mode: mode_of(&req.location),
        windows_dir: layout.windows_dir.display().to_string(),
        method: req.method,
        dry_run: req.dry_run,
        steps: Vec::new(),
        services: ServicesReport::default(),
        backups: Vec::new(),
        servicing,
        message: format!("Refused; nothing was changed. {}", refusal.reason),
        refused: Some(refusal),
        forced: false,
        reboot_recommended: false,
    }
}

/// A report of steps taken outside a plan (recovery alone).
fn bare_report(
    command: &'static str,
    layout: &Layout,
    mode: Mode,
    steps: Vec<report::StepRecord>,
) -> ResetReport {
    ResetReport {
        ok: true,
        command,
        mode,
        windows_dir: layout.windows_dir.display().to_string(),
        method: request::Method::Rename,
        dry_run: false,
        steps,
        services: ServicesReport::default(),
        backups: Vec::new(),
        servicing: Vec::new(),
        message: String::new(),
        refused: None,
        forced: false,
        reboot_recommended: false,
    }
}

/// What an elevated copy would be asked to do, and whether asking is allowed.
pub(crate) struct Relaunch {
    command: &'static str,
    args: Vec<String>,
    no_elevate: bool,
    elevated_child: bool,
}

impl Relaunch {
    fn reset(req: &ResetRequest) -> Relaunch {
        Relaunch {
            command: "reset",
            args: req.to_args(),
            no_elevate: req.no_elevate,
            elevated_child: req.elevated_child,
        }
    }

    pub(crate) fn repair(req: &request::RepairRequest) -> Relaunch {
        Relaunch {
            command: "repair",
            args: req.to_args(),
            no_elevate: req.no_elevate,
            elevated_child: req.elevated_child,
        }
    }

    fn undo(req: &UndoRequest) -> Relaunch {
        Relaunch {
            command: "undo",
            args: req.to_args(),
            no_elevate: req.no_elevate,
            elevated_child: req.elevated_child,
        }
    }
}

/// Go on only with administrator rights: `Err` carries the exit when this process must stop
/// (refused, or an elevated copy did the work).
pub(crate) fn ensure_rights(
    ask: &Relaunch,
    sys: &dyn Platform,
    printer: &Printer,
) -> Result<(), Exit> {
    match sys.is_elevated() {
        Ok(true) => Ok(()),
        Ok(false) => Err(without_rights(ask, sys, printer, printer.can_ask())),
        Err(err) => {
            printer.error(
                ask.command,
                &format!("cannot tell whether wufix runs as administrator ({err}); {NOT_ELEVATED}"),
            );
            Err(Exit::NotElevated)
        }
    }
}

/// Show the plan and ask; `Err` carries the exit when the answer is no or nobody can answer.
fn ask_first(command: &'static str, plan: &Plan, printer: &Printer) -> Result<(), Exit> {
    match printer.confirm(&plan.describe(), "Proceed?") {
        Ok(true) => Ok(()),
        Ok(false) => {
            printer.error(command, "cancelled; nothing was changed");
            Err(Exit::Failed)
        }
        Err(NotInteractive) => {
            printer.error(command, NOT_INTERACTIVE);
            Err(Exit::Usage)
        }
    }
}

/// One reset or undo at a time: a second would snapshot the first one's half-stopped services
/// and "restore" them wrongly.
pub(crate) fn take_lock(
    command: &'static str,
    sys: &dyn Platform,
    printer: &Printer,
    clock: &dyn Clock,
) -> Result<ResetLock, Exit> {
    // `status` and `diagnose` hold it for an instant when they look for a dead run: a second
    // is given before concluding another reset runs.
    let mut answer = sys.lock_reset();
    for _ in 0..10 {
        if !matches!(answer, Ok(None)) {
            break;
        }
        clock.sleep(std::time::Duration::from_millis(100));
        answer = sys.lock_reset();
    }
    match answer {
        Ok(Some(lock)) => Ok(lock),
        Ok(None) => {
            printer.error(command, ANOTHER_RESET);
            Err(Exit::Failed)
        }
        Err(err) => {
            printer.error(
                command,
                &format!("cannot take the reset lock: {err}; nothing was changed"),
            );
            Err(Exit::Failed)
        }
    }
}

/// A reset of the running Windows without administrator rights: ask Windows for them through an
/// elevated copy when a person is there to answer the prompt, else stop with exit 3.
fn without_rights(ask: &Relaunch, sys: &dyn Platform, printer: &Printer, can_ask: bool) -> Exit {
    let command = ask.command;
    let context = elevation::Context {
        elevated: false,
        json: printer.is_json(),
        no_elevate: ask.no_elevate,
        elevated_child: ask.elevated_child,
        can_ask,
    };
    let why = match elevation::decide(context) {
        elevation::Elevation::Relaunch => {
            printer.note(&format!(
                "wufix needs administrator rights: asking Windows for them (a UAC prompt)... \
                 The {command} runs in the window that opens, and shows its result there."
            ));
            let report =
                std::env::temp_dir().join(format!("wufix-report-{}.txt", std::process::id()));
            // A report left by an earlier process with this number is not this run's.
            let _ = std::fs::remove_file(&report);
            let mut args = ask.args.clone();
            args.extend([
                "--elevated-child".to_string(),
                "--report-file".to_string(),
                report.display().to_string(),
            ]);
            return match sys.relaunch_elevated(&args) {
                Ok(code) => {
                    let exit = Exit::from_code(code);
                    let saved = if report.is_file() {
                        format!(" Its report is saved in {}", report.display())
                    } else {
                        String::new()
                    };
                    printer.note(&format!(
                        "The administrator window finished with exit code {code}{}.{saved}",
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
                        &format!("could not start wufix as administrator ({err}); {NOT_ELEVATED}"),
                    );
                    Exit::NotElevated
                }
            };
        }
        elevation::Elevation::Refuse(why) => why,
        elevation::Elevation::Proceed => return Exit::Ok,
    };
    let message = match why {
        elevation::Why::StillNotElevated => format!(
            "the copy of wufix started through the Windows prompt still has no administrator rights; {NOT_ELEVATED}"
        ),
        _ => NOT_ELEVATED.to_string(),
    };
    printer.error(command, &message);
    Exit::NotElevated
}

/// Run the servicing checks. `Err` when they refuse (the refusal is already printed); otherwise
/// the checks, and whether `--force` overrode a refusal.
fn servicing_gate(
    req: &ResetRequest,
    layout: &Layout,
    sys: &dyn Platform,
    printer: &Printer,
) -> Result<(Vec<report::ServicingCheck>, bool), ()> {
    let checks = servicing::check(layout, sys, mode_of(&req.location));
    match (servicing::refusal(&checks), req.force) {
        (Some(refusal), false) => {
            printer.reset(&refused_report(req, layout, checks, refusal));
            Err(())
        }
        (refusal, _) => Ok((checks, refusal.is_some())),
    }
}

fn reset_on(
    req: &ResetRequest,
    sys: &dyn Platform,
    layout: &Layout,
    printer: &Printer,
    clock: &dyn Clock,
) -> Exit {
    let mode = mode_of(&req.location);
    if mode == Mode::Online && !req.dry_run {
        if let Err(exit) = ensure_rights(&Relaunch::reset(req), sys, printer) {
            return exit;
        }
    }
    // Mid-servicing, a reset does harm: refuse before anything is asked or touched.
    let Ok((checks, forced)) = servicing_gate(req, layout, sys, printer) else {
        return Exit::Refused;
    };
    if req.dry_run {
        let mut report = Plan::build(req, layout, sys, jiff::Timestamp::now()).preview();
        report.servicing = checks;
        report.forced = forced;
        let ok = report.ok;
        printer.reset(&report);
        return if ok { Exit::Ok } else { Exit::Failed };
    }
    if !req.assume_yes {
        // The question may wait for minutes: no lock is held, and the plan is built again after.
        let shown = Plan::build(req, layout, sys, jiff::Timestamp::now());
        if let Err(exit) = ask_first("reset", &shown, printer) {
            return exit;
        }
    }
    let _lock = match take_lock("reset", sys, printer, clock) {
        Ok(lock) => lock,
        Err(exit) => return exit,
    };
    // A run killed before it finished comes first: start again what it left stopped.
    let store = journal::Store::for_windows(&layout.windows_dir, mode);
    let recovered = recover_first(&store, sys, clock, req.timeout, printer, "reset").steps;
    // What the prompt showed may be stale: check and snapshot again, now that the lock is held.
    let Ok((checks, forced)) = servicing_gate(req, layout, sys, printer) else {
        return Exit::Refused;
    };
    let plan = Plan::build(req, layout, sys, jiff::Timestamp::now());
    let cancel = sys::catch_interrupts(note_interrupted);
    // The stop phase is silent until the first service has stopped, which can take a while.
    let stopping = plan.services_to_stop();
    if !stopping.is_empty() {
        printer.note(&format!(
            "stopping {} (waiting up to {} s)...",
            stopping.join(", "),
            plan.timeout.as_secs()
        ));
    }
    // Every change is written down before it is made; without a journal, nothing is changed.
    let mut report = match journaled_run("reset", &plan, None, &store, sys, clock, cancel, printer)
    {
        Ok(report) => report,
        Err(exit) => return exit,
    };
    report.servicing = checks;
    report.forced = forced;
    if !recovered.is_empty() {
        report.ok &= recovered
            .iter()
            .all(|r| r.outcome != report::Outcome::Failed);
        report.steps.splice(0..0, recovered);
    }
    printer.reset(&report);
    // The services are back: a console close held by the handler may now end the process.
    sys::interrupts_finished();
    if !report.ok {
        return Exit::Failed;
    }
    offer_restart(req, &report, sys, printer);
    Exit::Ok
}

/// What recovering interrupted runs did.
#[derive(Default)]
pub(crate) struct Recovered {
    /// The services started again, as steps for the report.
    pub(crate) steps: Vec<report::StepRecord>,
    /// How many interrupted runs there were.
    runs: usize,
}

/// Recover what interrupted runs left (the reset lock is held), saying so; journals set aside on
/// the way are named.
pub(crate) fn recover_first(
    store: &journal::Store,
    sys: &dyn Platform,
    clock: &dyn Clock,
    timeout: std::time::Duration,
    printer: &Printer,
    by: &str,
) -> Recovered {
    let listing = match store.list() {
        Ok(listing) => listing,
        Err(err) => {
            printer.note(&format!(
                "wufix: the journal in {} cannot be read ({err}); going on without it",
                store.dir().display()
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
    let pending: Vec<&journal::Run> = listing.runs.iter().filter(|r| r.needs_recovery()).collect();
    for run in &pending {
        let how = if run.interrupted() {
            "was interrupted"
        } else {
            "could not start everything again"
        };
        printer.note(&format!(
            "wufix: the {} started at {} {how}; putting back the services it left stopped",
            run.start.command, run.start.started
        ));
    }
    let runs = pending.len();
    if runs == 0 {
        return Recovered::default();
    }
    let steps = recovery::recover(store, &listing, sys, clock, timeout, by);
    for record in &steps {
        printer.progress(record);
    }
    Recovered { steps, runs }
}

/// Run `plan` with every change written down before it is made (without a journal, nothing is
/// changed: `Err` is the exit), and the journal marked finished after.
#[allow(clippy::too_many_arguments)]
fn journaled_run(
    command: &'static str,
    plan: &Plan,
    undoes: Option<String>,
    store: &journal::Store,
    sys: &dyn Platform,
    clock: &dyn Clock,
    cancel: &std::sync::atomic::AtomicBool,
    printer: &Printer,
) -> Result<ResetReport, Exit> {
    let mut journal = match store.create(journal_start(command, plan, undoes)) {
        Ok(journal) => journal,
        Err(err) => {
            sys::interrupts_finished();
            printer.error(
                command,
                &format!(
                    "cannot write the journal in {}: {err}; nothing was changed",
                    store.dir().display()
                ),
            );
            return Err(Exit::Failed);
        }
    };
    let report = engine::run_hooked(
        plan,
        sys,
        clock,
        cancel,
        engine::Hooks {
            progress: &mut |record| printer.progress(record),
            meter: printer,
            journal: &mut journal,
        },
    );
    let _ = journal.write(&journal::Record::Finished {
        at: jiff::Timestamp::now().to_string(),
        ok: report.ok,
    });
    Ok(report)
}

/// The journal's first record for a run of `plan`.
pub(crate) fn journal_start(command: &str, plan: &Plan, undoes: Option<String>) -> journal::Start {
    journal::Start {
        undoes,
        version: journal::VERSION,
        started: jiff::Timestamp::now().to_string(),
        command: command.to_string(),
        mode: plan.mode,
        windows_dir: plan.layout.windows_dir.display().to_string(),
        pid: std::process::id(),
        services_before: plan
            .services_before
            .iter()
            .filter(|s| s.exists)
            .map(|s| journal::ServiceBefore {
                name: s.name.clone(),
                state: s.state,
                start_type: s.start_type,
            })
            .collect(),
    }
}

/// The standard procedure ends with a restart: offer it to a person who is there and did not
/// ask for one already (`--reboot`) nor for no questions (`--yes`).
fn offer_restart(req: &ResetRequest, report: &ResetReport, sys: &dyn Platform, printer: &Printer) {
    if report.reboot_recommended && !req.reboot && report.mode == Mode::Online {
        offer_restart_to(req.assume_yes, sys, printer);
    }
}

/// Ask a person who is there (no `--yes`, no `--json`, a console) whether to restart now.
pub(crate) fn offer_restart_to(assume_yes: bool, sys: &dyn Platform, printer: &Printer) {
    if assume_yes || printer.is_json() || !printer.can_ask() {
        return;
    }
    if let Ok(true) = printer.ask("Restart Windows now to finish the repair?") {
        match sys.restart_windows() {
            Ok(()) => printer.note("Windows will restart in 30 seconds; save your work."),
            Err(err) => printer.error("reset", &format!("could not restart Windows: {err}")),
        }
    }
}

pub(crate) fn note_interrupted() {
    Printer::new(false)
        .note("wufix: interrupted; finishing the current step, then putting the services back");
}

#[cfg(test)]
mod fault_tests;

#[cfg(test)]
mod tests {
    use std::fs;
    use std::time::Duration;

    use super::*;
    use crate::catalog::Folder;
    use crate::clock::FakeClock;
    use crate::request::Method;
    use crate::sys::fake::FakePlatform;
    use crate::sys::{ServiceState, StartType};

    fn clear_catroot2() -> ResetRequest {
        ResetRequest {
            location: Location::Online,
            method: Method::Clear,
            folders: vec![Folder::Catroot2],
            dry_run: false,
            assume_yes: true,
            timeout: Duration::from_secs(5),
            keep: 3,
            reboot: false,
            force: false,
            no_elevate: false,
            elevated_child: false,
        }
    }

    #[test]
    fn without_administrator_rights_nothing_is_touched_and_the_exit_code_is_3() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::online(dir.path().to_path_buf());
        fs::create_dir_all(layout.path(Folder::Catroot2)).unwrap();
        let sys = FakePlatform::new()
            .service("cryptsvc", ServiceState::Running, StartType::Auto)
            .not_elevated();
        let exit = reset_on(
            &clear_catroot2(),
            &sys,
            &layout,
            &Printer::new(true),
            &FakeClock::new(),
        );
        assert_eq!(exit, Exit::NotElevated);
        assert!(layout.path(Folder::Catroot2).exists());
        assert!(sys.requests().is_empty(), "{:?}", sys.requests());
    }

    #[test]
    fn without_rights_a_person_is_asked_through_an_elevated_copy_and_nobody_else_is() {
        let unelevated = || {
            FakePlatform::new()
                .service("cryptsvc", ServiceState::Running, StartType::Auto)
                .not_elevated()
        };
        let text = Printer::new(false);
        // A person at a console: one elevated copy, whose exit code becomes ours.
        for (code, exit) in [(0, Exit::Ok), (1, Exit::Failed), (4, Exit::Refused)] {
            let sys = unelevated().elevated_copy_exits_with(code);
            assert_eq!(
                without_rights(&Relaunch::reset(&clear_catroot2()), &sys, &text, true),
                exit
            );
            let relaunches = sys.relaunches();
            assert_eq!(relaunches.len(), 1);
            // The same reset, marked as the elevated copy, with a file for its report.
            assert_eq!(
                relaunches[0][..6],
                [
                    "reset",
                    "--method",
                    "clear",
                    "--only",
                    "catroot2",
                    "--timeout"
                ]
            );
            assert!(
                relaunches[0].ends_with(&[
                    "--elevated-child".to_string(),
                    "--report-file".to_string(),
                    std::env::temp_dir()
                        .join(format!("wufix-report-{}.txt", std::process::id()))
                        .display()
                        .to_string(),
                ])
            );
            assert!(sys.requests().is_empty(), "this process touches nothing");
        }
        // The prompt declined: exit 3, nothing touched, not asked again.
        let sys = unelevated();
        assert_eq!(
            without_rights(&Relaunch::reset(&clear_catroot2()), &sys, &text, true),
            Exit::NotElevated
        );
        assert_eq!(sys.relaunches().len(), 1);
        // Nobody to answer a prompt, or told not to, or already the elevated copy: exit 3 at once.
        let mut no_elevate = clear_catroot2();
        no_elevate.no_elevate = true;
        let mut child = clear_catroot2();
        child.elevated_child = true;
        let cases = [
            (clear_catroot2(), Printer::new(true), true),
            (clear_catroot2(), Printer::new(false), false),
            (no_elevate, Printer::new(false), true),
            (child, Printer::new(false), true),
        ];
        for (req, printer, can_ask) in cases {
            let sys = unelevated().elevated_copy_exits_with(0);
            assert_eq!(
                without_rights(&Relaunch::reset(&req), &sys, &printer, can_ask),
                Exit::NotElevated
            );
            assert!(sys.relaunches().is_empty(), "{req:?}");
        }
    }

    /// A journal as a reset killed mid-way leaves it: `service` (running before) stopped.
    fn killed_run(layout: &Layout, service: &str) -> journal::Store {
        let store = journal::Store::for_windows(&layout.windows_dir, Mode::Online);
        let mut journal = store
            .create(journal::Start {
                version: journal::VERSION,
                started: "2026-11-26T10:00:00Z".into(),
                command: "reset".into(),
                mode: Mode::Online,
                windows_dir: layout.windows_dir.display().to_string(),
                pid: 1,
                services_before: vec![journal::ServiceBefore {
                    name: service.into(),
                    state: Some(ServiceState::Running),
                    start_type: Some(StartType::Demand),
                }],
                undoes: None,
            })
            .unwrap();
        let stop = journal::Change::StopService {
            name: service.into(),
        };
        journal
            .write(&journal::Record::Intent {
                change: stop.clone(),
            })
            .unwrap();
        journal
            .write(&journal::Record::Outcome {
                change: stop,
                ok: true,
                detail: String::new(),
            })
            .unwrap();
        store
    }

    #[test]
    fn a_killed_run_is_shown_and_the_next_reset_starts_what_it_left_stopped_first() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::online(dir.path().join("Windows"));
        fs::create_dir_all(layout.path(Folder::Catroot2)).unwrap();
        let store = killed_run(&layout, "wuauserv");
        let sys = FakePlatform::new()
            .service("wuauserv", ServiceState::Stopped, StartType::Demand)
            .service("cryptsvc", ServiceState::Running, StartType::Auto);

        let view = recovery::view(&store, &sys);
        let interrupted = view.interrupted.expect("shown as interrupted");
        assert_eq!(interrupted.services_stopped, ["wuauserv"]);
        assert_eq!(view.last_run.unwrap().outcome, "interrupted");

        let exit = reset_on(
            &clear_catroot2(),
            &sys,
            &layout,
            &Printer::new(true),
            &FakeClock::new(),
        );
        assert_eq!(exit, Exit::Ok);
        // Recovery came first, before any stop.
        assert_eq!(sys.requests()[0], "start wuauserv", "{:?}", sys.requests());
        assert_eq!(sys.state("wuauserv"), ServiceState::Running);
        // The killed run is marked recovered; this run finished.
        let listing = store.list().unwrap();
        assert!(listing.runs.iter().all(|r| !r.interrupted()));
        assert_eq!(
            recovery::view(&store, &sys).last_run.unwrap().outcome,
            "finished"
        );
    }

    #[test]
    fn a_journal_cannot_make_recovery_start_a_service_wufix_does_not_manage() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::online(dir.path().join("Windows"));
        let store = killed_run(&layout, "RemoteRegistry");
        let sys =
            FakePlatform::new().service("RemoteRegistry", ServiceState::Stopped, StartType::Demand);
        let listing = store.list().unwrap();
        let steps = recovery::recover(
            &store,
            &listing,
            &sys,
            &FakeClock::new(),
            Duration::from_secs(5),
            "reset",
        );
        assert!(steps.is_empty(), "{steps:?}");
        assert!(sys.requests().is_empty(), "{:?}", sys.requests());
    }

    #[test]
    fn a_lock_held_for_an_instant_by_a_status_run_is_waited_for() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::online(dir.path().to_path_buf());
        fs::create_dir_all(layout.path(Folder::Catroot2)).unwrap();
        let sys = FakePlatform::new()
            .service("cryptsvc", ServiceState::Running, StartType::Auto)
            .locked_for(3);
        let exit = reset_on(
            &clear_catroot2(),
            &sys,
            &layout,
            &Printer::new(true),
            &FakeClock::new(),
        );
        assert_eq!(exit, Exit::Ok);
    }

    #[test]
    fn while_another_reset_runs_nothing_is_touched_and_the_exit_code_is_1() {
        let dir = tempfile::tempdir().unwrap();
        let layout = Layout::online(dir.path().to_path_buf());
        fs::create_dir_all(layout.path(Folder::Catroot2)).unwrap();
        let sys = FakePlatform::new()
            .service("cryptsvc", ServiceState::Running, StartType::Auto)
            .locked();
        let mut req = clear_catroot2();
        let exit = reset_on(&req, &sys, &layout, &Printer::new(true), &FakeClock::new());
        assert_eq!(exit, Exit::Failed);
        assert!(layout.path(Folder::Catroot2).exists());
        assert!(sys.requests().is_empty(), "{:?}", sys.requests());
        // A dry run needs no lock.
        req.dry_run = true;
        assert_eq!(
            reset_on(&req, &sys, &layout, &Printer::new(true), &FakeClock::new()),
            Exit::Ok
        );
    }
}
