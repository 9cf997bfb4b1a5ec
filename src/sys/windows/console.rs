//! Console events: Ctrl+C and Ctrl+Break, and the window closing, logoff and shutdown. The
//! latter end the process as soon as the handler returns (or after about 5 s), so the handler
//! asks the reset to stop and then blocks until the services have been started again.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use windows_sys::Win32::Foundation::TRUE;
use windows_sys::Win32::System::Console::{CTRL_BREAK_EVENT, CTRL_C_EVENT, SetConsoleCtrlHandler};
use windows_sys::core::BOOL;

static CANCEL: AtomicBool = AtomicBool::new(false);
static FINISHED: AtomicBool = AtomicBool::new(false);
static ON_INTERRUPT: OnceLock<fn()> = OnceLock::new();

unsafe extern "system" fn handler(event: u32) -> BOOL {
    let first = !CANCEL.swap(true, Ordering::SeqCst);
    if let (true, Some(note)) = (first, ON_INTERRUPT.get()) {
        note();
    }
    if event == CTRL_C_EVENT || event == CTRL_BREAK_EVENT {
        return TRUE;
    }
    // Closing, logoff, shutdown: returning lets Windows end the process now. Hold it until the
    // engine has started the services again; Windows ends it after its own grace period anyway.
    while !FINISHED.load(Ordering::SeqCst) {
        std::thread::sleep(Duration::from_millis(20));
    }
    TRUE
}

/// From now on console events set the returned flag instead of killing wufix. `on_interrupt`
/// runs once, at the first event.
pub fn catch(on_interrupt: fn()) -> &'static AtomicBool {
    // Installed once per process: a second reset in one process keeps the first handler.
    if ON_INTERRUPT.set(on_interrupt).is_ok() {
        // SAFETY: `handler` is a valid handler routine for the life of the process.
        unsafe { SetConsoleCtrlHandler(Some(handler), TRUE) };
    }
    &CANCEL
}

/// The reset has put the services back: a blocked close handler may return.
pub fn finished() {
    FINISHED.store(true, Ordering::SeqCst);
}
