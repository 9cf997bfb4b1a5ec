//! The service control manager through windows-service, plus the two calls it does not wrap.
//! Each call opens its own manager and service handles (closed on drop), which keeps the platform
//! `Sync` without sharing raw handles between threads.

use std::ffi::OsStr;
use std::io;

use windows_service::service::ServiceExitCode;
use windows_service::service::{Service, ServiceAccess, ServiceStartType, ServiceState as WsState};
use windows_service::service_manager::{ServiceManager, ServiceManagerAccess};
use windows_sys::Win32::Foundation::{
    ERROR_ACCESS_DENIED, ERROR_DEPENDENT_SERVICES_RUNNING, ERROR_INVALID_SERVICE_CONTROL,
    ERROR_MORE_DATA, ERROR_SERVICE_ALREADY_RUNNING, ERROR_SERVICE_CANNOT_ACCEPT_CTRL,
    ERROR_SERVICE_DISABLED, ERROR_SERVICE_DOES_NOT_EXIST, ERROR_SERVICE_NOT_ACTIVE,
    ERROR_SERVICE_SPECIFIC_ERROR, GetLastError,
};
use windows_sys::Win32::System::Services::{
    ChangeServiceConfig2W, ChangeServiceConfigW, ENUM_SERVICE_STATUSW, EnumDependentServicesW,
    QueryServiceConfig2W, SERVICE_ACTIVE, SERVICE_AUTO_START, SERVICE_BOOT_START,
    SERVICE_CONFIG_DELAYED_AUTO_START_INFO, SERVICE_CONFIG_LAUNCH_PROTECTED,
    SERVICE_DELAYED_AUTO_START_INFO, SERVICE_DEMAND_START, SERVICE_DISABLED,
    SERVICE_ENUMERATE_DEPENDENTS, SERVICE_LAUNCH_PROTECTED_INFO, SERVICE_NO_CHANGE,
    SERVICE_STATE_ALL, SERVICE_SYSTEM_START,
};

use crate::sys::{ServiceInfo, ServiceState, ServiceStatus, StartType, SysError};

fn map_err(err: windows_service::Error) -> SysError {
    match err {
        windows_service::Error::Winapi(io) => match io.raw_os_error().map(|c| c as u32) {
            Some(ERROR_SERVICE_DOES_NOT_EXIST) => SysError::NoSuchService,
            Some(ERROR_SERVICE_NOT_ACTIVE) => SysError::NotActive,
            Some(ERROR_SERVICE_ALREADY_RUNNING) => SysError::AlreadyRunning,
            Some(ERROR_SERVICE_DISABLED) => SysError::Disabled,
            Some(ERROR_SERVICE_CANNOT_ACCEPT_CTRL) => SysError::CannotAcceptControl,
            Some(ERROR_DEPENDENT_SERVICES_RUNNING) => SysError::DependentServicesRunning,
            Some(ERROR_ACCESS_DENIED) => SysError::AccessDenied,
            Some(ERROR_INVALID_SERVICE_CONTROL) => SysError::InvalidControl,
            _ => SysError::Os(io),
        },
        other => SysError::Os(io::Error::other(other.to_string())),
    }
}

fn open(name: &str, access: ServiceAccess) -> Result<Service, SysError> {
    let manager = ServiceManager::local_computer(None::<&str>, ServiceManagerAccess::CONNECT)
        .map_err(map_err)?;
    manager.open_service(name, access).map_err(map_err)
}

fn convert_status(status: windows_service::service::ServiceStatus) -> ServiceStatus {
    let state = match status.current_state {
        WsState::Stopped => ServiceState::Stopped,
        WsState::StartPending => ServiceState::StartPending,
        WsState::StopPending => ServiceState::StopPending,
        WsState::Running => ServiceState::Running,
        WsState::ContinuePending => ServiceState::ContinuePending,
        WsState::PausePending => ServiceState::PausePending,
        WsState::Paused => ServiceState::Paused,
    };
    let (exit_code, service_exit_code) = match status.exit_code {
        ServiceExitCode::Win32(code) => (code, 0),
        ServiceExitCode::ServiceSpecific(code) => (ERROR_SERVICE_SPECIFIC_ERROR, code),
    };
    ServiceStatus {
        state,
        pid: status.process_id.filter(|pid| *pid != 0),
        checkpoint: status.checkpoint,
        wait_hint: status.wait_hint,
        exit_code,
        service_exit_code,
    }
}

pub fn query(name: &str) -> Result<Option<ServiceInfo>, SysError> {
    let service = match open(
        name,
        ServiceAccess::QUERY_STATUS | ServiceAccess::QUERY_CONFIG,
    ) {
        Ok(service) => service,
        Err(SysError::NoSuchService) => return Ok(None),
        Err(err) => return Err(err),
    };
    let status = convert_status(service.query_status().map_err(map_err)?);
    let config = service.query_config().map_err(map_err)?;
    let display_name = Some(config.display_name.to_string_lossy().into_owned())
        .filter(|n| !n.trim().is_empty() && !n.eq_ignore_ascii_case(name));
    let start_type = match config.start_type {
        ServiceStartType::AutoStart if is_delayed_auto_start(&service) => StartType::AutoDelayed,
        ServiceStartType::AutoStart => StartType::Auto,
        ServiceStartType::OnDemand => StartType::Demand,
        ServiceStartType::Disabled => StartType::Disabled,
        ServiceStartType::SystemStart => StartType::System,
        ServiceStartType::BootStart => StartType::Boot,
    };
    let protected = is_launch_protected(&service);
    Ok(Some(ServiceInfo {
        status,
        start_type,
        protected,
        display_name,
    }))
}

/// Set the start type (and, for automatic, whether delayed); nothing else of the service changes.
pub fn set_start_type(name: &str, start: StartType) -> Result<(), SysError> {
    let service = open(name, ServiceAccess::CHANGE_CONFIG)?;
    let (kind, delayed) = match start {
        StartType::Boot => (SERVICE_BOOT_START, None),
        StartType::System => (SERVICE_SYSTEM_START, None),
        StartType::Auto => (SERVICE_AUTO_START, Some(false)),
        StartType::AutoDelayed => (SERVICE_AUTO_START, Some(true)),
        StartType::Demand => (SERVICE_DEMAND_START, None),
        StartType::Disabled => (SERVICE_DISABLED, None),
    };
    let os_err = || map_err(windows_service::Error::Winapi(io::Error::last_os_error()));
    // SAFETY: the handle is open for CHANGE_CONFIG and stays open for the call; every pointer
    // argument is null, which asks the service manager to leave that part of the service as is.
    let ok = unsafe {
        ChangeServiceConfigW(
            service.raw_handle(),
            SERVICE_NO_CHANGE,
            kind,
            SERVICE_NO_CHANGE,
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    if ok == 0 {
        return Err(os_err());
    }
    if let Some(delayed) = delayed {
        let info = SERVICE_DELAYED_AUTO_START_INFO {
            fDelayedAutostart: delayed.into(),
        };
        // SAFETY: the same open handle; `info` is a SERVICE_DELAYED_AUTO_START_INFO that
        // outlives the call, which only reads it.
        let ok = unsafe {
            ChangeServiceConfig2W(
                service.raw_handle(),
                SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
                (&info as *const SERVICE_DELAYED_AUTO_START_INFO).cast(),
            )
        };
        if ok == 0 {
            return Err(os_err());
        }
    }
    Ok(())
}

/// Launch protection (WaaSMedicSvc, AppIDSvc): no unprotected program, elevated or not, may stop
/// the service. A failed query (Wine answers this one with an error) means "not protected": wufix
/// then tries, and access denied is reported as it comes.
fn is_launch_protected(service: &Service) -> bool {
    let mut info = SERVICE_LAUNCH_PROTECTED_INFO {
        dwLaunchProtected: 0,
    };
    let mut needed = 0u32;
    // SAFETY: the handle is open for QUERY_CONFIG and stays open for the call; the buffer is a
    // SERVICE_LAUNCH_PROTECTED_INFO of the size passed.
    let ok = unsafe {
        QueryServiceConfig2W(
            service.raw_handle(),
            SERVICE_CONFIG_LAUNCH_PROTECTED,
            (&mut info as *mut SERVICE_LAUNCH_PROTECTED_INFO).cast(),
            size_of::<SERVICE_LAUNCH_PROTECTED_INFO>() as u32,
            &mut needed,
        )
    };
    ok != 0 && info.dwLaunchProtected != 0
}

/// windows-service can set the delayed flag but not read it. A failed read means "not delayed".
fn is_delayed_auto_start(service: &Service) -> bool {
    let mut info = SERVICE_DELAYED_AUTO_START_INFO {
        fDelayedAutostart: 0,
    };
    let mut needed = 0u32;
    // SAFETY: the handle is open for QUERY_CONFIG and stays open for the call; the buffer is a
    // SERVICE_DELAYED_AUTO_START_INFO of the size passed.
    let ok = unsafe {
        QueryServiceConfig2W(
            service.raw_handle(),
            SERVICE_CONFIG_DELAYED_AUTO_START_INFO,
            (&mut info as *mut SERVICE_DELAYED_AUTO_START_INFO).cast(),
            size_of::<SERVICE_DELAYED_AUTO_START_INFO>() as u32,
            &mut needed,
        )
    };
    ok != 0 && info.fDelayedAutostart != 0
}

pub fn status(name: &str) -> Result<ServiceStatus, SysError> {
    let service = open(name, ServiceAccess::QUERY_STATUS)?;
    Ok(convert_status(service.query_status().map_err(map_err)?))
}

pub fn request_stop(name: &str) -> Result<(), SysError> {
    open(name, ServiceAccess::STOP)?
        .stop()
        .map_err(map_err)
        .map(drop)
}

pub fn request_start(name: &str) -> Result<(), SysError> {
    open(name, ServiceAccess::START)?
        .start::<&OsStr>(&[])
        .map_err(map_err)
}

/// Services that depend on `name` and run now.
pub fn active_dependents(name: &str) -> Result<Vec<String>, SysError> {
    dependents(name, SERVICE_ACTIVE)
}

/// Services that depend on `name`, whatever their state.
pub fn all_dependents(name: &str) -> Result<Vec<String>, SysError> {
    dependents(name, SERVICE_STATE_ALL)
}

fn dependents(name: &str, states: u32) -> Result<Vec<String>, SysError> {
    let access = ServiceAccess::from_bits_retain(SERVICE_ENUMERATE_DEPENDENTS);
    let service = open(name, access)?;
    let mut needed = 0u32;
    // The list can grow between asking for its size and reading it (a dependent installed
    // meanwhile): ask again with the new size, a few times.
    for _ in 0..4 {
        // A Vec of the struct itself keeps the buffer aligned for the array the call writes first.
        let slots = (needed as usize).div_ceil(size_of::<ENUM_SERVICE_STATUSW>());
        let mut buf: Vec<ENUM_SERVICE_STATUSW> = Vec::with_capacity(slots);
        let bytes = (slots * size_of::<ENUM_SERVICE_STATUSW>()) as u32;
        let mut count = 0u32;
        // SAFETY: the handle is open for ENUMERATE_DEPENDENTS; `buf` owns `bytes` writable,
        // suitably aligned bytes (none at first: the documented way to learn the size); the call
        // fills an array of `count` entries at its start and the strings they point to after it.
        let ok = unsafe {
            EnumDependentServicesW(
                service.raw_handle(),
                states,
                if bytes == 0 {
                    std::ptr::null_mut()
                } else {
                    buf.as_mut_ptr()
                },
                bytes,
                &mut needed,
                &mut count,
            )
        };
        if ok != 0 {
            // SAFETY: the call succeeded and initialised `count` entries at the buffer's start.
            let entries = unsafe { std::slice::from_raw_parts(buf.as_ptr(), count as usize) };
            return Ok(entries
                .iter()
                // SAFETY: each lpServiceName points at a NUL-terminated string inside `buf`.
                .map(|entry| unsafe { wide_to_string(entry.lpServiceName) })
                .collect());
        }
        // SAFETY: GetLastError only reads this thread's last-error value.
        let last = unsafe { GetLastError() };
        if last != ERROR_MORE_DATA {
            return Err(SysError::Os(io::Error::from_raw_os_error(last as i32)));
        }
    }
    Err(SysError::Os(io::Error::other(
        "the list of dependent services kept growing",
    )))
}

/// # Safety
/// `ptr` must point at a NUL-terminated UTF-16 string that stays alive during the call.
unsafe fn wide_to_string(ptr: *const u16) -> String {
    let mut len = 0;
    // SAFETY: the caller guarantees a terminating NUL, so every read up to it is in bounds.
    while unsafe { *ptr.add(len) } != 0 {
        len += 1;
    }
    // SAFETY: the `len` units before the NUL were just read and are valid.
    String::from_utf16_lossy(unsafe { std::slice::from_raw_parts(ptr, len) })
}
