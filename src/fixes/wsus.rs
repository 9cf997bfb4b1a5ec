//! On a WSUS-managed machine, the client identity (`SusClientId`, `SusClientIDValidation`)
//! removed so the computer registers with its server afresh. The WSUS policy itself is never
//! touched; each value is journaled exactly as it was, for undo.

use super::{Context, Fix};
use crate::catalog::{WSUS_IDENTITY, WU_CLIENT};
use crate::journal::Op;
use crate::record::{Action, Outcome, StepRecord};
use crate::sys::{ServiceState, SysError};

#[derive(Clone, Debug)]
pub struct WsusIdentity {
    /// The WSUS server the policy names.
    pub server: String,
}

impl Fix for WsusIdentity {
    fn action(&self) -> Action {
        Action::WsusIdentity
    }

    fn target(&self) -> String {
        format!(r"HKLM\{WU_CLIENT}")
    }

    fn describe(&self) -> StepRecord {
        self.record(
            Outcome::Planned,
            format!(
                "WSUS-managed ({}): remove {} so this computer registers with WSUS afresh at its next scan (undo puts them back; the WSUS policy itself is not touched)",
                self.server,
                WSUS_IDENTITY.join(" and ")
            ),
        )
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        let server = &self.server;
        // The agent keeps its identity in memory while it runs and would write it back.
        match cx.sys.service_status("wuauserv") {
            Ok(s) if s.state == ServiceState::Stopped => {}
            Ok(s) => {
                return self.record(
                    Outcome::Skipped,
                    format!(
                        "wuauserv is {} (it could not be stopped): the WSUS identity is left as it is",
                        s.state.as_str()
                    ),
                );
            }
            Err(SysError::NoSuchService) => {}
            Err(err) => {
                return self.record(Outcome::Failed, format!("cannot query wuauserv: {err}"));
            }
        }
        let mut removed = Vec::new();
        for name in WSUS_IDENTITY {
            let before = match cx.sys.registry().value(WU_CLIENT, name) {
                Ok(Some(value)) => value,
                Ok(None) => continue,
                Err(err) => {
                    return self.record(Outcome::Failed, format!("cannot read {name}: {err}"));
                }
            };
            let op = Op::RegistryValue {
                key: WU_CLIENT.into(),
                name: name.into(),
                before: Some(before),
                after: None,
            };
            if let Err(err) = cx.change(op, |sys, _| {
                sys.registry()
                    .set_value(WU_CLIENT, name, None)
                    .map_err(|e| e.to_string())
            }) {
                return self.record(Outcome::Failed, format!("could not remove {name}: {err}"));
            }
            removed.push(name);
        }
        if removed.is_empty() {
            return self.record(
                Outcome::Skipped,
                format!(
                    "WSUS-managed ({server}), but no client identity is stored: nothing to reset"
                ),
            );
        }
        self.record(
            Outcome::Done,
            format!(
                "removed {}: this computer registers with {server} afresh at its next scan (undo puts them back)",
                removed.join(" and ")
            ),
        )
    }
}
