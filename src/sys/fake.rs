//! An in-memory service manager for the core's unit tests. Windows behaviour itself is proven
//! against Wine with the real exe, never here.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Duration;

use super::{Platform, ServiceInfo, ServiceState, ServiceStatus, StartType, SysError};

/// What a fake service does with a STOP request.
#[derive(Clone, Copy, Debug)]
pub enum OnStop {
    Obey,
    /// Reports stop-pending for this many status polls, then stopped.
    Pending {
        polls: u32,
        wait_hint: Duration,
    },
    /// Accepts the request and keeps running.
    Ignore,
}

#[derive(Clone, Debug)]
struct FakeService {
    state: ServiceState,
    start_type: StartType,
    on_stop: OnStop,
    pending_polls: u32,
    refuse_next_stop: bool,
    dependents: Vec<String>,
}

#[derive(Default)]
struct Inner {
    services: BTreeMap<String, FakeService>,
    requests: Vec<String>,
    elevated: bool,
    restarts: u32,
}

pub struct FakePlatform {
    inner: Mutex<Inner>,
}

impl FakePlatform {
    pub fn new() -> Self {
        FakePlatform {
            inner: Mutex::new(Inner {
                elevated: true,
                ..Inner::default()
            }),
        }
    }

    pub fn service(self, name: &str, state: ServiceState, start_type: StartType) -> Self {
        self.inner.lock().unwrap().services.insert(
            name.to_string(),
            FakeService {
                state,
                start_type,
                on_stop: OnStop::Obey,
                pending_polls: 0,
                refuse_next_stop: false,
                dependents: Vec::new(),
            },
        );
        self
    }

    fn edit(self, name: &str, change: impl FnOnce(&mut FakeService)) -> Self {
        change(
            self.inner
                .lock()
                .unwrap()
                .services
                .get_mut(name)
                .expect("service defined first"),
        );
        self
    }

    pub fn on_stop(self, name: &str, on_stop: OnStop) -> Self {
        self.edit(name, |s| s.on_stop = on_stop)
    }

    /// The first STOP fails as if the service could not accept controls yet.
    pub fn refuse_first_stop(self, name: &str) -> Self {
        self.edit(name, |s| s.refuse_next_stop = true)
    }

    /// `dependent` depends on `name`: while it runs, `name` refuses to stop.
    pub fn dependent(self, name: &str, dependent: &str) -> Self {
        self.edit(name, |s| s.dependents.push(dependent.to_string()))
    }

    pub fn not_elevated(self) -> Self {
        self.inner.lock().unwrap().elevated = false;
        self
    }

    pub fn state(&self, name: &str) -> ServiceState {
        self.inner.lock().unwrap().services[name].state
    }

    /// Every stop and start request, in order, as `"stop NAME"` / `"start NAME"`.
    pub fn requests(&self) -> Vec<String> {
        self.inner.lock().unwrap().requests.clone()
    }

    pub fn restarts(&self) -> u32 {
        self.inner.lock().unwrap().restarts
    }
}

fn status_of(service: &FakeService) -> ServiceStatus {
    let (checkpoint, wait_hint) = match (service.state, service.on_stop) {
        (ServiceState::StopPending, OnStop::Pending { wait_hint, polls }) => {
            (polls - service.pending_polls + 1, wait_hint)
        }
        _ => (0, Duration::ZERO),
    };
    ServiceStatus {
        state: service.state,
        pid: None,
        checkpoint,
        wait_hint,
    }
}

impl Default for FakePlatform {
    fn default() -> Self {
        Self::new()
    }
}

impl Platform for FakePlatform {
    fn query_service(&self, name: &str) -> Result<Option<ServiceInfo>, SysError> {
        let inner = self.inner.lock().unwrap();
        Ok(inner.services.get(name).map(|s| ServiceInfo {
            status: status_of(s),
            start_type: s.start_type,
        }))
    }

    fn service_status(&self, name: &str) -> Result<ServiceStatus, SysError> {
        let mut inner = self.inner.lock().unwrap();
        let service = inner
            .services
            .get_mut(name)
            .ok_or(SysError::NoSuchService)?;
        let status = status_of(service);
        if service.state == ServiceState::StopPending {
            if service.pending_polls == 0 {
                service.state = ServiceState::Stopped;
                return Ok(status_of(service));
            }
            service.pending_polls -= 1;
        }
        Ok(status)
    }

    fn active_dependents(&self, name: &str) -> Result<Vec<String>, SysError> {
        let inner = self.inner.lock().unwrap();
        let service = inner.services.get(name).ok_or(SysError::NoSuchService)?;
        Ok(service
            .dependents
            .iter()
            .filter(|d| inner.services.get(*d).is_some_and(|s| s.state.is_active()))
            .cloned()
            .collect())
    }

    fn request_stop(&self, name: &str) -> Result<(), SysError> {
        let mut inner = self.inner.lock().unwrap();
        inner.requests.push(format!("stop {name}"));
        let dependents_running = {
            let service = inner.services.get(name).ok_or(SysError::NoSuchService)?;
            service
                .dependents
                .iter()
                .any(|d| inner.services.get(d).is_some_and(|s| s.state.is_active()))
        };
        let service = inner.services.get_mut(name).expect("checked above");
        if service.refuse_next_stop {
            service.refuse_next_stop = false;
            return Err(SysError::CannotAcceptControl);
        }
        if dependents_running {
            return Err(SysError::DependentServicesRunning);
        }
        if !service.state.is_active() {
            return Err(SysError::NotActive);
        }
        match service.on_stop {
            OnStop::Obey => service.state = ServiceState::Stopped,
            OnStop::Pending { polls, .. } => {
                service.state = ServiceState::StopPending;
                service.pending_polls = polls;
            }
            OnStop::Ignore => {}
        }
        Ok(())
    }

    fn request_start(&self, name: &str) -> Result<(), SysError> {
        let mut inner = self.inner.lock().unwrap();
        inner.requests.push(format!("start {name}"));
        let service = inner
            .services
            .get_mut(name)
            .ok_or(SysError::NoSuchService)?;
        if service.start_type == StartType::Disabled {
            return Err(SysError::Disabled);
        }
        if service.state.is_active() {
            return Err(SysError::AlreadyRunning);
        }
        service.state = ServiceState::Running;
        Ok(())
    }

    fn is_elevated(&self) -> Result<bool, SysError> {
        Ok(self.inner.lock().unwrap().elevated)
    }

    fn restart_windows(&self) -> Result<(), SysError> {
        self.inner.lock().unwrap().restarts += 1;
        Ok(())
    }
}
