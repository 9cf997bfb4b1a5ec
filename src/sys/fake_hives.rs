//! A fake hive loader and a shared fake live registry: how a mounted Windows's hives loaded on
//! Windows PE are proven here, where nothing can load a `regf` file.

use std::path::Path;
use std::sync::{Arc, Mutex};

use super::SysError;
use super::fake::FakePlatform;
use super::mounted::HiveLoader;
use super::registry::{RegValue, Registry};

/// What the loader was asked, in order; a name whose load or unload fails.
#[derive(Clone, Default)]
pub struct Loader {
    pub calls: Arc<Mutex<Vec<String>>>,
    pub refuse_load: Option<&'static str>,
    pub refuse_unload: Option<&'static str>,
    pub in_use: bool,
}

impl HiveLoader for Loader {
    fn load(&self, name: &str, file: &Path) -> Result<(), SysError> {
        let hive = file.file_name().unwrap().to_string_lossy().to_string();
        self.calls
            .lock()
            .unwrap()
            .push(format!("load {name} {hive}"));
        if self.in_use {
            return Err(SysError::Os(std::io::Error::from_raw_os_error(32)));
        }
        match self.refuse_load == Some(hive.as_str()) {
            true => Err(SysError::AccessDenied),
            false => Ok(()),
        }
    }
    fn flush(&self, name: &str) -> Result<(), SysError> {
        self.calls.lock().unwrap().push(format!("flush {name}"));
        Ok(())
    }
    fn unload(&self, name: &str) -> Result<(), SysError> {
        self.calls.lock().unwrap().push(format!("unload {name}"));
        match self.refuse_unload.is_some_and(|n| name.contains(n)) {
            true => Err(SysError::AccessDenied),
            false => Ok(()),
        }
    }
}

impl Loader {
    pub fn calls(&self) -> Vec<String> {
        self.calls.lock().unwrap().clone()
    }
}

/// The live registry, shared so the test can look at it after the hives hold it.
pub struct Live(pub Arc<FakePlatform>);

impl Registry for Live {
    fn key_exists(&self, key: &str) -> Result<bool, SysError> {
        self.0.key_exists(key)
    }
    fn value(&self, key: &str, name: &str) -> Result<Option<RegValue>, SysError> {
        self.0.value(key, name)
    }
    fn values(&self, key: &str) -> Result<Vec<(String, RegValue)>, SysError> {
        self.0.values(key)
    }
    fn subkeys(&self, key: &str) -> Result<Vec<String>, SysError> {
        self.0.subkeys(key)
    }
    fn key_security(&self, key: &str) -> Result<Option<String>, SysError> {
        Registry::key_security(&*self.0, key)
    }
    fn set_value(&self, key: &str, name: &str, value: Option<&RegValue>) -> Result<(), SysError> {
        self.0.set_value(key, name, value)
    }
}
