//! HKEY_LOCAL_MACHINE (64-bit view): values read, and the few `repair` writes. Keys are closed
//! on drop.

use std::io;
use std::ptr;

use windows_sys::Win32::Foundation::{
    ERROR_FILE_NOT_FOUND, ERROR_MORE_DATA, ERROR_NO_MORE_ITEMS, ERROR_SUCCESS, WIN32_ERROR,
};
use windows_sys::Win32::System::Registry::{
    HKEY, HKEY_LOCAL_MACHINE, KEY_READ, KEY_SET_VALUE, KEY_WOW64_64KEY, REG_BINARY, REG_DWORD,
    REG_EXPAND_SZ, REG_MULTI_SZ, REG_OPTION_NON_VOLATILE, REG_QWORD, REG_SZ, REG_VALUE_TYPE,
    RegCloseKey, RegCreateKeyExW, RegDeleteValueW, RegEnumKeyExW, RegOpenKeyExW, RegQueryValueExW,
    RegSetValueExW,
};

use crate::sys::RegValue;

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(Some(0)).collect()
}

/// An open registry key, closed on drop.
struct Key(HKEY);

impl Drop for Key {
    fn drop(&mut self) {
        // SAFETY: the handle came from a successful RegOpenKeyExW and is closed only here.
        unsafe { RegCloseKey(self.0) };
    }
}

fn check(status: WIN32_ERROR) -> io::Result<()> {
    if status == ERROR_SUCCESS {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(status as i32))
    }
}

/// `None` when the key does not exist.
fn open(key: &str) -> io::Result<Option<Key>> {
    let path = wide(key);
    let mut handle: HKEY = ptr::null_mut();
    // SAFETY: `path` is NUL-terminated and outlives the call; `handle` is a valid out-pointer.
    let status = unsafe {
        RegOpenKeyExW(
            HKEY_LOCAL_MACHINE,
            path.as_ptr(),
            0,
            KEY_READ | KEY_WOW64_64KEY,
            &mut handle,
        )
    };
    match status {
        ERROR_SUCCESS => Ok(Some(Key(handle))),
        ERROR_FILE_NOT_FOUND => Ok(None),
        other => Err(io::Error::from_raw_os_error(other as i32)),
    }
}

pub fn key_exists(key: &str) -> io::Result<bool> {
    Ok(open(key)?.is_some())
}

pub fn value(key: &str, name: &str) -> io::Result<Option<RegValue>> {
    let Some(key) = open(key)? else {
        return Ok(None);
    };
    let name = wide(name);
    let mut kind: REG_VALUE_TYPE = 0;
    let mut data: Vec<u8> = vec![0; 256];
    loop {
        let mut len = data.len() as u32;
        // SAFETY: the key is open; `name` is NUL-terminated; `data` is writable for `len` bytes and
        // `kind`/`len` are valid out-pointers.
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
            ERROR_MORE_DATA => data.resize(len as usize, 0),
            ERROR_FILE_NOT_FOUND => return Ok(None),
            other => {
                check(other)?;
                data.truncate(len as usize);
                return Ok(Some(decode(kind, &data)));
            }
        }
    }
}

fn decode(kind: REG_VALUE_TYPE, data: &[u8]) -> RegValue {
    let units: Vec<u16> = data
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]))
        .collect();
    let text =
        |units: &[u16]| String::from_utf16_lossy(units.split(|u| *u == 0).next().unwrap_or(&[]));
    match kind {
        REG_DWORD if data.len() >= 4 => {
            RegValue::Dword(u32::from_le_bytes([data[0], data[1], data[2], data[3]]))
        }
        REG_QWORD if data.len() >= 8 => RegValue::Qword(u64::from_le_bytes(
            data[..8].try_into().expect("eight bytes"),
        )),
        REG_SZ | REG_EXPAND_SZ => RegValue::String(text(&units)),
        REG_MULTI_SZ => RegValue::MultiString(
            units
                .split(|u| *u == 0)
                .filter(|s| !s.is_empty())
                .map(String::from_utf16_lossy)
                .collect(),
        ),
        REG_BINARY => RegValue::Binary(data.to_vec()),
        _ => RegValue::Binary(data.to_vec()),
    }
}

/// Write `value` (creating the key) or, for `None`, delete it (absent already is fine).
pub fn set_value(key: &str, name: &str, value: Option<&RegValue>) -> io::Result<()> {
    let path = wide(key);
    let name = wide(name);
    let Some(value) = value else {
        let mut handle: HKEY = ptr::null_mut();
        // SAFETY: `path` is NUL-terminated and outlives the call; `handle` is a valid out-pointer.
        let status = unsafe {
            RegOpenKeyExW(
                HKEY_LOCAL_MACHINE,
                path.as_ptr(),
                0,
                KEY_SET_VALUE | KEY_WOW64_64KEY,
                &mut handle,
            )
        };
        if status == ERROR_FILE_NOT_FOUND {
            return Ok(());
        }
        check(status)?;
        let key = Key(handle);
        // SAFETY: the key is open for setting values; `name` is NUL-terminated.
        let status = unsafe { RegDeleteValueW(key.0, name.as_ptr()) };
        return if status == ERROR_FILE_NOT_FOUND {
            Ok(())
        } else {
            check(status)
        };
    };
    let mut handle: HKEY = ptr::null_mut();
    // SAFETY: `path` is NUL-terminated; no class, default security; `handle` is an out-pointer.
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
    check(status)?;
    let key = Key(handle);
    let (kind, data) = encode(value);
    // SAFETY: the key is open for setting values; `data` is readable for the length passed.
    let status = unsafe {
        RegSetValueExW(
            key.0,
            name.as_ptr(),
            0,
            kind,
            data.as_ptr(),
            data.len() as u32,
        )
    };
    check(status)
}

fn encode(value: &RegValue) -> (REG_VALUE_TYPE, Vec<u8>) {
    let units = |text: &str| -> Vec<u8> {
        text.encode_utf16()
            .chain(Some(0))
            .flat_map(u16::to_le_bytes)
            .collect()
    };
    match value {
        RegValue::Dword(n) => (REG_DWORD, n.to_le_bytes().to_vec()),
        RegValue::Qword(n) => (REG_QWORD, n.to_le_bytes().to_vec()),
        RegValue::String(s) => (REG_SZ, units(s)),
        RegValue::MultiString(list) => {
            let mut data: Vec<u8> = list.iter().flat_map(|s| units(s)).collect();
            data.extend([0, 0]);
            (REG_MULTI_SZ, data)
        }
        RegValue::Binary(bytes) => (REG_BINARY, bytes.clone()),
    }
}

/// The names of the subkeys of `key`; empty when it does not exist.
pub fn subkeys(key: &str) -> io::Result<Vec<String>> {
    let Some(key) = open(key)? else {
        return Ok(Vec::new());
    };
    let mut names = Vec::new();
    let mut buf = vec![0u16; 256];
    for index in 0.. {
        let mut len = buf.len() as u32;
        // SAFETY: the key is open; `buf` is writable for `len` units; the rest may be null.
        let status = unsafe {
            RegEnumKeyExW(
                key.0,
                index,
                buf.as_mut_ptr(),
                &mut len,
                ptr::null(),
                ptr::null_mut(),
                ptr::null_mut(),
                ptr::null_mut(),
            )
        };
        match status {
            ERROR_NO_MORE_ITEMS => break,
            other => check(other)?,
        }
        names.push(String::from_utf16_lossy(&buf[..len as usize]));
    }
    Ok(names)
}
