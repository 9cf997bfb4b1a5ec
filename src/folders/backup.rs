//! Backups made by renaming a folder aside: their names, finding them again, pruning old ones.
//!
//! A backup is `<Folder>.wufix-<UTC stamp>[-<n>].bak` beside the folder, e.g.
//! `SoftwareDistribution.wufix-20261125T231500Z.bak`. Only real folders with a name of exactly
//! that form are wufix's: a user's own `SoftwareDistribution.bak` is never listed, so never pruned,
//! and a file or a link wearing a backup's name is never counted, entered or pruned.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::clock::Clock;
use crate::sys;

const MARK: &str = ".wufix-";
const SUFFIX: &str = ".bak";
const PRUNING: &str = ".pruning";
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

/// Whether `path` is named as a wufix backup of `original` and sits beside it, in the very same
/// folder (by file identity, never by how the names are spelled: on a case-sensitive mount a
/// planted `WINDOWS` link beside `Windows` is another folder): the only place `undo` will take a
/// folder from, whatever a journal says.
pub fn is_backup_of(path: &Path, original: &Path) -> bool {
    let (Some(name), Some(dir_name)) = (path.file_name(), original.file_name()) else {
        return false;
    };
    let same_parent = match (path.parent(), original.parent()) {
        (Some(a), Some(b)) => a == b || same_file::is_same_file(a, b).unwrap_or(false),
        _ => false,
    };
    same_parent && parse(&dir_name.to_string_lossy(), &name.to_string_lossy()).is_some()
}

/// The name a backup takes while it is being deleted: a prune cut short leaves it under this
/// name, which is never taken for a backup, and the next prune finishes it.
pub fn pruning_name(backup: &Path) -> PathBuf {
    let mut name = backup.as_os_str().to_os_string();
    name.push(PRUNING);
    PathBuf::from(name)
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

/// A path for a new backup of `original`: `seq` one above every name of the same stamp already
/// there (a backup, or anything else wearing its name), so a new backup always sorts after them.
pub fn new_backup_path(original: &Path, stamp: &str) -> PathBuf {
    let parent = original.parent().unwrap_or(Path::new(""));
    let dir_name = file_name(original);
    let taken = fs::read_dir(parent)
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| parse(&dir_name, e.file_name().to_str()?))
        .filter(|(s, _)| s == stamp)
        .map(|(_, seq)| seq)
        .max()
        .unwrap_or(0);
    (taken + 1..)
        .map(|seq| parent.join(name_for(&dir_name, stamp, seq)))
        .find(|candidate| fs::symlink_metadata(candidate).is_err())
        .expect("some sequence number is free")
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// What sits beside a folder under a backup's name.
#[derive(Debug, Default)]
pub struct Found {
    /// Real folders: wufix's backups, newest first.
    pub backups: Vec<Backup>,
    /// Links (symlinks, junctions) named like a backup: reported, never entered nor pruned.
    pub links: Vec<PathBuf>,
    /// Backups whose deletion was cut short (`….bak.pruning`): never a backup; the next prune
    /// finishes them.
    pub incomplete: Vec<PathBuf>,
}

/// wufix's backups of `original`, newest first (links and files named like one left out).
pub fn list(original: &Path) -> io::Result<Vec<Backup>> {
    scan(original).map(|found| found.backups)
}

/// Everything named like a backup of `original`, sorted into backups and links. A regular file
/// of that name is neither.
pub fn scan(original: &Path) -> io::Result<Found> {
    let mut found = Found::default();
    let Some(parent) = original.parent() else {
        return Ok(found);
    };
    let dir_name = file_name(original);
    let entries = match fs::read_dir(parent) {
        Ok(entries) => entries,
        Err(err) if err.kind() == io::ErrorKind::NotFound => return Ok(found),
        Err(err) => return Err(err),
    };
    for entry in entries {
        let entry = entry?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else {
            continue;
        };
        if let Some(being_pruned) = name.strip_suffix(PRUNING) {
            let is_dir = entry.file_type().is_ok_and(|ft| ft.is_dir());
            if is_dir && parse(&dir_name, being_pruned).is_some() {
                found.incomplete.push(entry.path());
            }
            continue;
        }
        let Some((stamp, seq)) = parse(&dir_name, name) else {
            continue;
        };
        // DirEntry::file_type does not follow links: a link to a folder is a link here.
        match entry.file_type() {
            Ok(ft) if ft.is_symlink() => found.links.push(entry.path()),
            Ok(ft) if ft.is_dir() => found.backups.push(Backup {
                stamp,
                seq,
                path: entry.path(),
            }),
            _ => {}
        }
    }
    found.backups.sort_by(|a, b| b.cmp(a));
    found.links.sort();
    found.incomplete.sort();
    Ok(found)
}

/// Which of `existing` backups a run that just made `created` deletes to keep `keep` in all.
/// `created` is kept whatever its stamp says: it is the newest by definition, even when the
/// clock that named it is behind the one that named the others (a rescue system's clock read as
/// UTC while Windows keeps local time). The others are ranked by their stamps.
pub fn to_prune<'a>(existing: &'a [Backup], created: &Path, keep: usize) -> Vec<&'a Backup> {
    let mut others: Vec<&Backup> = existing.iter().filter(|b| b.path != created).collect();
    others.sort_by(|a, b| b.cmp(a));
    others.into_iter().skip(keep.saturating_sub(1)).collect()
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
        match sys::rename_noreplace(from, to) {
            Err(err)
                if (sys::is_sharing_violation(&err)
                    || err.kind() == io::ErrorKind::PermissionDenied)
                    && !clock.cancelled()
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
    use proptest::prelude::*;

    proptest! {
        /// Whatever a folder holds, reading its names never panics.
        #[test]
        fn any_name_is_read_or_refused_never_a_panic(dir in "\\PC{0,24}", file in "\\PC{0,64}") {
            let _ = parse(&dir, &file);
        }

        /// Every name wufix writes reads back as what it wrote, whatever the case on disk.
        #[test]
        fn names_written_read_back(
            digits in "[0-9]{8}T[0-9]{6}Z",
            seq in 1u32..10_000,
            upper: bool,
        ) {
            let name = name_for("SoftwareDistribution", &digits, seq);
            let name = if upper { name.to_ascii_uppercase() } else { name };
            let digits_read = if upper { digits.to_ascii_uppercase() } else { digits.clone() };
            prop_assert_eq!(parse("SoftwareDistribution", &name), Some((digits_read, seq)));
        }
    }

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
    }

    fn backup(stamp: &str, seq: u32) -> Backup {
        Backup {
            stamp: stamp.into(),
            seq,
            path: PathBuf::from(name_for("catroot2", stamp, seq)),
        }
    }

    #[test]
    fn the_backup_a_run_made_is_never_pruned_whatever_its_stamp() {
        // The rescue system's clock is behind: the new backup's stamp is the oldest.
        let created = backup("20200101T000000Z", 1);
        let existing = vec![
            backup("20991231T000000Z", 1),
            created.clone(),
            backup("20250101T000000Z", 1),
        ];
        let doomed = to_prune(&existing, &created.path, 1);
        let names: Vec<&Path> = doomed.iter().map(|b| b.path.as_path()).collect();
        assert_eq!(
            names,
            [
                Path::new("catroot2.wufix-20991231T000000Z.bak"),
                Path::new("catroot2.wufix-20250101T000000Z.bak")
            ]
        );
        // keep 2: the new one and the newest other stay.
        let doomed = to_prune(&existing, &created.path, 2);
        assert_eq!(doomed.len(), 1);
        assert_eq!(doomed[0].stamp, "20250101T000000Z");
        assert!(to_prune(&existing, &created.path, 3).is_empty());
    }

    #[test]
    fn sequence_numbers_rank_numerically_and_new_ones_go_above_the_highest() {
        let tmp = tempfile::tempdir().unwrap();
        let original = tmp.path().join("catroot2");
        // A gap at 1 (pruned earlier) must not be reused below the existing 2 and 10.
        for seq in [2, 10] {
            fs::create_dir(
                tmp.path()
                    .join(name_for("catroot2", "20261125T231500Z", seq)),
            )
            .unwrap();
        }
        let next = new_backup_path(&original, "20261125T231500Z");
        assert_eq!(
            next.file_name().unwrap(),
            "catroot2.wufix-20261125T231500Z-11.bak"
        );
        fs::create_dir(&next).unwrap();
        let listed = list(&original).unwrap();
        assert_eq!(listed[0].path, next);
        assert_eq!(listed[1].seq, 10);
        assert_eq!(listed[2].seq, 2);
        assert!(to_prune(&listed, &next, 1).iter().all(|b| b.path != next));
    }

    #[cfg(unix)]
    #[test]
    fn files_and_links_named_like_backups_are_not_backups() {
        let tmp = tempfile::tempdir().unwrap();
        let original = tmp.path().join("catroot2");
        fs::write(
            tmp.path().join("catroot2.wufix-20200101T000000Z.bak"),
            "a file",
        )
        .unwrap();
        std::os::unix::fs::symlink("/", tmp.path().join("catroot2.wufix-20210101T000000Z.bak"))
            .unwrap();
        fs::create_dir(tmp.path().join("catroot2.wufix-20220101T000000Z.bak")).unwrap();
        let found = scan(&original).unwrap();
        assert_eq!(found.backups.len(), 1);
        assert_eq!(found.backups[0].stamp, "20220101T000000Z");
        assert_eq!(
            found.links,
            [tmp.path().join("catroot2.wufix-20210101T000000Z.bak")]
        );
    }
}
