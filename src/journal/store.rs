//! Where journals live and how they are written and read: `%ProgramData%\wufix\journal\` online,
//! `<volume>\ProgramData\wufix\journal\` offline. Files are numbered (`000042-<UTC time>.journal`),
//! so "the newest" does not depend on the clock; the last [`KEEP`] are kept. Each line carries a
//! CRC-32 of its record.
//!
//! The naming rule that lets the format change safely: a format a released wufix cannot read is
//! written under a name that wufix ignores. wufix 0.1 read (and set aside as damaged, when they did
//! not parse) only `*.jsonl` files, so format 2 is written as `*.journal`; from format 2 on a
//! reader skips and names a file whose format is newer than it knows, and never renames, deletes
//! or rewrites it. `*.jsonl` files that wufix 0.1 left are still read, so its runs can be
//! recovered and undone.

use std::fmt;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use super::{Record, Run, Start, VERSION};
use crate::folders::layout::find_child;
use crate::machine::Mode;

/// Runs kept: also the audit trail `status` reads.
pub const KEEP: usize = 20;
/// A journal is a few kilobytes; anything this large is not one of ours.
const MAX_SIZE: u64 = 4 << 20;
/// The longest record written (a saved Winsock catalogue is the largest, about 200 KiB): a few
/// records of this size still fit in [`MAX_SIZE`].
const MAX_LINE: usize = 1 << 20;
/// The name of the files written now.
const SUFFIX: &str = ".journal";
/// wufix 0.1's files (format 1): read, never written.
const LEGACY_SUFFIX: &str = ".jsonl";

#[derive(Clone, Debug)]
pub struct Store {
    dir: PathBuf,
}

/// A journal file that could not be trusted, and where it was put.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct SetAside {
    pub path: String,
    pub why: String,
}

/// Every readable run, newest first, the files set aside on the way, and those left alone
/// because a newer wufix wrote them.
#[derive(Clone, Debug, Default)]
pub struct Listing {
    pub runs: Vec<Run>,
    pub set_aside: Vec<SetAside>,
    pub skipped: Vec<SetAside>,
}

/// Why a journal file is not read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Written by a newer wufix, in this format: skipped, never touched.
    Newer(u64),
    /// Cut, damaged, or not a journal.
    Damaged(String),
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::Newer(version) => write!(
                f,
                "it was written by a newer wufix (format {version}, this one reads up to {VERSION})"
            ),
            Unreadable::Damaged(why) => f.write_str(why),
        }
    }
}

impl From<String> for Unreadable {
    fn from(why: String) -> Self {
        Unreadable::Damaged(why)
    }
}

impl Store {
    pub fn at(dir: PathBuf) -> Store {
        Store { dir }
    }

    /// The journal folder for the Windows at `windows_dir`: online `%ProgramData%\wufix\journal`
    /// (or, without that variable, ProgramData beside the Windows folder); offline the same path
    /// on the mounted volume.
    pub fn for_windows(windows_dir: &Path, mode: Mode) -> Store {
        let root = windows_dir.parent().unwrap_or(windows_dir);
        // The journal lives with the Windows it describes: %ProgramData% belongs to the running
        // one only.
        let running = mode == Mode::Online
            && crate::sys::running_windows_dir()
                .is_some_and(|w| same_file::is_same_file(w, windows_dir).unwrap_or(false));
        match (running, std::env::var_os("ProgramData")) {
            (true, Some(data)) => Store::at(PathBuf::from(data).join("wufix").join("journal")),
            _ => Store::offline(root),
        }
    }

    /// The journal folder on a volume whose root is `root` (it holds the Windows folder), found
    /// ignoring case as Windows would.
    pub fn offline(root: &Path) -> Store {
        let data = find_child(root, "ProgramData").unwrap_or_else(|| root.join("ProgramData"));
        let wufix = find_child(&data, "wufix").unwrap_or_else(|| data.join("wufix"));
        let dir = find_child(&wufix, "journal").unwrap_or_else(|| wufix.join("journal"));
        Store::at(dir)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Start a new journal with its `start` record on disk, and drop the oldest beyond [`KEEP`].
    pub fn create(&self, start: Start) -> io::Result<Journal> {
        fs::create_dir_all(&self.dir)?;
        let numbers = self.numbered()?;
        let next = numbers.iter().map(|(n, _)| *n).max().unwrap_or(0) + 1;
        let stamp: String = start
            .started
            .chars()
            .filter(|c| c.is_ascii_alphanumeric())
            .collect();
        let path = self.dir.join(format!("{next:06}-{stamp}{SUFFIX}"));
        let file = OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&path)?;
        let mut journal = Journal { file, path };
        journal.write(&Record::Start(start))?;
        let mut numbers = numbers;
        numbers.sort();
        let excess = (numbers.len() + 1).saturating_sub(KEEP);
        for (_, old) in numbers.into_iter().take(excess) {
            let _ = fs::remove_file(old);
        }
        Ok(journal)
    }

    /// Open an existing journal to add records (the recovery mark).
    pub fn append(&self, run: &Run) -> io::Result<Journal> {
        let file = OpenOptions::new().append(true).open(&run.path)?;
        Ok(Journal {
            file,
            path: run.path.clone(),
        })
    }

    /// The journal files of either format, by number.
    fn numbered(&self) -> io::Result<Vec<(u64, PathBuf)>> {
        let entries = match fs::read_dir(&self.dir) {
            Ok(entries) => entries,
            Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(err) => return Err(err),
        };
        let mut out = Vec::new();
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let Some(stem) = name
                .strip_suffix(SUFFIX)
                .or_else(|| name.strip_suffix(LEGACY_SUFFIX))
            else {
                continue;
            };
            if let Some(n) = stem.split('-').next().and_then(|n| n.parse().ok()) {
                out.push((n, entry.path()));
            }
        }
        Ok(out)
    }

    /// Read every journal, newest first. One that cannot be trusted is renamed `*.corrupt` and
    /// reported; one in a newer format is named and left as it is; the others are read
    /// regardless.
    pub fn list(&self) -> io::Result<Listing> {
        let mut numbers = self.numbered()?;
        numbers.sort_by_key(|n| std::cmp::Reverse(n.0));
        let mut listing = Listing::default();
        for (_, path) in numbers {
            match read(&path) {
                Ok(run) => listing.runs.push(run),
                Err(why @ Unreadable::Newer(_)) => listing.skipped.push(SetAside {
                    path: path.display().to_string(),
                    why: why.to_string(),
                }),
                Err(Unreadable::Damaged(why)) => {
                    let aside = path.with_extension("corrupt");
                    let path_text = match fs::rename(&path, &aside) {
                        Ok(()) => aside.display().to_string(),
                        Err(err) => format!("{} (could not be renamed: {err})", path.display()),
                    };
                    listing.set_aside.push(SetAside {
                        path: path_text,
                        why,
                    });
                }
            }
        }
        Ok(listing)
    }
}

/// One journal file, read and checked.
pub fn read(path: &Path) -> Result<Run, Unreadable> {
    let meta = fs::symlink_metadata(path).map_err(|e| e.to_string())?;
    if !meta.is_file() {
        return Err(Unreadable::Damaged("not a regular file".into()));
    }
    if meta.len() > MAX_SIZE {
        return Err(Unreadable::Damaged(format!(
            "{} bytes: too large for a journal",
            meta.len()
        )));
    }
    let mut bytes = Vec::new();
    File::open(path)
        .and_then(|f| f.take(MAX_SIZE).read_to_end(&mut bytes))
        .map_err(|e| e.to_string())?;
    parse(path.to_path_buf(), &bytes)
}

/// Records from a journal's bytes. Each line is `<CRC-32 of the record, 8 hex digits> <record as
/// JSON>`: a line cut short by a crash, or any flipped bit, makes the file untrustworthy. The
/// first record's `version` is read before anything else, so a newer format is told from damage.
pub fn parse(path: PathBuf, bytes: &[u8]) -> Result<Run, Unreadable> {
    let text = std::str::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_string())?;
    if !text.is_empty() && !text.ends_with('\n') {
        return Err(Unreadable::Damaged("its last line is cut short".into()));
    }
    let mut records = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let bad = |why: &str| format!("line {}: {why}", n + 1);
        let (crc, json) = line.split_once(' ').ok_or_else(|| bad("no checksum"))?;
        // Compared as written (lower-case hex): a flipped case bit is damage too.
        if crc != format!("{:08x}", crc32fast::hash(json.as_bytes())) {
            return Err(bad("its checksum does not match: the file is damaged").into());
        }
        if n == 0 {
            let version = serde_json::from_str::<serde_json::Value>(json)
                .ok()
                .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64));
            if let Some(version) = version.filter(|v| *v > u64::from(VERSION)) {
                return Err(Unreadable::Newer(version));
            }
        }
        let record: Record = serde_json::from_str(json).map_err(|e| bad(&e.to_string()))?;
        records.push(record);
    }
    Ok(Run::from_records(path, records)?)
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

/// An open journal: each record is on disk before `write` returns.
pub struct Journal {
    file: File,
    path: PathBuf,
}

impl Journal {
    pub fn write(&mut self, record: &Record) -> io::Result<()> {
        self.file.write_all(line(record)?.as_bytes())?;
        self.file.sync_all()
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
