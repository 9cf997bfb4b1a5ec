//! Where wufix keeps its own files for one Windows installation — its home: online
//! `%ProgramData%\wufix` (ProgramData from the shell, not the environment), offline
//! `<volume>\ProgramData\wufix` (found ignoring case, as Windows would). Inside: `journal\`,
//! `bin\` (the copy a fleet runs), `reports\`, and `lock`, the file whose lock makes one run at a
//! time. `sys::home` secures it before a run writes; readers only read.

use std::path::{Path, PathBuf};

use crate::folders::layout::find_child;
use crate::machine::Mode;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Home {
    /// `…\ProgramData\wufix`.
    pub dir: PathBuf,
    /// ProgramData (online) or the volume root (offline): every folder from here down to the
    /// journal must be a real folder, never a link.
    pub base: PathBuf,
}

impl Home {
    /// The home of the Windows at `windows_dir`. Online means the running Windows: its
    /// ProgramData is the shell's. Any other Windows folder is a mounted installation, whose
    /// ProgramData sits beside it on the same volume.
    pub fn for_windows(windows_dir: &Path, mode: Mode) -> Home {
        let running = mode == Mode::Online
            && crate::sys::running_windows_dir()
                .is_some_and(|w| same_file::is_same_file(w, windows_dir).unwrap_or(false));
        match (running, crate::sys::program_data()) {
            (true, Some(data)) => Home {
                dir: data.join("wufix"),
                base: data,
            },
            _ => Home::on_volume(windows_dir.parent().unwrap_or(windows_dir)),
        }
    }

    /// The home on a volume whose root is `root`.
    pub fn on_volume(root: &Path) -> Home {
        let data = find_child(root, "ProgramData").unwrap_or_else(|| root.join("ProgramData"));
        Home {
            dir: find_child(&data, "wufix").unwrap_or_else(|| data.join("wufix")),
            base: root.to_path_buf(),
        }
    }

    /// The journal folder.
    pub fn journal(&self) -> PathBuf {
        find_child(&self.dir, "journal").unwrap_or_else(|| self.dir.join("journal"))
    }

    /// wufix's stable copy, `bin\wufix.exe`: what the deployment kit runs as SYSTEM, the one-shot
    /// scan task runs, and the Application log reads its events' text from.
    pub fn stable_exe(&self) -> PathBuf {
        self.dir.join("bin").join("wufix.exe")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mounted_volume_keeps_its_home_beside_its_windows_found_ignoring_case() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("PROGRAMDATA/WuFix/Journal")).unwrap();
        std::fs::create_dir_all(dir.path().join("Windows")).unwrap();
        let home = Home::for_windows(&dir.path().join("Windows"), Mode::Online);
        assert_eq!(home.dir, dir.path().join("PROGRAMDATA/WuFix"));
        assert_eq!(home.journal(), dir.path().join("PROGRAMDATA/WuFix/Journal"));
        assert_eq!(home.base, dir.path());
    }
}
