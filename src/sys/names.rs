//! Finding a Windows name on any file system: the entries of a folder named so ignoring ASCII
//! case (listing the folder, rather than probing the name, gives the same answer on
//! case-sensitive and case-insensitive file systems), and the one entry a reader may open —
//! no link (what lies behind a link is another system's) and not one of two names differing only
//! in case (which of them Windows wrote cannot be told).

use std::path::{Path, PathBuf};

/// Every entry of `dir` named `name` ignoring ASCII case, sorted; none when `dir` cannot be read.
pub fn entries_named(dir: &Path, name: &str) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut all: Vec<PathBuf> = entries
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_str()
                .is_some_and(|n| n.eq_ignore_ascii_case(name))
        })
        .map(|e| e.path())
        .collect();
    all.sort();
    all
}

/// The entry of `dir` named `name` ignoring case: `Ok(None)` when there is none, `Err` saying
/// why when it is a link or one of several.
pub fn lone_child(dir: &Path, name: &str) -> Result<Option<PathBuf>, String> {
    match entries_named(dir, name).as_slice() {
        [] => Ok(None),
        [one] => match std::fs::symlink_metadata(one) {
            Ok(meta) if meta.file_type().is_symlink() => {
                Err(format!("{} is a link; not followed", one.display()))
            }
            Ok(_) => Ok(Some(one.clone())),
            Err(_) => Ok(None),
        },
        many => {
            let names: Vec<String> = many.iter().map(|p| p.display().to_string()).collect();
            Err(format!(
                "{} (names differing only in case: which one Windows wrote cannot be told)",
                names.join(" and ")
            ))
        }
    }
}

/// `path` opened for reading only when it is a regular file, checked again on the handle: a
/// link is never followed (Unix: `O_NOFOLLOW`; Windows: the reparse point itself is opened, and
/// is then no regular file) and a FIFO swapped in never blocks.
pub fn open_regular(path: &Path) -> std::io::Result<std::fs::File> {
    let not_regular = || std::io::Error::other("not a regular file; not read");
    if !std::fs::symlink_metadata(path)?.is_file() {
        return Err(not_regular());
    }
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        let flags = rustix::fs::OFlags::NONBLOCK | rustix::fs::OFlags::NOFOLLOW;
        options.custom_flags(flags.bits() as i32);
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        options.custom_flags(windows_sys::Win32::Storage::FileSystem::FILE_FLAG_OPEN_REPARSE_POINT);
    }
    let file = options.open(path)?;
    if !file.metadata()?.is_file() {
        return Err(not_regular());
    }
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_name_any_case_never_a_link() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("SYSTEM"), "x").unwrap();
        assert_eq!(
            lone_child(dir.path(), "system").unwrap(),
            Some(dir.path().join("SYSTEM"))
        );
        assert_eq!(lone_child(dir.path(), "SOFTWARE").unwrap(), None);
        #[cfg(unix)]
        {
            std::fs::write(dir.path().join("System"), "y").unwrap();
            let err = lone_child(dir.path(), "SYSTEM").unwrap_err();
            assert!(err.contains("differing only in case"), "{err}");
            std::os::unix::fs::symlink("/etc", dir.path().join("logs")).unwrap();
            let err = lone_child(dir.path(), "Logs").unwrap_err();
            assert!(err.contains("is a link"), "{err}");
        }
    }
}
