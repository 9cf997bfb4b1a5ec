//! Backups made by renaming a folder aside: their names, finding them again, pruning old ones.
//!
//! A backup is `<Folder>.wufix-<UTC stamp>[-<n>].bak` beside the folder, e.g.
//! `SoftwareDistribution.wufix-20261125T231500Z.bak`. Only names of exactly that form are wufix's:
//! a user's own `SoftwareDistribution.bak` is never listed, so never pruned.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::clock::Clock;
use crate::sys;

const MARK: &str = ".wufix-";
const SUFFIX: &str = ".bak";
const STAMP_FORMAT: &str = "%Y%m%dT%H%M%SZ";
const STAMP_LEN: usize = 16;

/// The UTC time of a reset as it appears in backup names; sorts as it reads.
pub fn stamp(now: jiff::Timestamp) -> String {
    now.strftime(STAMP_FORMAT).to_string()
}

/// A backup folder wufix made. Orders oldest first.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Backup {
    stamp: String,
    seq: u32,
    pub path: PathBuf,
}

fn name_for(dir_name: &str, stamp: &str, seq: u32) -> String {
    if seq <= 1 {
        format!("{dir_name}{MARK}{stamp}{SUFFIX}")
    } else {
        format!("{dir_name}{MARK}{stamp}-{seq}{SUFFIX}")
    }
}

/// `(stamp, seq)` when `file_name` is a backup of `dir_name`, ignoring case as Windows does.
fn parse(dir_name: &str, file_name: &str) -> Option<(String, u32)> {
    let head = file_name.get(..dir_name.len() + MARK.len())?;
    if !head.eq_ignore_ascii_case(&format!("{dir_name}{MARK}")) {
        return None;
    }
    let rest = &file_name[head.len()..];
    let body = rest.get(..rest.len().checked_sub(SUFFIX.len())?)?;
    if !rest[body.len()..].eq_ignore_ascii_case(SUFFIX) {
        return None;
    }
    let (stamp, seq) = match body.split_once('-') {
        Some((stamp, seq)) if !seq.is_empty() && seq.bytes().all(|b| b.is_ascii_digit()) => {
            (stamp, seq.parse().ok()?)
        }
        Some(_) => return None,
        None => (body, 1),
    };
    let bytes = stamp.as_bytes();
    let well_formed = bytes.len() == STAMP_LEN
        && bytes[8] == b'T'
        && bytes[15] == b'Z'
        && bytes[..8]
            .iter()
            .chain(&bytes[9..15])
            .all(u8::is_ascii_digit);
    well_formed.then(|| (stamp.to_string(), seq))
}

/// A path for a new backup of `original` that no earlier backup already holds.
pub fn new_backup_path(original: &Path, stamp: &str) -> PathBuf {
    let parent = original.parent().unwrap_or(Path::new(""));
    let dir_name = file_name(original);
    (1..)
        .map(|seq| parent.join(name_for(&dir_name, stamp, seq)))
        .find(|candidate| fs::symlink_metadata(candidate).is_err())
        .expect("some sequence number is free")
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// wufix's backups of `original`, newest first.
pub fn list(original: &Path) -> io::Result<Vec<Backup>> {
    let Some(parent) = original.parent() else {
        return Ok(Vec::new());
    };
    let dir_name = file_name(original);
    let entries = match fs::read_dir(parent) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(err) => return Err(err),
    };
    let mut backups = Vec::new();
    for entry in entries {
        let entry = entry?;
        let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
            continue;
        };
        if let Some((stamp, seq)) = parse(&dir_name, &name) {
            backups.push(Backup {
                stamp,
                seq,
                path: entry.path(),
            });
        }
    }
    backups.sort_by(|a, b| b.cmp(a));
    Ok(backups)
}

/// The backups beyond the newest `keep`, given a newest-first list.
pub fn beyond(backups: &[Backup], keep: usize) -> &[Backup] {
    backups.get(keep..).unwrap_or(&[])
}

/// Rename `from` to `to`, retrying for a while when something holds a file inside open (an
/// antivirus scan, a service that has not quite let go).
pub fn rename_aside(
    from: &Path,
    to: &Path,
    clock: &dyn Clock,
    retry_for: Duration,
) -> io::Result<()> {
    let deadline = clock.now() + retry_for;
    let mut delay = Duration::from_millis(25);
    loop {
        match fs::rename(from, to) {
            Err(err)
                if (sys::is_sharing_violation(&err)
                    || err.kind() == io::ErrorKind::PermissionDenied)
                    && clock.now() + delay <= deadline =>
            {
                clock.sleep(delay);
                delay = (delay * 2).min(Duration::from_millis(500));
            }
            result => return result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stamp_is_compact_utc() {
        let ts: jiff::Timestamp = "2026-11-25T23:15:00Z".parse().unwrap();
        assert_eq!(stamp(ts), "20261125T231500Z");
    }

    #[test]
    fn names_round_trip_and_foreign_names_are_ignored() {
        assert_eq!(
            parse("catroot2", &name_for("catroot2", "20261125T231500Z", 1)),
            Some(("20261125T231500Z".into(), 1))
        );
        assert_eq!(
            parse("catroot2", "CATROOT2.WUFIX-20261125T231500Z-3.BAK"),
            Some(("20261125T231500Z".into(), 3))
        );
        for foreign in [
            "catroot2.bak",
            "catroot2.old",
            "catroot2.wufix-.bak",
            "catroot2.wufix-20261125T231500Z",
            "catroot2.wufix-2026112XT231500Z.bak",
            "catroot2.wufix-20261125T231500Z-.bak",
            "catroot2.wufix-20261125T231500Z-x.bak",
            "catroot.wufix-20261125T231500Z.bak",
            "SoftwareDistribution.wufix-20261125T231500Z.bak",
            "c",
        ] {
            assert_eq!(parse("catroot2", foreign), None, "{foreign}");
        }
    }

    #[test]
    fn new_paths_never_collide_and_list_orders_newest_first() {
        let tmp = tempfile::tempdir().unwrap();
        let original = tmp.path().join("SoftwareDistribution");
        let first = new_backup_path(&original, "20261125T231500Z");
        fs::create_dir(&first).unwrap();
        let second = new_backup_path(&original, "20261125T231500Z");
        assert_ne!(first, second);
        fs::create_dir(&second).unwrap();
        let older = new_backup_path(&original, "20251231T000000Z");
        fs::create_dir(&older).unwrap();
        fs::create_dir(tmp.path().join("SoftwareDistribution.bak")).unwrap();

        let listed: Vec<_> = list(&original)
            .unwrap()
            .into_iter()
            .map(|b| b.path)
            .collect();
        assert_eq!(listed, [second.clone(), first, older.clone()]);
        let all = list(&original).unwrap();
        assert_eq!(
            beyond(&all, 2).iter().map(|b| &b.path).collect::<Vec<_>>(),
            [&older]
        );
        assert!(beyond(&all, 5).is_empty());
    }
}
