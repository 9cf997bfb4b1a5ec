//! A service's permissions (its DACL) compared with Windows' published default and repaired only
//! where they differ: a default grant missing, a deny entry, or an ordinary account allowed to
//! reconfigure the service. Every other grant is kept.

use super::{Context, Fix};
use crate::journal::Op;
use crate::record::{Action, Outcome, StepRecord};
use crate::sddl;
use crate::sys::SysError;

#[derive(Clone, Debug)]
pub struct ServiceDacl {
    pub service: String,
    /// The DACL seen when the plan was built (or why it could not be read).
    pub seen: Result<String, String>,
}

impl Fix for ServiceDacl {
    fn action(&self) -> Action {
        Action::ServicePermissions
    }

    fn target(&self) -> String {
        self.service.clone()
    }

    fn describe(&self) -> StepRecord {
        match (sddl::default_for(&self.service), &self.seen) {
            (_, Err(why)) => self.record(Outcome::Skipped, why.clone()),
            (None, Ok(live)) => self.record(Outcome::Skipped, no_default(live)),
            (Some(default), Ok(live)) => match sddl::assess(live, default) {
                Err(err) => self.record(
                    Outcome::Failed,
                    format!("cannot read its permissions: {err}"),
                ),
                Ok(a) if !a.differs() => self.record(Outcome::Skipped, MATCHES.into()),
                Ok(a) => self.record(
                    Outcome::Planned,
                    format!(
                        "differs from Windows' default ({}): restore the default grants, keep the others (undo puts the old ones back)",
                        a.describe()
                    ),
                ),
            },
        }
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        let service = self.service.as_str();
        let live = match cx.sys.service_dacl(service) {
            Ok(live) => live,
            Err(SysError::NoSuchService) => {
                return self.record(Outcome::Skipped, "not installed on this machine".into());
            }
            Err(SysError::AccessDenied) => {
                return self.record(Outcome::Failed, locked(service));
            }
            Err(err) => {
                return self.record(
                    Outcome::Failed,
                    format!("cannot read its permissions: {err}"),
                );
            }
        };
        let Some(default) = sddl::default_for(service) else {
            return self.record(Outcome::Skipped, no_default(&live));
        };
        let assessment = match sddl::assess(&live, default) {
            Ok(a) => a,
            Err(err) => {
                return self.record(
                    Outcome::Failed,
                    format!("cannot read its permissions: {err}"),
                );
            }
        };
        if !assessment.differs() {
            return self.record(Outcome::Skipped, MATCHES.into());
        }
        let op = Op::ServiceDacl {
            name: service.to_string(),
            before: live.clone(),
            after: assessment.repaired.clone(),
        };
        match cx.change(op, |sys, _| {
            sys.set_service_dacl(service, &assessment.repaired)
                .map_err(|e| e.to_string())
        }) {
            Ok(()) => self.record(
                Outcome::Done,
                format!(
                    "differed from Windows' default ({}); now {} (was {live}; undo puts it back)",
                    assessment.describe(),
                    assessment.repaired
                ),
            ),
            Err(err) => self.record(
                Outcome::Failed,
                format!(
                    "could not write its permissions: {err}; {}",
                    sddl::manual_step(service, &assessment.repaired)
                ),
            ),
        }
    }
}

/// Its permissions deny even reading them (the state this step exists for, left by an update
/// blocker): wufix does not take ownership — the owner it would have to put back cannot be read
/// either — and says what a person can do.
pub fn locked(service: &str) -> String {
    let how = match sddl::default_for(service) {
        Some(default) => format!(
            "to restore Windows' default by hand, {}",
            sddl::manual_step(service, default)
        ),
        None => "Microsoft publishes no default for it to restore".to_string(),
    };
    format!(
        "its permissions deny even reading them (access denied): something has locked the service; {how}"
    )
}

const MATCHES: &str = "matches Windows' default; left as it is";

fn no_default(live: &str) -> String {
    format!(
        "Microsoft publishes no default for it: its permissions ({live}) are recorded and left as they are"
    )
}
