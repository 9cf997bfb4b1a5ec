//! The services of a plan: what the first step does with each (stop it, leave it, or say why it
//! cannot), the running dependents that must stop first, and the services started again at the
//! end.

use super::Step;
use crate::catalog::GuardKind;
use crate::record::{Action, Outcome, StepRecord};
use crate::services::{ServiceSnapshot, snapshot};
use crate::sys::{Platform, ServiceState};

#[derive(Clone, Debug)]
pub struct ServiceAction {
    pub name: String,
    pub kind: ServiceActionKind,
    /// How much a folder being reset depends on it; `None` for msiserver and dependents.
    pub guards: Option<GuardKind>,
}

#[derive(Clone, Debug)]
pub enum ServiceActionKind {
    /// Running: stop it, and start it again at the end.
    Stop { dependent_of: Option<String> },
    /// Not installed on this machine.
    Absent,
    /// Already stopped (or stopping): leave it, and leave it stopped.
    NotRunning(ServiceState),
    /// Could not be queried: the folders it guards are left alone.
    Unknown(String),
    /// Launch-protected: Windows refuses every program's STOP, so none is sent.
    Protected,
    /// Running, and a launch-protected service that depends on it runs too, so it cannot stop.
    Blocked { by: String },
}

/// Running dependents must stop first (Windows refuses otherwise) and start again after. A
/// launch-protected dependent cannot be stopped by anyone, so neither can its parent: the parent is
/// marked blocked, and none of its dependents is stopped for nothing.
pub(super) fn add_dependents(
    sys: &dyn Platform,
    actions: &mut Vec<ServiceAction>,
    services_before: &mut Vec<ServiceSnapshot>,
) {
    let parents: Vec<String> = actions
        .iter()
        .filter(|a| matches!(a.kind, ServiceActionKind::Stop { .. }))
        .map(|a| a.name.clone())
        .collect();
    for parent in parents {
        let mut snaps = Vec::new();
        for dependent in sys.active_dependents(&parent).unwrap_or_default() {
            let known = services_before
                .iter()
                .chain(&snaps)
                .any(|s| s.name.eq_ignore_ascii_case(&dependent));
            if !known {
                snaps.push(snapshot(sys, std::slice::from_ref(&dependent)).remove(0));
            }
        }
        let protected = snaps.iter().find(|s| s.protected).map(|s| s.name.clone());
        if let Some(by) = &protected {
            if let Some(action) = actions.iter_mut().find(|a| a.name == parent) {
                action.kind = ServiceActionKind::Blocked { by: by.clone() };
            }
        }
        for snap in snaps {
            let kind = match (&protected, action_for(&snap)) {
                (None, ServiceActionKind::Stop { .. }) => ServiceActionKind::Stop {
                    dependent_of: Some(parent.clone()),
                },
                // The parent stays up anyway: leave its other dependents running too.
                (Some(_), ServiceActionKind::Stop { .. }) => {
                    ServiceActionKind::NotRunning(ServiceState::Running)
                }
                (_, other) => other,
            };
            actions.push(ServiceAction {
                name: snap.name.clone(),
                kind,
                guards: None,
            });
            services_before.push(snap);
        }
    }
}

/// The services the run stops, which it starts again at the end.
pub(super) fn restart_list(steps: &[Step]) -> Vec<String> {
    steps
        .iter()
        .filter_map(|step| match step {
            Step::StopServices(actions) => Some(actions),
            _ => None,
        })
        .flatten()
        .filter(|a| matches!(a.kind, ServiceActionKind::Stop { .. }))
        .map(|a| a.name.clone())
        .collect()
}

pub(super) fn action_for(snap: &ServiceSnapshot) -> ServiceActionKind {
    match (&snap.error, snap.exists, snap.state) {
        (Some(err), _, _) => ServiceActionKind::Unknown(err.clone()),
        (None, false, _) => ServiceActionKind::Absent,
        (None, true, Some(state)) if state.is_active() && snap.protected => {
            ServiceActionKind::Protected
        }
        (None, true, Some(state)) if state.is_active() => {
            ServiceActionKind::Stop { dependent_of: None }
        }
        (None, true, state) => {
            ServiceActionKind::NotRunning(state.unwrap_or(ServiceState::Stopped))
        }
    }
}

impl ServiceAction {
    /// The report line for a service that is not stopped: the same in a plan and in a run.
    pub fn skip_record(&self) -> Option<StepRecord> {
        let hard = self.guards == Some(GuardKind::Hard);
        let (outcome, detail) = match &self.kind {
            ServiceActionKind::Stop { .. } => return None,
            ServiceActionKind::Absent => (
                Outcome::Skipped,
                "not installed on this machine".to_string(),
            ),
            ServiceActionKind::NotRunning(ServiceState::Running) => (
                Outcome::Skipped,
                "left running: the service it depends on cannot stop".to_string(),
            ),
            ServiceActionKind::NotRunning(ServiceState::StopPending) => (
                Outcome::Skipped,
                "already stopping; waited out before its folder is touched".to_string(),
            ),
            ServiceActionKind::NotRunning(state) => (
                Outcome::Skipped,
                format!("already {}; left as it is", state.as_str()),
            ),
            ServiceActionKind::Unknown(err) => (Outcome::Failed, format!("cannot query it: {err}")),
            ServiceActionKind::Protected => {
                let why =
                    "launch-protected: Windows lets no program stop it, so wufix does not try";
                if hard {
                    (
                        Outcome::Failed,
                        format!("{why}; the folder it guards is left untouched"),
                    )
                } else {
                    (Outcome::Skipped, format!("{why}; left running"))
                }
            }
            ServiceActionKind::Blocked { by } => {
                let why = format!(
                    "cannot stop while {by} runs: {by} depends on it and is launch-protected (it runs where AppLocker is used)"
                );
                if hard {
                    (
                        Outcome::Failed,
                        format!("{why}; the folder it guards is left untouched"),
                    )
                } else {
                    (Outcome::Skipped, format!("{why}; left running"))
                }
            }
        };
        Some(StepRecord::new(
            Action::StopService,
            &self.name,
            outcome,
            detail,
        ))
    }
}
