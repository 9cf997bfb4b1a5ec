//! The platform for a mounted Windows installation: files only, no service manager.

use super::{Platform, RegValue, ResetLock, ServiceInfo, ServiceStatus, SysError};

/// Offline mode never plans a service step nor reads the live registry or event log, so every
/// such call is a plain error. (The offline hives could be read one day; not yet.)
pub struct Offline;

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
    fn registry_key_exists(&self, _key: &str) -> Result<bool, SysError> {
        Err(SysError::Offline)
    }
    fn registry_value(&self, _key: &str, _name: &str) -> Result<Option<RegValue>, SysError> {
        Err(SysError::Offline)
    }
    fn query_events(
        &self,
        _channel: &str,
        _query: &str,
        _limit: usize,
    ) -> Result<Vec<String>, SysError> {
        Err(SysError::Offline)
    }
    fn lock_reset(&self) -> Result<Option<ResetLock>, SysError> {
        // A mounted disk is one technician's: no machine-wide lock to take.
        Ok(Some(ResetLock(Box::new(()))))
    }
}
