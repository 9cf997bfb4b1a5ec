//! A journal file read back, streamed and bounded. Each line is `<CRC-32 of the record, 8 hex
//! digits> <record as JSON>`, synced before the next is written: so the last line alone can be
//! cut (or come back as NUL bytes) by a power cut or a full disk. That line is the record that
//! was not written, and is dropped; a bad line with another after it is damage. The first
//! record's `version` is read before anything else, so a newer format is told from damage.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::path::PathBuf;

use super::{Record, Run, VERSION};

/// The most a journal may hold. A saved Winsock catalogue, the largest record, is about 200 KiB:
/// anything beyond this is not wufix's, and is not read.
pub const MAX_SIZE: u64 = 2 << 20;

/// Why a journal file is not read as a run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unreadable {
    /// Written by a newer wufix, in this format: skipped, never touched.
    Newer(u64),
    /// No whole start record: the run has written nothing yet, or died before its first record
    /// (nothing was changed then).
    NoStart,
    /// Not a journal wufix wrote (too large, not text): skipped, never touched.
    NotOurs(String),
    /// A bad line with more after it: damaged.
    Damaged(String),
}

impl fmt::Display for Unreadable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Unreadable::Newer(version) => write!(
                f,
                "it was written by a newer wufix (format {version}, this one reads up to {VERSION})"
            ),
            Unreadable::NoStart => f.write_str("it holds no start record yet"),
            Unreadable::NotOurs(why) | Unreadable::Damaged(why) => f.write_str(why),
        }
    }
}

/// The record on one whole line, or why it is not one.
fn record(line: &[u8], first: bool) -> Result<Record, Result<String, Unreadable>> {
    let bad = |why: &str| Err(Ok(why.to_string()));
    if line.iter().all(|b| *b == 0) {
        return bad("NUL bytes where a record should be");
    }
    let Ok(text) = std::str::from_utf8(line) else {
        return bad("it is not UTF-8 text");
    };
    let Some((crc, json)) = text.split_once(' ') else {
        return bad("no checksum");
    };
    // Compared as written (lower-case hex): a flipped case bit is damage too.
    if crc != format!("{:08x}", crc32fast::hash(json.as_bytes())) {
        return bad("its checksum does not match");
    }
    if first {
        let version = serde_json::from_str::<serde_json::Value>(json)
            .ok()
            .and_then(|v| v.get("version").and_then(serde_json::Value::as_u64));
        if let Some(version) = version.filter(|v| *v > u64::from(VERSION)) {
            return Err(Err(Unreadable::Newer(version)));
        }
    }
    serde_json::from_str(json).map_err(|e| Ok(e.to_string()))
}

/// Read a journal from `reader`, at most [`MAX_SIZE`] bytes, one line at a time.
pub fn read(path: PathBuf, reader: impl Read) -> Result<Run, Unreadable> {
    let mut reader = BufReader::new(reader.take(MAX_SIZE + 1));
    let mut records = Vec::new();
    // A bad line seen last: damage if another follows, the record that was not written if not.
    let mut pending: Option<(usize, String)> = None;
    let mut torn = false;
    let mut total = 0u64;
    let mut buf = Vec::new();
    for n in 1.. {
        buf.clear();
        let got = reader
            .read_until(b'\n', &mut buf)
            .map_err(|e| Unreadable::NotOurs(e.to_string()))?;
        if got == 0 {
            break;
        }
        total += got as u64;
        if total > MAX_SIZE {
            return Err(Unreadable::NotOurs(format!(
                "more than {MAX_SIZE} bytes: too large for a journal"
            )));
        }
        if let Some((at, why)) = pending.take() {
            return Err(Unreadable::Damaged(format!(
                "line {at}: {why}, and more follows: the file is damaged"
            )));
        }
        let Some(line) = buf.strip_suffix(b"\n") else {
            // Cut before its line break: the record that was not written.
            torn = true;
            break;
        };
        match record(line, records.is_empty()) {
            Ok(record) => records.push(record),
            Err(Err(unreadable)) => return Err(unreadable),
            Err(Ok(why)) => pending = Some((n, why)),
        }
    }
    torn |= pending.is_some();
    if records.is_empty() {
        return Err(Unreadable::NoStart);
    }
    let mut run = Run::from_records(path, records).map_err(Unreadable::Damaged)?;
    run.torn = torn;
    Ok(run)
}

/// [`read`] from bytes.
pub fn parse(path: PathBuf, bytes: &[u8]) -> Result<Run, Unreadable> {
    read(path, bytes)
}
