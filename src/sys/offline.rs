//! The platform for a mounted Windows installation: files only, no service manager.

use super::{Platform, ServiceInfo, ServiceStatus, SysError};

/// Offline mode never plans a service step, so every service call is a plain error.
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
}
