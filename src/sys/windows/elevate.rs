//! Starting wufix again elevated: `ShellExecuteExW` with the `runas` verb shows the UAC prompt;
//! the elevated copy opens in a console of its own, and this process waits for its exit code and
//! its report.
//!
//! The report comes back through a named pipe this process makes first (`ShellExecuteExW` passes
//! no handles): a random name, `FILE_FLAG_FIRST_PIPE_INSTANCE` (nobody made it before us),
//! `PIPE_REJECT_REMOTE_CLIENTS`, and a descriptor that lets only SYSTEM and Administrators open
//! it — the elevated copy, not an unelevated program of this user. Nothing is written through a
//! path the user controls (a junctioned `%TEMP%`).
//!
//! A program started from a mapped drive (`Z:\Tools\wufix.exe`) is started by its UNC path: the
//! drive does not exist in the elevated session. The prompt is owned by this console window, so
//! it does not open behind it.

use std::ffi::OsString;
use std::io;
use std::os::windows::ffi::{OsStrExt, OsStringExt};
use std::os::windows::io::{AsRawHandle, FromRawHandle, OwnedHandle};
use std::path::{Path, PathBuf};
use std::ptr;

use windows_sys::Win32::Foundation::{
    ERROR_BROKEN_PIPE, ERROR_IO_PENDING, ERROR_PIPE_CONNECTED, HANDLE, HLOCAL,
    INVALID_HANDLE_VALUE, LocalFree, WAIT_OBJECT_0,
};
use windows_sys::Win32::NetworkManagement::WNet::{
    UNIVERSAL_NAME_INFO_LEVEL, UNIVERSAL_NAME_INFOW, WNetGetUniversalNameW,
};
use windows_sys::Win32::Security::Authorization::{
    ConvertStringSecurityDescriptorToSecurityDescriptorW, SDDL_REVISION_1,
};
use windows_sys::Win32::Security::Cryptography::{
    BCRYPT_USE_SYSTEM_PREFERRED_RNG, BCryptGenRandom,
};
use windows_sys::Win32::Security::{PSECURITY_DESCRIPTOR, SECURITY_ATTRIBUTES};
use windows_sys::Win32::Storage::FileSystem::{
    FILE_FLAG_FIRST_PIPE_INSTANCE, FILE_FLAG_OVERLAPPED, GetDriveTypeW, PIPE_ACCESS_INBOUND,
    ReadFile,
};
use windows_sys::Win32::System::Console::GetConsoleWindow;
use windows_sys::Win32::System::IO::{CancelIoEx, GetOverlappedResult, OVERLAPPED};
use windows_sys::Win32::System::Pipes::{
    ConnectNamedPipe, CreateNamedPipeW, PIPE_READMODE_BYTE, PIPE_REJECT_REMOTE_CLIENTS,
    PIPE_TYPE_BYTE, PIPE_WAIT,
};
use windows_sys::Win32::System::SystemInformation::GetSystemDirectoryW;
use windows_sys::Win32::System::Threading::{
    CreateEventW, GetExitCodeProcess, INFINITE, WaitForMultipleObjects, WaitForSingleObject,
};
use windows_sys::Win32::UI::Shell::{
    SEE_MASK_NOASYNC, SEE_MASK_NOCLOSEPROCESS, SHELLEXECUTEINFOW, ShellExecuteExW,
};
use windows_sys::Win32::UI::WindowsAndMessaging::SW_SHOWNORMAL;

use crate::sys::cmdline::{REPORT_PIPE_PREFIX, quote};

/// Only SYSTEM and Administrators may open the pipe: the elevated copy can, an unelevated
/// program of this user cannot (its Administrators membership is deny-only).
const PIPE_SDDL: &str = "D:P(A;;GA;;;SY)(A;;GA;;;BA)";
/// A report longer than this is cut: the elevated window shows it whole anyway.
const MAX_REPORT: usize = 1 << 20;
/// `DRIVE_REMOTE` from GetDriveTypeW.
const DRIVE_REMOTE: u32 = 4;

fn wide(text: &std::ffi::OsStr) -> Vec<u16> {
    text.encode_wide().chain(Some(0)).collect()
}

/// The elevated copy's exit code and the report it sent, if it sent one.
pub fn relaunch_elevated(args: &[String]) -> io::Result<(u32, Option<String>)> {
    let pipe = ReportPipe::new()?;
    let mut args: Vec<String> = args.to_vec();
    args.extend(["--report-pipe".to_string(), pipe.name.clone()]);
    let process = run_as(&args, true)?
        .ok_or_else(|| io::Error::other("Windows started no process to wait for"))?;
    let report = pipe.receive(&process)?;
    let mut code = 0u32;
    // SAFETY: the handle is open; `code` is a valid out-pointer.
    if unsafe { GetExitCodeProcess(process.as_raw_handle(), &mut code) } == 0 {
        return Err(io::Error::last_os_error());
    }
    Ok((code, report))
}

/// Start wufix again elevated with `args` in a window of its own, and do not wait: the menu
/// hands over to it.
pub fn reopen_elevated(args: &[String]) -> io::Result<()> {
    run_as(args, false).map(|_| ())
}

/// `ShellExecuteExW` with `runas`: the UAC prompt, then this exe (by its UNC path from a mapped
/// drive) with `args`; its process handle when `wait` asks for one.
fn run_as(args: &[String], wait: bool) -> io::Result<Option<OwnedHandle>> {
    let exe = std::env::current_exe()?;
    let dir = std::env::current_dir().unwrap_or_else(|_| exe.clone());
    let (exe, dir) = crate::sys::cmdline::elevated_paths(&exe, &dir, &is_remote, &unc, system_dir);
    let args: Vec<String> = args.iter().map(|a| quote(a)).collect();
    let verb = wide("runas".as_ref());
    let file = wide(exe.as_os_str());
    let params = wide(args.join(" ").as_ref());
    let dir = wide(dir.as_os_str());
    let mut info = SHELLEXECUTEINFOW {
        cbSize: size_of::<SHELLEXECUTEINFOW>() as u32,
        fMask: if wait {
            SEE_MASK_NOCLOSEPROCESS | SEE_MASK_NOASYNC
        } else {
            SEE_MASK_NOASYNC
        },
        // SAFETY: returns this process's console window, or null when it has none.
        hwnd: unsafe { GetConsoleWindow() },
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
    if !wait || info.hProcess.is_null() {
        return Ok(None);
    }
    // SAFETY: SEE_MASK_NOCLOSEPROCESS gives this process the new process's handle to close; the
    // OwnedHandle closes it exactly once, on drop.
    Ok(Some(unsafe { OwnedHandle::from_raw_handle(info.hProcess) }))
}

/// Whether the drive of `path` (`Z:\…`) is a network drive.
fn is_remote(path: &Path) -> bool {
    let text = path.as_os_str().to_string_lossy();
    let Some(drive) = text.get(..2).filter(|d| d.ends_with(':')) else {
        return false;
    };
    let root = wide(format!("{drive}\\").as_ref());
    // SAFETY: `root` is a NUL-terminated drive root.
    unsafe { GetDriveTypeW(root.as_ptr()) == DRIVE_REMOTE }
}

/// The UNC form of a path on a mapped drive (`\\server\share\…`).
fn unc(path: &Path) -> Option<PathBuf> {
    let name = wide(path.as_os_str());
    // u64 slots keep the buffer aligned for the UNIVERSAL_NAME_INFOW the call writes.
    let mut buf = vec![0u64; 512];
    let mut size = (buf.len() * 8) as u32;
    // SAFETY: `name` is NUL-terminated; `buf` is writable for `size` bytes.
    let status = unsafe {
        WNetGetUniversalNameW(
            name.as_ptr(),
            UNIVERSAL_NAME_INFO_LEVEL,
            buf.as_mut_ptr().cast(),
            &mut size,
        )
    };
    if status != 0 {
        return None;
    }
    // SAFETY: on success the buffer starts with a UNIVERSAL_NAME_INFOW whose string points into
    // the same buffer, NUL-terminated.
    let text = unsafe {
        let info = &*(buf.as_ptr() as *const UNIVERSAL_NAME_INFOW);
        let p = info.lpUniversalName;
        if p.is_null() {
            return None;
        }
        let len = (0..).take_while(|&i| *p.add(i) != 0).count();
        OsString::from_wide(std::slice::from_raw_parts(p, len))
    };
    Some(PathBuf::from(text))
}

fn system_dir() -> Option<PathBuf> {
    let mut buf = vec![0u16; 260];
    // SAFETY: `buf` is writable for its length.
    let len = unsafe { GetSystemDirectoryW(buf.as_mut_ptr(), buf.len() as u32) } as usize;
    (len > 0 && len < buf.len()).then(|| PathBuf::from(OsString::from_wide(&buf[..len])))
}

/// The pipe's server end, made before the elevated copy starts.
struct ReportPipe {
    name: String,
    handle: OwnedHandle,
}

/// A security descriptor LocalAlloc'ed by the SDDL conversion, freed on drop.
struct Local(PSECURITY_DESCRIPTOR);

impl Drop for Local {
    fn drop(&mut self) {
        // SAFETY: allocated with LocalAlloc by the conversion; freed once, here.
        unsafe { LocalFree(self.0 as HLOCAL) };
    }
}

fn random_hex() -> io::Result<String> {
    let mut bytes = [0u8; 16];
    // SAFETY: `bytes` is writable for its length; no algorithm handle with the system RNG flag.
    let status = unsafe {
        BCryptGenRandom(
            ptr::null_mut(),
            bytes.as_mut_ptr(),
            bytes.len() as u32,
            BCRYPT_USE_SYSTEM_PREFERRED_RNG,
        )
    };
    if status != 0 {
        return Err(io::Error::other(format!("no random name (0x{status:08X})")));
    }
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl ReportPipe {
    fn new() -> io::Result<ReportPipe> {
        let name = format!("{REPORT_PIPE_PREFIX}{}", random_hex()?);
        let sddl: Vec<u16> = PIPE_SDDL.encode_utf16().chain(Some(0)).collect();
        let mut sd: PSECURITY_DESCRIPTOR = ptr::null_mut();
        // SAFETY: `sddl` is NUL-terminated; `sd` receives a descriptor owned by `Local`.
        let ok = unsafe {
            ConvertStringSecurityDescriptorToSecurityDescriptorW(
                sddl.as_ptr(),
                SDDL_REVISION_1,
                &mut sd,
                ptr::null_mut(),
            )
        };
        if ok == 0 {
            return Err(io::Error::last_os_error());
        }
        let sd = Local(sd);
        let attributes = SECURITY_ATTRIBUTES {
            nLength: size_of::<SECURITY_ATTRIBUTES>() as u32,
            lpSecurityDescriptor: sd.0,
            bInheritHandle: 0,
        };
        let wide_name = wide(name.as_ref());
        // SAFETY: the name is NUL-terminated; the attributes and their descriptor outlive the call.
        let raw = unsafe {
            CreateNamedPipeW(
                wide_name.as_ptr(),
                PIPE_ACCESS_INBOUND | FILE_FLAG_FIRST_PIPE_INSTANCE | FILE_FLAG_OVERLAPPED,
                PIPE_TYPE_BYTE | PIPE_READMODE_BYTE | PIPE_WAIT | PIPE_REJECT_REMOTE_CLIENTS,
                1,
                0,
                64 * 1024,
                0,
                &attributes,
            )
        };
        if raw == INVALID_HANDLE_VALUE {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: CreateNamedPipeW succeeded: a handle this process owns, closed once.
        let handle = unsafe { OwnedHandle::from_raw_handle(raw as _) };
        Ok(ReportPipe { name, handle })
    }

    fn raw(&self) -> HANDLE {
        self.handle.as_raw_handle() as HANDLE
    }

    /// Wait for the process to end, reading what it sends meanwhile; `None` when it never
    /// connected (declined, crashed, or an older wufix that writes no report).
    fn receive(&self, process: &OwnedHandle) -> io::Result<Option<String>> {
        let event = Event::new()?;
        // SAFETY: plain data; zeroes are a valid initial value.
        let mut overlapped: OVERLAPPED = unsafe { std::mem::zeroed() };
        overlapped.hEvent = event.raw();
        // SAFETY: the pipe is open and overlapped; `overlapped` (and its event) stay alive and
        // in place until the operation completes or is cancelled below.
        let connected = unsafe { ConnectNamedPipe(self.raw(), &mut overlapped) } != 0 || {
            let code = io::Error::last_os_error().raw_os_error();
            if code == Some(ERROR_PIPE_CONNECTED as i32) {
                true
            } else if code == Some(ERROR_IO_PENDING as i32) {
                // A connection is preferred to the exit when both are signalled: the copy
                // writes its report, then exits.
                let handles = [event.raw(), process.as_raw_handle() as HANDLE];
                // SAFETY: both handles are open for the call.
                let which = unsafe { WaitForMultipleObjects(2, handles.as_ptr(), 0, INFINITE) };
                if which == WAIT_OBJECT_0 {
                    true
                } else {
                    // SAFETY: cancels this process's own pending connect on this handle; then
                    // waits for it to settle so `overlapped` is no longer in use.
                    unsafe {
                        CancelIoEx(self.raw(), &overlapped);
                        let mut ignored = 0;
                        GetOverlappedResult(self.raw(), &overlapped, &mut ignored, 1);
                    }
                    false
                }
            } else {
                return Err(io::Error::last_os_error());
            }
        };
        let report = if connected {
            Some(self.read_all()?)
        } else {
            None
        };
        // SAFETY: the process handle is open for the call.
        unsafe { WaitForSingleObject(process.as_raw_handle(), INFINITE) };
        Ok(report)
    }

    /// Everything the client writes until it closes its end.
    fn read_all(&self) -> io::Result<String> {
        let event = Event::new()?;
        let mut out: Vec<u8> = Vec::new();
        let mut buf = vec![0u8; 16 * 1024];
        loop {
            // SAFETY: plain data; zeroes are a valid initial value.
            let mut overlapped: OVERLAPPED = unsafe { std::mem::zeroed() };
            overlapped.hEvent = event.raw();
            let mut read = 0u32;
            // SAFETY: `buf` is writable for its length; `overlapped` stays in place until the
            // read completes: done at once, or waited for below.
            let started = unsafe {
                ReadFile(
                    self.raw(),
                    buf.as_mut_ptr(),
                    buf.len() as u32,
                    ptr::null_mut(),
                    &mut overlapped,
                )
            } != 0;
            let pending = !started
                && io::Error::last_os_error().raw_os_error() == Some(ERROR_IO_PENDING as i32);
            let done = if started || pending {
                // SAFETY: the read was started on this handle with this `overlapped`: wait for
                // it (or, done at once, just ask how much it read).
                (unsafe { GetOverlappedResult(self.raw(), &overlapped, &mut read, 1) }) != 0
            } else {
                false
            };
            if !done {
                let err = io::Error::last_os_error();
                if err.raw_os_error() == Some(ERROR_BROKEN_PIPE as i32) {
                    break;
                }
                return Err(err);
            }
            out.extend_from_slice(&buf[..read as usize]);
            if out.len() > MAX_REPORT {
                out.truncate(MAX_REPORT);
                break;
            }
        }
        Ok(String::from_utf8_lossy(&out).into_owned())
    }
}

/// A manual-reset event, closed on drop.
struct Event(OwnedHandle);

impl Event {
    fn new() -> io::Result<Event> {
        // SAFETY: no security attributes, manual reset, not signalled, unnamed.
        let raw = unsafe { CreateEventW(ptr::null(), 1, 0, ptr::null()) };
        if raw.is_null() {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: CreateEventW succeeded: a handle this process owns, closed once.
        Ok(Event(unsafe { OwnedHandle::from_raw_handle(raw) }))
    }

    fn raw(&self) -> HANDLE {
        self.0.as_raw_handle() as HANDLE
    }
}
