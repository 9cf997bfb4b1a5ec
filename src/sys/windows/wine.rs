//! Telling Wine (the test platform) from Windows, for the few facts Wine reads back as constants.

/// Whether this is Wine (its ntdll exports `wine_get_version`): the test platform, where a few
/// facts Windows keeps (a file's owner) read back as constants.
pub fn under_wine() -> bool {
    use windows_sys::Win32::System::LibraryLoader::{GetModuleHandleW, GetProcAddress};
    static WINE: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *WINE.get_or_init(|| {
        let name: Vec<u16> = "ntdll.dll".encode_utf16().chain(Some(0)).collect();
        // SAFETY: `name` is NUL-terminated; ntdll is loaded in every process, and the module
        // handle GetModuleHandleW returns is not reference-counted (nothing to free).
        let module = unsafe { GetModuleHandleW(name.as_ptr()) };
        // SAFETY: the module handle is valid (or null, which GetProcAddress refuses); the name
        // is a NUL-terminated ANSI string.
        !module.is_null()
            && unsafe { GetProcAddress(module, c"wine_get_version".as_ptr().cast()) }.is_some()
    })
}
