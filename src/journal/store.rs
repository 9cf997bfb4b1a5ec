//! Where journals live and how they are written and read: `%ProgramData%\wufix\journal\` online,
//! `<volume>\ProgramData\wufix\journal\` offline. Files are numbered (`000042-<UTC time>.journal`),
//! so "the newest" does not depend on the clock; the last [`KEEP`] are kept.
//!
//! Only wufix's own names are read (`NNNNNN-<stamp>.journal`, and wufix 0.1's `.jsonl`), only
//! the newest [`KEEP`] of them, each at most `read::MAX_SIZE` bytes: planted files cost their
//! names only. Readers (`status`, `diagnose`) never write: they name a damaged file; only a run
//! holding the lock sets one aside (`*.corrupt`), and only for damage in the middle of it.
//!
//! The naming rule that lets the format change safely: a format a released wufix cannot read is
//! written under a name that wufix ignores. wufix 0.1 read (and set aside as damaged, when they did
//! not parse) only `*.jsonl` files, so format 2 is written as `*.journal`; from format 2 on a
//! reader skips and names a file whose format is newer than it knows, and never renames, deletes
//! or rewrites it.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::read::{self, Unreadable};
use super::{Record, Run, Start};
use crate::machine::Mode;

/// Runs kept: also the audit trail `status` reads.
pub const KEEP: usize = 20;
/// The longest record written (a saved Winsock catalogue is the largest, about 200 KiB): a few
/// records of this size still fit in `read::MAX_SIZE`.
const MAX_LINE: usize = 1 << 20;
/// The name of the files written now.
const SUFFIX: &str = "journal";
/// wufix 0.1's files (format 1): read, never written.
const LEGACY_SUFFIX: &str = "jsonl";
/// A damaged file, set aside by a run that held the lock.
const ASIDE_SUFFIX: &str = "corrupt";

#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
    /// Where the folders wufix makes begin: every component from here down to `dir` must be a
    /// real folder (or not exist yet), never a link, or the journal is refused.
    base: Option<PathBuf>,
}

/// A journal file that is not read as a run, and why.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct SetAside {
    pub path: String,
    pub why: String,
}

/// The newest runs, newest first, and the files that are not read as runs.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    pub runs: Vec<Run>,
    /// Damaged files set aside (`*.corrupt`), now or earlier.
    pub set_aside: Vec<SetAside>,
    /// Damaged files a reader found, left where they are for a run holding the lock.
    pub damaged: Vec<SetAside>,
    /// Files left alone: written by a newer wufix, or not wufix's.
    pub skipped: Vec<SetAside>,
    /// Journals with no start record yet: a run that has written nothing, or died before it
    /// began (and changed nothing).
    pub empty: Vec<String>,
}

/// A journal file's number and kind, from its name: only the names wufix writes.
fn parse_name(name: &str) -> Option<(u64, &str)> {
    let (stem, suffix) = name.rsplit_once('.')?;
    if ![SUFFIX, LEGACY_SUFFIX, ASIDE_SUFFIX].contains(&suffix) {
        return None;
    }
    let (number, stamp) = stem.split_once('-')?;
    let digits_ok = (6..=12).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit());
    let stamp_ok =
        (1..=64).contains(&stamp.len()) && stamp.bytes().all(|b| b.is_ascii_alphanumeric());
    if !digits_ok || !stamp_ok {
        return None;
    }
    Some((number.parse().ok()?, suffix))
}

impl Store {
    pub fn at(dir: PathBuf) -> Store {
        Store { dir, base: None }
    }

    /// The journal folder `dir`, below `base`.
    fn below(base: &Path, dir: PathBuf) -> Store {
        Store {
            dir,
            base: Some(base.to_path_buf()),
        }
    }

    /// Refuse a journal folder reached through a link: through it, setting a file aside or
    /// pruning old journals would rename or delete files elsewhere.
    fn check_way(&self) -> io::Result<()> {
        let Some(base) = &self.base else {
            return Ok(());
        };
        let Ok(below) = self.dir.strip_prefix(base) else {
            return Ok(());
        };
        let mut at = base.clone();
        for part in below.components() {
            at.push(part);
            match fs::symlink_metadata(&at) {
                Ok(meta) if meta.file_type().is_symlink() || !meta.is_dir() => {
                    return Err(io::Error::other(format!(
                        "{} is a link (or not a folder): the journal is not kept through it",
                        at.display()
                    )));
                }
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(()),
                Err(err) => return Err(err),
            }
        }
        Ok(())
    }

    /// The journal folder of `home`.
    pub fn of(home: &crate::home::Home) -> Store {
        Store::below(&home.base, home.journal())
    }

    /// The journal folder for the Windows at `windows_dir` (see [`crate::home::Home`]).
    pub fn for_windows(windows_dir: &Path, mode: Mode) -> Store {
        Store::of(&crate::home::Home::for_windows(windows_dir, mode))
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// wufix's files in the folder, by number, newest first: (number, kind, path).
    fn files(&self) -> io::Result<Vec<(u64, String, PathBuf)>> {
        self.check_way()?;
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name();
            let Some((number, kind)) = name.to_str().and_then(parse_name) else {
                continue;
            };
            out.push((number, kind.to_string(), entry.path()));
        }
        out.sort_by(|a, b| b.0.cmp(&a.0).then_with(|| b.2.cmp(&a.2)));
        Ok(out)
    }

    /// The newest [`KEEP`] journals, read; nothing is written. For `status`, `diagnose`, and any
    /// run before it holds the lock.
    pub fn read(&self) -> io::Result<Listing> {
        let mut listing = Listing::default();
        let mut read = 0;
        for (_, kind, path) in self.files()? {
            let shown = path.display().to_string();
            if kind == ASIDE_SUFFIX {
                if listing.set_aside.len() < KEEP {
                    listing.set_aside.push(SetAside {
                        path: shown,
                        why: "set aside as damaged".into(),
                    });
                }
                continue;
            }
            if read == KEEP {
                continue;
            }
            read += 1;
            match read_file(&path) {
                Ok(mut run) => {
                    // A newer run (read before) may have recovered this one.
                    let name = run.name();
                    if listing
                        .runs
                        .iter()
                        .any(|newer| newer.start.recovers.contains(&name))
                    {
                        run.recovered = true;
                    }
                    listing.runs.push(run)
                }
                Err(Unreadable::NoStart) => listing.empty.push(shown),
                Err(why @ (Unreadable::Newer(_) | Unreadable::NotOurs(_))) => {
                    listing.skipped.push(SetAside {
                        path: shown,
                        why: why.to_string(),
                    })
                }
                Err(Unreadable::Damaged(why)) => {
                    listing.damaged.push(SetAside { path: shown, why })
                }
            }
        }
        Ok(listing)
    }

    /// [`Store::read`], for a run that holds the lock: a damaged journal is set aside
    /// (`*.corrupt`, never over another file) and named.
    pub fn read_locked(&self) -> io::Result<Listing> {
        let mut listing = self.read()?;
        for damaged in std::mem::take(&mut listing.damaged) {
            let path = PathBuf::from(&damaged.path);
            let aside = path.with_extension(ASIDE_SUFFIX);
            let shown = match crate::sys::rename_noreplace(&path, &aside) {
                Ok(()) => aside.display().to_string(),
                Err(err) => format!("{} (could not be set aside: {err})", damaged.path),
            };
            listing.set_aside.insert(
                0,
                SetAside {
                    path: shown,
                    why: damaged.why,
                },
            );
        }
        Ok(listing)
    }

    /// Start a new journal with its `start` record on disk, then drop the oldest beyond [`KEEP`]
    /// (never one whose run still needs recovery). Call with the lock held.
    pub fn create(&self, start: Start) -> io::Result<Journal> {
        self.check_way()?;
        fs::create_dir_all(&self.dir)?;
        self.check_way()?;
        let files = self.files()?;
        let next = files
            .first()
            .map_or(Some(1), |(n, _, _)| n.checked_add(1))
            .filter(|n| *n < 1_000_000_000_000)
            .ok_or_else(|| io::Error::other("the journal numbers are used up"))?;
        let stamp: String = start
            .started
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .take(64)
            .collect();
        let path = self.dir.join(format!("{next:06}-{stamp}.{SUFFIX}"));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        let mut journal = Journal::new(file, path);
        journal.write(&Record::Start(start))?;
        self.evict(&files);
        Ok(journal)
    }

    /// Delete wufix's oldest files beyond [`KEEP`] of each kind, keeping a run that still needs
    /// recovery whatever its age.
    fn evict(&self, files: &[(u64, String, PathBuf)]) {
        let (aside, journals): (Vec<_>, Vec<_>) =
            files.iter().partition(|(_, kind, _)| kind == ASIDE_SUFFIX);
        for (_, _, path) in journals.iter().skip(KEEP - 1) {
            let needed = read_file(path).is_ok_and(|run| run.needs_recovery());
            if !needed {
                let _ = fs::remove_file(path);
            }
        }
        for (_, _, path) in aside.iter().skip(KEEP) {
            let _ = fs::remove_file(path);
        }
    }

    /// Open an existing journal to add records (the recovery mark): only a lone regular file
    /// in the folder, never through a link, never one hard-linked from elsewhere (an append
    /// would write into that other file). A run that cannot be marked here is still marked
    /// by the `recovers` list of the run that recovered it.
    pub fn append(&self, run: &Run) -> io::Result<Journal> {
        self.check_way()?;
        let file = crate::sys::open_lone_file_to_append(&run.path)?;
        let len = file.metadata()?.len();
        let mut journal = Journal::new(file, run.path.clone());
        journal.good = len;
        Ok(journal)
    }
}

/// One journal file, read and checked: a regular file only, never through a link.
pub fn read_file(path: &Path) -> Result<Run, Unreadable> {
    let meta = fs::symlink_metadata(path).map_err(|e| Unreadable::NotOurs(e.to_string()))?;
    if !meta.is_file() {
        return Err(Unreadable::NotOurs("not a regular file".into()));
    }
    if meta.len() > read::MAX_SIZE {
        return Err(Unreadable::NotOurs(format!(
            "{} bytes: too large for a journal",
            meta.len()
        )));
    }
    let file = File::open(path).map_err(|e| Unreadable::NotOurs(e.to_string()))?;
    read::read(path.to_path_buf(), file)
}

/// One record as a journal line. A record that would not read back exactly as it is (a value
/// serde cannot carry) is refused here, before the change it announces is made.
pub fn line(record: &Record) -> io::Result<String> {
    let json = serde_json::to_string(record).map_err(io::Error::other)?;
    match serde_json::from_str::<Record>(&json) {
        Ok(back) if back == *record => {}
        _ => {
            return Err(io::Error::other(
                "the record would not read back exactly as written",
            ));
        }
    }
    if json.len() > MAX_LINE {
        return Err(io::Error::other(format!(
            "a record of {} bytes is too large for the journal",
            json.len()
        )));
    }
    Ok(format!("{:08x} {json}\n", crc32fast::hash(json.as_bytes())))
}

/// An open journal: each record is on disk before `write` returns. After a write fails (a full
/// disk), the file is cut back to its last whole record and nothing more is written: no cut line
/// is ever left behind a good one, and the run must make no further change.
pub struct Journal {
    file: File,
    path: PathBuf,
    /// The length of the file up to its last whole, synced record.
    good: u64,
    /// Why it stopped taking records.
    broken: Option<String>,
}

impl Journal {
    fn new(file: File, path: PathBuf) -> Journal {
        Journal {
            file,
            path,
            good: 0,
            broken: None,
        }
    }

    pub fn write(&mut self, record: &Record) -> io::Result<()> {
        if let Some(why) = &self.broken {
            return Err(io::Error::other(format!(
                "it stopped taking records: {why}"
            )));
        }
        let line = line(record)?;
        let written = self
            .file
            .write_all(line.as_bytes())
            .and_then(|()| self.file.sync_all());
        match written {
            Ok(()) => {
                self.good += line.len() as u64;
                Ok(())
            }
            Err(err) => {
                // Back to the last whole record; if even that fails, a reader drops a cut last
                // line anyway, and no record follows it.
                let _ = self.file.set_len(self.good);
                let _ = self.file.sync_all();
                self.broken = Some(err.to_string());
                Err(err)
            }
        }
    }

    /// Why the journal stopped taking records, if it did.
    pub fn broken(&self) -> Option<&str> {
        self.broken.as_deref()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
