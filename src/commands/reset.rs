//! `wufix reset`: stop the update services, set the folders aside (or clear them), start the
//! services again. The skeleton (rights, gate, question, lock, recovery, journal) is the
//! session's; this file holds the plan, the report and the restart offer.

use super::rights::Relaunch;
use super::session::{self, Acting, AdminCommand, Gate, Prepared, Refused, Session, Settings};
use crate::exit::Exit;
use crate::machine::Mode;
use crate::plan::Plan;
use crate::record::StepRecord;
use crate::report::{ResetReport, ServicesReport};
use crate::request::ResetRequest;

pub fn run(req: &ResetRequest, s: &Session) -> Exit {
    session::run(&mut Reset { req, done: None }, s)
}

struct Reset<'r> {
    req: &'r ResetRequest,
    /// The report of a reset that ran, for the restart offer after.
    done: Option<ResetReport>,
}

impl Reset<'_> {
    fn plan(&self, s: &Session) -> Plan {
        Plan::build(self.req, s.layout, s.machine.sys, jiff::Timestamp::now())
    }
}

impl AdminCommand for Reset<'_> {
    fn settings(&self) -> Settings {
        Settings {
            name: "reset",
            dry_run: self.req.dry_run,
            assume_yes: self.req.assume_yes,
            force: self.req.force,
            timeout: self.req.timeout,
            gated: true,
            hives: None,
        }
    }

    fn relaunch(&self) -> Relaunch {
        Relaunch {
            command: "reset",
            args: self.req.to_args(),
            no_elevate: self.req.no_elevate,
            elevated_child: self.req.elevated_child,
        }
    }

    fn refused(&mut self, s: &Session, refused: Refused, _recovered: Vec<StepRecord>) {
        s.printer.reset(&refused_report(self.req, s, refused));
    }

    fn prepare(&mut self, s: &Session, gate: &Gate) -> Prepared {
        if self.req.dry_run {
            let mut report = self.plan(s).preview();
            report.servicing = gate.checks.clone();
            report.forced = gate.forced;
            s.printer.reset(&report);
            return Prepared::Done(Exit::of(report.ok));
        }
        if self.req.assume_yes {
            return Prepared::Go;
        }
        Prepared::Ask {
            plan: self.plan(s).describe(),
            question: "Proceed?",
        }
    }

    fn act(&mut self, cx: &mut Acting) -> Exit {
        let s = cx.session;
        let plan = self.plan(s);
        // The stop phase is silent until the first service has stopped, which can take a while.
        let stopping = plan.services_to_stop();
        if !stopping.is_empty() {
            s.printer.note(&format!(
                "stopping {} (waiting up to {} s)...",
                stopping.join(", "),
                plan.timeout.as_secs()
            ));
        }
        // Every change is written down before it is made; without a journal, nothing is changed.
        let mut report = match cx.run_journaled("reset", &plan, None, |_| Vec::new()) {
            Ok(report) => report,
            Err(exit) => return exit,
        };
        report.servicing = std::mem::take(&mut cx.gate.checks);
        report.forced = cx.gate.forced;
        let recovered = std::mem::take(&mut cx.recovered.steps);
        if !recovered.is_empty() {
            report.ok &= recovered
                .iter()
                .all(|r| r.outcome != crate::record::Outcome::Failed);
            report.steps.splice(0..0, recovered);
        }
        s.printer.reset(&report);
        let exit = Exit::of(report.ok);
        self.done = Some(report);
        exit
    }

    /// The standard procedure ends with a restart: offer it to a person who is there and did not
    /// ask for one already (`--reboot`) nor for no questions (`--yes`).
    fn after(&mut self, s: &Session, exit: Exit) {
        let Some(report) = &self.done else {
            return;
        };
        if exit == Exit::Ok
            && report.reboot_recommended
            && !self.req.reboot
            && report.mode == Mode::Online
        {
            s.offer_restart(self.req.assume_yes);
        }
    }
}

/// A report for a reset refused before anything was touched.
fn refused_report(req: &ResetRequest, s: &Session, refused: Refused) -> ResetReport {
    let mut report = bare_report("reset", s, Vec::new());
    report.ok = false;
    report.method = req.method;
    report.dry_run = req.dry_run;
    report.servicing = refused.checks;
    report.message = format!("Refused; nothing was changed. {}", refused.refusal.reason);
    report.refused = Some(refused.refusal);
    report
}

/// A report of steps taken outside a plan (recovery alone), or of none.
/// `--not-within` held this reset back: its report says so, nothing else in it.
pub fn report_held_back(s: &Session, message: String) {
    let mut report = bare_report("reset", s, Vec::new());
    report.message = message;
    s.printer.reset(&report);
}

pub fn bare_report(command: &'static str, s: &Session, steps: Vec<StepRecord>) -> ResetReport {
    ResetReport {
        ok: true,
        command,
        mode: s.mode,
        windows_dir: s.layout.windows_dir.display().to_string(),
        method: crate::request::Method::Rename,
        dry_run: false,
        steps,
        services: (s.mode == crate::machine::Mode::Online).then(ServicesReport::default),
        backups: Vec::new(),
        journal: None,
        servicing: Vec::new(),
        message: String::new(),
        refused: None,
        forced: false,
        reboot_recommended: false,
    }
}
