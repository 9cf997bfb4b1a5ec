//! The platform for a mounted Windows installation: files only, no service manager.

use std::path::PathBuf;

use super::{NoRegistry, Platform, Registry, ResetLock, ServiceInfo, ServiceStatus, SysError};

/// Offline mode never plans a service step nor reads the live registry or event log, so every
/// such call is a plain error. (Its registry is not read yet: [`NoRegistry`].)
pub struct Offline {
    /// The installation's Windows folder: what the reset lock is taken on.
    pub windows_dir: PathBuf,
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
        &NoRegistry
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
