//! One reset at a time on a machine: a named mutex, held for the process's reset.

use std::io;
use std::os::windows::io::{FromRawHandle, OwnedHandle};

use windows_sys::Win32::Foundation::{ERROR_ALREADY_EXISTS, GetLastError};
use windows_sys::Win32::System::Threading::CreateMutexW;

/// `Global\` makes it one name for every session (an RDP user and a SYSTEM task alike).
const NAME: &str = r"Global\wufix-reset";

/// The held lock, or `None` when another process holds it. Released when the handle closes.
pub fn acquire() -> io::Result<Option<OwnedHandle>> {
    let name: Vec<u16> = NAME.encode_utf16().chain(Some(0)).collect();
    // SAFETY: `name` is NUL-terminated and outlives the call; null attributes mean the default
    // security descriptor.
    let raw = unsafe { CreateMutexW(std::ptr::null(), 0, name.as_ptr()) };
    if raw.is_null() {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: GetLastError only reads this thread's last-error value, set by CreateMutexW.
    let existed = unsafe { GetLastError() } == ERROR_ALREADY_EXISTS;
    // SAFETY: CreateMutexW succeeded, so `raw` is a handle this process owns; OwnedHandle closes
    // it exactly once.
    let handle = unsafe { OwnedHandle::from_raw_handle(raw) };
    Ok((!existed).then_some(handle))
}
