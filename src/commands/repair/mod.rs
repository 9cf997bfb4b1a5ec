//! `wufix repair`: the same skeleton as a reset (the session's rights, servicing gate, question,
//! lock, recovery and journal); then each rung of the ladder as an engine run, a scan after it,
//! and a stop at the first rung after which Windows Update works. One journal for the whole
//! repair, so one `undo` reverses all of it.

mod offline;
mod verify;

use std::time::Duration;

use super::rights::Relaunch;
use super::session::{self, Acting, AdminCommand, Gate, Prepared, Refused, Session, Settings};
use crate::diagnose;
use crate::exit::Exit;
use crate::explain;
use crate::fixes::{self, Options};
use crate::folders::Layout;
use crate::journal;
use crate::known_issues;
use crate::ladder::{Blocked, Rung, Stage, Start, ladder};
use crate::machine::Mode;
use crate::managed;
use crate::plan::{Plan, Step};
use crate::record::{Action, Outcome, StepRecord};
use crate::report::{RepairReport, RungReport, StartReport};
use crate::request::{Origin, RepairRequest};
use crate::sys::Platform;

/// How long a Windows Update scan may take before it counts as failed.
pub const SCAN_TIMEOUT: Duration = Duration::from_secs(600);

/// Services the full rung stops, as Microsoft's procedure does before it touches the agent's
/// registration: usosvc first, as it restarts wuauserv.
const FULL_SERVICES: &[&str] = &["usosvc", "wuauserv", "bits", "cryptsvc"];

pub use offline::{prints_script, run as run_offline};

pub fn run(req: &RepairRequest, s: &Session) -> Exit {
    session::run(&mut Repair::new(req, s), s)
}

/// The repair as it goes: its request, the ladder chosen, and the report that grows.
pub(crate) struct Repair<'r> {
    req: &'r RepairRequest,
    stages: Vec<Stage>,
    pub(crate) report: RepairReport,
}

impl<'r> Repair<'r> {
    pub(crate) fn new(req: &'r RepairRequest, s: &Session) -> Self {
        let report = RepairReport {
            ok: false,
            command: "repair",
            dry_run: req.dry_run,
            windows_dir: s.layout.windows_dir.display().to_string(),
            start: StartReport::default(),
            up_to: req.up_to,
            verify: req.verify,
            recovered: Vec::new(),
            rungs: Vec::new(),
            fixed_by: None,
            managed: managed::detect(s.machine.sys),
            servicing: Vec::new(),
            forced: false,
            refused: None,
            logs: ["Logs\\CBS\\CBS.log", "Logs\\DISM\\dism.log"]
                .iter()
                .map(|l| s.layout.windows_dir.join(l).display().to_string())
                .collect(),
            reboot_recommended: false,
            next_step: None,
            message: String::new(),
            script: Vec::new(),
        };
        Repair {
            req,
            stages: Vec::new(),
            report,
        }
    }

    fn plans(&self, s: &Session) -> Vec<Plan> {
        self.stages
            .iter()
            .map(|stage| stage_plan(stage, self.req, s.layout, s.machine.sys))
            .collect()
    }
}

impl AdminCommand for Repair<'_> {
    fn settings(&self) -> Settings {
        Settings {
            name: "repair",
            dry_run: self.req.dry_run,
            assume_yes: self.req.assume_yes,
            force: self.req.force,
            timeout: self.req.timeout,
            gated: true,
            hives: Some(format!(
                "`wufix repair --windows-dir \"{}\" --dry-run` prints the Windows PE commands that do the same by hand",
                self.report.windows_dir
            )),
        }
    }

    fn relaunch(&self) -> Relaunch {
        Relaunch {
            command: "repair",
            args: self.req.to_args(),
            no_elevate: self.req.no_elevate,
            elevated_child: self.req.elevated_child,
        }
    }

    fn refused(&mut self, s: &Session, refused: Refused, recovered: Vec<StepRecord>) {
        let report = &mut self.report;
        report.servicing = refused.checks;
        report.message = format!("Refused; nothing was changed. {}", refused.refusal.reason);
        report.refused = Some(refused.refusal);
        report.recovered = recovered;
        s.printer.repair(report);
    }

    fn prepare(&mut self, s: &Session, gate: &Gate) -> Prepared {
        let req = self.req;
        self.report.servicing = gate.checks.clone();
        self.report.forced = gate.forced;
        let start = choose_start(req, s.layout, s.machine.sys, &mut self.report.start);
        // Residue the evidence found blocks everything above it: that rung alone, unless
        // `--up-to` asks for more.
        let cap = if start == Start::At(Rung::Residue)
            && matches!(req.origin, Origin::Evidence)
            && !req.up_to_given
        {
            Rung::Residue
        } else {
            req.up_to
        };
        self.report.up_to = cap;
        self.stages = match ladder(start, cap, req.network) {
            Ok(stages) => stages,
            Err(blocked) => {
                let (message, next) = blocked_text(&blocked, &self.report.start, req);
                self.report.message = message;
                self.report.next_step = next;
                s.printer.reason(crate::exit::Reason::NotFixed);
                s.printer.repair(&self.report);
                return Prepared::Done(Exit::Failed);
            }
        };
        let plans = self.plans(s);
        if req.dry_run {
            let report = &mut self.report;
            for (stage, plan) in self.stages.iter().zip(&plans) {
                report
                    .rungs
                    .push(RungReport::new(stage, described(plan), Vec::new()));
            }
            report.ok = report.rungs.iter().all(|r| r.ok);
            report.message = format!(
                "Dry run: nothing was changed. The repair would start at the {} rung{}.",
                self.stages[0].rung.as_str(),
                if req.verify {
                    " and climb only while a Windows Update scan still fails"
                } else {
                    " and run every rung shown (--no-verify)"
                }
            );
            s.printer.repair(report);
            return Prepared::Done(Exit::of(report.ok));
        }
        if req.assume_yes {
            return Prepared::Go;
        }
        Prepared::Ask {
            plan: plans.iter().flat_map(described).collect(),
            question: if req.verify && self.stages.len() > 1 {
                "Proceed? (each rung runs only if Windows Update still fails after the one before)"
            } else {
                "Proceed?"
            },
        }
    }

    fn act(&mut self, cx: &mut Acting) -> Exit {
        let s = cx.session;
        let req = self.req;
        self.report.recovered = std::mem::take(&mut cx.recovered.steps);
        self.report.servicing = std::mem::take(&mut cx.gate.checks);
        self.report.forced = cx.gate.forced;
        // The services as they are now, not as the question saw them: recovery trusts this
        // record. One journal for the whole repair, so one `undo` reverses all of it.
        let plans = self.plans(s);
        let mut start_record = plans[0].start_record("repair", None);
        for plan in &plans[1..] {
            for extra in plan.start_record("repair", None).services_before {
                if !start_record
                    .services_before
                    .iter()
                    .any(|s| s.name.eq_ignore_ascii_case(&extra.name))
                {
                    start_record.services_before.push(extra);
                }
            }
        }
        let mut journal = match cx.open_journal("repair", start_record) {
            Ok(journal) => journal,
            Err(exit) => return exit,
        };
        let report = &mut self.report;
        let mut interrupted = false;
        for (n, stage) in self.stages.iter().enumerate() {
            s.printer.note(&format!(
                "wufix: the {} rung {}",
                stage.rung.as_str(),
                stage.summary()
            ));
            let plan = stage_plan(stage, req, s.layout, s.machine.sys);
            // The services as this rung finds them (the scan after the last one may have started
            // some, and a rung may have set a start type): what recovery starts again, and with
            // which start type, if the repair is killed in this rung.
            if n > 0 {
                let services = plan.start_record("repair", None).services_before;
                if let Err(err) = journal.write(&journal::Record::Services { services }) {
                    s.printer.error(
                        "repair",
                        &format!("cannot write the journal ({err}); the later rungs are not run"),
                    );
                    interrupted = true;
                    break;
                }
            }
            let run = cx.run(&plan, &mut journal);
            report.reboot_recommended |= run.reboot_recommended
                || run.steps.iter().any(|s| {
                    s.outcome == Outcome::Done
                        && matches!(s.action, Action::WinsockReset | Action::Dism | Action::Sfc)
                });
            let mut rung = RungReport::new(stage, run.steps, run.backups);
            interrupted = cx.interrupted();
            if req.verify && !interrupted {
                s.printer.note(&format!(
                    "wufix: asking Windows Update to scan (up to {} minutes)...",
                    SCAN_TIMEOUT.as_secs() / 60
                ));
                let scan = verify::scan(s, n, SCAN_TIMEOUT, cx.cancel());
                interrupted = cx.interrupted();
                s.printer.note(&format!(
                    "wufix: after the {} rung, {}",
                    stage.rung.as_str(),
                    scan.describe()
                ));
                let fixed = scan.succeeded;
                let blind = scan.cannot_verify;
                rung.scan = Some(scan);
                report.rungs.push(rung);
                if fixed {
                    report.fixed_by = Some(stage.rung);
                    break;
                }
                // No scan can be run from here: climbing further would be blind.
                if blind {
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
        let broken = session::finish(&mut journal, steps_ok && !interrupted, Vec::new());
        conclude(req, &self.stages, interrupted, report);
        // A mounted Windows's hives, unloaded before the report says it is done.
        if let Err(why) = s.machine.sys.close_registry() {
            report.message = format!("{} {why}", report.message);
        }
        if let Some(why) = broken {
            report.ok = false;
            report.message = format!("{} {why}", report.message);
        }
        if req.verify && report.fixed_by.is_none() && steps_ok {
            s.printer.reason(if unverified(report) {
                crate::exit::Reason::NotVerified
            } else {
                crate::exit::Reason::NotFixed
            });
        }
        s.printer.repair(report);
        Exit::of(report.ok)
    }

    fn after(&mut self, s: &Session, exit: Exit) {
        if exit == Exit::Ok && !self.report.dry_run && self.report.reboot_recommended {
            s.offer_restart(self.req.assume_yes);
        }
    }
}

/// A stage's plan as the dry run and the question show it: each step that would change
/// something beyond stopping and starting services, with its risk.
fn described(plan: &Plan) -> Vec<StepRecord> {
    plan.describe()
        .into_iter()
        .map(|r| {
            let services = matches!(r.action, Action::StopService | Action::StartService);
            if r.outcome == Outcome::Planned && !services {
                let risk = fixes::risk_of(r.action);
                r.with_risk(risk)
            } else {
                r
            }
        })
        .collect()
}

/// `--not-within` held this repair back: its report says so, no rung in it.
pub fn report_held_back(req: &RepairRequest, s: &Session, message: String) {
    let mut repair = Repair::new(req, s);
    repair.report.ok = true;
    repair.report.message = message;
    s.printer.repair(&repair.report);
}

/// Where a repair from the evidence would start (the menu asks before a long or network repair).
pub fn evidence_start(layout: &Layout, sys: &dyn Platform) -> Start {
    let req = RepairRequest::from_args(crate::request::RepairArgs {
        timeout_secs: crate::request::DEFAULT_TIMEOUT_SECS,
        ..Default::default()
    })
    .expect("the defaults are valid");
    choose_start(&req, layout, sys, &mut StartReport::default())
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
            let findings = diagnose::diagnose(layout, sys, Mode::Online).findings;
            // What a blocker left comes first: nothing above it works while it stands.
            if let Some(residue) = findings.iter().find(|f| {
                (f.id == "residue" || f.facts.rule.as_deref() == Some("service-disabled"))
                    && f.fixed_by.is_some()
            }) {
                let why = format!(
                    "diagnose finds what an update blocker left: {}",
                    residue.summary
                );
                *out = StartReport {
                    rung: Rung::Residue.as_str(),
                    code: None,
                    why,
                };
                return Start::At(Rung::Residue);
            }
            let found = findings
                .into_iter()
                .filter(|f| f.severity >= diagnose::Severity::Warn)
                .find(|f| f.code_value.is_some());
            // Microsoft's known issue: its action, not a rung, is the answer.
            let known = found.as_ref().and_then(|f| {
                let id = f.facts.known_issue.as_deref()?;
                known_issues::table().entries.iter().find(|e| e.id == id)
            });
            let found = found.map(|f| (f.code_value.unwrap_or_default(), f.summary));
            match found {
                Some((code, summary)) if known.is_some() => (
                    Start::Manual(known.map_or("", |k| k.action.text.as_str())),
                    Some(code),
                    format!(
                        "the newest failure diagnose finds is Microsoft's known issue: {summary}"
                    ),
                ),
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
    // 0x800F0922 with a nearly full system partition: no rung frees it, the person does.
    let esp_full = code.map(explain::lookup_value) == Some(0x800F_0922)
        && !matches!(req.origin, Origin::Rung(_))
        && diagnose::system_partition_full(layout, sys);
    let (start, why) = if esp_full {
        (
            Start::Manual(ESP_FULL),
            format!("{why}; the EFI system / System Reserved partition is nearly full"),
        )
    } else {
        (start, why)
    };
    // Most often a full System Reserved/EFI partition, which no rung frees: said up front.
    let why = if code.map(explain::lookup_value) == Some(0x800F_0922) && !esp_full {
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

const ESP_FULL: &str = "Free space in the EFI system / System Reserved partition first: `wufix diagnose` (as administrator) names what fills it and gives Microsoft's steps; DISM and the other rungs do not free it";

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
    if unverified(report) {
        report.message = format!(
            "Not verified: the rungs up to {} ran, but from this network logon no scan could say whether Windows Update works now, so nothing further was run. What the repair changed stays (`wufix undo` reverses it).",
            last.as_str()
        );
        report.next_step = Some("Check for updates on the machine itself, or run `wufix repair` again from a local session (a console, Intune, a scheduled task) to verify and climb further.".into());
        return;
    }
    let scan_code = report
        .rungs
        .iter()
        .rev()
        .find_map(|r| r.scan.as_ref())
        .and_then(|s| s.value);
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

/// Whether the repair stopped because no scan could be run from this logon.
fn unverified(report: &RepairReport) -> bool {
    report
        .rungs
        .last()
        .and_then(|r| r.scan.as_ref())
        .is_some_and(|scan| scan.cannot_verify)
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
    let extra: Vec<Step> = fixes::build(stage.rung, &opts, sys, &layout.windows_dir)
        .into_iter()
        .map(Step::Fix)
        .collect();
    match stage.rung {
        // Registry values only: no service stopped, no folder touched.
        Rung::Residue => {
            reset.folders.clear();
            Plan::build_with(&reset, layout, sys, now, &[], extra)
        }
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

#[cfg(test)]
mod offline_tests;
#[cfg(test)]
mod tests;
