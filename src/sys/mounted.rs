//! A mounted Windows's own registry made writable, for Windows PE: its `SYSTEM` and `SOFTWARE`
//! hives loaded into the running registry under names of wufix's (`RegLoadKeyW`), each key the
//! core names as online (`SYSTEM\CurrentControlSet\…`, `SOFTWARE\…`) read and written at its
//! place in the loaded hive, and both hives unloaded when done — on every way out, a panic
//! included, through `Drop`. The loading itself is a narrow `HiveLoader`, so every decision here
//! is proven with a fake one: Wine loads only its own registry format, never a `regf` file.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use super::SysError;
use super::registry::{RegValue, Registry};

/// Loads a hive file under `HKEY_LOCAL_MACHINE\<name>` and unloads it again.
pub trait HiveLoader: Send + Sync {
    fn load(&self, name: &str, file: &Path) -> Result<(), SysError>;
    /// Write the loaded hive to its file (before unloading: what was written survives an unload
    /// that fails because something still holds a key open).
    fn flush(&self, name: &str) -> Result<(), SysError>;
    fn unload(&self, name: &str) -> Result<(), SysError>;
}

/// The two hives, loaded, and the live registry they were loaded into.
pub struct MountedHives {
    loader: Box<dyn HiveLoader>,
    live: Box<dyn Registry + Send>,
    system: String,
    software: String,
    /// `ControlSet001`, from the loaded hive's own `Select\Current`.
    control_set: String,
    /// Names still loaded, in load order: emptied by `unload`.
    loaded: Mutex<Vec<String>>,
}

fn other(why: String) -> SysError {
    SysError::Os(std::io::Error::other(why))
}

/// The hive files of a Windows folder, each part found ignoring case, never through a link.
fn hive_file(windows_dir: &Path, name: &str) -> Result<PathBuf, String> {
    let mut path = windows_dir.to_path_buf();
    for part in ["System32", "config", name] {
        path = match super::names::lone_child(&path, part)? {
            Some(found) => found,
            None => return Err(format!("{} is absent", path.join(part).display())),
        };
    }
    Ok(path)
}

impl MountedHives {
    /// Load `windows_dir`'s hives under names ending in `tag` (this process's id: two runs on
    /// two disks never share a name). Nothing stays loaded when this fails.
    pub fn load(
        loader: Box<dyn HiveLoader>,
        live: Box<dyn Registry + Send>,
        windows_dir: &Path,
        tag: u32,
    ) -> Result<MountedHives, String> {
        let mut mounted = MountedHives {
            loader,
            live,
            system: format!("WUFIX_SYSTEM_{tag}"),
            software: format!("WUFIX_SOFTWARE_{tag}"),
            control_set: String::new(),
            loaded: Mutex::new(Vec::new()),
        };
        for (hive, name) in [("SYSTEM", &mounted.system), ("SOFTWARE", &mounted.software)] {
            let file = hive_file(windows_dir, hive)?;
            mounted.loader.load(name, &file).map_err(|e| {
                format!(
                    "{} could not be loaded as HKLM\\{name} ({e}){}",
                    file.display(),
                    stale_hint(&e)
                )
            })?;
            mounted.loaded.lock().unwrap().push(name.clone());
        }
        // Read from the loaded hive itself: the control set Windows boots with.
        let select = format!(r"{}\Select", mounted.system);
        let current = mounted
            .live
            .value(&select, "Current")
            .map_err(|e| format!("HKLM\\{select}: {e}"))?
            .and_then(|v| v.as_dword())
            .ok_or_else(|| {
                "the SYSTEM hive names no current control set (Select\\Current)".to_string()
            })?;
        mounted.control_set = format!("ControlSet{current:03}");
        Ok(mounted)
    }

    /// The names the hives are loaded under, for what is said to the technician.
    pub fn names(&self) -> (&str, &str) {
        (&self.system, &self.software)
    }

    /// Flush and unload each hive still loaded; the first failure is returned with the command
    /// that finishes the job, and the rest are still tried.
    pub fn unload(&self) -> Result<(), String> {
        let names: Vec<String> = std::mem::take(&mut *self.loaded.lock().unwrap());
        let mut failed = Vec::new();
        for name in names.iter().rev() {
            let flushed = self.loader.flush(name);
            if let Err(err) = self.loader.unload(name) {
                let kept = if flushed.is_ok() {
                    "what was written is in the file already"
                } else {
                    "what was written may not be in the file yet"
                };
                failed.push(format!(
                    "HKLM\\{name} could not be unloaded ({err}; {kept}): run `reg unload HKLM\\{name}` before shutting Windows PE down"
                ));
            }
        }
        match failed.is_empty() {
            true => Ok(()),
            false => Err(failed.join("; ")),
        }
    }

    /// Whether the hives are still loaded (after `unload`, every key is an error).
    pub fn is_loaded(&self) -> bool {
        !self.loaded.lock().unwrap().is_empty()
    }

    /// Where a key named as online is in the loaded hives.
    pub fn place(&self, key: &str) -> Result<String, SysError> {
        if !self.is_loaded() {
            return Err(other("the disk's hives are unloaded".into()));
        }
        place(key, &self.system, &self.software, &self.control_set)
    }
}

/// A load refused because the file is in use: most likely an earlier run that was killed while
/// the hive was loaded, which Windows PE keeps until it is unloaded or restarted.
fn stale_hint(err: &SysError) -> &'static str {
    match err {
        // ERROR_SHARING_VIOLATION
        SysError::Os(e) if e.raw_os_error() == Some(32) => {
            "; if an earlier run was stopped while it was loaded, `reg query HKLM` lists it as WUFIX_…: `reg unload` it first"
        }
        _ => "",
    }
}

/// `SYSTEM\CurrentControlSet\X` → `<system>\<control set>\X`, `SYSTEM\X` → `<system>\X`,
/// `SOFTWARE\X` → `<software>\X`; nothing else is on the disk.
pub fn place(
    key: &str,
    system: &str,
    software: &str,
    control_set: &str,
) -> Result<String, SysError> {
    let (top, rest) = key.split_once('\\').unwrap_or((key, ""));
    let join = |root: &str, rest: &str| match rest.is_empty() {
        true => root.to_string(),
        false => format!(r"{root}\{rest}"),
    };
    if top.eq_ignore_ascii_case("SOFTWARE") {
        return Ok(join(software, rest));
    }
    if !top.eq_ignore_ascii_case("SYSTEM") {
        return Err(other(format!(
            "HKLM\\{top} is not on a mounted disk (only SYSTEM and SOFTWARE)"
        )));
    }
    let (first, tail) = rest.split_once('\\').unwrap_or((rest, ""));
    if first.eq_ignore_ascii_case("CurrentControlSet") {
        Ok(join(&join(system, control_set), tail))
    } else {
        Ok(join(system, rest))
    }
}

impl Drop for MountedHives {
    fn drop(&mut self) {
        // The command unloads and says how it went; this is for the ways out it did not reach.
        let _ = self.unload();
    }
}

impl Registry for MountedHives {
    fn key_exists(&self, key: &str) -> Result<bool, SysError> {
        self.live.key_exists(&self.place(key)?)
    }
    fn value(&self, key: &str, name: &str) -> Result<Option<RegValue>, SysError> {
        self.live.value(&self.place(key)?, name)
    }
    fn values(&self, key: &str) -> Result<Vec<(String, RegValue)>, SysError> {
        self.live.values(&self.place(key)?)
    }
    fn subkeys(&self, key: &str) -> Result<Vec<String>, SysError> {
        self.live.subkeys(&self.place(key)?)
    }
    fn key_security(&self, key: &str) -> Result<Option<String>, SysError> {
        self.live.key_security(&self.place(key)?)
    }
    fn set_value(&self, key: &str, name: &str, value: Option<&RegValue>) -> Result<(), SysError> {
        self.live.set_value(&self.place(key)?, name, value)
    }
    fn set_key_security(&self, key: &str, sddl: &str) -> Result<(), SysError> {
        self.live.set_key_security(&self.place(key)?, sddl)
    }
    fn take_key_ownership(&self, key: &str) -> Result<(), SysError> {
        self.live.take_key_ownership(&self.place(key)?)
    }
}

#[cfg(test)]
mod tests;
