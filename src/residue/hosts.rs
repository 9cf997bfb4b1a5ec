//! Hosts-file lines that send Windows Update's host names to nowhere (`0.0.0.0`, `127.0.0.1`,
//! `::1`): blockers and "privacy" lists add them. The names are data (`data/update-domains.json`,
//! with its source). The residue rung comments such lines out (never deletes them): each gets
//! [`MARK`] in front, so the file before is the file after with the mark taken off those lines.

use std::io::{self, Read};
use std::path::{Path, PathBuf};

use super::{Put, Residue};

const DOMAINS: &str = include_str!("../../data/update-domains.json");
/// A hosts file larger than this is not read (the largest published block lists are ~4 MB).
pub const MAX_HOSTS: u64 = 8 << 20;
/// What the residue rung puts before a line it turns into a comment.
pub const MARK: &str = "# wufix: ";

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

/// The hosts file of the installation at `windows_dir`.
pub fn path(windows_dir: &Path) -> PathBuf {
    windows_dir
        .join("System32")
        .join("drivers")
        .join("etc")
        .join("hosts")
}

/// The file's bytes: `None` when it is absent, not a plain file (a link is never followed) or
/// too large to be anyone's hosts file.
pub fn read(path: &Path) -> io::Result<Option<Vec<u8>>> {
    let meta = match std::fs::symlink_metadata(path) {
        Ok(meta) => meta,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(err) => return Err(err),
    };
    if !meta.is_file() || meta.len() > MAX_HOSTS {
        return Ok(None);
    }
    let mut bytes = Vec::new();
    crate::sys::names::open_regular(path)?
        .take(MAX_HOSTS + 1)
        .read_to_end(&mut bytes)?;
    Ok((bytes.len() as u64 <= MAX_HOSTS).then_some(bytes))
}

/// The file's lines, each with its own end (`\n` or `\r\n`), so that joining them gives the
/// file back byte for byte.
pub fn lines(bytes: &[u8]) -> Vec<&[u8]> {
    bytes.split_inclusive(|&b| b == b'\n').collect()
}

/// The update names a line sends nowhere (none for a comment or a real address).
fn blocked_on(line: &[u8], domains: &[String]) -> Vec<String> {
    let Ok(line) = std::str::from_utf8(line) else {
        return Vec::new();
    };
    let line = line.split('#').next().unwrap_or("");
    let mut words = line.split_whitespace();
    match words.next() {
        Some(address) if is_nowhere(address) => words
            .filter(|h| is_update_host(h, domains))
            .map(str::to_string)
            .collect(),
        _ => Vec::new(),
    }
}

/// The indexes of the lines that send an update name nowhere, and those names.
pub fn blocking(bytes: &[u8]) -> (Vec<usize>, Vec<String>) {
    let domains = domains();
    let mut indexes = Vec::new();
    let mut names: Vec<String> = Vec::new();
    for (i, line) in lines(bytes).into_iter().enumerate() {
        let blocked = blocked_on(line, &domains);
        if !blocked.is_empty() {
            indexes.push(i);
        }
        for host in blocked {
            if !names.contains(&host) {
                names.push(host);
            }
        }
    }
    (indexes, names)
}

/// The file with [`MARK`] before each line of `indexes`.
pub fn commented(bytes: &[u8], indexes: &[usize]) -> Vec<u8> {
    let mut out = Vec::with_capacity(bytes.len() + indexes.len() * MARK.len());
    for (i, line) in lines(bytes).into_iter().enumerate() {
        if indexes.contains(&i) {
            out.extend_from_slice(MARK.as_bytes());
        }
        out.extend_from_slice(line);
    }
    out
}

/// The file with the mark taken off each `(index, line)`, only when every one of those lines is
/// exactly the mark and that line: otherwise `None` (someone changed them since).
pub fn uncommented(bytes: &[u8], saved: &[(usize, String)]) -> Option<Vec<u8>> {
    let lines = lines(bytes);
    let mut out = Vec::with_capacity(bytes.len());
    for (i, line) in lines.iter().enumerate() {
        match saved.iter().find(|(at, _)| *at == i) {
            Some((_, text)) => {
                let rest = line.strip_prefix(MARK.as_bytes())?;
                if rest != text.as_bytes() {
                    return None;
                }
                out.extend_from_slice(rest);
            }
            None => out.extend_from_slice(line),
        }
    }
    saved.iter().all(|(at, _)| *at < lines.len()).then_some(out)
}

pub fn check(windows_dir: &Path) -> Vec<Residue> {
    let path = path(windows_dir);
    let Ok(Some(bytes)) = read(&path) else {
        return Vec::new();
    };
    let (indexes, blocked) = blocking(&bytes);
    if blocked.is_empty() {
        return Vec::new();
    }
    let shown: Vec<&str> = blocked.iter().take(6).map(String::as_str).collect();
    let more = if blocked.len() > 6 { ", …" } else { "" };
    vec![Residue {
        kind: "hosts-block",
        target: path.display().to_string(),
        found: format!(
            "{} of Windows Update's names sent nowhere ({}{more}), on {} line{}",
            blocked.len(),
            shown.join(", "),
            indexes.len(),
            if indexes.len() == 1 { "" } else { "s" }
        ),
        usual: None,
        why: "scans and downloads cannot reach Microsoft (0x80072EE7, 0x8024402C)".into(),
        tool: None,
        fixes: vec![Put::Hosts { path }],
    }]
}

#[cfg(test)]
pub fn domains_for_tests() -> Vec<String> {
    domains()
}
