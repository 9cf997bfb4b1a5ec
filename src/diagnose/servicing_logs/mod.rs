//! The servicing logs — `Logs\CBS\CBS.log`, the rotated `CbsPersist_*.log`, `Logs\DISM\dism.log`
//! — read whole, streaming, for the servicing operations that failed and have not succeeded
//! since. Plain files, so this check works offline too (a technician's mounted disk).
//!
//! `decode` turns bytes into lines (any encoding, any line end), `line` reads a line's parts and
//! status, `cbs` and `dism` turn lines into operations, `evidence` folds operations into verdicts;
//! this file finds the logs and words the findings.

mod cbs;
mod dism;
mod evidence;
pub(crate) mod handed;
pub(crate) mod line;
mod recent;
mod timeline;
mod words;

use std::io;
use std::path::{Path, PathBuf};

use super::{Finding, Severity};
use crate::explain;
use crate::folders::Layout;
use crate::machine::Mode;
use crate::record::count;
use evidence::{Evidence, Group, Kind, Standing};

/// Failures shown one by one; the rest are counted in the summary finding.
const MAX_SHOWN: usize = 8;
/// A record (a dated line and its continuation lines) is cut here.
const MAX_RECORD: usize = 2 * crate::lines::MAX_LINE;

/// `today` is this machine's date (online only: a mounted disk's logs are measured against
/// themselves).
pub fn check(layout: &Layout, mode: Mode, today: Option<jiff::civil::Date>) -> Vec<Finding> {
    let logs = Logs::find(&layout.windows_dir);
    if logs.cbs.is_empty() && logs.dism.is_none() && !logs.refused.is_empty() {
        return vec![Finding::unavailable(
            "servicing-logs",
            "the servicing logs",
            format!("not read: {}", logs.refused.join("; ")),
        )];
    }
    if logs.cbs.is_empty() && logs.dism.is_none() {
        return vec![Finding::new(
            "servicing-logs",
            Severity::Info,
            "no servicing logs to read",
            r"Logs\CBS\CBS.log and Logs\DISM\dism.log are absent",
        )];
    }
    let offline = (mode == Mode::Offline).then_some(layout.windows_dir.as_path());
    let dism: Vec<PathBuf> = logs.dism.iter().cloned().collect();
    let read = Read {
        cbs: &logs.cbs,
        dism: &dism,
        refused: &logs.refused,
        today,
        offline,
        excerpts: false,
    };
    read.findings()
}

/// The logs to read and how: a machine's own (`check`), or logs handed over (`handed`).
struct Read<'a> {
    /// CBS logs oldest first.
    cbs: &'a [PathBuf],
    dism: &'a [PathBuf],
    refused: &'a [String],
    today: Option<jiff::civil::Date>,
    /// A mounted Windows: remedies are aimed at it.
    offline: Option<&'a Path>,
    /// Pasted excerpts are recognised (and known failure lines in them count by themselves).
    excerpts: bool,
}

impl Read<'_> {
    fn findings(&self) -> Vec<Finding> {
        let mut evidence = Evidence::default();
        evidence
            .timeline
            .today(self.today.and_then(|d| timeline::days(&d.to_string())));
        let mut unread: Vec<String> = self.refused.to_vec();
        // CBS logs first, then dism.log; a reader's file number is its place in `files`.
        let files: Vec<&Path> = self
            .cbs
            .iter()
            .chain(self.dism)
            .map(PathBuf::as_path)
            .collect();
        let mut excerpt_files = Vec::new();
        for (file, path) in files.iter().enumerate() {
            let cbs = file < self.cbs.len();
            let mut reader: Box<dyn LogReader> = if cbs {
                Box::new(cbs::CbsReader::new(file))
            } else {
                Box::new(dism::DismReader::new(file))
            };
            let mut watch = handed::Watch::new(file);
            let mut clean = handed::Cleaner::default();
            let result = read_records(path, self.excerpts.then_some(&mut clean), |line| {
                evidence.timeline.saw(file, cbs, line.time);
                if self.excerpts && cbs {
                    watch.line(line);
                }
                reader.feed(line, &mut evidence);
            });
            reader.finish(&mut evidence);
            if self.excerpts && cbs && watch.is_excerpt() {
                excerpt_files.push(file);
                watch.commit(&mut evidence);
            }
            if let Err(err) = result {
                unread.push(format!("{}: {err}", path.display()));
            }
        }
        findings(&evidence, &files, &unread, self.offline, &excerpt_files)
    }
}

/// What turns one log's lines into operations.
trait LogReader {
    fn feed(&mut self, line: &line::Line, evidence: &mut Evidence);
    /// The file ended: whatever is still open is complete.
    fn finish(&mut self, evidence: &mut Evidence);
}

impl LogReader for cbs::CbsReader {
    fn feed(&mut self, line: &line::Line, evidence: &mut Evidence) {
        cbs::CbsReader::feed(self, line, evidence);
    }
    fn finish(&mut self, evidence: &mut Evidence) {
        cbs::CbsReader::finish(self, evidence);
    }
}

impl LogReader for dism::DismReader {
    fn feed(&mut self, line: &line::Line, evidence: &mut Evidence) {
        dism::DismReader::feed(self, line, evidence);
    }
    fn finish(&mut self, evidence: &mut Evidence) {
        dism::DismReader::finish(self, evidence);
    }
}

/// The logs present, oldest first, how many compressed ones were left unread, and what was not
/// read and why (a link on the way, names differing only in case).
struct Logs {
    cbs: Vec<PathBuf>,
    dism: Option<PathBuf>,
    refused: Vec<String>,
}

impl Logs {
    fn find(windows_dir: &Path) -> Logs {
        let mut logs = Logs {
            cbs: Vec::new(),
            dism: None,
            refused: Vec::new(),
        };
        let Some(dir) = logs.child(windows_dir, "Logs") else {
            return logs;
        };
        if let Some(cbs) = logs.child(&dir, "CBS") {
            let mut persisted: Vec<PathBuf> = Vec::new();
            for entry in std::fs::read_dir(&cbs).into_iter().flatten().flatten() {
                let name = entry.file_name().to_string_lossy().to_ascii_lowercase();
                if !name.starts_with("cbspersist_") {
                    continue;
                }
                // The archives Windows rotates them into are read in place (MSZIP or LZX).
                if name.ends_with(".log") || name.ends_with(".cab") {
                    persisted.push(entry.path());
                }
            }
            // CbsPersist_20261120081500.log: the name's stamp orders them.
            persisted.sort();
            logs.cbs = persisted;
            if let Some(current) = logs.child(&cbs, "CBS.log") {
                logs.cbs.push(current);
            }
        }
        if let Some(dism) = logs.child(&dir, "DISM") {
            logs.dism = logs.child(&dism, "dism.log");
        }
        logs
    }

    /// The entry of `dir` named `name` ignoring case, when there is one and it is no link: the
    /// logs behind a linked folder are another system's, and two names differing only in case
    /// (a case-sensitive mount) cannot tell which is Windows' own. Either is said, not hidden.
    fn child(&mut self, dir: &Path, name: &str) -> Option<PathBuf> {
        child(dir, name, &mut self.refused)
    }
}

/// The entry of `dir` named `name` ignoring case, when there is one and it is no link; what is
/// refused, and why, goes to `refused` (`sys::names::lone_child`). Every log reader in diagnose
/// finds its files so.
pub(crate) fn child(dir: &Path, name: &str, refused: &mut Vec<String>) -> Option<PathBuf> {
    crate::sys::names::lone_child(dir, name).unwrap_or_else(|why| {
        refused.push(why);
        None
    })
}

/// Every record of a log: a dated line with the continuation lines that follow it joined on.
fn read_records(
    path: &Path,
    clean: Option<&mut handed::Cleaner>,
    each: impl FnMut(&line::Line),
) -> io::Result<()> {
    let file = open_regular(path)?;
    if !is_cab(path) {
        return records_of(file, clean, each);
    }
    // A CbsPersist archive holds one log: streamed out of it, never unpacked to disk.
    let mut cabinet = cab::Cabinet::new(file)?;
    let name = cabinet
        .folder_entries()
        .flat_map(|folder| folder.file_entries())
        .map(|entry| entry.name().to_string())
        .find(|name| name.to_ascii_lowercase().ends_with(".log"))
        .ok_or_else(|| io::Error::other("the archive holds no .log"))?;
    let log = cabinet.read_file(&name)?;
    records_of(log, clean, each)
}

/// A CbsPersist archive, by its name.
pub(crate) fn is_cab(path: &Path) -> bool {
    path.extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("cab"))
}

fn records_of(
    file: impl io::Read,
    mut clean: Option<&mut handed::Cleaner>,
    mut each: impl FnMut(&line::Line),
) -> io::Result<()> {
    let mut record = String::new();
    let mut flush = |record: &mut String| {
        if let Some(line) = line::parse(record) {
            each(&line);
        }
        record.clear();
    };
    crate::lines::for_each_line(file, |raw| {
        // A pasted excerpt's lines, as the log wrote them.
        let cleaned = clean.as_mut().map(|c| c.line(raw));
        let text = cleaned.as_deref().unwrap_or(raw);
        if line::is_dated(text) {
            flush(&mut record);
            record.push_str(text);
        } else if !record.is_empty() && record.len() < MAX_RECORD {
            // `[HRESULT = 0x800f0922 -` on one line, `CBS_E_INSTALLERS_FAILED]` on the next.
            record.push(' ');
            let room = MAX_RECORD - record.len();
            let cut = (0..=room.min(text.len()))
                .rev()
                .find(|&i| text.is_char_boundary(i))
                .unwrap_or(0);
            record.push_str(&text[..cut]);
        }
    })?;
    flush(&mut record);
    Ok(())
}

pub(crate) use crate::sys::names::open_regular;

/// `0x800F0922 CBS_E_INSTALLERS_FAILED`.
fn code_text(code: u32) -> String {
    let name = explain::first_name(code)
        .map(|n| format!(" {n}"))
        .unwrap_or_default();
    format!("0x{code:08X}{name}")
}

fn findings(
    evidence: &Evidence,
    files: &[&Path],
    unread: &[String],
    offline: Option<&Path>,
    excerpts: &[usize],
) -> Vec<Finding> {
    let mut verdicts = evidence.verdicts();
    // What stands first, newest first within each.
    verdicts.sort_by_key(|(standing, _)| !matches!(standing, Standing::Stands));
    let standing = verdicts
        .iter()
        .filter(|(s, _)| *s == Standing::Stands)
        .count();
    // The id names the kind: several failures of one kind share it, their facts tell them apart.
    let mut out: Vec<Finding> = verdicts
        .iter()
        .take(MAX_SHOWN)
        .map(|(standing, group)| failure(standing, group, files, offline, excerpts))
        .collect();
    let read: Vec<String> = files
        .iter()
        .map(|p| p.display().to_string())
        .filter(|p| !unread.iter().any(|u| u.starts_with(p.as_str())))
        .collect();
    let mut evidence_text = format!("read: {}", read.join(", "));
    if !unread.is_empty() {
        evidence_text.push_str(&format!("; not read: {}", unread.join("; ")));
    }
    if read.is_empty() {
        out.insert(
            0,
            Finding::unavailable("servicing-logs", "the servicing logs", &evidence_text),
        );
        return out;
    }
    let earlier = verdicts.len() - standing;
    let mut summary = if standing == 0 {
        "servicing logs: no failed servicing operation stands".to_string()
    } else {
        format!(
            "servicing logs: {} still standing",
            count(standing as u64, "failure", "failures")
        )
    };
    summary.push_str(&format!(
        " ({} read",
        count(evidence.operations as u64, "operation", "operations")
    ));
    if earlier > 0 {
        summary.push_str(&format!(
            ", {} since resolved or old",
            count(earlier as u64, "earlier failure", "earlier failures")
        ));
    }
    if verdicts.len() > MAX_SHOWN {
        summary.push_str(&format!(", {} not listed", verdicts.len() - MAX_SHOWN));
    }
    if evidence.forgotten > 0 {
        summary.push_str(&format!(
            ", {} older not kept",
            count(evidence.forgotten as u64, "failure", "failures")
        ));
    }
    summary.push(')');
    let severity = if standing == 0 {
        Severity::Ok
    } else {
        Severity::Info
    };
    out.insert(
        0,
        Finding::new("servicing-logs", severity, summary, evidence_text),
    );
    out
}

fn failure(
    standing: &Standing,
    group: &Group,
    files: &[&Path],
    offline: Option<&Path>,
    excerpts: &[usize],
) -> Finding {
    let explained = group.code.map(|c| explain::explain("", c));
    let mut summary = format!("{} failed", group.subject);
    if let Some(code) = group.code {
        summary.push_str(&format!(" with {}", code_text(code)));
    }
    if !group.details.is_empty() {
        summary.push_str(&format!(": {}", group.details.join("; ")));
    }
    summary.push_str(&format!(
        " ({}, last at {})",
        count(group.attempts as u64, "failed attempt", "failed attempts"),
        group.last
    ));
    let (severity, remedy) = match standing {
        Standing::Stands => (Severity::Warn, Some(remedy(group, explained.as_ref()))),
        Standing::Superseded(when) => {
            summary.push_str(&format!("; history: it succeeded at {when}"));
            (Severity::Info, None)
        }
        Standing::Stale => {
            summary.push_str("; more than 30 days before the logs end");
            (Severity::Info, Some(remedy(group, explained.as_ref())))
        }
    };
    let evidence = group
        .files
        .iter()
        .filter_map(|&i| files.get(i))
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    let kind = match group.kind {
        Kind::Package => "package",
        Kind::Startup => "startup",
        Kind::Store => "store",
        Kind::Sfc => "sfc",
        Kind::Dism => "dism",
    };
    let mut finding = Finding::new(format!("servicing-{kind}"), severity, summary, evidence)
        .with_code(group.code);
    finding.facts.kb = group.kb.clone();
    finding.facts.package = group.package.clone();
    if let Some((name, code)) = &group.installer {
        finding.facts.installer = Some(name.clone());
        finding.facts.installer_code = code.map(crate::diagnose::code_text);
    }
    finding.facts.attempts = Some(group.attempts);
    finding.facts.first_at = Some(group.first.clone());
    finding.facts.last_at = Some(group.last.clone());
    finding.facts.path = group
        .files
        .last()
        .and_then(|&i| files.get(i))
        .map(|p| p.display().to_string());
    if *standing == Standing::Stands {
        // The component store and system files are the deep rung's; a package's failure goes
        // where its code points.
        finding.fixed_by = match (group.kind, group.code) {
            (Kind::Store | Kind::Sfc, _) => Some("repair --from deep --up-to deep"),
            (_, Some(code)) => crate::diagnose::fixed_by_code(code),
            (_, None) => None,
        };
    }
    if let Some(remedy) = remedy {
        finding = finding.remedy(match offline {
            None => remedy,
            Some(windows_dir) => on_mounted(&remedy, windows_dir),
        });
    }
    // Read from pasted lines only: said, so nobody takes it for a whole log's verdict.
    if !group.files.is_empty() && group.files.iter().all(|f| excerpts.contains(f)) {
        finding.facts.basis = Some("excerpt");
        finding.summary.push_str(" [from an excerpt]");
    }
    finding
}

/// The fix for the failure's code, or for what failed when it has none.
fn remedy(group: &Group, explained: Option<&explain::Explanation>) -> String {
    if let Some(fix) = explained.and_then(|e| e.fix) {
        return fix.to_string();
    }
    match group.kind {
        Kind::Sfc => "Run `DISM /Online /Cleanup-Image /RestoreHealth`, restart, then `sfc /scannow` again; if files still cannot be repaired, an in-place repair install of Windows replaces them.".into(),
        Kind::Store => "Run `DISM /Online /Cleanup-Image /RestoreHealth` (with /Source: pointing at a matching install.wim if Windows Update cannot supply the files).".into(),
        _ => match group.code {
            Some(code) => format!("Run `wufix explain 0x{code:08X}`"),
            None => "Run `DISM /Online /Cleanup-Image /RestoreHealth`, restart and retry.".into(),
        },
    }
}

/// A remedy for a mounted Windows: the paths it names are that volume's, not `C:\Windows`'s
/// (its commands become Windows PE's in `diagnose`, for every finding alike).
fn on_mounted(remedy: &str, windows_dir: &Path) -> String {
    let root = windows_dir
        .parent()
        .unwrap_or(windows_dir)
        .display()
        .to_string();
    format!(
        "This Windows ({root}) is not running: from Windows PE or another Windows with its disk attached: {}",
        on_volume(remedy, windows_dir)
    )
}

/// Every `C:\Windows\…` path in `text` as the same path under `windows_dir`, written the way
/// this system writes paths.
fn on_volume(text: &str, windows_dir: &Path) -> String {
    const RUNNING: &str = r"C:\Windows";
    let mut out = String::new();
    let mut rest = text;
    while let Some(at) = rest.find(RUNNING) {
        out.push_str(&rest[..at]);
        let tail = &rest[at + RUNNING.len()..];
        let len = tail
            .find(|c: char| !(c.is_ascii_alphanumeric() || "\\_.-$~".contains(c)))
            .unwrap_or(tail.len());
        let path = tail[..len]
            .split('\\')
            .filter(|c| !c.is_empty())
            .fold(windows_dir.to_path_buf(), |p, c| p.join(c));
        out.push_str(&path.display().to_string());
        rest = &tail[len..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests;
