//! CBS.log (and its rotated `CbsPersist_*.log`) read the way an expert reads it: by servicing
//! operation, not by HRESULT. Only an operation's end counts — a session's final result, the
//! boot-time queue's failure, DISM's repair summary, SFC's "cannot repair" — and the lines inside
//! (an advanced installer that failed, a rollback, a WER report naming the package) say what
//! failed. Routine probes (`Info  Failed to get …`, SQM uploads, OpenPackage returning
//! 0x800F0805, tick-count warnings) end no operation, so they are never failures.

use super::evidence::{Evidence, Failure, Kind, Operation};
use super::line::{Level, Line, csi_body, status};
use crate::explain;

/// Operations and sessions kept while a TrustedInstaller lifetime is open; a log that never
/// restarts it cannot grow them without bound.
const MAX_OPEN: usize = 256;
const MAX_FILES_NAMED: usize = 4;
const MAX_FILES_COUNTED: usize = 1000;

/// One TrustedInstaller lifetime of one log file: what is known so far.
#[derive(Default)]
pub struct CbsReader {
    file: usize,
    sessions: Vec<Session>,
    current: Option<String>,
    ops: Vec<Pending>,
    /// Installer failures and rollbacks not yet tied to an operation: (time, words).
    details: Vec<(String, String)>,
    summary: Option<Summary>,
    sfc: Option<Sfc>,
    stores: usize,
}

#[derive(Default)]
struct Session {
    id: String,
    client: String,
    package: Option<String>,
    identifier: Option<String>,
    /// It ran a package operation (not only an applicability check).
    executed: bool,
}

/// An operation whose end is known but whose details may still come (WER writes after the end).
struct Pending {
    tag: String,
    kind: Kind,
    package: Option<String>,
    identifier: Option<String>,
    client: String,
    code: Option<u32>,
    failed: bool,
    details: Vec<String>,
    time: String,
}

#[derive(Default)]
struct Summary {
    time: String,
    operation: String,
    result: Option<u32>,
    detected: Option<u64>,
}

struct Sfc {
    time: String,
    unrepaired: Vec<String>,
}

impl CbsReader {
    pub fn new(file: usize) -> Self {
        CbsReader {
            file,
            ..CbsReader::default()
        }
    }

    pub fn feed(&mut self, line: &Line, ev: &mut Evidence) {
        match line.component {
            "CBS" => self.cbs(line, ev),
            "CSI" => self.csi(line),
            _ => {}
        }
    }

    fn cbs(&mut self, line: &Line, ev: &mut Evidence) {
        let msg = line.message;
        let t = line.time;
        if msg.starts_with("Starting TrustedInstaller initialization")
            || msg.starts_with("Ending TrustedInstaller finalization")
            || msg.starts_with("TI: --- Initializing Trusted Installer")
        {
            self.finish(ev);
        } else if let Some(rest) = msg.strip_prefix("Session: ") {
            let id = token(rest);
            if let Some(client) = after(rest, "initialized by client ") {
                self.session(&id).client = client.split(',').next().unwrap_or("").to_string();
            } else if rest.contains(" finalized") {
                if let Some(code) = status(msg) {
                    self.end(&id, code, t);
                }
                self.sessions.retain(|s| s.id != id);
            }
            self.current = Some(id);
        } else if let Some(rest) = msg.strip_prefix("Exec: ") {
            if let Some(id) = after(rest, "session(Corruption Repairing): ") {
                // The same repair the summary described, when there was one.
                if let (Some(code), false) = (status(msg), id.is_empty()) {
                    self.store_end(code, t);
                }
                return;
            }
            let Some(id) = after(rest, "Session: ").map(token) else {
                return;
            };
            let session = self.session(&id);
            session.executed = true;
            if let Some(package) = after(rest, "Package: ") {
                session.package = Some(token(package));
            }
            if let Some(identifier) = after(rest, "Identifier: ") {
                session.identifier = Some(token(identifier));
            }
            if rest.starts_with("Processing complete") {
                if let Some(code) = status(msg) {
                    self.end(&id, code, t);
                }
            }
            self.current = Some(id);
        } else if msg.starts_with("Failed to perform operation") {
            if let (Some(id), Some(code)) = (self.current.clone(), status(msg)) {
                self.session(&id).executed = true;
                self.end(&id, code, t);
            }
        } else if msg.starts_with("Startup: Failed to process advanced operation queue") {
            let code = status(msg);
            let op = self.op("startup", Kind::Startup, t);
            op.failed = true;
            op.code = op.code.or(code);
            if msg.contains("rollback") {
                self.details.push((t.into(), ROLLED_BACK.into()));
            }
        } else if let Some(rest) = msg.strip_prefix("WER: Generating failure report for package: ")
        {
            self.wer(rest, status(msg), t);
        } else if msg.starts_with("Rolling back") {
            self.details.push((t.into(), ROLLED_BACK.into()));
        } else {
            self.summary_line(msg, t);
        }
    }

    /// DISM's repair summary: `Summary:`, `Operation: Detect and Repair`, `Operation result: 0x0`,
    /// `Total Detected Corruption: 2`, …, `Total Repaired Corruption: 2`.
    fn summary_line(&mut self, msg: &str, t: &str) {
        if msg.starts_with("Summary:") {
            self.summary = Some(Summary {
                time: t.into(),
                ..Summary::default()
            });
            return;
        }
        let Some(summary) = self.summary.as_mut() else {
            return;
        };
        if let Some(op) = msg.strip_prefix("Operation: ") {
            summary.operation = op.trim().to_string();
        } else if msg.starts_with("Operation result:") {
            summary.result = status(msg);
        } else if let Some(n) = msg.strip_prefix("Total Detected Corruption:") {
            summary.detected = n.trim().parse().ok();
        } else if let Some(n) = msg.strip_prefix("Total Repaired Corruption:") {
            let repaired = n.trim().parse().ok();
            self.close_summary(repaired);
        }
    }

    fn close_summary(&mut self, repaired: Option<u64>) {
        let Some(s) = self.summary.take() else {
            return;
        };
        let Some(result) = s.result else {
            return;
        };
        let repairing = s.operation.contains("Repair");
        let detected = s.detected.unwrap_or(0);
        let left = detected.saturating_sub(if repairing { repaired.unwrap_or(0) } else { 0 });
        self.stores += 1;
        let tag = format!("store#{}", self.stores);
        let op = self.op(&tag, Kind::Store, &s.time);
        op.identifier = Some(s.operation.clone());
        if !explain::is_success(result) {
            op.failed = true;
            op.code = Some(result);
        } else if left > 0 {
            op.failed = true;
        }
        if detected > 0 {
            op.details.push(format!(
                "{detected} corruptions found, {} repaired",
                if repairing { repaired.unwrap_or(0) } else { 0 }
            ));
        }
    }

    /// `Exec: Processing complete, session(Corruption Repairing): ID [HRESULT = …]`.
    fn store_end(&mut self, code: u32, t: &str) {
        self.close_summary(None);
        let tag = if self.stores > 0 {
            format!("store#{}", self.stores)
        } else {
            self.stores += 1;
            "store#1".to_string()
        };
        let op = self.op(&tag, Kind::Store, t);
        op.identifier
            .get_or_insert_with(|| "Detect and Repair".into());
        if !explain::is_success(code) {
            op.failed = true;
            op.code = op.code.or(Some(code));
        }
    }

    /// `WER: Generating failure report for package: P, status: 0x…, failure source: …`: names the
    /// package of the failure just logged (the boot-time queue's, or the current session's).
    fn wer(&mut self, rest: &str, code: Option<u32>, t: &str) {
        let package = rest.split(',').next().unwrap_or("").trim().to_string();
        if let Some(op) = self
            .ops
            .iter_mut()
            .rev()
            .find(|o| o.failed && o.package.is_none())
        {
            op.package = Some(package);
            op.code = op.code.or(code);
            return;
        }
        let id = match self.current.clone() {
            Some(id) => id,
            None => format!("wer@{t}"),
        };
        let session = self.session(&id);
        session.executed = true;
        session.package.get_or_insert(package);
        if let Some(code) = code {
            self.end(&id, code, t);
        }
    }

    fn csi(&mut self, line: &Line) {
        let body = csi_body(line.message);
        let t = line.time;
        if let Some(rest) = body.strip_prefix("(F) Failed execution of queue item Installer: ") {
            let name = rest
                .split(" ({")
                .next()
                .unwrap_or(rest)
                .split(" with HRESULT")
                .next()
                .unwrap_or(rest)
                .trim();
            let code = status(rest)
                .map(|c| format!(" with {}", super::code_text(c)))
                .unwrap_or_default();
            self.details
                .push((t.into(), format!("advanced installer {name} failed{code}")));
            if rest.contains("rollback will be initiated") {
                self.details.push((t.into(), ROLLED_BACK.into()));
            }
        } else if let Some(rest) = body.strip_prefix("[SR] ") {
            let sfc = self.sfc.get_or_insert_with(|| Sfc {
                time: t.into(),
                unrepaired: Vec::new(),
            });
            sfc.time = t.into();
            if rest.starts_with("Cannot repair member file")
                || rest.starts_with("Could not reproject corrupted file")
            {
                // Verify and repair both name the same file: count files, not lines.
                let name = quoted(rest).unwrap_or_else(|| rest.to_string());
                if sfc.unrepaired.len() < MAX_FILES_COUNTED && !sfc.unrepaired.contains(&name) {
                    sfc.unrepaired.push(name);
                }
            }
        } else if line.level == Level::Error && body.starts_with("Rolling back") {
            self.details.push((t.into(), ROLLED_BACK.into()));
        }
    }

    fn session(&mut self, id: &str) -> &mut Session {
        if let Some(i) = self.sessions.iter().position(|s| s.id == id) {
            return &mut self.sessions[i];
        }
        if self.sessions.len() >= MAX_OPEN {
            self.sessions.remove(0);
        }
        self.sessions.push(Session {
            id: id.to_string(),
            ..Session::default()
        });
        self.sessions.last_mut().expect("just pushed")
    }

    /// A session's operation ended with `code`. A session that only checked applicability is not
    /// an operation anyone asked for: its end is not evidence either way.
    fn end(&mut self, id: &str, code: u32, t: &str) {
        let Some(session) = self.sessions.iter().find(|s| s.id == id) else {
            return;
        };
        if !session.executed {
            return;
        }
        let (package, identifier, client) = (
            session.package.clone(),
            session.identifier.clone(),
            session.client.clone(),
        );
        let op = self.op(id, Kind::Package, t);
        op.package = op.package.take().or(package);
        op.identifier = op.identifier.take().or(identifier);
        op.client = client;
        if !explain::is_success(code) && !op.failed {
            op.failed = true;
            op.code = Some(code);
            op.time = t.into();
        }
    }

    fn op(&mut self, tag: &str, kind: Kind, t: &str) -> &mut Pending {
        if let Some(i) = self.ops.iter().position(|o| o.tag == tag) {
            return &mut self.ops[i];
        }
        if self.ops.len() >= MAX_OPEN {
            self.ops.remove(0);
        }
        self.ops.push(Pending {
            tag: tag.to_string(),
            kind,
            package: None,
            identifier: None,
            client: String::new(),
            code: None,
            failed: false,
            details: Vec::new(),
            time: t.into(),
        });
        self.ops.last_mut().expect("just pushed")
    }

    /// The TrustedInstaller lifetime (or the file) ended: every operation in it is complete.
    pub fn finish(&mut self, ev: &mut Evidence) {
        self.close_summary(None);
        if let Some(sfc) = self.sfc.take() {
            let names = &sfc.unrepaired;
            let failure = (!names.is_empty()).then(|| {
                let shown = names[..names.len().min(MAX_FILES_NAMED)].join(", ");
                let more = if names.len() > MAX_FILES_NAMED {
                    ", …"
                } else {
                    ""
                };
                Failure {
                    code: None,
                    details: vec![format!(
                        "could not repair {} ({shown}{more})",
                        crate::record::count(names.len() as u64, "file", "files"),
                    )],
                }
            });
            ev.record(Operation {
                kind: Kind::Sfc,
                key: String::new(),
                subject: "System File Checker (sfc /scannow)".into(),
                failure,
                time: sfc.time,
                file: self.file,
            });
        }
        let mut ops = std::mem::take(&mut self.ops);
        // Each detail goes to the first failure logged at or after it, else to the last failure.
        for (time, detail) in self.details.drain(..) {
            let target = ops
                .iter()
                .position(|o| o.failed && o.time >= time)
                .or_else(|| ops.iter().rposition(|o| o.failed));
            if let Some(i) = target {
                if !ops[i].details.contains(&detail) {
                    ops[i].details.push(detail);
                }
            }
        }
        for op in ops {
            ev.record(self.operation(op));
        }
        self.sessions.clear();
        self.current = None;
        self.stores = 0;
    }

    fn operation(&self, p: Pending) -> Operation {
        let name = p.package.as_deref().map(package_name);
        let (kind, key, subject) = match (p.kind, &name) {
            (Kind::Store, _) => {
                let what = p.identifier.as_deref().unwrap_or("");
                let command = if what.contains("Repair") {
                    "RestoreHealth"
                } else {
                    "ScanHealth"
                };
                (
                    Kind::Store,
                    String::new(),
                    format!("component store check (DISM /Cleanup-Image /{command})"),
                )
            }
            (_, Some((name, version))) => {
                // The KB number: the session's identifier, else the one in the package's name.
                let kb = p
                    .identifier
                    .as_deref()
                    .filter(|id| id.starts_with("KB"))
                    .or_else(|| kb_in(name));
                let what = match kb {
                    Some(kb) => format!("update {kb} ({name} {version})"),
                    None => format!("package {name} {version}"),
                };
                (Kind::Package, name.to_string(), what)
            }
            (Kind::Startup, None) => (
                Kind::Startup,
                String::new(),
                "an update's boot-time operations".into(),
            ),
            _ => (
                Kind::Package,
                p.identifier.clone().unwrap_or_default(),
                match p.client.as_str() {
                    "" => "a servicing operation".into(),
                    client => format!("a servicing operation for {client}"),
                },
            ),
        };
        let mut details = p.details;
        if p.kind == Kind::Startup {
            details.insert(0, "failed while Windows started".into());
        }
        Operation {
            kind,
            key,
            subject,
            failure: p.failed.then_some(Failure {
                code: p.code,
                details,
            }),
            time: p.time,
            file: self.file,
        }
    }
}

const ROLLED_BACK: &str = "the update was rolled back";

/// `Package_for_RollupFix~31bf3856ad364e35~amd64~~19041.867.1.8` → (`Package_for_RollupFix`,
/// `19041.867.1.8`): the name is what a later success of the same package supersedes.
fn package_name(identity: &str) -> (&str, &str) {
    let mut parts = identity.split('~');
    let name = parts.next().unwrap_or(identity);
    (name, parts.next_back().unwrap_or(""))
}

/// `Package_for_KB5012170` → `KB5012170`.
fn kb_in(name: &str) -> Option<&str> {
    let at = name.find("KB")?;
    let digits = name[at + 2..]
        .bytes()
        .take_while(u8::is_ascii_digit)
        .count();
    (digits >= 6).then(|| &name[at..at + 2 + digits])
}

/// The first word of `text`, without a trailing comma or period.
fn token(text: &str) -> String {
    text.split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches([',', '.', ';'])
        .to_string()
}

fn after<'a>(text: &'a str, marker: &str) -> Option<&'a str> {
    text.find(marker).map(|at| &text[at + marker.len()..])
}

/// The first quoted name: `[l:10]'opencl.dll'` or `[l:20{10}]"opencl.dll"`.
fn quoted(text: &str) -> Option<String> {
    let start = text.find(['\'', '"'])?;
    let quote = text[start..].chars().next()?;
    let rest = &text[start + 1..];
    Some(rest[..rest.find(quote)?].to_string())
}
