//! File-system behaviour that differs per OS, behind one name each.

#[cfg(windows)]
use std::fs::{self, FileType};
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

/// Remove a symbolic link or junction itself, never what it points to.
#[cfg(windows)]
pub fn remove_link(path: &Path, file_type: FileType) -> io::Result<()> {
    use std::os::windows::fs::FileTypeExt;
    // A directory link (symlink-dir or junction) is removed as a directory; this deletes the
    // reparse point, not the target's contents.
    if file_type.is_symlink_dir() {
        fs::remove_dir(path)
    } else {
        fs::remove_file(path)
    }
}

/// Remove a file. Windows refuses to delete a read-only file, which catalog and cache files
/// sometimes are: clear the attribute and try once more.
#[cfg(windows)]
pub fn remove_file(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(err) if err.kind() == io::ErrorKind::PermissionDenied => {
            let meta = fs::symlink_metadata(path)?;
            if !(meta.is_file() && meta.permissions().readonly()) {
                return Err(err);
            }
            let mut perms = meta.permissions();
            perms.set_readonly(false);
            fs::set_permissions(path, perms)?;
            fs::remove_file(path)
        }
        other => other,
    }
}

/// Bytes available to this user on the volume holding `path`.
pub fn free_space(path: &Path) -> io::Result<u64> {
    fs4::available_space(path)
}
