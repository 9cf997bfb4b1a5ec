//! The boundary between wufix's OS-independent core and the operating system.
//!
//! The core sees only [`Platform`] (services, elevation, restart) and a few file-system helpers
//! whose behaviour differs per OS. Every Win32 call lives under `sys/windows`; `offline` is the
//! platform for a mounted Windows installation, where there is no service manager to talk to.

use std::io;
use std::path::PathBuf;
use std::sync::mpsc::Receiver;
use std::time::Duration;

use serde::Serialize;

pub mod cmdline;
pub mod dir;
pub mod disk;
mod interrupt;
pub mod mounted;
pub mod names;
pub mod offline;
pub mod offline_registry;
#[cfg(windows)]
pub mod windows;

#[cfg(test)]
pub mod fake;
#[cfg(test)]
pub mod fake_hives;
pub mod hive;
pub mod home;

mod fs;
pub mod programs;
pub mod registry;
pub mod search;
pub mod task_file;
pub mod zone;
pub use fs::{
    free_space, hard_links, is_sharing_violation, open_lone_file_to_append, rename_noreplace,
    replace_whole,
};
pub use interrupt::InterruptGuard;
pub use registry::{NoRegistry, RegValue, Registry};

/// What a service is doing, as the service control manager reports it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum ServiceState {
    Stopped,
    StartPending,
    StopPending,
    Running,
    ContinuePending,
    PausePending,
    Paused,
}

impl ServiceState {
    /// Running or on its way there: a service in this state before a reset is started again after.
    pub fn is_active(self) -> bool {
        !matches!(self, ServiceState::Stopped | ServiceState::StopPending)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ServiceState::Stopped => "stopped",
            ServiceState::StartPending => "start-pending",
            ServiceState::StopPending => "stop-pending",
            ServiceState::Running => "running",
            ServiceState::ContinuePending => "continue-pending",
            ServiceState::PausePending => "pause-pending",
            ServiceState::Paused => "paused",
        }
    }
}

/// How a service is configured to start. wufix changes it only to put back an update service a
/// blocker disabled (the residue rung), through the service manager.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(rename_all = "kebab-case")]
pub enum StartType {
    Boot,
    System,
    Auto,
    AutoDelayed,
    Demand,
    Disabled,
}

impl StartType {
    /// Started by Windows itself at boot (delayed or not).
    pub fn is_automatic(self) -> bool {
        matches!(self, StartType::Auto | StartType::AutoDelayed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            StartType::Boot => "boot",
            StartType::System => "system",
            StartType::Auto => "auto",
            StartType::AutoDelayed => "auto-delayed",
            StartType::Demand => "demand",
            StartType::Disabled => "disabled",
        }
    }
}

/// One poll of a service's status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ServiceStatus {
    pub state: ServiceState,
    pub pid: Option<u32>,
    /// Progress counter of a pending operation; it must grow while the service works.
    pub checkpoint: u32,
    /// The service's own estimate of how long its pending operation takes.
    pub wait_hint: Duration,
    /// Why a stopped service stopped: its Win32 exit code (0 when it stopped normally) and, when
    /// that is ERROR_SERVICE_SPECIFIC_ERROR (1066), the service's own code.
    pub exit_code: u32,
    pub service_exit_code: u32,
}

impl ServiceStatus {
    /// A status with no pending operation and no exit code.
    pub fn settled(state: ServiceState) -> Self {
        ServiceStatus {
            state,
            pid: None,
            checkpoint: 0,
            wait_hint: Duration::ZERO,
            exit_code: 0,
            service_exit_code: 0,
        }
    }
}

/// Status plus configuration: what a snapshot records about one service.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ServiceInfo {
    pub status: ServiceStatus,
    pub start_type: StartType,
    /// Launch-protected (`SERVICE_CONFIG_LAUNCH_PROTECTED` not none): no program may stop it.
    pub protected: bool,
    /// The name Windows shows a person, in its own language (`None` where not read).
    pub display_name: Option<String>,
}

/// What can go wrong at the boundary, sorted into the cases the core treats differently.
#[derive(Debug, thiserror::Error)]
pub enum SysError {
    #[error("the service does not exist")]
    NoSuchService,
    #[error("the service is not running")]
    NotActive,
    #[error("the service is already running")]
    AlreadyRunning,
    #[error("the service is disabled")]
    Disabled,
    #[error("the service cannot accept a control request in its current state")]
    CannotAcceptControl,
    #[error("services that depend on it are still running")]
    DependentServicesRunning,
    #[error("access denied (the service's permissions, or its protection, forbid it)")]
    AccessDenied,
    #[error("the service does not accept this control")]
    InvalidControl,
    #[error("there is no service manager for an offline Windows installation")]
    Offline,
    #[error("it can only be read here, not written")]
    ReadOnly,
    #[error("{0}")]
    Os(#[from] io::Error),
}

impl SysError {
    /// The user said no (ERROR_CANCELLED, 1223: the UAC prompt was declined).
    pub fn is_cancelled(&self) -> bool {
        matches!(self, SysError::Os(e) if e.raw_os_error() == Some(1223))
    }
}

/// The operating system as the core needs it. Implementations must be usable from several
/// threads at once: stop requests go out concurrently.
pub trait Platform: Sync {
    /// Status and start type of a service; `None` when no such service is installed.
    fn query_service(&self, name: &str) -> Result<Option<ServiceInfo>, SysError>;
    /// A cheap status poll of a service known to exist.
    fn service_status(&self, name: &str) -> Result<ServiceStatus, SysError>;
    /// Services that depend on `name` and are running now: they must stop first and start again after.
    fn active_dependents(&self, name: &str) -> Result<Vec<String>, SysError>;
    /// Services that depend on `name`, whatever their state: which of the services a dead run
    /// stopped recovery may start again.
    fn dependents(&self, name: &str) -> Result<Vec<String>, SysError> {
        let _ = name;
        Err(SysError::Offline)
    }
    /// Ask a service to stop; returns once the request is delivered, not when it has stopped.
    fn request_stop(&self, name: &str) -> Result<(), SysError>;
    /// Ask a service to stop without waiting for the answer, which arrives on the channel. A
    /// service whose control handler hangs blocks ControlService for about 30 s; the caller keeps
    /// its own deadline and may abandon the answer.
    fn request_stop_detached(&self, name: &str) -> Receiver<Result<(), SysError>> {
        let (tx, rx) = std::sync::mpsc::channel();
        let _ = tx.send(self.request_stop(name));
        rx
    }
    /// Ask a service to start; returns once the request is delivered.
    fn request_start(&self, name: &str) -> Result<(), SysError>;
    /// Whether the scheduled task at `path` (`\Microsoft\Windows\…\Name`) is enabled; `None`
    /// when there is no such task.
    fn task_enabled(&self, path: &str) -> Result<Option<bool>, SysError> {
        let _ = path;
        Err(SysError::Offline)
    }
    /// Enable (or disable) the scheduled task at `path`.
    fn set_task_enabled(&self, path: &str, enabled: bool) -> Result<(), SysError> {
        let _ = (path, enabled);
        Err(SysError::Offline)
    }
    /// Set a service's start type through the service manager (which writes its `Start` and
    /// `DelayedAutostart` values itself and starts it so from then on).
    fn set_start_type(&self, name: &str, start: StartType) -> Result<(), SysError> {
        let _ = (name, start);
        Err(SysError::Offline)
    }
    /// A mounted Windows's registry made writable (its hives loaded: Windows PE); why not. The
    /// running Windows's registry is writable as it is.
    fn open_registry_for_writing(&self) -> Result<(), String> {
        Ok(())
    }
    /// Unload what `open_registry_for_writing` loaded; why not, with the command that does it.
    fn close_registry(&self) -> Result<(), String> {
        Ok(())
    }
    /// A mounted Windows, not the running one: no service manager, no Task Scheduler.
    fn is_offline(&self) -> bool {
        false
    }
    /// Whether this process runs with administrator rights.
    fn is_elevated(&self) -> Result<bool, SysError>;
    /// Restart Windows (with a short grace period for the user to save work).
    fn restart_windows(&self) -> Result<(), SysError>;
    /// Start this program again elevated (a UAC prompt) with `args` and
    /// `--report-pipe <name>`, in the same folder, wait for it and return its exit code and the
    /// report it handed back. The user declining the prompt is an error for which
    /// [`SysError::is_cancelled`] is true.
    fn relaunch_elevated(&self, args: &[String]) -> Result<Relaunched, SysError> {
        let _ = args;
        Err(SysError::Offline)
    }

    /// Start this program again elevated with `args` in a window of its own (a UAC prompt), and
    /// do not wait for it: the menu hands over to it.
    fn reopen_elevated(&self, args: &[String]) -> Result<(), SysError> {
        let _ = args;
        Err(SysError::Offline)
    }

    /// The processes holding any of `paths` open (the Restart Manager on Windows). Only asked
    /// after a rename or delete failed because something held a file.
    fn holders(&self, paths: &[std::path::PathBuf]) -> Result<Vec<Holder>, SysError> {
        let _ = paths;
        Err(SysError::Offline)
    }
    /// The discretionary ACL of a service's security descriptor, as SDDL (`D:...`).
    fn service_dacl(&self, name: &str) -> Result<String, SysError> {
        let _ = name;
        Err(SysError::Offline)
    }
    /// Replace a service's discretionary ACL with `sddl` (`D:...`); nothing else of it changes.
    fn set_service_dacl(&self, name: &str, sddl: &str) -> Result<(), SysError> {
        let _ = (name, sddl);
        Err(SysError::Offline)
    }
    /// Run the program at `exe` (an absolute path, never looked up through PATH) with `args`,
    /// passing each line it prints to `line` as it comes; its exit code.
    fn run_program(
        &self,
        exe: &std::path::Path,
        args: &[String],
        line: &mut dyn FnMut(&str),
    ) -> Result<u32, SysError> {
        let _ = (exe, args, line);
        Err(SysError::Offline)
    }
    /// Ask the Windows Update Agent for a real scan (`IUpdateSearcher::Search`), waiting at most
    /// `timeout`, or until `cancel` is set (then `Err` with `ErrorKind::Interrupted`): how it ended.
    fn scan_for_updates(
        &self,
        timeout: Duration,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<Scan, SysError> {
        let _ = (timeout, cancel);
        Err(SysError::Offline)
    }
    /// Whether this process has a network logon (its token carries the NETWORK SID: WinRM,
    /// SSH, a remote service call).
    fn network_logon(&self) -> Result<bool, SysError> {
        Err(SysError::Offline)
    }
    /// Register `task` (run as SYSTEM), run it once, wait for it to end (at most `timeout`, or
    /// until `cancel`: then it is stopped), and delete it on every way out: its last result.
    fn run_task(
        &self,
        task: &OneShotTask,
        timeout: Duration,
        cancel: &std::sync::atomic::AtomicBool,
    ) -> Result<u32, SysError> {
        let _ = (task, timeout, cancel);
        Err(SysError::Offline)
    }
    /// Whether this system keeps an Application log wufix may write to.
    fn has_event_log(&self) -> bool {
        false
    }
    /// Write one event to the Application log under `source` (registered already): `message`
    /// its only insertion string, `data` its binary data. The running Windows only.
    fn report_event(
        &self,
        source: &str,
        id: u32,
        level: EventLevel,
        message: &str,
        data: &[u8],
    ) -> Result<(), SysError> {
        let _ = (source, id, level, message, data);
        Err(SysError::Offline)
    }
    /// Whether the file at `path` is owned by SYSTEM, Administrators or TrustedInstaller (not
    /// by an ordinary user — this one included — who could have planted it).
    fn owned_by_trusted(&self, path: &std::path::Path) -> Result<bool, SysError> {
        let _ = path;
        Err(SysError::Offline)
    }
    /// The disk Windows runs from, its partitions, and the free space and largest folders of
    /// the system (EFI / System Reserved) and recovery partitions. Needs administrator rights;
    /// real Windows only (Wine has no partitions, a mounted disk is not read for it).
    fn disk_layout(&self) -> Result<disk::DiskLayout, SysError> {
        Err(SysError::Offline)
    }
    /// What this platform reads a Windows from, file by file, and what it could not: for a
    /// technician's mounted disk, said at the top of `diagnose`. Empty for the running Windows.
    fn sources(&self) -> Vec<String> {
        Vec::new()
    }
    /// The Active Directory domain this computer is joined to, if any.
    fn joined_domain(&self) -> Result<Option<String>, SysError> {
        Err(SysError::Offline)
    }
    /// The registry of the Windows this platform works on (online: the live one, HKLM's 64-bit
    /// view).
    fn registry(&self) -> &dyn Registry;
    /// Up to `limit` events of `channel` matching the XPath `query`, newest first, as event XML.
    fn query_events(
        &self,
        channel: &str,
        query: &str,
        limit: usize,
    ) -> Result<Vec<String>, SysError>;
    /// Secure wufix's folder `home` on the installation and claim it for one run (its lock
    /// file); `None` when another process holds it.
    fn lock_reset(&self, home: &std::path::Path) -> Result<Option<ResetLock>, SysError>;
    /// Whether a run holds the lock of `home`, found without making or changing anything.
    fn reset_lock_held(&self, home: &std::path::Path) -> Result<bool, SysError> {
        home::held(home)
    }
    /// Which of `names` (executable file names, ignoring case) run as processes now.
    fn running_processes(&self, names: &[&str]) -> Result<Vec<String>, SysError>;
    /// When the process `pid` began, in the unit [`process_started`] uses; `None` when no
    /// process has that pid. How a reader without rights tells a live run from a dead one.
    fn process_started(&self, pid: u32) -> Result<Option<u64>, SysError> {
        let _ = pid;
        Err(SysError::Offline)
    }
}

/// When this process began, as [`Platform::process_started`] tells it (Windows: FILETIME ticks;
/// Linux: clock ticks since boot), for the journal's start record.
pub fn process_started() -> Option<u64> {
    #[cfg(windows)]
    {
        windows::processes::started(std::process::id())
            .ok()
            .flatten()
    }
    #[cfg(not(windows))]
    {
        // Field 22 of /proc/self/stat, after the command name in parentheses.
        let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
        let after = &stat[stat.rfind(')')? + 2..];
        after.split_whitespace().nth(19)?.parse().ok()
    }
}

/// A process that holds a file open, as the Restart Manager names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Holder {
    pub pid: u32,
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub service: Option<String>,
}

impl Holder {
    /// `Microsoft Defender Antivirus Service (pid 3120, service WinDefend)`.
    pub fn describe(&self) -> String {
        match &self.service {
            Some(service) => format!("{} (pid {}, service {service})", self.name, self.pid),
            None => format!("{} (pid {})", self.name, self.pid),
        }
    }
}

/// How a Windows Update scan ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
pub struct Scan {
    /// The HRESULT the search returned (or its exception carried); 0 when it succeeded.
    pub hresult: u32,
    /// How many applicable updates it found, when it succeeded.
    pub updates: Option<u32>,
    /// The search did not answer within the timeout (it was asked to abort).
    pub timed_out: bool,
    /// The agent said "succeeded with errors" (`orcSucceededWithErrors`): some of what it
    /// searched failed, so this is no proof that Windows Update works.
    pub with_errors: bool,
}

impl Scan {
    pub fn succeeded(&self) -> bool {
        !self.timed_out && !self.with_errors && self.hresult & 0x8000_0000 == 0
    }
}

/// A scheduled task registered to run once as SYSTEM and be deleted (`verify`'s scan).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OneShotTask {
    /// Its name in the scheduler's root folder.
    pub name: String,
    /// The Task Scheduler 1.2 XML that defines it.
    pub xml: String,
    /// The file it writes its result to (what the caller reads afterwards).
    pub result_file: std::path::PathBuf,
}

/// How Event Viewer shows an event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventLevel {
    Information,
    Warning,
    Error,
}

/// How an elevated copy ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Relaunched {
    pub code: u32,
    /// What it printed as its report (and its errors), when it handed anything back.
    pub report: Option<String>,
}

/// Held while a reset runs; dropping it lets the next one in.
pub struct ResetLock {
    pub guard: Box<dyn Send>,
    /// What stood where wufix keeps its files and was set aside (a link, a folder someone else
    /// owns), to say.
    pub set_aside: Vec<PathBuf>,
}

impl ResetLock {
    pub fn new(guard: impl Send + 'static) -> Self {
        ResetLock {
            guard: Box::new(guard),
            set_aside: Vec::new(),
        }
    }
}

/// The Windows folder of the Windows this process runs on; `None` on other systems.
pub fn running_windows_dir() -> Option<PathBuf> {
    #[cfg(windows)]
    {
        windows::system_windows_dir().ok()
    }
    #[cfg(not(windows))]
    {
        None
    }
}

/// ProgramData of the Windows this process runs on, from the shell (never the environment);
/// `None` on other systems.
pub fn program_data() -> Option<PathBuf> {
    #[cfg(windows)]
    {
        windows::program_data().ok()
    }
    #[cfg(not(windows))]
    {
        None
    }
}

/// This machine's time zone, for the times a person reads: Windows' own rules there
/// (`zone`), the system's zone elsewhere.
pub fn local_zone() -> jiff::tz::TimeZone {
    #[cfg(windows)]
    {
        windows::local_zone()
    }
    #[cfg(not(windows))]
    {
        jiff::tz::TimeZone::system()
    }
}

/// This computer's name (the NetBIOS name on Windows, the host name elsewhere), when it can be
/// read: every JSON report carries it.
pub fn computer_name() -> Option<String> {
    #[cfg(windows)]
    {
        windows::computer_name()
    }
    #[cfg(not(windows))]
    {
        std::fs::read_to_string("/proc/sys/kernel/hostname")
            .ok()
            .map(|n| n.trim().to_string())
            .filter(|n| !n.is_empty())
    }
}

/// Whether this build can load a mounted Windows's hives to write them (Windows only).
pub fn loads_hives() -> bool {
    cfg!(windows)
}

/// A mounted Windows's `SYSTEM` and `SOFTWARE` hives, loaded to be written (Windows PE); why
/// not elsewhere, or when loading fails.
pub fn mount_hives(windows_dir: &std::path::Path) -> Result<mounted::MountedHives, String> {
    #[cfg(windows)]
    {
        windows::mount_hives(windows_dir)
    }
    #[cfg(not(windows))]
    {
        let _ = windows_dir;
        Err("a mounted Windows's registry is written only by wufix.exe on Windows PE (this system loads no hive)".into())
    }
}

/// The running system: Windows when built for it. `None` elsewhere, where only offline mode works.
pub fn online() -> Option<(Box<dyn Platform>, std::path::PathBuf)> {
    #[cfg(windows)]
    {
        windows::online()
    }
    #[cfg(not(windows))]
    {
        None
    }
}

/// From now until the guard is dropped, an interrupt (Ctrl+C; on Windows also the console window
/// closing) is the current run's, not the end of wufix: see [`InterruptGuard`].
pub fn catch_interrupts(on_interrupt: fn()) -> InterruptGuard {
    InterruptGuard::catch(on_interrupt, || {
        #[cfg(windows)]
        windows::console::install();
        // An error means a handler is already installed; it calls the same `arrive`.
        #[cfg(not(windows))]
        let _ = ctrlc::set_handler(|| {
            interrupt::arrive();
        });
    })
}

/// Windows' own message text for an error code, where the system has one (Windows only).
pub fn system_message(code: u32) -> Option<String> {
    #[cfg(windows)]
    {
        windows::message::format(code)
    }
    #[cfg(not(windows))]
    {
        let _ = code;
        None
    }
}

/// Whether wufix was started by a double-click, in a console window of its own that closes as
/// soon as it exits (Windows only).
pub fn console_is_ours() -> bool {
    #[cfg(windows)]
    {
        windows::console_is_ours()
    }
    #[cfg(not(windows))]
    {
        false
    }
}
