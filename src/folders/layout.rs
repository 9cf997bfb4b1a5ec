//! Where the update folders are, for the running Windows or for a mounted one.

use std::fs;
use std::path::{Path, PathBuf};

use crate::catalog::Folder;

/// The Windows directory and the full path of each update folder in it.
#[derive(Clone, Debug)]
pub struct Layout {
    pub windows_dir: PathBuf,
    folders: Vec<(Folder, PathBuf)>,
}

impl Layout {
    /// The running Windows: its file system ignores case, so the names are used as they are.
    pub fn online(windows_dir: PathBuf) -> Self {
        let folders = Folder::ALL
            .iter()
            .map(|&f| {
                (
                    f,
                    f.relative_path()
                        .iter()
                        .fold(windows_dir.clone(), |p, c| p.join(c)),
                )
            })
            .collect();
        Layout {
            windows_dir,
            folders,
        }
    }

    /// A mounted installation. `dir` is either the Windows folder itself or the root of the
    /// volume that holds it. A Linux NTFS mount keeps names as stored (`system32`, `Windows`,
    /// `CatRoot2`), so every component is looked up ignoring ASCII case.
    pub fn offline(dir: &Path) -> Result<Self, String> {
        let meta =
            fs::metadata(dir).map_err(|e| format!("--windows-dir {}: {e}", dir.display()))?;
        if !meta.is_dir() {
            return Err(format!("--windows-dir {}: not a folder", dir.display()));
        }
        let windows_dir = if find_child(dir, "System32").is_some() {
            dir.to_path_buf()
        } else {
            match find_child(dir, "Windows") {
                Some(windows) if find_child(&windows, "System32").is_some() => windows,
                _ => {
                    return Err(format!(
                        "--windows-dir {}: no Windows installation here (looked for System32 and Windows\\System32)",
                        dir.display()
                    ));
                }
            }
        };
        let folders = Folder::ALL
            .iter()
            .map(|&f| (f, resolve(&windows_dir, f.relative_path())))
            .collect();
        Ok(Layout {
            windows_dir,
            folders,
        })
    }

    pub fn path(&self, folder: Folder) -> &Path {
        let (_, path) = self
            .folders
            .iter()
            .find(|(f, _)| *f == folder)
            .expect("a layout holds every catalog folder");
        path
    }
}

/// Follow `components` below `base`, matching each the way Windows would (ignoring case);
/// a component not found keeps its catalog spelling.
fn resolve(base: &Path, components: &[&str]) -> PathBuf {
    components.iter().fold(base.to_path_buf(), |path, name| {
        find_child(&path, name).unwrap_or_else(|| path.join(name))
    })
}

/// The entry of `dir` named `name`, ignoring ASCII case, as the directory spells it (an exact
/// match wins). Listing the folder, rather than probing the name, gives the same answer on
/// case-sensitive and case-insensitive file systems.
pub fn find_child(dir: &Path, name: &str) -> Option<PathBuf> {
    let mut folded = None;
    for entry in fs::read_dir(dir).ok()?.flatten() {
        let entry_name = entry.file_name();
        let Some(entry_name) = entry_name.to_str() else {
            continue;
        };
        if entry_name == name {
            return Some(entry.path());
        }
        if folded.is_none() && entry_name.eq_ignore_ascii_case(name) {
            folded = Some(entry.path());
        }
    }
    folded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offline_finds_folders_ignoring_case_from_the_volume_root() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("WINDOWS/system32/CatRoot2")).unwrap();
        fs::create_dir_all(root.path().join("WINDOWS/softwaredistribution")).unwrap();
        let layout = Layout::offline(root.path()).unwrap();
        assert_eq!(layout.windows_dir, root.path().join("WINDOWS"));
        assert_eq!(
            layout.path(Folder::Catroot2),
            root.path().join("WINDOWS/system32/CatRoot2")
        );
        assert_eq!(
            layout.path(Folder::SoftwareDistribution),
            root.path().join("WINDOWS/softwaredistribution")
        );
    }

    #[test]
    fn offline_accepts_the_windows_folder_itself() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("System32")).unwrap();
        let layout = Layout::offline(root.path()).unwrap();
        assert_eq!(layout.windows_dir, root.path());
        // Missing folders keep their catalog names.
        assert_eq!(
            layout.path(Folder::SoftwareDistribution),
            root.path().join("SoftwareDistribution")
        );
    }

    #[test]
    fn offline_rejects_a_folder_without_windows() {
        let root = tempfile::tempdir().unwrap();
        let err = Layout::offline(root.path()).unwrap_err();
        assert!(err.contains("no Windows installation"), "{err}");
        assert!(Layout::offline(&root.path().join("missing")).is_err());
    }
}
