use std::ffi::OsString;
use std::io::{Read, Write};
use std::os::windows::fs::OpenOptionsExt;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use windows_service::service::{
    ServiceAccess, ServiceControl, ServiceControlAccept, ServiceExitCode, ServiceState,
    ServiceStatus, ServiceType,
};
use windows_service::service_control_handler::{self, ServiceControlHandlerResult};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
use windows_service::{define_windows_service, service_dispatcher};

/// Set by the control handler. The handler captures nothing: windows-service frees its closure
/// after the first STOP, so all state lives here.
static STOP_REQUESTED: AtomicBool = AtomicBool::new(false);
/// The service's name, for the control handler (which must capture nothing).
static NAME: std::sync::OnceLock<String> = std::sync::OnceLock::new();

define_windows_service!(ffi_service_main, service_main);

pub fn main() -> i32 {
    if let Some(code) = crate::standin::run() {
        return code;
    }
    let args: Vec<String> = std::env::args().skip(1).collect();
    match args
        .iter()
        .map(String::as_str)
        .collect::<Vec<_>>()
        .as_slice()
    {
        ["run", name] => match service_dispatcher::start(name, ffi_service_main) {
            Ok(()) => 0,
            Err(err) => {
                eprintln!("dispatcher: {err}");
                1
            }
        },
        ["hold", path] => hold(path),
        ["message", path, id, insert] => match message(path, id.parse().unwrap_or(0), insert) {
            Ok(text) => {
                print!("{text}");
                0
            }
            Err(err) => {
                eprintln!("message: {err}");
                1
            }
        },
        ["version", path] => match version(path) {
            Ok(text) => {
                println!("{text}");
                0
            }
            Err(err) => {
                eprintln!("version {path}: {err}");
                1
            }
        },
        ["revive-later", name] => {
            // Stand in for usosvc or a trigger: start the service again shortly after it stopped.
            std::thread::sleep(Duration::from_millis(300));
            match ctl("start", name) {
                Ok(()) => 0,
                Err(_) => 1,
            }
        }
        ["regset", key, name, kind, hex] => {
            match kind
                .parse()
                .map_err(|e| format!("{e}"))
                .and_then(|k| crate::reg::set(key, name, k, hex))
            {
                Ok(()) => 0,
                Err(err) => {
                    eprintln!("regset: {err}");
                    1
                }
            }
        }
        ["regsd", key, sddl] => match crate::reg::set_security(key, sddl) {
            Ok(()) => 0,
            Err(err) => {
                eprintln!("regsd: {err}");
                1
            }
        },
        ["regsdget", key] => match crate::reg::get_security(key) {
            Ok(text) => {
                println!("{text}");
                0
            }
            Err(err) => {
                eprintln!("regsdget: {err}");
                1
            }
        },
        ["regget", key, name] => match crate::reg::get(key, name) {
            Ok(text) => {
                println!("{text}");
                0
            }
            Err(err) => {
                eprintln!("regget: {err}");
                1
            }
        },
        ["ctl", verb, name] => match ctl(verb, name) {
            Ok(()) => 0,
            Err(err) => {
                eprintln!("ctl {verb} {name}: {err}");
                1
            }
        },
        _ => {
            eprintln!(
                "usage: wufix-testsvc run NAME | hold PATH | version EXE | regset KEY NAME TYPE HEX | regget KEY NAME | ctl start|stop|query|disable|demand NAME"
            );
            2
        }
    }
}

fn behaviour(name: &str) -> String {
    std::fs::read_to_string(format!("C:\\wufix-test\\{name}.onstop"))
        .unwrap_or_default()
        .trim()
        .to_string()
}

fn service_main(arguments: Vec<OsString>) {
    let name = std::env::args()
        .nth(2)
        .or_else(|| arguments.first().map(|a| a.to_string_lossy().into_owned()))
        .unwrap_or_default();
    let _ = NAME.set(name.clone());
    let handler = |control| match control {
        ServiceControl::Stop => {
            // `hang SECS`: a control handler that does not return, as a wedged service's does.
            let how = behaviour(NAME.get().map_or("", String::as_str));
            if let Some(secs) = how
                .strip_prefix("hang ")
                .and_then(|s| s.trim().parse().ok())
            {
                std::thread::sleep(Duration::from_secs(secs));
                return ServiceControlHandlerResult::NoError;
            }
            STOP_REQUESTED.store(true, Ordering::SeqCst);
            ServiceControlHandlerResult::NoError
        }
        ServiceControl::Interrogate => ServiceControlHandlerResult::NoError,
        _ => ServiceControlHandlerResult::NotImplemented,
    };
    let Ok(status) = service_control_handler::register(&name, handler) else {
        return;
    };
    let report_with = |state, checkpoint, wait_hint: Duration, exit_code| {
        let _ = status.set_service_status(ServiceStatus {
            service_type: ServiceType::OWN_PROCESS,
            current_state: state,
            controls_accepted: if state == ServiceState::Running {
                ServiceControlAccept::STOP
            } else {
                ServiceControlAccept::empty()
            },
            exit_code,
            checkpoint,
            wait_hint,
            process_id: None,
        });
    };
    let report = |state, checkpoint, wait_hint: Duration| {
        report_with(state, checkpoint, wait_hint, ServiceExitCode::Win32(0))
    };
    // `NAME.onstart` = `fail CODE`: start, then stop at once with that service-specific code.
    let on_start =
        std::fs::read_to_string(format!("C:\\wufix-test\\{name}.onstart")).unwrap_or_default();
    if let Some(code) = on_start
        .trim()
        .strip_prefix("fail ")
        .and_then(|c| c.trim().parse().ok())
    {
        report(ServiceState::StartPending, 1, Duration::from_secs(1));
        std::thread::sleep(Duration::from_millis(200));
        report_with(
            ServiceState::Stopped,
            0,
            Duration::ZERO,
            ServiceExitCode::ServiceSpecific(code),
        );
        return;
    }
    // `NAME.onstart` = `delay SECS`: report start-pending that long before running (a slow start,
    // for a test that needs the start phase to last).
    if let Some(secs) = on_start
        .trim()
        .strip_prefix("delay ")
        .and_then(|c| c.trim().parse::<u64>().ok())
    {
        let until = Instant::now() + Duration::from_secs(secs);
        let mut checkpoint = 1;
        while Instant::now() < until {
            report(
                ServiceState::StartPending,
                checkpoint,
                Duration::from_secs(2),
            );
            checkpoint += 1;
            std::thread::sleep(Duration::from_millis(200));
        }
    }
    report(ServiceState::Running, 0, Duration::ZERO);
    loop {
        std::thread::sleep(Duration::from_millis(50));
        if !STOP_REQUESTED.load(Ordering::SeqCst) {
            continue;
        }
        let how = behaviour(&name);
        if how == "ignore" {
            continue;
        }
        // `start OTHER`: as it stops, start another service (as a trigger would), and report
        // stopped only once that one runs.
        if let Some(other) = how.strip_prefix("start ") {
            let _ = ctl("start", other.trim());
        }
        if how == "revive" {
            // Once only: the next STOP is obeyed.
            let _ = std::fs::write(format!("C:\\wufix-test\\{name}.onstop"), "obey");
            if let Ok(exe) = std::env::current_exe() {
                let _ = std::process::Command::new(exe)
                    .args(["revive-later", &name])
                    .spawn();
            }
        }
        if let Some(secs) = how
            .strip_prefix("delay ")
            .and_then(|s| s.trim().parse::<u64>().ok())
        {
            let until = Instant::now() + Duration::from_secs(secs);
            let mut checkpoint = 1;
            while Instant::now() < until {
                report(
                    ServiceState::StopPending,
                    checkpoint,
                    Duration::from_secs(1),
                );
                checkpoint += 1;
                std::thread::sleep(Duration::from_millis(200));
            }
        }
        report(ServiceState::Stopped, 0, Duration::ZERO);
        return;
    }
}

fn hold(path: &str) -> i32 {
    let file = match std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .share_mode(0)
        .open(path)
    {
        Ok(file) => file,
        Err(err) => {
            eprintln!("hold {path}: {err}");
            return 1;
        }
    };
    println!("holding");
    let _ = std::io::stdout().flush();
    // Keep the file open until whoever started us closes our stdin.
    let _ = std::io::stdin().lock().read_to_end(&mut Vec::new());
    drop(file);
    0
}

fn ctl(verb: &str, name: &str) -> windows_service::Result<()> {
    let manager = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)?;
    let access = ServiceAccess::QUERY_STATUS
        | ServiceAccess::QUERY_CONFIG
        | ServiceAccess::START
        | ServiceAccess::STOP
        | ServiceAccess::CHANGE_CONFIG;
    let service = manager.open_service(name, access)?;
    match verb {
        "start" => {
            if service.query_status()?.current_state != ServiceState::Running {
                service.start::<&str>(&[])?;
            }
            wait_for(&service, ServiceState::Running)
        }
        "stop" => {
            if service.query_status()?.current_state == ServiceState::Running {
                service.stop()?;
            }
            wait_for(&service, ServiceState::Stopped)
        }
        "query" => {
            let status = service.query_status()?;
            let start = service.query_config()?.start_type;
            println!(
                "{:?} {start:?} {}",
                status.current_state,
                status.process_id.unwrap_or(0)
            );
            Ok(())
        }
        "disable" => set_start_type(
            &service,
            windows_sys::Win32::System::Services::SERVICE_DISABLED,
        ),
        "demand" => set_start_type(
            &service,
            windows_sys::Win32::System::Services::SERVICE_DEMAND_START,
        ),
        _ => Err(windows_service::Error::ArgumentHasNulByte("unknown verb")),
    }
}

fn wait_for(
    service: &windows_service::service::Service,
    state: ServiceState,
) -> windows_service::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(20);
    while service.query_status()?.current_state != state {
        if Instant::now() > deadline {
            return Err(windows_service::Error::Winapi(std::io::Error::other(
                format!("not {state:?} after 20 s"),
            )));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok(())
}

/// Change only the start type: windows-service's change_config rewrites every field.
fn set_start_type(
    service: &windows_service::service::Service,
    start_type: u32,
) -> windows_service::Result<()> {
    use windows_sys::Win32::System::Services::{ChangeServiceConfigW, SERVICE_NO_CHANGE};
    let null = std::ptr::null();
    // SAFETY: the handle is open with CHANGE_CONFIG for the call; every string argument is null,
    // which means "leave unchanged".
    let ok = unsafe {
        ChangeServiceConfigW(
            service.raw_handle(),
            SERVICE_NO_CHANGE,
            start_type,
            SERVICE_NO_CHANGE,
            null,
            null,
            std::ptr::null_mut(),
            null,
            null,
            null,
            null,
        )
    };
    if ok == 0 {
        return Err(windows_service::Error::Winapi(
            std::io::Error::last_os_error(),
        ));
    }
    Ok(())
}

/// An exe's version resource as Windows reads it: `FIXED a.b.c.d` and each string, one per line
/// (`ProductName=wufix`).
/// Message `id` of the message table in the exe at `path`, `%1` filled with `insert`: as Event
/// Viewer shows an event (the exe loaded as data, never run).
fn message(path: &str, id: u32, insert: &str) -> std::io::Result<String> {
    use windows_sys::Win32::Foundation::FreeLibrary;
    use windows_sys::Win32::System::Diagnostics::Debug::{
        FORMAT_MESSAGE_ARGUMENT_ARRAY, FORMAT_MESSAGE_FROM_HMODULE, FormatMessageW,
    };
    use windows_sys::Win32::System::LibraryLoader::{LOAD_LIBRARY_AS_DATAFILE, LoadLibraryExW};
    let wide = |s: &str| s.encode_utf16().chain(Some(0)).collect::<Vec<u16>>();
    let file = wide(path);
    // SAFETY: `file` is NUL-terminated; as a data file nothing of the module runs.
    let module = unsafe {
        LoadLibraryExW(
            file.as_ptr(),
            std::ptr::null_mut(),
            LOAD_LIBRARY_AS_DATAFILE,
        )
    };
    if module.is_null() {
        return Err(std::io::Error::last_os_error());
    }
    let insert = wide(insert);
    let args = [insert.as_ptr() as usize];
    let mut buf = vec![0u16; 4096];
    // SAFETY: `module` is loaded; `buf` is writable for its length; `args` is an array of one
    // pointer to a NUL-terminated string, as FORMAT_MESSAGE_ARGUMENT_ARRAY reads it for %1.
    let len = unsafe {
        FormatMessageW(
            FORMAT_MESSAGE_FROM_HMODULE | FORMAT_MESSAGE_ARGUMENT_ARRAY,
            module as *const core::ffi::c_void,
            id,
            0,
            buf.as_mut_ptr(),
            buf.len() as u32,
            args.as_ptr().cast(),
        )
    };
    let err = std::io::Error::last_os_error();
    // SAFETY: loaded above, freed once.
    unsafe { FreeLibrary(module) };
    if len == 0 {
        return Err(err);
    }
    Ok(String::from_utf16_lossy(&buf[..len as usize]))
}

fn version(path: &str) -> std::io::Result<String> {
    use windows_sys::Win32::Storage::FileSystem::{
        GetFileVersionInfoSizeW, GetFileVersionInfoW, VS_FIXEDFILEINFO, VerQueryValueW,
    };
    let wide = |s: &str| s.encode_utf16().chain(Some(0)).collect::<Vec<u16>>();
    let file = wide(path);
    // SAFETY: `file` is NUL-terminated; the handle out-parameter may be null.
    let size = unsafe { GetFileVersionInfoSizeW(file.as_ptr(), std::ptr::null_mut()) };
    if size == 0 {
        return Err(std::io::Error::last_os_error());
    }
    let mut data = vec![0u8; size as usize];
    // SAFETY: `data` holds `size` bytes, as the call is told.
    if unsafe { GetFileVersionInfoW(file.as_ptr(), 0, size, data.as_mut_ptr().cast()) } == 0 {
        return Err(std::io::Error::last_os_error());
    }
    let query = |sub: &str| -> Option<(*const u8, u32)> {
        let sub = wide(sub);
        let mut ptr = std::ptr::null_mut();
        let mut len = 0u32;
        // SAFETY: `data` is the block GetFileVersionInfoW filled; the result points into it.
        let ok = unsafe { VerQueryValueW(data.as_ptr().cast(), sub.as_ptr(), &mut ptr, &mut len) };
        (ok != 0 && !ptr.is_null()).then_some((ptr.cast::<u8>().cast_const(), len))
    };
    let mut out = String::new();
    if let Some((ptr, _)) = query("\\") {
        // SAFETY: the root block is a VS_FIXEDFILEINFO inside `data`.
        let fixed = unsafe { std::ptr::read_unaligned(ptr.cast::<VS_FIXEDFILEINFO>()) };
        out.push_str(&format!(
            "FIXED {}.{}.{}.{}\n",
            fixed.dwFileVersionMS >> 16,
            fixed.dwFileVersionMS & 0xFFFF,
            fixed.dwFileVersionLS >> 16,
            fixed.dwFileVersionLS & 0xFFFF
        ));
    }
    let (ptr, len) = query("\\VarFileInfo\\Translation")
        .ok_or_else(|| std::io::Error::other("no translation table"))?;
    if len < 4 {
        return Err(std::io::Error::other("empty translation table"));
    }
    // SAFETY: the translation table holds at least one (language, code page) pair of u16s.
    let (lang, cp) = unsafe {
        (
            std::ptr::read_unaligned(ptr.cast::<u16>()),
            std::ptr::read_unaligned(ptr.cast::<u16>().add(1)),
        )
    };
    for key in [
        "ProductName",
        "FileDescription",
        "FileVersion",
        "ProductVersion",
        "LegalCopyright",
    ] {
        if let Some((ptr, len)) = query(&format!("\\StringFileInfo\\{lang:04x}{cp:04x}\\{key}")) {
            // SAFETY: a string value is `len` UTF-16 units inside `data`, the last one NUL.
            let units = unsafe { std::slice::from_raw_parts(ptr.cast::<u16>(), len as usize) };
            let text = String::from_utf16_lossy(units);
            out.push_str(&format!("{key}={}\n", text.trim_end_matches('\0')));
        }
    }
    Ok(out)
}
