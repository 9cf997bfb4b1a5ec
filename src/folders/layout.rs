//! Where the update folders are, for the running Windows or for a mounted one, and whether the
//! way down to each is safe to act on.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use crate::catalog::{Base, Folder};

/// The Windows directory and the full path of each update folder.
#[derive(Clone, Debug)]
pub struct Layout {
    pub windows_dir: PathBuf,
    folders: Vec<Place>,
}

#[derive(Clone, Debug)]
struct Place {
    folder: Folder,
    /// Where the checks for links start: the folder the user named offline, the Windows folder
    /// (or ProgramData) online. Every component below it, down to the folder, must be a real
    /// folder.
    root: PathBuf,
    path: PathBuf,
    /// Entries that differ only by case where one was expected (`SoftwareDistribution` and
    /// `softwaredistribution` on a case-sensitive mount): wufix will not pick one.
    conflict: Vec<PathBuf>,
}

/// Whether a folder can be acted on, checked right before it is (and by the dry run).
#[derive(Debug)]
pub enum Preflight {
    /// A real folder, reached through real folders only.
    Ready,
    /// Not there: nothing to do.
    Absent,
    /// There, but not safe to act on: why, in words.
    Refused(String),
    /// Could not be examined.
    Error(io::Error),
}

impl Layout {
    /// The running Windows: its file system ignores case, so the names are used as they are.
    /// ProgramData is where the shell says (never the environment, which a user's
    /// `HKCU\Environment` overrides even for an elevated copy), else beside the Windows folder.
    pub fn online(windows_dir: PathBuf) -> Self {
        let program_data = crate::sys::program_data()
            .filter(|p| p.is_absolute())
            .unwrap_or_else(|| {
                windows_dir
                    .parent()
                    .unwrap_or(&windows_dir)
                    .join("ProgramData")
            });
        Layout::online_with(windows_dir, program_data)
    }

    /// [`Layout::online`] with ProgramData given.
    pub fn online_with(windows_dir: PathBuf, program_data: PathBuf) -> Self {
        let folders = Folder::EVERY
            .iter()
            .map(|&folder| {
                let root = match folder.base() {
                    Base::Windows => windows_dir.clone(),
                    Base::ProgramData => program_data.clone(),
                };
                Place {
                    folder,
                    path: folder
                        .relative_path()
                        .iter()
                        .fold(root.clone(), |p, c| p.join(c)),
                    root,
                    conflict: Vec::new(),
                }
            })
            .collect();
        Layout {
            windows_dir,
            folders,
        }
    }

    /// A mounted installation. `dir` is either the root of the volume that holds it or the
    /// Windows folder itself; a `Windows\System32` below `dir` wins over a stray `System32` at the
    /// volume root. A Linux NTFS mount keeps names as stored (`system32`, `Windows`, `CatRoot2`),
    /// so every component is looked up ignoring ASCII case.
    pub fn offline(dir: &Path) -> Result<Self, String> {
        let given = dir;
        let dir = &absolute(dir).map_err(|e| format!("--windows-dir {}: {e}", given.display()))?;
        let meta =
            fs::metadata(dir).map_err(|e| format!("--windows-dir {}: {e}", dir.display()))?;
        if !meta.is_dir() {
            return Err(format!("--windows-dir {}: not a folder", dir.display()));
        }
        let nested = match find(dir, "Windows") {
            Found::One(windows) if matches!(find(&windows, "System32"), Found::One(_)) => {
                Some(windows)
            }
            Found::Many(all) => {
                return Err(format!(
                    "--windows-dir {}: several folders differ only by case ({}); wufix will not choose one",
                    dir.display(),
                    list(&all)
                ));
            }
            _ => None,
        };
        let windows_dir = match (nested, find(dir, "System32")) {
            (Some(windows), _) => windows,
            (None, Found::One(_)) => dir.to_path_buf(),
            _ => {
                return Err(format!(
                    "--windows-dir {}: no Windows installation here (looked for Windows\\System32 and System32)",
                    dir.display()
                ));
            }
        };
        // ProgramData is on the volume: beside the Windows folder, wherever `dir` pointed.
        let volume = windows_dir.parent().unwrap_or(&windows_dir).to_path_buf();
        let folders = Folder::EVERY
            .iter()
            .map(|&folder| {
                let (root, (path, conflict)) = match folder.base() {
                    Base::Windows => (
                        dir.to_path_buf(),
                        resolve(&windows_dir, folder.relative_path()),
                    ),
                    Base::ProgramData => {
                        let root = if windows_dir == *dir {
                            volume.clone()
                        } else {
                            dir.to_path_buf()
                        };
                        let mut below = vec!["ProgramData"];
                        below.extend(folder.relative_path());
                        (root, resolve(&volume, &below))
                    }
                };
                Place {
                    folder,
                    root,
                    path,
                    conflict,
                }
            })
            .collect();
        Ok(Layout {
            windows_dir,
            folders,
        })
    }

    fn place(&self, folder: Folder) -> &Place {
        self.folders
            .iter()
            .find(|p| p.folder == folder)
            .expect("a layout holds every catalog folder")
    }

    /// The volume's root, as far as wufix goes: the folder that holds the Windows folder. The
    /// journal keeps paths relative to it.
    pub fn root(&self) -> &Path {
        self.windows_dir.parent().unwrap_or(&self.windows_dir)
    }

    pub fn path(&self, folder: Folder) -> &Path {
        &self.place(folder).path
    }

    /// Whether `folder` can be acted on now. Each component between the root and the folder's
    /// parent (where its backups go) must be a real folder, not a link or junction: a linked
    /// `System32` would turn a clear into deleting whatever it points to.
    pub fn preflight(&self, folder: Folder) -> Preflight {
        let place = self.place(folder);
        if !place.conflict.is_empty() {
            return Preflight::Refused(format!(
                "several entries differ only by case ({}); wufix will not choose one: rename the extra ones first",
                list(&place.conflict)
            ));
        }
        let Ok(below) = place.path.strip_prefix(&place.root) else {
            return Preflight::Refused(format!("is not below {}", place.root.display()));
        };
        let mut at = place.root.clone();
        let mut components = below.components().peekable();
        while let Some(component) = components.next() {
            if components.peek().is_none() {
                break;
            }
            at.push(component);
            match fs::symlink_metadata(&at) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Preflight::Refused(format!(
                        "{} on the way to it is a link or junction; wufix acts only on real folders",
                        at.display()
                    ));
                }
                Ok(meta) if !meta.is_dir() => {
                    return Preflight::Refused(format!("{} is not a folder", at.display()));
                }
                Ok(_) => {}
                Err(err) if err.kind() == io::ErrorKind::NotFound => return Preflight::Absent,
                Err(err) => return Preflight::Error(err),
            }
        }
        match fs::symlink_metadata(&place.path) {
            Err(err) if err.kind() == io::ErrorKind::NotFound => Preflight::Absent,
            Err(err) => Preflight::Error(err),
            Ok(meta) if meta.file_type().is_symlink() => Preflight::Refused(
                "is a link or junction to another place; wufix does not follow it (move the target back, then reset)"
                    .into(),
            ),
            Ok(meta) if !meta.is_dir() => Preflight::Refused("is not a folder".into()),
            Ok(_) => Preflight::Ready,
        }
    }
}

fn list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}

/// Follow `components` below `base`, matching each the way Windows would (ignoring case); a
/// component not found keeps its catalog spelling. Also returns the entries of the first
/// component that matched several ways.
fn resolve(base: &Path, components: &[&str]) -> (PathBuf, Vec<PathBuf>) {
    let mut path = base.to_path_buf();
    for name in components {
        path = match find(&path, name) {
            Found::One(found) => found,
            Found::None => path.join(name),
            Found::Many(all) => return (path.join(name), all),
        };
    }
    (path, Vec::new())
}

enum Found {
    None,
    One(PathBuf),
    Many(Vec<PathBuf>),
}

/// The entries of `dir` named `name` ignoring ASCII case (`sys::names`).
fn find(dir: &Path, name: &str) -> Found {
    let mut all = crate::sys::names::entries_named(dir, name);
    match all.len() {
        0 => Found::None,
        1 => Found::One(all.remove(0)),
        _ => Found::Many(all),
    }
}

/// The entry of `dir` named `name`, ignoring ASCII case, when there is exactly one.
pub fn find_child(dir: &Path, name: &str) -> Option<PathBuf> {
    match find(dir, name) {
        Found::One(path) => Some(path),
        _ => None,
    }
}

/// Every entry of `dir` named `name` ignoring ASCII case, sorted.
pub fn find_children(dir: &Path, name: &str) -> Vec<PathBuf> {
    match find(dir, name) {
        Found::None => Vec::new(),
        Found::One(path) => vec![path],
        Found::Many(all) => all,
    }
}

/// `dir` as an absolute path with no `.` or `..` in it, so that the volume root is the same
/// whether `--windows-dir` was typed relative or absolute, and `.` inside the Windows folder
/// does not make its lexical parent (the Windows folder itself) the root. An absolute path
/// without such components is kept as typed.
fn absolute(dir: &Path) -> std::io::Result<PathBuf> {
    use std::path::Component;
    let plain = dir.is_absolute()
        && dir
            .components()
            .all(|c| !matches!(c, Component::CurDir | Component::ParentDir));
    if plain {
        return Ok(dir.to_path_buf());
    }
    let canonical = fs::canonicalize(dir)?;
    // Windows' canonical form is `\\?\C:\…`: shown and compared as `C:\…` where it is one.
    #[cfg(windows)]
    if let Some(rest) = canonical.to_str().and_then(|s| s.strip_prefix(r"\\?\")) {
        if rest.as_bytes().get(1) == Some(&b':') {
            return Ok(PathBuf::from(rest));
        }
    }
    Ok(canonical)
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
        assert!(matches!(
            layout.preflight(Folder::Catroot2),
            Preflight::Ready
        ));
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
        assert!(matches!(
            layout.preflight(Folder::SoftwareDistribution),
            Preflight::Absent
        ));
    }

    #[test]
    fn a_stray_system32_at_the_volume_root_does_not_hide_the_windows_folder() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("System32")).unwrap();
        fs::create_dir_all(root.path().join("Windows/System32")).unwrap();
        let layout = Layout::offline(root.path()).unwrap();
        assert_eq!(layout.windows_dir, root.path().join("Windows"));
    }

    #[test]
    fn offline_rejects_a_folder_without_windows() {
        let root = tempfile::tempdir().unwrap();
        let err = Layout::offline(root.path()).unwrap_err();
        assert!(err.contains("no Windows installation"), "{err}");
        assert!(Layout::offline(&root.path().join("missing")).is_err());
    }

    // Needs a case-sensitive file system (a Linux NTFS mount shows names as stored).
    #[cfg(target_os = "linux")]
    #[test]
    fn two_case_variants_of_a_folder_are_refused() {
        let root = tempfile::tempdir().unwrap();
        fs::create_dir_all(root.path().join("Windows/System32")).unwrap();
        fs::create_dir_all(root.path().join("Windows/SoftwareDistribution")).unwrap();
        fs::create_dir_all(root.path().join("Windows/softwaredistribution")).unwrap();
        let layout = Layout::offline(root.path()).unwrap();
        let Preflight::Refused(why) = layout.preflight(Folder::SoftwareDistribution) else {
            panic!("two variants must be refused")
        };
        assert!(why.contains("differ only by case"), "{why}");
    }

    #[cfg(unix)]
    #[test]
    fn a_link_anywhere_on_the_way_is_refused() {
        let root = tempfile::tempdir().unwrap();
        let elsewhere = root.path().join("elsewhere");
        fs::create_dir_all(elsewhere.join("catroot2")).unwrap();
        fs::create_dir_all(root.path().join("Windows")).unwrap();
        std::os::unix::fs::symlink(&elsewhere, root.path().join("Windows/System32")).unwrap();
        let layout = Layout::offline(root.path()).unwrap();
        let Preflight::Refused(why) = layout.preflight(Folder::Catroot2) else {
            panic!("a linked System32 must be refused")
        };
        assert!(why.contains("System32") && why.contains("link"), "{why}");
    }
}
