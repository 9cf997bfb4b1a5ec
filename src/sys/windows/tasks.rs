//! Scheduled tasks through the Task Scheduler 2.0 interfaces (`ITaskService` → the root
//! `ITaskFolder` → `IRegisteredTask`), the `windows` crate's typed COM: whether a task is
//! enabled, and enabling it. The service keeps a task's state in its own registry cache, not
//! only in the XML file, so only its API is asked on a running Windows. Each call runs on a
//! thread of its own with COM initialised there; interface pointers are released on drop.

use windows::Win32::Foundation::{VARIANT_FALSE, VARIANT_TRUE};
use windows::Win32::System::Com::{
    CLSCTX_INPROC_SERVER, COINIT_MULTITHREADED, CoCreateInstance, CoInitializeEx, CoUninitialize,
};
use windows::Win32::System::TaskScheduler::{IRegisteredTask, ITaskService, TaskScheduler};
use windows::Win32::System::Variant::VARIANT;
use windows::core::BSTR;

use crate::sys::SysError;

/// HRESULTs of a task or folder that does not exist.
const NOT_FOUND: [u32; 2] = [0x8007_0002, 0x8007_0003];
const ACCESS_DENIED: u32 = 0x8007_0005;

fn error(err: windows::core::Error) -> SysError {
    match err.code().0 as u32 {
        ACCESS_DENIED => SysError::AccessDenied,
        code => SysError::Os(std::io::Error::other(format!(
            "Task Scheduler error 0x{code:08X}"
        ))),
    }
}

/// `f` on a new thread with COM initialised for it (the caller's thread may have COM set up
/// otherwise, or not at all).
fn on_com_thread<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, SysError> + Send + 'static,
) -> Result<T, SysError> {
    std::thread::spawn(move || {
        // SAFETY: initialises COM for this new thread only; balanced by CoUninitialize below.
        let hr = unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) };
        if hr.is_err() {
            return Err(error(hr.into()));
        }
        let result = f();
        // SAFETY: paired with the successful CoInitializeEx above, on the same thread.
        unsafe { CoUninitialize() };
        result
    })
    .join()
    .unwrap_or_else(|_| {
        Err(SysError::Os(std::io::Error::other(
            "the task thread failed",
        )))
    })
}

/// The task at `path` (`\Microsoft\Windows\…\Name`); `None` when it does not exist.
fn task(path: &str) -> Result<Option<IRegisteredTask>, SysError> {
    // SAFETY: COM is initialised on this thread (`on_com_thread`); the CLSID is the Task
    // Scheduler's own.
    let service: ITaskService =
        unsafe { CoCreateInstance(&TaskScheduler, None, CLSCTX_INPROC_SERVER) }.map_err(error)?;
    let empty = VARIANT::default();
    // SAFETY: `service` is live; empty VARIANTs connect to this machine as this user.
    unsafe { service.Connect(&empty, &empty, &empty, &empty) }.map_err(error)?;
    // SAFETY: `service` is connected; the BSTRs outlive the calls.
    let root = unsafe { service.GetFolder(&BSTR::from("\\")) }.map_err(error)?;
    // SAFETY: `root` is a live folder; the path is relative to it (or absolute).
    match unsafe { root.GetTask(&BSTR::from(path)) } {
        Ok(task) => Ok(Some(task)),
        Err(err) if NOT_FOUND.contains(&(err.code().0 as u32)) => Ok(None),
        Err(err) => Err(error(err)),
    }
}

pub fn enabled(path: &str) -> Result<Option<bool>, SysError> {
    let path = path.to_string();
    on_com_thread(move || {
        let Some(task) = task(&path)? else {
            return Ok(None);
        };
        // SAFETY: `task` is a live registered task.
        let on = unsafe { task.Enabled() }.map_err(error)?;
        Ok(Some(on.as_bool()))
    })
}

pub fn set_enabled(path: &str, on: bool) -> Result<(), SysError> {
    let path = path.to_string();
    on_com_thread(move || {
        let task = task(&path)?.ok_or(SysError::NoSuchService)?;
        let value = if on { VARIANT_TRUE } else { VARIANT_FALSE };
        // SAFETY: `task` is a live registered task; the service checks the caller's rights.
        unsafe { task.SetEnabled(value) }.map_err(error)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A task that is not there is `None`, not an error (Wine's Task Scheduler answers too).
    #[test]
    fn a_missing_task_is_none() {
        assert_eq!(
            enabled(r"\Microsoft\Windows\wufix-no-such-folder\No such task").unwrap(),
            None
        );
    }
}
