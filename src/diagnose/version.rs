//! Which Windows this is.

use super::{Finding, Severity, why_unavailable};
use crate::sys::Platform;

const CURRENT_VERSION: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";

fn text(sys: &dyn Platform, name: &str) -> Option<String> {
    match sys.registry().value(CURRENT_VERSION, name) {
        Ok(Some(value)) => match (value.as_text(), value.as_dword()) {
            (Some(text), _) if !text.is_empty() => Some(text),
            (_, Some(n)) => Some(n.to_string()),
            _ => None,
        },
        _ => None,
    }
}

pub fn check(sys: &dyn Platform) -> Vec<Finding> {
    if let Err(err) = sys.registry().key_exists(CURRENT_VERSION) {
        return vec![Finding::unavailable(
            "windows-version",
            "Windows version",
            why_unavailable(&err),
        )];
    }
    let product = text(sys, "ProductName").unwrap_or_else(|| "Windows".to_string());
    let release = text(sys, "DisplayVersion").or_else(|| text(sys, "ReleaseId"));
    let build = text(sys, "CurrentBuild").or_else(|| text(sys, "CurrentBuildNumber"));
    let ubr = text(sys, "UBR");
    let mut summary = product;
    if let Some(release) = release {
        summary.push(' ');
        summary.push_str(&release);
    }
    if let Some(build) = &build {
        summary.push_str(&format!(", build {build}"));
        if let Some(ubr) = ubr {
            summary.push_str(&format!(".{ubr}"));
        }
    }
    vec![Finding::new(
        "windows-version",
        Severity::Info,
        summary,
        format!(r"HKLM\{CURRENT_VERSION}"),
    )]
}
