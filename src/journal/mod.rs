//! The journal: what a run is about to change, written and synced to disk before it changes it,
//! and how each change ended. `undo` and the recovery after a killed run read it; `status` shows
//! the last run from it. One JSON Lines file per run: a `start` record, then `intent` / `outcome`
//! pairs, then `finished` (or, written later by whoever recovered it, `recovered`).
//!
//! Every record is synced before the next is written, so a power cut or a full disk can cut only
//! the last line (or leave NUL bytes where it should be): that line is the record that was not
//! written, and is dropped; a bad line followed by another is damage. A damaged file is set aside
//! (`*.corrupt`) by a run that holds the lock, and only named by readers; a file in a newer format
//! is skipped and named, never touched: an older wufix still in use must not destroy what a newer
//! one wrote (the naming rule is in `store`).

mod jpath;
mod read;
pub mod store;

pub use jpath::JPath;
pub use read::{Unreadable, parse};

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use crate::catalog::Folder;
use crate::machine::Mode;
use crate::sys::{RegValue, ServiceState, StartType};

pub use store::{Journal, Listing, SetAside, Store};

/// The format written. 1 was wufix 0.1's (`*.jsonl`: absolute paths as text, registry values
/// decoded), still read; 2 keeps paths relative to the volume root and lossless, every registry
/// value as its type and bytes, the process's start time and the services at each stage. A file
/// with a higher number is skipped, not guessed at.
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
    /// The run ended on its own (`ok`: every step succeeded). An undo also names the parts of
    /// the run it reversed that it put back.
    Finished {
        at: String,
        ok: bool,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        undone: Vec<Part>,
    },
    /// Another run put back what this one, interrupted, had left.
    Recovered {
        at: String,
        by: String,
    },
    /// The services as they are now, before the next stage of the run changes them (a repair's
    /// later rung: a scan may have started one since the start).
    Services {
        services: Vec<ServiceBefore>,
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
    /// The Windows folder as this run reached it, for people: never used as a path.
    pub windows_dir: String,
    pub pid: u32,
    /// When this process began, as the system counts (Windows: FILETIME ticks): a run whose pid
    /// now belongs to another process is not taken for a live one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub process_started: Option<u64>,
    /// Every service the run considers, as it was before anything changed.
    pub services_before: Vec<ServiceBefore>,
    /// For an `undo`: the journal (its file name) of the run it reverses.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub undoes: Option<String>,
    /// The journals (file names) of the dead runs this run recovered first: recovered even when
    /// their own file could not take the mark.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub recovers: Vec<String>,
    /// The machine the run read its settings on (Windows' `MachineGuid`), online: a saved proxy
    /// is put back only on the machine it was read from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub machine: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceBefore {
    pub name: String,
    pub state: Option<ServiceState>,
    pub start_type: Option<StartType>,
}

/// What an undo puts back, one part at a time: each folder, and the settings (every registry
/// value, security descriptor or file setting a run changed).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Part {
    Folder(Folder),
    Settings,
}

impl Part {
    /// Every part, in the order an undo puts them back.
    pub const EVERY: [Part; 4] = [
        Part::Folder(Folder::SoftwareDistribution),
        Part::Folder(Folder::Catroot2),
        Part::Folder(Folder::BitsQueue),
        Part::Settings,
    ];

    /// The part's name: the folder's, or `settings`.
    pub fn id(self) -> &'static str {
        match self {
            Part::Folder(folder) => folder.id(),
            Part::Settings => "settings",
        }
    }
}

impl Serialize for Part {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl<'de> Deserialize<'de> for Part {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let id = String::deserialize(deserializer)?;
        Part::EVERY
            .into_iter()
            .find(|p| p.id() == id)
            .ok_or_else(|| serde::de::Error::custom(format!("no part named {id}")))
    }
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
        from: JPath,
        to: JPath,
    },
    /// The contents of `path` deleted: cannot be reversed.
    Clear {
        folder: Folder,
        path: JPath,
    },
    /// Old backups deleted (each first renamed to `…​.bak.pruning`, so one cut short is never
    /// taken for a backup): cannot be reversed.
    Prune {
        folder: Folder,
        paths: Vec<JPath>,
    },
    /// `repair`: a service's DACL replaced; `undo` writes `before` back.
    ServiceDacl {
        name: String,
        before: String,
        after: String,
    },
    /// `repair`: an update service's start type set through the service manager (the residue
    /// rung's, for a service a blocker disabled); `undo` sets `before` back.
    ServiceStart {
        name: String,
        before: StartType,
        after: StartType,
    },
    /// `repair`: a file renamed (a service DLL given its name back; in an undo, the blocker's
    /// name again). Never replacing a file.
    FileRename {
        from: String,
        to: String,
    },
    /// `repair`: a scheduled task enabled (or, in an undo, disabled again).
    TaskEnabled {
        path: String,
        before: bool,
        after: bool,
    },
    /// `repair`: a service key's owner and DACL (SDDL) replaced; `undo` writes `before` back.
    KeySecurity {
        key: String,
        before: String,
        after: String,
    },
    /// `repair`: lines of the hosts file at `path` commented out, each `(index, line)` given
    /// `residue::hosts::MARK` in front; the file then had `after_len` bytes with CRC-32
    /// `after_crc`. `undo` takes the marks off (`unmark`) while the file is still so.
    HostsLines {
        path: String,
        lines: Vec<(usize, String)>,
        after_crc: u32,
        after_len: u64,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        unmark: bool,
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
        exe: String,
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
    /// Each change announced, with its outcome if one was written, and the services as the run
    /// last journaled them before it (its start, or a later stage's snapshot).
    pub changes: Vec<(Op, Option<bool>)>,
    /// For each change, the index of the snapshot in force when it was announced (0: the start).
    pub(crate) snapshot_of: Vec<usize>,
    /// The start's services, then each later snapshot.
    pub(crate) snapshots: Vec<Vec<ServiceBefore>>,
    pub finished: Option<bool>,
    /// For an undo that finished: the parts it put back.
    pub undone: Vec<Part>,
    pub recovered: bool,
    /// The last line was cut (the record that was not written): dropped, the rest kept.
    pub torn: bool,
}

/// A service a run stopped and did not start again, as the run last saw it before the stop.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stopped {
    pub name: String,
    /// Its start type then: recovery starts it only while it is still so configured.
    pub start_type: Option<StartType>,
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
            snapshots: vec![start.services_before.clone()],
            start,
            changes: Vec::new(),
            snapshot_of: Vec::new(),
            finished: None,
            undone: Vec::new(),
            recovered: false,
            torn: false,
        };
        for record in records {
            match record {
                Record::Start(_) => return Err("it holds a second start record".into()),
                Record::Intent { change } => {
                    run.changes.push((change, None));
                    run.snapshot_of.push(run.snapshots.len() - 1);
                }
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
                Record::Finished { ok, undone, .. } => {
                    run.finished = Some(ok);
                    run.undone = undone;
                }
                Record::Recovered { .. } => run.recovered = true,
                Record::Services { services } => run.snapshots.push(services),
            }
        }
        Ok(run)
    }

    /// The file's name: how an undo names the run it reverses.
    pub fn name(&self) -> String {
        self.path
            .file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    }

    /// Whether this is the run an undo's `undoes` names (a file name; wufix 0.1 wrote a path).
    pub fn is_named(&self, undoes: &str) -> bool {
        let named = undoes.rsplit(['/', '\\']).next().unwrap_or(undoes);
        !named.is_empty() && named == self.name()
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
    /// when it last journaled them before the stop, and that it did not start again.
    pub fn left_stopped(&self) -> Vec<Stopped> {
        let mut out: Vec<Stopped> = Vec::new();
        for ((change, outcome), &snap) in self.changes.iter().zip(&self.snapshot_of) {
            match change {
                Op::StopService { name } if *outcome != Some(false) => {
                    let before = self.snapshots[snap]
                        .iter()
                        .find(|s| s.name.eq_ignore_ascii_case(name));
                    let running = before.is_some_and(|s| {
                        matches!(
                            s.state,
                            Some(ServiceState::Running | ServiceState::StartPending)
                        )
                    });
                    if running && !out.iter().any(|s| s.name.eq_ignore_ascii_case(name)) {
                        out.push(Stopped {
                            name: name.clone(),
                            start_type: before.and_then(|s| s.start_type),
                        });
                    }
                }
                Op::StartService { name } if *outcome == Some(true) => {
                    out.retain(|s| !s.name.eq_ignore_ascii_case(name));
                }
                _ => {}
            }
        }
        out
    }

    /// Renames this run made or may have made (announced, no outcome): (folder, from, to).
    pub fn renames(&self) -> Vec<(Folder, &JPath, &JPath)> {
        self.changes
            .iter()
            .filter(|(_, outcome)| *outcome != Some(false))
            .filter_map(|(change, _)| match change {
                Op::Rename { folder, from, to } => Some((*folder, from, to)),
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
