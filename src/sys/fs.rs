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
