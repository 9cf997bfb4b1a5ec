//! Console events: Ctrl+C and Ctrl+Break, and the window closing. A close ends the process as
//! soon as the handler returns (or after about 5 s), so the handler tells the run under way and
//! then blocks until that run has started the services again (its guard is dropped). Logoff and
//! shutdown events reach only services on Windows; the journal covers them (see recovery).

use std::time::Duration;

use windows_sys::Win32::Foundation::TRUE;
use windows_sys::Win32::System::Console::{CTRL_BREAK_EVENT, CTRL_C_EVENT, SetConsoleCtrlHandler};
use windows_sys::core::BOOL;

unsafe extern "system" fn handler(event: u32) -> BOOL {
    let run = crate::sys::interrupt::arrive();
    if event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT {
        return TRUE;
    }
    // Closing, logoff, shutdown: returning lets Windows end the process now. Hold it until the
    // run has started the services again; Windows ends it after its own grace period anyway.
    if let Some(run) = run {
        while !run.is_done() {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
    TRUE
}

/// What Windows does at a console event, called directly: how a test shows what a window
/// closing does (Wine delivers no CTRL_CLOSE_EVENT of its own). Returns when the handler does.
#[doc(hidden)]
pub fn deliver(event: u32) -> bool {
    // SAFETY: the handler takes any event number and touches only process-wide state.
    unsafe { handler(event) != 0 }
}

/// From now on console events reach the run under way instead of killing wufix.
pub fn install() {
    // SAFETY: `handler` is a valid handler routine for the life of the process.
    unsafe { SetConsoleCtrlHandler(Some(handler), TRUE) };
}
