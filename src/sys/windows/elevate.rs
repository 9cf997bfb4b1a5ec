//! Starting wufix again elevated: `ShellExecuteExW` with the `runas` verb shows the UAC prompt;
//! the elevated copy opens in a console of its own, and this process waits for its exit code.

use std::io;
use std::os::windows::ffi::OsStrExt;
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};

use windows_sys::Win32::System::Threading::{GetExitCodeProcess, INFINITE, WaitForSingleObject};
use windows_sys::Win32::UI::Shell::{
    SEE_MASK_NOASYNC, SEE_MASK_NOCLOSEPROCESS, SHELLEXECUTEINFOW, ShellExecuteExW,
};
use windows_sys::Win32::UI::WindowsAndMessaging::SW_SHOWNORMAL;

use crate::sys::cmdline::quote;

fn wide(text: &std::ffi::OsStr) -> Vec<u16> {
    text.encode_wide().chain(Some(0)).collect()
}

pub fn relaunch_elevated(args: &[String]) -> io::Result<u32> {
    let exe = std::env::current_exe()?;
    let dir = std::env::current_dir()?;
    let args: Vec<String> = args.iter().map(|a| quote(a)).collect();
    let verb = wide("runas".as_ref());
    let file = wide(exe.as_os_str());
    let params = wide(args.join(" ").as_ref());
    let dir = wide(dir.as_os_str());
    let mut info = SHELLEXECUTEINFOW {
        cbSize: size_of::<SHELLEXECUTEINFOW>() as u32,
        fMask: SEE_MASK_NOCLOSEPROCESS | SEE_MASK_NOASYNC,
        lpVerb: verb.as_ptr(),
        lpFile: file.as_ptr(),
        lpParameters: params.as_ptr(),
        lpDirectory: dir.as_ptr(),
        nShow: SW_SHOWNORMAL,
        ..Default::default()
    };
    // SAFETY: `info` is a fully initialised SHELLEXECUTEINFOW of the size it declares; every
    // string it points to is NUL-terminated and outlives the call.
    if unsafe { ShellExecuteExW(&mut info) } == 0 {
        return Err(io::Error::last_os_error());
    }
    if info.hProcess.is_null() {
        return Err(io::Error::other("Windows started no process to wait for"));
    }
    // SAFETY: SEE_MASK_NOCLOSEPROCESS gives this process the new process's handle to close; the
    // OwnedHandle closes it exactly once, on drop.
    let process = unsafe { OwnedHandle::from_raw_handle(info.hProcess) };
    // SAFETY: the handle is open and stays open for the call.
    if unsafe { WaitForSingleObject(process.as_raw_handle(), INFINITE) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let mut code = 0u32;
    // SAFETY: the handle is open; `code` is a valid out-pointer.
    if unsafe { GetExitCodeProcess(process.as_raw_handle(), &mut code) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(code)
}
