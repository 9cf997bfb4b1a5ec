//! The platform for a mounted Windows installation: files only, no service manager.

use std::path::PathBuf;

use super::offline_registry::HiveRegistry;
use super::{Platform, Registry, ResetLock, ServiceInfo, ServiceStatus, SysError};

/// Offline mode never plans a service step nor reads the event log, so every such call is a
/// plain error. Its registry is the installation's own hives, read on first use.
pub struct Offline {
    /// The installation's Windows folder: what the reset lock is taken on.
    pub windows_dir: PathBuf,
    hives: std::sync::OnceLock<HiveRegistry>,
}

impl Offline {
    pub fn new(windows_dir: PathBuf) -> Self {
        Offline {
            windows_dir,
            hives: std::sync::OnceLock::new(),
        }
    }

    /// The hives, read once.
    pub fn hives(&self) -> &HiveRegistry {
        self.hives
            .get_or_init(|| HiveRegistry::open(&self.windows_dir))
    }
}

impl Platform for Offline {
    fn query_service(&self, _name: &str) -> Result<Option<ServiceInfo>, SysError> {
        Err(SysError::Offline)
    }
    fn service_status(&self, _name: &str) -> Result<ServiceStatus, SysError> {
        Err(SysError::Offline)
    }
    fn active_dependents(&self, _name: &str) -> Result<Vec<String>, SysError> {
        Err(SysError::Offline)
    }
    fn request_stop(&self, _name: &str) -> Result<(), SysError> {
        Err(SysError::Offline)
    }
    fn request_start(&self, _name: &str) -> Result<(), SysError> {
        Err(SysError::Offline)
    }
    fn is_elevated(&self) -> Result<bool, SysError> {
        // Offline repairs need only file permissions, which the file operations report themselves.
        Ok(true)
    }
    fn restart_windows(&self) -> Result<(), SysError> {
        Err(SysError::Offline)
    }
    fn registry(&self) -> &dyn Registry {
        self.hives()
    }
    fn task_enabled(&self, path: &str) -> Result<Option<bool>, SysError> {
        Ok(super::task_file::enabled(&self.windows_dir, path)?)
    }
    fn sources(&self) -> Vec<String> {
        let mut out = self.hives().describe();
        let logs = self
            .windows_dir
            .join("System32")
            .join("winevt")
            .join("Logs");
        out.push(format!(
            "not read: {} (event logs are read from a running Windows only; the servicing and Setup logs are read instead)",
            logs.join("System.evtx").display()
        ));
        out
    }
    fn query_events(
        &self,
        _channel: &str,
        _query: &str,
        _limit: usize,
    ) -> Result<Vec<String>, SysError> {
        Err(SysError::Offline)
    }
    fn lock_reset(&self, home: &std::path::Path) -> Result<Option<ResetLock>, SysError> {
        super::home::lock(home)
    }
    fn running_processes(&self, _names: &[&str]) -> Result<Vec<String>, SysError> {
        Err(SysError::Offline)
    }
}
