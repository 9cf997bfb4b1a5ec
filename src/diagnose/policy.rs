//! Where updates come from: a WSUS policy, and the machine-wide (WinHTTP) proxy that Windows
//! Update's services use.

use super::{Finding, Severity, why_unavailable};
use crate::sys::{Platform, RegValue};

const WU_POLICY: &str = r"SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate";
const AU_POLICY: &str = r"SOFTWARE\Policies\Microsoft\Windows\WindowsUpdate\AU";
const CONNECTIONS: &str =
    r"SOFTWARE\Microsoft\Windows\CurrentVersion\Internet Settings\Connections";

pub fn check(sys: &dyn Platform) -> Vec<Finding> {
    vec![wsus(sys), proxy(sys)]
}

fn wsus(sys: &dyn Platform) -> Finding {
    let server = match sys.registry_value(WU_POLICY, "WUServer") {
        Ok(Some(RegValue::String(s))) if !s.is_empty() => Some(s),
        Ok(_) => None,
        Err(err) => return Finding::unavailable("wsus", "WSUS policy", why_unavailable(&err)),
    };
    // UseWUServer belongs under AU; some scripts put it beside WUServer, so both are read.
    let use_server = [AU_POLICY, WU_POLICY].iter().find_map(|key| {
        match sys.registry_value(key, "UseWUServer") {
            Ok(Some(RegValue::Dword(n))) => Some((*key, n)),
            _ => None,
        }
    });
    match (server, use_server) {
        (None, None) => Finding::new("wsus", Severity::Ok, "no WSUS policy: updates come from Windows Update", format!(r"HKLM\{WU_POLICY} has no WUServer")),
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

/// The WinHTTP proxy, as `netsh winhttp show proxy` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum WinHttpProxy {
    Direct,
    Proxy { server: String, bypass: String },
}

/// Decode the `WinHttpSettings` blob: u32 version, u32 counter, u32 flags (bit 1: a proxy is set),
/// then u32 length + proxy server, then u32 length + bypass list (both ANSI).
pub fn decode_winhttp(blob: &[u8]) -> Option<WinHttpProxy> {
    let u32_at = |at: usize| {
        blob.get(at..at + 4)
            .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]) as usize)
    };
    let flags = u32_at(8)?;
    if flags & 2 == 0 {
        return Some(WinHttpProxy::Direct);
    }
    let server_len = u32_at(12)?;
    let server = blob.get(16..16 + server_len)?;
    let bypass_at = 16 + server_len;
    let bypass_len = u32_at(bypass_at).unwrap_or(0);
    let bypass = blob
        .get(bypass_at + 4..bypass_at + 4 + bypass_len)
        .unwrap_or(&[]);
    Some(WinHttpProxy::Proxy {
        server: String::from_utf8_lossy(server).into_owned(),
        bypass: String::from_utf8_lossy(bypass).into_owned(),
    })
}

fn proxy(sys: &dyn Platform) -> Finding {
    let evidence = format!(r"HKLM\{CONNECTIONS}\WinHttpSettings");
    match sys.registry_value(CONNECTIONS, "WinHttpSettings") {
        Err(err) => Finding::unavailable("winhttp-proxy", "WinHTTP proxy", why_unavailable(&err)),
        Ok(None) => Finding::new(
            "winhttp-proxy",
            Severity::Ok,
            "WinHTTP proxy: direct access (no proxy)",
            format!("{evidence} is absent"),
        ),
        Ok(Some(RegValue::Binary(blob))) => match decode_winhttp(&blob) {
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
                format!("{evidence}: {} bytes", blob.len()),
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
    use crate::sys::fake::FakePlatform;

    fn blob(flags: u32, server: &str, bypass: &str) -> Vec<u8> {
        let mut b = Vec::new();
        for n in [0x28u32, 7, flags, server.len() as u32] {
            b.extend(n.to_le_bytes());
        }
        b.extend(server.as_bytes());
        b.extend((bypass.len() as u32).to_le_bytes());
        b.extend(bypass.as_bytes());
        b
    }

    #[test]
    fn decodes_direct_and_proxy_settings() {
        assert_eq!(decode_winhttp(&blob(1, "", "")), Some(WinHttpProxy::Direct));
        assert_eq!(
            decode_winhttp(&blob(3, "proxy.corp:8080", "<local>")),
            Some(WinHttpProxy::Proxy {
                server: "proxy.corp:8080".into(),
                bypass: "<local>".into()
            })
        );
        assert_eq!(decode_winhttp(&[1, 2, 3]), None);
        assert_eq!(decode_winhttp(&blob(3, "xyz", "")[..17]), None);
    }

    #[test]
    fn a_wsus_policy_is_reported_with_its_server() {
        let sys = FakePlatform::new()
            .registry_value(
                WU_POLICY,
                "WUServer",
                RegValue::String("http://wsus.corp:8530".into()),
            )
            .registry_value(AU_POLICY, "UseWUServer", RegValue::Dword(1));
        let finding = wsus(&sys);
        assert_eq!(finding.severity, Severity::Info);
        assert!(finding.summary.contains("http://wsus.corp:8530"));
        assert_eq!(wsus(&FakePlatform::new()).severity, Severity::Ok);
    }
}
