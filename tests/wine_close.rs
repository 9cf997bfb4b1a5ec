//! Closing the console window while a run is under way, under Wine, through the real handler
//! routine (Wine itself delivers no CTRL_CLOSE_EVENT): the run is told at once, and the handler
//! holds the process (Windows ends it when the handler returns) until the run has started the
//! services again and dropped its guard. Ctrl+C is told to the run and returns at once. One test
//! in its own process: the run under way is process-wide state. Windows build only.
#![cfg(windows)]

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

const CTRL_C_EVENT: u32 = 0;
const CTRL_CLOSE_EVENT: u32 = 2;

#[test]
fn a_close_tells_the_run_and_holds_the_process_until_its_services_are_back() {
    let guard = wufix::sys::catch_interrupts(|| {});
    let returned = Arc::new(AtomicBool::new(false));
    let seen = Arc::clone(&returned);
    let window = std::thread::spawn(move || {
        let answered = wufix::sys::windows::console::deliver(CTRL_CLOSE_EVENT);
        seen.store(true, Ordering::SeqCst);
        answered
    });
    let deadline = Instant::now() + Duration::from_secs(5);
    while !guard.interrupted() {
        assert!(
            Instant::now() < deadline,
            "the run was not told of the close"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    // The engine now starts the services again; meanwhile the handler must not return.
    std::thread::sleep(Duration::from_millis(300));
    assert!(
        !returned.load(Ordering::SeqCst),
        "the close was let go before the services were back"
    );
    drop(guard);
    assert!(window.join().unwrap(), "the handler claims the event");
    assert!(returned.load(Ordering::SeqCst));

    // Ctrl+C: the next run is told, and the handler returns at once (wufix goes on).
    let guard = wufix::sys::catch_interrupts(|| {});
    let began = Instant::now();
    assert!(wufix::sys::windows::console::deliver(CTRL_C_EVENT));
    assert!(guard.interrupted());
    assert!(began.elapsed() < Duration::from_secs(1));
}
