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
    let release = text(sys, "DisplayVersion").or_else(|| text(sys, "ReleaseId"));
    let build = text(sys, "CurrentBuild").or_else(|| text(sys, "CurrentBuildNumber"));
    let product = product_name(
        text(sys, "ProductName").as_deref().unwrap_or("Windows"),
        build.as_deref(),
        text(sys, "InstallationType").as_deref(),
    );
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

/// Windows 11 keeps `ProductName` "Windows 10 …" (a known quirk): a client edition of build
/// 22000 or later is Windows 11. A server (build 26100 is also Windows Server 2025) stays as named.
fn product_name(product: &str, build: Option<&str>, installation: Option<&str>) -> String {
    let eleven = build
        .and_then(|b| b.trim().parse::<u32>().ok())
        .is_some_and(|b| b >= 22000);
    let server = installation.is_some_and(|i| i.eq_ignore_ascii_case("Server"))
        || product.contains("Server");
    match product.strip_prefix("Windows 10") {
        Some(rest) if eleven && !server => format!("Windows 11{rest}"),
        _ => product.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::product_name;

    #[test]
    fn windows_11_is_named_by_its_build_and_a_server_stays_a_server() {
        let name = |p, b, i| product_name(p, b, i);
        assert_eq!(
            name("Windows 10 Pro", Some("26100"), Some("Client")),
            "Windows 11 Pro"
        );
        assert_eq!(
            name("Windows 10 Enterprise", Some("22000"), None),
            "Windows 11 Enterprise"
        );
        assert_eq!(
            name("Windows 10 Pro", Some("19045"), Some("Client")),
            "Windows 10 Pro"
        );
        assert_eq!(
            name("Windows 10 Pro", Some("21999"), None),
            "Windows 10 Pro"
        );
        assert_eq!(
            name(
                "Windows Server 2025 Datacenter",
                Some("26100"),
                Some("Server")
            ),
            "Windows Server 2025 Datacenter"
        );
        assert_eq!(
            name("Windows 10 Pro", Some("26100"), Some("Server")),
            "Windows 10 Pro"
        );
        assert_eq!(name("Windows 10 Pro", None, None), "Windows 10 Pro");
        assert_eq!(
            name("Windows 10 Pro", Some("not a number"), None),
            "Windows 10 Pro"
        );
        assert_eq!(
            name("Windows 11 Home", Some("26100"), None),
            "Windows 11 Home"
        );
    }
}
