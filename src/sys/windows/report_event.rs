//! Writing one event to the Application log (`RegisterEventSourceW` → `ReportEventW`). The
//! source's registration (its message file) is the core's, through the registry; the handle is
//! deregistered on drop.

use std::io;

use windows_sys::Win32::Foundation::HANDLE;
use windows_sys::Win32::System::EventLog::{
    DeregisterEventSource, EVENTLOG_ERROR_TYPE, EVENTLOG_INFORMATION_TYPE, EVENTLOG_WARNING_TYPE,
    REPORT_EVENT_TYPE, RegisterEventSourceW, ReportEventW,
};

use crate::sys::{EventLevel, SysError};

/// An event source handle, deregistered on drop.
struct Source(HANDLE);

impl Drop for Source {
    fn drop(&mut self) {
        // SAFETY: the handle came from RegisterEventSourceW and is deregistered only here.
        unsafe { DeregisterEventSource(self.0) };
    }
}

fn kind(level: EventLevel) -> REPORT_EVENT_TYPE {
    match level {
        EventLevel::Information => EVENTLOG_INFORMATION_TYPE,
        EventLevel::Warning => EVENTLOG_WARNING_TYPE,
        EventLevel::Error => EVENTLOG_ERROR_TYPE,
    }
}

pub fn report(
    source: &str,
    id: u32,
    level: EventLevel,
    message: &str,
    data: &[u8],
) -> Result<(), SysError> {
    let name: Vec<u16> = source.encode_utf16().chain(Some(0)).collect();
    // SAFETY: no server name (this machine); `name` is NUL-terminated and outlives the call.
    let handle = unsafe { RegisterEventSourceW(std::ptr::null(), name.as_ptr()) };
    if handle.is_null() {
        return Err(SysError::Os(io::Error::last_os_error()));
    }
    let source = Source(handle);
    let text: Vec<u16> = message.encode_utf16().chain(Some(0)).collect();
    let strings = [text.as_ptr()];
    let len = u32::try_from(data.len())
        .map_err(|_| SysError::Os(io::Error::other("event data of 4 GiB or more")))?;
    // SAFETY: the source handle is open; `strings` holds one NUL-terminated string, alive across
    // the call; `data` is readable for `len` bytes (a null pointer when empty); no user SID.
    let ok = unsafe {
        ReportEventW(
            source.0,
            kind(level),
            0,
            id,
            std::ptr::null_mut(),
            1,
            len,
            strings.as_ptr(),
            if data.is_empty() {
                std::ptr::null()
            } else {
                data.as_ptr().cast()
            },
        )
    };
    if ok == 0 {
        return Err(SysError::Os(io::Error::last_os_error()));
    }
    Ok(())
}
