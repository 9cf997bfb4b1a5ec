//! A registry hive file (`regf`) read-only, for a mounted Windows: `System32\config\SYSTEM` and
//! `SOFTWARE`. Written here because no hive crate fits (nt-hive is GPL; notatin pulls a hundred
//! crates; the others are months old): the format is small — a 4 KiB base block, then bins of
//! cells — and every offset and length read from the file is checked before use, so a damaged or
//! crafted hive is an error, never a panic (a proptest feeds it arbitrary bytes). Transaction
//! logs are not applied: a dirty hive is read as it is and said so.

use std::fmt;

use super::registry::RegValue;

const BASE: usize = 0x1000;
/// Big-data segments hold at most this much each.
const SEGMENT: usize = 16344;
/// Key names are at most 255 characters, value names 16,383: a longer length is damage.
const MAX_NAME: usize = 32 * 1024;
/// Nested index lists (`ri` of `lf`) are one level deep in practice.
const MAX_INDEX_DEPTH: u32 = 4;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum HiveError {
    /// Not a hive at all (no `regf` signature, too short).
    NotAHive(String),
    /// A hive whose base block or cells do not hold together.
    Damaged(String),
}

impl fmt::Display for HiveError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            HiveError::NotAHive(why) => write!(f, "not a registry hive ({why})"),
            HiveError::Damaged(why) => write!(f, "a damaged registry hive ({why})"),
        }
    }
}

fn damaged(why: impl Into<String>) -> HiveError {
    HiveError::Damaged(why.into())
}

/// A key: the offset of its `nk` cell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key(u32);

/// Where the hive's bytes are: a file read cell by cell (a SOFTWARE hive can be hundreds of
/// megabytes, and a check reads a few dozen cells), or bytes in memory (tests).
enum Source {
    Bytes(Vec<u8>),
    File { file: std::fs::File, len: u64 },
}

impl Source {
    fn len(&self) -> usize {
        match self {
            Source::Bytes(b) => b.len(),
            Source::File { len, .. } => *len as usize,
        }
    }

    /// `len` bytes at `at`, or `None` past the end or on a read error.
    fn read(&self, at: usize, len: usize) -> Option<Vec<u8>> {
        if at.checked_add(len)? > self.len() {
            return None;
        }
        match self {
            Source::Bytes(b) => Some(b[at..at + len].to_vec()),
            Source::File { file, .. } => {
                let mut buf = vec![0u8; len];
                read_exact_at(file, &mut buf, at as u64).ok()?;
                Some(buf)
            }
        }
    }
}

#[cfg(unix)]
fn read_exact_at(file: &std::fs::File, buf: &mut [u8], at: u64) -> std::io::Result<()> {
    std::os::unix::fs::FileExt::read_exact_at(file, buf, at)
}

#[cfg(windows)]
fn read_exact_at(file: &std::fs::File, mut buf: &mut [u8], mut at: u64) -> std::io::Result<()> {
    use std::os::windows::fs::FileExt;
    while !buf.is_empty() {
        match file.seek_read(buf, at)? {
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => {
                buf = &mut buf[n..];
                at += n as u64;
            }
        }
    }
    Ok(())
}

pub struct Hive {
    data: Source,
    root: Key,
    /// The two sequence numbers differ: Windows did not finish writing it, and its transaction
    /// logs (`.LOG1`, `.LOG2`) hold changes not read here.
    pub dirty: bool,
}

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(b.get(at..at + 2)?.try_into().ok()?))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(b.get(at..at + 4)?.try_into().ok()?))
}

fn name_text(bytes: &[u8], ascii: bool) -> String {
    if ascii {
        // "Compressed" names are Latin-1, one byte per character.
        bytes.iter().map(|&b| b as char).collect()
    } else {
        let units: Vec<u16> = bytes
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .collect();
        String::from_utf16_lossy(&units)
    }
}

impl Hive {
    pub fn parse(data: Vec<u8>) -> Result<Hive, HiveError> {
        Hive::from_source(Source::Bytes(data))
    }

    /// A hive file, read cell by cell as keys are asked for: memory stays small whatever its
    /// size.
    pub fn open_file(file: std::fs::File) -> Result<Hive, HiveError> {
        let len = file
            .metadata()
            .map_err(|e| HiveError::NotAHive(e.to_string()))?
            .len();
        Hive::from_source(Source::File { file, len })
    }

    fn from_source(data: Source) -> Result<Hive, HiveError> {
        let Some(base) = data.read(0, BASE + 0x20) else {
            return Err(HiveError::NotAHive("shorter than its base block".into()));
        };
        if &base[..4] != b"regf" {
            return Err(HiveError::NotAHive("no regf signature".into()));
        }
        let word = |at| u32_at(&base, at).unwrap_or(0);
        let mut sum = 0u32;
        for at in (0..508).step_by(4) {
            sum ^= word(at);
        }
        let sum = match sum {
            0 => 1,
            0xFFFF_FFFF => 0xFFFF_FFFE,
            s => s,
        };
        if sum != word(508) {
            return Err(damaged("its base block's checksum does not match"));
        }
        let root = word(0x24);
        let hive = Hive {
            dirty: word(4) != word(8),
            root: Key(root),
            data,
        };
        hive.key_cell(hive.root)?;
        Ok(hive)
    }

    pub fn root(&self) -> Key {
        self.root
    }

    /// The data of the cell at `offset` (relative to the first bin), without its size field.
    fn cell(&self, offset: u32) -> Result<Vec<u8>, HiveError> {
        let outside = || damaged(format!("a cell offset 0x{offset:x} outside the file"));
        let at = BASE
            .checked_add(offset as usize)
            .filter(|_| offset != u32::MAX)
            .ok_or_else(outside)?;
        let size = self.data.read(at, 4).ok_or_else(outside)?;
        let size = u32_at(&size, 0).unwrap_or(0) as i32;
        let len = size.unsigned_abs() as usize;
        if len < 4 {
            return Err(damaged(format!("a cell at 0x{offset:x} with size {size}")));
        }
        self.data
            .read(at + 4, len - 4)
            .ok_or_else(|| damaged(format!("a cell at 0x{offset:x} with size {size}")))
    }

    fn key_cell(&self, key: Key) -> Result<Vec<u8>, HiveError> {
        let cell = self.cell(key.0)?;
        if cell.get(..2) != Some(b"nk") || cell.len() < 0x4C {
            return Err(damaged(format!("no key at 0x{:x}", key.0)));
        }
        Ok(cell)
    }

    pub fn key_name(&self, key: Key) -> Result<String, HiveError> {
        let cell = &self.key_cell(key)?;
        let flags = u16_at(cell, 2).unwrap_or(0);
        let len = u16_at(cell, 0x48).unwrap_or(0) as usize;
        let name = cell
            .get(0x4C..0x4C + len)
            .ok_or_else(|| damaged("a key name longer than its cell"))?;
        Ok(name_text(name, flags & 0x20 != 0))
    }

    /// The subkeys of `key`, with their names.
    pub fn subkeys(&self, key: Key) -> Result<Vec<(String, Key)>, HiveError> {
        let cell = &self.key_cell(key)?;
        let count = u32_at(cell, 0x14).unwrap_or(0);
        if count == 0 {
            return Ok(Vec::new());
        }
        let mut offsets = Vec::new();
        self.index(u32_at(cell, 0x1C).unwrap_or(u32::MAX), 0, &mut offsets)?;
        offsets
            .into_iter()
            .map(|o| Ok((self.key_name(Key(o))?, Key(o))))
            .collect()
    }

    /// The key offsets an index cell (`lf`, `lh`, `li`, or `ri` of those) lists.
    fn index(&self, offset: u32, depth: u32, out: &mut Vec<u32>) -> Result<(), HiveError> {
        if depth > MAX_INDEX_DEPTH {
            return Err(damaged("subkey lists nested too deep"));
        }
        let cell = &self.cell(offset)?;
        let kind = cell.get(..2).unwrap_or(b"");
        let count = u16_at(cell, 2).unwrap_or(0) as usize;
        let stride = if kind == b"lf" || kind == b"lh" { 8 } else { 4 };
        if kind != b"lf" && kind != b"lh" && kind != b"li" && kind != b"ri" {
            return Err(damaged(format!("an unknown subkey list at 0x{offset:x}")));
        }
        if 4 + count * stride > cell.len() {
            return Err(damaged("a subkey list longer than its cell"));
        }
        for i in 0..count {
            let child = u32_at(cell, 4 + i * stride).unwrap_or(u32::MAX);
            if kind == b"ri" {
                self.index(child, depth + 1, out)?;
            } else {
                out.push(child);
            }
        }
        Ok(())
    }

    /// The subkey of `key` named `name`, ignoring case as Windows does.
    pub fn subkey(&self, key: Key, name: &str) -> Result<Option<Key>, HiveError> {
        Ok(self
            .subkeys(key)?
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name) || n.to_lowercase() == name.to_lowercase())
            .map(|(_, k)| k))
    }

    /// The key at `path` (`Microsoft\Windows NT\CurrentVersion`) below the root.
    pub fn open(&self, path: &str) -> Result<Option<Key>, HiveError> {
        let mut key = self.root;
        for part in path.split('\\').filter(|p| !p.is_empty()) {
            match self.subkey(key, part)? {
                Some(k) => key = k,
                None => return Ok(None),
            }
        }
        Ok(Some(key))
    }

    /// Every value of `key`: its name (empty for the default value) and its type and bytes.
    pub fn values(&self, key: Key) -> Result<Vec<(String, RegValue)>, HiveError> {
        let cell = &self.key_cell(key)?;
        let count = u32_at(cell, 0x24).unwrap_or(0) as usize;
        if count == 0 {
            return Ok(Vec::new());
        }
        let list = &self.cell(u32_at(cell, 0x28).unwrap_or(u32::MAX))?;
        if count * 4 > list.len() {
            return Err(damaged("a value list longer than its cell"));
        }
        (0..count)
            .map(|i| self.value_cell(u32_at(list, i * 4).unwrap_or(u32::MAX)))
            .collect()
    }

    fn value_cell(&self, offset: u32) -> Result<(String, RegValue), HiveError> {
        let cell = &self.cell(offset)?;
        if cell.get(..2) != Some(b"vk") || cell.len() < 20 {
            return Err(damaged(format!("no value at 0x{offset:x}")));
        }
        let name_len = u16_at(cell, 2).unwrap_or(0) as usize;
        let size = u32_at(cell, 4).unwrap_or(0);
        let data_at = u32_at(cell, 8).unwrap_or(0);
        let kind = u32_at(cell, 12).unwrap_or(0);
        let flags = u16_at(cell, 16).unwrap_or(0);
        if name_len > MAX_NAME {
            return Err(damaged("a value name too long"));
        }
        let name = cell
            .get(20..20 + name_len)
            .ok_or_else(|| damaged("a value name longer than its cell"))?;
        let name = name_text(name, flags & 1 != 0);
        let len = (size & 0x7FFF_FFFF) as usize;
        let data = if size & 0x8000_0000 != 0 {
            // Small data lives in the offset field itself.
            data_at.to_le_bytes()[..len.min(4)].to_vec()
        } else if len == 0 {
            Vec::new()
        } else {
            self.data_of(data_at, len)?
        };
        Ok((name, RegValue::new(kind, data)))
    }

    fn data_of(&self, offset: u32, len: usize) -> Result<Vec<u8>, HiveError> {
        let cell = &self.cell(offset)?;
        if len <= cell.len() {
            return Ok(cell[..len].to_vec());
        }
        // Big data: a `db` cell listing segments of up to 16,344 bytes.
        if cell.get(..2) != Some(b"db") {
            return Err(damaged("value data longer than its cell"));
        }
        let count = u16_at(cell, 2).unwrap_or(0) as usize;
        if count * SEGMENT < len {
            return Err(damaged("big data with too few segments"));
        }
        let list = &self.cell(u32_at(cell, 4).unwrap_or(u32::MAX))?;
        let mut out = Vec::with_capacity(len);
        for i in 0..count {
            let segment =
                self.cell(u32_at(list, i * 4).ok_or_else(|| damaged("a segment list too short"))?)?;
            let take = (len - out.len()).min(SEGMENT).min(segment.len());
            out.extend_from_slice(&segment[..take]);
            if out.len() == len {
                break;
            }
        }
        if out.len() != len {
            return Err(damaged("big data shorter than its size"));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests;
