//! Windows' own text for an error code.

use windows_sys::Win32::System::Diagnostics::Debug::{
    FORMAT_MESSAGE_FROM_SYSTEM, FORMAT_MESSAGE_IGNORE_INSERTS, FormatMessageW,
};

pub fn format(code: u32) -> Option<String> {
    let mut buf = [0u16; 2048];
    // SAFETY: `buf` is writable for `buf.len()` UTF-16 units; no source module and no insert
    // arguments are passed, which FORMAT_MESSAGE_FROM_SYSTEM | IGNORE_INSERTS allows.
    let len = unsafe {
        FormatMessageW(
            FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS,
            std::ptr::null(),
            code,
            0,
            buf.as_mut_ptr(),
            buf.len() as u32,
            std::ptr::null(),
        )
    } as usize;
    let text = String::from_utf16_lossy(&buf[..len.min(buf.len())]);
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_string())
}
