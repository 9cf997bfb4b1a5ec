//! wufix's own folder on an installation (`…\ProgramData\wufix`), made safe to write in, and the
//! reset lock inside it: one file, locked by whichever run holds it, the same mechanism online
//! and offline. On Windows the folder is a trust boundary (see `windows/home.rs`); on a rescue
//! system a link or a non-folder standing where wufix's folders go is set aside by name, never
//! followed, and the folder made again.

#[cfg(not(windows))]
use std::io;
use std::path::Path;

use super::{ResetLock, SysError};

/// The folders wufix keeps in its home: the journal, the copy of itself a fleet runs, the
/// reports it leaves.
pub const CHILDREN: [&str; 3] = ["journal", "bin", "reports"];

/// Secure `home` and take the reset lock in it; `None` when another run holds it.
pub fn lock(home: &Path) -> Result<Option<ResetLock>, SysError> {
    parent_ready(home)?;
    #[cfg(windows)]
    {
        let held = super::windows::home::secure(home, &CHILDREN)?;
        let set_aside = held.set_aside();
        match fs4::FileExt::try_lock(&held.lock) {
            Ok(()) => Ok(Some(ResetLock {
                guard: Box::new(held),
                set_aside,
            })),
            Err(fs4::TryLockError::WouldBlock) => Ok(None),
            Err(fs4::TryLockError::Error(err)) => Err(SysError::Os(err)),
        }
    }
    #[cfg(not(windows))]
    {
        let mut set_aside: Vec<std::path::PathBuf> = Vec::new();
        set_aside.extend(secure_dir(home)?);
        for child in CHILDREN {
            set_aside.extend(secure_dir(&home.join(child))?);
        }
        let (file, aside) = lock_file(&home.join("lock"))?;
        set_aside.extend(aside);
        let locked = |file| ResetLock {
            guard: Box::new(file),
            set_aside,
        };
        match fs4::FileExt::try_lock(&file) {
            Ok(()) => Ok(Some(locked(file))),
            Err(fs4::TryLockError::WouldBlock) => Ok(None),
            // A file system without locks (some network and FUSE mounts): a technician must
            // still be able to repair the disk, so go on without one rather than refuse.
            Err(fs4::TryLockError::Error(err)) if no_locks(&err) => Ok(Some(locked(file))),
            Err(fs4::TryLockError::Error(err)) => Err(SysError::Os(err)),
        }
    }
}

/// Whether a run holds the lock of `home`, found without making or changing anything (for
/// `status` and `diagnose` offline, where the lock is how a dead run is told from a live one).
pub fn held(home: &Path) -> Result<bool, SysError> {
    #[cfg(windows)]
    let file = super::windows::home::lock_file_if_any(home)?;
    #[cfg(not(windows))]
    let file = {
        use std::os::unix::fs::OpenOptionsExt;
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags(rustix::fs::OFlags::NOFOLLOW.bits() as i32)
            .open(home.join("lock"));
        match opened {
            Ok(file) => Some(file),
            Err(err) if err.kind() == io::ErrorKind::NotFound => None,
            Err(err) => return Err(SysError::Os(err)),
        }
    };
    let Some(file) = file else {
        return Ok(false);
    };
    match fs4::FileExt::try_lock_shared(&file) {
        Ok(()) => Ok(false),
        Err(fs4::TryLockError::WouldBlock) => Ok(true),
        Err(fs4::TryLockError::Error(err)) => Err(SysError::Os(err)),
    }
}

/// ProgramData, where the home goes: made when a mounted volume has none, refused when it is a
/// link (the home would land wherever it points).
fn parent_ready(home: &Path) -> std::io::Result<()> {
    let Some(parent) = home.parent() else {
        return Ok(());
    };
    match std::fs::symlink_metadata(parent) {
        Ok(meta) if meta.is_dir() && !meta.file_type().is_symlink() => Ok(()),
        Ok(_) => Err(std::io::Error::other(format!(
            "{} is a link (or not a folder): wufix keeps nothing through it",
            parent.display()
        ))),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => std::fs::create_dir(parent),
        Err(err) => Err(err),
    }
}

#[cfg(not(windows))]
fn no_locks(err: &io::Error) -> bool {
    use rustix::io::Errno;
    matches!(
        Errno::from_io_error(err),
        Some(Errno::NOLCK | Errno::OPNOTSUPP | Errno::NOSYS)
    )
}

/// A folder of wufix's at `path`: made when missing; what stands there and is not a real folder
/// (a link, a file) is set aside by name (returned) and the folder made again.
#[cfg(not(windows))]
fn secure_dir(path: &Path) -> io::Result<Option<std::path::PathBuf>> {
    let aside = match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => return Ok(None),
        Ok(_) => Some(set_aside(path)?),
        Err(err) if err.kind() == io::ErrorKind::NotFound => None,
        Err(err) => return Err(err),
    };
    match std::fs::create_dir(path) {
        // Made by someone else in between: only a real folder will do.
        Err(err) if err.kind() == io::ErrorKind::AlreadyExists => {
            if !std::fs::symlink_metadata(path)?.is_dir() {
                return Err(io::Error::other(format!(
                    "{} is taken again as soon as it is set aside: not used",
                    path.display()
                )));
            }
        }
        other => other?,
    }
    Ok(aside)
}

#[cfg(not(windows))]
fn set_aside(path: &Path) -> io::Result<std::path::PathBuf> {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    for n in 1..1000 {
        let aside = path.with_file_name(format!("{name}.untrusted-{n}"));
        match super::rename_noreplace(path, &aside) {
            Ok(()) => return Ok(aside),
            Err(err) if err.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(err) => return Err(err),
        }
    }
    Err(io::Error::other("no free name to set it aside"))
}

/// The lock file, opened (made when missing) as itself: a link standing there is set aside.
#[cfg(not(windows))]
fn lock_file(path: &Path) -> io::Result<(std::fs::File, Option<std::path::PathBuf>)> {
    use std::os::unix::fs::OpenOptionsExt;
    let mut aside = None;
    for _ in 0..2 {
        let opened = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .mode(0o644)
            .custom_flags(
                (rustix::fs::OFlags::NOFOLLOW | rustix::fs::OFlags::CLOEXEC).bits() as i32,
            )
            .open(path);
        match opened {
            Ok(file) if file.metadata()?.is_file() => return Ok((file, aside)),
            Ok(_) => {}
            Err(err) if rustix::io::Errno::from_io_error(&err) == Some(rustix::io::Errno::LOOP) => {
            }
            Err(err) => return Err(err),
        }
        aside = Some(set_aside(path)?);
    }
    Err(io::Error::other(
        "the lock file is taken again as soon as it is set aside",
    ))
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;

    #[test]
    fn one_run_holds_the_lock_and_a_reader_sees_it_without_making_anything() {
        let dir = tempfile::tempdir().unwrap();
        let home = dir.path().join("wufix");
        assert!(!held(&home).unwrap(), "nothing there: nobody holds it");
        assert!(!home.exists(), "a reader makes nothing");
        let first = lock(&home).unwrap().expect("free");
        assert!(lock(&home).unwrap().is_none(), "a second run is refused");
        assert!(held(&home).unwrap());
        drop(first);
        assert!(!held(&home).unwrap());
        for child in CHILDREN {
            assert!(home.join(child).is_dir());
        }
    }

    #[test]
    fn links_where_wufixs_folders_go_are_set_aside_never_followed() {
        let dir = tempfile::tempdir().unwrap();
        let outside = dir.path().join("outside");
        std::fs::create_dir(&outside).unwrap();
        std::fs::write(outside.join("precious"), "x").unwrap();
        let home = dir.path().join("wufix");
        std::os::unix::fs::symlink(&outside, &home).unwrap();
        let _lock = lock(&home).unwrap().expect("free");
        assert!(std::fs::symlink_metadata(&home).unwrap().is_dir());
        assert!(dir.path().join("wufix.untrusted-1").is_symlink());
        assert_eq!(
            std::fs::read_dir(&outside).unwrap().count(),
            1,
            "nothing made there"
        );
        drop(_lock);

        // A link as the journal folder, and as the lock file.
        let home2 = dir.path().join("wufix2");
        std::fs::create_dir(&home2).unwrap();
        std::os::unix::fs::symlink(&outside, home2.join("journal")).unwrap();
        std::os::unix::fs::symlink(outside.join("precious"), home2.join("lock")).unwrap();
        let _lock = lock(&home2).unwrap().expect("free");
        assert!(
            std::fs::symlink_metadata(home2.join("journal"))
                .unwrap()
                .is_dir()
        );
        assert!(
            std::fs::symlink_metadata(home2.join("lock"))
                .unwrap()
                .is_file()
        );
        assert_eq!(
            std::fs::read_to_string(outside.join("precious")).unwrap(),
            "x"
        );
    }
}
