//! An in-memory service manager for the core's unit tests. Windows behaviour itself is proven
//! against Wine with the real exe, never here.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, Sender};
use std::time::Duration;

use super::{
    Platform, RegValue, Registry, ResetLock, ServiceInfo, ServiceState, ServiceStatus, StartType,
    SysError,
};

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

/// The kinds of refusal a fake service can answer STOP with.
#[derive(Clone, Copy, Debug)]
pub enum SysKind {
    AccessDenied,
    InvalidControl,
    CannotAcceptControl,
}

#[derive(Clone, Debug)]
struct FakeService {
    state: ServiceState,
    start_type: StartType,
    on_stop: OnStop,
    /// Status polls a pending state lasts before it settles (start-pending → running,
    /// stop-pending → stopped).
    pending_polls: u32,
    refuse_next_stop: bool,
    /// Every STOP is refused this way.
    refuse_stop: Option<SysKind>,
    /// Launch-protected: reported by the query, and every STOP is denied.
    protected: bool,
    /// A start that "succeeds" and leaves the service stopped with these exit codes.
    start_fails: Option<(u32, u32)>,
    /// Starts that fail (as `start_fails` does) before one succeeds.
    failing_starts: u32,
    exit_codes: (u32, u32),
    /// The control handler never answers STOP.
    hangs: bool,
    /// STOP takes effect at once, but its answer never comes back.
    answers_late: bool,
    /// The control handler is busy with STOP for this many status polls (the service still
    /// running), then stops the service and answers.
    stops_late: Option<u32>,
    /// The handler answers STOP at once, the service reporting "running" for this many status
    /// polls before it stops (a handler that only signals its worker).
    accepts_then_stops: Option<u32>,
    /// Requests that fail with an unexpected OS error before one gets through.
    flaky: u32,
    /// Started again by "something else" (a trigger, usosvc) on the status query after this
    /// many seen it stopped.
    revive_after: Option<u32>,
    dependents: Vec<String>,
}

/// The answer to a stop request, sent when the request returns.
type Answer = Sender<Result<(), SysError>>;

#[derive(Default)]
struct Inner {
    services: BTreeMap<String, FakeService>,
    requests: Vec<String>,
    elevated: bool,
    /// Another reset holds the machine.
    locked: bool,
    /// Lock attempts that find it held before it comes free.
    locked_attempts: u32,
    restarts: u32,
    /// The arguments of each elevated copy started, and what each returns (`None`: the user
    /// declines the prompt).
    relaunches: Vec<Vec<String>>,
    relaunch_answer: Option<u32>,
    /// Who holds which file, for the Restart Manager question.
    holders: Vec<(std::path::PathBuf, super::Holder)>,
    keys: BTreeSet<String>,
    values: BTreeMap<(String, String), RegValue>,
    /// A key's owner and DACL as SDDL, where a test gives one.
    key_security: BTreeMap<String, String>,
    /// Keys whose security cannot be written, taking ownership or not.
    key_refused: BTreeSet<String>,
    /// Keys whose security administrators cannot read until they take ownership.
    key_unreadable: BTreeSet<String>,
    /// Keys whose values Administrators may write only while they hold full control of them.
    value_locked: BTreeSet<String>,
    /// Scheduled tasks by path (lower case): enabled or not.
    tasks: BTreeMap<String, bool>,
    /// Tasks whose state only SYSTEM may change.
    tasks_refused: BTreeSet<String>,
    /// Event XML per channel, newest first; `None` for a channel whose query fails.
    events: BTreeMap<String, Option<Vec<String>>>,
    /// Executable names of running processes.
    processes: Vec<String>,
    /// Answers never sent: the senders of hung stop requests, kept so their channels stay open.
    hung: Vec<Sender<Result<(), SysError>>>,
    /// Stops under way in a busy handler: the service, polls left, and the answer to send.
    late_stops: Vec<(String, u32, Option<Answer>)>,
    /// Each service's DACL as SDDL, and every DACL written (service, SDDL).
    dacls: BTreeMap<String, String>,
    /// Services whose DACL denies even reading it.
    dacl_locked: Vec<String>,
    dacl_writes: Vec<(String, String)>,
    domain: Option<String>,
    /// What each program (by file name, lower case) prints and exits with.
    programs: BTreeMap<String, (Vec<String>, u32)>,
    /// Every program run: its path and arguments.
    runs: Vec<(std::path::PathBuf, Vec<String>)>,
    /// Scan results, in order; the last repeats. None scripted: the scan fails with E_FAIL.
    scans: std::collections::VecDeque<super::Scan>,
    scans_asked: u32,
    /// Services a scan starts (the agent demand-starts wuauserv, as on Windows).
    scan_starts: Vec<String>,
    /// Files (journals) look planted by an ordinary user.
    planted: bool,
    /// The disk Windows runs from; none scripted: the platform cannot tell.
    disk: Option<super::disk::DiskLayout>,
    /// This process has a network logon.
    network_logon: bool,
    /// What a one-shot task does when run: the text it writes to its result file (none: it
    /// writes nothing) and its last result; `None`: the scheduler refuses the task.
    task_does: Option<(Option<String>, u32)>,
    /// Every one-shot task run, as registered.
    tasks_run: Vec<super::OneShotTask>,
    /// An Application log is kept (off by default: the event's message file is a copy of the
    /// running exe, which a test opts into).
    event_log: bool,
    /// Events written to the Application log, in order.
    written: Vec<WrittenEvent>,
    /// Writing an event fails (a full or broken log).
    events_fail: bool,
}

/// One event the fake's Application log got.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WrittenEvent {
    pub source: String,
    pub id: u32,
    pub level: super::EventLevel,
    pub message: String,
    pub data: Vec<u8>,
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
                refuse_stop: None,
                protected: false,
                start_fails: None,
                failing_starts: 0,
                exit_codes: (0, 0),
                hangs: false,
                answers_late: false,
                stops_late: None,
                accepts_then_stops: None,
                flaky: 0,
                revive_after: None,
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

    /// The first STOP fails as if a passing error (dependents still stopping) got in the way.
    pub fn refuse_first_stop(self, name: &str) -> Self {
        self.edit(name, |s| s.refuse_next_stop = true)
    }

    /// Every STOP is refused with `kind`.
    pub fn refuse_stop(self, name: &str, kind: SysKind) -> Self {
        self.edit(name, |s| s.refuse_stop = Some(kind))
    }

    /// Launch-protected, as WaaSMedicSvc is: no program may stop it.
    pub fn protected(self, name: &str) -> Self {
        self.edit(name, |s| s.protected = true)
    }

    /// Its current pending state (start- or stop-pending) lasts `polls` status queries.
    pub fn pending_for(self, name: &str, polls: u32) -> Self {
        self.edit(name, |s| s.pending_polls = polls)
    }

    /// StartService succeeds, and the service stops at once with these exit codes.
    pub fn fails_to_start(self, name: &str, exit_code: u32, service_exit_code: u32) -> Self {
        self.edit(name, |s| {
            s.start_fails = Some((exit_code, service_exit_code))
        })
    }

    /// Its control handler hangs: a STOP request never returns.
    pub fn hang_on_stop(self, name: &str) -> Self {
        self.edit(name, |s| s.hangs = true)
    }

    /// STOP is taken by a busy handler: the service runs on for `polls` status queries, then
    /// stops, and only then does the request answer (Wine's slow cryptsvc, a real slow handler).
    pub fn stops_late(self, name: &str, polls: u32) -> Self {
        self.edit(name, |s| s.stops_late = Some(polls))
    }

    /// STOP is answered at once, but the service says "running" for `polls` more status
    /// queries before it stops (its handler only signals a worker; Wine's test service).
    pub fn accepts_then_stops(self, name: &str, polls: u32) -> Self {
        self.edit(name, |s| s.accepts_then_stops = Some(polls))
    }

    /// STOP takes effect, but the request's answer is held back (a slow RPC return).
    pub fn answers_late(self, name: &str) -> Self {
        self.edit(name, |s| s.answers_late = true)
    }

    /// A process with this executable name is running.
    pub fn process(self, exe: &str) -> Self {
        self.inner.lock().unwrap().processes.push(exe.to_string());
        self
    }

    /// Something outside wufix starts or stops a service (a trigger, an admin).
    pub fn set_state(&self, name: &str, state: ServiceState) {
        self.inner
            .lock()
            .unwrap()
            .services
            .get_mut(name)
            .expect("service defined first")
            .state = state;
    }

    /// The next `count` starts of `name` succeed as requests but the service stops at once (exit
    /// 1067); later ones work.
    pub fn fails_to_start_times(self, name: &str, count: u32) -> Self {
        self.edit(name, |s| s.failing_starts = count)
    }

    /// The next `count` requests to `name` fail with an unexpected OS error.
    pub fn flaky(self, name: &str, count: u32) -> Self {
        self.edit(name, |s| s.flaky = count)
    }

    /// After being stopped, `name` is started again by something else once `polls` status
    /// queries have seen it stopped (as usosvc does to wuauserv).
    pub fn revives(self, name: &str, polls: u32) -> Self {
        self.edit(name, |s| s.revive_after = Some(polls))
    }

    /// `dependent` depends on `name`: while it runs, `name` refuses to stop.
    pub fn dependent(self, name: &str, dependent: &str) -> Self {
        self.edit(name, |s| s.dependents.push(dependent.to_string()))
    }

    /// `HKLM\\{key}` exists (and so do its parents).
    pub fn registry_key(self, key: &str) -> Self {
        let mut inner = self.inner.lock().unwrap();
        let mut path = String::new();
        for part in key.split('\\') {
            if !path.is_empty() {
                path.push('\\');
            }
            path.push_str(part);
            inner.keys.insert(path.to_ascii_lowercase());
        }
        drop(inner);
        self
    }

    pub fn registry_value(self, key: &str, name: &str, value: RegValue) -> Self {
        let this = self.registry_key(key);
        this.inner
            .lock()
            .unwrap()
            .values
            .insert((key.to_ascii_lowercase(), name.to_ascii_lowercase()), value);
        this
    }

    /// `HKLM\\{key}`'s owner and DACL, as SDDL.
    pub fn key_security(self, key: &str, sddl: &str) -> Self {
        self.inner
            .lock()
            .unwrap()
            .key_security
            .insert(key.to_ascii_lowercase(), sddl.to_string());
        self.registry_key(key)
    }

    /// The scheduled task at `path`, enabled or not.
    pub fn task(self, path: &str, enabled: bool) -> Self {
        self.inner
            .lock()
            .unwrap()
            .tasks
            .insert(path.to_ascii_lowercase(), enabled);
        self
    }

    /// Changing the task at `path` is refused (as Windows refuses administrators for some).
    pub fn task_refused(self, path: &str) -> Self {
        self.inner
            .lock()
            .unwrap()
            .tasks_refused
            .insert(path.to_ascii_lowercase());
        self
    }

    /// `key`'s values may be written only while Administrators hold full control of it (its
    /// security says `(A;CI;KA;;;BA)`), as WaaSMedicSvc's key on Windows.
    pub fn value_locked(self, key: &str) -> Self {
        self.inner
            .lock()
            .unwrap()
            .value_locked
            .insert(key.to_ascii_lowercase());
        self
    }

    /// `key`'s security cannot be read by administrators until they own it.
    pub fn key_unreadable(self, key: &str) -> Self {
        self.inner
            .lock()
            .unwrap()
            .key_unreadable
            .insert(key.to_ascii_lowercase());
        self
    }

    /// Writing `key`'s security is refused (even after taking ownership).
    pub fn key_refused(self, key: &str) -> Self {
        self.inner
            .lock()
            .unwrap()
            .key_refused
            .insert(key.to_ascii_lowercase());
        self
    }

    /// `service`'s DACL.
    pub fn dacl(self, service: &str, sddl: &str) -> Self {
        self.inner
            .lock()
            .unwrap()
            .dacls
            .insert(service.to_ascii_lowercase(), sddl.to_string());
        self
    }

    /// Its permissions deny reading them (what an update blocker leaves).
    pub fn dacl_locked(self, service: &str) -> Self {
        self.inner
            .lock()
            .unwrap()
            .dacl_locked
            .push(service.to_ascii_lowercase());
        self
    }

    pub fn dacl_writes(&self) -> Vec<(String, String)> {
        self.inner.lock().unwrap().dacl_writes.clone()
    }

    pub fn disk(self, layout: super::disk::DiskLayout) -> Self {
        self.inner.lock().unwrap().disk = Some(layout);
        self
    }

    pub fn joined_to(self, domain: &str) -> Self {
        self.inner.lock().unwrap().domain = Some(domain.to_string());
        self
    }

    /// The program named `exe` (a file name) prints `lines` and exits with `code`.
    pub fn program(self, exe: &str, lines: &[&str], code: u32) -> Self {
        self.inner.lock().unwrap().programs.insert(
            exe.to_ascii_lowercase(),
            (lines.iter().map(|l| l.to_string()).collect(), code),
        );
        self
    }

    pub fn runs(&self) -> Vec<(std::path::PathBuf, Vec<String>)> {
        self.inner.lock().unwrap().runs.clone()
    }

    /// The scans answer these, in order (the last repeats).
    pub fn scans(self, scans: &[super::Scan]) -> Self {
        self.inner.lock().unwrap().scans = scans.iter().copied().collect();
        self
    }

    /// Every file is owned by an ordinary user, not an administrator.
    pub fn files_planted(self) -> Self {
        self.inner.lock().unwrap().planted = true;
        self
    }

    /// Each scan starts this service, as Windows Update's scan demand-starts wuauserv.
    pub fn scan_starts(self, name: &str) -> Self {
        self.inner
            .lock()
            .unwrap()
            .scan_starts
            .push(name.to_ascii_lowercase());
        self
    }

    pub fn scans_asked(&self) -> u32 {
        self.inner.lock().unwrap().scans_asked
    }

    /// The events `channel` holds (newest first), or `None` for a log that cannot be read.
    pub fn events(self, channel: &str, events: Option<Vec<String>>) -> Self {
        self.inner
            .lock()
            .unwrap()
            .events
            .insert(channel.to_string(), events);
        self
    }

    /// Events written so far.
    pub fn written_events(&self) -> Vec<WrittenEvent> {
        self.inner.lock().unwrap().written.clone()
    }

    /// This process has a network logon (WinRM, SSH).
    pub fn network_logon(self) -> Self {
        self.inner.lock().unwrap().network_logon = true;
        self
    }

    /// A one-shot task, when run, writes `result` (if any) to its result file and ends with
    /// `code`.
    pub fn task_does(self, result: Option<&str>, code: u32) -> Self {
        self.inner.lock().unwrap().task_does = Some((result.map(str::to_string), code));
        self
    }

    /// The one-shot tasks run so far.
    pub fn tasks_run(&self) -> Vec<super::OneShotTask> {
        self.inner.lock().unwrap().tasks_run.clone()
    }

    /// An Application log is kept.
    pub fn event_log(self) -> Self {
        self.inner.lock().unwrap().event_log = true;
        self
    }

    /// Every event write fails.
    pub fn events_fail(self) -> Self {
        self.inner.lock().unwrap().events_fail = true;
        self
    }

    /// Another reset is running.
    /// The lock is held for the next `attempts` tries, then free (a `status` run's instant).
    pub fn locked_for(self, attempts: u32) -> Self {
        self.inner.lock().unwrap().locked_attempts = attempts;
        self
    }

    pub fn locked(self) -> Self {
        self.inner.lock().unwrap().locked = true;
        self
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

    /// The elevated copy, when started, exits with `code`; without this the user declines.
    pub fn elevated_copy_exits_with(self, code: u32) -> Self {
        self.inner.lock().unwrap().relaunch_answer = Some(code);
        self
    }

    /// `holder` holds `path` open.
    pub fn held_by(self, path: &std::path::Path, holder: super::Holder) -> Self {
        self.inner
            .lock()
            .unwrap()
            .holders
            .push((path.to_path_buf(), holder));
        self
    }

    pub fn relaunches(&self) -> Vec<Vec<String>> {
        self.inner.lock().unwrap().relaunches.clone()
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
        exit_code: service.exit_codes.0,
        service_exit_code: service.exit_codes.1,
    }
}

/// "Something else" starts a stopped service again once it has been seen stopped enough times.
fn revive(service: &mut FakeService) {
    if service.state == ServiceState::Stopped {
        match service.revive_after {
            Some(0) => {
                service.revive_after = None;
                service.state = ServiceState::Running;
            }
            Some(n) => service.revive_after = Some(n - 1),
            None => {}
        }
    }
}

impl Default for FakePlatform {
    fn default() -> Self {
        Self::new()
    }
}

impl Platform for FakePlatform {
    fn query_service(&self, name: &str) -> Result<Option<ServiceInfo>, SysError> {
        let mut inner = self.inner.lock().unwrap();
        // The service manager's names are case-insensitive.
        let name = &service_key(&inner, name);
        if let Some(service) = inner.services.get_mut(name) {
            revive(service);
        }
        Ok(inner.services.get(name).map(|s| ServiceInfo {
            status: status_of(s),
            start_type: s.start_type,
            protected: s.protected,
            display_name: None,
        }))
    }

    fn service_status(&self, name: &str) -> Result<ServiceStatus, SysError> {
        let mut inner = self.inner.lock().unwrap();
        // A busy handler finishing its STOP: the service stops, then the request answers.
        let mut finished = Vec::new();
        inner.late_stops.retain_mut(|(service, polls, tx)| {
            if !service.eq_ignore_ascii_case(name) {
                return true;
            }
            if *polls > 0 {
                *polls -= 1;
                return true;
            }
            finished.push(tx.clone());
            false
        });
        if !finished.is_empty() {
            if let Some(service) = inner.services.get_mut(name) {
                service.state = ServiceState::Stopped;
            }
            for tx in finished.into_iter().flatten() {
                let _ = tx.send(Ok(()));
            }
        }
        let service = inner
            .services
            .get_mut(name)
            .ok_or(SysError::NoSuchService)?;
        revive(service);
        let status = status_of(service);
        let settled = match service.state {
            ServiceState::StopPending => ServiceState::Stopped,
            ServiceState::StartPending => ServiceState::Running,
            _ => return Ok(status),
        };
        if service.pending_polls == 0 {
            service.state = settled;
            return Ok(status_of(service));
        }
        service.pending_polls -= 1;
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

    fn dependents(&self, name: &str) -> Result<Vec<String>, SysError> {
        let inner = self.inner.lock().unwrap();
        let service = inner.services.get(name).ok_or(SysError::NoSuchService)?;
        Ok(service.dependents.clone())
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
        if service.flaky > 0 {
            service.flaky -= 1;
            return Err(SysError::Os(std::io::Error::other("invalid handle")));
        }
        if service.protected {
            return Err(SysError::AccessDenied);
        }
        match service.refuse_stop {
            Some(SysKind::AccessDenied) => return Err(SysError::AccessDenied),
            Some(SysKind::InvalidControl) => return Err(SysError::InvalidControl),
            Some(SysKind::CannotAcceptControl) => return Err(SysError::CannotAcceptControl),
            None => {}
        }
        if service.refuse_next_stop {
            service.refuse_next_stop = false;
            return Err(SysError::DependentServicesRunning);
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
        match service.start_fails {
            Some(codes) => service.exit_codes = codes,
            None if service.failing_starts > 0 => {
                service.failing_starts -= 1;
                service.exit_codes = (1067, 0);
            }
            None => service.state = ServiceState::Running,
        }
        Ok(())
    }

    fn task_enabled(&self, path: &str) -> Result<Option<bool>, SysError> {
        let inner = self.inner.lock().unwrap();
        Ok(inner.tasks.get(&path.to_ascii_lowercase()).copied())
    }

    fn set_task_enabled(&self, path: &str, enabled: bool) -> Result<(), SysError> {
        let mut inner = self.inner.lock().unwrap();
        let path = path.to_ascii_lowercase();
        if inner.tasks_refused.contains(&path) {
            return Err(SysError::AccessDenied);
        }
        match inner.tasks.get_mut(&path) {
            Some(state) => {
                *state = enabled;
                Ok(())
            }
            None => Err(SysError::NoSuchService),
        }
    }

    fn set_start_type(&self, name: &str, start: StartType) -> Result<(), SysError> {
        let mut inner = self.inner.lock().unwrap();
        inner
            .requests
            .push(format!("config {name} {}", start.as_str()));
        let found = service_key(&inner, name);
        let service = inner
            .services
            .get_mut(&found)
            .ok_or(SysError::NoSuchService)?;
        if service.protected {
            return Err(SysError::AccessDenied);
        }
        service.start_type = start;
        // The service manager keeps the registry in step, as Windows' does.
        let key = format!(
            r"system\currentcontrolset\services\{}",
            name.to_ascii_lowercase()
        );
        let code = match start {
            StartType::Boot => 0,
            StartType::System => 1,
            StartType::Auto | StartType::AutoDelayed => 2,
            StartType::Demand => 3,
            StartType::Disabled => 4,
        };
        inner
            .values
            .insert((key.clone(), "start".into()), RegValue::dword(code));
        if code == 2 {
            let delayed = u32::from(start == StartType::AutoDelayed);
            inner
                .values
                .insert((key, "delayedautostart".into()), RegValue::dword(delayed));
        }
        Ok(())
    }

    fn request_stop_detached(&self, name: &str) -> Receiver<Result<(), SysError>> {
        let (tx, rx) = mpsc::channel();
        let (hangs, late) = self
            .inner
            .lock()
            .unwrap()
            .services
            .get(name)
            .map_or((false, false), |s| (s.hangs, s.answers_late));
        let (busy, accepts) = self
            .inner
            .lock()
            .unwrap()
            .services
            .get(name)
            .map_or((None, None), |s| (s.stops_late, s.accepts_then_stops));
        if let Some(polls) = busy {
            let mut inner = self.inner.lock().unwrap();
            inner.requests.push(format!("stop {name}"));
            inner.late_stops.push((name.to_string(), polls, Some(tx)));
            return rx;
        }
        if let Some(polls) = accepts {
            let mut inner = self.inner.lock().unwrap();
            inner.requests.push(format!("stop {name}"));
            inner.late_stops.push((name.to_string(), polls, None));
            let _ = tx.send(Ok(()));
            return rx;
        }
        if late {
            let _ = self.request_stop(name);
            self.inner.lock().unwrap().hung.push(tx);
        } else if hangs {
            let mut inner = self.inner.lock().unwrap();
            inner.requests.push(format!("stop {name}"));
            inner.hung.push(tx);
        } else {
            let _ = tx.send(self.request_stop(name));
        }
        rx
    }

    fn running_processes(&self, names: &[&str]) -> Result<Vec<String>, SysError> {
        let inner = self.inner.lock().unwrap();
        Ok(inner
            .processes
            .iter()
            .filter(|p| names.iter().any(|n| n.eq_ignore_ascii_case(p)))
            .cloned()
            .collect())
    }

    fn is_elevated(&self) -> Result<bool, SysError> {
        Ok(self.inner.lock().unwrap().elevated)
    }

    fn restart_windows(&self) -> Result<(), SysError> {
        self.inner.lock().unwrap().restarts += 1;
        Ok(())
    }

    fn holders(&self, paths: &[std::path::PathBuf]) -> Result<Vec<super::Holder>, SysError> {
        let inner = self.inner.lock().unwrap();
        Ok(inner
            .holders
            .iter()
            .filter(|(path, _)| paths.contains(path))
            .map(|(_, holder)| holder.clone())
            .collect())
    }

    fn relaunch_elevated(&self, args: &[String]) -> Result<super::Relaunched, SysError> {
        let mut inner = self.inner.lock().unwrap();
        inner.relaunches.push(args.to_vec());
        let code = inner
            .relaunch_answer
            .ok_or_else(|| SysError::Os(std::io::Error::from_raw_os_error(1223)))?;
        Ok(super::Relaunched {
            code,
            report: Some(format!("the elevated copy's report (exit {code})\n")),
        })
    }

    fn registry(&self) -> &dyn Registry {
        self
    }

    fn reset_lock_held(&self, _home: &std::path::Path) -> Result<bool, SysError> {
        Ok(self.inner.lock().unwrap().locked)
    }

    fn lock_reset(&self, _home: &std::path::Path) -> Result<Option<ResetLock>, SysError> {
        let mut inner = self.inner.lock().unwrap();
        if inner.locked_attempts > 0 {
            inner.locked_attempts -= 1;
            return Ok(None);
        }
        Ok((!inner.locked).then(|| ResetLock::new(())))
    }

    fn service_dacl(&self, name: &str) -> Result<String, SysError> {
        let inner = self.inner.lock().unwrap();
        if !inner.services.contains_key(&name.to_ascii_lowercase()) {
            return Err(SysError::NoSuchService);
        }
        if inner.dacl_locked.contains(&name.to_ascii_lowercase()) {
            return Err(SysError::AccessDenied);
        }
        Ok(inner
            .dacls
            .get(&name.to_ascii_lowercase())
            .cloned()
            .unwrap_or_else(|| "D:".into()))
    }

    fn set_service_dacl(&self, name: &str, sddl: &str) -> Result<(), SysError> {
        let mut inner = self.inner.lock().unwrap();
        inner
            .dacls
            .insert(name.to_ascii_lowercase(), sddl.to_string());
        inner.dacl_writes.push((name.to_string(), sddl.to_string()));
        Ok(())
    }

    fn run_program(
        &self,
        exe: &std::path::Path,
        args: &[String],
        line: &mut dyn FnMut(&str),
    ) -> Result<u32, SysError> {
        let name = exe
            .file_name()
            .map(|n| n.to_string_lossy().to_ascii_lowercase())
            .unwrap_or_default();
        let answer = {
            let mut inner = self.inner.lock().unwrap();
            inner.runs.push((exe.to_path_buf(), args.to_vec()));
            inner.programs.get(&name).cloned()
        };
        let (lines, code) = answer.ok_or_else(|| {
            SysError::Os(std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "no such program",
            ))
        })?;
        for l in &lines {
            line(l);
        }
        Ok(code)
    }

    fn has_event_log(&self) -> bool {
        self.inner.lock().unwrap().event_log
    }

    fn network_logon(&self) -> Result<bool, SysError> {
        Ok(self.inner.lock().unwrap().network_logon)
    }

    fn run_task(
        &self,
        task: &super::OneShotTask,
        _timeout: Duration,
        _cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<u32, SysError> {
        let mut inner = self.inner.lock().unwrap();
        inner.tasks_run.push(task.clone());
        let Some((result, code)) = inner.task_does.clone() else {
            return Err(SysError::Os(std::io::Error::other(
                "the Task Scheduler service is not running",
            )));
        };
        if let Some(text) = result {
            std::fs::write(&task.result_file, text).map_err(SysError::Os)?;
        }
        Ok(code)
    }

    fn report_event(
        &self,
        source: &str,
        id: u32,
        level: super::EventLevel,
        message: &str,
        data: &[u8],
    ) -> Result<(), SysError> {
        let mut inner = self.inner.lock().unwrap();
        if inner.events_fail {
            return Err(SysError::Os(std::io::Error::other("the event log is full")));
        }
        inner.written.push(WrittenEvent {
            source: source.to_string(),
            id,
            level,
            message: message.to_string(),
            data: data.to_vec(),
        });
        Ok(())
    }

    fn scan_for_updates(
        &self,
        _timeout: Duration,
        _cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<super::Scan, SysError> {
        let mut inner = self.inner.lock().unwrap();
        inner.scans_asked += 1;
        for name in inner.scan_starts.clone() {
            if let Some(service) = inner.services.get_mut(&name) {
                service.state = ServiceState::Running;
            }
        }
        let scan = if inner.scans.len() > 1 {
            inner.scans.pop_front()
        } else {
            inner.scans.front().copied()
        };
        Ok(scan.unwrap_or(super::Scan {
            hresult: 0x8000_4005,
            updates: None,
            timed_out: false,
            with_errors: false,
        }))
    }

    fn owned_by_trusted(&self, _path: &std::path::Path) -> Result<bool, SysError> {
        Ok(!self.inner.lock().unwrap().planted)
    }

    fn joined_domain(&self) -> Result<Option<String>, SysError> {
        Ok(self.inner.lock().unwrap().domain.clone())
    }

    /// As Windows answers: a process without administrator rights cannot open the disk.
    fn disk_layout(&self) -> Result<super::disk::DiskLayout, SysError> {
        let inner = self.inner.lock().unwrap();
        if !inner.elevated {
            return Err(SysError::AccessDenied);
        }
        inner.disk.clone().ok_or(SysError::Offline)
    }

    /// This test process is the only one the fake knows: a journal's pid is some other run's.
    fn process_started(&self, pid: u32) -> Result<Option<u64>, SysError> {
        Ok((pid == std::process::id()).then(|| super::process_started().unwrap_or(1)))
    }

    fn query_events(
        &self,
        channel: &str,
        _query: &str,
        limit: usize,
    ) -> Result<Vec<String>, SysError> {
        match self.inner.lock().unwrap().events.get(channel) {
            Some(Some(events)) => Ok(events.iter().take(limit).cloned().collect()),
            Some(None) => Err(SysError::Os(std::io::Error::other(
                "the channel cannot be read",
            ))),
            None => Ok(Vec::new()),
        }
    }
}

/// An in-memory HKLM: keys and names compared ignoring case, as Windows does.
/// The name `name` is kept under, matched as the service manager matches: ignoring case.
fn service_key(inner: &Inner, name: &str) -> String {
    inner
        .services
        .keys()
        .find(|k| k.eq_ignore_ascii_case(name))
        .cloned()
        .unwrap_or_else(|| name.to_string())
}

impl Registry for FakePlatform {
    fn key_exists(&self, key: &str) -> Result<bool, SysError> {
        Ok(self
            .inner
            .lock()
            .unwrap()
            .keys
            .contains(&key.to_ascii_lowercase()))
    }

    fn value(&self, key: &str, name: &str) -> Result<Option<RegValue>, SysError> {
        let inner = self.inner.lock().unwrap();
        Ok(inner
            .values
            .get(&(key.to_ascii_lowercase(), name.to_ascii_lowercase()))
            .cloned())
    }

    fn values(&self, key: &str) -> Result<Vec<(String, RegValue)>, SysError> {
        let key = key.to_ascii_lowercase();
        let inner = self.inner.lock().unwrap();
        Ok(inner
            .values
            .iter()
            .filter(|((k, _), _)| *k == key)
            .map(|((_, name), value)| (name.clone(), value.clone()))
            .collect())
    }

    fn subkeys(&self, key: &str) -> Result<Vec<String>, SysError> {
        let prefix = format!("{}\\", key.to_ascii_lowercase());
        let inner = self.inner.lock().unwrap();
        let mut names: Vec<String> = inner
            .keys
            .iter()
            .filter_map(|k| k.strip_prefix(&prefix))
            .filter(|rest| !rest.contains('\\'))
            .map(str::to_string)
            .collect();
        names.dedup();
        Ok(names)
    }

    fn key_security(&self, key: &str) -> Result<Option<String>, SysError> {
        let key = key.to_ascii_lowercase();
        let inner = self.inner.lock().unwrap();
        if !inner.keys.contains(&key) {
            return Ok(None);
        }
        if inner.key_unreadable.contains(&key) {
            return Err(SysError::AccessDenied);
        }
        Ok(Some(inner.key_security.get(&key).cloned().unwrap_or_else(
            || "O:BAD:(A;;KA;;;SY)(A;;KA;;;BA)".into(),
        )))
    }

    fn take_key_ownership(&self, key: &str) -> Result<(), SysError> {
        let key = key.to_ascii_lowercase();
        let mut inner = self.inner.lock().unwrap();
        if inner.key_refused.contains(&key) {
            return Err(SysError::AccessDenied);
        }
        inner.requests.push(format!("take-ownership {key}"));
        inner.key_unreadable.remove(&key);
        let owned = match inner.key_security.get(&key) {
            Some(sd) => match sd.find("D:") {
                Some(at) => format!("O:BA{}", &sd[at..]),
                None => "O:BA".to_string(),
            },
            None => "O:BAD:(A;;KA;;;SY)(A;;KA;;;BA)".to_string(),
        };
        inner.key_security.insert(key, owned);
        Ok(())
    }

    fn set_key_security(&self, key: &str, sddl: &str) -> Result<(), SysError> {
        let key = key.to_ascii_lowercase();
        let mut inner = self.inner.lock().unwrap();
        if inner.key_refused.contains(&key) || inner.key_unreadable.contains(&key) {
            return Err(SysError::AccessDenied);
        }
        inner.requests.push(format!("key-security {key}"));
        inner.key_security.insert(key, sddl.to_string());
        Ok(())
    }

    fn set_value(&self, key: &str, name: &str, value: Option<&RegValue>) -> Result<(), SysError> {
        let mut inner = self.inner.lock().unwrap();
        let lower = key.to_ascii_lowercase();
        if inner.value_locked.contains(&lower)
            && !inner
                .key_security
                .get(&lower)
                .is_some_and(|sd| sd.contains("(A;CI;KA;;;BA)"))
        {
            return Err(SysError::AccessDenied);
        }
        let at = (key.to_ascii_lowercase(), name.to_ascii_lowercase());
        match value {
            Some(v) => {
                inner.keys.insert(key.to_ascii_lowercase());
                inner.values.insert(at, v.clone());
            }
            None => {
                inner.values.remove(&at);
            }
        }
        Ok(())
    }
}
