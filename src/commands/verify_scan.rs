//! `wufix verify-scan` (hidden): what the one-shot task of a repair started from a network
//! logon runs as SYSTEM — one Windows Update scan, its result written whole to the file the
//! waiting repair reads (`crate::verify`). No console is there: nothing is printed; the exit
//! code says whether the result was written.

use std::sync::atomic::AtomicBool;

use crate::exit::Exit;
use crate::request::VerifyScanRequest;

pub fn run(req: &VerifyScanRequest) -> Exit {
    let Some((sys, _)) = crate::sys::online() else {
        return Exit::Failed;
    };
    let scan = match sys.scan_for_updates(req.timeout, &AtomicBool::new(false)) {
        Ok(scan) => scan,
        // The agent could not be asked: said as the scan's own failure, E_FAIL.
        Err(_) => crate::sys::Scan {
            hresult: 0x8000_4005,
            updates: None,
            timed_out: false,
            with_errors: false,
        },
    };
    let text = crate::verify::result_text(&scan);
    match crate::sys::replace_whole(&req.result_file, text.as_bytes()) {
        Ok(()) => Exit::Ok,
        Err(_) => Exit::Failed,
    }
}
