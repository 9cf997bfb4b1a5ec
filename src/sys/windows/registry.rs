//! The live registry, `HKEY_LOCAL_MACHINE`'s 64-bit view. Keys are opened, read, listed and
//! closed through `windows-registry`; values are written and key security is read through
//! windows-sys, because `windows-registry` asserts that string data is terminated (a value read
//! unterminated must go back exactly as it was) and knows no security descriptors.

use std::io;

use windows_registry::{Key, LOCAL_MACHINE};
use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_SUCCESS, HLOCAL, LocalFree};
use windows_sys::Win32::Security::Authorization::{
    ConvertSecurityDescriptorToStringSecurityDescriptorW,
    ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{
    DACL_SECURITY_INFORMATION, OBJECT_SECURITY_INFORMATION, OWNER_SECURITY_INFORMATION,
    PSECURITY_DESCRIPTOR, SE_RESTORE_NAME, SE_TAKE_OWNERSHIP_NAME,
};
use windows_sys::Win32::Storage::FileSystem::{WRITE_DAC, WRITE_OWNER};
use windows_sys::Win32::System::Registry::{
    KEY_WOW64_64KEY, RegGetKeySecurity, RegSetKeySecurity, RegSetValueExW,
};

use super::token;
use crate::sys::registry::{REG_EXPAND_SZ, REG_MULTI_SZ, REG_SZ};
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
        let data = exact(value);
        // An empty Vec's pointer is dangling, which the call refuses (998): no data is null.
        let bytes = if data.is_empty() {
            std::ptr::null()
        } else {
            data.as_ptr()
        };
        // SAFETY: the key is open for writing and lives across the call; `name` is NUL-terminated;
        // `bytes` is null with a length of zero, or readable for `len` bytes and more (`exact`).
        let status =
            unsafe { RegSetValueExW(key.as_raw(), name.as_ptr(), 0, value.kind, bytes, len) };

        if status != ERROR_SUCCESS {
            return Err(SysError::Os(io::Error::from_raw_os_error(status as i32)));
        }
        Ok(())
    }

    fn set_key_security(&self, key: &str, sddl: &str) -> Result<(), SysError> {
        let wanted = Descriptor::from_sddl(sddl)?;
        let info = if sddl.trim_start().starts_with("O:") {
            DACL_SECURITY_INFORMATION | OWNER_SECURITY_INFORMATION
        } else {
            DACL_SECURITY_INFORMATION
        };
        match write_security(key, info, &wanted) {
            // Locked against administrators (a deny, a foreign owner): Administrators take
            // ownership first, which the privilege allows whatever the DACL says; then the
            // descriptor is written (its owner back too, which the restore privilege allows).
            Err(SysError::AccessDenied) => {
                self.take_key_ownership(key)?;
                let _ = token::enable_privilege(SE_RESTORE_NAME);
                write_security(key, info, &wanted)
            }
            other => other,
        }
    }

    fn take_key_ownership(&self, key: &str) -> Result<(), SysError> {
        token::enable_privilege(SE_TAKE_OWNERSHIP_NAME).map_err(SysError::Os)?;
        write_security(
            key,
            OWNER_SECURITY_INFORMATION,
            &Descriptor::from_sddl("O:BA")?,
        )
    }
}

/// A security descriptor made from SDDL, freed on drop.
struct Descriptor(Local);

impl Descriptor {
    fn from_sddl(sddl: &str) -> Result<Descriptor, SysError> {
        let text: Vec<u16> = sddl.encode_utf16().chain(Some(0)).collect();
        let mut sd: PSECURITY_DESCRIPTOR = std::ptr::null_mut();
        // SAFETY: `text` is NUL-terminated and outlives the call; `sd` receives a LocalAlloc'd
        // descriptor, owned by `Local` from here on; the size out-pointer may be null.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                text.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                std::ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(SysError::Os(io::Error::last_os_error()));
        }
        Ok(Descriptor(Local(sd as HLOCAL)))
    }
}

/// `info` of `sd` written to `key`, opened for just the rights that takes.
fn write_security(
    key: &str,
    info: OBJECT_SECURITY_INFORMATION,
    sd: &Descriptor,
) -> Result<(), SysError> {
    let mut access = KEY_WOW64_64KEY;
    if info & DACL_SECURITY_INFORMATION != 0 {
        access |= WRITE_DAC;
    }
    if info & OWNER_SECURITY_INFORMATION != 0 {
        access |= WRITE_OWNER;
    }
    let key = LOCAL_MACHINE
        .options()
        .access(access)
        .open(key)
        .map_err(|e| match os_error(&e).raw_os_error() {
            Some(5) => SysError::AccessDenied,
            _ => failed(e),
        })?;
    // SAFETY: the key is open with the rights `info` needs and lives across the call; the
    // descriptor is a valid self-relative one that outlives it.
    let status = unsafe { RegSetKeySecurity(key.as_raw(), info, sd.0.0 as PSECURITY_DESCRIPTOR) };
    match status {
        ERROR_SUCCESS => Ok(()),
        5 => Err(SysError::AccessDenied),
        other => Err(SysError::Os(io::Error::from_raw_os_error(other as i32))),
    }
}

/// The bytes to hand RegSetValueExW so that it stores exactly `value.data`. For a string type it
/// looks one character past the length it is given, and when the data's last character is not
/// NUL but the one after it is, it counts a terminator the caller "forgot" (Wine's kernelbase
/// does it, and says NT does too): an unterminated string read back would gain a NUL. Non-zero
/// bytes after the data keep it exact.
fn exact(value: &RegValue) -> Vec<u8> {
    let mut data = value.data.clone();
    if matches!(value.kind, REG_SZ | REG_EXPAND_SZ | REG_MULTI_SZ) {
        data.extend([0xFF; 4]);
    }
    data
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

#[cfg(test)]
mod tests {
    use super::*;

    /// The live registry keeps every kind of value exactly, in a debug build too (where
    /// windows-registry asserts that strings are terminated).
    #[test]
    fn every_kind_of_value_is_written_and_read_back_exactly() {
        let key = format!(r"SOFTWARE\wufix-unit-test-{}", std::process::id());
        for (i, value) in crate::sys::registry::every_kind().into_iter().enumerate() {
            let name = format!("v{i}");
            Live.set_value(&key, &name, Some(&value)).unwrap();
            assert_eq!(
                Live.value(&key, &name).unwrap(),
                Some(value.clone()),
                "{value:?}"
            );
        }
        let listed = Live.values(&key).unwrap();
        assert_eq!(listed.len(), crate::sys::registry::every_kind().len());
        Live.set_value(&key, "v0", None).unwrap();
        assert_eq!(Live.value(&key, "v0").unwrap(), None);
        Live.set_value(&key, "v0", None).unwrap();
        assert!(Live.key_security(&key).unwrap().is_some());
        let _ = LOCAL_MACHINE.remove_tree(&key);
        assert_eq!(Live.value(&key, "v1").unwrap(), None);
        assert!(Live.values(&key).unwrap().is_empty());
    }

    /// A key's owner and DACL written from SDDL come back as the same descriptor (Wine keeps and
    /// enforces key descriptors; taking ownership past a deny only Windows shows).
    #[test]
    fn a_key_descriptor_is_written_and_read_back() {
        let key = format!(r"SOFTWARE\wufix-sd-test-{}", std::process::id());
        Live.set_value(&key, "v", Some(&RegValue::dword(1)))
            .unwrap();
        let locked =
            "O:BAD:P(A;CI;KR;;;BU)(D;;KW;;;S-1-5-21-1-2-3-1001)(A;CI;KA;;;SY)(A;CI;KA;;;BA)";
        Live.set_key_security(&key, locked).unwrap();
        let read = Live.key_security(&key).unwrap().unwrap();
        assert!(crate::residue::keys::same(&read, locked), "{read}");
        let open = crate::residue::keys::repaired(&read).unwrap();
        Live.set_key_security(&key, &open).unwrap();
        let read = Live.key_security(&key).unwrap().unwrap();
        assert!(crate::residue::keys::same(&read, &open), "{read}");
        assert!(crate::residue::keys::problems(&read).is_empty(), "{read}");
        let _ = LOCAL_MACHINE.remove_tree(&key);
    }
}
