//! A Windows Update scan through the Windows Update Agent's automation interface, the one
//! PowerShell and VBScript use: `Microsoft.Update.Session` → `CreateUpdateSearcher` →
//! `Search("IsInstalled=0 and IsHidden=0")`. Late-bound through `IDispatch`, so only that
//! interface's layout is declared here. Each interface pointer is released on drop.

use std::ffi::c_void;
use std::ptr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use windows_sys::Win32::Foundation::{SysAllocString, SysFreeString};
use windows_sys::Win32::System::Com::{
    CLSCTX_ALL, CLSIDFromProgID, COINIT_MULTITHREADED, CoCreateInstance, CoInitializeEx,
    CoUninitialize, DISPATCH_FLAGS, DISPATCH_METHOD, DISPATCH_PROPERTYGET, DISPPARAMS, EXCEPINFO,
};
use windows_sys::Win32::System::Variant::{
    VARIANT, VT_BSTR, VT_DISPATCH, VT_I4, VariantClear, VariantInit,
};
use windows_sys::core::{GUID, HRESULT};

use crate::sys::Scan;

const IID_IDISPATCH: GUID = GUID::from_u128(0x00020400_0000_0000_c000_000000000046);
const IID_NULL: GUID = GUID::from_u128(0);
const DISP_E_EXCEPTION: HRESULT = 0x8002_0009_u32 as HRESULT;
const LOCALE_USER_DEFAULT: u32 = 0x0400;
const CRITERIA: &str = "IsInstalled=0 and IsHidden=0";

#[repr(C)]
struct DispatchVtbl {
    query_interface: usize,
    add_ref: usize,
    release: unsafe extern "system" fn(*mut c_void) -> u32,
    get_type_info_count: usize,
    get_type_info: usize,
    get_ids_of_names: unsafe extern "system" fn(
        *mut c_void,
        *const GUID,
        *const *const u16,
        u32,
        u32,
        *mut i32,
    ) -> HRESULT,
    invoke: unsafe extern "system" fn(
        *mut c_void,
        i32,
        *const GUID,
        u32,
        DISPATCH_FLAGS,
        *mut DISPPARAMS,
        *mut VARIANT,
        *mut EXCEPINFO,
        *mut u32,
    ) -> HRESULT,
}

/// An owned `IDispatch` pointer.
struct Dispatch(*mut c_void);

impl Drop for Dispatch {
    fn drop(&mut self) {
        // SAFETY: `self.0` is a live interface pointer we hold one reference to; the vtable's
        // first three entries are IUnknown's, so `release` is at the declared place.
        unsafe {
            let vtbl = *(self.0 as *const *const DispatchVtbl);
            ((*vtbl).release)(self.0);
        }
    }
}

/// A VARIANT cleared on drop (releasing what it holds).
struct Variant(VARIANT);

impl Variant {
    fn new() -> Variant {
        // SAFETY: VARIANT is plain data; VariantInit sets it to VT_EMPTY.
        let mut v: VARIANT = unsafe { std::mem::zeroed() };
        // SAFETY: `v` is a valid VARIANT.
        unsafe { VariantInit(&mut v) };
        Variant(v)
    }
    fn vt(&self) -> u16 {
        // SAFETY: every VARIANT has its type tag at this place.
        unsafe { self.0.Anonymous.Anonymous.vt }
    }
    /// Take the interface out (the variant gives up its reference).
    fn take_dispatch(mut self) -> Option<Dispatch> {
        if self.vt() != VT_DISPATCH {
            return None;
        }
        // SAFETY: the tag says the union holds an IDispatch pointer.
        let p = unsafe { self.0.Anonymous.Anonymous.Anonymous.pdispVal };
        self.0.Anonymous.Anonymous.vt = 0;
        (!p.is_null()).then_some(Dispatch(p))
    }
    fn as_i32(&self) -> Option<i32> {
        // SAFETY: the union is read as the type its tag says.
        (self.vt() == VT_I4).then(|| unsafe { self.0.Anonymous.Anonymous.Anonymous.lVal })
    }
}

impl Drop for Variant {
    fn drop(&mut self) {
        // SAFETY: `self.0` is a valid VARIANT; clearing releases what it owns.
        unsafe { VariantClear(&mut self.0) };
    }
}

impl Dispatch {
    /// Call `name` (a method or a property get) with at most one string argument. `Err` is the
    /// HRESULT, taken from the exception when the object raised one (as WUA does).
    fn call(&self, name: &str, flags: DISPATCH_FLAGS, arg: Option<&str>) -> Result<Variant, u32> {
        let wide: Vec<u16> = name.encode_utf16().chain(Some(0)).collect();
        let names = [wide.as_ptr()];
        let mut id = 0i32;
        // SAFETY: `self.0` is a live IDispatch; `names` holds one NUL-terminated name.
        let hr = unsafe {
            let vtbl = *(self.0 as *const *const DispatchVtbl);
            ((*vtbl).get_ids_of_names)(
                self.0,
                &IID_NULL,
                names.as_ptr(),
                1,
                LOCALE_USER_DEFAULT,
                &mut id,
            )
        };
        if hr < 0 {
            return Err(hr as u32);
        }
        let mut args = Vec::new();
        let mut bstr: windows_sys::core::BSTR = ptr::null();
        if let Some(text) = arg {
            let text: Vec<u16> = text.encode_utf16().chain(Some(0)).collect();
            // SAFETY: `text` is NUL-terminated; the BSTR is freed below.
            bstr = unsafe { SysAllocString(text.as_ptr()) };
            let mut v = Variant::new();
            v.0.Anonymous.Anonymous.vt = VT_BSTR;
            v.0.Anonymous.Anonymous.Anonymous.bstrVal = bstr;
            args.push(v.0);
            std::mem::forget(v);
        }
        let mut params = DISPPARAMS {
            rgvarg: if args.is_empty() {
                ptr::null_mut()
            } else {
                args.as_mut_ptr()
            },
            rgdispidNamedArgs: ptr::null_mut(),
            cArgs: args.len() as u32,
            cNamedArgs: 0,
        };
        let mut result = Variant::new();
        // SAFETY: EXCEPINFO is plain data; zero is its empty state.
        let mut excep: EXCEPINFO = unsafe { std::mem::zeroed() };
        let mut arg_err = 0u32;
        // SAFETY: `self.0` is a live IDispatch; every pointer is valid for the call.
        let hr = unsafe {
            let vtbl = *(self.0 as *const *const DispatchVtbl);
            ((*vtbl).invoke)(
                self.0,
                id,
                &IID_NULL,
                LOCALE_USER_DEFAULT,
                flags,
                &mut params,
                &mut result.0,
                &mut excep,
                &mut arg_err,
            )
        };
        if !bstr.is_null() {
            // SAFETY: allocated above and owned by us (Invoke does not take ownership).
            unsafe { SysFreeString(bstr) };
        }
        // SAFETY: the strings in EXCEPINFO are ours to free (null is allowed).
        unsafe {
            SysFreeString(excep.bstrSource);
            SysFreeString(excep.bstrDescription);
            SysFreeString(excep.bstrHelpFile);
        }
        if hr == DISP_E_EXCEPTION && excep.scode != 0 {
            return Err(excep.scode as u32);
        }
        if hr < 0 {
            return Err(hr as u32);
        }
        Ok(result)
    }
}

fn search() -> Result<u32, u32> {
    let progid: Vec<u16> = "Microsoft.Update.Session"
        .encode_utf16()
        .chain(Some(0))
        .collect();
    let mut clsid = IID_NULL;
    // SAFETY: `progid` is NUL-terminated; `clsid` is a valid out-pointer.
    let hr = unsafe { CLSIDFromProgID(progid.as_ptr(), &mut clsid) };
    if hr < 0 {
        return Err(hr as u32);
    }
    let mut session = ptr::null_mut();
    // SAFETY: COM is initialised on this thread; `session` receives an IDispatch reference.
    let hr = unsafe {
        CoCreateInstance(
            &clsid,
            ptr::null_mut(),
            CLSCTX_ALL,
            &IID_IDISPATCH,
            &mut session,
        )
    };
    if hr < 0 || session.is_null() {
        return Err(hr as u32);
    }
    let session = Dispatch(session);
    let searcher = session
        .call("CreateUpdateSearcher", DISPATCH_METHOD, None)?
        .take_dispatch()
        .ok_or(0x8000_4005_u32)?;
    let result = searcher
        .call("Search", DISPATCH_METHOD, Some(CRITERIA))?
        .take_dispatch()
        .ok_or(0x8000_4005_u32)?;
    // OperationResultCode: 2 succeeded, 3 succeeded with errors, 4 failed, 5 aborted.
    let code = result
        .call("ResultCode", DISPATCH_PROPERTYGET, None)?
        .as_i32();
    if matches!(code, Some(4 | 5)) {
        return Err(0x8024_0FFF); // WU_E_UNEXPECTED: a failed search without an HRESULT.
    }
    let count = result
        .call("Updates", DISPATCH_PROPERTYGET, None)?
        .take_dispatch()
        .and_then(|updates| updates.call("Count", DISPATCH_PROPERTYGET, None).ok())
        .and_then(|v| v.as_i32())
        .unwrap_or(0);
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
            // every interface pointer is dropped.
            let hr = unsafe { CoInitializeEx(ptr::null(), COINIT_MULTITHREADED as u32) };
            let outcome = if hr < 0 { Err(hr as u32) } else { search() };
            if hr >= 0 {
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
