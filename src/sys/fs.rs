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
