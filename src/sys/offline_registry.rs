//! A mounted Windows's own registry: its `System32\config\SYSTEM` and `SOFTWARE` hives read
//! (read-only) through `hive`, behind the same `Registry` trait the live registry stands behind,
//! so every check that reads the registry online also works offline. `SYSTEM\CurrentControlSet`
//! is the control set `Select\Current` names. A hive that is missing, damaged or not a hive makes
//! its keys an error that says so (never a guess); a dirty one is read as it is, and said.

use std::path::{Path, PathBuf};

use super::SysError;
use super::hive::{Hive, Key};
use super::registry::{RegValue, Registry};

/// One hive file, read or why not.
pub struct Loaded {
    pub path: PathBuf,
    pub hive: Result<Hive, String>,
}

pub struct HiveRegistry {
    pub system: Loaded,
    pub software: Loaded,
    /// `ControlSet001`, from `Select\Current`.
    control_set: Option<String>,
}

fn load(windows_dir: &Path, name: &str) -> Loaded {
    let expected = windows_dir.join("System32").join("config").join(name);
    // Each part the one entry named so ignoring case, never through a link (`names`).
    let path = ["System32", "config", name].iter().try_fold(
        Some(windows_dir.to_path_buf()),
        |dir, part| match dir {
            Some(dir) => super::names::lone_child(&dir, part),
            None => Ok(None),
        },
    );
    let path = match path {
        Ok(Some(path)) => path,
        Ok(None) => {
            return Loaded {
                hive: Err(format!("{} is absent", expected.display())),
                path: expected,
            };
        }
        Err(why) => {
            return Loaded {
                hive: Err(why),
                path: expected,
            };
        }
    };
    // Read cell by cell, never whole: a SOFTWARE hive can be hundreds of megabytes.
    let hive = super::names::open_regular(&path)
        .map_err(|e| format!("{}: {e}", path.display()))
        .and_then(|file| Hive::open_file(file).map_err(|e| format!("{} is {e}", path.display())));
    Loaded { path, hive }
}

impl HiveRegistry {
    pub fn open(windows_dir: &Path) -> HiveRegistry {
        let system = load(windows_dir, "SYSTEM");
        let software = load(windows_dir, "SOFTWARE");
        let control_set = system.hive.as_ref().ok().and_then(|hive| {
            let select = hive.open("Select").ok()??;
            let current = hive
                .values(select)
                .ok()?
                .into_iter()
                .find(|(n, _)| n.eq_ignore_ascii_case("Current"))?
                .1
                .as_dword()?;
            Some(format!("ControlSet{current:03}"))
        });
        HiveRegistry {
            system,
            software,
            control_set,
        }
    }

    /// What was read and what was not, for the technician: each hive's file and state.
    pub fn describe(&self) -> Vec<String> {
        [&self.system, &self.software]
            .iter()
            .map(|l| match &l.hive {
                Ok(h) if h.dirty => format!(
                    "{}: read, but dirty (Windows did not finish writing it; its .LOG1/.LOG2 changes are not applied)",
                    l.path.display()
                ),
                Ok(_) => format!("{}: read", l.path.display()),
                Err(why) => format!("not read: {why}"),
            })
            .collect()
    }

    /// The hive and the path inside it for a key written as online (`SYSTEM\CurrentControlSet\…`,
    /// `SOFTWARE\…`).
    fn route<'a>(&'a self, key: &str) -> Result<(&'a Hive, String, &'a Path), SysError> {
        let (top, rest) = key.split_once('\\').unwrap_or((key, ""));
        let loaded = if top.eq_ignore_ascii_case("SYSTEM") {
            &self.system
        } else if top.eq_ignore_ascii_case("SOFTWARE") {
            &self.software
        } else {
            return Err(SysError::Os(std::io::Error::other(format!(
                "HKLM\\{top} is not read from a mounted disk (only SYSTEM and SOFTWARE)"
            ))));
        };
        let hive = loaded
            .hive
            .as_ref()
            .map_err(|why| SysError::Os(std::io::Error::other(why.clone())))?;
        let (first, tail) = rest.split_once('\\').unwrap_or((rest, ""));
        let path = if top.eq_ignore_ascii_case("SYSTEM")
            && first.eq_ignore_ascii_case("CurrentControlSet")
        {
            let set = self.control_set.as_deref().ok_or_else(|| {
                SysError::Os(std::io::Error::other(
                    "the SYSTEM hive names no current control set (Select\\Current)",
                ))
            })?;
            format!("{set}\\{tail}")
        } else {
            rest.to_string()
        };
        Ok((hive, path, loaded.path.as_path()))
    }

    /// The key, with the hive it is in and that hive's file (to name in any error after).
    fn key(&self, key: &str) -> Result<Option<(&Hive, Key, &Path)>, SysError> {
        let (hive, path, file) = self.route(key)?;
        let found = hive.open(&path).map_err(|e| hive_error(file, e))?;
        Ok(found.map(|k| (hive, k, file)))
    }
}

fn hive_error(file: &Path, err: super::hive::HiveError) -> SysError {
    SysError::Os(std::io::Error::other(format!(
        "{} is {err}",
        file.display()
    )))
}

impl Registry for HiveRegistry {
    fn key_exists(&self, key: &str) -> Result<bool, SysError> {
        Ok(self.key(key)?.is_some())
    }
    fn value(&self, key: &str, name: &str) -> Result<Option<RegValue>, SysError> {
        Ok(self
            .values(key)?
            .into_iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v))
    }
    fn values(&self, key: &str) -> Result<Vec<(String, RegValue)>, SysError> {
        match self.key(key)? {
            Some((hive, k, file)) => hive.values(k).map_err(|e| hive_error(file, e)),
            None => Ok(Vec::new()),
        }
    }
    fn subkeys(&self, key: &str) -> Result<Vec<String>, SysError> {
        match self.key(key)? {
            Some((hive, k, file)) => Ok(hive
                .subkeys(k)
                .map_err(|e| hive_error(file, e))?
                .into_iter()
                .map(|(n, _)| n)
                .collect()),
            None => Ok(Vec::new()),
        }
    }
    /// Key security descriptors are not read from a hive yet: said, never guessed.
    fn key_security(&self, _key: &str) -> Result<Option<String>, SysError> {
        Err(SysError::Os(std::io::Error::other(
            "key permissions are not read from a mounted disk's hive",
        )))
    }
}
