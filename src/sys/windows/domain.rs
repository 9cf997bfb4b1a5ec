//! Whether this computer is joined to an Active Directory domain.

use std::ptr;

use windows_sys::Win32::NetworkManagement::NetManagement::{
    NETSETUP_JOIN_STATUS, NetApiBufferFree, NetGetJoinInformation, NetSetupDomainName,
};

/// The domain's name when joined to one; `None` for a workgroup or no network setup at all.
pub fn joined() -> std::io::Result<Option<String>> {
    let mut name: *mut u16 = ptr::null_mut();
    let mut status: NETSETUP_JOIN_STATUS = 0;
    // SAFETY: a null server means this computer; both out-pointers are valid.
    let code = unsafe { NetGetJoinInformation(ptr::null(), &mut name, &mut status) };
    if code != 0 {
        return Err(std::io::Error::from_raw_os_error(code as i32));
    }
    let text = if name.is_null() {
        String::new()
    } else {
        // SAFETY: the call returned a NUL-terminated string in a buffer it allocated.
        let len = (0..).take_while(|&i| unsafe { *name.add(i) } != 0).count();
        // SAFETY: `len` units before the NUL were just read.
        let text = String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(name, len) });
        // SAFETY: the buffer came from NetGetJoinInformation and is freed once, here.
        unsafe { NetApiBufferFree(name.cast()) };
        text
    };
    Ok((status == NetSetupDomainName).then_some(text))
}
