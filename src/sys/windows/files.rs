//! Files and folders by path where no handle is held: renames that never replace.

use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;

use std::os::windows::io::AsRawHandle;

use windows_sys::Win32::Storage::FileSystem::{
    BY_HANDLE_FILE_INFORMATION, GetFileInformationByHandle, MoveFileExW,
};

fn wide(path: &Path) -> Vec<u16> {
    path.as_os_str().encode_wide().chain(Some(0)).collect()
}

/// Rename `from` to `to` on one volume; refused (ERROR_ALREADY_EXISTS) when `to` exists, whatever
/// it is: no `MOVEFILE_REPLACE_EXISTING`, no copy.
pub fn move_noreplace(from: &Path, to: &Path) -> io::Result<()> {
    let (from, to) = (wide(from), wide(to));
    // SAFETY: both paths are NUL-terminated and outlive the call.
    if unsafe { MoveFileExW(from.as_ptr(), to.as_ptr(), 0) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// How many names (hard links) the open file has.
pub fn link_count(file: &std::fs::File) -> io::Result<u32> {
    // SAFETY: a zeroed BY_HANDLE_FILE_INFORMATION is a valid value of a plain C struct.
    let mut info: BY_HANDLE_FILE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: the handle is open for the life of `file`; `info` is a valid out pointer.
    if unsafe { GetFileInformationByHandle(file.as_raw_handle(), &mut info) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(info.nNumberOfLinks)
}
