//! `wufix logs PATH…`: logs handed over from a machine wufix cannot touch, read as `diagnose`
//! reads its own. Files are recognised by content; folders are walked without following links,
//! and only the known log names in them are read (the rest is counted). Staleness is judged on
//! the logs' own timeline, never this machine's clock.

pub mod kind;
mod wulog;

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::servicing_logs::{handed::handed, is_cab, open_regular};
use super::{Finding, Severity, setup};
pub use kind::LogKind;

/// The names read inside a folder (lower case; `*` a run of anything).
const KNOWN: &[&str] = &[
    "cbs.log",
    "cbspersist_*.log",
    "cbspersist_*.cab",
    "dism.log",
    "setupact.log",
    "setuperr.log",
    "setupdiagresults.xml",
    "windowsupdate.log",
    "sfcdetails.txt",
];
/// A walk stops here: a copied Windows folder can hold hundreds of thousands of files.
const WALK_LIMIT: usize = 200_000;
const MAX_DEPTH: usize = 12;
/// The part of a file read to tell what it is.
const SNIFF_BYTES: u64 = 256 * 1024;

/// One file read, and what it was taken for.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Input {
    pub path: String,
    pub kind: LogKind,
    /// Why it was not read, when it was not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unread: Option<String>,
}

/// The result of `wufix logs`.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct LogsReport {
    pub ok: bool,
    pub command: &'static str,
    pub inputs: Vec<Input>,
    /// Files in the folders walked that are not logs wufix reads.
    pub skipped: usize,
    /// Links not followed, and where the walk stopped.
    pub refused: Vec<String>,
    /// A failure stands in what was read (`--exit-code` reports it as exit 1).
    pub failure_stands: bool,
    pub next_step: Option<String>,
    pub findings: Vec<Finding>,
}

impl LogsReport {
    /// Whether anything at all could be read: nothing readable is a usage error (exit 2).
    pub fn read_any(&self) -> bool {
        self.inputs
            .iter()
            .any(|i| i.unread.is_none() && i.kind != LogKind::Unrecognised)
    }
}

#[derive(Default)]
struct Walk {
    files: Vec<PathBuf>,
    skipped: usize,
    refused: Vec<String>,
    visited: usize,
}

fn known_name(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    KNOWN.iter().any(|pattern| match pattern.split_once('*') {
        Some((head, tail)) => {
            name.len() >= head.len() + tail.len() && name.starts_with(head) && name.ends_with(tail)
        }
        None => name == *pattern,
    })
}

impl Walk {
    fn folder(&mut self, dir: &Path, depth: usize) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            self.refused
                .push(format!("{}: could not be listed", dir.display()));
            return;
        };
        let mut entries: Vec<_> = entries.flatten().collect();
        entries.sort_by_key(|e| e.file_name());
        for entry in entries {
            self.visited += 1;
            if self.visited > WALK_LIMIT {
                if self.visited == WALK_LIMIT + 1 {
                    self.refused
                        .push(format!("the walk stopped after {WALK_LIMIT} entries"));
                }
                return;
            }
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            if meta.file_type().is_symlink() || is_reparse(&meta) {
                self.refused
                    .push(format!("{} is a link; not followed", path.display()));
            } else if meta.is_dir() {
                if depth < MAX_DEPTH {
                    self.folder(&path, depth + 1);
                }
            } else if meta.is_file() && known_name(&entry.file_name().to_string_lossy()) {
                self.files.push(path);
            } else {
                self.skipped += 1;
            }
        }
    }
}

#[cfg(windows)]
fn is_reparse(meta: &std::fs::Metadata) -> bool {
    use std::os::windows::fs::MetadataExt;
    meta.file_attributes() & 0x400 != 0
}

#[cfg(not(windows))]
fn is_reparse(_: &std::fs::Metadata) -> bool {
    false
}

/// The first lines of `path`, decoded, to tell what it is.
fn sniff(path: &Path) -> std::io::Result<LogKind> {
    let file = open_regular(path)?;
    let mut lines = Vec::new();
    crate::lines::for_each_line(file.take(SNIFF_BYTES), |l| {
        if lines.len() < kind::SNIFF_LINES {
            lines.push(l.to_string());
        }
    })?;
    Ok(kind::recognise(lines.iter().map(String::as_str)))
}

pub fn read(paths: &[PathBuf]) -> LogsReport {
    let mut walk = Walk::default();
    for path in paths {
        // The path given is followed as the user named it; links below it are not.
        match std::fs::metadata(path) {
            Ok(meta) if meta.is_dir() => walk.folder(path, 0),
            Ok(_) => walk.files.push(path.clone()),
            Err(err) => walk.refused.push(format!("{}: {err}", path.display())),
        }
    }
    let mut inputs = Vec::new();
    let (mut cbs, mut dism) = (Vec::new(), Vec::new());
    let mut findings = Vec::new();
    for path in &walk.files {
        let shown = path.display().to_string();
        if is_cab(path) {
            // Read in place by the CBS reader; an archive it cannot open is said there.
            cbs.push(path.clone());
            inputs.push(Input {
                path: shown,
                kind: LogKind::Cbs,
                unread: None,
            });
            continue;
        }
        let kind = match sniff(path) {
            Ok(kind) => kind,
            Err(err) => {
                inputs.push(Input {
                    path: shown,
                    kind: LogKind::Unrecognised,
                    unread: Some(err.to_string()),
                });
                continue;
            }
        };
        let mut unread = None;
        match kind {
            LogKind::Cbs => cbs.push(path.clone()),
            LogKind::Dism => dism.push(path.clone()),
            LogKind::Setup | LogKind::Sysprep => match setup::read_log(path) {
                Some(verdict) => {
                    let (id, what) = if kind == LogKind::Sysprep {
                        ("sysprep", "the sysprep this log records")
                    } else {
                        ("feature-update", "the feature update this log records")
                    };
                    findings.push(setup::result(id, what, &verdict, path, None));
                }
                None => unread = Some("could not be read".to_string()),
            },
            LogKind::Setupdiag => match setup::read_text(path) {
                Some(text) => {
                    let diag = setup::setupdiag::from_xml(&text);
                    if !diag.is_empty() {
                        findings.push(setup::diagnosis(&diag, shown.clone()));
                    }
                }
                None => unread = Some("could not be read".to_string()),
            },
            LogKind::WindowsUpdate => {
                let mut reader = wulog::Reader::default();
                let read = open_regular(path)
                    .and_then(|f| crate::lines::for_each_line(f, |l| reader.line(l)));
                match read {
                    Ok(()) => findings.extend(reader.findings(&shown)),
                    Err(err) => unread = Some(err.to_string()),
                }
            }
            LogKind::Unrecognised => findings.push(Finding::new(
                "unrecognised-log",
                Severity::Info,
                format!("{shown} is not a log wufix recognises (by its content)"),
                shown.clone(),
            )),
        }
        inputs.push(Input {
            path: shown,
            kind,
            unread,
        });
    }
    if !cbs.is_empty() || !dism.is_empty() {
        // Rotated logs by the stamp in their names, oldest first; the others after.
        cbs.sort_by_key(|p: &PathBuf| {
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_ascii_lowercase())
                .unwrap_or_default();
            (!name.starts_with("cbspersist_"), name)
        });
        let servicing = handed(&cbs, &dism, &[]);
        findings.splice(0..0, servicing);
    }
    let failure_stands = findings.iter().any(Finding::needs_attention);
    let next_step = findings
        .iter()
        .filter(|f| f.needs_attention())
        .find_map(|f| f.remedy.clone());
    LogsReport {
        ok: true,
        command: "logs",
        inputs,
        skipped: walk.skipped,
        refused: walk.refused,
        failure_stands,
        next_step,
        findings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_known_log_names_are_read_in_a_folder() {
        for name in [
            "CBS.log",
            "CbsPersist_20261120081500.log",
            "cbspersist_1.cab",
            "setupact.log",
            "SetupDiagResults.xml",
            "WindowsUpdate.log",
            "sfcdetails.txt",
        ] {
            assert!(known_name(name), "{name}");
        }
        for name in [
            "notes.txt",
            "cbspersist_.txt",
            "setupapi.dev.log",
            "dism.log.bak",
        ] {
            assert!(!known_name(name), "{name}");
        }
    }
}
