//! `regset KEY NAME TYPE HEX` and `regget KEY NAME`: registry values under HKEY_LOCAL_MACHINE
//! written and read exactly (a type number and bytes), independently of wufix, so that the Wine
//! suite can plant values `reg add` cannot make (unterminated strings, odd types) and compare
//! what comes back byte for byte. `regsd KEY SDDL`: a key's owner and DACL set (the prefix's
//! service keys given Windows' own descriptor, a blocker's lock planted).

use std::ptr;

use windows_sys::Win32::Foundation::{
    ERROR_FILE_NOT_FOUND, ERROR_MORE_DATA, ERROR_SUCCESS, HLOCAL, LocalFree,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertSecurityDescriptorToStringSecurityDescriptorW,
    ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::{
    DACL_SECURITY_INFORMATION, OWNER_SECURITY_INFORMATION, PSECURITY_DESCRIPTOR,
};
use windows_sys::Win32::Storage::FileSystem::{WRITE_DAC, WRITE_OWNER};
use windows_sys::Win32::System::Registry::{
    HKEY, HKEY_LOCAL_MACHINE, KEY_QUERY_VALUE, KEY_READ, KEY_SET_VALUE, KEY_WOW64_64KEY,
    REG_OPTION_NON_VOLATILE, RegCloseKey, RegCreateKeyExW, RegGetKeySecurity, RegOpenKeyExW,
    RegQueryValueExW, RegSetKeySecurity, RegSetValueExW,
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

/// Set `key`'s owner and DACL from `sddl` (`O:…D:…`). An absent key is an error.
pub fn set_security(key: &str, sddl: &str) -> Result<(), String> {
    let text = wide(sddl);
    let mut sd: PSECURITY_DESCRIPTOR = ptr::null_mut();
    // SAFETY: `text` is NUL-terminated; `sd` receives a LocalAlloc'd descriptor freed below.
    let ok = unsafe {
        ConvertStringSecurityDescriptorToSecurityDescriptorW(
            text.as_ptr(),
            SDDL_REVISION_1,
            &mut sd,
            ptr::null_mut(),
        )
    };
    if ok == 0 {
        return Err(format!("not SDDL: {sddl}"));
    }
    let path = wide(key);
    let mut handle: HKEY = ptr::null_mut();
    // SAFETY: `path` is NUL-terminated; `handle` is a valid out-pointer.
    let status = unsafe {
        RegOpenKeyExW(
            HKEY_LOCAL_MACHINE,
            path.as_ptr(),
            0,
            WRITE_DAC | WRITE_OWNER | KEY_WOW64_64KEY,
            &mut handle,
        )
    };
    let result = if status == ERROR_SUCCESS {
        let key = Key(handle);
        // SAFETY: the key is open for WRITE_DAC and WRITE_OWNER; `sd` is a valid descriptor.
        let status = unsafe {
            RegSetKeySecurity(
                key.0,
                OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION,
                sd,
            )
        };
        if status == ERROR_SUCCESS {
            Ok(())
        } else {
            Err(format!("set security: error {status}"))
        }
    } else {
        Err(format!("open {key}: error {status}"))
    };
    // SAFETY: `sd` came from the conversion above and is freed once, here.
    unsafe { LocalFree(sd as HLOCAL) };
    result
}

/// `key`'s owner and DACL as SDDL.
pub fn get_security(key: &str) -> Result<String, String> {
    let path = wide(key);
    let mut handle: HKEY = ptr::null_mut();
    // SAFETY: `path` is NUL-terminated; `handle` is a valid out-pointer.
    let status = unsafe {
        RegOpenKeyExW(
            HKEY_LOCAL_MACHINE,
            path.as_ptr(),
            0,
            KEY_READ | KEY_WOW64_64KEY,
            &mut handle,
        )
    };
    if status != ERROR_SUCCESS {
        return Err(format!("open {key}: error {status}"));
    }
    let key = Key(handle);
    let what = OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION;
    let mut buf = vec![0u8; 4096];
    let mut len = buf.len() as u32;
    // SAFETY: the key is open with READ_CONTROL; `buf` is writable for `len` bytes.
    let status = unsafe { RegGetKeySecurity(key.0, what, buf.as_mut_ptr().cast(), &mut len) };
    if status != ERROR_SUCCESS {
        return Err(format!("get security: error {status}"));
    }
    let mut text: *mut u16 = ptr::null_mut();
    let mut text_len = 0u32;
    // SAFETY: `buf` holds the descriptor just read; `text` receives a LocalAlloc'd string.
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
        return Err("cannot write it as SDDL".into());
    }
    // SAFETY: on success `text` holds `text_len` UTF-16 units, freed once below.
    let units = unsafe { std::slice::from_raw_parts(text, text_len as usize) };
    let end = units.iter().position(|u| *u == 0).unwrap_or(units.len());
    let out = String::from_utf16_lossy(&units[..end]);
    // SAFETY: `text` came from the conversion above.
    unsafe { LocalFree(text as HLOCAL) };
    Ok(out)
}
