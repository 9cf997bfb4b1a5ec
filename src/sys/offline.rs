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
    fn lock_reset(&self) -> Result<Option<ResetLock>, SysError> {
        lock_installation(&self.windows_dir)
    }
    fn running_processes(&self, _names: &[&str]) -> Result<Vec<String>, SysError> {
        Err(SysError::Offline)
    }
}

/// Two technicians' resets of one mounted installation must not interleave: an advisory lock on
/// its Windows folder, released when the process ends, however it ends.
#[cfg(unix)]
fn lock_installation(windows_dir: &std::path::Path) -> Result<Option<ResetLock>, SysError> {
    use rustix::fs::{FlockOperation, Mode, OFlags};
    let fd = rustix::fs::open(
        windows_dir,
        OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
        Mode::empty(),
    )
    .map_err(|e| SysError::Os(e.into()))?;
    match rustix::fs::flock(&fd, FlockOperation::NonBlockingLockExclusive) {
        Ok(()) => Ok(Some(ResetLock(Box::new(fd)))),
        Err(rustix::io::Errno::WOULDBLOCK) => Ok(None),
        // A file system without locks (some network and FUSE mounts): a technician must still
        // be able to repair the disk, so go on without one rather than refuse.
        Err(rustix::io::Errno::NOLCK | rustix::io::Errno::OPNOTSUPP | rustix::io::Errno::NOSYS) => {
            Ok(Some(ResetLock(Box::new(()))))
        }
        Err(err) => Err(SysError::Os(err.into())),
    }
}

/// On Windows (WinPE) a named mutex per installation (its path's checksum in the name).
#[cfg(windows)]
fn lock_installation(windows_dir: &std::path::Path) -> Result<Option<ResetLock>, SysError> {
    Ok(super::windows::lock_installation(windows_dir)?.map(|handle| ResetLock(Box::new(handle))))
}
