//! The real Windows platform: the service control manager, the process token, restart.
//! Every unsafe block of wufix lives in this folder.

use std::ffi::OsString;
use std::io;
use std::os::windows::ffi::OsStringExt;
use std::path::PathBuf;

use windows_sys::Win32::System::SystemInformation::GetSystemWindowsDirectoryW;

use super::{Holder, Platform, Registry, ResetLock, ServiceInfo, ServiceStatus, SysError};

pub mod console;
pub mod dir;
mod disk;
mod domain;

mod elevate;
mod events;
pub mod files;
mod hive_load;
mod holders;
pub mod home;
mod wine;
pub use wine::under_wine;
pub mod message;
pub mod processes;
mod registry;
mod report_event;
mod scan;
mod security;
mod services;
mod tasks;
mod token;

/// A mounted Windows's hives loaded into this Windows's registry (Windows PE).
pub fn mount_hives(windows_dir: &std::path::Path) -> Result<super::mounted::MountedHives, String> {
    super::mounted::MountedHives::load(
        Box::new(hive_load::Loader),
        Box::new(registry::Live),
        windows_dir,
        std::process::id(),
    )
}

/// The live system and its Windows directory.
pub fn online() -> Option<(Box<dyn Platform>, PathBuf)> {
    let dir = system_windows_dir().ok()?;
    Some((Box::new(Windows), dir))
}

/// The platform for the machine wufix runs on.
pub struct Windows;

impl Platform for Windows {
    fn query_service(&self, name: &str) -> Result<Option<ServiceInfo>, SysError> {
        services::query(name)
    }
    fn service_status(&self, name: &str) -> Result<ServiceStatus, SysError> {
        services::status(name)
    }
    fn active_dependents(&self, name: &str) -> Result<Vec<String>, SysError> {
        services::active_dependents(name)
    }
    fn dependents(&self, name: &str) -> Result<Vec<String>, SysError> {
        services::all_dependents(name)
    }
    fn request_stop(&self, name: &str) -> Result<(), SysError> {
        services::request_stop(name)
    }
    fn request_start(&self, name: &str) -> Result<(), SysError> {
        services::request_start(name)
    }
    fn task_enabled(&self, path: &str) -> Result<Option<bool>, SysError> {
        tasks::enabled(path)
    }
    fn set_task_enabled(&self, path: &str, enabled: bool) -> Result<(), SysError> {
        tasks::set_enabled(path, enabled)
    }
    fn set_start_type(&self, name: &str, start: crate::sys::StartType) -> Result<(), SysError> {
        services::set_start_type(name, start)
    }
    fn request_stop_detached(&self, name: &str) -> std::sync::mpsc::Receiver<Result<(), SysError>> {
        // A thread of its own, not joined: ControlService blocks while the service's control
        // handler hangs (about 30 s), and the caller's deadline must not wait for it.
        let (tx, rx) = std::sync::mpsc::channel();
        let name = name.to_string();
        let spawned = std::thread::Builder::new()
            .name(format!("stop {name}"))
            .spawn({
                let tx = tx.clone();
                move || {
                    let _ = tx.send(services::request_stop(&name));
                }
            });
        if let Err(err) = spawned {
            let _ = tx.send(Err(SysError::Os(err)));
        }
        rx
    }
    fn running_processes(&self, names: &[&str]) -> Result<Vec<String>, SysError> {
        Ok(processes::running(names)?)
    }
    fn process_started(&self, pid: u32) -> Result<Option<u64>, SysError> {
        Ok(processes::started(pid)?)
    }
    fn is_elevated(&self) -> Result<bool, SysError> {
        Ok(token::is_elevated()?)
    }
    fn restart_windows(&self) -> Result<(), SysError> {
        Ok(token::restart_windows()?)
    }
    fn relaunch_elevated(&self, args: &[String]) -> Result<super::Relaunched, SysError> {
        let (code, report) = elevate::relaunch_elevated(args)?;
        Ok(super::Relaunched { code, report })
    }
    fn reopen_elevated(&self, args: &[String]) -> Result<(), SysError> {
        Ok(elevate::reopen_elevated(args)?)
    }
    fn holders(&self, paths: &[std::path::PathBuf]) -> Result<Vec<Holder>, SysError> {
        Ok(holders::holders(paths)?)
    }
    fn registry(&self) -> &dyn Registry {
        &registry::Live
    }
    fn query_events(
        &self,
        channel: &str,
        query: &str,
        limit: usize,
    ) -> Result<Vec<String>, SysError> {
        Ok(events::query(channel, query, limit)?)
    }
    fn service_dacl(&self, name: &str) -> Result<String, SysError> {
        security::dacl(name)
    }
    fn set_service_dacl(&self, name: &str, sddl: &str) -> Result<(), SysError> {
        security::set_dacl(name, sddl)
    }
    fn run_program(
        &self,
        exe: &std::path::Path,
        args: &[String],
        line: &mut dyn FnMut(&str),
    ) -> Result<u32, SysError> {
        Ok(super::programs::run(exe, args, line)?)
    }
    fn scan_for_updates(
        &self,
        timeout: std::time::Duration,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<super::Scan, SysError> {
        Ok(scan::scan(timeout, cancel)?)
    }
    fn has_event_log(&self) -> bool {
        true
    }
    fn network_logon(&self) -> Result<bool, SysError> {
        Ok(token::is_network_logon()?)
    }
    fn run_task(
        &self,
        task: &super::OneShotTask,
        timeout: std::time::Duration,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<u32, SysError> {
        tasks::run_once(task, timeout, cancel)
    }
    fn report_event(
        &self,
        source: &str,
        id: u32,
        level: super::EventLevel,
        message: &str,
        data: &[u8],
    ) -> Result<(), SysError> {
        report_event::report(source, id, level, message, data)
    }
    fn owned_by_trusted(&self, path: &std::path::Path) -> Result<bool, SysError> {
        Ok(home::owned_by_trusted(path)?)
    }
    fn joined_domain(&self) -> Result<Option<String>, SysError> {
        Ok(domain::joined()?)
    }
    fn disk_layout(&self) -> Result<crate::sys::disk::DiskLayout, SysError> {
        // Opening a disk needs administrator rights: said as such, before any call.
        if !token::is_elevated()? {
            return Err(SysError::AccessDenied);
        }
        Ok(disk::layout()?)
    }
    fn lock_reset(&self, home: &std::path::Path) -> Result<Option<ResetLock>, SysError> {
        crate::sys::home::lock(home)
    }
}

/// `sddl` as Windows itself writes it back (see `security::canonical_dacl`).
pub fn canonical_dacl(sddl: &str) -> Result<String, SysError> {
    security::canonical_dacl(sddl)
}

/// The computer's NetBIOS name.
pub fn computer_name() -> Option<String> {
    use windows_sys::Win32::System::WindowsProgramming::GetComputerNameW;
    let mut buf = [0u16; 64];
    let mut len = buf.len() as u32;
    // SAFETY: `buf` is writable for `len` UTF-16 units; `len` is updated to the name's length.
    if unsafe { GetComputerNameW(buf.as_mut_ptr(), &mut len) } == 0 {
        return None;
    }
    Some(String::from_utf16_lossy(&buf[..len as usize]))
}

/// ProgramData as the shell knows it (`FOLDERID_ProgramData`), not as the environment says: a
/// user's `HKCU\Environment` overrides `%ProgramData%` even for a copy elevated through UAC.
pub fn program_data() -> io::Result<PathBuf> {
    use windows_sys::Win32::System::Com::CoTaskMemFree;
    use windows_sys::Win32::UI::Shell::{
        FOLDERID_ProgramData, KF_FLAG_DEFAULT, SHGetKnownFolderPath,
    };
    let mut path: windows_sys::core::PWSTR = std::ptr::null_mut();
    // SAFETY: the folder id is a static GUID; no token (this user); `path` receives a string
    // the shell allocates with CoTaskMemAlloc, freed below whatever the result.
    let status = unsafe {
        SHGetKnownFolderPath(
            &FOLDERID_ProgramData,
            KF_FLAG_DEFAULT as u32,
            std::ptr::null_mut(),
            &mut path,
        )
    };
    let text = (!path.is_null()).then(|| {
        // SAFETY: on success the shell wrote a NUL-terminated string; read up to the NUL.
        let units = unsafe {
            let len = (0..).take_while(|&i| *path.add(i) != 0).count();
            std::slice::from_raw_parts(path, len)
        };
        OsString::from_wide(units)
    });
    // SAFETY: `path` came from SHGetKnownFolderPath (or is null, which CoTaskMemFree accepts).
    unsafe { CoTaskMemFree(path.cast()) };
    match (status, text) {
        (0, Some(text)) => Ok(PathBuf::from(text)),
        _ => Err(io::Error::from_raw_os_error(status)),
    }
}

/// Whether this process is alone on its console: Explorer made the console for it (a
/// double-click), and it closes the moment wufix exits.
pub fn console_is_ours() -> bool {
    let mut ids = [0u32; 2];
    // SAFETY: `ids` is writable for the two entries passed; the call writes at most that many.
    let count = unsafe {
        windows_sys::Win32::System::Console::GetConsoleProcessList(
            ids.as_mut_ptr(),
            ids.len() as u32,
        )
    };
    count == 1
}

/// `%SystemRoot%` as the kernel knows it, not as the (editable) environment says.
pub fn system_windows_dir() -> io::Result<PathBuf> {
    let mut buf = vec![0u16; 260];
    loop {
        // SAFETY: `buf` is a live, writable buffer of exactly `buf.len()` UTF-16 units.
        let len =
            unsafe { GetSystemWindowsDirectoryW(buf.as_mut_ptr(), buf.len() as u32) } as usize;
        if len == 0 {
            return Err(io::Error::last_os_error());
        }
        if len < buf.len() {
            return Ok(PathBuf::from(OsString::from_wide(&buf[..len])));
        }
        // Too small: `len` is the size needed, including the terminating NUL.
        buf.resize(len, 0);
    }
}

/// This machine's time zone from Windows' own settings (`GetTimeZoneInformation`), as a POSIX
/// rule jiff reads (`sys::zone`).
pub fn local_zone() -> jiff::tz::TimeZone {
    use windows_sys::Win32::System::Time::{GetTimeZoneInformation, TIME_ZONE_INFORMATION};
    // SAFETY: TIME_ZONE_INFORMATION is plain data; all zeros is a valid value to fill.
    let mut info: TIME_ZONE_INFORMATION = unsafe { std::mem::zeroed() };
    // SAFETY: `info` is a valid, writable TIME_ZONE_INFORMATION for the call.
    if unsafe { GetTimeZoneInformation(&mut info) } == u32::MAX {
        return jiff::tz::TimeZone::UTC;
    }
    let transition = |t: &windows_sys::Win32::Foundation::SYSTEMTIME| {
        // A year of its own is a one-off date, not a yearly rule: taken as none.
        (t.wYear == 0 && t.wMonth != 0).then_some(super::zone::Transition {
            month: t.wMonth,
            week: t.wDay,
            weekday: t.wDayOfWeek,
            hour: t.wHour,
            minute: t.wMinute,
        })
    };
    let text = super::zone::posix(
        info.Bias,
        info.StandardBias,
        info.DaylightBias,
        transition(&info.DaylightDate),
        transition(&info.StandardDate),
    );
    super::zone::from_posix(&text, info.Bias)
}

#[cfg(test)]
mod zone_tests {
    use windows_sys::Win32::System::Time::{GetTimeZoneInformation, TIME_ZONE_INFORMATION};

    /// GetTimeZoneInformation's answer while daylight saving time is in effect.
    const TIME_ZONE_ID_DAYLIGHT: u32 = 2;

    /// The zone built from Windows' rules puts now where Windows itself does: its bias, plus
    /// the daylight bias when Windows says daylight time is in effect.
    #[test]
    fn the_local_zone_agrees_with_windows_about_now() {
        // SAFETY: plain data, filled by the call; `info` is valid and writable.
        let mut info: TIME_ZONE_INFORMATION = unsafe { std::mem::zeroed() };
        // SAFETY: as above.
        let id = unsafe { GetTimeZoneInformation(&mut info) };
        let active = info.Bias
            + if id == TIME_ZONE_ID_DAYLIGHT {
                info.DaylightBias
            } else {
                info.StandardBias
            };
        let offset = super::local_zone().to_offset(jiff::Timestamp::now());
        assert_eq!(offset.seconds(), -active * 60, "{id} {}", info.Bias);
    }
}
