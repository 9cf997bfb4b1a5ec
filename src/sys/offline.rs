//! The platform for a mounted Windows installation: files only, no service manager. Its
//! registry is read from the hive files; on Windows PE a run that writes it loads the hives
//! first (`mounted`), and reads and writes go there until they are unloaded.

use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use super::mounted::MountedHives;
use super::offline_registry::HiveRegistry;
use super::registry::RegValue;
use super::{Platform, Registry, ResetLock, ServiceInfo, ServiceStatus, SysError};

/// Offline mode never plans a service step nor reads the event log, so every such call is a
/// plain error. Its registry is the installation's own hives, read on first use.
pub struct Offline {
    /// The installation's Windows folder: what the reset lock is taken on.
    pub windows_dir: PathBuf,
    registry: DiskRegistry,
    /// Tests only: every journal counts as written by an administrator.
    trusts_journals: bool,
}

/// The disk's registry: the hive files read, or, while they are loaded to be written, the
/// loaded hives. The files are closed before loading: Windows loads a hive file only when no
/// one else has it open.
struct DiskRegistry {
    windows_dir: PathBuf,
    files: Mutex<Option<HiveRegistry>>,
    mounted: OnceLock<MountedHives>,
    /// How the hives are loaded: `sys::mount_hives`, or a fake one in tests.
    mount: Box<Mount>,
}

type Mount = dyn Fn(&std::path::Path) -> Result<MountedHives, String> + Send + Sync;

impl DiskRegistry {
    fn with<T>(&self, read: impl FnOnce(&dyn Registry) -> T) -> T {
        if let Some(mounted) = self.mounted.get().filter(|m| m.is_loaded()) {
            return read(mounted);
        }
        let mut files = self.files.lock().unwrap_or_else(|e| e.into_inner());
        read(files.get_or_insert_with(|| HiveRegistry::open(&self.windows_dir)))
    }
}

impl Registry for DiskRegistry {
    fn key_exists(&self, key: &str) -> Result<bool, SysError> {
        self.with(|r| r.key_exists(key))
    }
    fn value(&self, key: &str, name: &str) -> Result<Option<RegValue>, SysError> {
        self.with(|r| r.value(key, name))
    }
    fn values(&self, key: &str) -> Result<Vec<(String, RegValue)>, SysError> {
        self.with(|r| r.values(key))
    }
    fn subkeys(&self, key: &str) -> Result<Vec<String>, SysError> {
        self.with(|r| r.subkeys(key))
    }
    fn key_security(&self, key: &str) -> Result<Option<String>, SysError> {
        self.with(|r| r.key_security(key))
    }
    fn set_value(&self, key: &str, name: &str, value: Option<&RegValue>) -> Result<(), SysError> {
        self.with(|r| r.set_value(key, name, value))
    }
    fn set_key_security(&self, key: &str, sddl: &str) -> Result<(), SysError> {
        self.with(|r| r.set_key_security(key, sddl))
    }
    fn take_key_ownership(&self, key: &str) -> Result<(), SysError> {
        self.with(|r| r.take_key_ownership(key))
    }
}

impl Offline {
    pub fn new(windows_dir: PathBuf) -> Self {
        Offline::mounting_with(windows_dir, Box::new(super::mount_hives))
    }

    /// With the hives loaded by `mount` (the tests' fake loader).
    pub(crate) fn mounting_with(windows_dir: PathBuf, mount: Box<Mount>) -> Self {
        Offline {
            registry: DiskRegistry {
                windows_dir: windows_dir.clone(),
                files: Mutex::new(None),
                mounted: OnceLock::new(),
                mount,
            },
            windows_dir,
            trusts_journals: false,
        }
    }

    #[cfg(test)]
    pub(crate) fn trusting_journals(mut self) -> Self {
        self.trusts_journals = true;
        self
    }

    /// What was read of the hive files and what was not (they are opened for it if closed).
    fn describe_hives(&self) -> Vec<String> {
        let mut files = self
            .registry
            .files
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        files
            .get_or_insert_with(|| HiveRegistry::open(&self.windows_dir))
            .describe()
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
        &self.registry
    }
    fn open_registry_for_writing(&self) -> Result<(), String> {
        let disk = &self.registry;
        if let Some(mounted) = disk.mounted.get() {
            return match mounted.is_loaded() {
                true => Ok(()),
                false => {
                    Err("the disk's hives were loaded and unloaded already in this run".into())
                }
            };
        }
        // Closed first: Windows will not load a hive file another handle has open.
        let mut files = disk.files.lock().unwrap_or_else(|e| e.into_inner());
        *files = None;
        let mounted = (disk.mount)(&self.windows_dir)?;
        disk.mounted
            .set(mounted)
            .map_err(|_| "the disk's hives are loaded already".to_string())
    }
    fn close_registry(&self) -> Result<(), String> {
        match self.registry.mounted.get() {
            Some(mounted) => mounted.unload(),
            None => Ok(()),
        }
    }
    fn is_offline(&self) -> bool {
        true
    }
    /// A journal on the disk written by an administrator: on Windows PE its owner is read as
    /// online; on a rescue system, written by root (no one else makes a file root's).
    fn owned_by_trusted(&self, path: &std::path::Path) -> Result<bool, SysError> {
        if self.trusts_journals {
            return Ok(true);
        }
        #[cfg(windows)]
        {
            Ok(super::windows::home::owned_by_trusted(path)?)
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Ok(std::fs::symlink_metadata(path)?.uid() == 0)
        }
        #[cfg(not(any(windows, unix)))]
        {
            let _ = path;
            Err(SysError::Offline)
        }
    }
    fn task_enabled(&self, path: &str) -> Result<Option<bool>, SysError> {
        Ok(super::task_file::enabled(&self.windows_dir, path)?)
    }
    fn sources(&self) -> Vec<String> {
        let mut out = self.describe_hives();
        if let Some(mounted) = self.registry.mounted.get().filter(|m| m.is_loaded()) {
            let (system, software) = mounted.names();
            out.push(format!(
                "loaded to be written: SYSTEM as HKLM\\{system}, SOFTWARE as HKLM\\{software}"
            ));
        }
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
