//! A code as wufix reads it: the one rule every table that looks a code up shares.

/// The HRESULT a code is looked up as: a bare Win32 error number (1–65535, as `net helpmsg` and
/// some logs print them) is looked up as the HRESULT that wraps it.
pub fn lookup_value(code: u32) -> u32 {
    if (1..=0xFFFF).contains(&code) {
        0x8007_0000 | code
    } else {
        code
    }
}
