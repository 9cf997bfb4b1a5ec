//! A service's discretionary ACL, read and written as SDDL. Only the DACL is read or written:
//! the owner, group and audit entries stay as they are.

use std::ptr;

use windows_sys::Win32::Foundation::{ERROR_INSUFFICIENT_BUFFER, GetLastError, HLOCAL, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    ConvertSecurityDescriptorToStringSecurityDescriptorW,
    ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{DACL_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR};
use windows_sys::Win32::System::Services::{
    CloseServiceHandle, OpenSCManagerW, OpenServiceW, QueryServiceObjectSecurity, SC_HANDLE,
    SC_MANAGER_CONNECT, SetServiceObjectSecurity,
};

use crate::sys::SysError;

const READ_CONTROL: u32 = 0x0002_0000;
const WRITE_DAC: u32 = 0x0004_0000;

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(Some(0)).collect()
}

fn last_error() -> SysError {
    // SAFETY: reads the calling thread's last-error value; no preconditions.
    let code = unsafe { GetLastError() };
    match code {
        5 => SysError::AccessDenied,
        1060 => SysError::NoSuchService,
        _ => SysError::Os(std::io::Error::from_raw_os_error(code as i32)),
    }
}

/// A service-manager or service handle, closed on drop.
struct Handle(SC_HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from a successful Open* call and is closed only here.
        unsafe { CloseServiceHandle(self.0) };
    }
}

/// Memory LocalAlloc'ed by a conversion function, freed on drop.
struct Local(HLOCAL);

impl Drop for Local {
    fn drop(&mut self) {
        // SAFETY: the pointer came from a conversion function that allocates with LocalAlloc.
        unsafe { LocalFree(self.0) };
    }
}

fn open(name: &str, access: u32) -> Result<Handle, SysError> {
    // SAFETY: null machine and database names mean the local, active database.
    let manager = unsafe { OpenSCManagerW(ptr::null(), ptr::null(), SC_MANAGER_CONNECT) };
    if manager.is_null() {
        return Err(last_error());
    }
    let manager = Handle(manager);
    let name = wide(name);
    // SAFETY: the manager handle is open and `name` is NUL-terminated.
    let service = unsafe { OpenServiceW(manager.0, name.as_ptr(), access) };
    if service.is_null() {
        return Err(last_error());
    }
    Ok(Handle(service))
}

pub fn dacl(name: &str) -> Result<String, SysError> {
    let service = open(name, READ_CONTROL)?;
    let mut buf: Vec<u8> = vec![0; 512];
    loop {
        let mut needed = 0u32;
        // SAFETY: `buf` is writable for the length passed; `needed` is a valid out-pointer.
        let ok = unsafe {
            QueryServiceObjectSecurity(
                service.0,
                DACL_SECURITY_INFORMATION,
                buf.as_mut_ptr().cast(),
                buf.len() as u32,
                &mut needed,
            )
        };
        if ok != 0 {
            break;
        }
        // SAFETY: reads the calling thread's last-error value.
        if unsafe { GetLastError() } == ERROR_INSUFFICIENT_BUFFER && needed as usize > buf.len() {
            buf.resize(needed as usize, 0);
            continue;
        }
        return Err(last_error());
    }
    to_sddl(buf.as_mut_ptr().cast())
}

/// A descriptor's DACL as the system writes it in SDDL.
fn to_sddl(descriptor: PSECURITY_DESCRIPTOR) -> Result<String, SysError> {
    let mut text: *mut u16 = ptr::null_mut();
    let mut len = 0u32;
    // SAFETY: `descriptor` is a valid self-relative descriptor for the call; `text` receives a
    // LocalAlloc'ed string, freed by `Local`.
    let ok = unsafe {
        ConvertSecurityDescriptorToStringSecurityDescriptorW(
            descriptor,
            SDDL_REVISION_1,
            DACL_SECURITY_INFORMATION,
            &mut text,
            &mut len,
        )
    };
    if ok == 0 || text.is_null() {
        return Err(last_error());
    }
    let owned = Local(text.cast());
    // SAFETY: the conversion wrote a NUL-terminated string of `len` units (with or without the
    // NUL, depending on the Windows version): read up to the first NUL within `len`.
    let units = unsafe { std::slice::from_raw_parts(text, len as usize) };
    let end = units.iter().position(|u| *u == 0).unwrap_or(units.len());
    let sddl = String::from_utf16_lossy(&units[..end]);
    drop(owned);
    Ok(sddl)
}

/// `sddl` as the system reads and writes it back: its own canonical text (aliases, rights and
/// flags in the system's spelling), for cross-checking wufix's own model of a DACL.
pub fn canonical_dacl(sddl: &str) -> Result<String, SysError> {
    let text = wide(sddl);
    let mut descriptor: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: `text` is NUL-terminated; `descriptor` receives a LocalAlloc'ed descriptor, freed
    // by `Local` below.
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            text.as_ptr(),
            SDDL_REVISION_1,
            &mut descriptor,
            ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(last_error());
    }
    let _owned = Local(descriptor.cast());
    to_sddl(descriptor)
}

pub fn set_dacl(name: &str, sddl: &str) -> Result<(), SysError> {
    let text = wide(sddl);
    let mut descriptor: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: `text` is NUL-terminated; `descriptor` receives a LocalAlloc'ed descriptor.
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            text.as_ptr(),
            SDDL_REVISION_1,
            &mut descriptor,
            ptr::null_mut(),
        )
    };
    if ok == 0 || descriptor.is_null() {
        return Err(last_error());
    }
    let _owned = Local(descriptor);
    let service = open(name, READ_CONTROL | WRITE_DAC)?;
    // SAFETY: the service handle is open with WRITE_DAC; `descriptor` is a valid descriptor.
    let ok = unsafe { SetServiceObjectSecurity(service.0, DACL_SECURITY_INFORMATION, descriptor) };
    if ok == 0 {
        return Err(last_error());
    }
    Ok(())
}
