//! `wufix diagnose`: say what is wrong before cutting. Each check returns findings
//! `{id, severity, summary, evidence, remedy}`; a check that cannot run here says so as an
//! `info` finding ("unavailable") rather than crashing or going missing.

mod cbslog;
mod events;
mod policy;
mod reboot;
mod services;
mod storage;
mod version;

use serde::Serialize;

use crate::folders::Layout;
use crate::sys::{Platform, SysError};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
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

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub id: String,
    pub severity: Severity,
    pub summary: String,
    pub evidence: String,
    /// The exact command or step that fixes it; `None` when there is nothing to do.
    pub remedy: Option<String>,
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
            summary: summary.into(),
            evidence: evidence.into(),
            remedy: None,
        }
    }

    pub fn remedy(mut self, remedy: impl Into<String>) -> Self {
        self.remedy = Some(remedy.into());
        self
    }

    /// A check that cannot run here, and why.
    pub fn unavailable(id: &str, what: &str, why: impl std::fmt::Display) -> Self {
        Finding::new(
            id,
            Severity::Info,
            format!("unavailable: {what}"),
            why.to_string(),
        )
    }

    /// Whether acting on this finding is needed (the `--exit-code` contract).
    pub fn needs_remediation(&self) -> bool {
        self.severity >= Severity::Warn
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
pub struct DiagnoseReport {
    pub ok: bool,
    pub command: &'static str,
    pub mode: &'static str,
    pub windows_dir: String,
    /// True when a finding is `warn` or `error`.
    pub needs_remediation: bool,
    pub findings: Vec<Finding>,
}

/// Run every check. Read-only; needs no administrator rights.
pub fn diagnose(layout: &Layout, sys: &dyn Platform, online: bool) -> DiagnoseReport {
    let mut findings = Vec::new();
    findings.extend(version::check(sys));
    findings.extend(services::check(sys, online));
    findings.extend(reboot::check(sys));
    findings.extend(storage::check(layout));
    findings.extend(events::check(sys));
    findings.extend(cbslog::check(layout));
    findings.extend(policy::check(sys));
    DiagnoseReport {
        ok: true,
        command: "diagnose",
        mode: if online { "online" } else { "offline" },
        windows_dir: layout.windows_dir.display().to_string(),
        needs_remediation: findings.iter().any(Finding::needs_remediation),
        findings,
    }
}
