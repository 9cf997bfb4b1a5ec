//! The journal: what a run is about to change, written and synced to disk before it changes it,
//! and how each change ended. `undo` and the recovery after a killed run read it; `status` shows
//! the last run from it. One JSON Lines file per run: a `start` record, then `intent` / `outcome`
//! pairs, then `finished` (or, written later by whoever recovered it, `recovered`).
//!
//! A crash can cut the file anywhere, and a file can be damaged: such a file is set aside
//! (`*.corrupt`) and reported, never trusted and never a panic. A file in a newer format is
//! skipped and named, never touched: an older wufix still in use must not destroy what a newer
//! one wrote (the naming rule is in `store`).

pub mod store;

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::catalog::Folder;
use crate::machine::Mode;
use crate::sys::{RegValue, ServiceState, StartType};

pub use store::{Journal, Listing, SetAside, Store, Unreadable};

/// The format written. 1 was wufix 0.1's (`*.jsonl`, registry values decoded), still read; 2 keeps
/// every registry value as its type and bytes. A file with a higher number is skipped, not
/// guessed at.
pub const VERSION: u32 = 2;

/// One line of a journal file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "record", rename_all = "kebab-case")]
pub enum Record {
    Start(Start),
    /// About to make this change (synced before it is made).
    Intent {
        change: Op,
    },
    /// How the change ended.
    Outcome {
        change: Op,
        ok: bool,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        detail: String,
    },
    /// The run ended on its own (`ok`: every step succeeded).
    Finished {
        at: String,
        ok: bool,
    },
    /// Another run put back what this one, interrupted, had left.
    Recovered {
        at: String,
        by: String,
    },
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Start {
    pub version: u32,
    /// RFC 3339, UTC.
    pub started: String,
    /// `reset`, `undo` or `repair`.
    pub command: String,
    pub mode: Mode,
    pub windows_dir: String,
    pub pid: u32,
    /// Every service the run considers, as it was before anything changed.
    pub services_before: Vec<ServiceBefore>,
    /// For an `undo`: the journal of the run it reverses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceBefore {
    pub name: String,
    pub state: Option<ServiceState>,
    pub start_type: Option<StartType>,
}

/// A change a run makes, with what is needed to reverse it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "kebab-case")]
pub enum Op {
    StopService {
        name: String,
    },
    StartService {
        name: String,
    },
    /// `from` renamed to `to` (a backup; or, in an undo, a backup back to its folder).
    Rename {
        folder: Folder,
        from: PathBuf,
        to: PathBuf,
    },
    /// The contents of `path` deleted: cannot be reversed.
    Clear {
        folder: Folder,
        path: PathBuf,
    },
    /// Old backups deleted: cannot be reversed.
    Prune {
        folder: Folder,
        paths: Vec<PathBuf>,
    },
    /// `repair`: a service's DACL replaced; `undo` writes `before` back.
    ServiceDacl {
        name: String,
        before: String,
        after: String,
    },
    /// `repair`: a value under HKEY_LOCAL_MACHINE written or deleted (`None`), each value
    /// exactly as it was (type and bytes); `undo` puts `before` back.
    RegistryValue {
        key: String,
        name: String,
        before: Option<RegValue>,
        after: Option<RegValue>,
    },
    /// `repair`: a program run for what it changes, which wufix cannot reverse (Winsock reset,
    /// DISM, sfc, regsvr32). `saved` is the state recorded before, for the record.
    Program {
        exe: PathBuf,
        args: Vec<String>,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        saved: Vec<String>,
    },
}

/// A journal file read back: its run and how far it got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Run {
    pub path: PathBuf,
    pub start: Start,
    /// Each change announced, with its outcome if one was written.
    pub changes: Vec<(Op, Option<bool>)>,
    pub finished: Option<bool>,
    pub recovered: bool,
}

impl Run {
    /// Read from the records of one file; `Err` says why the file cannot be trusted.
    pub fn from_records(path: PathBuf, records: Vec<Record>) -> Result<Run, String> {
        let mut records = records.into_iter();
        let start = match records.next() {
            Some(Record::Start(start)) => start,
            Some(_) => return Err("it does not begin with a start record".into()),
            None => return Err("it is empty".into()),
        };
        if start.version > VERSION {
            return Err(format!(
                "it is in format {}, newer than this wufix reads",
                start.version
            ));
        }
        let mut run = Run {
            path,
            start,
            changes: Vec::new(),
            finished: None,
            recovered: false,
        };
        for record in records {
            match record {
                Record::Start(_) => return Err("it holds a second start record".into()),
                Record::Intent { change } => run.changes.push((change, None)),
                Record::Outcome { change, ok, .. } => {
                    match run
                        .changes
                        .iter_mut()
                        .rev()
                        .find(|(c, outcome)| *c == change && outcome.is_none())
                    {
                        Some(entry) => entry.1 = Some(ok),
                        None => return Err("an outcome has no intent before it".into()),
                    }
                }
                Record::Finished { ok, .. } => run.finished = Some(ok),
                Record::Recovered { .. } => run.recovered = true,
            }
        }
        Ok(run)
    }

    /// Killed before it finished, and nobody has recovered it yet.
    pub fn interrupted(&self) -> bool {
        self.finished.is_none() && !self.recovered
    }

    /// Left something to put back and nobody has yet: killed before it finished, or finished
    /// with a service it could not start again.
    pub fn needs_recovery(&self) -> bool {
        !self.recovered && (self.finished.is_none() || !self.left_stopped().is_empty())
    }

    /// Services this run stopped (or may have stopped: announced, no outcome) that were running
    /// before it and that it did not start again.
    pub fn left_stopped(&self) -> Vec<String> {
        let was_running = |name: &str| {
            self.start.services_before.iter().any(|s| {
                s.name.eq_ignore_ascii_case(name)
                    && matches!(
                        s.state,
                        Some(ServiceState::Running | ServiceState::StartPending)
                    )
            })
        };
        let mut out: Vec<String> = Vec::new();
        for (change, outcome) in &self.changes {
            match change {
                Op::StopService { name }
                    if *outcome != Some(false) && was_running(name) && !out.contains(name) =>
                {
                    out.push(name.clone());
                }
                Op::StartService { name } if *outcome == Some(true) => {
                    out.retain(|n| n != name);
                }
                _ => {}
            }
        }
        out
    }

    /// Renames this run made or may have made (announced, no outcome): (folder, from, to).
    pub fn renames(&self) -> Vec<(Folder, PathBuf, PathBuf)> {
        self.changes
            .iter()
            .filter(|(_, outcome)| *outcome != Some(false))
            .filter_map(|(change, _)| match change {
                Op::Rename { folder, from, to } => Some((*folder, from.clone(), to.clone())),
                _ => None,
            })
            .collect()
    }

    /// Folders this run cleared (not reversible).
    pub fn cleared(&self) -> Vec<Folder> {
        self.changes
            .iter()
            .filter_map(|(change, _)| match change {
                Op::Clear { folder, .. } => Some(*folder),
                _ => None,
            })
            .collect()
    }
}

/// Where the engine writes down each change before making it.
pub trait Recorder {
    /// About to make `change`: `Err` (the journal could not be written) means it must not be made.
    fn intent(&mut self, change: &Op) -> Result<(), String>;
    /// How it ended.
    fn outcome(&mut self, change: &Op, ok: bool, detail: &str);
}

/// No journal (unit tests of the engine, and nothing else).
pub struct Unrecorded;

impl Recorder for Unrecorded {
    fn intent(&mut self, _change: &Op) -> Result<(), String> {
        Ok(())
    }
    fn outcome(&mut self, _change: &Op, _ok: bool, _detail: &str) {}
}

impl Recorder for Journal {
    fn intent(&mut self, change: &Op) -> Result<(), String> {
        self.write(&Record::Intent {
            change: change.clone(),
        })
        .map_err(|err| {
            format!(
                "could not write the journal {}: {err}",
                self.path().display()
            )
        })
    }
    fn outcome(&mut self, change: &Op, ok: bool, detail: &str) {
        // The change is made: a journal that fails now only loses the outcome, which a reader
        // treats as "may have happened" and checks on disk.
        let _ = self.write(&Record::Outcome {
            change: change.clone(),
            ok,
            detail: detail.to_string(),
        });
    }
}

#[cfg(test)]
mod tests;
