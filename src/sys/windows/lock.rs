//! One reset at a time on a machine: a named mutex, held for the process's reset.

use std::io;
use std::os::windows::io::{FromRawHandle, OwnedHandle};

use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_ALREADY_EXISTS, GetLastError, HLOCAL, LocalFree,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{PSECURITY_DESCRIPTOR, SECURITY_ATTRIBUTES};
use windows_sys::Win32::System::Threading::CreateMutexW;

/// `Global\` makes it one name for every session (an RDP user and a SYSTEM task alike).
const NAME: &str = r"Global\wufix-reset";
/// Full access for SYSTEM (an Intune or RMM run) and for Administrators (a person), whichever
/// creates it: with the default descriptor, a mutex made by SYSTEM is denied to an admin.
const SDDL: &str = "D:(A;;GA;;;SY)(A;;GA;;;BA)";

/// A security descriptor allocated by the system, freed on drop.
struct Descriptor(PSECURITY_DESCRIPTOR);

impl Drop for Descriptor {
    fn drop(&mut self) {
        // SAFETY: the pointer came from ConvertStringSecurityDescriptorToSecurityDescriptorW,
        // which allocates with LocalAlloc; it is freed exactly once, here.
        unsafe { LocalFree(self.0 as HLOCAL) };
    }
}

fn descriptor() -> io::Result<Descriptor> {
    let sddl: Vec<u16> = SDDL.encode_utf16().chain(Some(0)).collect();
    let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
    // SAFETY: `sddl` is NUL-terminated and outlives the call; `sd` receives a pointer the system
    // allocates, owned by `Descriptor` from here on; the size output is optional (null).
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            sddl.as_ptr(),
            SDDL_REVISION_1,
            &mut sd,
            std::ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(Descriptor(sd))
}

/// The held lock, or `None` when another process holds it. Released when the handle closes.
pub fn acquire() -> io::Result<Option<OwnedHandle>> {
    acquire_named(NAME)
}

/// The lock of one mounted installation (WinPE: two resets of one disk must not interleave, two
/// disks may be repaired side by side): the machine name plus a checksum of its path, as Windows
/// compares paths (ignoring case).
pub fn acquire_for(windows_dir: &std::path::Path) -> io::Result<Option<OwnedHandle>> {
    let path = windows_dir.display().to_string().to_lowercase();
    acquire_named(&format!("{NAME}-{:08x}", crc32fast::hash(path.as_bytes())))
}

fn acquire_named(name: &str) -> io::Result<Option<OwnedHandle>> {
    let name: Vec<u16> = name.encode_utf16().chain(Some(0)).collect();
    let sd = descriptor()?;
    let attributes = SECURITY_ATTRIBUTES {
        nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
        lpSecurityDescriptor: sd.0,
        bInheritHandle: 0,
    };
    // SAFETY: `name` is NUL-terminated and `attributes` (with the descriptor it points to) outlive
    // the call.
    let raw = unsafe { CreateMutexW(&attributes, 0, name.as_ptr()) };
    if raw.is_null() {
        let err = io::Error::last_os_error();
        // A mutex another account made with a descriptor that excludes us (an older wufix run as
        // SYSTEM): it exists, so another reset is running.
        if err.raw_os_error() == Some(ERROR_ACCESS_DENIED as i32) {
            return Ok(None);
        }
        return Err(err);
    }
    // SAFETY: GetLastError only reads this thread's last-error value, set by CreateMutexW.
    let existed = unsafe { GetLastError() } == ERROR_ALREADY_EXISTS;
    // SAFETY: CreateMutexW succeeded, so `raw` is a handle this process owns; OwnedHandle closes
    // it exactly once.
    let handle = unsafe { OwnedHandle::from_raw_handle(raw) };
    Ok((!existed).then_some(handle))
}
