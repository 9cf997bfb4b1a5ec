//! SetupDiag's verdict: since Windows 10 2004, Setup runs SetupDiag itself after a failed upgrade
//! and leaves `%WinDir%\Logs\SetupDiag\SetupDiagResults.xml` and the values of
//! `HKLM\SYSTEM\Setup\SetupDiag\Results`. Read for the rule that matched (`ProfileName`), the
//! failure's details, what SetupDiag says to do, and the phase.

use super::code::{self, SetupCode};

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diag {
    /// The SetupDiag rule that matched: `FindSPFatalError`, `HardblockDeviceOrDriver`, …
    pub rule: Option<String>,
    pub details: Option<String>,
    pub remediation: Vec<String>,
    pub phase: Option<String>,
    pub operation: Option<String>,
    pub at: Option<String>,
}

impl Diag {
    pub fn code(&self) -> Option<SetupCode> {
        self.details.as_deref().and_then(code::find)
    }

    pub fn is_empty(&self) -> bool {
        self.rule.is_none() && self.details.is_none()
    }
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
        .trim()
        .to_string()
}

/// The text of each `<tag>…</tag>` in `xml` (attributes on the opening tag allowed).
fn elements<'a>(xml: &'a str, tag: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    let open = format!("<{tag}");
    let close = format!("</{tag}>");
    let mut rest = xml;
    while let Some(at) = rest.find(&open) {
        let after = &rest[at + open.len()..];
        // `<Data>` but not `<DataSet>`.
        if !after.starts_with(['>', ' ', '\t', '\r', '\n']) {
            rest = after;
            continue;
        }
        let Some(gt) = after.find('>') else { break };
        let body = &after[gt + 1..];
        let Some(end) = body.find(&close) else { break };
        out.push(&body[..end]);
        rest = &body[end + close.len()..];
    }
    out
}

fn first(xml: &str, tag: &str) -> Option<String> {
    elements(xml, tag)
        .first()
        .map(|t| unescape(t))
        .filter(|t| !t.is_empty())
}

/// Strips any nested tags, for an element that holds `<Data>` children.
fn inner_text(xml: &str, tag: &str) -> Vec<String> {
    elements(xml, tag)
        .into_iter()
        .flat_map(|body| {
            let data = elements(body, "Data");
            if data.is_empty() {
                vec![unescape(body)]
            } else {
                data.into_iter().map(unescape).collect()
            }
        })
        .filter(|t| !t.is_empty() && !t.starts_with('<'))
        .collect()
}

/// `SetupDiagResults.xml`, already decoded to text.
pub fn from_xml(xml: &str) -> Diag {
    let setup_phase = elements(xml, "SetupPhaseInfo");
    let scoped = setup_phase.first().copied().unwrap_or("");
    Diag {
        rule: first(xml, "ProfileName"),
        details: first(xml, "FailureDetails")
            .or_else(|| inner_text(xml, "FailureData").into_iter().next()),
        remediation: inner_text(xml, "Remediation"),
        phase: first(scoped, "PhaseName").or_else(|| first(xml, "LastSetupPhase")),
        operation: first(scoped, "OperationName").or_else(|| first(xml, "LastSetupOperation")),
        at: first(xml, "DateTime"),
    }
}

/// The values of `HKLM\SYSTEM\Setup\SetupDiag\Results`, as (name, text).
pub fn from_values(values: &[(String, String)]) -> Diag {
    let get = |name: &str| {
        values
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim().to_string())
            .filter(|v| !v.is_empty())
    };
    Diag {
        rule: get("ProfileName"),
        details: get("FailureDetails").or_else(|| get("FailureData")),
        remediation: get("Remediation").into_iter().collect(),
        phase: get("LastSetupPhase"),
        operation: get("LastSetupOperation"),
        at: get("DateTime"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_results_file_gives_rule_details_remedy_and_phase() {
        let xml = r#"<?xml version="1.0" encoding="utf-16"?>
<SetupDiag xmlns="https://docs.microsoft.com/windows/deployment/upgrade/setupdiag">
  <Version>1.7.0.0</Version>
  <ProfileName>HardblockDeviceOrDriver</ProfileName>
  <ProfileGuid>0F0A2D8C-2E3B-4D5A-9F3E-6F1F4A7C0E11</ProfileGuid>
  <DateTime>2026-05-14T10:32:00</DateTime>
  <FailureData><Data>Error: 0xC1900101 - 0x20017 &amp; driver oldvpn.sys blocked</Data></FailureData>
  <FailureDetails>Err = 0xC1900101 - 0x20017, Driver = oldvpn.sys</FailureDetails>
  <Remediation><Data>Update or remove the driver oldvpn.sys, then retry the upgrade.</Data></Remediation>
  <SetupPhaseInfo><PhaseName>SafeOS</PhaseName><OperationName>Install drivers</OperationName></SetupPhaseInfo>
</SetupDiag>"#;
        let d = from_xml(xml);
        assert_eq!(d.rule.as_deref(), Some("HardblockDeviceOrDriver"));
        assert_eq!(d.code().unwrap().text(), "0xC1900101-0x20017");
        assert_eq!(
            d.remediation,
            ["Update or remove the driver oldvpn.sys, then retry the upgrade."]
        );
        assert_eq!(d.phase.as_deref(), Some("SafeOS"));
        assert_eq!(d.operation.as_deref(), Some("Install drivers"));
        assert_eq!(d.at.as_deref(), Some("2026-05-14T10:32:00"));
        assert!(from_xml("<SetupDiag></SetupDiag>").is_empty());
    }

    #[test]
    fn the_registry_values_read_the_same() {
        let values = vec![
            ("ProfileName".to_string(), "FindRollbackFailure".to_string()),
            (
                "FailureDetails".to_string(),
                "Error: 0xC1900101-0x4000D".to_string(),
            ),
            ("Remediation".to_string(), " ".to_string()),
        ];
        let d = from_values(&values);
        assert_eq!(d.rule.as_deref(), Some("FindRollbackFailure"));
        assert!(d.code().unwrap().phase().unwrap().contains("OOBE"));
        assert!(d.remediation.is_empty());
    }
}
