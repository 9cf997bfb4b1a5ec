//! Where updates come from: a WSUS policy, and the machine-wide (WinHTTP) proxy that Windows
//! Update's services use.

use super::{Finding, Severity, why_unavailable};
use crate::catalog::{AU_POLICY, CONNECTIONS, PROXY_VALUE, WU_POLICY};
use crate::sys::Platform;
use crate::sys::registry::REG_BINARY;
use crate::winhttp::{WinHttpProxy, decode};

pub fn check(sys: &dyn Platform) -> Vec<Finding> {
    vec![wsus(sys), proxy(sys)]
}

fn wsus(sys: &dyn Platform) -> Finding {
    let server = match sys.registry().value(WU_POLICY, "WUServer") {
        Ok(value) => value.and_then(|v| v.as_text()).filter(|s| !s.is_empty()),
        Err(err) => return Finding::unavailable("wsus", "WSUS policy", why_unavailable(&err)),
    };
    // UseWUServer belongs under AU; some scripts put it beside WUServer, so both are read.
    let use_server = [AU_POLICY, WU_POLICY].iter().find_map(|key| {
        match sys.registry().value(key, "UseWUServer") {
            Ok(Some(value)) => value.as_dword().map(|n| (*key, n)),
            _ => None,
        }
    });
    match (server, use_server) {
        (None, None) => Finding::new("wsus", Severity::Ok, "no WSUS policy: updates come from Windows Update", format!(r"HKLM\{WU_POLICY} has no WUServer")),
        (Some(server), Some((_, 1))) if !crate::managed::is_real_server(&server) => Finding::new(
            "wsus",
            Severity::Warn,
            format!("the WSUS policy names no server an organisation could run ({server:?}): scans fail"),
            format!(r"HKLM\{WU_POLICY}\WUServer = {server:?}"),
        )
        .remedy("See the residue finding: a blocker's fake WSUS server, removed with `reg delete`"),
        (Some(server), Some((key, 1))) => Finding::new(
            "wsus",
            Severity::Info,
            format!("updates come from the WSUS server {server}"),
            format!(r"HKLM\{WU_POLICY}\WUServer = {server}; HKLM\{key}\UseWUServer = 1"),
        )
        .remedy(format!("If scans fail with 0x8024402C or 0x80244022, check that {server} is reachable from this computer")),
        (Some(server), other) => Finding::new(
            "wsus",
            Severity::Info,
            format!("a WSUS server ({server}) is configured but not in use (UseWUServer is not 1)"),
            format!(r"HKLM\{WU_POLICY}\WUServer = {server}; UseWUServer = {}", other.map_or("absent".to_string(), |(_, n)| n.to_string())),
        ),
        (None, Some((key, n))) => Finding::new(
            "wsus",
            Severity::Warn,
            "UseWUServer is set but no WUServer is configured",
            format!(r"HKLM\{key}\UseWUServer = {n}; HKLM\{WU_POLICY}\WUServer is absent"),
        )
        .remedy("Fix the Windows Update policy (Group Policy or MDM): set the WSUS server, or turn \"Specify intranet Microsoft update service location\" off"),
    }
}

fn proxy(sys: &dyn Platform) -> Finding {
    let evidence = format!(r"HKLM\{CONNECTIONS}\{PROXY_VALUE}");
    match sys.registry().value(CONNECTIONS, PROXY_VALUE) {
        Err(err) => Finding::unavailable("winhttp-proxy", "WinHTTP proxy", why_unavailable(&err)),
        Ok(None) => Finding::new(
            "winhttp-proxy",
            Severity::Ok,
            "WinHTTP proxy: direct access (no proxy)",
            format!("{evidence} is absent"),
        ),
        Ok(Some(value)) if value.kind == REG_BINARY => match decode(&value.data) {
            Some(WinHttpProxy::Direct) => Finding::new(
                "winhttp-proxy",
                Severity::Ok,
                "WinHTTP proxy: direct access (no proxy)",
                evidence,
            ),
            Some(WinHttpProxy::Proxy { server, bypass }) => {
                let bypass = if bypass.is_empty() {
                    "none".to_string()
                } else {
                    bypass
                };
                Finding::new("winhttp-proxy", Severity::Info, format!("WinHTTP proxy: {server} (bypass: {bypass})"), evidence)
                    .remedy("If downloads fail with 0x80072EE2, 0x80072EFD or 0x8024401B, check this proxy; `netsh winhttp reset proxy` removes it")
            }
            None => Finding::new(
                "winhttp-proxy",
                Severity::Info,
                "WinHTTP proxy setting could not be read",
                format!("{evidence}: {} bytes", value.data.len()),
            ),
        },
        Ok(Some(other)) => Finding::new(
            "winhttp-proxy",
            Severity::Info,
            "WinHTTP proxy setting has an unexpected type",
            format!("{evidence}: {other:?}"),
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::RegValue;
    use crate::sys::fake::FakePlatform;

    #[test]
    fn a_wsus_policy_is_reported_with_its_server() {
        let sys = FakePlatform::new()
            .registry_value(
                WU_POLICY,
                "WUServer",
                RegValue::string("http://wsus.corp:8530"),
            )
            .registry_value(AU_POLICY, "UseWUServer", RegValue::dword(1));
        let finding = wsus(&sys);
        assert_eq!(finding.severity, Severity::Info);
        assert!(finding.summary.contains("http://wsus.corp:8530"));
        assert_eq!(wsus(&FakePlatform::new()).severity, Severity::Ok);
    }
}
