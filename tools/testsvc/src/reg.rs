//! `regset KEY NAME TYPE HEX` and `regget KEY NAME`: registry values under HKEY_LOCAL_MACHINE
//! written and read exactly (a type number and bytes), independently of wufix, so that the Wine
//! suite can plant values `reg add` cannot make (unterminated strings, odd types) and compare
//! what comes back byte for byte.

use std::ptr;

use windows_sys::Win32::Foundation::{ERROR_FILE_NOT_FOUND, ERROR_MORE_DATA, ERROR_SUCCESS};
use windows_sys::Win32::System::Registry::{
    HKEY, HKEY_LOCAL_MACHINE, KEY_QUERY_VALUE, KEY_SET_VALUE, KEY_WOW64_64KEY,
    REG_OPTION_NON_VOLATILE, RegCloseKey, RegCreateKeyExW, RegOpenKeyExW, RegQueryValueExW,
    RegSetValueExW,
};

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(Some(0)).collect()
}

struct Key(HKEY);

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: the handle came from a successful open or create and is closed only here.
        unsafe { RegCloseKey(self.0) };
    }
}

/// Write `hex` (bytes) as a value of type `kind`.
pub fn set(key: &str, name: &str, kind: u32, hex: &str) -> Result<(), String> {
    let data: Vec<u8> = (0..hex.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&hex[i..i + 2], 16).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let path = wide(key);
    let mut handle: HKEY = ptr::null_mut();
    // SAFETY: `path` is NUL-terminated and outlives the call; `handle` is a valid out-pointer.
    let status = unsafe {
        RegCreateKeyExW(
            HKEY_LOCAL_MACHINE,
            path.as_ptr(),
            0,
            ptr::null(),
            REG_OPTION_NON_VOLATILE,
            KEY_SET_VALUE | KEY_WOW64_64KEY,
            ptr::null(),
            &mut handle,
            ptr::null_mut(),
        )
    };
    if status != ERROR_SUCCESS {
        return Err(format!("create {key}: error {status}"));
    }
    let key = Key(handle);
    let name = wide(name);
    // RegSetValueExW counts a terminator a string "forgot" when the character after the data is
    // NUL: non-zero bytes there keep the value exactly as given.
    let len = data.len() as u32;
    let mut padded = data;
    padded.extend([0xFF; 4]);
    // SAFETY: the key is open for setting values; `padded` is readable for more than `len` bytes.
    let status = unsafe { RegSetValueExW(key.0, name.as_ptr(), 0, kind, padded.as_ptr(), len) };

    if status != ERROR_SUCCESS {
        return Err(format!("set: error {status}"));
    }
    Ok(())
}

/// `TYPE HEX` of a value, or `absent`.
pub fn get(key: &str, name: &str) -> Result<String, String> {
    let path = wide(key);
    let mut handle: HKEY = ptr::null_mut();
    // SAFETY: as in `set`.
    let status = unsafe {
        RegOpenKeyExW(
            HKEY_LOCAL_MACHINE,
            path.as_ptr(),
            0,
            KEY_QUERY_VALUE | KEY_WOW64_64KEY,
            &mut handle,
        )
    };
    if status == ERROR_FILE_NOT_FOUND {
        return Ok("absent".into());
    }
    if status != ERROR_SUCCESS {
        return Err(format!("open {key}: error {status}"));
    }
    let key = Key(handle);
    let name = wide(name);
    let mut data = vec![0u8; 64];
    loop {
        let mut kind = 0u32;
        let mut len = data.len() as u32;
        // SAFETY: the key is open; `data` is writable for `len` bytes; the rest are out-pointers.
        let status = unsafe {
            RegQueryValueExW(
                key.0,
                name.as_ptr(),
                ptr::null(),
                &mut kind,
                data.as_mut_ptr(),
                &mut len,
            )
        };
        match status {
            ERROR_SUCCESS => {
                let hex: String = data[..len as usize]
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                return Ok(format!("{kind} {hex}"));
            }
            ERROR_MORE_DATA => data.resize(len as usize, 0),
            ERROR_FILE_NOT_FOUND => return Ok("absent".into()),
            other => return Err(format!("query: error {other}")),
        }
    }
}
