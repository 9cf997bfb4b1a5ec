//! `repair --network`: the machine-wide WinHTTP proxy set to direct access, the setting as it
//! was journaled byte for byte for undo.

use super::{Context, Fix};
use crate::catalog::{CONNECTIONS, PROXY_VALUE};
use crate::journal::Op;
use crate::record::{Action, Outcome, StepRecord};
use crate::sys::RegValue;
use crate::sys::registry::REG_BINARY;
use crate::winhttp::{self, WinHttpProxy};

#[derive(Clone, Debug)]
pub struct ProxyReset;

const ALREADY_DIRECT: &str = "no WinHTTP proxy is set: already direct access";

impl Fix for ProxyReset {
    fn action(&self) -> Action {
        Action::ProxyReset
    }

    fn target(&self) -> String {
        format!(r"HKLM\{CONNECTIONS}\{PROXY_VALUE}")
    }

    fn describe(&self) -> StepRecord {
        self.record(
            Outcome::Planned,
            "set the WinHTTP proxy to direct access if a proxy is set (undo puts the old one back)"
                .into(),
        )
    }

    fn run(&self, cx: &mut Context) -> StepRecord {
        let before = match cx.sys.registry().value(CONNECTIONS, PROXY_VALUE) {
            Ok(Some(before)) if before.kind == REG_BINARY => before,
            Ok(None) => return self.record(Outcome::Skipped, ALREADY_DIRECT.into()),
            Ok(Some(other)) => {
                return self.record(
                    Outcome::Failed,
                    format!(
                        "the WinHTTP setting has an unexpected type ({other:?}); left as it is"
                    ),
                );
            }
            Err(err) => {
                return self.record(
                    Outcome::Failed,
                    format!("cannot read the WinHTTP setting: {err}"),
                );
            }
        };
        let server = match winhttp::decode(&before.data) {
            Some(WinHttpProxy::Direct) => {
                return self.record(Outcome::Skipped, ALREADY_DIRECT.into());
            }
            Some(WinHttpProxy::Proxy { server, .. }) => server,
            None => "an unreadable setting".into(),
        };
        let after = RegValue::binary(winhttp::direct_blob(&before.data));
        let op = Op::RegistryValue {
            key: CONNECTIONS.into(),
            name: PROXY_VALUE.into(),
            before: Some(before),
            after: Some(after.clone()),
        };
        match cx.change(op, |sys, _| {
            sys.registry()
                .set_value(CONNECTIONS, PROXY_VALUE, Some(&after))
                .map_err(|e| e.to_string())
        }) {
            Ok(()) => self.record(
                Outcome::Done,
                format!("was {server}; now direct access (undo puts {server} back)"),
            ),
            Err(err) => self.record(
                Outcome::Failed,
                format!("could not reset the WinHTTP proxy: {err}"),
            ),
        }
    }
}
