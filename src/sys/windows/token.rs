//! The process token: elevation, and the privileges a restart and taking ownership need.

use std::io;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::ptr;

use windows_sys::Win32::Foundation::{ERROR_NOT_ALL_ASSIGNED, GetLastError, HANDLE, LUID};
use windows_sys::Win32::Security::{
    AdjustTokenPrivileges, GetTokenInformation, LUID_AND_ATTRIBUTES, LookupPrivilegeValueW,
    SE_PRIVILEGE_ENABLED, SE_SHUTDOWN_NAME, TOKEN_ACCESS_MASK, TOKEN_ADJUST_PRIVILEGES,
    TOKEN_ELEVATION, TOKEN_PRIVILEGES, TOKEN_QUERY, TokenElevation,
};
use windows_sys::Win32::System::Shutdown::{
    InitiateSystemShutdownExW, SHTDN_REASON_FLAG_PLANNED, SHTDN_REASON_MAJOR_SOFTWARE,
    SHTDN_REASON_MINOR_MAINTENANCE,
};
use windows_sys::Win32::System::Threading::{GetCurrentProcess, OpenProcessToken};

/// Seconds Windows shows its restart notice before it restarts.
const RESTART_GRACE_SECS: u32 = 30;

fn open_process_token(access: TOKEN_ACCESS_MASK) -> io::Result<OwnedHandle> {
    let mut raw: HANDLE = ptr::null_mut();
    // SAFETY: GetCurrentProcess returns a pseudo-handle that needs no closing; `raw` is a valid
    // out-pointer for the duration of the call.
    let ok = unsafe { OpenProcessToken(GetCurrentProcess(), access, &mut raw) };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the call succeeded, so `raw` is a token handle this process owns; OwnedHandle closes
    // it exactly once, on drop.
    Ok(unsafe { OwnedHandle::from_raw_handle(raw) })
}

pub fn is_elevated() -> io::Result<bool> {
    let token = open_process_token(TOKEN_QUERY)?;
    let mut elevation = TOKEN_ELEVATION { TokenIsElevated: 0 };
    let mut returned = 0u32;
    // SAFETY: the token handle is open for TOKEN_QUERY; the buffer is a TOKEN_ELEVATION of the
    // size passed, and `returned` is a valid out-pointer.
    let ok = unsafe {
        GetTokenInformation(
            token.as_raw_handle(),
            TokenElevation,
            (&mut elevation as *mut TOKEN_ELEVATION).cast(),
            size_of::<TOKEN_ELEVATION>() as u32,
            &mut returned,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(elevation.TokenIsElevated != 0)
}

/// Whether this process's token carries the NETWORK SID (S-1-5-2): a network logon (WinRM,
/// SSH), from which the Windows Update Agent refuses to search.
pub fn is_network_logon() -> io::Result<bool> {
    use windows_sys::Win32::Security::{
        CheckTokenMembership, CreateWellKnownSid, SECURITY_MAX_SID_SIZE, WinNetworkSid,
    };
    // u32s for the SID's alignment (its sub-authorities are u32).
    let mut sid = [0u32; (SECURITY_MAX_SID_SIZE as usize).div_ceil(4)];
    let mut size = SECURITY_MAX_SID_SIZE;
    // SAFETY: `sid` is writable for `size` bytes; a well-known SID of this type needs no domain.
    let ok = unsafe {
        CreateWellKnownSid(
            WinNetworkSid,
            ptr::null_mut(),
            sid.as_mut_ptr().cast(),
            &mut size,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    let mut member = 0;
    // SAFETY: a null token means this thread's (or this process's) own; `sid` holds a valid SID
    // made above; `member` is a valid out-pointer.
    let ok = unsafe { CheckTokenMembership(ptr::null_mut(), sid.as_mut_ptr().cast(), &mut member) };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(member != 0)
}

/// Enable the privilege `name` (an `SE_*_NAME`) in this process's token; an error when the
/// token does not hold it.
pub fn enable_privilege(name: windows_sys::core::PCWSTR) -> io::Result<()> {
    let token = open_process_token(TOKEN_ADJUST_PRIVILEGES | TOKEN_QUERY)?;
    let mut luid = LUID {
        LowPart: 0,
        HighPart: 0,
    };
    // SAFETY: `name` is one of windows-sys's static NUL-terminated SE_*_NAME strings; `luid` is
    // a valid out-pointer.
    if unsafe { LookupPrivilegeValueW(ptr::null(), name, &mut luid) } == 0 {
        return Err(io::Error::last_os_error());
    }
    let privileges = TOKEN_PRIVILEGES {
        PrivilegeCount: 1,
        Privileges: [LUID_AND_ATTRIBUTES {
            Luid: luid,
            Attributes: SE_PRIVILEGE_ENABLED,
        }],
    };
    // SAFETY: the token is open for TOKEN_ADJUST_PRIVILEGES; `privileges` outlives the call and
    // no previous state is requested, so the null out-pointers are allowed.
    let ok = unsafe {
        AdjustTokenPrivileges(
            token.as_raw_handle(),
            0,
            &privileges,
            0,
            ptr::null_mut(),
            ptr::null_mut(),
        )
    };
    // AdjustTokenPrivileges "succeeds" without the privilege; only the last error tells.
    // SAFETY: GetLastError only reads this thread's last-error value.
    let last = unsafe { GetLastError() };
    if ok == 0 || last == ERROR_NOT_ALL_ASSIGNED {
        return Err(io::Error::from_raw_os_error(last as i32));
    }
    Ok(())
}

pub fn restart_windows() -> io::Result<()> {
    enable_privilege(SE_SHUTDOWN_NAME)?;
    let message: Vec<u16> = "wufix reset Windows Update; Windows restarts to finish the repair."
        .encode_utf16()
        .chain(Some(0))
        .collect();
    // SAFETY: `message` is NUL-terminated and outlives the call; a null machine name means this
    // computer.
    let ok = unsafe {
        InitiateSystemShutdownExW(
            ptr::null(),
            message.as_ptr(),
            RESTART_GRACE_SECS,
            0,
            1,
            SHTDN_REASON_MAJOR_SOFTWARE
                | SHTDN_REASON_MINOR_MAINTENANCE
                | SHTDN_REASON_FLAG_PLANNED,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A test run from a console (or Wine's) is an interactive logon, never a network one: the
    /// membership check answers, and answers no.
    #[test]
    fn a_console_process_is_not_a_network_logon() {
        assert!(!is_network_logon().unwrap());
    }
}
