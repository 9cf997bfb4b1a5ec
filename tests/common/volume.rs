//! A fake mounted Windows volume on real temporary folders, for the offline suites.

use std::fs;
use std::path::{Path, PathBuf};

use super::populate;

/// A fake mounted volume: `<root>/Windows/{System32/catroot2, SoftwareDistribution}`.
pub struct Volume {
    pub root: tempfile::TempDir,
}

impl Volume {
    pub fn new(files: usize) -> Self {
        let root = tempfile::tempdir().unwrap();
        let volume = Volume { root };
        fs::create_dir_all(volume.catroot2()).unwrap();
        fs::create_dir_all(volume.sd()).unwrap();
        populate(&volume.sd(), files);
        populate(&volume.catroot2(), 3);
        volume
    }
    pub fn windows(&self) -> PathBuf {
        self.root.path().join("Windows")
    }
    pub fn sd(&self) -> PathBuf {
        self.windows().join("SoftwareDistribution")
    }
    pub fn catroot2(&self) -> PathBuf {
        self.windows().join("System32").join("catroot2")
    }
    pub fn arg(&self) -> &str {
        self.root.path().to_str().unwrap()
    }
}

pub fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

pub fn wufix_backups(dir: &Path, stem: &str) -> Vec<String> {
    names_in(dir)
        .into_iter()
        .filter(|n| n.starts_with(&format!("{stem}.wufix-")))
        .collect()
}
