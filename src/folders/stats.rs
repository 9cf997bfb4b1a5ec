//! How big a folder is: files and bytes, counted without following links.

use std::fs;
use std::path::Path;

use serde::Serialize;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Size {
    /// Files and links (a link counts as one entry, whatever it points to).
    pub files: u64,
    pub bytes: u64,
    /// Entries that could not be read (permissions, races); the totals leave them out.
    pub unreadable: u64,
}

/// Count everything below `root`. A link is counted, never entered.
pub fn measure(root: &Path) -> Size {
    let mut size = Size::default();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            size.unreadable += 1;
            continue;
        };
        for entry in entries {
            let Ok(entry) = entry else {
                size.unreadable += 1;
                continue;
            };
            match entry.file_type() {
                Ok(ft) if ft.is_dir() && !ft.is_symlink() => pending.push(entry.path()),
                Ok(ft) => {
                    size.files += 1;
                    if ft.is_file() {
                        // DirEntry::metadata does not follow links and, on Windows, costs no
                        // extra system call: the directory listing carries it.
                        size.bytes += entry.metadata().map(|m| m.len()).unwrap_or(0);
                    }
                }
                Err(_) => size.unreadable += 1,
            }
        }
    }
    size
}

/// How many entries (files, links and folders) are below `root`: what clearing it removes. A link
/// is counted, never entered.
pub fn entries(root: &Path) -> u64 {
    let mut count = 0;
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            count += 1;
            if entry
                .file_type()
                .is_ok_and(|ft| ft.is_dir() && !ft.is_symlink())
            {
                pending.push(entry.path());
            }
        }
    }
    count
}

/// Entries looked at when choosing whom to ask about: enough for SoftwareDistribution's database
/// and logs, bounded for a folder of a million downloads.
const MAX_VISITED: usize = 50_000;

/// Whether a file is one a service keeps open: the ESE databases and their logs, checkpoints and
/// reserve logs (DataStore.edb, edb.log, edb.chk, edbres00001.jrs, catdb), BITS's queue.
fn likely_held(name: &std::ffi::OsStr) -> bool {
    let name = name.to_string_lossy().to_ascii_lowercase();
    let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
    matches!(ext, "edb" | "log" | "chk" | "jrs" | "jfm" | "db" | "dat")
        || name == "catdb"
        || name.starts_with("edb")
}

/// Up to `limit` files below `root` (links not entered): the candidates a process may hold open
/// when the folder itself cannot be renamed. The files services keep open come first, wherever
/// the walk meets them; the rest fill what room is left.
pub fn files_below(root: &Path, limit: usize) -> Vec<std::path::PathBuf> {
    let (mut likely, mut rest) = (Vec::new(), Vec::new());
    let mut visited = 0;
    let mut pending = vec![root.to_path_buf()];
    'walk: while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).into_iter().flatten().flatten() {
            visited += 1;
            if visited > MAX_VISITED || likely.len() >= limit {
                break 'walk;
            }
            match entry.file_type() {
                Ok(ft) if ft.is_dir() && !ft.is_symlink() => pending.push(entry.path()),
                Ok(_) if likely_held(&entry.file_name()) => likely.push(entry.path()),
                Ok(_) if rest.len() < limit => rest.push(entry.path()),
                _ => {}
            }
        }
    }
    let room = limit.saturating_sub(likely.len());
    likely.extend(rest.into_iter().take(room));
    likely
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_files_services_hold_are_asked_about_first_wherever_they_are() {
        let tmp = tempfile::tempdir().unwrap();
        let download = tmp.path().join("Download");
        fs::create_dir_all(&download).unwrap();
        for i in 0..500 {
            fs::write(download.join(format!("{i:04}.cab")), "x").unwrap();
        }
        let store = tmp.path().join("DataStore");
        fs::create_dir_all(store.join("Logs")).unwrap();
        fs::write(store.join("DataStore.edb"), "x").unwrap();
        fs::write(store.join("Logs").join("edb.log"), "x").unwrap();
        fs::write(store.join("Logs").join("edbres00001.jrs"), "x").unwrap();
        let asked = files_below(tmp.path(), 256);
        assert_eq!(asked.len(), 256);
        for held in ["DataStore.edb", "edb.log", "edbres00001.jrs"] {
            assert!(asked.iter().any(|p| p.ends_with(held)), "{held} missing");
        }
        assert!(
            asked[..3]
                .iter()
                .all(|p| !p.to_string_lossy().ends_with(".cab"))
        );
    }

    #[test]
    fn counts_files_and_bytes_recursively() {
        let tmp = tempfile::tempdir().unwrap();
        fs::create_dir_all(tmp.path().join("a/b")).unwrap();
        fs::write(tmp.path().join("one"), [0u8; 10]).unwrap();
        fs::write(tmp.path().join("a/b/two"), [0u8; 32]).unwrap();
        assert_eq!(
            measure(tmp.path()),
            Size {
                files: 2,
                bytes: 42,
                unreadable: 0
            }
        );
    }

    #[cfg(unix)]
    #[test]
    fn links_are_counted_not_entered() {
        let tmp = tempfile::tempdir().unwrap();
        let outside = tmp.path().join("outside");
        fs::create_dir(&outside).unwrap();
        fs::write(outside.join("big"), [0u8; 1000]).unwrap();
        let inside = tmp.path().join("inside");
        fs::create_dir(&inside).unwrap();
        std::os::unix::fs::symlink(&outside, inside.join("link")).unwrap();
        assert_eq!(
            measure(&inside),
            Size {
                files: 1,
                bytes: 0,
                unreadable: 0
            }
        );
    }
}
