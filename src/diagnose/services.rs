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
    if !online {
        return vec![Finding::unavailable(
            "services",
            "update services",
            "an offline installation has no running services",
        )];
    }
    let names: Vec<String> = catalog::all_services()
        .into_iter()
        .map(String::from)
        .collect();
    services::snapshot(sys, &names)
        .iter()
        .map(finding)
        .collect()
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
            format!("{name} is disabled{effect}"),
            evidence,
        )
        .remedy(format!(
            "From an elevated prompt: `sc config {name} start= demand`, then `net start {name}`"
        ));
    }
    Finding::new(id, Severity::Ok, format!("{name} is {state}"), evidence)
}
