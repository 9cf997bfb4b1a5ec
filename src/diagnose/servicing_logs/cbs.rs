//! CBS.log (and its rotated `CbsPersist_*.log`) read the way an expert reads it: by servicing
//! operation, not by HRESULT. Only an operation's end counts — a session's final result, the
//! boot-time queue's failure, DISM's repair summary, SFC's "cannot repair" — and the lines inside
//! (an advanced installer that failed, a rollback, a WER report naming the package) say what
//! failed. Routine probes (`Info  Failed to get …`, SQM uploads, OpenPackage returning
//! 0x800F0805, tick-count warnings) end no operation, so they are never failures.

use super::evidence::{Evidence, Failure, Kind, Operation};
use super::line::{Level, Line, csi_body, status};
use super::recent::Recent;
use super::words::{ROLLED_BACK, cut, kb_in, package_name, quoted, token};
use crate::explain;
use std::rc::Rc;

/// What follows the literal `marker` in `text`. The reader looks for several markers in every
/// session line: each is a memchr searcher built once, not a search set up per line.
macro_rules! after {
    ($text:expr, $marker:literal) => {{
        static FINDER: std::sync::LazyLock<memchr::memmem::Finder<'static>> =
            std::sync::LazyLock::new(|| memchr::memmem::Finder::new($marker));
        let text: &str = $text;
        FINDER
            .find(text.as_bytes())
            .map(|at| &text[at + $marker.len()..])
    }};
}

/// Operations and sessions kept while a TrustedInstaller lifetime is open; a log that never
/// restarts it cannot grow them without bound.
const MAX_OPEN: usize = 256;
const MAX_FILES_NAMED: usize = 4;
const MAX_FILES_COUNTED: usize = 1000;
/// Details (an installer that failed, a rollback) waiting for the failure they explain: a
/// TrustedInstaller lifetime can log tens of thousands of installer failures, and only a few
/// distinct ones say anything a person can use.
const MAX_PENDING: usize = 16;
/// Details kept per operation.
const MAX_OP_DETAILS: usize = 8;

/// One TrustedInstaller lifetime of one log file: what is known so far.
#[derive(Default)]
pub struct CbsReader {
    file: usize,
    sessions: Recent<Session, MAX_OPEN>,
    current: Option<String>,
    ops: Recent<Pending, MAX_OPEN>,
    /// Operations let go of to make room, recorded at the next line.
    evicted: Vec<Pending>,
    /// The first advanced installer that failed since the last failure was attached.
    installer: Option<(String, Option<u32>)>,
    last_client: Option<Rc<str>>,
    /// Installer failures and rollbacks not yet tied to an operation: (time, words), distinct,
    /// at most [`MAX_PENDING`].
    details: Vec<(String, String)>,
    /// Operations marked failed so far, and how many of them pending details were offered to.
    failures: usize,
    settled: usize,
    summary: Option<Summary>,
    sfc: Option<Sfc>,
    stores: usize,
}

#[derive(Default)]
struct Session {
    client: Rc<str>,
    package: Option<String>,
    identifier: Option<String>,
    /// It ran a package operation (not only an applicability check).
    executed: bool,
}

/// An operation whose end is known but whose details may still come (WER writes after the end).
struct Pending {
    kind: Kind,
    package: Option<String>,
    identifier: Option<String>,
    client: Rc<str>,
    code: Option<u32>,
    failed: bool,
    details: Vec<String>,
    /// The first advanced installer that failed in it, and its code.
    installer: Option<(String, Option<u32>)>,
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
        for op in std::mem::take(&mut self.evicted) {
            ev.record(self.operation(op));
        }
        // A failure was just logged: the details waiting before it are its explanation.
        if self.failures != self.settled {
            self.settled = self.failures;
            self.attach();
        }
    }

    /// Keep a detail for the failure it explains (distinct, cut short, bounded).
    fn note(&mut self, t: &str, detail: String) {
        let detail = cut(detail);
        if self.details.iter().any(|(_, d)| *d == detail) {
            return;
        }
        if self.details.len() >= MAX_PENDING {
            // A rollback says the most: it replaces the newest installer name (the first to
            // fail is the likeliest cause).
            if detail != ROLLED_BACK {
                return;
            }
            if let Some(i) = self.details.iter().rposition(|(_, d)| d != ROLLED_BACK) {
                self.details.remove(i);
            }
        }
        self.details.push((t.to_string(), detail));
    }

    /// Each waiting detail goes to the first failure logged at or after it, else to the last
    /// failure.
    fn attach(&mut self) {
        if let Some(installer) = self.installer.take() {
            match self.ops.values_mut().rev().find(|o| o.failed) {
                Some(op) => {
                    op.installer.get_or_insert(installer);
                }
                None => self.installer = Some(installer),
            }
        }
        for (time, detail) in std::mem::take(&mut self.details) {
            let first = self.ops.values().position(|o| o.failed && o.time >= time);
            let target = match first {
                Some(i) => self.ops.values_mut().nth(i),
                None => self.ops.values_mut().rev().find(|o| o.failed),
            };
            match target {
                Some(op) if op.details.contains(&detail) => {}
                // The rollback first: what a person needs to know before any installer's name.
                Some(op) if detail == ROLLED_BACK => {
                    op.details.insert(0, detail);
                    op.details.truncate(MAX_OP_DETAILS);
                }
                Some(op) => {
                    if op.details.len() < MAX_OP_DETAILS {
                        op.details.push(detail);
                    }
                }
                None => self.details.push((time, detail)),
            }
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
            if let Some(client) = after!(rest, "initialized by client ") {
                let client = client.split(',').next().unwrap_or("");
                // Nearly every session names the same client: one copy shared.
                let client = match &self.last_client {
                    Some(last) if **last == *client => Rc::clone(last),
                    _ => {
                        let new: Rc<str> = Rc::from(client);
                        self.last_client = Some(Rc::clone(&new));
                        new
                    }
                };
                self.session(id).client = client;
            } else if after!(rest, " finalized").is_some() {
                if let Some(code) = status(msg) {
                    self.end(id, code, t);
                }
                self.sessions.remove(id);
            }
            self.set_current(id);
        } else if let Some(rest) = msg.strip_prefix("Exec: ") {
            if let Some(id) = after!(rest, "session(Corruption Repairing): ") {
                // The same repair the summary described, when there was one.
                if let (Some(code), false) = (status(msg), id.is_empty()) {
                    self.store_end(code, t);
                }
                return;
            }
            let Some(id) = after!(rest, "Session: ").map(token) else {
                return;
            };
            let session = self.session(id);
            session.executed = true;
            if let Some(package) = after!(rest, "Package: ").map(token) {
                if session.package.as_deref() != Some(package) {
                    session.package = Some(package.to_string());
                }
            }
            if let Some(identifier) = after!(rest, "Identifier: ").map(token) {
                session.identifier = Some(identifier.to_string());
            }
            if rest.starts_with("Processing complete") {
                if let Some(code) = status(msg) {
                    self.end(id, code, t);
                }
            }
            self.set_current(id);
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
            self.failures += 1;
            if msg.contains("rollback") {
                self.note(t, ROLLED_BACK.into());
            }
        } else if let Some(rest) = msg.strip_prefix("WER: Generating failure report for package: ")
        {
            self.wer(rest, status(msg), t);
        } else if msg.starts_with("Rolling back") {
            self.note(t, ROLLED_BACK.into());
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
        if op.failed {
            self.failures += 1;
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
            self.failures += 1;
        }
    }

    /// `WER: Generating failure report for package: P, status: 0x…, failure source: …`: names the
    /// package of the failure just logged (the boot-time queue's, or the current session's).
    fn wer(&mut self, rest: &str, code: Option<u32>, t: &str) {
        let package = rest.split(',').next().unwrap_or("").trim().to_string();
        if let Some(op) = self
            .ops
            .values_mut()
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
            // The first one since the last failure is the likeliest cause: kept as a fact.
            if self.installer.is_none() {
                self.installer = Some((cut(name.to_string()), status(rest)));
            }
            // Once the waiting details are full, another installer's name is not kept: not
            // worth the words.
            if self.details.len() < MAX_PENDING {
                let code = status(rest)
                    .map(|c| format!(" with {}", super::code_text(c)))
                    .unwrap_or_default();
                self.note(t, format!("advanced installer {name} failed{code}"));
            }
            if rest.contains("rollback will be initiated") {
                self.note(t, ROLLED_BACK.into());
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
            self.note(t, ROLLED_BACK.into());
        }
    }

    /// The session the lines now speak of (most lines repeat it: no allocation then).
    fn set_current(&mut self, id: &str) {
        match &mut self.current {
            Some(current) if current == id => {}
            Some(current) => {
                current.clear();
                current.push_str(id);
            }
            None => self.current = Some(id.to_string()),
        }
    }

    fn session(&mut self, id: &str) -> &mut Session {
        self.sessions.get_or_insert(id, Session::default).0
    }

    /// A session's operation ended with `code`. A session that only checked applicability is not
    /// an operation anyone asked for: its end is not evidence either way.
    fn end(&mut self, id: &str, code: u32, t: &str) {
        let Some(session) = self.sessions.get(id) else {
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
            self.failures += 1;
        }
    }

    fn op(&mut self, tag: &str, kind: Kind, t: &str) -> &mut Pending {
        let (op, evicted) = self.ops.get_or_insert(tag, || Pending {
            kind,
            package: None,
            identifier: None,
            client: Rc::from(""),
            code: None,
            failed: false,
            details: Vec::new(),
            installer: None,
            time: t.into(),
        });
        self.evicted.extend(evicted);
        op
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
                    installer: None,
                }
            });
            ev.record(Operation {
                kind: Kind::Sfc,
                key: String::new(),
                subject: "System File Checker (sfc /scannow)".into(),
                failure,
                time: sfc.time,
                file: self.file,
                kb: None,
                package: None,
            });
        }
        self.attach();
        self.details.clear();
        self.installer = None;
        self.settled = self.failures;
        let ops = std::mem::take(&mut self.evicted)
            .into_iter()
            .chain(self.ops.take());
        for op in ops.collect::<Vec<_>>() {
            ev.record(self.operation(op));
        }
        self.sessions.take();
        self.current = None;
        self.stores = 0;
    }

    fn operation(&self, p: Pending) -> Operation {
        let name = p.package.as_deref().map(package_name);
        let mut kb_seen: Option<String> = None;
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
                kb_seen = kb.map(str::to_string);
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
                match &*p.client {
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
                installer: p.installer,
            }),
            time: p.time,
            file: self.file,
            kb: kb_seen,
            package: name.map(|(name, _)| name.to_string()),
        }
    }
}
