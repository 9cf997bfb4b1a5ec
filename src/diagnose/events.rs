//! Recent update failures from the event log, each explained from wufix's database.

use super::{Finding, Severity, why_unavailable};
use crate::explain;
use crate::sys::Platform;

/// Provider Microsoft-Windows-WindowsUpdateClient. System log: 19 = installed, 20 = installation
/// failed. Operational channel: 25 = scan failed, 26 = scan succeeded, 31 = download failed.
const SOURCES: [(&str, &str); 2] = [
    (
        "System",
        "*[System[Provider[@Name='Microsoft-Windows-WindowsUpdateClient'] and (EventID=19 or EventID=20)]]",
    ),
    (
        "Microsoft-Windows-WindowsUpdateClient/Operational",
        "*[System[(EventID=25 or EventID=26 or EventID=31)]]",
    ),
];
const LIMIT: usize = 10;
/// A successful install or scan: whatever failed before it no longer stands.
const SUCCESSES: [u32; 2] = [19, 26];
/// Failures older than this are history, not a reason to reset now.
const RECENT: jiff::SignedDuration = jiff::SignedDuration::from_hours(7 * 24);

/// What one event says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UpdateEvent {
    pub id: u32,
    pub time: String,
    pub error_code: Option<u32>,
    pub title: Option<String>,
}

/// Failures from the event log. One counts as a reason to reset only while it stands: within the
/// last 7 days before `now`, and with no successful install or scan after it (so a detection
/// script settles once a reset has worked).
pub fn check(sys: &dyn Platform, now: jiff::Timestamp) -> Vec<Finding> {
    let mut events = Vec::new();
    let mut unreadable = Vec::new();
    for (channel, query) in SOURCES {
        match sys.query_events(channel, query, LIMIT) {
            Ok(xml) => events.extend(xml.iter().filter_map(|x| parse(x))),
            Err(err) => unreadable.push(format!("{channel}: {}", why_unavailable(&err))),
        }
    }
    if events.is_empty() && unreadable.len() == SOURCES.len() {
        return vec![Finding::unavailable(
            "update-failures",
            "update failures from the event log",
            unreadable.join("; "),
        )];
    }
    // ISO 8601 UTC times sort as text.
    events.sort_by(|a, b| b.time.cmp(&a.time));
    let last_success = events
        .iter()
        .filter(|e| SUCCESSES.contains(&e.id))
        .map(|e| e.time.clone())
        .max();
    let mut failures: Vec<&UpdateEvent> = events
        .iter()
        .filter(|e| !SUCCESSES.contains(&e.id))
        .collect();
    failures.truncate(LIMIT);
    let mut findings: Vec<Finding> = failures
        .into_iter()
        .map(|e| {
            let standing = if last_success.as_ref().is_some_and(|s| *s > e.time) {
                Standing::Resolved
            } else if is_old(&e.time, now) {
                Standing::Old
            } else {
                Standing::Current
            };
            finding(e, standing)
        })
        .collect();
    if findings.is_empty() {
        findings.push(Finding::new(
            "update-failures",
            Severity::Ok,
            "no update failures in the event log",
            "events 20, 25 and 31 of Microsoft-Windows-WindowsUpdateClient",
        ));
    }
    if !unreadable.is_empty() {
        findings.push(Finding::unavailable(
            "update-failures-partial",
            "part of the event log",
            unreadable.join("; "),
        ));
    }
    findings
}

/// Whether a failure still calls for action.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Standing {
    Current,
    /// A successful install or scan came after it.
    Resolved,
    /// Longer ago than [`RECENT`].
    Old,
    /// Its code is a success status (a restart still needed), logged with a failure event.
    SuccessStatus,
}

/// Older than [`RECENT`]; a time that cannot be read counts as recent.
fn is_old(time: &str, now: jiff::Timestamp) -> bool {
    time.parse::<jiff::Timestamp>()
        .is_ok_and(|t| now.duration_since(t) > RECENT)
}

/// 0x80070643 is an installer's failure: which installer the failing update's title names says
/// what fixes it (the WinRE update's partition, .NET's repair tool, Defender's own update).
fn installer_fix(code: u32, title: Option<&str>) -> Option<&'static str> {
    if explain::lookup_value(code) != 0x8007_0643 {
        return None;
    }
    let title = title?.to_ascii_lowercase();
    if title.contains(".net") {
        Some(
            "A .NET Framework update's installer failed: run Microsoft's .NET Framework Repair Tool, restart, and install the update again (from the Microsoft Update Catalog if Windows Update keeps failing). A reset does not help.",
        )
    } else if title.contains("defender")
        || title.contains("security intelligence")
        || title.contains("antimalware")
    {
        Some(
            "Microsoft Defender's installer failed: update Defender from Windows Security (Virus & threat protection > Protection updates), or install its platform update from the Microsoft Update Catalog; third-party antivirus software may need to be removed first. A reset does not help.",
        )
    } else if title.contains("recovery environment")
        || title.contains("safe os")
        || title.contains("winre")
    {
        Some(
            "The WinRE update needs 250 MB free in the recovery partition: `wufix diagnose` as administrator measures it and gives Microsoft's KB5028997 steps for this disk (or patch WinRE with the KB5034957 script). A reset does not help.",
        )
    } else {
        None
    }
}

fn finding(event: &UpdateEvent, standing: Standing) -> Finding {
    let what = match event.id {
        20 => "an update failed to install",
        25 => "a scan for updates failed",
        31 => "an update failed to download",
        _ => "an update operation failed",
    };
    let day = event.time.get(..10).unwrap_or(&event.time);
    let mut summary = format!("{day}: {what}");
    if let Some(title) = &event.title {
        summary.push_str(&format!(" ({title})"));
    }
    let mut remedy = None;
    let mut success = false;
    if let Some(code) = event.error_code {
        let explained = explain::explain("", code);
        let name = explained
            .names
            .first()
            .map(|n| format!(" {}", n.name))
            .unwrap_or_default();
        summary.push_str(&format!(" with 0x{code:08X}{name}"));
        success = explained.success;
        if let Some(meaning) = explained.meaning {
            summary.push_str(&format!(": {meaning}"));
        }
        remedy = Some(
            installer_fix(code, event.title.as_deref())
                .map(str::to_string)
                .or(explained.fix.map(str::to_string))
                .unwrap_or_else(|| format!("Run `wufix explain 0x{code:08X}`")),
        );
    }
    // A success status logged with a failure event (a restart still needed) is not a failure.
    let standing = if success {
        Standing::SuccessStatus
    } else {
        standing
    };
    let (severity, note) = match standing {
        Standing::Current => (Severity::Warn, ""),
        Standing::Resolved => (
            Severity::Info,
            " (since resolved: a later install or scan succeeded)",
        ),
        Standing::Old => (Severity::Info, " (more than 7 days ago)"),
        Standing::SuccessStatus => (Severity::Info, " (a success status, not a failure)"),
    };
    summary.push_str(note);
    // A reset is the cure unless the code's own fix says otherwise (a proxy, a policy, disk).
    let cured_by_reset = remedy
        .as_deref()
        .is_none_or(|r| r.contains("wufix reset") || r.starts_with("Run `wufix explain"));
    let mut finding = Finding::new(
        "update-failure",
        severity,
        summary,
        format!("event {} at {}", event.id, event.time),
    )
    .with_code(event.error_code);
    finding.remedy = remedy;
    finding.facts.event_id = Some(event.id);
    finding.facts.kb = event
        .title
        .as_deref()
        .and_then(crate::known_issues::kb_in)
        .map(str::to_string);
    finding.facts.last_at = Some(event.time.clone()).filter(|t| !t.is_empty());
    if standing == Standing::Current {
        finding.reset_would_help = cured_by_reset;
        // Where repair would start for the code; a code with no rung, cured by a reset, is the
        // reset's.
        finding.fixed_by = event
            .error_code
            .and_then(super::fixed_by_code)
            .or(cured_by_reset.then_some("reset"));
    }
    finding
}

/// Read the fields wufix needs from an event's XML. Attribute quotes may be ' or ".
pub fn parse(xml: &str) -> Option<UpdateEvent> {
    let id = between(xml, "<EventID", "</EventID>")?
        .rsplit('>')
        .next()?
        .trim()
        .parse()
        .ok()?;
    let time = attribute(xml, "TimeCreated", "SystemTime").unwrap_or_default();
    let error_code = data(xml, "errorCode").and_then(|v| explain::parse(&v).ok());
    let title = data(xml, "updateTitle").filter(|t| !t.is_empty());
    Some(UpdateEvent {
        id,
        time,
        error_code,
        title,
    })
}

fn between<'a>(text: &'a str, start: &str, end: &str) -> Option<&'a str> {
    let from = text.find(start)? + start.len();
    let to = text[from..].find(end)? + from;
    Some(&text[from..to])
}

fn attribute(xml: &str, element: &str, name: &str) -> Option<String> {
    let tag = between(xml, &format!("<{element} "), ">")?;
    for quote in ['\'', '"'] {
        if let Some(value) = between(tag, &format!("{name}={quote}"), &quote.to_string()) {
            return Some(value.to_string());
        }
    }
    None
}

fn data(xml: &str, name: &str) -> Option<String> {
    for quote in ['\'', '"'] {
        if let Some(value) = between(xml, &format!("<Data Name={quote}{name}{quote}>"), "</Data>") {
            return Some(unescape(value));
        }
    }
    None
}

fn unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sys::fake::FakePlatform;

    fn event_xml(id: u32, time: &str, code: &str, title: &str) -> String {
        format!(
            "<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-WindowsUpdateClient' Guid='{{945A8954-C147-4ACD-923F-40C45405A658}}'/><EventID>{id}</EventID><TimeCreated SystemTime='{time}'/></System><EventData><Data Name='errorCode'>{code}</Data><Data Name='updateTitle'>{title}</Data><Data Name='updateGuid'>{{0}}</Data></EventData></Event>"
        )
    }

    #[test]
    fn parses_an_install_failure() {
        let xml = event_xml(
            20,
            "2026-11-20T08:15:00.1234567Z",
            "0x800f0922",
            "2026-11 Cumulative Update &amp; more",
        );
        assert_eq!(
            parse(&xml),
            Some(UpdateEvent {
                id: 20,
                time: "2026-11-20T08:15:00.1234567Z".into(),
                error_code: Some(0x800F0922),
                title: Some("2026-11 Cumulative Update & more".into()),
            })
        );
        assert_eq!(parse("<Event>garbage"), None);
    }

    #[test]
    fn failures_are_listed_newest_first_and_explained() {
        let sys = FakePlatform::new()
            .events(
                "System",
                Some(vec![event_xml(
                    20,
                    "2026-11-01T00:00:00Z",
                    "0x80070002",
                    "KB1",
                )]),
            )
            .events(
                "Microsoft-Windows-WindowsUpdateClient/Operational",
                Some(vec![event_xml(
                    31,
                    "2026-11-05T00:00:00Z",
                    "0x80242006",
                    "KB2",
                )]),
            );
        let findings = check(&sys, "2026-11-06T00:00:00Z".parse().unwrap());
        assert_eq!(findings.len(), 2);
        assert!(findings[0].summary.starts_with(
            "2026-11-05: an update failed to download (KB2) with 0x80242006 WU_E_UH_INVALIDMETADATA"
        ));
        assert!(
            findings[0]
                .remedy
                .as_deref()
                .unwrap()
                .contains("wufix reset")
        );
        assert_eq!(findings[1].severity, Severity::Warn);
        assert!(findings.iter().all(|f| f.reset_would_help));
    }

    #[test]
    fn a_failure_settles_once_a_later_scan_succeeds_or_it_grows_old() {
        let sys = FakePlatform::new()
            .events(
                "System",
                Some(vec![event_xml(
                    20,
                    "2026-11-01T00:00:00Z",
                    "0x80070002",
                    "KB1",
                )]),
            )
            .events(
                "Microsoft-Windows-WindowsUpdateClient/Operational",
                Some(vec![event_xml(26, "2026-11-02T00:00:00Z", "", "")]),
            );
        let findings = check(&sys, "2026-11-03T00:00:00Z".parse().unwrap());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Info);
        assert!(!findings[0].reset_would_help);
        assert!(
            findings[0].summary.contains("since resolved"),
            "{}",
            findings[0].summary
        );

        let alone = FakePlatform::new().events(
            "System",
            Some(vec![event_xml(
                20,
                "2026-11-01T00:00:00Z",
                "0x80070002",
                "KB1",
            )]),
        );
        let now_old: jiff::Timestamp = "2026-11-09T00:00:01Z".parse().unwrap();
        let findings = check(&alone, now_old);
        assert!(!findings[0].reset_would_help && findings[0].severity == Severity::Info);
        let findings = check(&alone, "2026-11-07T00:00:00Z".parse().unwrap());
        assert!(findings[0].reset_would_help && findings[0].severity == Severity::Warn);

        // A restart-required status logged with event 20 is not a failure to act on.
        let restart = FakePlatform::new().events(
            "System",
            Some(vec![event_xml(
                20,
                "2026-11-06T00:00:00Z",
                "0x80070bc2",
                "KB3",
            )]),
        );
        let findings = check(&restart, "2026-11-07T00:00:00Z".parse().unwrap());
        assert!(!findings[0].reset_would_help && findings[0].severity == Severity::Info);
        assert!(
            findings[0].summary.contains("a success status"),
            "{}",
            findings[0].summary
        );
    }

    #[test]
    fn an_installer_failure_is_answered_by_the_update_that_failed() {
        let net = installer_fix(
            0x80070643,
            Some("2026-11 Cumulative Update for .NET Framework 3.5 and 4.8.1 (KB5046540)"),
        );
        assert!(net.unwrap().contains(".NET Framework Repair Tool"));
        let defender = installer_fix(
            1603,
            Some("Security Intelligence Update for Microsoft Defender Antivirus - KB2267602"),
        );
        assert!(defender.unwrap().contains("Windows Security"));
        let winre = installer_fix(
            0x80070643,
            Some(
                "2024-01 Security Update for Windows 10 Version 22H2 for x64-based Systems (KB5034441) - Windows Recovery Environment",
            ),
        );
        assert!(winre.unwrap().contains("KB5028997"));
        assert_eq!(
            installer_fix(0x80070643, Some("2026-11 Cumulative Update")),
            None
        );
        assert_eq!(installer_fix(0x80070002, Some(".NET Framework")), None);
    }

    #[test]
    fn an_unreadable_log_is_reported_as_unavailable() {
        let sys = FakePlatform::new()
            .events("System", None)
            .events("Microsoft-Windows-WindowsUpdateClient/Operational", None);
        let findings = check(&sys, jiff::Timestamp::now());
        assert_eq!(findings.len(), 1);
        assert_eq!(findings[0].severity, Severity::Info);
        assert!(findings[0].summary.starts_with("unavailable"));
    }
}
