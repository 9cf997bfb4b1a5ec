//! A mounted Windows's hive file loaded under `HKEY_LOCAL_MACHINE` (`RegLoadKeyW`), flushed and
//! unloaded again: how Windows PE edits the disk's own registry. Both calls need the backup and
//! restore privileges, which an administrator's token holds disabled.

use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::Path;

use windows_registry::LOCAL_MACHINE;
use windows_sys::Win32::Foundation::ERROR_SUCCESS;
use windows_sys::Win32::Security::{SE_BACKUP_NAME, SE_RESTORE_NAME};
use windows_sys::Win32::System::Registry::{
    HKEY, HKEY_LOCAL_MACHINE, RegDeleteKeyW, RegFlushKey, RegLoadKeyW, RegUnLoadKeyW,
};

use super::token;
use crate::sys::SysError;
use crate::sys::mounted::HiveLoader;

pub struct Loader;

fn wide(text: &std::ffi::OsStr) -> Vec<u16> {
    text.encode_wide().chain([0]).collect()
}

fn checked(rc: u32) -> Result<(), SysError> {
    match rc {
        ERROR_SUCCESS => Ok(()),
        5 => Err(SysError::AccessDenied),
        code => Err(SysError::Os(io::Error::from_raw_os_error(code as i32))),
    }
}

fn privileges() -> Result<(), SysError> {
    token::enable_privilege(SE_RESTORE_NAME).map_err(SysError::Os)?;
    token::enable_privilege(SE_BACKUP_NAME).map_err(SysError::Os)
}

impl HiveLoader for Loader {
    fn load(&self, name: &str, file: &Path) -> Result<(), SysError> {
        privileges()?;
        let name = wide(name.as_ref());
        let file = wide(file.as_os_str());
        // SAFETY: both strings are NUL-terminated and outlive the call; HKEY_LOCAL_MACHINE is a
        // predefined key that needs no closing.
        let loaded =
            checked(unsafe { RegLoadKeyW(HKEY_LOCAL_MACHINE, name.as_ptr(), file.as_ptr()) });
        if loaded.is_err() && super::under_wine() {
            // Wine makes the key before it reads the file and leaves it behind when the file is
            // not its own format (measured); Windows makes none. An empty key of wufix's name.
            // SAFETY: as above; RegDeleteKeyW removes only a key without subkeys.
            unsafe { RegDeleteKeyW(HKEY_LOCAL_MACHINE, name.as_ptr()) };
        }
        loaded
    }

    fn flush(&self, name: &str) -> Result<(), SysError> {
        let key = LOCAL_MACHINE
            .open(name)
            .map_err(|e| SysError::Os(io::Error::other(e.message())))?;
        // SAFETY: the handle is the open key `key` owns; it is closed when `key` drops, after.
        checked(unsafe { RegFlushKey(key.as_raw() as HKEY) })
    }

    fn unload(&self, name: &str) -> Result<(), SysError> {
        privileges()?;
        let name = wide(name.as_ref());
        // SAFETY: as for RegLoadKeyW; no handle of wufix's into the hive is open here (each
        // registry call opens and closes its own).
        checked(unsafe { RegUnLoadKeyW(HKEY_LOCAL_MACHINE, name.as_ptr()) })
    }
}
