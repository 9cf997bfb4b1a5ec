//! The engine's service steps: stopping what the plan stops under the one stop budget (written
//! down first; a stop the journal cannot record is not sent), stopping guards found running again
//! right before their folder, and starting everything again at the end.

use super::Run;
use crate::catalog::GuardKind;
use crate::journal::Op;
use crate::plan::{FolderStep, ServiceAction, ServiceActionKind};
use crate::record::{Action, Outcome, StepRecord};
use crate::services;
use crate::sys::ServiceState;

/// Why a batch of services is being stopped.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pass {
    /// The stop step at the start.
    First,
    /// Right before a folder: guards found running (or starting, or stopping) again.
    BeforeFolder,
}

impl Run<'_> {
    pub(super) fn stop_services(&mut self, actions: &[ServiceAction]) {
        let mut to_stop = Vec::new();
        for action in actions {
            let why = match &action.kind {
                ServiceActionKind::Stop { .. } => {
                    to_stop.push(action.name.clone());
                    None
                }
                ServiceActionKind::Unknown(err) => Some(format!("cannot query it: {err}")),
                ServiceActionKind::Protected => Some("launch-protected".to_string()),
                ServiceActionKind::Blocked { by } => {
                    Some(format!("{by}, launch-protected, depends on it and runs"))
                }
                ServiceActionKind::Absent | ServiceActionKind::NotRunning(_) => None,
            };
            if let Some(why) = why {
                self.unstoppable.push((action.name.clone(), why));
            }
            if let Some(record) = action.skip_record() {
                self.push(record);
            }
        }
        self.stop(&to_stop, Pass::First);
    }

    /// Stop `names` under what is left of the stop budget, and record each.
    fn stop(&mut self, names: &[String], pass: Pass) {
        if names.is_empty() {
            return;
        }
        // Written down first; a stop the journal could not record is not sent.
        let mut announced = Vec::new();
        for name in names {
            match self.journal.intent(&Op::StopService { name: name.clone() }) {
                Ok(()) => announced.push(name.clone()),
                Err(why) => {
                    self.unstoppable.push((name.clone(), why.clone()));
                    self.push(StepRecord::new(
                        Action::StopService,
                        name,
                        Outcome::Failed,
                        format!("{why}; not stopped"),
                    ));
                }
            }
        }
        let names = &announced[..];
        let began = self.machine.clock.now();
        let (results, pending) =
            services::stop_all_pending(self.machine, names, self.stop_budget, self.meter);
        self.pending_stops.extend(pending);
        let spent = self.machine.clock.now().saturating_duration_since(began);
        self.stop_budget = self.stop_budget.saturating_sub(spent);
        for driven in results {
            let name = driven.name;
            self.journal.outcome(
                &Op::StopService { name: name.clone() },
                driven.result.is_ok(),
                driven.result.as_ref().err().map_or("", |e| e.as_str()),
            );
            let record = match driven.result {
                Ok(took) => {
                    let secs = took.as_secs_f64();
                    let detail = match (pass, self.stopped.contains(&name), driven.requested) {
                        (Pass::First, _, _) => format!("stopped in {secs:.1} s"),
                        (Pass::BeforeFolder, _, false) => {
                            format!(
                                "was stopping; waited {secs:.1} s until it stopped, before touching its folder"
                            )
                        }
                        (Pass::BeforeFolder, true, true) => format!(
                            "started again since (by a trigger or another service); stopped again in {secs:.1} s"
                        ),
                        (Pass::BeforeFolder, false, true) => format!(
                            "was not running at the start, started since (by a trigger or another service); stopped in {secs:.1} s before touching its folder"
                        ),
                    };
                    if !self.stopped.contains(&name) {
                        self.stopped.push(name.clone());
                    }
                    StepRecord::new(Action::StopService, &name, Outcome::Done, detail).took(took)
                }
                Err(why) => {
                    let record = match self.plan.guard_kind(&name) {
                        Some(GuardKind::BestEffort) => StepRecord::new(
                            Action::StopService,
                            &name,
                            Outcome::Skipped,
                            format!("{why}; it only helps, so its folder is still attempted"),
                        ),
                        // msiserver, a dependent: no folder waits on it. What depends on it
                        // shows in its parent's own stop.
                        None => StepRecord::new(
                            Action::StopService,
                            &name,
                            Outcome::Skipped,
                            format!("{why}; no folder depends on it, so the reset goes on"),
                        ),
                        Some(GuardKind::Hard) => {
                            StepRecord::new(Action::StopService, &name, Outcome::Failed, &why)
                        }
                    };
                    self.unstoppable.push((name, why));
                    record
                }
            };
            self.push(record);
        }
    }

    /// Query every installed guard of `step` again and stop (or wait out) any that is not
    /// stopped. Returns the hard guards that are still not stopped, each with why.
    pub(super) fn ensure_guards_stopped(&mut self, step: &FolderStep) -> Vec<String> {
        let mut to_stop = Vec::new();
        let mut blockers = Vec::new();
        for guard in &step.guards {
            let hard = guard.kind == GuardKind::Hard;
            if let Some(why) = self.unstoppable_reason(guard.name) {
                if hard {
                    blockers.push(format!("{} ({why})", guard.name));
                }
                continue;
            }
            match self.machine.sys.query_service(guard.name) {
                Ok(None) => {}
                Err(err) if hard => {
                    blockers.push(format!("{} (cannot query it: {err})", guard.name))
                }
                Err(_) => {}
                Ok(Some(info)) if services::is_protected(guard.name, &info) => {
                    if hard {
                        blockers.push(format!("{} (launch-protected)", guard.name));
                    }
                }
                Ok(Some(info)) if info.status.state == ServiceState::Stopped => {}
                Ok(Some(_)) => to_stop.push(guard.name.to_string()),
            }
        }
        self.stop(&to_stop, Pass::BeforeFolder);
        for name in &to_stop {
            let hard = step
                .guards
                .iter()
                .any(|g| g.kind == GuardKind::Hard && g.name == name);
            if let (true, Some(why)) = (hard, self.unstoppable_reason(name)) {
                blockers.push(format!("{name} ({why})"));
            }
        }
        blockers
    }

    pub(super) fn start_services(&mut self, names: &[String]) {
        // Putting services back is never held up by the journal: a failed write only loses the
        // note (recovery then finds them running, which is what it wants).
        for name in names {
            let _ = self
                .journal
                .intent(&Op::StartService { name: name.clone() });
        }
        let results = services::start_all_after(
            self.machine,
            names,
            self.plan.timeout,
            self.meter,
            std::mem::take(&mut self.pending_stops),
        );
        for driven in results {
            self.journal.outcome(
                &Op::StartService {
                    name: driven.name.clone(),
                },
                driven.result.is_ok(),
                driven.result.as_ref().err().map_or("", |e| e.as_str()),
            );
            let record = match driven.result {
                // Running without being asked: it never stopped (it would not, or the run was
                // interrupted first), or something else started it again.
                Ok(_) if !driven.requested => StepRecord::new(
                    Action::StartService,
                    &driven.name,
                    Outcome::Skipped,
                    "already running; nothing to start",
                ),
                Ok(took) => StepRecord::new(
                    Action::StartService,
                    &driven.name,
                    Outcome::Done,
                    format!("running again after {:.1} s", took.as_secs_f64()),
                )
                .took(took),
                Err(why) => {
                    StepRecord::new(Action::StartService, &driven.name, Outcome::Failed, why)
                }
            };
            self.push(record);
        }
    }
}
