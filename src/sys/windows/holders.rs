//! Who holds a file open, from the Restart Manager (`RmStartSession`, `RmRegisterResources`,
//! `RmGetList`): the processes and services a failed rename or delete is waiting on.

use std::io;
use std::os::windows::ffi::OsStrExt;
use std::path::PathBuf;

use windows_sys::Win32::Foundation::{ERROR_MORE_DATA, ERROR_SUCCESS};
use windows_sys::Win32::System::RestartManager::{
    CCH_RM_SESSION_KEY, RM_PROCESS_INFO, RmEndSession, RmGetList, RmRegisterResources,
    RmStartSession,
};

use crate::sys::Holder;

/// A Restart Manager session, ended on drop.
struct Session(u32);

impl Drop for Session {
    fn drop(&mut self) {
        // SAFETY: the handle came from a successful RmStartSession and is ended once, here.
        unsafe { RmEndSession(self.0) };
    }
}

fn check(code: u32) -> io::Result<()> {
    if code == ERROR_SUCCESS {
        Ok(())
    } else {
        Err(io::Error::from_raw_os_error(code as i32))
    }
}

fn text(units: &[u16]) -> String {
    let end = units.iter().position(|&u| u == 0).unwrap_or(units.len());
    String::from_utf16_lossy(&units[..end])
}

pub fn holders(paths: &[PathBuf]) -> io::Result<Vec<Holder>> {
    let mut handle = 0u32;
    let mut key = [0u16; CCH_RM_SESSION_KEY as usize + 1];
    // SAFETY: `handle` is a valid out-pointer; `key` has room for CCH_RM_SESSION_KEY + 1 units.
    check(unsafe { RmStartSession(&mut handle, 0, key.as_mut_ptr()) })?;
    let session = Session(handle);
    let wide: Vec<Vec<u16>> = paths
        .iter()
        .map(|p| p.as_os_str().encode_wide().chain(Some(0)).collect())
        .collect();
    let pointers: Vec<*const u16> = wide.iter().map(|w| w.as_ptr()).collect();
    // SAFETY: `pointers` holds `pointers.len()` NUL-terminated strings that outlive the call; no
    // applications or services are registered.
    check(unsafe {
        RmRegisterResources(
            session.0,
            pointers.len() as u32,
            pointers.as_ptr(),
            0,
            std::ptr::null(),
            0,
            std::ptr::null(),
        )
    })?;
    let mut infos: Vec<RM_PROCESS_INFO> = Vec::new();
    // The list can grow between the size query and the read: ask again, a few times at most.
    for attempt in 0.. {
        let mut needed = 0u32;
        let mut count = infos.len() as u32;
        let mut reasons = 0u32;
        // SAFETY: `infos` has room for `count` entries; the other arguments are out-pointers.
        let code = unsafe {
            RmGetList(
                session.0,
                &mut needed,
                &mut count,
                infos.as_mut_ptr(),
                &mut reasons,
            )
        };
        if code == ERROR_MORE_DATA && attempt < 4 {
            infos.resize(needed as usize, RM_PROCESS_INFO::default());
            continue;
        }
        check(code)?;
        infos.truncate(count as usize);
        break;
    }
    Ok(infos
        .iter()
        .map(|info| Holder {
            pid: info.Process.dwProcessId,
            name: text(&info.strAppName),
            service: Some(text(&info.strServiceShortName)).filter(|s| !s.is_empty()),
        })
        .collect())
}
