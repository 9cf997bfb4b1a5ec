//! The update services: installed, state, start type.

use super::{Finding, Severity};
use crate::catalog;
use crate::services;
use crate::services::ServiceSnapshot;
use crate::sys::{Platform, StartType};

/// Without these, updates cannot even be searched for or downloaded.
const ESSENTIAL: [&str; 3] = ["wuauserv", "bits", "cryptsvc"];
/// Present on Windows 10 and later only.
const NEWER: [&str; 2] = ["usosvc", "dosvc"];

pub fn check(sys: &dyn Platform, online: bool) -> Vec<Finding> {
    let names: Vec<String> = catalog::all_services()
        .into_iter()
        .map(String::from)
        .collect();
    if !online {
        // A mounted Windows runs nothing: each service's start type from its SYSTEM hive.
        return names
            .iter()
            .map(|n| {
                let mut f = finding(&from_hive(sys, n));
                if f.severity >= Severity::Warn && f.evidence.contains("start type disabled") {
                    f.remedy = Some(offline_enable(sys, n));
                }
                f
            })
            .collect();
    }
    services::snapshot(sys, &names)
        .iter()
        .map(finding)
        .collect()
}

/// Enabling a service of a Windows that is not running: from Windows PE (or another Windows with
/// the disk attached), through its own SYSTEM hive (`residue::script`).
fn offline_enable(sys: &dyn Platform, name: &str) -> String {
    let start = crate::residue::usual_start_of(name).unwrap_or(StartType::Demand);
    let sc = match start {
        StartType::AutoDelayed => "delayed-auto",
        StartType::Auto => "auto",
        _ => "demand",
    };
    let commands: Vec<String> =
        crate::residue::script::enable(name, start, &crate::residue::script::control_set(sys))
            .iter()
            .map(|c| format!("`{c}`"))
            .collect();
    format!(
        "This Windows is not running. From Windows PE, as administrator, {}: {}; or start that Windows and run `sc config {name} start= {sc}`",
        crate::residue::script::LETTER_NOTE,
        commands.join("; ")
    )
}

/// A service of a mounted Windows as its registry describes it (`Services\NAME\Start`,
/// `DelayedAutostart`); its state is "stopped", since that Windows is not running.
pub fn from_hive(sys: &dyn Platform, name: &str) -> ServiceSnapshot {
    let key = format!(r"SYSTEM\CurrentControlSet\Services\{name}");
    let registry = sys.registry();
    let mut snap = ServiceSnapshot::absent(name);
    match registry.key_exists(&key) {
        Ok(true) => {}
        Ok(false) => return snap,
        Err(err) => {
            snap.error = Some(super::why_unavailable(&err));
            return snap;
        }
    }
    let dword = |value: &str| {
        registry
            .value(&key, value)
            .ok()
            .flatten()
            .and_then(|v| v.as_dword())
    };
    snap.exists = true;
    snap.state = Some(crate::sys::ServiceState::Stopped);
    snap.start_type = dword("Start").map(|start| match start {
        0 => StartType::Boot,
        1 => StartType::System,
        2 if dword("DelayedAutostart") == Some(1) => StartType::AutoDelayed,
        2 => StartType::Auto,
        4 => StartType::Disabled,
        _ => StartType::Demand,
    });
    snap
}

fn finding(snap: &ServiceSnapshot) -> Finding {
    let mut finding = finding_of(snap);
    finding.facts.service = Some(snap.name.clone());
    finding
}

fn finding_of(snap: &ServiceSnapshot) -> Finding {
    let id = "service";
    let name = snap.name.as_str();
    if let Some(err) = &snap.error {
        return Finding::unavailable(id, &format!("service {name}"), err);
    }
    if !snap.exists {
        return if NEWER.contains(&name) {
            Finding::new(
                id,
                Severity::Info,
                format!("{name} is not installed (it exists on Windows 10 and later only)"),
                "not in the service manager",
            )
        } else {
            let severity = if ESSENTIAL.contains(&name) {
                Severity::Error
            } else {
                Severity::Warn
            };
            Finding::new(id, severity, format!("{name} is not installed"), "not in the service manager")
                .remedy("Repair Windows: `DISM /Online /Cleanup-Image /RestoreHealth`, then `sfc /scannow`; an in-place upgrade restores missing services")
        };
    }
    let state = snap.state.map(|s| s.as_str()).unwrap_or("unknown");
    let start = snap.start_type.map(|s| s.as_str()).unwrap_or("unknown");
    let pid = snap.pid.map(|p| format!(", pid {p}")).unwrap_or_default();
    let evidence = format!("state {state}, start type {start}{pid}");
    if snap.start_type == Some(StartType::Disabled) {
        let severity = if ESSENTIAL.contains(&name) {
            Severity::Error
        } else {
            Severity::Warn
        };
        let effect = if matches!(name, "wuauserv" | "bits") {
            " (updates fail with 0x80070422)"
        } else {
            ""
        };
        return Finding::new(
            id,
            severity,
            format!("{} is disabled{effect}", shown(snap)),
            evidence,
        )
        .remedy(format!(
            "From an elevated prompt: `sc config {name} start= demand`, then `net start {name}`"
        ));
    }
    Finding::new(id, Severity::Ok, format!("{name} is {state}"), evidence)
}

/// A service as a person knows it: the name Windows shows (in its own language where the service
/// manager gave it), with the short name a technician types.
fn shown(snap: &ServiceSnapshot) -> String {
    match &snap.display_name {
        Some(shown) => format!("{shown} ({})", snap.name),
        None => crate::catalog::service_shown(&snap.name),
    }
}
