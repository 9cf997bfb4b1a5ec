//! `wufix repair`, from a validated request to an exit code: the same rights, servicing gate,
//! question, lock, recovery and journal as a reset; then each rung of the ladder as an engine
//! run, a scan after it, and a stop at the first rung after which Windows Update works.

use std::sync::atomic::Ordering;
use std::time::Duration;

use super::managed;
use super::report::{RepairReport, RungReport, ScanReport, StartReport};
use super::rung::{Blocked, Rung, Stage, Start, ladder};
use super::steps::{self, Options};
use crate::clock::Clock;
use crate::diagnose;
use crate::explain;
use crate::folders::Layout;
use crate::plan::{Plan, Step};
use crate::printer::{NotInteractive, Printer};
use crate::report::{Action, Mode, Outcome, StepRecord};
use crate::request::{Origin, RepairRequest};
use crate::sys::{self, Platform};
use crate::{Exit, NOT_INTERACTIVE, engine, journal, servicing};

/// How long a Windows Update scan may take before it counts as failed.
pub const SCAN_TIMEOUT: Duration = Duration::from_secs(600);

/// Services the full rung stops, as Microsoft's procedure does before it touches the agent's
/// registration: usosvc first, as it restarts wuauserv.
const FULL_SERVICES: &[&str] = &["usosvc", "wuauserv", "bits", "cryptsvc"];

pub fn repair_on(
    req: &RepairRequest,
    sys: &dyn Platform,
    layout: &Layout,
    printer: &Printer,
    clock: &dyn Clock,
) -> Exit {
    let (exit, report) = repair(req, sys, layout, printer, clock);
    if let Some(report) = report {
        printer.repair(&report);
        if exit == Exit::Ok && !report.dry_run && report.reboot_recommended {
            crate::offer_restart_to(req.assume_yes, sys, printer);
        }
    }
    exit
}

/// The repair itself; the report, when there is one, is for the caller to print.
pub(crate) fn repair(
    req: &RepairRequest,
    sys: &dyn Platform,
    layout: &Layout,
    printer: &Printer,
    clock: &dyn Clock,
) -> (Exit, Option<RepairReport>) {
    if !req.dry_run {
        if let Err(exit) = crate::ensure_rights(&crate::Relaunch::repair(req), sys, printer) {
            return (exit, None);
        }
    }
    let mut report = RepairReport {
        ok: false,
        command: "repair",
        dry_run: req.dry_run,
        windows_dir: layout.windows_dir.display().to_string(),
        start: StartReport::default(),
        up_to: req.up_to,
        verify: req.verify,
        recovered: Vec::new(),
        rungs: Vec::new(),
        fixed_by: None,
        managed: managed::detect(sys),
        servicing: Vec::new(),
        forced: false,
        refused: None,
        logs: ["Logs\\CBS\\CBS.log", "Logs\\DISM\\dism.log"]
            .iter()
            .map(|l| layout.windows_dir.join(l).display().to_string())
            .collect(),
        reboot_recommended: false,
        next_step: None,
        message: String::new(),
    };
    if !gate(req, layout, sys, &mut report) {
        return (Exit::Refused, Some(report));
    }
    let start = choose_start(req, layout, sys, &mut report.start);
    let stages = match ladder(start, req.up_to, req.network) {
        Ok(stages) => stages,
        Err(blocked) => {
            let (message, next) = blocked_text(&blocked, &report.start, req);
            report.message = message;
            report.next_step = next;
            return (Exit::Failed, Some(report));
        }
    };
    let plans: Vec<Plan> = stages
        .iter()
        .map(|s| stage_plan(s, req, layout, sys))
        .collect();
    if req.dry_run {
        for (stage, plan) in stages.iter().zip(&plans) {
            report
                .rungs
                .push(RungReport::new(stage, described(plan), Vec::new()));
        }
        report.ok = report.rungs.iter().all(|r| r.ok);
        report.message = format!(
            "Dry run: nothing was changed. The repair would start at the {} rung{}.",
            stages[0].rung.as_str(),
            if req.verify {
                " and climb only while a Windows Update scan still fails"
            } else {
                " and run every rung shown (--no-verify)"
            }
        );
        let exit = if report.ok { Exit::Ok } else { Exit::Failed };
        return (exit, Some(report));
    }
    if !req.assume_yes {
        let shown: Vec<StepRecord> = plans.iter().flat_map(described).collect();
        let question = if req.verify && stages.len() > 1 {
            "Proceed? (each rung runs only if Windows Update still fails after the one before)"
        } else {
            "Proceed?"
        };
        match printer.confirm(&shown, question) {
            Ok(true) => {}
            Ok(false) => {
                printer.error("repair", "cancelled; nothing was changed");
                return (Exit::Failed, None);
            }
            Err(NotInteractive) => {
                printer.error("repair", &NOT_INTERACTIVE.replace("reset", "repair"));
                return (Exit::Usage, None);
            }
        }
    }
    let _lock = match crate::take_lock("repair", sys, printer, clock) {
        Ok(lock) => lock,
        Err(exit) => return (exit, None),
    };
    let store = journal::Store::for_windows(&layout.windows_dir, Mode::Online);
    report.recovered =
        crate::recover_first(&store, sys, clock, req.timeout, printer, "repair").steps;
    // What the prompt showed may be stale: check again, now that the lock is held.
    if !gate(req, layout, sys, &mut report) {
        return (Exit::Refused, Some(report));
    }
    // The services as they are now, not as the prompt saw them: recovery trusts this record.
    let plans: Vec<Plan> = stages
        .iter()
        .map(|s| stage_plan(s, req, layout, sys))
        .collect();
    // One journal for the whole repair, so one `undo` reverses all of it.
    let mut start_record = crate::journal_start("repair", &plans[0], None);
    for plan in &plans[1..] {
        for extra in crate::journal_start("repair", plan, None).services_before {
            if !start_record
                .services_before
                .iter()
                .any(|s| s.name.eq_ignore_ascii_case(&extra.name))
            {
                start_record.services_before.push(extra);
            }
        }
    }
    let mut journal = match store.create(start_record) {
        Ok(journal) => journal,
        Err(err) => {
            printer.error(
                "repair",
                &format!(
                    "cannot write the journal in {}: {err}; nothing was changed",
                    store.dir().display()
                ),
            );
            return (Exit::Failed, None);
        }
    };
    let cancel = sys::catch_interrupts(crate::note_interrupted);
    let mut interrupted = false;
    for stage in &stages {
        printer.note(&format!(
            "wufix: the {} rung {}",
            stage.rung.as_str(),
            stage.summary()
        ));
        let plan = stage_plan(stage, req, layout, sys);
        let run = engine::run_hooked(
            &plan,
            sys,
            clock,
            cancel,
            engine::Hooks {
                progress: &mut |record| printer.progress(record),
                meter: printer,
                journal: &mut journal,
            },
        );
        report.reboot_recommended |= run.reboot_recommended
            || run.steps.iter().any(|s| {
                s.outcome == Outcome::Done
                    && matches!(s.action, Action::WinsockReset | Action::Dism | Action::Sfc)
            });
        let mut rung = RungReport::new(stage, run.steps, run.backups);
        interrupted = cancel.load(Ordering::SeqCst);
        if req.verify && !interrupted {
            printer.note(&format!(
                "wufix: asking Windows Update to scan (up to {} minutes)...",
                SCAN_TIMEOUT.as_secs() / 60
            ));
            let scan = match sys.scan_for_updates(SCAN_TIMEOUT, cancel) {
                Ok(scan) => ScanReport::of(&scan),
                Err(err) => ScanReport::failed(err.to_string()),
            };
            interrupted = cancel.load(Ordering::SeqCst);
            printer.note(&format!(
                "wufix: after the {} rung, {}",
                stage.rung.as_str(),
                scan.describe()
            ));
            let fixed = scan.succeeded;
            rung.scan = Some(scan);
            report.rungs.push(rung);
            if fixed {
                report.fixed_by = Some(stage.rung);
                break;
            }
        } else {
            report.rungs.push(rung);
        }
        if interrupted {
            break;
        }
    }
    let steps_ok = report.rungs.iter().all(|r| r.ok)
        && report
            .recovered
            .iter()
            .all(|r| r.outcome != Outcome::Failed);
    report.ok = !interrupted
        && if req.verify {
            report.fixed_by.is_some()
        } else {
            steps_ok
        };
    let _ = journal.write(&journal::Record::Finished {
        at: jiff::Timestamp::now().to_string(),
        ok: steps_ok && !interrupted,
    });
    sys::interrupts_finished();
    conclude(req, &stages, interrupted, &mut report);
    let exit = if report.ok { Exit::Ok } else { Exit::Failed };
    (exit, Some(report))
}

/// A stage's plan as the dry run and the question show it: each step that would change
/// something beyond stopping and starting services, with its risk.
fn described(plan: &Plan) -> Vec<StepRecord> {
    plan.describe()
        .into_iter()
        .map(|r| {
            let services = matches!(r.action, Action::StopService | Action::StartService);
            if r.outcome == Outcome::Planned && !services {
                let risk = steps::risk_of(r.action);
                r.with_risk(risk)
            } else {
                r
            }
        })
        .collect()
}

/// The servicing gate of a reset: `false` when it refuses (the report says why).
fn gate(
    req: &RepairRequest,
    layout: &Layout,
    sys: &dyn Platform,
    report: &mut RepairReport,
) -> bool {
    let checks = servicing::check(layout, sys, Mode::Online);
    let refusal = servicing::refusal(&checks);
    report.servicing = checks;
    match (refusal, req.force) {
        (Some(refusal), false) => {
            report.message = format!("Refused; nothing was changed. {}", refusal.reason);
            report.refused = Some(refusal);
            false
        }
        (refusal, _) => {
            report.forced = refusal.is_some();
            true
        }
    }
}

/// Where the ladder starts: `--from`, the code of `--for`, or the newest standing failure
/// `diagnose` finds (update events first, then the servicing logs); the lightest rung without one.
fn choose_start(
    req: &RepairRequest,
    layout: &Layout,
    sys: &dyn Platform,
    out: &mut StartReport,
) -> Start {
    let (start, code, why) = match &req.origin {
        Origin::Rung(rung) => (Start::At(*rung), None, format!("--from {}", rung.as_str())),
        Origin::Code(_, code) => match explain::rungs::start_for(*code) {
            Some(start) => (start, Some(*code), "--for".to_string()),
            None => (
                Start::At(Rung::Light),
                Some(*code),
                "--for names a code wufix has no rung for: starting at the lightest".to_string(),
            ),
        },
        Origin::Evidence => {
            let found = diagnose::diagnose(layout, sys, Mode::Online)
                .findings
                .into_iter()
                .filter(|f| f.severity >= diagnose::Severity::Warn)
                .find_map(|f| f.code.map(|c| (c, f.summary)));
            match found {
                Some((code, summary)) => match explain::rungs::start_for(code) {
                    Some(start) => (
                        start,
                        Some(code),
                        format!("the newest failure diagnose finds: {summary}"),
                    ),
                    None => (
                        Start::At(Rung::Light),
                        Some(code),
                        format!(
                            "the newest failure diagnose finds ({summary}) has no rung of its own: starting at the lightest"
                        ),
                    ),
                },
                None => (
                    Start::At(Rung::Light),
                    None,
                    "diagnose finds no recent failure with a code: starting at the lightest rung"
                        .to_string(),
                ),
            }
        }
    };
    // Most often a full System Reserved/EFI partition, which no rung frees: said up front.
    let why = if code.map(explain::lookup_value) == Some(0x800F_0922) {
        format!(
            "{why}; first make sure the System Reserved/EFI partition has free space (its most common cause, which DISM does not fix: `wufix explain 0x800F0922`)"
        )
    } else {
        why
    };
    *out = StartReport {
        rung: start.as_str(),
        code: code.map(|c| format!("0x{c:08X}")),
        why,
    };
    start
}

fn blocked_text(
    blocked: &Blocked,
    start: &StartReport,
    req: &RepairRequest,
) -> (String, Option<String>) {
    let code = start.code.clone().unwrap_or_default();
    let repeat = |extra: &str| match &req.origin {
        Origin::Code(..) | Origin::Evidence if !code.is_empty() => {
            format!("wufix repair --for {code}{extra}")
        }
        _ => format!("wufix repair{extra}"),
    };
    match blocked {
        Blocked::Manual(fix) => (
            format!("Nothing was changed: {code} is not something wufix repairs."),
            Some(fix.to_string()),
        ),
        Blocked::NeedsNetwork => (
            format!(
                "Nothing was changed: {code} is a network or proxy failure, which resetting folders does not cure."
            ),
            Some(format!(
                "Check the proxy (`netsh winhttp show proxy`), DNS and the firewall; then `{}` resets Winsock and the WinHTTP proxy (it can break VPN clients; the proxy is saved for undo).",
                repeat(" --network")
            )),
        ),
        Blocked::AboveCap { start: rung, cap } => (
            format!(
                "Nothing was changed: {code} points at the {} rung, above --up-to {}.",
                rung.as_str(),
                cap.as_str()
            ),
            Some(format!(
                "Run `{}`: DISM repairs the component store, then sfc the system files (15 to 60 minutes).",
                repeat(&format!(" --up-to {}", rung.as_str()))
            )),
        ),
    }
}

/// The message and the next step once the ladder has run.
fn conclude(req: &RepairRequest, stages: &[Stage], interrupted: bool, report: &mut RepairReport) {
    let last = report.rungs.last().map_or(Rung::Light, |r| r.rung);
    if interrupted {
        report.message = "Interrupted: the step under way was finished and the services put back; nothing further was run.".into();
        return;
    }
    if let Some(rung) = report.fixed_by {
        report.message = format!(
            "Fixed: Windows Update scans again after the {} rung. Restart Windows to finish; `wufix undo` reverses what the repair changed.",
            rung.as_str()
        );
        return;
    }
    if !req.verify {
        report.message = if report.ok {
            format!(
                "Done: every rung up to {} ran (not verified: --no-verify). Restart Windows, then check for updates.",
                last.as_str()
            )
        } else {
            "Some steps failed (shown above); the services were put back. `wufix undo` reverses what was changed.".into()
        };
        return;
    }
    let scan_code = report
        .rungs
        .iter()
        .rev()
        .find_map(|r| r.scan.as_ref())
        .and_then(|s| s.code);
    report.message = format!(
        "Not fixed: Windows Update still fails after the {} rung. What the repair changed stays (`wufix undo` reverses it).",
        last.as_str()
    );
    let network = scan_code.and_then(explain::rungs::start_for) == Some(Start::Network);
    report.next_step = Some(if network && !req.network {
        "The scan fails with a network error: check the proxy (`netsh winhttp show proxy`), DNS and the firewall; then try `wufix repair --from full --network`.".into()
    } else if req.up_to < Rung::Deep && stages.iter().all(|s| s.rung < Rung::Deep) {
        "Run `wufix repair --from deep --up-to deep`: DISM repairs the component store, then sfc the system files (15 to 60 minutes).".into()
    } else {
        IN_PLACE.into()
    });
}

/// The last resort, when the ladder is exhausted.
pub const IN_PLACE: &str = "Repair Windows in place, keeping your files and apps: on Windows 11, Settings → System → Recovery → \"Fix problems using Windows Update\" → Reinstall now; or download the installation media of the same Windows version, edition and language from microsoft.com/software-download, open the ISO, run setup.exe and choose \"Keep personal files and apps\".";

/// The plan of one stage, built from a fresh look at the machine.
pub fn stage_plan(stage: &Stage, req: &RepairRequest, layout: &Layout, sys: &dyn Platform) -> Plan {
    let now = jiff::Timestamp::now();
    let mut reset = req.as_reset();
    let opts = Options {
        network: stage.network,
        network_only: stage.network_only,
        source: req.source.clone(),
    };
    let extra: Vec<Step> = steps::build(stage.rung, &opts, sys, &layout.windows_dir)
        .into_iter()
        .map(Step::Repair)
        .collect();
    match stage.rung {
        Rung::Light => Plan::build(&reset, layout, sys, now),
        Rung::Full => {
            reset.folders.clear();
            let services: &[&str] = if stage.network_only {
                &[]
            } else {
                FULL_SERVICES
            };
            Plan::build_with(&reset, layout, sys, now, services, extra)
        }
        Rung::Deep => {
            reset.folders.clear();
            Plan::build_with(&reset, layout, sys, now, &[], extra)
        }
    }
}
