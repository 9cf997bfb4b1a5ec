//! Reading the event log (wevtapi): events as XML, newest first. Handles are closed on drop.

use std::io;

use windows_sys::Win32::Foundation::{
    ERROR_INSUFFICIENT_BUFFER, ERROR_NO_MORE_ITEMS, ERROR_TIMEOUT, GetLastError,
};
use windows_sys::Win32::System::EventLog::{
    EVT_HANDLE, EvtClose, EvtNext, EvtQuery, EvtQueryChannelPath, EvtQueryReverseDirection,
    EvtRender, EvtRenderEventXml,
};

/// An event-log handle, closed on drop.
struct Handle(EVT_HANDLE);

impl Drop for Handle {
    fn drop(&mut self) {
        // SAFETY: the handle came from EvtQuery or EvtNext and is closed only here.
        unsafe { EvtClose(self.0) };
    }
}

/// Events asked for per call.
const BATCH: usize = 32;
/// How long one call may wait for the log: a large System log on a slow disk takes seconds
/// (one second made it "unavailable", so `--exit-code` never fired).
const WAIT_MS: u32 = 30_000;

fn wide(text: &str) -> Vec<u16> {
    text.encode_utf16().chain(Some(0)).collect()
}

fn last_error() -> io::Error {
    io::Error::last_os_error()
}

pub fn query(channel: &str, xpath: &str, limit: usize) -> io::Result<Vec<String>> {
    let (channel, xpath) = (wide(channel), wide(xpath));
    // SAFETY: both strings are NUL-terminated and outlive the call; a null session is the local
    // computer.
    let raw = unsafe {
        EvtQuery(
            0,
            channel.as_ptr(),
            xpath.as_ptr(),
            EvtQueryChannelPath | EvtQueryReverseDirection,
        )
    };
    if raw == 0 {
        return Err(last_error());
    }
    let results = Handle(raw);
    let mut out = Vec::new();
    while out.len() < limit {
        let want = (limit - out.len()).min(BATCH);
        let mut raw_events: [EVT_HANDLE; BATCH] = [0; BATCH];
        let mut returned = 0u32;
        // SAFETY: the result set is open; `raw_events` has room for the `want` handles asked
        // for; `returned` is valid. Each handle returned is owned (closed by `Handle`).
        let ok = unsafe {
            EvtNext(
                results.0,
                want as u32,
                raw_events.as_mut_ptr(),
                WAIT_MS,
                0,
                &mut returned,
            )
        };
        if ok == 0 {
            // SAFETY: GetLastError only reads this thread's last-error value.
            match unsafe { GetLastError() } {
                ERROR_NO_MORE_ITEMS => break,
                // A slow log (a large System log on a busy disk): what came is kept; nothing at
                // all within the wait is an error the caller reports.
                ERROR_TIMEOUT if !out.is_empty() => break,
                ERROR_TIMEOUT => {
                    return Err(io::Error::other(format!(
                        "the event log gave no answer within {} s",
                        WAIT_MS / 1000
                    )));
                }
                _ => return Err(last_error()),
            }
        }
        if returned == 0 {
            break;
        }
        let events: Vec<Handle> = raw_events[..returned as usize]
            .iter()
            .map(|&h| Handle(h))
            .collect();
        for event in &events {
            out.push(render(event)?);
        }
    }
    Ok(out)
}

fn render(event: &Handle) -> io::Result<String> {
    let mut buf: Vec<u16> = vec![0; 4096];
    loop {
        let mut used = 0u32;
        let mut properties = 0u32;
        // SAFETY: the event handle is open; `buf` is writable for the byte size passed; the out
        // pointers are valid.
        let ok = unsafe {
            EvtRender(
                0,
                event.0,
                EvtRenderEventXml,
                (buf.len() * 2) as u32,
                buf.as_mut_ptr().cast(),
                &mut used,
                &mut properties,
            )
        };
        if ok != 0 {
            let units = (used as usize / 2).min(buf.len());
            let text = String::from_utf16_lossy(&buf[..units]);
            return Ok(text.trim_end_matches('\0').to_string());
        }
        // SAFETY: GetLastError only reads this thread's last-error value.
        if unsafe { GetLastError() } != ERROR_INSUFFICIENT_BUFFER {
            return Err(last_error());
        }
        buf.resize((used as usize).div_ceil(2), 0);
    }
}
