//! A Windows Update scan through the Windows Update Agent's typed COM interfaces (the `windows`
//! crate's `IUpdateSession` → `IUpdateSearcher::Search("IsInstalled=0 and IsHidden=0")` →
//! `ISearchResult`), on a thread of its own with COM initialised there. Interface pointers are
//! released on drop by the crate.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use windows::Win32::System::Com::{
    CLSCTX_ALL, COINIT_MULTITHREADED, CoCreateInstance, CoInitializeEx, CoUninitialize,
};
use windows::Win32::System::UpdateAgent::{IUpdateSession, UpdateSession, orcAborted, orcFailed};
use windows::core::BSTR;

use crate::sys::Scan;

const CRITERIA: &str = "IsInstalled=0 and IsHidden=0";
/// WU_E_UNEXPECTED: a search that reports failure without an HRESULT of its own.
const FAILED_WITHOUT_CODE: u32 = 0x8024_0FFF;

/// The HRESULT of a failed call, as the scan reports it.
fn code(err: windows::core::Error) -> u32 {
    err.code().0 as u32
}

/// One synchronous search: how many applicable updates it found, or its HRESULT.
fn search() -> Result<u32, u32> {
    // SAFETY: COM is initialised on this thread (see `scan`); the CLSID is the agent's own.
    let session: IUpdateSession =
        unsafe { CoCreateInstance(&UpdateSession, None, CLSCTX_ALL) }.map_err(code)?;
    // SAFETY: `session` is a live interface this thread created; each call returns an owned
    // interface (released on drop) or the HRESULT.
    let searcher = unsafe { session.CreateUpdateSearcher() }.map_err(code)?;
    // SAFETY: as above; the criteria BSTR outlives the call.
    let result = unsafe { searcher.Search(&BSTR::from(CRITERIA)) }.map_err(code)?;
    // SAFETY: `result` is a live ISearchResult.
    let outcome = unsafe { result.ResultCode() }.map_err(code)?;
    if outcome == orcFailed || outcome == orcAborted {
        return Err(FAILED_WITHOUT_CODE);
    }
    // SAFETY: as above; a failure to count counts none.
    let count = unsafe { result.Updates().and_then(|updates| updates.Count()) }.unwrap_or(0);
    Ok(count.max(0) as u32)
}

/// Scan on a thread of its own (COM initialised there), waiting at most `timeout` or until
/// `cancel` is set; a search that does not answer is left to finish or fail on its own.
pub fn scan(timeout: Duration, cancel: &AtomicBool) -> std::io::Result<Scan> {
    let (tx, rx) = mpsc::channel();
    std::thread::Builder::new()
        .name("wua scan".into())
        .spawn(move || {
            // SAFETY: initialises COM for this new thread only; balanced by CoUninitialize after
            // every interface is dropped (they live inside `search`).
            let hr = unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) };
            let outcome = if hr.is_err() {
                Err(hr.0 as u32)
            } else {
                search()
            };
            if hr.is_ok() {
                // SAFETY: paired with the successful CoInitializeEx above, on the same thread.
                unsafe { CoUninitialize() };
            }
            let _ = tx.send(outcome);
        })?;
    let deadline = Instant::now() + timeout;
    let answer = loop {
        if cancel.load(Ordering::SeqCst) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Interrupted,
                "interrupted before the scan finished",
            ));
        }
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left.min(Duration::from_millis(200))) {
            Ok(answer) => break Some(answer),
            Err(mpsc::RecvTimeoutError::Timeout) if !left.is_zero() => continue,
            Err(_) => break None,
        }
    };
    Ok(match answer {
        Some(Ok(count)) => Scan {
            hresult: 0,
            updates: Some(count),
            timed_out: false,
        },
        Some(Err(hresult)) => Scan {
            hresult,
            updates: None,
            timed_out: false,
        },
        // HRESULT_FROM_WIN32(ERROR_TIMEOUT).
        None => Scan {
            hresult: 0x8007_05B4,
            updates: None,
            timed_out: true,
        },
    })
}
