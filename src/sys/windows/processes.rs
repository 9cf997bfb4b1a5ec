//! Which processes run: a ToolHelp snapshot of the process list.

use std::io;
use std::os::windows::io::{FromRawHandle, OwnedHandle};

use windows_sys::Win32::Foundation::INVALID_HANDLE_VALUE;
use windows_sys::Win32::System::Diagnostics::ToolHelp::{
    CreateToolhelp32Snapshot, PROCESSENTRY32W, Process32FirstW, Process32NextW, TH32CS_SNAPPROCESS,
};

/// The names among `names` (executable file names, ignoring case) that run now.
pub fn running(names: &[&str]) -> io::Result<Vec<String>> {
    // SAFETY: no pointers are passed; the returned handle is checked before use.
    let raw = unsafe { CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0) };
    if raw == INVALID_HANDLE_VALUE {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: the snapshot handle is valid and owned here; OwnedHandle closes it once.
    let snapshot = unsafe { OwnedHandle::from_raw_handle(raw) };
    let handle = std::os::windows::io::AsRawHandle::as_raw_handle(&snapshot);
    // SAFETY: PROCESSENTRY32W is plain data; all zeros is a valid value before dwSize is set.
    let mut entry: PROCESSENTRY32W = unsafe { std::mem::zeroed() };
    entry.dwSize = size_of::<PROCESSENTRY32W>() as u32;
    let mut found = Vec::new();
    // SAFETY: the handle is a live process snapshot and `entry` has its size set.
    let mut more = unsafe { Process32FirstW(handle, &mut entry) } != 0;
    while more {
        let len = entry
            .szExeFile
            .iter()
            .position(|&c| c == 0)
            .unwrap_or(entry.szExeFile.len());
        let exe = String::from_utf16_lossy(&entry.szExeFile[..len]);
        if let Some(name) = names.iter().find(|n| n.eq_ignore_ascii_case(&exe)) {
            if !found.iter().any(|f: &String| f == name) {
                found.push(name.to_string());
            }
        }
        // SAFETY: as for Process32FirstW.
        more = unsafe { Process32NextW(handle, &mut entry) } != 0;
    }
    Ok(found)
}

/// When the process `pid` began (FILETIME ticks); `None` when no process has that pid. Needs no
/// rights beyond PROCESS_QUERY_LIMITED_INFORMATION, which an unelevated reader has for an elevated
/// wufix.
pub fn started(pid: u32) -> io::Result<Option<u64>> {
    use windows_sys::Win32::Foundation::{ERROR_INVALID_PARAMETER, FILETIME};
    use windows_sys::Win32::System::Threading::{
        GetProcessTimes, OpenProcess, PROCESS_QUERY_LIMITED_INFORMATION,
    };
    // SAFETY: no pointers are passed; the returned handle is checked before use.
    let raw = unsafe { OpenProcess(PROCESS_QUERY_LIMITED_INFORMATION, 0, pid) };
    if raw.is_null() {
        let err = io::Error::last_os_error();
        // The pid names no process.
        if err.raw_os_error() == Some(ERROR_INVALID_PARAMETER as i32) {
            return Ok(None);
        }
        return Err(err);
    }
    // SAFETY: OpenProcess succeeded: the handle is ours, closed once by OwnedHandle.
    let process = unsafe { OwnedHandle::from_raw_handle(raw) };
    let zero = FILETIME {
        dwLowDateTime: 0,
        dwHighDateTime: 0,
    };
    let (mut created, mut exited, mut kernel, mut user) = (zero, zero, zero, zero);
    // SAFETY: the handle is live with query rights; the four out-pointers are valid FILETIMEs.
    let ok = unsafe {
        GetProcessTimes(
            std::os::windows::io::AsRawHandle::as_raw_handle(&process),
            &mut created,
            &mut exited,
            &mut kernel,
            &mut user,
        )
    };
    if ok == 0 {
        return Err(io::Error::last_os_error());
    }
    // A process that has ended lives on as an object while anyone holds a handle to it (the
    // parent that started it, a monitoring agent): ended is not running. STILL_ACTIVE (259) is
    // what a running process answers; wufix never exits with that code.
    let mut code = 0u32;
    // SAFETY: the handle is live with query rights; `code` is a valid out-pointer.
    let queried = unsafe {
        windows_sys::Win32::System::Threading::GetExitCodeProcess(
            std::os::windows::io::AsRawHandle::as_raw_handle(&process),
            &mut code,
        )
    };
    if queried != 0 && code != windows_sys::Win32::Foundation::STILL_ACTIVE as u32 {
        return Ok(None);
    }
    Ok(Some(
        ((created.dwHighDateTime as u64) << 32) | created.dwLowDateTime as u64,
    ))
}
