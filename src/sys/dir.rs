//! A directory held open, and its entries acted on relative to it: what clearing needs to be
//! immune to a folder being swapped for a link while it runs (the class of std's CVE-2022-21658).
//!
//! On Unix every step is relative to an open descriptor: children are opened with `O_NOFOLLOW`
//! and removed with `unlinkat`, so a path component swapped for a symlink is removed as a link,
//! never followed; a child on another mount (a bind mount too: `statx` mount ids) is reported,
//! never entered. On Windows every step is relative to an open directory handle too
//! (`sys/windows/dir.rs`): entries are opened with `FILE_OPEN_REPARSE_POINT` and deleted through
//! their own handle, so a junction swapped in is deleted as a junction, never walked.

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

    /// Descriptors are limited (often 1024): a deep walk keeps at most this many open.
    pub const MAX_OPEN: usize = 48;

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

    use super::*;
    use crate::sys::windows::dir::{self as win, Handle};

    /// A directory held open by handle: see `sys/windows/dir.rs`.
    pub struct Dir {
        handle: Handle,
    }

    impl std::fmt::Debug for Dir {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("Dir")
                .field("index", &self.handle.index)
                .finish()
        }
    }

    fn not_a_folder() -> io::Error {
        io::Error::new(
            io::ErrorKind::NotADirectory,
            "not a folder (a link, a junction or a file)",
        )
    }

    impl Dir {
        pub fn open(path: &Path) -> io::Result<Dir> {
            let handle = win::open_path(path)?;
            if handle.is_link() || !handle.is_dir() {
                return Err(not_a_folder());
            }
            Ok(Dir { handle })
        }

        pub fn id(&self) -> DirId {
            DirId {
                dev: self.handle.volume,
                ino: self.handle.index,
                mount: None,
            }
        }

        pub fn entries(&self) -> io::Result<Vec<Entry>> {
            Ok(win::entries(&self.handle)?
                .into_iter()
                .map(|(name, attributes, tag)| {
                    use windows_sys::Win32::Storage::FileSystem::{
                        FILE_ATTRIBUTE_DIRECTORY, FILE_ATTRIBUTE_REPARSE_POINT,
                    };
                    // A reparse point that names another place (junction, symlink, mount point)
                    // is a link; a deduplicated file or a cloud placeholder is the entry itself.
                    let kind = if attributes & FILE_ATTRIBUTE_REPARSE_POINT != 0
                        && win::names_another_place(tag)
                    {
                        Kind::Link
                    } else if attributes & FILE_ATTRIBUTE_DIRECTORY != 0 {
                        Kind::Dir
                    } else {
                        Kind::Other
                    };
                    Entry { name, kind }
                })
                .collect())
        }

        pub fn open_child(&self, name: &OsStr) -> OpenChild {
            match win::open_child_dir(&self.handle, name) {
                Ok(handle) if handle.is_link() || !handle.is_dir() => OpenChild::NotADir,
                Ok(handle) if handle.volume != self.handle.volume => OpenChild::OtherMount,
                Ok(handle) => OpenChild::Dir(Dir { handle }),
                Err(err) => OpenChild::Err(err),
            }
        }

        /// Handles are not scarce on Windows: the walk never closes a parent, so this is unused.
        pub fn open_parent(&self) -> io::Result<Dir> {
            Err(io::Error::new(
                io::ErrorKind::Unsupported,
                "a closed parent cannot be reopened by handle",
            ))
        }

        pub fn remove_file(&self, name: &OsStr) -> io::Result<()> {
            win::delete_relative(&self.handle, name, false)
        }

        pub fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
            win::delete_relative(&self.handle, name, true)
        }
    }

    pub fn is_a_directory(err: &io::Error) -> bool {
        err.kind() == io::ErrorKind::IsADirectory
    }

    /// Handles are plentiful: every directory of the walk stays open.
    pub const MAX_OPEN: usize = usize::MAX;
}

#[cfg(unix)]
pub use unix::{MAX_OPEN, is_a_directory};
#[cfg(windows)]
pub use windows::{MAX_OPEN, is_a_directory};
