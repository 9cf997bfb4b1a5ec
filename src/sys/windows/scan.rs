//! A Windows Update scan through the Windows Update Agent's typed COM interfaces (the `windows`
//! crate's `IUpdateSession` → `IUpdateSearcher::BeginSearch("IsInstalled=0 and IsHidden=0")` →
//! `ISearchJob` → `EndSearch` → `ISearchResult`), on a thread of its own with COM initialised
//! there. Asynchronous so that a timeout or Ctrl+C aborts the search (`ISearchJob::RequestAbort`)
//! instead of leaving it running into the next rung's service stops. Where `BeginSearch` is not
//! implemented (Wine answers E_NOTIMPL) the synchronous `Search` is used, as before. Interface
//! pointers are released on drop by the crate.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use windows::Win32::System::Com::{
    CLSCTX_ALL, COINIT_MULTITHREADED, CoCreateInstance, CoInitializeEx, CoUninitialize,
};
use windows::Win32::System::UpdateAgent::{
    ISearchCompletedCallback, ISearchCompletedCallback_Impl, ISearchCompletedCallbackArgs,
    ISearchJob, ISearchResult, IUpdateSearcher, IUpdateSession, OperationResultCode, UpdateSession,
    orcAborted, orcFailed, orcSucceededWithErrors,
};
use windows::Win32::System::Variant::VARIANT;
use windows::core::BSTR;
use windows_core::implement;

use crate::sys::Scan;
use crate::sys::search::Waited;

const CRITERIA: &str = "IsInstalled=0 and IsHidden=0";
/// WU_E_UNEXPECTED: a search that reports failure without an HRESULT of its own.
const FAILED_WITHOUT_CODE: u32 = 0x8024_0FFF;
/// E_NOTIMPL: no asynchronous search here (Wine).
const NOT_IMPLEMENTED: u32 = 0x8000_4001;
/// How long an aborted search is given to wind down before it is left behind.
const ABORT_GRACE: Duration = Duration::from_secs(10);

/// The HRESULT of a failed call, as the scan reports it.
fn code(err: windows::core::Error) -> u32 {
    err.code().0 as u32
}

/// How a search ended, as the scan thread tells it.
enum Ended {
    /// Applicable updates found; `with_errors` when the agent said "succeeded with errors".
    Found {
        count: u32,
        with_errors: bool,
    },
    Failed(u32),
    /// Aborted on request (timeout or Ctrl+C).
    Aborted,
}

/// Told when the agent's search completes.
#[implement(ISearchCompletedCallback)]
struct Completed(mpsc::Sender<()>);

impl ISearchCompletedCallback_Impl for Completed_Impl {
    fn Invoke(
        &self,
        _job: windows::core::Ref<'_, ISearchJob>,
        _args: windows::core::Ref<'_, ISearchCompletedCallbackArgs>,
    ) -> windows::core::Result<()> {
        let _ = self.0.send(());
        Ok(())
    }
}

fn searcher() -> Result<IUpdateSearcher, u32> {
    // SAFETY: COM is initialised on this thread (see `scan`); the CLSID is the agent's own.
    let session: IUpdateSession =
        unsafe { CoCreateInstance(&UpdateSession, None, CLSCTX_ALL) }.map_err(code)?;
    // SAFETY: `session` is a live interface this thread created; the call returns an owned
    // interface (released on drop) or the HRESULT.
    unsafe { session.CreateUpdateSearcher() }.map_err(code)
}

/// What a finished search found.
fn ended(result: &ISearchResult) -> Ended {
    // SAFETY: `result` is a live ISearchResult.
    let outcome: OperationResultCode = match unsafe { result.ResultCode() } {
        Ok(outcome) => outcome,
        Err(err) => return Ended::Failed(code(err)),
    };
    if outcome == orcAborted {
        return Ended::Aborted;
    }
    if outcome == orcFailed {
        return Ended::Failed(FAILED_WITHOUT_CODE);
    }
    // SAFETY: as above; a failure to count counts none.
    let count = unsafe { result.Updates().and_then(|updates| updates.Count()) }.unwrap_or(0);
    Ended::Found {
        count: count.max(0) as u32,
        with_errors: outcome == orcSucceededWithErrors,
    }
}

/// One search: asynchronous where the agent has it, so `abort` can stop it; synchronous where
/// it has not (E_NOTIMPL).
fn search(abort: &AtomicBool) -> Ended {
    let searcher = match searcher() {
        Ok(searcher) => searcher,
        Err(hresult) => return Ended::Failed(hresult),
    };
    let criteria = BSTR::from(CRITERIA);
    let (tx, rx) = mpsc::channel();
    let callback: ISearchCompletedCallback = Completed(tx).into();
    let state = VARIANT::default();
    // SAFETY: `searcher` is live; the criteria, callback and state outlive the call; the job
    // returned is owned (released on drop).
    let begun = unsafe { searcher.BeginSearch(&criteria, &callback, &state) };
    let job = match begun.map_err(code) {
        Ok(job) => job,
        Err(NOT_IMPLEMENTED) => {
            // SAFETY: as above; the criteria BSTR outlives the call.
            return match unsafe { searcher.Search(&criteria) } {
                Ok(result) => ended(&result),
                Err(err) => Ended::Failed(code(err)),
            };
        }
        Err(hresult) => return Ended::Failed(hresult),
    };
    struct Job<'a>(&'a ISearchJob);
    impl crate::sys::search::SearchJob for Job<'_> {
        fn is_completed(&self) -> bool {
            // SAFETY: the job is live for the wait.
            unsafe { self.0.IsCompleted() }.is_ok_and(|b| b.as_bool())
        }
        fn request_abort(&self) {
            // SAFETY: as above; asking a search to abort is always allowed.
            let _ = unsafe { self.0.RequestAbort() };
        }
    }
    let waited = crate::sys::search::wait(
        &Job(&job),
        &rx,
        abort,
        Duration::from_millis(200),
        ABORT_GRACE,
    );
    let aborted = match waited {
        Waited::GaveUp => return Ended::Aborted,
        Waited::Completed { aborted } => aborted,
    };
    // SAFETY: `job` came from this searcher's BeginSearch and has completed.
    match unsafe { searcher.EndSearch(&job) } {
        Ok(result) => ended(&result),
        Err(_) if aborted => Ended::Aborted,
        Err(err) => Ended::Failed(code(err)),
    }
}

/// Scan on a thread of its own (COM initialised there), waiting at most `timeout` or until
/// `cancel` is set: then the search is asked to abort, and given a few seconds to, so that it is
/// not still running while the next step stops the services it uses.
pub fn scan(timeout: Duration, cancel: &AtomicBool) -> std::io::Result<Scan> {
    let (tx, rx) = mpsc::channel();
    let abort = Arc::new(AtomicBool::new(false));
    let aborting = Arc::clone(&abort);
    std::thread::Builder::new()
        .name("wua scan".into())
        .spawn(move || {
            // SAFETY: initialises COM for this new thread only; balanced by CoUninitialize after
            // every interface is dropped (they live inside `search`).
            let hr = unsafe { CoInitializeEx(None, COINIT_MULTITHREADED) };
            let outcome = if hr.is_err() {
                Ended::Failed(hr.0 as u32)
            } else {
                search(&aborting)
            };
            if hr.is_ok() {
                // SAFETY: paired with the successful CoInitializeEx above, on the same thread.
                unsafe { CoUninitialize() };
            }
            let _ = tx.send(outcome);
        })?;
    let deadline = Instant::now() + timeout;
    let mut interrupted = false;
    let answer = loop {
        let left = deadline.saturating_duration_since(Instant::now());
        if cancel.load(Ordering::SeqCst) || left.is_zero() {
            interrupted = cancel.load(Ordering::SeqCst);
            abort.store(true, Ordering::SeqCst);
            break rx.recv_timeout(ABORT_GRACE + Duration::from_secs(1)).ok();
        }
        match rx.recv_timeout(left.min(Duration::from_millis(200))) {
            Ok(answer) => break Some(answer),
            Err(mpsc::RecvTimeoutError::Timeout) => continue,
            Err(mpsc::RecvTimeoutError::Disconnected) => break None,
        }
    };
    if interrupted {
        return Err(std::io::Error::new(
            std::io::ErrorKind::Interrupted,
            "interrupted before the scan finished",
        ));
    }
    Ok(scan_of(answer))
}

fn scan_of(answer: Option<Ended>) -> Scan {
    match answer {
        Some(Ended::Found { count, with_errors }) => Scan {
            hresult: 0,
            updates: Some(count),
            timed_out: false,
            with_errors,
        },
        Some(Ended::Failed(hresult)) => Scan {
            hresult,
            updates: None,
            timed_out: false,
            with_errors: false,
        },
        // Aborted at the deadline, or no answer even then: HRESULT_FROM_WIN32(ERROR_TIMEOUT).
        Some(Ended::Aborted) | None => Scan {
            hresult: 0x8007_05B4,
            updates: None,
            timed_out: true,
            with_errors: false,
        },
    }
}
