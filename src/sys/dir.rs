//! A directory held open, and its entries acted on relative to it: what clearing needs to be
//! immune to a folder being swapped for a link while it runs (the class of std's CVE-2022-21658).
//!
//! On Unix every step is relative to an open descriptor: children are opened with `O_NOFOLLOW`
//! and removed with `unlinkat`, so a path component swapped for a symlink is removed as a link,
//! never followed; a child on another mount (a bind mount too: `statx` mount ids) is reported,
//! never entered. On Windows the same API is path-based for now: links and junctions are
//! detected and removed as themselves, but a swap between the check and the act is not excluded
//! (handle-relative deletion there is still to do; see DEVELOPERS.md).

use std::ffi::OsString;
use std::io;
use std::path::Path;

/// What an entry is, as seen without following it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Dir,
    /// A symlink or junction: removed as itself.
    Link,
    /// A file, FIFO, socket, device: removed as itself, never opened.
    Other,
}

#[derive(Clone, Debug)]
pub struct Entry {
    pub name: OsString,
    pub kind: Kind,
}

/// Which directory an open handle is, to recognise it when it is opened again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DirId {
    dev: u64,
    ino: u64,
    /// The mount it belongs to, where the system says (Linux 5.8+).
    mount: Option<u64>,
}

/// How opening a child as a directory can fail in a way the walk handles.
#[derive(Debug)]
pub enum OpenChild {
    /// It is a directory, open.
    Dir(Dir),
    /// It is (now) not a directory: a link or a file, to be removed as itself.
    NotADir,
    /// It is a directory of another mount: not entered.
    OtherMount,
    Err(io::Error),
}

#[cfg(unix)]
pub use unix::Dir;
#[cfg(windows)]
pub use windows::Dir;

#[cfg(unix)]
mod unix {
    use std::ffi::OsStr;
    use std::os::fd::OwnedFd;
    use std::os::unix::ffi::OsStrExt;

    use rustix::fs::{AtFlags, FileType, Mode, OFlags};
    use rustix::io::Errno;

    use super::*;

    const OPEN_DIR: OFlags = OFlags::RDONLY
        .union(OFlags::DIRECTORY)
        .union(OFlags::NOFOLLOW)
        .union(OFlags::CLOEXEC)
        .union(OFlags::NOCTTY);

    #[derive(Debug)]
    pub struct Dir {
        fd: OwnedFd,
        id: DirId,
    }

    fn identify(fd: &OwnedFd) -> io::Result<DirId> {
        let stat = rustix::fs::fstat(fd)?;
        #[cfg(target_os = "linux")]
        let mount = rustix::fs::statx(fd, "", AtFlags::EMPTY_PATH, rustix::fs::StatxFlags::MNT_ID)
            .ok()
            .filter(|s| s.stx_mask & rustix::fs::StatxFlags::MNT_ID.bits() != 0)
            .map(|s| s.stx_mnt_id);
        #[cfg(not(target_os = "linux"))]
        let mount = None;
        Ok(DirId {
            dev: stat.st_dev as u64,
            ino: stat.st_ino as u64,
            mount,
        })
    }

    impl Dir {
        /// Open `path` as a directory; a link in its last component is refused (ELOOP).
        pub fn open(path: &Path) -> io::Result<Dir> {
            let fd = rustix::fs::open(path, OPEN_DIR, Mode::empty())?;
            let id = identify(&fd)?;
            Ok(Dir { fd, id })
        }

        pub fn id(&self) -> DirId {
            self.id
        }

        /// Every entry but `.` and `..`, typed without following links.
        pub fn entries(&self) -> io::Result<Vec<Entry>> {
            let mut out = Vec::new();
            for entry in rustix::fs::Dir::read_from(&self.fd)? {
                let entry = entry?;
                let name = entry.file_name().to_bytes();
                if name == b"." || name == b".." {
                    continue;
                }
                let name = OsStr::from_bytes(name);
                let file_type = match entry.file_type() {
                    FileType::Unknown => {
                        rustix::fs::statat(&self.fd, name, AtFlags::SYMLINK_NOFOLLOW)
                            .map(|s| FileType::from_raw_mode(s.st_mode))?
                    }
                    known => known,
                };
                let kind = match file_type {
                    FileType::Directory => Kind::Dir,
                    FileType::Symlink => Kind::Link,
                    _ => Kind::Other,
                };
                out.push(Entry {
                    name: name.to_os_string(),
                    kind,
                });
            }
            Ok(out)
        }

        /// Open the child `name` as a directory, never through a link, never onto another mount.
        pub fn open_child(&self, name: &OsStr) -> OpenChild {
            let fd = match rustix::fs::openat(&self.fd, name, OPEN_DIR, Mode::empty()) {
                Ok(fd) => fd,
                // ELOOP: a symlink; ENOTDIR: a file. Either way, not a folder to enter.
                Err(Errno::LOOP | Errno::NOTDIR) => return OpenChild::NotADir,
                Err(err) => return OpenChild::Err(err.into()),
            };
            let id = match identify(&fd) {
                Ok(id) => id,
                Err(err) => return OpenChild::Err(err),
            };
            let other_mount = match (id.mount, self.id.mount) {
                (Some(child), Some(parent)) => child != parent,
                _ => id.dev != self.id.dev,
            };
            if other_mount {
                return OpenChild::OtherMount;
            }
            OpenChild::Dir(Dir { fd, id })
        }

        /// This directory's parent, as `..` says; the caller checks it is the one it expects.
        pub fn open_parent(&self) -> io::Result<Dir> {
            let fd = rustix::fs::openat(&self.fd, "..", OPEN_DIR, Mode::empty())?;
            let id = identify(&fd)?;
            Ok(Dir { fd, id })
        }

        /// Remove a file, link or other non-directory entry. A directory is refused (EISDIR).
        pub fn remove_file(&self, name: &OsStr) -> io::Result<()> {
            Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::empty())?)
        }

        /// Remove an empty directory entry.
        pub fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
            Ok(rustix::fs::unlinkat(&self.fd, name, AtFlags::REMOVEDIR)?)
        }
    }

    /// Whether an error from `remove_file` says the entry is (now) a directory.
    pub fn is_a_directory(err: &io::Error) -> bool {
        err.raw_os_error() == Some(Errno::ISDIR.raw_os_error())
            // POSIX allows EPERM for unlink on a directory.
            || err.raw_os_error() == Some(Errno::PERM.raw_os_error())
    }
}

#[cfg(windows)]
mod windows {
    use std::ffi::OsStr;
    use std::fs;
    use std::path::PathBuf;

    use super::*;

    /// Path-based: see the module's note.
    #[derive(Debug)]
    pub struct Dir {
        path: PathBuf,
    }

    impl Dir {
        pub fn open(path: &Path) -> io::Result<Dir> {
            let meta = fs::symlink_metadata(path)?;
            if meta.file_type().is_symlink() || !meta.is_dir() {
                return Err(io::Error::new(
                    io::ErrorKind::NotADirectory,
                    "not a folder (a link, a junction or a file)",
                ));
            }
            Ok(Dir {
                path: path.to_path_buf(),
            })
        }

        pub fn id(&self) -> DirId {
            DirId {
                dev: 0,
                ino: 0,
                mount: None,
            }
        }

        pub fn entries(&self) -> io::Result<Vec<Entry>> {
            let mut out = Vec::new();
            for entry in fs::read_dir(&self.path)? {
                let entry = entry?;
                // DirEntry::file_type does not follow links; a junction counts as a link.
                let ft = entry.file_type()?;
                let kind = if ft.is_symlink() {
                    Kind::Link
                } else if ft.is_dir() {
                    Kind::Dir
                } else {
                    Kind::Other
                };
                out.push(Entry {
                    name: entry.file_name(),
                    kind,
                });
            }
            Ok(out)
        }

        pub fn open_child(&self, name: &OsStr) -> OpenChild {
            let path = self.path.join(name);
            match fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_symlink() || !meta.is_dir() => OpenChild::NotADir,
                Ok(_) => OpenChild::Dir(Dir { path }),
                Err(err) => OpenChild::Err(err),
            }
        }

        pub fn open_parent(&self) -> io::Result<Dir> {
            let path = self
                .path
                .parent()
                .ok_or_else(|| io::Error::other("no parent"))?;
            Ok(Dir {
                path: path.to_path_buf(),
            })
        }

        pub fn remove_file(&self, name: &OsStr) -> io::Result<()> {
            let path = self.path.join(name);
            let meta = fs::symlink_metadata(&path)?;
            if meta.file_type().is_symlink() {
                return crate::sys::remove_link(&path, meta.file_type());
            }
            if meta.is_dir() {
                return Err(io::Error::new(io::ErrorKind::IsADirectory, "is a folder"));
            }
            crate::sys::remove_file(&path)
        }

        pub fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
            fs::remove_dir(self.path.join(name))
        }
    }

    pub fn is_a_directory(err: &io::Error) -> bool {
        err.kind() == io::ErrorKind::IsADirectory
    }
}

#[cfg(unix)]
pub use unix::is_a_directory;
#[cfg(windows)]
pub use windows::is_a_directory;
