//! `wufix diagnose`: say what is wrong before cutting. Each check returns findings
//! `{id, severity, summary, evidence, remedy}`; a check that cannot run here says so as an
//! `info` finding ("unavailable") rather than crashing or going missing.

mod events;
mod installed;
pub mod logs;
mod partitions;
mod policy;
mod reboot;
mod residue;
mod services;
pub(crate) mod servicing_logs;
pub mod setup;
mod storage;
pub mod verdict;
mod version;
pub(crate) mod windows_pe;

use serde::Serialize;

use crate::folders::Layout;
use crate::machine::Mode;
use crate::sys::{Platform, SysError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Ok,
    Info,
    Warn,
    Error,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Ok => "ok",
            Severity::Info => "info",
            Severity::Warn => "warn",
            Severity::Error => "error",
        }
    }
}

/// One thing diagnose found. `id` names the kind of finding (fixed: `servicing-package`,
/// `update-failure`, `service`, …; never a code or a name inside it), so a fleet can group by it;
/// the facts are fields of their own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Finding {
    pub id: String,
    pub severity: Severity,
    /// False when the check could not run here (offline, rights, the platform); `reason` says why.
    pub available: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub summary: String,
    pub evidence: String,
    /// The exact command or step that fixes it; `None` when there is nothing to do.
    pub remedy: Option<String>,
    /// Whether a `wufix reset` (the folders) would help.
    pub reset_would_help: bool,
    /// The wufix command that fixes it unattended: `reset`, `repair`, `repair --network`,
    /// `repair --from deep --up-to deep`; `null` when only a person can (or nothing needs doing).
    pub fixed_by: Option<&'static str>,
    #[serde(flatten)]
    pub facts: Facts,
    /// The failure's code as a number, for `repair` to start where it points.
    #[serde(skip)]
    pub code_value: Option<u32>,
}

/// A finding's facts, each where it exists.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Facts {
    /// `0x800F0922`, and the same as a signed number.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hresult: Option<i32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kb: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installer: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub installer_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attempts: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_at: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// A service's name, for a finding about one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
    /// The event's id, for a finding read from the event log.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u32>,
    /// The id of Microsoft's known issue (`data/known-issues.json`) this failure is; its action
    /// is then the remedy, and no wufix repair is offered for it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub known_issue: Option<String>,
    /// Setup's code in its own two-part form: `0xC1900101-0x20017`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub setup_code: Option<String>,
    /// The phase of a feature update the failure happened in.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub phase: Option<String>,
    /// The SetupDiag rule that matched: `HardblockDeviceOrDriver`, …
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
    /// The real error when Setup reported another code "for telemetry".
    #[serde(skip_serializing_if = "Option::is_none")]
    pub remapped_from: Option<String>,
    /// Drivers, programs and files the failure names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub named: Vec<String>,
    /// A partition's disk and number, as diskpart numbers them, its size and free bytes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disk: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub partition: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size_bytes: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub free_bytes: Option<u64>,
    /// `excerpt`: read from pasted lines, not a whole log (`wufix logs`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basis: Option<&'static str>,
}

/// A code as every report writes it.
pub fn code_text(code: u32) -> String {
    format!("0x{:08X}", crate::explain::lookup_value(code))
}

/// The wufix command that cures `code` unattended, from where `repair` would start for it.
pub fn fixed_by_code(code: u32) -> Option<&'static str> {
    use crate::ladder::{Rung, Start};
    match crate::explain::rungs::start_for(code)? {
        Start::At(Rung::Residue) => Some("repair"),
        Start::At(Rung::Light) => Some("reset"),
        Start::At(Rung::Full) => Some("repair"),
        Start::At(Rung::Deep) => Some("repair --from deep --up-to deep"),
        Start::Network => Some("repair --network"),
        Start::Manual(_) => None,
    }
}

impl Finding {
    pub fn new(
        id: impl Into<String>,
        severity: Severity,
        summary: impl Into<String>,
        evidence: impl Into<String>,
    ) -> Self {
        Finding {
            id: id.into(),
            severity,
            available: true,
            reason: None,
            summary: summary.into(),
            evidence: evidence.into(),
            remedy: None,
            reset_would_help: false,
            fixed_by: None,
            facts: Facts::default(),
            code_value: None,
        }
    }

    /// Mark this finding as one a reset cures (and so `wufix reset`, and `repair`, fix it).
    pub fn reset_helps(mut self) -> Self {
        self.reset_would_help = true;
        self.fixed_by.get_or_insert("reset");
        self
    }

    /// The wufix command that fixes it unattended.
    pub fn fixed_by(mut self, command: &'static str) -> Self {
        self.fixed_by = Some(command);
        self
    }

    pub fn remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = Some(remedy.into());
        self
    }

    /// The failure's code, in every form.
    pub fn with_code(mut self, code: Option<u32>) -> Self {
        self.code_value = code;
        self.facts.code = code.map(code_text);
        self.facts.hresult = code.map(|c| crate::explain::lookup_value(c) as i32);
        self
    }

    /// A check that cannot run here, and why.
    pub fn unavailable(id: &str, what: &str, why: impl std::fmt::Display) -> Self {
        let why = why.to_string();
        let mut finding = Finding::new(
            id,
            Severity::Info,
            format!("unavailable: {what}"),
            why.clone(),
        );
        finding.available = false;
        finding.reason = Some(why);
        finding
    }

    /// Whether this finding asks for action of any kind (a warning or an error).
    pub fn needs_attention(&self) -> bool {
        self.severity >= Severity::Warn
    }

    /// Whether `wufix repair --yes`, as it runs unattended (evidence picks the rung, up to
    /// full), fixes it: what `diagnose --exit-code` reports as exit 1.
    pub fn repair_fixes(&self) -> bool {
        matches!(self.fixed_by, Some("reset" | "repair"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn finding(id: &str, severity: Severity, remedy: &str) -> Finding {
        Finding::new(id, severity, format!("{id} summary"), "evidence").remedy(remedy)
    }

    #[test]
    fn the_next_step_puts_what_blocks_everything_first() {
        let findings = vec![
            finding(
                "update-failure-20",
                Severity::Warn,
                "Run `wufix reset`, restart and retry.",
            ),
            finding("pending-reboot", Severity::Warn, "Restart Windows"),
            finding(
                "service-bits",
                Severity::Error,
                "sc config bits start= demand",
            ),
        ];
        assert_eq!(
            next_step(&findings).as_deref(),
            Some("sc config bits start= demand")
        );
        assert_eq!(
            next_step(&findings[..2]).as_deref(),
            Some("Restart Windows")
        );
        assert!(
            next_step(&findings[..1])
                .unwrap()
                .starts_with("Run `wufix reset` as administrator")
        );
        let fine = vec![
            finding("wsus", Severity::Info, "check the server"),
            finding("free-space", Severity::Ok, ""),
        ];
        assert_eq!(next_step(&fine), None);
    }

    #[test]
    fn a_disabled_update_service_is_the_residue_rungs_to_fix() {
        let service = |name: &str, evidence: &str| {
            let mut f =
                Finding::new("service", Severity::Error, "disabled", evidence).remedy("sc config");
            f.facts.service = Some(name.to_string());
            f
        };
        let mut findings = vec![
            service("wuauserv", "state stopped, start type disabled"),
            service("trustedinstaller", "state stopped, start type disabled"),
            service("bits", "state stopped, start type demand"),
        ];
        blocker_disabled(&mut findings);
        assert_eq!(findings[0].fixed_by, Some("repair"));
        assert!(
            findings[0]
                .remedy
                .as_deref()
                .unwrap()
                .starts_with("`wufix repair --from residue")
        );
        // Not a service the rung restores, or not disabled: left as it was.
        assert_eq!(findings[1].fixed_by, None);
        assert_eq!(findings[2].fixed_by, None);
    }

    #[test]
    fn a_failure_that_is_microsofts_known_issue_gets_its_action_not_a_reset() {
        let table = crate::known_issues::table();
        let failure = |code: u32, kb: &str| {
            let mut f = Finding::new("update-failure", Severity::Warn, "failed", "event 20")
                .with_code(Some(code));
            f.facts.kb = Some(kb.to_string());
            f.reset_would_help = true;
            f.fixed_by = fixed_by_code(code).or(Some("reset"));
            f
        };
        let mut findings = vec![
            failure(0x80070643, "KB5034441"),
            failure(0x80240069, "KB5055528"),
            // The same update failing with a code its issue does not list is left alone.
            failure(0x80070002, "KB5034441"),
        ];
        known_issues(&mut findings, table);
        let [winre, wsus, other] = &findings[..] else {
            unreachable!()
        };
        assert_eq!(
            winre.facts.known_issue.as_deref(),
            Some("kb5034441-recovery-partition")
        );
        let remedy = winre.remedy.as_deref().unwrap();
        assert!(
            remedy.contains("KB5028997") && remedy.contains("A reset will not help"),
            "{remedy}"
        );
        assert!(
            remedy.contains("https://support.microsoft.com/help/5034441"),
            "{remedy}"
        );
        assert_eq!((winre.reset_would_help, winre.fixed_by), (false, None));
        assert!(!winre.repair_fixes());
        assert_eq!(
            wsus.facts.known_issue.as_deref(),
            Some("kb5055528-wsus-0x80240069")
        );
        assert!(
            wsus.remedy
                .as_deref()
                .unwrap()
                .contains("Known Issue Rollback")
        );
        assert_eq!(other.facts.known_issue, None);
        assert_eq!(other.fixed_by, Some("reset"));
    }
}

/// Why a check could not run, in words for the evidence field.
fn why_unavailable(err: &SysError) -> String {
    match err {
        SysError::Offline => {
            "an offline installation has no running registry, event log or services to read"
                .to_string()
        }
        other => other.to_string(),
    }
}

/// The result of `wufix diagnose`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct DiagnoseReport {
    pub ok: bool,
    pub command: &'static str,
    pub mode: Mode,
    pub windows_dir: String,
    /// For a mounted Windows: each file the answers come from (its hives), and what could not be
    /// read, with why. Empty online.
    pub read: Vec<String>,
    /// True when a finding would be fixed by `wufix repair --yes` as it runs unattended: what
    /// `--exit-code` reports as exit 1, so an Intune detection settles once the repair worked.
    pub repair_would_fix: bool,
    /// True when a finding at `warn` or `error` is one `wufix repair --yes` does not fix (the
    /// deep rung, a restart, disk space, a person): listed, never a trigger.
    pub person_needed: bool,
    /// The one thing to do first, when anything needs doing.
    pub next_step: Option<String>,
    /// A wufix run that was killed before it finished, and what it left; `null` when none.
    pub interrupted: Option<crate::recovery::Interrupted>,
    pub findings: Vec<Finding>,
}

/// Run every check. Read-only; needs no administrator rights.
pub fn diagnose(layout: &Layout, sys: &dyn Platform, mode: Mode) -> DiagnoseReport {
    let mut findings = Vec::new();
    findings.extend(version::check(sys));
    findings.extend(services::check(sys, mode == Mode::Online));
    findings.extend(reboot::check(sys, layout, mode));
    findings.extend(storage::check(layout));
    if mode == Mode::Offline {
        if let Some(why) = crate::folders::volume::state(layout.root()).refusal() {
            findings.push(
                Finding::new(
                    "volume-state",
                    Severity::Error,
                    "nothing may be written to this volume now",
                    layout.root().display().to_string(),
                )
                .remedy(why),
            );
        }
    }
    findings.extend(events::check(sys, jiff::Timestamp::now()));
    let now = jiff::Timestamp::now();
    // Logs are stamped in local time: this machine's date, for its own logs only.
    let today = (mode == Mode::Online).then(|| now.to_zoned(crate::sys::local_zone()).date());
    findings.extend(servicing_logs::check(layout, mode, today));
    findings.extend(partitions::check(layout, sys, mode));
    findings.extend(installed::check(sys, layout));
    findings.extend(setup::check(layout, sys, mode, today));
    findings.extend(policy::check(sys));
    findings.extend(residue::check(layout, sys, mode));
    let journal = crate::recovery::view(
        &crate::journal::Store::for_windows(&layout.windows_dir, mode),
        sys,
        mode,
        layout.root(),
    );
    findings.extend(journal_findings(&journal));
    if mode == Mode::Online {
        blocker_disabled(&mut findings);
    }
    known_issues(&mut findings, crate::known_issues::table());
    if mode == Mode::Offline {
        for remedy in findings.iter_mut().filter_map(|f| f.remedy.as_mut()) {
            *remedy = windows_pe::remedy(remedy);
        }
    }
    DiagnoseReport {
        ok: true,
        command: "diagnose",
        mode,
        windows_dir: layout.windows_dir.display().to_string(),
        read: sys.sources(),
        repair_would_fix: findings.iter().any(Finding::repair_fixes),
        person_needed: findings
            .iter()
            .any(|f| f.needs_attention() && !f.repair_fixes()),
        next_step: next_step(&findings),
        interrupted: journal.interrupted,
        findings,
    }
}

/// Whether the system partition (EFI / System Reserved) is below the line where cumulative
/// updates roll back with 0x800F0922: then `repair` sends the person there, not up the ladder.
pub fn system_partition_full(layout: &Layout, sys: &dyn Platform) -> bool {
    partitions::check(layout, sys, Mode::Online)
        .iter()
        .any(|f| f.id == "system-partition" && f.severity >= Severity::Warn)
}

/// A disabled update service is a blocker's signature and the residue rung sets it back: its
/// `service` finding says so (`fixed_by: repair`), so `--exit-code` fires for it.
fn blocker_disabled(findings: &mut [Finding]) {
    for f in findings
        .iter_mut()
        .filter(|f| f.id == "service" && f.needs_attention())
    {
        let Some(name) = f.facts.service.clone() else {
            continue;
        };
        let restorable = crate::residue::SERVICES
            .iter()
            .any(|(s, _, _)| s.eq_ignore_ascii_case(&name));
        if restorable && f.evidence.contains("start type disabled") {
            f.fixed_by = Some("repair");
            f.facts.rule = Some("service-disabled".into());
            f.remedy = Some(format!(
                "`wufix repair --from residue --up-to residue` sets its start type back (journaled; `wufix undo` reverses it). By hand: {}",
                f.remedy.clone().unwrap_or_default()
            ));
        }
    }
}

/// A failure that is one of Microsoft's known issues gets that issue's action as its remedy: a
/// reset or repair will not cure Microsoft's bug, so neither is offered for it.
pub fn known_issues(findings: &mut [Finding], table: &crate::known_issues::Table) {
    for finding in findings.iter_mut().filter(|f| f.needs_attention()) {
        let failure = crate::known_issues::Failure {
            code: finding.code_value,
            kb: finding.facts.kb.as_deref(),
            package: finding.facts.package.as_deref(),
        };
        let Some(issue) = crate::known_issues::find(table, &failure) else {
            continue;
        };
        finding.remedy = Some(format!(
            "Microsoft's known issue \"{}\": {}. A reset will not help. (Source: {}, {}, checked {})",
            issue.title, issue.action.text, issue.source.title, issue.source.url, issue.checked
        ));
        finding.reset_would_help = false;
        finding.fixed_by = None;
        finding.facts.known_issue = Some(issue.id.clone());
    }
}

/// An interrupted run comes first of all: it may have left the update services stopped.
fn journal_findings(view: &crate::recovery::JournalView) -> Vec<Finding> {
    let mut out = Vec::new();
    if let Some(run) = &view.interrupted {
        let mut what = Vec::new();
        if !run.services_stopped.is_empty() {
            what.push(format!("left {} stopped", run.services_stopped.join(", ")));
        }
        let renamed = run.renamed.iter().filter(|r| r.done).count();
        if renamed > 0 {
            what.push(format!(
                "renamed {}",
                crate::record::count(renamed as u64, "folder", "folders")
            ));
        }
        let what = if what.is_empty() {
            String::new()
        } else {
            format!(": it {}", what.join(" and "))
        };
        out.push(
            Finding::new(
                "interrupted-run",
                Severity::Warn,
                format!(
                    "a wufix {} started at {} was interrupted{what}",
                    run.command, run.started
                ),
                run.journal.clone(),
            )
            .remedy(
                "Run `wufix undo` to put everything back as it was (it starts the stopped services again first)",
            )
            .reset_helps(),
        );
    }
    for aside in &view.set_aside {
        out.push(Finding::new(
            "journal-set-aside",
            Severity::Info,
            format!("a damaged wufix journal was set aside ({})", aside.why),
            aside.path.clone(),
        ));
    }
    for damaged in &view.damaged {
        out.push(Finding::new(
            "journal-damaged",
            Severity::Info,
            format!(
                "a wufix journal is damaged ({}); the next reset, undo or repair sets it aside",
                damaged.why
            ),
            damaged.path.clone(),
        ));
    }
    for skipped in &view.skipped {
        out.push(Finding::new(
            "journal-skipped",
            Severity::Info,
            format!(
                "a file in wufix's journal folder was left alone ({})",
                skipped.why
            ),
            skipped.path.clone(),
        ));
    }
    out
}

/// What to do first. Errors before warnings; within them, what blocks everything else comes
/// first: a disabled or missing service, then a pending restart (a reset before the restart
/// repairs nothing), then disk space, then failures a reset cures.
pub fn next_step(findings: &[Finding]) -> Option<String> {
    let needing: Vec<&Finding> = findings.iter().filter(|f| f.needs_attention()).collect();
    let rank = |f: &Finding| {
        let area = if f.id == "interrupted-run" || f.id.starts_with("service-") {
            0
        } else if f.id == "pending-reboot" {
            1
        } else if f.id == "free-space" {
            2
        } else {
            3
        };
        (std::cmp::Reverse(f.severity), area)
    };
    let first = needing.iter().min_by_key(|f| rank(f))?;
    // Several failures that a reset cures are better served by one reset than by their list.
    if first.id.starts_with("update-failure")
        && needing.iter().any(|f| {
            f.remedy
                .as_deref()
                .is_some_and(|r| r.contains("wufix reset"))
        })
    {
        return Some(
            "Run `wufix reset` as administrator, restart Windows, then try the update again"
                .to_string(),
        );
    }
    Some(
        first
            .remedy
            .clone()
            .unwrap_or_else(|| first.summary.clone()),
    )
}
