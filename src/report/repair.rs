//! What `wufix repair` reports: where it started and why, each rung's steps and the scan after
//! it, which rung fixed Windows Update (or what to try next), and who manages the machine.

use serde::Serialize;

use crate::folders::inventory::BackupRecord;
use crate::ladder::{Rung, Stage};
use crate::managed::Managed;
use crate::record::{Outcome, StepRecord};
use crate::servicing::{Refusal, ServicingCheck};
use crate::sys::Scan;

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RepairReport {
    pub ok: bool,
    pub command: &'static str,
    pub dry_run: bool,
    pub windows_dir: String,
    pub start: StartReport,
    pub up_to: Rung,
    /// Whether a scan ran after each rung (`--no-verify` turns it off).
    pub verify: bool,
    /// Services a dead earlier run had left stopped, started again first.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub recovered: Vec<StepRecord>,
    pub rungs: Vec<RungReport>,
    /// The rung after which the scan succeeded.
    pub fixed_by: Option<Rung>,
    pub managed: Managed,
    pub servicing: Vec<ServicingCheck>,
    pub forced: bool,
    pub refused: Option<Refusal>,
    /// Where Windows' repair programs log.
    pub logs: Vec<String>,
    pub reboot_recommended: bool,
    /// What to try when the ladder did not fix it (or could not start).
    pub next_step: Option<String>,
    pub message: String,
    /// A mounted Windows: the Windows PE commands that put its residue back, in order (nothing
    /// is written to its hives from here).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub script: Vec<String>,
}

/// Where the ladder started, and what pointed there.
#[derive(Clone, Debug, Default, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct StartReport {
    /// `light`, `full`, `deep`, `network` or `none`.
    pub rung: &'static str,
    /// The code that pointed there, when one did.
    pub code: Option<String>,
    pub why: String,
}

#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct RungReport {
    pub rung: Rung,
    /// Winsock and the proxy were part of it.
    pub network: bool,
    /// Only Winsock and the proxy (a network failure).
    pub network_only: bool,
    pub summary: &'static str,
    pub ok: bool,
    pub steps: Vec<StepRecord>,
    pub backups: Vec<BackupRecord>,
    pub scan: Option<ScanReport>,
}

impl RungReport {
    pub fn new(stage: &Stage, steps: Vec<StepRecord>, backups: Vec<BackupRecord>) -> RungReport {
        RungReport {
            rung: stage.rung,
            network: stage.network,
            network_only: stage.network_only,
            summary: stage.summary(),
            ok: steps.iter().all(|s| s.outcome != Outcome::Failed),
            steps,
            backups,
            scan: None,
        }
    }
}

/// A Windows Update scan, explained.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct ScanReport {
    pub succeeded: bool,
    /// `0x80240438`; `0x00000000` when it succeeded; `null` when no scan ran.
    pub code: Option<String>,
    /// The same as a signed number.
    pub hresult: Option<i32>,
    /// The same, as a number, for the repair's own decisions.
    #[serde(skip)]
    pub value: Option<u32>,
    pub name: Option<&'static str>,
    pub meaning: Option<&'static str>,
    /// Applicable updates found, when it succeeded.
    pub updates: Option<u32>,
    pub timed_out: bool,
    /// The agent said "succeeded with errors": not counted as a working Windows Update.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub with_errors: bool,
    /// Why no scan result: the agent could not be asked at all.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `system-task`: the scan ran as SYSTEM through a one-shot scheduled task (this run had a
    /// network logon, from which the agent refuses to search).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ran_as: Option<&'static str>,
    /// From a network logon the scan could not be run at all (`error` says why): the repair
    /// stops climbing.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub cannot_verify: bool,
}

impl ScanReport {
    pub fn of(scan: &Scan) -> ScanReport {
        let e = crate::explain::explain("", scan.hresult);
        ScanReport {
            succeeded: scan.succeeded(),
            code: Some(e.code),
            hresult: Some(e.hresult),
            value: Some(scan.hresult),
            name: e.names.first().map(|n| n.name),
            meaning: e.meaning,
            updates: scan.updates,
            timed_out: scan.timed_out,
            with_errors: scan.with_errors,
            error: None,
            ran_as: None,
            cannot_verify: false,
        }
    }

    pub fn failed(err: String) -> ScanReport {
        ScanReport {
            succeeded: false,
            code: None,
            hresult: None,
            value: None,
            name: None,
            meaning: None,
            updates: None,
            timed_out: false,
            with_errors: false,
            error: Some(err),
            ran_as: None,
            cannot_verify: false,
        }
    }

    /// One line: how the scan ended.
    /// No scan could be run from this logon: `why`.
    pub fn cannot_verify(why: String) -> ScanReport {
        ScanReport {
            cannot_verify: true,
            ..ScanReport::failed(why)
        }
    }

    pub fn describe(&self) -> String {
        if self.cannot_verify {
            return format!(
                "whether Windows Update works cannot be verified from here: {}",
                self.error.as_deref().unwrap_or("no scan ran")
            );
        }
        if let Some(err) = &self.error {
            return format!("the scan could not be started: {err}");
        }
        if self.timed_out {
            return "the scan did not finish in time (it was asked to stop)".into();
        }
        if self.with_errors {
            return "the scan finished with errors (some of what it searched failed): not yet proof that Windows Update works".into();
        }
        if self.succeeded {
            return match self.updates {
                Some(n) => format!("Windows Update scans again: {n} update(s) to install"),
                None => "Windows Update scans again".into(),
            };
        }
        let name = self.name.map(|n| format!(" {n}")).unwrap_or_default();
        let meaning = self.meaning.map(|m| format!(": {m}")).unwrap_or_default();
        format!(
            "the scan still fails with {}{name}{meaning}",
            self.code.as_deref().unwrap_or("an unknown code")
        )
    }
}
