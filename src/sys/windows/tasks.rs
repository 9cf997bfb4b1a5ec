//! Scheduled tasks through the Task Scheduler 2.0 interfaces (`ITaskService` → the root
//! `ITaskFolder` → `IRegisteredTask`), the `windows` crate's typed COM: whether a task is
//! enabled, and enabling it. The service keeps a task's state in its own registry cache, not
//! only in the XML file, so only its API is asked on a running Windows. Each call runs on a
//! thread of its own with COM initialised there; interface pointers are released on drop.

use windows::Win32::Foundation::{VARIANT_FALSE, VARIANT_TRUE};
use windows::Win32::System::Com::{
    CLSCTX_INPROC_SERVER, COINIT_MULTITHREADED, CoCreateInstance, CoInitializeEx, CoUninitialize,
};
use windows::Win32::System::TaskScheduler::{
    IRegisteredTask, ITaskFolder, ITaskService, TASK_CREATE, TASK_LOGON_SERVICE_ACCOUNT,
    TASK_STATE_QUEUED, TASK_STATE_RUNNING, TaskScheduler,
};
use windows::Win32::System::Variant::VARIANT;
use windows::core::BSTR;

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use crate::sys::{OneShotTask, SysError};

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

/// `err` with the step it came from.
fn in_call(what: &str, err: windows::core::Error) -> SysError {
    match error(err) {
        SysError::Os(err) => SysError::Os(std::io::Error::other(format!("{what}: {err}"))),
        other => other,
    }
}

/// `f` on a new thread with COM initialised for it (the caller's thread may have COM set up
/// otherwise, or not at all); scoped, so `f` may borrow.
fn on_com_thread<T: Send>(f: impl FnOnce() -> Result<T, SysError> + Send) -> Result<T, SysError> {
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                // SAFETY: initialises COM for this new thread only; balanced by CoUninitialize.
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
    })
}

/// The task at `path` (`\Microsoft\Windows\…\Name`); `None` when it does not exist.
fn task(path: &str) -> Result<Option<IRegisteredTask>, SysError> {
    let root = root()?;
    // SAFETY: `root` is a live folder; the path is relative to it (or absolute).
    match unsafe { root.GetTask(&BSTR::from(path)) } {
        Ok(task) => Ok(Some(task)),
        Err(err) if NOT_FOUND.contains(&(err.code().0 as u32)) => Ok(None),
        Err(err) => Err(error(err)),
    }
}

pub fn enabled(path: &str) -> Result<Option<bool>, SysError> {
    on_com_thread(|| {
        let Some(task) = task(path)? else {
            return Ok(None);
        };
        // SAFETY: `task` is a live registered task.
        let on = unsafe { task.Enabled() }.map_err(error)?;
        Ok(Some(on.as_bool()))
    })
}

pub fn set_enabled(path: &str, on: bool) -> Result<(), SysError> {
    on_com_thread(|| {
        let task = task(path)?.ok_or(SysError::NoSuchService)?;
        let value = if on { VARIANT_TRUE } else { VARIANT_FALSE };
        // SAFETY: `task` is a live registered task; the service checks the caller's rights.
        unsafe { task.SetEnabled(value) }.map_err(error)
    })
}

/// The scheduler's root folder, connected as this process.
fn root() -> Result<ITaskFolder, SysError> {
    // SAFETY: COM is initialised on this thread; the CLSID is the Task Scheduler's own.
    let service: ITaskService =
        unsafe { CoCreateInstance(&TaskScheduler, None, CLSCTX_INPROC_SERVER) }.map_err(error)?;
    let empty = VARIANT::default();
    // SAFETY: `service` is live; empty VARIANTs connect to this machine as this user.
    unsafe { service.Connect(&empty, &empty, &empty, &empty) }.map_err(error)?;
    // SAFETY: `service` is connected; the BSTR outlives the call.
    unsafe { service.GetFolder(&BSTR::from("\\")) }.map_err(error)
}

/// A registered one-shot task, deleted on drop (every way out: an error, a timeout, Ctrl+C).
struct Registered<'f> {
    root: &'f ITaskFolder,
    name: BSTR,
    task: IRegisteredTask,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        // SAFETY: `root` is the live folder the task was registered in, under this name.
        let _ = unsafe { self.root.DeleteTask(&self.name, 0) };
    }
}

/// How long a task may stay "ready" after `Run` before it is taken as done (it may have run
/// and ended between two looks).
const START_GRACE: Duration = Duration::from_secs(10);
const POLL: Duration = Duration::from_millis(500);

/// Register `task` as SYSTEM, run it, wait for it to end (stopped at `timeout` or `cancel`),
/// delete it: its last result.
pub fn run_once(
    task: &OneShotTask,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<u32, SysError> {
    on_com_thread(|| run_in(&root()?, task, timeout, cancel))
}

fn run_in(
    root: &ITaskFolder,
    task: &OneShotTask,
    timeout: Duration,
    cancel: &AtomicBool,
) -> Result<u32, SysError> {
    let name = BSTR::from(task.name.as_str());
    // The account by SID: "SYSTEM" is a localised name on some Windows languages.
    let system = VARIANT::from("S-1-5-18");
    let none = VARIANT::default();
    // SAFETY: `root` is a live folder; the BSTRs and VARIANTs outlive the call; TASK_CREATE
    // fails rather than replace a task of the same name.
    let registered = unsafe {
        root.RegisterTask(
            &name,
            &BSTR::from(task.xml.as_str()),
            TASK_CREATE.0,
            &system,
            &none,
            TASK_LOGON_SERVICE_ACCOUNT,
            &none,
        )
    }
    .map_err(|err| in_call("registering the task", err))?;
    let registered = Registered {
        root,
        name,
        task: registered,
    };
    // SAFETY: `registered.task` is live; no parameters.
    unsafe { registered.task.Run(&none) }.map_err(|err| in_call("running the task", err))?;
    let started = Instant::now();
    let mut seen = false;
    loop {
        std::thread::sleep(POLL);
        // SAFETY: `registered.task` is live.
        let state = unsafe { registered.task.State() }.map_err(error)?;
        let busy = state == TASK_STATE_RUNNING || state == TASK_STATE_QUEUED;
        seen |= busy;
        if !busy && (seen || started.elapsed() >= START_GRACE) {
            break;
        }
        let interrupted = cancel.load(Ordering::SeqCst);
        if interrupted || started.elapsed() >= timeout {
            // SAFETY: `registered.task` is live; stops every instance of it.
            let _ = unsafe { registered.task.Stop(0) };
            return Err(SysError::Os(if interrupted {
                std::io::Error::from(std::io::ErrorKind::Interrupted)
            } else {
                std::io::Error::from(std::io::ErrorKind::TimedOut)
            }));
        }
    }
    // SAFETY: `registered.task` is live.
    let result = unsafe { registered.task.LastTaskResult() }.map_err(error)?;
    Ok(result as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Registered as SYSTEM from the verify scan's own definition, run, and deleted on every
    /// way out. Wine's scheduler registers it but cannot run it (`SchRpcRun` is a stub): the
    /// run is then not seen and its result is "has not run"; whatever it answers, no task is
    /// left behind.
    #[test]
    fn a_one_shot_task_is_registered_run_and_deleted() {
        let name = format!("wufix-test-oneshot-{}", std::process::id());
        let task = crate::verify::task(
            &name,
            std::path::Path::new(r"C:\windows\system32\cmd.exe"),
            std::path::Path::new(r"C:\windows\temp\wufix-oneshot.json"),
            Duration::from_secs(60),
        );
        let _one = SCHEDULER.lock().unwrap_or_else(|p| p.into_inner());
        let result = run_once(&task, Duration::from_secs(30), &AtomicBool::new(false));
        eprintln!("the one-shot task answered {result:?}");
        match &result {
            Ok(_) => {}
            // Wine's IRegisteredTask::Run (measured): registered, then E_NOTIMPL.
            Err(err) if crate::sys::windows::under_wine() => {
                let text = err.to_string();
                assert!(
                    text.contains("running the task") && text.contains("0x80004001"),
                    "{text}"
                );
            }
            Err(err) => panic!("registered and run: {err}"),
        }
        assert_eq!(enabled(&format!(r"\{name}")).unwrap(), None, "deleted");
    }

    /// One test at a time talks to the scheduler (Wine's answers a second caller at once with
    /// an error, measured).
    static SCHEDULER: std::sync::Mutex<()> = std::sync::Mutex::new(());

    /// A task that is not there is `None`, not an error (Wine's Task Scheduler answers too).
    #[test]
    fn a_missing_task_is_none() {
        let _one = SCHEDULER.lock().unwrap_or_else(|p| p.into_inner());
        assert_eq!(
            enabled(r"\Microsoft\Windows\wufix-no-such-folder\No such task").unwrap(),
            None
        );
    }
}
