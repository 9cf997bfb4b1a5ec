//! File-system behaviour that differs per OS, behind one name each.

use std::io;
use std::path::Path;

/// A file another process holds open without sharing delete: worth retrying shortly.
#[cfg(windows)]
pub fn is_sharing_violation(err: &io::Error) -> bool {
    use windows_sys::Win32::Foundation::{ERROR_LOCK_VIOLATION, ERROR_SHARING_VIOLATION};
    matches!(err.raw_os_error(), Some(code) if code == ERROR_SHARING_VIOLATION as i32 || code == ERROR_LOCK_VIOLATION as i32)
}

/// POSIX has no share modes: an open file never blocks its removal.
#[cfg(not(windows))]
pub fn is_sharing_violation(_err: &io::Error) -> bool {
    false
}

/// `bytes` written to `path` whole: into a new file beside it (never an existing one, never
/// through a link), flushed to disk, then renamed over `path` (a link there is replaced, not
/// followed). A folder that is itself a link is refused.
pub fn replace_whole(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .ok_or_else(|| io::Error::other("names no file"))?;
    let dir = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let meta = std::fs::symlink_metadata(dir)?;
    if meta.file_type().is_symlink() || !meta.is_dir() {
        return Err(io::Error::other(format!(
            "{} is not a folder (a link or junction is not followed)",
            dir.display()
        )));
    }
    let temp = dir.join(format!(
        ".{}.wufix-{}.tmp",
        name.to_string_lossy(),
        std::process::id()
    ));
    let written = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(&temp)?;
        std::io::Write::write_all(&mut file, bytes)?;
        file.sync_all()?;
        drop(file);
        std::fs::rename(&temp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(&temp);
    }
    written
}

/// Bytes available to this user on the volume holding `path`.
pub fn free_space(path: &Path) -> io::Result<u64> {
    fs4::available_space(path)
}

/// Rename `from` to `to`, never replacing whatever is at `to` (an empty folder included, which
/// `std::fs::rename` replaces on Linux and Windows alike): setting a folder aside or putting a
/// backup back must never destroy what stands in its place.
pub fn rename_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    noreplace_or_fallback(from, to, native_noreplace)
}

/// `renameat2(RENAME_NOREPLACE)`. FUSE file systems (ntfs-3g, the usual NTFS mount on a rescue
/// system) and old kernels answer EINVAL or ENOSYS: the caller falls back.
#[cfg(unix)]
fn native_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    use rustix::fs::{CWD, RenameFlags, renameat_with};
    Ok(renameat_with(CWD, from, CWD, to, RenameFlags::NOREPLACE)?)
}

/// `MoveFileExW` without `MOVEFILE_REPLACE_EXISTING`: refused (183) when `to` exists.
#[cfg(windows)]
fn native_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    super::windows::files::move_noreplace(from, to)
}

/// Open `path` to append to it, only if it is a regular file that is neither a link nor
/// hard-linked from anywhere else (an append through a second name would write into a file
/// wufix never made).
pub fn open_lone_file_to_append(path: &Path) -> io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.append(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32);
    }
    #[cfg(windows)]
    {
        use std::os::windows::fs::OpenOptionsExt;
        options.custom_flags(windows_sys::Win32::Storage::FileSystem::FILE_FLAG_OPEN_REPARSE_POINT);
    }
    let file = options.open(path)?;
    let meta = file.metadata()?;
    #[cfg(unix)]
    let (plain, links) = {
        use std::os::unix::fs::MetadataExt;
        (meta.is_file(), meta.nlink())
    };
    #[cfg(windows)]
    let (plain, links) = {
        use std::os::windows::fs::MetadataExt;
        let reparse = windows_sys::Win32::Storage::FileSystem::FILE_ATTRIBUTE_REPARSE_POINT;
        (
            meta.is_file() && meta.file_attributes() & reparse == 0,
            super::windows::files::link_count(&file)?,
        )
    };
    if !plain || links != 1 {
        return Err(io::Error::other(format!(
            "{} is not a lone regular file ({links} names): not appended to",
            path.display()
        )));
    }
    Ok(file)
}

/// How many names (hard links) the regular file at `path` has (a link is not followed): a file of
/// System32 that is Windows' own has its WinSxS copy as a second name.
pub fn hard_links(path: &Path) -> io::Result<u64> {
    let file = super::names::open_regular(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        Ok(file.metadata()?.nlink())
    }
    #[cfg(windows)]
    {
        Ok(u64::from(super::windows::files::link_count(&file)?))
    }
}

/// `native`, or where the file system does not support it, a check that `to` is free and a plain
/// rename: a racing process could still create `to` in between (documented in DEVELOPERS.md).
fn noreplace_or_fallback(
    from: &Path,
    to: &Path,
    native: impl FnOnce(&Path, &Path) -> io::Result<()>,
) -> io::Result<()> {
    match native(from, to) {
        #[cfg(unix)]
        Err(err)
            if matches!(
                rustix::io::Errno::from_io_error(&err),
                Some(rustix::io::Errno::INVAL | rustix::io::Errno::NOSYS)
            ) =>
        {
            if std::fs::symlink_metadata(to).is_ok() {
                return Err(io::Error::from(io::ErrorKind::AlreadyExists));
            }
            std::fs::rename(from, to)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_rename_never_replaces_what_stands_at_its_target() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::write(a.join("f"), "a").unwrap();
        // An empty folder in the way: std::fs::rename would replace it.
        std::fs::create_dir(&b).unwrap();
        assert!(rename_noreplace(&a, &b).is_err());
        assert!(a.join("f").exists(), "nothing moved");
        std::fs::remove_dir(&b).unwrap();
        rename_noreplace(&a, &b).unwrap();
        assert!(b.join("f").exists());
    }

    #[test]
    fn an_append_goes_only_into_a_lone_regular_file() {
        let dir = tempfile::tempdir().unwrap();
        let lone = dir.path().join("lone");
        std::fs::write(&lone, "a").unwrap();
        assert!(open_lone_file_to_append(&lone).is_ok());
        let elsewhere = dir.path().join("elsewhere");
        std::fs::write(&elsewhere, "precious").unwrap();
        let second_name = dir.path().join("second");
        std::fs::hard_link(&elsewhere, &second_name).unwrap();
        assert!(open_lone_file_to_append(&second_name).is_err());
        #[cfg(unix)]
        {
            let link = dir.path().join("link");
            std::os::unix::fs::symlink(&lone, &link).unwrap();
            assert!(open_lone_file_to_append(&link).is_err());
        }
        assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "precious");
    }

    #[cfg(unix)]
    #[test]
    fn where_the_file_system_has_no_noreplace_the_fallback_checks_first() {
        let dir = tempfile::tempdir().unwrap();
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::create_dir(&a).unwrap();
        std::fs::create_dir(&b).unwrap();
        // What ntfs-3g answers to RENAME_NOREPLACE.
        let einval = |_: &Path, _: &Path| {
            Err(io::Error::from_raw_os_error(
                rustix::io::Errno::INVAL.raw_os_error(),
            ))
        };
        let err = noreplace_or_fallback(&a, &b, einval).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::AlreadyExists);
        assert!(a.exists() && b.exists());
        std::fs::remove_dir(&b).unwrap();
        noreplace_or_fallback(&a, &b, einval).unwrap();
        assert!(!a.exists() && b.exists());
    }
}
