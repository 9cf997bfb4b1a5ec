//! The live registry, `HKEY_LOCAL_MACHINE`'s 64-bit view. Keys are opened, read, listed and
//! closed through `windows-registry`; values are written and key security is read through
//! windows-sys, because `windows-registry` asserts that string data is terminated (a value read
//! unterminated must go back exactly as it was) and knows no security descriptors.

use std::io;

use windows_registry::{Key, LOCAL_MACHINE};
use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_SUCCESS, HLOCAL, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    ConvertSecurityDescriptorToStringSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{
    DACL_SECURITY_INFORMATION, OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR,
};
use windows_sys::Win32::System::Registry::{KEY_WOW64_64KEY, RegGetKeySecurity, RegSetValueExW};

use crate::sys::{RegValue, Registry, SysError};

/// `HKEY_LOCAL_MACHINE` of the running Windows.
pub struct Live;

/// The OS error an HRESULT carries: the Win32 code inside `0x8007xxxx`, else the HRESULT itself.
fn os_error(err: &windows_result::Error) -> io::Error {
    let code = err.code().0;
    if (code as u32) & 0xFFFF_0000 == 0x8007_0000 {
        io::Error::from_raw_os_error(code & 0xFFFF)
    } else {
        io::Error::from_raw_os_error(code)
    }
}

/// An HRESULT that wraps ERROR_FILE_NOT_FOUND: the key or value is absent.
fn is_absent(err: &windows_result::Error) -> bool {
    err.code() == windows_result::HRESULT::from_win32(ERROR_FILE_NOT_FOUND)
}

fn failed(err: windows_result::Error) -> SysError {
    SysError::Os(os_error(&err))
}

/// `key` opened for reading; `None` when it does not exist.
fn open(key: &str) -> Result<Option<Key>, SysError> {
    match LOCAL_MACHINE
        .options()
        .read()
        .access(KEY_WOW64_64KEY)
        .open(key)
    {
        Ok(key) => Ok(Some(key)),
        Err(err) if is_absent(&err) => Ok(None),
        Err(err) => Err(failed(err)),
    }
}

impl Registry for Live {
    fn key_exists(&self, key: &str) -> Result<bool, SysError> {
        Ok(open(key)?.is_some())
    }

    fn value(&self, key: &str, name: &str) -> Result<Option<RegValue>, SysError> {
        let Some(key) = open(key)? else {
            return Ok(None);
        };
        match key.get_value(name) {
            Ok(value) => Ok(Some(RegValue::new(u32::from(value.ty()), value.to_vec()))),
            Err(err) if is_absent(&err) => Ok(None),
            Err(err) => Err(failed(err)),
        }
    }

    fn values(&self, key: &str) -> Result<Vec<(String, RegValue)>, SysError> {
        let Some(key) = open(key)? else {
            return Ok(Vec::new());
        };
        Ok(key
            .values()
            .map_err(failed)?
            .map(|(name, value)| (name, RegValue::new(u32::from(value.ty()), value.to_vec())))
            .collect())
    }

    fn subkeys(&self, key: &str) -> Result<Vec<String>, SysError> {
        let Some(key) = open(key)? else {
            return Ok(Vec::new());
        };
        Ok(key.keys().map_err(failed)?.collect())
    }

    fn key_security(&self, key: &str) -> Result<Option<String>, SysError> {
        let Some(key) = open(key)? else {
            return Ok(None);
        };
        Ok(Some(security_of(&key)?))
    }

    fn set_value(&self, key: &str, name: &str, value: Option<&RegValue>) -> Result<(), SysError> {
        let Some(value) = value else {
            let key = match LOCAL_MACHINE
                .options()
                .write()
                .access(KEY_WOW64_64KEY)
                .open(key)
            {
                Ok(key) => key,
                Err(err) if is_absent(&err) => return Ok(()),
                Err(err) => return Err(failed(err)),
            };
            return match key.remove_value(name) {
                Err(err) if !is_absent(&err) => Err(failed(err)),
                _ => Ok(()),
            };
        };
        let key = LOCAL_MACHINE
            .options()
            .read()
            .write()
            .create()
            .access(KEY_WOW64_64KEY)
            .open(key)
            .map_err(failed)?;
        let name: Vec<u16> = name.encode_utf16().chain(Some(0)).collect();
        let len = u32::try_from(value.data.len())
            .map_err(|_| SysError::Os(io::Error::other("a value of 4 GiB or more")))?;
        // SAFETY: the key is open for writing and lives across the call; `name` is NUL-terminated;
        // `data` is readable for `len` bytes (a null pointer is allowed with a length of zero).
        let status = unsafe {
            RegSetValueExW(
                key.as_raw(),
                name.as_ptr(),
                0,
                value.kind,
                value.data.as_ptr(),
                len,
            )
        };
        if status != ERROR_SUCCESS {
            return Err(SysError::Os(io::Error::from_raw_os_error(status as i32)));
        }
        Ok(())
    }
}

/// Memory the system allocated with LocalAlloc, freed on drop.
struct Local(HLOCAL);

impl Drop for Local {
    fn drop(&mut self) {
        // SAFETY: the pointer came from a system call that allocates with LocalAlloc and is freed
        // exactly once, here (null is allowed).
        unsafe { LocalFree(self.0) };
    }
}

/// A key's owner and DACL, as SDDL.
fn security_of(key: &Key) -> Result<String, SysError> {
    let what = OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
    let mut buf: Vec<u8> = vec![0; 512];
    loop {
        let mut len = buf.len() as u32;
        // SAFETY: the key is open with READ_CONTROL (part of KEY_READ); `buf` is writable for
        // `len` bytes, and `len` is a valid in/out pointer.
        let status = unsafe {
            RegGetKeySecurity(
                key.as_raw(),
                what,
                buf.as_mut_ptr() as PSECURITY_DESCRIPTOR,
                &mut len,
            )
        };
        match status {
            ERROR_SUCCESS => break,
            // ERROR_INSUFFICIENT_BUFFER: `len` is the size needed.
            122 if len as usize > buf.len() => buf.resize(len as usize, 0),
            other => return Err(SysError::Os(io::Error::from_raw_os_error(other as i32))),
        }
    }
    let mut text: *mut u16 = std::ptr::null_mut();
    let mut text_len = 0u32;
    // SAFETY: `buf` holds the self-relative descriptor RegGetKeySecurity wrote; `text` receives a
    // LocalAlloc'd string owned by `Local` from here on.
    let ok = unsafe {
        ConvertSecurityDescriptorToStringSecurityDescriptorW(
            buf.as_ptr() as PSECURITY_DESCRIPTOR,
            SDDL_REVISION_1,
            what,
            &mut text,
            &mut text_len,
        )
    };
    if ok == 0 {
        return Err(SysError::Os(io::Error::last_os_error()));
    }
    let owned = Local(text as HLOCAL);
    // SAFETY: on success `text` points at `text_len` UTF-16 units (the count includes the NUL).
    let units = unsafe { std::slice::from_raw_parts(owned.0 as *const u16, text_len as usize) };
    let end = units.iter().position(|u| *u == 0).unwrap_or(units.len());
    Ok(String::from_utf16_lossy(&units[..end]))
}
