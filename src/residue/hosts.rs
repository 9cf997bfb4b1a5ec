//! Hosts-file lines that send Windows Update's host names to nowhere (`0.0.0.0`, `127.0.0.1`,
//! `::1`): blockers and "privacy" lists add them. The names are data (`data/update-domains.json`,
//! with its source).

use std::path::Path;

use super::Residue;

const DOMAINS: &str = include_str!("../../data/update-domains.json");
/// A hosts file larger than this is not a hosts file anyone keeps by hand: read this much.
const MAX_HOSTS: u64 = 4 << 20;

fn domains() -> Vec<String> {
    serde_json::from_str::<serde_json::Value>(DOMAINS)
        .ok()
        .and_then(|v| v["domains"].as_array().cloned())
        .unwrap_or_default()
        .iter()
        .filter_map(|d| d.as_str().map(str::to_ascii_lowercase))
        .collect()
}

/// Whether `host` is one of Windows Update's names (or below a `*.` one).
pub fn is_update_host(host: &str, domains: &[String]) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    domains.iter().any(|d| match d.strip_prefix("*.") {
        Some(base) => host == base || host.ends_with(&format!(".{base}")),
        None => host == *d,
    })
}

fn is_nowhere(address: &str) -> bool {
    matches!(address, "0.0.0.0" | "::" | "::1" | "::0") || address.starts_with("127.")
}

pub fn check(windows_dir: &Path) -> Vec<Residue> {
    let path = windows_dir
        .join("System32")
        .join("drivers")
        .join("etc")
        .join("hosts");
    let Ok(meta) = std::fs::symlink_metadata(&path) else {
        return Vec::new();
    };
    if !meta.is_file() {
        return Vec::new();
    }
    let Ok(file) = std::fs::File::open(&path) else {
        return Vec::new();
    };
    let domains = domains();
    let mut blocked = Vec::new();
    let _ = crate::lines::for_each_line(std::io::Read::take(file, MAX_HOSTS), |line| {
        let line = line.split('#').next().unwrap_or("");
        let mut words = line.split_whitespace();
        let (Some(address), hosts) = (words.next(), words) else {
            return;
        };
        if !is_nowhere(address) {
            return;
        }
        for host in hosts {
            if is_update_host(host, &domains) && !blocked.iter().any(|b: &String| b == host) {
                blocked.push(host.to_string());
            }
        }
    });
    if blocked.is_empty() {
        return Vec::new();
    }
    let shown: Vec<&str> = blocked.iter().take(6).map(String::as_str).collect();
    let more = if blocked.len() > 6 { ", …" } else { "" };
    vec![Residue {
        kind: "hosts-block",
        target: path.display().to_string(),
        found: format!(
            "{} of Windows Update's names sent nowhere ({}{more})",
            blocked.len(),
            shown.join(", ")
        ),
        usual: None,
        why: "scans and downloads cannot reach Microsoft (0x80072EE7, 0x8024402C)".into(),
        tool: None,
        fixes: Vec::new(),
    }]
}

#[cfg(test)]
pub fn domains_for_tests() -> Vec<String> {
    domains()
}
