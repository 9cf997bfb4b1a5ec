//! What Windows Setup already diagnosed about the last feature update or sysprep: SetupDiag's
//! verdict (the results file and registry values Setup leaves since Windows 10 2004) and the
//! Panther logs' last result. Online and with `--windows-dir`; read-only, links not followed.

pub mod code;
pub mod panther;
pub mod setupdiag;

use std::path::{Path, PathBuf};

use super::servicing_logs::{child, open_regular};
use super::{Finding, Severity};
use crate::folders::Layout;
use crate::machine::Mode;
use crate::sys::Platform;
use panther::{Outcome, Verdict};
use setupdiag::Diag;

const RESULTS_KEY: &str = r"SYSTEM\Setup\SetupDiag\Results";
/// A results file is a few kilobytes; more is not SetupDiag's.
const MAX_XML: usize = 4 << 20;
/// An upgrade that failed longer ago than this is history, not today's problem.
const RECENT_DAYS: i32 = 30;

/// Where each Panther log sits, below the volume root or the Windows folder.
enum Base {
    Root,
    Windows,
}

const UPGRADE_LOGS: &[(Base, &[&str])] = &[
    (
        Base::Root,
        &["$WINDOWS.~BT", "Sources", "Panther", "setupact.log"],
    ),
    (
        Base::Root,
        &["$WINDOWS.~BT", "Sources", "Rollback", "setupact.log"],
    ),
    (Base::Windows, &["Panther", "setupact.log"]),
];
const SYSPREP_LOG: &[&str] = &["System32", "Sysprep", "Panther", "setupact.log"];

pub fn check(
    layout: &Layout,
    sys: &dyn Platform,
    mode: Mode,
    today: Option<jiff::civil::Date>,
) -> Vec<Finding> {
    let mut refused = Vec::new();
    let mut findings = Vec::new();
    let windows = layout.windows_dir.as_path();
    // The results file first; the registry (online) where the file is gone.
    let xml = locate(
        windows,
        &["Logs", "SetupDiag", "SetupDiagResults.xml"],
        &mut refused,
    );
    let diag = xml
        .as_deref()
        .and_then(read_text)
        .map(|text| {
            (
                setupdiag::from_xml(&text),
                xml.clone().unwrap().display().to_string(),
            )
        })
        .filter(|(d, _)| !d.is_empty())
        .or_else(|| {
            (mode == Mode::Online)
                .then(|| registry_diag(sys))
                .flatten()
                .map(|d| (d, format!(r"HKLM\{RESULTS_KEY}")))
        });
    let mut upgrades: Vec<(Verdict, PathBuf)> = UPGRADE_LOGS
        .iter()
        .filter_map(|(base, parts)| {
            let base = match base {
                Base::Root => layout.root(),
                Base::Windows => windows,
            };
            let path = locate(base, parts, &mut refused)?;
            Some((read_log(&path)?, path))
        })
        .collect();
    // The newest result is the last upgrade's.
    upgrades.sort_by(|a, b| a.0.at.cmp(&b.0.at));
    if let Some((diag, evidence)) = diag {
        let mut finding = diagnosis(&diag, evidence);
        // SetupDiag's verdict stays on the disk after the upgrade later succeeds, or for years.
        let diag_day = diag.at.as_deref().map(|t| t.replace('T', " "));
        let later_success = upgrades.last().is_some_and(|(v, _)| {
            v.outcome == Outcome::Succeeded && v.at.as_deref() > diag_day.as_deref()
        });
        if later_success {
            finding.severity = Severity::Info;
            finding
                .summary
                .push_str("; a later feature update succeeded");
        } else if is_old(diag_day.as_deref(), today) {
            finding.severity = Severity::Info;
            finding.summary.push_str(" (more than 30 days ago)");
        }
        findings.push(finding);
    }
    if let Some((verdict, path)) = upgrades.pop() {
        findings.push(result(
            "feature-update",
            "the last feature update",
            &verdict,
            &path,
            today,
        ));
    }
    if let Some(path) = locate(windows, SYSPREP_LOG, &mut refused) {
        if let Some(verdict) = read_log(&path) {
            findings.push(result(
                "sysprep",
                "the last sysprep",
                &verdict,
                &path,
                today,
            ));
        }
    }
    if findings.is_empty() {
        findings.push(Finding::new(
            "feature-update",
            Severity::Info,
            "no feature-update, SetupDiag or sysprep logs on this installation",
            "Panther, $WINDOWS.~BT and Logs\\SetupDiag",
        ));
    }
    if !refused.is_empty() {
        findings.push(Finding::unavailable(
            "feature-update-logs",
            "part of Setup's logs",
            refused.join("; "),
        ));
    }
    findings
}

/// `base\a\b\c`, each part found ignoring case and never through a link.
pub(crate) fn locate(base: &Path, parts: &[&str], refused: &mut Vec<String>) -> Option<PathBuf> {
    parts
        .iter()
        .try_fold(base.to_path_buf(), |dir, part| child(&dir, part, refused))
}

pub(crate) fn read_text(path: &Path) -> Option<String> {
    let file = open_regular(path).ok()?;
    let mut text = String::new();
    crate::lines::for_each_line(file, |line| {
        if text.len() < MAX_XML {
            text.push_str(line);
            text.push('\n');
        }
    })
    .ok()?;
    Some(text)
}

pub(crate) fn read_log(path: &Path) -> Option<Verdict> {
    let file = open_regular(path).ok()?;
    let mut reader = panther::Reader::default();
    crate::lines::for_each_line(file, |line| reader.line(line)).ok()?;
    Some(reader.finish())
}

fn registry_diag(sys: &dyn Platform) -> Option<Diag> {
    let values = sys.registry().values(RESULTS_KEY).ok()?;
    let texts: Vec<(String, String)> = values
        .into_iter()
        .filter_map(|(name, value)| {
            let text = value
                .as_text()
                .or_else(|| value.as_multi().map(|m| m.join(" ")))?;
            Some((name, text))
        })
        .collect();
    Some(setupdiag::from_values(&texts)).filter(|d| !d.is_empty())
}

pub(crate) fn diagnosis(diag: &Diag, evidence: String) -> Finding {
    let code = diag.code();
    let rule = diag.rule.as_deref().unwrap_or("no rule named");
    let mut summary = format!("Windows Setup's own diagnosis (SetupDiag rule {rule})");
    if let Some(details) = &diag.details {
        summary.push_str(&format!(": {details}"));
    }
    if let Some(at) = &diag.at {
        summary.push_str(&format!(" (at {at})"));
    }
    let remedy = if diag.remediation.is_empty() {
        format!(
            "Follow SetupDiag's rule {rule} (Microsoft documents each rule on its SetupDiag page); a reset of the update cache does not help a feature update Setup rolled back"
        )
    } else {
        format!("{} A reset will not help.", diag.remediation.join(" "))
    };
    let mut finding = Finding::new("setup-diagnosis", Severity::Warn, summary, evidence)
        .with_code(code.map(|c| c.result))
        .remedy(remedy);
    finding.facts.rule = diag.rule.clone();
    finding.facts.setup_code = code.map(|c| c.text());
    finding.facts.phase = code
        .and_then(|c| c.phase())
        .map(str::to_string)
        .or_else(|| diag.phase.clone());
    finding.facts.last_at = diag.at.clone();
    finding
}

fn is_old(at: Option<&str>, today: Option<jiff::civil::Date>) -> bool {
    let (Some(at), Some(today)) = (at, today) else {
        return false;
    };
    at.get(..10)
        .and_then(|d| d.parse::<jiff::civil::Date>().ok())
        .and_then(|d| d.until(today).ok())
        .is_some_and(|span| span.get_days() > RECENT_DAYS)
}

/// A Panther log's verdict as a finding. `today` is this machine's date for its own logs;
/// `None` (a mounted disk, handed logs) judges nothing by age.
pub fn result(
    id: &str,
    what: &str,
    verdict: &Verdict,
    path: &Path,
    today: Option<jiff::civil::Date>,
) -> Finding {
    let at = verdict.at.as_deref();
    let when = at.map(|t| format!(" at {t}")).unwrap_or_default();
    let code = verdict.code;
    let code_text = code.map(|c| c.text()).unwrap_or_default();
    let (severity, summary) = match verdict.outcome {
        Outcome::Succeeded => (Severity::Ok, format!("{what} succeeded{when}")),
        Outcome::Cancelled => (
            Severity::Info,
            format!("{what} was cancelled{when} ({code_text}, the user's cancel: not a failure)"),
        ),
        Outcome::Unknown => (
            Severity::Info,
            format!("{what} logged no result (still running, or its log was cut short)"),
        ),
        Outcome::Failed => {
            let mut text = format!("{what} failed{when} with {code_text}");
            if let Some(phase) = code.and_then(|c| c.phase()) {
                text.push_str(&format!(", in the {phase}"));
            }
            if let Some((real, shown)) = verdict.remapped {
                text.push_str(&format!(
                    "; Setup reported 0x{shown:08X} in place of the real error 0x{real:08X} (remapped \"for telemetry\")"
                ));
            }
            if !verdict.named.is_empty() {
                text.push_str(&format!("; its errors name {}", verdict.named.join(", ")));
            }
            let severity = if is_old(at, today) {
                text.push_str(" (more than 30 days ago)");
                Severity::Info
            } else {
                Severity::Warn
            };
            (severity, text)
        }
    };
    let mut finding = Finding::new(id, severity, summary, path.display().to_string());
    if verdict.outcome == Outcome::Failed {
        let real = verdict.remapped.map(|(real, _)| real);
        finding = finding.with_code(code.map(|c| c.result));
        let named = if verdict.named.is_empty() {
            String::new()
        } else {
            format!(
                "update or remove what Setup's errors name ({}), then ",
                verdict.named.join(", ")
            )
        };
        let explain = real
            .or(code.map(|c| c.result))
            .map(|c| format!(" `wufix explain 0x{c:08X}` says what the code means."))
            .unwrap_or_default();
        finding.remedy = Some(format!(
            "Setup stopped or rolled back the upgrade: {named}retry the upgrade; Microsoft's SetupDiag reads these logs in full and names the rule that matched.{explain} A reset of the update cache does not help."
        ));
        finding.facts.setup_code = code.map(|c| c.text());
        finding.facts.phase = code.and_then(|c| c.phase()).map(str::to_string);
        finding.facts.remapped_from = real.map(super::code_text);
        finding.facts.named = verdict.named.clone();
    }
    finding.facts.last_at = verdict.at.clone();
    finding.facts.path = Some(path.display().to_string());
    finding
}
